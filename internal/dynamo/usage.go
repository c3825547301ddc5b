package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// usageItem is one license period of the usage ledger (portal.UsagePeriod).
type usageItem struct {
	PK            string         `dynamodbav:"PK"`
	SK            string         `dynamodbav:"SK"`
	Entity        string         `dynamodbav:"entity"`
	PartnerID     string         `dynamodbav:"partnerId"`
	TenantID      string         `dynamodbav:"tenantId"`
	LicenseID     string         `dynamodbav:"licenseId"`
	Model         string         `dynamodbav:"model"`
	PeriodStart   string         `dynamodbav:"periodStart"`
	PeriodEnd     string         `dynamodbav:"periodEnd"`
	Quantity      int64          `dynamodbav:"quantity"`
	Scans         int64          `dynamodbav:"scans"`
	PeakAssets    int64          `dynamodbav:"peakAssets"`
	CurrentAssets int64          `dynamodbav:"currentAssets"`
	CurrentAt     string         `dynamodbav:"currentAt,omitempty"`
	AssetSeconds  int64          `dynamodbav:"assetSeconds"`
	Overage       int64          `dynamodbav:"overage"`
	Changes       int64          `dynamodbav:"changes"`
	Raised        []int          `dynamodbav:"raised"`
	Rearms        map[string]int `dynamodbav:"rearms"`
	Version       int64          `dynamodbav:"version"`
}

const entityUsage = "usage"

func toUsageItem(u portal.UsagePeriod) usageItem {
	it := usageItem{
		PK: tenantPK(u.PartnerID, u.TenantID), SK: usageSK(u.LicenseID, u.Period.Start), Entity: entityUsage,
		PartnerID: u.PartnerID, TenantID: u.TenantID, LicenseID: u.LicenseID, Model: string(u.Model),
		PeriodStart: formatTime(u.Period.Start), PeriodEnd: formatTime(u.Period.End), Quantity: u.Quantity, Scans: u.Scans,
		PeakAssets: u.PeakAssets, CurrentAssets: u.CurrentAssets, AssetSeconds: u.AssetSeconds, Overage: u.Overage,
		Changes: u.Changes, Raised: []int{}, Rearms: map[string]int{}, Version: u.Version,
	}
	if !u.CurrentAt.IsZero() {
		it.CurrentAt = formatTime(u.CurrentAt)
	}
	for _, pct := range portal.Thresholds(u.Model) {
		if u.Raised[pct] {
			it.Raised = append(it.Raised, pct)
		}
		if n := u.Rearms[pct]; n > 0 {
			it.Rearms[strconv.Itoa(pct)] = n
		}
	}
	return it
}

func (it usageItem) usage() portal.UsagePeriod {
	u := portal.UsagePeriod{
		PartnerID: it.PartnerID, TenantID: it.TenantID, LicenseID: it.LicenseID, Model: portal.LicenseModel(it.Model),
		Period: portal.Period{Start: parseTime(it.PeriodStart), End: parseTime(it.PeriodEnd)}, Quantity: it.Quantity,
		Scans: it.Scans, PeakAssets: it.PeakAssets, CurrentAssets: it.CurrentAssets, AssetSeconds: it.AssetSeconds,
		Overage: it.Overage, Changes: it.Changes, Raised: map[int]bool{}, Rearms: map[int]int{}, Version: it.Version,
	}
	if it.CurrentAt != "" {
		u.CurrentAt = parseTime(it.CurrentAt)
	}
	for _, pct := range it.Raised {
		u.Raised[pct] = true
	}
	for k, n := range it.Rearms {
		if pct, err := strconv.Atoi(k); err == nil {
			u.Rearms[pct] = n
		}
	}
	return u
}

// markerItem records that a stream event was handled (until its TTL).
type markerItem struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	Entity    string `dynamodbav:"entity"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
}

const entityMarker = "marker"

// Handled reports whether stream event eventID of the tenant was marked handled.
func (s *Store) Handled(ctx context.Context, partnerID, tenantID, eventID string) (bool, error) {
	var m markerItem
	return s.get(ctx, tenantPK(partnerID, tenantID), appliedSK(eventID), &m)
}

// MarkHandled marks stream event eventID of the tenant handled until expires.
func (s *Store) MarkHandled(ctx context.Context, partnerID, tenantID, eventID string, expires time.Time) error {
	av, err := attributevalue.MarshalMap(markerItem{PK: tenantPK(partnerID, tenantID), SK: appliedSK(eventID), Entity: entityMarker, ExpiresAt: expires.Unix()})
	if err != nil {
		return fmt.Errorf("encode marker: %w", err)
	}
	_, err = s.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: av, ReturnConsumedCapacity: total})
	if err != nil {
		return fmt.Errorf("mark %s handled: %w", eventID, err)
	}
	return nil
}

// Usage implements portal.UsageStore: the tenant's counters and ledger,
// one Query each.
func (s *Store) Usage(ctx context.Context, scope tenancy.Scope, customerID string) ([]portal.Counter, []portal.UsagePeriod, error) {
	pk := tenantPK(scope.PartnerID, customerID)
	var counters []portal.Counter
	var ledger []portal.UsagePeriod
	err := s.queryPrefix(ctx, scope, pk, counterPrefix, func(av map[string]types.AttributeValue) error {
		var it counterItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return err
		}
		if inScope(scope, it.PartnerID, it.TenantID) {
			counters = append(counters, it.counter())
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("query counters: %w", err)
	}
	err = s.queryPrefix(ctx, scope, pk, usagePrefix, func(av map[string]types.AttributeValue) error {
		var it usageItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return err
		}
		if inScope(scope, it.PartnerID, it.TenantID) {
			ledger = append(ledger, it.usage())
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("query usage ledger: %w", err)
	}
	return counters, ledger, nil
}

// queryPrefix calls fn for every item of partition pk whose sort key
// begins with prefix, following pages.
func (s *Store) queryPrefix(ctx context.Context, scope tenancy.Scope, pk, prefix string, fn func(map[string]types.AttributeValue) error) error {
	in := &dynamodb.QueryInput{
		TableName:              &s.Table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(pk), ":prefix": str(prefix),
		},
		ConsistentRead:         aws.Bool(true),
		ReturnConsumedCapacity: total,
	}
	for {
		res, err := s.Client.Query(ctx, in, s.inTenant(ctx, scope)...)
		if err != nil {
			return err
		}
		for _, av := range res.Items {
			if err := fn(av); err != nil {
				return err
			}
		}
		if res.LastEvaluatedKey == nil {
			return nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

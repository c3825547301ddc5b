package dynamo

import (
	"context"
	"errors"
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

// maxApplyAttempts bounds the retries of one change when its ledger
// periods change under it (another shard's record of the same tenant).
const maxApplyAttempts = 8

// ApplyCounterChange implements the usage stream's store: it applies one
// counter change, identified by its stream event ID, to the usage ledger
// and stores the alerts it raises, in one transaction with a marker of
// the event (kept until expires). A change applied before is not applied
// again: applied is false then (also when an SDK retry finds the marker
// its own lost-answer attempt wrote). The ledger periods are read first and
// written conditionally on their versions, and read again when another
// writer got in between.
func (s *Store) ApplyCounterChange(ctx context.Context, eventID string, ch portal.CounterChange, expires time.Time) (applied bool, err error) {
	c := ch.New
	if c == nil {
		c = ch.Old
	}
	if c == nil || c.PartnerID == "" || c.TenantID == "" {
		return false, fmt.Errorf("apply %s: a counter change without images", eventID)
	}
	pk := tenantPK(c.PartnerID, c.TenantID)
	keys := ch.Ledgers()
	for attempt := 1; ; attempt++ {
		ledgers, err := s.readLedgers(ctx, pk, keys)
		if err != nil {
			return false, err
		}
		alerts := ch.Apply(ledgers)
		tx, err := s.applyItems(pk, eventID, expires, keys, ledgers, alerts)
		if err != nil {
			return false, err
		}
		// No ClientRequestToken: the marker already makes the transaction
		// idempotent, and a token reused by a redelivery of the event (read
		// against newer ledger versions) would fail it with
		// IdempotentParameterMismatchException for ten minutes.
		_, err = s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx, ReturnConsumedCapacity: total})
		switch {
		case err == nil:
			return true, nil
		case canceledFor(err, 0):
			return false, nil // the marker exists: applied before
		case attempt < maxApplyAttempts && isCanceled(err):
			continue // a ledger period changed meanwhile
		}
		return false, fmt.Errorf("apply %s: %w", eventID, err)
	}
}

func isCanceled(err error) bool {
	var tce *types.TransactionCanceledException
	return errors.As(err, &tce)
}

// readLedgers reads the ledger periods keys of the partition pk.
func (s *Store) readLedgers(ctx context.Context, pk string, keys []portal.LedgerKey) (map[portal.LedgerKey]*portal.UsagePeriod, error) {
	req := make([]map[string]types.AttributeValue, len(keys))
	for i, k := range keys {
		req[i] = key(pk, usageSK(k.LicenseID, k.PeriodStart))
	}
	items, err := s.batchGet(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("read usage ledger: %w", err)
	}
	out := map[portal.LedgerKey]*portal.UsagePeriod{}
	for _, av := range items {
		var it usageItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, fmt.Errorf("decode usage: %w", err)
		}
		u := it.usage()
		out[u.Key()] = &u
	}
	return out, nil
}

// applyItems is the transaction of one applied change: the marker first,
// then the ledger periods (each over its version) and the new alerts.
func (s *Store) applyItems(pk, eventID string, expires time.Time, keys []portal.LedgerKey, ledgers map[portal.LedgerKey]*portal.UsagePeriod, alerts []portal.Alert) ([]types.TransactWriteItem, error) {
	marker, err := attributevalue.MarshalMap(markerItem{PK: pk, SK: appliedSK(eventID), Entity: entityMarker, ExpiresAt: expires.Unix()})
	if err != nil {
		return nil, fmt.Errorf("encode marker: %w", err)
	}
	tx := []types.TransactWriteItem{{Put: &types.Put{TableName: &s.Table, Item: marker, ConditionExpression: aws.String("attribute_not_exists(PK)")}}}
	for _, k := range keys {
		u := ledgers[k]
		if u == nil {
			continue
		}
		prev := u.Version
		u.Version++
		put, err := s.versioned(toUsageItem(*u), u.Version, u.PartnerID)
		if err != nil {
			return nil, err
		}
		if prev == 0 {
			put.ConditionExpression = aws.String("attribute_not_exists(PK)")
			put.ExpressionAttributeValues = nil
		}
		tx = append(tx, types.TransactWriteItem{Put: put})
	}
	for _, a := range alerts {
		av, err := attributevalue.MarshalMap(toAlertItem(a))
		if err != nil {
			return nil, fmt.Errorf("encode alert: %w", err)
		}
		tx = append(tx, types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	}
	return tx, nil
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

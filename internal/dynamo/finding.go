package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/scan"
	"github.com/partnerportal/portal/internal/tenancy"
)

type findingItem struct {
	PK          string `dynamodbav:"PK"`
	SK          string `dynamodbav:"SK"`
	Entity      string `dynamodbav:"entity"`
	FindingID   string `dynamodbav:"findingId"`
	Fingerprint string `dynamodbav:"fingerprint"`
	PartnerID   string `dynamodbav:"partnerId"`
	TenantID    string `dynamodbav:"tenantId"`
	AssetID     string `dynamodbav:"assetId"`
	CheckID     string `dynamodbav:"checkId"`
	Severity    string `dynamodbav:"severity"`
	Title       string `dynamodbav:"title"`
	Detail      string `dynamodbav:"detail"`
	Evidence    string `dynamodbav:"evidence"`
	Status      string `dynamodbav:"status"`
	Reason      string `dynamodbav:"reason,omitempty"`
	FirstSeenAt string `dynamodbav:"firstSeenAt"`
	LastSeenAt  string `dynamodbav:"lastSeenAt"`
	LastScanID  string `dynamodbav:"lastScanId"`
	FixedAt     string `dynamodbav:"fixedAt,omitempty"`
	UpdatedAt   string `dynamodbav:"updatedAt"`
	Version     int64  `dynamodbav:"version"`
}

func toFindingItem(f portal.Finding) findingItem {
	return findingItem{
		PK: tenantPK(f.PartnerID, f.TenantID), SK: findingSK(f.ID), Entity: "finding", FindingID: f.ID, Fingerprint: f.Fingerprint,
		PartnerID: f.PartnerID, TenantID: f.TenantID, AssetID: f.AssetID, CheckID: f.CheckID, Severity: string(f.Severity),
		Title: f.Title, Detail: f.Detail, Evidence: f.Evidence, Status: string(f.Status), Reason: f.Reason,
		FirstSeenAt: formatTime(f.FirstSeenAt), LastSeenAt: formatTime(f.LastSeenAt), LastScanID: f.LastScanID,
		FixedAt: formatTimePtr(f.FixedAt), UpdatedAt: formatTime(f.UpdatedAt), Version: f.Version,
	}
}

func (it findingItem) finding() portal.Finding {
	return portal.Finding{
		ID: it.FindingID, Fingerprint: it.Fingerprint, PartnerID: it.PartnerID, TenantID: it.TenantID, AssetID: it.AssetID,
		CheckID: it.CheckID, Severity: scan.Severity(it.Severity), Title: it.Title, Detail: it.Detail, Evidence: it.Evidence,
		Status: portal.FindingStatus(it.Status), Reason: it.Reason, FirstSeenAt: parseTime(it.FirstSeenAt),
		LastSeenAt: parseTime(it.LastSeenAt), LastScanID: it.LastScanID, FixedAt: parseTimePtr(it.FixedAt),
		UpdatedAt: parseTime(it.UpdatedAt), Version: it.Version,
	}
}

// ListFindings implements portal.FindingStore: a Query of the tenant's
// FINDING# items; the filters are a FilterExpression (a page may then be
// shorter than the limit, with a position to go on).
func (s *Store) ListFindings(ctx context.Context, scope tenancy.Scope, customerID string, q portal.FindingQuery, start portal.Position) ([]portal.Finding, portal.Position, error) {
	in := &dynamodb.QueryInput{
		TableName:              &s.Table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(tenantPK(scope.PartnerID, customerID)), ":prefix": str(findingPrefix),
		},
		ExclusiveStartKey:      startKey(start),
		Limit:                  aws.Int32(int32(q.Limit)),
		ConsistentRead:         aws.Bool(true),
		ReturnConsumedCapacity: total,
	}
	var filters []string
	names := map[string]string{}
	for attr, v := range map[string]string{"severity": string(q.Severity), "status": string(q.Status), "assetId": q.AssetID, "checkId": q.CheckID} {
		if v != "" {
			filters = append(filters, "#"+attr+" = :"+attr)
			names["#"+attr] = attr
			in.ExpressionAttributeValues[":"+attr] = str(v)
		}
	}
	if len(filters) > 0 {
		in.FilterExpression = aws.String(strings.Join(filters, " AND "))
		in.ExpressionAttributeNames = names
	}
	res, err := s.Client.Query(ctx, in, s.inTenant(ctx, scope)...)
	if err != nil {
		return nil, nil, fmt.Errorf("query findings: %w", err)
	}
	out, err := decodeInScope(scope, res.Items, "finding", findingItem.finding)
	if err != nil {
		return nil, nil, err
	}
	var next portal.Position
	if res.LastEvaluatedKey != nil {
		next = positionOf(res.LastEvaluatedKey)
	}
	return out, next, nil
}

// AllFindings implements portal.FindingStore.
func (s *Store) AllFindings(ctx context.Context, scope tenancy.Scope, customerID string) ([]portal.Finding, error) {
	var out []portal.Finding
	err := s.queryPrefix(ctx, scope, tenantPK(scope.PartnerID, customerID), findingPrefix, func(av map[string]types.AttributeValue) error {
		fs, err := decodeInScope(scope, []map[string]types.AttributeValue{av}, "finding", findingItem.finding)
		out = append(out, fs...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("query findings: %w", err)
	}
	return out, nil
}

// GetFinding implements portal.FindingStore.
func (s *Store) GetFinding(ctx context.Context, scope tenancy.Scope, customerID, findingID string) (portal.Finding, error) {
	it, ok, err := getTenantItem[findingItem](ctx, s, scope, customerID, findingSK(findingID))
	if !ok {
		return portal.Finding{}, notFound(err, "finding", findingID)
	}
	return it.finding(), nil
}

// SaveFindings implements portal.FindingStore: one conditional put each
// (created new, or over its previous version); a put whose condition
// fails is skipped.
func (s *Store) SaveFindings(ctx context.Context, scope tenancy.Scope, fs []portal.Finding) error {
	for _, f := range fs {
		if !inScope(scope, f.PartnerID, f.TenantID) {
			return portal.Errorf(portal.ENOTFOUND, "finding %s not found", f.ID)
		}
		put, err := s.versioned(toFindingItem(f), f.Version, f.PartnerID)
		if err != nil {
			return err
		}
		_, err = s.Client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression,
			ExpressionAttributeValues: put.ExpressionAttributeValues, ReturnConsumedCapacity: total,
		}, s.inTenant(ctx, scope)...)
		var ccf *types.ConditionalCheckFailedException
		if err != nil && !errors.As(err, &ccf) {
			return fmt.Errorf("save finding %s: %w", f.ID, err)
		}
	}
	return nil
}

// UpdateFinding implements portal.FindingStore.
func (s *Store) UpdateFinding(ctx context.Context, scope tenancy.Scope, f portal.Finding) error {
	return s.replace(ctx, scope, "finding", f.ID, f.PartnerID, f.TenantID, toFindingItem(f), f.Version)
}

package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/scan"
	"github.com/partnerportal/portal/internal/tenancy"
)

type reportItem struct {
	PK             string           `dynamodbav:"PK"`
	SK             string           `dynamodbav:"SK"`
	Entity         string           `dynamodbav:"entity"`
	ReportID       string           `dynamodbav:"reportId"`
	ScanID         string           `dynamodbav:"scanId"`
	PartnerID      string           `dynamodbav:"partnerId"`
	TenantID       string           `dynamodbav:"tenantId"`
	Profile        string           `dynamodbav:"profile"`
	ScanFinishedAt string           `dynamodbav:"scanFinishedAt"`
	CreatedAt      string           `dynamodbav:"createdAt"`
	Summary        map[string]int   `dynamodbav:"summary"`
	Sizes          map[string]int64 `dynamodbav:"sizes,omitempty"`
}

func toReportItem(m portal.ReportMeta) reportItem {
	it := reportItem{
		PK: tenantPK(m.PartnerID, m.TenantID), SK: reportSK(m.ID), Entity: "report", ReportID: m.ID, ScanID: m.ScanID,
		PartnerID: m.PartnerID, TenantID: m.TenantID, Profile: string(m.Profile), ScanFinishedAt: formatTime(m.ScanFinishedAt),
		CreatedAt: formatTime(m.CreatedAt), Summary: map[string]int{},
	}
	for _, sev := range portal.SeveritiesDescending {
		it.Summary[string(sev)] = m.Summary.Count(sev)
	}
	if len(m.Sizes) > 0 {
		it.Sizes = map[string]int64{}
		for f, n := range m.Sizes {
			it.Sizes[string(f)] = n
		}
	}
	return it
}

func (it reportItem) meta() portal.ReportMeta {
	m := portal.ReportMeta{
		ID: it.ReportID, ScanID: it.ScanID, PartnerID: it.PartnerID, TenantID: it.TenantID, Profile: scan.Profile(it.Profile),
		ScanFinishedAt: parseTime(it.ScanFinishedAt), CreatedAt: parseTime(it.CreatedAt), Sizes: map[portal.ReportFormat]int64{},
	}
	n := func(sev scan.Severity) int { return it.Summary[string(sev)] }
	m.Summary = portal.ReportSummary{Critical: n(scan.SeverityCritical), High: n(scan.SeverityHigh), Medium: n(scan.SeverityMedium),
		Low: n(scan.SeverityLow), Info: n(scan.SeverityInfo)}
	for f, size := range it.Sizes {
		m.Sizes[portal.ReportFormat(f)] = size
	}
	return m
}

// PutReportMeta implements portal.ReportIndex with one PutItem: the
// report of a scan is made again only when its making is repeated, and
// then replaces the earlier one.
func (s *Store) PutReportMeta(ctx context.Context, scope tenancy.Scope, m portal.ReportMeta) error {
	if !inScope(scope, m.PartnerID, m.TenantID) {
		return portal.Errorf(portal.ENOTFOUND, "customer %s not found", m.TenantID)
	}
	av, err := attributevalue.MarshalMap(toReportItem(m))
	if err != nil {
		return fmt.Errorf("encode report %s: %w", m.ID, err)
	}
	_, err = s.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: av, ReturnConsumedCapacity: total}, s.inTenant(ctx, scope)...)
	if err != nil {
		return fmt.Errorf("put report %s: %w", m.ID, err)
	}
	return nil
}

// GetReportMeta implements portal.ReportIndex.
func (s *Store) GetReportMeta(ctx context.Context, scope tenancy.Scope, customerID, reportID string) (portal.ReportMeta, error) {
	it, ok, err := getTenantItem[reportItem](ctx, s, scope, customerID, reportSK(reportID))
	if !ok {
		return portal.ReportMeta{}, notFound(err, "report", reportID)
	}
	return it.meta(), nil
}

// ListReportMeta implements portal.ReportIndex with a backward Query of
// the tenant's REPORT# items.
func (s *Store) ListReportMeta(ctx context.Context, scope tenancy.Scope, customerID string, limit int, start portal.Position) ([]portal.ReportMeta, portal.Position, error) {
	res, err := s.Client.Query(ctx, &dynamodb.QueryInput{
		TableName:              &s.Table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(tenantPK(scope.PartnerID, customerID)), ":prefix": str(reportPrefix),
		},
		ScanIndexForward:       aws.Bool(false),
		ExclusiveStartKey:      startKey(start),
		Limit:                  aws.Int32(int32(limit)),
		ConsistentRead:         aws.Bool(true),
		ReturnConsumedCapacity: total,
	}, s.inTenant(ctx, scope)...)
	if err != nil {
		return nil, nil, fmt.Errorf("query reports: %w", err)
	}
	out, err := decodeInScope(scope, res.Items, "report", reportItem.meta)
	if err != nil {
		return nil, nil, err
	}
	var next portal.Position
	if res.LastEvaluatedKey != nil {
		next = positionOf(res.LastEvaluatedKey)
	}
	return out, next, nil
}

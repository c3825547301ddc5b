package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/scan"
	"github.com/partnerportal/portal/internal/tenancy"
)

type scanItem struct {
	PK          string         `dynamodbav:"PK"`
	SK          string         `dynamodbav:"SK"`
	Entity      string         `dynamodbav:"entity"`
	ScanID      string         `dynamodbav:"scanId"`
	PartnerID   string         `dynamodbav:"partnerId"`
	TenantID    string         `dynamodbav:"tenantId"`
	Profile     string         `dynamodbav:"profile"`
	AllTargets  bool           `dynamodbav:"allTargets"`
	AssetIDs    []string       `dynamodbav:"assetIds"`
	Trigger     string         `dynamodbav:"trigger"`
	ScheduleID  string         `dynamodbav:"scheduleId,omitempty"`
	RequestedBy string         `dynamodbav:"requestedBy"`
	Status      string         `dynamodbav:"status"`
	Reason      string         `dynamodbav:"reason,omitempty"`
	LicenseID   string         `dynamodbav:"licenseId,omitempty"`
	CreatedAt   string         `dynamodbav:"createdAt"`
	StartedAt   string         `dynamodbav:"startedAt,omitempty"`
	FinishedAt  string         `dynamodbav:"finishedAt,omitempty"`
	Counts      map[string]int `dynamodbav:"counts,omitempty"`
	Errors      string         `dynamodbav:"errors,omitempty"` // JSON of []scan.CheckError
	Version     int64          `dynamodbav:"version"`
}

func toScanItem(s portal.Scan) scanItem {
	it := scanItem{
		PK: tenantPK(s.PartnerID, s.TenantID), SK: scanSK(s.ID), Entity: "scan", ScanID: s.ID, PartnerID: s.PartnerID,
		TenantID: s.TenantID, Profile: string(s.Profile), AllTargets: s.AllTargets, AssetIDs: s.AssetIDs,
		Trigger: string(s.Trigger), ScheduleID: s.ScheduleID, RequestedBy: s.RequestedBy, Status: string(s.Status), Reason: s.Reason,
		LicenseID: s.LicenseID, CreatedAt: formatTime(s.CreatedAt), StartedAt: formatTimePtr(s.StartedAt),
		FinishedAt: formatTimePtr(s.FinishedAt), Version: s.Version,
	}
	if len(s.Counts) > 0 {
		it.Counts = map[string]int{}
		for sev, n := range s.Counts {
			it.Counts[string(sev)] = n
		}
	}
	if len(s.Errors) > 0 {
		b, _ := json.Marshal(s.Errors)
		it.Errors = string(b)
	}
	return it
}

func (it scanItem) scan() portal.Scan {
	s := portal.Scan{
		ID: it.ScanID, PartnerID: it.PartnerID, TenantID: it.TenantID, Profile: scan.Profile(it.Profile),
		AllTargets: it.AllTargets, AssetIDs: it.AssetIDs, Trigger: portal.ScanTrigger(it.Trigger), ScheduleID: it.ScheduleID, RequestedBy: it.RequestedBy,
		Status: portal.ScanStatus(it.Status), Reason: it.Reason, LicenseID: it.LicenseID, CreatedAt: parseTime(it.CreatedAt),
		StartedAt: parseTimePtr(it.StartedAt), FinishedAt: parseTimePtr(it.FinishedAt), Counts: map[scan.Severity]int{},
		Version: it.Version,
	}
	for sev, n := range it.Counts {
		s.Counts[scan.Severity(sev)] = n
	}
	if it.Errors != "" {
		_ = json.Unmarshal([]byte(it.Errors), &s.Errors)
	}
	return s
}

// AdmitScan implements portal.ScanStore: one transaction of the new scan,
// the count of a per-scan license and the audit entry.
func (s *Store) AdmitScan(ctx context.Context, scope tenancy.Scope, sc portal.Scan, perScan *portal.License) error {
	if !inScope(scope, sc.PartnerID, sc.TenantID) {
		return portal.Errorf(portal.ENOTFOUND, "customer %s not found", sc.TenantID)
	}
	put, err := s.versioned(toScanItem(sc), 1, sc.PartnerID)
	if err != nil {
		return err
	}
	tx := []types.TransactWriteItem{{Put: put}}
	var period portal.Period
	if perScan != nil {
		var up *types.Update
		if up, period, err = s.scanCount(scope, *perScan, sc.CreatedAt); err != nil {
			return err
		}
		tx = append(tx, types.TransactWriteItem{Update: up})
	}
	err = s.transact(ctx, s.inTenant(ctx, scope), tx...)
	if _, exists := conditionFailed(err, 0); exists {
		return fmt.Errorf("admit scan %s: %w", sc.ID, portal.ErrScanExists)
	}
	if item, failed := conditionFailed(err, 1); failed && perScan != nil {
		return scanRefused(item, *perScan, sc.CreatedAt, period)
	}
	if err != nil {
		return fmt.Errorf("admit scan %s: %w", sc.ID, err)
	}
	return nil
}

// PutRefusedScan implements portal.ScanStore.
func (s *Store) PutRefusedScan(ctx context.Context, scope tenancy.Scope, sc portal.Scan) error {
	if !inScope(scope, sc.PartnerID, sc.TenantID) {
		return portal.Errorf(portal.ENOTFOUND, "customer %s not found", sc.TenantID)
	}
	err := s.putNew(ctx, toScanItem(sc), "scan "+sc.ID+" exists")
	if portal.ErrorCode(err) == portal.ECONFLICT {
		return fmt.Errorf("record refused scan %s: %w", sc.ID, portal.ErrScanExists)
	}
	return err
}

// GetScan implements portal.ScanStore.
func (s *Store) GetScan(ctx context.Context, scope tenancy.Scope, customerID, scanID string) (portal.Scan, error) {
	it, ok, err := getTenantItem[scanItem](ctx, s, scope, customerID, scanSK(scanID))
	if !ok {
		return portal.Scan{}, notFound(err, "scan", scanID)
	}
	return it.scan(), nil
}

// ListScans implements portal.ScanStore with a backward Query of the
// tenant's SCAN# items (a status is a filter).
func (s *Store) ListScans(ctx context.Context, scope tenancy.Scope, customerID string, status portal.ScanStatus, limit int, start portal.Position) ([]portal.Scan, portal.Position, error) {
	in := &dynamodb.QueryInput{
		TableName:              &s.Table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(tenantPK(scope.PartnerID, customerID)), ":prefix": str(scanPrefix),
		},
		ScanIndexForward:       aws.Bool(false),
		ExclusiveStartKey:      startKey(start),
		Limit:                  aws.Int32(int32(limit)),
		ConsistentRead:         aws.Bool(true),
		ReturnConsumedCapacity: total,
	}
	if status != "" {
		in.FilterExpression = aws.String("#status = :status")
		in.ExpressionAttributeNames = map[string]string{"#status": "status"}
		in.ExpressionAttributeValues[":status"] = str(string(status))
	}
	res, err := s.Client.Query(ctx, in, s.inTenant(ctx, scope)...)
	if err != nil {
		return nil, nil, fmt.Errorf("query scans: %w", err)
	}
	out, err := decodeInScope(scope, res.Items, "scan", scanItem.scan)
	if err != nil {
		return nil, nil, err
	}
	var next portal.Position
	if res.LastEvaluatedKey != nil {
		next = positionOf(res.LastEvaluatedKey)
	}
	return out, next, nil
}

// UpdateScan implements portal.ScanStore with a put conditional on the
// previous version.
func (s *Store) UpdateScan(ctx context.Context, scope tenancy.Scope, sc portal.Scan) error {
	return s.replace(ctx, scope, "scan", sc.ID, sc.PartnerID, sc.TenantID, toScanItem(sc), sc.Version)
}

// RecordLastScan implements portal.LastScanRecorder: the customer's
// lastScanAt and its list key move forward (never back), and its version
// too, so that a concurrent edit of the customer is retried, not lost.
func (s *Store) RecordLastScan(ctx context.Context, scope tenancy.Scope, customerID string, at time.Time) error {
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.Table,
		Key:                      key(tenantPK(scope.PartnerID, customerID), customerSK),
		UpdateExpression:         aws.String("SET lastScanAt = :at, #sk = :sk ADD version :one"),
		ConditionExpression:      aws.String("partnerId = :pid AND (attribute_not_exists(lastScanAt) OR lastScanAt < :at)"),
		ExpressionAttributeNames: map[string]string{"#sk": app.IndexSortKey(indexByLastScan)},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":at": str(formatTime(at)), ":sk": str(formatTime(at) + sep + customerID), ":one": num(1), ":pid": str(scope.PartnerID),
		},
		ReturnConsumedCapacity: total,
	}, s.inTenant(ctx, scope)...)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil // a later scan was recorded already
	}
	if err != nil {
		return fmt.Errorf("record last scan of %s: %w", customerID, err)
	}
	return nil
}

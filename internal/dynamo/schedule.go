package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/recurrence"
	"github.com/partnerportal/portal/internal/scan"
	"github.com/partnerportal/portal/internal/tenancy"
)

type scheduleItem struct {
	PK                    string   `dynamodbav:"PK"`
	SK                    string   `dynamodbav:"SK"`
	GSIPK                 string   `dynamodbav:"GSIPK,omitempty"`
	GSI1SK                string   `dynamodbav:"GSI1SK,omitempty"`
	Entity                string   `dynamodbav:"entity"`
	ScheduleID            string   `dynamodbav:"scheduleId"`
	PartnerID             string   `dynamodbav:"partnerId"`
	TenantID              string   `dynamodbav:"tenantId"`
	Profile               string   `dynamodbav:"profile"`
	AllTargets            bool     `dynamodbav:"allTargets"`
	AssetIDs              []string `dynamodbav:"assetIds"`
	Frequency             string   `dynamodbav:"frequency"`
	DayOfWeek             string   `dynamodbav:"dayOfWeek,omitempty"`
	DayOfMonth            int      `dynamodbav:"dayOfMonth,omitempty"`
	StartTime             string   `dynamodbav:"startTime"`
	Timezone              string   `dynamodbav:"timezone"`
	Enabled               bool     `dynamodbav:"enabled"`
	OnNewAsset            bool     `dynamodbav:"onNewAsset"`
	OnVulnDBUpdate        bool     `dynamodbav:"onVulnDbUpdate"`
	FlexibleWindowMinutes int      `dynamodbav:"flexibleWindowMinutes"`
	CreatedBy             string   `dynamodbav:"createdBy"`
	CreatedAt             string   `dynamodbav:"createdAt"`
	UpdatedAt             string   `dynamodbav:"updatedAt"`
	Version               int64    `dynamodbav:"version"`
}

func toScheduleItem(s portal.Schedule) scheduleItem {
	it := scheduleItem{
		PK: tenantPK(s.PartnerID, s.TenantID), SK: scheduleSK(s.ID), Entity: "schedule", ScheduleID: s.ID,
		PartnerID: s.PartnerID, TenantID: s.TenantID, Profile: string(s.Profile), AllTargets: s.AllTargets,
		AssetIDs: s.AssetIDs, Frequency: string(s.Frequency), DayOfWeek: s.DayOfWeek, DayOfMonth: s.DayOfMonth,
		StartTime: s.StartTime, Timezone: s.Timezone, Enabled: s.Enabled, OnNewAsset: s.OnNewAsset,
		OnVulnDBUpdate: s.OnVulnDBUpdate, FlexibleWindowMinutes: s.FlexibleWindowMinutes, CreatedBy: s.CreatedBy,
		CreatedAt: formatTime(s.CreatedAt), UpdatedAt: formatTime(s.UpdatedAt), Version: s.Version,
	}
	if s.Enabled && s.OnVulnDBUpdate {
		it.GSIPK, it.GSI1SK = vulnDBSubscribers, vulnDBSubscriberSK(s.PartnerID, s.TenantID, s.ID)
	}
	return it
}

func (it scheduleItem) schedule() portal.Schedule {
	return portal.Schedule{
		ID: it.ScheduleID, PartnerID: it.PartnerID, TenantID: it.TenantID, Profile: scan.Profile(it.Profile),
		AllTargets: it.AllTargets, AssetIDs: it.AssetIDs, Frequency: recurrence.Frequency(it.Frequency),
		DayOfWeek: it.DayOfWeek, DayOfMonth: it.DayOfMonth, StartTime: it.StartTime, Timezone: it.Timezone,
		Enabled: it.Enabled, OnNewAsset: it.OnNewAsset, OnVulnDBUpdate: it.OnVulnDBUpdate,
		FlexibleWindowMinutes: it.FlexibleWindowMinutes, CreatedBy: it.CreatedBy, CreatedAt: parseTime(it.CreatedAt),
		UpdatedAt: parseTime(it.UpdatedAt), Version: it.Version,
	}
}

// PutSchedule implements portal.ScheduleStore: a conditional put with the
// audit entry, in one transaction.
func (s *Store) PutSchedule(ctx context.Context, scope tenancy.Scope, sc portal.Schedule) error {
	if !inScope(scope, sc.PartnerID, sc.TenantID) {
		return portal.Errorf(portal.ENOTFOUND, "customer %s not found", sc.TenantID)
	}
	put, err := s.versioned(toScheduleItem(sc), 1, sc.PartnerID)
	if err != nil {
		return err
	}
	err = s.transact(ctx, s.inTenant(ctx, scope), types.TransactWriteItem{Put: put})
	if canceledFor(err, 0) {
		return portal.Errorf(portal.ECONFLICT, "schedule %s exists", sc.ID)
	}
	if err != nil {
		return fmt.Errorf("put schedule %s: %w", sc.ID, err)
	}
	return nil
}

// GetSchedule implements portal.ScheduleStore.
func (s *Store) GetSchedule(ctx context.Context, scope tenancy.Scope, customerID, scheduleID string) (portal.Schedule, error) {
	it, ok, err := getTenantItem[scheduleItem](ctx, s, scope, customerID, scheduleSK(scheduleID))
	if !ok {
		return portal.Schedule{}, notFound(err, "schedule", scheduleID)
	}
	return it.schedule(), nil
}

// ListSchedules implements portal.ScheduleStore with a Query of the
// tenant's SCHEDULE# items (IDs are ULIDs: oldest first).
func (s *Store) ListSchedules(ctx context.Context, scope tenancy.Scope, customerID string, limit int, start portal.Position) ([]portal.Schedule, portal.Position, error) {
	return s.querySchedules(ctx, &dynamodb.QueryInput{
		TableName:              &s.Table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(tenantPK(scope.PartnerID, customerID)), ":prefix": str(schedulePrefix),
		},
		ExclusiveStartKey:      startKey(start),
		Limit:                  aws.Int32(int32(limit)),
		ConsistentRead:         aws.Bool(true),
		ReturnConsumedCapacity: total,
	}, scope, s.inTenant(ctx, scope)...)
}

// ListVulnDBSubscribers implements portal.ScheduleStore with a Query of
// the sparse subscriber partition of the index.
func (s *Store) ListVulnDBSubscribers(ctx context.Context, limit int, start portal.Position) ([]portal.Schedule, portal.Position, error) {
	return s.querySchedules(ctx, &dynamodb.QueryInput{
		TableName:                 &s.Table,
		IndexName:                 aws.String(vulnDBIndex),
		KeyConditionExpression:    aws.String("GSIPK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(vulnDBSubscribers)},
		ExclusiveStartKey:         startKey(start),
		Limit:                     aws.Int32(int32(limit)),
		ReturnConsumedCapacity:    total,
	}, tenancy.Scope{})
}

// querySchedules runs a schedule Query; a non-empty scope keeps only its
// items.
func (s *Store) querySchedules(ctx context.Context, in *dynamodb.QueryInput, scope tenancy.Scope, opts ...func(*dynamodb.Options)) ([]portal.Schedule, portal.Position, error) {
	res, err := s.Client.Query(ctx, in, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("query schedules: %w", err)
	}
	out := make([]portal.Schedule, 0, len(res.Items))
	for _, av := range res.Items {
		var it scheduleItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, nil, fmt.Errorf("decode schedule: %w", err)
		}
		if scope.PartnerID == "" || inScope(scope, it.PartnerID, it.TenantID) {
			out = append(out, it.schedule())
		}
	}
	var next portal.Position
	if res.LastEvaluatedKey != nil {
		next = positionOf(res.LastEvaluatedKey, app.AttrGSIPK, app.IndexSortKey(vulnDBIndex))
	}
	return out, next, nil
}

// UpdateSchedule implements portal.ScheduleStore with a put conditional on
// the previous version.
func (s *Store) UpdateSchedule(ctx context.Context, scope tenancy.Scope, sc portal.Schedule) error {
	return s.replace(ctx, scope, "schedule", sc.ID, sc.PartnerID, sc.TenantID, toScheduleItem(sc), sc.Version)
}

// DeleteSchedule implements portal.ScheduleStore: a delete conditional on
// the version, with the audit entry.
func (s *Store) DeleteSchedule(ctx context.Context, scope tenancy.Scope, sc portal.Schedule) error {
	if !inScope(scope, sc.PartnerID, sc.TenantID) {
		return portal.Errorf(portal.ENOTFOUND, "schedule %s not found", sc.ID)
	}
	err := s.transact(ctx, s.inTenant(ctx, scope), types.TransactWriteItem{Delete: &types.Delete{
		TableName: &s.Table, Key: key(tenantPK(sc.PartnerID, sc.TenantID), scheduleSK(sc.ID)),
		ConditionExpression:       aws.String("partnerId = :pid AND version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pid": str(sc.PartnerID), ":v": num(sc.Version)},
	}})
	if canceledFor(err, 0) {
		return portal.Errorf(portal.EPRECONDITION, "schedule %s changed meanwhile: read it again", sc.ID)
	}
	if err != nil {
		return fmt.Errorf("delete schedule %s: %w", sc.ID, err)
	}
	return nil
}

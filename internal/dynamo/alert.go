package dynamo

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

type alertItem struct {
	PK             string `dynamodbav:"PK"`
	SK             string `dynamodbav:"SK"`
	GSIPK          string `dynamodbav:"GSIPK"`
	GSI1SK         string `dynamodbav:"GSI1SK"`
	GSI2SK         string `dynamodbav:"GSI2SK"`
	GSI3SK         string `dynamodbav:"GSI3SK"`
	Entity         string `dynamodbav:"entity"`
	AlertID        string `dynamodbav:"alertId"`
	PartnerID      string `dynamodbav:"partnerId"`
	TenantID       string `dynamodbav:"tenantId"`
	LicenseID      string `dynamodbav:"licenseId"`
	Model          string `dynamodbav:"model"`
	Threshold      int    `dynamodbav:"threshold"`
	Used           int64  `dynamodbav:"used"`
	Quantity       int64  `dynamodbav:"quantity"`
	PeriodStart    string `dynamodbav:"periodStart"`
	PeriodEnd      string `dynamodbav:"periodEnd"`
	CreatedAt      string `dynamodbav:"createdAt"`
	Acknowledged   bool   `dynamodbav:"acknowledged"`
	AcknowledgedAt string `dynamodbav:"acknowledgedAt,omitempty"`
	AcknowledgedBy string `dynamodbav:"acknowledgedBy,omitempty"`
}

const entityAlert = "alert"

func toAlertItem(a portal.Alert) alertItem {
	created := formatTime(a.CreatedAt)
	return alertItem{
		PK: tenantPK(a.PartnerID, a.TenantID), SK: alertSK(created, a.ID), GSIPK: partnerAlertsPK(a.PartnerID),
		GSI1SK: created + sep + a.ID, GSI2SK: a.ID, GSI3SK: ackKey(a.Acknowledged) + sep + created + sep + a.ID,
		Entity: entityAlert, AlertID: a.ID, PartnerID: a.PartnerID, TenantID: a.TenantID, LicenseID: a.LicenseID,
		Model: string(a.Model), Threshold: a.Threshold, Used: a.Used, Quantity: a.Quantity,
		PeriodStart: formatTime(a.Period.Start), PeriodEnd: formatTime(a.Period.End), CreatedAt: created,
		Acknowledged: a.Acknowledged, AcknowledgedAt: formatTimePtr(a.AcknowledgedAt), AcknowledgedBy: a.AcknowledgedBy,
	}
}

func (it alertItem) alert() portal.Alert {
	return portal.Alert{
		ID: it.AlertID, PartnerID: it.PartnerID, TenantID: it.TenantID, LicenseID: it.LicenseID,
		Model: portal.LicenseModel(it.Model), Threshold: it.Threshold, Used: it.Used, Quantity: it.Quantity,
		Period:    portal.Period{Start: parseTime(it.PeriodStart), End: parseTime(it.PeriodEnd)},
		CreatedAt: parseTime(it.CreatedAt), Acknowledged: it.Acknowledged, AcknowledgedAt: parseTimePtr(it.AcknowledgedAt),
		AcknowledgedBy: it.AcknowledgedBy,
	}
}

// ListAlerts implements portal.AlertStore: a Query of the tenant's
// partition, or of the partner's alert index (by acknowledgement when
// filtered by it); a member's granted tenants are a filter.
func (s *Store) ListAlerts(ctx context.Context, scope tenancy.Scope, q portal.AlertQuery, start portal.Position) ([]portal.Alert, portal.Position, error) {
	in := &dynamodb.QueryInput{
		TableName:                 &s.Table,
		ScanIndexForward:          aws.Bool(false),
		ExclusiveStartKey:         startKey(start),
		Limit:                     aws.Int32(int32(q.Limit)),
		ExpressionAttributeValues: map[string]types.AttributeValue{},
		ReturnConsumedCapacity:    total,
	}
	var filters []string
	var position []string
	switch {
	case q.TenantID != "":
		in.KeyConditionExpression = aws.String("PK = :pk AND begins_with(SK, :prefix)")
		in.ExpressionAttributeValues[":pk"] = str(tenantPK(q.PartnerID, q.TenantID))
		in.ExpressionAttributeValues[":prefix"] = str(alertPrefix)
		in.ConsistentRead = aws.Bool(true)
		if q.Acknowledged != nil {
			filters = append(filters, "acknowledged = :ack")
			in.ExpressionAttributeValues[":ack"] = &types.AttributeValueMemberBOOL{Value: *q.Acknowledged}
		}
	case q.Acknowledged != nil:
		in.IndexName = aws.String(alertsByAckState)
		in.KeyConditionExpression = aws.String("GSIPK = :pk AND begins_with(#sk, :ack)")
		in.ExpressionAttributeNames = map[string]string{"#sk": app.IndexSortKey(alertsByAckState)}
		in.ExpressionAttributeValues[":pk"] = str(partnerAlertsPK(q.PartnerID))
		in.ExpressionAttributeValues[":ack"] = str(ackKey(*q.Acknowledged) + sep)
		position = []string{"GSIPK", app.IndexSortKey(alertsByAckState)}
	default:
		in.IndexName = aws.String(alertsByTime)
		in.KeyConditionExpression = aws.String("GSIPK = :pk")
		in.ExpressionAttributeValues[":pk"] = str(partnerAlertsPK(q.PartnerID))
		position = []string{"GSIPK", app.IndexSortKey(alertsByTime)}
	}
	if q.TenantIn != nil {
		var names []string
		for i, t := range q.TenantIn {
			name := fmt.Sprintf(":t%d", i)
			names = append(names, name)
			in.ExpressionAttributeValues[name] = str(t)
		}
		filters = append(filters, "tenantId IN ("+strings.Join(names, ", ")+")")
	}
	if len(filters) > 0 {
		in.FilterExpression = aws.String(strings.Join(filters, " AND "))
	}
	res, err := s.Client.Query(ctx, in, s.inTenant(ctx, scope)...)
	if err != nil {
		return nil, nil, fmt.Errorf("query alerts: %w", err)
	}
	out, err := decodeInScope(scope, res.Items, "alert", alertItem.alert)
	if err != nil {
		return nil, nil, err
	}
	var next portal.Position
	if res.LastEvaluatedKey != nil {
		next = positionOf(res.LastEvaluatedKey, position...)
	}
	return out, next, nil
}

// GetAlert implements portal.AlertStore with a Query of the partner's
// alert index by ID.
func (s *Store) GetAlert(ctx context.Context, scope tenancy.Scope, alertID string) (portal.Alert, error) {
	res, err := s.Client.Query(ctx, &dynamodb.QueryInput{
		TableName:                &s.Table,
		IndexName:                aws.String(alertsByID),
		KeyConditionExpression:   aws.String("GSIPK = :pk AND #sk = :id"),
		ExpressionAttributeNames: map[string]string{"#sk": app.IndexSortKey(alertsByID)},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(partnerAlertsPK(scope.PartnerID)), ":id": str(alertID),
		},
		ReturnConsumedCapacity: total,
	})
	if err != nil {
		return portal.Alert{}, fmt.Errorf("query alert %s: %w", alertID, err)
	}
	for _, av := range res.Items {
		var it alertItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return portal.Alert{}, fmt.Errorf("decode alert: %w", err)
		}
		if inScope(scope, it.PartnerID, it.TenantID) {
			if scope.TenantID == "" {
				// The partner's index only: the caller checks its access to
				// the tenant before it reads the tenant's partition.
				return it.alert(), nil
			}
			// The index is eventually consistent: read the item itself.
			var cur alertItem
			found, err := s.get(ctx, it.PK, it.SK, &cur)
			if err != nil {
				return portal.Alert{}, err
			}
			if found {
				return cur.alert(), nil
			}
		}
	}
	return portal.Alert{}, portal.Errorf(portal.ENOTFOUND, "alert %s not found", alertID)
}

// AckAlert implements portal.AlertStore with an update conditional on the
// alert being unacknowledged, with its audit entry.
func (s *Store) AckAlert(ctx context.Context, scope tenancy.Scope, a portal.Alert) error {
	if !inScope(scope, a.PartnerID, a.TenantID) {
		return portal.Errorf(portal.ENOTFOUND, "alert %s not found", a.ID)
	}
	it := toAlertItem(a)
	err := s.transact(ctx, nil, types.TransactWriteItem{Update: &types.Update{
		TableName:           &s.Table,
		Key:                 key(it.PK, it.SK),
		UpdateExpression:    aws.String("SET acknowledged = :true, acknowledgedAt = :at, acknowledgedBy = :by, GSI3SK = :sk"),
		ConditionExpression: aws.String("attribute_exists(PK) AND acknowledged = :false"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":true": &types.AttributeValueMemberBOOL{Value: true}, ":false": &types.AttributeValueMemberBOOL{Value: false},
			":at": str(it.AcknowledgedAt), ":by": str(it.AcknowledgedBy), ":sk": str(it.GSI3SK),
		},
	}})
	if canceledFor(err, 0) {
		return portal.Errorf(portal.ECONFLICT, "alert %s was acknowledged meanwhile", a.ID)
	}
	if err != nil {
		return fmt.Errorf("acknowledge alert %s: %w", a.ID, err)
	}
	return nil
}

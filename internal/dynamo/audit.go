package dynamo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

type auditItem struct {
	PK          string `dynamodbav:"PK"`
	SK          string `dynamodbav:"SK"`
	GSIPK       string `dynamodbav:"GSIPK"`
	GSI1SK      string `dynamodbav:"GSI1SK"`
	Entity      string `dynamodbav:"entity"`
	AuditID     string `dynamodbav:"auditId"`
	Time        string `dynamodbav:"time"`
	ActorID     string `dynamodbav:"actorId"`
	ActorRole   string `dynamodbav:"actorRole"`
	PartnerID   string `dynamodbav:"partnerId,omitempty"`
	TenantID    string `dynamodbav:"tenantId,omitempty"`
	Action      string `dynamodbav:"action"`
	TargetType  string `dynamodbav:"targetType"`
	TargetID    string `dynamodbav:"targetId"`
	Changes     string `dynamodbav:"changes"` // JSON: {"field": {"before": …, "after": …}}
	RequestID   string `dynamodbav:"requestId,omitempty"`
	PartnerOnly bool   `dynamodbav:"partnerOnly,omitempty"`
}

func (it auditItem) entry() portal.AuditEntry {
	e := portal.AuditEntry{
		ID: it.AuditID, Time: parseTime(it.Time), ActorID: it.ActorID, ActorRole: tenancy.Role(it.ActorRole),
		PartnerID: it.PartnerID, TenantID: it.TenantID, Action: it.Action, TargetType: it.TargetType,
		TargetID: it.TargetID, RequestID: it.RequestID, PartnerOnly: it.PartnerOnly,
	}
	json.Unmarshal([]byte(it.Changes), &e.Changes)
	return e
}

// transact writes items in one transaction, adding the audit entries that
// ctx carries (portal.AuditEntries) as the last items, so a change and its record
// are written together or not at all. opts are per-call client options
// (tenant credentials: see inTenant).
func (s *Store) transact(ctx context.Context, opts []func(*dynamodb.Options), items ...types.TransactWriteItem) error {
	in := &dynamodb.TransactWriteItemsInput{ReturnConsumedCapacity: total}
	for i, e := range portal.AuditEntries(ctx) {
		if i == 0 {
			// The first entry's ID makes the transaction idempotent: an SDK
			// retry of an attempt that committed but lost its answer succeeds
			// instead of failing its own conditions. (Tokens are account-wide:
			// the table name keeps equal IDs of other tables, e.g. in tests, apart.)
			token := sha256.Sum256([]byte(s.Table + "#" + e.ID))
			in.ClientRequestToken = aws.String(hex.EncodeToString(token[:16]))
		}
		changes, err := json.Marshal(e.Changes)
		if err != nil {
			return fmt.Errorf("encode audit changes: %w", err)
		}
		sortKey := formatTime(e.Time) + sep + e.ID
		av, err := attributevalue.MarshalMap(auditItem{
			PK: auditPK(e.PartnerID, e.TenantID), SK: auditPrefix + sortKey, GSIPK: auditListPK(e.PartnerID), GSI1SK: sortKey,
			Entity: "audit", AuditID: e.ID, Time: formatTime(e.Time), ActorID: e.ActorID, ActorRole: string(e.ActorRole),
			PartnerID: e.PartnerID, TenantID: e.TenantID, Action: e.Action, TargetType: e.TargetType,
			TargetID: e.TargetID, Changes: string(changes), RequestID: e.RequestID, PartnerOnly: e.PartnerOnly,
		})
		if err != nil {
			return fmt.Errorf("encode audit entry: %w", err)
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	}
	in.TransactItems = items
	for attempt := 1; ; attempt++ {
		_, err := s.Client.TransactWriteItems(ctx, in, opts...)
		if attempt >= maxConflictAttempts || !onlyConflicts(err) {
			return err
		}
		// Another transaction held one of the items (DynamoDB cancels
		// rather than waits, and the SDK does not retry that): nothing was
		// written, so try again, with a token of its own.
		if in.ClientRequestToken != nil {
			token := sha256.Sum256([]byte(*in.ClientRequestToken + "#" + strconv.Itoa(attempt)))
			in.ClientRequestToken = aws.String(hex.EncodeToString(token[:16]))
		}
		conflictBackoff(ctx, attempt)
	}
}

// maxConflictAttempts bounds the attempts of a transaction that other
// transactions keep getting in the way of.
const maxConflictAttempts = 5

// onlyConflicts reports whether err cancelled a transaction for
// TransactionConflict alone: no condition failed.
func onlyConflicts(err error) bool {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return false
	}
	conflict := false
	for _, r := range tce.CancellationReasons {
		switch aws.ToString(r.Code) {
		case "TransactionConflict":
			conflict = true
		case "", "None":
		default:
			return false
		}
	}
	return conflict
}

// conflictBackoff waits a little, more with each attempt, with jitter.
func conflictBackoff(ctx context.Context, attempt int) {
	d := time.Duration(attempt*attempt)*10*time.Millisecond + time.Duration(rand.Int64N(int64(20*time.Millisecond)))
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// ListAudit implements portal.AuditStore: a Query of the tenant's partition
// or of the partner's index partition, newest first, between From and To;
// actor and action are filters (up to maxListRounds Queries a page).
func (s *Store) ListAudit(ctx context.Context, q portal.AuditQuery, start portal.Position) ([]portal.AuditEntry, portal.Position, error) {
	if q.Limit < 1 {
		return nil, nil, portal.Errorf(portal.EINVALID, "limit must be at least 1")
	}
	low, high := "0", "\U0010FFFF" // every time sorts between them
	if q.From != nil {
		low = formatTime(*q.From)
	}
	if q.To != nil {
		high = formatTime(*q.To)
	}
	in := &dynamodb.QueryInput{
		TableName:              &s.Table,
		ScanIndexForward:       aws.Bool(false),
		ExclusiveStartKey:      startKey(start),
		ReturnConsumedCapacity: total,
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":low": str(low), ":high": str(high),
		},
	}
	sk := app.IndexSortKey(auditListIndex)
	if q.TenantID != "" {
		in.KeyConditionExpression = aws.String("PK = :pk AND SK BETWEEN :low AND :high")
		in.ExpressionAttributeValues[":pk"] = str(tenantPK(q.PartnerID, q.TenantID))
		in.ExpressionAttributeValues[":low"] = str(auditPrefix + low)
		in.ExpressionAttributeValues[":high"] = str(auditPrefix + high)
		sk = ""
	} else {
		in.IndexName = aws.String(auditListIndex)
		in.KeyConditionExpression = aws.String("GSIPK = :pk AND GSI1SK BETWEEN :low AND :high")
		in.ExpressionAttributeValues[":pk"] = str(auditListPK(q.PartnerID))
	}
	var filters []string
	if q.ActorID != "" {
		filters = append(filters, "actorId = :actor")
		in.ExpressionAttributeValues[":actor"] = str(q.ActorID)
	}
	if q.Action != "" {
		filters = append(filters, "#action = :action")
		in.ExpressionAttributeValues[":action"] = str(q.Action)
		in.ExpressionAttributeNames = map[string]string{"#action": "action"}
	}
	if q.ForCustomer {
		filters = append(filters, "attribute_not_exists(partnerOnly)")
	}
	if len(filters) > 0 {
		in.FilterExpression = aws.String(strings.Join(filters, " AND "))
	}
	items := make([]portal.AuditEntry, 0, q.Limit)
	var last map[string]types.AttributeValue
	for round := 0; round < maxListRounds; round++ {
		want := q.Limit - len(items) + 1
		if len(filters) > 0 {
			want = min(4*want, s.readAhead())
		}
		in.Limit = aws.Int32(int32(want))
		res, err := s.Client.Query(ctx, in, s.inTenant(ctx, tenancy.Scope{PartnerID: q.PartnerID, TenantID: q.TenantID})...)
		if err != nil {
			return nil, nil, fmt.Errorf("query audit: %w", err)
		}
		for _, raw := range res.Items {
			if len(items) == q.Limit {
				return items, positionOf(last, keyAttrs(sk)...), nil
			}
			last = raw
			var it auditItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return nil, nil, fmt.Errorf("decode audit entry: %w", err)
			}
			if q.PartnerID != "" && it.PartnerID != q.PartnerID {
				continue // never another partner's entries, whatever the partition says
			}
			items = append(items, it.entry())
		}
		if res.LastEvaluatedKey == nil {
			return items, nil, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
	return items, positionOf(in.ExclusiveStartKey, keyAttrs(sk)...), nil
}

func keyAttrs(indexSK string) []string {
	if indexSK == "" {
		return nil
	}
	return []string{"GSIPK", indexSK}
}

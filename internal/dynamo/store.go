// Package dynamo implements the domain's stores on one DynamoDB table (the
// single-table design of DESIGN.md §4). Keys are built in *_keys.go, one file
// per entity, from a tenancy scope; reads are GetItem or Query, creates are
// conditional, multi-item changes are transactions and updates are guarded by
// a version attribute.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// Store is the DynamoDB implementation of the domain's stores.
type Store struct {
	Client *dynamodb.Client
	Table  string
	// ReadAhead bounds the items one filtered list Query evaluates
	// (DefaultReadAhead when 0).
	ReadAhead int
	// TenantCredentials, when set, gives customer users' requests on their
	// own tenant's partition the tenant's scoped credentials (see inTenant).
	TenantCredentials TenantCredentialsFunc
}

// New returns a store on table using client. The store's calls are
// recorded by the Meter of their context, if any (see WithMeter).
func New(client *dynamodb.Client, table string) *Store {
	return &Store{Client: dynamodb.New(client.Options(), metered), Table: table}
}

// timeLayout is fixed-width so that times sort as strings in keys.
const timeLayout = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func formatTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return formatTime(*t)
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeLayout, s)
	return t
}

func parseTimePtr(s string) *time.Time {
	if s == "" {
		return nil
	}
	t := parseTime(s)
	return &t
}

// sep separates the parts of composite sort keys. It sorts before every
// printable character, so "ab" orders before "ab c"; names may not contain it.
const sep = "\x1f"

// total asks DynamoDB to report consumed capacity on every call.
var total = types.ReturnConsumedCapacityTotal

func (s *Store) get(ctx context.Context, pk, sk string, out any, opts ...func(*dynamodb.Options)) (bool, error) {
	res, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:              &s.Table,
		Key:                    key(pk, sk),
		ConsistentRead:         aws.Bool(true),
		ReturnConsumedCapacity: total,
	}, opts...)
	if err != nil {
		return false, fmt.Errorf("get %s %s: %w", pk, sk, err)
	}
	if res.Item == nil {
		return false, nil
	}
	if err := attributevalue.UnmarshalMap(res.Item, out); err != nil {
		return false, fmt.Errorf("decode %s %s: %w", pk, sk, err)
	}
	return true, nil
}

// putNew writes item unless an item with its key exists (then ECONFLICT
// with msg), in one transaction with the audit entry ctx carries.
func (s *Store) putNew(ctx context.Context, item any, msg string) error {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return fmt.Errorf("encode item: %w", err)
	}
	err = s.transact(ctx, nil, types.TransactWriteItem{Put: &types.Put{
		TableName: &s.Table, Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)"),
	}})
	if canceledFor(err, 0) {
		return portal.Errorf(portal.ECONFLICT, "%s", msg)
	}
	return err
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: pk},
		"SK": &types.AttributeValueMemberS{Value: sk},
	}
}

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// canceledFor reports whether a transaction was canceled because the
// condition of its i-th item failed.
func canceledFor(err error, i int) bool {
	_, failed := conditionFailed(err, i)
	return failed
}

// conditionFailed reports whether a transaction was canceled because the
// condition of its i-th item failed, with the item as it was (when the
// request asked for it with ReturnValuesOnConditionCheckFailure).
func conditionFailed(err error, i int) (map[string]types.AttributeValue, bool) {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) || i >= len(tce.CancellationReasons) {
		return nil, false
	}
	r := tce.CancellationReasons[i]
	return r.Item, aws.ToString(r.Code) == "ConditionalCheckFailed"
}

// positionOf returns the list position of item: its table key and the index key.
func positionOf(item map[string]types.AttributeValue, attrs ...string) portal.Position {
	pos := portal.Position{}
	for _, a := range append([]string{"PK", "SK"}, attrs...) {
		if v, ok := item[a].(*types.AttributeValueMemberS); ok {
			pos[a] = v.Value
		}
	}
	return pos
}

func startKey(pos portal.Position) map[string]types.AttributeValue {
	if pos == nil {
		return nil
	}
	m := make(map[string]types.AttributeValue, len(pos))
	for k, v := range pos {
		m[k] = str(v)
	}
	return m
}

// batchGet reads keys (any number) with consistent BatchGetItem calls of
// up to 100 keys, retrying unprocessed keys; missing items are absent.
func (s *Store) batchGet(ctx context.Context, keys []map[string]types.AttributeValue, opts ...func(*dynamodb.Options)) ([]map[string]types.AttributeValue, error) {
	var out []map[string]types.AttributeValue
	for rest := keys; len(rest) > 0; {
		batch := rest[:min(len(rest), 100)]
		rest = rest[len(batch):]
		req := map[string]types.KeysAndAttributes{s.Table: {Keys: batch, ConsistentRead: aws.Bool(true)}}
		for len(req) > 0 {
			res, err := s.Client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req, ReturnConsumedCapacity: total}, opts...)
			if err != nil {
				return nil, err
			}
			out = append(out, res.Responses[s.Table]...)
			req = res.UnprocessedKeys
		}
	}
	return out, nil
}

// replace writes item, the version-th of a tenant's item (kind and id name
// it in errors), over its previous version, with the audit entry ctx
// carries: ENOTFOUND outside scope, EPRECONDITION when it changed meanwhile.
func (s *Store) replace(ctx context.Context, scope tenancy.Scope, kind, id, partnerID, tenantID string, item any, version int64) error {
	if !inScope(scope, partnerID, tenantID) {
		return portal.Errorf(portal.ENOTFOUND, "%s %s not found", kind, id)
	}
	put, err := s.versioned(item, version, partnerID)
	if err != nil {
		return err
	}
	err = s.transact(ctx, s.inTenant(ctx, scope), types.TransactWriteItem{Put: put})
	if canceledFor(err, 0) {
		return portal.Errorf(portal.EPRECONDITION, "%s %s changed meanwhile: read it again", kind, id)
	}
	if err != nil {
		return fmt.Errorf("update %s %s: %w", kind, id, err)
	}
	return nil
}

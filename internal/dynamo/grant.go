package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// grantSetItem versions a member's grants as a whole.
type grantSetItem struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	Entity    string `dynamodbav:"entity"`
	PartnerID string `dynamodbav:"partnerId"`
	MemberID  string `dynamodbav:"memberId"`
	Version   int64  `dynamodbav:"version"`
}

type grantItem struct {
	PK         string `dynamodbav:"PK"`
	SK         string `dynamodbav:"SK"`
	Entity     string `dynamodbav:"entity"`
	PartnerID  string `dynamodbav:"partnerId"`
	MemberID   string `dynamodbav:"memberId"`
	CustomerID string `dynamodbav:"tenantId"`
}

// Grants implements portal.GrantStore with one Query.
func (s *Store) Grants(ctx context.Context, partnerID, memberID string) ([]string, error) {
	var ids []string
	p := dynamodb.NewQueryPaginator(s.Client, &dynamodb.QueryInput{
		TableName:              &s.Table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(partnerPK(partnerID)), ":sk": str(grantPrefix(memberID)),
		},
		ConsistentRead:         aws.Bool(true),
		ReturnConsumedCapacity: total,
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query grants: %w", err)
		}
		var items []grantItem
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &items); err != nil {
			return nil, fmt.Errorf("decode grants: %w", err)
		}
		for _, it := range items {
			ids = append(ids, it.CustomerID)
		}
	}
	return ids, nil
}

// HasGrant implements portal.GrantStore with one GetItem.
func (s *Store) HasGrant(ctx context.Context, partnerID, memberID, customerID string) (bool, error) {
	var it grantItem
	return s.get(ctx, partnerPK(partnerID), grantSK(memberID, customerID), &it)
}

// SetGrants implements portal.GrantStore: the grants and the member's
// grant-set version item change in one transaction, conditional on the
// version read with the current grants, so concurrent changes cannot mix.
// ECONFLICT when another change got in between.
func (s *Store) SetGrants(ctx context.Context, partnerID, memberID string, customerIDs []string) error {
	var head grantSetItem
	if _, err := s.get(ctx, partnerPK(partnerID), grantSetSK(memberID), &head); err != nil {
		return err
	}
	current, err := s.Grants(ctx, partnerID, memberID)
	if err != nil {
		return err
	}
	headItem, err := attributevalue.MarshalMap(grantSetItem{
		PK: partnerPK(partnerID), SK: grantSetSK(memberID), Entity: "grant_set", PartnerID: partnerID, MemberID: memberID, Version: head.Version + 1,
	})
	if err != nil {
		return fmt.Errorf("encode grant set: %w", err)
	}
	tx := []types.TransactWriteItem{{Put: &types.Put{
		TableName: &s.Table, Item: headItem,
		ConditionExpression:       aws.String("attribute_not_exists(PK) OR version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(head.Version)},
	}}}
	for _, cid := range current {
		if !slices.Contains(customerIDs, cid) {
			tx = append(tx, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.Table, Key: key(partnerPK(partnerID), grantSK(memberID, cid))}})
		}
	}
	for _, cid := range customerIDs {
		if slices.Contains(current, cid) {
			continue
		}
		av, err := attributevalue.MarshalMap(grantItem{
			PK: partnerPK(partnerID), SK: grantSK(memberID, cid), Entity: "grant",
			PartnerID: partnerID, MemberID: memberID, CustomerID: cid,
		})
		if err != nil {
			return fmt.Errorf("encode grant: %w", err)
		}
		tx = append(tx, types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: av}})
	}
	// At most portal.MaxGrants removals and additions each, the version item
	// and the audit entry: within a transaction's 100 items.
	err = s.transact(ctx, nil, tx...)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		return portal.Errorf(portal.ECONFLICT, "the member's grants were changed at the same time: read them again and retry")
	}
	if err != nil {
		return fmt.Errorf("write grants: %w", err)
	}
	return nil
}

// GetCustomers implements portal.GrantStore with BatchGetItem (100 keys a call).
func (s *Store) GetCustomers(ctx context.Context, scope tenancy.Scope, ids []string) (map[string]portal.Customer, error) {
	out := map[string]portal.Customer{}
	for rest := ids; len(rest) > 0; {
		batch := rest[:min(len(rest), 100)]
		rest = rest[len(batch):]
		keys := make([]map[string]types.AttributeValue, len(batch))
		for i, id := range batch {
			keys[i] = key(tenantPK(scope.PartnerID, id), customerSK)
		}
		req := map[string]types.KeysAndAttributes{s.Table: {Keys: keys, ConsistentRead: aws.Bool(true)}}
		for len(req) > 0 {
			res, err := s.Client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req, ReturnConsumedCapacity: total})
			if err != nil {
				return nil, fmt.Errorf("batch get customers: %w", err)
			}
			var items []customerItem
			if err := attributevalue.UnmarshalListOfMaps(res.Responses[s.Table], &items); err != nil {
				return nil, fmt.Errorf("decode customers: %w", err)
			}
			for _, it := range items {
				if inScope(scope, it.PartnerID, it.TenantID) {
					out[it.TenantID] = it.customer()
				}
			}
			req = res.UnprocessedKeys
		}
	}
	return out, nil
}

// sortIndex is the index whose sort key orders a customer list by sort.
var sortIndex = map[portal.CustomerSort]string{
	portal.SortName: indexByName, portal.SortStatus: indexByStatus, portal.SortPlan: indexByPlan,
	portal.SortLastScanAt: indexByLastScan, portal.SortCreatedAt: indexByCreatedAt,
}

// ListCustomersIn implements portal.GrantStore: the customers ids are read
// with GetCustomers and filtered and ordered in memory exactly as
// ListCustomers orders them through the indexes (ids are bounded by
// portal.MaxGrants). The position is the sort key of the last item returned.
func (s *Store) ListCustomersIn(ctx context.Context, scope tenancy.Scope, ids []string, q portal.CustomerQuery, start portal.Position) ([]portal.Customer, portal.Position, error) {
	if q.Limit < 1 {
		return nil, nil, portal.Errorf(portal.EINVALID, "limit must be at least 1")
	}
	found, err := s.GetCustomers(ctx, scope, ids)
	if err != nil {
		return nil, nil, err
	}
	sk := app.IndexSortKey(sortIndex[q.Sort])
	type row struct {
		key string
		c   portal.Customer
	}
	var rows []row
	for _, c := range found {
		if matches(c, q) {
			rows = append(rows, row{customerIndexKeys(c)[sk], c})
		}
	}
	slices.SortFunc(rows, func(a, b row) int {
		if q.Descending {
			return strings.Compare(b.key, a.key)
		}
		return strings.Compare(a.key, b.key)
	})
	if after, ok := start["after"]; ok {
		i := slices.IndexFunc(rows, func(r row) bool {
			if q.Descending {
				return r.key < after
			}
			return r.key > after
		})
		if i < 0 {
			i = len(rows)
		}
		rows = rows[i:]
	}
	var next portal.Position
	if len(rows) > q.Limit {
		rows = rows[:q.Limit]
		next = portal.Position{"after": rows[len(rows)-1].key}
	}
	out := make([]portal.Customer, len(rows))
	for i, r := range rows {
		out[i] = r.c
	}
	return out, next, nil
}

// matches applies q's filters as the list indexes do: archived customers
// only with status=archived, name prefix case-insensitive, scan bounds strict.
func matches(c portal.Customer, q portal.CustomerQuery) bool {
	switch {
	case (c.Status == portal.StatusArchived) != (q.Status == portal.StatusArchived):
		return false
	case q.Status != "" && c.Status != q.Status:
		return false
	case q.Plan != "" && c.Plan != q.Plan:
		return false
	case !strings.HasPrefix(nameKey(c.Name), nameKey(q.NamePrefix)):
		return false
	}
	scanned := formatTimePtr(c.LastScanAt)
	if q.LastScanAfter != nil && (scanned == "" || scanned <= formatTime(*q.LastScanAfter)) {
		return false
	}
	if q.LastScanBefore != nil && (scanned == "" || scanned >= formatTime(ceilMillis(*q.LastScanBefore))) {
		return false
	}
	return true
}

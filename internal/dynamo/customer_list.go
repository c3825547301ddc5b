package dynamo

import (
	"context"
	"fmt"
	"slices"
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

// maxListRounds bounds the Query calls one page may take when filters cannot
// be expressed as key conditions; the page may then be short, with a cursor.
const maxListRounds = 5

// DefaultReadAhead bounds the items one filtered Query evaluates.
const DefaultReadAhead = 1000

// customerListQuery is a planned Query: the index, its key condition and
// the filters the index key cannot express.
type customerListQuery struct {
	index   string
	keyCond string
	filters []string
	values  map[string]types.AttributeValue
	names   map[string]string
}

// planCustomerList picks the index whose sort key serves q's order and as
// many of its filters as possible, so that most pages are exactly one Query.
func planCustomerList(partnerID string, q portal.CustomerQuery) customerListQuery {
	archived := q.Status == portal.StatusArchived
	p := customerListQuery{
		values: map[string]types.AttributeValue{":pk": str(customerListPK(partnerID, archived))},
		names:  map[string]string{},
	}
	status, plan, name := string(q.Status), string(q.Plan), nameKey(q.NamePrefix)
	if archived {
		status = "" // the partition is the filter
	}
	prefix := ""
	usedStatus, usedPlan, usedName, usedScan := false, false, false, false
	switch q.Sort {
	case portal.SortName:
		switch {
		case status != "":
			p.index, prefix, usedStatus = indexByStatus, status+sep+name, true
		case plan != "":
			p.index, prefix, usedPlan = indexByPlan, plan+sep+name, true
		default:
			p.index, prefix = indexByName, name
		}
		usedName = true
	case portal.SortStatus:
		p.index = indexByStatus
		if status != "" {
			prefix, usedStatus, usedName = status+sep+name, true, true
		}
	case portal.SortPlan:
		p.index = indexByPlan
		if plan != "" {
			prefix, usedPlan, usedName = plan+sep+name, true, true
		}
	case portal.SortLastScanAt:
		p.index, usedScan = indexByLastScan, true
	case portal.SortCreatedAt:
		p.index = indexByCreatedAt
	}
	sk := app.IndexSortKey(p.index)
	p.keyCond = "GSIPK = :pk"
	switch {
	case usedScan && (q.LastScanAfter != nil || q.LastScanBefore != nil):
		low, high := neverScanned+"\x7f", "\x7f"
		if q.LastScanAfter != nil {
			low = formatTime(*q.LastScanAfter) + "\x7f"
		}
		if q.LastScanBefore != nil {
			high = formatTime(ceilMillis(*q.LastScanBefore))
		}
		p.keyCond += " AND " + sk + " BETWEEN :low AND :high"
		p.values[":low"], p.values[":high"] = str(low), str(high)
	case prefix != "":
		p.keyCond += " AND begins_with(" + sk + ", :prefix)"
		p.values[":prefix"] = str(prefix)
	}
	if status != "" && !usedStatus {
		p.filter("#status = :status", "#status", "status", ":status", status)
	}
	if plan != "" && !usedPlan {
		p.filter("#plan = :plan", "#plan", "plan", ":plan", plan)
	}
	if q.NamePrefix != "" && !usedName {
		p.filter("begins_with(nameLower, :q)", "", "", ":q", name)
	}
	if !usedScan && q.LastScanAfter != nil {
		p.filter("lastScanAt > :after", "", "", ":after", formatTime(*q.LastScanAfter))
	}
	if !usedScan && q.LastScanBefore != nil {
		p.filter("lastScanAt < :before", "", "", ":before", formatTime(ceilMillis(*q.LastScanBefore)))
	}
	return p
}

func (p *customerListQuery) filter(expr, name, attr, placeholder, value string) {
	p.filters = append(p.filters, expr)
	if name != "" {
		p.names[name] = attr
	}
	p.values[placeholder] = str(value)
}

// ListCustomers implements portal.CustomerStore. A page is one Query when
// the filters are key conditions of the chosen index, otherwise at most
// maxListRounds. The returned position is the key of the last item returned,
// so pages stay consistent while items change between them.
func (s *Store) ListCustomers(ctx context.Context, scope tenancy.Scope, q portal.CustomerQuery, start portal.Position) ([]portal.Customer, portal.Position, error) {
	if scope.PartnerID == "" || scope.TenantID != "" {
		return nil, nil, portal.Errorf(portal.EFORBIDDEN, "customers are listed per partner")
	}
	if q.Limit < 1 {
		return nil, nil, portal.Errorf(portal.EINVALID, "limit must be at least 1")
	}
	plan := planCustomerList(scope.PartnerID, q)
	in := &dynamodb.QueryInput{
		TableName:                 &s.Table,
		IndexName:                 aws.String(plan.index),
		KeyConditionExpression:    aws.String(plan.keyCond),
		ExpressionAttributeValues: plan.values,
		ScanIndexForward:          aws.Bool(!q.Descending),
		ExclusiveStartKey:         startKey(start),
		ReturnConsumedCapacity:    total,
	}
	if len(plan.filters) > 0 {
		in.FilterExpression = aws.String(strings.Join(plan.filters, " AND "))
	}
	if len(plan.names) > 0 {
		in.ExpressionAttributeNames = plan.names
	}
	sk := app.IndexSortKey(plan.index)
	items := make([]portal.Customer, 0, q.Limit)
	var last map[string]types.AttributeValue // the raw item last returned
	evaluated, matched := 0, 0
	for round := 0; round < maxListRounds; round++ {
		// Ask for one more than needed: it tells whether another page exists.
		// With a filter, read ahead by the match rate seen so far (4x at first).
		want := q.Limit - len(items) + 1
		if len(plan.filters) > 0 {
			rate := 0.25
			if evaluated > 0 {
				rate = max(float64(matched)/float64(evaluated), 0.001)
			}
			want = min(int(float64(want)/rate*1.2)+1, s.readAhead())
		}
		in.Limit = aws.Int32(int32(want))
		res, err := s.Client.Query(ctx, in)
		if err != nil {
			return nil, nil, fmt.Errorf("query customers on %s: %w", plan.index, err)
		}
		evaluated += int(res.ScannedCount)
		matched += int(res.Count)
		for _, raw := range res.Items {
			if len(items) == q.Limit {
				return items, positionOf(last, "GSIPK", sk), nil
			}
			last = raw
			var it customerItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return nil, nil, fmt.Errorf("decode customer: %w", err)
			}
			items = append(items, it.customer())
		}
		if res.LastEvaluatedKey == nil {
			return items, nil, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
	return items, positionOf(in.ExclusiveStartKey, "GSIPK", sk), nil
}

// ceilMillis rounds t up to the millisecond: stored times are milliseconds,
// so "before t" must keep a scan at t's millisecond when t is past it.
func ceilMillis(t time.Time) time.Time {
	m := t.Truncate(time.Millisecond)
	if m.Before(t) {
		m = m.Add(time.Millisecond)
	}
	return m
}

func (s *Store) readAhead() int {
	if s.ReadAhead > 0 {
		return s.ReadAhead
	}
	return DefaultReadAhead
}

// GetCustomers implements portal.GrantStore with BatchGetItem (100 keys a call).
func (s *Store) GetCustomers(ctx context.Context, scope tenancy.Scope, ids []string) (map[string]portal.Customer, error) {
	keys := make([]map[string]types.AttributeValue, len(ids))
	for i, id := range ids {
		keys[i] = key(tenantPK(scope.PartnerID, id), customerSK)
	}
	res, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("batch get customers: %w", err)
	}
	var items []customerItem
	if err := attributevalue.UnmarshalListOfMaps(res, &items); err != nil {
		return nil, fmt.Errorf("decode customers: %w", err)
	}
	out := map[string]portal.Customer{}
	for _, it := range items {
		if inScope(scope, it.PartnerID, it.TenantID) {
			out[it.TenantID] = it.customer()
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

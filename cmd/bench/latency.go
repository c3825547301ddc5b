package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/httpapi"
	"github.com/partnerportal/portal/internal/services"
	"github.com/partnerportal/portal/internal/tenancy"
)

// bench holds what the measurements share.
type bench struct {
	svc   *services.Services
	raw   *dynamodb.Client // the plain SDK client: the floor
	table string
	fx    *fixture
	o     options

	stream *streamKit // the usage-stream handler, its event bus and the stream capture
	weak   *weakSite  // the weak site the scans scan

	marginCalls marginCalls // calls of the margin report, as the floor made them
	consolePage *consolePage
}

// comparison is one side-by-side measurement: the API path against its floor.
type comparison struct {
	Name       string
	API, Floor string // what each side did
	N, Warmup  int
	APIStats   stats
	FloorStats stats
}

// Ratio returns API / floor at percentile p (50, 90 or 99).
func (c comparison) Ratio(p int) float64 {
	return float64(c.APIStats.at(p)) / float64(c.FloorStats.at(p))
}

// stats are latency percentiles of one side.
type stats struct {
	P50, P90, P99, Mean time.Duration
}

func (s stats) at(p int) time.Duration {
	switch p {
	case 50:
		return s.P50
	case 90:
		return s.P90
	}
	return s.P99
}

func statsOf(d []time.Duration) stats {
	s := slices.Clone(d)
	slices.Sort(s)
	pct := func(p float64) time.Duration {
		// nearest rank
		i := int(float64(len(s))*p/100+0.999999) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	var sum time.Duration
	for _, v := range s {
		sum += v
	}
	return stats{P50: pct(50), P90: pct(90), P99: pct(99), Mean: sum / time.Duration(len(s))}
}

// answers200 is one handler request that must answer 200.
func answers200(ctx context.Context, h *httpapi.Handler, ev events.APIGatewayV2HTTPRequest) func() error {
	return func() error {
		res, err := h.Handle(ctx, ev)
		if err == nil && res.StatusCode != 200 {
			err = fmt.Errorf("handler answered %d: %s", res.StatusCode, res.Body)
		}
		return err
	}
}

// sideBySide measures api against floor (interleave) and describes the two
// sides for the report.
func (b *bench) sideBySide(name string, n int, apiDesc, floorDesc string, api, floor func() error) (comparison, error) {
	as, fs, err := b.interleave(name, n, api, floor)
	if err != nil {
		return comparison{}, err
	}
	return comparison{
		Name: name, N: n, Warmup: b.warmups(n), API: apiDesc, Floor: floorDesc,
		APIStats: statsOf(as), FloorStats: statsOf(fs),
	}, nil
}

// warmups returns the warm-up rounds before n measured ones.
func (b *bench) warmups(n int) int { return max(int(float64(n)*b.o.warmup), 10) }

// interleave runs warm-up rounds and then n measured rounds of api and floor,
// alternating which goes first (A,B then B,A) so that drift and noise hit
// both sides alike. Either side failing stops the run.
func (b *bench) interleave(name string, n int, api, floor func() error) ([]time.Duration, []time.Duration, error) {
	warm := b.warmups(n)
	for i := range warm {
		if err := api(); err != nil {
			return nil, nil, fmt.Errorf("%s: warm-up %d, API side: %w", name, i, err)
		}
		if err := floor(); err != nil {
			return nil, nil, fmt.Errorf("%s: warm-up %d, floor side: %w", name, i, err)
		}
	}
	runtime.GC()
	timed := func(f func() error, into *[]time.Duration) error {
		t := time.Now()
		err := f()
		*into = append(*into, time.Since(t))
		return err
	}
	as, fs := make([]time.Duration, 0, n), make([]time.Duration, 0, n)
	for i := range n {
		first, second := func() error { return timed(api, &as) }, func() error { return timed(floor, &fs) }
		if i%2 == 1 {
			first, second = second, first
		}
		if err := first(); err != nil {
			return nil, nil, fmt.Errorf("%s: iteration %d: %w", name, i, err)
		}
		if err := second(); err != nil {
			return nil, nil, fmt.Errorf("%s: iteration %d: %w", name, i, err)
		}
	}
	return as, fs, nil
}

// compare measures every comparison.
func (b *bench) compare(ctx context.Context) ([]comparison, error) {
	if b.o.cpuProfile != "" {
		f, err := os.Create(b.o.cpuProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	var out []comparison
	for _, m := range []func(context.Context) (comparison, error){b.getCustomer, b.listPage, b.consoleListPage, b.authorizer, b.margins} {
		c, err := m(ctx)
		if err != nil {
			return nil, err
		}
		if c.N == 0 {
			continue
		}
		log.Printf("%-14s p50 %8s vs %8s  ratio %.2f   p90 ratio %.2f", c.Name, c.APIStats.P50, c.FloorStats.P50, c.Ratio(50), c.Ratio(90))
		out = append(out, c)
	}
	return out, nil
}

// httpEvent returns an API Gateway HTTP API (payload 2.0) event for routeKey
// as the authorizer leaves it for the function: the identity in the lambda
// authorizer context.
func httpEvent(routeKey, path string, id tenancy.Identity, pathParams, query map[string]string, body string) events.APIGatewayV2HTTPRequest {
	method, _, _ := strings.Cut(routeKey, " ")
	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              routeKey,
		RawPath:               path,
		PathParameters:        pathParams,
		QueryStringParameters: query,
		Headers:               map[string]string{"content-type": "application/json", "user-agent": "bench"},
		Body:                  body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "bench",
			HTTP:      events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path},
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: map[string]any{
				"userId": id.UserID, "role": string(id.Role), "partnerId": id.PartnerID,
				"tenantId": id.TenantID, "keyId": id.KeyID,
			}},
		},
	}
	return ev
}

func (b *bench) handler(name string) *httpapi.Handler {
	h, ok := httpapi.ForFunction(b.svc, name)
	if !ok {
		log.Fatalf("no HTTP handler %q", name)
	}
	return h
}

// getCustomer: the customers handler's GET /v1/customers/{customerId} vs the
// GetItem the store sends for it (internal/dynamo/store.go get: consistent,
// consumed capacity TOTAL).
func (b *bench) getCustomer(ctx context.Context) (comparison, error) {
	h := b.handler("customers")
	id := b.fx.customer
	ev := httpEvent("GET /v1/customers/{customerId}", "/v1/customers/"+id, b.fx.admin, map[string]string{"customerId": id}, nil, "")
	in := &dynamodb.GetItemInput{
		TableName: aws.String(b.table),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "TENANT#" + b.fx.admin.PartnerID + "#" + id},
			"SK": &types.AttributeValueMemberS{Value: "CUSTOMER"},
		},
		ConsistentRead:         aws.Bool(true),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	}
	// Check once that both sides return the same customer.
	res, _ := h.Handle(ctx, ev)
	var body struct{ ID string }
	if res.StatusCode != 200 || json.Unmarshal([]byte(res.Body), &body) != nil || body.ID != id {
		return comparison{}, fmt.Errorf("get-customer: handler answered %d %s", res.StatusCode, res.Body)
	}
	api := answers200(ctx, h, ev)
	floor := func() error {
		out, err := b.raw.GetItem(ctx, in)
		if err == nil && out.Item == nil {
			err = fmt.Errorf("GetItem found no item")
		}
		return err
	}
	n := b.o.getN
	return b.sideBySide("get-customer", n, "customers handler, `GET /v1/customers/{customerId}`",
		"raw `GetItem` of the same item (ConsistentRead, ReturnConsumedCapacity TOTAL)", api, floor)
}

// listPage: GET /v1/customers?limit=50&sort=name vs the Query the store sends
// for it (internal/dynamo/customer_list.go: index GSI1, GSIPK = :pk, forward,
// Limit 51 — one more than the page, to know whether a next page exists).
func (b *bench) listPage(ctx context.Context) (comparison, error) {
	h := b.handler("customers")
	ev := httpEvent("GET /v1/customers", "/v1/customers", b.fx.admin, nil, map[string]string{"limit": "50", "sort": "name"}, "")
	in := &dynamodb.QueryInput{
		TableName:              aws.String(b.table),
		IndexName:              aws.String("GSI1"),
		KeyConditionExpression: aws.String("GSIPK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: "PARTNER#" + b.fx.partner.ID + "#CUSTOMERS"},
		},
		ScanIndexForward:       aws.Bool(true),
		Limit:                  aws.Int32(51),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	}
	// Check once that both sides see the same 50 customers.
	res, _ := h.Handle(ctx, ev)
	var page struct {
		Items      []struct{ ID string }
		NextCursor string
	}
	if res.StatusCode != 200 || json.Unmarshal([]byte(res.Body), &page) != nil {
		return comparison{}, fmt.Errorf("list: handler answered %d %s", res.StatusCode, res.Body)
	}
	q, err := b.raw.Query(ctx, in)
	if err != nil {
		return comparison{}, fmt.Errorf("list: floor query: %w", err)
	}
	if len(page.Items) != 50 || page.NextCursor == "" || len(q.Items) != 51 {
		return comparison{}, fmt.Errorf("list: handler returned %d items (cursor %q), floor %d: need at least 51 customers", len(page.Items), page.NextCursor, len(q.Items))
	}
	for i, it := range page.Items {
		if s, _ := q.Items[i]["tenantId"].(*types.AttributeValueMemberS); s == nil || s.Value != it.ID {
			return comparison{}, fmt.Errorf("list: item %d differs between handler (%s) and floor", i, it.ID)
		}
	}
	api := answers200(ctx, h, ev)
	floor := func() error {
		out, err := b.raw.Query(ctx, in)
		if err == nil && len(out.Items) != 51 {
			err = fmt.Errorf("Query returned %d items", len(out.Items))
		}
		return err
	}
	n := b.o.listN
	return b.sideBySide("list-50", n, "customers handler, `GET /v1/customers?limit=50&sort=name` (first page of "+thousands(b.o.customers)+")",
		"raw `Query` the store sends: GSI1, `GSIPK = :pk`, Limit 51, ReturnConsumedCapacity TOTAL", api, floor)
}

// authorizer: Authorizer.Handle with a valid key vs a raw GetItem of the key
// item. The key's lastUsedAt is written at most once a minute, so a run
// includes one or two of those writes.
func (b *bench) authorizer(ctx context.Context) (comparison, error) {
	n := b.o.authN
	if n <= 0 {
		return comparison{}, nil
	}
	a := httpapi.AuthorizerFor(b.svc)
	ev := events.APIGatewayV2CustomAuthorizerV2Request{
		Version:        "2.0",
		Type:           "REQUEST",
		RouteKey:       "GET /v1/customers/{customerId}",
		IdentitySource: []string{"Bearer " + b.fx.adminKey.Secret},
		Headers:        map[string]string{"authorization": "Bearer " + b.fx.adminKey.Secret},
	}
	in := &dynamodb.GetItemInput{
		TableName: aws.String(b.table),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "APIKEY#" + b.fx.adminKey.ID},
			"SK": &types.AttributeValueMemberS{Value: "APIKEY"},
		},
		ConsistentRead:         aws.Bool(true),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	}
	api := func() error {
		res, err := a.Handle(ctx, ev)
		if err == nil && !res.IsAuthorized {
			err = fmt.Errorf("authorizer denied a valid key")
		}
		return err
	}
	floor := func() error {
		out, err := b.raw.GetItem(ctx, in)
		if err == nil && out.Item == nil {
			err = fmt.Errorf("GetItem found no key item")
		}
		return err
	}
	return b.sideBySide("authorizer", n, "authorizer, valid `Bearer` key",
		"raw `GetItem` of the key item (ConsistentRead, ReturnConsumedCapacity TOTAL)", api, floor)
}

// marginCalls counts the calls of one margin report, by what they read.
type marginCalls struct {
	Licenses int // Query pages of the partner's license partition (GSI1)
	Below    int // Query pages of the plan index below "none" (0: skipped)
	Above    int // Query pages of the plan index above "none" (0: skipped)
	Batches  int // BatchGetItem calls for the names still missing
}

// Total returns the number of round trips.
func (m marginCalls) Total() int { return m.Licenses + m.Below + m.Above + m.Batches }

// marginRun is what one run of the margin report's floor did and read.
type marginRun struct {
	Calls     []dynamo.Call // every call with the capacity DynamoDB reported, in order
	Count     marginCalls
	Licenses  int // license items read
	Customers int // distinct customers of those licenses
	Names     int // of those, the ones whose name was found
}

// marginUntil returns the bound of the margin report's license Query for
// the current month (the first instant of the next month, as
// internal/dynamo's timeLayout writes it) and the period.
func (b *bench) marginUntil() (period, until string, err error) {
	period = b.svc.Clock().Format("2006-01")
	from, err := time.Parse("2006-01", period)
	if err != nil {
		return "", "", err
	}
	return period, from.AddDate(0, 1, 0).UTC().Format("2006-01-02T15:04:05.000Z"), nil
}

// marginFloor sends, with the plain SDK client, exactly the calls the store
// makes for one margin report of partnerID, every page, in the same order
// (internal/dynamo/license.go):
//
//  1. ListPartnerLicenses: GSI1, GSIPK = PARTNER#<id>#LICENSES AND
//     GSI1SK < until;
//  2. CustomerNames of the customers of those licenses: GSI3 (the plan
//     index) of the partner's active customer partition PARTNER#<id>#CUSTOMERS
//     with GSI3SK < "none␟", then with GSI3SK > "none␟\U0010FFFF" (every plan
//     but "none"), projecting tenantId and name; each Query is skipped once no
//     name is missing;
//  3. BatchGetItem of the customer items whose names are still missing
//     (archived customers, customers whose licenses were all revoked), 100
//     keys a call, projecting tenantId, partnerId and name, again for any
//     UnprocessedKeys.
//
// It decodes nothing but the tenantId (and, in BatchGetItem answers, the
// partnerId) of each item: which names to read, and which were found. The
// store asks for the customers with a license counting in the month, the
// floor for the customers of every license the Query returns; those are the
// same when no license ended or was revoked before the month, as in the
// bench's data, and the callers check that both sides made the same calls.
func (b *bench) marginFloor(ctx context.Context, partnerID, until string) (marginRun, error) {
	var run marginRun
	record := func(op string, cc ...types.ConsumedCapacity) {
		t := 0.0
		for _, c := range cc {
			t += aws.ToFloat64(c.CapacityUnits)
		}
		run.Calls = append(run.Calls, dynamo.Call{Operation: op, Capacity: t})
	}
	attr := func(item map[string]types.AttributeValue, name string) string {
		if s, ok := item[name].(*types.AttributeValueMemberS); ok {
			return s.Value
		}
		return ""
	}
	var ids []string             // customers of the licenses, in the order first seen
	missing := map[string]bool{} // of those, the ones without a name yet
	p := dynamodb.NewQueryPaginator(b.raw, &dynamodb.QueryInput{
		TableName:              aws.String(b.table),
		IndexName:              aws.String("GSI1"),
		KeyConditionExpression: aws.String("GSIPK = :pk AND GSI1SK < :until"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":    &types.AttributeValueMemberS{Value: "PARTNER#" + partnerID + "#LICENSES"},
			":until": &types.AttributeValueMemberS{Value: until},
		},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return run, fmt.Errorf("licenses: %w", err)
		}
		record("Query", deref(out.ConsumedCapacity)...)
		run.Count.Licenses++
		run.Licenses += len(out.Items)
		for _, it := range out.Items {
			if id := attr(it, "tenantId"); !missing[id] {
				missing[id] = true
				ids = append(ids, id)
			}
		}
	}
	const none = "none\x1f" // portal.PlanNone + internal/dynamo's sep
	for _, q := range []struct {
		cond, value string
		pages       *int
	}{
		{"GSI3SK < :v", none, &run.Count.Below},
		{"GSI3SK > :v", none + "\U0010FFFF", &run.Count.Above},
	} {
		if len(missing) == 0 {
			break
		}
		p := dynamodb.NewQueryPaginator(b.raw, &dynamodb.QueryInput{
			TableName:              aws.String(b.table),
			IndexName:              aws.String("GSI3"),
			KeyConditionExpression: aws.String("GSIPK = :pk AND " + q.cond),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": &types.AttributeValueMemberS{Value: "PARTNER#" + partnerID + "#CUSTOMERS"},
				":v":  &types.AttributeValueMemberS{Value: q.value},
			},
			ProjectionExpression:     aws.String("tenantId, #name"),
			ExpressionAttributeNames: map[string]string{"#name": "name"},
			ReturnConsumedCapacity:   types.ReturnConsumedCapacityTotal,
		})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return run, fmt.Errorf("names: %w", err)
			}
			record("Query", deref(out.ConsumedCapacity)...)
			*q.pages++
			for _, it := range out.Items {
				delete(missing, attr(it, "tenantId"))
			}
		}
	}
	var rest []string
	for _, id := range ids {
		if missing[id] {
			rest = append(rest, id)
		}
	}
	for len(rest) > 0 {
		batch := rest[:min(len(rest), 100)]
		rest = rest[len(batch):]
		keys := make([]map[string]types.AttributeValue, len(batch))
		for i, id := range batch {
			keys[i] = map[string]types.AttributeValue{
				"PK": &types.AttributeValueMemberS{Value: "TENANT#" + partnerID + "#" + id},
				"SK": &types.AttributeValueMemberS{Value: "CUSTOMER"},
			}
		}
		req := map[string]types.KeysAndAttributes{b.table: {
			Keys: keys, ProjectionExpression: aws.String("tenantId, partnerId, #name"),
			ExpressionAttributeNames: map[string]string{"#name": "name"},
		}}
		for len(req) > 0 {
			out, err := b.raw.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
			if err != nil {
				return run, fmt.Errorf("batch get names: %w", err)
			}
			record("BatchGetItem", out.ConsumedCapacity...)
			run.Count.Batches++
			for _, it := range out.Responses[b.table] {
				if attr(it, "partnerId") == partnerID {
					delete(missing, attr(it, "tenantId"))
				}
			}
			req = out.UnprocessedKeys
		}
	}
	run.Customers, run.Names = len(ids), len(ids)-len(missing)
	return run, nil
}

func deref(c *types.ConsumedCapacity) []types.ConsumedCapacity {
	if c == nil {
		return nil
	}
	return []types.ConsumedCapacity{*c}
}

// sameCalls reports whether the handler (measured with dynamo.WithMeter)
// and the floor made the same calls with the same consumed capacity.
func sameCalls(api, floor []dynamo.Call) error {
	if !slices.Equal(api, floor) {
		return fmt.Errorf("the handler made %s, the floor %s", callList(api), callList(floor))
	}
	return nil
}

func callList(cs []dynamo.Call) string {
	if len(cs) == 0 {
		return "no calls"
	}
	return routeCost{Calls: cs}.Operations()
}

// describe names the floor's calls for the comparison table.
func (m marginCalls) describe() string {
	s := fmt.Sprintf("GSI1 `GSIPK = :licenses AND GSI1SK < :until` (%s), then for the names GSI3 `GSIPK = :customers AND GSI3SK < :none` (%s) and `AND GSI3SK > :noneEnd` (%s) projecting `tenantId, name`",
		plural(m.Licenses, "page"), skipped(m.Below), skipped(m.Above))
	if m.Batches > 0 {
		s += fmt.Sprintf(", then `BatchGetItem` of the names still missing (%s)", plural(m.Batches, "call"))
	} else {
		s += " (no `BatchGetItem`: every name was found)"
	}
	return s
}

// skipped returns "2 pages", or "skipped" for none.
func skipped(pages int) string {
	if pages == 0 {
		return "skipped"
	}
	return plural(pages, "page")
}

// margins: the billing handler's GET /v1/margins over the licensed partner
// vs the calls the store makes for it (marginFloor). Before measuring it
// checks that both sides made the same calls with the same capacity and
// saw the same licenses and customers.
func (b *bench) margins(ctx context.Context) (comparison, error) {
	n := b.o.marginsN
	if n <= 0 || b.o.licensed <= 0 {
		return comparison{}, nil
	}
	h := b.handler("billing")
	period, until, err := b.marginUntil()
	if err != nil {
		return comparison{}, err
	}
	ev := httpEvent("GET /v1/margins", "/v1/margins", b.fx.licensedAdmin, nil, map[string]string{"period": period}, "")
	ev.RawQueryString = "period=" + period
	pid := b.fx.licensed.ID
	// Check once that both sides make the same calls and see the same
	// licenses and customers.
	mctx, m := dynamo.WithMeter(ctx)
	res, _ := h.Handle(mctx, ev)
	var rep struct {
		Customers []struct {
			CustomerName string
			Licenses     int
		}
	}
	if res.StatusCode != 200 || json.Unmarshal([]byte(res.Body), &rep) != nil {
		return comparison{}, fmt.Errorf("margins: handler answered %d %.300s", res.StatusCode, res.Body)
	}
	licenses, named := 0, 0
	for _, c := range rep.Customers {
		licenses += c.Licenses
		if c.CustomerName != "" {
			named++
		}
	}
	run, err := b.marginFloor(ctx, pid, until)
	if err != nil {
		return comparison{}, fmt.Errorf("margins: floor: %w", err)
	}
	if err := sameCalls(m.Calls(), run.Calls); err != nil {
		return comparison{}, fmt.Errorf("margins: %w", err)
	}
	if len(rep.Customers) != b.o.licensed || named != b.o.licensed || licenses != b.fx.licenses ||
		run.Licenses != b.fx.licenses || run.Customers != b.o.licensed || run.Names != b.o.licensed {
		return comparison{}, fmt.Errorf("margins: handler reports %d customers (%d named) with %d licenses, floor read %d licenses of %d customers and %d names; seeded %d customers with %d licenses",
			len(rep.Customers), named, licenses, run.Licenses, run.Customers, run.Names, b.o.licensed, b.fx.licenses)
	}
	log.Printf("margins: floor calls: %d pages of licenses, %d+%d pages of names, %d BatchGetItem", run.Count.Licenses, run.Count.Below, run.Count.Above, run.Count.Batches)
	b.marginCalls = run.Count
	api := func() error {
		res, err := h.Handle(ctx, ev)
		if err == nil && res.StatusCode != 200 {
			err = fmt.Errorf("handler answered %d: %.300s", res.StatusCode, res.Body)
		}
		return err
	}
	floor := func() error {
		_, err := b.marginFloor(ctx, pid, until)
		return err
	}
	return b.sideBySide("margins", n, fmt.Sprintf("billing handler, `GET /v1/margins` (%s customers, %s licenses)", thousands(b.o.licensed), thousands(b.fx.licenses)),
		"the raw calls the store makes, every page: "+run.Count.describe()+"; ReturnConsumedCapacity TOTAL", api, floor)
}

// plural returns "1 page", "2 pages".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

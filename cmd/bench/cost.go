package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/devserver"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/httpapi"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// routeCost is what one request of a route cost in DynamoDB.
type routeCost struct {
	Function string
	Route    string // route key, or "authorizer"
	Variant  string // what is special about this request
	Status   int
	Items    int // items of a list page; -1 for other responses
	Calls    []dynamo.Call
}

// RoundTrips returns the number of DynamoDB calls.
func (r routeCost) RoundTrips() int { return len(r.Calls) }

// Capacity returns the capacity units DynamoDB reported.
func (r routeCost) Capacity() float64 {
	t := 0.0
	for _, c := range r.Calls {
		t += c.Capacity
	}
	return t
}

// Operations lists the calls, e.g. "GetItem 1 + PutItem 1"; a run of
// more than three identical calls is one entry, "PutItem 1 ×27".
func (r routeCost) Operations() string {
	var parts []string
	for i := 0; i < len(r.Calls); {
		c, n := r.Calls[i], 1
		for i+n < len(r.Calls) && r.Calls[i+n] == c {
			n++
		}
		part := fmt.Sprintf("%s %s", c.Operation, fmtCU(c.Capacity))
		if n > 3 {
			parts, i = append(parts, fmt.Sprintf("%s ×%d", part, n)), i+n
			continue
		}
		parts, i = append(parts, part), i+1
	}
	return strings.Join(parts, " + ")
}

func fmtCU(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}

// caller sends one request to a function's handler under its own
// dynamo.WithMeter, records its cost and returns the decoded body; a status
// other than want is an error.
type caller func(function string, want int, variant string, ev events.APIGatewayV2HTTPRequest) (map[string]any, error)

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// get returns a request without a body; rawQuery is its query string.
func get(routeKey, path string, id tenancy.Identity, params map[string]string, rawQuery string) events.APIGatewayV2HTTPRequest {
	q := map[string]string{}
	vals, _ := url.ParseQuery(rawQuery)
	for k := range vals {
		q[k] = vals.Get(k)
	}
	if len(q) == 0 {
		q = nil
	}
	ev := httpEvent(routeKey, path, id, params, q, "")
	ev.RawQueryString = rawQuery
	return ev
}

// post returns a request with a JSON body (any method with a body).
func post(routeKey, path string, id tenancy.Identity, params map[string]string, body string) events.APIGatewayV2HTTPRequest {
	return httpEvent(routeKey, path, id, params, nil, body)
}

// costs sends one request of every route it can exercise sensibly, each
// under its own dynamo.WithMeter, and checks that each succeeded.
func (b *bench) costs(ctx context.Context) ([]routeCost, error) {
	var out []routeCost
	var call caller = func(function string, want int, variant string, ev events.APIGatewayV2HTTPRequest) (map[string]any, error) {
		mctx, m := dynamo.WithMeter(ctx)
		res, err := b.handler(function).Handle(mctx, ev)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ev.RouteKey, err)
		}
		if res.StatusCode != want {
			return nil, fmt.Errorf("%s (%s): status %d, want %d: %s", ev.RouteKey, variant, res.StatusCode, want, res.Body)
		}
		var body map[string]any
		if res.Body != "" {
			json.Unmarshal([]byte(res.Body), &body)
		}
		items := -1
		if list, ok := body["items"].([]any); ok {
			items = len(list)
		}
		out = append(out, routeCost{Function: function, Route: ev.RouteKey, Variant: variant, Status: res.StatusCode, Items: items, Calls: m.Calls()})
		return body, nil
	}
	admin, super := b.fx.admin, b.fx.superAdmin

	// partners
	if _, err := call("partners", 201, "super_admin", post("POST /v1/partners", "/v1/partners", super, nil,
		`{"name":"Cost MSSP","contactEmail":"admin@cost-mssp.test","country":"FR"}`)); err != nil {
		return nil, err
	}

	// users and API keys
	u, err := call("users", 201, "partner_member by partner_admin", post("POST /v1/users", "/v1/users", admin, nil,
		`{"email":"member@bench-mssp.test","name":"Bench member","role":"partner_member"}`))
	if err != nil {
		return nil, err
	}
	userID := str(u, "id")
	if _, err := call("users", 200, "partner_admin (its 2 users)", get("GET /v1/users", "/v1/users", admin, nil, "")); err != nil {
		return nil, err
	}
	k, err := call("users", 201, "for a partner_member", post("POST /v1/users/{userId}/api-keys", "/v1/users/"+userID+"/api-keys",
		admin, map[string]string{"userId": userID}, `{"name":"cost"}`))
	if err != nil {
		return nil, err
	}
	keyID, secret := str(k, "id"), str(k, "key")
	authorize := func(variant string) error {
		mctx, m := dynamo.WithMeter(ctx)
		res, err := httpapi.AuthorizerFor(b.svc).Handle(mctx, events.APIGatewayV2CustomAuthorizerV2Request{
			Type: "REQUEST", IdentitySource: []string{"Bearer " + secret},
			Headers: map[string]string{"authorization": "Bearer " + secret},
		})
		if err != nil || !res.IsAuthorized {
			return fmt.Errorf("authorizer (%s): authorized=%v, %v", variant, res.IsAuthorized, err)
		}
		out = append(out, routeCost{Function: "authorizer", Route: "authorizer", Variant: variant, Status: 200, Items: -1, Calls: m.Calls()})
		return nil
	}
	if err := authorize("first use in a minute (records lastUsedAt)"); err != nil {
		return nil, err
	}
	if err := authorize("used again within the minute"); err != nil {
		return nil, err
	}
	if _, err := call("users", 204, "partner_admin revokes a member's key", httpEvent("DELETE /v1/api-keys/{keyId}", "/v1/api-keys/"+keyID,
		admin, map[string]string{"keyId": keyID}, nil, "")); err != nil {
		return nil, err
	}

	// customers: the lifecycle of one new customer
	create := `{"name":"Cost Check Bakery GmbH","contactEmail":"it@cost-check.example","timezone":"Europe/Berlin","country":"DE","tags":["eu","pilot"]}`
	c, err := call("customers", 201, "", post("POST /v1/customers", "/v1/customers", admin, nil, create))
	if err != nil {
		return nil, err
	}
	id := str(c, "id")
	idem := post("POST /v1/customers", "/v1/customers", admin, nil, strings.Replace(create, "Cost Check", "Idempotent", 1))
	idem.Headers["idempotency-key"] = "bench-" + id
	if _, err := call("customers", 201, "with Idempotency-Key, first", idem); err != nil {
		return nil, err
	}
	if _, err := call("customers", 201, "with Idempotency-Key, replayed", idem); err != nil {
		return nil, err
	}
	one := map[string]string{"customerId": id}
	path := "/v1/customers/" + id
	if _, err := call("customers", 200, "", get("GET /v1/customers/{customerId}", path, admin, one, "")); err != nil {
		return nil, err
	}
	if _, err := call("customers", 200, "rename", post("PATCH /v1/customers/{customerId}", path, admin, one, `{"name":"Cost Check Patisserie GmbH"}`)); err != nil {
		return nil, err
	}
	if _, err := call("customers", 200, "", post("POST /v1/customers/{customerId}/suspend", path+"/suspend", admin, one, "")); err != nil {
		return nil, err
	}
	if _, err := call("customers", 200, "", post("POST /v1/customers/{customerId}/resume", path+"/resume", admin, one, "")); err != nil {
		return nil, err
	}
	if _, err := call("customers", 200, "archive", httpEvent("DELETE /v1/customers/{customerId}", path, admin, one, nil, "")); err != nil {
		return nil, err
	}

	// customer list pages over the seeded 10,000
	lists := []struct{ query, variant string }{
		{"", "defaults (25, sort=name)"},
		{"limit=50&sort=name", "page 1 of 50"},
		{"cursor", "page 2 of 50 (cursor)"},
		{"limit=50&sort=name&status=trial", "status filter as key condition (GSI2 prefix)"},
		{"limit=50&q=summit", "name search as key condition (GSI1 prefix)"},
		{"limit=50&sort=-createdAt", "newest first"},
		{"limit=50&sort=createdAt&status=trial", "status on createdAt order: non-key filter (1 in 10 match)"},
		{"limit=25&sort=createdAt&q=summit", "name search on createdAt order: non-key filter (1 in 26 match)"},
	}
	var cursor string
	for _, l := range lists {
		q := l.query
		if q == "cursor" {
			q = "limit=50&sort=name&cursor=" + url.QueryEscape(cursor)
		}
		page, err := call("customers", 200, l.variant, get("GET /v1/customers", "/v1/customers", admin, nil, q))
		if err != nil {
			return nil, err
		}
		if q == "limit=50&sort=name" {
			if cursor = str(page, "nextCursor"); cursor == "" {
				return nil, fmt.Errorf("list page 1 has no nextCursor")
			}
		}
	}

	last := func() routeCost { return out[len(out)-1] }
	if err := b.licensingCosts(ctx, call, last, admin, super); err != nil {
		return nil, err
	}
	if err := b.assetCosts(ctx, call, admin); err != nil {
		return nil, err
	}
	if err := b.scanCosts(ctx, call, func(c routeCost) { out = append(out, c) }, admin); err != nil {
		return nil, err
	}
	return out, nil
}

// licensingCosts adds the rows of pricing, pre-paid pools, licenses and
// the margin report. The seed set pricing version 1; this sets version 2
// with the same body. last returns the row call recorded last.
func (b *bench) licensingCosts(ctx context.Context, call caller, last func() routeCost, admin, super tenancy.Identity) error {
	pricing, err := json.Marshal(devserver.DemoPricing())
	if err != nil {
		return err
	}
	if _, err := call("billing", 200, "super_admin, a new version (body of devserver.DemoPricing)",
		post("PUT /v1/settings/pricing", "/v1/settings/pricing", super, nil, string(pricing))); err != nil {
		return err
	}
	if _, err := call("billing", 200, "partner_admin", get("GET /v1/settings/pricing", "/v1/settings/pricing", admin, nil, "")); err != nil {
		return err
	}
	pool, err := call("billing", 201, "500 per-asset units (20 % tier)", post("POST /v1/prepaid", "/v1/prepaid", admin, nil,
		`{"model":"per_asset","units":500,"billingPeriod":"monthly"}`))
	if err != nil {
		return err
	}
	if _, err := call("billing", 200, "the partner's 1 pool", get("GET /v1/prepaid", "/v1/prepaid", admin, nil, "")); err != nil {
		return err
	}

	// a customer created with its licenses, in one transaction
	one, err := call("customers", 201, "with 1 license", post("POST /v1/customers", "/v1/customers", admin, nil,
		`{"name":"Licensed Bakery GmbH","contactEmail":"it@licensed-bakery.example","timezone":"Europe/Berlin","country":"DE",`+
			`"licenses":[{"model":"per_asset","quantity":50,"endUserPrice":{"amount":17500,"currency":"EUR"}}]}`))
	if err != nil {
		return err
	}
	three, err := call("customers", 201, "with 3 licenses, one pre-paid from a pool", post("POST /v1/customers", "/v1/customers", admin, nil,
		`{"name":"Licensed Clinic AG","contactEmail":"it@licensed-clinic.example","timezone":"Europe/Zurich","country":"CH",`+
			`"licenses":[{"model":"per_asset","quantity":40,"prepaid":true,"endUserPrice":{"amount":14000,"currency":"EUR"}},`+
			`{"model":"per_scan","quantity":120,"billingPeriod":"annual","endUserPrice":{"amount":84000,"currency":"EUR"}},`+
			`{"model":"unlimited","endUserPrice":{"amount":75000,"currency":"EUR"}}]}`))
	if err != nil {
		return err
	}
	if ls, _ := three["licenses"].([]any); len(ls) != 3 {
		return fmt.Errorf("create with 3 licenses returned %d licenses", len(ls))
	} else if l, _ := ls[0].(map[string]any); str(l, "prepaidPoolId") != str(pool, "id") {
		return fmt.Errorf("the pre-paid license drew from pool %q, not %q", str(l, "prepaidPoolId"), str(pool, "id"))
	}

	// the lifecycle of one more license of the one-license customer
	cid := str(one, "id")
	params := map[string]string{"customerId": cid}
	path := "/v1/customers/" + cid + "/licenses"
	l, err := call("licenses", 201, "per-scan, monthly, to a customer with 1 license", post("POST /v1/customers/{customerId}/licenses", path, admin, params,
		`{"model":"per_scan","quantity":100,"endUserPrice":{"amount":70000,"currency":"EUR"}}`))
	if err != nil {
		return err
	}
	lid := str(l, "id")
	lparams := map[string]string{"customerId": cid, "licenseId": lid}
	lpath := path + "/" + lid
	if _, err := call("licenses", 200, "price change", post("PATCH /v1/customers/{customerId}/licenses/{licenseId}", lpath, admin, lparams,
		`{"endUserPrice":{"amount":65000,"currency":"EUR"}}`)); err != nil {
		return err
	}
	if _, err := call("licenses", 200, "quantity change", post("PATCH /v1/customers/{customerId}/licenses/{licenseId}", lpath, admin, lparams,
		`{"quantity":150}`)); err != nil {
		return err
	}
	if _, err := call("licenses", 200, "revoke (the customer's plan changes too)", httpEvent("DELETE /v1/customers/{customerId}/licenses/{licenseId}", lpath,
		admin, lparams, nil, "")); err != nil {
		return err
	}
	tid := str(three, "id")
	if _, err := call("licenses", 200, "a customer with 3 licenses", get("GET /v1/customers/{customerId}/licenses", "/v1/customers/"+tid+"/licenses",
		admin, map[string]string{"customerId": tid}, "")); err != nil {
		return err
	}

	// the margin report; each row is checked against the floor's calls
	// (marginFloor), the last one with a licensed customer archived, whose
	// name only the BatchGetItem fallback finds
	_, until, err := b.marginUntil()
	if err != nil {
		return err
	}
	report := func(variant string, who tenancy.Identity, customers int, wantBatch bool) error {
		rep, err := call("billing", 200, variant, get("GET /v1/margins", "/v1/margins", who, nil, ""))
		if err != nil {
			return err
		}
		cs, _ := rep["customers"].([]any)
		named := 0
		for _, c := range cs {
			if m, _ := c.(map[string]any); str(m, "customerName") != "" {
				named++
			}
		}
		if len(cs) != customers || named != customers {
			return fmt.Errorf("margin report (%s) lists %d customers, %d of them named; want %d, all named", variant, len(cs), named, customers)
		}
		run, err := b.marginFloor(ctx, who.PartnerID, until)
		if err != nil {
			return fmt.Errorf("margin report (%s): floor: %w", variant, err)
		}
		if err := sameCalls(last().Calls, run.Calls); err != nil {
			return fmt.Errorf("margin report (%s): %w", variant, err)
		}
		if (run.Count.Batches > 0) != wantBatch {
			return fmt.Errorf("margin report (%s): %d BatchGetItem calls", variant, run.Count.Batches)
		}
		return nil
	}
	if err := report(fmt.Sprintf("%s customers with %s licenses (one or two each), this month", thousands(b.o.licensed), thousands(b.fx.licenses)),
		b.fx.licensedAdmin, b.o.licensed, false); err != nil {
		return err
	}
	if err := report(fmt.Sprintf("partner with %s customers, 2 of them licensed", thousands(b.o.customers)), admin, 2, false); err != nil {
		return err
	}
	if _, err := b.svc.Customers.Archive(tenancy.WithIdentity(ctx, admin), cid); err != nil {
		return fmt.Errorf("archive the licensed customer %s: %w", cid, err)
	}
	return report("same partner, one of the 2 archived (its name by BatchGetItem)", admin, 2, true)
}

// assetCosts adds the rows of assets, usage and alerts, on a new customer
// of the measured partner with a per-asset license for 50 assets (soft
// limit): one asset is added, then 49 in one request (50 of 50: the 90 %
// and 100 % alerts), the first one again (a duplicate), the first page is
// listed and one asset deleted. The usage stream then handles what the
// table's stream delivered (the counter records, then the alert records
// they wrote), so that the usage has a ledger and the alerts exist, before
// the usage and the alerts are read and one alert acknowledged.
func (b *bench) assetCosts(ctx context.Context, call caller, admin tenancy.Identity) error {
	if b.stream == nil {
		return fmt.Errorf("asset costs: the usage stream is not started")
	}
	amount := int64(17500)
	c, _, err := b.svc.Customers.CreateWithLicenses(tenancy.WithIdentity(ctx, admin), portal.CustomerInput{
		Name: ptr("Asset Cost GmbH"), ContactEmail: ptr("it@asset-cost.example"), Timezone: ptr("Europe/Berlin"), Country: ptr("DE"),
		Licenses: &[]portal.LicenseInput{{Model: ptr(portal.ModelPerAsset), Quantity: ptr(int64(50)),
			EndUserPrice: &portal.MoneyInput{Amount: &amount, Currency: ptr("EUR")}}},
	})
	if err != nil {
		return fmt.Errorf("asset costs: customer: %w", err)
	}
	cid := c.ID
	params := map[string]string{"customerId": cid}
	path := "/v1/customers/" + cid + "/assets"
	values := func(format string, n int) string {
		vs := make([]string, n)
		for i := range vs {
			vs[i] = fmt.Sprintf(`"`+format+`"`, i)
		}
		return `{"assets":[` + strings.Join(vs, ",") + `]}`
	}
	one := values("www.asset-cost.com%.0d", 1)
	first, err := call("assets", 201, "1 value", post("POST /v1/customers/{customerId}/assets", path, admin, params, one))
	if err != nil {
		return err
	}
	if _, err := call("assets", 201, "49 values (50 of the license's 50)", post("POST /v1/customers/{customerId}/assets", path, admin, params,
		values("host%02d.asset-cost.com", 49))); err != nil {
		return err
	}
	dup, err := call("assets", 200, "the 1 value again: a duplicate, nothing written", post("POST /v1/customers/{customerId}/assets", path, admin, params, one))
	if err != nil {
		return err
	}
	if n, _ := dup["duplicate"].(float64); n != 1 {
		return fmt.Errorf("asset costs: the repeated value was not a duplicate: %v", dup)
	}
	if _, err := call("assets", 200, "first page (default limit) of 50", get("GET /v1/customers/{customerId}/assets", path, admin, params, "")); err != nil {
		return err
	}
	results, _ := first["results"].([]any)
	var aid string
	if len(results) == 1 {
		r, _ := results[0].(map[string]any)
		a, _ := r["asset"].(map[string]any)
		aid = str(a, "id")
	}
	if aid == "" {
		return fmt.Errorf("asset costs: the first add returned no asset: %v", first)
	}
	if _, err := call("assets", 204, "", httpEvent("DELETE /v1/customers/{customerId}/assets/{assetId}", path+"/"+aid, admin,
		map[string]string{"customerId": cid, "assetId": aid}, nil, "")); err != nil {
		return err
	}

	if err := b.handleCaptured(ctx, 2); err != nil {
		return fmt.Errorf("asset costs: %w", err)
	}
	usage, err := call("usage", 200, "one per-asset license, 49 assets, its ledger period", get("GET /v1/customers/{customerId}/usage",
		"/v1/customers/"+cid+"/usage", admin, params, ""))
	if err != nil {
		return err
	}
	if n, _ := usage["assetsInUse"].(float64); n != 49 {
		return fmt.Errorf("asset costs: usage reports %v assets in use, want 49", usage["assetsInUse"])
	}
	alerts, err := call("usage", 200, "partner_admin, the partner's alerts, newest first", get("GET /v1/alerts", "/v1/alerts", admin, nil, ""))
	if err != nil {
		return err
	}
	var alertID string
	items, _ := alerts["items"].([]any)
	for _, it := range items {
		if a, _ := it.(map[string]any); str(a, "customerId") == cid && alertID == "" {
			alertID = str(a, "id")
		}
	}
	if alertID == "" {
		return fmt.Errorf("asset costs: the usage stream raised no alert for %s: %v", cid, alerts)
	}
	_, err = call("usage", 200, "partner_admin", post("POST /v1/alerts/{alertId}/ack", "/v1/alerts/"+alertID+"/ack", admin,
		map[string]string{"alertId": alertID}, ""))
	return err
}

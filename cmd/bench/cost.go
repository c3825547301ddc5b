package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/dynamo"
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

// Operations lists the calls, e.g. "GetItem 1 + PutItem 1".
func (r routeCost) Operations() string {
	parts := make([]string, len(r.Calls))
	for i, c := range r.Calls {
		parts[i] = fmt.Sprintf("%s %s", c.Operation, fmtCU(c.Capacity))
	}
	return strings.Join(parts, " + ")
}

func fmtCU(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}

// costs sends one request of every route it can exercise sensibly, each
// under its own dynamo.WithMeter, and checks that each succeeded.
func (b *bench) costs(ctx context.Context) ([]routeCost, error) {
	var out []routeCost
	call := func(function string, want int, variant string, ev events.APIGatewayV2HTTPRequest) (map[string]any, error) {
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
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	admin, super := b.fx.admin, b.fx.superAdmin
	get := func(routeKey, path string, id tenancy.Identity, params map[string]string, rawQuery string) events.APIGatewayV2HTTPRequest {
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
	post := func(routeKey, path string, id tenancy.Identity, params map[string]string, body string) events.APIGatewayV2HTTPRequest {
		return httpEvent(routeKey, path, id, params, nil, body)
	}

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
		res, err := b.svc.Authorizer().Handle(mctx, events.APIGatewayV2CustomAuthorizerV2Request{
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
	return out, nil
}

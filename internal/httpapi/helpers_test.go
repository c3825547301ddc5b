package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/services"
	"github.com/partnerportal/portal/internal/tenancy"
)

// The handlers run on the domain services on the DynamoDB store against
// DynamoDB Local (see internal/ddbtest): one table per test function, shared
// by its subtests. This file also builds API Gateway HTTP API (v2) events.

// TestMain stops the DynamoDB Local the tests started, if any.
func TestMain(m *testing.M) { ddbtest.Main(m) }

// fixture is the API of one test function: the handlers of the customers,
// users and partners functions and the authorizer, on the services on a
// fresh table, with the test clock and predictable IDs. The table starts
// with partner A and its admin, ddbtest.AdminA. The handlers log into logs.
type fixture struct {
	store      *dynamo.Store
	ids        *ddbtest.SeqIDs
	keys       *portal.APIKeyService
	sessions   *portal.SessionService
	customers  *Handler
	users      *Handler
	partners   *Handler
	authorizer *Authorizer
	logs       *bytes.Buffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	store := ddbtest.NewStore(t)
	ids := &ddbtest.SeqIDs{}
	s := services.New(store, ddbtest.Secret, ddbtest.Clock, ids)
	handler := func(name string) *Handler { h, _ := ForFunction(s, name); return h }
	f := &fixture{
		store:      store,
		ids:        ids,
		keys:       s.APIKeys,
		sessions:   s.Sessions,
		customers:  handler("customers"),
		users:      handler("users"),
		partners:   handler("partners"),
		authorizer: AuthorizerFor(s),
		logs:       &bytes.Buffer{},
	}
	for _, h := range []*Handler{f.customers, f.users, f.partners} {
		h.log = slog.New(slog.NewJSONHandler(f.logs, nil))
	}
	f.authorizer.log = slog.New(slog.NewJSONHandler(f.logs, nil))
	ctx := context.Background()
	must(t, store.CreatePartner(ctx, portal.Partner{ID: ddbtest.PartnerA, Name: "Partner A", ContactEmail: "ops@a.example", Status: "active", CreatedAt: ddbtest.Now, UpdatedAt: ddbtest.Now, Version: 1}))
	must(t, store.CreateUser(ctx, portal.User{ID: ddbtest.AdminA.UserID, Email: "admin@a.example", Role: ddbtest.AdminA.Role, PartnerID: ddbtest.PartnerA, Status: "active", CreatedAt: ddbtest.Now, UpdatedAt: ddbtest.Now, Version: 1}))
	return f
}

// newAdmin returns the admin of a partner of its own: everything the test
// creates as it is all that partner has, and its Idempotency-Keys are its own.
func (f *fixture) newAdmin() *tenancy.Identity {
	return &tenancy.Identity{UserID: f.ids.New(portal.PrefixUser), Role: tenancy.RolePartnerAdmin, PartnerID: f.ids.New(portal.PrefixPartner)}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// quiet sends h's log to a buffer, returned for inspection.
func quiet(h *Handler) *bytes.Buffer {
	var buf bytes.Buffer
	h.log = slog.New(slog.NewJSONHandler(&buf, nil))
	return &buf
}

// event builds an HTTP API v2 event for routeKey ("POST /v1/customers"),
// with the concrete path, the authorizer's identity (nil for none), and body.
func event(routeKey, path string, id *tenancy.Identity, body string) events.APIGatewayV2HTTPRequest {
	method, _, _ := strings.Cut(routeKey, " ")
	ev := events.APIGatewayV2HTTPRequest{
		Version:  "2.0",
		RouteKey: routeKey,
		RawPath:  path,
		Headers:  map[string]string{"content-type": "application/json"},
		Body:     body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:  routeKey,
			RequestID: "req-" + strings.ReplaceAll(strings.Trim(path, "/"), "/", "-"),
			HTTP:      events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path},
		},
	}
	if tmplParts, pathParts := strings.Split(strings.TrimPrefix(routeKey, method+" "), "/"), strings.Split(path, "/"); len(tmplParts) == len(pathParts) {
		for i, p := range tmplParts {
			if strings.HasPrefix(p, "{") {
				if ev.PathParameters == nil {
					ev.PathParameters = map[string]string{}
				}
				ev.PathParameters[strings.Trim(p, "{}")] = pathParts[i]
			}
		}
	}
	if id != nil {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: map[string]any{
			"userId": id.UserID, "role": string(id.Role), "partnerId": id.PartnerID, "tenantId": id.TenantID, "keyId": id.KeyID,
		}}
	}
	return ev
}

// do runs ev through h; Handle never returns an error.
func do(t *testing.T, h *Handler, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	res, _ := doMetered(t, h, ev)
	return res
}

// doMetered runs ev through h and returns the meter of the DynamoDB calls it made.
func doMetered(t *testing.T, h *Handler, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, *dynamo.Meter) {
	t.Helper()
	ctx, m := dynamo.WithMeter(context.Background())
	res, err := h.Handle(ctx, ev)
	if err != nil {
		t.Fatalf("Handle returned an error: %v", err)
	}
	return res, m
}

// wantNoWrites fails if m recorded a write to the table.
func wantNoWrites(t *testing.T, m *dynamo.Meter) {
	t.Helper()
	if w := ddbtest.Writes(m); len(w) != 0 {
		t.Fatalf("DynamoDB writes = %v, want none", w)
	}
}

// problem decodes a problem+json response, checking its media type and that
// its status matches the HTTP status.
func problem(t *testing.T, res events.APIGatewayV2HTTPResponse, wantStatus int) Problem {
	t.Helper()
	if got := res.StatusCode; got != wantStatus {
		t.Fatalf("status = %d, want %d; body %s", got, wantStatus, res.Body)
	}
	if got, want := res.Headers["Content-Type"], "application/problem+json"; got != want {
		t.Fatalf("Content-Type = %q, want %q", got, want)
	}
	var p Problem
	dec := json.NewDecoder(strings.NewReader(res.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("problem body %s: %v", res.Body, err)
	}
	if p.Status != res.StatusCode {
		t.Fatalf("problem status = %d, HTTP status = %d", p.Status, res.StatusCode)
	}
	if p.Type == "" || p.Title == "" || p.Detail == "" || p.Code == "" {
		t.Fatalf("problem %+v lacks type, title, detail or code", p)
	}
	return p
}

// fieldReasons returns a problem's errors by field.
func fieldReasons(p Problem) map[string]string {
	out := map[string]string{}
	for _, e := range p.Errors {
		out[e.Field] = e.Reason
	}
	return out
}

// decodeBody decodes a JSON response body into v.
func decodeBody(t *testing.T, res events.APIGatewayV2HTTPResponse, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(res.Body), v); err != nil {
		t.Fatalf("body %q: %v", res.Body, err)
	}
}

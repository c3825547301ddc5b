package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// This file holds tiny in-memory fakes of the portal store interfaces and
// helpers that build API Gateway HTTP API (v2) events, for handler tests
// without a database. DynamoDB behaviour is tested in internal/dynamo.

var (
	testNow    = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	testClock  = func() time.Time { return testNow }
	testSecret = []byte("0123456789abcdef0123456789abcdef")

	partnerA = "prt_0000000000000000000000000A"
	partnerB = "prt_0000000000000000000000000B"

	adminA  = tenancy.Identity{UserID: "usr_00000000000000000000000AA1", Role: tenancy.RolePartnerAdmin, PartnerID: partnerA, KeyID: "key_00000000000000000000000AA1"}
	memberA = tenancy.Identity{UserID: "usr_00000000000000000000000AM1", Role: tenancy.RolePartnerMember, PartnerID: partnerA}
	adminB  = tenancy.Identity{UserID: "usr_00000000000000000000000BA1", Role: tenancy.RolePartnerAdmin, PartnerID: partnerB}
)

// seqIDs makes valid, predictable IDs: prefix + a zero-padded counter.
type seqIDs struct{ n int }

func (s *seqIDs) New(prefix string) string {
	s.n++
	return fmt.Sprintf("%s%026d", prefix, s.n)
}

// memCustomers is a CustomerStore scoped by partner.
type memCustomers struct {
	byID   map[string]portal.Customer
	writes int
}

func (m *memCustomers) CreateCustomer(_ context.Context, c portal.Customer) error {
	m.writes++
	m.byID[c.ID] = c
	return nil
}

func (m *memCustomers) GetCustomer(_ context.Context, scope tenancy.Scope, id string) (portal.Customer, error) {
	c, ok := m.byID[id]
	if !ok || c.PartnerID != scope.PartnerID {
		return portal.Customer{}, portal.Errorf(portal.ENOTFOUND, "customer %s not found", id)
	}
	return c, nil
}

func (m *memCustomers) UpdateCustomer(ctx context.Context, scope tenancy.Scope, c portal.Customer) error {
	old, err := m.GetCustomer(ctx, scope, c.ID)
	if err != nil {
		return err
	}
	if old.Version != c.Version-1 {
		return portal.Errorf(portal.EPRECONDITION, "customer %s changed", c.ID)
	}
	m.writes++
	m.byID[c.ID] = c
	return nil
}

func (m *memCustomers) ListCustomers(_ context.Context, scope tenancy.Scope, q portal.CustomerQuery, start portal.Position) ([]portal.Customer, portal.Position, error) {
	var all []portal.Customer
	for _, c := range m.byID {
		if c.PartnerID == scope.PartnerID && c.ID > start["id"] {
			all = append(all, c)
		}
	}
	slices.SortFunc(all, func(a, b portal.Customer) int { return strings.Compare(a.ID, b.ID) })
	if len(all) <= q.Limit {
		return all, nil, nil
	}
	return all[:q.Limit], portal.Position{"id": all[q.Limit-1].ID}, nil
}

// memIdempotency is an IdempotencyStore.
type memIdempotency struct {
	recs     map[string]*portal.IdempotencyRecord
	releases int
}

func newMemIdempotency() *memIdempotency {
	return &memIdempotency{recs: map[string]*portal.IdempotencyRecord{}}
}

func (m *memIdempotency) ReserveIdempotencyKey(_ context.Context, scope, key, fingerprint string, _ time.Time) (*portal.IdempotencyRecord, error) {
	if r, ok := m.recs[scope+"|"+key]; ok {
		cp := *r
		return &cp, nil
	}
	m.recs[scope+"|"+key] = &portal.IdempotencyRecord{Fingerprint: fingerprint}
	return nil, nil
}

func (m *memIdempotency) CompleteIdempotencyKey(_ context.Context, scope, key string, r portal.StoredResponse) error {
	rec := m.recs[scope+"|"+key]
	rec.Done, rec.Response = true, r
	return nil
}

func (m *memIdempotency) ReleaseIdempotencyKey(_ context.Context, scope, key string) error {
	m.releases++
	delete(m.recs, scope+"|"+key)
	return nil
}

// customersFixture is the customers function on fakes.
type customersFixture struct {
	h     *Handler
	store *memCustomers
	idem  *memIdempotency
	logs  *bytes.Buffer
}

func newCustomersFixture() *customersFixture {
	store := &memCustomers{byID: map[string]portal.Customer{}}
	svc := &portal.CustomerService{Store: store, Cursors: portal.Cursors{Secret: testSecret}, Clock: testClock, IDs: &seqIDs{}}
	idem := newMemIdempotency()
	h := NewCustomers(svc, idem, testClock)
	logs := quiet(h)
	return &customersFixture{h: h, store: store, idem: idem, logs: logs}
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
	res, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatalf("Handle returned an error: %v", err)
	}
	return res
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

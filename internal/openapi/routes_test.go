package openapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	awsscheduler "github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/asset"
	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/eventbus"
	"github.com/partnerportal/portal/internal/httpapi"
	"github.com/partnerportal/portal/internal/localeventbridge"
	"github.com/partnerportal/portal/internal/locals3"
	"github.com/partnerportal/portal/internal/localscheduler"
	"github.com/partnerportal/portal/internal/openapi"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/scan"
	"github.com/partnerportal/portal/internal/scheduler"
	"github.com/partnerportal/portal/internal/services"
	"github.com/partnerportal/portal/internal/tenancy"
	"github.com/partnerportal/portal/internal/usagestream"
)

var worldStart = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// clock is a test clock that only moves when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// foundToken is an ownership checker that always finds the token (the
// real one looks up DNS and fetches URLs).
type foundToken struct{}

func (foundToken) CheckOwnership(_ context.Context, a asset.Asset, _ string) (portal.OwnershipCheck, error) {
	return portal.OwnershipCheck{Verified: true, Method: portal.OwnershipDNSTXT, Detail: "TXT record on " + a.Host + " holds the token"}, nil
}

// stubEngine is a scan engine that dials nothing: one finding per target,
// and one check per scan that could not run (so the scan's errors are
// not empty).
type stubEngine struct{ now func() time.Time }

func (e stubEngine) Run(_ context.Context, _ scan.Profile, targets []scan.Target) (scan.Result, error) {
	res := scan.Result{StartedAt: e.now(), FinishedAt: e.now(), Ran: map[string][]string{}}
	for i, tg := range targets {
		res.Findings = append(res.Findings, scan.Finding{CheckID: "http.server-disclosure", AssetID: tg.AssetID, Severity: scan.SeverityLow,
			Title: "The server names its software", Evidence: "Server: stub/1"})
		res.Ran[tg.AssetID] = []string{"http.server-disclosure"}
		if i == 0 {
			res.Errors = append(res.Errors, scan.CheckError{CheckID: "tls.expired", AssetID: tg.AssetID, Error: "the connection was refused"})
		}
	}
	return res, nil
}

// world is the whole API on DynamoDB Local, a local Scheduler, EventBridge
// and S3, driven through the real handlers as API Gateway would.
type world struct {
	t     *testing.T
	d     *openapi.Document
	s     *services.Services
	store *dynamo.Store
	clock *clock
	ids   *ddbtest.SeqIDs
	cov   coverage
	// bare are services on the same table without scheduler or event bus
	// (their schedule changes and announcements answer 503).
	bare *services.Services

	partner, admin, super tenancy.Identity
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, d: document(t), clock: &clock{now: worldStart}}
	client, table := ddbtest.NewTable(t)
	w.store = dynamo.New(client, table)
	ids := &ddbtest.SeqIDs{}
	w.ids = ids
	secret := []byte(strings.Repeat("w", 32))
	w.s = services.New(w.store, secret, w.clock.Now, ids)
	w.bare = services.New(w.store, secret, w.clock.Now, ids)
	w.s.Assets.Ownership = foundToken{}
	w.s.ScanRun.Engine = stubEngine{now: w.clock.Now}

	reports, err := locals3.Start(locals3.Config{Bucket: "openapi-reports"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reports.Close() })
	w.s.UseReportBucket(reports.Client(), reports.Bucket)

	sched, err := localscheduler.Start(localscheduler.Config{Now: w.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sched.Close() })
	schedClient := sched.Client(func(o *awsscheduler.Options) { o.RetryMaxAttempts = 1 })
	const group = "partner-portal-scans"
	if _, err := schedClient.CreateScheduleGroup(context.Background(), &awsscheduler.CreateScheduleGroupInput{Name: aws.String(group)}); err != nil {
		t.Fatal(err)
	}
	w.s.UseScheduler(&scheduler.Triggers{Client: schedClient, Config: scheduler.Config{
		Group: group, TargetARN: "arn:aws:lambda:us-east-1:000000000000:function:scan-dispatch",
		RoleARN: "arn:aws:iam::000000000000:role/scheduler", DeadLetterARN: "arn:aws:sqs:us-east-1:000000000000:dispatch-failures",
	}})
	bus, err := localeventbridge.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Close() })
	w.s.UseEvents(eventbus.New(bus.Client(func(o *eventbridge.Options) { o.RetryMaxAttempts = 1 }), ""))

	ctx := context.Background()
	now := w.clock.Now()
	w.partner = tenancy.Identity{PartnerID: ids.New(portal.PrefixPartner)}
	w.admin = tenancy.Identity{UserID: ids.New(portal.PrefixUser), Role: tenancy.RolePartnerAdmin, PartnerID: w.partner.PartnerID}
	w.super = tenancy.Identity{UserID: ids.New(portal.PrefixUser), Role: tenancy.RoleSuperAdmin}
	must(t, w.store.CreatePartner(ctx, portal.Partner{ID: w.partner.PartnerID, Name: "Shield MSSP", ContactEmail: "soc@shield.example", Status: "active", CreatedAt: now, UpdatedAt: now, Version: 1}))
	must(t, w.store.CreateUser(ctx, portal.User{ID: w.admin.UserID, Email: "admin@shield.example", Role: w.admin.Role, PartnerID: w.partner.PartnerID, Status: "active", CreatedAt: now, UpdatedAt: now, Version: 1}))
	must(t, w.store.CreateUser(ctx, portal.User{ID: w.super.UserID, Email: "operator@partner-portal.example", Role: w.super.Role, Status: "active", CreatedAt: now, UpdatedAt: now, Version: 1}))
	must(t, w.store.PutPricing(ctx, portal.Pricing{Version: 1, Currency: "EUR", UpdatedAt: now, UpdatedBy: w.super.UserID,
		UnitCosts: map[portal.LicenseModel]map[portal.BillingPeriod]int64{
			portal.ModelPerAsset:  {portal.PeriodMonthly: 200, portal.PeriodAnnual: 2000},
			portal.ModelPerScan:   {portal.PeriodMonthly: 500, portal.PeriodAnnual: 5000},
			portal.ModelUnlimited: {portal.PeriodMonthly: 50000, portal.PeriodAnnual: 500000},
		},
		PrepaidTiers: []portal.PrepaidTier{{MinUnits: 100, DiscountBps: 1000}},
	}))
	return w
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// req is one request of the story.
type req struct {
	as      *tenancy.Identity // nil: no identity
	method  string
	route   string            // the route's path template, or app.DefaultRoute with path in params["path"]
	params  map[string]string // path parameters
	query   map[string]string
	body    any // marshalled to JSON unless a string
	headers []string
	bare    bool // served by the services without scheduler and event bus
}

// do serves r, wants status want, and checks the exchange against the
// document: the answer always, the request body when the API accepted it.
func (w *world) do(want int, r req) exchange {
	w.t.Helper()
	var body string
	switch b := r.body.(type) {
	case nil:
	case string:
		body = b
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			w.t.Fatal(err)
		}
		body = string(raw)
	}
	ev := event(r.as, r.method, r.route, r.params, r.query, body, r.headers...)
	s := w.s
	if r.bare {
		s = w.bare
	}
	x := serve(w.t, s, ev)
	if x.res.StatusCode != want {
		w.t.Fatalf("%s %s: status %d, want %d: %s", r.method, ev.RawPath, x.res.StatusCode, want, x.res.Body)
	}
	checkResponse(w.t, w.d, x)
	if want < 300 {
		if err := checkRequest(w.d, x); err != nil {
			w.t.Errorf("%s: the document refuses the body the API accepted: %v", x.label(), err)
		}
	}
	w.cov.add(x)
	return x
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// (d) Every route answered for real, through the handlers of the declared
// functions, on DynamoDB Local: each answer (status, content type, body,
// required headers) and each accepted request body is what the document
// says, and every route is seen answering a 2xx. Error answers of each kind
// are checked too: 400 with errors[], 401 with WWW-Authenticate, 403, 404,
// 405 with Allow, 409 (also the asset-limit and schedule problems), 412,
// 413, 422 and 503.
func TestEveryRouteAnswersAsDocumented(t *testing.T) {
	w := newWorld(t)
	admin, super := &w.admin, &w.super
	p := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}

	// Partners, pricing, users and keys.
	w.do(201, req{as: super, method: "POST", route: "/v1/partners", body: map[string]any{"name": "Other MSSP", "contactEmail": "ops@other.example", "country": "NL"}})
	w.do(403, req{as: admin, method: "POST", route: "/v1/partners", body: map[string]any{"name": "Mine", "contactEmail": "me@mine.example"}})
	pricing := map[string]any{"currency": "EUR", "unitCosts": map[string]any{
		"per_asset": map[string]int{"monthly": 200, "annual": 2000}, "per_scan": map[string]int{"monthly": 500, "annual": 5000},
		"unlimited": map[string]int{"monthly": 50000, "annual": 500000}}, "prepaidTiers": []any{map[string]int{"minUnits": 100, "discountBps": 1000}}}
	w.do(200, req{as: super, method: "PUT", route: "/v1/settings/pricing", body: pricing, headers: []string{"If-Match", `"1"`}})
	w.do(412, req{as: super, method: "PUT", route: "/v1/settings/pricing", body: pricing, headers: []string{"If-Match", `"1"`}})
	w.do(403, req{as: admin, method: "PUT", route: "/v1/settings/pricing", body: pricing})
	w.do(200, req{as: admin, method: "GET", route: "/v1/settings/pricing"})
	member := w.do(201, req{as: admin, method: "POST", route: "/v1/users", body: map[string]any{"email": "analyst@shield.example", "name": "Ana Lyst", "role": "partner_member"}}).body(t)
	w.do(409, req{as: admin, method: "POST", route: "/v1/users", body: map[string]any{"email": "analyst@shield.example", "role": "partner_member"}})
	w.do(200, req{as: admin, method: "GET", route: "/v1/users", query: p("limit", "10")})
	key := w.do(201, req{as: admin, method: "POST", route: "/v1/users/{userId}/api-keys", params: p("userId", w.admin.UserID),
		body: map[string]any{"name": "ci", "expiresAt": worldStart.Add(24 * time.Hour)}, headers: []string{"Idempotency-Key", "key-1"}}).body(t)
	w.do(409, req{as: admin, method: "POST", route: "/v1/users/{userId}/api-keys", params: p("userId", w.admin.UserID),
		body: map[string]any{"name": "ci", "expiresAt": worldStart.Add(24 * time.Hour)}, headers: []string{"Idempotency-Key", "key-1"}}) // a secret is shown once
	w.do(422, req{as: admin, method: "POST", route: "/v1/users/{userId}/api-keys", params: p("userId", w.admin.UserID),
		body: map[string]any{"name": "other"}, headers: []string{"Idempotency-Key", "key-1"}})
	w.do(204, req{as: admin, method: "DELETE", route: "/v1/api-keys/{keyId}", params: p("keyId", str(key, "id"))})
	w.do(404, req{as: admin, method: "DELETE", route: "/v1/api-keys/{keyId}", params: p("keyId", "key_01JD0000000000000000000077")})

	// Invitations, signing in and out.
	inv := w.do(201, req{as: admin, method: "POST", route: "/v1/users/{userId}/invitation", params: p("userId", str(member, "id"))}).body(t)
	w.do(404, req{as: admin, method: "POST", route: "/v1/users/{userId}/invitation", params: p("userId", "usr_01JD0000000000000000000077")})
	const password = "a long enough password"
	_, err := w.s.Sessions.AcceptInvitation(context.Background(), str(inv, "token"), password)
	must(t, err)
	signedIn := w.do(201, req{method: "POST", route: "/v1/sessions", body: map[string]any{"email": "analyst@shield.example", "password": password}})
	w.do(400, req{method: "POST", route: "/v1/sessions", body: map[string]any{"email": "analyst@shield.example"}})
	for range portal.MaxFailedSignIns {
		w.do(401, req{method: "POST", route: "/v1/sessions", body: map[string]any{"email": "nobody@shield.example", "password": "guess"}})
	}
	w.do(429, req{method: "POST", route: "/v1/sessions", body: map[string]any{"email": "nobody@shield.example", "password": "guess"}})
	cookie, _, _ := strings.Cut(strings.TrimPrefix(signedIn.res.Cookies[0], portal.SessionCookieName+"="), ";")
	session, err := w.s.Sessions.Authenticate(context.Background(), cookie)
	must(t, err)
	w.do(403, req{as: &session, method: "DELETE", route: "/v1/sessions/current"}) // no X-CSRF-Token
	w.do(401, req{as: admin, method: "DELETE", route: "/v1/sessions/current"})    // an API key has no session
	w.do(204, req{as: &session, method: "DELETE", route: "/v1/sessions/current", headers: []string{"X-CSRF-Token", session.CSRFToken}})

	// Customers and licenses.
	cust := w.do(201, req{as: admin, method: "POST", route: "/v1/customers", headers: []string{"Idempotency-Key", "acme-1"}, body: map[string]any{
		"name": "Acme GmbH", "contactEmail": "it@acme.example", "timezone": "Europe/Berlin", "country": "DE", "tags": []string{"eu"},
		"licenses": []any{
			map[string]any{"model": "per_asset", "quantity": 2, "overagePolicy": "hard", "endUserPrice": map[string]any{"amount": 9000, "currency": "EUR"}},
			map[string]any{"model": "per_scan", "quantity": 10, "endUserPrice": map[string]any{"amount": 0, "currency": "EUR"}},
		}}}).body(t)
	cid := str(cust, "id")
	w.do(201, req{as: admin, method: "POST", route: "/v1/customers", headers: []string{"Idempotency-Key", "acme-1"}, body: map[string]any{
		"name": "Acme GmbH", "contactEmail": "it@acme.example", "timezone": "Europe/Berlin", "country": "DE", "tags": []string{"eu"},
		"licenses": []any{
			map[string]any{"model": "per_asset", "quantity": 2, "overagePolicy": "hard", "endUserPrice": map[string]any{"amount": 9000, "currency": "EUR"}},
			map[string]any{"model": "per_scan", "quantity": 10, "endUserPrice": map[string]any{"amount": 0, "currency": "EUR"}},
		}}}) // replayed
	bad := w.do(400, req{as: admin, method: "POST", route: "/v1/customers", body: map[string]any{"name": "", "contactEmail": "nope", "status": "gone"}}).body(t)
	if errs, _ := bad["errors"].([]any); len(errs) < 3 {
		t.Errorf("a bad customer names %d fields, want every one: %v", len(errs), bad)
	}
	w.do(400, req{as: admin, method: "POST", route: "/v1/customers", body: `{"name": "Acme",`})
	w.do(413, req{as: admin, method: "POST", route: "/v1/customers", body: `{"name": "` + strings.Repeat("a", httpapi.MaxBodyBytes) + `"}`})
	w.do(200, req{as: admin, method: "GET", route: "/v1/customers", query: p("sort", "-createdAt", "limit", "1")})
	w.do(400, req{as: admin, method: "GET", route: "/v1/customers", query: p("colour", "red")})
	w.do(200, req{as: admin, method: "GET", route: "/v1/customers/{customerId}", params: p("customerId", cid)})
	w.do(404, req{as: admin, method: "GET", route: "/v1/customers/{customerId}", params: p("customerId", "cus_01JD0000000000000000000077")})
	w.do(200, req{as: admin, method: "PATCH", route: "/v1/customers/{customerId}", params: p("customerId", cid),
		body: map[string]any{"timezone": "America/New_York", "tags": []string{"eu", "us"}}, headers: []string{"If-Match", `"1"`}})
	w.do(412, req{as: admin, method: "PATCH", route: "/v1/customers/{customerId}", params: p("customerId", cid),
		body: map[string]any{"name": "Acme Inc"}, headers: []string{"If-Match", `"1"`}})
	w.do(200, req{as: admin, method: "PUT", route: "/v1/customers/{customerId}/access", params: p("customerId", cid), body: map[string]any{"level": "read_only"}})
	w.do(200, req{as: admin, method: "PUT", route: "/v1/users/{userId}/grants", params: p("userId", str(member, "id")), body: map[string]any{"customerIds": []string{cid}}})
	lics := w.do(200, req{as: admin, method: "GET", route: "/v1/customers/{customerId}/licenses", params: p("customerId", cid)}).body(t)
	var perScan string
	for _, l := range lics["items"].([]any) {
		if l.(map[string]any)["model"] == "per_scan" {
			perScan = str(l.(map[string]any), "id")
		}
	}
	unlimited := w.do(201, req{as: admin, method: "POST", route: "/v1/customers/{customerId}/licenses", params: p("customerId", cid),
		body: map[string]any{"model": "unlimited", "billingPeriod": "annual", "endsAt": worldStart.AddDate(1, 0, 0), "endUserPrice": map[string]any{"amount": 700000, "currency": "EUR"}}}).body(t)
	w.do(409, req{as: admin, method: "POST", route: "/v1/customers/{customerId}/licenses", params: p("customerId", cid),
		body: map[string]any{"model": "per_asset", "quantity": 5, "endUserPrice": map[string]any{"amount": 1, "currency": "EUR"}}}) // a second per-asset license in force
	w.do(200, req{as: admin, method: "PATCH", route: "/v1/customers/{customerId}/licenses/{licenseId}", params: p("customerId", cid, "licenseId", perScan),
		body: map[string]any{"quantity": 20, "overagePolicy": "hard"}})
	w.do(200, req{as: admin, method: "DELETE", route: "/v1/customers/{customerId}/licenses/{licenseId}", params: p("customerId", cid, "licenseId", str(unlimited, "id"))})
	w.do(409, req{as: admin, method: "PATCH", route: "/v1/customers/{customerId}/licenses/{licenseId}", params: p("customerId", cid, "licenseId", str(unlimited, "id")),
		body: map[string]any{"overagePolicy": "hard"}}) // revoked
	w.do(201, req{as: admin, method: "POST", route: "/v1/prepaid", body: map[string]any{"model": "per_scan", "units": 100, "billingPeriod": "monthly"}})
	w.do(200, req{as: admin, method: "GET", route: "/v1/prepaid"})
	w.do(200, req{as: admin, method: "GET", route: "/v1/margins", query: p("period", "2026-11")})
	w.do(400, req{as: admin, method: "GET", route: "/v1/margins", query: p("period", "November")})

	// Assets: the per-asset license is hard with room for two.
	added := w.do(201, req{as: admin, method: "POST", route: "/v1/customers/{customerId}/assets", params: p("customerId", cid), body: map[string]any{
		"assets": []any{"www.acme-gmbh.de", map[string]any{"value": "https://app.acme-gmbh.de/portal/", "type": "web_app", "tags": []string{"prod"}, "criticality": "high"},
			"WWW.acme-gmbh.de.", "shop.acme-gmbh.de", "10.0.0.0/8"}}}).body(t)
	if added["created"] != 2.0 || added["duplicate"] != 1.0 || added["rejected"] != 2.0 {
		t.Errorf("created/duplicate/rejected = %v/%v/%v, want 2/1/2", added["created"], added["duplicate"], added["rejected"])
	}
	first := added["results"].([]any)[0].(map[string]any)["asset"].(map[string]any)
	aid := str(first, "id")
	w.do(409, req{as: admin, method: "POST", route: "/v1/customers/{customerId}/assets", params: p("customerId", cid), body: map[string]any{"assets": []string{"blog.acme-gmbh.de"}}})
	w.do(200, req{as: admin, method: "POST", route: "/v1/customers/{customerId}/assets", params: p("customerId", cid), body: map[string]any{"assets": []string{"www.acme-gmbh.de"}}})
	w.do(400, req{as: admin, method: "POST", route: "/v1/customers/{customerId}/assets", params: p("customerId", cid), body: map[string]any{"assets": []any{map[string]any{"value": "x.example", "type": "ftp"}}}})
	w.do(200, req{as: admin, method: "GET", route: "/v1/customers/{customerId}/assets", params: p("customerId", cid), query: p("limit", "1")})
	w.do(200, req{as: admin, method: "GET", route: "/v1/customers/{customerId}/assets/{assetId}", params: p("customerId", cid, "assetId", aid)})
	w.do(200, req{as: admin, method: "POST", route: "/v1/customers/{customerId}/assets/{assetId}/verify", params: p("customerId", cid, "assetId", aid)})
	for _, r := range added["results"].([]any) {
		if a, ok := r.(map[string]any)["asset"].(map[string]any); ok && str(a, "id") != aid {
			w.do(200, req{as: admin, method: "POST", route: "/v1/customers/{customerId}/assets/{assetId}/verify", params: p("customerId", cid, "assetId", str(a, "id"))})
		}
	}
	w.do(200, req{as: admin, method: "GET", route: "/v1/customers/{customerId}/usage", params: p("customerId", cid)})

	// Usage alerts: the asset counter's change as the usage stream applies it.
	scope := tenancy.Scope{PartnerID: w.partner.PartnerID, TenantID: cid}
	counter, err := w.store.AssetCounter(context.Background(), scope, cid)
	must(t, err)
	before := counter
	before.Used = counter.Used - 1
	if _, err := w.store.ApplyCounterChange(context.Background(), "openapi-1", portal.CounterChange{Old: &before, New: &counter}, worldStart.Add(usagestream.MarkerTTL)); err != nil {
		t.Fatal(err)
	}
	alerts := w.do(200, req{as: admin, method: "GET", route: "/v1/alerts", query: p("customerId", cid, "acknowledged", "false")}).body(t)
	items, _ := alerts["items"].([]any)
	if len(items) == 0 {
		t.Fatalf("no alert at %d of %d assets", counter.Used, counter.Quantity)
	}
	w.do(200, req{as: admin, method: "POST", route: "/v1/alerts/{alertId}/ack", params: p("alertId", str(items[0].(map[string]any), "id"))})
	w.do(200, req{as: admin, method: "GET", route: "/v1/customers/{customerId}/usage", params: p("customerId", cid)})

	// Scans, findings, reports.
	sc := w.do(202, req{as: admin, method: "POST", route: "/v1/customers/{customerId}/scans", params: p("customerId", cid), body: map[string]any{"profile": "light", "targets": "all"}}).body(t)
	w.do(400, req{as: admin, method: "POST", route: "/v1/customers/{customerId}/scans", params: p("customerId", cid), body: map[string]any{"profile": "deep", "targets": "all"}})
	w.do(404, req{as: admin, method: "POST", route: "/v1/customers/{customerId}/scans", params: p("customerId", cid), body: map[string]any{"profile": "light", "targets": []string{"ast_01JD0000000000000000000077"}}})
	w.do(200, req{as: admin, method: "GET", route: "/v1/customers/{customerId}/scans", params: p("customerId", cid), query: p("status", "completed")})
	got := w.do(200, req{as: admin, method: "GET", route: "/v1/customers/{customerId}/scans/{scanId}", params: p("customerId", cid, "scanId", str(sc, "id"))}).body(t)
	if errs, _ := got["errors"].([]any); len(errs) == 0 || got["status"] != "completed" {
		t.Errorf("the scan is %v with errors %v, want completed with the check that could not run", got["status"], got["errors"])
	}
	w.do(409, req{as: admin, method: "POST", route: "/v1/customers/{customerId}/scans/{scanId}/cancel", params: p("customerId", cid, "scanId", str(sc, "id"))})
	queued := portal.Scan{ID: w.ids.New(portal.PrefixScan), PartnerID: w.partner.PartnerID, TenantID: cid, Profile: scan.ProfileLight, AssetIDs: []string{aid},
		Trigger: portal.TriggerAPI, RequestedBy: w.admin.UserID, Status: portal.ScanQueued, CreatedAt: w.clock.Now(), Version: 1}
	must(t, w.store.AdmitScan(context.Background(), scope, queued, nil))
	w.do(200, req{as: admin, method: "POST", route: "/v1/customers/{customerId}/scans/{scanId}/cancel", params: p("customerId", cid, "scanId", queued.ID)})
	findings := w.do(200, req{as: admin, method: "GET", route: "/v1/customers/{customerId}/findings", params: p("customerId", cid), query: p("severity", "low")}).body(t)
	fitems, _ := findings["items"].([]any)
	if len(fitems) == 0 {
		t.Fatalf("the scan found nothing: %v", sc)
	}
	fid := str(fitems[0].(map[string]any), "id")
	w.do(200, req{as: admin, method: "PATCH", route: "/v1/customers/{customerId}/findings/{findingId}", params: p("customerId", cid, "findingId", fid),
		body: map[string]any{"status": "accepted_risk", "reason": "the banner is required by the vendor"}})
	w.do(400, req{as: admin, method: "PATCH", route: "/v1/customers/{customerId}/findings/{findingId}", params: p("customerId", cid, "findingId", fid),
		body: map[string]any{"status": "false_positive"}})
	w.clock.Add(portal.ReportGrace + time.Second)
	reports := w.do(200, req{as: admin, method: "GET", route: "/v1/customers/{customerId}/reports", params: p("customerId", cid)}).body(t)
	ritems, _ := reports["items"].([]any)
	if len(ritems) == 0 {
		t.Fatalf("no report of the completed scan")
	}
	rid := str(ritems[0].(map[string]any), "id")
	w.do(200, req{as: admin, method: "GET", route: "/v1/customers/{customerId}/reports/{reportId}", params: p("customerId", cid, "reportId", rid)})
	w.do(200, req{as: admin, method: "GET", route: "/v1/customers/{customerId}/reports/{reportId}", params: p("customerId", cid, "reportId", rid), query: p("format", "html")})
	w.do(400, req{as: admin, method: "GET", route: "/v1/customers/{customerId}/reports/{reportId}", params: p("customerId", cid, "reportId", rid), query: p("format", "pdf")})

	// Schedules and update announcements.
	weekly := map[string]any{"customerIds": []string{cid}, "profile": "light", "targets": "all", "frequency": "weekly", "dayOfWeek": "MON",
		"startTime": "09:00", "onVulnDbUpdate": true, "flexibleWindowMinutes": 15}
	created := w.do(201, req{as: admin, method: "POST", route: "/v1/schedules", body: weekly}).body(t)
	sid := str(created["items"].([]any)[0].(map[string]any)["schedule"].(map[string]any), "id")
	const stranger = "cus_01JD0000000000000000000077"
	w.do(207, req{as: admin, method: "POST", route: "/v1/schedules", body: map[string]any{"customerIds": []string{cid, stranger}, "profile": "full",
		"targets": "all", "frequency": "monthly", "dayOfMonth": 31, "startTime": "02:30", "timezone": "UTC"}})
	w.do(404, req{as: admin, method: "POST", route: "/v1/schedules", body: map[string]any{"customerIds": []string{stranger}, "profile": "light",
		"targets": "all", "frequency": "daily", "startTime": "02:30"}})
	w.do(503, req{as: admin, bare: true, method: "POST", route: "/v1/schedules", body: weekly}) // the scheduler is not there
	w.do(400, req{as: admin, method: "POST", route: "/v1/schedules", body: map[string]any{"customerIds": []string{cid}, "profile": "light",
		"targets": "all", "frequency": "weekly", "startTime": "24:00"}})
	w.do(200, req{as: admin, method: "GET", route: "/v1/schedules", query: p("customerId", cid)})
	w.do(400, req{as: admin, method: "GET", route: "/v1/schedules"})
	viewer := &tenancy.Identity{UserID: w.ids.New(portal.PrefixUser), Role: tenancy.RoleCustomerViewer, PartnerID: w.partner.PartnerID, TenantID: cid,
		TenantAccess: string(portal.AccessReadOnly), TenantStatus: string(portal.StatusActive)}
	w.do(200, req{as: viewer, method: "GET", route: "/v1/schedules"}) // a customer user's own
	w.do(200, req{as: viewer, method: "GET", route: "/v1/customers/{customerId}", params: p("customerId", cid)})
	w.do(403, req{as: viewer, method: "POST", route: "/v1/customers/{customerId}/scans", params: p("customerId", cid), body: map[string]any{"profile": "light", "targets": "all"}})
	w.do(200, req{as: admin, method: "GET", route: "/v1/customers/{customerId}/schedules/{scheduleId}", params: p("customerId", cid, "scheduleId", sid)})
	w.do(200, req{as: admin, method: "PATCH", route: "/v1/customers/{customerId}/schedules/{scheduleId}", params: p("customerId", cid, "scheduleId", sid),
		body: map[string]any{"frequency": "daily", "targets": []string{aid}, "enabled": false}})
	w.do(503, req{as: admin, bare: true, method: "PATCH", route: "/v1/customers/{customerId}/schedules/{scheduleId}", params: p("customerId", cid, "scheduleId", sid),
		body: map[string]any{"enabled": true}})
	w.do(202, req{as: super, method: "POST", route: "/v1/events/vulndb-updated", body: map[string]any{"name": "NVD 2026-11-26"}})
	w.do(503, req{as: super, bare: true, method: "POST", route: "/v1/events/vulndb-updated", body: map[string]any{"name": "NVD 2026-11-27"}})
	w.do(204, req{as: admin, method: "DELETE", route: "/v1/customers/{customerId}/schedules/{scheduleId}", params: p("customerId", cid, "scheduleId", sid)})

	// The audit log, then the customer's status changes.
	w.do(200, req{as: admin, method: "GET", route: "/v1/audit", query: p("customerId", cid, "limit", "100")})
	w.do(200, req{as: super, method: "GET", route: "/v1/audit", query: p("action", "pricing.update")})
	w.do(400, req{as: admin, method: "GET", route: "/v1/audit", query: p("from", "yesterday")})
	w.do(204, req{as: admin, method: "DELETE", route: "/v1/customers/{customerId}/assets/{assetId}", params: p("customerId", cid, "assetId", aid)})
	w.do(200, req{as: admin, method: "POST", route: "/v1/customers/{customerId}/suspend", params: p("customerId", cid)})
	w.do(400, req{as: admin, method: "POST", route: "/v1/customers/{customerId}/suspend", params: p("customerId", cid), body: map[string]any{"why": "unpaid"}})
	w.do(200, req{as: admin, method: "POST", route: "/v1/customers/{customerId}/resume", params: p("customerId", cid), body: "{}"})
	w.do(200, req{as: admin, method: "DELETE", route: "/v1/customers/{customerId}", params: p("customerId", cid)})
	w.do(409, req{as: admin, method: "POST", route: "/v1/customers/{customerId}/resume", params: p("customerId", cid)})
	w.do(409, req{as: admin, method: "PATCH", route: "/v1/customers/{customerId}", params: p("customerId", cid), body: map[string]any{"name": "Acme AG"}})

	// No identity, unknown routes and wrong methods.
	unauth := w.do(401, req{method: "GET", route: "/v1/customers"})
	if !strings.HasPrefix(unauth.res.Headers["WWW-Authenticate"], "Bearer ") {
		t.Errorf("401 without a bearer challenge: %v", unauth.res.Headers)
	}
	w.do(404, req{method: "GET", route: app.DefaultRoute, params: p("path", "/v1/nothing-here")})
	wrong := w.do(405, req{method: "DELETE", route: app.DefaultRoute, params: p("path", "/v1/audit")})
	if wrong.res.Headers["Allow"] != "GET" {
		t.Errorf("Allow = %q, want GET", wrong.res.Headers["Allow"])
	}

	// Every route was seen answering a 2xx.
	var lines []string
	for key := range declaredRoutes() {
		statuses := w.cov.seen[key]
		lines = append(lines, fmt.Sprintf("%-60s %v", key, statuses))
		if !slices.ContainsFunc(statuses, func(s int) bool { return s >= 200 && s < 300 }) {
			t.Errorf("%s was not seen answering a 2xx", key)
		}
	}
	slices.Sort(lines)
	t.Logf("statuses validated per route:\n%s", strings.Join(lines, "\n"))
}

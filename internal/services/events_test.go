package services_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/httpapi"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/sampleevents"
	"github.com/partnerportal/portal/internal/services"
	"github.com/partnerportal/portal/internal/tenancy"
)

// The IDs and key the sample events in events/ refer to (internal/sampleevents).
const (
	partnerID  = sampleevents.PartnerID
	adminID    = sampleevents.AdminID
	customerID = sampleevents.CustomerID
	keyID      = sampleevents.KeyID
	licensedID = sampleevents.LicensedID
	licenseID  = sampleevents.LicenseID
)

var eventsNow = sampleevents.Now

// handle replays an HTTP event through the handler of the function that the
// declaration routes it to, as API Gateway would.
func handle(t *testing.T, s *services.Services, name string) (events.APIGatewayV2HTTPResponse, map[string]any) {
	t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	sampleevents.Read(t, name, &ev)
	fn := "fallback"
	if ev.RouteKey != app.DefaultRoute {
		m, ok, _ := app.Declaration().Resolve(ev.RequestContext.HTTP.Method, ev.RawPath)
		if !ok || m.Route.Key() != ev.RouteKey {
			t.Fatalf("%s: route key %q is not declared for %s %s", name, ev.RouteKey, ev.RequestContext.HTTP.Method, ev.RawPath)
		}
		fn = m.Function.Name
	}
	h, ok := httpapi.ForFunction(s, fn)
	if !ok {
		t.Fatalf("no handler for function %s", fn)
	}
	res, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var body map[string]any
	if res.Body != "" {
		if err := json.Unmarshal([]byte(res.Body), &body); err != nil {
			t.Fatalf("%s: body is not a JSON object: %s", name, res.Body)
		}
	}
	return res, body
}

func TestSampleEventsReplayThroughTheRealHandlers(t *testing.T) {
	s := sampleevents.Services(t)

	// Each sample event, in an order that makes sense for one tenant's story.
	steps := []struct {
		event  string
		status int
		check  func(t *testing.T, res events.APIGatewayV2HTTPResponse, body map[string]any)
	}{
		{"partners-create.json", 201, func(t *testing.T, _ events.APIGatewayV2HTTPResponse, b map[string]any) {
			if !portal.ValidID(portal.PrefixPartner, b["id"].(string)) {
				t.Errorf("partner id = %v", b["id"])
			}
		}},
		{"users-create.json", 201, func(t *testing.T, _ events.APIGatewayV2HTTPResponse, b map[string]any) {
			if got, want := b["partnerId"], partnerID; got != want {
				t.Errorf("partnerId = %v, want %v (from the caller, never the body)", got, want)
			}
		}},
		{"users-list.json", 200, func(t *testing.T, _ events.APIGatewayV2HTTPResponse, b map[string]any) {
			if got, want := len(b["items"].([]any)), 2; got != want {
				t.Errorf("users = %d, want %d (the admin and the new member)", got, want)
			}
		}},
		{"customers-create.json", 201, func(t *testing.T, res events.APIGatewayV2HTTPResponse, b map[string]any) {
			if b["status"] != "active" || b["plan"] != "none" || b["accessLevel"] != "disabled" || b["lastScanAt"] != nil {
				t.Errorf("defaults = %v %v %v %v", b["status"], b["plan"], b["accessLevel"], b["lastScanAt"])
			}
			if !strings.HasPrefix(res.Headers["Location"], "/v1/customers/cus_") {
				t.Errorf("Location = %q", res.Headers["Location"])
			}
		}},
		{"customers-create.json", 201, func(t *testing.T, res events.APIGatewayV2HTTPResponse, _ map[string]any) {
			if res.Headers["Idempotent-Replayed"] != "true" {
				t.Errorf("the same Idempotency-Key and body must replay the first answer")
			}
		}},
		{"customers-create-invalid.json", 400, func(t *testing.T, res events.APIGatewayV2HTTPResponse, b map[string]any) {
			if got := res.Headers["Content-Type"]; got != "application/problem+json" {
				t.Errorf("Content-Type = %q", got)
			}
			var fields []string
			for _, e := range b["errors"].([]any) {
				fields = append(fields, e.(map[string]any)["field"].(string))
			}
			slices.Sort(fields)
			if got, want := strings.Join(fields, ","), "contactEmail,country,name,status,timezone"; got != want {
				t.Errorf("fields = %s, want %s", got, want)
			}
		}},
		{"customers-list.json", 200, func(t *testing.T, _ events.APIGatewayV2HTTPResponse, b map[string]any) {
			if got, want := len(b["items"].([]any)), 3; got != want {
				t.Errorf("active customers = %d, want %d (two seeded and the one created once)", got, want)
			}
		}},
		{"customers-get.json", 200, func(t *testing.T, res events.APIGatewayV2HTTPResponse, b map[string]any) {
			if b["id"] != customerID || res.Headers["ETag"] != `"1"` {
				t.Errorf("got %v with ETag %s", b["id"], res.Headers["ETag"])
			}
		}},
		{"customers-patch.json", 200, func(t *testing.T, res events.APIGatewayV2HTTPResponse, b map[string]any) {
			if b["name"] != "Acme Europe GmbH" || res.Headers["ETag"] != `"2"` {
				t.Errorf("got %v with ETag %s", b["name"], res.Headers["ETag"])
			}
		}},
		{"customers-patch.json", 412, nil}, // If-Match "1" is stale now
		{"pricing-get.json", 200, func(t *testing.T, res events.APIGatewayV2HTTPResponse, b map[string]any) {
			if b["currency"] != "EUR" || res.Headers["ETag"] != `"1"` {
				t.Errorf("pricing = %v %v", b["currency"], res.Headers["ETag"])
			}
		}},
		{"licenses-create.json", 201, func(t *testing.T, _ events.APIGatewayV2HTTPResponse, b map[string]any) {
			if got, want := b["cost"].(map[string]any)["amount"], 5000.0; got != want {
				t.Errorf("cost = %v, want %v (10 scans at 500)", got, want)
			}
			if b["marginPercent"] != "49.49" || b["alertThresholdPercent"] != 80.0 {
				t.Errorf("marginPercent = %v, alertThresholdPercent = %v", b["marginPercent"], b["alertThresholdPercent"])
			}
		}},
		{"licenses-list.json", 200, func(t *testing.T, _ events.APIGatewayV2HTTPResponse, b map[string]any) {
			if got := len(b["items"].([]any)); got != 1 {
				t.Errorf("licenses = %d, want 1", got)
			}
		}},
		{"customers-get.json", 200, func(t *testing.T, _ events.APIGatewayV2HTTPResponse, b map[string]any) {
			if b["plan"] != "per_scan" {
				t.Errorf("plan = %v, want per_scan after assigning a per-scan license", b["plan"])
			}
		}},
		{"pricing-put.json", 200, func(t *testing.T, _ events.APIGatewayV2HTTPResponse, b map[string]any) {
			if b["version"] != 2.0 {
				t.Errorf("version = %v, want 2", b["version"])
			}
		}},
		{"pricing-put.json", 412, nil}, // If-Match "1" is stale now
		{"licenses-patch.json", 200, func(t *testing.T, _ events.APIGatewayV2HTTPResponse, b map[string]any) {
			// The license keeps the unit cost it was assigned with under pricing version 1.
			if got, want := b["unitCost"].(map[string]any)["amount"], 200.0; got != want {
				t.Errorf("unitCost = %v, want %v", got, want)
			}
			if got, want := b["margin"].(map[string]any)["amount"], 18000.0; got != want {
				t.Errorf("margin = %v, want %v (30000 − 60 × 200)", got, want)
			}
		}},
		{"prepaid-create.json", 201, func(t *testing.T, _ events.APIGatewayV2HTTPResponse, b map[string]any) {
			if got, want := b["unitCost"].(map[string]any)["amount"], 540.0; got != want {
				t.Errorf("unitCost = %v, want %v (600 less 10 %%)", got, want)
			}
		}},
		{"prepaid-list.json", 200, nil},
		{"customers-create-with-licenses.json", 201, func(t *testing.T, _ events.APIGatewayV2HTTPResponse, b map[string]any) {
			if b["plan"] != "mixed" || len(b["licenses"].([]any)) != 2 {
				t.Errorf("plan = %v with %d licenses", b["plan"], len(b["licenses"].([]any)))
			}
		}},
		{"margins.json", 200, func(t *testing.T, _ events.APIGatewayV2HTTPResponse, b map[string]any) {
			totals := b["totals"].([]any)
			if len(totals) != 1 || totals[0].(map[string]any)["currency"] != "EUR" {
				t.Fatalf("totals = %v", totals)
			}
			if got := len(b["customers"].([]any)); got != 3 {
				t.Errorf("customers in the report = %d, want 3", got)
			}
		}},
		{"assets-create.json", 201, func(t *testing.T, _ events.APIGatewayV2HTTPResponse, b map[string]any) {
			if b["created"] != 2.0 || b["duplicate"] != 1.0 || b["rejected"] != 1.0 {
				t.Errorf("created/duplicate/rejected = %v/%v/%v, want 2/1/1 (10.0.0.1 is private)", b["created"], b["duplicate"], b["rejected"])
			}
		}},
		{"assets-list.json", 200, func(t *testing.T, _ events.APIGatewayV2HTTPResponse, b map[string]any) {
			if got := len(b["items"].([]any)); got != 2 {
				t.Errorf("assets = %d, want 2", got)
			}
		}},
		{"usage-get.json", 200, func(t *testing.T, _ events.APIGatewayV2HTTPResponse, b map[string]any) {
			l := b["licenses"].([]any)[0].(map[string]any)
			if l["licenseId"] != licenseID || l["used"] != 2.0 || l["quantity"] != 60.0 || l["percent"] != "3.33" {
				t.Errorf("usage = %v", l)
			}
		}},
		{"usage-stream.json", 0, nil}, // 44 → 45 of 50 assets: the 90 % alert
		{"usage-stream.json", 0, nil}, // delivered again: no second alert
		{"alerts-list.json", 200, func(t *testing.T, _ events.APIGatewayV2HTTPResponse, b map[string]any) {
			items := b["items"].([]any)
			if len(items) != 1 || items[0].(map[string]any)["threshold"] != 90.0 || items[0].(map[string]any)["used"] != 45.0 {
				t.Errorf("alerts = %v, want one 90 %% alert at 45 of 50", items)
			}
		}},
		{"licenses-revoke.json", 200, wantStatus("revoked")},
		{"customers-suspend.json", 200, wantStatus("suspended")},
		{"customers-resume.json", 200, wantStatus("active")},
		{"customers-archive.json", 200, wantStatus("archived")},
		{"customers-resume.json", 409, nil},
		{"api-keys-create.json", 201, func(t *testing.T, _ events.APIGatewayV2HTTPResponse, b map[string]any) {
			if !strings.HasPrefix(b["key"].(string), portal.APIKeyPrefix) {
				t.Errorf("key = %v", b["key"])
			}
		}},
		{"api-keys-delete.json", 204, nil},
		{"fallback-unknown-route.json", 404, nil},
		{"fallback-wrong-method.json", 405, func(t *testing.T, res events.APIGatewayV2HTTPResponse, _ map[string]any) {
			if got, want := res.Headers["Allow"], "GET, POST"; got != want {
				t.Errorf("Allow = %q, want %q", got, want)
			}
		}},
	}

	replayed := map[string]bool{"authorizer.json": true} // see TestSampleAuthorizerEvent
	for _, f := range []string{"scan-dispatch-schedule-fire.json", "scan-dispatch-asset-discovered.json", "scan-dispatch-vulndb-updated.json", "scan-dispatch-customer-status-changed.json"} {
		replayed[f] = true // see TestSampleScanDispatchEvents
	}
	for i, st := range steps {
		replayed[st.event] = true
		t.Run(strconv.Itoa(i)+"_"+st.event, func(t *testing.T) {
			if st.status == 0 { // a stream event, for the usage-stream function
				var ev events.DynamoDBEvent
				sampleevents.Read(t, st.event, &ev)
				res, err := s.UsageStream().Handle(context.Background(), ev)
				if err != nil || len(res.BatchItemFailures) != 0 {
					t.Fatalf("stream batch: %v, failures %v", err, res.BatchItemFailures)
				}
				return
			}
			res, body := handle(t, s, st.event)
			if res.StatusCode != st.status {
				t.Fatalf("status = %d, want %d: %s", res.StatusCode, st.status, res.Body)
			}
			if st.check != nil {
				st.check(t, res, body)
			}
		})
	}
	files, _ := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	for _, f := range files {
		if !replayed[filepath.Base(f)] {
			t.Errorf("events/%s is not replayed by this test", filepath.Base(f))
		}
	}
}

func wantStatus(status string) func(*testing.T, events.APIGatewayV2HTTPResponse, map[string]any) {
	return func(t *testing.T, _ events.APIGatewayV2HTTPResponse, b map[string]any) {
		if b["status"] != status {
			t.Errorf("status = %v, want %s", b["status"], status)
		}
	}
}

func TestSampleAuthorizerEvent(t *testing.T) {
	s := sampleevents.Services(t)
	var ev events.APIGatewayV2CustomAuthorizerV2Request
	sampleevents.Read(t, "authorizer.json", &ev)

	t.Run("AValidKeyYieldsTheIdentityContext", func(t *testing.T) {
		res, err := httpapi.AuthorizerFor(s).Handle(context.Background(), ev)
		if err != nil || !res.IsAuthorized {
			t.Fatalf("authorized = %v, %v", res.IsAuthorized, err)
		}
		if got, want := res.Context["partnerId"], partnerID; got != want {
			t.Errorf("partnerId = %v, want %v", got, want)
		}
		if got, want := res.Context["role"], "partner_admin"; got != want {
			t.Errorf("role = %v, want %v", got, want)
		}
	})
	t.Run("ARevokedKeyIsDenied", func(t *testing.T) {
		ctx := tenancy.WithIdentity(context.Background(), tenancy.Identity{UserID: adminID, Role: tenancy.RolePartnerAdmin, PartnerID: partnerID})
		if err := s.APIKeys.Revoke(ctx, keyID); err != nil {
			t.Fatal(err)
		}
		res, err := httpapi.AuthorizerFor(s).Handle(context.Background(), ev)
		if err != nil || res.Context["authError"] != "invalid" || res.Context["userId"] != nil {
			t.Fatalf("context = %v, %v; want authError invalid and no identity", res.Context, err)
		}
	})
}

func TestEveryDeclaredFunctionHasAHandlerServingExactlyItsRoutes(t *testing.T) {
	s := services.New(nil, nil, nil, nil)
	for _, f := range app.Declaration().Functions {
		if f.Kind != app.KindHTTP || f.Pages { // the console's pages: internal/console
			continue
		}
		h, ok := httpapi.ForFunction(s, f.Name)
		if !ok {
			t.Errorf("function %s has no handler", f.Name)
			continue
		}
		var declared []string
		for _, r := range f.Routes {
			declared = append(declared, r.Key())
		}
		got := h.RouteKeys()
		slices.Sort(got)
		slices.Sort(declared)
		if !slices.Equal(got, declared) {
			t.Errorf("function %s serves %v, declared %v", f.Name, got, declared)
		}
	}
}

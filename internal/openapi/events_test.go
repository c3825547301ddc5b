package openapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/services"
	"github.com/partnerportal/portal/internal/tenancy"
)

// The IDs and key the sample events in events/ refer to (as in
// internal/services/events_test.go, whose seeding this file repeats).
const (
	evPartnerID    = "prt_01JD0000000000000000000001"
	evAdminID      = "usr_01JD0000000000000000000002"
	evSuperAdminID = "usr_01JD0000000000000000000009"
	evCustomerID   = "cus_01JD0000000000000000000003"
	evKeyID        = "key_01JD0000000000000000000004"
	evKeySecret    = "pp_01jd0000000000000000000004_bG9jYWwtZXhhbXBsZS1rZXktZm9yLWV2ZW50cy0wMDE"
	evLicensedID   = "cus_01JD0000000000000000000006"
	evLicenseID    = "lic_01JD0000000000000000000005"
)

var eventsNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// eventIDs makes the IDs the sample events expect ("…01JE…0001", …).
type eventIDs struct{ n int }

func (s *eventIDs) New(prefix string) string {
	s.n++
	n := strconv.Itoa(s.n)
	return prefix + "01JE" + strings.Repeat("0", 22-len(n)) + n
}

// eventServices returns services on a fresh table holding what the sample events expect.
func eventServices(t *testing.T) *services.Services {
	t.Helper()
	client, table := ddbtest.NewTable(t)
	store := dynamo.New(client, table)
	s := services.New(store, []byte(strings.Repeat("s", 32)), func() time.Time { return eventsNow }, &eventIDs{})
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(store.CreatePartner(ctx, portal.Partner{ID: evPartnerID, Name: "Demo MSSP", ContactEmail: "admin@demo-mssp.example", Status: "active", CreatedAt: eventsNow, UpdatedAt: eventsNow, Version: 1}))
	must(store.CreateUser(ctx, portal.User{ID: evSuperAdminID, Email: "operator@partner-portal.example", Role: tenancy.RoleSuperAdmin, Status: "active", CreatedAt: eventsNow, UpdatedAt: eventsNow, Version: 1}))
	must(store.CreateUser(ctx, portal.User{ID: evAdminID, Email: "admin@demo-mssp.example", Role: tenancy.RolePartnerAdmin, PartnerID: evPartnerID, Status: "active", CreatedAt: eventsNow, UpdatedAt: eventsNow, Version: 1}))
	sum := sha256.Sum256([]byte(evKeySecret))
	must(store.CreateAPIKey(ctx, portal.APIKey{ID: evKeyID, Hash: hex.EncodeToString(sum[:]), Hint: evKeySecret[:11], UserID: evAdminID, Role: tenancy.RolePartnerAdmin, PartnerID: evPartnerID, CreatedAt: eventsNow}))
	must(store.CreateCustomer(ctx, portal.Customer{ID: evCustomerID, PartnerID: evPartnerID, Name: "Acme GmbH", ContactEmail: "it@acme.example", Timezone: "Europe/Berlin", Country: "DE", Tags: []string{}, Status: portal.StatusActive, Plan: portal.PlanNone, AccessLevel: portal.AccessDisabled, CreatedAt: eventsNow, UpdatedAt: eventsNow, Version: 1}))
	must(store.PutPricing(ctx, portal.Pricing{Version: 1, Currency: "EUR", UpdatedAt: eventsNow, UpdatedBy: evSuperAdminID,
		UnitCosts: map[portal.LicenseModel]map[portal.BillingPeriod]int64{
			portal.ModelPerAsset:  {portal.PeriodMonthly: 200, portal.PeriodAnnual: 2000},
			portal.ModelPerScan:   {portal.PeriodMonthly: 500, portal.PeriodAnnual: 5000},
			portal.ModelUnlimited: {portal.PeriodMonthly: 50000, portal.PeriodAnnual: 500000},
		},
		PrepaidTiers: []portal.PrepaidTier{{MinUnits: 100, DiscountBps: 1000}},
	}))
	licensed := portal.Customer{ID: evLicensedID, PartnerID: evPartnerID, Name: "Beta Bank", ContactEmail: "sec@beta.example", Timezone: "UTC", Tags: []string{}, Status: portal.StatusActive, Plan: portal.PlanPerAsset, LicenseCounts: map[portal.LicenseModel]int{portal.ModelPerAsset: 1}, AccessLevel: portal.AccessDisabled, CreatedAt: eventsNow, UpdatedAt: eventsNow, Version: 1}
	must(store.SaveLicenses(ctx, &licensed, true, []portal.License{{
		ID: evLicenseID, TenantID: evLicensedID, PartnerID: evPartnerID, Model: portal.ModelPerAsset, Quantity: 50, BillingPeriod: portal.PeriodMonthly,
		StartsAt: eventsNow, EndUserPrice: portal.Money{Amount: 25000, Currency: "EUR"}, UnitCost: portal.Money{Amount: 200, Currency: "EUR"},
		PricingVersion: 1, OveragePolicy: portal.OverageSoft, CreatedAt: eventsNow, UpdatedAt: eventsNow, Version: 1,
	}}, nil))
	return s
}

func readEvent(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// (d) The sample API Gateway events in events/ replayed through the real
// handlers, in the order of one tenant's story: every request body the
// API accepts and every answer (status, content type, body, headers) is
// what the document says.
func TestSampleEventsMatchTheDocument(t *testing.T) {
	d := document(t)
	s := eventServices(t)
	steps := []struct {
		event  string
		status int // 0: a stream event for the usage-stream function
	}{
		{"partners-create.json", 201},
		{"users-create.json", 201},
		{"users-list.json", 200},
		{"customers-create.json", 201},
		{"customers-create.json", 201}, // replayed by Idempotency-Key
		{"customers-create-invalid.json", 400},
		{"customers-list.json", 200},
		{"customers-get.json", 200},
		{"customers-patch.json", 200},
		{"customers-patch.json", 412},
		{"pricing-get.json", 200},
		{"licenses-create.json", 201},
		{"licenses-list.json", 200},
		{"customers-get.json", 200},
		{"pricing-put.json", 200},
		{"pricing-put.json", 412},
		{"licenses-patch.json", 200},
		{"prepaid-create.json", 201},
		{"prepaid-list.json", 200},
		{"customers-create-with-licenses.json", 201},
		{"margins.json", 200},
		{"assets-create.json", 201},
		{"assets-list.json", 200},
		{"usage-get.json", 200},
		{"usage-stream.json", 0},
		{"usage-stream.json", 0},
		{"alerts-list.json", 200},
		{"licenses-revoke.json", 200},
		{"customers-suspend.json", 200},
		{"customers-resume.json", 200},
		{"customers-archive.json", 200},
		{"customers-resume.json", 409},
		{"api-keys-create.json", 201},
		{"api-keys-delete.json", 204},
		{"fallback-unknown-route.json", 404},
		{"fallback-wrong-method.json", 405},
	}
	replayed := map[string]bool{
		// Not HTTP API requests: the authorizer's and scan-dispatch's events.
		"authorizer.json": true, "scan-dispatch-schedule-fire.json": true,
		"scan-dispatch-asset-discovered.json": true, "scan-dispatch-vulndb-updated.json": true,
	}
	for i, st := range steps {
		replayed[st.event] = true
		t.Run(strconv.Itoa(i)+"_"+st.event, func(t *testing.T) {
			if st.status == 0 {
				var ev events.DynamoDBEvent
				readEvent(t, st.event, &ev)
				res, err := s.UsageStream().Handle(context.Background(), ev)
				if err != nil || len(res.BatchItemFailures) != 0 {
					t.Fatalf("stream batch: %v, failures %v", err, res.BatchItemFailures)
				}
				return
			}
			var ev events.APIGatewayV2HTTPRequest
			readEvent(t, st.event, &ev)
			x := serve(t, s, ev)
			if x.res.StatusCode != st.status {
				t.Fatalf("status = %d, want %d: %s", x.res.StatusCode, st.status, x.res.Body)
			}
			checkResponse(t, d, x)
			err := checkRequest(d, x)
			switch {
			case st.event == "customers-create-invalid.json" && err == nil:
				t.Errorf("the document accepts the body the API refuses: %s", ev.Body)
			case st.event != "customers-create-invalid.json" && err != nil:
				t.Errorf("the document refuses the body the API accepts: %v", err)
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

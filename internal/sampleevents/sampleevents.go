// Package sampleevents is the world the sample events in events/ refer to,
// for the tests that replay them (internal/services, internal/openapi): the
// IDs and key they name, the clock they were written at, the services on a
// table seeded with what they expect, and reading them.
package sampleevents

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

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/services"
	"github.com/partnerportal/portal/internal/tenancy"
)

// The IDs and key the sample events refer to.
const (
	PartnerID    = "prt_01JD0000000000000000000001"
	AdminID      = "usr_01JD0000000000000000000002"
	SuperAdminID = "usr_01JD0000000000000000000009"
	CustomerID   = "cus_01JD0000000000000000000003"
	KeyID        = "key_01JD0000000000000000000004"
	KeySecret    = "pp_01jd0000000000000000000004_bG9jYWwtZXhhbXBsZS1rZXktZm9yLWV2ZW50cy0wMDE"
	LicensedID   = "cus_01JD0000000000000000000006" // a customer with license LicenseID
	LicenseID    = "lic_01JD0000000000000000000005"
)

// Now is the services' clock in the sample events' world.
var Now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// IDs makes the predictable IDs the sample events expect ("…01JE…0001", …).
type IDs struct{ n int }

// New returns prefix and the next sequential ID.
func (s *IDs) New(prefix string) string {
	s.n++
	n := strconv.Itoa(s.n)
	return prefix + "01JE" + strings.Repeat("0", 22-len(n)) + n
}

// Services returns services on a fresh table (DynamoDB Local) holding what
// the sample events expect: the partner, its admin and key, a super admin,
// a customer without and one with a per-asset license, and pricing.
func Services(t *testing.T) *services.Services {
	t.Helper()
	client, table := ddbtest.NewTable(t)
	store := dynamo.New(client, table)
	s := services.New(store, []byte(strings.Repeat("s", 32)), func() time.Time { return Now }, &IDs{})
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(store.CreatePartner(ctx, portal.Partner{ID: PartnerID, Name: "Demo MSSP", ContactEmail: "admin@demo-mssp.example", Status: "active", CreatedAt: Now, UpdatedAt: Now, Version: 1}))
	must(store.CreateUser(ctx, portal.User{ID: SuperAdminID, Email: "operator@partner-portal.example", Role: tenancy.RoleSuperAdmin, Status: "active", CreatedAt: Now, UpdatedAt: Now, Version: 1}))
	must(store.CreateUser(ctx, portal.User{ID: AdminID, Email: "admin@demo-mssp.example", Role: tenancy.RolePartnerAdmin, PartnerID: PartnerID, Status: "active", CreatedAt: Now, UpdatedAt: Now, Version: 1}))
	sum := sha256.Sum256([]byte(KeySecret))
	must(store.CreateAPIKey(ctx, portal.APIKey{ID: KeyID, Hash: hex.EncodeToString(sum[:]), Hint: KeySecret[:11], UserID: AdminID, Role: tenancy.RolePartnerAdmin, PartnerID: PartnerID, CreatedAt: Now}))
	must(store.CreateCustomer(ctx, portal.Customer{ID: CustomerID, PartnerID: PartnerID, Name: "Acme GmbH", ContactEmail: "it@acme.example", Timezone: "Europe/Berlin", Country: "DE", Tags: []string{}, Status: portal.StatusActive, Plan: portal.PlanNone, AccessLevel: portal.AccessDisabled, CreatedAt: Now, UpdatedAt: Now, Version: 1}))
	must(store.PutPricing(ctx, portal.Pricing{Version: 1, Currency: "EUR", UpdatedAt: Now, UpdatedBy: SuperAdminID,
		UnitCosts: map[portal.LicenseModel]map[portal.BillingPeriod]int64{
			portal.ModelPerAsset:  {portal.PeriodMonthly: 200, portal.PeriodAnnual: 2000},
			portal.ModelPerScan:   {portal.PeriodMonthly: 500, portal.PeriodAnnual: 5000},
			portal.ModelUnlimited: {portal.PeriodMonthly: 50000, portal.PeriodAnnual: 500000},
		},
		PrepaidTiers: []portal.PrepaidTier{{MinUnits: 100, DiscountBps: 1000}},
	}))
	licensed := portal.Customer{ID: LicensedID, PartnerID: PartnerID, Name: "Beta Bank", ContactEmail: "sec@beta.example", Timezone: "UTC", Tags: []string{}, Status: portal.StatusActive, Plan: portal.PlanPerAsset, LicenseCounts: map[portal.LicenseModel]int{portal.ModelPerAsset: 1}, AccessLevel: portal.AccessDisabled, CreatedAt: Now, UpdatedAt: Now, Version: 1}
	must(store.SaveLicenses(ctx, &licensed, true, []portal.License{{
		ID: LicenseID, TenantID: LicensedID, PartnerID: PartnerID, Model: portal.ModelPerAsset, Quantity: 50, BillingPeriod: portal.PeriodMonthly,
		StartsAt: Now, EndUserPrice: portal.Money{Amount: 25000, Currency: "EUR"}, UnitCost: portal.Money{Amount: 200, Currency: "EUR"},
		PricingVersion: 1, OveragePolicy: portal.OverageSoft, CreatedAt: Now, UpdatedAt: Now, Version: 1,
	}}, nil))
	return s
}

// Dir is the directory of the sample events, from a package two levels
// below the repository root (internal/<pkg>), where tests run.
var Dir = filepath.Join("..", "..", "events")

// Read decodes the sample event name into v.
func Read(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

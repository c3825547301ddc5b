package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// ---- arranging (alerts, margins, audit, settings, users) ----

// arrangePricing sets the platform's pricing as a super admin: in EUR,
// every unit 1.99 a month and 19.90 a year; 10 % off from 100 pre-paid units.
func arrangePricing(h *harness) portal.Pricing {
	h.t.Helper()
	cur := "EUR"
	costs := map[string]map[string]int64{}
	for _, m := range portal.LicenseModels {
		costs[string(m)] = map[string]int64{"monthly": 199, "annual": 1990}
	}
	tiers := []portal.PrepaidTier{{MinUnits: 100, DiscountBps: 1000}}
	p, err := h.s.Pricing.Put(h.as(ddbtest.SuperAdmin), portal.PricingInput{Currency: &cur, UnitCosts: &costs, PrepaidTiers: &tiers}, nil)
	if err != nil {
		h.t.Fatalf("set pricing: %v", err)
	}
	return p
}

// arrangeCustomer creates a customer of partner A with a monthly
// per-asset license of 10 assets at EUR 49.00 (pricing must be set).
func arrangeCustomer(h *harness, name string) portal.Customer {
	h.t.Helper()
	model := portal.ModelPerAsset
	lin := portal.LicenseInput{Model: &model, Quantity: ptr(int64(10)), EndUserPrice: &portal.MoneyInput{Amount: ptr(int64(4900)), Currency: ptr("EUR")}}
	c, _, err := h.s.Customers.CreateWithLicenses(h.as(h.Admin), portal.CustomerInput{
		Name: ptr(name), ContactEmail: ptr("ops@" + strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".example"), Licenses: &[]portal.LicenseInput{lin},
	})
	if err != nil {
		h.t.Fatalf("create customer %s: %v", name, err)
	}
	return c
}

// arrangeAlert raises the 90 % alert of the customer's per-asset license
// the way the usage stream does: it applies a change of the live asset
// counter whose new image holds 9 of its 10 assets.
func arrangeAlert(h *harness, cu portal.Customer) portal.Alert {
	h.t.Helper()
	ctx := context.Background()
	scope := tenancy.Scope{PartnerID: cu.PartnerID, TenantID: cu.ID}
	old, err := h.store.AssetCounter(ctx, scope, cu.ID)
	if err != nil || old.LicenseID == "" {
		h.t.Fatalf("asset counter of %s: %+v, %v", cu.Name, old, err)
	}
	n := old
	n.Used, n.ChangedAt = old.Quantity*9/10, ddbtest.Now
	if _, err := h.store.ApplyCounterChange(ctx, "alert-"+cu.ID, portal.CounterChange{Old: &old, New: &n}, ddbtest.Now.Add(48*time.Hour)); err != nil {
		h.t.Fatal(err)
	}
	alerts, _, err := h.store.ListAlerts(ctx, scope, portal.AlertQuery{PartnerID: cu.PartnerID, TenantID: cu.ID, Limit: 10}, nil)
	if err != nil || len(alerts) != 1 {
		h.t.Fatalf("alerts of %s = %+v, %v; want one", cu.Name, alerts, err)
	}
	return alerts[0]
}

// arrangePerson creates a user as the caller in ctx, with a password, and
// signs the browser in as that user.
func arrangePerson(h *harness, ctx context.Context, email string, role tenancy.Role, customerID string) tenancy.Identity {
	h.t.Helper()
	in := portal.UserInput{Email: &email, Role: &role}
	if customerID != "" {
		in.CustomerID = &customerID
	}
	id := h.person(ctx, in)
	if res := h.signIn(email, Password); res.status != http.StatusSeeOther {
		h.t.Fatalf("sign in as %s: status %d\n%s", email, res.status, res.body)
	}
	return id
}

// arrangeOperator creates a super admin and signs the browser in as it.
func arrangeOperator(h *harness) tenancy.Identity {
	h.t.Helper()
	return arrangePerson(h, h.as(ddbtest.SuperAdmin), "root@platform.example", tenancy.RoleSuperAdmin, "")
}

// arrangeCustomerAdmin creates an admin of cu whose portal access is level
// and signs the browser in as it.
func arrangeCustomerAdmin(h *harness, cu portal.Customer, email string, level portal.AccessLevel) tenancy.Identity {
	h.t.Helper()
	if _, err := h.s.Customers.SetAccess(h.as(h.Admin), cu.ID, &level); err != nil {
		h.t.Fatal(err)
	}
	return arrangePerson(h, h.as(h.Admin), email, tenancy.RoleCustomerAdmin, cu.ID)
}

func alertOf(t *testing.T, h *harness, a portal.Alert) portal.Alert {
	t.Helper()
	got, err := h.store.GetAlert(context.Background(), tenancy.Scope{PartnerID: a.PartnerID, TenantID: a.TenantID}, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// ---- specifications ----

func TestAlerts(t *testing.T) {
	t.Run("ListsOpenAlertsWithCustomerLicenseAndUsage", func(t *testing.T) {
		h := newHarness(t)
		arrangePricing(h)
		acme := arrangeCustomer(h, "Acme")
		arrangeAlert(h, acme)
		h.signInAdmin()
		res := h.get(Base + "/alerts")
		if res.status != http.StatusOK {
			t.Fatalf("GET alerts: %d\n%s", res.status, res.body)
		}
		res.mustContain(t, `<a href="/console/customers/`+acme.ID+`">Acme</a>`, "Per-asset", "90 %", "9 of 10", "2026-03-14 – 2026-04-14", ">Acknowledge</button>")
	})

	t.Run("AcknowledgeRecordsWhoAndWhenAndGoesBack", func(t *testing.T) {
		h := newHarness(t)
		arrangePricing(h)
		acme := arrangeCustomer(h, "Acme")
		a := arrangeAlert(h, acme)
		h.signInAdmin()
		back := Base + "/alerts?state=open"
		res := h.post(Base+"/alerts/"+a.ID+"/ack", url.Values{"back": {back}})
		if res.status != http.StatusSeeOther || res.location() != back {
			t.Fatalf("acknowledge: %d to %q, want 303 back to %q\n%s", res.status, res.location(), back, res.body)
		}
		if got := alertOf(t, h, a); !got.Acknowledged || got.AcknowledgedBy != h.Admin.UserID {
			t.Fatalf("alert after acknowledging: %+v", got)
		}
		open := h.get(back)
		open.mustContain(t, "Alert acknowledged.", "No open alerts.")
		h.get(Base+"/alerts?state=acknowledged").mustContain(t, "Acknowledged by you on 2026-03-14 09:26 UTC")
	})

	t.Run("AcknowledgeWithoutTheFormsTokenIsRefused", func(t *testing.T) {
		h := newHarness(t)
		arrangePricing(h)
		a := arrangeAlert(h, arrangeCustomer(h, "Acme"))
		h.signInAdmin()
		if res := h.post(Base+"/alerts/"+a.ID+"/ack", url.Values{"csrf": {"wrong"}}); res.status != http.StatusForbidden {
			t.Fatalf("acknowledge with a wrong token: %d, want 403", res.status)
		}
		if alertOf(t, h, a).Acknowledged {
			t.Fatal("the alert was acknowledged without the form's token")
		}
	})

	t.Run("FiltersByTheCustomerSwitchedTo", func(t *testing.T) {
		h := newHarness(t)
		arrangePricing(h)
		acme, globex := arrangeCustomer(h, "Acme"), arrangeCustomer(h, "Globex")
		arrangeAlert(h, acme)
		arrangeAlert(h, globex)
		h.signInAdmin()
		h.post(Base+"/switch", url.Values{"customerId": {globex.ID}})
		res := h.get(Base + "/alerts")
		res.mustContain(t, "(the customer you switched to)", "alert of Globex")
		res.mustNotContain(t, "alert of Acme")
		h.get(Base+"/alerts?customerId=all").mustContain(t, "alert of Acme", "alert of Globex")
		only := h.get(Base + "/alerts?customerId=" + acme.ID)
		only.mustContain(t, "alert of Acme")
		only.mustNotContain(t, "alert of Globex", "(the customer you switched to)")
	})

	t.Run("MembersSeeOnlyGrantedCustomersAlerts", func(t *testing.T) {
		h := newHarness(t)
		arrangePricing(h)
		acme, globex := arrangeCustomer(h, "Acme"), arrangeCustomer(h, "Globex")
		arrangeAlert(h, acme)
		hidden := arrangeAlert(h, globex)
		member := h.person(h.as(h.Admin), portal.UserInput{Email: ptr("member@a.example"), Role: rolePtr(tenancy.RolePartnerMember)})
		if _, err := h.s.Grants.Set(h.as(h.Admin), member.UserID, &[]string{acme.ID}); err != nil {
			t.Fatal(err)
		}
		if res := h.signIn("member@a.example", Password); res.status != http.StatusSeeOther {
			t.Fatalf("member sign in: %d", res.status)
		}
		res := h.get(Base + "/alerts")
		res.mustContain(t, "alert of Acme")
		res.mustNotContain(t, "alert of Globex")
		if res := h.post(Base+"/alerts/"+hidden.ID+"/ack", url.Values{}); res.status != http.StatusNotFound {
			t.Fatalf("member acknowledging an ungranted customer's alert: %d, want 404", res.status)
		}
		if alertOf(t, h, hidden).Acknowledged {
			t.Fatal("a member acknowledged an alert of a customer not granted to it")
		}
	})

	t.Run("CustomerUsersAndOperatorsHaveNoAlertsPage", func(t *testing.T) {
		h := newHarness(t)
		arrangePricing(h)
		acme := arrangeCustomer(h, "Acme")
		arrangeCustomerAdmin(h, acme, "boss@acme.example", portal.AccessFull)
		if res := h.get(Base + "/alerts"); res.status != http.StatusForbidden {
			t.Fatalf("customer admin GET alerts: %d, want 403", res.status)
		}
		h.get(Base+"/customers/"+acme.ID).mustNotContain(t, `href="/console/alerts"`)
		arrangeOperator(h)
		if res := h.get(Base + "/alerts"); res.status != http.StatusForbidden {
			t.Fatalf("super admin GET alerts: %d, want 403", res.status)
		}
	})
}

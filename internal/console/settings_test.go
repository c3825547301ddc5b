package console

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// pricingForm is a complete pricing form as a super admin fills it in.
func pricingForm(version string) url.Values {
	return url.Values{
		"version": {version}, "currency": {"EUR"}, "tierRows": {"3"},
		"unitCosts.per_asset.monthly": {"2.00"}, "unitCosts.per_asset.annual": {"20"},
		"unitCosts.per_scan.monthly": {"0.5"}, "unitCosts.per_scan.annual": {"5.00"},
		"unitCosts.unlimited.monthly": {"99.00"}, "unitCosts.unlimited.annual": {"990.00"},
		"tiers[0].minUnits": {"100"}, "tiers[0].discount": {"10"},
		"tiers[1].minUnits": {""}, "tiers[1].discount": {""},
		"tiers[2].minUnits": {"500"}, "tiers[2].discount": {"12.5"},
	}
}

func currentPricing(t *testing.T, h *harness) portal.Pricing {
	t.Helper()
	p, err := h.s.Pricing.Get(h.as(ddbtest.SuperAdmin))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSettings(t *testing.T) {
	t.Run("OperatorsSetPricingInMajorUnits", func(t *testing.T) {
		h := newHarness(t)
		arrangeOperator(h)
		page := h.get(Base + "/settings")
		if page.status != http.StatusOK {
			t.Fatalf("GET settings: %d\n%s", page.status, page.body)
		}
		page.mustContain(t, "not set yet", `name="version" value="0"`, `<label for="f-unitCosts.per_asset.monthly">`, `<label for="f-tiers[0].discount">`)
		res := h.post(Base+"/settings", pricingForm("0"))
		if res.status != http.StatusSeeOther {
			t.Fatalf("save pricing: %d, want 303\n%s", res.status, res.body)
		}
		p := currentPricing(t, h)
		if p.Version != 1 || p.Currency != "EUR" || p.UnitCosts[portal.ModelPerAsset][portal.PeriodMonthly] != 200 || p.UnitCosts[portal.ModelPerAsset][portal.PeriodAnnual] != 2000 ||
			p.UnitCosts[portal.ModelPerScan][portal.PeriodMonthly] != 50 || p.UnitCosts[portal.ModelUnlimited][portal.PeriodAnnual] != 99000 {
			t.Fatalf("pricing saved: %+v", p)
		}
		if len(p.PrepaidTiers) != 2 || p.PrepaidTiers[0] != (portal.PrepaidTier{MinUnits: 100, DiscountBps: 1000}) || p.PrepaidTiers[1] != (portal.PrepaidTier{MinUnits: 500, DiscountBps: 1250}) {
			t.Fatalf("tiers saved: %+v, want 100 units 10 %%, 500 units 12.5 %% (the empty row left out)", p.PrepaidTiers)
		}
		after := h.get(res.location())
		after.mustContain(t, "Pricing saved as version 1", `name="version" value="1"`, `value="2.00"`, `value="12.50"`)
	})

	t.Run("ABadAmountIs422WithTheFieldNamedAndNothingSaved", func(t *testing.T) {
		h := newHarness(t)
		before := arrangePricing(h)
		arrangeOperator(h)
		for _, bad := range []string{"12.505", "1,50", "-1", "1e3", "12.", ""} {
			form := pricingForm("1")
			form.Set("unitCosts.per_scan.annual", bad)
			res := h.post(Base+"/settings", form)
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("amount %q: %d, want 422", bad, res.status)
			}
			res.mustContain(t, "Nothing was saved. Check the per scan annual unit cost.", `id="f-unitCosts.per_scan.annual-error"`, `value="2.00"`)
		}
		if p := currentPricing(t, h); p.Version != before.Version {
			t.Fatalf("pricing version %d after refused forms, want %d", p.Version, before.Version)
		}
	})

	t.Run("TheServicesObjectionsShowNextToTheirRows", func(t *testing.T) {
		h := newHarness(t)
		arrangeOperator(h)
		form := pricingForm("0")
		form.Set("tiers[2].minUnits", "50") // below the previous tier's 100
		form.Set("currency", "EURO")
		res := h.post(Base+"/settings", form)
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("bad tiers: %d, want 422\n%s", res.status, res.body)
		}
		res.mustContain(t, `id="f-tiers[2].minUnits-error">must be greater than the previous tier`, `id="f-currency-error">must be an ISO 4217`)
		if _, err := h.s.Pricing.Get(h.as(ddbtest.SuperAdmin)); portal.ErrorCode(err) != portal.ENOTFOUND {
			t.Fatalf("pricing after a refused form: %v, want none", err)
		}
	})

	t.Run("AConcurrentEditIsRefused", func(t *testing.T) {
		h := newHarness(t)
		arrangePricing(h)
		arrangeOperator(h)
		h.get(Base+"/settings").mustContain(t, `name="version" value="1"`)
		other := arrangePricing(h) // another operator saves meanwhile: version 2
		res := h.post(Base+"/settings", pricingForm("1"))
		if res.status != http.StatusConflict {
			t.Fatalf("save over a newer version: %d, want 409", res.status)
		}
		res.mustContain(t, "someone else changed the pricing", "Reload the page")
		if p := currentPricing(t, h); p.Version != other.Version || p.UnitCosts[portal.ModelPerAsset][portal.PeriodMonthly] != 199 {
			t.Fatalf("pricing after the refused save: %+v, want version %d unchanged", p, other.Version)
		}
	})

	t.Run("SavingWithoutTheFormsTokenIsRefused", func(t *testing.T) {
		h := newHarness(t)
		arrangeOperator(h)
		form := pricingForm("0")
		form.Set("csrf", "wrong")
		if res := h.post(Base+"/settings", form); res.status != http.StatusForbidden {
			t.Fatalf("save with a wrong token: %d, want 403", res.status)
		}
		if _, err := h.s.Pricing.Get(h.as(ddbtest.SuperAdmin)); portal.ErrorCode(err) != portal.ENOTFOUND {
			t.Fatalf("pricing after a forged form: %v, want none", err)
		}
	})

	t.Run("PartnerAdminsSeePricingReadOnlyAndCannotSave", func(t *testing.T) {
		h := newHarness(t)
		arrangePricing(h)
		h.signInAdmin()
		res := h.get(Base + "/settings")
		if res.status != http.StatusOK {
			t.Fatalf("partner admin GET settings: %d", res.status)
		}
		res.mustContain(t, "EUR 1.99", "EUR 19.90", "10.00 %", "Your pre-paid pools", "Buy pre-paid units")
		res.mustContain(t, `<a href="/console/settings" aria-current="page">Settings</a>`) // "See Partner Portal Settings for current values"
		res.mustNotContain(t, `action="/console/settings"`, "Save pricing")
		if res := h.post(Base+"/settings", pricingForm("1")); res.status != http.StatusForbidden {
			t.Fatalf("partner admin saving pricing: %d, want 403", res.status)
		}
		if p := currentPricing(t, h); p.Version != 1 {
			t.Fatalf("pricing version %d after a partner's post, want 1", p.Version)
		}
	})

	t.Run("PartnerAdminsBuyPrepaidUnitsAtTheTiersDiscount", func(t *testing.T) {
		h := newHarness(t)
		arrangePricing(h)
		h.signInAdmin()
		res := h.post(Base+"/settings/prepaid", url.Values{"model": {"per_asset"}, "billingPeriod": {"monthly"}, "units": {"100"}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("buy: %d, want 303\n%s", res.status, res.body)
		}
		pools, err := h.s.Prepaid.List(h.as(h.Admin))
		if err != nil || len(pools) != 1 || pools[0].Units != 100 || pools[0].UnitCost.Amount != 179 {
			t.Fatalf("pools after buying: %+v, %v; want 100 units at 1.79 (1.99 less 10 %%)", pools, err)
		}
		h.get(res.location()).mustContain(t, "Bought 100 per asset units at EUR 1.79 each", "EUR 179.00")
	})

	t.Run("BuyingABadNumberOfUnitsIs422AndBuysNothing", func(t *testing.T) {
		h := newHarness(t)
		arrangePricing(h)
		h.signInAdmin()
		for _, units := range []string{"ten", "0", ""} {
			res := h.post(Base+"/settings/prepaid", url.Values{"model": {"per_scan"}, "billingPeriod": {"monthly"}, "units": {units}})
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("buy %q units: %d, want 422", units, res.status)
			}
			res.mustContain(t, "Nothing was bought.", `id="f-units-error"`)
		}
		if res := h.post(Base+"/settings/prepaid", url.Values{"model": {"per_scan"}, "units": {"5"}, "csrf": {"wrong"}}); res.status != http.StatusForbidden {
			t.Fatalf("buy with a wrong token: %d, want 403", res.status)
		}
		if pools, _ := h.s.Prepaid.List(h.as(h.Admin)); len(pools) != 0 {
			t.Fatalf("pools after refused forms: %+v", pools)
		}
	})

	t.Run("MembersSeePricingButNoPoolsCustomersNothing", func(t *testing.T) {
		h := newHarness(t)
		arrangePricing(h)
		acme := arrangeCustomer(h, "Acme")
		arrangePerson(h, h.as(h.Admin), "member@a.example", tenancy.RolePartnerMember, "")
		res := h.get(Base + "/settings")
		res.mustContain(t, "EUR 1.99")
		res.mustNotContain(t, "Buy pre-paid units", "Save pricing")
		arrangeCustomerAdmin(h, acme, "boss@acme.example", portal.AccessFull)
		if res := h.get(Base + "/settings"); res.status != http.StatusForbidden {
			t.Fatalf("customer admin GET settings: %d, want 403", res.status)
		}
	})
}

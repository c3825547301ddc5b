package console

import (
	"net/http"
	"testing"

	"github.com/partnerportal/portal/internal/tenancy"
)

func TestMargins(t *testing.T) {
	t.Run("ShowsALicensesMarginForThisMonth", func(t *testing.T) {
		h := newHarness(t)
		arrangePricing(h)
		acme := arrangeCustomer(h, "Acme") // 10 assets at 1.99 each, sold for 49.00 a month
		h.signInAdmin()
		res := h.get(Base + "/margins")
		if res.status != http.StatusOK {
			t.Fatalf("GET margins: %d\n%s", res.status, res.body)
		}
		res.mustContain(t, "Margins for March 2026", `value="2026-03"`, `<label for="f-period">Month</label>`,
			`<a href="/console/customers/`+acme.ID+`">Acme</a>`,
			"EUR 49.00", "EUR 19.90", "EUR 29.10", "59.39 %", "Total EUR")
	})

	t.Run("AnotherMonthHasItsOwnFigures", func(t *testing.T) {
		h := newHarness(t)
		arrangePricing(h)
		arrangeCustomer(h, "Acme")
		h.signInAdmin()
		h.get(Base+"/margins?period=2026-01").mustContain(t, "Margins for January 2026", "No license was in force in January 2026.")
		h.get(Base+"/margins?period=2026-04").mustContain(t, "EUR 29.10")
	})

	t.Run("ABadMonthIs422NextToThePicker", func(t *testing.T) {
		h := newHarness(t)
		h.signInAdmin()
		res := h.get(Base + "/margins?period=March")
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("GET margins?period=March: %d, want 422", res.status)
		}
		res.mustContain(t, `id="f-period-error">must be a month as YYYY-MM`, `aria-describedby="f-period-error"`, `value="March"`)
	})

	t.Run("OnlyPartnerAdminsSeeMargins", func(t *testing.T) {
		h := newHarness(t)
		arrangePerson(h, h.as(h.Admin), "member@a.example", tenancy.RolePartnerMember, "")
		if res := h.get(Base + "/margins"); res.status != http.StatusForbidden {
			t.Fatalf("partner member GET margins: %d, want 403", res.status)
		}
		h.get(Base+"/").mustNotContain(t, `href="/console/margins"`)
		arrangeOperator(h)
		if res := h.get(Base + "/margins"); res.status != http.StatusForbidden {
			t.Fatalf("super admin GET margins: %d, want 403", res.status)
		}
	})
}

package console

import (
	"net/http"
	"testing"

	"github.com/partnerportal/portal/internal/tenancy"
)

func TestAudit(t *testing.T) {
	t.Run("ListsTheChangeThatCreatedACustomer", func(t *testing.T) {
		h := newHarness(t)
		arrangePricing(h)
		acme := arrangeCustomer(h, "Acme")
		h.signInAdmin()
		res := h.get(Base + "/audit")
		if res.status != http.StatusOK {
			t.Fatalf("GET audit: %d\n%s", res.status, res.body)
		}
		res.mustContain(t, "<td><code>customer.create</code></td>", "customer "+acme.ID, `<a href="/console/customers/`+acme.ID+`">`,
			"<summary>", `&#34;name&#34;: &#34;Acme&#34;`, "2026-03-14 09:26 UTC", "you")
	})

	t.Run("FiltersByAction", func(t *testing.T) {
		h := newHarness(t)
		arrangePricing(h)
		arrangeCustomer(h, "Acme")
		h.signInAdmin()
		res := h.get(Base + "/audit?action=user.create")
		res.mustContain(t, "<td><code>user.create</code></td>", `<option value="user.create" selected>`)
		res.mustNotContain(t, "<td><code>customer.create</code></td>", "<td><code>license.create</code></td>")
		h.get(Base+"/audit?action=alert.ack").mustContain(t, "No entries match.")
	})

	t.Run("FiltersByCustomerAndDays", func(t *testing.T) {
		h := newHarness(t)
		arrangePricing(h)
		acme := arrangeCustomer(h, "Acme")
		h.signInAdmin()
		res := h.get(Base + "/audit?customerId=" + acme.ID)
		res.mustContain(t, "<td><code>customer.create</code></td>")
		res.mustNotContain(t, "<td><code>user.create</code></td>") // the admin is not the customer's
		h.get(Base+"/audit?from=2026-03-14&to=2026-03-14").mustContain(t, "<td><code>customer.create</code></td>")
		h.get(Base+"/audit?from=2026-03-15").mustContain(t, "No entries match.")
	})

	t.Run("ABadDayIs422NextToItsField", func(t *testing.T) {
		h := newHarness(t)
		h.signInAdmin()
		res := h.get(Base + "/audit?from=14.3.2026")
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("GET audit?from=14.3.2026: %d, want 422", res.status)
		}
		res.mustContain(t, `id="f-from-error">must be a date such as 2026-03-14`)
		res = h.get(Base + "/audit?from=2026-03-15&to=2026-03-13")
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("from after to: %d, want 422", res.status)
		}
		res.mustContain(t, `id="f-from-error">must be earlier than to`)
	})

	t.Run("OperatorsSeeThePlatformsEntries", func(t *testing.T) {
		h := newHarness(t)
		arrangePricing(h)
		arrangeOperator(h)
		res := h.get(Base + "/audit")
		res.mustContain(t, "<td><code>pricing.update</code></td>", "<td><code>partner.create</code></td>")
		res.mustNotContain(t, `<label for="f-customerId">`)
		h.signInAdmin()
		h.get(Base+"/audit").mustNotContain(t, "<td><code>pricing.update</code></td>")
	})

	t.Run("MembersHaveNoAuditLog", func(t *testing.T) {
		h := newHarness(t)
		arrangePerson(h, h.as(h.Admin), "member@a.example", tenancy.RolePartnerMember, "")
		if res := h.get(Base + "/audit"); res.status != http.StatusForbidden {
			t.Fatalf("partner member GET audit: %d, want 403", res.status)
		}
		h.get(Base+"/").mustNotContain(t, `href="/console/audit"`)
	})
}

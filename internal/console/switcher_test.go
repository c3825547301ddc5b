package console

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/partnerportal/portal/internal/portal"
)

func TestSwitchToACustomer(t *testing.T) {
	h := newHarness(t)
	mk := func(name string) portal.Customer {
		cu, err := h.s.Customers.Create(h.as(h.Admin), portal.CustomerInput{Name: ptr(name), ContactEmail: ptr("it@x.example")})
		if err != nil {
			t.Fatal(err)
		}
		return cu
	}
	acme, _, beta := mk("Acme GmbH"), mk("Acme Holding"), mk("Beta Bank")
	h.signInAdmin()

	t.Run("OneMatchSwitchesAndTheHeaderSaysSo", func(t *testing.T) {
		res := h.post(Base+"/switch", url.Values{"q": {"beta"}})
		if res.status != http.StatusSeeOther || res.location() != Base+"/customers/"+beta.ID {
			t.Fatalf("switch to beta: %d to %q, want 303 to its page", res.status, res.location())
		}
		h.get(Base+"/").mustContain(t, `Customer: <a href="/console/customers/`+beta.ID+`">Beta Bank</a>`)
	})
	t.Run("SeveralMatchesAreListedToPickFrom", func(t *testing.T) {
		res := h.post(Base+"/switch", url.Values{"q": {"acme"}})
		if res.status != http.StatusOK {
			t.Fatalf("switch to acme: status %d, want 200 with the matches", res.status)
		}
		res.mustContain(t, "Acme GmbH", "Acme Holding", `name="customerId" value="`+acme.ID+`"`)
		h.get(Base+"/").mustContain(t, "Beta Bank") // still switched to Beta Bank
	})
	t.Run("AGetChangesNothing", func(t *testing.T) {
		h.post(Base+"/switch", url.Values{"customerId": {""}})
		res := h.get(Base + "/switch?q=beta")
		if res.status != http.StatusOK {
			t.Fatalf("GET switch: status %d, want 200 with the matches", res.status)
		}
		if _, ok := h.jar[currentCookie]; ok {
			t.Fatal("a GET switched the customer (another site could make a browser do it)")
		}
	})
	t.Run("AForgedFormIsRefused", func(t *testing.T) {
		res := h.post(Base+"/switch", url.Values{"q": {"beta"}, "csrf": {"forged"}})
		if res.status != http.StatusForbidden {
			t.Fatalf("forged switch: status %d, want 403", res.status)
		}
		if _, ok := h.jar[currentCookie]; ok {
			t.Fatal("a forged form switched the customer")
		}
	})
}

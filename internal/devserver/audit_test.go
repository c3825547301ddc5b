package devserver_test

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"
)

// Every change shows in the audit log with who, what, before and after; the
// log is read newest first with filters and cursors, partner-wide by partner
// admins and tenant-wide by customer admins with full access, and cannot be
// changed through the API.
func TestEveryChangeShowsInTheAuditLog(t *testing.T) {
	st := startStack(t, t.TempDir(), fmt.Sprintf("audit_%d", time.Now().UnixNano()))
	defer st.Close()
	admin := api{t, st.URL, st.Credentials.PartnerAdminKey}
	super := api{t, st.URL, st.Credentials.SuperAdminKey}

	acme := admin.do("POST", "/v1/customers", map[string]any{"name": "Acme", "contactEmail": "it@acme.example",
		"licenses": []any{map[string]any{"model": "per_asset", "quantity": 10, "endUserPrice": map[string]any{"amount": 5000, "currency": "EUR"}}}}).want(t, 201)
	acmeID := acme.body["id"].(string)
	licenseID := acme.body["licenses"].([]any)[0].(map[string]any)["id"].(string)
	admin.do("PATCH", "/v1/customers/"+acmeID, map[string]any{"timezone": "Europe/Berlin"}).want(t, 200)
	admin.do("POST", "/v1/customers/"+acmeID+"/suspend", nil).want(t, 200)
	admin.do("POST", "/v1/customers/"+acmeID+"/resume", nil).want(t, 200)
	admin.do("PUT", "/v1/customers/"+acmeID+"/access", map[string]any{"level": "full"}).want(t, 200)
	admin.do("PATCH", "/v1/customers/"+acmeID+"/licenses/"+licenseID, map[string]any{"quantity": 20}).want(t, 200)
	member := admin.do("POST", "/v1/users", map[string]any{"email": "m@demo.example", "role": "partner_member"}).want(t, 201).body["id"].(string)
	admin.do("PUT", "/v1/users/"+member+"/grants", map[string]any{"customerIds": []string{acmeID}}).want(t, 200)
	key := admin.do("POST", "/v1/users/"+member+"/api-keys", map[string]any{"name": "m"}).want(t, 201).body["id"].(string)
	admin.do("DELETE", "/v1/api-keys/"+key, nil).want(t, 204)
	boss := admin.do("POST", "/v1/users", map[string]any{"email": "boss@acme.example", "role": "customer_admin", "customerId": acmeID}).want(t, 201).body["id"].(string)
	bossKey := admin.do("POST", "/v1/users/"+boss+"/api-keys", map[string]any{"name": "boss"}).want(t, 201).body["key"].(string)
	pricing := super.do("GET", "/v1/settings/pricing", nil).want(t, 200).body
	delete(pricing, "version")
	delete(pricing, "updatedAt")
	pricing["currency"] = "EUR"
	super.do("PUT", "/v1/settings/pricing", pricing).want(t, 200)

	actions := func(r reply) []string {
		var out []string
		for _, it := range r.body["items"].([]any) {
			out = append(out, it.(map[string]any)["action"].(string))
		}
		return out
	}
	t.Run("PartnerAdminSeesEveryChangeNewestFirst", func(t *testing.T) {
		got := actions(admin.do("GET", "/v1/audit?limit=100", nil).want(t, 200))
		want := []string{"apikey.create", "user.create", "apikey.revoke", "apikey.create", "grants.set", "user.create",
			"license.update", "customer.access", "customer.resume", "customer.suspend", "customer.update", "license.create", "customer.create",
			"apikey.create", "user.password_set", "user.invite", "user.create"} // license.create: assigned with the customer, in its transaction; the last four: the operator set up this partner's admin, the admin set a console password through an invitation, and got a key
		if !slices.Equal(got, want) {
			t.Fatalf("actions = %v\nwant %v", got, want)
		}
	})
	t.Run("EntriesSayWhoWhatBeforeAndAfter", func(t *testing.T) {
		r := admin.do("GET", "/v1/audit?action=customer.update", nil).want(t, 200)
		items := r.body["items"].([]any)
		if len(items) != 1 {
			t.Fatalf("customer.update entries = %d", len(items))
		}
		e := items[0].(map[string]any)
		change := e["changes"].(map[string]any)["timezone"].(map[string]any)
		if change["before"] != "UTC" || change["after"] != "Europe/Berlin" {
			t.Fatalf("timezone change = %v", change)
		}
		if e["actorRole"] != "partner_admin" || e["customerId"] != acmeID || e["requestId"] == "" || e["target"].(map[string]any)["id"] != acmeID {
			t.Fatalf("entry = %v", e)
		}
		if len(e["changes"].(map[string]any)) != 1 {
			t.Fatalf("only changed fields are recorded: %v", e["changes"])
		}
	})
	t.Run("FiltersAndCursors", func(t *testing.T) {
		first := admin.do("GET", "/v1/audit?customerId="+acmeID+"&limit=2", nil).want(t, 200)
		cursor := first.body["nextCursor"].(string)
		second := admin.do("GET", "/v1/audit?customerId="+acmeID+"&limit=2&cursor="+url.QueryEscape(cursor), nil).want(t, 200)
		if got := append(actions(first), actions(second)...); !slices.Equal(got, []string{"apikey.create", "user.create", "license.update", "customer.access"}) {
			t.Fatalf("Acme's entries = %v", got)
		}
		admin.do("GET", "/v1/audit?customerId="+acmeID+"&action=customer.create&limit=2&cursor="+url.QueryEscape(cursor), nil).want(t, 400)
		future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		if got := actions(admin.do("GET", "/v1/audit?from="+future, nil).want(t, 200)); len(got) != 0 {
			t.Fatalf("entries from the future = %v", got)
		}
	})
	t.Run("PlatformChangesAreTheOperatorsLog", func(t *testing.T) {
		got := actions(super.do("GET", "/v1/audit?action=pricing.update", nil).want(t, 200))
		if len(got) == 0 {
			t.Fatal("the price change is not in the operators' log")
		}
		if got := actions(admin.do("GET", "/v1/audit?action=pricing.update", nil).want(t, 200)); len(got) != 0 {
			t.Fatalf("a partner sees platform entries: %v", got)
		}
	})
	t.Run("CustomerAdminsSeeTheirTenantOnly", func(t *testing.T) {
		got := actions(api{t, st.URL, bossKey}.do("GET", "/v1/audit", nil).want(t, 200))
		if slices.Contains(got, "grants.set") || !slices.Contains(got, "customer.create") {
			t.Fatalf("a customer admin sees %v", got)
		}
		// License entries show the partner's costs and prices: not for the customer.
		if slices.Contains(got, "license.update") {
			t.Fatalf("a customer admin sees license entries: %v", got)
		}
		other := otherPartnerAdmin(t, st)
		for _, it := range other.do("GET", "/v1/audit", nil).want(t, 200).body["items"].([]any) {
			if e := it.(map[string]any); e["partnerId"] == st.Credentials.PartnerID || e["customerId"] == acmeID {
				t.Fatalf("another partner sees %v", e)
			}
		}
		other.do("GET", "/v1/audit?customerId="+acmeID, nil).want(t, 404)
	})
	t.Run("TheLogCannotBeChangedThroughTheAPI", func(t *testing.T) {
		admin.do("DELETE", "/v1/audit", nil).want(t, 405)
		admin.do("PUT", "/v1/audit", map[string]any{}).want(t, 405)
	})
}

package devserver_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The access-delegation story of issue 4 over HTTP: a customer admin sees
// nothing while its portal access is disabled, reads but cannot write under
// read_only, manages its own users under full, and is refused while its
// customer is suspended.
func TestCustomerPortalAccessLevels(t *testing.T) {
	st := startStack(t, t.TempDir(), fmt.Sprintf("access_%d", time.Now().UnixNano()))
	defer st.Close()
	admin := api{t, st.URL, st.Credentials.PartnerAdminKey}

	acme := admin.do("POST", "/v1/customers", map[string]any{"name": "Acme", "contactEmail": "it@acme.example"}).want(t, 201).body["id"].(string)
	beta := admin.do("POST", "/v1/customers", map[string]any{"name": "Beta", "contactEmail": "it@beta.example"}).want(t, 201).body["id"].(string)
	user := admin.do("POST", "/v1/users", map[string]any{"email": "boss@acme.example", "role": "customer_admin", "customerId": acme}).want(t, 201)
	if user.body["customerId"] != acme {
		t.Fatalf("customer user = %v", user.raw)
	}
	key := admin.do("POST", "/v1/users/"+user.body["id"].(string)+"/api-keys", map[string]any{"name": "acme"}).want(t, 201).body["key"].(string)
	acmeAdmin := api{t, st.URL, key}

	t.Run("DisabledByDefault", func(t *testing.T) {
		r := acmeAdmin.do("GET", "/v1/customers/"+acme, nil).want(t, 403)
		if !strings.Contains(r.raw, "disabled by your service provider") {
			t.Fatalf("the refusal should say access is disabled by the partner: %s", r.raw)
		}
	})
	t.Run("ReadOnlyReadsButCannotWrite", func(t *testing.T) {
		admin.do("PUT", "/v1/customers/"+acme+"/access", map[string]any{"level": "read_only"}).want(t, 200)
		if got := acmeAdmin.do("GET", "/v1/customers/"+acme, nil).want(t, 200).body["accessLevel"]; got != "read_only" {
			t.Fatalf("accessLevel = %v", got)
		}
		acmeAdmin.do("PATCH", "/v1/customers/"+acme, map[string]any{"timezone": "Europe/Berlin"}).want(t, 403)
		acmeAdmin.do("POST", "/v1/users", map[string]any{"email": "x@acme.example", "role": "customer_viewer"}).want(t, 403)
	})
	t.Run("FullManagesItsOwnUsersAndSettingsOnly", func(t *testing.T) {
		admin.do("PUT", "/v1/customers/"+acme+"/access", map[string]any{"level": "full"}).want(t, 200)
		viewer := acmeAdmin.do("POST", "/v1/users", map[string]any{"email": "viewer@acme.example", "role": "customer_viewer"}).want(t, 201)
		if viewer.body["customerId"] != acme {
			t.Fatalf("the new user belongs to %v, want %s", viewer.body["customerId"], acme)
		}
		if got := len(acmeAdmin.do("GET", "/v1/users", nil).want(t, 200).ids()); got != 2 {
			t.Fatalf("Acme's users = %d, want 2", got)
		}
		acmeAdmin.do("PATCH", "/v1/customers/"+acme, map[string]any{"timezone": "Europe/Berlin"}).want(t, 200)
		acmeAdmin.do("PATCH", "/v1/customers/"+acme, map[string]any{"name": "Acme Renamed"}).want(t, 403)
		acmeAdmin.do("POST", "/v1/users", map[string]any{"email": "p@acme.example", "role": "partner_admin"}).want(t, 400)
		acmeAdmin.do("POST", "/v1/users", map[string]any{"email": "b@acme.example", "role": "customer_viewer", "customerId": beta}).want(t, 400)
		acmeAdmin.do("PUT", "/v1/customers/"+acme+"/access", map[string]any{"level": "full"}).want(t, 403)
		acmeAdmin.do("GET", "/v1/customers/"+acme+"/licenses", nil).want(t, 403)
		acmeAdmin.do("GET", "/v1/customers/"+beta, nil).want(t, 404)
		acmeAdmin.do("GET", "/v1/users?customerId="+beta, nil).want(t, 404)
	})
	t.Run("SuspendedCustomersUsersAreRefused", func(t *testing.T) {
		admin.do("POST", "/v1/customers/"+acme+"/suspend", nil).want(t, 200)
		r := acmeAdmin.do("GET", "/v1/customers/"+acme, nil).want(t, 403)
		if !strings.Contains(r.raw, "suspended") {
			t.Fatalf("the refusal should say the account is suspended: %s", r.raw)
		}
		admin.do("GET", "/v1/customers/"+acme, nil).want(t, 200) // partner personnel still reach it
		admin.do("POST", "/v1/customers/"+acme+"/resume", nil).want(t, 200)
		acmeAdmin.do("GET", "/v1/customers/"+acme, nil).want(t, 200)
	})
	t.Run("BadAccessLevelNamesTheField", func(t *testing.T) {
		r := admin.do("PUT", "/v1/customers/"+acme+"/access", map[string]any{"level": "admin"}).want(t, 400)
		if f := r.fields(); len(f) != 1 || f[0] != "level" {
			t.Fatalf("fields = %v", f)
		}
	})
}

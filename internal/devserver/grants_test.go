package devserver_test

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// Issue 4's whitelist story over HTTP: a partner admin creates a member,
// grants it two of three customers, and the member sees exactly those two.
func TestPartnerMembersSeeOnlyGrantedCustomers(t *testing.T) {
	st := startStack(t, t.TempDir(), fmt.Sprintf("grants_%d", time.Now().UnixNano()))
	defer st.Close()
	admin := api{t, st.URL, st.Credentials.PartnerAdminKey}

	var ids []string
	for _, n := range []string{"Alpha", "Bravo", "Charlie"} {
		ids = append(ids, admin.do("POST", "/v1/customers", map[string]any{"name": n, "contactEmail": "it@" + n + ".example"}).want(t, 201).body["id"].(string))
	}
	member := admin.do("POST", "/v1/users", map[string]any{"email": "analyst@demo-mssp.example", "role": "partner_member"}).want(t, 201).body["id"].(string)
	key := admin.do("POST", "/v1/users/"+member+"/api-keys", map[string]any{"name": "analyst"}).want(t, 201).body["key"].(string)
	analyst := api{t, st.URL, key}

	t.Run("NoAccessByDefault", func(t *testing.T) {
		if got := analyst.do("GET", "/v1/customers", nil).want(t, 200).ids(); len(got) != 0 {
			t.Fatalf("an ungranted member sees %v", got)
		}
		analyst.do("GET", "/v1/customers/"+ids[0], nil).want(t, 404)
	})
	t.Run("SeesExactlyTheGrantedCustomers", func(t *testing.T) {
		r := admin.do("PUT", "/v1/users/"+member+"/grants", map[string]any{"customerIds": []string{ids[2], ids[0]}}).want(t, 200)
		if got := r.body["customerIds"].([]any); len(got) != 2 {
			t.Fatalf("grants = %v", got)
		}
		got := analyst.do("GET", "/v1/customers?sort=name", nil).want(t, 200).ids()
		if want := []string{ids[0], ids[2]}; !slices.Equal(got, want) {
			t.Fatalf("member sees %v, want %v (Alpha, Charlie)", got, want)
		}
		analyst.do("GET", "/v1/customers/"+ids[0], nil).want(t, 200)
		analyst.do("GET", "/v1/customers/"+ids[1], nil).want(t, 404)
		analyst.do("POST", "/v1/customers/"+ids[0]+"/suspend", nil).want(t, 200)
		analyst.do("POST", "/v1/customers/"+ids[1]+"/suspend", nil).want(t, 404)
		if got := analyst.do("GET", "/v1/customers?status=suspended", nil).want(t, 200).ids(); !slices.Equal(got, []string{ids[0]}) {
			t.Fatalf("suspended for the member = %v", got)
		}
	})
	t.Run("PagesThroughGrantedCustomersWithCursors", func(t *testing.T) {
		first := analyst.do("GET", "/v1/customers?sort=-name&limit=1", nil).want(t, 200)
		cursor, _ := first.body["nextCursor"].(string)
		second := analyst.do("GET", "/v1/customers?sort=-name&limit=1&cursor="+cursor, nil).want(t, 200)
		if got := append(first.ids(), second.ids()...); !slices.Equal(got, []string{ids[2], ids[0]}) {
			t.Fatalf("pages = %v, want Charlie then Alpha", got)
		}
		if next, _ := second.body["nextCursor"].(string); next != "" {
			t.Fatalf("a last page has a cursor")
		}
	})
	t.Run("RevokingAGrantTakesEffectOnTheNextRequest", func(t *testing.T) {
		admin.do("PUT", "/v1/users/"+member+"/grants", map[string]any{"customerIds": []string{ids[2]}}).want(t, 200)
		analyst.do("GET", "/v1/customers/"+ids[0], nil).want(t, 404)
	})
	t.Run("MembersCannotGrantOrAdministerCustomers", func(t *testing.T) {
		analyst.do("PUT", "/v1/users/"+member+"/grants", map[string]any{"customerIds": ids}).want(t, 403)
		analyst.do("POST", "/v1/customers", map[string]any{"name": "X", "contactEmail": "x@x.example"}).want(t, 403)
		analyst.do("DELETE", "/v1/customers/"+ids[2], nil).want(t, 403)
	})
	t.Run("GrantsNameOnlyTheAdminsOwnCustomers", func(t *testing.T) {
		r := admin.do("PUT", "/v1/users/"+member+"/grants", map[string]any{"customerIds": []string{ids[0], "cus_01JD0000000000000000000099"}}).want(t, 400)
		if f := r.fields(); len(f) != 1 || f[0] != "customerIds[1]" {
			t.Fatalf("fields = %v", f)
		}
		// nothing was written: the member still sees only Charlie
		if got := analyst.do("GET", "/v1/customers", nil).want(t, 200).ids(); !slices.Equal(got, []string{ids[2]}) {
			t.Fatalf("member sees %v after a rejected grant", got)
		}
	})
}

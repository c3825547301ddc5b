package console

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

var invitationLink = regexp.MustCompile(`https://console\.test(/console/invitation\?token=ppi_[A-Za-z0-9_-]+)`)

// linkOn returns the path of the invitation link a page shows.
func linkOn(t *testing.T, r *result) string {
	t.Helper()
	m := invitationLink.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no invitation link on the page (status %d):\n%s", r.status, r.body)
	}
	return m[1]
}

func usersOf(t *testing.T, h *harness, caller tenancy.Identity, customerID string) []portal.User {
	t.Helper()
	page, err := h.s.Users.List(h.as(caller), "", customerID, "100", "")
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

func TestUsers(t *testing.T) {
	t.Run("PartnerAdminsListTheirTeam", func(t *testing.T) {
		h := newHarness(t)
		h.signInAdmin()
		res := h.get(Base + "/users")
		if res.status != http.StatusOK {
			t.Fatalf("GET users: %d\n%s", res.status, res.body)
		}
		res.mustContain(t, "Your team", "<td>admin@a.example</td>", "Password set", "Invite user",
			`<option value="partner_member"`, `<option value="customer_viewer"`, `<label for="f-customerId">`)
		res.mustNotContain(t, `<option value="super_admin"`)
	})

	t.Run("InvitingShowsALinkOnceThatSetsThePassword", func(t *testing.T) {
		h := newHarness(t)
		h.signInAdmin()
		res := h.post(Base+"/users", url.Values{"email": {"new@a.example"}, "name": {"Nina New"}, "role": {"partner_member"}, "customerId": {""}})
		if res.status != http.StatusCreated {
			t.Fatalf("invite: %d, want 201\n%s", res.status, res.body)
		}
		res.mustContain(t, "User invited", "Nina New", "2026-03-21 09:26 UTC", "Send it to the person", "shown only this once")
		for _, c := range res.cookies {
			if strings.Contains(c, "ppi_") {
				t.Fatalf("the invitation token went into a cookie: %s", c)
			}
		}
		link := linkOn(t, res)
		users := usersOf(t, h, h.Admin, "")
		if len(users) != 2 || users[1].Email != "new@a.example" || users[1].Role != tenancy.RolePartnerMember {
			t.Fatalf("users after inviting: %+v", users)
		}
		h.get(Base+"/users").mustContain(t, "<td>new@a.example</td>", "Invited, link valid until 2026-03-21 09:26 UTC")
		page := h.get(link)
		if page.status != http.StatusOK {
			t.Fatalf("following the invitation link: %d\n%s", page.status, page.body)
		}
		page.mustContain(t, "Set your password", "new@a.example")
	})

	t.Run("InvitingACustomerUserNamesTheCustomer", func(t *testing.T) {
		h := newHarness(t)
		arrangePricing(h)
		acme := arrangeCustomer(h, "Acme")
		h.signInAdmin()
		h.get(Base+"/users?customerId="+acme.ID).mustContain(t, "Users of Acme", `<option value="`+acme.ID+`" selected>Acme</option>`)
		res := h.post(Base+"/users", url.Values{"email": {"viewer@acme.example"}, "role": {"customer_viewer"}, "customerId": {acme.ID}})
		if res.status != http.StatusCreated {
			t.Fatalf("invite a customer viewer: %d\n%s", res.status, res.body)
		}
		res.mustContain(t, `href="/console/users?customerId=`+acme.ID+`"`)
		if users := usersOf(t, h, h.Admin, acme.ID); len(users) != 1 || users[0].Email != "viewer@acme.example" || users[0].TenantID != acme.ID {
			t.Fatalf("Acme's users: %+v", users)
		}
	})

	t.Run("InvalidInputIs422NextToTheFieldsAndCreatesNobody", func(t *testing.T) {
		h := newHarness(t)
		h.signInAdmin()
		res := h.post(Base+"/users", url.Values{"email": {"not an address"}, "name": {"Kept Name"}, "role": {"partner_member"}})
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("invite with a bad e-mail: %d, want 422", res.status)
		}
		res.mustContain(t, `id="f-email-error"`, `aria-describedby="f-email-error"`, `value="Kept Name"`, "Nobody was invited.")
		res = h.post(Base+"/users", url.Values{"email": {"root@a.example"}, "role": {"super_admin"}})
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("partner admin inviting a super admin: %d, want 422", res.status)
		}
		res.mustContain(t, `id="f-role-error"`)
		res = h.post(Base+"/users", url.Values{"email": {"who@a.example"}, "role": {"customer_admin"}})
		res.mustContain(t, `id="f-customerId-error">is required for customer users`)
		if users := usersOf(t, h, h.Admin, ""); len(users) != 1 {
			t.Fatalf("users after refused invitations: %+v", users)
		}
	})

	t.Run("InvitingWithoutTheFormsTokenIsRefused", func(t *testing.T) {
		h := newHarness(t)
		h.signInAdmin()
		res := h.post(Base+"/users", url.Values{"email": {"new@a.example"}, "role": {"partner_member"}, "csrf": {"wrong"}})
		if res.status != http.StatusForbidden {
			t.Fatalf("invite with a wrong token: %d, want 403", res.status)
		}
		if users := usersOf(t, h, h.Admin, ""); len(users) != 1 {
			t.Fatalf("users after a forged invitation: %+v", users)
		}
	})

	t.Run("ANewInvitationReplacesTheOldLink", func(t *testing.T) {
		h := newHarness(t)
		h.signInAdmin()
		first := linkOn(t, h.post(Base+"/users", url.Values{"email": {"new@a.example"}, "role": {"partner_member"}}))
		var id string
		for _, u := range usersOf(t, h, h.Admin, "") {
			if u.Email == "new@a.example" {
				id = u.ID
			}
		}
		res := h.post(Base+"/users/"+id+"/invitation", url.Values{"email": {"new@a.example"}, "back": {Base + "/users"}})
		if res.status != http.StatusOK {
			t.Fatalf("new invitation: %d, want 200\n%s", res.status, res.body)
		}
		res.mustContain(t, "New invitation link", "new@a.example can set a password", "any earlier link no longer works")
		second := linkOn(t, res)
		if second == first {
			t.Fatal("the new invitation has the old link")
		}
		if old := h.get(first); old.status != http.StatusGone {
			t.Fatalf("the replaced link: %d, want 410", old.status)
		}
		h.get(second).mustContain(t, "Set your password")
		if res := h.post(Base+"/users/"+id+"/invitation", url.Values{"csrf": {"wrong"}}); res.status != http.StatusForbidden {
			t.Fatalf("new invitation with a wrong token: %d, want 403", res.status)
		}
		h.get(second).mustContain(t, "Set your password") // still the valid one
	})

	t.Run("MembersCustomerAccessIsSetWithCheckboxes", func(t *testing.T) {
		h := newHarness(t)
		arrangePricing(h)
		acme, globex := arrangeCustomer(h, "Acme"), arrangeCustomer(h, "Globex")
		member := h.person(h.as(h.Admin), portal.UserInput{Email: ptr("member@a.example"), Role: rolePtr(tenancy.RolePartnerMember)})
		h.signInAdmin()
		h.get(Base+"/users").mustContain(t, `href="/console/users/`+member.UserID+`/grants"`)
		page := h.get(Base + "/users/" + member.UserID + "/grants")
		if page.status != http.StatusOK {
			t.Fatalf("GET grants: %d\n%s", page.status, page.body)
		}
		page.mustContain(t, `data-filter="#grant-list"`, `data-name="Acme"`, `value="`+acme.ID+`">`, `value="`+globex.ID+`">`)
		res := h.post(Base+"/users/"+member.UserID+"/grants", url.Values{"customerIds": {acme.ID}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("set grants: %d, want 303\n%s", res.status, res.body)
		}
		seen, err := h.s.Customers.List(h.as(member), portal.ListParams{})
		if err != nil || len(seen.Items) != 1 || seen.Items[0].ID != acme.ID {
			t.Fatalf("the member's customers: %+v, %v; want Acme only", seen.Items, err)
		}
		h.get(Base+"/users/"+member.UserID+"/grants").mustContain(t, `value="`+acme.ID+`" checked>`, `value="`+globex.ID+`">`)
		if res := h.post(Base+"/users/"+member.UserID+"/grants", url.Values{"customerIds": {globex.ID}, "csrf": {"wrong"}}); res.status != http.StatusForbidden {
			t.Fatalf("set grants with a wrong token: %d, want 403", res.status)
		}
		if res := h.post(Base+"/users/"+member.UserID+"/grants", url.Values{"customerIds": {"cus_nope"}}); res.status != http.StatusUnprocessableEntity {
			t.Fatalf("grant a bogus customer: %d, want 422", res.status)
		}
		if seen, _ := h.s.Customers.List(h.as(member), portal.ListParams{}); len(seen.Items) != 1 || seen.Items[0].ID != acme.ID {
			t.Fatalf("the member's customers after refused forms: %+v", seen.Items)
		}
		if res := h.get(Base + "/users/" + h.Admin.UserID + "/grants"); res.status != http.StatusConflict || !strings.Contains(res.body, "only partner members have grants") {
			t.Fatalf("grants page of an admin: %d, want 409 saying admins have no grants\n%s", res.status, res.body)
		}
	})

	t.Run("CustomerAdminsWithFullAccessManageTheirOwnUsers", func(t *testing.T) {
		h := newHarness(t)
		arrangePricing(h)
		acme := arrangeCustomer(h, "Acme")
		arrangeCustomerAdmin(h, acme, "boss@acme.example", portal.AccessFull)
		res := h.get(Base + "/users")
		if res.status != http.StatusOK {
			t.Fatalf("customer admin GET users: %d\n%s", res.status, res.body)
		}
		res.mustContain(t, "<td>boss@acme.example</td>", `<option value="customer_viewer"`)
		res.mustNotContain(t, `<option value="partner_member"`, `<label for="f-customerId">`, "<td>admin@a.example</td>")
		res = h.post(Base+"/users", url.Values{"email": {"staff@acme.example"}, "role": {"customer_viewer"}})
		if res.status != http.StatusCreated {
			t.Fatalf("customer admin invites: %d\n%s", res.status, res.body)
		}
		h.get(linkOn(t, res)).mustContain(t, "staff@acme.example")
	})

	t.Run("ReadOnlyCustomersMembersAndViewersHaveNoUsersPage", func(t *testing.T) {
		h := newHarness(t)
		arrangePricing(h)
		acme := arrangeCustomer(h, "Acme")
		arrangeCustomerAdmin(h, acme, "boss@acme.example", portal.AccessReadOnly)
		if res := h.get(Base + "/users"); res.status != http.StatusForbidden {
			t.Fatalf("read-only customer admin GET users: %d, want 403", res.status)
		}
		res := h.post(Base+"/users", url.Values{"email": {"staff@acme.example"}, "role": {"customer_viewer"}})
		if res.status != http.StatusForbidden {
			t.Fatalf("read-only customer admin invites: %d, want 403", res.status)
		}
		if users := usersOf(t, h, h.Admin, acme.ID); len(users) != 1 {
			t.Fatalf("Acme's users: %+v", users)
		}
		arrangePerson(h, h.as(h.Admin), "member@a.example", tenancy.RolePartnerMember, "")
		if res := h.get(Base + "/users"); res.status != http.StatusForbidden {
			t.Fatalf("partner member GET users: %d, want 403", res.status)
		}
		h.get(Base+"/").mustNotContain(t, `href="/console/users"`)
	})

	t.Run("OperatorsInviteOperatorsAndPartnerUsers", func(t *testing.T) {
		h := newHarness(t)
		arrangeOperator(h)
		res := h.get(Base + "/users")
		res.mustContain(t, "Platform operators", "<td>root@platform.example</td>", `<option value="super_admin"`, `<label for="f-partnerId">`)
		res.mustNotContain(t, "<td>admin@a.example</td>", `<option value="customer_viewer"`)
		h.get(Base+"/users?partnerId="+h.Admin.PartnerID).mustContain(t, "<td>admin@a.example</td>")
		res = h.post(Base+"/users", url.Values{"email": {"second@a.example"}, "role": {"partner_admin"}, "partnerId": {h.Admin.PartnerID}})
		if res.status != http.StatusCreated {
			t.Fatalf("operator invites a partner admin: %d\n%s", res.status, res.body)
		}
		linkOn(t, res)
		if users := usersOf(t, h, ddbtest.SuperAdmin, ""); len(users) != 1 {
			t.Fatalf("operators: %+v", users)
		}
	})
}

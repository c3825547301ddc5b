package console

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

func TestSignIn(t *testing.T) {
	t.Run("PagesSendStrangersToSignInAndBack", func(t *testing.T) {
		h := newHarness(t)
		res := h.get(Base + "/customers?plan=pro")
		if res.status != http.StatusSeeOther || res.location() != Base+"/sign-in?next="+url.QueryEscape(Base+"/customers?plan=pro") {
			t.Fatalf("GET /console/customers without a session: %d to %q, want 303 to the sign-in page coming back", res.status, res.location())
		}
		page := h.get(res.location())
		page.mustContain(t, `<label for="f-email">E-mail</label>`, `<label for="f-password">Password</label>`, `name="next" value="/console/customers?plan=pro"`)
		res = h.post(Base+"/sign-in", url.Values{"email": {h.AdminEmail}, "password": {Password}, "csrf": {h.jar[preSessionCookie]}, "next": {Base + "/customers?plan=pro"}})
		if res.status != http.StatusSeeOther || res.location() != Base+"/customers?plan=pro" {
			t.Fatalf("sign in: %d to %q, want 303 back to the page asked for", res.status, res.location())
		}
	})

	t.Run("SessionCookieIsHttpOnlySecureLaxAndExpires", func(t *testing.T) {
		h := newHarness(t)
		res := h.signIn(h.AdminEmail, Password)
		var cookie *http.Cookie
		for _, c := range res.cookies {
			if ck, _ := http.ParseSetCookie(c); ck != nil && ck.Name == portal.SessionCookieName {
				cookie = ck
			}
		}
		if cookie == nil {
			t.Fatalf("no %s cookie set; cookies %q", portal.SessionCookieName, res.cookies)
		}
		if !cookie.HttpOnly || !cookie.Secure || cookie.SameSite != http.SameSiteLaxMode || cookie.MaxAge <= 0 || cookie.Path != "/" {
			t.Fatalf("session cookie %+v: want HttpOnly, Secure, SameSite=Lax, a Max-Age and Path=/", cookie)
		}
		h.get(Base+"/").mustContain(t, "Dashboard", "Sign out")
	})

	t.Run("NextCannotLeaveTheConsole", func(t *testing.T) {
		h := newHarness(t)
		h.get(Base + "/sign-in")
		res := h.post(Base+"/sign-in", url.Values{"email": {h.AdminEmail}, "password": {Password}, "csrf": {h.jar[preSessionCookie]}, "next": {"//evil.example/"}})
		if res.location() != Base+"/" {
			t.Fatalf("next=//evil.example/ redirected to %q, want the dashboard", res.location())
		}
	})

	t.Run("WrongPasswordAndUnknownEmailLookAlike", func(t *testing.T) {
		h := newHarness(t)
		wrong := h.signIn(h.AdminEmail, "not the password at all")
		unknown := h.signIn("nobody@a.example", "not the password at all")
		for _, res := range []*result{wrong, unknown} {
			if res.status != http.StatusUnauthorized {
				t.Fatalf("failed sign-in: status %d, want 401", res.status)
			}
			res.mustContain(t, "the e-mail address or password is incorrect")
			if _, ok := h.jar[portal.SessionCookieName]; ok {
				t.Fatal("a failed sign-in set a session cookie")
			}
		}
		wrong.mustContain(t, `value="admin@a.example"`) // the e-mail is kept, the password is not
		wrong.mustNotContain(t, "not the password at all")
	})

	t.Run("FiveFailuresLockTheAccountWithoutSayingItExists", func(t *testing.T) {
		h := newHarness(t)
		for _, email := range []string{h.AdminEmail, "nobody@a.example"} {
			for i := 0; i < 5; i++ {
				h.signIn(email, "wrong password number")
			}
			res := h.signIn(email, Password)
			if res.status != http.StatusTooManyRequests {
				t.Fatalf("%s: sign-in after 5 failures: status %d, want 429", email, res.status)
			}
			res.mustContain(t, "too many failed sign-ins: try again in 15 minutes")
		}
	})

	t.Run("FormWithoutItsTokenIsRefused", func(t *testing.T) {
		h := newHarness(t)
		h.get(Base + "/sign-in")
		res := h.post(Base+"/sign-in", url.Values{"email": {h.AdminEmail}, "password": {Password}, "csrf": {"forged"}})
		if res.status != http.StatusForbidden {
			t.Fatalf("sign-in with a forged token: status %d, want 403", res.status)
		}
		if _, ok := h.jar[portal.SessionCookieName]; ok {
			t.Fatal("a refused sign-in set a session cookie")
		}
	})
}

func TestSignOut(t *testing.T) {
	t.Run("EndsTheSession", func(t *testing.T) {
		h := newHarness(t)
		h.signInAdmin()
		token := h.jar[portal.SessionCookieName]
		res := h.post(Base+"/sign-out", url.Values{})
		if res.status != http.StatusSeeOther || res.location() != Base+"/sign-in" {
			t.Fatalf("sign out: %d to %q, want 303 to the sign-in page", res.status, res.location())
		}
		if _, ok := h.jar[portal.SessionCookieName]; ok {
			t.Fatal("sign-out left the session cookie")
		}
		h.jar[portal.SessionCookieName] = token // an old copy of the cookie no longer works
		if res := h.get(Base + "/"); res.status != http.StatusSeeOther {
			t.Fatalf("the signed-out session still opens the dashboard: status %d", res.status)
		}
	})

	t.Run("NeedsTheSessionsToken", func(t *testing.T) {
		h := newHarness(t)
		h.signInAdmin()
		res := h.post(Base+"/sign-out", url.Values{"csrf": {"forged"}})
		if res.status != http.StatusForbidden {
			t.Fatalf("sign-out with a forged token: status %d, want 403", res.status)
		}
		if res := h.get(Base + "/"); res.status != http.StatusOK {
			t.Fatalf("a refused sign-out ended the session: dashboard status %d", res.status)
		}
	})
}

func TestInvitation(t *testing.T) {
	invite := func(h *harness, email string) string {
		nu, err := h.s.Users.Create(h.as(h.Admin), portal.UserInput{Email: &email, Role: rolePtr(tenancy.RolePartnerMember)})
		if err != nil {
			t.Fatal(err)
		}
		return nu.Invitation.Token
	}

	t.Run("SetsThePasswordAndSignsIn", func(t *testing.T) {
		h := newHarness(t)
		token := invite(h, "member@a.example")
		h.get(Base+"/invitation?token="+url.QueryEscape(token)).mustContain(t, "member@a.example", `<label for="f-password">New password</label>`)
		res := h.post(Base+"/invitation", url.Values{"token": {token}, "password": {"a long new password"}, "confirm": {"a long new password"}, "csrf": {h.jar[preSessionCookie]}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("accept: status %d, want 303\n%s", res.status, res.body)
		}
		h.get(Base+"/").mustContain(t, "Your password is set")
		h.post(Base+"/sign-out", url.Values{})
		if res := h.signIn("member@a.example", "a long new password"); res.status != http.StatusSeeOther {
			t.Fatalf("sign in with the new password: status %d", res.status)
		}
	})

	t.Run("RefusesAShortOrMismatchedPassword", func(t *testing.T) {
		h := newHarness(t)
		token := invite(h, "member@a.example")
		h.get(Base + "/invitation?token=" + url.QueryEscape(token))
		res := h.post(Base+"/invitation", url.Values{"token": {token}, "password": {"short"}, "confirm": {"short"}, "csrf": {h.jar[preSessionCookie]}})
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `id="f-password-error"`) {
			t.Fatalf("short password: status %d, want 422 with the error next to the field\n%s", res.status, res.body)
		}
		res = h.post(Base+"/invitation", url.Values{"token": {token}, "password": {"a long new password"}, "confirm": {"another long one"}, "csrf": {h.jar[preSessionCookie]}})
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `id="f-confirm-error"`) {
			t.Fatalf("mismatch: status %d, want 422 with the error next to the confirmation\n%s", res.status, res.body)
		}
		if res := h.signIn("member@a.example", "a long new password"); res.status == http.StatusSeeOther {
			t.Fatal("a refused invitation set the password")
		}
	})

	t.Run("WorksOnce", func(t *testing.T) {
		h := newHarness(t)
		token := invite(h, "member@a.example")
		h.get(Base + "/invitation?token=" + url.QueryEscape(token))
		h.post(Base+"/invitation", url.Values{"token": {token}, "password": {"a long new password"}, "confirm": {"a long new password"}, "csrf": {h.jar[preSessionCookie]}})
		res := h.get(Base + "/invitation?token=" + url.QueryEscape(token))
		if res.status != http.StatusGone {
			t.Fatalf("a used invitation: status %d, want 410", res.status)
		}
		res.mustContain(t, "Ask your administrator for a new invitation")
	})
}

func TestCustomerUsersWithoutAccess(t *testing.T) {
	h := newHarness(t)
	c, err := h.s.Customers.Create(h.as(h.Admin), portal.CustomerInput{Name: ptr("Acme"), ContactEmail: ptr("it@acme.example")})
	if err != nil {
		t.Fatal(err)
	}
	email := "viewer@acme.example"
	h.person(h.as(h.Admin), portal.UserInput{Email: &email, Role: rolePtr(tenancy.RoleCustomerViewer), CustomerID: &c.ID})
	if res := h.signIn(email, Password); res.status != http.StatusSeeOther {
		t.Fatalf("customer viewer sign-in: status %d", res.status)
	}
	res := h.get(Base + "/")
	if res.status != http.StatusForbidden {
		t.Fatalf("dashboard of a customer without portal access: status %d, want 403", res.status)
	}
	res.mustContain(t, "Portal access is disabled", "contact your service provider", "Sign out")
	res.mustNotContain(t, "Acme")
	if res := h.post(Base+"/sign-out", url.Values{}); res.status != http.StatusSeeOther || res.location() != Base+"/sign-in" {
		t.Fatalf("sign-out of a customer user without access: %d to %q, want 303 to the sign-in page", res.status, res.location())
	}
	if _, ok := h.jar[portal.SessionCookieName]; ok {
		t.Fatal("a customer user without access could not sign out")
	}
}

package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/portal"
)

const testPassword = "correct horse battery staple"

// newUserWithInvitation creates a user as ddbtest.AdminA through POST
// /v1/users (with Host host) and returns the answer.
func newUserWithInvitation(t *testing.T, f *fixture, host, body string) NewUserJSON {
	t.Helper()
	ev := event("POST /v1/users", "/v1/users", &ddbtest.AdminA, body)
	ev.Headers["host"] = host
	res := do(t, f.users, ev)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create user: status %d, body %s", res.StatusCode, res.Body)
	}
	var u NewUserJSON
	decodeBody(t, res, &u)
	return u
}

// signedInAdmin creates a partner admin of partner A who has accepted an
// invitation, and signs in through POST /v1/sessions; it returns the
// session cookie's value and the CSRF token.
func signedInAdmin(t *testing.T, f *fixture, email string) (token, csrf string) {
	t.Helper()
	u := newUserWithInvitation(t, f, "api.example.com", `{"email":"`+email+`","role":"partner_admin"}`)
	_, err := f.sessions.AcceptInvitation(context.Background(), u.Invitation.Token, testPassword)
	must(t, err)
	res := do(t, f.users, event("POST /v1/sessions", "/v1/sessions", nil, `{"email":"`+email+`","password":"`+testPassword+`"}`))
	if res.StatusCode != http.StatusCreated || len(res.Cookies) != 1 {
		t.Fatalf("sign in: status %d, cookies %v, body %s", res.StatusCode, res.Cookies, res.Body)
	}
	var s SessionJSON
	decodeBody(t, res, &s)
	name, rest, _ := strings.Cut(res.Cookies[0], "=")
	value, _, _ := strings.Cut(rest, ";")
	if name != portal.SessionCookieName {
		t.Fatalf("cookie %q, want %s", res.Cookies[0], portal.SessionCookieName)
	}
	return value, s.CSRFToken
}

// withCookie runs an authorizer event carrying cookies (and no
// Authorization header) and returns the event for routeKey with the
// authorizer's answer as its context.
func withCookie(t *testing.T, f *fixture, routeKey, path, body string, cookies ...string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	auth, err := f.authorizer.Handle(context.Background(), events.APIGatewayV2CustomAuthorizerV2Request{Headers: map[string]string{}, Cookies: cookies})
	must(t, err)
	ev := event(routeKey, path, nil, body)
	ev.Cookies = cookies
	ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: auth.Context}
	return ev
}

// cookieAttrs returns a Set-Cookie value's name=value and its attributes
// by lower-case name ("" for flags).
func cookieAttrs(setCookie string) (string, map[string]string) {
	parts := strings.Split(setCookie, ";")
	attrs := map[string]string{}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		attrs[strings.ToLower(k)] = v
	}
	return strings.TrimSpace(parts[0]), attrs
}

func TestSessionCookie(t *testing.T) {
	created := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC) // long past: the cookie follows the session, not the wall clock
	expires := created.Add(time.Hour)
	ns := portal.NewSession{Token: "pps_tok"}
	ns.CreatedAt, ns.ExpiresAt = created, expires
	pair, attrs := cookieAttrs(SessionCookie(ns))
	if pair != "__Host-pp_session=pps_tok" {
		t.Fatalf("cookie = %q, want __Host-pp_session=pps_tok", pair)
	}
	for _, flag := range []string{"httponly", "secure"} {
		if v, ok := attrs[flag]; !ok || v != "" {
			t.Fatalf("attributes %v lack %s", attrs, flag)
		}
	}
	if attrs["samesite"] != "Lax" || attrs["path"] != "/" {
		t.Fatalf("attributes %v, want SameSite=Lax and Path=/", attrs)
	}
	if got, want := attrs["expires"], expires.UTC().Format(http.TimeFormat); got != want {
		t.Fatalf("Expires = %q, want %q", got, want)
	}
	if got := attrs["max-age"]; got != "3600" {
		t.Fatalf("Max-Age = %q, want 3600 (an hour)", got)
	}
	pair, attrs = cookieAttrs(ExpiredSessionCookie())
	if pair != "__Host-pp_session=" || attrs["max-age"] != "0" || attrs["expires"] != time.Unix(0, 0).UTC().Format(http.TimeFormat) {
		t.Fatalf("expired cookie = %q, want an empty __Host-pp_session with Max-Age=0 and Expires in 1970", ExpiredSessionCookie())
	}
}

func TestSessionRoutes(t *testing.T) {
	f := newFixture(t)

	t.Run("SignInSetsASecureCookie", func(t *testing.T) {
		u := newUserWithInvitation(t, f, "api.example.com", `{"email":"ann@a.example","role":"partner_member"}`)
		_, err := f.sessions.AcceptInvitation(context.Background(), u.Invitation.Token, testPassword)
		must(t, err)
		res := do(t, f.users, event("POST /v1/sessions", "/v1/sessions", nil, `{"email":"Ann@A.example","password":"`+testPassword+`"}`))
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("status %d, body %s", res.StatusCode, res.Body)
		}
		var s SessionJSON
		decodeBody(t, res, &s)
		if s.User.ID != u.ID || s.User.Email != "ann@a.example" || s.CSRFToken == "" || !s.ExpiresAt.Equal(ddbtest.Now.Add(portal.SessionLifetime)) {
			t.Fatalf("session = %+v, want %s's, ending in 12 hours, with a CSRF token", s, u.ID)
		}
		if len(res.Cookies) != 1 {
			t.Fatalf("cookies = %v, want the session cookie", res.Cookies)
		}
		pair, attrs := cookieAttrs(res.Cookies[0])
		if !strings.HasPrefix(pair, "__Host-pp_session=pps_") {
			t.Fatalf("cookie = %q, want __Host-pp_session=pps_…", res.Cookies[0])
		}
		_, httpOnly := attrs["httponly"]
		_, secure := attrs["secure"]
		if !httpOnly || !secure || attrs["samesite"] != "Lax" || attrs["expires"] != s.ExpiresAt.UTC().Format(http.TimeFormat) || attrs["max-age"] == "" {
			t.Fatalf("cookie attributes = %v, want HttpOnly, Secure, SameSite=Lax, Expires at the session's end and Max-Age", attrs)
		}
		if strings.Contains(res.Body, strings.TrimPrefix(pair, "__Host-pp_session=")) {
			t.Fatal("the body repeats the session token: it belongs in the HttpOnly cookie only")
		}
		if res.Headers["Cache-Control"] != "no-store" {
			t.Fatalf("Cache-Control = %q, want no-store", res.Headers["Cache-Control"])
		}
	})

	t.Run("SignInBadInputNamesTheFields", func(t *testing.T) {
		res, m := doMetered(t, f.users, event("POST /v1/sessions", "/v1/sessions", nil, `{"email":""}`))
		errs := fieldReasons(problem(t, res, http.StatusBadRequest))
		if errs["email"] == "" || errs["password"] == "" {
			t.Fatalf("field errors = %v, want email and password", errs)
		}
		wantNoWrites(t, m)
		res, m = doMetered(t, f.users, event("POST /v1/sessions", "/v1/sessions", nil, `{"email":"a@a.example","password":"x","remember":true}`))
		if errs := fieldReasons(problem(t, res, http.StatusBadRequest)); errs["remember"] == "" {
			t.Fatalf("field errors = %v, want remember named", errs)
		}
		wantNoWrites(t, m)
	})

	t.Run("OnlyAJSONBodySignsIn", func(t *testing.T) {
		// A form on another site can post text/plain that parses as JSON;
		// it must not sign the visitor's browser in (login CSRF).
		ev := event("POST /v1/sessions", "/v1/sessions", nil, `{"email":"ann@a.example","password":"`+testPassword+`"}`)
		ev.Headers["content-type"] = "text/plain"
		res, m := doMetered(t, f.users, ev)
		if errs := fieldReasons(problem(t, res, http.StatusBadRequest)); errs["Content-Type"] != "must be application/json" {
			t.Fatalf("field errors = %v, want Content-Type named", errs)
		}
		if len(res.Cookies) != 0 {
			t.Fatalf("a text/plain sign-in set cookies %q", res.Cookies)
		}
		wantNoWrites(t, m)
	})

	t.Run("WrongPasswordIs401", func(t *testing.T) {
		res := do(t, f.users, event("POST /v1/sessions", "/v1/sessions", nil, `{"email":"ann@a.example","password":"not the password"}`))
		if p := problem(t, res, http.StatusUnauthorized); p.Detail != "the e-mail address or password is incorrect" {
			t.Fatalf("detail = %q", p.Detail)
		}
		if len(res.Cookies) != 0 {
			t.Fatalf("cookies = %v, want none", res.Cookies)
		}
	})

	t.Run("LockedIs429", func(t *testing.T) {
		for i := range portal.MaxFailedSignIns {
			res := do(t, f.users, event("POST /v1/sessions", "/v1/sessions", nil, fmt.Sprintf(`{"email":"locked@a.example","password":"wrong %d"}`, i)))
			problem(t, res, http.StatusUnauthorized)
		}
		res := do(t, f.users, event("POST /v1/sessions", "/v1/sessions", nil, `{"email":"locked@a.example","password":"wrong again"}`))
		p := problem(t, res, http.StatusTooManyRequests)
		if p.Code != portal.ETOOMANY || p.Detail != "too many failed sign-ins: try again in 15 minutes" {
			t.Fatalf("problem = %+v", p)
		}
	})

	t.Run("AuthorizerAcceptsTheCookie", func(t *testing.T) {
		token, csrf := signedInAdmin(t, f, "bob@a.example")
		auth, err := f.authorizer.Handle(context.Background(), events.APIGatewayV2CustomAuthorizerV2Request{
			Headers: map[string]string{}, Cookies: []string{"theme=dark", portal.SessionCookieName + "=" + token},
		})
		must(t, err)
		c := auth.Context
		if !auth.IsAuthorized || c["authError"] != nil || c["role"] != "partner_admin" || c["partnerId"] != ddbtest.PartnerA ||
			c["csrfToken"] != csrf || !strings.HasPrefix(fmt.Sprint(c["sessionId"]), portal.PrefixSession) || c["keyId"] != "" {
			t.Fatalf("context = %v, want bob's identity with the session and its CSRF token", c)
		}
		ev := withCookie(t, f, "GET /v1/users", "/v1/users", "", portal.SessionCookieName+"="+token)
		if res := do(t, f.users, ev); res.StatusCode != http.StatusOK {
			t.Fatalf("GET with the cookie: status %d, body %s", res.StatusCode, res.Body)
		}
	})

	t.Run("AuthorizerRefusesABadCookie", func(t *testing.T) {
		for _, cookie := range []string{portal.SessionCookieName + "=pps_nonsense", portal.SessionCookieName + "=" + portal.SessionPrefix + strings.Repeat("0", 26) + "_" + strings.Repeat("a", 43)} {
			auth, err := f.authorizer.Handle(context.Background(), events.APIGatewayV2CustomAuthorizerV2Request{Headers: map[string]string{}, Cookies: []string{cookie}})
			must(t, err)
			if auth.Context["authError"] != "invalid" || auth.Context["userId"] != nil {
				t.Fatalf("%s: context = %v, want authError invalid", cookie, auth.Context)
			}
		}
		auth, err := f.authorizer.Handle(context.Background(), events.APIGatewayV2CustomAuthorizerV2Request{Headers: map[string]string{}, Cookies: []string{"theme=dark"}})
		must(t, err)
		if auth.Context["authError"] != "missing" {
			t.Fatalf("context = %v, want authError missing", auth.Context)
		}
	})

	t.Run("AnAPIKeyHeaderWinsOverTheCookie", func(t *testing.T) {
		token, _ := signedInAdmin(t, f, "kay@a.example")
		auth, err := f.authorizer.Handle(context.Background(), events.APIGatewayV2CustomAuthorizerV2Request{
			Headers: map[string]string{"authorization": "Bearer pp_not_a_key"}, Cookies: []string{portal.SessionCookieName + "=" + token},
		})
		must(t, err)
		if auth.Context["authError"] != "invalid" {
			t.Fatalf("context = %v, want the bad API key refused, not the cookie used", auth.Context)
		}
	})

	t.Run("SessionWritesNeedTheCSRFHeader", func(t *testing.T) {
		token, csrf := signedInAdmin(t, f, "cat@a.example")
		cookie := portal.SessionCookieName + "=" + token
		body := `{"email":"csrf@a.example","role":"partner_member"}`
		for name, header := range map[string]string{"Missing": "", "Wrong": csrf[:len(csrf)-1] + "x"} {
			ev := withCookie(t, f, "POST /v1/users", "/v1/users", body, cookie)
			if header != "" {
				ev.Headers["x-csrf-token"] = header
			}
			res, m := doMetered(t, f.users, ev)
			p := problem(t, res, http.StatusForbidden)
			if !strings.Contains(p.Detail, "X-CSRF-Token") {
				t.Fatalf("%s: detail = %q, want the header named", name, p.Detail)
			}
			wantNoWrites(t, m)
		}
		ev := withCookie(t, f, "POST /v1/users", "/v1/users", body, cookie)
		ev.Headers["x-csrf-token"] = csrf
		if res := do(t, f.users, ev); res.StatusCode != http.StatusCreated {
			t.Fatalf("with the CSRF token: status %d, body %s", res.StatusCode, res.Body)
		}
		// API-key requests are unaffected.
		if res := do(t, f.users, event("POST /v1/users", "/v1/users", &ddbtest.AdminA, `{"email":"key@a.example","role":"partner_member"}`)); res.StatusCode != http.StatusCreated {
			t.Fatalf("with an API key and no CSRF token: status %d, body %s", res.StatusCode, res.Body)
		}
	})

	t.Run("SignOutEndsTheSession", func(t *testing.T) {
		token, csrf := signedInAdmin(t, f, "dan@a.example")
		cookie := portal.SessionCookieName + "=" + token
		ev := withCookie(t, f, "DELETE /v1/sessions/current", "/v1/sessions/current", "", cookie)
		ev.Headers["x-csrf-token"] = csrf
		res := do(t, f.users, ev)
		if res.StatusCode != http.StatusNoContent || len(res.Cookies) != 1 || res.Cookies[0] != ExpiredSessionCookie() {
			t.Fatalf("sign out: status %d, cookies %v, body %s; want 204 and the expired cookie", res.StatusCode, res.Cookies, res.Body)
		}
		auth, err := f.authorizer.Handle(context.Background(), events.APIGatewayV2CustomAuthorizerV2Request{Headers: map[string]string{}, Cookies: []string{cookie}})
		must(t, err)
		if auth.Context["authError"] != "invalid" {
			t.Fatalf("context after sign-out = %v, want authError invalid", auth.Context)
		}
		res = do(t, f.users, withCookie(t, f, "GET /v1/users", "/v1/users", "", cookie))
		problem(t, res, http.StatusUnauthorized)
	})

	t.Run("SignOutWithAnAPIKeyIs401", func(t *testing.T) {
		res := do(t, f.users, event("DELETE /v1/sessions/current", "/v1/sessions/current", &ddbtest.AdminA, ""))
		problem(t, res, http.StatusUnauthorized)
	})

	// Only POST /v1/sessions is public among the users function's routes.
	t.Run("OnlySignInIsPublic", func(t *testing.T) {
		for _, rk := range [][2]string{{"GET /v1/users", "/v1/users"}, {"DELETE /v1/sessions/current", "/v1/sessions/current"}, {"POST /v1/users/{userId}/invitation", "/v1/users/" + ddbtest.AdminA.UserID + "/invitation"}} {
			res := do(t, f.users, event(rk[0], rk[1], nil, ""))
			problem(t, res, http.StatusUnauthorized)
		}
	})

	t.Run("NewUsersGetAWorkingInvitation", func(t *testing.T) {
		u := newUserWithInvitation(t, f, "api.example.com", `{"email":"eve@a.example","role":"partner_member"}`)
		inv := u.Invitation
		if !strings.HasPrefix(inv.Token, portal.InvitationPrefix) || !inv.ExpiresAt.Equal(ddbtest.Now.Add(portal.InvitationLifetime)) {
			t.Fatalf("invitation = %+v, want a ppi_ token valid 7 days", inv)
		}
		if want := "https://api.example.com/console/invitation?token=" + url.QueryEscape(inv.Token); inv.URL != want {
			t.Fatalf("url = %q, want %q", inv.URL, want)
		}
		ns, err := f.sessions.AcceptInvitation(context.Background(), inv.Token, testPassword)
		must(t, err)
		if ns.UserID != u.ID {
			t.Fatalf("accepted as %s, want %s", ns.UserID, u.ID)
		}
		res := do(t, f.users, event("POST /v1/sessions", "/v1/sessions", nil, `{"email":"eve@a.example","password":"`+testPassword+`"}`))
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("sign in with the new password: status %d, body %s", res.StatusCode, res.Body)
		}
	})

	t.Run("LocalStackLinksAreHTTP", func(t *testing.T) {
		for host, want := range map[string]string{"127.0.0.1:8787": "http://127.0.0.1:8787/", "localhost": "http://localhost/", "portal.example.com": "https://portal.example.com/"} {
			u := newUserWithInvitation(t, f, host, `{"email":"`+strings.NewReplacer(":", "", ".", "").Replace(host)+`@a.example","role":"partner_member"}`)
			if !strings.HasPrefix(u.Invitation.URL, want+"console/invitation?token=") {
				t.Fatalf("host %s: url = %q, want it to start %s", host, u.Invitation.URL, want)
			}
		}
	})

	t.Run("ReinviteReplacesTheInvitation", func(t *testing.T) {
		u := newUserWithInvitation(t, f, "api.example.com", `{"email":"fin@a.example","role":"partner_member"}`)
		ev := event("POST /v1/users/{userId}/invitation", "/v1/users/"+u.ID+"/invitation", &ddbtest.AdminA, "")
		ev.Headers["host"] = "api.example.com"
		res := do(t, f.users, ev)
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("status %d, body %s", res.StatusCode, res.Body)
		}
		var inv InvitationJSON
		decodeBody(t, res, &inv)
		if inv.Token == u.Invitation.Token || !strings.HasSuffix(inv.URL, url.QueryEscape(inv.Token)) || inv.ExpiresAt.IsZero() {
			t.Fatalf("invitation = %+v, want a new one", inv)
		}
		if _, err := f.sessions.InvitedUser(context.Background(), u.Invitation.Token); portal.ErrorCode(err) != portal.EUNAUTHORIZED {
			t.Fatalf("old invitation: %v, want it replaced", err)
		}
		if _, err := f.sessions.InvitedUser(context.Background(), inv.Token); err != nil {
			t.Fatalf("new invitation: %v", err)
		}
		res, m := doMetered(t, f.users, event("POST /v1/users/{userId}/invitation", "/v1/users/"+ddbtest.PartnerB+"/invitation", &ddbtest.AdminA, ""))
		problem(t, res, http.StatusNotFound)
		wantNoWrites(t, m)
	})
}

func TestInvitationURL(t *testing.T) {
	for host, want := range map[string]string{
		"console.example.com": "https://console.example.com/console/invitation?token=ppi_x",
		"127.0.0.1:3000":      "http://127.0.0.1:3000/console/invitation?token=ppi_x",
		"localhost":           "http://localhost/console/invitation?token=ppi_x",
		"app.localhost:8080":  "http://app.localhost:8080/console/invitation?token=ppi_x",
		"localhost.evil.test": "https://localhost.evil.test/console/invitation?token=ppi_x",
		"":                    "/console/invitation?token=ppi_x",
	} {
		if got := InvitationURL(host, "ppi_x"); got != want {
			t.Errorf("host %q: %s, want %s", host, got, want)
		}
	}
}

package httpapi

import (
	"context"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/partnerportal/portal/internal/portal"
)

// SessionCookie returns the Set-Cookie value that keeps a new session's
// token in the browser for the session's lifetime: sent on every path of
// the site, never to scripts (HttpOnly), only over HTTPS (Secure), and not
// with other sites' cross-site subrequests or form posts (SameSite=Lax).
// Max-Age is the session's lifetime as the service's clock made it, so the
// cookie lasts as long as the session whatever the clocks say. It is the
// one place session cookies are written; the console uses it too.
func SessionCookie(ns portal.NewSession) string {
	maxAge := int64(ns.ExpiresAt.Sub(ns.CreatedAt) / time.Second)
	return sessionCookie(ns.Token, ns.ExpiresAt, max(maxAge, 0))
}

// ExpiredSessionCookie returns the Set-Cookie value that removes the
// session cookie from the browser (at sign-out).
func ExpiredSessionCookie() string {
	return sessionCookie("", time.Unix(0, 0), 0)
}

func sessionCookie(value string, expires time.Time, maxAge int64) string {
	return portal.SessionCookieName + "=" + value + "; Path=/; Expires=" + expires.UTC().Format(http.TimeFormat) +
		"; Max-Age=" + strconv.FormatInt(maxAge, 10) + "; HttpOnly; Secure; SameSite=Lax"
}

// SessionRoutes returns the routes of signing in and out (served by the
// users function).
func SessionRoutes(sessions *portal.SessionService) map[string]Route {
	s := sessionRoutes{sessions: sessions}
	return map[string]Route{
		"POST /v1/sessions":           s.signIn,
		"DELETE /v1/sessions/current": s.signOut,
	}
}

type sessionRoutes struct {
	sessions *portal.SessionService
}

// SessionJSON is a new session as POST /v1/sessions answers it; the token
// itself is only in the cookie.
type SessionJSON struct {
	User      UserJSON  `json:"user"`
	ExpiresAt time.Time `json:"expiresAt"`
	CSRFToken string    `json:"csrfToken"`
}

func (s sessionRoutes) signIn(ctx context.Context, r *Request) (Response, error) {
	// Only a JSON body signs in: a form another site makes a browser post
	// (text/plain, urlencoded) cannot, so no site can sign a visitor in
	// as someone else (login CSRF); browsers send JSON across sites only
	// after a CORS preflight, which this API does not answer.
	if mt, _, _ := mime.ParseMediaType(r.Header("Content-Type")); mt != "application/json" {
		var p portal.Problems
		p.Add("Content-Type", "must be application/json")
		return Response{}, p.Err()
	}
	var in struct {
		Email    *string `json:"email"`
		Password *string `json:"password"`
	}
	if err := decodeJSON(r.Body, &in); err != nil {
		return Response{}, err
	}
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	ns, err := s.sessions.SignIn(ctx, deref(in.Email), deref(in.Password))
	if err != nil {
		return Response{}, err
	}
	res := JSON(http.StatusCreated, SessionJSON{User: userJSON(ns.User), ExpiresAt: ns.ExpiresAt, CSRFToken: ns.CSRFToken})
	res.Secret = true
	res.Headers = map[string]string{"Cache-Control": "no-store"}
	res.Cookies = []string{SessionCookie(ns)}
	return res, nil
}

func (s sessionRoutes) signOut(ctx context.Context, r *Request) (Response, error) {
	if err := s.sessions.SignOut(ctx); err != nil {
		return Response{}, err
	}
	return Response{Status: http.StatusNoContent, Cookies: []string{ExpiredSessionCookie()}}, nil
}

// InvitationJSON is an invitation to set a password, shown once to whoever
// made it, with the console link to pass on to the user.
type InvitationJSON struct {
	Token     string    `json:"token"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// InvitationURL returns the console link of an invitation token on host
// (the Host the request came to): https, but http on the local stack
// (localhost, 127.0.0.1, *.localhost); a path without a host when host is
// "". The console shows the same links.
func InvitationURL(host, token string) string {
	link := "/console/invitation?token=" + url.QueryEscape(token)
	if host == "" {
		return link
	}
	scheme, name := "https", host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	if name == "localhost" || name == "127.0.0.1" || strings.HasSuffix(name, ".localhost") {
		scheme = "http"
	}
	return scheme + "://" + host + link
}

// invitationJSON shows inv with its link on the host the request came to.
func invitationJSON(r *Request, inv portal.Invitation) InvitationJSON {
	link := InvitationURL(r.Header("Host"), inv.Token)
	return InvitationJSON{Token: inv.Token, URL: link, ExpiresAt: inv.ExpiresAt}
}

// Package console is the partner console: the web pages people use in a
// browser, server-rendered with html/template from templates embedded in
// the binary, with the console's own CSS and a little JavaScript, nothing
// loaded from other hosts. It serves /console/ behind the same HTTP API
// and the same Lambda authorizer as the JSON API: a person signs in and
// gets a session cookie, the authorizer turns it into the identity, and
// every page calls the same domain services with that identity. There is
// one authorization path, in internal/portal, for the API and the console.
//
// Each area of the console has its own files (customers_list.go,
// customer.go, schedules.go, ...) registering its pages;
// templates/<page>.html renders each page inside templates/layout.html.
package console

import (
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/partnerportal/portal/internal/httpapi"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/services"
	"github.com/partnerportal/portal/internal/tenancy"
)

// Base is the path under which the console is served.
const Base = "/console"

// Console serves the console's pages on the domain services.
type Console struct {
	s     *services.Services
	mux   *http.ServeMux
	pages pages
	log   *slog.Logger
}

// New returns the console on the services s. It panics when a template
// does not parse: a programming error, found at start-up and by tests.
func New(s *services.Services) *Console {
	c := &Console{s: s, mux: http.NewServeMux(), pages: mustParsePages(), log: slog.New(slog.NewJSONHandler(os.Stderr, nil))}
	c.mux.HandleFunc("GET "+Base, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Base+"/", http.StatusFound)
	})
	c.mux.Handle("GET "+Base+"/static/{file}", staticFiles())
	c.signInRoutes()
	c.dashboardRoutes()
	c.switcherRoutes()
	c.customerListRoutes()
	c.customerRoutes()
	c.scheduleRoutes()
	c.alertRoutes()
	c.marginRoutes()
	c.userRoutes()
	c.auditRoutes()
	c.settingsRoutes()
	c.mux.Handle(Base+"/", c.page(func(w http.ResponseWriter, r *http.Request) error {
		return portal.Errorf(portal.ENOTFOUND, "there is no page %s", r.URL.Path)
	}))
	return c
}

// ServeHTTP implements http.Handler, with the console's security headers
// on every answer.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	c.mux.ServeHTTP(w, r)
}

// pageFunc serves one page. Returning an error shows the error page with
// the status the error's code maps to (internal/httpapi's one mapping).
type pageFunc func(w http.ResponseWriter, r *http.Request) error

// page serves fn to signed-in people only (signedIn), except customer users
// whose organisation's portal access is disabled: they see a page saying
// so instead.
func (c *Console) page(fn pageFunc) http.Handler {
	return c.signedIn(func(w http.ResponseWriter, r *http.Request) error {
		if id := identity(r); id.Role.IsCustomerRole() && id.TenantAccess == string(portal.AccessDisabled) {
			return c.render(w, r, http.StatusForbidden, "access_disabled", view{Title: "Portal access is disabled"})
		}
		return fn(w, r)
	})
}

// signedIn serves fn to people signed in with a session: without one it
// sends the browser to the sign-in page. Every POST must carry the
// session's anti-forgery token in the form field "csrf".
func (c *Console) signedIn(fn pageFunc) http.Handler {
	return c.serve(func(w http.ResponseWriter, r *http.Request) error {
		id, ok := tenancy.FromContext(r.Context())
		if !ok || id.SessionID == "" {
			return signInFirst(w, r)
		}
		if r.Method == http.MethodPost && !validCSRF(r, id.CSRFToken) {
			return errCSRF
		}
		return fn(w, r)
	})
}

// serve runs fn and answers its error as an error page.
func (c *Console) serve(fn pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if err := fn(w, r); err != nil {
			c.fail(w, r, err)
		}
	})
}

// errCSRF answers a form whose anti-forgery token is missing or wrong.
var errCSRF = portal.Errorf(portal.EFORBIDDEN, "this form has expired or did not come from the console: reload the page and try again")

func validCSRF(r *http.Request, want string) bool {
	got := r.PostFormValue("csrf")
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// signInFirst sends the browser to the sign-in page, coming back here after.
func signInFirst(w http.ResponseWriter, r *http.Request) error {
	next := r.URL.RequestURI()
	if r.Method != http.MethodGet {
		next = Base + "/"
	}
	http.Redirect(w, r, Base+"/sign-in?next="+url.QueryEscape(next), http.StatusSeeOther)
	return nil
}

// fail renders the error page for err.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := httpapi.StatusOf(err)
	msg := portal.ErrorMessage(err)
	if status >= 500 {
		c.log.ErrorContext(r.Context(), "console", "requestId", portal.RequestIDFrom(r.Context()), "path", r.URL.Path, "error", err.Error())
		msg = "Something went wrong on our side. Please try again; if it keeps happening, quote request ID " + portal.RequestIDFrom(r.Context()) + "."
	}
	if status == http.StatusUnauthorized {
		signInFirst(w, r)
		return
	}
	title := http.StatusText(status)
	if err := c.render(w, r, status, "error", view{Title: title, Data: msg}); err != nil {
		c.log.ErrorContext(r.Context(), "render error page", "error", err.Error())
		http.Error(w, msg, status)
	}
}

// redirect answers a successful form with 303 See Other to url, showing
// flash there once.
func redirect(w http.ResponseWriter, r *http.Request, to, flash string) error {
	if flash != "" {
		setFlash(w, flash)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// formError returns the domain error's field errors for a form, and
// whether err is a validation error at all (EINVALID, or a conflict that
// names fields); other errors go to the error page.
func formError(err error) (Form, bool) {
	var e *portal.Error
	if !errors.As(err, &e) || (e.Code != portal.EINVALID && len(e.Fields) == 0 && e.Code != portal.ECONFLICT) {
		return Form{}, false
	}
	f := Form{Message: e.Message, Errors: map[string]string{}}
	for _, fe := range e.Fields {
		f.Errors[fe.Field] = fe.Reason
	}
	return f, true
}

// formStatus is the status of a form shown again with the service's
// error: 422 for invalid input, otherwise the error's own (409 for a
// conflict, 429 for a locked sign-in).
func formStatus(err error) int {
	if portal.ErrorCode(err) == portal.EINVALID {
		return http.StatusUnprocessableEntity
	}
	return httpapi.StatusOf(err)
}

// identity returns the signed-in caller (page guarantees there is one).
func identity(r *http.Request) tenancy.Identity {
	id, _ := tenancy.FromContext(r.Context())
	return id
}

// within returns path when it lies under the console (a "next" or "back"
// page a form names), fallback otherwise: redirects never leave the
// console.
func within(path, fallback string) string {
	if strings.HasPrefix(path, Base+"/") && !strings.HasPrefix(path, "//") && !strings.Contains(path, "\\") {
		return path
	}
	return fallback
}

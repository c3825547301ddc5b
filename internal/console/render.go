package console

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

//go:embed templates/*.html templates/partials/*.html
var templateFiles embed.FS

//go:embed static
var staticFS embed.FS

// view is what every page template gets: the layout's parts and the
// page's own Data.
type view struct {
	Title   string
	Section string // the sidebar entry to highlight: "customers", "schedules" ...
	Data    any
	// Set by render:
	Me      tenancy.Identity
	Nav     []navItem
	CSRF    string
	Flash   string
	Current *portal.Customer // the customer switched to, if any
}

type navItem struct {
	Section, Label, Href string // no Href: a group heading (Scans)
	Sub                  bool   // a second-level entry (Scans > Schedules)
}

// nav lists the sidebar for the caller's role.
func nav(id tenancy.Identity) []navItem {
	switch {
	case id.Role == tenancy.RoleSuperAdmin:
		return []navItem{
			{Section: "dashboard", Label: "Dashboard", Href: Base + "/"},
			{Section: "users", Label: "Users", Href: Base + "/users"},
			{Section: "audit", Label: "Audit", Href: Base + "/audit"},
			{Section: "settings", Label: "Settings", Href: Base + "/settings"},
		}
	case id.Role.IsCustomerRole():
		items := []navItem{
			{Section: "dashboard", Label: "Dashboard", Href: Base + "/"},
			{Label: "Scans"},
			{Section: "schedules", Label: "Schedules", Href: Base + "/scans/schedules", Sub: true},
		}
		if id.TenantAccess == string(portal.AccessFull) && id.Role == tenancy.RoleCustomerAdmin {
			items = append(items, navItem{Section: "users", Label: "Users", Href: Base + "/users"})
		}
		return items
	}
	items := []navItem{
		{Section: "dashboard", Label: "Dashboard", Href: Base + "/"},
		{Section: "customers", Label: "Customers", Href: Base + "/customers"},
		{Label: "Scans"},
		{Section: "schedules", Label: "Schedules", Href: Base + "/scans/schedules", Sub: true},
		{Section: "alerts", Label: "Alerts", Href: Base + "/alerts"},
	}
	if id.Role == tenancy.RolePartnerAdmin {
		items = append(items,
			navItem{Section: "margins", Label: "Margins", Href: Base + "/margins"},
			navItem{Section: "users", Label: "Users", Href: Base + "/users"},
			navItem{Section: "audit", Label: "Audit", Href: Base + "/audit"},
		)
	}
	// "See Partner Portal Settings for current values": partners read the
	// prices that apply to them there (and admins buy pre-paid pools);
	// only the super admin changes them.
	return append(items, navItem{Section: "settings", Label: "Settings", Href: Base + "/settings"})
}

// Form is a submitted form shown again: its values and the service's
// errors, each next to its field.
type Form struct {
	Values  url.Values
	Errors  map[string]string
	Message string
}

// Get returns the submitted value of field.
func (f Form) Get(field string) string { return f.Values.Get(field) }

// Err returns the error of field ("" if none).
func (f Form) Err(field string) string { return f.Errors[field] }

// pages are the parsed page templates by name (templates/<name>.html).
type pages map[string]*template.Template

var funcs = template.FuncMap{
	"money":     formatMoney,
	"datetime":  stamp,
	"date":      day,
	"datetimep": func(t *time.Time) string { return stampOr(t, "never") },
	"base":      func() string { return Base },
	"title":     label,
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
}

// mustParsePages parses every page with the layout.
func mustParsePages() pages {
	// The layout and the partials (templates/partials: defines shared by
	// several pages) are parsed once; each page is parsed on a copy.
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/partials/*.html"))
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		panic(err)
	}
	p := pages{}
	for _, name := range names {
		if name == "templates/layout.html" {
			continue
		}
		t := template.Must(template.Must(layout.Clone()).ParseFS(templateFiles, name))
		p[strings.TrimSuffix(path.Base(name), ".html")] = t
	}
	return p
}

// render writes the named page in the layout with status.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) error {
	t, ok := c.pages[page]
	if !ok {
		return fmt.Errorf("console: no page template %q", page)
	}
	if id, ok := tenancy.FromContext(r.Context()); ok && id.SessionID != "" {
		v.Me, v.Nav, v.CSRF = id, nav(id), id.CSRFToken
		if v.Current == nil && id.Role.IsPartnerRole() {
			v.Current = c.current(r)
		}
	}
	v.Flash = takeFlash(w, r)
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

const flashCookie = "pp_flash"

// setFlash shows msg once, on the next page the browser loads.
func setFlash(w http.ResponseWriter, msg string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(msg), Path: Base, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode, MaxAge: 60})
}

func takeFlash(w http.ResponseWriter, r *http.Request) string {
	ck, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: Base, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	msg, _ := url.QueryUnescape(ck.Value)
	return msg
}

// staticFiles serves the embedded CSS and JavaScript, cacheable for a day.
func staticFiles() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + r.PathValue("file")
		files.ServeHTTP(w, r2)
	})
}

package console

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// The customer list (sort, filter, search, pages, the three-dot menu's quick actions) and + New Customer.
func (c *Console) customerListRoutes() {
	c.mux.Handle("GET "+Base+"/customers", c.page(c.customerList))
	c.mux.Handle("GET "+Base+"/customers/new", c.page(c.customerNewForm))
	c.mux.Handle("POST "+Base+"/customers/new", c.page(c.customerCreate))
	c.mux.Handle("GET "+Base+"/customers/{id}/edit", c.page(c.customerEditForm))
	c.mux.Handle("POST "+Base+"/customers/{id}/edit", c.page(c.customerUpdate))
	c.mux.Handle("GET "+Base+"/customers/{id}/access", c.page(c.customerAccessForm))
	c.mux.Handle("POST "+Base+"/customers/{id}/access", c.page(c.customerSetAccess))
	c.mux.Handle("POST "+Base+"/customers/{id}/suspend", c.page(c.customerAction(actSuspend)))
	c.mux.Handle("POST "+Base+"/customers/{id}/resume", c.page(c.customerAction(actResume)))
	c.mux.Handle("POST "+Base+"/customers/{id}/archive", c.page(c.customerAction(actArchive)))
	c.mux.Handle("POST "+Base+"/customers/{id}/scan", c.page(c.customerAction(actScan)))
}

// ---- the list ----

// listQueryKeys are the query parameters the list keeps across sorting,
// filtering and paging.
var listQueryKeys = []string{"q", "status", "plan", "lastScanAfter", "lastScanBefore", "sort", "cursor"}

// sortColumn is one sortable column header.
type sortColumn struct {
	Label    string
	Href     string // the query string that sorts by this column (toggling when it is the current one)
	AriaSort string // "ascending" / "descending" on the sorted column, else ""
	Hint     string // visually hidden text saying what a click does
}

type customerRow struct {
	ID, Name, Status, StatusLabel, Plan, LastScan, Created string
	Suspendable, Resumable, Archived                       bool
}

type option struct {
	Value, Label string
	Selected     bool
}

type customerListData struct {
	Query     url.Values // the list's own parameters (filters, sort, cursor)
	Form      Form       // filter values and the service's errors
	Back      string     // this page's URL, for the menu's forms
	Columns   map[string]sortColumn
	Rows      []customerRow
	NextHref  string // the next page, if there is one
	FirstHref string // the first page, when on a later one
	ClearHref string // the list without filters (same order), when filtered
	Later     bool   // on a page after the first
	Statuses  []option
	Plans     []option
	Filtered  bool
	IsAdmin   bool
	FromDate  string
	ToDate    string
}

func (c *Console) customerList(w http.ResponseWriter, r *http.Request) error {
	id := identity(r)
	if !id.Role.IsPartnerRole() {
		return portal.Errorf(portal.EFORBIDDEN, "the customer list is for partner personnel")
	}
	raw := r.URL.Query()
	q := url.Values{}
	for _, k := range listQueryKeys {
		if v := strings.TrimSpace(raw.Get(k)); v != "" {
			q.Set(k, v)
		}
	}
	data := customerListData{
		Query:   q,
		Form:    Form{Values: q, Errors: map[string]string{}},
		Back:    r.URL.RequestURI(),
		IsAdmin: id.Role == tenancy.RolePartnerAdmin,
		Later:   q.Get("cursor") != "",
	}
	data.Filtered = q.Get("q") != "" || q.Get("status") != "" || q.Get("plan") != "" || q.Get("lastScanAfter") != "" || q.Get("lastScanBefore") != ""
	data.FromDate, data.ToDate = dateOnly(q.Get("lastScanAfter")), dateOnly(q.Get("lastScanBefore"))
	data.Statuses = options(q.Get("status"), "Not archived", []string{"active", "trial", "suspended", "archived"})
	data.Plans = options(q.Get("plan"), "Any plan", []string{"none", "per_asset", "per_scan", "unlimited", "mixed"})
	data.Columns = sortColumns(q)
	if data.Later {
		data.FirstHref = queryWith(Base+"/customers", q, "cursor", "")
	}
	if data.Filtered {
		data.ClearHref = Base + "/customers"
		if s := q.Get("sort"); s != "" {
			data.ClearHref += "?" + url.Values{"sort": {s}}.Encode()
		}
	}

	status := http.StatusOK
	page, err := c.s.Customers.List(r.Context(), portal.ListParams{
		Sort: q.Get("sort"), Status: q.Get("status"), Plan: q.Get("plan"), Q: q.Get("q"),
		LastScanAfter:  dayBound(q.Get("lastScanAfter"), false),
		LastScanBefore: dayBound(q.Get("lastScanBefore"), true),
		Limit:          strconv.Itoa(portal.DefaultPageSize),
		Cursor:         q.Get("cursor"),
	})
	if err != nil {
		f, ok := formError(err)
		if !ok {
			return err
		}
		f.Values = q
		data.Form = f
		status = http.StatusUnprocessableEntity
	} else {
		if page.NextCursor != "" {
			data.NextHref = queryWith(Base+"/customers", q, "cursor", page.NextCursor)
		}
		for _, cu := range page.Items {
			data.Rows = append(data.Rows, customerRow{
				ID: cu.ID, Name: cu.Name, Status: string(cu.Status), StatusLabel: label(string(cu.Status)),
				Plan: planLabel(cu.Plan), LastScan: stampOr(cu.LastScanAt, "Never"), Created: cu.CreatedAt.UTC().Format("2006-01-02"),
				Suspendable: cu.Status == portal.StatusActive || cu.Status == portal.StatusTrial,
				Resumable:   cu.Status == portal.StatusSuspended,
				Archived:    cu.Status == portal.StatusArchived,
			})
		}
	}
	return c.render(w, r, status, "customers_list", view{Title: "Customers", Section: "customers", Data: data})
}

// sortColumns builds the sortable headers for the list's current order.
func sortColumns(q url.Values) map[string]sortColumn {
	cur := q.Get("sort")
	if cur == "" {
		cur = string(portal.SortName)
	}
	key, desc := strings.CutPrefix(cur, "-")
	cols := map[string]sortColumn{}
	for _, k := range []struct{ key, label string }{
		{"name", "Name"}, {"status", "Status"}, {"plan", "Plan"}, {"lastScanAt", "Last scan"}, {"createdAt", "Created"},
	} {
		col := sortColumn{Label: k.label}
		next := k.key
		if k.key == key {
			col.AriaSort = "ascending"
			if desc {
				col.AriaSort = "descending"
			} else {
				next = "-" + k.key
			}
		}
		if strings.HasPrefix(next, "-") {
			col.Hint = "sort descending"
		} else {
			col.Hint = "sort ascending"
		}
		col.Href = queryWith(Base+"/customers", q, "sort", next)
		cols[k.key] = col
	}
	return cols
}

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// dayBound turns a date from the filter form (2026-11-01) into the time the
// service compares with, both bounds being exclusive there: "from" a day is
// after the last millisecond of the day before, "to" a day is before the
// start of the next day. Anything else goes to the service as it is (an
// RFC 3339 time works; the service reports what does not).
func dayBound(v string, end bool) string {
	if !dateRE.MatchString(v) {
		return v
	}
	d, err := time.Parse("2006-01-02", v)
	if err != nil {
		return v
	}
	if end {
		return d.AddDate(0, 0, 1).Format(time.RFC3339)
	}
	return d.Add(-time.Millisecond).Format(time.RFC3339Nano)
}

// dateOnly returns v if it is a date the date input can show.
func dateOnly(v string) string {
	if dateRE.MatchString(v) {
		return v
	}
	return ""
}

func options(cur, anyLabel string, values []string) []option {
	opts := []option{{Value: "", Label: anyLabel, Selected: cur == ""}}
	for _, v := range values {
		l := label(v)
		if v == "none" {
			l = "No license"
		}
		opts = append(opts, option{Value: v, Label: l, Selected: v == cur})
	}
	return opts
}

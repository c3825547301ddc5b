package console

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// ---- arranging ----

// setPricing lets licenses be assigned (the platform operator's pricing, in EUR).
func (h *harness) setPricing() {
	h.t.Helper()
	cur := "EUR"
	costs := map[string]map[string]int64{}
	for _, m := range portal.LicenseModels {
		costs[string(m)] = map[string]int64{"monthly": 199, "annual": 1990}
	}
	tiers := []portal.PrepaidTier{}
	if _, err := h.s.Pricing.Put(h.as(ddbtest.SuperAdmin), portal.PricingInput{Currency: &cur, UnitCosts: &costs, PrepaidTiers: &tiers}, nil); err != nil {
		h.t.Fatalf("set pricing: %v", err)
	}
}

// customer creates a customer of partner A as its admin, with a license
// of model when model is not "".
func (h *harness) customer(name string, model portal.LicenseModel) portal.Customer {
	h.t.Helper()
	in := portal.CustomerInput{Name: ptr(name), ContactEmail: ptr("ops@" + strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".example")}
	if model != "" {
		lin := portal.LicenseInput{Model: &model, EndUserPrice: &portal.MoneyInput{Amount: ptr(int64(4900)), Currency: ptr("EUR")}}
		if model.Metered() {
			lin.Quantity = ptr(int64(10))
		}
		in.Licenses = &[]portal.LicenseInput{lin}
	}
	c, _, err := h.s.Customers.CreateWithLicenses(h.as(h.Admin), in)
	if err != nil {
		h.t.Fatalf("create customer %s: %v", name, err)
	}
	return c
}

// scannedAt sets when the customer was last scanned, in the store (as
// scan-run does when a scan finishes).
func (h *harness) scannedAt(customerID string, at time.Time) {
	h.t.Helper()
	ctx := h.as(h.Admin)
	c, err := h.s.Customers.Get(ctx, customerID)
	if err != nil {
		h.t.Fatal(err)
	}
	c.LastScanAt = &at
	c.Version++
	if err := h.store.UpdateCustomer(ctx, h.Admin.Scope(), c); err != nil {
		h.t.Fatalf("set lastScanAt of %s: %v", c.Name, err)
	}
}

func (h *harness) customerNow(id string) portal.Customer {
	h.t.Helper()
	c, err := h.s.Customers.Get(h.as(h.Admin), id)
	if err != nil {
		h.t.Fatalf("get customer %s: %v", id, err)
	}
	return c
}

// customerCount counts partner A's customers, archived ones too.
func (h *harness) customerCount() int {
	h.t.Helper()
	n := 0
	for _, status := range []string{"", "archived"} {
		page, err := h.s.Customers.List(h.as(h.Admin), portal.ListParams{Status: status, Limit: "100"})
		if err != nil {
			h.t.Fatal(err)
		}
		n += len(page.Items)
	}
	return n
}

// rowOrder returns the names in the order the page's table shows them
// (the row links), failing if one is missing.
func rowOrder(t *testing.T, r *result, names ...string) []string {
	t.Helper()
	type at struct {
		name string
		i    int
	}
	var found []at
	for _, n := range names {
		i := strings.Index(r.body, ">"+html.EscapeString(n)+"</a></td>")
		if i < 0 {
			t.Fatalf("the list does not show %q:\n%s", n, r.body)
		}
		found = append(found, at{n, i})
	}
	for i := range found {
		for j := i + 1; j < len(found); j++ {
			if found[j].i < found[i].i {
				found[i], found[j] = found[j], found[i]
			}
		}
	}
	out := make([]string, len(found))
	for i, f := range found {
		out[i] = f.name
	}
	return out
}

// shows reports whether the list shows a row for name.
func shows(r *result, name string) bool {
	return strings.Contains(r.body, ">"+html.EscapeString(name)+"</a></td>")
}

func rowCount(r *result) int { return strings.Count(r.body, `<details class="row-menu">`) }

// ---- the list ----

func TestCustomerList(t *testing.T) {
	t.Run("ShowsCustomersWithTheirColumnsReportsLinkAndMenu", func(t *testing.T) {
		h := newHarness(t)
		h.setPricing()
		acme := h.customer("Acme GmbH", portal.ModelPerAsset)
		h.scannedAt(acme.ID, time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC))
		h.signInAdmin()
		res := h.get(Base + "/customers")
		if res.status != http.StatusOK {
			t.Fatalf("GET customers: %d\n%s", res.status, res.body)
		}
		res.mustContain(t,
			`<h1>Customers</h1>`, `>+ New Customer</a>`,
			`<a href="/console/customers/`+acme.ID+`">Acme GmbH</a>`,
			`<span class="badge active">Active</span>`, `Per asset`, `2026-03-04 10:30 UTC`,
			`href="/console/customers/`+acme.ID+`/reports" aria-label="See reports for Acme GmbH"`,
			`<summary aria-label="Actions for Acme GmbH">`,
			`href="/console/customers/`+acme.ID+`/edit?back=`,
			`action="/console/customers/`+acme.ID+`/suspend"`, `action="/console/customers/`+acme.ID+`/scan"`,
			`action="/console/customers/`+acme.ID+`/archive"`, `href="/console/customers/`+acme.ID+`/access?back=`,
			`<th scope="col" aria-sort="ascending"><a href="/console/customers?sort=-name">Name`,
		)
		res.mustNotContain(t, `/resume"`)
	})

	t.Run("SortsByLastScan", func(t *testing.T) {
		h := newHarness(t)
		day := func(d int) time.Time { return time.Date(2026, 2, d, 12, 0, 0, 0, time.UTC) }
		for name, d := range map[string]int{"Bravo": 1, "Alpha": 20, "Charlie": 10} {
			h.scannedAt(h.customer(name, "").ID, day(d))
		}
		h.signInAdmin()
		asc := h.get(Base + "/customers?sort=lastScanAt")
		if got := rowOrder(t, asc, "Alpha", "Bravo", "Charlie"); fmt.Sprint(got) != "[Bravo Charlie Alpha]" {
			t.Fatalf("sorted by last scan, ascending: %v, want [Bravo Charlie Alpha]", got)
		}
		asc.mustContain(t, `<th scope="col" aria-sort="ascending"><a href="/console/customers?sort=-lastScanAt">Last scan`)
		desc := h.get(Base + "/customers?sort=-lastScanAt")
		if got := rowOrder(t, desc, "Alpha", "Bravo", "Charlie"); fmt.Sprint(got) != "[Alpha Charlie Bravo]" {
			t.Fatalf("sorted by last scan, descending: %v, want [Alpha Charlie Bravo]", got)
		}
		desc.mustContain(t, `<th scope="col" aria-sort="descending"><a href="/console/customers?sort=lastScanAt">Last scan`)
		desc.mustNotContain(t, `aria-sort="ascending"`)
		byName := h.get(Base + "/customers")
		if got := rowOrder(t, byName, "Alpha", "Bravo", "Charlie"); fmt.Sprint(got) != "[Alpha Bravo Charlie]" {
			t.Fatalf("default order: %v, want by name", got)
		}
	})

	t.Run("FiltersByLastScanDates", func(t *testing.T) {
		h := newHarness(t)
		h.scannedAt(h.customer("Early", "").ID, time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
		h.scannedAt(h.customer("Middle", "").ID, time.Date(2026, 2, 10, 23, 59, 59, 0, time.UTC))
		h.scannedAt(h.customer("Late", "").ID, time.Date(2026, 2, 20, 8, 0, 0, 0, time.UTC))
		h.customer("Never", "")
		h.signInAdmin()
		res := h.get(Base + "/customers?lastScanAfter=2026-02-01&lastScanBefore=2026-02-10")
		if !shows(res, "Early") || !shows(res, "Middle") || shows(res, "Late") || shows(res, "Never") {
			t.Fatalf("last scan 2026-02-01 to 2026-02-10 (whole days) should show Early and Middle only:\n%s", res.body)
		}
		res.mustContain(t, `name="lastScanAfter" type="date" value="2026-02-01"`, `Clear filters`)
	})

	t.Run("FiltersByPlanAndStatus", func(t *testing.T) {
		h := newHarness(t)
		h.setPricing()
		h.customer("Assets Inc", portal.ModelPerAsset)
		scans := h.customer("Scans Ltd", portal.ModelPerScan)
		h.customer("Flat AG", portal.ModelUnlimited)
		if _, err := h.s.Customers.Suspend(h.as(h.Admin), scans.ID); err != nil {
			t.Fatal(err)
		}
		h.signInAdmin()
		res := h.get(Base + "/customers?plan=per_scan")
		if !shows(res, "Scans Ltd") || shows(res, "Assets Inc") || shows(res, "Flat AG") {
			t.Fatalf("plan=per_scan should show Scans Ltd only:\n%s", res.body)
		}
		res.mustContain(t, `<option value="per_scan" selected>`)
		res = h.get(Base + "/customers?status=suspended")
		if !shows(res, "Scans Ltd") || rowCount(res) != 1 {
			t.Fatalf("status=suspended should show Scans Ltd only:\n%s", res.body)
		}
		res.mustContain(t, `<span class="badge suspended">Suspended</span>`, `action="/console/customers/`+scans.ID+`/resume"`)
		res = h.get(Base + "/customers?status=active&plan=unlimited")
		if !shows(res, "Flat AG") || rowCount(res) != 1 {
			t.Fatalf("status=active&plan=unlimited should show Flat AG only:\n%s", res.body)
		}
	})

	t.Run("SearchesByName", func(t *testing.T) {
		h := newHarness(t)
		h.customer("Acme GmbH", "")
		h.customer("Acorn Ltd", "")
		h.customer("Beta SA", "")
		h.signInAdmin()
		res := h.get(Base + "/customers?q=ac")
		if !shows(res, "Acme GmbH") || !shows(res, "Acorn Ltd") || shows(res, "Beta SA") {
			t.Fatalf("q=ac should show Acme and Acorn:\n%s", res.body)
		}
		res.mustContain(t, `name="q" type="search" value="ac"`)
	})

	t.Run("InvalidFiltersShowTheServicesErrorNextToTheField", func(t *testing.T) {
		h := newHarness(t)
		h.customer("Acme GmbH", "")
		h.signInAdmin()
		res := h.get(Base + "/customers?status=sleeping")
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("status=sleeping: %d, want 422\n%s", res.status, res.body)
		}
		res.mustContain(t, `aria-describedby="f-status-error"`, `<p class="field-error" id="f-status-error">must be one of`)
		res = h.get(Base + "/customers?lastScanAfter=2026-03-10&lastScanBefore=2026-03-01")
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("a from date after the to date: %d, want 422", res.status)
		}
		res.mustContain(t, `id="f-lastScanAfter-error">must be earlier than lastScanBefore`)
	})

	t.Run("PagesThroughThirtyCustomersKeepingFiltersAndSort", func(t *testing.T) {
		h := newHarness(t)
		for i := range 30 {
			h.customer(fmt.Sprintf("Customer %02d", i), "")
		}
		h.signInAdmin()
		first := h.get(Base + "/customers?sort=-name&q=customer")
		if n := rowCount(first); n != 25 {
			t.Fatalf("first page shows %d customers, want 25", n)
		}
		if !shows(first, "Customer 29") || shows(first, "Customer 04") {
			t.Fatalf("first page sorted by name descending should run from 29 down to 05")
		}
		first.mustContain(t, `<nav class="pager" aria-label="Customer list pages">`, `rel="next">Next page</a>`)
		first.mustNotContain(t, `First page`)
		i := strings.Index(first.body, `rel="next"`)
		start := strings.LastIndex(first.body[:i], `href="`) + len(`href="`)
		next := html.UnescapeString(first.body[start : start+strings.Index(first.body[start:], `"`)])
		u, _ := url.Parse(next)
		if u.Query().Get("sort") != "-name" || u.Query().Get("q") != "customer" || u.Query().Get("cursor") == "" {
			t.Fatalf("next page link %q should keep sort and q and carry the cursor", next)
		}
		second := h.get(next)
		if second.status != http.StatusOK || rowCount(second) != 5 {
			t.Fatalf("second page: %d with %d customers, want 200 with 5\n%s", second.status, rowCount(second), second.body)
		}
		for i := range 5 {
			if !shows(second, fmt.Sprintf("Customer %02d", i)) {
				t.Fatalf("second page lacks Customer %02d", i)
			}
		}
		second.mustContain(t, `>First page</a>`)
		second.mustNotContain(t, `Next page`)
	})

	t.Run("MemberSeesOnlyGrantedCustomersAndNoAdminActions", func(t *testing.T) {
		h := newHarness(t)
		granted := h.customer("Granted Co", "")
		h.customer("Hidden Co", "")
		member := h.person(h.as(h.Admin), portal.UserInput{Email: ptr("member@a.example"), Role: rolePtr(tenancy.RolePartnerMember)})
		if _, err := h.s.Grants.Set(h.as(h.Admin), member.UserID, &[]string{granted.ID}); err != nil {
			t.Fatal(err)
		}
		if res := h.signIn("member@a.example", Password); res.status != http.StatusSeeOther {
			t.Fatalf("member sign in: %d", res.status)
		}
		res := h.get(Base + "/customers")
		if res.status != http.StatusOK || !shows(res, "Granted Co") || shows(res, "Hidden Co") {
			t.Fatalf("member's list: %d, want Granted Co only\n%s", res.status, res.body)
		}
		res.mustContain(t, `/suspend"`, `/scan"`)
		res.mustNotContain(t, `+ New Customer`, `/archive"`, `/edit`, `/access`)
		if res := h.get(Base + "/customers/new"); res.status != http.StatusForbidden {
			t.Fatalf("member GET new customer: %d, want 403", res.status)
		}
		if res := h.post(Base+"/customers/"+granted.ID+"/suspend", url.Values{"back": {Base + "/customers"}}); res.status != http.StatusSeeOther {
			t.Fatalf("member suspends a granted customer: %d, want 303\n%s", res.status, res.body)
		}
		if got := h.customerNow(granted.ID).Status; got != portal.StatusSuspended {
			t.Fatalf("status after the member's suspend: %s", got)
		}
	})

	t.Run("CustomerUsersDoNotGetTheList", func(t *testing.T) {
		h := newHarness(t)
		acme := h.customer("Acme GmbH", "")
		level := portal.AccessFull
		if _, err := h.s.Customers.SetAccess(h.as(h.Admin), acme.ID, &level); err != nil {
			t.Fatal(err)
		}
		h.person(h.as(h.Admin), portal.UserInput{Email: ptr("boss@acme.example"), Role: rolePtr(tenancy.RoleCustomerAdmin), CustomerID: &acme.ID})
		if res := h.signIn("boss@acme.example", Password); res.status != http.StatusSeeOther {
			t.Fatalf("customer admin sign in: %d", res.status)
		}
		for _, p := range []string{"/customers", "/customers/new", "/customers/" + acme.ID + "/access"} {
			if res := h.get(Base + p); res.status != http.StatusForbidden {
				t.Fatalf("customer admin GET %s: %d, want 403", p, res.status)
			}
		}
		for _, p := range []string{"suspend", "archive", "access"} {
			if res := h.post(Base+"/customers/"+acme.ID+"/"+p, url.Values{"level": {"disabled"}}); res.status != http.StatusForbidden {
				t.Fatalf("customer admin POST %s: %d, want 403", p, res.status)
			}
		}
		if c := h.customerNow(acme.ID); c.Status != portal.StatusActive || c.AccessLevel != portal.AccessFull {
			t.Fatalf("customer changed by its own admin: %s, %s", c.Status, c.AccessLevel)
		}
	})
}

// ---- the three-dot menu's quick actions ----

func TestCustomerQuickActions(t *testing.T) {
	t.Run("SuspendResumeAndArchiveChangeStatusAndReturnToTheList", func(t *testing.T) {
		h := newHarness(t)
		acme := h.customer("Acme GmbH", "")
		h.signInAdmin()
		back := Base + "/customers?plan=none&sort=-name"
		list := h.get(back)
		list.mustContain(t, `name="back" value="/console/customers?plan=none&amp;sort=-name"`)

		res := h.post(Base+"/customers/"+acme.ID+"/suspend", url.Values{"back": {back}})
		if res.status != http.StatusSeeOther || res.location() != back {
			t.Fatalf("suspend: %d to %q, want 303 back to %q", res.status, res.location(), back)
		}
		if got := h.customerNow(acme.ID).Status; got != portal.StatusSuspended {
			t.Fatalf("after suspend: %s", got)
		}
		page := h.get(res.location())
		page.mustContain(t, `Acme GmbH suspended.`, `<span class="badge suspended">Suspended</span>`, `/resume"`)

		res = h.post(Base+"/customers/"+acme.ID+"/resume", url.Values{"back": {back}})
		if res.status != http.StatusSeeOther || h.customerNow(acme.ID).Status != portal.StatusActive {
			t.Fatalf("resume: %d, status %s", res.status, h.customerNow(acme.ID).Status)
		}
		h.get(res.location()).mustContain(t, `Acme GmbH resumed.`)

		res = h.post(Base+"/customers/"+acme.ID+"/archive", url.Values{"back": {back}})
		if res.status != http.StatusSeeOther || h.customerNow(acme.ID).Status != portal.StatusArchived {
			t.Fatalf("archive: %d, status %s", res.status, h.customerNow(acme.ID).Status)
		}
		page = h.get(res.location())
		page.mustContain(t, `Acme GmbH archived.`)
		if shows(page, "Acme GmbH") {
			t.Fatal("an archived customer is still in the default list")
		}
		if !shows(h.get(Base+"/customers?status=archived"), "Acme GmbH") {
			t.Fatal("status=archived does not show the archived customer")
		}
	})

	t.Run("BackMustBeAConsolePage", func(t *testing.T) {
		h := newHarness(t)
		acme := h.customer("Acme GmbH", "")
		h.signInAdmin()
		res := h.post(Base+"/customers/"+acme.ID+"/suspend", url.Values{"back": {"https://evil.example/"}})
		if res.location() != Base+"/customers/"+acme.ID {
			t.Fatalf("back=https://evil.example/ redirected to %q, want the customer's page", res.location())
		}
	})

	t.Run("ScanNowExplainsARefusal", func(t *testing.T) {
		h := newHarness(t)
		acme := h.customer("Acme GmbH", "")
		h.signInAdmin()
		res := h.post(Base+"/customers/"+acme.ID+"/scan", url.Values{"back": {Base + "/customers"}})
		if res.status != http.StatusSeeOther || res.location() != Base+"/customers" {
			t.Fatalf("scan now without a license: %d to %q, want 303 back to the list", res.status, res.location())
		}
		h.get(res.location()).mustContain(t, `Acme GmbH was not scanned:`, `no license in force`)
	})

	t.Run("CSRFIsRejected", func(t *testing.T) {
		h := newHarness(t)
		acme := h.customer("Acme GmbH", "")
		h.signInAdmin()
		for _, p := range []string{"suspend", "archive", "scan"} {
			res := h.post(Base+"/customers/"+acme.ID+"/"+p, url.Values{"csrf": {"wrong"}})
			if res.status != http.StatusForbidden {
				t.Fatalf("POST %s with a wrong token: %d, want 403", p, res.status)
			}
		}
		res := h.post(Base+"/customers/"+acme.ID+"/access", url.Values{"csrf": {"wrong"}, "level": {"full"}})
		if res.status != http.StatusForbidden {
			t.Fatalf("POST access with a wrong token: %d, want 403", res.status)
		}
		if c := h.customerNow(acme.ID); c.Status != portal.StatusActive || c.AccessLevel != portal.AccessDisabled || c.Version != acme.Version {
			t.Fatalf("a forged form changed the customer: %+v", c)
		}
	})

	t.Run("AccessLevelPageSetsTheLevel", func(t *testing.T) {
		h := newHarness(t)
		acme := h.customer("Acme GmbH", "")
		h.signInAdmin()
		page := h.get(Base + "/customers/" + acme.ID + "/access?back=" + url.QueryEscape(Base+"/customers?q=ac"))
		page.mustContain(t, `Disabled (default)`, `Only partner personnel can access the tenant.`,
			`Read-Only`, `Customer users can view dashboards and reports.`,
			`Full Access`, `Customer Admin can manage users, scans, and settings.`,
			`id="level-disabled" name="level" value="disabled" checked`)
		res := h.post(Base+"/customers/"+acme.ID+"/access", url.Values{"level": {"read_only"}, "back": {Base + "/customers?q=ac"}})
		if res.status != http.StatusSeeOther || res.location() != Base+"/customers?q=ac" {
			t.Fatalf("set access: %d to %q", res.status, res.location())
		}
		if got := h.customerNow(acme.ID).AccessLevel; got != portal.AccessReadOnly {
			t.Fatalf("access level %s, want read_only", got)
		}
		res = h.post(Base+"/customers/"+acme.ID+"/access", url.Values{"level": {"everything"}})
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("level=everything: %d, want 422", res.status)
		}
		res.mustContain(t, `<p class="field-error" id="level-error">must be one of`)
	})

	t.Run("EditSavesDetailsAndShowsErrorsNextToFields", func(t *testing.T) {
		h := newHarness(t)
		acme := h.customer("Acme GmbH", "")
		h.signInAdmin()
		form := h.get(Base + "/customers/" + acme.ID + "/edit")
		form.mustContain(t, `<h1>Edit Acme GmbH</h1>`, `name="name" type="text" value="Acme GmbH"`, `name="version" value="1"`)
		res := h.post(Base+"/customers/"+acme.ID+"/edit", url.Values{"name": {"Acme Group"}, "contactEmail": {"nope"}, "timezone": {"UTC"}, "tags": {""}, "status": {"active"}, "version": {"1"}})
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("edit with a bad e-mail: %d, want 422", res.status)
		}
		res.mustContain(t, `id="f-contactEmail-error"`, `value="Acme Group"`)
		if got := h.customerNow(acme.ID).Name; got != "Acme GmbH" {
			t.Fatalf("an invalid edit changed the name to %q", got)
		}
		res = h.post(Base+"/customers/"+acme.ID+"/edit", url.Values{"name": {"Acme Group"}, "contactEmail": {"it@acme.example"}, "timezone": {"Europe/Berlin"}, "country": {"de"}, "tags": {"gold, eu"}, "status": {"trial"}, "version": {"1"}})
		if res.status != http.StatusSeeOther || res.location() != Base+"/customers/"+acme.ID {
			t.Fatalf("edit: %d to %q\n%s", res.status, res.location(), res.body)
		}
		c := h.customerNow(acme.ID)
		if c.Name != "Acme Group" || c.ContactEmail != "it@acme.example" || c.Timezone != "Europe/Berlin" || c.Country != "DE" || fmt.Sprint(c.Tags) != "[gold eu]" || c.Status != portal.StatusTrial {
			t.Fatalf("after edit: %+v", c)
		}
		res = h.post(Base+"/customers/"+acme.ID+"/edit", url.Values{"name": {"Stale"}, "contactEmail": {"it@acme.example"}, "version": {"1"}})
		if res.status != http.StatusConflict || h.customerNow(acme.ID).Name != "Acme Group" {
			t.Fatalf("edit of a stale version: %d, name %q; want 409 and nothing changed", res.status, h.customerNow(acme.ID).Name)
		}
	})
}

func TestCustomerEditByTheCustomer(t *testing.T) {
	t.Run("FullAccessAdminEditsSettingsButNotNameOrStatus", func(t *testing.T) {
		h := newHarness(t)
		acme := h.customer("Acme GmbH", "")
		level := portal.AccessFull
		if _, err := h.s.Customers.SetAccess(h.as(h.Admin), acme.ID, &level); err != nil {
			t.Fatal(err)
		}
		h.person(h.as(h.Admin), portal.UserInput{Email: ptr("boss@acme.example"), Role: rolePtr(tenancy.RoleCustomerAdmin), CustomerID: &acme.ID})
		h.signIn("boss@acme.example", Password)
		page := h.get(Base + "/customers/" + acme.ID + "/edit")
		if page.status != http.StatusOK {
			t.Fatalf("customer admin GET edit: %d", page.status)
		}
		page.mustContain(t, `name="contactEmail"`, `name="timezone"`)
		page.mustNotContain(t, `name="name"`, `name="status"`)
		res := h.post(Base+"/customers/"+acme.ID+"/edit", url.Values{"name": {"Hijack"}, "status": {"trial"}, "contactEmail": {"it@acme.example"}, "timezone": {"Europe/Paris"}, "version": {"2"}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("customer admin edit: %d\n%s", res.status, res.body)
		}
		if c := h.customerNow(acme.ID); c.ContactEmail != "it@acme.example" || c.Timezone != "Europe/Paris" || c.Name != "Acme GmbH" || c.Status != portal.StatusActive {
			t.Fatalf("after the customer's edit: %+v", c)
		}
	})

	t.Run("ReadOnlyUsersGetNoEditForm", func(t *testing.T) {
		h := newHarness(t)
		acme := h.customer("Acme GmbH", "")
		level := portal.AccessReadOnly
		if _, err := h.s.Customers.SetAccess(h.as(h.Admin), acme.ID, &level); err != nil {
			t.Fatal(err)
		}
		h.person(h.as(h.Admin), portal.UserInput{Email: ptr("boss@acme.example"), Role: rolePtr(tenancy.RoleCustomerAdmin), CustomerID: &acme.ID})
		h.signIn("boss@acme.example", Password)
		if res := h.get(Base + "/customers/" + acme.ID + "/edit"); res.status != http.StatusForbidden {
			t.Fatalf("read-only customer admin GET edit: %d, want 403", res.status)
		}
		if res := h.post(Base+"/customers/"+acme.ID+"/edit", url.Values{"contactEmail": {"x@acme.example"}}); res.status != http.StatusForbidden {
			t.Fatalf("read-only customer admin POST edit: %d, want 403", res.status)
		}
		if got := h.customerNow(acme.ID).ContactEmail; got == "x@acme.example" {
			t.Fatal("a read-only customer user changed the contact e-mail")
		}
	})
}

// ---- + New Customer ----

func TestNewCustomer(t *testing.T) {
	license := func(i int, model, qty, amount string) url.Values {
		p := fmt.Sprintf("licenses[%d].", i)
		return url.Values{p + "model": {model}, p + "quantity": {qty}, p + "billingPeriod": {"monthly"},
			p + "endUserPrice.amount": {amount}, p + "endUserPrice.currency": {"EUR"}, p + "overagePolicy": {"soft"}}
	}
	merge := func(vs ...url.Values) url.Values {
		out := url.Values{}
		for _, v := range vs {
			for k, x := range v {
				out[k] = x
			}
		}
		return out
	}
	details := url.Values{"name": {"Acme GmbH"}, "contactEmail": {"ops@acme.example"}, "country": {"DE"}, "timezone": {"Europe/Berlin"}, "tags": {"gold"}, "status": {"active"}}

	t.Run("TheFormHasDetailsALicenseRowAndTheAddLicenseHooks", func(t *testing.T) {
		h := newHarness(t)
		h.setPricing()
		h.signInAdmin()
		page := h.get(Base + "/customers/new")
		if page.status != http.StatusOK {
			t.Fatalf("GET new: %d", page.status)
		}
		page.mustContain(t, `<label for="f-name">Name</label>`, `<label for="f-contactEmail">Contact e-mail</label>`,
			`<div id="license-rows">`, `<legend>License 1</legend>`, `name="licenses[0].model"`, `name="licenses[0].endUserPrice.currency" type="text" maxlength="3" size="4" autocapitalize="characters" value="EUR"`,
			`<button type="button" class="secondary" data-add-license>Add another license</button>`,
			`<template id="license-row">`, `name="licenses[__N__].quantity"`, `License __N1__`,
			`name="addLicense"`, `<button type="submit">Create</button>`)
	})

	t.Run("CreatesTheCustomerAndItsLicensesInOneGo", func(t *testing.T) {
		h := newHarness(t)
		h.setPricing()
		h.signInAdmin()
		form := merge(details, license(0, "per_asset", "25", "49.00"), license(1, "per_scan", "10", "19.5"))
		res := h.post(Base+"/customers/new", form)
		if res.status != http.StatusSeeOther || !strings.HasPrefix(res.location(), Base+"/customers/cus_") {
			t.Fatalf("create: %d to %q, want 303 to the new customer's page\n%s", res.status, res.location(), res.body)
		}
		id := strings.TrimPrefix(res.location(), Base+"/customers/")
		c := h.customerNow(id)
		if c.Name != "Acme GmbH" || c.Country != "DE" || c.Timezone != "Europe/Berlin" || c.Plan != portal.PlanMixed {
			t.Fatalf("created %+v", c)
		}
		ls, err := h.s.Licenses.List(h.as(h.Admin), id)
		if err != nil || len(ls) != 2 {
			t.Fatalf("licenses %v (%v), want 2", ls, err)
		}
		got := map[portal.LicenseModel]portal.License{}
		for _, l := range ls {
			got[l.Model] = l
		}
		if l := got[portal.ModelPerAsset]; l.Quantity != 25 || l.EndUserPrice != (portal.Money{Amount: 4900, Currency: "EUR"}) {
			t.Fatalf("per-asset license %+v, want 25 at EUR 49.00 (4900)", l)
		}
		if l := got[portal.ModelPerScan]; l.Quantity != 10 || l.EndUserPrice.Amount != 1950 {
			t.Fatalf("per-scan license %+v, want 10 at 1950", l)
		}
		h.get(res.location()) // the flash is taken by the customer page
	})

	t.Run("InvalidQuantityIs422NextToTheFieldAndCreatesNothing", func(t *testing.T) {
		h := newHarness(t)
		h.setPricing()
		h.signInAdmin()
		res := h.post(Base+"/customers/new", merge(details, license(0, "per_asset", "0", "49.00")))
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("quantity 0: %d, want 422\n%s", res.status, res.body)
		}
		res.mustContain(t, `name="licenses[0].quantity"`, `aria-invalid="true"`,
			`<p class="field-error" id="lic-0-quantity-error">must be from 1 to`, `value="Acme GmbH"`, `value="49.00"`)
		if n := h.customerCount(); n != 0 {
			t.Fatalf("%d customers after an invalid create, want none", n)
		}
	})

	t.Run("ErrorsLandOnTheRightRowWhenARowIsLeftEmpty", func(t *testing.T) {
		h := newHarness(t)
		h.setPricing()
		h.signInAdmin()
		empty := url.Values{"licenses[1].model": {""}, "licenses[1].quantity": {""}, "licenses[1].endUserPrice.amount": {""}, "licenses[1].endUserPrice.currency": {"EUR"}}
		res := h.post(Base+"/customers/new", merge(details, license(0, "unlimited", "", "99"), empty, license(2, "per_scan", "x", "10")))
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("unreadable quantity: %d, want 422", res.status)
		}
		res.mustContain(t, `id="lic-2-quantity-error">must be a whole number`)
		res = h.post(Base+"/customers/new", merge(details, license(0, "unlimited", "", "99"), empty, license(2, "per_scan", "", "10")))
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("missing quantity: %d, want 422", res.status)
		}
		res.mustContain(t, `id="lic-2-quantity-error">is required for per_scan licenses`)
		res.mustNotContain(t, `id="lic-1-quantity-error"`)
		if n := h.customerCount(); n != 0 {
			t.Fatalf("%d customers after invalid creates, want none", n)
		}
	})

	t.Run("BadPriceAndDetailsAreShownNextToTheirFields", func(t *testing.T) {
		h := newHarness(t)
		h.setPricing()
		h.signInAdmin()
		res := h.post(Base+"/customers/new", merge(details, license(0, "per_asset", "5", "49.999")))
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("price 49.999: %d, want 422", res.status)
		}
		res.mustContain(t, `id="lic-0-amount-error">must have at most 2 decimals`)
		bad := merge(details, license(0, "per_asset", "5", ""))
		bad.Set("contactEmail", "")
		bad.Set("timezone", "Mars/Olympus")
		res = h.post(Base+"/customers/new", bad)
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("bad details: %d, want 422", res.status)
		}
		res.mustContain(t, `id="f-contactEmail-error"`, `id="f-timezone-error"`, `id="lic-0-amount-error">is required`)
		if n := h.customerCount(); n != 0 {
			t.Fatalf("%d customers after invalid creates, want none", n)
		}
	})

	t.Run("AddsAndRemovesLicenseRowsWithoutJavaScript", func(t *testing.T) {
		h := newHarness(t)
		h.setPricing()
		h.signInAdmin()
		form := merge(details, license(0, "per_asset", "5", "10"))
		form.Set("addLicense", "1")
		res := h.post(Base+"/customers/new", form)
		if res.status != http.StatusOK {
			t.Fatalf("add license row: %d, want 200", res.status)
		}
		res.mustContain(t, `<legend>License 2</legend>`, `id="lic-1-model"`, `value="Acme GmbH"`)
		form = merge(details, license(0, "per_asset", "5", "10"), license(1, "per_scan", "7", "10"))
		form.Set("removeLicense", "0")
		res = h.post(Base+"/customers/new", form)
		res.mustContain(t, `<legend>License 1</legend>`, `<option value="per_scan" selected>`)
		res.mustNotContain(t, `<legend>License 2</legend>`)
		if n := h.customerCount(); n != 0 {
			t.Fatalf("adding or removing a row created %d customers", n)
		}
	})

	t.Run("CSRFIsRejected", func(t *testing.T) {
		h := newHarness(t)
		h.setPricing()
		h.signInAdmin()
		form := merge(details, license(0, "per_asset", "5", "10"))
		form.Set("csrf", "wrong")
		if res := h.post(Base+"/customers/new", form); res.status != http.StatusForbidden {
			t.Fatalf("create with a wrong token: %d, want 403", res.status)
		}
		if n := h.customerCount(); n != 0 {
			t.Fatalf("a forged form created %d customers", n)
		}
	})
}

package console

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/partnerportal/portal/internal/httpapi"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/scan"
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

// ---- + New Customer ----

type licenseRow struct {
	Index, Number int
	Model         string
	Quantity      string
	Period        string
	Amount        string
	Currency      string
	Prepaid       bool
	Overage       string
	StartsOn      string
	EndsOn        string
	Errors        map[string]string // by the field's short name: model, quantity, ...
	Error         string            // errors of the row as a whole
}

// Err returns the row's error for a field ("" if none).
func (l licenseRow) Err(field string) string { return l.Errors[field] }

// Name returns the form field name of the row's field.
func (l licenseRow) Name(field string) string { return fmt.Sprintf("licenses[%d].%s", l.Index, field) }

type customerFormData struct {
	Form        Form
	Customer    *portal.Customer
	Licenses    []licenseRow
	Blank       licenseRow // the row <template> for the add-license button
	Currency    string
	NoPricing   string
	Statuses    []option
	PartnerForm bool // the caller may change name and status
	Back        string
}

func (c *Console) customerNewForm(w http.ResponseWriter, r *http.Request) error {
	if identity(r).Role != tenancy.RolePartnerAdmin {
		return portal.Errorf(portal.EFORBIDDEN, "only partner admins create customers")
	}
	d := c.newCustomerData(r, Form{Values: url.Values{"timezone": {"UTC"}, "status": {"active"}}, Errors: map[string]string{}})
	d.Licenses = []licenseRow{d.blankRow(0)}
	return c.render(w, r, http.StatusOK, "customer_new", view{Title: "New customer", Section: "customers", Data: d})
}

// newCustomerData is the New Customer form's frame: the pricing's currency
// as the default price currency.
func (c *Console) newCustomerData(r *http.Request, f Form) customerFormData {
	d := customerFormData{Form: f, PartnerForm: true}
	if pr, err := c.s.Pricing.Get(r.Context()); err == nil {
		d.Currency = pr.Currency
	} else {
		d.NoPricing = "Pricing is not set yet, so licenses cannot be assigned: ask the platform operator to set it. You can create the customer without licenses."
	}
	d.Statuses = statusOptions(f.Get("status"))
	d.Blank = d.blankRow(-1)
	return d
}

func statusOptions(cur string) []option {
	return []option{{Value: "active", Label: "Active", Selected: cur != "trial"}, {Value: "trial", Label: "Trial", Selected: cur == "trial"}}
}

// blankRow is an empty license row; index -1 is the template's placeholder row.
func (d customerFormData) blankRow(i int) licenseRow {
	l := licenseRow{Index: i, Number: i + 1, Period: string(portal.PeriodMonthly), Overage: string(portal.OverageSoft), Currency: d.Currency, Errors: map[string]string{}}
	return l
}

var licenseFieldRE = regexp.MustCompile(`^licenses\[(\d+)\]\.`)

func (c *Console) customerCreate(w http.ResponseWriter, r *http.Request) error {
	if identity(r).Role != tenancy.RolePartnerAdmin {
		return portal.Errorf(portal.EFORBIDDEN, "only partner admins create customers")
	}
	if err := r.ParseForm(); err != nil {
		return portal.Errorf(portal.EINVALID, "the form could not be read")
	}
	f := Form{Values: r.PostForm, Errors: map[string]string{}}
	d := c.newCustomerData(r, f)
	// The rows the form posted, in order of their index.
	n := 0
	for k := range r.PostForm {
		if m := licenseFieldRE.FindStringSubmatch(k); m != nil {
			if i, err := strconv.Atoi(m[1]); err == nil && i < portal.MaxLicensesPerCreate*2 && i+1 > n {
				n = i + 1
			}
		}
	}
	rows := make([]licenseRow, 0, n+1)
	for i := 0; i < n; i++ {
		rows = append(rows, readLicenseRow(r.PostForm, i))
	}
	if rm := r.PostForm.Get("removeLicense"); rm != "" {
		if i, err := strconv.Atoi(rm); err == nil && i >= 0 && i < len(rows) {
			rows = append(rows[:i], rows[i+1:]...)
			renumber(rows)
		}
		if len(rows) == 0 {
			rows = append(rows, d.blankRow(0))
		}
		d.Licenses = rows
		return c.render(w, r, http.StatusOK, "customer_new", view{Title: "New customer", Section: "customers", Data: d})
	}
	if r.PostForm.Has("addLicense") {
		rows = append(rows, d.blankRow(len(rows)))
		d.Licenses = rows
		return c.render(w, r, http.StatusOK, "customer_new", view{Title: "New customer", Section: "customers", Data: d})
	}
	in := customerInput(r.PostForm, true)
	local := false
	// Rows left empty are no license; the others go to the service, whose
	// error fields name their position among those sent.
	var lins []portal.LicenseInput
	var sent []int // sent[k] = index in rows of the k-th license sent
	for i := range rows {
		if rows[i].blank() {
			continue
		}
		lin, errs := rows[i].input()
		for field, msg := range errs {
			rows[i].Errors[field] = msg
			local = true
		}
		lins = append(lins, lin)
		sent = append(sent, i)
	}
	if len(lins) > 0 {
		in.Licenses = &lins
	}
	if len(rows) == 0 {
		rows = append(rows, d.blankRow(0))
	}
	d.Licenses = rows
	if local {
		d.Form.Message = "Some fields are not valid: see the messages next to them."
		return c.render(w, r, http.StatusUnprocessableEntity, "customer_new", view{Title: "New customer", Section: "customers", Data: d})
	}
	cu, _, err := c.s.Customers.CreateWithLicenses(r.Context(), in)
	if err != nil {
		fe, ok := formError(err)
		if !ok {
			return err
		}
		d.Form.Message = fe.Message
		for field, msg := range fe.Errors {
			m := licenseFieldRE.FindStringSubmatch(field)
			if m == nil {
				if strings.HasPrefix(field, "tags[") {
					field = "tags"
				}
				d.Form.Errors[field] = msg
				continue
			}
			k, _ := strconv.Atoi(m[1])
			if k >= len(sent) {
				d.Form.Errors[field] = msg
				continue
			}
			row := &d.Licenses[sent[k]]
			short := rowField(strings.TrimPrefix(field, m[0]))
			if short == "amount" && row.Amount == "" {
				msg = "is required: the price the customer pays per billing period, such as 49.00"
			}
			row.Errors[short] = msg
		}
		if d.Form.Message == "" {
			d.Form.Message = "The customer was not created."
		}
		return c.render(w, r, http.StatusUnprocessableEntity, "customer_new", view{Title: "New customer", Section: "customers", Data: d})
	}
	return redirect(w, r, Base+"/customers/"+cu.ID, cu.Name+" created.")
}

func renumber(rows []licenseRow) {
	for i := range rows {
		rows[i].Index, rows[i].Number = i, i+1
		rows[i].Errors = map[string]string{}
	}
}

func readLicenseRow(v url.Values, i int) licenseRow {
	g := func(f string) string { return strings.TrimSpace(v.Get(fmt.Sprintf("licenses[%d].%s", i, f))) }
	return licenseRow{
		Index: i, Number: i + 1, Model: g("model"), Quantity: g("quantity"), Period: g("billingPeriod"),
		Amount: g("endUserPrice.amount"), Currency: strings.ToUpper(g("endUserPrice.currency")),
		Prepaid: g("prepaid") != "", Overage: g("overagePolicy"), StartsOn: g("startsAt"), EndsOn: g("endsAt"),
		Errors: map[string]string{},
	}
}

// blank reports whether the row was left empty.
func (l licenseRow) blank() bool {
	return l.Model == "" && l.Quantity == "" && l.Amount == "" && !l.Prepaid && l.StartsOn == "" && l.EndsOn == ""
}

// input converts the row to the service's input; errors are the values
// the console cannot even read, keyed as the row's fields are.
func (l licenseRow) input() (portal.LicenseInput, map[string]string) {
	fields := map[string]string{
		"model": l.Model, "quantity": l.Quantity, "billingPeriod": l.Period, "overagePolicy": l.Overage,
		"endUserPrice.amount": l.Amount, "endUserPrice.currency": l.Currency, "startsAt": l.StartsOn, "endsAt": l.EndsOn,
	}
	if l.Prepaid {
		fields["prepaid"] = "true"
	}
	in, errs := licenseInput(func(f string) string { return fields[f] })
	rowErrs := map[string]string{}
	for f, msg := range errs {
		rowErrs[rowField(f)] = msg
	}
	return in, rowErrs
}

// rowField names a license row's field by the service's name for it.
func rowField(service string) string {
	switch service {
	case "endUserPrice", "endUserPrice.amount":
		return "amount"
	case "endUserPrice.currency":
		return "currency"
	case "prepaidPoolId":
		return "prepaid"
	case "startsAt":
		return "startsOn"
	case "endsAt":
		return "endsOn"
	}
	return service
}

// customerInput reads the customer's details from a form; partner says
// whether name and status are the caller's to set. Empty time zone and
// country are left out (the service keeps or defaults them).
func customerInput(v url.Values, partner bool) portal.CustomerInput {
	var in portal.CustomerInput
	str := func(k string) *string {
		if !v.Has(k) {
			return nil
		}
		s := strings.TrimSpace(v.Get(k))
		return &s
	}
	if partner {
		in.Name = str("name")
		if s := v.Get("status"); s != "" {
			st := portal.CustomerStatus(s)
			in.Status = &st
		}
	}
	in.ContactEmail = str("contactEmail")
	if s := str("timezone"); s != nil && *s != "" {
		in.Timezone = s
	}
	if s := str("country"); s != nil && *s != "" {
		in.Country = s
	}
	if v.Has("tags") {
		tags := []string{}
		for _, t := range strings.Split(v.Get("tags"), ",") {
			if t = strings.TrimSpace(t); t != "" {
				tags = append(tags, t)
			}
		}
		in.Tags = &tags
	}
	return in
}

// ---- edit ----

func (c *Console) customerEditForm(w http.ResponseWriter, r *http.Request) error {
	cu, partner, err := c.editable(r)
	if err != nil {
		return err
	}
	f := Form{Values: url.Values{
		"name": {cu.Name}, "contactEmail": {cu.ContactEmail}, "timezone": {cu.Timezone}, "country": {cu.Country},
		"tags": {strings.Join(cu.Tags, ", ")}, "status": {string(cu.Status)}, "version": {strconv.FormatInt(cu.Version, 10)},
	}, Errors: map[string]string{}}
	f.Values.Set("back", backTo(r.URL.Query().Get("back"), cu.ID))
	return c.renderEdit(w, r, http.StatusOK, cu, partner, f)
}

func (c *Console) renderEdit(w http.ResponseWriter, r *http.Request, status int, cu portal.Customer, partner bool, f Form) error {
	d := customerFormData{Form: f, Customer: &cu, PartnerForm: partner, Back: backTo(f.Get("back"), cu.ID)}
	if partner && (cu.Status == portal.StatusActive || cu.Status == portal.StatusTrial) {
		d.Statuses = statusOptions(f.Get("status"))
	}
	return c.render(w, r, status, "customer_edit", view{Title: "Edit " + cu.Name, Section: "customers", Data: d})
}

// editable reads the customer to edit and says whether the caller edits
// as the partner (name and status too) or as the customer's own admin.
func (c *Console) editable(r *http.Request) (portal.Customer, bool, error) {
	id := identity(r)
	switch {
	case id.Role == tenancy.RolePartnerAdmin:
	case id.Role == tenancy.RoleCustomerAdmin && id.TenantAccess == string(portal.AccessFull):
	case id.Role.IsCustomerRole():
		return portal.Customer{}, false, portal.Errorf(portal.EFORBIDDEN, "your portal access does not include changing your organisation's details")
	default:
		return portal.Customer{}, false, portal.Errorf(portal.EFORBIDDEN, "only partner admins change customers")
	}
	cu, err := c.s.Customers.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return portal.Customer{}, false, err
	}
	if cu.Status == portal.StatusArchived {
		return portal.Customer{}, false, portal.Errorf(portal.ECONFLICT, "%s is archived and can no longer be changed", cu.Name)
	}
	return cu, id.Role.IsPartnerRole(), nil
}

func (c *Console) customerUpdate(w http.ResponseWriter, r *http.Request) error {
	cu, partner, err := c.editable(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return portal.Errorf(portal.EINVALID, "the form could not be read")
	}
	in := customerInput(r.PostForm, partner)
	if in.Status != nil && *in.Status == cu.Status {
		in.Status = nil
	}
	if !partner {
		in.Name, in.Status = nil, nil
	}
	var ifMatch *int64
	if v, err := strconv.ParseInt(r.PostForm.Get("version"), 10, 64); err == nil {
		ifMatch = &v
	}
	f := Form{Values: r.PostForm, Errors: map[string]string{}}
	updated, err := c.s.Customers.Update(r.Context(), cu.ID, in, ifMatch)
	if err != nil {
		if portal.ErrorCode(err) == portal.EPRECONDITION {
			f.Message = "Someone else changed this customer while you were editing. The form now shows your changes over the latest version: check them and save again."
			f.Values.Set("version", strconv.FormatInt(cu.Version, 10))
			return c.renderEdit(w, r, http.StatusConflict, cu, partner, f)
		}
		fe, ok := formError(err)
		if !ok {
			return err
		}
		f.Message = fe.Message
		for k, msg := range fe.Errors {
			if strings.HasPrefix(k, "tags[") {
				k = "tags"
			}
			f.Errors[k] = msg
		}
		return c.renderEdit(w, r, http.StatusUnprocessableEntity, cu, partner, f)
	}
	return redirect(w, r, backTo(r.PostForm.Get("back"), updated.ID), updated.Name+" saved.")
}

// ---- access level ----

type accessChoice struct {
	Value, Label, Description string
	Checked                   bool
}

type accessData struct {
	Customer portal.Customer
	Choices  []accessChoice
	Form     Form
	Back     string
}

func accessChoices(cur string) []accessChoice {
	return []accessChoice{
		{Value: string(portal.AccessDisabled), Label: "Disabled (default)", Description: "Only partner personnel can access the tenant.", Checked: cur == string(portal.AccessDisabled) || cur == ""},
		{Value: string(portal.AccessReadOnly), Label: "Read-Only", Description: "Customer users can view dashboards and reports.", Checked: cur == string(portal.AccessReadOnly)},
		{Value: string(portal.AccessFull), Label: "Full Access", Description: "Customer Admin can manage users, scans, and settings.", Checked: cur == string(portal.AccessFull)},
	}
}

func (c *Console) accessCustomer(r *http.Request) (portal.Customer, error) {
	if identity(r).Role != tenancy.RolePartnerAdmin {
		return portal.Customer{}, portal.Errorf(portal.EFORBIDDEN, "only partner admins set a customer's portal access")
	}
	return c.s.Customers.Get(r.Context(), r.PathValue("id"))
}

func (c *Console) customerAccessForm(w http.ResponseWriter, r *http.Request) error {
	cu, err := c.accessCustomer(r)
	if err != nil {
		return err
	}
	d := accessData{Customer: cu, Choices: accessChoices(string(cu.AccessLevel)), Form: Form{Errors: map[string]string{}}, Back: backTo(r.URL.Query().Get("back"), cu.ID)}
	return c.render(w, r, http.StatusOK, "customer_access", view{Title: "Portal access of " + cu.Name, Section: "customers", Data: d})
}

func (c *Console) customerSetAccess(w http.ResponseWriter, r *http.Request) error {
	cu, err := c.accessCustomer(r)
	if err != nil {
		return err
	}
	var level *portal.AccessLevel
	if v := r.PostFormValue("level"); v != "" {
		l := portal.AccessLevel(v)
		level = &l
	}
	back := backTo(r.PostFormValue("back"), cu.ID)
	updated, err := c.s.Customers.SetAccess(r.Context(), cu.ID, level)
	if err != nil {
		fe, ok := formError(err)
		if !ok {
			return err
		}
		d := accessData{Customer: cu, Choices: accessChoices(r.PostFormValue("level")), Form: fe, Back: back}
		return c.render(w, r, http.StatusUnprocessableEntity, "customer_access", view{Title: "Portal access of " + cu.Name, Section: "customers", Data: d})
	}
	return redirect(w, r, back, fmt.Sprintf("Portal access of %s set to %s.", updated.Name, accessLabel(updated.AccessLevel)))
}

// ---- quick actions ----

type customerAct int

const (
	actSuspend customerAct = iota
	actResume
	actArchive
	actScan
)

// backTo is where an action returns: the console page it came from, or
// the customer's page.
func backTo(back, customerID string) string {
	if under(back) {
		return back
	}
	return Base + "/customers/" + customerID
}

func (c *Console) customerAction(act customerAct) pageFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx, cid := r.Context(), r.PathValue("id")
		back := backTo(r.PostFormValue("back"), cid)
		var (
			cu    portal.Customer
			err   error
			flash string
		)
		switch act {
		case actSuspend:
			if cu, err = c.s.Customers.Suspend(ctx, cid); err == nil {
				flash = cu.Name + " suspended."
			}
		case actResume:
			if cu, err = c.s.Customers.Resume(ctx, cid); err == nil {
				flash = cu.Name + " resumed."
			}
		case actArchive:
			if cu, err = c.s.Customers.Archive(ctx, cid); err == nil {
				flash = cu.Name + " archived."
			}
		case actScan:
			profile := scan.ProfileLight
			var sc portal.Scan
			if sc, err = c.s.Scans.Create(ctx, cid, portal.ScanInput{Profile: &profile, Targets: &portal.ScanTargets{All: true}}); err == nil {
				name := cid
				if got, gerr := c.s.Customers.Get(ctx, cid); gerr == nil {
					name = got.Name
				}
				flash = fmt.Sprintf("Scan of %s queued (%s profile, all verified assets): %s.", name, profile, sc.ID)
			}
		}
		if err != nil {
			// A refusal the customer's state explains (already archived,
			// nothing verified to scan, no license): back with the reason.
			if code := portal.ErrorCode(err); code == portal.ECONFLICT || code == portal.EINVALID || httpapi.StatusOf(err) == http.StatusConflict {
				name := cid
				if got, gerr := c.s.Customers.Get(ctx, cid); gerr == nil {
					name = got.Name
				}
				return redirect(w, r, back, fmt.Sprintf("%s: %s", actionFailed(act, name), portal.ErrorMessage(err)))
			}
			return err
		}
		return redirect(w, r, back, flash)
	}
}

func actionFailed(act customerAct, name string) string {
	switch act {
	case actSuspend:
		return name + " was not suspended"
	case actResume:
		return name + " was not resumed"
	case actArchive:
		return name + " was not archived"
	}
	return name + " was not scanned"
}

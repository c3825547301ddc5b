package console

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/scan"
	"github.com/partnerportal/portal/internal/tenancy"
)

// One customer's page: usage, licenses, access level, assets, scans,
// findings, reports, schedules; and its sub-pages, one per long list
// (assets, findings, scans, reports), each paginated with the services'
// cursors. Partner personnel reach the customers they may see; a
// customer's own users reach their organisation's page (the dashboard
// sends them here). Each section is one service call for one page of
// items: nothing is queried per row.
func (c *Console) customerRoutes() {
	p := Base + "/customers/{id}"
	c.mux.Handle("GET "+p, c.page(c.custOverviewGet))
	c.mux.Handle("POST "+p+"/licenses", c.page(c.custAddLicense))
	c.mux.Handle("GET "+p+"/assets", c.page(c.custAssetsGet))
	c.mux.Handle("POST "+p+"/assets", c.page(c.custAddAssets))
	c.mux.Handle("POST "+p+"/assets/{assetId}/verify", c.page(c.custVerifyAsset))
	c.mux.Handle("POST "+p+"/assets/{assetId}/delete", c.page(c.custDeleteAsset))
	c.mux.Handle("GET "+p+"/findings", c.page(c.custFindingsGet))
	c.mux.Handle("POST "+p+"/findings/{findingId}", c.page(c.custUpdateFinding))
	c.mux.Handle("GET "+p+"/scans", c.page(c.custScansGet))
	c.mux.Handle("GET "+p+"/reports", c.page(c.custReportsGet))
	c.mux.Handle("GET "+p+"/reports/{reportId}", c.page(c.custOpenReport))
}

// Page sizes: the overview shows the latest few of each list, the
// sub-pages a longer page.
const (
	custOverviewItems   = 10
	custOverviewReports = 5
	custPageItems       = 25
	// custAssetLabels is how many assets one call reads to name findings' assets.
	custAssetLabels = portal.MaxPageSize
)

// custReportCSP is the Content-Security-Policy of a served report: the report
// is one self-contained HTML page whose CSS is an inline <style> element
// (see internal/report), with no scripts and nothing loaded from anywhere;
// sandboxed, with no forms and no base URL, since it holds what scanned
// sites answered and is served on the console's origin.
const custReportCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'; sandbox"

// custCan is what the caller may do on the page: only controls that
// the services would allow are shown.
type custCan struct {
	Write    bool // add, verify and delete assets; decide findings
	Scan     bool // start a scan
	Schedule bool // create schedules
	Licenses bool // add licenses; see unit costs and margins
	Access   bool // change the portal access level
	Prices   bool // see end-user prices
	Partner  bool // partner personnel (links to partner-only pages)
}

func custCanFor(id tenancy.Identity, cu portal.Customer) custCan {
	can := custCan{Partner: id.Role.IsPartnerRole(), Prices: id.Role.IsPartnerRole()}
	switch id.Role {
	case tenancy.RolePartnerAdmin:
		can.Write, can.Licenses, can.Access = true, true, true
	case tenancy.RolePartnerMember:
		can.Write = true
	case tenancy.RoleCustomerAdmin:
		can.Write = id.TenantAccess == string(portal.AccessFull)
	}
	if cu.Status == portal.StatusArchived {
		can.Write, can.Licenses = false, false
	}
	can.Schedule = can.Write
	can.Scan = can.Write && (cu.Status == portal.StatusActive || cu.Status == portal.StatusTrial)
	return can
}

// custHeader is the page's header: who, in which state, on which plan.
type custHeader struct {
	ID, Name    string
	Status      string
	StatusClass string // badge class
	Plan        string
	Access      string
	Contact     string
	LastScan    string
}

func custHeaderOf(cu portal.Customer) custHeader {
	h := custHeader{ID: cu.ID, Name: cu.Name, Status: label(string(cu.Status)), StatusClass: string(cu.Status),
		Plan: planLabel(cu.Plan), Access: accessLabel(cu.AccessLevel), Contact: cu.ContactEmail, LastScan: "never"}
	if cu.Status == portal.StatusTrial {
		h.StatusClass = "active"
	}
	if cu.LastScanAt != nil {
		h.LastScan = cu.LastScanAt.UTC().Format("2006-01-02 15:04 MST")
	}
	return h
}

// custView is the data of every customer page; Mode says which.
type custView struct {
	Mode     string // overview, assets, findings, scans, reports
	CSRF     string // the session's anti-forgery token, for the forms
	Customer custHeader
	Can      custCan
	Self     string // this page's path with its query (forms come back here)
	Base     string // the customer page's path

	Usage    []custUsage
	Licenses []custLicense
	License  Form // the add-license form
	// LicenseOpen opens the add-license form (it was submitted with errors).
	LicenseOpen bool
	Currency    string

	Assets     []custAsset
	AssetsNext string // the next page's URL, or the sub-page's ("More")
	AssetForm  Form
	Added      *custAdded

	Scans      []custScan
	ScansNext  string
	ScanStatus string
	ScanStates []custChoice

	Findings       []custFinding
	FindingsNext   string
	Severity       string
	Status         string
	Severities     []custChoice
	FindingStates  []custChoice
	FindingChoices []custChoice
	Filtered       bool

	Reports     []custReport
	ReportsNext string
	ReportsOff  bool // no report store in this deployment

	Schedules     []custSchedule
	SchedulesMore bool
	SchedulesLink string

	First    bool   // the first page of a sub-page's list
	FirstURL string // the first page of a sub-page's list, with its filters

	ModelOpts, PeriodOpts, OverageOpts []custChoice
}

type custChoice struct{ Value, Label string }

func custChoices[T ~string](values []T) []custChoice {
	out := make([]custChoice, len(values))
	for i, v := range values {
		out[i] = custChoice{string(v), label(string(v))}
	}
	return out
}

func custPath(id string) string { return Base + "/customers/" + url.PathEscape(id) }

// ---- pages

// custBase reads the customer (ENOTFOUND for one the caller may not
// see, another partner's among them) and starts the page's data.
func (c *Console) custBase(r *http.Request, mode string) (custView, error) {
	cu, err := c.s.Customers.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return custView{}, err
	}
	v := custView{Mode: mode, Customer: custHeaderOf(cu), Can: custCanFor(identity(r), cu), Self: r.URL.Path, Base: custPath(cu.ID)}
	if r.URL.RawQuery != "" && r.Method == http.MethodGet {
		v.Self += "?" + r.URL.RawQuery
	}
	return v, nil
}

func (c *Console) custRender(w http.ResponseWriter, r *http.Request, status int, v custView) error {
	title := v.Customer.Name
	if v.Mode != "overview" {
		title = label(v.Mode) + " · " + v.Customer.Name
	}
	v.CSRF = identity(r).CSRFToken
	section := "customers"
	if identity(r).Role.IsCustomerRole() {
		section = "dashboard"
	}
	return c.render(w, r, status, "customer", view{Title: title, Section: section, Data: v})
}

func (c *Console) custOverviewGet(w http.ResponseWriter, r *http.Request) error {
	return c.custOverview(w, r, http.StatusOK, nil, nil)
}

// custOverview renders the customer page; license, when set, is the
// add-license form shown again with its errors, finding a finding's.
func (c *Console) custOverview(w http.ResponseWriter, r *http.Request, status int, license *Form, finding *custPending) error {
	ctx := r.Context()
	v, err := c.custBase(r, "overview")
	if err != nil {
		return err
	}
	v.Self = v.Base
	id := v.Customer.ID
	usage, err := c.s.Usage.Get(ctx, id)
	if err != nil {
		return err
	}
	v.Usage, v.Licenses = custUsageBars(usage), custLicenses(usage)
	if v.Can.Licenses {
		v.License = Form{Values: url.Values{"model": {"per_asset"}, "billingPeriod": {"monthly"}, "overagePolicy": {"soft"}}}
		for _, l := range usage.Licenses {
			v.Currency = l.License.EndUserPrice.Currency
		}
		if v.Currency == "" {
			if p, err := c.s.Pricing.Get(ctx); err == nil {
				v.Currency = p.Currency
			}
		}
		v.License.Values.Set("endUserPrice.currency", v.Currency)
		v.ModelOpts = []custChoice{{"per_asset", "Per asset (alert at 90%)"}, {"per_scan", "Per scan (alert at 80%)"}, {"unlimited", "Unlimited (flat fee)"}}
		v.PeriodOpts = custChoices(portal.BillingPeriods)
		v.OverageOpts = []custChoice{{"soft", "Soft: allow and count overage"}, {"hard", "Hard: refuse beyond the quantity"}}
		if license != nil {
			v.License, v.LicenseOpen = *license, true
		}
	}
	assets, err := c.s.Assets.List(ctx, id, strconv.Itoa(custAssetLabels), "")
	if err != nil {
		return err
	}
	labels := custAssetValues(assets.Items)
	shown := assets.Items[:min(len(assets.Items), custOverviewItems)]
	v.Assets = custAssets(shown)
	if len(shown) < len(assets.Items) || assets.NextCursor != "" {
		v.AssetsNext = v.Base + "/assets"
	}
	scans, err := c.s.Scans.List(ctx, id, "", strconv.Itoa(custOverviewItems), "")
	if err != nil {
		return err
	}
	v.Scans = custScans(scans.Items)
	if scans.NextCursor != "" {
		v.ScansNext = v.Base + "/scans"
	}
	findings, err := c.s.Findings.List(ctx, id, portal.FindingParams{Limit: strconv.Itoa(custOverviewItems)})
	if err != nil {
		return err
	}
	v.Findings, v.FindingChoices = custFindings(findings.Items, labels, finding), custFindingChoices()
	if findings.NextCursor != "" {
		v.FindingsNext = v.Base + "/findings"
	}
	if c.s.Reports.Store == nil {
		v.ReportsOff = true
	} else {
		reports, err := c.s.Reports.List(ctx, id, strconv.Itoa(custOverviewReports), "")
		if err != nil {
			return err
		}
		v.Reports = custReports(reports.Items)
	}
	schedules, err := c.s.Schedules.List(ctx, id, strconv.Itoa(custOverviewItems), "")
	if err != nil {
		return err
	}
	v.Schedules, v.SchedulesMore = custSchedules(schedules.Items, c.s.Clock()), schedules.NextCursor != ""
	v.SchedulesLink = Base + "/scans/schedules?customerId=" + url.QueryEscape(id)
	return c.custRender(w, r, status, v)
}

func custAssetValues(as []portal.Asset) map[string]string {
	m := make(map[string]string, len(as))
	for _, a := range as {
		m[a.ID] = a.Value
	}
	return m
}

// custFindingChoices are the statuses a person may set.
func custFindingChoices() []custChoice {
	return []custChoice{
		{string(portal.FindingOpen), "Open"},
		{string(portal.FindingAcceptedRisk), "Accepted risk"},
		{string(portal.FindingFalsePositive), "False positive"},
	}
}

// custAddLicense assigns a license (partner admins; the service refuses
// everyone else).
func (c *Console) custAddLicense(w http.ResponseWriter, r *http.Request) error {
	in, errs := licenseInput(r.PostForm.Get)
	form := Form{Values: r.PostForm, Errors: errs}
	if len(errs) == 0 {
		l, err := c.s.Licenses.Create(r.Context(), r.PathValue("id"), in)
		if err == nil {
			return redirect(w, r, custPath(r.PathValue("id"))+"#licenses", fmt.Sprintf("Added a %s license (%s).", strings.ToLower(modelLabel(l.Model)), l.ID))
		}
		f, ok := formError(err)
		if !ok {
			return err
		}
		form.Errors, form.Message = f.Errors, f.Message
		if len(f.Errors) > 0 {
			form.Message = ""
		}
		if f.Errors["prepaidPoolId"] != "" && f.Errors["prepaid"] == "" {
			form.Errors["prepaid"] = f.Errors["prepaidPoolId"]
		}
		if f.Errors["endUserPrice"] != "" && f.Errors["endUserPrice.amount"] == "" {
			form.Errors["endUserPrice.amount"] = f.Errors["endUserPrice"]
		}
	}
	if form.Message == "" {
		form.Message = "The license was not added: correct the fields marked below."
	}
	return c.custOverview(w, r, http.StatusUnprocessableEntity, &form, nil)
}

// custAssetsGet is the assets sub-page: one page of assets and the bulk-add form.
func (c *Console) custAssetsGet(w http.ResponseWriter, r *http.Request) error {
	return c.custAssetsPage(w, r, http.StatusOK, Form{}, nil)
}

func (c *Console) custAssetsPage(w http.ResponseWriter, r *http.Request, status int, form Form, added *custAdded) error {
	v, err := c.custBase(r, "assets")
	if err != nil {
		return err
	}
	cursor := r.URL.Query().Get("cursor")
	if r.Method != http.MethodGet {
		cursor, v.Self = "", v.Base+"/assets"
	}
	page, err := c.s.Assets.List(r.Context(), v.Customer.ID, strconv.Itoa(custPageItems), cursor)
	if err != nil {
		return err
	}
	v.Assets, v.AssetForm, v.Added, v.First = custAssets(page.Items), form, added, cursor == ""
	v.AssetsNext, v.FirstURL = nextPage(v.Base+"/assets", nil, page.NextCursor), v.Base+"/assets"
	return c.custRender(w, r, status, v)
}

// custAddAssets adds the textarea's values, one per line, and shows what
// became of each line.
func (c *Console) custAddAssets(w http.ResponseWriter, r *http.Request) error {
	raw := r.PostFormValue("assets")
	var inputs []portal.AssetInput
	var lineNo []int
	for i, line := range strings.Split(raw, "\n") {
		if s := strings.TrimSpace(line); s != "" {
			inputs = append(inputs, portal.AssetInput{Value: &s})
			lineNo = append(lineNo, i+1)
		}
	}
	res, err := c.s.Assets.Add(r.Context(), r.PathValue("id"), inputs)
	if err != nil {
		f, ok := formError(err)
		if !ok {
			return err
		}
		f.Values = url.Values{"assets": {raw}}
		if f.Errors["assets"] == "" && len(f.Errors) > 0 {
			// The service names the entries (assets[3].value): the first, in order.
			keys := slices.Sorted(maps.Keys(f.Errors))
			f.Errors["assets"] = keys[0] + " " + f.Errors[keys[0]]
		}
		if len(inputs) == 0 {
			f.Errors["assets"] = "Enter at least one asset, one per line."
		}
		return c.custAssetsPage(w, r, http.StatusUnprocessableEntity, f, nil)
	}
	added := &custAdded{Summary: fmt.Sprintf("%d added, %d already monitored or repeated, %d not added.", res.Created, res.Duplicate, res.Rejected)}
	var again []string
	for i, x := range res.Results {
		l := custAddLine{Line: lineNo[i], Input: x.Input, Reason: x.Reason}
		switch {
		case x.Status == portal.AssetCreated:
			l.Outcome, l.Class = "Added", "active"
			if x.Asset != nil {
				l.Reason = "monitored as " + x.Asset.Value
				if x.Asset.Verified {
					l.Reason += " (verified: under a verified domain)"
				}
			}
		case x.Status == portal.AssetDuplicate:
			l.Outcome, l.Class = "Duplicate", "archived"
		case x.Code == portal.RejectInvalid:
			l.Outcome, l.Class = "Invalid", "suspended"
			again = append(again, x.Input)
		default:
			l.Outcome, l.Class = "Not added", "suspended"
			again = append(again, x.Input)
		}
		added.Lines = append(added.Lines, l)
	}
	form := Form{Values: url.Values{"assets": {strings.Join(again, "\n")}}}
	status := http.StatusOK
	if res.Created == 0 && res.Rejected > 0 {
		status = http.StatusUnprocessableEntity
		if res.Full != nil {
			status = http.StatusConflict
		}
		form.Errors = map[string]string{"assets": "No asset was added: correct the lines listed below (they are kept in the box)."}
	}
	return c.custAssetsPage(w, r, status, form, added)
}

func (c *Console) custVerifyAsset(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	a, err := c.s.Assets.Verify(r.Context(), id, r.PathValue("assetId"))
	if err != nil {
		return err
	}
	msg := a.Value + " is verified (" + custMethod(a.VerificationMethod) + ")."
	if !a.Verified {
		msg = a.Value + " is not verified yet: " + a.LastCheckDetail + "."
	}
	return redirect(w, r, within(r.PostFormValue("next"), custPath(id)+"#assets"), msg)
}

func (c *Console) custDeleteAsset(w http.ResponseWriter, r *http.Request) error {
	id, assetID := r.PathValue("id"), r.PathValue("assetId")
	a, err := c.s.Assets.Get(r.Context(), id, assetID)
	if err != nil {
		return err
	}
	if err := c.s.Assets.Delete(r.Context(), id, assetID); err != nil {
		return err
	}
	return redirect(w, r, within(r.PostFormValue("next"), custPath(id)+"#assets"), "Deleted "+a.Value+": it is no longer monitored.")
}

// custFindingsGet is the findings sub-page, filtered by severity and status.
func (c *Console) custFindingsGet(w http.ResponseWriter, r *http.Request) error {
	return c.custFindingsPage(w, r, http.StatusOK, r.URL.Query(), nil)
}

func (c *Console) custFindingsPage(w http.ResponseWriter, r *http.Request, status int, q url.Values, pend *custPending) error {
	ctx := r.Context()
	v, err := c.custBase(r, "findings")
	if err != nil {
		return err
	}
	v.Severity, v.Status = q.Get("severity"), q.Get("status")
	filters := url.Values{}
	for _, k := range []string{"severity", "status"} {
		if s := q.Get(k); s != "" {
			filters.Set(k, s)
		}
	}
	v.Self = v.Base + "/findings"
	if len(filters) > 0 || q.Get("cursor") != "" {
		self := url.Values{}
		for k, vs := range filters {
			self[k] = vs
		}
		if s := q.Get("cursor"); s != "" {
			self.Set("cursor", s)
		}
		v.Self += "?" + self.Encode()
	}
	page, err := c.s.Findings.List(ctx, v.Customer.ID, portal.FindingParams{Severity: v.Severity, Status: v.Status,
		Limit: strconv.Itoa(custPageItems), Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	assets, err := c.s.Assets.List(ctx, v.Customer.ID, strconv.Itoa(custAssetLabels), "")
	if err != nil {
		return err
	}
	v.Findings, v.FindingChoices = custFindings(page.Items, custAssetValues(assets.Items), pend), custFindingChoices()
	v.FindingsNext = nextPage(v.Base+"/findings", filters, page.NextCursor)
	v.Severities = custChoices([]scan.Severity{scan.SeverityCritical, scan.SeverityHigh, scan.SeverityMedium, scan.SeverityLow, scan.SeverityInfo})
	v.FindingStates = custChoices(portal.FindingStatuses)
	v.Filtered, v.First, v.FirstURL = len(filters) > 0, q.Get("cursor") == "", v.Base+"/findings"
	if len(filters) > 0 {
		v.FirstURL += "?" + filters.Encode()
	}
	return c.custRender(w, r, status, v)
}

// custUpdateFinding records a person's decision on a finding.
func (c *Console) custUpdateFinding(w http.ResponseWriter, r *http.Request) error {
	id, fid := r.PathValue("id"), r.PathValue("findingId")
	st, reason := portal.FindingStatus(r.PostFormValue("status")), r.PostFormValue("reason")
	in := portal.FindingPatch{Reason: &reason}
	if st != "" {
		in.Status = &st
	}
	f, err := c.s.Findings.Update(r.Context(), id, fid, in)
	next := within(r.PostFormValue("next"), custPath(id)+"#findings")
	if err == nil {
		return redirect(w, r, next, fmt.Sprintf("“%s” is now %s.", f.Title, strings.ToLower(label(string(f.Status)))))
	}
	form, ok := formError(err)
	if !ok {
		return err
	}
	form.Values = url.Values{"status": {string(st)}, "reason": {reason}}
	if len(form.Errors) > 0 {
		form.Message = "" // each error is next to its field
	}
	pend := &custPending{ID: fid, Form: form}
	if u, err := url.Parse(next); err == nil && u.Path == custPath(id)+"/findings" {
		return c.custFindingsPage(w, r, http.StatusUnprocessableEntity, u.Query(), pend)
	}
	return c.custOverview(w, r, http.StatusUnprocessableEntity, nil, pend)
}

// custScansGet is the scans sub-page, newest first, filtered by status.
func (c *Console) custScansGet(w http.ResponseWriter, r *http.Request) error {
	v, err := c.custBase(r, "scans")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	v.ScanStatus = q.Get("status")
	page, err := c.s.Scans.List(r.Context(), v.Customer.ID, v.ScanStatus, strconv.Itoa(custPageItems), q.Get("cursor"))
	if err != nil {
		return err
	}
	filters := url.Values{}
	if v.ScanStatus != "" {
		filters.Set("status", v.ScanStatus)
	}
	v.Scans, v.ScansNext, v.ScanStates = custScans(page.Items), nextPage(v.Base+"/scans", filters, page.NextCursor), custChoices(portal.ScanStatuses)
	v.First, v.FirstURL = q.Get("cursor") == "", v.Base+"/scans"
	if len(filters) > 0 {
		v.FirstURL += "?" + filters.Encode()
	}
	return c.custRender(w, r, http.StatusOK, v)
}

// custReportsGet is the reports sub-page (the customer list's "See
// Reports" icon), newest first.
func (c *Console) custReportsGet(w http.ResponseWriter, r *http.Request) error {
	v, err := c.custBase(r, "reports")
	if err != nil {
		return err
	}
	cursor := r.URL.Query().Get("cursor")
	if c.s.Reports.Store == nil {
		v.ReportsOff = true
		return c.custRender(w, r, http.StatusOK, v)
	}
	page, err := c.s.Reports.List(r.Context(), v.Customer.ID, strconv.Itoa(custPageItems), cursor)
	if err != nil {
		return err
	}
	v.Reports, v.ReportsNext = custReports(page.Items), nextPage(v.Base+"/reports", nil, page.NextCursor)
	v.First, v.FirstURL = cursor == "", v.Base+"/reports"
	return c.custRender(w, r, http.StatusOK, v)
}

// custOpenReport serves a report's HTML document as the whole page, with a
// policy that lets its inline style apply and nothing else.
func (c *Console) custOpenReport(w http.ResponseWriter, r *http.Request) error {
	doc, err := c.s.Reports.Get(r.Context(), r.PathValue("id"), r.PathValue("reportId"), string(portal.ReportHTML))
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Security-Policy", custReportCSP)
	h.Set("Content-Type", doc.Format.ContentType())
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(doc.Body) // a failed write is the browser gone: nothing to answer
	return nil
}

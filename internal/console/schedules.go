package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/partnerportal/portal/internal/httpapi"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/recurrence"
	"github.com/partnerportal/portal/internal/scan"
	"github.com/partnerportal/portal/internal/tenancy"
)

// Scans > Schedules: the list and Create Schedule for one or many customers.
//
// The API lists schedules per customer only, so the list page shows the
// schedules of one customer: the one named by ?customerId=, else the one
// switched to in the header (a customer user's own organisation); without
// either it offers a customer picker. Create Schedule takes one or many
// customers at once; "Preview next runs" shows when each customer's
// schedule would fire, computed by the service exactly as Create would,
// without writing anything.
func (c *Console) scheduleRoutes() {
	c.mux.Handle("GET "+Base+"/scans/schedules", c.page(c.schedules))
	c.mux.Handle("GET "+Base+"/scans/schedules/new", c.page(c.newSchedule))
	c.mux.Handle("POST "+Base+"/scans/schedules/new", c.page(c.submitSchedule))
	c.mux.Handle("POST "+Base+"/scans/schedules/{customerId}/{scheduleId}/pause", c.page(c.setScheduleEnabled(false)))
	c.mux.Handle("POST "+Base+"/scans/schedules/{customerId}/{scheduleId}/resume", c.page(c.setScheduleEnabled(true)))
	c.mux.Handle("POST "+Base+"/scans/schedules/{customerId}/{scheduleId}/delete", c.page(c.deleteSchedule))
}

const (
	schedulesPath = Base + "/scans/schedules"
	// schedListedRuns is how many upcoming runs each row of the list shows.
	schedListedRuns = 3
	// schedChoiceLimit is how many customers the Create Schedule form lists.
	schedChoiceLimit = 100
)

// canSchedule reports whether the caller may create and change schedules
// at all (the services decide per customer): partner personnel, and
// customer admins with full portal access to an active organisation.
func canSchedule(id tenancy.Identity) bool {
	switch id.Role {
	case tenancy.RolePartnerAdmin, tenancy.RolePartnerMember:
		return true
	case tenancy.RoleCustomerAdmin:
		return id.TenantAccess == string(portal.AccessFull) &&
			id.TenantStatus != string(portal.StatusSuspended) && id.TenantStatus != string(portal.StatusArchived)
	}
	return false
}

func schedulesOf(customerID string) string {
	return schedulesPath + "?customerId=" + url.QueryEscape(customerID)
}

// --- the list --------------------------------------------------------------

type scheduleRow struct {
	ID, CustomerID                             string
	Profile, Targets, Frequency, Start, Events string
	AssetIDs                                   []string
	NextRuns                                   []string
	Enabled                                    bool
	Status, StatusClass, StatusNote            string
	Label                                      string // names the schedule in button labels
}

type schedulesData struct {
	Customer *portal.Customer
	Rows     []scheduleRow
	NextHref string // the next page of rows or choices
	CanWrite bool
	Picks    bool // partner personnel may pick another customer
	NewHref  string
	// the customer picker, when no customer is chosen
	Q       string
	Choices []portal.Customer
}

func (c *Console) schedules(w http.ResponseWriter, r *http.Request) error {
	ctx, id, q := r.Context(), identity(r), r.URL.Query()
	d := schedulesData{CanWrite: canSchedule(id), Picks: id.Role.IsPartnerRole(), NewHref: schedulesPath + "/new"}
	switch {
	case id.Role.IsCustomerRole():
		cu, err := c.s.Customers.Get(ctx, id.TenantID)
		if err != nil {
			return err
		}
		d.Customer = &cu
	case q.Get("customerId") != "":
		cu, err := c.s.Customers.Get(ctx, q.Get("customerId"))
		if err != nil {
			return err
		}
		d.Customer = &cu
	case q.Get("pick") == "": // ?pick=1 offers the picker despite a current customer
		d.Customer = c.current(r)
	}
	title := "Schedules"
	if d.Customer == nil {
		d.Q = q.Get("q")
		page, err := c.s.Customers.List(ctx, portal.ListParams{Q: d.Q, Sort: "name", Limit: "20", Cursor: q.Get("cursor")})
		if err != nil {
			return err
		}
		d.Choices = page.Items
		if page.NextCursor != "" {
			d.NextHref = "?" + url.Values{"pick": {"1"}, "q": {d.Q}, "cursor": {page.NextCursor}}.Encode()
		}
	} else {
		title = "Schedules of " + d.Customer.Name
		d.NewHref += "?customerId=" + url.QueryEscape(d.Customer.ID)
		page, err := c.s.Schedules.List(ctx, d.Customer.ID, "", q.Get("cursor"))
		if err != nil {
			return err
		}
		now := c.s.Schedules.Clock()
		for _, sc := range page.Items {
			d.Rows = append(d.Rows, scheduleRowOf(sc, now))
		}
		if page.NextCursor != "" {
			d.NextHref = "?" + url.Values{"customerId": {d.Customer.ID}, "cursor": {page.NextCursor}}.Encode()
		}
	}
	return c.render(w, r, http.StatusOK, "schedules", view{Title: title, Section: "schedules", Data: d})
}

func scheduleRowOf(sc portal.Schedule, now time.Time) scheduleRow {
	row := scheduleRow{
		ID: sc.ID, CustomerID: sc.TenantID, Profile: schedProfileLabel(sc.Profile), Frequency: schedFrequencyText(sc),
		Start: sc.StartTime + " " + sc.Timezone, Enabled: sc.Enabled, Events: schedEventsText(sc.OnNewAsset, sc.OnVulnDBUpdate),
	}
	if sc.AllTargets {
		row.Targets = "All verified assets"
	} else {
		row.Targets = schedPlural(len(sc.AssetIDs), "asset", "assets")
		row.AssetIDs = sc.AssetIDs
	}
	switch {
	case sc.Paused:
		row.Status, row.StatusClass, row.StatusNote = "Paused", "suspended", "the customer is suspended; runs resume with it"
	case !sc.Enabled:
		row.Status, row.StatusClass = "Paused", "archived"
	default:
		row.Status, row.StatusClass = "Enabled", "active"
	}
	for _, f := range sc.NextRuns(now, schedListedRuns) {
		row.NextRuns = append(row.NextRuns, f.Local.Format(schedRunLayout))
	}
	row.Label = fmt.Sprintf("%s %s scan at %s", strings.ToLower(row.Frequency), sc.Profile, row.Start)
	return row
}

// schedRunLayout shows a fire time on its zone's wall clock.
const schedRunLayout = "Mon 2 Jan 2006, 15:04 MST"

func (c *Console) setScheduleEnabled(enabled bool) pageFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		cid, sid := r.PathValue("customerId"), r.PathValue("scheduleId")
		sc, err := c.s.Schedules.Update(r.Context(), cid, sid, portal.ScheduleInput{Enabled: &enabled})
		if err != nil {
			return err
		}
		what := schedFrequencyText(sc) + " at " + sc.StartTime + " " + sc.Timezone
		msg := "Paused the schedule " + what + ": it does not run until resumed."
		if enabled {
			msg = "Resumed the schedule " + what + "."
		}
		return redirect(w, r, schedulesOf(cid), msg)
	}
}

func (c *Console) deleteSchedule(w http.ResponseWriter, r *http.Request) error {
	cid, sid := r.PathValue("customerId"), r.PathValue("scheduleId")
	if err := c.s.Schedules.Delete(r.Context(), cid, sid); err != nil {
		return err
	}
	return redirect(w, r, schedulesOf(cid), "Deleted the schedule.")
}

// --- Create Schedule -------------------------------------------------------

type schedOption struct {
	Value, Label string
	Selected     bool
}

type schedCustomer struct {
	ID, Name, Zone string
	Suspended      bool
	Checked        bool
}

type schedAsset struct {
	ID, Value string
	Checked   bool
}

// schedPreview is one customer's answer to "Preview next runs".
type schedPreview struct {
	Customer string
	Zone     string // the customer's zone, which the runs are shown in
	Schedule string // the schedule's zone when it differs from the customer's
	Runs     []string
	Note     string
	Failed   bool
}

type schedFailure struct{ Customer, Reason string }

type scheduleFormData struct {
	Form         Form
	Q            string
	CustomerRole bool
	Own          *portal.Customer
	Customers    []schedCustomer
	More         bool // more customers match than are listed
	Profiles     []schedOption
	Frequencies  []schedOption
	Weekdays     []schedOption
	Zones        []schedOption
	AllTargets   bool
	Assets       []schedAsset // the verified assets of the one customer chosen
	AssetsOf     string
	AssetIDsText string // asset IDs typed that are not among Assets
	OnNewAsset   bool
	OnVulnDB     bool
	// field errors the service reports per item
	CustomerErrors, TargetErrors []string
	Previews                     []schedPreview
	Created                      []string
	Failed                       []schedFailure
}

// scheduleDefaults is what the empty form starts with.
var scheduleDefaults = url.Values{
	"profile": {string(scan.ProfileLight)}, "targets": {"all"}, "frequency": {string(recurrence.Weekly)},
	"dayOfWeek": {"MON"}, "dayOfMonth": {"1"}, "startTime": {"02:00"}, "flexibleWindowMinutes": {"0"},
}

func (c *Console) newSchedule(w http.ResponseWriter, r *http.Request) error {
	ctx, id, q := r.Context(), identity(r), r.URL.Query()
	if !canSchedule(id) {
		return scheduleRefusal(id)
	}
	values := url.Values{}
	for k, v := range scheduleDefaults {
		values[k] = slices.Clone(v)
	}
	values.Set("q", q.Get("q"))
	switch {
	case id.Role.IsCustomerRole():
		values["customerIds"] = []string{id.TenantID}
	case len(q["customerId"]) > 0:
		values["customerIds"] = q["customerId"]
	default:
		if cu := c.current(r); cu != nil {
			values["customerIds"] = []string{cu.ID}
		}
	}
	// The preferred start time is in each customer's own time zone
	// unless the person picks one zone for all.
	values.Set("timezone", "")
	d, err := c.scheduleForm(ctx, id, Form{Values: values})
	if err != nil {
		return err
	}
	return c.render(w, r, http.StatusOK, "schedule_new", view{Title: "Create Schedule", Section: "schedules", Data: d})
}

// scheduleRefusal says why the caller cannot create schedules.
func scheduleRefusal(id tenancy.Identity) error {
	switch {
	case id.Role == tenancy.RoleCustomerViewer:
		return portal.Errorf(portal.EFORBIDDEN, "customer viewers cannot change anything: ask your organisation's admin to schedule scans")
	case id.Role.IsCustomerRole() && id.TenantAccess != string(portal.AccessFull):
		return portal.Errorf(portal.EFORBIDDEN, "your portal access is read-only: ask your service provider to schedule scans")
	case id.Role.IsCustomerRole():
		return portal.Errorf(portal.EFORBIDDEN, "your organisation's account is %s: ask your service provider", id.TenantStatus)
	}
	return portal.Errorf(portal.EFORBIDDEN, "working with schedules is not allowed for role %s", id.Role)
}

// scheduleInput reads the form as the service's input: fields the chosen
// frequency does not use are left out, and empty fields are absent.
func scheduleInput(form url.Values) portal.ScheduleInput {
	in := portal.ScheduleInput{CustomerIDs: form["customerIds"]}
	text := func(name string) *string {
		if v := strings.TrimSpace(form.Get(name)); v != "" {
			return &v
		}
		return nil
	}
	number := func(name string) *int {
		v := strings.TrimSpace(form.Get(name))
		if v == "" {
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			n = -1 // not a number: the service names the field
		}
		return &n
	}
	if p := text("profile"); p != nil {
		in.Profile = (*scan.Profile)(p)
	}
	switch form.Get("targets") {
	case "all":
		in.Targets = &portal.ScanTargets{All: true}
	case "assets":
		in.Targets = &portal.ScanTargets{IDs: schedAssetIDs(form)}
	}
	in.Frequency = text("frequency")
	switch form.Get("frequency") {
	case string(recurrence.Weekly):
		in.DayOfWeek = text("dayOfWeek")
	case string(recurrence.Monthly):
		if in.DayOfMonth = number("dayOfMonth"); in.DayOfMonth == nil {
			in.DayOfMonth = new(int) // required: the service says so
		}
	}
	in.StartTime = text("startTime")
	in.Timezone = text("timezone") // "": each customer's own zone
	yes := true
	if form.Get("onNewAsset") != "" {
		in.OnNewAsset = &yes
	}
	if form.Get("onVulnDbUpdate") != "" {
		in.OnVulnDBUpdate = &yes
	}
	in.FlexibleWindowMinutes = number("flexibleWindowMinutes")
	return in
}

// schedAssetIDs are the assets ticked and those typed, one per line (or
// separated by commas or spaces), each once.
func schedAssetIDs(form url.Values) []string {
	var ids []string
	for _, v := range form["assetIds"] {
		for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
			if !slices.Contains(ids, f) {
				ids = append(ids, f)
			}
		}
	}
	return ids
}

func (c *Console) submitSchedule(w http.ResponseWriter, r *http.Request) error {
	ctx, id := r.Context(), identity(r)
	if err := r.ParseForm(); err != nil {
		return portal.Errorf(portal.EINVALID, "the form could not be read")
	}
	form := Form{Values: r.PostForm}
	in := scheduleInput(r.PostForm)
	preview := r.PostFormValue("action") == "preview"
	var results []portal.ScheduleResult
	var err error
	if preview {
		results, err = c.s.Schedules.Preview(ctx, in)
	} else {
		results, err = c.s.Schedules.Create(ctx, in)
	}
	if err != nil {
		f, ok := formError(err)
		if !ok {
			return err
		}
		f.Values = r.PostForm
		if strings.HasPrefix(f.Errors["customerIds"], "is required") {
			f.Errors["customerIds"] = fmt.Sprintf("Choose at least one customer (at most %d).", portal.MaxScheduleCustomers)
		} else if e := f.Errors["customerIds"]; e != "" {
			f.Errors["customerIds"] = "Customers " + e
		}
		d, derr := c.scheduleForm(ctx, id, f)
		if derr != nil {
			return derr
		}
		return c.render(w, r, http.StatusUnprocessableEntity, "schedule_new", view{Title: "Create Schedule", Section: "schedules", Data: d})
	}
	d, err := c.scheduleForm(ctx, id, form)
	if err != nil {
		return err
	}
	names := map[string]schedCustomer{}
	for _, ch := range d.Customers {
		names[ch.ID] = ch
	}
	if d.Own != nil {
		names[d.Own.ID] = schedCustomer{ID: d.Own.ID, Name: d.Own.Name, Zone: d.Own.Timezone}
	}
	nameOf := func(cid string) string {
		if ch, ok := names[cid]; ok && ch.Name != "" {
			return ch.Name
		}
		return cid
	}
	if preview {
		now := c.s.Schedules.Clock()
		for _, res := range results {
			d.Previews = append(d.Previews, schedPreviewOf(res, names[res.CustomerID], nameOf(res.CustomerID), now))
		}
		return c.render(w, r, http.StatusOK, "schedule_new", view{Title: "Create Schedule", Section: "schedules", Data: d})
	}
	var created, paused, retry []string
	for _, res := range results {
		switch {
		case res.Err != nil:
			reason := portal.ErrorMessage(res.Err)
			if httpapi.StatusOf(res.Err) >= 500 {
				c.log.ErrorContext(ctx, "create schedule", "requestId", portal.RequestIDFrom(ctx), "customerId", res.CustomerID, "error", res.Err.Error())
				if portal.ErrorCode(res.Err) != portal.EUNAVAILABLE {
					reason = "something went wrong on our side; try again (request ID " + portal.RequestIDFrom(ctx) + ")"
				}
			}
			d.Failed = append(d.Failed, schedFailure{Customer: nameOf(res.CustomerID), Reason: reason})
			retry = append(retry, res.CustomerID)
		default:
			created = append(created, nameOf(res.CustomerID))
			if res.Schedule.Paused {
				paused = append(paused, nameOf(res.CustomerID))
			}
		}
	}
	if len(d.Failed) == 0 {
		msg := fmt.Sprintf("Created %s for %s.", schedPlural(len(created), "schedule", "schedules"), schedNames(created))
		if len(paused) > 0 {
			msg += fmt.Sprintf(" Paused while suspended: %s.", schedNames(paused))
		}
		to := schedulesPath
		if len(in.CustomerIDs) == 1 {
			to = schedulesOf(in.CustomerIDs[0])
		}
		return redirect(w, r, to, msg)
	}
	// Some failed: show every outcome, with only the failed customers
	// still ticked so that submitting again retries just them.
	d.Created = created
	for i := range d.Customers {
		d.Customers[i].Checked = slices.Contains(retry, d.Customers[i].ID)
	}
	status := http.StatusOK
	if len(created) == 0 {
		status = formStatus(results[0].Err)
	}
	return c.render(w, r, status, "schedule_new", view{Title: "Create Schedule", Section: "schedules", Data: d})
}

func schedPreviewOf(res portal.ScheduleResult, ch schedCustomer, name string, now time.Time) schedPreview {
	row := schedPreview{Customer: name, Zone: ch.Zone}
	if res.Err != nil {
		row.Failed, row.Note = true, "No schedule: "+portal.ErrorMessage(res.Err)
		return row
	}
	sc := res.Schedule
	if row.Zone == "" {
		row.Zone = "UTC"
	}
	loc, err := recurrence.LoadLocation(row.Zone)
	if err != nil {
		loc, row.Zone = time.UTC, "UTC"
	}
	if sc.Timezone != row.Zone {
		row.Schedule = sc.StartTime + " " + sc.Timezone
	}
	if sc.Paused {
		row.Note = "The customer is suspended: this schedule is created paused and runs once the customer is resumed."
		return row
	}
	for _, f := range sc.NextRuns(now, portal.NextRunsShown) {
		row.Runs = append(row.Runs, f.UTC.In(loc).Format(schedRunLayout))
	}
	return row
}

// scheduleForm prepares the Create Schedule form showing f.
func (c *Console) scheduleForm(ctx context.Context, id tenancy.Identity, f Form) (scheduleFormData, error) {
	v := f.Values
	d := scheduleFormData{Form: f, Q: v.Get("q"), CustomerRole: id.Role.IsCustomerRole(),
		AllTargets: v.Get("targets") != "assets", OnNewAsset: v.Get("onNewAsset") != "", OnVulnDB: v.Get("onVulnDbUpdate") != ""}
	for field, reason := range f.Errors {
		switch {
		case strings.HasPrefix(field, "customerIds["):
			d.CustomerErrors = append(d.CustomerErrors, reason)
		case strings.HasPrefix(field, "targets["):
			d.TargetErrors = append(d.TargetErrors, reason)
		}
	}
	slices.Sort(d.CustomerErrors)
	slices.Sort(d.TargetErrors)
	checked := v["customerIds"]
	zones := []string{}
	if d.CustomerRole {
		own, err := c.s.Customers.Get(ctx, id.TenantID)
		if err != nil {
			return d, err
		}
		d.Own = &own
		zones = append(zones, own.Timezone)
	} else {
		page, err := c.s.Customers.List(ctx, portal.ListParams{Q: d.Q, Sort: "name", Limit: strconv.Itoa(schedChoiceLimit)})
		if err != nil {
			return d, err
		}
		d.More = page.NextCursor != ""
		listed := map[string]bool{}
		for _, cu := range page.Items {
			listed[cu.ID] = true
		}
		// Customers ticked that the list does not show come first, so a
		// search never drops a choice.
		var extra []schedCustomer
		for i, cid := range checked {
			if listed[cid] || slices.Contains(checked[:i], cid) {
				continue
			}
			ch := schedCustomer{ID: cid, Name: cid, Checked: true}
			if len(extra) < schedChoiceLimit && portal.ValidID(portal.PrefixCustomer, cid) {
				if cu, err := c.s.Customers.Get(ctx, cid); err == nil {
					ch = schedChoiceOf(cu, true)
				}
			}
			extra = append(extra, ch)
		}
		d.Customers = extra
		for _, cu := range page.Items {
			d.Customers = append(d.Customers, schedChoiceOf(cu, slices.Contains(checked, cu.ID)))
		}
		for _, ch := range d.Customers {
			if ch.Checked {
				zones = append(zones, ch.Zone)
			}
		}
	}
	d.Profiles = schedOptions(v.Get("profile"), schedProfileOptions())
	d.Frequencies = schedOptions(v.Get("frequency"), []schedOption{
		{Value: string(recurrence.Daily), Label: "Daily"}, {Value: string(recurrence.Weekly), Label: "Weekly"}, {Value: string(recurrence.Monthly), Label: "Monthly"},
	})
	d.Weekdays = schedOptions(v.Get("dayOfWeek"), schedWeekdayOptions())
	d.Zones = schedOptions(v.Get("timezone"), schedZoneOptions(append(zones, v.Get("timezone"))))
	// The one customer chosen: its verified assets can be ticked as targets.
	one := ""
	if len(checked) == 1 {
		one = checked[0]
	}
	typed := schedAssetIDs(v)
	if one != "" {
		assets, err := c.s.Assets.List(ctx, one, strconv.Itoa(portal.MaxPageSize), "")
		if err == nil {
			for _, a := range assets.Items {
				if a.Verified {
					d.Assets = append(d.Assets, schedAsset{ID: a.ID, Value: a.Value, Checked: slices.Contains(typed, a.ID)})
				}
			}
			d.AssetsOf = one
			for _, ch := range d.Customers {
				if ch.ID == one {
					d.AssetsOf = ch.Name
				}
			}
			if d.Own != nil {
				d.AssetsOf = d.Own.Name
			}
		}
	}
	var rest []string
	for _, aid := range typed {
		if !slices.ContainsFunc(d.Assets, func(a schedAsset) bool { return a.ID == aid }) {
			rest = append(rest, aid)
		}
	}
	d.AssetIDsText = strings.Join(rest, "\n")
	return d, nil
}

func schedChoiceOf(cu portal.Customer, checked bool) schedCustomer {
	return schedCustomer{ID: cu.ID, Name: cu.Name, Zone: cu.Timezone, Suspended: cu.Status == portal.StatusSuspended, Checked: checked}
}

// schedOptions marks the option whose value is selected.
func schedOptions(selected string, opts []schedOption) []schedOption {
	for i := range opts {
		opts[i].Selected = opts[i].Value == selected
	}
	return opts
}

func schedProfileOptions() []schedOption {
	var out []schedOption
	for _, p := range scan.Profiles {
		out = append(out, schedOption{Value: string(p), Label: schedProfileLabel(p)})
	}
	return out
}

func schedProfileLabel(p scan.Profile) string {
	switch p {
	case scan.ProfileLight:
		return "Light: DNS, TLS and HTTP hygiene"
	case scan.ProfileFull:
		return "Full: light plus open ports, exposed files, listings, CORS"
	case scan.ProfileAPI:
		return "API: TLS, headers, CORS, exposed API documents"
	}
	return string(p)
}

var schedWeekdays = []struct{ code, name string }{
	{"MON", "Monday"}, {"TUE", "Tuesday"}, {"WED", "Wednesday"}, {"THU", "Thursday"}, {"FRI", "Friday"}, {"SAT", "Saturday"}, {"SUN", "Sunday"},
}

func schedWeekdayOptions() []schedOption {
	var out []schedOption
	for _, d := range schedWeekdays {
		out = append(out, schedOption{Value: d.code, Label: d.name})
	}
	return out
}

func schedFrequencyText(sc portal.Schedule) string {
	switch sc.Frequency {
	case recurrence.Weekly:
		for _, d := range schedWeekdays {
			if d.code == sc.DayOfWeek {
				return "Weekly on " + d.name
			}
		}
		return "Weekly on " + sc.DayOfWeek
	case recurrence.Monthly:
		if sc.DayOfMonth >= 29 {
			return fmt.Sprintf("Monthly on day %d (or the month's last day)", sc.DayOfMonth)
		}
		return fmt.Sprintf("Monthly on day %d", sc.DayOfMonth)
	}
	return "Daily"
}

func schedEventsText(newAsset, vulnDB bool) string {
	var ev []string
	if newAsset {
		ev = append(ev, "new asset discovered")
	}
	if vulnDB {
		ev = append(ev, "vulnerability database update")
	}
	if len(ev) == 0 {
		return "none"
	}
	return strings.Join(ev, ", ")
}

// schedZones are the time zones offered besides those of the customers
// chosen.
var schedZones = []string{
	"UTC",
	"America/Anchorage", "America/Los_Angeles", "America/Phoenix", "America/Denver", "America/Chicago", "America/Mexico_City",
	"America/New_York", "America/Toronto", "America/Bogota", "America/Sao_Paulo", "America/Argentina/Buenos_Aires",
	"Atlantic/Reykjavik", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Madrid", "Europe/Paris", "Europe/Amsterdam",
	"Europe/Brussels", "Europe/Berlin", "Europe/Zurich", "Europe/Rome", "Europe/Vienna", "Europe/Stockholm", "Europe/Oslo",
	"Europe/Copenhagen", "Europe/Warsaw", "Europe/Prague", "Europe/Athens", "Europe/Helsinki", "Europe/Bucharest", "Europe/Istanbul",
	"Africa/Lagos", "Africa/Cairo", "Africa/Johannesburg", "Africa/Nairobi", "Asia/Jerusalem", "Asia/Riyadh", "Asia/Dubai",
	"Asia/Karachi", "Asia/Kolkata", "Asia/Dhaka", "Asia/Bangkok", "Asia/Jakarta", "Asia/Singapore", "Asia/Hong_Kong",
	"Asia/Shanghai", "Asia/Manila", "Asia/Seoul", "Asia/Tokyo", "Australia/Perth", "Australia/Adelaide", "Australia/Brisbane",
	"Australia/Sydney", "Pacific/Auckland", "Pacific/Honolulu",
}

// schedZoneOptions are "each customer's own" and the common zones, with extra
// (the chosen customers' zones, the value submitted) added in front.
func schedZoneOptions(extra []string) []schedOption {
	out := []schedOption{{Value: "", Label: "Each customer's own time zone"}}
	var added []string
	for _, z := range extra {
		if z != "" && !slices.Contains(schedZones, z) && !slices.Contains(added, z) {
			added = append(added, z)
		}
	}
	slices.Sort(added)
	for _, z := range append(added, schedZones...) {
		out = append(out, schedOption{Value: z, Label: strings.ReplaceAll(z, "_", " ")})
	}
	return out
}

func schedPlural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// schedNames names up to five, then says how many more.
func schedNames(names []string) string {
	if len(names) <= 5 {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:5], ", ") + fmt.Sprintf(" and %d more", len(names)-5)
}

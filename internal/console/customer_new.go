package console

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// + New Customer: a customer's details and one or more license rows,
// created with its licenses in one request.

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

package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// Editing a customer's details and its portal access level.

func (c *Console) customerEditForm(w http.ResponseWriter, r *http.Request) error {
	cu, partner, err := c.editable(r)
	if err != nil {
		return err
	}
	f := Form{Values: url.Values{
		"name": {cu.Name}, "contactEmail": {cu.ContactEmail}, "timezone": {cu.Timezone}, "country": {cu.Country},
		"tags": {strings.Join(cu.Tags, ", ")}, "status": {string(cu.Status)}, "version": {strconv.FormatInt(cu.Version, 10)},
	}, Errors: map[string]string{}}
	f.Values.Set("back", within(r.URL.Query().Get("back"), custPath(cu.ID)))
	return c.renderEdit(w, r, http.StatusOK, cu, partner, f)
}

func (c *Console) renderEdit(w http.ResponseWriter, r *http.Request, status int, cu portal.Customer, partner bool, f Form) error {
	d := customerFormData{Form: f, Customer: &cu, PartnerForm: partner, Back: within(f.Get("back"), custPath(cu.ID))}
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
	return redirect(w, r, within(r.PostForm.Get("back"), custPath(updated.ID)), updated.Name+" saved.")
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
	d := accessData{Customer: cu, Choices: accessChoices(string(cu.AccessLevel)), Form: Form{Errors: map[string]string{}}, Back: within(r.URL.Query().Get("back"), custPath(cu.ID))}
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
	back := within(r.PostFormValue("back"), custPath(cu.ID))
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

package console

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/partnerportal/portal/internal/httpapi"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// Users: invite people, their invitations, partner members' customer grants.
func (c *Console) userRoutes() {
	c.mux.Handle("GET "+Base+"/users", c.page(c.userList))
	c.mux.Handle("POST "+Base+"/users", c.page(c.inviteUser))
	c.mux.Handle("POST "+Base+"/users/{userId}/invitation", c.page(c.reinviteUser))
	c.mux.Handle("GET "+Base+"/users/{userId}/grants", c.page(c.grantsPage))
	c.mux.Handle("POST "+Base+"/users/{userId}/grants", c.page(c.setGrants))
}

// usersPage is the user list's data, with the invite form.
type usersPage struct {
	Heading      string
	CustomerID   string // partner admins: the customer whose users are listed
	CustomerName string
	PartnerID    string // super admins: the partner whose users are listed
	Rows         []userRow
	NextHref     string
	FirstHref    string
	// Links to the other lists a partner admin manages.
	PartnerHref     string // the partner's own users ("" when shown)
	CurrentHref     string // the customer switched to ("" when shown or none)
	CurrentName     string
	SuperAdmin      bool
	PartnerAdmin    bool
	Form            Form // the invite form
	Roles           []roleOption
	Customers       []portal.Customer // partner admins: customers to pick for customer roles
	MoreCustomers   bool              // more than listed: the customer ID can be typed
	CustomerPicked  string
	CustomerIDInput bool   // the customer is typed as an ID
	Back            string // this list, to come back to from an invitation link
}

type userRow struct {
	ID, Email, Name string
	Role            string
	CustomerID      string
	Status          string
	Access          string // password set, invitation open or expired
	Created         time.Time
	Member          bool // a partner member: customer access is granted per customer
}

type roleOption struct {
	Value, Label string
	Selected     bool
}

// creatableRoles are the roles the caller may create users with.
func creatableRoles(id tenancy.Identity) []tenancy.Role {
	switch {
	case id.Role == tenancy.RoleSuperAdmin:
		return []tenancy.Role{tenancy.RoleSuperAdmin, tenancy.RolePartnerAdmin, tenancy.RolePartnerMember}
	case id.Role == tenancy.RolePartnerAdmin:
		return []tenancy.Role{tenancy.RolePartnerAdmin, tenancy.RolePartnerMember, tenancy.RoleCustomerAdmin, tenancy.RoleCustomerViewer}
	case id.Role == tenancy.RoleCustomerAdmin:
		return []tenancy.Role{tenancy.RoleCustomerAdmin, tenancy.RoleCustomerViewer}
	}
	return nil
}

var roleLabels = map[tenancy.Role]string{
	tenancy.RoleSuperAdmin:     "Super admin (platform operator)",
	tenancy.RolePartnerAdmin:   "Partner admin (every customer, billing, users)",
	tenancy.RolePartnerMember:  "Partner member (granted customers only)",
	tenancy.RoleCustomerAdmin:  "Customer admin",
	tenancy.RoleCustomerViewer: "Customer viewer (read-only)",
}

func (c *Console) userList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	return c.renderUsers(w, r, http.StatusOK, q.Get("customerId"), q.Get("partnerId"), q.Get("cursor"), nil)
}

// renderUsers renders a page of the users of customerID (partner admins)
// or partnerID (super admins), or else the caller's own organisation,
// with the invite form (form: the one submitted, shown again).
func (c *Console) renderUsers(w http.ResponseWriter, r *http.Request, status int, customerID, partnerID, cursor string, form *Form) error {
	id := identity(r)
	if id.Role != tenancy.RoleSuperAdmin {
		partnerID = ""
	}
	if id.Role != tenancy.RolePartnerAdmin {
		customerID = ""
	}
	page, err := c.s.Users.List(r.Context(), partnerID, customerID, "25", cursor)
	if err != nil {
		return err
	}
	data := usersPage{CustomerID: customerID, PartnerID: partnerID, SuperAdmin: id.Role == tenancy.RoleSuperAdmin, PartnerAdmin: id.Role == tenancy.RolePartnerAdmin}
	switch {
	case customerID != "":
		cu, err := c.s.Customers.Get(r.Context(), customerID)
		if err != nil {
			return err
		}
		data.CustomerName, data.Heading = cu.Name, "Users of "+cu.Name
		data.PartnerHref = Base + "/users"
	case partnerID != "":
		data.Heading = "Users of partner " + partnerID
	case id.Role == tenancy.RoleSuperAdmin:
		data.Heading = "Platform operators"
	case id.Role.IsCustomerRole():
		data.Heading = "Your organisation's users"
	default:
		data.Heading = "Your team"
	}
	if data.PartnerAdmin {
		if cu := c.current(r); cu != nil && cu.ID != customerID {
			data.CurrentHref, data.CurrentName = Base+"/users?customerId="+url.QueryEscape(cu.ID), cu.Name
		}
	}
	now := c.s.Clock()
	for _, u := range page.Items {
		row := userRow{ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role), CustomerID: u.TenantID, Status: u.Status, Created: u.CreatedAt, Member: u.Role == tenancy.RolePartnerMember && data.PartnerAdmin}
		switch {
		case u.PasswordHash != "":
			row.Access = "Password set"
		case u.InvitationExpiresAt != nil && now.Before(*u.InvitationExpiresAt):
			row.Access = "Invited, link valid until " + stamp(*u.InvitationExpiresAt)
		default:
			row.Access = "Invitation expired: send a new one"
		}
		data.Rows = append(data.Rows, row)
	}
	q := url.Values{}
	if customerID != "" {
		q.Set("customerId", customerID)
	}
	if partnerID != "" {
		q.Set("partnerId", partnerID)
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	data.NextHref, data.FirstHref = pageLinks(q, page.NextCursor)
	data.Back = Base + "/users" + strings.TrimSuffix(queryWith("", q, "cursor", cursor), "?")

	// The invite form.
	if form != nil {
		data.Form = *form
	} else {
		data.Form = Form{Values: url.Values{}}
		switch {
		case customerID != "":
			data.Form.Values.Set("role", string(tenancy.RoleCustomerViewer))
			data.Form.Values.Set("customerId", customerID)
		case partnerID != "":
			data.Form.Values.Set("role", string(tenancy.RolePartnerMember))
			data.Form.Values.Set("partnerId", partnerID)
		case id.Role == tenancy.RolePartnerAdmin:
			// The least reach first: a member sees only granted customers.
			data.Form.Values.Set("role", string(tenancy.RolePartnerMember))
		case id.Role.IsCustomerRole():
			data.Form.Values.Set("role", string(tenancy.RoleCustomerViewer))
		}
	}
	for _, role := range creatableRoles(id) {
		data.Roles = append(data.Roles, roleOption{Value: string(role), Label: roleLabels[role], Selected: data.Form.Get("role") == string(role)})
	}
	if data.PartnerAdmin {
		customers, err := c.s.Customers.List(r.Context(), portal.ListParams{Sort: "name", Limit: "100"})
		if err != nil {
			return err
		}
		data.Customers, data.MoreCustomers = customers.Items, customers.NextCursor != ""
		data.CustomerPicked = data.Form.Get("customerId")
		listed := data.CustomerPicked == "" || slices.ContainsFunc(data.Customers, func(cu portal.Customer) bool { return cu.ID == data.CustomerPicked })
		data.CustomerIDInput = data.MoreCustomers || !listed
	}
	return c.render(w, r, status, "users", view{Title: "Users", Section: "users", Data: data})
}

// inviteUser creates a user and shows the invitation link, once.
func (c *Console) inviteUser(w http.ResponseWriter, r *http.Request) error {
	id := identity(r)
	r.ParseForm()
	f := r.PostForm
	email, name := strings.TrimSpace(f.Get("email")), strings.TrimSpace(f.Get("name"))
	in := portal.UserInput{Email: &email}
	if name != "" {
		in.Name = &name
	}
	role := tenancy.Role(f.Get("role"))
	if role != "" {
		in.Role = &role
	}
	if cid := strings.TrimSpace(f.Get("customerId")); cid != "" && role.IsCustomerRole() && !id.Role.IsCustomerRole() {
		in.CustomerID = &cid
	}
	if pid := strings.TrimSpace(f.Get("partnerId")); pid != "" && role.IsPartnerRole() && id.Role == tenancy.RoleSuperAdmin {
		in.PartnerID = &pid
	}
	nu, err := c.s.Users.Create(r.Context(), in)
	if err != nil {
		fe, ok := formError(err)
		if !ok {
			return err
		}
		fe.Values = f
		fe.Message = "Nobody was invited. " + fe.Message
		return c.renderUsers(w, r, formStatus(err), f.Get("listCustomerId"), f.Get("listPartnerId"), "", &fe)
	}
	back := Base + "/users"
	if nu.TenantID != "" && id.Role == tenancy.RolePartnerAdmin {
		back += "?customerId=" + url.QueryEscape(nu.TenantID)
	}
	return c.renderInvitation(w, r, http.StatusCreated, invitedPage{Created: true, Email: nu.Email, Name: nu.Name, Role: string(nu.Role), Back: back}, nu.Invitation)
}

// reinviteUser issues a new invitation link for a user (replacing the
// previous one) and shows it, once.
func (c *Console) reinviteUser(w http.ResponseWriter, r *http.Request) error {
	inv, err := c.s.Users.Invite(r.Context(), r.PathValue("userId"))
	if err != nil {
		return err
	}
	back := within(r.PostFormValue("back"), Base+"/users")
	// The e-mail address comes from the list the button was on: it only
	// tells the caller whom the link is for.
	return c.renderInvitation(w, r, http.StatusOK, invitedPage{Email: r.PostFormValue("email"), Back: back}, inv)
}

// invitedPage shows an invitation link the one time it exists in the clear.
type invitedPage struct {
	Created   bool
	Email     string
	Name      string
	Role      string
	URL       string
	ExpiresAt time.Time
	Back      string
}

func (c *Console) renderInvitation(w http.ResponseWriter, r *http.Request, status int, p invitedPage, inv portal.Invitation) error {
	p.URL = httpapi.InvitationURL(r.Host, inv.Token)
	p.ExpiresAt = inv.ExpiresAt
	return c.render(w, r, status, "users_invited", view{Title: "Invitation link", Section: "users", Data: p})
}

// grantsPageData is a partner member's customer access form.
type grantsPageData struct {
	User      portal.User
	Form      Form
	Customers []grantOption
	More      bool // the partner has more customers than listed
	Max       int
}

type grantOption struct {
	ID, Name string
	Status   string
	Checked  bool
}

// grantsPage shows which customers a partner member may see, as a
// checklist of the partner's customers (the first 100 by name, and every
// customer granted now).
func (c *Console) grantsPage(w http.ResponseWriter, r *http.Request) error {
	return c.renderGrants(w, r, http.StatusOK, nil)
}

func (c *Console) renderGrants(w http.ResponseWriter, r *http.Request, status int, form *Form) error {
	u, granted, err := c.s.Grants.Get(r.Context(), r.PathValue("userId"))
	if err != nil {
		return err
	}
	checked := map[string]bool{}
	for _, g := range granted {
		checked[g] = true
	}
	data := grantsPageData{User: u, Form: Form{Values: url.Values{}}, Max: portal.MaxGrants}
	if form != nil {
		data.Form = *form
		checked = map[string]bool{}
		for _, g := range form.Values["customerIds"] {
			checked[g] = true
		}
	}
	page, err := c.s.Customers.List(r.Context(), portal.ListParams{Sort: "name", Limit: "100"})
	if err != nil {
		return err
	}
	data.More = page.NextCursor != ""
	listed := map[string]bool{}
	for _, cu := range page.Items {
		listed[cu.ID] = true
		data.Customers = append(data.Customers, grantOption{ID: cu.ID, Name: cu.Name, Status: string(cu.Status), Checked: checked[cu.ID]})
	}
	// Granted customers beyond the first page stay in the form, checked,
	// so that saving does not drop them.
	for cid := range checked {
		if listed[cid] || !portal.ValidID(portal.PrefixCustomer, cid) {
			continue
		}
		if cu, err := c.s.Customers.Get(r.Context(), cid); err == nil {
			data.Customers = append(data.Customers, grantOption{ID: cu.ID, Name: cu.Name, Status: string(cu.Status), Checked: true})
		}
	}
	who := u.Email
	return c.render(w, r, status, "users_grants", view{Title: "Customer access of " + who, Section: "users", Data: data})
}

// setGrants replaces the customers a partner member may see with those checked.
func (c *Console) setGrants(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	ids := append([]string{}, r.PostForm["customerIds"]...)
	set, err := c.s.Grants.Set(r.Context(), r.PathValue("userId"), &ids)
	if err != nil {
		fe, ok := formError(err)
		if !ok || portal.ErrorCode(err) != portal.EINVALID {
			return err
		}
		fe.Values = r.PostForm
		fe.Message = "Nothing was changed. " + fe.Message
		return c.renderGrants(w, r, http.StatusUnprocessableEntity, &fe)
	}
	return redirect(w, r, Base+"/users", fmt.Sprintf("Customer access saved: the member may now see %d customer(s).", len(set)))
}

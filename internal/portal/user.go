package portal

import (
	"context"
	"fmt"
	"time"

	"github.com/partnerportal/portal/internal/tenancy"
)

// User is a person (or integration) that signs in with a password (a
// browser session) or uses API keys.
type User struct {
	ID        string
	Email     string
	Name      string
	Role      tenancy.Role
	PartnerID string // empty for super_admin
	TenantID  string // set for customer roles
	Status    string
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
	// PasswordHash is the argon2id PHC string of the user's password
	// (HashPassword); empty until the user accepts an invitation. Never
	// shown, never audited.
	PasswordHash string
	// InvitationHash is the hex SHA-256 of the user's open invitation
	// token, valid until InvitationExpiresAt; empty when there is none.
	InvitationHash      string
	InvitationExpiresAt *time.Time
}

// Identity returns the identity a request made with one of u's keys carries.
func (u User) Identity(keyID string) tenancy.Identity {
	return tenancy.Identity{UserID: u.ID, Role: u.Role, PartnerID: u.PartnerID, TenantID: u.TenantID, KeyID: keyID}
}

// UserInput is the body of POST /v1/users.
type UserInput struct {
	Email      *string       `json:"email"`
	Name       *string       `json:"name"`
	Role       *tenancy.Role `json:"role"`
	PartnerID  *string       `json:"partnerId"`
	CustomerID *string       `json:"customerId"`
}

// UserStore persists users; e-mail addresses are unique across the platform.
type UserStore interface {
	// CreateUser stores a new user; ECONFLICT if the e-mail is taken.
	CreateUser(ctx context.Context, u User) error
	// GetUser returns a user by ID if it lives within scope (an empty scope
	// reaches every user, a partner scope its users and its customers',
	// a tenant scope that tenant's); ENOTFOUND otherwise, without reading
	// the user's partition.
	GetUser(ctx context.Context, scope tenancy.Scope, id string) (User, error)
	// ListUsers returns up to limit users of scope ordered by e-mail, after
	// start: a tenant's users, a partner's own users, or with an empty
	// scope the platform operators.
	ListUsers(ctx context.Context, scope tenancy.Scope, limit int, start Position) ([]User, Position, error)
	// GetUserByEmail returns the user with the e-mail address email
	// (compared case-insensitively), wherever it lives; ENOTFOUND if none.
	// For signing in: it has no scope, so only SessionService calls it.
	GetUserByEmail(ctx context.Context, email string) (User, error)
	// SetUserInvitation replaces u's invitation with one whose token
	// hashes to hash, valid until expiresAt, with the audit entry ctx
	// carries; ENOTFOUND if u does not exist.
	SetUserInvitation(ctx context.Context, u User, hash string, expiresAt time.Time) error
	// SetUserPassword stores passwordHash as u's password and removes its
	// invitation, provided the invitation's hash is still invitationHash,
	// with the audit entry ctx carries: ECONFLICT when it is not (the
	// invitation was used or replaced meanwhile), ENOTFOUND if u does not
	// exist.
	SetUserPassword(ctx context.Context, u User, invitationHash, passwordHash string, now time.Time) error
}

// UserService manages users. Partner admins manage their own partner's
// users; super_admin manages operators and names the partner of partner users.
type UserService struct {
	Users     UserStore
	Partners  PartnerStore
	Customers CustomerStore
	Cursors   Cursors
	Clock     Clock
	IDs       IDs
}

// NewUser is a user just created, with the invitation to set a password
// (its token is shown exactly once).
type NewUser struct {
	User
	Invitation Invitation
}

// Create validates in and stores a new user with an invitation to set a
// password (valid InvitationLifetime). EINVALID lists every bad field,
// ECONFLICT says the e-mail is taken, EFORBIDDEN that the caller may not
// create that role. Partner admins create partner users and, with
// customerId, users of their customers; customer admins of a tenant with
// full access create users of their own tenant; super admins create
// operators and, naming partnerId, partner users.
func (s *UserService) Create(ctx context.Context, in UserInput) (NewUser, error) {
	id, err := requireRole(ctx, "creating users", tenancy.RoleSuperAdmin, tenancy.RolePartnerAdmin, tenancy.RoleCustomerAdmin, tenancy.RoleCustomerViewer)
	if err != nil {
		return NewUser{}, err
	}
	if err := tenantUser(id, "", true); err != nil {
		return NewUser{}, err
	}
	var p Problems
	now := s.Clock()
	u := User{ID: s.IDs.New(PrefixUser), Status: "active", CreatedAt: now, UpdatedAt: now, Version: 1}
	if in.Email == nil {
		p.Add("email", "is required")
	} else {
		u.Email = checkEmail(&p, "email", *in.Email)
	}
	if in.Name != nil {
		u.Name = checkName(&p, "name", *in.Name)
	}
	var allowed []tenancy.Role
	switch id.Role {
	case tenancy.RoleSuperAdmin:
		allowed = []tenancy.Role{tenancy.RoleSuperAdmin, tenancy.RolePartnerAdmin, tenancy.RolePartnerMember}
	case tenancy.RolePartnerAdmin:
		allowed = []tenancy.Role{tenancy.RolePartnerAdmin, tenancy.RolePartnerMember, tenancy.RoleCustomerAdmin, tenancy.RoleCustomerViewer}
	default:
		allowed = []tenancy.Role{tenancy.RoleCustomerAdmin, tenancy.RoleCustomerViewer}
	}
	if in.Role == nil {
		p.Add("role", "is required")
	} else {
		u.Role = *in.Role
		oneOf(&p, "role", u.Role, allowed)
	}
	switch {
	case in.PartnerID != nil && id.Role != tenancy.RoleSuperAdmin:
		p.Add("partnerId", "must not be set: the users you create belong to your own organisation")
	case id.Role == tenancy.RoleSuperAdmin && u.Role == tenancy.RoleSuperAdmin && in.PartnerID != nil:
		p.Add("partnerId", "must not be set for super_admin users")
	case id.Role == tenancy.RoleSuperAdmin && u.Role.IsPartnerRole() && (in.PartnerID == nil || !ValidID(PrefixPartner, *in.PartnerID)):
		p.Add("partnerId", "is required for partner users: a partner ID such as prt_01JC…")
	case id.Role == tenancy.RoleSuperAdmin && u.Role.IsPartnerRole():
		u.PartnerID = *in.PartnerID
	case id.Role != tenancy.RoleSuperAdmin:
		u.PartnerID = id.PartnerID
	}
	switch {
	case u.Role.IsCustomerRole() && id.Role.IsCustomerRole():
		if in.CustomerID != nil && *in.CustomerID != id.TenantID {
			p.Add("customerId", "must be your own organisation's ID, or left out")
		}
		u.TenantID = id.TenantID
	case u.Role.IsCustomerRole() && (in.CustomerID == nil || !ValidID(PrefixCustomer, *in.CustomerID)):
		p.Add("customerId", "is required for customer users: a customer ID such as cus_01JC…")
	case u.Role.IsCustomerRole():
		u.TenantID = *in.CustomerID
	case in.CustomerID != nil:
		p.Add("customerId", "is only set for customer users (customer_admin, customer_viewer)")
	}
	if err := p.Err(); err != nil {
		return NewUser{}, err
	}
	if id.Role == tenancy.RoleSuperAdmin && u.PartnerID != "" {
		if _, err := s.Partners.GetPartner(ctx, u.PartnerID); err != nil {
			if ErrorCode(err) == ENOTFOUND {
				p.Add("partnerId", "no partner %s exists", u.PartnerID)
				return NewUser{}, p.Err()
			}
			return NewUser{}, err
		}
	}
	if id.Role == tenancy.RolePartnerAdmin && u.TenantID != "" {
		c, err := s.Customers.GetCustomer(ctx, id.Scope(), u.TenantID)
		if ErrorCode(err) == ENOTFOUND {
			p.Add("customerId", "no customer %s of yours exists", u.TenantID)
			return NewUser{}, p.Err()
		}
		if err != nil {
			return NewUser{}, err
		}
		if c.Status == StatusArchived {
			return NewUser{}, Errorf(ECONFLICT, "customer %s is archived", c.ID)
		}
	}
	inv, hash, err := newInvitation(u.ID, now)
	if err != nil {
		return NewUser{}, err
	}
	u.InvitationHash, u.InvitationExpiresAt = hash, &inv.ExpiresAt
	ctx = auditor{s.Clock, s.IDs}.audit(ctx, "user.create", u.ID, tenancy.Scope{PartnerID: u.PartnerID, TenantID: u.TenantID}, nil, u.auditFields())
	if err := s.Users.CreateUser(ctx, u); err != nil {
		return NewUser{}, fmt.Errorf("create user: %w", err)
	}
	return NewUser{User: u, Invitation: inv}, nil
}

// UserPage is one page of the user list.
type UserPage struct {
	Items      []User
	NextCursor string
}

// List returns the users a caller manages: a partner admin its partner's
// users or, with customerID, that customer's users; a customer admin its
// tenant's users; super_admin the operators or, with partnerID, that
// partner's users.
func (s *UserService) List(ctx context.Context, partnerID, customerID, limit, cursor string) (UserPage, error) {
	id, err := requireRole(ctx, "listing users", tenancy.RoleSuperAdmin, tenancy.RolePartnerAdmin, tenancy.RoleCustomerAdmin)
	if err != nil {
		return UserPage{}, err
	}
	// Managing users is an admin's full-access right; read_only caps admins to viewers.
	if err := tenantUser(id, customerID, true); err != nil {
		return UserPage{}, err
	}
	var p Problems
	n := parsePageSize(&p, limit)
	scope := tenancy.Scope{PartnerID: partnerID}
	switch {
	case id.Role != tenancy.RoleSuperAdmin && partnerID != "":
		p.Add("partnerId", "must not be set: you see your own organisation's users")
	case id.Role.IsCustomerRole():
		scope = id.Scope()
	case id.Role == tenancy.RolePartnerAdmin && customerID != "":
		if _, err := s.Customers.GetCustomer(ctx, id.Scope(), customerID); err != nil {
			return UserPage{}, err
		}
		scope = tenancy.Scope{PartnerID: id.PartnerID, TenantID: customerID}
	case id.Role == tenancy.RolePartnerAdmin:
		scope = id.Scope()
	case customerID != "":
		p.Add("customerId", "is for partner admins; operators list partners' users with partnerId")
	case partnerID != "" && !ValidID(PrefixPartner, partnerID):
		p.Add("partnerId", "must be a partner ID such as prt_01JC…")
	}
	if err := p.Err(); err != nil {
		return UserPage{}, err
	}
	query := "users|" + scope.PartnerID + "|" + scope.TenantID
	start, err := s.Cursors.Decode(id, query, cursor)
	if err != nil {
		return UserPage{}, err
	}
	items, next, err := s.Users.ListUsers(ctx, scope, n, start)
	if err != nil {
		return UserPage{}, fmt.Errorf("list users: %w", err)
	}
	return UserPage{Items: items, NextCursor: s.Cursors.Encode(id, query, next)}, nil
}

// userInScope returns the user if the caller may manage it: super admins
// any user, partner admins their partner's and its customers' users,
// customer admins with full access their tenant's users, anyone itself.
// ENOTFOUND otherwise, so that other organisations' user IDs are
// indistinguishable from unknown ones, and found out without reading them.
func (s *UserService) userInScope(ctx context.Context, id tenancy.Identity, userID string) (User, error) {
	notFound := Errorf(ENOTFOUND, "user %s not found", userID)
	if !ValidID(PrefixUser, userID) {
		return User{}, notFound
	}
	var scope tenancy.Scope
	switch {
	case id.Role == tenancy.RoleSuperAdmin:
	case id.Role == tenancy.RolePartnerAdmin:
		scope = tenancy.Scope{PartnerID: id.PartnerID}
	case id.Role == tenancy.RoleCustomerAdmin && id.TenantAccess == string(AccessFull):
		scope = id.Scope()
	case userID == id.UserID:
		scope = id.Scope()
	default:
		return User{}, notFound
	}
	return s.Users.GetUser(ctx, scope, userID)
}

// Package tenancy carries the authenticated caller's identity through a
// request. Handlers put it into the context once, from the authorizer's
// context; everything below reads it with FromContext. Tenant identity never
// comes from a request body or path.
package tenancy

import (
	"context"
	"slices"
)

// Role is what a principal is allowed to do; see DESIGN.md §1.
type Role string

// Roles. Partner roles act for one partner; customer roles act inside one tenant.
const (
	RoleSuperAdmin     Role = "super_admin"
	RolePartnerAdmin   Role = "partner_admin"
	RolePartnerMember  Role = "partner_member"
	RoleCustomerAdmin  Role = "customer_admin"
	RoleCustomerViewer Role = "customer_viewer"
)

// Roles lists every role, in order of decreasing reach.
var Roles = []Role{RoleSuperAdmin, RolePartnerAdmin, RolePartnerMember, RoleCustomerAdmin, RoleCustomerViewer}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// IsPartnerRole reports whether r acts for a partner (admin or member).
func (r Role) IsPartnerRole() bool { return r == RolePartnerAdmin || r == RolePartnerMember }

// IsCustomerRole reports whether r acts inside a single tenant.
func (r Role) IsCustomerRole() bool { return r == RoleCustomerAdmin || r == RoleCustomerViewer }

// Identity is the authenticated principal of a request.
type Identity struct {
	UserID    string
	Role      Role
	PartnerID string // empty for super_admin
	TenantID  string // set only for customer roles
	KeyID     string // the API key that authenticated the request
	// TenantAccess and TenantStatus are the tenant's portal access level
	// and status when the request was authorized (customer roles only).
	TenantAccess string
	TenantStatus string
	// SessionID is the browser session that authenticated the request
	// (KeyID is empty then); empty for API-key requests.
	SessionID string
	// CSRFToken is the session's anti-forgery token, set with SessionID:
	// a session-authenticated request that changes something must present
	// it (the API in the X-CSRF-Token header, the console in its forms).
	CSRFToken string
}

// Scope is the partition of data a principal may touch, derived from its Identity.
type Scope struct {
	PartnerID string
	TenantID  string
}

// Scope returns the data scope of the identity.
func (id Identity) Scope() Scope { return Scope{PartnerID: id.PartnerID, TenantID: id.TenantID} }

// Valid reports whether the identity is complete for its role.
func (id Identity) Valid() bool {
	if id.UserID == "" || !id.Role.Valid() {
		return false
	}
	switch {
	case id.Role == RoleSuperAdmin:
		return id.PartnerID == "" && id.TenantID == ""
	case id.Role.IsPartnerRole():
		return id.PartnerID != "" && id.TenantID == ""
	default:
		return id.PartnerID != "" && id.TenantID != ""
	}
}

type ctxKey struct{}

// WithIdentity returns a context carrying id.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext returns the identity in ctx and whether there is one.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(ctxKey{}).(Identity)
	return id, ok
}

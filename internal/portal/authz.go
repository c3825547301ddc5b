package portal

import (
	"context"

	"github.com/partnerportal/portal/internal/tenancy"
)

// caller returns the authenticated identity; EUNAUTHORIZED without one.
func caller(ctx context.Context) (tenancy.Identity, error) {
	id, ok := tenancy.FromContext(ctx)
	if !ok || !id.Valid() {
		return tenancy.Identity{}, Errorf(EUNAUTHORIZED, "no valid credentials")
	}
	return id, nil
}

// requireRole returns the caller if it has one of roles; EFORBIDDEN otherwise.
func requireRole(ctx context.Context, what string, roles ...tenancy.Role) (tenancy.Identity, error) {
	id, err := caller(ctx)
	if err != nil {
		return id, err
	}
	for _, r := range roles {
		if id.Role == r {
			return id, nil
		}
	}
	return tenancy.Identity{}, Errorf(EFORBIDDEN, "%s is not allowed for role %s", what, id.Role)
}

// partnerAdmin lets partner admins administer their partner's customers and licenses.
func partnerAdmin(ctx context.Context) (tenancy.Identity, error) {
	return requireRole(ctx, "this action (for partner admins)", tenancy.RolePartnerAdmin)
}

// partnerReader lets partner personnel read; members are further limited to granted customers.
func partnerReader(ctx context.Context) (tenancy.Identity, error) {
	return requireRole(ctx, "reading customers", tenancy.RolePartnerAdmin, tenancy.RolePartnerMember)
}

// tenantUser checks a customer user's request against its tenant: refused
// while the tenant is suspended or archived or its portal access is
// disabled, and for writes unless access is full. customerID, when given,
// must be the user's own tenant (ENOTFOUND otherwise). Partner roles pass.
func tenantUser(id tenancy.Identity, customerID string, write bool) error {
	if !id.Role.IsCustomerRole() {
		return nil
	}
	if customerID != "" && customerID != id.TenantID {
		return Errorf(ENOTFOUND, "customer %s not found", customerID)
	}
	switch {
	case id.TenantStatus == string(StatusSuspended) || id.TenantStatus == string(StatusArchived):
		return Errorf(EFORBIDDEN, "your organisation's account is %s: ask your service provider", id.TenantStatus)
	case id.TenantAccess == string(AccessDisabled) || id.TenantAccess == "":
		return Errorf(EFORBIDDEN, "portal access is disabled by your service provider")
	case write && id.TenantAccess != string(AccessFull):
		return Errorf(EFORBIDDEN, "your portal access is read-only")
	case write && id.Role != tenancy.RoleCustomerAdmin:
		return Errorf(EFORBIDDEN, "customer viewers cannot change anything")
	}
	return nil
}

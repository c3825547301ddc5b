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

// partnerAdmin lets partner admins change their partner's customers.
func partnerAdmin(ctx context.Context) (tenancy.Identity, error) {
	return requireRole(ctx, "changing customers", tenancy.RolePartnerAdmin)
}

// partnerReader lets partner personnel read; members are further limited to granted customers.
func partnerReader(ctx context.Context) (tenancy.Identity, error) {
	return requireRole(ctx, "reading customers", tenancy.RolePartnerAdmin, tenancy.RolePartnerMember)
}

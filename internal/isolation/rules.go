package isolation

import (
	"strings"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// Rule lets callers of some roles reach partitions of one kind, with a mode,
// when a condition on the caller and the partition holds.
type Rule struct {
	Kind  Kind
	Roles []tenancy.Role
	Mode  Mode
	// SK, when not nil, limits the rule to table accesses whose sort key (or
	// Query prefix) begins with SK(caller): accesses to the whole partition
	// or through an index do not match.
	SK func(id tenancy.Identity) string
	// When decides for one access; see the conditions below the table.
	When Cond
	Why  string
}

// Cond is a rule's condition.
type Cond func(c *call, p Partition) bool

var (
	super         = []tenancy.Role{tenancy.RoleSuperAdmin}
	partnerAdmin  = []tenancy.Role{tenancy.RolePartnerAdmin}
	partnerMember = []tenancy.Role{tenancy.RolePartnerMember}
	partnerStaff  = []tenancy.Role{tenancy.RolePartnerAdmin, tenancy.RolePartnerMember}
	customerUsers = []tenancy.Role{tenancy.RoleCustomerAdmin, tenancy.RoleCustomerViewer}
	customerAdmin = []tenancy.Role{tenancy.RoleCustomerAdmin}
	everyone      = tenancy.Roles
)

// Rules is who may reach what: the one table the Checker decides by. An
// access that no rule allows is a violation. Requests without an identity
// (fixtures, the authorizer) are not checked.
//
// Customer users of a tenant whose portal access is disabled, or that is
// suspended or archived, are shut out entirely (DESIGN.md §1: "disabled:
// nothing ... only partner personnel reach the tenant"); they write only as a
// customer_admin under full access. Idempotency records are bookkeeping of
// the caller's own requests and exempt from that.
var Rules = []Rule{
	// The platform.
	{KindPlatform, super, ReadWrite, nil, always, "operators live in PLATFORM"},
	{KindPricing, super, ReadWrite, nil, always, "super admins set the pricing"},
	{KindPricing, partnerStaff, Read, nil, always, "partner personnel read the pricing that applies to them"},

	// Partners.
	{KindPartner, super, ReadWrite, nil, always, "super admins create partners and their users"},
	{KindPartner, partnerAdmin, ReadWrite, nil, ownPartner, "the partner, its users, pre-paid pools and grants"},
	{KindPartner, partnerMember, Read, ownGrants, ownPartner, "a member reads its own grants, nothing else of the partner"},
	{KindPartner, partnerMember, Read, ownUserItem, ownPartner, "a member's own user item (to issue itself a key)"},
	{KindPartner, partnerMember, Write, auditEntry, ownPartner, "the audit entries of a member's own changes (its API keys, its invitation)"},
	{KindPartner, partnerMember, Write, ownUserItem, ownPartner, "a member's own user item: a new invitation to set its password"},
	{KindPartnerIndex, partnerAdmin, Read, nil, ownPartner, "the partner's customer list, archive, license and alert indexes"},
	{KindPartnerIndex, partnerMember, Read, nil, ownPartnerAlerts, "the partner's alert index, filtered by the Query to the member's granted customers"},

	// Tenants. Members reach only the customers granted to them: the
	// whitelist of DESIGN.md §1, and the services check the grant before any
	// read of the tenant, so a path that forgets that check shows up here.
	{KindTenant, partnerAdmin, ReadWrite, nil, ownedTenant, "every customer of the admin's partner"},
	{KindTenant, partnerMember, ReadWrite, nil, grantedTenant, "customers granted to the member (whitelist)"},
	{KindTenant, customerUsers, Read, nil, ownTenant, "the user's own tenant"},
	{KindTenant, customerAdmin, Write, nil, ownTenant, "the admin's own tenant, under full access"},
	{KindTenant, super, Read, userItem, always, "the user item of a customer user, to issue it a key (API.md: super_admin issues keys for anyone)"},
	{KindTenant, super, Write, userItem, always, "a customer user's invitation to set a password, kept on its user item (super_admin invites anyone, as it issues keys)"},
	{KindTenant, super, Write, auditEntry, always, "the audit entry of such a key or invitation, in the tenant's log"},

	// User lists (GSIPK USERS#…).
	{KindUserList, super, Read, nil, operatorsOrPartner, "operators, or a partner's own users"},
	{KindUserList, partnerAdmin, Read, nil, ownPartnerOrOwnedTenant, "the partner's users and its customers' users"},
	{KindUserList, customerAdmin, Read, nil, ownTenant, "the tenant's users"},

	// Audit logs (GSIPK AUDIT#…); a tenant's log is read in its partition.
	{KindAuditIndex, super, Read, nil, operators, "the platform's audit log"},
	{KindAuditIndex, partnerAdmin, Read, nil, ownPartner, "the partner's audit log"},

	// Global lookup items: keyed by ID or e-mail, not by organisation, so
	// no prefix can scope them. Allowed, and reported by Checker.Global.
	{KindUserDir, everyone, Read, nil, always, "find a user by ID (users are then checked against the caller's scope)"},
	{KindUserDir, everyone, Write, nil, always, "written with a new user"},
	{KindEmail, everyone, Write, nil, always, "e-mail uniqueness, written with a new user"},
	{KindAPIKey, everyone, ReadWrite, nil, always, "issue, find and revoke API keys by ID"},

	// Idempotency records: the caller's own scope only.
	{KindIdempotency, everyone, ReadWrite, nil, ownIdempotencyScope, "the caller's own Idempotency-Key records"},
}

// Conditions.

func always(*call, Partition) bool { return true }

func ownPartner(c *call, p Partition) bool { return p.Partner != "" && p.Partner == c.id.PartnerID }

func ownPartnerAlerts(c *call, p Partition) bool {
	return ownPartner(c, p) && strings.HasSuffix(p.Raw, "#ALERTS")
}

// ownedTenant: a tenant partition names its partner (TENANT#<p>#<t>).
func ownedTenant(c *call, p Partition) bool { return p.Tenant != "" && p.Partner == c.id.PartnerID }

func grantedTenant(c *call, p Partition) bool {
	return ownedTenant(c, p) && c.oracle.Granted(c.id.PartnerID, c.id.UserID, p.Tenant)
}

func ownTenant(c *call, p Partition) bool { return p.Tenant != "" && p.Tenant == c.id.TenantID }

func operators(_ *call, p Partition) bool { return p.Platform }

func operatorsOrPartner(_ *call, p Partition) bool { return p.Platform || p.Partner != "" }

func ownPartnerOrOwnedTenant(c *call, p Partition) bool {
	if p.Tenant != "" {
		return ownedTenant(c, p)
	}
	return ownPartner(c, p)
}

func ownIdempotencyScope(c *call, p Partition) bool {
	// IDEMPOTENCY#<partnerId>#<userId>#<key> (internal/httpapi/idempotency.go).
	return strings.HasPrefix(p.Raw, string(KindIdempotency)+c.id.PartnerID+"#"+c.id.UserID+"#")
}

// Sort-key limits.

func ownGrants(id tenancy.Identity) string { return "GRANT#" + id.UserID + "#" }

func userItem(tenancy.Identity) string { return "USER#" }

func ownUserItem(id tenancy.Identity) string { return "USER#" + id.UserID }

func auditEntry(tenancy.Identity) string { return "AUDIT#" }

// shutOut reports whether id is a customer user that may reach nothing:
// its tenant's portal access is disabled, or the tenant is suspended or archived.
func shutOut(id tenancy.Identity) bool {
	if !id.Role.IsCustomerRole() {
		return false
	}
	open := id.TenantAccess == string(portal.AccessReadOnly) || id.TenantAccess == string(portal.AccessFull)
	return !open || id.TenantStatus == string(portal.StatusSuspended) || id.TenantStatus == string(portal.StatusArchived)
}

// mayWrite reports whether id may write at all: anyone but customer users,
// who write only as a customer_admin under full access.
func mayWrite(id tenancy.Identity) bool {
	if !id.Role.IsCustomerRole() {
		return true
	}
	return id.Role == tenancy.RoleCustomerAdmin && id.TenantAccess == string(portal.AccessFull) && !shutOut(id)
}

package portal

import (
	"context"
	"fmt"
	"slices"

	"github.com/partnerportal/portal/internal/tenancy"
)

// MaxGrants bounds the customers one partner member may be granted, so that
// replacing every grant fits one transaction.
const MaxGrants = 49

// GrantStore keeps which customers each partner member may see and operate
// (a whitelist: no grant, no access).
type GrantStore interface {
	// Grants returns the customer IDs granted to a member of partnerID.
	Grants(ctx context.Context, partnerID, memberID string) ([]string, error)
	// HasGrant reports whether a member of partnerID was granted customerID.
	HasGrant(ctx context.Context, partnerID, memberID, customerID string) (bool, error)
	// SetGrants replaces a member's grants with customerIDs in one
	// transaction; ECONFLICT when they changed since they were read.
	SetGrants(ctx context.Context, partnerID, memberID string, customerIDs []string) error
	// GetCustomers returns the customers of scope among ids, by ID (others are left out).
	GetCustomers(ctx context.Context, scope tenancy.Scope, ids []string) (map[string]Customer, error)
	// ListCustomersIn returns a page of the customers ids, in scope, as ListCustomers would.
	ListCustomersIn(ctx context.Context, scope tenancy.Scope, ids []string, q CustomerQuery, start Position) ([]Customer, Position, error)
}

// GrantService sets partner members' whitelists (partner admins).
type GrantService struct {
	Grants GrantStore
	Users  UserStore
	Clock  Clock
	IDs    IDs
}

// Get returns a partner member of the caller's partner and the customers
// granted to it (partner admins). ENOTFOUND when the user is not of the
// caller's partner, ECONFLICT when it is not a partner member.
func (s *GrantService) Get(ctx context.Context, userID string) (User, []string, error) {
	id, err := requireRole(ctx, "reading customer access", tenancy.RolePartnerAdmin)
	if err != nil {
		return User{}, nil, err
	}
	u, err := s.member(ctx, id, userID)
	if err != nil {
		return User{}, nil, err
	}
	granted, err := s.Grants.Grants(ctx, id.PartnerID, u.ID)
	if err != nil {
		return User{}, nil, fmt.Errorf("grants: %w", err)
	}
	return u, granted, nil
}

// member returns the caller's partner's member userID: ENOTFOUND for
// anyone outside the caller's partner, ECONFLICT for a partner admin.
func (s *GrantService) member(ctx context.Context, id tenancy.Identity, userID string) (User, error) {
	notFound := Errorf(ENOTFOUND, "user %s not found", userID)
	if !ValidID(PrefixUser, userID) {
		return User{}, notFound
	}
	u, err := s.Users.GetUser(ctx, tenancy.Scope{PartnerID: id.PartnerID}, userID)
	if err != nil {
		return User{}, err
	}
	if u.PartnerID != id.PartnerID || u.TenantID != "" {
		return User{}, notFound
	}
	if u.Role != tenancy.RolePartnerMember {
		return User{}, Errorf(ECONFLICT, "user %s is a %s: only partner members have grants (admins see every customer)", u.ID, u.Role)
	}
	return u, nil
}

// Set replaces the customers a partner member may see and operate.
// EINVALID names unknown or foreign customer IDs (nothing is written);
// ENOTFOUND when the user is not a member of the caller's partner.
func (s *GrantService) Set(ctx context.Context, userID string, customerIDs *[]string) ([]string, error) {
	id, err := requireRole(ctx, "granting customer access", tenancy.RolePartnerAdmin)
	if err != nil {
		return nil, err
	}
	var p Problems
	if customerIDs == nil {
		p.Add("customerIds", "is required: the customers this member may see, [] for none")
		return nil, p.Err()
	}
	if len(*customerIDs) > MaxGrants {
		p.Add("customerIds", "must list at most %d customers", MaxGrants)
		return nil, p.Err()
	}
	u, err := s.member(ctx, id, userID)
	if err != nil {
		return nil, err
	}
	ids := slices.Compact(slices.Sorted(slices.Values(*customerIDs)))
	for i, cid := range *customerIDs {
		if !ValidID(PrefixCustomer, cid) {
			p.Add(indexed("customerIds", i), "is not a customer ID such as cus_01JC…")
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	found, err := s.Grants.GetCustomers(ctx, id.Scope(), ids)
	if err != nil {
		return nil, fmt.Errorf("check granted customers: %w", err)
	}
	for i, cid := range *customerIDs {
		if _, ok := found[cid]; !ok {
			p.Add(indexed("customerIds", i), "no customer %s of yours exists", cid)
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	current, err := s.Grants.Grants(ctx, id.PartnerID, u.ID)
	if err != nil {
		return nil, fmt.Errorf("grants: %w", err)
	}
	slices.Sort(current)
	if slices.Equal(current, ids) {
		return ids, nil
	}
	ctx = auditor{s.Clock, s.IDs}.audit(ctx, "grants.set", u.ID, tenancy.Scope{PartnerID: u.PartnerID}, map[string]any{"customerIds": current}, map[string]any{"customerIds": ids})
	if err := s.Grants.SetGrants(ctx, id.PartnerID, u.ID, ids); err != nil {
		return nil, fmt.Errorf("set grants: %w", err)
	}
	return ids, nil
}

// canSee checks that the caller may reach customerID: partner admins reach
// every customer of their partner (the store checks the partner), members
// only granted ones, customer users only their own tenant. ENOTFOUND
// otherwise, never EFORBIDDEN, so that foreign IDs tell nothing.
func canSee(ctx context.Context, grants GrantStore, id tenancy.Identity, customerID string) error {
	notFound := Errorf(ENOTFOUND, "customer %s not found", customerID)
	if !ValidID(PrefixCustomer, customerID) {
		return notFound
	}
	switch {
	case id.Role.IsCustomerRole() && customerID != id.TenantID:
		return notFound
	case id.Role == tenancy.RolePartnerMember:
		ok, err := grants.HasGrant(ctx, id.PartnerID, id.UserID, customerID)
		if err != nil {
			return fmt.Errorf("check grant: %w", err)
		}
		if !ok {
			return notFound
		}
	}
	return nil
}

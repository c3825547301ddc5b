package portal

import (
	"context"
	"fmt"
	"strconv"

	"github.com/partnerportal/portal/internal/tenancy"
)

// AlertQuery selects alerts: of one partner, optionally of one tenant or of
// a set of tenants (a member's granted customers), optionally by
// acknowledgement; newest first.
type AlertQuery struct {
	PartnerID    string
	TenantID     string   // "" for every tenant of the partner
	TenantIn     []string // non-nil: only these tenants
	Acknowledged *bool
	Limit        int
}

// AlertStore persists alerts (the usage stream creates them).
type AlertStore interface {
	// ListAlerts returns a page of alerts matching q, newest first.
	ListAlerts(ctx context.Context, scope tenancy.Scope, q AlertQuery, start Position) ([]Alert, Position, error)
	// GetAlert returns an alert of scope by ID; ENOTFOUND otherwise. With
	// a scope that names a tenant it reads the alert itself; with one that
	// names only the partner it may answer from the partner's alert index
	// (possibly stale) and must not read any tenant's partition, so that a
	// member's access to the tenant can be checked before that read.
	GetAlert(ctx context.Context, scope tenancy.Scope, alertID string) (Alert, error)
	// AckAlert stores a's acknowledgement, with the audit entry ctx
	// carries; ECONFLICT when it was acknowledged meanwhile.
	AckAlert(ctx context.Context, scope tenancy.Scope, a Alert) error
}

// AlertService lists and acknowledges usage alerts.
type AlertService struct {
	Store   AlertStore
	Grants  GrantStore
	Cursors Cursors
	Clock   Clock
	IDs     IDs
}

// AlertParams are the raw parameters of GET /v1/alerts.
type AlertParams struct {
	CustomerID, Acknowledged, Limit, Cursor string
}

// AlertPage is one page of alerts.
type AlertPage struct {
	Items      []Alert
	NextCursor string
}

// List returns a page of alerts: partner admins see the partner's, members
// those of granted customers, customer users their own tenant's (unless
// their access is disabled). EINVALID names a bad parameter; ENOTFOUND a
// customerId the caller cannot see.
func (s *AlertService) List(ctx context.Context, ap AlertParams) (AlertPage, error) {
	id, err := requireRole(ctx, "reading alerts", tenancy.RolePartnerAdmin, tenancy.RolePartnerMember, tenancy.RoleCustomerAdmin, tenancy.RoleCustomerViewer)
	if err != nil {
		return AlertPage{}, err
	}
	var p Problems
	q := AlertQuery{PartnerID: id.PartnerID, TenantID: ap.CustomerID, Limit: parsePageSize(&p, ap.Limit)}
	if ap.Acknowledged != "" {
		b, err := strconv.ParseBool(ap.Acknowledged)
		if err != nil || (ap.Acknowledged != "true" && ap.Acknowledged != "false") {
			p.Add("acknowledged", "must be true or false")
		}
		q.Acknowledged = &b
	}
	if ap.CustomerID != "" && !ValidID(PrefixCustomer, ap.CustomerID) {
		p.Add("customerId", "must be a customer ID such as cus_01JD…")
	}
	if err := p.Err(); err != nil {
		return AlertPage{}, err
	}
	if id.Role.IsCustomerRole() {
		if err := tenantUser(id, ap.CustomerID, false); err != nil {
			return AlertPage{}, err
		}
		q.TenantID = id.TenantID
	}
	if q.TenantID != "" {
		if err := canSee(ctx, s.Grants, id, q.TenantID); err != nil {
			return AlertPage{}, err
		}
		// canSee lets partner admins name any customer ID; the keys name
		// their partner, so another partner's customer would list nothing
		// (200 and no items). Such a customer is not found, as elsewhere.
		if !id.Role.IsCustomerRole() {
			found, err := s.Grants.GetCustomers(ctx, id.Scope(), []string{q.TenantID})
			if err != nil {
				return AlertPage{}, fmt.Errorf("check customer: %w", err)
			}
			if _, ok := found[q.TenantID]; !ok {
				return AlertPage{}, Errorf(ENOTFOUND, "customer %s not found", q.TenantID)
			}
		}
	} else if id.Role == tenancy.RolePartnerMember {
		granted, err := s.Grants.Grants(ctx, id.PartnerID, id.UserID)
		if err != nil {
			return AlertPage{}, fmt.Errorf("grants: %w", err)
		}
		q.TenantIn = append([]string{}, granted...)
		if len(q.TenantIn) == 0 {
			return AlertPage{Items: []Alert{}}, nil
		}
	}
	fingerprint := fmt.Sprintf("alerts %s %v %d", q.TenantID, ap.Acknowledged, q.Limit)
	start, err := s.Cursors.Decode(id, fingerprint, ap.Cursor)
	if err != nil {
		return AlertPage{}, err
	}
	items, next, err := s.Store.ListAlerts(ctx, id.Scope(), q, start)
	if err != nil {
		return AlertPage{}, fmt.Errorf("list alerts: %w", err)
	}
	return AlertPage{Items: items, NextCursor: s.Cursors.Encode(id, fingerprint, next)}, nil
}

// Ack acknowledges an alert (partner admins, and members for granted
// customers). Acknowledging twice changes nothing. ENOTFOUND for alerts
// the caller cannot see.
func (s *AlertService) Ack(ctx context.Context, alertID string) (Alert, error) {
	id, err := requireRole(ctx, "acknowledging alerts", tenancy.RolePartnerAdmin, tenancy.RolePartnerMember)
	if err != nil {
		return Alert{}, err
	}
	if !ValidID(PrefixAlert, alertID) {
		return Alert{}, Errorf(ENOTFOUND, "alert %s not found", alertID)
	}
	// Find the alert's tenant in the partner's index first, and read the
	// tenant's partition only once the caller may reach that tenant (a
	// member: a granted customer).
	found, err := s.Store.GetAlert(ctx, tenancy.Scope{PartnerID: id.PartnerID}, alertID)
	if err != nil {
		return Alert{}, err
	}
	if err := canSee(ctx, s.Grants, id, found.TenantID); err != nil {
		return Alert{}, Errorf(ENOTFOUND, "alert %s not found", alertID)
	}
	scope := tenancy.Scope{PartnerID: found.PartnerID, TenantID: found.TenantID}
	a, err := s.Store.GetAlert(ctx, scope, alertID)
	if err != nil {
		return Alert{}, err
	}
	if a.Acknowledged {
		return a, nil
	}
	before := a
	now := s.Clock()
	a.Acknowledged, a.AcknowledgedAt, a.AcknowledgedBy = true, &now, id.UserID
	actx := auditor{s.Clock, s.IDs}.audit(ctx, "alert.ack", a.ID, scope, before.auditFields(), a.auditFields())
	if err := s.Store.AckAlert(actx, scope, a); err != nil {
		if ErrorCode(err) == ECONFLICT {
			return s.Store.GetAlert(ctx, scope, alertID)
		}
		return Alert{}, err
	}
	return a, nil
}

func (a Alert) auditFields() map[string]any {
	return map[string]any{"acknowledged": a.Acknowledged}
}

package portal

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/partnerportal/portal/internal/tenancy"
)

// PrefixAudit prefixes audit entry IDs.
const PrefixAudit = "aud_"

// FieldChange is one changed field of an audited change.
type FieldChange struct {
	Before any `json:"before"`
	After  any `json:"after"`
}

// AuditEntry records one change: who, when, in which partner and tenant,
// what, and the fields before and after. Entries are written in the same
// transaction as the change and never changed or deleted.
type AuditEntry struct {
	ID         string
	Time       time.Time
	ActorID    string
	ActorRole  tenancy.Role
	PartnerID  string // "" for platform changes (pricing, partners, operators)
	TenantID   string // "" unless the change is inside a tenant
	Action     string // e.g. "customer.update"
	TargetType string // e.g. "customer"
	TargetID   string
	Changes    map[string]FieldChange
	RequestID  string
	// PartnerOnly entries (licenses: costs and prices) are hidden from customer users.
	PartnerOnly bool
}

type auditKey struct{}
type requestKey struct{}
type systemActorKey struct{}

// RoleSystem is the actor role audit entries record for changes made by
// the platform itself (a scheduled scan, say), not by a user.
const RoleSystem tenancy.Role = "system"

// WithSystemActor returns ctx whose changes, made without an
// authenticated user, are audited as made by the named system process
// (for example "schedule sch_…").
func WithSystemActor(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, systemActorKey{}, name)
}

// WithRequestID returns ctx carrying the request ID that audit entries record.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestKey{}, id)
}

// RequestIDFrom returns the request ID in ctx ("" if none).
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestKey{}).(string)
	return id
}

// AuditEntries returns the audit entries the change made under ctx must
// record (one per changed thing). Stores write them in the same transaction
// as the change.
func AuditEntries(ctx context.Context) []AuditEntry {
	entries, _ := ctx.Value(auditKey{}).([]AuditEntry)
	return entries
}

// auditor stamps changes with audit entries.
type auditor struct {
	Clock Clock
	IDs   IDs
}

// audit returns ctx carrying, besides those it carries, the entry for action
// on target by the caller,
// logged where the target lives (a tenant, a partner, or the platform for an
// empty scope): the changed fields are those whose values differ between
// before and after (nil before for creations).
func (a auditor) audit(ctx context.Context, action, targetID string, where tenancy.Scope, before, after map[string]any) context.Context {
	id, ok := tenancy.FromContext(ctx)
	if name, system := ctx.Value(systemActorKey{}).(string); !ok && system {
		id.UserID, id.Role = name, RoleSystem
	}
	requestID, _ := ctx.Value(requestKey{}).(string)
	target, _, _ := strings.Cut(action, ".")
	return context.WithValue(ctx, auditKey{}, append(slices.Clip(AuditEntries(ctx)), AuditEntry{
		ID: a.IDs.New(PrefixAudit), Time: a.Clock(), ActorID: id.UserID, ActorRole: id.Role,
		PartnerID: where.PartnerID, TenantID: where.TenantID, Action: action, TargetType: target, TargetID: targetID,
		Changes: diff(before, after), RequestID: requestID, PartnerOnly: partnerOnly[target],
	}))
}

// partnerOnly lists the targets whose entries show the partner's costs and
// prices: customer users never see them, even in their own tenant's log.
var partnerOnly = map[string]bool{"license": true, "prepaid": true, "pricing": true}

// diff returns the fields whose values differ, compared as JSON.
func diff(before, after map[string]any) map[string]FieldChange {
	out := map[string]FieldChange{}
	for _, k := range slices.Sorted(maps.Keys(mergeKeys(before, after))) {
		b, a := before[k], after[k]
		bj, _ := json.Marshal(b)
		aj, _ := json.Marshal(a)
		if string(bj) != string(aj) {
			out[k] = FieldChange{Before: b, After: a}
		}
	}
	return out
}

func mergeKeys(ms ...map[string]any) map[string]bool {
	keys := map[string]bool{}
	for _, m := range ms {
		for k := range m {
			keys[k] = true
		}
	}
	return keys
}

// auditFields are the fields of a customer that the audit log follows.
func (c Customer) auditFields() map[string]any {
	return map[string]any{
		"name": c.Name, "contactEmail": c.ContactEmail, "timezone": c.Timezone, "country": c.Country,
		"tags": c.Tags, "status": c.Status, "plan": c.Plan, "accessLevel": c.AccessLevel,
	}
}

func (l License) auditFields() map[string]any {
	return map[string]any{
		"model": l.Model, "quantity": l.Quantity, "billingPeriod": l.BillingPeriod, "startsAt": l.StartsAt,
		"endsAt": l.EndsAt, "endUserPrice": l.EndUserPrice, "unitCost": l.UnitCost, "prepaid": l.Prepaid,
		"prepaidPoolId": l.PrepaidPoolID, "overagePolicy": l.OveragePolicy, "revokedAt": l.RevokedAt,
	}
}

func (u User) auditFields() map[string]any {
	return map[string]any{"email": u.Email, "name": u.Name, "role": u.Role, "customerId": u.TenantID, "status": u.Status}
}

func (k APIKey) auditFields() map[string]any {
	return map[string]any{"userId": k.UserID, "name": k.Name, "hint": k.Hint, "expiresAt": k.ExpiresAt, "revokedAt": k.RevokedAt}
}

// AuditQuery selects audit entries, newest first.
type AuditQuery struct {
	PartnerID string // the partner's entries ("" = platform entries)
	TenantID  string // only this tenant's entries
	ActorID   string
	Action    string
	From, To  *time.Time // From ≤ time < To
	Limit     int
	// ForCustomer leaves out PartnerOnly entries (a customer user reads).
	ForCustomer bool
}

// AuditStore reads the audit log.
type AuditStore interface {
	// ListAudit returns up to q.Limit entries after start, newest first.
	ListAudit(ctx context.Context, q AuditQuery, start Position) ([]AuditEntry, Position, error)
}

// AuditPage is one page of the audit log.
type AuditPage struct {
	Items      []AuditEntry
	NextCursor string
}

// AuditParams are the raw parameters of GET /v1/audit.
type AuditParams struct {
	CustomerID, ActorID, Action, From, To, Limit, Cursor string
}

// AuditService reads the audit log: partner admins their partner's,
// customer admins with full access their tenant's, super admins the platform's.
type AuditService struct {
	Store   AuditStore
	Grants  GrantStore
	Cursors Cursors
}

// List returns a page of the audit log visible to the caller. EINVALID names
// bad parameters; ENOTFOUND for a customer the caller cannot see.
func (s *AuditService) List(ctx context.Context, ap AuditParams) (AuditPage, error) {
	id, err := requireRole(ctx, "reading the audit log", tenancy.RoleSuperAdmin, tenancy.RolePartnerAdmin, tenancy.RoleCustomerAdmin)
	if err != nil {
		return AuditPage{}, err
	}
	if err := tenantUser(id, ap.CustomerID, true); err != nil {
		return AuditPage{}, err
	}
	var p Problems
	q := AuditQuery{PartnerID: id.PartnerID, TenantID: id.TenantID, ActorID: ap.ActorID, Action: ap.Action, Limit: parsePageSize(&p, ap.Limit), ForCustomer: id.Role.IsCustomerRole()}
	q.From = parseTimeParam(&p, "from", ap.From)
	q.To = parseTimeParam(&p, "to", ap.To)
	if q.From != nil && q.To != nil && !q.From.Before(*q.To) {
		p.Add("from", "must be earlier than to")
	}
	if ap.CustomerID != "" {
		switch {
		case id.Role == tenancy.RoleSuperAdmin:
			p.Add("customerId", "is for partner and customer admins")
		case !ValidID(PrefixCustomer, ap.CustomerID):
			return AuditPage{}, Errorf(ENOTFOUND, "customer %s not found", ap.CustomerID)
		default:
			if err := canSee(ctx, s.Grants, id, ap.CustomerID); err != nil {
				return AuditPage{}, err
			}
			found, err := s.Grants.GetCustomers(ctx, id.Scope(), []string{ap.CustomerID})
			if err != nil {
				return AuditPage{}, fmt.Errorf("check customer: %w", err)
			}
			if _, ok := found[ap.CustomerID]; !ok {
				return AuditPage{}, Errorf(ENOTFOUND, "customer %s not found", ap.CustomerID)
			}
			q.TenantID = ap.CustomerID
		}
	}
	if err := p.Err(); err != nil {
		return AuditPage{}, err
	}
	fingerprint := fmt.Sprintf("audit|%s|%s|%s|%s|%v|%v", q.PartnerID, q.TenantID, q.ActorID, q.Action, q.From, q.To)
	start, err := s.Cursors.Decode(id, fingerprint, ap.Cursor)
	if err != nil {
		return AuditPage{}, err
	}
	items, next, err := s.Store.ListAudit(ctx, q, start)
	if err != nil {
		return AuditPage{}, fmt.Errorf("list audit: %w", err)
	}
	return AuditPage{Items: items, NextCursor: s.Cursors.Encode(id, fingerprint, next)}, nil
}

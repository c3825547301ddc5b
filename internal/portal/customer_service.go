package portal

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/partnerportal/portal/internal/tenancy"
)

// Customer list limits.
const (
	DefaultPageSize = 25
	MaxPageSize     = 100
)

// CustomerService is what partners do with their customers. Every method
// takes the caller from ctx (tenancy.FromContext): EUNAUTHORIZED without one,
// EFORBIDDEN for roles that may not do it, ENOTFOUND for customers outside
// the caller's scope.
type CustomerService struct {
	Store CustomerStore
	// Grants says which customers partner members may reach.
	Grants GrantStore
	// Licenses assigns the licenses a create request carries.
	Licenses *LicenseService
	Cursors  Cursors
	Clock    Clock
	IDs      IDs
}

// Create validates in and stores a new customer of the caller's partner.
// EINVALID lists every bad field; nothing is written then.
func (s *CustomerService) Create(ctx context.Context, in CustomerInput) (Customer, error) {
	c, _, err := s.CreateWithLicenses(ctx, in)
	return c, err
}

// MaxLicensesPerCreate bounds the licenses one create request may assign
// (they share one transaction with the customer and pre-paid pools).
const MaxLicensesPerCreate = 25

// CreateWithLicenses is Create that also returns the licenses in.Licenses
// assigned, written in the same transaction as the customer: an invalid
// license or an exhausted pre-paid pool rejects the whole request.
func (s *CustomerService) CreateWithLicenses(ctx context.Context, in CustomerInput) (Customer, []License, error) {
	id, err := partnerAdmin(ctx)
	if err != nil {
		return Customer{}, nil, err
	}
	var p Problems
	if in.Name == nil {
		p.Add("name", "is required")
	}
	if in.ContactEmail == nil {
		p.Add("contactEmail", "is required")
	}
	now := s.Clock()
	c := Customer{
		ID:          s.IDs.New(PrefixCustomer),
		PartnerID:   id.PartnerID,
		Timezone:    "UTC",
		Tags:        []string{},
		Status:      StatusActive,
		Plan:        PlanNone,
		AccessLevel: AccessDisabled,
		CreatedAt:   now,
		UpdatedAt:   now,
		Version:     1,
	}
	if in.Status != nil {
		oneOf(&p, "status", *in.Status, []CustomerStatus{StatusActive, StatusTrial})
	}
	in.apply(&p, &c)
	if in.Licenses == nil {
		if err := p.Err(); err != nil {
			return Customer{}, nil, err
		}
		ctx := auditor{s.Clock, s.IDs}.audit(ctx, "customer.create", c.ID, c.scope(), nil, c.auditFields())
		if err := s.Store.CreateCustomer(ctx, c); err != nil {
			return Customer{}, nil, fmt.Errorf("create customer: %w", err)
		}
		return c, []License{}, nil
	}
	if s.Licenses == nil {
		return Customer{}, nil, Errorf(EINTERNAL, "customer service has no license service")
	}
	if len(*in.Licenses) > MaxLicensesPerCreate {
		p.Add("licenses", "must have at most %d licenses; assign more with POST /v1/customers/{customerId}/licenses", MaxLicensesPerCreate)
		return Customer{}, nil, p.Err()
	}
	for attempt := 1; ; attempt++ {
		// Each attempt starts from the customer as validated and fresh pool balances.
		c := c
		b := s.Licenses.batch(ctx)
		licenses := make([]License, 0, len(*in.Licenses))
		for i, lin := range *in.Licenses {
			l, err := b.build(&p, indexed("licenses", i), lin, c)
			if err != nil {
				return Customer{}, nil, err
			}
			licenses = append(licenses, l)
			countLicenses(&c, l.Model, 1)
		}
		if err := p.Err(); err != nil {
			return Customer{}, nil, err
		}
		a := auditor{s.Clock, s.IDs}
		ctx := a.audit(ctx, "customer.create", c.ID, c.scope(), nil, c.auditFields())
		for _, l := range licenses {
			ctx = a.audit(ctx, "license.create", l.ID, c.scope(), nil, l.auditFields())
		}
		err := s.Licenses.Store.SaveLicenses(ctx, &c, true, licenses, b.draws)
		if ErrorCode(err) == EPRECONDITION && attempt < maxLicenseRetries {
			// A concurrent draw on the same pre-paid pool got in the way.
			backoff(ctx, attempt)
			continue
		}
		if err != nil {
			return Customer{}, nil, fmt.Errorf("create customer with licenses: %w", err)
		}
		return c, licenses, nil
	}
}

// apply validates the fields present in in and copies them onto c.
func (in CustomerInput) apply(p *Problems, c *Customer) {
	if in.Name != nil {
		c.Name = checkName(p, "name", *in.Name)
	}
	if in.ContactEmail != nil {
		c.ContactEmail = checkEmail(p, "contactEmail", *in.ContactEmail)
	}
	if in.Timezone != nil {
		c.Timezone = checkTimezone(p, "timezone", *in.Timezone)
	}
	if in.Country != nil {
		c.Country = checkCountry(p, "country", *in.Country)
	}
	if in.Tags != nil {
		c.Tags = checkTags(p, "tags", *in.Tags)
	}
	if in.Status != nil {
		c.Status = *in.Status
	}
}

// Get returns one customer of the caller's partner; a customer user reads
// its own tenant's customer while its portal access is not disabled.
func (s *CustomerService) Get(ctx context.Context, customerID string) (Customer, error) {
	id, err := requireRole(ctx, "reading customers", tenancy.RolePartnerAdmin, tenancy.RolePartnerMember, tenancy.RoleCustomerAdmin, tenancy.RoleCustomerViewer)
	if err != nil {
		return Customer{}, err
	}
	if err := tenantUser(id, customerID, false); err != nil {
		return Customer{}, err
	}
	if err := canSee(ctx, s.Grants, id, customerID); err != nil {
		return Customer{}, err
	}
	return s.Store.GetCustomer(ctx, id.Scope(), customerID)
}

// SetAccess sets how much the customer's own users may do in the portal
// (partner admins). It takes effect on the users' next request.
func (s *CustomerService) SetAccess(ctx context.Context, customerID string, level *AccessLevel) (Customer, error) {
	var p Problems
	if level == nil {
		p.Add("level", "is required: one of disabled, read_only, full")
	} else {
		oneOf(&p, "level", *level, []AccessLevel{AccessDisabled, AccessReadOnly, AccessFull})
	}
	if _, err := partnerAdmin(ctx); err != nil {
		return Customer{}, err
	}
	if err := p.Err(); err != nil {
		return Customer{}, err
	}
	return s.change(ctx, "customer.access", customerID, nil, func(c *Customer) error {
		if c.Status == StatusArchived {
			return Errorf(ECONFLICT, "customer %s is archived", c.ID)
		}
		c.AccessLevel = *level
		return nil
	})
}

// Update applies the fields present in in. ifMatch, when not nil, is the
// version the caller last saw: EPRECONDITION if the customer changed since.
// Status may move only between active and trial here; ECONFLICT otherwise.
func (s *CustomerService) Update(ctx context.Context, customerID string, in CustomerInput, ifMatch *int64) (Customer, error) {
	id, err := requireRole(ctx, "changing customers", tenancy.RolePartnerAdmin, tenancy.RoleCustomerAdmin, tenancy.RoleCustomerViewer)
	if err != nil {
		return Customer{}, err
	}
	if err := tenantUser(id, customerID, true); err != nil {
		return Customer{}, err
	}
	if id.Role.IsCustomerRole() && (in.Name != nil || in.Status != nil) {
		return Customer{}, Errorf(EFORBIDDEN, "your service provider changes your name and status; you may change contactEmail, timezone, country and tags")
	}
	var p Problems
	if in.Status != nil {
		oneOf(&p, "status", *in.Status, []CustomerStatus{StatusActive, StatusTrial})
	}
	if in.Licenses != nil {
		p.Add("licenses", "cannot be changed here: use /v1/customers/{customerId}/licenses")
	}
	if err := p.Err(); err != nil {
		return Customer{}, err
	}
	return s.changeAs(ctx, id, "customer.update", customerID, ifMatch, func(c *Customer) error {
		if in.Status != nil && c.Status != StatusActive && c.Status != StatusTrial {
			return Errorf(ECONFLICT, "customer %s is %s: use /resume to reactivate it", c.ID, c.Status)
		}
		if c.Status == StatusArchived {
			return Errorf(ECONFLICT, "customer %s is archived and can no longer be changed", c.ID)
		}
		in.apply(&p, c)
		return p.Err()
	})
}

// Suspend stops an active or trial customer; ECONFLICT in any other status.
// Its schedules read as paused at once; their triggers are disabled when
// the status change reaches scan-dispatch through the table's stream
// (ScanDispatcher.CustomerStatusChanged), and fire nothing meanwhile.
func (s *CustomerService) Suspend(ctx context.Context, customerID string) (Customer, error) {
	id, err := requireRole(ctx, "suspending customers", tenancy.RolePartnerAdmin, tenancy.RolePartnerMember)
	if err != nil {
		return Customer{}, err
	}
	return s.changeAs(ctx, id, "customer.suspend", customerID, nil, func(c *Customer) error {
		switch c.Status {
		case StatusSuspended:
			return nil
		case StatusActive, StatusTrial:
			c.ResumeStatus, c.Status = c.Status, StatusSuspended
			return nil
		}
		return Errorf(ECONFLICT, "customer %s is %s and cannot be suspended", c.ID, c.Status)
	})
}

// Resume returns a suspended customer to the status it had; ECONFLICT if it
// is archived. Resuming an active or trial customer changes nothing. Its
// triggers are enabled again the same way Suspend disables them.
func (s *CustomerService) Resume(ctx context.Context, customerID string) (Customer, error) {
	id, err := requireRole(ctx, "resuming customers", tenancy.RolePartnerAdmin, tenancy.RolePartnerMember)
	if err != nil {
		return Customer{}, err
	}
	return s.changeAs(ctx, id, "customer.resume", customerID, nil, func(c *Customer) error {
		switch c.Status {
		case StatusActive, StatusTrial:
			return nil
		case StatusSuspended:
			c.Status, c.ResumeStatus = c.ResumeStatus, ""
			if c.Status == "" {
				c.Status = StatusActive
			}
			return nil
		}
		return Errorf(ECONFLICT, "customer %s is archived and cannot be resumed", c.ID)
	})
}

// Archive retires a customer for good (DELETE): it leaves the default list and
// its data is kept. Archiving an archived customer changes nothing.
func (s *CustomerService) Archive(ctx context.Context, customerID string) (Customer, error) {
	return s.change(ctx, "customer.archive", customerID, nil, func(c *Customer) error {
		c.Status, c.ResumeStatus = StatusArchived, ""
		return nil
	})
}

// change reads a customer, applies fn and writes it back if fn changed it,
// guarded by the version read (or ifMatch).
func (s *CustomerService) change(ctx context.Context, action, customerID string, ifMatch *int64, fn func(*Customer) error) (Customer, error) {
	id, err := partnerAdmin(ctx)
	if err != nil {
		return Customer{}, err
	}
	return s.changeAs(ctx, id, action, customerID, ifMatch, fn)
}

// changeAs is change for a caller already authorized.
func (s *CustomerService) changeAs(ctx context.Context, id tenancy.Identity, action, customerID string, ifMatch *int64, fn func(*Customer) error) (Customer, error) {
	if err := canSee(ctx, s.Grants, id, customerID); err != nil {
		return Customer{}, err
	}
	c, err := s.Store.GetCustomer(ctx, id.Scope(), customerID)
	if err != nil {
		return Customer{}, err
	}
	if ifMatch != nil && *ifMatch != c.Version {
		return Customer{}, Errorf(EPRECONDITION, "customer %s is at version %d, not %d: fetch it again and reapply your change", c.ID, c.Version, *ifMatch)
	}
	before := c
	before.Tags = slices.Clone(c.Tags)
	if err := fn(&c); err != nil {
		return Customer{}, err
	}
	if customerEqual(before, c) {
		return c, nil
	}
	c.Version++
	c.UpdatedAt = s.Clock()
	ctx = auditor{s.Clock, s.IDs}.audit(ctx, action, c.ID, c.scope(), before.auditFields(), c.auditFields())
	if err := s.Store.UpdateCustomer(ctx, id.Scope(), c); err != nil {
		return Customer{}, fmt.Errorf("update customer %s: %w", c.ID, err)
	}
	return c, nil
}

func customerEqual(a, b Customer) bool {
	return a.Name == b.Name && a.ContactEmail == b.ContactEmail && a.Timezone == b.Timezone &&
		a.Country == b.Country && slices.Equal(a.Tags, b.Tags) && a.Status == b.Status &&
		a.ResumeStatus == b.ResumeStatus && a.Plan == b.Plan && a.AccessLevel == b.AccessLevel &&
		maps.Equal(a.LicenseCounts, b.LicenseCounts)
}

// ListParams are the raw list parameters of a request.
type ListParams struct {
	Sort, Status, Plan, Q, LastScanBefore, LastScanAfter, Limit, Cursor string
}

// CustomerPage is one page of the customer list.
type CustomerPage struct {
	Items      []Customer
	NextCursor string
}

// List returns a page of the caller's customers. EINVALID names the bad
// parameter, including a cursor that does not belong to this caller and query.
func (s *CustomerService) List(ctx context.Context, lp ListParams) (CustomerPage, error) {
	id, err := partnerReader(ctx)
	if err != nil {
		return CustomerPage{}, err
	}
	q, err := parseCustomerQuery(lp)
	if err != nil {
		return CustomerPage{}, err
	}
	fingerprint := q.fingerprint()
	start, err := s.Cursors.Decode(id, fingerprint, lp.Cursor)
	if err != nil {
		return CustomerPage{}, err
	}
	var items []Customer
	var next Position
	if id.Role == tenancy.RolePartnerMember {
		// Members see only the customers granted to them.
		granted, err := s.Grants.Grants(ctx, id.PartnerID, id.UserID)
		if err != nil {
			return CustomerPage{}, fmt.Errorf("grants: %w", err)
		}
		items, next, err = s.Grants.ListCustomersIn(ctx, id.Scope(), granted, q, start)
	} else {
		items, next, err = s.Store.ListCustomers(ctx, id.Scope(), q, start)
	}
	if err != nil {
		return CustomerPage{}, fmt.Errorf("list customers: %w", err)
	}
	return CustomerPage{Items: items, NextCursor: s.Cursors.Encode(id, fingerprint, next)}, nil
}

func parseCustomerQuery(lp ListParams) (CustomerQuery, error) {
	var p Problems
	q := CustomerQuery{Sort: SortName}
	if lp.Sort != "" {
		sort, desc := strings.CutPrefix(lp.Sort, "-")
		q.Sort, q.Descending = CustomerSort(sort), desc
		oneOf(&p, "sort", q.Sort, CustomerSorts)
	}
	if lp.Status != "" {
		q.Status = CustomerStatus(lp.Status)
		oneOf(&p, "status", q.Status, CustomerStatuses)
	}
	if lp.Plan != "" {
		q.Plan = Plan(lp.Plan)
		oneOf(&p, "plan", q.Plan, Plans)
	}
	if lp.Q != "" {
		q.NamePrefix = strings.ToLower(strings.TrimSpace(lp.Q))
		if utf8.RuneCountInString(q.NamePrefix) > MaxNameLength {
			p.Add("q", "must be at most %d characters", MaxNameLength)
		}
	}
	q.LastScanBefore = parseTimeParam(&p, "lastScanBefore", lp.LastScanBefore)
	q.LastScanAfter = parseTimeParam(&p, "lastScanAfter", lp.LastScanAfter)
	if q.LastScanBefore != nil && q.LastScanAfter != nil && !q.LastScanAfter.Before(*q.LastScanBefore) {
		p.Add("lastScanAfter", "must be earlier than lastScanBefore")
	}
	q.Limit = parsePageSize(&p, lp.Limit)
	return q, p.Err()
}

// parsePageSize reads a limit parameter: DefaultPageSize when empty.
func parsePageSize(p *Problems, v string) int {
	if v == "" {
		return DefaultPageSize
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxPageSize {
		p.Add("limit", "must be an integer from 1 to %d", MaxPageSize)
	}
	return n
}

func parseTimeParam(p *Problems, field, v string) *time.Time {
	if v == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		p.Add(field, "must be an RFC 3339 time such as 2026-11-01T00:00:00Z")
		return nil
	}
	t = t.UTC()
	return &t
}

// fingerprint identifies the query's filters and order (not its page size).
func (q CustomerQuery) fingerprint() string {
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.Format(time.RFC3339Nano)
	}
	return strings.Join([]string{string(q.Sort), fmt.Sprint(q.Descending), string(q.Status), string(q.Plan),
		q.NamePrefix, ts(q.LastScanBefore), ts(q.LastScanAfter)}, "|")
}

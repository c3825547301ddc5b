package portal

import (
	"context"
	"errors"
	"fmt"
	"log"
	"slices"
	"sync"

	"github.com/partnerportal/portal/internal/tenancy"
)

// ScheduleService manages customers' scan schedules and keeps each one's
// trigger in the scheduler consistent with it.
//
// One mechanism keeps the two sides consistent: the trigger changes
// first, the stored schedule second, and a failure of the second undoes
// the first. A crash between the two leaves a trigger ahead of the store,
// which dispatch repairs at its next fire: it deletes a trigger without a
// schedule and updates one whose version differs from the stored one.
type ScheduleService struct {
	Store     ScheduleStore
	Triggers  ScheduleTriggers
	Customers CustomerStore
	Assets    AssetStore
	Grants    GrantStore
	Cursors   Cursors
	Clock     Clock
	IDs       IDs
}

// scheduleWorkers bounds the customers handled at once by one request.
const scheduleWorkers = 16

// ScheduleResult is the outcome of a schedule request for one customer:
// the schedule created, or the error saying why not.
type ScheduleResult struct {
	CustomerID string
	Schedule   Schedule
	Err        error
}

// Create creates one schedule per named customer and answers per customer,
// in the order named: created, or the reason it was not (ENOTFOUND for
// customers the caller cannot see, another partner's among them; ECONFLICT
// for archived ones; EUNAVAILABLE when the scheduler failed; nothing is
// left half-created for any of them). Each schedule's time zone defaults
// to its customer's. EINVALID, before anything is written, names the bad
// fields: more than MaxScheduleCustomers customers, a bad time or zone, a
// weekly schedule without dayOfWeek, asset targets for more than one
// customer or not verified.
func (s *ScheduleService) Create(ctx context.Context, in ScheduleInput) ([]ScheduleResult, error) {
	pl, err := s.plan(ctx, in)
	if err != nil {
		return nil, err
	}
	results := make([]ScheduleResult, len(in.CustomerIDs))
	forEach(len(in.CustomerIDs), scheduleWorkers, func(i int) {
		cid := in.CustomerIDs[i]
		results[i].CustomerID = cid
		c, ok := pl.customers[cid]
		if !ok {
			results[i].Err = Errorf(ENOTFOUND, "customer %s not found", cid)
			return
		}
		results[i].Schedule, results[i].Err = s.createFor(ctx, pl.id, c, pl.tmpl, pl.zoneGiven)
	})
	return results, nil
}

// Preview answers what Create would for in, writing nothing and asking
// the scheduler nothing: in is checked exactly as Create checks it (the
// same errors), and each named customer, in the order named, gets the
// schedule Create would make (without an ID; its time zone defaulted to
// the customer's; Paused when the customer is suspended, so NextRuns is
// empty) or the reason it would get none (ENOTFOUND, ECONFLICT for
// archived customers). A scheduler failure, which only Create can meet,
// is the one outcome it cannot foretell.
func (s *ScheduleService) Preview(ctx context.Context, in ScheduleInput) ([]ScheduleResult, error) {
	pl, err := s.plan(ctx, in)
	if err != nil {
		return nil, err
	}
	results := make([]ScheduleResult, len(in.CustomerIDs))
	for i, cid := range in.CustomerIDs {
		results[i].CustomerID = cid
		c, ok := pl.customers[cid]
		if !ok {
			results[i].Err = Errorf(ENOTFOUND, "customer %s not found", cid)
			continue
		}
		sc, err := s.draft(pl.id, c, pl.tmpl, pl.zoneGiven)
		if err == nil {
			sc.Paused = !c.active()
		}
		results[i].Schedule, results[i].Err = sc, err
	}
	return results, nil
}

// schedulePlan is a checked request to create schedules: the caller, the
// schedule every customer gets, and those of the named customers the
// caller may schedule scans for.
type schedulePlan struct {
	id        tenancy.Identity
	tmpl      Schedule
	zoneGiven bool
	customers map[string]Customer
}

// plan checks a create request, reading but writing nothing.
func (s *ScheduleService) plan(ctx context.Context, in ScheduleInput) (schedulePlan, error) {
	id, err := scheduleCaller(ctx)
	if err != nil {
		return schedulePlan{}, err
	}
	if id.Role.IsCustomerRole() {
		if err := tenantUser(id, "", true); err != nil {
			return schedulePlan{}, err
		}
	}
	var p Problems
	switch n := len(in.CustomerIDs); {
	case n == 0:
		p.Add("customerIds", "is required: 1 to %d customer IDs", MaxScheduleCustomers)
	case n > MaxScheduleCustomers:
		p.Add("customerIds", "names %d customers: at most %d per request", n, MaxScheduleCustomers)
	}
	seen := map[string]bool{}
	for i, cid := range in.CustomerIDs {
		switch {
		case !ValidID(PrefixCustomer, cid):
			p.Add(indexed("customerIds", i), "%q is not a customer ID such as cus_01JD…", cid)
		case seen[cid]:
			p.Add(indexed("customerIds", i), "repeats %s", cid)
		}
		seen[cid] = true
	}
	in.required(&p)
	tmpl := Schedule{Enabled: true}
	in.apply(&p, &tmpl)
	if !tmpl.AllTargets && len(tmpl.AssetIDs) > 0 && len(in.CustomerIDs) > 1 {
		p.Add("targets", `asset IDs belong to one customer: name a single customer, or use "all"`)
	}
	if err := p.Err(); err != nil {
		return schedulePlan{}, err
	}
	customers, err := s.visibleCustomers(ctx, id, in.CustomerIDs)
	if err != nil {
		return schedulePlan{}, err
	}
	if !tmpl.AllTargets {
		if c, ok := customers[in.CustomerIDs[0]]; ok {
			if err := checkScheduleTargets(ctx, s.Assets, c.scope(), c.ID, tmpl.AssetIDs); err != nil {
				return schedulePlan{}, err
			}
		}
	}
	return schedulePlan{id: id, tmpl: tmpl, zoneGiven: in.Timezone != nil, customers: customers}, nil
}

// visibleCustomers returns those of ids the caller may schedule scans for.
func (s *ScheduleService) visibleCustomers(ctx context.Context, id tenancy.Identity, ids []string) (map[string]Customer, error) {
	visible := ids
	switch {
	case id.Role.IsCustomerRole():
		visible = slices.DeleteFunc(slices.Clone(ids), func(cid string) bool { return cid != id.TenantID })
	case id.Role == tenancy.RolePartnerMember:
		granted, err := s.Grants.Grants(ctx, id.PartnerID, id.UserID)
		if err != nil {
			return nil, fmt.Errorf("grants: %w", err)
		}
		visible = slices.DeleteFunc(slices.Clone(ids), func(cid string) bool { return !slices.Contains(granted, cid) })
	}
	if len(visible) == 0 {
		return map[string]Customer{}, nil
	}
	found, err := s.Grants.GetCustomers(ctx, id.Scope(), visible)
	if err != nil {
		return nil, fmt.Errorf("read customers: %w", err)
	}
	return found, nil
}

// createFor creates the schedule of one customer: its trigger, then the
// stored schedule; if storing fails the trigger is deleted again.
func (s *ScheduleService) createFor(ctx context.Context, id tenancy.Identity, c Customer, tmpl Schedule, zoneGiven bool) (Schedule, error) {
	sc, err := s.draft(id, c, tmpl, zoneGiven)
	if err != nil {
		return Schedule{}, err
	}
	sc.ID = s.IDs.New(PrefixSchedule)
	trig, err := sc.trigger(c.active())
	if err != nil {
		return Schedule{}, fmt.Errorf("schedule of %s: %w", c.ID, err)
	}
	if err := s.Triggers.Create(ctx, trig); err != nil {
		return Schedule{}, err
	}
	actx := auditor{s.Clock, s.IDs}.audit(ctx, "schedule.create", sc.ID, c.scope(), nil, sc.auditFields())
	if err := s.Store.PutSchedule(actx, c.scope(), sc); err != nil {
		s.undo("create", sc.ID, s.Triggers.Delete(context.WithoutCancel(ctx), sc.ID))
		return Schedule{}, err
	}
	sc.Paused = !c.active()
	return sc, nil
}

// draft is the schedule of customer c made from tmpl, not yet stored and
// without an ID; ECONFLICT when c is archived.
func (s *ScheduleService) draft(id tenancy.Identity, c Customer, tmpl Schedule, zoneGiven bool) (Schedule, error) {
	if c.Status == StatusArchived {
		return Schedule{}, Errorf(ECONFLICT, "customer %s is archived: it cannot be scheduled", c.ID)
	}
	now := s.Clock()
	sc := tmpl
	sc.AssetIDs = slices.Clone(tmpl.AssetIDs)
	sc.PartnerID, sc.TenantID = c.PartnerID, c.ID
	sc.CreatedBy, sc.CreatedAt, sc.UpdatedAt, sc.Version = id.UserID, now, now, 1
	if !zoneGiven {
		sc.Timezone = c.Timezone
		if sc.Timezone == "" {
			sc.Timezone = "UTC"
		}
	}
	if _, err := sc.Rule(); err != nil {
		return Schedule{}, fmt.Errorf("schedule of %s: %w", c.ID, err)
	}
	return sc, nil
}

// undo logs a compensation that failed: the trigger left behind is
// repaired by dispatch at its next fire.
func (s *ScheduleService) undo(what, scheduleID string, err error) {
	if err != nil {
		log.Printf("schedule %s: undoing the trigger %s failed (dispatch repairs it at its next fire): %v", scheduleID, what, err)
	}
}

// active reports whether the customer may be scanned (not suspended or archived).
func (c Customer) active() bool { return c.Status != StatusSuspended && c.Status != StatusArchived }

// checkScheduleTargets checks that asset targets are the customer's
// verified assets; EINVALID naming the targets otherwise.
func checkScheduleTargets(ctx context.Context, assets AssetStore, scope tenancy.Scope, customerID string, ids []string) error {
	var p Problems
	valid := []string{}
	for i, aid := range ids {
		if ValidID(PrefixAsset, aid) {
			valid = append(valid, aid)
		} else {
			p.Add(indexed("targets", i), "%s is not an asset of customer %s", aid, customerID)
		}
	}
	stored, err := assets.GetAssets(ctx, scope, customerID, valid)
	if err != nil {
		return fmt.Errorf("read assets: %w", err)
	}
	for i, aid := range ids {
		a, ok := stored[aid]
		switch {
		case !ValidID(PrefixAsset, aid):
		case !ok:
			p.Add(indexed("targets", i), "%s is not an asset of customer %s", aid, customerID)
		case !a.Verified:
			p.Add(indexed("targets", i), "%s (%s) is not verified, so it cannot be scanned: verify ownership first", aid, a.Value)
		}
	}
	return p.Err()
}

// scheduleCaller lets partner personnel and customer admins work with
// schedules (further limited per customer).
func scheduleCaller(ctx context.Context) (tenancy.Identity, error) {
	return requireRole(ctx, "working with schedules", tenancy.RolePartnerAdmin, tenancy.RolePartnerMember, tenancy.RoleCustomerAdmin, tenancy.RoleCustomerViewer)
}

// SchedulePage is one page of a customer's schedules.
type SchedulePage struct {
	Items      []Schedule
	NextCursor string
}

// List returns a page of a customer's schedules, oldest first (a customer
// user's own when customerID is empty). EINVALID when partner personnel
// name no customer or a parameter is bad; ENOTFOUND for a customer the
// caller cannot see.
func (s *ScheduleService) List(ctx context.Context, customerID, limit, cursor string) (SchedulePage, error) {
	if id, ok := tenancy.FromContext(ctx); ok && id.Role.IsCustomerRole() && customerID == "" {
		customerID = id.TenantID // a customer user's own schedules
	}
	var p Problems
	if customerID == "" {
		p.Add("customerId", "is required: the customer whose schedules to list")
	}
	n := parsePageSize(&p, limit)
	if err := p.Err(); err != nil {
		return SchedulePage{}, err
	}
	id, err := assetReader(ctx, s.Grants, customerID)
	if err != nil {
		return SchedulePage{}, err
	}
	query := fmt.Sprintf("schedules %s %d", customerID, n)
	start, err := s.Cursors.Decode(id, query, cursor)
	if err != nil {
		return SchedulePage{}, err
	}
	active, err := s.customerActive(ctx, id, customerID)
	if err != nil {
		return SchedulePage{}, err
	}
	items, next, err := s.Store.ListSchedules(ctx, tenancy.Scope{PartnerID: id.PartnerID, TenantID: customerID}, customerID, n, start)
	if err != nil {
		return SchedulePage{}, fmt.Errorf("list schedules: %w", err)
	}
	for i := range items {
		items[i].Paused = !active
	}
	return SchedulePage{Items: items, NextCursor: s.Cursors.Encode(id, query, next)}, nil
}

// customerActive reports whether a customer's schedules run (it is not
// suspended or archived); ENOTFOUND when the caller's partner has no such
// customer. A customer user's tenant is active (tenantUser refuses the
// users of others).
func (s *ScheduleService) customerActive(ctx context.Context, id tenancy.Identity, customerID string) (bool, error) {
	if id.Role.IsCustomerRole() {
		return true, nil
	}
	c, err := s.Customers.GetCustomer(ctx, id.Scope(), customerID)
	if err != nil {
		return false, err
	}
	return c.active(), nil
}

// Get returns one schedule; ENOTFOUND unless it is the caller's to see.
func (s *ScheduleService) Get(ctx context.Context, customerID, scheduleID string) (Schedule, error) {
	id, err := assetReader(ctx, s.Grants, customerID)
	if err != nil {
		return Schedule{}, err
	}
	sc, err := s.get(ctx, id, customerID, scheduleID)
	if err != nil {
		return Schedule{}, err
	}
	active, err := s.customerActive(ctx, id, customerID)
	sc.Paused = !active
	return sc, err
}

func (s *ScheduleService) get(ctx context.Context, id tenancy.Identity, customerID, scheduleID string) (Schedule, error) {
	if !ValidID(PrefixSchedule, scheduleID) {
		return Schedule{}, Errorf(ENOTFOUND, "schedule %s not found", scheduleID)
	}
	return s.Store.GetSchedule(ctx, tenancy.Scope{PartnerID: id.PartnerID, TenantID: customerID}, customerID, scheduleID)
}

// Update changes the fields in of a schedule (absent ones are kept) and
// its trigger. EINVALID names bad fields (customerIds cannot change);
// EPRECONDITION when it changed meanwhile; EUNAVAILABLE when the scheduler
// failed (nothing changed then).
func (s *ScheduleService) Update(ctx context.Context, customerID, scheduleID string, in ScheduleInput) (Schedule, error) {
	id, err := assetWriter(ctx, s.Grants, customerID)
	if err != nil {
		return Schedule{}, err
	}
	var p Problems
	if in.CustomerIDs != nil {
		p.Add("customerIds", "cannot be changed: create a schedule for the other customers instead")
	}
	old, err := s.get(ctx, id, customerID, scheduleID)
	if err != nil {
		return Schedule{}, err
	}
	sc := old
	sc.AssetIDs = slices.Clone(old.AssetIDs)
	in.apply(&p, &sc)
	if err := p.Err(); err != nil {
		return Schedule{}, err
	}
	if in.Targets != nil && !sc.AllTargets {
		if err := checkScheduleTargets(ctx, s.Assets, sc.scope(), sc.TenantID, sc.AssetIDs); err != nil {
			return Schedule{}, err
		}
	}
	c, err := s.Customers.GetCustomer(ctx, sc.scope(), customerID)
	if err != nil {
		return Schedule{}, err
	}
	old.Paused, sc.Paused = !c.active(), !c.active()
	before, after := old.auditFields(), sc.auditFields()
	if len(diff(before, after)) == 0 {
		return old, nil
	}
	sc.Version++
	sc.UpdatedAt = s.Clock()
	if err := putTrigger(ctx, s.Triggers, sc, c.active()); err != nil {
		return Schedule{}, err
	}
	actx := auditor{s.Clock, s.IDs}.audit(ctx, "schedule.update", sc.ID, sc.scope(), before, after)
	if err := s.Store.UpdateSchedule(actx, sc.scope(), sc); err != nil {
		s.undo("update", sc.ID, putTrigger(context.WithoutCancel(ctx), s.Triggers, old, c.active()))
		return Schedule{}, err
	}
	return sc, nil
}

// putTrigger makes the trigger of sc what it should be, creating it if it
// is missing.
func putTrigger(ctx context.Context, triggers ScheduleTriggers, sc Schedule, customerActive bool) error {
	trig, err := sc.trigger(customerActive)
	if err != nil {
		return fmt.Errorf("schedule %s: %w", sc.ID, err)
	}
	err = triggers.Update(ctx, trig)
	if ErrorCode(err) == ENOTFOUND {
		err = triggers.Create(ctx, trig)
	}
	return err
}

// Delete deletes a schedule and its trigger. EUNAVAILABLE when the
// scheduler failed (nothing deleted then).
func (s *ScheduleService) Delete(ctx context.Context, customerID, scheduleID string) error {
	id, err := assetWriter(ctx, s.Grants, customerID)
	if err != nil {
		return err
	}
	sc, err := s.get(ctx, id, customerID, scheduleID)
	if err != nil {
		return err
	}
	if err := s.Triggers.Delete(ctx, sc.ID); err != nil {
		return err
	}
	actx := auditor{s.Clock, s.IDs}.audit(ctx, "schedule.delete", sc.ID, sc.scope(), sc.auditFields(), nil)
	if err := s.Store.DeleteSchedule(actx, sc.scope(), sc); err != nil {
		c, cerr := s.Customers.GetCustomer(context.WithoutCancel(ctx), sc.scope(), customerID)
		s.undo("delete", sc.ID, errors.Join(cerr, putTrigger(context.WithoutCancel(ctx), s.Triggers, sc, cerr == nil && c.active())))
		return err
	}
	return nil
}

// forEach calls fn(0) … fn(n-1) with at most workers calls at a time and
// returns when all have returned.
func forEach(n, workers int, fn func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(n, workers) {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

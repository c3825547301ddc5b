package portal

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/partnerportal/portal/internal/scan"
	"github.com/partnerportal/portal/internal/tenancy"
)

// Events that start scans besides schedules' fires ("Asset Discovered"
// comes from the usage stream).
const (
	SourceVulnDB        = "partnerportal.vulndb"
	DetailVulnDBUpdated = "Vulnerability Database Updated"
	// DetailVulnDBPage asks scan-dispatch for the next page of a
	// vulnerability-database fan-out (published by scan-dispatch itself,
	// so a fan-out over any number of customers is a chain of bounded
	// invocations, none of which waits for the others).
	SourceDispatch   = "partnerportal.dispatch"
	DetailVulnDBPage = "Vulnerability Scan Page Requested"
)

// VulnDBUpdate is the detail of "Vulnerability Database Updated" and of
// its fan-out pages (which add Cursor).
type VulnDBUpdate struct {
	UpdateID    string    `json:"updateId"`
	Name        string    `json:"name"`
	PublishedAt time.Time `json:"publishedAt"`
	RequestedBy string    `json:"requestedBy"`
	Cursor      string    `json:"cursor,omitempty"`
}

// AssetDiscovery is what dispatch needs of an "Asset Discovered" event.
type AssetDiscovery struct {
	PartnerID  string
	TenantID   string
	AssetID    string
	VerifiedAt time.Time
}

// ScanDispatcher starts the scans that schedules' fires and events ask
// for. Every delivery may be repeated (Scheduler and EventBridge deliver
// at least once): a scan's ID is derived from what caused it (the
// schedule and its fire time, the asset and its verification, the update
// and the schedule), so a repeated delivery finds the scan it admitted
// before and admits nothing. Each scan is admitted against the customer's
// license like any other; refusals are recorded as refused scans.
type ScanDispatcher struct {
	Schedules ScheduleStore
	Triggers  ScheduleTriggers
	Customers CustomerStore
	Scans     *ScanService
	Events    EventPublisher
	// PageSize is the number of subscribed schedules one fan-out
	// invocation handles (DefaultDispatchPage when 0).
	PageSize int
}

// DefaultDispatchPage is the default fan-out page size.
const DefaultDispatchPage = 100

// dispatchWorkers bounds the admissions made at once by one invocation.
const dispatchWorkers = 8

// Dispatched says what a delivery did.
type Dispatched struct {
	Admitted   []string `json:"admitted"`   // scan IDs admitted now
	Duplicates []string `json:"duplicates"` // scan IDs admitted by an earlier delivery
	Refused    []string `json:"refused"`    // scan IDs recorded as refused
	Skipped    []string `json:"skipped"`    // why nothing was admitted for a schedule or customer
}

func (d *Dispatched) add(o Dispatched) {
	d.Admitted = append(d.Admitted, o.Admitted...)
	d.Duplicates = append(d.Duplicates, o.Duplicates...)
	d.Refused = append(d.Refused, o.Refused...)
	d.Skipped = append(d.Skipped, o.Skipped...)
}

// Fire admits the scan of one schedule fire, at most once per schedule and
// fire time however often it is delivered. A fire that is not one of the
// schedule's (a stale trigger, the extra days of a month-end expression),
// of a disabled schedule or of a suspended customer admits nothing; a
// trigger without a schedule is deleted, and one that is stale is brought
// up to date. An error means the delivery should be retried.
func (d *ScanDispatcher) Fire(ctx context.Context, f ScheduleFire) (Dispatched, error) {
	var out Dispatched
	at, err := time.Parse(time.RFC3339, f.ScheduledTime)
	if err != nil || !ValidID(PrefixSchedule, f.ScheduleID) || !ValidID(PrefixCustomer, f.TenantID) || f.PartnerID == "" {
		out.Skipped = append(out.Skipped, fmt.Sprintf("malformed fire %+v", f))
		return out, nil
	}
	scope := tenancy.Scope{PartnerID: f.PartnerID, TenantID: f.TenantID}
	sc, err := d.Schedules.GetSchedule(ctx, scope, f.TenantID, f.ScheduleID)
	if ErrorCode(err) == ENOTFOUND {
		out.Skipped = append(out.Skipped, "schedule "+f.ScheduleID+" does not exist: its trigger is deleted")
		return out, d.Triggers.Delete(ctx, f.ScheduleID)
	}
	if err != nil {
		return out, err
	}
	c, err := d.Customers.GetCustomer(ctx, scope, f.TenantID)
	if err != nil {
		return out, err
	}
	if f.Version != sc.Version || !sc.Enabled || !c.active() {
		// The trigger should not have fired like this: bring it in line.
		if err := putTrigger(ctx, d.Triggers, sc, c.active()); err != nil {
			log.Printf("dispatch: repair trigger of schedule %s: %v", sc.ID, err)
		}
	}
	if !sc.Enabled || !c.active() {
		out.Skipped = append(out.Skipped, fmt.Sprintf("schedule %s is disabled or customer %s is %s", sc.ID, c.ID, c.Status))
		return out, nil
	}
	rule, err := sc.Rule()
	if err != nil {
		return out, fmt.Errorf("schedule %s: %w", sc.ID, err)
	}
	due, ok := rule.Due(at)
	if w := time.Duration(sc.FlexibleWindowMinutes) * time.Minute; !ok && w > 0 {
		// Scheduler documents the scheduled time as the nominal one; should
		// it ever report the moment within the flexible window instead, the
		// fire is still the rule's latest time up to a window before.
		if next := rule.Next(at.Add(-w-time.Minute), 1); len(next) == 1 && !next[0].After(at) {
			due, ok = next[0], true
		}
	}
	if !ok {
		out.Skipped = append(out.Skipped, fmt.Sprintf("%s is not a fire time of schedule %s", f.ScheduledTime, sc.ID))
		return out, nil
	}
	a := admission{
		ID: derivedScanID("schedule/"+sc.ID+"/"+due.Format(time.RFC3339), due), Profile: sc.Profile,
		Targets: sc.targets(), Trigger: TriggerSchedule, ScheduleID: sc.ID, RequestedBy: "schedule:" + sc.ID,
	}
	return d.admit(ctx, c, a)
}

// CustomerStatusChange is what dispatch needs of a "Customer Status
// Changed" event: whose status changed (the status itself is read afresh,
// so that late or reordered events cannot undo a newer change).
type CustomerStatusChange struct {
	PartnerID string
	TenantID  string
}

// CustomerStatusChanged pauses the triggers of a customer that is no longer
// active and resumes those of one that is again (the customers function
// changes the status only; this brings Scheduler in line). An error means
// the delivery should be retried.
func (d *ScanDispatcher) CustomerStatusChanged(ctx context.Context, e CustomerStatusChange) (Dispatched, error) {
	var out Dispatched
	if !ValidID(PrefixCustomer, e.TenantID) || e.PartnerID == "" {
		out.Skipped = append(out.Skipped, fmt.Sprintf("malformed status change %+v", e))
		return out, nil
	}
	c, err := d.Customers.GetCustomer(ctx, tenancy.Scope{PartnerID: e.PartnerID, TenantID: e.TenantID}, e.TenantID)
	if ErrorCode(err) == ENOTFOUND {
		out.Skipped = append(out.Skipped, "customer "+e.TenantID+" does not exist")
		return out, nil
	}
	if err != nil {
		return out, err
	}
	return out, d.syncTriggers(ctx, c)
}

// syncTriggers brings the triggers of c's schedules in line with its
// status: paused while it is suspended or archived, running otherwise (for
// the schedules that are enabled). It is idempotent; EUNAVAILABLE names the
// schedules whose triggers could not be changed, for a retry.
func (d *ScanDispatcher) syncTriggers(ctx context.Context, c Customer) error {
	var failed []string
	var start Position
	for {
		page, next, err := d.Schedules.ListSchedules(ctx, c.scope(), c.ID, MaxPageSize, start)
		if err != nil {
			return fmt.Errorf("list schedules of %s: %w", c.ID, err)
		}
		var mu sync.Mutex
		forEach(len(page), scheduleWorkers, func(i int) {
			if err := putTrigger(ctx, d.Triggers, page[i], c.active()); err != nil {
				log.Printf("customer %s: trigger of schedule %s: %v", c.ID, page[i].ID, err)
				mu.Lock()
				failed = append(failed, page[i].ID)
				mu.Unlock()
			}
		})
		if next == nil {
			break
		}
		start = next
	}
	if len(failed) > 0 {
		slices.Sort(failed)
		return Errorf(EUNAVAILABLE, "customer %s is %s, but the scheduler did not take the change for schedules %s",
			c.ID, c.Status, strings.Join(failed, ", "))
	}
	return nil
}

// AssetDiscovered scans a newly verified asset once with each profile of
// the customer's enabled schedules that have OnNewAsset (nothing when
// there are none).
func (d *ScanDispatcher) AssetDiscovered(ctx context.Context, e AssetDiscovery) (Dispatched, error) {
	var out Dispatched
	if !ValidID(PrefixCustomer, e.TenantID) || !ValidID(PrefixAsset, e.AssetID) || e.PartnerID == "" {
		out.Skipped = append(out.Skipped, fmt.Sprintf("malformed discovery %+v", e))
		return out, nil
	}
	scope := tenancy.Scope{PartnerID: e.PartnerID, TenantID: e.TenantID}
	schedules, err := d.customerSchedules(ctx, scope, e.TenantID)
	if err != nil {
		return out, err
	}
	byProfile := map[scan.Profile]string{} // profile → first schedule asking for it
	for _, sc := range schedules {
		if sc.Enabled && sc.OnNewAsset {
			if _, seen := byProfile[sc.Profile]; !seen {
				byProfile[sc.Profile] = sc.ID
			}
		}
	}
	if len(byProfile) == 0 {
		out.Skipped = append(out.Skipped, "customer "+e.TenantID+" has no schedule that scans new assets")
		return out, nil
	}
	c, err := d.Customers.GetCustomer(ctx, scope, e.TenantID)
	if err != nil {
		return out, err
	}
	for _, p := range slices.Sorted(maps.Keys(byProfile)) {
		a := admission{
			ID:      derivedScanID("new-asset/"+e.AssetID+"/"+e.VerifiedAt.Format(time.RFC3339Nano)+"/"+string(p), e.VerifiedAt),
			Profile: p, Targets: ScanTargets{IDs: []string{e.AssetID}}, Trigger: TriggerNewAsset,
			ScheduleID: byProfile[p], RequestedBy: "schedule:" + byProfile[p],
		}
		o, err := d.admit(ctx, c, a)
		out.add(o)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// VulnDBPage handles one page of a vulnerability-database fan-out: it
// first asks for the next page (an event back to scan-dispatch), then
// scans the targets of each enabled schedule of this page that has
// OnVulnDBUpdate, against its customer's license. Customers suspended or
// archived are skipped. An error means the page should be handled again
// (what it admitted is not admitted twice).
func (d *ScanDispatcher) VulnDBPage(ctx context.Context, u VulnDBUpdate) (Dispatched, error) {
	var out Dispatched
	if u.UpdateID == "" || u.PublishedAt.IsZero() {
		out.Skipped = append(out.Skipped, fmt.Sprintf("malformed update %+v", u))
		return out, nil
	}
	start, err := decodeDispatchCursor(u.Cursor)
	if err != nil {
		out.Skipped = append(out.Skipped, "malformed cursor of update "+u.UpdateID)
		return out, nil
	}
	size := d.PageSize
	if size <= 0 {
		size = DefaultDispatchPage
	}
	page, next, err := d.Schedules.ListVulnDBSubscribers(ctx, size, start)
	if err != nil {
		return out, fmt.Errorf("list subscribers of update %s: %w", u.UpdateID, err)
	}
	if next != nil {
		more := u
		more.Cursor = encodeDispatchCursor(next)
		err := d.Events.Publish(ctx, Event{
			ID: u.UpdateID + "/" + more.Cursor, Source: SourceDispatch, DetailType: DetailVulnDBPage, Time: u.PublishedAt, Detail: more,
		})
		if err != nil {
			return out, fmt.Errorf("ask for the next page of update %s: %w", u.UpdateID, err)
		}
	}
	var mu sync.Mutex
	var errs []error
	forEach(len(page), dispatchWorkers, func(i int) {
		sc := page[i]
		o, err := d.vulnScan(ctx, u, sc)
		mu.Lock()
		defer mu.Unlock()
		out.add(o)
		if err != nil {
			errs = append(errs, fmt.Errorf("schedule %s: %w", sc.ID, err))
		}
	})
	return out, errors.Join(errs...)
}

func (d *ScanDispatcher) vulnScan(ctx context.Context, u VulnDBUpdate, sc Schedule) (Dispatched, error) {
	c, err := d.Customers.GetCustomer(ctx, sc.scope(), sc.TenantID)
	if ErrorCode(err) == ENOTFOUND {
		return Dispatched{Skipped: []string{"customer " + sc.TenantID + " not found"}}, nil
	}
	if err != nil {
		return Dispatched{}, err
	}
	if !c.active() {
		return Dispatched{Skipped: []string{fmt.Sprintf("customer %s is %s", c.ID, c.Status)}}, nil
	}
	return d.admit(ctx, c, admission{
		ID: derivedScanID("vulndb/"+u.UpdateID+"/"+sc.ID, u.PublishedAt), Profile: sc.Profile, Targets: sc.targets(),
		Trigger: TriggerVulnDB, ScheduleID: sc.ID, RequestedBy: "schedule:" + sc.ID,
	})
}

// relaunchAfter is how long a dispatched scan may stay queued before a
// repeated delivery launches it again.
const relaunchAfter = 5 * time.Minute

// admit admits one dispatched scan unless it was admitted before (the
// conditional put of the scan tells; no read first, as repeated deliveries
// are rare). Then a scan still queued relaunchAfter its admission is
// launched again: the
// delivery that admitted it may have failed to launch it (scan-run starts
// a scan once however often it is launched, so a launch too many costs an
// invocation, not a second scan).
func (d *ScanDispatcher) admit(ctx context.Context, c Customer, a admission) (Dispatched, error) {
	var out Dispatched
	if !c.active() {
		out.Skipped = append(out.Skipped, fmt.Sprintf("customer %s is %s", c.ID, c.Status))
		return out, nil
	}
	a.RecordRefusals = true
	sc, err := d.Scans.admit(WithSystemActor(ctx, a.RequestedBy), c, a)
	switch {
	case err == nil:
		out.Admitted = append(out.Admitted, sc.ID)
	case errors.Is(err, ErrScanExists):
		out.Duplicates = append(out.Duplicates, a.ID)
		return out, d.relaunchIfStuck(ctx, c, a.ID)
	case sc.Status == ScanRefused:
		out.Refused = append(out.Refused, sc.ID)
	default:
		return out, err
	}
	return out, nil
}

// relaunchIfStuck launches the scan again if it is still queued
// relaunchAfter its admission.
func (d *ScanDispatcher) relaunchIfStuck(ctx context.Context, c Customer, scanID string) error {
	existing, err := d.Scans.Store.GetScan(ctx, c.scope(), c.ID, scanID)
	if err != nil {
		return err
	}
	if existing.Status == ScanQueued && d.Scans.Clock().Sub(existing.CreatedAt) >= relaunchAfter {
		return d.Scans.Launcher.Launch(ctx, existing)
	}
	return nil
}

// customerSchedules returns every schedule of a customer.
func (d *ScanDispatcher) customerSchedules(ctx context.Context, scope tenancy.Scope, customerID string) ([]Schedule, error) {
	var all []Schedule
	var start Position
	for {
		page, next, err := d.Schedules.ListSchedules(ctx, scope, customerID, MaxPageSize, start)
		if err != nil {
			return nil, fmt.Errorf("list schedules of %s: %w", customerID, err)
		}
		all = append(all, page...)
		if next == nil {
			return all, nil
		}
		start = next
	}
}

// targets returns the schedule's targets as a scan request names them.
func (s Schedule) targets() ScanTargets {
	return ScanTargets{All: s.AllTargets, IDs: slices.Clone(s.AssetIDs)}
}

// derivedScanID returns the scan ID for what key names: a ULID with the
// time at (so scans still list in time order) and randomness derived
// from key (so the same cause always yields the same ID).
func derivedScanID(key string, at time.Time) string {
	sum := sha256.Sum256([]byte(key))
	var id ulid.ULID
	if err := id.SetTime(ulid.Timestamp(at)); err != nil {
		id.SetTime(0)
	}
	copy(id[6:], sum[:10])
	return PrefixScan + id.String()
}

func encodeDispatchCursor(p Position) string {
	b, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeDispatchCursor(s string) (Position, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	var p Position
	return p, json.Unmarshal(b, &p)
}

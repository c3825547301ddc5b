package portal

import (
	"context"
	"slices"
	"time"

	"github.com/partnerportal/portal/internal/recurrence"
	"github.com/partnerportal/portal/internal/scan"
	"github.com/partnerportal/portal/internal/tenancy"
)

// PrefixSchedule prefixes schedule IDs.
const PrefixSchedule = "sch_"

// Limits of schedules.
const (
	// MaxScheduleCustomers is the most customers one POST /v1/schedules names.
	MaxScheduleCustomers = 500
	// MaxFlexibleWindowMinutes is the longest flexible time window
	// EventBridge Scheduler allows.
	MaxFlexibleWindowMinutes = 1440
	// NextRunsShown is how many upcoming fire times a schedule shows.
	NextRunsShown = 5
)

// Schedule is a customer's recurring scan, with the events that also
// start it. Its trigger (ScheduleTrigger) fires it at the rule's times.
type Schedule struct {
	ID         string
	PartnerID  string
	TenantID   string
	Profile    scan.Profile
	AllTargets bool     // "targets": "all" (the verified assets at fire time)
	AssetIDs   []string // otherwise these assets
	Frequency  recurrence.Frequency
	DayOfWeek  string // "MON"…"SUN", weekly only
	DayOfMonth int    // 1–31, monthly only (29–31: the last day of shorter months)
	StartTime  string // "HH:MM" in Timezone
	Timezone   string // IANA
	Enabled    bool
	// OnNewAsset: an asset of the customer becoming verified starts a scan
	// of it with this schedule's profile.
	OnNewAsset bool
	// OnVulnDBUpdate: a vulnerability-database update starts a scan of the
	// schedule's targets.
	OnVulnDBUpdate bool
	// FlexibleWindowMinutes > 0 lets the scheduler start the scan up to
	// that many minutes late, to spread load; 0 starts it on time.
	FlexibleWindowMinutes int
	// Paused: the customer is suspended or archived, so the schedule does
	// not fire (derived from the customer when read, not stored).
	Paused    bool
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// Rule returns the schedule's recurrence rule. A stored schedule always
// has a valid one; an error means the stored item is corrupt.
func (s Schedule) Rule() (recurrence.Rule, error) {
	loc, err := recurrence.LoadLocation(s.Timezone)
	if err != nil {
		return recurrence.Rule{}, err
	}
	r := recurrence.Rule{Frequency: s.Frequency, DayOfMonth: s.DayOfMonth, Location: loc}
	if r.Hour, r.Minute, err = recurrence.ParseClock(s.StartTime); err != nil {
		return recurrence.Rule{}, err
	}
	if s.Frequency == recurrence.Weekly {
		if r.Weekday, err = recurrence.ParseWeekday(s.DayOfWeek); err != nil {
			return recurrence.Rule{}, err
		}
	}
	return r, r.Validate()
}

// FireTime is one upcoming fire of a schedule, in UTC and in the
// schedule's time zone.
type FireTime struct {
	UTC   time.Time
	Local time.Time
}

// NextRuns returns the schedule's next n fire times after now, as the
// scheduler will fire them (daylight-saving changes included: a start
// time that does not exist that day is skipped, one that occurs twice
// fires once). None when the schedule is disabled or paused.
func (s Schedule) NextRuns(now time.Time, n int) []FireTime {
	r, err := s.Rule()
	if err != nil || !s.Enabled || s.Paused {
		return []FireTime{}
	}
	out := []FireTime{}
	for _, t := range r.Next(now, n) {
		out = append(out, FireTime{UTC: t.UTC(), Local: t.In(r.Location)})
	}
	return out
}

// trigger is the schedule's trigger; customerActive says whether its
// customer may be scanned (a suspended or archived customer's triggers
// are disabled).
func (s Schedule) trigger(customerActive bool) (ScheduleTrigger, error) {
	r, err := s.Rule()
	if err != nil {
		return ScheduleTrigger{}, err
	}
	return ScheduleTrigger{
		ScheduleID: s.ID, PartnerID: s.PartnerID, TenantID: s.TenantID, Version: s.Version,
		Expression: r.Expression(), Timezone: s.Timezone, Enabled: s.Enabled && customerActive,
		FlexibleWindowMinutes: s.FlexibleWindowMinutes,
	}, nil
}

func (s Schedule) scope() tenancy.Scope {
	return tenancy.Scope{PartnerID: s.PartnerID, TenantID: s.TenantID}
}

func (s Schedule) auditFields() map[string]any {
	targets := any(s.AssetIDs)
	if s.AllTargets {
		targets = "all"
	}
	return map[string]any{
		"profile": string(s.Profile), "targets": targets, "frequency": string(s.Frequency), "dayOfWeek": s.DayOfWeek,
		"dayOfMonth": s.DayOfMonth, "startTime": s.StartTime, "timezone": s.Timezone, "enabled": s.Enabled,
		"onNewAsset": s.OnNewAsset, "onVulnDbUpdate": s.OnVulnDBUpdate, "flexibleWindowMinutes": s.FlexibleWindowMinutes,
	}
}

// ScheduleInput is the body of POST /v1/schedules and, without
// customerIds, of PATCH …/schedules/{scheduleId} (absent fields keep
// their value there).
type ScheduleInput struct {
	CustomerIDs           []string      `json:"customerIds"`
	Profile               *scan.Profile `json:"profile"`
	Targets               *ScanTargets  `json:"targets"`
	Frequency             *string       `json:"frequency"`
	DayOfWeek             *string       `json:"dayOfWeek"`
	DayOfMonth            *int          `json:"dayOfMonth"`
	StartTime             *string       `json:"startTime"`
	Timezone              *string       `json:"timezone"`
	Enabled               *bool         `json:"enabled"`
	OnNewAsset            *bool         `json:"onNewAsset"`
	OnVulnDBUpdate        *bool         `json:"onVulnDbUpdate"`
	FlexibleWindowMinutes *int          `json:"flexibleWindowMinutes"`
}

// apply copies the fields given in in onto s and checks the result,
// recording problems by field. Fields the frequency does not use are
// cleared unless in names them (then they are a problem). Targets are
// checked for shape only (the assets are checked against the customer).
func (in ScheduleInput) apply(p *Problems, s *Schedule) {
	if in.Profile != nil {
		if slices.Contains(scan.Profiles, *in.Profile) {
			s.Profile = *in.Profile
		} else {
			p.Add("profile", "%q is not a profile: one of %s", *in.Profile, profileList())
		}
	}
	if in.Targets != nil {
		switch {
		case !in.Targets.All && len(in.Targets.IDs) == 0:
			p.Add("targets", `must be "all" or a non-empty list of asset IDs`)
		case len(in.Targets.IDs) > MaxPageSize:
			p.Add("targets", "must list at most %d assets (or say \"all\")", MaxPageSize)
		default:
			s.AllTargets, s.AssetIDs = in.Targets.All, nil
			for _, id := range in.Targets.IDs {
				if !slices.Contains(s.AssetIDs, id) {
					s.AssetIDs = append(s.AssetIDs, id)
				}
			}
		}
	}
	if in.Frequency != nil {
		f := recurrence.Frequency(*in.Frequency)
		if oneOf(p, "frequency", f, recurrence.Frequencies); slices.Contains(recurrence.Frequencies, f) {
			s.Frequency = f
		}
	}
	if in.DayOfWeek != nil {
		s.DayOfWeek = *in.DayOfWeek
		if _, err := recurrence.ParseWeekday(*in.DayOfWeek); err != nil {
			p.Add("dayOfWeek", "%s", err)
		}
	}
	if in.DayOfMonth != nil {
		s.DayOfMonth = *in.DayOfMonth
		if *in.DayOfMonth < 1 || *in.DayOfMonth > 31 {
			p.Add("dayOfMonth", "must be from 1 to 31 (29–31 run on the last day of shorter months)")
		}
	}
	switch {
	case s.Frequency == recurrence.Weekly && s.DayOfWeek == "":
		p.Add("dayOfWeek", "is required for weekly schedules: MON, TUE, WED, THU, FRI, SAT or SUN")
	case s.Frequency != recurrence.Weekly && in.DayOfWeek != nil:
		p.Add("dayOfWeek", "is only for weekly schedules")
	case s.Frequency != recurrence.Weekly:
		s.DayOfWeek = ""
	}
	switch {
	case s.Frequency == recurrence.Monthly && s.DayOfMonth == 0 && in.DayOfMonth == nil:
		p.Add("dayOfMonth", "is required for monthly schedules: 1 to 31")
	case s.Frequency != recurrence.Monthly && in.DayOfMonth != nil:
		p.Add("dayOfMonth", "is only for monthly schedules")
	case s.Frequency != recurrence.Monthly:
		s.DayOfMonth = 0
	}
	if in.StartTime != nil {
		s.StartTime = *in.StartTime
		if _, _, err := recurrence.ParseClock(*in.StartTime); err != nil {
			p.Add("startTime", "%s", err)
		}
	}
	if in.Timezone != nil {
		s.Timezone = *in.Timezone
		if _, err := recurrence.LoadLocation(*in.Timezone); err != nil {
			p.Add("timezone", "%s", err)
		}
	}
	if in.Enabled != nil {
		s.Enabled = *in.Enabled
	}
	if in.OnNewAsset != nil {
		s.OnNewAsset = *in.OnNewAsset
	}
	if in.OnVulnDBUpdate != nil {
		s.OnVulnDBUpdate = *in.OnVulnDBUpdate
	}
	if in.FlexibleWindowMinutes != nil {
		s.FlexibleWindowMinutes = *in.FlexibleWindowMinutes
		if m := *in.FlexibleWindowMinutes; m < 0 || m > MaxFlexibleWindowMinutes {
			p.Add("flexibleWindowMinutes", "must be from 0 (start on time) to %d", MaxFlexibleWindowMinutes)
		}
	}
}

// required records the fields a new schedule must have.
func (in ScheduleInput) required(p *Problems) {
	if in.Profile == nil {
		p.Add("profile", "is required: one of %s", profileList())
	}
	if in.Targets == nil {
		p.Add("targets", `is required: "all" or a list of asset IDs`)
	}
	if in.Frequency == nil {
		p.Add("frequency", "is required: daily, weekly or monthly")
	}
	if in.StartTime == nil {
		p.Add("startTime", "is required: HH:MM in the schedule's time zone")
	}
}

// ScheduleStore persists schedules. A schedule with OnVulnDBUpdate that
// is enabled is also listed by ListVulnDBSubscribers.
type ScheduleStore interface {
	// PutSchedule stores a new schedule with the audit entry ctx carries.
	PutSchedule(ctx context.Context, scope tenancy.Scope, s Schedule) error
	// GetSchedule returns a schedule of a customer in scope; ENOTFOUND otherwise.
	GetSchedule(ctx context.Context, scope tenancy.Scope, customerID, scheduleID string) (Schedule, error)
	// ListSchedules returns a page of a customer's schedules, oldest first.
	ListSchedules(ctx context.Context, scope tenancy.Scope, customerID string, limit int, start Position) ([]Schedule, Position, error)
	// UpdateSchedule replaces a schedule stored at s.Version-1
	// (EPRECONDITION otherwise), with the audit entry ctx carries.
	UpdateSchedule(ctx context.Context, scope tenancy.Scope, s Schedule) error
	// DeleteSchedule deletes a schedule stored at s.Version (EPRECONDITION
	// otherwise), with the audit entry ctx carries.
	DeleteSchedule(ctx context.Context, scope tenancy.Scope, s Schedule) error
	// ListVulnDBSubscribers returns a page of the enabled schedules, of
	// every partner, that scan on vulnerability-database updates. It is for
	// the dispatcher only (it crosses tenants).
	ListVulnDBSubscribers(ctx context.Context, limit int, start Position) ([]Schedule, Position, error)
}

package portal

import "context"

// ScheduleTrigger is what fires one stored schedule at its times: in AWS an
// EventBridge Scheduler schedule named after the schedule ID, in one shared
// schedule group, targeting the scan-dispatch function with a ScheduleFire.
type ScheduleTrigger struct {
	ScheduleID string
	PartnerID  string
	TenantID   string
	// Version is the stored schedule's version the trigger was made from;
	// fires carry it, so dispatch notices a trigger left stale by a failed
	// update and brings it up to date.
	Version int64
	// Expression is the Scheduler schedule expression, "cron(…)", built by
	// internal/recurrence from the schedule's rule.
	Expression string
	// Timezone is the IANA zone the expression is evaluated in.
	Timezone string
	// Enabled: false keeps the trigger but stops its fires (a disabled
	// schedule, or one of a suspended or archived customer).
	Enabled bool
	// FlexibleWindowMinutes lets Scheduler fire up to that many minutes
	// after the start time, spreading load; 0 (the default) fires at the
	// start time.
	FlexibleWindowMinutes int
}

// ScheduleTriggers keeps the triggers of stored schedules (EventBridge
// Scheduler in AWS, a wire-level local Scheduler on one machine).
//
// Errors: ECONFLICT from Create when a trigger of that schedule ID exists;
// ENOTFOUND from Update when none does; EUNAVAILABLE when the scheduler
// could not be reached or refused for throttling or quota, so the caller
// may try again; any other error is internal.
type ScheduleTriggers interface {
	// Create adds the trigger of a new schedule.
	Create(ctx context.Context, t ScheduleTrigger) error
	// Update replaces the trigger of an existing schedule.
	Update(ctx context.Context, t ScheduleTrigger) error
	// Delete removes the trigger of a schedule; nil when there is none.
	Delete(ctx context.Context, scheduleID string) error
}

// ScheduleFire is the input a trigger hands to scan-dispatch at each fire.
// ScheduledTime is the time the fire was due (RFC 3339, UTC): Scheduler
// fills it from its <aws.scheduler.scheduled-time> context attribute, and
// every delivery of the same fire carries the same value, so dispatch keys
// its at-most-once admission on it.
type ScheduleFire struct {
	PartnerID     string `json:"partnerId"`
	TenantID      string `json:"tenantId"`
	ScheduleID    string `json:"scheduleId"`
	Version       int64  `json:"version"`
	ScheduledTime string `json:"scheduledTime"`
}

// ScheduledTimePlaceholder is the EventBridge Scheduler context attribute
// a trigger's input puts in ScheduledTime; Scheduler replaces it with the
// fire's scheduled time when it invokes the target.
const ScheduledTimePlaceholder = "<aws.scheduler.scheduled-time>"

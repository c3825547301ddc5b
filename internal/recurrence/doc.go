// Package recurrence is the domain rule behind partner scan schedules: a
// start time of day in an IANA time zone, every day, on one weekday a week,
// or on one day a month. It computes the rule's fire times (Rule.Next), the
// EventBridge Scheduler cron expression that fires them (Rule.Expression),
// and whether a fire Scheduler delivered is one of them (Rule.Due).
//
// The fire times are exactly those of an EventBridge Scheduler schedule with
// that cron expression and ScheduleExpressionTimezone set to the rule's zone:
// the cron is evaluated on the zone's wall clock, to the minute.
//
// # Daylight saving time
//
// Spring forward: when the rule's time of day does not exist on a day (New
// York's 02:30 on the Sunday clocks go from 02:00 to 03:00), there is no
// fire that day. Scheduler documents the same: "your schedule invocation
// gets skipped if the cron expression falls on a non-existent date and
// time". The fire is not moved to 03:30 or to any other time.
//
// Fall back: when the rule's time of day occurs twice on a day (New York's
// 01:30 on the Sunday clocks go from 02:00 back to 01:00), there is one fire,
// at the first occurrence, the earlier instant, still on the daylight-saving
// offset; Scheduler "runs only once and doesn't repeat its invocation".
//
// Zones whose shift is not an hour (Australia/Lord_Howe moves by 30
// minutes) and zones without daylight saving time (Asia/Kolkata at +05:30,
// Europe/Istanbul at +03:00) follow the same two rules. The package does not
// rely on time.Date for these cases (its choice for an ambiguous or
// nonexistent wall time is unspecified): it tries each UTC offset the zone
// uses around the day and keeps the instants whose wall clock in the zone is
// the rule's time, the earliest of them, or none.
//
// # Month ends
//
// A monthly rule on day D fires on day min(D, days in the month): day 31
// fires on the last day of every month, days 29 and 30 on the last day of
// February (the 28th, or the 29th in a leap year), and on their own day in
// every other month. Days 1 to 28 exist in every month.
//
// Scheduler's cron has no "day D, or the last day when the month is
// shorter". Day 31 is exactly its "L" (last day of the month). Days 29 and
// 30 are not: "29" never fires in a common-year February, and "L" would fire
// on the 31st. So their expression is "28-31", which fires on the 28th and
// every later day the month has, a superset that always contains the rule's
// day; the dispatcher passes each fire through Rule.Due, which keeps only the
// rule's own day and drops the others. Due is also what drops a fire of a
// stale expression that was still in flight when the rule changed.
package recurrence

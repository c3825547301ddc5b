package recurrence

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
	_ "time/tzdata" // Lambda's provided.al2023 has no zoneinfo: embed the IANA database.
)

// Frequency is how often a Rule fires: Daily, Weekly or Monthly. Any other
// value is rejected by Rule.Validate.
type Frequency string

// The frequencies a Rule may have.
const (
	// Daily fires every day at the rule's time of day.
	Daily Frequency = "daily"
	// Weekly fires once a week, on the rule's Weekday.
	Weekly Frequency = "weekly"
	// Monthly fires once a month, on the rule's DayOfMonth (or the month's
	// last day when the month is shorter).
	Monthly Frequency = "monthly"
)

// Frequencies lists every valid Frequency, in the order an API documents
// them. Callers must not modify it.
var Frequencies = []Frequency{Daily, Weekly, Monthly}

// Rule is a recurring schedule: a start time of day (Hour:Minute on the
// wall clock of Location) every day, on one weekday a week, or on one day
// a month. The zero Rule is not valid; call Validate before using a Rule
// built from input. Next, Due and Expression never fail: on a rule that
// Validate rejects they return nil, false and "" respectively.
type Rule struct {
	Frequency Frequency
	// Weekday is the day a Weekly rule fires; other frequencies ignore it.
	// Its zero value, time.Sunday, is a valid weekday, so Validate cannot
	// tell "Sunday" from "not given": the API layer requires the field and
	// parses it with ParseWeekday before building the Rule.
	Weekday time.Weekday
	// DayOfMonth is the day a Monthly rule fires, 1 to 31; other frequencies
	// ignore it. 29, 30 and 31 mean the month's last day in months that
	// are shorter. 0 (not given) is rejected by Validate.
	DayOfMonth int
	// Hour and Minute are the time of day on Location's wall clock, 0–23
	// and 0–59.
	Hour, Minute int
	// Location is the IANA time zone, as returned by LoadLocation.
	Location *time.Location
}

// ParseClock parses a time of day written "HH:MM", exactly two ASCII digits
// each, from "00:00" to "23:59", into its hour and minute. On any other
// input it returns 0, 0 and an error whose text suits an API field reason,
// e.g. `"25:00" is not a time of day: use HH:MM from 00:00 to 23:59`.
func ParseClock(s string) (hour, minute int, err error) {
	digits := func(a, b byte) (int, bool) {
		if a < '0' || a > '9' || b < '0' || b > '9' {
			return 0, false
		}
		return int(a-'0')*10 + int(b-'0'), true
	}
	if len(s) == 5 && s[2] == ':' {
		h, okH := digits(s[0], s[1])
		m, okM := digits(s[3], s[4])
		if okH && okM && h <= 23 && m <= 59 {
			return h, m, nil
		}
	}
	return 0, 0, fmt.Errorf("%q is not a time of day: use HH:MM from 00:00 to 23:59", s)
}

// weekdayNames are the API's (and Scheduler cron's) day names, indexed by
// time.Weekday.
var weekdayNames = [7]string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}

// ParseWeekday parses a day name as the API takes it, upper case: "MON",
// "TUE", "WED", "THU", "FRI", "SAT" or "SUN". Any other input ("mon",
// "Monday", "") returns time.Sunday and an error listing the valid values.
func ParseWeekday(s string) (time.Weekday, error) {
	for d, name := range weekdayNames {
		if s == name {
			return time.Weekday(d), nil
		}
	}
	return time.Sunday, fmt.Errorf("%q is not a day of the week: use one of MON, TUE, WED, THU, FRI, SAT, SUN", s)
}

// WeekdayName returns the API's name of d, "MON" to "SUN" (the names
// ParseWeekday takes and Expression writes). It returns "" for a value
// outside time.Sunday…time.Saturday; it never panics.
func WeekdayName(d time.Weekday) string {
	if d < time.Sunday || d > time.Saturday {
		return ""
	}
	return weekdayNames[d]
}

// LoadLocation loads the IANA time zone called name, such as
// "America/New_York", "UTC" or "Etc/UTC". It returns nil and an error that
// suits an API field reason when name is empty, is "Local" (the machine's
// zone, which means nothing to Scheduler), or is not a zone time.LoadLocation
// knows. The IANA database is embedded, so the answer does not depend on
// the machine's zoneinfo files being present.
func LoadLocation(name string) (*time.Location, error) {
	switch name {
	case "":
		return nil, errors.New(`a time zone is required: use an IANA name such as "America/New_York" or "UTC"`)
	case "Local":
		return nil, errors.New(`"Local" is not an IANA time zone: use a name such as "America/New_York" or "UTC"`)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%q is not an IANA time zone: use a name such as \"America/New_York\" or \"UTC\"", name)
	}
	return loc, nil
}

// Validate reports whether r can be used: its Frequency is one of
// Frequencies, a Weekly rule's Weekday is time.Sunday…time.Saturday, a
// Monthly rule's DayOfMonth is 1–31, Hour is 0–23, Minute is 0–59 and
// Location is not nil. It returns nil when r is valid, otherwise an error
// naming the first problem found. Fields the frequency does not use are
// not checked. Validate cannot detect a missing Weekday (see Rule.Weekday).
func (r Rule) Validate() error {
	switch r.Frequency {
	case Daily:
	case Weekly:
		if r.Weekday < time.Sunday || r.Weekday > time.Saturday {
			return fmt.Errorf("weekday %d is not a day of the week: use MON to SUN", int(r.Weekday))
		}
	case Monthly:
		if r.DayOfMonth == 0 {
			return errors.New("a monthly rule needs a day of the month, 1 to 31")
		}
		if r.DayOfMonth < 1 || r.DayOfMonth > 31 {
			return fmt.Errorf("day of month %d is out of range: use 1 to 31", r.DayOfMonth)
		}
	case "":
		return errors.New("a frequency is required: use daily, weekly or monthly")
	default:
		return fmt.Errorf("%q is not a frequency: use daily, weekly or monthly", string(r.Frequency))
	}
	if r.Hour < 0 || r.Hour > 23 {
		return fmt.Errorf("hour %d is out of range: use 0 to 23", r.Hour)
	}
	if r.Minute < 0 || r.Minute > 59 {
		return fmt.Errorf("minute %d is out of range: use 0 to 59", r.Minute)
	}
	if r.Location == nil {
		return errors.New("a time zone is required")
	}
	return nil
}

// maxSkips bounds how many candidate days in a row Next may find without a
// fire (its time of day does not exist that day) before it gives up. A real
// zone skips a given wall-clock time at most once or twice a year, never on
// consecutive candidate days, so the bound only matters for guaranteeing
// termination.
const maxSkips = 64

// Next returns the rule's next n fire times strictly after `after` (a fire
// at exactly `after` is not included), in UTC, ascending. It returns nil
// when n <= 0 or r is not valid (see Validate). It walks candidate days or
// months, not minutes, and always terminates; it would return fewer than n
// times only if the rule's time of day did not exist on many consecutive
// candidate days, which no real zone does.
func (r Rule) Next(after time.Time, n int) []time.Time {
	if n <= 0 || r.Validate() != nil {
		return nil
	}
	// Start a day before after's local date: a fire strictly after `after`
	// is never on an earlier local date than that, even in a zone whose
	// clocks go back across midnight.
	la := after.In(r.Location)
	start := time.Date(la.Year(), la.Month(), la.Day()-1, 0, 0, 0, 0, time.UTC)
	out := make([]time.Time, 0, min(n, 1024))
	skips := 0
	for day := r.firstCandidate(start); len(out) < n && skips < maxSkips; day = r.nextCandidate(day) {
		fire, ok := r.fireOn(day)
		if !ok {
			skips++
			continue
		}
		skips = 0
		if fire.After(after) {
			out = append(out, fire)
		}
	}
	return out
}

// Due reports whether t, a fire time as EventBridge Scheduler reports it
// (to the minute), is a fire time of r, and if so returns that fire time in
// UTC. Any t in the same minute as a fire time counts, from the fire time
// itself up to but not including one minute later (Scheduler's precision is
// 60 seconds). It returns the zero time and false when t is not a fire time:
// a day a "28-31" expression fires that is not the rule's day, a wall-clock
// time skipped by spring forward, the second (standard-offset) occurrence
// of a fall-back time, a fire of an expression the rule no longer has, or
// any t when r is not valid.
func (r Rule) Due(t time.Time) (time.Time, bool) {
	if r.Validate() != nil {
		return time.Time{}, false
	}
	lt := t.In(r.Location)
	// The fire t belongs to is on t's local date, or one day either side
	// when a clock change crosses midnight.
	for k := -1; k <= 1; k++ {
		day := time.Date(lt.Year(), lt.Month(), lt.Day()+k, 0, 0, 0, 0, time.UTC)
		if !r.firesOnDay(day) {
			continue
		}
		fire, ok := r.fireOn(day)
		if ok && !t.Before(fire) && t.Before(fire.Add(time.Minute)) {
			return fire, true
		}
	}
	return time.Time{}, false
}

// Expression returns the EventBridge Scheduler schedule expression to use
// with ScheduleExpressionTimezone set to the rule's zone; its fires, passed
// through Due, are exactly the times Next returns:
//
//	daily:                  "cron(M H * * ? *)"
//	weekly:                 "cron(M H ? * MON *)", the day as WeekdayName writes it
//	monthly, day 1–28:      "cron(M H D * ? *)"
//	monthly, day 29 or 30:  "cron(M H 28-31 * ? *)", a superset that Due filters
//	monthly, day 31:        "cron(M H L * ? *)", the last day of every month
//
// M and H are the minute and hour without leading zeros. Expression returns
// "" when r is not valid (see Validate).
func (r Rule) Expression() string {
	if r.Validate() != nil {
		return ""
	}
	m, h := strconv.Itoa(r.Minute), strconv.Itoa(r.Hour)
	switch r.Frequency {
	case Weekly:
		return "cron(" + m + " " + h + " ? * " + WeekdayName(r.Weekday) + " *)"
	case Monthly:
		dom := strconv.Itoa(r.DayOfMonth)
		switch r.DayOfMonth {
		case 29, 30:
			dom = "28-31"
		case 31:
			dom = "L"
		}
		return "cron(" + m + " " + h + " " + dom + " * ? *)"
	default:
		return "cron(" + m + " " + h + " * * ? *)"
	}
}

// Days are civil dates, represented as midnight UTC so that date arithmetic
// (AddDate, time.Date normalisation) is exact.

// daysIn returns the number of days of month m of year y.
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// monthlyDay returns the day a Monthly rule fires in month m of year y.
func (r Rule) monthlyDay(y int, m time.Month) int {
	return min(r.DayOfMonth, daysIn(y, m))
}

// firesOnDay reports whether day is one of the rule's days (whether or not
// its time of day exists on it).
func (r Rule) firesOnDay(day time.Time) bool {
	switch r.Frequency {
	case Weekly:
		return day.Weekday() == r.Weekday
	case Monthly:
		return day.Day() == r.monthlyDay(day.Year(), day.Month())
	default:
		return true
	}
}

// firstCandidate returns the first of the rule's days on or after day.
func (r Rule) firstCandidate(day time.Time) time.Time {
	switch r.Frequency {
	case Weekly:
		return day.AddDate(0, 0, (int(r.Weekday)-int(day.Weekday())+7)%7)
	case Monthly:
		y, m := day.Year(), day.Month()
		if d := r.monthlyDay(y, m); d >= day.Day() {
			return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		}
		return r.nextCandidate(day)
	default:
		return day
	}
}

// nextCandidate returns the rule's day after day, which is one of them.
func (r Rule) nextCandidate(day time.Time) time.Time {
	switch r.Frequency {
	case Weekly:
		return day.AddDate(0, 0, 7)
	case Monthly:
		first := time.Date(day.Year(), day.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		return time.Date(first.Year(), first.Month(), r.monthlyDay(first.Year(), first.Month()), 0, 0, 0, 0, time.UTC)
	default:
		return day.AddDate(0, 0, 1)
	}
}

// fireOn returns the rule's fire on day, in UTC: the earliest instant whose
// wall clock in r.Location is day at Hour:Minute:00. ok is false when that
// wall clock does not exist on day (spring forward).
func (r Rule) fireOn(day time.Time) (fire time.Time, ok bool) {
	y, m, d := day.Date()
	wall := time.Date(y, m, d, r.Hour, r.Minute, 0, 0, time.UTC)
	for _, off := range offsetsAround(r.Location, wall) {
		at := wall.Add(-time.Duration(off) * time.Second)
		lt := at.In(r.Location)
		if lt.Year() == y && lt.Month() == m && lt.Day() == d &&
			lt.Hour() == r.Hour && lt.Minute() == r.Minute && lt.Second() == 0 &&
			(!ok || at.Before(fire)) {
			fire, ok = at, true
		}
	}
	return fire, ok
}

// offsetsAround returns the UTC offsets, in seconds, that loc uses at some
// instant within 26 hours of wall read as a UTC instant. Every instant whose
// wall clock in loc is wall lies in that window (no zone's offset exceeds
// 26 hours), so its offset is among them.
func offsetsAround(loc *time.Location, wall time.Time) []int {
	from, to := wall.Add(-26*time.Hour), wall.Add(26*time.Hour)
	var offs []int
	for at := from; ; {
		lt := at.In(loc)
		if _, off := lt.Zone(); !slices.Contains(offs, off) {
			offs = append(offs, off)
		}
		_, end := lt.ZoneBounds()
		if end.IsZero() || !end.After(at) || !end.Before(to) {
			return offs
		}
		at = end
	}
}

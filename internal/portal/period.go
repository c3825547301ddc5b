package portal

import "time"

// Period is one billing period of a license: [Start, End) in UTC.
type Period struct {
	Start time.Time
	End   time.Time
}

// Contains reports whether t falls in p.
func (p Period) Contains(t time.Time) bool { return !t.Before(p.Start) && t.Before(p.End) }

// PeriodAt returns the billing period of a license starting at start with
// billing period b that contains t. Periods are counted from the license
// start in UTC: monthly periods begin on the start's day of the month (the
// last day in shorter months: a license starting 31 January has periods
// from 28/29 February, 31 March, 30 April...), annual periods on its
// anniversary; every period begins at the start's time of day. Before
// start, the first period is returned.
func PeriodAt(start time.Time, b BillingPeriod, t time.Time) Period {
	start = start.UTC()
	months := 1
	if b == PeriodAnnual {
		months = 12
	}
	k := 0
	if t.After(start) {
		t = t.UTC()
		k = ((t.Year()-start.Year())*12 + int(t.Month()-start.Month())) / months
		for k > 0 && periodStart(start, k*months).After(t) {
			k--
		}
		for !periodStart(start, (k+1)*months).After(t) {
			k++
		}
	}
	return Period{Start: periodStart(start, k*months), End: periodStart(start, (k+1)*months)}
}

// periodStart is start moved by n months, its day clamped to the month's length.
func periodStart(start time.Time, n int) time.Time {
	y, m := start.Year(), int(start.Month())-1+n
	y, m = y+m/12, m%12
	if m < 0 {
		y, m = y-1, m+12
	}
	first := time.Date(y, time.Month(m+1), 1, start.Hour(), start.Minute(), start.Second(), start.Nanosecond(), time.UTC)
	day := min(start.Day(), first.AddDate(0, 1, -1).Day())
	return first.AddDate(0, 0, day-1)
}

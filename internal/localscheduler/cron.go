package localscheduler

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cron field bounds, as EventBridge Scheduler documents them. Day-of-week
// numbers start at 1 for Sunday: 1=SUN … 7=SAT.
const (
	minYear = 1970
	maxYear = 2199
)

// ErrNoNextFire is returned by NextFire when the expression has no fire
// after the given time: an at() expression whose time has passed (or does
// not exist in the zone), or a cron expression that matches no time left
// before the end of year 2199, the last year a cron year field accepts.
var ErrNoNextFire = errors.New("localscheduler: the schedule expression has no fire after the given time")

// NextFire returns the first fire time of the schedule expression expr,
// evaluated in the IANA zone (UTC when ""), strictly after `after`. The
// result is an instant (in UTC) with whole seconds: cron fires are on the
// minute, at() fires at its second.
//
// Supported expressions:
//
//   - cron(minutes hours day-of-month month day-of-week year): numbers,
//     lists (a,b), ranges (a-b), steps (*/n, a/n, a-b/n), "*", "?" (exactly
//     one of day-of-month and day-of-week must be "?"), "L" alone in
//     day-of-month (the last day of the month), month names JAN–DEC and day
//     names SUN–SAT (case-insensitive; day-of-week numbers are 1=SUN …
//     7=SAT), years 1970–2199. "W", "#" and "L" in day-of-week, which AWS
//     accepts, are rejected here rather than evaluated wrongly; so are
//     descending ranges (22-2).
//   - at(yyyy-mm-ddThh:mm:ss): one fire at that wall-clock time.
//
// rate(…) expressions are valid in EventBridge Scheduler but rejected here.
//
// Daylight saving time is handled as EventBridge Scheduler documents: a
// wall-clock time that does not exist in the zone (spring forward) has no
// fire; a wall-clock time that occurs twice (fall back) fires once, at the
// first (earlier) instant. The offsets are computed from the zone's
// transitions, not left to time.Date.
//
// Errors: an error describing the problem when expr is not a supported
// expression or zone is not a zone Go knows; ErrNoNextFire when there is no
// fire after `after`.
func NextFire(expr, zone string, after time.Time) (time.Time, error) {
	e, err := parseExpression(expr)
	if err != nil {
		return time.Time{}, err
	}
	loc, err := loadZone(zone)
	if err != nil {
		return time.Time{}, err
	}
	t, ok := e.next(loc, after)
	if !ok {
		return time.Time{}, ErrNoNextFire
	}
	return t, nil
}

// loadZone returns the location of an IANA zone name; "" is UTC. "Local"
// is refused: it is not a zone name Scheduler knows.
func loadZone(zone string) (*time.Location, error) {
	if zone == "" {
		return time.UTC, nil
	}
	if zone == "Local" {
		return nil, fmt.Errorf("unknown time zone %q", zone)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", zone)
	}
	return loc, nil
}

// expression is a parsed schedule expression: cron (cron != nil) or at.
type expression struct {
	cron *cronSpec
	at   time.Time // wall-clock time of an at() expression, as UTC
}

// oneTime reports whether the expression fires once (at()).
func (e *expression) oneTime() bool { return e.cron == nil }

func (e *expression) next(loc *time.Location, after time.Time) (time.Time, bool) {
	if e.cron != nil {
		return e.cron.next(loc, after)
	}
	t, ok := resolveWall(loc, e.at)
	if !ok || !t.After(after) {
		return time.Time{}, false
	}
	return t, true
}

func parseExpression(expr string) (*expression, error) {
	switch {
	case strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")"):
		c, err := parseCron(expr[len("cron(") : len(expr)-1])
		if err != nil {
			return nil, err
		}
		return &expression{cron: c}, nil
	case strings.HasPrefix(expr, "at(") && strings.HasSuffix(expr, ")"):
		t, err := time.Parse("2006-01-02T15:04:05", expr[len("at("):len(expr)-1])
		if err != nil {
			return nil, fmt.Errorf("at() needs a time yyyy-mm-ddThh:mm:ss")
		}
		return &expression{at: t}, nil
	case strings.HasPrefix(expr, "rate(") && strings.HasSuffix(expr, ")"):
		return nil, fmt.Errorf("rate() expressions are valid in EventBridge Scheduler but not supported by the local Scheduler; use cron()")
	default:
		return nil, fmt.Errorf("the expression must be cron(…), at(…) or rate(…)")
	}
}

// bits is a set of small non-negative integers (field values minus the
// field's minimum).
type bits [4]uint64

func (b *bits) set(i int)     { b[i/64] |= 1 << (i % 64) }
func (b bits) has(i int) bool { return i >= 0 && i < 256 && b[i/64]&(1<<(i%64)) != 0 }

// field describes one cron field.
type field struct {
	name     string
	min, max int
	names    map[string]int
}

var (
	minutesField = field{name: "minutes", min: 0, max: 59}
	hoursField   = field{name: "hours", min: 0, max: 23}
	domField     = field{name: "day-of-month", min: 1, max: 31}
	monthField   = field{name: "month", min: 1, max: 12, names: map[string]int{
		"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
		"JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12,
	}}
	dowField = field{name: "day-of-week", min: 1, max: 7, names: map[string]int{
		"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7,
	}}
	yearField = field{name: "year", min: minYear, max: maxYear}
)

// cronSpec is a parsed cron expression. Sets are indexed by value minus the
// field's minimum.
type cronSpec struct {
	minutes, hours, dom, months, dow, years bits
	domAny, dowAny                          bool // the field is "?"
	lastDay                                 bool // day-of-month is "L"
}

func parseCron(s string) (*cronSpec, error) {
	f := strings.Fields(s)
	if len(f) != 6 {
		return nil, fmt.Errorf("a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), not %d", len(f))
	}
	c := &cronSpec{}
	var err error
	if c.minutes, err = minutesField.parse(f[0]); err != nil {
		return nil, err
	}
	if c.hours, err = hoursField.parse(f[1]); err != nil {
		return nil, err
	}
	if c.months, err = monthField.parse(f[3]); err != nil {
		return nil, err
	}
	if c.years, err = yearField.parse(f[5]); err != nil {
		return nil, err
	}
	c.domAny, c.dowAny = f[2] == "?", f[4] == "?"
	if c.domAny == c.dowAny {
		return nil, fmt.Errorf("exactly one of day-of-month and day-of-week must be ?")
	}
	switch {
	case c.domAny:
	case strings.EqualFold(f[2], "L"):
		c.lastDay = true
	case strings.ContainsAny(f[2], "LlWw#"):
		return nil, fmt.Errorf("day-of-month %q: only a plain L (the last day of the month) is supported by the local Scheduler", f[2])
	default:
		if c.dom, err = domField.parse(f[2]); err != nil {
			return nil, err
		}
	}
	if !c.dowAny {
		if strings.ContainsAny(f[4], "#") || strings.HasSuffix(strings.ToUpper(f[4]), "L") {
			return nil, fmt.Errorf("day-of-week %q: L and # are not supported by the local Scheduler", f[4])
		}
		if c.dow, err = dowField.parse(f[4]); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// parse reads a comma-separated list of "*", values, ranges and steps.
func (fd field) parse(s string) (bits, error) {
	var b bits
	if s == "" {
		return b, fmt.Errorf("%s field is empty", fd.name)
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, step := fd.min, fd.max, 1
		rng, stepText, hasStep := strings.Cut(part, "/")
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return b, fmt.Errorf("%s field %q: the step must be a positive number", fd.name, part)
			}
			step = n
		}
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, z, _ := strings.Cut(rng, "-")
			var err error
			if lo, err = fd.value(a); err != nil {
				return b, err
			}
			if hi, err = fd.value(z); err != nil {
				return b, err
			}
			if lo > hi {
				return b, fmt.Errorf("%s field %q: a range must not descend", fd.name, part)
			}
		default:
			v, err := fd.value(rng)
			if err != nil {
				return b, err
			}
			lo = v
			if !hasStep {
				hi = v
			}
		}
		for v := lo; v <= hi; v += step {
			b.set(v - fd.min)
		}
	}
	return b, nil
}

func (fd field) value(s string) (int, error) {
	if v, ok := fd.names[strings.ToUpper(s)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || s == "" || s[0] == '+' || s[0] == '-' {
		if strings.ContainsAny(s, "LW#") {
			return 0, fmt.Errorf("%s field: %q is not supported by the local Scheduler", fd.name, s)
		}
		return 0, fmt.Errorf("%s field: %q is not a value", fd.name, s)
	}
	if v < fd.min || v > fd.max {
		return 0, fmt.Errorf("%s field: %d is outside %d-%d", fd.name, v, fd.min, fd.max)
	}
	return v, nil
}

// next walks the zone's calendar days from the day of `after` (less the
// largest backward clock shift that could make an earlier wall time a later
// instant) and returns the first matching wall-clock minute whose instant is
// after `after`. Wall-clock times are handled as UTC times ("wall times") so
// that date arithmetic is exact; resolveWall maps them to instants.
func (c *cronSpec) next(loc *time.Location, after time.Time) (time.Time, bool) {
	start := wallOf(after.In(loc)).Add(-backShift(loc, after))
	day := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC)
	for day.Year() <= maxYear {
		y, m := day.Year(), day.Month()
		if !c.years.has(y - minYear) {
			day = time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if !c.months.has(int(m) - 1) {
			day = time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if c.dayMatches(day) {
			for h := 0; h < 24; h++ {
				if !c.hours.has(h) {
					continue
				}
				for mi := 0; mi < 60; mi++ {
					if !c.minutes.has(mi) {
						continue
					}
					w := day.Add(time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute)
					if w.Before(start) {
						continue
					}
					if t, ok := resolveWall(loc, w); ok && t.After(after) {
						return t, true
					}
				}
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return time.Time{}, false
}

func (c *cronSpec) dayMatches(day time.Time) bool {
	switch {
	case c.domAny:
		return c.dow.has(int(day.Weekday())) // SUN=1 minus min 1 = 0 = time.Sunday
	case c.lastDay:
		return day.Day() == daysIn(day.Year(), day.Month())
	default:
		return c.dom.has(day.Day() - 1)
	}
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// wallOf returns t's wall clock in its location as a UTC time.
func wallOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// backShift returns how far the zone's clock is set back (fall back) in the
// two days from t: a wall time that much before t's wall time can still be
// an instant after t.
func backShift(loc *time.Location, t time.Time) time.Duration {
	_, off0 := t.In(loc).Zone()
	shift := 0
	end := t.Add(48 * time.Hour)
	for p := t; p.Before(end); {
		lt := p.In(loc)
		if _, off := lt.Zone(); off0-off > shift {
			shift = off0 - off
		}
		_, next := lt.ZoneBounds()
		if next.IsZero() || !next.After(p) {
			break
		}
		p = next
	}
	return time.Duration(shift) * time.Second
}

// resolveWall returns the instant at which the zone's clock shows wall (a
// wall-clock time given as UTC): false when no instant does (the time is
// skipped by a forward shift), the earliest when several do (the time is
// repeated by a backward shift). It tries the offset of every zone period
// around wall and keeps the instants that fall inside their own period.
func resolveWall(loc *time.Location, wall time.Time) (time.Time, bool) {
	var best time.Time
	found := false
	hi := wall.Add(30 * time.Hour)
	for p := wall.Add(-30 * time.Hour); ; {
		lt := p.In(loc)
		_, off := lt.Zone()
		startB, endB := lt.ZoneBounds()
		t := wall.Add(-time.Duration(off) * time.Second)
		inPeriod := (startB.IsZero() || !t.Before(startB)) && (endB.IsZero() || t.Before(endB))
		if inPeriod && wallOf(t.In(loc)).Equal(wall) && (!found || t.Before(best)) {
			best, found = t, true
		}
		if endB.IsZero() || !endB.Before(hi) || !endB.After(p) {
			break
		}
		p = endB
	}
	return best.UTC(), found
}

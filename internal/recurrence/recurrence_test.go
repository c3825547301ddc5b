package recurrence

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Expected instants below are worked out by hand from the zones' rules, not
// computed with the code under test.

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}

func instant(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("time.Parse(%q): %v", s, err)
	}
	return at
}

// next formats r.Next(after, n) as a comma-separated list of RFC 3339 UTC
// instants, so it compares with a literal.
func next(t *testing.T, r Rule, after string, n int) string {
	t.Helper()
	times := r.Next(instant(t, after), n)
	s := make([]string, len(times))
	for i, at := range times {
		if at.Location() != time.UTC {
			t.Fatalf("Next returned %v, not in UTC", at)
		}
		s[i] = at.Format(time.RFC3339)
	}
	return strings.Join(s, ", ")
}

func daily(loc *time.Location, hour, minute int) Rule {
	return Rule{Frequency: Daily, Hour: hour, Minute: minute, Location: loc}
}

func weekly(loc *time.Location, day time.Weekday, hour, minute int) Rule {
	return Rule{Frequency: Weekly, Weekday: day, Hour: hour, Minute: minute, Location: loc}
}

func monthly(loc *time.Location, day, hour, minute int) Rule {
	return Rule{Frequency: Monthly, DayOfMonth: day, Hour: hour, Minute: minute, Location: loc}
}

func TestNextAcrossSpringForward(t *testing.T) {
	ny := zone(t, "America/New_York") // 2026-03-08 02:00 EST (-05:00) → 03:00 EDT (-04:00)

	t.Run("spring forward skips the nonexistent 02:30", func(t *testing.T) {
		got := next(t, daily(ny, 2, 30), "2026-03-06T12:00:00Z", 3)
		want := "2026-03-07T07:30:00Z, 2026-03-09T06:30:00Z, 2026-03-10T06:30:00Z"
		if got != want {
			t.Fatalf("Next = %v, want %v", got, want)
		}
	})
	t.Run("09:00 is 14:00Z on EST and 13:00Z on EDT", func(t *testing.T) {
		got := next(t, daily(ny, 9, 0), "2026-03-06T15:00:00Z", 3)
		want := "2026-03-07T14:00:00Z, 2026-03-08T13:00:00Z, 2026-03-09T13:00:00Z"
		if got != want {
			t.Fatalf("Next = %v, want %v", got, want)
		}
	})
	t.Run("03:00, the first time after the gap, still fires", func(t *testing.T) {
		if got, want := next(t, daily(ny, 3, 0), "2026-03-08T00:00:00Z", 1), "2026-03-08T07:00:00Z"; got != want {
			t.Fatalf("Next = %v, want %v", got, want)
		}
	})
	t.Run("a monthly rule on the day of the gap skips that month", func(t *testing.T) {
		got := next(t, monthly(ny, 8, 2, 30), "2026-02-01T00:00:00Z", 3)
		want := "2026-02-08T07:30:00Z, 2026-04-08T06:30:00Z, 2026-05-08T06:30:00Z"
		if got != want {
			t.Fatalf("Next = %v, want %v", got, want)
		}
	})
	t.Run("a weekly rule on the day of the gap skips that week", func(t *testing.T) {
		got := next(t, weekly(ny, time.Sunday, 2, 30), "2026-03-01T00:00:00Z", 3)
		want := "2026-03-01T07:30:00Z, 2026-03-15T06:30:00Z, 2026-03-22T06:30:00Z"
		if got != want {
			t.Fatalf("Next = %v, want %v", got, want)
		}
	})
}

func TestNextAcrossFallBack(t *testing.T) {
	ny := zone(t, "America/New_York") // 2026-11-01 02:00 EDT (-04:00) → 01:00 EST (-05:00)

	t.Run("the repeated 01:30 fires once, at the first (EDT) occurrence", func(t *testing.T) {
		got := next(t, daily(ny, 1, 30), "2026-10-30T12:00:00Z", 3)
		want := "2026-10-31T05:30:00Z, 2026-11-01T05:30:00Z, 2026-11-02T06:30:00Z"
		if got != want {
			t.Fatalf("Next = %v, want %v", got, want)
		}
	})
	t.Run("after the first 01:30 the next fire is the next day, not the second 01:30 at 06:30Z", func(t *testing.T) {
		if got, want := next(t, daily(ny, 1, 30), "2026-11-01T05:30:00Z", 1), "2026-11-02T06:30:00Z"; got != want {
			t.Fatalf("Next = %v, want %v", got, want)
		}
	})
	t.Run("09:00 is 13:00Z on EDT and 14:00Z on EST", func(t *testing.T) {
		got := next(t, daily(ny, 9, 0), "2026-10-31T00:00:00Z", 3)
		want := "2026-10-31T13:00:00Z, 2026-11-01T14:00:00Z, 2026-11-02T14:00:00Z"
		if got != want {
			t.Fatalf("Next = %v, want %v", got, want)
		}
	})
}

func TestNextInZonesWithoutDST(t *testing.T) {
	t.Run("Istanbul (+03:00 all year) weekly MON 09:00 is always 06:00Z", func(t *testing.T) {
		ist := zone(t, "Europe/Istanbul")
		mon := weekly(ist, time.Monday, 9, 0)
		for _, c := range []struct{ after, want string }{
			{"2026-01-01T00:00:00Z", "2026-01-05T06:00:00Z, 2026-01-12T06:00:00Z, 2026-01-19T06:00:00Z"},
			// Europe's clocks change on 2026-03-29 and 2026-10-25; Istanbul's do not.
			{"2026-03-20T00:00:00Z", "2026-03-23T06:00:00Z, 2026-03-30T06:00:00Z, 2026-04-06T06:00:00Z"},
			{"2026-10-20T00:00:00Z", "2026-10-26T06:00:00Z, 2026-11-02T06:00:00Z, 2026-11-09T06:00:00Z"},
		} {
			if got := next(t, mon, c.after, 3); got != c.want {
				t.Fatalf("Next after %s = %v, want %v", c.after, got, c.want)
			}
		}
	})
	t.Run("Kolkata (+05:30) daily 00:15 is 18:45Z the previous UTC day", func(t *testing.T) {
		got := next(t, daily(zone(t, "Asia/Kolkata"), 0, 15), "2026-01-01T00:00:00Z", 2)
		want := "2026-01-01T18:45:00Z, 2026-01-02T18:45:00Z"
		if got != want {
			t.Fatalf("Next = %v, want %v", got, want)
		}
	})
	t.Run("UTC daily 00:00 is midnight UTC", func(t *testing.T) {
		if got, want := next(t, daily(time.UTC, 0, 0), "2026-12-31T12:00:00Z", 1), "2027-01-01T00:00:00Z"; got != want {
			t.Fatalf("Next = %v, want %v", got, want)
		}
	})
}

func TestNextInHalfHourDST(t *testing.T) {
	// Australia/Lord_Howe: +10:30 standard, +11:00 daylight. In 2026 daylight
	// time ends Sun 2026-04-05 at 02:00 (+11:00) → 01:30 (+10:30), i.e. at
	// 2026-04-04T15:00Z, and starts Sun 2026-10-04 at 02:00 (+10:30) → 02:30
	// (+11:00), i.e. at 2026-10-03T15:30Z.
	lh := zone(t, "Australia/Lord_Howe")

	t.Run("spring forward skips the nonexistent 02:15", func(t *testing.T) {
		got := next(t, daily(lh, 2, 15), "2026-10-02T00:00:00Z", 2)
		want := "2026-10-02T15:45:00Z, 2026-10-04T15:15:00Z"
		if got != want {
			t.Fatalf("Next = %v, want %v", got, want)
		}
	})
	t.Run("the repeated 01:45 fires once, at the first (+11:00) occurrence", func(t *testing.T) {
		got := next(t, daily(lh, 1, 45), "2026-04-03T00:00:00Z", 3)
		want := "2026-04-03T14:45:00Z, 2026-04-04T14:45:00Z, 2026-04-05T15:15:00Z"
		if got != want {
			t.Fatalf("Next = %v, want %v", got, want)
		}
	})
}

func TestNextAtMonthEnds(t *testing.T) {
	for _, c := range []struct {
		name       string
		day        int
		after      string
		n          int
		want       string
		zoneOrUTC  string
		hour, mins int
	}{
		{"day 31 fires on the last day of shorter months", 31, "2026-01-01T00:00:00Z", 4,
			"2026-01-31T09:00:00Z, 2026-02-28T09:00:00Z, 2026-03-31T09:00:00Z, 2026-04-30T09:00:00Z", "UTC", 9, 0},
		{"day 31 fires on Feb 29 in a leap year", 31, "2028-02-01T00:00:00Z", 2,
			"2028-02-29T09:00:00Z, 2028-03-31T09:00:00Z", "UTC", 9, 0},
		{"day 30 fires on Feb 28 in a common year", 30, "2026-02-01T00:00:00Z", 3,
			"2026-02-28T09:00:00Z, 2026-03-30T09:00:00Z, 2026-04-30T09:00:00Z", "UTC", 9, 0},
		{"day 30 fires on Feb 29 in a leap year", 30, "2028-02-01T00:00:00Z", 1,
			"2028-02-29T09:00:00Z", "UTC", 9, 0},
		{"day 29 fires on Feb 28 in a common year", 29, "2026-02-01T00:00:00Z", 2,
			"2026-02-28T09:00:00Z, 2026-03-29T09:00:00Z", "UTC", 9, 0},
		{"day 29 fires on Feb 29 in a leap year", 29, "2028-02-01T00:00:00Z", 2,
			"2028-02-29T09:00:00Z, 2028-03-29T09:00:00Z", "UTC", 9, 0},
		{"day 15 fires on the 15th of every month", 15, "2026-01-01T00:00:00Z", 3,
			"2026-01-15T09:00:00Z, 2026-02-15T09:00:00Z, 2026-03-15T09:00:00Z", "UTC", 9, 0},
		{"day 31 in New York follows the offset of each month end", 31, "2026-02-01T00:00:00Z", 2,
			"2026-02-28T14:00:00Z, 2026-03-31T13:00:00Z", "America/New_York", 9, 0},
		{"day 31 at 23:30 in Kolkata is 18:00Z the same UTC day", 31, "2026-04-01T00:00:00Z", 2,
			"2026-04-30T18:00:00Z, 2026-05-31T18:00:00Z", "Asia/Kolkata", 23, 30},
		{"the walk crosses a year end", 31, "2026-12-31T10:00:00Z", 2,
			"2027-01-31T09:00:00Z, 2027-02-28T09:00:00Z", "UTC", 9, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := monthly(zone(t, c.zoneOrUTC), c.day, c.hour, c.mins)
			if got := next(t, r, c.after, c.n); got != c.want {
				t.Fatalf("Next = %v, want %v", got, c.want)
			}
		})
	}
}

func TestNextWeeklyOnEachWeekday(t *testing.T) {
	// 2026-01-01 is a Thursday.
	for _, c := range []struct{ day, want string }{
		{"MON", "2026-01-05T12:00:00Z, 2026-01-12T12:00:00Z"},
		{"TUE", "2026-01-06T12:00:00Z, 2026-01-13T12:00:00Z"},
		{"WED", "2026-01-07T12:00:00Z, 2026-01-14T12:00:00Z"},
		{"THU", "2026-01-01T12:00:00Z, 2026-01-08T12:00:00Z"},
		{"FRI", "2026-01-02T12:00:00Z, 2026-01-09T12:00:00Z"},
		{"SAT", "2026-01-03T12:00:00Z, 2026-01-10T12:00:00Z"},
		{"SUN", "2026-01-04T12:00:00Z, 2026-01-11T12:00:00Z"},
	} {
		t.Run(c.day+" fires on that day every week", func(t *testing.T) {
			d, err := ParseWeekday(c.day)
			if err != nil {
				t.Fatalf("ParseWeekday(%q): %v", c.day, err)
			}
			if got := next(t, weekly(time.UTC, d, 12, 0), "2026-01-01T00:00:00Z", 2); got != c.want {
				t.Fatalf("Next = %v, want %v", got, c.want)
			}
		})
	}
}

func TestNextIsStrictlyAfter(t *testing.T) {
	r := daily(time.UTC, 9, 0)
	t.Run("a fire exactly at after is not returned", func(t *testing.T) {
		if got, want := next(t, r, "2026-01-01T09:00:00Z", 1), "2026-01-02T09:00:00Z"; got != want {
			t.Fatalf("Next = %v, want %v", got, want)
		}
	})
	t.Run("a fire a moment after after is returned", func(t *testing.T) {
		if got, want := next(t, r, "2026-01-01T08:59:59Z", 1), "2026-01-01T09:00:00Z"; got != want {
			t.Fatalf("Next = %v, want %v", got, want)
		}
	})
	t.Run("after in another zone is the same instant", func(t *testing.T) {
		after := instant(t, "2026-01-01T09:00:00Z").In(zone(t, "Asia/Kolkata"))
		got := r.Next(after, 1)
		if len(got) != 1 {
			t.Fatalf("len(Next) = %d, want 1", len(got))
		}
		if got, want := got[0].Format(time.RFC3339), "2026-01-02T09:00:00Z"; got != want {
			t.Fatalf("Next = %v, want %v", got, want)
		}
	})
}

func TestNextEdgeCases(t *testing.T) {
	t.Run("n <= 0 returns nothing", func(t *testing.T) {
		if got := daily(time.UTC, 9, 0).Next(time.Now(), 0); got != nil {
			t.Fatalf("Next(now, 0) = %v, want nil", got)
		}
	})
	t.Run("an invalid rule returns nothing", func(t *testing.T) {
		if got := monthly(time.UTC, 32, 9, 0).Next(time.Now(), 3); got != nil {
			t.Fatalf("Next = %v, want nil", got)
		}
	})
	t.Run("a long walk is ascending and one day apart", func(t *testing.T) {
		ny := zone(t, "America/New_York")
		times := daily(ny, 2, 30).Next(instant(t, "2026-01-01T00:00:00Z"), 3*365)
		if got, want := len(times), 3*365; got != want {
			t.Fatalf("len(Next) = %d, want %d", got, want)
		}
		for i := 1; i < len(times); i++ {
			gap := times[i].Sub(times[i-1])
			// 23 h or 25 h across a clock change, 47 h across a skipped day.
			if gap != 24*time.Hour && gap != 23*time.Hour && gap != 25*time.Hour && gap != 47*time.Hour {
				t.Fatalf("Next[%d] - Next[%d] = %v (%v, %v)", i, i-1, gap, times[i-1], times[i])
			}
		}
	})
}

func TestDue(t *testing.T) {
	ny := zone(t, "America/New_York")

	t.Run("every time Next returns is due, and any second within its minute", func(t *testing.T) {
		for _, r := range []Rule{
			daily(ny, 2, 30), daily(ny, 1, 30), daily(zone(t, "Australia/Lord_Howe"), 1, 45),
			weekly(zone(t, "Europe/Istanbul"), time.Monday, 9, 0),
			monthly(ny, 30, 9, 0), monthly(ny, 31, 0, 0), monthly(zone(t, "Asia/Kolkata"), 29, 0, 15),
		} {
			for _, fire := range r.Next(instant(t, "2026-01-01T00:00:00Z"), 400) {
				for _, s := range []time.Duration{0, time.Second, 59 * time.Second, 59*time.Second + 999*time.Millisecond} {
					got, ok := r.Due(fire.Add(s))
					if !ok || !got.Equal(fire) {
						t.Fatalf("%s: Due(%v) = %v, %v, want %v, true", r.Expression(), fire.Add(s), got, ok, fire)
					}
				}
				if _, ok := r.Due(fire.Add(time.Minute)); ok {
					t.Fatalf("%s: Due(%v) = true, want false (a minute after the fire)", r.Expression(), fire.Add(time.Minute))
				}
				if _, ok := r.Due(fire.Add(-time.Second)); ok {
					t.Fatalf("%s: Due(%v) = true, want false (before the fire)", r.Expression(), fire.Add(-time.Second))
				}
			}
		}
	})

	for _, c := range []struct {
		name string
		rule Rule
		at   string
		want bool
	}{
		{"a fire reported to the minute is due", daily(ny, 9, 0), "2026-03-08T13:00:00Z", true},
		{"a fire reported 30 s late is due", daily(ny, 9, 0), "2026-03-08T13:00:30Z", true},
		{"the same wall clock on the wrong offset is not due", daily(ny, 9, 0), "2026-03-08T14:00:00Z", false},
		{"monthly 30 is due on Mar 30", monthly(ny, 30, 9, 0), "2026-03-30T13:00:00Z", true},
		{`monthly 30 is not due on Mar 28 ("28-31" fires it)`, monthly(ny, 30, 9, 0), "2026-03-28T13:00:00Z", false},
		{`monthly 30 is not due on Mar 29 ("28-31" fires it)`, monthly(ny, 30, 9, 0), "2026-03-29T13:00:00Z", false},
		{`monthly 30 is not due on Mar 31 ("28-31" fires it)`, monthly(ny, 30, 9, 0), "2026-03-31T13:00:00Z", false},
		{"monthly 30 is due on Feb 28 in a common year", monthly(ny, 30, 9, 0), "2026-02-28T14:00:00Z", true},
		{"monthly 30 is due on Feb 29 in a leap year", monthly(ny, 30, 9, 0), "2028-02-29T14:00:00Z", true},
		{"monthly 30 is not due on Feb 28 in a leap year", monthly(ny, 30, 9, 0), "2028-02-28T14:00:00Z", false},
		{"monthly 29 is due on Feb 28 in a common year", monthly(ny, 29, 9, 0), "2026-02-28T14:00:00Z", true},
		{"monthly 29 is not due on Feb 28 in a leap year", monthly(ny, 29, 9, 0), "2028-02-28T14:00:00Z", false},
		{"monthly 29 is due on Feb 29 in a leap year", monthly(ny, 29, 9, 0), "2028-02-29T14:00:00Z", true},
		{"monthly 29 is not due on Apr 30", monthly(ny, 29, 9, 0), "2026-04-30T13:00:00Z", false},
		{"monthly 31 is due on Apr 30", monthly(ny, 31, 9, 0), "2026-04-30T13:00:00Z", true},
		{"weekly MON is not due on a Tuesday", weekly(ny, time.Monday, 9, 0), "2026-03-10T13:00:00Z", false},
		{"weekly MON is due on a Monday", weekly(ny, time.Monday, 9, 0), "2026-03-09T13:00:00Z", true},
		{"the skipped spring-forward 02:30 is not due (read as 03:30 EDT)", daily(ny, 2, 30), "2026-03-08T07:30:00Z", false},
		{"the skipped spring-forward 02:30 is not due (read as 01:30 EST)", daily(ny, 2, 30), "2026-03-08T06:30:00Z", false},
		{"the first (EDT) fall-back 01:30 is due", daily(ny, 1, 30), "2026-11-01T05:30:00Z", true},
		{"the second (EST) fall-back 01:30 is not due", daily(ny, 1, 30), "2026-11-01T06:30:00Z", false},
		{"Lord Howe's skipped 02:15 is not due", daily(zone(t, "Australia/Lord_Howe"), 2, 15), "2026-10-03T15:45:00Z", false},
		{"Lord Howe's second (+10:30) 01:45 is not due", daily(zone(t, "Australia/Lord_Howe"), 1, 45), "2026-04-04T15:15:00Z", false},
		{"Lord Howe's first (+11:00) 01:45 is due", daily(zone(t, "Australia/Lord_Howe"), 1, 45), "2026-04-04T14:45:00Z", true},
		{"a fire of a stale expression (old time of day) is not due", daily(ny, 9, 0), "2026-06-01T12:00:00Z", false},
		{"an invalid rule is never due", Rule{Frequency: Daily, Hour: 9}, "2026-06-01T09:00:00Z", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			at := instant(t, c.at)
			got, ok := c.rule.Due(at)
			if ok != c.want {
				t.Fatalf("Due(%s) = %v, want %v", c.at, ok, c.want)
			}
			if ok {
				if got, want := got.Format(time.RFC3339), at.Truncate(time.Minute).Format(time.RFC3339); got != want {
					t.Fatalf("Due(%s) fire = %v, want %v", c.at, got, want)
				}
				if got.Location() != time.UTC {
					t.Fatalf("Due(%s) fire = %v, not in UTC", c.at, got)
				}
			} else if !got.IsZero() {
				t.Fatalf("Due(%s) = %v, false, want the zero time", c.at, got)
			}
		})
	}
}

func TestExpression(t *testing.T) {
	ny := zone(t, "America/New_York")
	for _, c := range []struct {
		rule Rule
		want string
	}{
		{daily(ny, 2, 30), "cron(30 2 * * ? *)"},
		{daily(ny, 0, 0), "cron(0 0 * * ? *)"},
		{daily(ny, 23, 59), "cron(59 23 * * ? *)"},
		{weekly(ny, time.Monday, 9, 0), "cron(0 9 ? * MON *)"},
		{weekly(ny, time.Tuesday, 9, 5), "cron(5 9 ? * TUE *)"},
		{weekly(ny, time.Wednesday, 9, 0), "cron(0 9 ? * WED *)"},
		{weekly(ny, time.Thursday, 9, 0), "cron(0 9 ? * THU *)"},
		{weekly(ny, time.Friday, 9, 0), "cron(0 9 ? * FRI *)"},
		{weekly(ny, time.Saturday, 9, 0), "cron(0 9 ? * SAT *)"},
		{weekly(ny, time.Sunday, 9, 0), "cron(0 9 ? * SUN *)"},
		{monthly(ny, 1, 9, 0), "cron(0 9 1 * ? *)"},
		{monthly(ny, 15, 18, 45), "cron(45 18 15 * ? *)"},
		{monthly(ny, 28, 9, 0), "cron(0 9 28 * ? *)"},
		{monthly(ny, 29, 9, 0), "cron(0 9 28-31 * ? *)"},
		{monthly(ny, 30, 9, 0), "cron(0 9 28-31 * ? *)"},
		{monthly(ny, 31, 9, 0), "cron(0 9 L * ? *)"},
		{monthly(ny, 0, 9, 0), ""},
		{Rule{}, ""},
	} {
		t.Run(fmt.Sprintf("%s %v %d %02d:%02d", c.rule.Frequency, c.rule.Weekday, c.rule.DayOfMonth, c.rule.Hour, c.rule.Minute), func(t *testing.T) {
			if got := c.rule.Expression(); got != c.want {
				t.Fatalf("Expression() = %q, want %q", got, c.want)
			}
		})
	}
}

// TestExpressionFilteredByDueIsNext plays EventBridge Scheduler: it evaluates
// each rule's cron expression day by day in the zone (with Scheduler's
// documented DST behaviour, found by brute force over quarter-hour offsets),
// passes each fire through Due, and checks the result is exactly Next.
func TestExpressionFilteredByDueIsNext(t *testing.T) {
	from := instant(t, "2026-01-01T00:00:00Z")
	to := instant(t, "2029-01-01T00:00:00Z")
	var rules []Rule
	for _, name := range []string{"America/New_York", "Australia/Lord_Howe"} {
		loc := zone(t, name)
		for _, clock := range [][2]int{{1, 30}, {1, 45}, {2, 15}, {2, 30}, {9, 0}} {
			h, m := clock[0], clock[1]
			rules = append(rules, daily(loc, h, m))
			for d := time.Sunday; d <= time.Saturday; d++ {
				rules = append(rules, weekly(loc, d, h, m))
			}
			for d := 1; d <= 31; d++ {
				rules = append(rules, monthly(loc, d, h, m))
			}
		}
	}
	for _, r := range rules {
		expr := r.Expression()
		var fromScheduler []time.Time
		for _, fire := range schedulerFires(t, expr, r.Location, from, to) {
			if got, ok := r.Due(fire); ok {
				if !got.Equal(fire) {
					t.Fatalf("%s in %s: Due(%v) = %v", expr, r.Location, fire, got)
				}
				fromScheduler = append(fromScheduler, fire)
			}
		}
		var fromNext []time.Time
		for _, fire := range r.Next(from, 2000) {
			if fire.Before(to) {
				fromNext = append(fromNext, fire)
			}
		}
		if got, want := fmt.Sprint(fromScheduler), fmt.Sprint(fromNext); got != want {
			t.Fatalf("rule %+v, %s in %s:\nScheduler fires kept by Due = %v\nNext = %v", r, expr, r.Location, got, want)
		}
	}
}

// schedulerFires returns the fires in [from, to) of a cron expression of the
// four shapes Expression writes, evaluated as Scheduler does: on each local
// day whose day-of-month and day-of-week fields match, at the earliest
// instant whose wall clock is the expression's time, or not at all when
// that wall clock does not exist that day.
func schedulerFires(t *testing.T, expr string, loc *time.Location, from, to time.Time) []time.Time {
	t.Helper()
	var minute, hour int
	var dom, month, dow, year string
	if _, err := fmt.Sscanf(expr, "cron(%d %d %s %s %s %s", &minute, &hour, &dom, &month, &dow, &year); err != nil || month != "*" || year != "*)" {
		t.Fatalf("unexpected expression %q: %v", expr, err)
	}
	matches := func(day time.Time) bool {
		if dow != "?" && dow != "*" {
			return WeekdayName(day.Weekday()) == dow
		}
		last := time.Date(day.Year(), day.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
		switch dom {
		case "*", "?":
			return true
		case "L":
			return day.Day() == last
		case "28-31":
			return day.Day() >= 28
		default:
			var d int
			fmt.Sscanf(dom, "%d", &d)
			return day.Day() == d
		}
	}
	var fires []time.Time
	for day := from.In(loc).AddDate(0, 0, -1); day.Before(to.AddDate(0, 0, 1)); day = day.AddDate(0, 0, 1) {
		y, m, d := day.Date()
		civil := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		if !matches(civil) {
			continue
		}
		wall := time.Date(y, m, d, hour, minute, 0, 0, time.UTC)
		var first time.Time
		for q := -14 * 4; q <= 14*4; q++ {
			at := wall.Add(time.Duration(-q) * 15 * time.Minute)
			lt := at.In(loc)
			if lt.Year() == y && lt.Month() == m && lt.Day() == d && lt.Hour() == hour && lt.Minute() == minute &&
				(first.IsZero() || at.Before(first)) {
				first = at
			}
		}
		if !first.IsZero() && !first.Before(from) && first.Before(to) {
			fires = append(fires, first)
		}
	}
	return fires
}

func TestParseClock(t *testing.T) {
	for _, c := range []struct {
		in           string
		hour, minute int
	}{
		{"09:00", 9, 0},
		{"00:00", 0, 0},
		{"23:59", 23, 59},
		{"12:07", 12, 7},
	} {
		t.Run(c.in+" is a time of day", func(t *testing.T) {
			h, m, err := ParseClock(c.in)
			if err != nil {
				t.Fatalf("ParseClock(%q): %v", c.in, err)
			}
			if got, want := fmt.Sprintf("%d:%d", h, m), fmt.Sprintf("%d:%d", c.hour, c.minute); got != want {
				t.Fatalf("ParseClock(%q) = %v, want %v", c.in, got, want)
			}
		})
	}
	for _, in := range []string{"24:00", "25:00", "9:00", "09:60", "ab:cd", "", "09:0", "09-00", "09:00 ", " 9:00", "+9:00", "09:00:00", "٠٩:٠٠"} {
		t.Run(fmt.Sprintf("%q is rejected", in), func(t *testing.T) {
			h, m, err := ParseClock(in)
			if err == nil {
				t.Fatalf("ParseClock(%q) = %d, %d, nil, want an error", in, h, m)
			}
			if got, want := err.Error(), fmt.Sprintf("%q is not a time of day: use HH:MM from 00:00 to 23:59", in); got != want {
				t.Fatalf("ParseClock(%q) error = %q, want %q", in, got, want)
			}
		})
	}
}

func TestParseWeekday(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Weekday
	}{
		{"MON", time.Monday}, {"TUE", time.Tuesday}, {"WED", time.Wednesday}, {"THU", time.Thursday},
		{"FRI", time.Friday}, {"SAT", time.Saturday}, {"SUN", time.Sunday},
	} {
		t.Run(c.in+" is "+c.want.String(), func(t *testing.T) {
			got, err := ParseWeekday(c.in)
			if err != nil {
				t.Fatalf("ParseWeekday(%q): %v", c.in, err)
			}
			if got != c.want {
				t.Fatalf("ParseWeekday(%q) = %v, want %v", c.in, got, c.want)
			}
			if got, want := WeekdayName(c.want), c.in; got != want {
				t.Fatalf("WeekdayName(%v) = %q, want %q", c.want, got, want)
			}
		})
	}
	for _, in := range []string{"mon", "Monday", "", "MONDAY", " MON", "1"} {
		t.Run(fmt.Sprintf("%q is rejected", in), func(t *testing.T) {
			_, err := ParseWeekday(in)
			if err == nil {
				t.Fatalf("ParseWeekday(%q) = nil error, want an error", in)
			}
			if got, want := err.Error(), fmt.Sprintf("%q is not a day of the week: use one of MON, TUE, WED, THU, FRI, SAT, SUN", in); got != want {
				t.Fatalf("ParseWeekday(%q) error = %q, want %q", in, got, want)
			}
		})
	}
	t.Run("WeekdayName of an out-of-range value is empty", func(t *testing.T) {
		if got := WeekdayName(time.Weekday(7)); got != "" {
			t.Fatalf("WeekdayName(7) = %q, want \"\"", got)
		}
	})
}

func TestLoadLocation(t *testing.T) {
	for _, name := range []string{"America/New_York", "UTC", "Etc/UTC", "Australia/Lord_Howe"} {
		t.Run(name+" is accepted", func(t *testing.T) {
			loc, err := LoadLocation(name)
			if err != nil {
				t.Fatalf("LoadLocation(%q): %v", name, err)
			}
			if got, want := loc.String(), name; got != want {
				t.Fatalf("LoadLocation(%q).String() = %q, want %q", name, got, want)
			}
		})
	}
	for _, name := range []string{"Mars/Olympus", "", "Local", "america/new_york", "../etc/passwd"} {
		t.Run(fmt.Sprintf("%q is rejected", name), func(t *testing.T) {
			loc, err := LoadLocation(name)
			if err == nil {
				t.Fatalf("LoadLocation(%q) = %v, nil, want an error", name, loc)
			}
			if loc != nil {
				t.Fatalf("LoadLocation(%q) = %v, want nil with the error", name, loc)
			}
		})
	}
	t.Run("the error names the zone", func(t *testing.T) {
		_, err := LoadLocation("Mars/Olympus")
		if got, want := err.Error(), `"Mars/Olympus" is not an IANA time zone: use a name such as "America/New_York" or "UTC"`; got != want {
			t.Fatalf("error = %q, want %q", got, want)
		}
	})
}

func TestValidate(t *testing.T) {
	ny := zone(t, "America/New_York")
	for _, c := range []struct {
		name string
		rule Rule
		want string // "" for valid
	}{
		{"daily is valid", daily(ny, 9, 0), ""},
		{"weekly on Sunday (the zero Weekday) is valid", weekly(ny, time.Sunday, 9, 0), ""},
		{"weekly on Saturday is valid", weekly(ny, time.Saturday, 23, 59), ""},
		{"monthly on day 1 is valid", monthly(ny, 1, 0, 0), ""},
		{"monthly on day 31 is valid", monthly(ny, 31, 0, 0), ""},
		{"daily ignores an unused day of month", Rule{Frequency: Daily, DayOfMonth: 99, Hour: 9, Location: ny}, ""},
		{"a missing frequency is rejected", Rule{Hour: 9, Location: ny}, "a frequency is required: use daily, weekly or monthly"},
		{"an unknown frequency is rejected", Rule{Frequency: "hourly", Hour: 9, Location: ny}, `"hourly" is not a frequency: use daily, weekly or monthly`},
		{"weekly with weekday 7 is rejected", weekly(ny, 7, 9, 0), "weekday 7 is not a day of the week: use MON to SUN"},
		{"weekly with weekday -1 is rejected", weekly(ny, -1, 9, 0), "weekday -1 is not a day of the week: use MON to SUN"},
		{"monthly without a day of month is rejected", monthly(ny, 0, 9, 0), "a monthly rule needs a day of the month, 1 to 31"},
		{"monthly on day 32 is rejected", monthly(ny, 32, 9, 0), "day of month 32 is out of range: use 1 to 31"},
		{"monthly on day -1 is rejected", monthly(ny, -1, 9, 0), "day of month -1 is out of range: use 1 to 31"},
		{"hour 24 is rejected", daily(ny, 24, 0), "hour 24 is out of range: use 0 to 23"},
		{"hour -1 is rejected", daily(ny, -1, 0), "hour -1 is out of range: use 0 to 23"},
		{"minute 60 is rejected", daily(ny, 9, 60), "minute 60 is out of range: use 0 to 59"},
		{"a missing zone is rejected", daily(nil, 9, 0), "a time zone is required"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.rule.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != c.want {
				t.Fatalf("Validate() = %q, want %q", got, c.want)
			}
		})
	}
}

func TestFrequencies(t *testing.T) {
	if got, want := fmt.Sprint(Frequencies), "[daily weekly monthly]"; got != want {
		t.Fatalf("Frequencies = %v, want %v", got, want)
	}
}

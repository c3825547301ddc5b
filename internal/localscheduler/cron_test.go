package localscheduler_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/partnerportal/portal/internal/localscheduler"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// fires returns the first n fire times of expr in zone after `after`, in RFC 3339 UTC.
func fires(t *testing.T, expr, zone, after string, n int) []string {
	t.Helper()
	var out []string
	at := utc(after)
	for range n {
		next, err := localscheduler.NextFire(expr, zone, at)
		if err != nil {
			t.Fatalf("NextFire(%q, %q, %s): %v", expr, zone, at.Format(time.RFC3339), err)
		}
		out = append(out, next.Format(time.RFC3339))
		at = next
	}
	return out
}

func wantFires(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("fires\n got %v\nwant %v", got, want)
	}
}

func TestNextFireDaylightSavingTime(t *testing.T) {
	const ny = "America/New_York"
	t.Run("SpringForwardSkipsTheWallTimeThatDoesNotExist", func(t *testing.T) {
		// 2026-03-08: New York clocks go from 02:00 EST to 03:00 EDT; 02:30 never happens.
		wantFires(t, fires(t, "cron(30 2 * * ? *)", ny, "2026-03-06T12:00:00Z", 3),
			"2026-03-07T07:30:00Z", // 02:30 EST
			"2026-03-09T06:30:00Z", // 02:30 EDT; nothing on the 8th, not moved to 03:30
			"2026-03-10T06:30:00Z")
	})
	t.Run("SpringForwardKeepsTimesAroundTheGap", func(t *testing.T) {
		wantFires(t, fires(t, "cron(0 1-3 8 MAR ? 2026)", ny, "2026-03-08T00:00:00Z", 2),
			"2026-03-08T06:00:00Z", // 01:00 EST
			"2026-03-08T07:00:00Z") // 03:00 EDT; 02:00 does not exist
		if _, err := localscheduler.NextFire("cron(0 1-3 8 MAR ? 2026)", ny, utc("2026-03-08T07:00:00Z")); !errors.Is(err, localscheduler.ErrNoNextFire) {
			t.Errorf("after the last fire of 2026: err = %v, want ErrNoNextFire", err)
		}
	})
	t.Run("FallBackFiresARepeatedWallTimeOnceAtTheFirstInstant", func(t *testing.T) {
		// 2026-11-01: clocks go from 02:00 EDT back to 01:00 EST; 01:30 happens at 05:30Z and 06:30Z.
		wantFires(t, fires(t, "cron(30 1 * * ? *)", ny, "2026-10-31T00:00:00Z", 3),
			"2026-10-31T05:30:00Z", // 01:30 EDT
			"2026-11-01T05:30:00Z", // 01:30 EDT, the first occurrence only
			"2026-11-02T06:30:00Z") // 01:30 EST
	})
	t.Run("FallBackHourlyDoesNotRepeatTheRepeatedHour", func(t *testing.T) {
		wantFires(t, fires(t, "cron(30 * 1 NOV ? 2026)", ny, "2026-11-01T04:00:00Z", 3),
			"2026-11-01T04:30:00Z", // 00:30 EDT
			"2026-11-01T05:30:00Z", // 01:30 EDT
			"2026-11-01T07:30:00Z") // 02:30 EST; 01:30 EST (06:30Z) is not a second fire
	})
	t.Run("AnInstantInsideTheRepeatedHourFindsTheNextWallTime", func(t *testing.T) {
		// 06:45Z is 01:45 EST, after 01:30 EDT has fired; the next 01:30 is the next day's.
		wantFires(t, fires(t, "cron(30 1 * * ? *)", ny, "2026-11-01T06:45:00Z", 1), "2026-11-02T06:30:00Z")
		// 06:15Z is 01:15 EST: the 01:30 of that day already fired at 05:30Z.
		wantFires(t, fires(t, "cron(30 1 * * ? *)", ny, "2026-11-01T06:15:00Z", 1), "2026-11-02T06:30:00Z")
	})
	t.Run("HalfHourShiftLordHowe", func(t *testing.T) {
		// 2026-10-04 02:00 +10:30 becomes 02:30 +11:00 on Lord Howe Island: 02:15 does not exist.
		wantFires(t, fires(t, "cron(15 2 * * ? *)", "Australia/Lord_Howe", "2026-10-02T00:00:00Z", 2),
			"2026-10-02T15:45:00Z", // 03 Oct 02:15 +10:30
			"2026-10-04T15:15:00Z") // 05 Oct 02:15 +11:00; none on the 4th
	})
	t.Run("UTCWhenNoZone", func(t *testing.T) {
		wantFires(t, fires(t, "cron(0 12 * * ? *)", "", "2026-01-01T12:00:00Z", 1), "2026-01-02T12:00:00Z")
	})
}

func TestNextFireFields(t *testing.T) {
	cases := []struct {
		name, expr, after string
		want              []string
	}{
		{"LastDayOfMonth", "cron(0 9 L * ? *)", "2027-01-15T00:00:00Z",
			[]string{"2027-01-31T09:00:00Z", "2027-02-28T09:00:00Z", "2027-03-31T09:00:00Z", "2027-04-30T09:00:00Z"}},
		{"LastDayOfLeapFebruary", "cron(0 9 L FEB ? *)", "2027-06-01T00:00:00Z",
			[]string{"2028-02-29T09:00:00Z", "2029-02-28T09:00:00Z"}},
		{"Days28To31FireEveryDayTheMonthHas", "cron(0 9 28-31 * ? *)", "2027-02-01T00:00:00Z",
			[]string{"2027-02-28T09:00:00Z", "2027-03-28T09:00:00Z", "2027-03-29T09:00:00Z", "2027-03-30T09:00:00Z", "2027-03-31T09:00:00Z", "2027-04-28T09:00:00Z"}},
		{"WeekdayNames", "cron(0 9 ? * MON-FRI *)", "2026-12-04T10:00:00Z", // a Friday, after 09:00
			[]string{"2026-12-07T09:00:00Z", "2026-12-08T09:00:00Z", "2026-12-09T09:00:00Z", "2026-12-10T09:00:00Z", "2026-12-11T09:00:00Z", "2026-12-14T09:00:00Z"}},
		{"WeekdayNumbersStartWithSunday", "cron(0 9 ? * 1,7 *)", "2026-12-04T10:00:00Z",
			[]string{"2026-12-05T09:00:00Z", "2026-12-06T09:00:00Z", "2026-12-12T09:00:00Z"}}, // SAT, SUN, SAT
		{"LowercaseNames", "cron(0 9 ? dec sun *)", "2026-12-01T00:00:00Z",
			[]string{"2026-12-06T09:00:00Z", "2026-12-13T09:00:00Z"}},
		{"MinuteStep", "cron(*/20 9 1 JAN ? 2027)", "2026-12-31T00:00:00Z",
			[]string{"2027-01-01T09:00:00Z", "2027-01-01T09:20:00Z", "2027-01-01T09:40:00Z"}},
		{"StepFromAValue", "cron(5/25 9 1 JAN ? 2027)", "2026-12-31T00:00:00Z",
			[]string{"2027-01-01T09:05:00Z", "2027-01-01T09:30:00Z", "2027-01-01T09:55:00Z"}},
		{"StepInARange", "cron(0 8-17/4 1 JAN ? 2027)", "2026-12-31T00:00:00Z",
			[]string{"2027-01-01T08:00:00Z", "2027-01-01T12:00:00Z", "2027-01-01T16:00:00Z"}},
		{"ListsOfMonthNames", "cron(0 0 1 JAN,JUL ? *)", "2026-06-01T00:00:00Z",
			[]string{"2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z", "2027-07-01T00:00:00Z"}},
		{"YearField", "cron(0 0 1 1 ? 2028,2030)", "2026-06-01T00:00:00Z",
			[]string{"2028-01-01T00:00:00Z", "2030-01-01T00:00:00Z"}},
		{"DayOfMonthThirtyFirstSkipsShortMonths", "cron(0 0 31 * ? *)", "2027-01-31T00:00:00Z",
			[]string{"2027-03-31T00:00:00Z", "2027-05-31T00:00:00Z"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantFires(t, fires(t, c.expr, "UTC", c.after, len(c.want)), c.want...)
		})
	}
}

func TestNextFireIsStrictlyAfter(t *testing.T) {
	wantFires(t, fires(t, "cron(0 9 * * ? *)", "UTC", "2027-01-01T09:00:00Z", 1), "2027-01-02T09:00:00Z")
	wantFires(t, fires(t, "cron(0 9 * * ? *)", "UTC", "2027-01-01T08:59:59Z", 1), "2027-01-01T09:00:00Z")
}

func TestNextFireAt(t *testing.T) {
	wantFires(t, fires(t, "at(2027-05-01T14:30:15)", "Europe/Paris", "2027-01-01T00:00:00Z", 1), "2027-05-01T12:30:15Z")
	if _, err := localscheduler.NextFire("at(2027-05-01T14:30:15)", "Europe/Paris", utc("2027-05-01T12:30:15Z")); !errors.Is(err, localscheduler.ErrNoNextFire) {
		t.Errorf("an at() time that has passed: err = %v, want ErrNoNextFire", err)
	}
	if _, err := localscheduler.NextFire("at(2026-03-08T02:30:00)", "America/New_York", utc("2026-01-01T00:00:00Z")); !errors.Is(err, localscheduler.ErrNoNextFire) {
		t.Errorf("an at() time skipped by spring forward: err = %v, want ErrNoNextFire", err)
	}
}

func TestNextFireNeverMatching(t *testing.T) {
	if _, err := localscheduler.NextFire("cron(0 0 30 FEB ? *)", "UTC", utc("2026-01-01T00:00:00Z")); !errors.Is(err, localscheduler.ErrNoNextFire) {
		t.Errorf("February 30th: err = %v, want ErrNoNextFire", err)
	}
}

func TestNextFireRejects(t *testing.T) {
	cases := map[string]string{
		"FiveFields":              "cron(0 9 * * ?)",
		"SevenFields":             "cron(0 0 9 * * ? *)",
		"BothDayFieldsGiven":      "cron(0 9 1 * MON *)",
		"BothDayFieldsQuestion":   "cron(0 9 ? * ? *)",
		"MinuteOutOfRange":        "cron(60 9 * * ? *)",
		"HourOutOfRange":          "cron(0 24 * * ? *)",
		"DayOfMonthZero":          "cron(0 9 0 * ? *)",
		"MonthThirteen":           "cron(0 9 1 13 ? *)",
		"DayOfWeekZero":           "cron(0 9 ? * 0 *)",
		"DayOfWeekEight":          "cron(0 9 ? * 8 *)",
		"YearBefore1970":          "cron(0 9 1 1 ? 1969)",
		"YearAfter2199":           "cron(0 9 1 1 ? 2200)",
		"UnknownName":             "cron(0 9 ? * MOO *)",
		"ZeroStep":                "cron(*/0 9 * * ? *)",
		"DescendingRange":         "cron(0 22-2 * * ? *)",
		"Weekday W":               "cron(0 9 15W * ? *)",
		"LastWeekday LW":          "cron(0 9 LW * ? *)",
		"L offset":                "cron(0 9 L-3 * ? *)",
		"L in a list":             "cron(0 9 1,L * ? *)",
		"NthWeekday #":            "cron(0 9 ? * MON#2 *)",
		"LastWeekdayOfMonth 6L":   "cron(0 9 ? * 6L *)",
		"L in day-of-week":        "cron(0 9 ? * L *)",
		"QuestionInHours":         "cron(0 ? * * ? *)",
		"EmptyListItem":           "cron(0 9,,10 * * ? *)",
		"Rate":                    "rate(5 minutes)",
		"NotAnExpression":         "0 9 * * ? *",
		"AtWithoutSeconds":        "at(2027-01-01T09:00)",
		"AtWithAZone":             "at(2027-01-01T09:00:00Z)",
		"CronWithoutParenthesis":  "cron(0 9 * * ? *",
		"NegativeNumber":          "cron(-1 9 * * ? *)",
		"PlusSign":                "cron(+1 9 * * ? *)",
		"StepWithoutValue":        "cron(0/ 9 * * ? *)",
		"RangeWithoutUpperBound":  "cron(0 9- * * ? *)",
		"RangeWithoutLowerBound":  "cron(0 -9 * * ? *)",
		"NamesInTheMinutesField":  "cron(MON 9 * * ? *)",
		"MonthNameInDayOfWeek":    "cron(0 9 ? * JAN *)",
		"DayNameInMonth":          "cron(0 9 1 MON ? *)",
		"QuestionWithOtherValues": "cron(0 9 ?,1 * MON *)",
	}
	for name, expr := range cases {
		t.Run(name, func(t *testing.T) {
			if next, err := localscheduler.NextFire(expr, "UTC", utc("2026-01-01T00:00:00Z")); err == nil || errors.Is(err, localscheduler.ErrNoNextFire) {
				t.Errorf("NextFire(%q) = %v, %v; want a parse error", expr, next, err)
			}
		})
	}
	t.Run("UnknownZone", func(t *testing.T) {
		for _, zone := range []string{"Mars/Olympus_Mons", "Local", "../etc/passwd"} {
			if _, err := localscheduler.NextFire("cron(0 9 * * ? *)", zone, utc("2026-01-01T00:00:00Z")); err == nil {
				t.Errorf("zone %q accepted", zone)
			}
		}
	})
}

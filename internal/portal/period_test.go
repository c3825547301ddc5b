package portal

import (
	"testing"
	"time"
)

func TestPeriodAt(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name, start string
		billing     BillingPeriod
		t           string
		from, to    string
	}{
		{"FirstMonth", "2026-01-15T10:00:00Z", PeriodMonthly, "2026-01-20T00:00:00Z", "2026-01-15T10:00:00Z", "2026-02-15T10:00:00Z"},
		{"StartInstantBelongsToThePeriodItStarts", "2026-01-15T10:00:00Z", PeriodMonthly, "2026-02-15T10:00:00Z", "2026-02-15T10:00:00Z", "2026-03-15T10:00:00Z"},
		{"JustBeforeTheNextPeriod", "2026-01-15T10:00:00Z", PeriodMonthly, "2026-02-15T09:59:59Z", "2026-01-15T10:00:00Z", "2026-02-15T10:00:00Z"},
		{"EndOfMonthStartClampsInFebruary", "2026-01-31T00:00:00Z", PeriodMonthly, "2026-03-01T00:00:00Z", "2026-02-28T00:00:00Z", "2026-03-31T00:00:00Z"},
		{"ClampedMonthsReturnToTheStartDay", "2026-01-31T00:00:00Z", PeriodMonthly, "2026-04-01T00:00:00Z", "2026-03-31T00:00:00Z", "2026-04-30T00:00:00Z"},
		{"LeapYear", "2028-01-30T00:00:00Z", PeriodMonthly, "2028-02-29T12:00:00Z", "2028-02-29T00:00:00Z", "2028-03-30T00:00:00Z"},
		{"YearsLater", "2026-11-26T12:00:00Z", PeriodMonthly, "2029-06-01T00:00:00Z", "2029-05-26T12:00:00Z", "2029-06-26T12:00:00Z"},
		{"Annual", "2026-03-01T00:00:00Z", PeriodAnnual, "2027-02-28T23:59:59Z", "2026-03-01T00:00:00Z", "2027-03-01T00:00:00Z"},
		{"AnnualFromLeapDay", "2028-02-29T00:00:00Z", PeriodAnnual, "2029-03-01T00:00:00Z", "2029-02-28T00:00:00Z", "2030-02-28T00:00:00Z"},
		{"BeforeTheStartIsTheFirstPeriod", "2026-12-01T00:00:00Z", PeriodMonthly, "2026-11-26T00:00:00Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := PeriodAt(at(c.start), c.billing, at(c.t))
			if !p.Start.Equal(at(c.from)) || !p.End.Equal(at(c.to)) {
				t.Fatalf("period = [%s, %s), want [%s, %s)", p.Start.Format(time.RFC3339), p.End.Format(time.RFC3339), c.from, c.to)
			}
			if !p.Contains(at(c.t)) && !at(c.t).Before(at(c.start)) {
				t.Fatalf("period does not contain %s", c.t)
			}
		})
	}
}

package portal

import (
	"testing"
	"time"
)

// The usage ledger as a pure function of counter changes.
func TestCounterChangeApply(t *testing.T) {
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
	soft10 := func(used int64, at time.Time) *Counter {
		return &Counter{Kind: CounterAssets, PartnerID: "prt_x", TenantID: "cus_x", Used: used, ChangedAt: at, LicenseID: "lic_a",
			Model: ModelPerAsset, Quantity: 10, Policy: OverageSoft, BillingPeriod: PeriodMonthly, LicenseStartsAt: day(time.January, 1)}
	}
	apply := func(ledgers map[LedgerKey]*UsagePeriod, chs ...CounterChange) []Alert {
		var alerts []Alert
		for _, ch := range chs {
			alerts = append(alerts, ch.Apply(ledgers)...)
		}
		return alerts
	}
	period := func(ledgers map[LedgerKey]*UsagePeriod, m time.Month) UsagePeriod {
		u := ledgers[LedgerKey{"lic_a", day(m, 1)}]
		if u == nil {
			t.Fatalf("no ledger period for %s", m)
		}
		return *u
	}

	t.Run("ACountCarriedIntoLaterPeriodsCountsThereToo", func(t *testing.T) {
		ledgers := map[LedgerKey]*UsagePeriod{}
		apply(ledgers,
			CounterChange{Old: soft10(0, day(time.January, 10)), New: soft10(12, day(time.January, 10))},
			CounterChange{Old: soft10(12, day(time.January, 10)), New: soft10(11, day(time.March, 20))},
		)
		feb := period(ledgers, time.February)
		if feb.PeakAssets != 12 || feb.Overage != 2 || feb.CurrentAssets != 12 || feb.AssetSeconds != 12*28*86400 {
			t.Fatalf("February = peak %d, overage %d, current %d, asset-seconds %d; want 12, 2, 12 and a full month of 12",
				feb.PeakAssets, feb.Overage, feb.CurrentAssets, feb.AssetSeconds)
		}
		mar := period(ledgers, time.March)
		if mar.PeakAssets != 12 || mar.Overage != 2 || mar.CurrentAssets != 11 || mar.AssetSeconds != 12*19*86400 || mar.Changes != 1 {
			t.Fatalf("March = peak %d, overage %d, current %d, asset-seconds %d, changes %d; want 12, 2, 11, 19 days of 12, 1",
				mar.PeakAssets, mar.Overage, mar.CurrentAssets, mar.AssetSeconds, mar.Changes)
		}
	})
	t.Run("NothingCountsAfterTheLicenseEnds", func(t *testing.T) {
		ledgers := map[LedgerKey]*UsagePeriod{}
		ended := func(c *Counter) *Counter { end := day(time.February, 1); c.LicenseEndsAt = &end; return c }
		apply(ledgers,
			CounterChange{Old: ended(soft10(0, day(time.January, 1))), New: ended(soft10(6, day(time.January, 1)))},
			CounterChange{Old: ended(soft10(6, day(time.January, 1))), New: ended(soft10(7, day(time.March, 15)))},
		)
		if len(ledgers) != 1 {
			t.Fatalf("ledger periods = %d, want January only", len(ledgers))
		}
		if jan := period(ledgers, time.January); jan.AssetSeconds != 6*31*86400 || jan.Changes != 1 {
			t.Fatalf("January = asset-seconds %d, changes %d; want 31 days of 6 and 1 change", jan.AssetSeconds, jan.Changes)
		}
	})
	t.Run("ThresholdsAlertOncePerPeriodAndReArmWhenTheQuantityRises", func(t *testing.T) {
		ledgers := map[LedgerKey]*UsagePeriod{}
		at := day(time.January, 5)
		alerts := apply(ledgers,
			CounterChange{Old: soft10(8, at), New: soft10(9, at)},
			CounterChange{Old: soft10(9, at), New: soft10(8, at.Add(time.Hour))},
			CounterChange{Old: soft10(8, at.Add(time.Hour)), New: soft10(9, at.Add(2*time.Hour))},
		)
		if len(alerts) != 1 || alerts[0].Threshold != 90 {
			t.Fatalf("alerts = %+v, want one 90 %% alert (removing assets does not re-arm)", alerts)
		}
		raised := soft10(9, at.Add(3*time.Hour))
		raised.Quantity = 20
		back := soft10(18, at.Add(4*time.Hour))
		back.Quantity = 20
		alerts = apply(ledgers,
			CounterChange{Old: soft10(9, at.Add(2*time.Hour)), New: raised},
			CounterChange{Old: raised, New: back},
		)
		if len(alerts) != 1 || alerts[0].Threshold != 90 || alerts[0].Quantity != 20 {
			t.Fatalf("alerts after raising the quantity to 20 and reaching 18 = %+v, want one new 90 %% alert", alerts)
		}
	})
}

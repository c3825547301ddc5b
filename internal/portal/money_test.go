package portal_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/partnerportal/portal/internal/portal"
)

// The money rules of docs/MONEY.md, one table each. Every amount is an
// integer number of minor units; nothing here is a float.

func TestMoneyDiscountedRoundsHalfUpToTheMinorUnit(t *testing.T) {
	cases := []struct {
		name   string
		amount int64
		bps    portal.BasisPoints
		want   int64
	}{
		{"199Less10PercentIs179_179.1RoundsDown", 199, 1000, 179},
		{"195Less10PercentIs176_175.5RoundsUp", 195, 1000, 176},
		{"185Less10PercentIs167_166.5RoundsUp", 185, 1000, 167},
		{"101Less50PercentIs51_50.5RoundsUp", 101, 5000, 51},
		{"ZeroBasisPointsIsTheAmount", 199, 0, 199},
		{"ZeroBasisPointsOfZeroIsZero", 0, 0, 0},
		{"OneBasisPointOf10000Is9999", 10000, 1, 9999},
		{"OneBasisPointOf5000Is4999.5RoundsUp", 5000, 1, 5000},
		{"9999BasisPointsOf199Is0.0199RoundsToZero", 199, 9999, 0},
		{"9999BasisPointsOf5000Is0.5RoundsUp", 5000, 9999, 1},
		{"9999BasisPointsOf1000000Is100", 1_000_000, 9999, 100},
		{"ZeroAmountStaysZero", 0, 1500, 0},
		{"15PercentOf2000Is1700", 2000, 1500, 1700},
		{"12.5PercentOf1Is0.875RoundsTo1", 1, 1250, 1},
		{"AFullDiscountIsFree", 12345, 10000, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got, want := portal.Discounted(c.amount, c.bps), c.want; got != want {
				t.Fatalf("Discounted(%d, %d bps) = %d, want %d", c.amount, c.bps, got, want)
			}
		})
	}
	t.Run("AlwaysTheNearestUnitWithHalvesUp", func(t *testing.T) {
		for amount := int64(0); amount <= 1000; amount++ {
			for _, bps := range []portal.BasisPoints{0, 1, 333, 1000, 2500, 5000, 9999} {
				got := portal.Discounted(amount, bps)
				if got < 0 || got > amount {
					t.Fatalf("Discounted(%d, %d bps) = %d, want within [0, %d]", amount, bps, got, amount)
				}
				// The exact value is amount·(10000−bps)/10000: the result is
				// less than half a unit below it or at most half a unit above
				// (exact halves go up). In 1/10000 units:
				if diff := got*10000 - amount*(10000-bps); diff <= -5000 || diff > 5000 {
					t.Fatalf("Discounted(%d, %d bps) = %d, not the nearest unit to %d/10000", amount, bps, got, amount*(10000-bps))
				}
			}
		}
	})
}

func TestMoneyMarginBasisPoints(t *testing.T) {
	cases := []struct {
		name            string
		margin, revenue int64
		want            portal.BasisPoints
		ok              bool
	}{
		{"HalfIs5000", 50, 100, 5000, true},
		{"AllOfItIs10000", 100, 100, 10000, true},
		{"NothingIsZero", 0, 100, 0, true},
		{"OneThirdRoundsDownTo3333", 1, 3, 3333, true},
		{"TwoThirdsRoundsUpTo6667", 2, 3, 6667, true},
		{"AHalfBasisPointRoundsAwayFromZero", 1, 20000, 1, true},
		{"JustBelowAHalfRoundsDown", 1, 20001, 0, true},
		{"NegativeMarginIsNegative", -50, 100, -5000, true},
		{"NegativeOneThirdRoundsTowardsZeroBelowAHalf", -1, 3, -3333, true},
		{"NegativeTwoThirdsRoundsAwayFromZero", -2, 3, -6667, true},
		{"ANegativeHalfBasisPointRoundsAwayFromZero", -1, 20000, -1, true},
		{"JustAboveANegativeHalfRoundsToZero", -1, 20001, 0, true},
		{"CostTwiceThePriceIsMinus100Percent", -100, 100, -10000, true},
		{"12.5PercentIs1250", 2500, 20000, 1250, true},
		{"DocumentedExample52.50", 21000, 40000, 5250, true},
		{"ZeroRevenueHasNoPercentage", 0, 0, 0, false},
		{"ZeroRevenueWithACostHasNoPercentage", -500, 0, 0, false},
		{"NegativeRevenueHasNoPercentage", 10, -100, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := portal.MarginBasisPoints(c.margin, c.revenue)
			if ok != c.ok {
				t.Fatalf("MarginBasisPoints(%d, %d) ok = %v, want %v", c.margin, c.revenue, ok, c.ok)
			}
			if got != c.want {
				t.Fatalf("MarginBasisPoints(%d, %d) = %d, want %d", c.margin, c.revenue, got, c.want)
			}
		})
	}
	t.Run("AmountsMarginBpsIsMarginOverRevenue", func(t *testing.T) {
		a := portal.Amounts{Currency: "EUR", Revenue: 40000, Cost: 19000, Margin: 21000}
		bps, ok := a.MarginBps()
		if got, want := fmt.Sprint(bps, ok), "5250 true"; got != want {
			t.Fatalf("MarginBps = %s, want %s", got, want)
		}
		if _, ok := (portal.Amounts{Currency: "EUR", Cost: 10, Margin: -10}).MarginBps(); ok {
			t.Fatalf("MarginBps without revenue reported a percentage")
		}
	})
}

func TestMoneyFormatBasisPoints(t *testing.T) {
	cases := []struct {
		bps  portal.BasisPoints
		want string
	}{
		{0, "0.00"},
		{1, "0.01"},
		{9, "0.09"},
		{10, "0.10"},
		{99, "0.99"},
		{100, "1.00"},
		{1250, "12.50"},
		{5250, "52.50"},
		{6667, "66.67"},
		{10000, "100.00"},
		{123456, "1234.56"},
		{-1, "-0.01"},
		{-50, "-0.50"},
		{-5000, "-50.00"},
		{-10000, "-100.00"},
		{-12345, "-123.45"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			if got, want := portal.FormatBasisPoints(c.bps), c.want; got != want {
				t.Fatalf("FormatBasisPoints(%d) = %q, want %q", c.bps, got, want)
			}
		})
	}
}

func TestMoneyMonthShare(t *testing.T) {
	t.Run("TheTwelveSharesAddUpToTheAnnualAmountExactly", func(t *testing.T) {
		for _, annual := range []int64{0, 1, 7, 11, 12, 13, 100, 1990, 100001, 120000, 999_999_999, 1_000_000_000_007} {
			var sum, lo, hi int64
			for k := 1; k <= 12; k++ {
				s := portal.MonthShare(annual, k)
				sum += s
				if k == 1 || s < lo {
					lo = s
				}
				if k == 1 || s > hi {
					hi = s
				}
			}
			if got, want := sum, annual; got != want {
				t.Fatalf("the 12 shares of %d add up to %d, want %d", annual, got, want)
			}
			if got := hi - lo; got > 1 {
				t.Fatalf("the shares of %d range from %d to %d: they differ by %d, want at most 1", annual, lo, hi, got)
			}
			if lo != annual/12 {
				t.Fatalf("the smallest share of %d is %d, want %d (a twelfth, rounded down)", annual, lo, annual/12)
			}
		}
	})
	t.Run("120000IsTwelveMonthsOf10000", func(t *testing.T) {
		for k := 1; k <= 12; k++ {
			if got, want := portal.MonthShare(120000, k), int64(10000); got != want {
				t.Fatalf("MonthShare(120000, %d) = %d, want %d", k, got, want)
			}
		}
	})
	t.Run("100001IsSevenSharesOf8333AndFiveOf8334", func(t *testing.T) {
		want := []int64{8333, 8333, 8334, 8333, 8334, 8333, 8333, 8334, 8333, 8334, 8333, 8334}
		for k := 1; k <= 12; k++ {
			if got := portal.MonthShare(100001, k); got != want[k-1] {
				t.Fatalf("MonthShare(100001, %d) = %d, want %d", k, got, want[k-1])
			}
		}
	})
	t.Run("7IsSevenMonthsOf1AndFiveOf0", func(t *testing.T) {
		ones := 0
		for k := 1; k <= 12; k++ {
			switch s := portal.MonthShare(7, k); s {
			case 1:
				ones++
			case 0:
			default:
				t.Fatalf("MonthShare(7, %d) = %d, want 0 or 1", k, s)
			}
		}
		if got, want := ones, 7; got != want {
			t.Fatalf("months with a share of 1 = %d, want %d", got, want)
		}
	})
	t.Run("ZeroHasZeroShares", func(t *testing.T) {
		for k := 1; k <= 12; k++ {
			if got := portal.MonthShare(0, k); got != 0 {
				t.Fatalf("MonthShare(0, %d) = %d, want 0", k, got)
			}
		}
	})
}

func TestMoneyLicenseCostAndMargin(t *testing.T) {
	eur := func(amount int64) portal.Money { return portal.Money{Amount: amount, Currency: "EUR"} }
	cases := []struct {
		name         string
		license      portal.License
		cost, margin portal.Money
	}{
		{
			name:    "PerAssetCostsUnitCostTimesQuantity",
			license: portal.License{Model: portal.ModelPerAsset, Quantity: 25, UnitCost: eur(199), EndUserPrice: eur(10000)},
			cost:    eur(4975), margin: eur(5025),
		},
		{
			name:    "PerScanCostsUnitCostTimesQuantity",
			license: portal.License{Model: portal.ModelPerScan, Quantity: 1000, UnitCost: eur(5), EndUserPrice: eur(4000)},
			cost:    eur(5000), margin: eur(-1000),
		},
		{
			name:    "UnlimitedIsAFlatFee",
			license: portal.License{Model: portal.ModelUnlimited, UnitCost: eur(60000), EndUserPrice: eur(120000)},
			cost:    eur(60000), margin: eur(60000),
		},
		{
			name:    "UnlimitedIgnoresAStrayQuantity",
			license: portal.License{Model: portal.ModelUnlimited, Quantity: 7, UnitCost: eur(60000), EndUserPrice: eur(60000)},
			cost:    eur(60000), margin: eur(0),
		},
		{
			name:    "AFreeLicenseHasANegativeMargin",
			license: portal.License{Model: portal.ModelPerAsset, Quantity: 3, UnitCost: eur(199), EndUserPrice: eur(0)},
			cost:    eur(597), margin: eur(-597),
		},
		{
			name:    "APrepaidLicenseCostsItsDiscountedUnitCost",
			license: portal.License{Model: portal.ModelPerScan, Quantity: 10, Prepaid: true, UnitCost: eur(portal.Discounted(195, 1000)), EndUserPrice: eur(3000)},
			cost:    eur(1760), margin: eur(1240),
		},
		{
			name:    "TheCurrencyIsThePricesCurrency",
			license: portal.License{Model: portal.ModelPerScan, Quantity: 2, UnitCost: portal.Money{Amount: 50, Currency: "USD"}, EndUserPrice: portal.Money{Amount: 300, Currency: "USD"}},
			cost:    portal.Money{Amount: 100, Currency: "USD"}, margin: portal.Money{Amount: 200, Currency: "USD"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got, want := c.license.Cost(), c.cost; got != want {
				t.Fatalf("Cost() = %+v, want %+v", got, want)
			}
			if got, want := c.license.Margin(), c.margin; got != want {
				t.Fatalf("Margin() = %+v, want %+v", got, want)
			}
		})
	}
}

func TestMoneyLicenseModelsAndStatus(t *testing.T) {
	t.Run("MeteredModelsAlertAt90And80Percent", func(t *testing.T) {
		cases := []struct {
			model   portal.LicenseModel
			metered bool
			alert   int
		}{
			{portal.ModelPerAsset, true, 90},
			{portal.ModelPerScan, true, 80},
			{portal.ModelUnlimited, false, 0},
		}
		for _, c := range cases {
			if got, want := c.model.Metered(), c.metered; got != want {
				t.Fatalf("%s.Metered() = %v, want %v", c.model, got, want)
			}
			if got, want := c.model.AlertThresholdPercent(), c.alert; got != want {
				t.Fatalf("%s.AlertThresholdPercent() = %d, want %d", c.model, got, want)
			}
		}
	})
	now := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
	end := now
	later := now.Add(time.Millisecond)
	cases := []struct {
		name    string
		license portal.License
		want    portal.LicenseStatus
	}{
		{"OpenEndedIsActive", portal.License{}, portal.LicenseActive},
		{"EndingLaterIsActive", portal.License{EndsAt: &later}, portal.LicenseActive},
		{"EndingNowIsExpired", portal.License{EndsAt: &end}, portal.LicenseExpired},
		{"RevokedWinsOverEverything", portal.License{Revoked: true, EndsAt: &later}, portal.LicenseRevoked},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got, want := c.license.Status(now), c.want; got != want {
				t.Fatalf("Status = %s, want %s", got, want)
			}
		})
	}
}

func TestMoneyPricingDiscountPicksTheHighestTierReached(t *testing.T) {
	p := portal.Pricing{
		Currency:     "EUR",
		UnitCosts:    map[portal.LicenseModel]map[portal.BillingPeriod]int64{portal.ModelPerScan: {portal.PeriodMonthly: 195}},
		PrepaidTiers: []portal.PrepaidTier{{MinUnits: 100, DiscountBps: 1000}, {MinUnits: 500, DiscountBps: 1500}, {MinUnits: 1000, DiscountBps: 2500}},
	}
	cases := []struct {
		units int64
		want  portal.BasisPoints
	}{
		{0, 0}, {1, 0}, {99, 0}, {100, 1000}, {101, 1000}, {499, 1000}, {500, 1500}, {999, 1500}, {1000, 2500}, {1_000_000, 2500},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.units, "Units"), func(t *testing.T) {
			if got, want := p.Discount(c.units), c.want; got != want {
				t.Fatalf("Discount(%d) = %d bps, want %d", c.units, got, want)
			}
		})
	}
	t.Run("NoTiersNoDiscount", func(t *testing.T) {
		if got := (portal.Pricing{}).Discount(1_000_000); got != 0 {
			t.Fatalf("Discount without tiers = %d, want 0", got)
		}
	})
	t.Run("UnitCostCarriesThePricingCurrency", func(t *testing.T) {
		if got, want := p.UnitCost(portal.ModelPerScan, portal.PeriodMonthly), (portal.Money{Amount: 195, Currency: "EUR"}); got != want {
			t.Fatalf("UnitCost = %+v, want %+v", got, want)
		}
	})
	t.Run("APoolCostsUnitsTimesTheDiscountedUnitCost", func(t *testing.T) {
		// Rounded once per unit, not on the total: 100 × 176, not 100 × 175.5.
		pool := portal.PrepaidPool{Units: 100, UnitCost: portal.Money{Amount: portal.Discounted(195, p.Discount(100)), Currency: "EUR"}}
		if got, want := pool.Total(), (portal.Money{Amount: 17600, Currency: "EUR"}); got != want {
			t.Fatalf("Total = %+v, want %+v", got, want)
		}
	})
}

package services_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/services"
	"github.com/partnerportal/portal/internal/tenancy"
)

// The margin report (GET /v1/margins) on the assembled services and
// DynamoDB Local: licenses are assigned through the services, the clock is
// moved to revoke them at chosen moments, and the report is checked against
// amounts worked out by hand.

// movableClock is a portal.Clock that tests set.
type movableClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *movableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *movableClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// marginWorld is the services on a fresh table, a super admin and a partner admin.
type marginWorld struct {
	s        *services.Services
	clock    *movableClock
	operator tenancy.Identity
	admin    tenancy.Identity
}

func newMarginWorld(t *testing.T) *marginWorld {
	t.Helper()
	client, table := ddbtest.NewTable(t)
	clock := &movableClock{now: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)}
	ids := &portal.ULIDs{}
	w := &marginWorld{
		s:        services.New(dynamo.New(client, table), []byte(strings.Repeat("m", 32)), clock.Now, ids),
		clock:    clock,
		operator: tenancy.Identity{UserID: ids.New(portal.PrefixUser), Role: tenancy.RoleSuperAdmin},
	}
	w.admin = w.newAdmin()
	return w
}

func (w *marginWorld) newAdmin() tenancy.Identity {
	ids := &portal.ULIDs{}
	return tenancy.Identity{UserID: ids.New(portal.PrefixUser), Role: tenancy.RolePartnerAdmin, PartnerID: ids.New(portal.PrefixPartner)}
}

func ctxOf(id tenancy.Identity) context.Context {
	return tenancy.WithIdentity(context.Background(), id)
}

// setPricing makes a new pricing version in currency with the unit costs
// costs[model] = {monthly, annual}.
func (w *marginWorld) setPricing(t *testing.T, currency string, costs map[portal.LicenseModel][2]int64) {
	t.Helper()
	in := map[string]map[string]int64{}
	for m, c := range costs {
		in[string(m)] = map[string]int64{"monthly": c[0], "annual": c[1]}
	}
	tiers := []portal.PrepaidTier{}
	if _, err := w.s.Pricing.Put(ctxOf(w.operator), portal.PricingInput{Currency: &currency, UnitCosts: &in, PrepaidTiers: &tiers}, nil); err != nil {
		t.Fatalf("put pricing in %s: %v", currency, err)
	}
}

func (w *marginWorld) customer(t *testing.T, admin tenancy.Identity, name string) portal.Customer {
	t.Helper()
	email := "it@" + strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".example"
	c, err := w.s.Customers.Create(ctxOf(admin), portal.CustomerInput{Name: &name, ContactEmail: &email})
	if err != nil {
		t.Fatalf("create customer %s: %v", name, err)
	}
	return c
}

// licenseSpec is a license to assign: quantity 0 for unlimited.
type licenseSpec struct {
	model    portal.LicenseModel
	quantity int64
	period   portal.BillingPeriod
	price    int64
	currency string
	starts   time.Time
	ends     *time.Time
}

func (w *marginWorld) assign(t *testing.T, admin tenancy.Identity, c portal.Customer, sp licenseSpec) portal.License {
	t.Helper()
	in := portal.LicenseInput{
		Model: &sp.model, BillingPeriod: &sp.period, StartsAt: &sp.starts, EndsAt: sp.ends,
		EndUserPrice: &portal.MoneyInput{Amount: &sp.price, Currency: &sp.currency},
	}
	if sp.model.Metered() {
		in.Quantity = &sp.quantity
	}
	l, err := w.s.Licenses.Create(ctxOf(admin), c.ID, in)
	if err != nil {
		t.Fatalf("assign %s license to %s: %v", sp.model, c.Name, err)
	}
	return l
}

// revokeAt revokes a license with the clock at t.
func (w *marginWorld) revokeAt(t *testing.T, admin tenancy.Identity, l portal.License, at time.Time) {
	t.Helper()
	w.clock.Set(at)
	if _, err := w.s.Licenses.Revoke(ctxOf(admin), l.TenantID, l.ID); err != nil {
		t.Fatalf("revoke %s: %v", l.ID, err)
	}
}

func (w *marginWorld) report(t *testing.T, admin tenancy.Identity, period string) portal.MarginReport {
	t.Helper()
	r, err := w.s.Margins.Report(ctxOf(admin), period)
	if err != nil {
		t.Fatalf("report %s: %v", period, err)
	}
	return r
}

func utcDay(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// lineOf returns the report line of the customer named name.
func lineOf(t *testing.T, r portal.MarginReport, name string) portal.CustomerMargin {
	t.Helper()
	for _, c := range r.Customers {
		if c.CustomerName == name {
			return c
		}
	}
	t.Fatalf("report %s has no line for %s (customers: %v)", r.Period, name, namesOf(r))
	return portal.CustomerMargin{}
}

func namesOf(r portal.MarginReport) []string {
	var names []string
	for _, c := range r.Customers {
		names = append(names, c.CustomerName)
	}
	return names
}

// amountsIn returns the amounts in currency of a list; false when absent.
func amountsIn(list []portal.Amounts, currency string) (portal.Amounts, bool) {
	for _, a := range list {
		if a.Currency == currency {
			return a, true
		}
	}
	return portal.Amounts{}, false
}

func wantAmounts(t *testing.T, what string, list []portal.Amounts, want ...portal.Amounts) {
	t.Helper()
	if got := len(list); got != len(want) {
		t.Fatalf("%s: %d currencies %+v, want %d %+v", what, got, list, len(want), want)
	}
	for _, w := range want {
		got, ok := amountsIn(list, w.Currency)
		if !ok {
			t.Fatalf("%s: no %s amounts in %+v", what, w.Currency, list)
		}
		if got != w {
			t.Fatalf("%s: %+v, want %+v", what, got, w)
		}
	}
}

func amounts(currency string, revenue, cost int64) portal.Amounts {
	return portal.Amounts{Currency: currency, Revenue: revenue, Cost: cost, Margin: revenue - cost}
}

func TestMarginReport(t *testing.T) {
	w := newMarginWorld(t)
	admin := w.admin
	monthly, annual := portal.PeriodMonthly, portal.PeriodAnnual

	// Version 1 in EUR.
	w.setPricing(t, "EUR", map[portal.LicenseModel][2]int64{
		portal.ModelPerAsset:  {199, 1990},
		portal.ModelPerScan:   {195, 1950},
		portal.ModelUnlimited: {10000, 60000},
	})
	acme, bravo, charlie := w.customer(t, admin, "Acme GmbH"), w.customer(t, admin, "Bravo AG"), w.customer(t, admin, "Charlie SA")

	// Acme: a monthly per-asset license (5000 for 10 × 199) and an annual
	// unlimited one (120000 a year for 60000: 10000 and 5000 a month).
	w.assign(t, admin, acme, licenseSpec{portal.ModelPerAsset, 10, monthly, 5000, "EUR", utcDay(2026, 1, 15), nil})
	w.assign(t, admin, acme, licenseSpec{portal.ModelUnlimited, 0, annual, 120000, "EUR", utcDay(2026, 2, 1), nil})
	// Bravo: annual per-scan at an awkward 100001 a year, for 1950, from March.
	w.assign(t, admin, bravo, licenseSpec{portal.ModelPerScan, 1, annual, 100001, "EUR", utcDay(2026, 3, 1), nil})
	// Charlie: licenses that miss May 2026 in every way, and one revoked
	// during it. (Per-asset licenses of one customer never overlap in time.)
	revokedBefore := w.assign(t, admin, charlie, licenseSpec{portal.ModelPerAsset, 1, monthly, 1000, "EUR", utcDay(2026, 1, 1), nil})
	w.revokeAt(t, admin, revokedBefore, time.Date(2026, 4, 20, 15, 0, 0, 0, time.UTC))
	revokedAsMayStarts := w.assign(t, admin, charlie, licenseSpec{portal.ModelPerScan, 1, monthly, 1000, "EUR", utcDay(2026, 1, 1), nil})
	w.assign(t, admin, charlie, licenseSpec{portal.ModelPerAsset, 1, monthly, 1000, "EUR", utcDay(2026, 6, 1), nil}) // starts as May ends
	w.assign(t, admin, charlie, licenseSpec{portal.ModelPerScan, 1, monthly, 1000, "EUR", utcDay(2026, 6, 15), nil}) // starts after May
	w.assign(t, admin, charlie, licenseSpec{portal.ModelUnlimited, 0, monthly, 1000, "EUR", utcDay(2026, 1, 1), refOf(utcDay(2026, 5, 1))})
	revokedDuring := w.assign(t, admin, charlie, licenseSpec{portal.ModelPerScan, 2, monthly, 700, "EUR", utcDay(2026, 1, 1), nil})
	w.revokeAt(t, admin, revokedAsMayStarts, utcDay(2026, 5, 1))
	w.revokeAt(t, admin, revokedDuring, time.Date(2026, 5, 20, 9, 0, 0, 0, time.UTC))

	// Version 2 changes the currency to USD; later licenses are priced in USD.
	w.setPricing(t, "USD", map[portal.LicenseModel][2]int64{
		portal.ModelPerAsset:  {250, 2500},
		portal.ModelPerScan:   {300, 3000},
		portal.ModelUnlimited: {12000, 120000},
	})
	delta := w.customer(t, admin, "Delta Inc")
	w.assign(t, admin, delta, licenseSpec{portal.ModelUnlimited, 0, monthly, 15000, "USD", utcDay(2026, 4, 10), nil})
	w.assign(t, admin, acme, licenseSpec{portal.ModelPerScan, 4, monthly, 2000, "USD", time.Date(2026, 5, 31, 23, 59, 0, 0, time.UTC), nil})

	may := w.report(t, admin, "2026-05")

	t.Run("CustomersAreListedByNameWithTheirNames", func(t *testing.T) {
		if got, want := strings.Join(namesOf(may), ", "), "Acme GmbH, Bravo AG, Charlie SA, Delta Inc"; got != want {
			t.Fatalf("customers = %s, want %s", got, want)
		}
		if got, want := lineOf(t, may, "Acme GmbH").CustomerID, acme.ID; got != want {
			t.Fatalf("Acme's id = %s, want %s", got, want)
		}
		if got, want := may.Period, "2026-05"; got != want {
			t.Fatalf("period = %s, want %s", got, want)
		}
	})
	t.Run("MonthlyLicensesCountInFullAndAnnualOnesTheirMonthsShare", func(t *testing.T) {
		acme := lineOf(t, may, "Acme GmbH")
		if got, want := acme.Licenses, 3; got != want {
			t.Fatalf("Acme's licenses = %d, want %d", got, want)
		}
		eur, _ := amountsIn(acme.Amounts, "EUR")
		if got, want := eur, amounts("EUR", 5000+10000, 1990+5000); got != want {
			t.Fatalf("Acme in EUR = %+v, want %+v", got, want)
		}
		bravo := lineOf(t, may, "Bravo AG")
		// May is month 3 of Bravo's license year: 300003/12 − 200002/12 = 25000 − 16666.
		wantAmounts(t, "Bravo", bravo.Amounts, amounts("EUR", 8334, 1950*3/12-1950*2/12))
	})
	t.Run("RevokedBeforeTheMonthEndedBeforeItOrStartingAfterItDoNotCount", func(t *testing.T) {
		charlie := lineOf(t, may, "Charlie SA")
		if got, want := charlie.Licenses, 1; got != want {
			t.Fatalf("Charlie's licenses in May = %d, want %d (only the one revoked during May)", got, want)
		}
		wantAmounts(t, "Charlie", charlie.Amounts, amounts("EUR", 700, 2*195))
	})
	t.Run("CurrenciesAreNeverMixed", func(t *testing.T) {
		wantAmounts(t, "Acme", lineOf(t, may, "Acme GmbH").Amounts, amounts("EUR", 15000, 6990), amounts("USD", 2000, 4*300))
		wantAmounts(t, "Delta", lineOf(t, may, "Delta Inc").Amounts, amounts("USD", 15000, 12000))
	})
	t.Run("TotalsArePerCurrencyInCurrencyOrder", func(t *testing.T) {
		wantAmounts(t, "totals", may.Totals, amounts("EUR", 15000+8334+700, 6990+162+390), amounts("USD", 2000+15000, 1200+12000))
		if got, want := may.Totals[0].Currency+","+may.Totals[1].Currency, "EUR,USD"; got != want {
			t.Fatalf("totals order = %s, want %s", got, want)
		}
		percent := func(a portal.Amounts) string {
			bps, ok := a.MarginBps()
			if !ok {
				return "none"
			}
			return portal.FormatBasisPoints(bps)
		}
		// 16492 / 24034 = 68.619…%; 3800 / 17000 = 22.352…%.
		if got, want := percent(may.Totals[0])+" "+percent(may.Totals[1]), "68.62 22.35"; got != want {
			t.Fatalf("margin percentages = %s, want %s", got, want)
		}
	})
	t.Run("AssignedUnitCostsSurviveTheCurrencyChange", func(t *testing.T) {
		ls, err := w.s.Licenses.List(ctxOf(admin), acme.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ls {
			if l.UnitCost.Currency != l.EndUserPrice.Currency {
				t.Fatalf("license %s costs %s but is priced in %s", l.ID, l.UnitCost.Currency, l.EndUserPrice.Currency)
			}
			if l.PricingVersion == 1 && (l.UnitCost.Currency != "EUR" || l.Model == portal.ModelPerAsset && l.UnitCost.Amount != 199) {
				t.Fatalf("version-1 license %s now costs %+v", l.ID, l.UnitCost)
			}
		}
	})

	t.Run("AnAnnualPriceIsSharedOverItsTwelveMonthsExactly", func(t *testing.T) {
		var revenue, cost int64
		month := utcDay(2026, 3, 1)
		for k := 1; k <= 12; k++ {
			r := w.report(t, admin, month.Format("2006-01"))
			bravo, _ := amountsIn(lineOf(t, r, "Bravo AG").Amounts, "EUR")
			if got, want := bravo.Revenue, portal.MonthShare(100001, k); got != want {
				t.Fatalf("%s (month %d of the license year): revenue %d, want %d", r.Period, k, got, want)
			}
			if got := bravo.Revenue; got != 8333 && got != 8334 {
				t.Fatalf("%s: revenue %d, want 8333 or 8334", r.Period, got)
			}
			revenue += bravo.Revenue
			cost += bravo.Cost
			month = month.AddDate(0, 1, 0)
		}
		if revenue != 100001 || cost != 1950 {
			t.Fatalf("twelve months add up to revenue %d and cost %d, want 100001 and 1950", revenue, cost)
		}
	})
	t.Run("120000AYearIs10000EveryMonth", func(t *testing.T) {
		// Acme's EUR line is its monthly 5000 plus the annual license's twelfth.
		month := utcDay(2026, 2, 1)
		for range 12 {
			r := w.report(t, admin, month.Format("2006-01"))
			eur, _ := amountsIn(lineOf(t, r, "Acme GmbH").Amounts, "EUR")
			if got, want := eur.Revenue, int64(5000+10000); got != want {
				t.Fatalf("%s: Acme's EUR revenue = %d, want %d", r.Period, got, want)
			}
			if got, want := eur.Cost, int64(1990+5000); got != want {
				t.Fatalf("%s: Acme's EUR cost = %d, want %d", r.Period, got, want)
			}
			month = month.AddDate(0, 1, 0)
		}
	})
	t.Run("AMonthWithoutLicensesIsEmptyNotNull", func(t *testing.T) {
		r := w.report(t, admin, "2025-12")
		if r.Customers == nil || r.Totals == nil || len(r.Customers) != 0 || len(r.Totals) != 0 {
			t.Fatalf("report = %+v, want empty customers and totals", r)
		}
	})
	t.Run("ABadPeriodIsInvalid", func(t *testing.T) {
		for _, p := range []string{"2026-13", "2026-5", "May 2026", "2026-05-01", ""} {
			_, err := w.s.Margins.Report(ctxOf(admin), p)
			if got, want := portal.ErrorCode(err), portal.EINVALID; got != want {
				t.Fatalf("period %q: error code %q (%v), want %q", p, got, err, want)
			}
		}
	})
	t.Run("OnlyPartnerAdminsReadIt", func(t *testing.T) {
		member := tenancy.Identity{UserID: admin.UserID + "m", Role: tenancy.RolePartnerMember, PartnerID: admin.PartnerID}
		for _, who := range []tenancy.Identity{member, w.operator} {
			_, err := w.s.Margins.Report(ctxOf(who), "2026-05")
			if got, want := portal.ErrorCode(err), portal.EFORBIDDEN; got != want {
				t.Fatalf("%s: error code %q, want %q", who.Role, got, want)
			}
		}
	})
	t.Run("AnotherPartnersLicensesAreNotCounted", func(t *testing.T) {
		other := w.newAdmin()
		theirs := w.customer(t, other, "Other Co")
		w.assign(t, other, theirs, licenseSpec{portal.ModelUnlimited, 0, monthly, 99999, "USD", utcDay(2026, 1, 1), nil})
		again := w.report(t, admin, "2026-05")
		wantAmounts(t, "totals", again.Totals, may.Totals...)
		r := w.report(t, other, "2026-05")
		if got, want := strings.Join(namesOf(r), ","), "Other Co"; got != want {
			t.Fatalf("other partner's customers = %s, want %s", got, want)
		}
		wantAmounts(t, "other partner's totals", r.Totals, amounts("USD", 99999, 12000))
	})
	t.Run("AnArchivedCustomerKeepsItsName", func(t *testing.T) {
		if _, err := w.s.Customers.Archive(ctxOf(admin), delta.ID); err != nil {
			t.Fatal(err)
		}
		r := w.report(t, admin, "2026-05")
		if got, want := lineOf(t, r, "Delta Inc").CustomerID, delta.ID; got != want {
			t.Fatalf("archived customer's line = %s, want %s", got, want)
		}
	})
}

// The report reads with Queries only, and as many for 30 customers as for one.
func TestMarginReportIsAFixedNumberOfQueries(t *testing.T) {
	w := newMarginWorld(t)
	w.setPricing(t, "EUR", map[portal.LicenseModel][2]int64{
		portal.ModelPerAsset:  {199, 1990},
		portal.ModelPerScan:   {195, 1950},
		portal.ModelUnlimited: {10000, 60000},
	})
	calls := func(t *testing.T, admin tenancy.Identity, customers int) []string {
		t.Helper()
		for i := range customers {
			c := w.customer(t, admin, fmt.Sprintf("Customer %02d", i))
			w.assign(t, admin, c, licenseSpec{portal.ModelPerAsset, int64(i + 1), portal.PeriodMonthly, 5000, "EUR", utcDay(2026, 1, 1), nil})
			w.assign(t, admin, c, licenseSpec{portal.ModelUnlimited, 0, portal.PeriodAnnual, 120000, "EUR", utcDay(2026, 1, 1), nil})
		}
		ctx, m := dynamo.WithMeter(ctxOf(admin))
		r, err := w.s.Margins.Report(ctx, "2026-05")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(r.Customers), customers; got != want {
			t.Fatalf("report lines = %d, want %d", got, want)
		}
		var ops []string
		for _, c := range m.Calls() {
			ops = append(ops, c.Operation)
			if c.Operation != "Query" {
				t.Fatalf("the report made a %s; it reads with Queries only (calls: %v)", c.Operation, m.Calls())
			}
		}
		return ops
	}
	one := calls(t, w.admin, 1)
	thirty := calls(t, w.newAdmin(), 30)
	if len(thirty) != len(one) {
		t.Fatalf("the report makes %d calls for 30 customers and %d for one; want the same", len(thirty), len(one))
	}
	if got := len(one); got < 2 || got > 3 {
		t.Fatalf("the report makes %d Queries, want 2 or 3 (licenses, then the names of licensed customers from the plan index: the ranges before and after \"none\")", got)
	}
}

func refOf[T any](v T) *T { return &v }

// A license counts in the calendar month in which one of its license months
// begins while it is in force: twelve months for a year, whatever the day it started.
func TestMarginReportCountsEachLicenseMonthOnce(t *testing.T) {
	w := newMarginWorld(t)
	admin := w.admin
	monthly, annual := portal.PeriodMonthly, portal.PeriodAnnual
	w.setPricing(t, "EUR", map[portal.LicenseModel][2]int64{
		portal.ModelPerAsset:  {199, 1990},
		portal.ModelPerScan:   {195, 1950},
		portal.ModelUnlimited: {10000, 60000},
	})
	t.Run("AnAnnualLicenseStartingMidMonthCountsInTwelveMonthsNotThirteen", func(t *testing.T) {
		echo := w.customer(t, admin, "Echo Ltd")
		w.assign(t, admin, echo, licenseSpec{portal.ModelUnlimited, 0, annual, 120000, "EUR", utcDay(2026, 1, 15), refOf(utcDay(2027, 1, 15))})
		var revenue int64
		months := 0
		for month := utcDay(2026, 1, 1); month.Before(utcDay(2027, 3, 1)); month = month.AddDate(0, 1, 0) {
			r := w.report(t, admin, month.Format("2006-01"))
			for _, c := range r.Customers {
				if c.CustomerName == "Echo Ltd" {
					eur, _ := amountsIn(c.Amounts, "EUR")
					revenue += eur.Revenue
					months++
				}
			}
		}
		if months != 12 || revenue != 120000 {
			t.Fatalf("counted in %d months for %d, want 12 months for 120000", months, revenue)
		}
	})
	t.Run("ALicenseStartedOnThe31stBeginsItsMonthsOnShorterMonthsLastDay", func(t *testing.T) {
		fox := w.customer(t, admin, "Foxtrot BV")
		l := w.assign(t, admin, fox, licenseSpec{portal.ModelPerAsset, 1, monthly, 777, "EUR", utcDay(2026, 1, 31), nil})
		w.revokeAt(t, admin, l, time.Date(2026, 2, 28, 12, 0, 0, 0, time.UTC)) // after its February month began
		for _, period := range []string{"2026-01", "2026-02"} {
			if lineOf(t, w.report(t, admin, period), "Foxtrot BV").Licenses != 1 {
				t.Fatalf("%s: Foxtrot's license not counted", period)
			}
		}
		if names := namesOf(w.report(t, admin, "2026-03")); strings.Contains(strings.Join(names, ","), "Foxtrot") {
			t.Fatalf("2026-03 counts a license revoked in February: %v", names)
		}
	})
}

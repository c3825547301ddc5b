package dynamo_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

func TestPrepaidPurchase(t *testing.T) {
	l := newLicensing(t)
	l.setPricing(t, "EUR")
	admin := l.newPartnerAdmin()

	cases := []struct {
		name     string
		model    portal.LicenseModel
		units    int64
		period   *portal.BillingPeriod
		list     int64
		discount portal.BasisPoints
		unit     int64
	}{
		{"BelowTheFirstTierThereIsNoDiscount", portal.ModelPerScan, 99, nil, 195, 0, 195},
		{"TheFirstTierTakes10PercentRoundedHalfUp", portal.ModelPerScan, 100, nil, 195, 1000, 176},
		{"179.1RoundsDownTo179", portal.ModelPerAsset, 250, nil, 199, 1000, 179},
		{"TheHighestTierReachedApplies", portal.ModelPerScan, 500, nil, 195, 2000, 156},
		{"AnnualPoolsUseTheAnnualUnitCost", portal.ModelPerAsset, 100, ptr(portal.PeriodAnnual), 1990, 1000, 1791},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, m := l.measure(l.as(admin))
			pool, err := l.prepaid.Buy(ctx, portal.PrepaidInput{Model: &c.model, Units: &c.units, BillingPeriod: c.period})
			mustOK(t, "buy", err)
			if got, want := strings.Join(ops(m), ","), "GetItem,TransactWriteItems"; got != want { // pricing, then the pool with its audit entry
				t.Fatalf("DynamoDB calls = %s, want %s", got, want)
			}
			if !portal.ValidID(portal.PrefixPrepaid, pool.ID) {
				t.Fatalf("pool id = %q, want ppd_…", pool.ID)
			}
			if got, want := pool.ListUnitCost, (portal.Money{Amount: c.list, Currency: "EUR"}); got != want {
				t.Fatalf("list unit cost = %+v, want %+v", got, want)
			}
			if got, want := pool.DiscountBps, c.discount; got != want {
				t.Fatalf("discount = %d bps, want %d", got, want)
			}
			if got, want := pool.UnitCost, (portal.Money{Amount: c.unit, Currency: "EUR"}); got != want {
				t.Fatalf("unit cost = %+v, want %+v", got, want)
			}
			if got, want := pool.Total(), (portal.Money{Amount: c.units * c.unit, Currency: "EUR"}); got != want {
				t.Fatalf("total = %+v, want %+v", got, want)
			}
			stored, err := l.prepaid.List(l.as(admin))
			mustOK(t, "list", err)
			last := stored[len(stored)-1]
			if last.ID != pool.ID || last.Units != c.units || last.Balance != c.units || last.UnitCost != pool.UnitCost ||
				last.DiscountBps != c.discount || last.PricingVersion != 1 || last.PurchasedBy != admin.UserID {
				t.Fatalf("stored pool = %+v, want %+v", last, pool)
			}
		})
	}

	t.Run("PoolsAreListedOldestFirstPerPartner", func(t *testing.T) {
		pools, err := l.prepaid.List(l.as(admin))
		mustOK(t, "list", err)
		if got, want := len(pools), len(cases); got != want {
			t.Fatalf("pools = %d, want %d", got, want)
		}
		for i := 1; i < len(pools); i++ {
			if pools[i-1].ID >= pools[i].ID {
				t.Fatalf("pools out of purchase order: %s before %s", pools[i-1].ID, pools[i].ID)
			}
		}
		other, err := l.prepaid.List(l.as(l.newPartnerAdmin()))
		mustOK(t, "list", err)
		if len(other) != 0 {
			t.Fatalf("another partner lists %d pools, want 0", len(other))
		}
	})

	t.Run("BadPurchasesNameTheFieldAndWriteNothing", func(t *testing.T) {
		bad := []struct {
			name  string
			in    portal.PrepaidInput
			field string
		}{
			{"ModelMissing", portal.PrepaidInput{Units: ptr(int64(10))}, "model"},
			{"Unlimited", portal.PrepaidInput{Model: modelPtr(portal.ModelUnlimited), Units: ptr(int64(10))}, "model"},
			{"UnknownModel", portal.PrepaidInput{Model: modelPtr("per_seat"), Units: ptr(int64(10))}, "model"},
			{"UnitsMissing", portal.PrepaidInput{Model: modelPtr(portal.ModelPerScan)}, "units"},
			{"ZeroUnits", portal.PrepaidInput{Model: modelPtr(portal.ModelPerScan), Units: ptr(int64(0))}, "units"},
			{"NegativeUnits", portal.PrepaidInput{Model: modelPtr(portal.ModelPerScan), Units: ptr(int64(-10))}, "units"},
			{"UnknownPeriod", portal.PrepaidInput{Model: modelPtr(portal.ModelPerScan), Units: ptr(int64(10)), BillingPeriod: ptr(portal.BillingPeriod("weekly"))}, "billingPeriod"},
		}
		for _, c := range bad {
			t.Run(c.name, func(t *testing.T) {
				ctx, m := l.measure(l.as(admin))
				_, err := l.prepaid.Buy(ctx, c.in)
				wantFields(t, "buy", err, c.field)
				wantNoWrites(t, "buy", m)
			})
		}
	})

	t.Run("OnlyPartnerAdminsBuyAndList", func(t *testing.T) {
		member := tenancy.Identity{UserID: l.ids.New(portal.PrefixUser), Role: tenancy.RolePartnerMember, PartnerID: admin.PartnerID}
		for _, who := range []tenancy.Identity{member, l.operator} {
			ctx, m := l.measure(l.as(who))
			_, err := l.prepaid.Buy(ctx, portal.PrepaidInput{Model: modelPtr(portal.ModelPerScan), Units: ptr(int64(100))})
			wantCode(t, "buy by "+string(who.Role), err, portal.EFORBIDDEN)
			_, err = l.prepaid.List(ctx)
			wantCode(t, "list by "+string(who.Role), err, portal.EFORBIDDEN)
			wantNoWrites(t, "buy by "+string(who.Role), m)
		}
	})
}

func TestPrepaidDraws(t *testing.T) {
	l := newLicensing(t)
	l.setPricing(t, "EUR")
	admin := l.newPartnerAdmin()
	ctx := l.as(admin)
	pool := l.buy(t, admin, portal.ModelPerScan, 100)
	acme := l.newCustomer(t, admin, "Acme")

	t.Run("ALicenseDrawsItsQuantityInItsTransactionAtTheDiscountedCost", func(t *testing.T) {
		mctx, m := l.measure(ctx)
		lic, err := l.licenses.Create(mctx, acme.ID, prepaidLic(scanLic(30, 9000)))
		mustOK(t, "create", err)
		if got, want := strings.Join(ops(m), ","), "GetItem,GetItem,Query,TransactWriteItems"; got != want {
			t.Fatalf("DynamoDB calls = %s, want %s (customer, pricing, pools, one transaction)", got, want)
		}
		if got, want := l.balance(t, admin.PartnerID, pool.ID), int64(70); got != want {
			t.Fatalf("pool balance = %d, want %d", got, want)
		}
		back, err := l.store.GetLicense(l.ctx, admin.Scope(), acme.ID, lic.ID)
		mustOK(t, "get", err)
		if got, want := back.UnitCost, pool.UnitCost; got != want {
			t.Fatalf("unit cost = %+v, want the pool's %+v", got, want)
		}
		if got, want := back.Cost().Amount, int64(30*176); got != want {
			t.Fatalf("cost = %d, want %d", got, want)
		}
		if got, want := back.Margin().Amount, int64(9000-30*176); got != want {
			t.Fatalf("margin = %d, want %d", got, want)
		}
		if !back.Prepaid || back.PrepaidPoolID != pool.ID {
			t.Fatalf("prepaid = %v from %q, want true from %s", back.Prepaid, back.PrepaidPoolID, pool.ID)
		}
	})

	t.Run("TooFewUnitsIsConflictNamingTheBalance", func(t *testing.T) {
		before, err := l.store.GetCustomer(l.ctx, admin.Scope(), acme.ID)
		mustOK(t, "get", err)
		mctx, m := l.measure(ctx)
		_, err = l.licenses.Create(mctx, acme.ID, prepaidLic(scanLic(71, 9000)))
		wantCode(t, "create", err, portal.ECONFLICT)
		wantMessage(t, "create", err, " 70")
		wantNoWrites(t, "create", m)
		if got, want := l.balance(t, admin.PartnerID, pool.ID), int64(70); got != want {
			t.Fatalf("pool balance = %d, want %d", got, want)
		}
		after, err := l.store.GetCustomer(l.ctx, admin.Scope(), acme.ID)
		mustOK(t, "get", err)
		if after.Version != before.Version {
			t.Fatalf("customer version = %d, want %d (unchanged)", after.Version, before.Version)
		}
	})

	t.Run("TooFewUnitsInANamedPoolIsConflictNamingTheBalance", func(t *testing.T) {
		in := prepaidLic(scanLic(71, 9000))
		in.PrepaidPoolID = &pool.ID
		mctx, m := l.measure(ctx)
		_, err := l.licenses.Create(mctx, acme.ID, in)
		wantCode(t, "create", err, portal.ECONFLICT)
		wantMessage(t, "create", err, pool.ID, " 70")
		wantNoWrites(t, "create", m)
	})

	t.Run("APoolOfAnotherModelIsInvalid", func(t *testing.T) {
		in := prepaidLic(assetLic(1, 9000))
		in.PrepaidPoolID = &pool.ID
		mctx, m := l.measure(ctx)
		_, err := l.licenses.Create(mctx, acme.ID, in)
		wantFields(t, "create", err, "prepaidPoolId")
		wantNoWrites(t, "create", m)
	})

	t.Run("APoolOfAnotherPeriodIsInvalid", func(t *testing.T) {
		in := prepaidLic(scanLic(1, 9000))
		in.PrepaidPoolID = &pool.ID
		in.BillingPeriod = ptr(portal.PeriodAnnual)
		_, err := l.licenses.Create(ctx, acme.ID, in)
		wantFields(t, "create", err, "prepaidPoolId")
	})

	t.Run("AnotherPartnersPoolIsNotFound", func(t *testing.T) {
		other := l.newPartnerAdmin()
		theirs := l.newCustomer(t, other, "Theirs")
		in := prepaidLic(scanLic(1, 9000))
		in.PrepaidPoolID = &pool.ID
		mctx, m := l.measure(l.as(other))
		_, err := l.licenses.Create(mctx, theirs.ID, in)
		wantFields(t, "create", err, "prepaidPoolId")
		wantNoWrites(t, "create", m)
		_, err = l.licenses.Create(l.as(other), theirs.ID, prepaidLic(scanLic(1, 9000)))
		wantCode(t, "create without a pool of their own", err, portal.ECONFLICT)
		if got, want := l.balance(t, admin.PartnerID, pool.ID), int64(70); got != want {
			t.Fatalf("pool balance = %d, want %d", got, want)
		}
	})

	t.Run("WithoutAPoolOfTheModelIsConflict", func(t *testing.T) {
		_, err := l.licenses.Create(ctx, acme.ID, prepaidLic(assetLic(1, 9000)))
		wantCode(t, "create", err, portal.ECONFLICT)
	})

	t.Run("TheOldestPoolWithEnoughUnitsIsDrawn", func(t *testing.T) {
		second := l.buy(t, admin, portal.ModelPerScan, 100)
		big, err := l.licenses.Create(ctx, acme.ID, prepaidLic(scanLic(80, 9000)))
		mustOK(t, "create", err)
		if got, want := big.PrepaidPoolID, second.ID; got != want {
			t.Fatalf("80 units drawn from %s, want %s (the first has 70)", got, want)
		}
		small, err := l.licenses.Create(ctx, acme.ID, prepaidLic(scanLic(60, 9000)))
		mustOK(t, "create", err)
		if got, want := small.PrepaidPoolID, pool.ID; got != want {
			t.Fatalf("60 units drawn from %s, want %s (the oldest with enough)", got, want)
		}
		if got, want := l.balance(t, admin.PartnerID, pool.ID), int64(10); got != want {
			t.Fatalf("first pool balance = %d, want %d", got, want)
		}
		if got, want := l.balance(t, admin.PartnerID, second.ID), int64(20); got != want {
			t.Fatalf("second pool balance = %d, want %d", got, want)
		}
		_, err = l.licenses.Create(ctx, acme.ID, prepaidLic(scanLic(21, 9000)))
		wantCode(t, "create", err, portal.ECONFLICT)
		wantMessage(t, "create", err, pool.ID+": 10", second.ID+": 20")
	})

	t.Run("RevokingAPrepaidLicenseDoesNotReturnItsUnits", func(t *testing.T) {
		before := l.balance(t, admin.PartnerID, pool.ID)
		lic, err := l.licenses.Create(ctx, acme.ID, prepaidLic(scanLic(5, 9000)))
		mustOK(t, "create", err)
		_, err = l.licenses.Revoke(ctx, acme.ID, lic.ID)
		mustOK(t, "revoke", err)
		if got, want := lic.PrepaidPoolID, pool.ID; got != want {
			t.Fatalf("drawn from %s, want %s", got, want)
		}
		if got, want := l.balance(t, admin.PartnerID, pool.ID), before-5; got != want {
			t.Fatalf("pool balance = %d, want %d", got, want)
		}
	})

	t.Run("TheStoreNeverOverdrawsEvenWhenTheServiceIsWrong", func(t *testing.T) {
		// The service checked a stale balance: the transaction's condition holds the line.
		fresh := l.buy(t, admin, portal.ModelPerScan, 100)
		c, err := l.store.GetCustomer(l.ctx, admin.Scope(), acme.ID)
		mustOK(t, "get", err)
		lic := portal.License{
			ID: l.ids.New(portal.PrefixLicense), TenantID: acme.ID, PartnerID: admin.PartnerID, Model: portal.ModelPerScan,
			Quantity: 101, BillingPeriod: portal.PeriodMonthly, StartsAt: l.clock.Now(), EndUserPrice: portal.Money{Amount: 1, Currency: "EUR"},
			UnitCost: fresh.UnitCost, PricingVersion: 1, Prepaid: true, PrepaidPoolID: fresh.ID, OveragePolicy: portal.OverageSoft,
			CreatedAt: l.clock.Now(), UpdatedAt: l.clock.Now(), Version: 1,
		}
		c.LicenseCounts[portal.ModelPerScan]++
		c.Version++
		err = l.store.SaveLicenses(l.ctx, &c, false, []portal.License{lic}, map[string]int64{fresh.ID: 101})
		wantCode(t, "save", err, portal.ECONFLICT)
		wantMessage(t, "save", err, fresh.ID, " 100")
		if got, want := l.balance(t, admin.PartnerID, fresh.ID), int64(100); got != want {
			t.Fatalf("pool balance = %d, want %d", got, want)
		}
		if item := l.rawItem(t, "TENANT#"+acme.PartnerID+"#"+acme.ID, "LICENSE#"+lic.ID); len(item) > 0 {
			t.Fatalf("the license was written although its draw failed")
		}
		after, err := l.store.GetCustomer(l.ctx, admin.Scope(), acme.ID)
		mustOK(t, "get", err)
		if after.Version != c.Version-1 {
			t.Fatalf("customer version = %d, want %d (unchanged)", after.Version, c.Version-1)
		}
	})
}

func TestSaveLicensesConditions(t *testing.T) {
	l := newLicensing(t)
	l.setPricing(t, "EUR")
	admin, other := l.newPartnerAdmin(), l.newPartnerAdmin()
	acme := l.newCustomer(t, admin, "Acme")
	theirPool := l.buy(t, other, portal.ModelPerScan, 100)
	license := func(poolID string) portal.License {
		return portal.License{
			ID: l.ids.New(portal.PrefixLicense), TenantID: acme.ID, PartnerID: admin.PartnerID, Model: portal.ModelPerScan,
			Quantity: 1, BillingPeriod: portal.PeriodMonthly, StartsAt: l.clock.Now(), EndUserPrice: portal.Money{Amount: 1, Currency: "EUR"},
			UnitCost: portal.Money{Amount: 176, Currency: "EUR"}, PricingVersion: 1, Prepaid: poolID != "", PrepaidPoolID: poolID,
			OveragePolicy: portal.OverageSoft, CreatedAt: l.clock.Now(), UpdatedAt: l.clock.Now(), Version: 1,
		}
	}

	t.Run("DrawingFromAnUnknownPoolIsNotFound", func(t *testing.T) {
		lic := license("ppd_01JX0000000000000000000000")
		err := l.store.SaveLicenses(l.ctx, nil, false, []portal.License{lic}, map[string]int64{lic.PrepaidPoolID: 1})
		wantCode(t, "save", err, portal.ENOTFOUND)
		if item := l.rawItem(t, "TENANT#"+acme.PartnerID+"#"+acme.ID, "LICENSE#"+lic.ID); len(item) > 0 {
			t.Fatalf("the license was written although its draw failed")
		}
	})
	t.Run("DrawingFromAnotherPartnersPoolIsNotFound", func(t *testing.T) {
		lic := license(theirPool.ID)
		err := l.store.SaveLicenses(l.ctx, nil, false, []portal.License{lic}, map[string]int64{theirPool.ID: 1})
		wantCode(t, "save", err, portal.ENOTFOUND)
		if got, want := l.balance(t, other.PartnerID, theirPool.ID), int64(100); got != want {
			t.Fatalf("their pool balance = %d, want %d", got, want)
		}
	})
	t.Run("CreatingAnExistingCustomerIsConflict", func(t *testing.T) {
		c := acme
		err := l.store.SaveLicenses(l.ctx, &c, true, []portal.License{license("")}, nil)
		wantCode(t, "save", err, portal.ECONFLICT)
	})
	t.Run("AStaleCustomerVersionIsPreconditionFailed", func(t *testing.T) {
		c := acme
		c.Version = 5 // the store holds version 1
		lic := license("")
		err := l.store.SaveLicenses(l.ctx, &c, false, []portal.License{lic}, nil)
		wantCode(t, "save", err, portal.EPRECONDITION)
		if item := l.rawItem(t, "TENANT#"+acme.PartnerID+"#"+acme.ID, "LICENSE#"+lic.ID); len(item) > 0 {
			t.Fatalf("the license was written although the customer's condition failed")
		}
	})
	t.Run("ALicenseOfAnotherPartnerCannotBeReplaced", func(t *testing.T) {
		lic := license("")
		mustOK(t, "save", l.store.SaveLicenses(l.ctx, nil, false, []portal.License{lic}, nil))
		hijack := lic
		hijack.PartnerID, hijack.Version, hijack.Quantity = other.PartnerID, 2, 999
		err := l.store.SaveLicenses(l.ctx, nil, false, []portal.License{hijack}, nil)
		if code := portal.ErrorCode(err); code != portal.EPRECONDITION && code != portal.ENOTFOUND {
			t.Fatalf("replace: error code = %q (%v), want %q or %q", code, err, portal.EPRECONDITION, portal.ENOTFOUND)
		}
		back, err := l.store.GetLicense(l.ctx, admin.Scope(), acme.ID, lic.ID)
		mustOK(t, "get", err)
		if back.Quantity != 1 || back.PartnerID != admin.PartnerID {
			t.Fatalf("license = quantity %d of %s, want 1 of %s", back.Quantity, back.PartnerID, admin.PartnerID)
		}
	})
}

// A pool is bought in the pricing's currency; a license priced in another
// currency (after the pricing changed currency) must not be costed with it.
func TestPrepaidPoolsKeepTheirCurrency(t *testing.T) {
	l := newLicensing(t)
	l.setPricing(t, "EUR")
	admin := l.newPartnerAdmin()
	ctx := l.as(admin)
	pool := l.buy(t, admin, portal.ModelPerScan, 100) // 176 EUR a unit
	acme := l.newCustomer(t, admin, "Acme")
	_, err := l.pricing.Put(l.as(l.operator), pricingIn("USD", listPrices(), testTiers), ptr(int64(1)))
	mustOK(t, "change the pricing to USD", err)

	in := prepaidLic(scanLic(10, 9000))
	in.EndUserPrice = priceIn(9000, "USD")
	lic, err := l.licenses.Create(ctx, acme.ID, in)
	if err == nil {
		back, gerr := l.store.GetLicense(l.ctx, admin.Scope(), acme.ID, lic.ID)
		mustOK(t, "get", gerr)
		t.Fatalf("a USD license drew from EUR pool %s: created with unit cost %+v, stored as %+v (cost %+v against a price of %+v); "+
			"want the draw refused (a EUR pool cannot pay for a USD license)", pool.ID, lic.UnitCost, back.UnitCost, back.Cost(), back.EndUserPrice)
	}
	if code := portal.ErrorCode(err); code != portal.EINVALID && code != portal.ECONFLICT {
		t.Fatalf("create: error code = %q (%v), want %q or %q", code, err, portal.EINVALID, portal.ECONFLICT)
	}
	if got, want := l.balance(t, admin.PartnerID, pool.ID), int64(100); got != want {
		t.Fatalf("pool balance = %d, want %d", got, want)
	}
}

// Twenty licenses of 10 units race for a pool of 100: the pool never goes
// below zero, every unit drawn belongs to a stored license, and every
// loser is told conflict or precondition failed, never an internal error.
func TestPrepaidConcurrentDrawsNeverOverdraw(t *testing.T) {
	l := newLicensing(t)
	l.setPricing(t, "EUR")
	const racers, quantity, units = 20, 10, 100

	race := func(t *testing.T, admin tenancy.Identity, poolID string, draw func(ctx context.Context, i int) error) int {
		t.Helper()
		errs := make([]error, racers)
		var wg sync.WaitGroup
		startGun := make(chan struct{})
		for i := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-startGun
				errs[i] = draw(l.as(admin), i)
			}()
		}
		close(startGun)
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch portal.ErrorCode(err) {
			case "":
				won++
			case portal.ECONFLICT, portal.EPRECONDITION:
			default:
				t.Errorf("racer %d: %v (code %q), want success, %q or %q", i, err, portal.ErrorCode(err), portal.ECONFLICT, portal.EPRECONDITION)
			}
		}
		balance := l.balance(t, admin.PartnerID, poolID)
		if balance < 0 {
			t.Fatalf("pool balance = %d: overdrawn", balance)
		}
		if got, want := int64(won)*quantity+balance, int64(units); got != want {
			t.Fatalf("%d successful draws of %d + balance %d = %d, want %d", won, quantity, balance, got, want)
		}
		if won == 0 {
			t.Fatalf("no racer won: the pool had room for %d", units/quantity)
		}
		ls, err := l.store.ListPartnerLicenses(l.ctx, admin.PartnerID, epoch.AddDate(10, 0, 0))
		mustOK(t, "partner licenses", err)
		drawn := int64(0)
		for _, x := range ls {
			if x.PrepaidPoolID == poolID {
				drawn += x.Quantity
			}
		}
		if got, want := drawn, int64(units)-balance; got != want {
			t.Fatalf("stored pre-paid licenses hold %d units, want %d (what the pool lost)", got, want)
		}
		t.Logf("%d of %d racers won; balance %d", won, racers, balance)
		return won
	}

	t.Run("EachCreatingItsOwnCustomer", func(t *testing.T) {
		admin := l.newPartnerAdmin()
		pool := l.buy(t, admin, portal.ModelPerScan, units)
		won := race(t, admin, pool.ID, func(ctx context.Context, i int) error {
			_, _, err := l.customers.CreateWithLicenses(ctx, customerIn(fmt.Sprintf("Racer %02d", i), prepaidLic(scanLic(quantity, 5000))))
			return err
		})
		names, _, err := l.store.ListCustomers(l.ctx, tenancy.Scope{PartnerID: admin.PartnerID}, portal.CustomerQuery{Sort: portal.SortName, Limit: 100}, nil)
		mustOK(t, "names", err)
		if got, want := len(names), won; got != want {
			t.Fatalf("customers stored = %d, want %d (one per successful draw, none for the losers)", got, want)
		}
	})

	t.Run("EachForItsOwnExistingCustomer", func(t *testing.T) {
		admin := l.newPartnerAdmin()
		pool := l.buy(t, admin, portal.ModelPerScan, units)
		ids := make([]string, racers)
		for i := range ids {
			ids[i] = l.newCustomer(t, admin, fmt.Sprintf("Existing %02d", i)).ID
		}
		race(t, admin, pool.ID, func(ctx context.Context, i int) error {
			_, err := l.licenses.Create(ctx, ids[i], prepaidLic(scanLic(quantity, 5000)))
			return err
		})
		for _, id := range ids {
			c, err := l.store.GetCustomer(l.ctx, admin.Scope(), id)
			mustOK(t, "get", err)
			ls, err := l.store.ListLicenses(l.ctx, admin.Scope(), id)
			mustOK(t, "list", err)
			if got, want := c.LicenseCounts[portal.ModelPerScan], len(ls); got != want {
				t.Fatalf("customer %s counts %d per-scan licenses, has %d", id, got, want)
			}
		}
	})

	t.Run("AllForTheSameCustomer", func(t *testing.T) {
		admin := l.newPartnerAdmin()
		pool := l.buy(t, admin, portal.ModelPerScan, units)
		c := l.newCustomer(t, admin, "Contended")
		won := race(t, admin, pool.ID, func(ctx context.Context, i int) error {
			_, err := l.licenses.Create(ctx, c.ID, prepaidLic(scanLic(quantity, 5000)))
			return err
		})
		got, err := l.store.GetCustomer(l.ctx, admin.Scope(), c.ID)
		mustOK(t, "get", err)
		if got, want := got.LicenseCounts[portal.ModelPerScan], won; got != want {
			t.Fatalf("customer counts %d per-scan licenses, want %d", got, want)
		}
		if got, want := got.Version, int64(1+won); got != want {
			t.Fatalf("customer version = %d, want %d (one per license)", got, want)
		}
		ls, err := l.store.ListLicenses(l.ctx, admin.Scope(), c.ID)
		mustOK(t, "list", err)
		if got, want := len(ls), won; got != want {
			t.Fatalf("stored licenses = %d, want %d", got, want)
		}
	})
}

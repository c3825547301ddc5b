package dynamo_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

func TestPricingVersions(t *testing.T) {
	l := newLicensing(t)
	admin := l.newPartnerAdmin()
	member := tenancy.Identity{UserID: l.ids.New(portal.PrefixUser), Role: tenancy.RolePartnerMember, PartnerID: admin.PartnerID}
	customerAdmin := tenancy.Identity{UserID: l.ids.New(portal.PrefixUser), Role: tenancy.RoleCustomerAdmin, PartnerID: admin.PartnerID, TenantID: l.ids.New(portal.PrefixCustomer)}
	acme := l.newCustomer(t, admin, "Acme")

	t.Run("BeforeTheFirstPutThereIsNoPricing", func(t *testing.T) {
		_, err := l.pricing.Get(l.as(admin))
		wantCode(t, "get", err, portal.ENOTFOUND)
		_, err = l.store.GetPricing(l.ctx)
		wantCode(t, "store get", err, portal.ENOTFOUND)
		ctx, m := l.measure(l.as(admin))
		_, err = l.licenses.Create(ctx, acme.ID, assetLic(1, 100))
		wantCode(t, "license without pricing", err, portal.ECONFLICT)
		wantNoWrites(t, "license without pricing", m)
		_, err = l.prepaid.Buy(ctx, portal.PrepaidInput{Model: modelPtr(portal.ModelPerScan), Units: ptr(int64(100))})
		wantCode(t, "pre-paid without pricing", err, portal.ECONFLICT)
		wantNoWrites(t, "pre-paid without pricing", m)
	})

	t.Run("PartnersMayNotChangeIt", func(t *testing.T) {
		for _, who := range []tenancy.Identity{admin, member, customerAdmin} {
			ctx, m := l.measure(l.as(who))
			_, err := l.pricing.Put(ctx, pricingIn("EUR", listPrices(), testTiers), nil)
			wantCode(t, "put by "+string(who.Role), err, portal.EFORBIDDEN)
			if calls := ops(m); len(calls) > 0 {
				t.Fatalf("put by %s made DynamoDB calls %v, want none", who.Role, calls)
			}
		}
	})

	var v1 portal.Pricing
	t.Run("TheFirstPutIsVersion1", func(t *testing.T) {
		ctx, m := l.measure(l.as(l.operator))
		var err error
		v1, err = l.pricing.Put(ctx, pricingIn("eur", listPrices(), testTiers), nil)
		mustOK(t, "put", err)
		if got, want := strings.Join(ops(m), ","), "GetItem,TransactWriteItems"; got != want {
			t.Fatalf("DynamoDB calls = %s, want %s (the current version, then version and pointer in one transaction)", got, want)
		}
		if got, want := v1.Version, int64(1); got != want {
			t.Fatalf("version = %d, want %d", got, want)
		}
		if got, want := v1.Currency, "EUR"; got != want {
			t.Fatalf("currency = %q, want %q (upper-cased)", got, want)
		}
		if got, want := v1.UpdatedBy, l.operator.UserID; got != want {
			t.Fatalf("updatedBy = %q, want %q", got, want)
		}
	})

	t.Run("PartnerPersonnelReadItWithOneGetItem", func(t *testing.T) {
		for _, who := range []tenancy.Identity{admin, member, l.operator} {
			ctx, m := l.measure(l.as(who))
			got, err := l.pricing.Get(ctx)
			mustOK(t, "get by "+string(who.Role), err)
			if got, want := strings.Join(ops(m), ","), "GetItem"; got != want {
				t.Fatalf("DynamoDB calls = %s, want %s", got, want)
			}
			if got.Version != 1 || got.Currency != "EUR" {
				t.Fatalf("pricing = version %d in %s, want 1 in EUR", got.Version, got.Currency)
			}
			for model, periods := range listPrices() {
				for period, cost := range periods {
					if got := got.UnitCosts[portal.LicenseModel(model)][portal.BillingPeriod(period)]; got != cost {
						t.Fatalf("unit cost %s/%s = %d, want %d", model, period, got, cost)
					}
				}
			}
			if got, want := len(got.PrepaidTiers), len(testTiers); got != want {
				t.Fatalf("tiers = %d, want %d", got, want)
			}
			for i, tier := range testTiers {
				if got.PrepaidTiers[i] != tier {
					t.Fatalf("tier %d = %+v, want %+v", i, got.PrepaidTiers[i], tier)
				}
			}
		}
		_, err := l.pricing.Get(l.as(customerAdmin))
		wantCode(t, "get by a customer admin", err, portal.EFORBIDDEN)
	})

	// A license assigned under version 1, before the price rises.
	lic, err := l.licenses.Create(l.as(admin), acme.ID, assetLic(10, 5000))
	mustOK(t, "create license under v1", err)

	t.Run("TheSecondPutIsVersion2AndGetReturnsIt", func(t *testing.T) {
		costs := listPrices()
		costs["per_asset"]["monthly"] = 299
		v2, err := l.pricing.Put(l.as(l.operator), pricingIn("EUR", costs, []portal.PrepaidTier{{MinUnits: 50, DiscountBps: 500}}), ptr(int64(1)))
		mustOK(t, "put v2", err)
		if got, want := v2.Version, int64(2); got != want {
			t.Fatalf("version = %d, want %d", got, want)
		}
		got, err := l.store.GetPricing(l.ctx)
		mustOK(t, "get", err)
		if got.Version != 2 || got.UnitCosts[portal.ModelPerAsset][portal.PeriodMonthly] != 299 {
			t.Fatalf("current pricing = version %d, per-asset monthly %d; want 2 and 299", got.Version, got.UnitCosts[portal.ModelPerAsset][portal.PeriodMonthly])
		}
		if len(got.PrepaidTiers) != 1 || got.PrepaidTiers[0] != (portal.PrepaidTier{MinUnits: 50, DiscountBps: 500}) {
			t.Fatalf("current tiers = %+v, want one of 50 units at 500 bps", got.PrepaidTiers)
		}
	})

	t.Run("ALicenseKeepsTheUnitCostAndMarginItWasAssignedWith", func(t *testing.T) {
		got, err := l.store.GetLicense(l.ctx, admin.Scope(), acme.ID, lic.ID)
		mustOK(t, "get license", err)
		if got, want := got.UnitCost, (portal.Money{Amount: 199, Currency: "EUR"}); got != want {
			t.Fatalf("unit cost = %+v, want %+v (version 1's)", got, want)
		}
		if got, want := got.PricingVersion, int64(1); got != want {
			t.Fatalf("pricing version = %d, want %d", got, want)
		}
		if got, want := got.Margin(), (portal.Money{Amount: 5000 - 10*199, Currency: "EUR"}); got != want {
			t.Fatalf("margin = %+v, want %+v", got, want)
		}
		// And it keeps them when it changes for other reasons.
		changed, err := l.licenses.Update(l.as(admin), acme.ID, lic.ID, portal.LicensePatch{Quantity: ptr(int64(12))}, nil)
		mustOK(t, "update", err)
		if changed.UnitCost.Amount != 199 || changed.PricingVersion != 1 {
			t.Fatalf("after a change: unit cost %d of version %d, want 199 of version 1", changed.UnitCost.Amount, changed.PricingVersion)
		}
	})

	t.Run("ANewLicenseGetsTheNewUnitCost", func(t *testing.T) {
		other := l.newCustomer(t, admin, "Other") // Acme's per-asset license is in force
		got, err := l.licenses.Create(l.as(admin), other.ID, assetLic(10, 5000))
		mustOK(t, "create", err)
		if got.UnitCost.Amount != 299 || got.PricingVersion != 2 {
			t.Fatalf("unit cost %d of version %d, want 299 of version 2", got.UnitCost.Amount, got.PricingVersion)
		}
	})

	t.Run("EveryVersionIsKeptUnchanged", func(t *testing.T) {
		for _, v := range []struct {
			sk      string
			version int64
			cost    int64
		}{{"V#000000000001", 1, 199}, {"V#000000000002", 2, 299}} {
			item := l.rawItem(t, "PRICING", v.sk)
			var got struct {
				Version   int64                       `dynamodbav:"version"`
				UnitCosts map[string]map[string]int64 `dynamodbav:"unitCosts"`
			}
			if err := attributevalue.UnmarshalMap(item, &got); err != nil || len(item) == 0 {
				t.Fatalf("version item %s: %v (%d attributes)", v.sk, err, len(item))
			}
			if got.Version != v.version || got.UnitCosts["per_asset"]["monthly"] != v.cost {
				t.Fatalf("%s = version %d with per-asset monthly %d, want %d with %d", v.sk, got.Version, got.UnitCosts["per_asset"]["monthly"], v.version, v.cost)
			}
		}
	})

	t.Run("AStaleIfMatchIsPreconditionFailedAndWritesNothing", func(t *testing.T) {
		ctx, m := l.measure(l.as(l.operator))
		_, err := l.pricing.Put(ctx, pricingIn("EUR", listPrices(), testTiers), ptr(int64(1)))
		wantCode(t, "put", err, portal.EPRECONDITION)
		wantNoWrites(t, "put", m)
		got, err := l.store.GetPricing(l.ctx)
		mustOK(t, "get", err)
		if got.Version != 2 {
			t.Fatalf("current version = %d, want 2", got.Version)
		}
	})

	t.Run("AWriterThatReadAnOldVersionLosesInTheStore", func(t *testing.T) {
		// Two super admins read version 2; the first writes 3, the second's 3 fails.
		current, err := l.store.GetPricing(l.ctx)
		mustOK(t, "get", err)
		next := current
		next.Version = 3
		mustOK(t, "first writer", l.store.PutPricing(l.ctx, next))
		late := current
		late.Version = 3
		late.Currency = "USD"
		wantCode(t, "second writer", l.store.PutPricing(l.ctx, late), portal.EPRECONDITION)
		first := current
		first.Version = 1
		wantCode(t, "rewriting version 1", l.store.PutPricing(l.ctx, first), portal.EPRECONDITION)
		got, err := l.store.GetPricing(l.ctx)
		mustOK(t, "get", err)
		if got.Version != 3 || got.Currency != "EUR" {
			t.Fatalf("current pricing = version %d in %s, want 3 in EUR", got.Version, got.Currency)
		}
	})

	t.Run("TheCurrentIfMatchMakesTheNextVersion", func(t *testing.T) {
		got, err := l.pricing.Put(l.as(l.operator), pricingIn("EUR", listPrices(), nil), ptr(int64(3)))
		mustOK(t, "put", err)
		if got.Version != 4 || len(got.PrepaidTiers) != 0 {
			t.Fatalf("pricing = version %d with %d tiers, want 4 with none", got.Version, len(got.PrepaidTiers))
		}
	})

	t.Run("InvalidPricingNamesEachFieldAndWritesNothing", func(t *testing.T) {
		without := func(model, period string) map[string]map[string]int64 {
			c := listPrices()
			delete(c[model], period)
			return c
		}
		with := func(model, period string, cost int64) map[string]map[string]int64 {
			c := listPrices()
			if c[model] == nil {
				c[model] = map[string]int64{}
			}
			c[model][period] = cost
			return c
		}
		cases := []struct {
			name  string
			in    portal.PricingInput
			field string
		}{
			{"CurrencyMissing", portal.PricingInput{UnitCosts: ptr(listPrices())}, "currency"},
			{"CurrencyNotISO4217", pricingIn("EURO", listPrices(), nil), "currency"},
			{"UnitCostsMissing", portal.PricingInput{Currency: ptr("EUR")}, "unitCosts"},
			{"AModelPeriodMissing", pricingIn("EUR", without("unlimited", "annual"), nil), "unitCosts.unlimited.annual"},
			{"UnknownModel", pricingIn("EUR", with("per_seat", "monthly", 100), nil), "unitCosts.per_seat"},
			{"UnknownPeriod", pricingIn("EUR", with("per_scan", "weekly", 100), nil), "unitCosts.per_scan.weekly"},
			{"NegativeCost", pricingIn("EUR", with("per_asset", "monthly", -1), nil), "unitCosts.per_asset.monthly"},
			{"TierOfZeroUnits", pricingIn("EUR", listPrices(), []portal.PrepaidTier{{MinUnits: 0, DiscountBps: 100}}), "prepaidTiers[0].minUnits"},
			{"TiersNotAscending", pricingIn("EUR", listPrices(), []portal.PrepaidTier{{MinUnits: 100, DiscountBps: 100}, {MinUnits: 100, DiscountBps: 200}}), "prepaidTiers[1].minUnits"},
			{"ZeroDiscount", pricingIn("EUR", listPrices(), []portal.PrepaidTier{{MinUnits: 10, DiscountBps: 0}}), "prepaidTiers[0].discountBps"},
			{"FullDiscount", pricingIn("EUR", listPrices(), []portal.PrepaidTier{{MinUnits: 10, DiscountBps: 10000}}), "prepaidTiers[0].discountBps"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				ctx, m := l.measure(l.as(l.operator))
				_, err := l.pricing.Put(ctx, c.in, nil)
				wantFields(t, "put", err, c.field)
				wantNoWrites(t, "put", m)
			})
		}
		got, err := l.store.GetPricing(l.ctx)
		mustOK(t, "get", err)
		if got.Version != 4 {
			t.Fatalf("current version = %d, want 4 (unchanged)", got.Version)
		}
	})
}

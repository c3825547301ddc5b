package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// Licensing on DynamoDB Local: the services of internal/portal on the real
// store, so that what is checked is what the table holds.

// licensing is one test's licensing world: the env, the license, customer,
// pricing, pre-paid and margin services on its store, and a super admin.
type licensing struct {
	*env
	made      *recordingIDs
	customers *portal.CustomerService
	licenses  *portal.LicenseService
	pricing   *portal.PricingService
	prepaid   *portal.PrepaidService
	margins   *portal.MarginService
	operator  tenancy.Identity
}

// recordingIDs hands out the env's IDs and remembers them, so that a test
// can look up everything a rejected request would have written.
type recordingIDs struct {
	inner portal.IDs
	mu    sync.Mutex
	made  []string
}

// New implements portal.IDs.
func (r *recordingIDs) New(prefix string) string {
	id := r.inner.New(prefix)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.made = append(r.made, id)
	return id
}

// mark is the number of IDs made so far.
func (r *recordingIDs) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.made)
}

// since returns the IDs made after mark.
func (r *recordingIDs) since(mark int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.made[mark:])
}

func newLicensing(t *testing.T) *licensing {
	t.Helper()
	e := newEnv(t)
	made := &recordingIDs{inner: e.ids}
	s := e.services(made)
	return &licensing{
		env:       e,
		made:      made,
		customers: s.Customers,
		licenses:  s.Licenses,
		pricing:   s.Pricing,
		prepaid:   s.Prepaid,
		margins:   s.Margins,
		operator:  tenancy.Identity{UserID: e.ids.New(portal.PrefixUser), Role: tenancy.RoleSuperAdmin},
	}
}

// listPrices are the unit costs of the test pricing, in minor units: 199
// and 195 make the pre-paid rounding visible (10 % off: 179.1 → 179, 175.5 → 176).
func listPrices() map[string]map[string]int64 {
	return map[string]map[string]int64{
		"per_asset": {"monthly": 199, "annual": 1990},
		"per_scan":  {"monthly": 195, "annual": 1950},
		"unlimited": {"monthly": 10000, "annual": 100000},
	}
}

// testTiers: 10 % off from 100 units, 20 % from 500.
var testTiers = []portal.PrepaidTier{{MinUnits: 100, DiscountBps: 1000}, {MinUnits: 500, DiscountBps: 2000}}

func pricingIn(currency string, costs map[string]map[string]int64, tiers []portal.PrepaidTier) portal.PricingInput {
	return portal.PricingInput{Currency: &currency, UnitCosts: &costs, PrepaidTiers: &tiers}
}

// setPricing makes the test pricing, in currency, the current version.
func (l *licensing) setPricing(t *testing.T, currency string) portal.Pricing {
	t.Helper()
	p, err := l.pricing.Put(l.as(l.operator), pricingIn(currency, listPrices(), testTiers), nil)
	mustOK(t, "put pricing", err)
	return p
}

// buy buys a monthly pre-paid pool of units of model for admin's partner.
func (l *licensing) buy(t *testing.T, admin tenancy.Identity, model portal.LicenseModel, units int64) portal.PrepaidPool {
	t.Helper()
	pool, err := l.prepaid.Buy(l.as(admin), portal.PrepaidInput{Model: &model, Units: &units})
	mustOK(t, "buy pre-paid units", err)
	return pool
}

// balance reads a pool's balance back from the table.
func (l *licensing) balance(t *testing.T, partnerID, poolID string) int64 {
	t.Helper()
	pools, err := l.store.ListPools(l.ctx, partnerID)
	mustOK(t, "list pools", err)
	for _, p := range pools {
		if p.ID == poolID {
			return p.Balance
		}
	}
	t.Fatalf("pool %s of partner %s not found", poolID, partnerID)
	return 0
}

// customerIn is a valid customer; with licenses, they are assigned with it.
func customerIn(name string, licenses ...portal.LicenseInput) portal.CustomerInput {
	in := portal.CustomerInput{Name: &name, ContactEmail: ptr("it@" + strings.ToLower(strings.ReplaceAll(name, " ", "-")) + ".example")}
	if licenses != nil {
		in.Licenses = &licenses
	}
	return in
}

// newCustomer creates a customer without licenses for admin.
func (l *licensing) newCustomer(t *testing.T, admin tenancy.Identity, name string) portal.Customer {
	t.Helper()
	c, err := l.customers.Create(l.as(admin), customerIn(name))
	mustOK(t, "create customer "+name, err)
	return c
}

func priceIn(amount int64, currency string) *portal.MoneyInput {
	return &portal.MoneyInput{Amount: &amount, Currency: &currency}
}

func eur(amount int64) *portal.MoneyInput { return priceIn(amount, "EUR") }

func modelPtr(m portal.LicenseModel) *portal.LicenseModel { return &m }

// assetLic, scanLic and flatLic are valid monthly licenses priced in EUR.
func assetLic(quantity, price int64) portal.LicenseInput {
	return portal.LicenseInput{Model: modelPtr(portal.ModelPerAsset), Quantity: &quantity, EndUserPrice: eur(price)}
}

func scanLic(quantity, price int64) portal.LicenseInput {
	return portal.LicenseInput{Model: modelPtr(portal.ModelPerScan), Quantity: &quantity, EndUserPrice: eur(price)}
}

func flatLic(price int64) portal.LicenseInput {
	return portal.LicenseInput{Model: modelPtr(portal.ModelUnlimited), EndUserPrice: eur(price)}
}

// prepaidLic is in drawn from a pre-paid pool.
func prepaidLic(in portal.LicenseInput) portal.LicenseInput {
	in.Prepaid = ptr(true)
	return in
}

// writeOps returns the write operations a meter recorded, attempted or not.
func writeOps(m *dynamo.Meter) []string {
	var w []string
	for _, op := range ops(m) {
		switch op {
		case "PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem":
			w = append(w, op)
		}
	}
	return w
}

// wantNoWrites fails the test if m recorded any write.
func wantNoWrites(t *testing.T, what string, m *dynamo.Meter) {
	t.Helper()
	if w := writeOps(m); len(w) > 0 {
		t.Fatalf("%s wrote to the table (%v); a rejected request writes nothing", what, w)
	}
}

// wantFields fails unless err is EINVALID naming every one of fields.
func wantFields(t *testing.T, what string, err error, fields ...string) {
	t.Helper()
	wantCode(t, what, err, portal.EINVALID)
	var pe *portal.Error
	if !errors.As(err, &pe) {
		t.Fatalf("%s: %v is not a *portal.Error", what, err)
	}
	var got []string
	for _, f := range pe.Fields {
		got = append(got, f.Field)
	}
	for _, f := range fields {
		if !slices.Contains(got, f) {
			t.Fatalf("%s: invalid fields = %v, want %s among them", what, got, f)
		}
	}
}

// wantMessage fails unless err's message contains every one of parts.
func wantMessage(t *testing.T, what string, err error, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Fatalf("%s: error %v does not mention %q", what, err, p)
		}
	}
}

// nothingStored fails if any ID in ids names a customer or license in the
// table, or if the partner has customers or licenses at all.
func (l *licensing) nothingStored(t *testing.T, partnerID string, ids []string) {
	t.Helper()
	var customers []string
	for _, id := range ids {
		if strings.HasPrefix(id, portal.PrefixCustomer) {
			customers = append(customers, id)
			if item := l.rawItem(t, "TENANT#"+partnerID+"#"+id, "CUSTOMER"); len(item) > 0 {
				t.Fatalf("customer %s was stored by a rejected request", id)
			}
		}
	}
	for _, id := range ids {
		if !strings.HasPrefix(id, portal.PrefixLicense) {
			continue
		}
		for _, c := range customers {
			if item := l.rawItem(t, "TENANT#"+partnerID+"#"+c, "LICENSE#"+id); len(item) > 0 {
				t.Fatalf("license %s was stored by a rejected request", id)
			}
		}
	}
	names, _, err := l.store.ListCustomers(l.ctx, tenancy.Scope{PartnerID: partnerID}, portal.CustomerQuery{Sort: portal.SortName, Limit: 100}, nil)
	mustOK(t, "customer names", err)
	if len(names) > 0 {
		t.Fatalf("partner has customers %v after a rejected request", names)
	}
	ls, err := l.store.ListPartnerLicenses(l.ctx, partnerID, epoch.AddDate(10, 0, 0))
	mustOK(t, "partner licenses", err)
	if len(ls) > 0 {
		t.Fatalf("partner has %d licenses after a rejected request", len(ls))
	}
}

func TestCreateCustomerWithLicenses(t *testing.T) {
	l := newLicensing(t)
	l.setPricing(t, "EUR")

	t.Run("TheCustomerAndTwoLicensesAreOneTransactWriteItems", func(t *testing.T) {
		admin := l.newPartnerAdmin()
		ctx, m := l.measure(l.as(admin))
		c, ls, err := l.customers.CreateWithLicenses(ctx, customerIn("Acme GmbH", assetLic(25, 10000), flatLic(120000)))
		mustOK(t, "create", err)
		if got, want := strings.Join(ops(m), ","), "GetItem,TransactWriteItems"; got != want {
			t.Fatalf("DynamoDB calls = %s, want %s (the pricing, then one transaction)", got, want)
		}
		if got, want := c.Plan, portal.PlanMixed; got != want {
			t.Fatalf("plan = %s, want %s", got, want)
		}
		if got, want := len(ls), 2; got != want {
			t.Fatalf("licenses = %d, want %d", got, want)
		}

		stored, err := l.store.GetCustomer(l.ctx, admin.Scope(), c.ID)
		mustOK(t, "get customer", err)
		if got, want := stored.Plan, portal.PlanMixed; got != want {
			t.Fatalf("stored plan = %s, want %s", got, want)
		}
		if got, want := stored.LicenseCounts, map[portal.LicenseModel]int{portal.ModelPerAsset: 1, portal.ModelUnlimited: 1}; !mapsEqual(got, want) {
			t.Fatalf("stored license counts = %v, want %v", got, want)
		}
		if got, want := stored.Version, int64(1); got != want {
			t.Fatalf("stored version = %d, want %d", got, want)
		}

		back, err := l.licenses.List(l.as(admin), c.ID)
		mustOK(t, "list licenses", err)
		if got, want := len(back), 2; got != want {
			t.Fatalf("stored licenses = %d, want %d", got, want)
		}
		byModel := map[portal.LicenseModel]portal.License{}
		for _, x := range back {
			byModel[x.Model] = x
			if !portal.ValidID(portal.PrefixLicense, x.ID) || x.TenantID != c.ID || x.PartnerID != admin.PartnerID {
				t.Fatalf("license %s of %s/%s, want lic_… of %s/%s", x.ID, x.PartnerID, x.TenantID, admin.PartnerID, c.ID)
			}
			if got, want := x.Status(l.clock.Now()), portal.LicenseActive; got != want {
				t.Fatalf("status = %s, want %s", got, want)
			}
			if got, want := x.PricingVersion, int64(1); got != want {
				t.Fatalf("pricing version = %d, want %d", got, want)
			}
			if got, want := x.BillingPeriod, portal.PeriodMonthly; got != want {
				t.Fatalf("billing period = %s, want %s (the default)", got, want)
			}
			if got, want := x.OveragePolicy, portal.OverageSoft; got != want {
				t.Fatalf("overage policy = %s, want %s (the default)", got, want)
			}
		}
		asset, flat := byModel[portal.ModelPerAsset], byModel[portal.ModelUnlimited]
		if got, want := asset.UnitCost, (portal.Money{Amount: 199, Currency: "EUR"}); got != want {
			t.Fatalf("per-asset unit cost = %+v, want %+v", got, want)
		}
		if got, want := asset.Cost(), (portal.Money{Amount: 25 * 199, Currency: "EUR"}); got != want {
			t.Fatalf("per-asset cost = %+v, want %+v", got, want)
		}
		if got, want := asset.Margin(), (portal.Money{Amount: 10000 - 25*199, Currency: "EUR"}); got != want {
			t.Fatalf("per-asset margin = %+v, want %+v", got, want)
		}
		if got, want := flat.Quantity, int64(0); got != want {
			t.Fatalf("unlimited quantity = %d, want %d", got, want)
		}
		if got, want := flat.Margin(), (portal.Money{Amount: 120000 - 10000, Currency: "EUR"}); got != want {
			t.Fatalf("unlimited margin = %+v, want %+v", got, want)
		}
		item := l.rawItem(t, "TENANT#"+c.PartnerID+"#"+c.ID, "LICENSE#"+asset.ID)
		if v, ok := item["unitCost"].(*types.AttributeValueMemberN); !ok || v.Value != "199" {
			t.Fatalf("stored unitCost attribute = %#v, want the number 199", item["unitCost"])
		}
	})

	t.Run("APrepaidLicenseAddsOneQueryOfThePartnersPools", func(t *testing.T) {
		admin := l.newPartnerAdmin()
		pool := l.buy(t, admin, portal.ModelPerScan, 100)
		ctx, m := l.measure(l.as(admin))
		_, ls, err := l.customers.CreateWithLicenses(ctx, customerIn("Bravo AG", prepaidLic(scanLic(30, 9000)), assetLic(5, 2000)))
		mustOK(t, "create", err)
		if got, want := strings.Join(ops(m), ","), "GetItem,Query,TransactWriteItems"; got != want {
			t.Fatalf("DynamoDB calls = %s, want %s (pricing, pools, one transaction)", got, want)
		}
		if got, want := l.balance(t, admin.PartnerID, pool.ID), int64(70); got != want {
			t.Fatalf("pool balance = %d, want %d", got, want)
		}
		got, err := l.store.GetLicense(l.ctx, admin.Scope(), ls[0].TenantID, ls[0].ID)
		mustOK(t, "get license", err)
		if got, want := got.UnitCost, (portal.Money{Amount: 176, Currency: "EUR"}); got != want {
			t.Fatalf("pre-paid unit cost = %+v, want %+v (195 less 10 %%, 175.5 rounded up)", got, want)
		}
		if !got.Prepaid || got.PrepaidPoolID != pool.ID {
			t.Fatalf("prepaid = %v from %q, want true from %s", got.Prepaid, got.PrepaidPoolID, pool.ID)
		}
		if got, want := ls[1].UnitCost.Amount, int64(199); got != want {
			t.Fatalf("the other license's unit cost = %d, want the list price %d", got, want)
		}
	})

	t.Run("NamingThePoolReadsThePoolsToo", func(t *testing.T) {
		admin := l.newPartnerAdmin()
		pool := l.buy(t, admin, portal.ModelPerAsset, 100)
		in := prepaidLic(assetLic(40, 9000))
		in.PrepaidPoolID = &pool.ID
		ctx, m := l.measure(l.as(admin))
		_, ls, err := l.customers.CreateWithLicenses(ctx, customerIn("Charlie SA", in))
		mustOK(t, "create", err)
		if got, want := strings.Join(ops(m), ","), "GetItem,Query,TransactWriteItems"; got != want {
			t.Fatalf("DynamoDB calls = %s, want %s", got, want)
		}
		if got, want := ls[0].UnitCost.Amount, int64(179); got != want {
			t.Fatalf("unit cost = %d, want %d (199 less 10 %%, 179.1 rounded down)", got, want)
		}
		if got, want := l.balance(t, admin.PartnerID, pool.ID), int64(60); got != want {
			t.Fatalf("pool balance = %d, want %d", got, want)
		}
	})

	// Each case: licenses[0] is valid and pre-paid (it would draw 10 units),
	// licenses[1] is not; or the other way round. Nothing may be written.
	start := epoch.Add(24 * time.Hour)
	before := start.Add(-time.Hour)
	cases := []struct {
		name  string
		bad   func() portal.LicenseInput
		first bool // the bad license comes first
		field string
	}{
		{"QuantityMissingForPerAsset", func() portal.LicenseInput { in := assetLic(1, 100); in.Quantity = nil; return in }, false, "licenses[1].quantity"},
		{"QuantityMissingForPerScan", func() portal.LicenseInput { in := scanLic(1, 100); in.Quantity = nil; return in }, false, "licenses[1].quantity"},
		{"QuantityZero", func() portal.LicenseInput { return scanLic(0, 100) }, false, "licenses[1].quantity"},
		{"QuantityNegative", func() portal.LicenseInput { return assetLic(-5, 100) }, false, "licenses[1].quantity"},
		{"QuantityForUnlimited", func() portal.LicenseInput { in := flatLic(100); in.Quantity = ptr(int64(10)); return in }, false, "licenses[1].quantity"},
		{"ZeroQuantityForUnlimited", func() portal.LicenseInput { in := flatLic(100); in.Quantity = ptr(int64(0)); return in }, false, "licenses[1].quantity"},
		{"UnknownModel", func() portal.LicenseInput { in := assetLic(1, 100); in.Model = modelPtr("per_seat"); return in }, false, "licenses[1].model"},
		{"ModelMissing", func() portal.LicenseInput { in := assetLic(1, 100); in.Model = nil; return in }, false, "licenses[1].model"},
		{"CurrencyNotISO4217", func() portal.LicenseInput { in := assetLic(1, 100); in.EndUserPrice = priceIn(100, "EURO"); return in }, false, "licenses[1].endUserPrice.currency"},
		{"CurrencyMadeUp", func() portal.LicenseInput { in := assetLic(1, 100); in.EndUserPrice = priceIn(100, "XYZ"); return in }, false, "licenses[1].endUserPrice.currency"},
		{"CurrencyOtherThanThePricings", func() portal.LicenseInput { in := assetLic(1, 100); in.EndUserPrice = priceIn(100, "USD"); return in }, false, "licenses[1].endUserPrice.currency"},
		{"CurrencyMissing", func() portal.LicenseInput {
			in := assetLic(1, 100)
			in.EndUserPrice = &portal.MoneyInput{Amount: ptr(int64(100))}
			return in
		}, false, "licenses[1].endUserPrice.currency"},
		{"EndBeforeStart", func() portal.LicenseInput {
			in := assetLic(1, 100)
			in.StartsAt, in.EndsAt = &start, &before
			return in
		}, false, "licenses[1].endsAt"},
		{"EndAtStart", func() portal.LicenseInput { in := assetLic(1, 100); in.StartsAt, in.EndsAt = &start, &start; return in }, false, "licenses[1].endsAt"},
		{"NegativePrice", func() portal.LicenseInput { return assetLic(1, -1) }, false, "licenses[1].endUserPrice.amount"},
		{"PriceMissing", func() portal.LicenseInput { in := assetLic(1, 100); in.EndUserPrice = nil; return in }, false, "licenses[1].endUserPrice"},
		{"PriceAmountMissing", func() portal.LicenseInput {
			in := assetLic(1, 100)
			in.EndUserPrice = &portal.MoneyInput{Currency: ptr("EUR")}
			return in
		}, false, "licenses[1].endUserPrice.amount"},
		{"UnknownBillingPeriod", func() portal.LicenseInput {
			in := assetLic(1, 100)
			in.BillingPeriod = ptr(portal.BillingPeriod("weekly"))
			return in
		}, false, "licenses[1].billingPeriod"},
		{"UnknownOveragePolicy", func() portal.LicenseInput {
			in := assetLic(1, 100)
			in.OveragePolicy = ptr(portal.OveragePolicy("none"))
			return in
		}, false, "licenses[1].overagePolicy"},
		{"PrepaidUnlimited", func() portal.LicenseInput { return prepaidLic(flatLic(100)) }, false, "licenses[1].prepaid"},
		{"PoolWithoutPrepaid", func() portal.LicenseInput {
			in := scanLic(1, 100)
			in.PrepaidPoolID = ptr("ppd_01JX0000000000000000000000")
			return in
		}, false, "licenses[1].prepaidPoolId"},
		{"UnknownPool", func() portal.LicenseInput {
			in := prepaidLic(scanLic(1, 100))
			in.PrepaidPoolID = ptr("ppd_01JX0000000000000000000000")
			return in
		}, false, "licenses[1].prepaidPoolId"},
		{"FirstLicenseBadSecondGood", func() portal.LicenseInput { return assetLic(0, 100) }, true, "licenses[0].quantity"},
		{"FirstLicenseInAnotherCurrency", func() portal.LicenseInput { in := flatLic(100); in.EndUserPrice = priceIn(100, "GBP"); return in }, true, "licenses[0].endUserPrice.currency"},
	}
	t.Run("AnInvalidLicenseRejectsTheWholeRequestAndWritesNothing", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				admin := l.newPartnerAdmin()
				pool := l.buy(t, admin, portal.ModelPerScan, 100)
				good := prepaidLic(scanLic(10, 3000))
				licenses := []portal.LicenseInput{good, c.bad()}
				if c.first {
					licenses = []portal.LicenseInput{c.bad(), good}
				}
				mark := l.made.mark()
				ctx, m := l.measure(l.as(admin))
				_, _, err := l.customers.CreateWithLicenses(ctx, customerIn("Rejected Ltd", licenses...))
				wantFields(t, "create", err, c.field)
				wantNoWrites(t, "create", m)
				l.nothingStored(t, admin.PartnerID, l.made.since(mark))
				if got, want := l.balance(t, admin.PartnerID, pool.ID), int64(100); got != want {
					t.Fatalf("pool balance = %d, want %d (unchanged)", got, want)
				}
			})
		}
	})

	t.Run("AnInvalidCustomerFieldRejectsValidLicenses", func(t *testing.T) {
		admin := l.newPartnerAdmin()
		pool := l.buy(t, admin, portal.ModelPerScan, 100)
		in := customerIn("Bad Email", prepaidLic(scanLic(10, 3000)))
		in.ContactEmail = ptr("not an address")
		mark := l.made.mark()
		ctx, m := l.measure(l.as(admin))
		_, _, err := l.customers.CreateWithLicenses(ctx, in)
		wantFields(t, "create", err, "contactEmail")
		wantNoWrites(t, "create", m)
		l.nothingStored(t, admin.PartnerID, l.made.since(mark))
		if got, want := l.balance(t, admin.PartnerID, pool.ID), int64(100); got != want {
			t.Fatalf("pool balance = %d, want %d", got, want)
		}
	})

	t.Run("TwoLicensesExhaustingThePoolRejectEverythingWithTheBalance", func(t *testing.T) {
		admin := l.newPartnerAdmin()
		pool := l.buy(t, admin, portal.ModelPerScan, 100)
		mark := l.made.mark()
		ctx, m := l.measure(l.as(admin))
		_, _, err := l.customers.CreateWithLicenses(ctx, customerIn("Greedy GmbH", prepaidLic(scanLic(10, 3000)), prepaidLic(scanLic(95, 3000))))
		wantCode(t, "create", err, portal.ECONFLICT)
		wantMessage(t, "create", err, pool.ID, " 90") // 100 less the first license's 10
		wantNoWrites(t, "create", m)
		l.nothingStored(t, admin.PartnerID, l.made.since(mark))
		if got, want := l.balance(t, admin.PartnerID, pool.ID), int64(100); got != want {
			t.Fatalf("pool balance = %d, want %d", got, want)
		}
	})

	t.Run("MoreThan25LicensesAreInvalid", func(t *testing.T) {
		admin := l.newPartnerAdmin()
		many := make([]portal.LicenseInput, portal.MaxLicensesPerCreate+1)
		for i := range many {
			many[i] = flatLic(100)
		}
		ctx, m := l.measure(l.as(admin))
		_, _, err := l.customers.CreateWithLicenses(ctx, customerIn("Many Ltd", many...))
		wantFields(t, "create", err, "licenses")
		wantNoWrites(t, "create", m)
	})

	t.Run("TwentyFiveLicensesFitOneTransaction", func(t *testing.T) {
		admin := l.newPartnerAdmin()
		many := make([]portal.LicenseInput, portal.MaxLicensesPerCreate)
		for i := range many {
			many[i] = scanLic(int64(i+1), 1000) // each with its own scan counter
		}
		ctx, m := l.measure(l.as(admin))
		c, _, err := l.customers.CreateWithLicenses(ctx, customerIn("Many Ltd", many...))
		mustOK(t, "create", err)
		if got, want := count(m, "TransactWriteItems"), 1; got != want {
			t.Fatalf("transactions = %d, want %d", got, want)
		}
		back, err := l.store.ListLicenses(l.ctx, admin.Scope(), c.ID)
		mustOK(t, "list", err)
		if got, want := len(back), portal.MaxLicensesPerCreate; got != want {
			t.Fatalf("stored licenses = %d, want %d", got, want)
		}
	})
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestLicensePlanFollowsTheLicenses(t *testing.T) {
	l := newLicensing(t)
	l.setPricing(t, "EUR")
	admin := l.newPartnerAdmin()
	ctx := l.as(admin)
	// Neighbours with fixed plans, so that the plan order has something to sort.
	for _, n := range []struct {
		name string
		lic  []portal.LicenseInput
	}{
		{"Alpha", []portal.LicenseInput{flatLic(100)}},
		{"Omega", []portal.LicenseInput{assetLic(1, 100)}},
		{"Zulu", []portal.LicenseInput{scanLic(1, 100), flatLic(100)}},
		{"Empty", nil},
	} {
		_, _, err := l.customers.CreateWithLicenses(ctx, customerIn(n.name, n.lic...))
		mustOK(t, "create "+n.name, err)
	}
	subject := l.newCustomer(t, admin, "Subject")

	// check verifies the subject's plan as read, filtered and sorted.
	check := func(t *testing.T, want portal.Plan, counts map[portal.LicenseModel]int) {
		t.Helper()
		c, err := l.customers.Get(ctx, subject.ID)
		mustOK(t, "get", err)
		if got := c.Plan; got != want {
			t.Fatalf("plan = %s, want %s", got, want)
		}
		if got := c.LicenseCounts; !mapsEqual(got, counts) {
			t.Fatalf("license counts = %v, want %v", got, counts)
		}
		for _, plan := range portal.Plans {
			page, err := l.customers.List(ctx, portal.ListParams{Plan: string(plan), Limit: "100"})
			mustOK(t, "list plan="+string(plan), err)
			listed := slices.ContainsFunc(page.Items, func(c portal.Customer) bool { return c.ID == subject.ID })
			if listed != (plan == want) {
				t.Fatalf("plan=%s lists the subject: %v, want %v", plan, listed, plan == want)
			}
			for _, c := range page.Items {
				if c.Plan != plan {
					t.Fatalf("plan=%s lists %s with plan %s", plan, c.Name, c.Plan)
				}
			}
		}
		for _, sort := range []string{"plan", "-plan"} {
			page, err := l.customers.List(ctx, portal.ListParams{Sort: sort, Limit: "100"})
			mustOK(t, "list sort="+sort, err)
			if got, want := len(page.Items), 5; got != want {
				t.Fatalf("sort=%s lists %d customers, want %d", sort, got, want)
			}
			plans := make([]string, len(page.Items))
			for i, c := range page.Items {
				plans[i] = string(c.Plan)
				if c.ID == subject.ID && c.Plan != want {
					t.Fatalf("sort=%s shows the subject with plan %s, want %s", sort, c.Plan, want)
				}
			}
			sorted := slices.IsSorted(plans)
			if sort == "-plan" {
				sorted = slices.IsSortedFunc(plans, func(a, b string) int { return strings.Compare(b, a) })
			}
			if !sorted {
				t.Fatalf("sort=%s orders plans %v", sort, plans)
			}
		}
	}

	check(t, portal.PlanNone, nil)
	var asset, scan portal.License
	t.Run("APerAssetLicenseMakesItPerAsset", func(t *testing.T) {
		var err error
		asset, err = l.licenses.Create(ctx, subject.ID, assetLic(10, 5000))
		mustOK(t, "create", err)
		check(t, portal.PlanPerAsset, map[portal.LicenseModel]int{portal.ModelPerAsset: 1})
	})
	t.Run("APerScanLicenseMakesItMixed", func(t *testing.T) {
		var err error
		scan, err = l.licenses.Create(ctx, subject.ID, scanLic(100, 5000))
		mustOK(t, "create", err)
		check(t, portal.PlanMixed, map[portal.LicenseModel]int{portal.ModelPerAsset: 1, portal.ModelPerScan: 1})
	})
	t.Run("RevokingThePerAssetLicenseMakesItPerScan", func(t *testing.T) {
		l.clock.Advance(time.Hour)
		got, err := l.licenses.Revoke(ctx, subject.ID, asset.ID)
		mustOK(t, "revoke", err)
		if got, want := got.Status(l.clock.Now()), portal.LicenseRevoked; got != want {
			t.Fatalf("status = %s, want %s", got, want)
		}
		if got.RevokedAt == nil || !got.RevokedAt.Equal(l.clock.Now()) {
			t.Fatalf("revokedAt = %v, want %v", got.RevokedAt, l.clock.Now())
		}
		check(t, portal.PlanPerScan, map[portal.LicenseModel]int{portal.ModelPerScan: 1})
		back, err := l.store.GetLicense(l.ctx, admin.Scope(), subject.ID, asset.ID)
		mustOK(t, "get revoked license", err)
		if !back.Revoked || back.RevokedAt == nil {
			t.Fatalf("stored license revoked = %v at %v, want revoked and kept", back.Revoked, back.RevokedAt)
		}
	})
	t.Run("RevokingTwiceChangesNothing", func(t *testing.T) {
		before, err := l.customers.Get(ctx, subject.ID)
		mustOK(t, "get", err)
		mctx, m := l.measure(ctx)
		_, err = l.licenses.Revoke(mctx, subject.ID, asset.ID)
		mustOK(t, "revoke again", err)
		wantNoWrites(t, "revoke again", m)
		after, err := l.customers.Get(ctx, subject.ID)
		mustOK(t, "get", err)
		if got, want := after.Version, before.Version; got != want {
			t.Fatalf("customer version = %d, want %d (unchanged)", got, want)
		}
		check(t, portal.PlanPerScan, map[portal.LicenseModel]int{portal.ModelPerScan: 1})
	})
	t.Run("RevokingTheLastLicenseMakesItNone", func(t *testing.T) {
		_, err := l.licenses.Revoke(ctx, subject.ID, scan.ID)
		mustOK(t, "revoke", err)
		check(t, portal.PlanNone, nil)
	})
	t.Run("TwoLicensesOfOneModelCountTwice", func(t *testing.T) {
		first, err := l.licenses.Create(ctx, subject.ID, flatLic(100))
		mustOK(t, "create", err)
		_, err = l.licenses.Create(ctx, subject.ID, flatLic(200))
		mustOK(t, "create", err)
		check(t, portal.PlanUnlimited, map[portal.LicenseModel]int{portal.ModelUnlimited: 2})
		_, err = l.licenses.Revoke(ctx, subject.ID, first.ID)
		mustOK(t, "revoke", err)
		check(t, portal.PlanUnlimited, map[portal.LicenseModel]int{portal.ModelUnlimited: 1})
	})
	t.Run("EveryLicenseIsListedRevokedOnesIncluded", func(t *testing.T) {
		ls, err := l.licenses.List(ctx, subject.ID)
		mustOK(t, "list", err)
		if got, want := len(ls), 4; got != want {
			t.Fatalf("licenses = %d, want %d", got, want)
		}
		revoked := 0
		for _, x := range ls {
			if x.Revoked {
				revoked++
			}
		}
		if got, want := revoked, 3; got != want {
			t.Fatalf("revoked licenses = %d, want %d", got, want)
		}
	})
}

func TestLicensesOfAnotherPartnerAreNotFound(t *testing.T) {
	l := newLicensing(t)
	l.setPricing(t, "EUR")
	a, b := l.newPartnerAdmin(), l.newPartnerAdmin()
	c, ls, err := l.customers.CreateWithLicenses(l.as(a), customerIn("Acme", assetLic(10, 5000)))
	mustOK(t, "create", err)
	lic := ls[0]
	memberA := tenancy.Identity{UserID: l.ids.New(portal.PrefixUser), Role: tenancy.RolePartnerMember, PartnerID: a.PartnerID}

	attempts := []struct {
		name string
		who  tenancy.Identity
		code string
		call func(ctx context.Context) error
	}{
		{"CreateByAnotherPartner", b, portal.ENOTFOUND, func(ctx context.Context) error {
			_, err := l.licenses.Create(ctx, c.ID, assetLic(1, 100))
			return err
		}},
		{"ListByAnotherPartner", b, portal.ENOTFOUND, func(ctx context.Context) error {
			_, err := l.licenses.List(ctx, c.ID)
			return err
		}},
		{"PatchByAnotherPartner", b, portal.ENOTFOUND, func(ctx context.Context) error {
			_, err := l.licenses.Update(ctx, c.ID, lic.ID, portal.LicensePatch{Quantity: ptr(int64(20))}, nil)
			return err
		}},
		{"PatchByAnotherPartnerWithIfMatch", b, portal.ENOTFOUND, func(ctx context.Context) error {
			_, err := l.licenses.Update(ctx, c.ID, lic.ID, portal.LicensePatch{Quantity: ptr(int64(20))}, ptr(int64(1)))
			return err
		}},
		{"DeleteByAnotherPartner", b, portal.ENOTFOUND, func(ctx context.Context) error {
			_, err := l.licenses.Revoke(ctx, c.ID, lic.ID)
			return err
		}},
		{"ListByAMemberWithoutAGrant", memberA, portal.ENOTFOUND, func(ctx context.Context) error {
			_, err := l.licenses.List(ctx, c.ID)
			return err
		}},
		{"CreateByAMember", memberA, portal.EFORBIDDEN, func(ctx context.Context) error {
			_, err := l.licenses.Create(ctx, c.ID, assetLic(1, 100))
			return err
		}},
		{"PatchOfAnUnknownLicense", a, portal.ENOTFOUND, func(ctx context.Context) error {
			_, err := l.licenses.Update(ctx, c.ID, "lic_01JX0000000000000000000000", portal.LicensePatch{Quantity: ptr(int64(20))}, nil)
			return err
		}},
		{"DeleteOfAMalformedLicenseID", a, portal.ENOTFOUND, func(ctx context.Context) error {
			_, err := l.licenses.Revoke(ctx, c.ID, "lic_nope")
			return err
		}},
		{"CreateForAMalformedCustomerID", a, portal.ENOTFOUND, func(ctx context.Context) error {
			_, err := l.licenses.Create(ctx, "cus_nope", assetLic(1, 100))
			return err
		}},
	}
	for _, at := range attempts {
		t.Run(at.name, func(t *testing.T) {
			ctx, m := l.measure(l.as(at.who))
			wantCode(t, at.name, at.call(ctx), at.code)
			wantNoWrites(t, at.name, m)
		})
	}

	t.Run("TheStoreScopesLicensesByPartner", func(t *testing.T) {
		_, err := l.store.GetLicense(l.ctx, b.Scope(), c.ID, lic.ID)
		wantCode(t, "get", err, portal.ENOTFOUND)
		got, err := l.store.ListLicenses(l.ctx, b.Scope(), c.ID)
		mustOK(t, "list", err)
		if len(got) != 0 {
			t.Fatalf("another partner's scope lists %d licenses, want 0", len(got))
		}
	})
	t.Run("TheLicenseIsUnchanged", func(t *testing.T) {
		got, err := l.store.GetLicense(l.ctx, a.Scope(), c.ID, lic.ID)
		mustOK(t, "get", err)
		if got.Version != 1 || got.Quantity != 10 || got.Revoked {
			t.Fatalf("license = version %d, quantity %d, revoked %v; want 1, 10, false", got.Version, got.Quantity, got.Revoked)
		}
	})
}

func TestLicenseUpdate(t *testing.T) {
	l := newLicensing(t)
	l.setPricing(t, "EUR")
	admin := l.newPartnerAdmin()
	ctx := l.as(admin)
	// A customer monitoring 40 assets.
	monitored := func(t *testing.T, name string) portal.Customer {
		t.Helper()
		c := portal.Customer{
			ID: l.ids.New(portal.PrefixCustomer), PartnerID: admin.PartnerID, Name: name, ContactEmail: "it@monitored.example",
			Timezone: "UTC", Tags: []string{}, Status: portal.StatusActive, Plan: portal.PlanNone, AccessLevel: portal.AccessDisabled,
			CreatedAt: l.clock.Now(), UpdatedAt: l.clock.Now(), Version: 1,
		}
		mustOK(t, "create customer", l.store.CreateCustomer(l.ctx, c))
		assets := make([]portal.Asset, 40)
		for i := range assets {
			v := fmt.Sprintf("host%d.monitored.example", i)
			assets[i] = portal.Asset{ID: portal.AssetID(v), PartnerID: c.PartnerID, TenantID: c.ID, Value: v, Type: "subdomain", Host: v,
				Tags: []string{}, Criticality: portal.CriticalityMedium, CreatedAt: l.clock.Now(), UpdatedAt: l.clock.Now(), Version: 1}
		}
		out, err := l.store.AddAssets(l.ctx, admin.Scope(), assets, portal.Counter{})
		mustOK(t, "add assets", err)
		if out.Existing != nil || out.CounterMoved {
			t.Fatalf("add assets: %+v", out)
		}
		return c
	}
	c := monitored(t, "Monitored GmbH")
	lic, err := l.licenses.Create(ctx, c.ID, assetLic(50, 9000))
	mustOK(t, "create license", err)

	t.Run("AssigningALicenseKeepsTheAssetsInUse", func(t *testing.T) {
		got, err := l.store.AssetCounter(l.ctx, admin.Scope(), c.ID)
		mustOK(t, "counter", err)
		if got.Used != 40 || got.LicenseID != lic.ID || got.Quantity != 50 {
			t.Fatalf("asset counter = %d used of license %s (%d), want 40 of %s (50)", got.Used, got.LicenseID, got.Quantity, lic.ID)
		}
	})
	t.Run("LoweringBelowTheAssetsInUseIsConflict", func(t *testing.T) {
		_, err := l.licenses.Update(ctx, c.ID, lic.ID, portal.LicensePatch{Quantity: ptr(int64(39))}, nil)
		wantCode(t, "update", err, portal.ECONFLICT)
		wantMessage(t, "update", err, " 40 ")
		got, err := l.store.GetLicense(l.ctx, admin.Scope(), c.ID, lic.ID)
		mustOK(t, "get", err)
		if got.Quantity != 50 || got.Version != 1 {
			t.Fatalf("license = quantity %d version %d, want 50 and 1 (unchanged)", got.Quantity, got.Version)
		}
	})
	t.Run("LoweringToTheAssetsInUseIsAllowed", func(t *testing.T) {
		got, err := l.licenses.Update(ctx, c.ID, lic.ID, portal.LicensePatch{Quantity: ptr(int64(40))}, ptr(int64(1)))
		mustOK(t, "update", err)
		if got.Quantity != 40 || got.Version != 2 {
			t.Fatalf("license = quantity %d version %d, want 40 and 2", got.Quantity, got.Version)
		}
		back, err := l.store.GetLicense(l.ctx, admin.Scope(), c.ID, lic.ID)
		mustOK(t, "get", err)
		if back.Quantity != 40 || back.Version != 2 {
			t.Fatalf("stored license = quantity %d version %d, want 40 and 2", back.Quantity, back.Version)
		}
		if got, want := back.Cost().Amount, int64(40*199); got != want {
			t.Fatalf("cost = %d, want %d (the assigned unit cost times the new quantity)", got, want)
		}
	})
	t.Run("AStaleIfMatchIsPreconditionFailed", func(t *testing.T) {
		mctx, m := l.measure(ctx)
		_, err := l.licenses.Update(mctx, c.ID, lic.ID, portal.LicensePatch{Quantity: ptr(int64(45))}, ptr(int64(1)))
		wantCode(t, "update", err, portal.EPRECONDITION)
		wantNoWrites(t, "update", m)
	})
	t.Run("RaisingAQuantityThatIsStillBelowTheUsageIsAllowed", func(t *testing.T) {
		// Soft overage let usage (40) pass the quantity (10): raising it
		// towards the usage is not "lowering below current usage".
		over := monitored(t, "Overage AG")
		small, err := l.licenses.Create(ctx, over.ID, assetLic(10, 2000))
		mustOK(t, "create", err)
		got, err := l.licenses.Update(ctx, over.ID, small.ID, portal.LicensePatch{Quantity: ptr(int64(20))}, nil)
		mustOK(t, "raise quantity 10 → 20 with 40 assets in use", err)
		if got.Quantity != 20 {
			t.Fatalf("quantity = %d, want 20", got.Quantity)
		}
	})
	t.Run("PerScanQuantitiesAreNotBoundByAssets", func(t *testing.T) {
		scan, err := l.licenses.Create(ctx, c.ID, scanLic(100, 2000))
		mustOK(t, "create", err)
		_, err = l.licenses.Update(ctx, c.ID, scan.ID, portal.LicensePatch{Quantity: ptr(int64(5))}, nil)
		mustOK(t, "lower per-scan quantity", err)
	})
	t.Run("BadPatchesNameTheFieldAndWriteNothing", func(t *testing.T) {
		flat, err := l.licenses.Create(ctx, c.ID, flatLic(50000))
		mustOK(t, "create", err)
		past := lic.StartsAt.Add(-time.Hour)
		patches := []struct {
			name    string
			license string
			patch   portal.LicensePatch
			field   string
		}{
			{"QuantityForUnlimited", flat.ID, portal.LicensePatch{Quantity: ptr(int64(3))}, "quantity"},
			{"QuantityZero", lic.ID, portal.LicensePatch{Quantity: ptr(int64(0))}, "quantity"},
			{"QuantityNegative", lic.ID, portal.LicensePatch{Quantity: ptr(int64(-1))}, "quantity"},
			{"EndBeforeStart", lic.ID, portal.LicensePatch{EndsAt: &past}, "endsAt"},
			{"NegativePrice", lic.ID, portal.LicensePatch{EndUserPrice: eur(-100)}, "endUserPrice.amount"},
			{"PriceInAnotherCurrency", lic.ID, portal.LicensePatch{EndUserPrice: priceIn(100, "USD")}, "endUserPrice.currency"},
			{"PriceNotISO4217", lic.ID, portal.LicensePatch{EndUserPrice: priceIn(100, "EURO")}, "endUserPrice.currency"},
			{"UnknownOveragePolicy", lic.ID, portal.LicensePatch{OveragePolicy: ptr(portal.OveragePolicy("strict"))}, "overagePolicy"},
		}
		for _, p := range patches {
			t.Run(p.name, func(t *testing.T) {
				mctx, m := l.measure(ctx)
				_, err := l.licenses.Update(mctx, c.ID, p.license, p.patch, nil)
				wantFields(t, "update", err, p.field)
				wantNoWrites(t, "update", m)
			})
		}
	})
	t.Run("ChangingThePriceChangesTheMarginNotTheUnitCost", func(t *testing.T) {
		got, err := l.licenses.Update(ctx, c.ID, lic.ID, portal.LicensePatch{EndUserPrice: eur(12000)}, nil)
		mustOK(t, "update", err)
		if got, want := got.UnitCost, (portal.Money{Amount: 199, Currency: "EUR"}); got != want {
			t.Fatalf("unit cost = %+v, want %+v", got, want)
		}
		if got, want := got.Margin().Amount, int64(12000-40*199); got != want {
			t.Fatalf("margin = %d, want %d", got, want)
		}
	})
	t.Run("AnUnchangedPatchWritesNothing", func(t *testing.T) {
		cur, err := l.store.GetLicense(l.ctx, admin.Scope(), c.ID, lic.ID)
		mustOK(t, "get", err)
		mctx, m := l.measure(ctx)
		got, err := l.licenses.Update(mctx, c.ID, lic.ID, portal.LicensePatch{Quantity: ptr(cur.Quantity)}, nil)
		mustOK(t, "update", err)
		wantNoWrites(t, "update", m)
		if got.Version != cur.Version {
			t.Fatalf("version = %d, want %d", got.Version, cur.Version)
		}
	})
	t.Run("APrepaidQuantityIsFixed", func(t *testing.T) {
		pool := l.buy(t, admin, portal.ModelPerAsset, 100)
		c := l.newCustomer(t, admin, "Prepaid GmbH") // one per-asset license in force per customer
		pre, err := l.licenses.Create(ctx, c.ID, prepaidLic(assetLic(60, 9000)))
		mustOK(t, "create", err)
		for _, q := range []int64{61, 59} {
			mctx, m := l.measure(ctx)
			_, err := l.licenses.Update(mctx, c.ID, pre.ID, portal.LicensePatch{Quantity: ptr(q)}, nil)
			wantCode(t, "update", err, portal.ECONFLICT)
			wantMessage(t, "update", err, pre.ID)
			wantNoWrites(t, "update", m)
		}
		if got, want := l.balance(t, admin.PartnerID, pool.ID), int64(40); got != want {
			t.Fatalf("pool balance = %d, want %d (unchanged by the refused changes)", got, want)
		}
		_, err = l.licenses.Update(ctx, c.ID, pre.ID, portal.LicensePatch{Quantity: ptr(int64(60)), OveragePolicy: ptr(portal.OverageHard)}, nil)
		mustOK(t, "restate the quantity and change the overage policy", err)
	})
	t.Run("ARevokedLicenseCannotChange", func(t *testing.T) {
		gone, err := l.licenses.Create(ctx, c.ID, flatLic(100))
		mustOK(t, "create", err)
		_, err = l.licenses.Revoke(ctx, c.ID, gone.ID)
		mustOK(t, "revoke", err)
		_, err = l.licenses.Update(ctx, c.ID, gone.ID, portal.LicensePatch{EndUserPrice: eur(200)}, nil)
		wantCode(t, "update", err, portal.ECONFLICT)
	})
}

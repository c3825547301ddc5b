package main

import (
	"context"
	"fmt"
	"log"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/partnerportal/portal/internal/devserver"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/services"
	"github.com/partnerportal/portal/internal/tenancy"
)

// fixture is what the seed made and the measurements use.
type fixture struct {
	superAdmin tenancy.Identity
	partner    portal.Partner   // the measured partner
	admin      tenancy.Identity // its partner admin
	adminKey   portal.NewKey    // an API key of that admin
	other      portal.Partner   // the second partner
	customer   string           // a customer of partner, in the middle of its list

	licensed      portal.Partner   // the partner whose customers all have licenses
	licensedAdmin tenancy.Identity // its partner admin
	licenses      int              // licenses of its customers
	licensedIDs   []string         // its customers, in creation order
}

// seed makes a super admin, the pricing (devserver.DemoPricing), three
// partners with an admin each, an API key for the first admin and the
// customers of every partner: the measured partner's and the second
// partner's without licenses, the third partner's with one or two licenses
// each (for the margin report). Customers go through
// CustomerService.CreateWithLicenses, so they are validated and written
// exactly as the API writes them.
func seed(ctx context.Context, svc *services.Services, o options) (*fixture, error) {
	now := svc.Clock()
	super := portal.User{
		ID: (&portal.ULIDs{}).New(portal.PrefixUser), Email: "operator@bench.test", Name: "Bench operator",
		Role: tenancy.RoleSuperAdmin, Status: "active", CreatedAt: now, UpdatedAt: now, Version: 1,
	}
	if err := svc.Users.Users.CreateUser(ctx, super); err != nil {
		return nil, fmt.Errorf("super admin: %w", err)
	}
	fx := &fixture{superAdmin: super.Identity("")}
	asSuper := tenancy.WithIdentity(ctx, fx.superAdmin)

	partner := func(name, email string) (portal.Partner, tenancy.Identity, error) {
		p, err := svc.Partners.Create(asSuper, portal.PartnerInput{Name: &name, ContactEmail: &email, Country: ptr("DE")})
		if err != nil {
			return p, tenancy.Identity{}, fmt.Errorf("partner %s: %w", name, err)
		}
		role := tenancy.RolePartnerAdmin
		u, err := svc.Users.Create(asSuper, portal.UserInput{Email: &email, Name: ptr(name + " admin"), Role: &role, PartnerID: &p.ID})
		if err != nil {
			return p, tenancy.Identity{}, fmt.Errorf("admin of %s: %w", name, err)
		}
		return p, u.Identity(""), nil
	}
	var err error
	if fx.partner, fx.admin, err = partner("Bench MSSP", "admin@bench-mssp.test"); err != nil {
		return nil, err
	}
	var otherAdmin tenancy.Identity
	if fx.other, otherAdmin, err = partner("Other MSSP", "admin@other-mssp.test"); err != nil {
		return nil, err
	}
	if fx.adminKey, err = svc.APIKeys.Issue(asSuper, fx.admin.UserID, portal.APIKeyInput{Name: ptr("bench")}); err != nil {
		return nil, fmt.Errorf("api key: %w", err)
	}
	fx.admin.KeyID = fx.adminKey.ID
	if fx.licensed, fx.licensedAdmin, err = partner("Licensed MSSP", "admin@licensed-mssp.test"); err != nil {
		return nil, err
	}
	if _, err := svc.Pricing.Put(asSuper, devserver.DemoPricing(), nil); err != nil {
		return nil, fmt.Errorf("pricing: %w", err)
	}

	ids, _, err := seedCustomers(ctx, svc, fx.admin, o.customers, o.workers, 1, false)
	if err != nil {
		return nil, err
	}
	if _, _, err := seedCustomers(ctx, svc, otherAdmin, o.others, o.workers, 2, false); err != nil {
		return nil, err
	}
	if fx.licensedIDs, fx.licenses, err = seedCustomers(ctx, svc, fx.licensedAdmin, o.licensed, o.workers, 3, true); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("-customers must be at least 1")
	}
	fx.customer = ids[len(ids)/2]
	return fx, nil
}

// seedCustomers creates n customers as admin with workers concurrent
// writers, printing progress, and returns their IDs in creation order and the
// number of licenses assigned. One in ten is on trial, so that status filters
// select something. withLicenses gives every customer one or two licenses
// (licenseInputs), assigned in the customer's create transaction.
func seedCustomers(ctx context.Context, svc *services.Services, admin tenancy.Identity, n, workers int, seedNo uint64, withLicenses bool) ([]string, int, error) {
	if n <= 0 {
		return nil, 0, nil
	}
	ctx, cancel := context.WithCancel(tenancy.WithIdentity(ctx, admin))
	defer cancel()
	ids := make([]string, n)
	var (
		next, done atomic.Int64
		licenses   atomic.Int64
		mu         sync.Mutex
		firstErr   error
		wg         sync.WaitGroup
	)
	start := time.Now()
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				in := customerInput(seedNo, i)
				if withLicenses {
					in.Licenses = ptr(licenseInputs(i))
				}
				c, ls, err := svc.Customers.CreateWithLicenses(ctx, in)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("customer %d of %s: %w", i, admin.PartnerID, err)
					}
					mu.Unlock()
					cancel()
					return
				}
				ids[i] = c.ID
				licenses.Add(int64(len(ls)))
				if d := done.Add(1); d%2000 == 0 || int(d) == n {
					log.Printf("seed %s: %d/%d customers, %d licenses (%.0f/s)", admin.PartnerID, d, n, licenses.Load(), float64(d)/time.Since(start).Seconds())
				}
			}
		}()
	}
	wg.Wait()
	return ids, int(licenses.Load()), firstErr
}

// licenseInputs returns the licenses of the i-th licensed customer: a
// monthly per-asset license for every customer and, for every other one, a
// second license: alternately an annual per-scan and a monthly unlimited one.
// Not pre-paid: concurrent draws from one pool would conflict in the
// transaction and the seed does not retry.
func licenseInputs(i int) []portal.LicenseInput {
	r := rand.New(rand.NewPCG(3, uint64(i)))
	eur := func(amount int64) *portal.MoneyInput {
		return &portal.MoneyInput{Amount: &amount, Currency: ptr("EUR")}
	}
	assets := int64(5 + r.IntN(200))
	out := []portal.LicenseInput{{
		Model: ptr(portal.ModelPerAsset), Quantity: &assets, EndUserPrice: eur(assets * 350),
	}}
	switch i % 4 {
	case 1:
		scans := int64(12 * (1 + r.IntN(20)))
		out = append(out, portal.LicenseInput{
			Model: ptr(portal.ModelPerScan), Quantity: &scans, BillingPeriod: ptr(portal.PeriodAnnual), EndUserPrice: eur(scans * 700),
		})
	case 3:
		out = append(out, portal.LicenseInput{Model: ptr(portal.ModelUnlimited), EndUserPrice: eur(75000)})
	}
	return out
}

var (
	nameHeads = []string{"Alpine", "Baltic", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Juniper",
		"Keystone", "Lumen", "Meridian", "Nimbus", "Orchid", "Pioneer", "Quartz", "Riverside", "Summit", "Tidal",
		"Umbra", "Vertex", "Willow", "Xenon", "Yarrow", "Zenith"}
	nameTails = []string{"Logistics", "Dental", "Bakery", "Legal", "Software", "Clinic", "Foods", "Energy", "Retail",
		"Insurance", "Robotics", "Textiles", "Media", "Consulting", "Pharma", "Motors"}
	suffixes = []string{"GmbH", "AG", "Ltd", "Inc.", "SARL", "BV", "KG", "LLC"}
	zones    = []string{"Europe/Berlin", "Europe/London", "America/New_York", "Asia/Tokyo", "UTC"}
	tags     = []string{"healthcare", "finance", "retail", "gold", "silver", "eu", "us", "pilot"}
)

// customerInput returns the i-th customer of a deterministic, varied set:
// names spread over the alphabet so that a name-sorted page is a real page.
func customerInput(seedNo uint64, i int) portal.CustomerInput {
	r := rand.New(rand.NewPCG(seedNo, uint64(i)))
	name := fmt.Sprintf("%s %s %s %05d", nameHeads[r.IntN(len(nameHeads))], nameTails[r.IntN(len(nameTails))], suffixes[r.IntN(len(suffixes))], i)
	in := portal.CustomerInput{
		Name:         &name,
		ContactEmail: ptr(fmt.Sprintf("security+%05d@customer-%d.example", i, i)),
		Timezone:     ptr(zones[r.IntN(len(zones))]),
		Country:      ptr([]string{"DE", "GB", "US", "FR", "NL"}[r.IntN(5)]),
		Tags:         &[]string{tags[r.IntN(len(tags))], tags[r.IntN(len(tags))]},
	}
	if i%10 == 9 {
		in.Status = ptr(portal.StatusTrial)
	}
	return in
}

func ptr[T any](v T) *T { return &v }

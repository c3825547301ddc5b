package portal

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"time"

	"github.com/partnerportal/portal/internal/tenancy"
)

// LicenseStore persists licenses together with their customer, whose plan
// and license counts change in the same transaction.
type LicenseStore interface {
	// SaveLicenses writes c (unless nil) and licenses in one transaction and
	// draws draws[poolID] units from pre-paid pools. c is created when
	// newCustomer, otherwise replaced if its stored version is c.Version-1; a license
	// with Version 1 is created, others replaced if stored at Version-1.
	// EPRECONDITION when c or a license changed meanwhile; ECONFLICT, with
	// the balance, when a pool has too few units; ENOTFOUND for pools or
	// customers outside c's partner.
	SaveLicenses(ctx context.Context, c *Customer, newCustomer bool, licenses []License, draws map[string]int64) error
	// GetLicense returns a license of a customer in scope; ENOTFOUND otherwise.
	GetLicense(ctx context.Context, scope tenancy.Scope, customerID, licenseID string) (License, error)
	// ListLicenses returns a customer's licenses, oldest first.
	ListLicenses(ctx context.Context, scope tenancy.Scope, customerID string) ([]License, error)
}

// LicenseService assigns, changes and revokes customers' licenses.
type LicenseService struct {
	Store     LicenseStore
	Grants    GrantStore
	Customers CustomerStore
	Pricing   PricingStore
	Prepaid   PrepaidStore
	Clock     Clock
	IDs       IDs
}

// licenseBatch builds licenses for one customer, checking each input
// against the pricing and the partner's pre-paid pools.
type licenseBatch struct {
	svc    *LicenseService
	ctx    context.Context
	now    time.Time
	prices *Pricing
	pools  []PrepaidPool
	draws  map[string]int64
	// perAsset counts the batch's per-asset licenses: a customer has at
	// most one in force, which its asset counter is measured against.
	perAsset int
}

func (s *LicenseService) batch(ctx context.Context) *licenseBatch {
	return &licenseBatch{svc: s, ctx: ctx, now: s.Clock(), draws: map[string]int64{}}
}

// build validates one license input under field (e.g. "licenses[0]") and
// returns the license for customer c. Problems are added to p; an error is
// returned only for faults and missing pricing.
func (b *licenseBatch) build(p *Problems, field string, in LicenseInput, c Customer) (License, error) {
	f := func(name string) string {
		if field == "" {
			return name
		}
		return field + "." + name
	}
	l := License{
		ID: b.svc.IDs.New(PrefixLicense), TenantID: c.ID, PartnerID: c.PartnerID, BillingPeriod: PeriodMonthly,
		StartsAt: b.now, OveragePolicy: OverageSoft, CreatedAt: b.now, UpdatedAt: b.now, Version: 1,
	}
	if in.Model == nil {
		p.Add(f("model"), "is required: one of per_asset, per_scan, unlimited")
	} else {
		l.Model = *in.Model
		oneOf(p, f("model"), l.Model, LicenseModels)
		if l.Model == ModelPerAsset {
			if b.perAsset++; b.perAsset > 1 {
				p.Add(f("model"), "a customer has at most one per_asset license in force: give one license the whole quantity")
			}
		}
	}
	switch {
	case l.Model.Metered() && in.Quantity == nil:
		p.Add(f("quantity"), "is required for %s licenses", l.Model)
	case l.Model.Metered() && (*in.Quantity < 1 || *in.Quantity > MaxQuantity):
		p.Add(f("quantity"), "must be from 1 to %d", MaxQuantity)
	case l.Model.Metered():
		l.Quantity = *in.Quantity
	case l.Model == ModelUnlimited && in.Quantity != nil:
		p.Add(f("quantity"), "must not be set for unlimited licenses (a flat fee)")
	}
	if in.BillingPeriod != nil {
		l.BillingPeriod = *in.BillingPeriod
		oneOf(p, f("billingPeriod"), l.BillingPeriod, BillingPeriods)
	}
	if in.StartsAt != nil {
		l.StartsAt = in.StartsAt.UTC().Truncate(time.Millisecond)
	}
	if in.EndsAt != nil {
		end := in.EndsAt.UTC().Truncate(time.Millisecond)
		if !end.After(l.StartsAt) {
			p.Add(f("endsAt"), "must be after startsAt (%s)", l.StartsAt.Format(time.RFC3339))
		}
		l.EndsAt = &end
	}
	if in.OveragePolicy != nil {
		l.OveragePolicy = *in.OveragePolicy
		oneOf(p, f("overagePolicy"), l.OveragePolicy, []OveragePolicy{OverageSoft, OverageHard})
	}
	l.EndUserPrice = checkMoney(p, f("endUserPrice"), in.EndUserPrice)
	if in.Prepaid != nil && *in.Prepaid {
		l.Prepaid = true
		if !l.Model.Metered() && in.Model != nil {
			p.Add(f("prepaid"), "applies to per_asset and per_scan licenses only")
		}
	}
	if in.PrepaidPoolID != nil && !l.Prepaid {
		p.Add(f("prepaidPoolId"), "is only used with \"prepaid\": true")
	}
	if len(*p) > 0 {
		return l, nil
	}
	pricing, err := b.pricing()
	if err != nil {
		return l, err
	}
	l.PricingVersion = pricing.Version
	l.UnitCost = pricing.UnitCost(l.Model, l.BillingPeriod)
	if l.EndUserPrice.Currency != pricing.Currency {
		p.Add(f("endUserPrice.currency"), "must be %s, the currency of the pricing", pricing.Currency)
	}
	if l.Prepaid {
		pool, err := b.pool(p, f("prepaidPoolId"), in.PrepaidPoolID, l)
		if err != nil || pool == nil {
			return l, err
		}
		l.PrepaidPoolID, l.UnitCost = pool.ID, pool.UnitCost
		b.draws[pool.ID] += l.Quantity
	}
	return l, nil
}

func (b *licenseBatch) pricing() (*Pricing, error) {
	if b.prices == nil {
		pr, err := b.svc.Pricing.GetPricing(b.ctx)
		if err != nil {
			return nil, pricingMissing(err)
		}
		b.prices = &pr
	}
	return b.prices, nil
}

// pool picks the pool a pre-paid license draws from: the one named, or the
// oldest of the license's model and period with enough units left.
func (b *licenseBatch) pool(p *Problems, field string, poolID *string, l License) (*PrepaidPool, error) {
	if b.pools == nil {
		pools, err := b.svc.Prepaid.ListPools(b.ctx, l.PartnerID)
		if err != nil {
			return nil, fmt.Errorf("list prepaid pools: %w", err)
		}
		b.pools = pools
	}
	var balances []string
	for i := range b.pools {
		pool := &b.pools[i]
		left := pool.Balance - b.draws[pool.ID]
		if poolID != nil {
			if pool.ID != *poolID {
				continue
			}
			if pool.Model != l.Model || pool.BillingPeriod != l.BillingPeriod {
				p.Add(field, "pool %s holds %s %s units, not %s %s", pool.ID, pool.BillingPeriod, pool.Model, l.BillingPeriod, l.Model)
				return nil, nil
			}
			if pool.UnitCost.Currency != l.EndUserPrice.Currency {
				p.Add(field, "pool %s was bought in %s; this license is priced in %s", pool.ID, pool.UnitCost.Currency, l.EndUserPrice.Currency)
				return nil, nil
			}
			if left < l.Quantity {
				return nil, Errorf(ECONFLICT, "pre-paid pool %s has %d units left; this license needs %d", pool.ID, left, l.Quantity)
			}
			return pool, nil
		}
		if pool.Model == l.Model && pool.BillingPeriod == l.BillingPeriod && pool.UnitCost.Currency == l.EndUserPrice.Currency {
			if left >= l.Quantity {
				return pool, nil
			}
			balances = append(balances, fmt.Sprintf("%s: %d", pool.ID, left))
		}
	}
	if poolID != nil {
		p.Add(field, "no pre-paid pool %s", *poolID)
		return nil, nil
	}
	if len(balances) == 0 {
		return nil, Errorf(ECONFLICT, "no pre-paid pool of %s %s units: buy one with POST /v1/prepaid", l.BillingPeriod, l.Model)
	}
	return nil, Errorf(ECONFLICT, "insufficient pre-paid balance for %d %s %s units (balances: %v)", l.Quantity, l.BillingPeriod, l.Model, balances)
}

// countLicenses adds delta to c's count of model and re-derives its plan.
func countLicenses(c *Customer, model LicenseModel, delta int) {
	if c.LicenseCounts == nil {
		c.LicenseCounts = map[LicenseModel]int{}
	}
	c.LicenseCounts[model] += delta
	if c.LicenseCounts[model] <= 0 {
		delete(c.LicenseCounts, model)
	}
	c.Plan = planOf(c.LicenseCounts)
}

// maxLicenseRetries bounds retries when a customer or pool changes between
// our read and write (concurrent license changes on one customer).
const maxLicenseRetries = 6

// backoff waits before retry attempt (1-based), with jitter, or until ctx ends.
func backoff(ctx context.Context, attempt int) {
	d := time.Duration(attempt*attempt)*5*time.Millisecond + time.Duration(rand.Int64N(int64(10*time.Millisecond)))
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// Create assigns a license to a customer of the caller's partner.
// EINVALID names bad fields; ECONFLICT for archived customers and empty
// pre-paid pools; nothing is written on any error.
func (s *LicenseService) Create(ctx context.Context, customerID string, in LicenseInput) (License, error) {
	id, err := partnerAdmin(ctx)
	if err != nil {
		return License{}, err
	}
	if err := canSee(ctx, s.Grants, id, customerID); err != nil {
		return License{}, err
	}
	for attempt := 1; ; attempt++ {
		c, err := s.Customers.GetCustomer(ctx, id.Scope(), customerID)
		if err != nil {
			return License{}, err
		}
		if c.Status == StatusArchived {
			return License{}, Errorf(ECONFLICT, "customer %s is archived", c.ID)
		}
		var p Problems
		b := s.batch(ctx)
		l, err := b.build(&p, "", in, c)
		if err != nil {
			return License{}, err
		}
		if err := p.Err(); err != nil {
			return License{}, err
		}
		if err := s.checkOverlap(ctx, l); err != nil {
			return License{}, err
		}
		countLicenses(&c, l.Model, 1)
		c.Version++
		c.UpdatedAt = b.now
		actx := auditor{s.Clock, s.IDs}.audit(ctx, "license.create", l.ID, c.scope(), nil, l.auditFields())
		err = s.Store.SaveLicenses(actx, &c, false, []License{l}, b.draws)
		if ErrorCode(err) == EPRECONDITION && attempt < maxLicenseRetries {
			backoff(ctx, attempt)
			continue
		}
		if err != nil {
			return License{}, fmt.Errorf("save license: %w", err)
		}
		return l, nil
	}
}

// List returns a customer's licenses.
func (s *LicenseService) List(ctx context.Context, customerID string) ([]License, error) {
	id, err := partnerReader(ctx)
	if err != nil {
		return nil, err
	}
	if err := canSee(ctx, s.Grants, id, customerID); err != nil {
		return nil, err
	}
	if _, err := s.Customers.GetCustomer(ctx, id.Scope(), customerID); err != nil {
		return nil, err
	}
	return s.Store.ListLicenses(ctx, id.Scope(), customerID)
}

// LicensePatch is the body of PATCH …/licenses/{licenseId}: what may change.
type LicensePatch struct {
	Quantity      *int64         `json:"quantity"`
	EndsAt        *time.Time     `json:"endsAt"`
	EndUserPrice  *MoneyInput    `json:"endUserPrice"`
	OveragePolicy *OveragePolicy `json:"overagePolicy"`
}

// Update changes a license's quantity, end, price or overage policy.
// ifMatch, when set, is the version the caller read. Lowering a per-asset
// quantity below the assets in use is ECONFLICT (the store checks it
// against the live counter); pre-paid quantities are fixed (revoke and
// assign anew).
func (s *LicenseService) Update(ctx context.Context, customerID, licenseID string, in LicensePatch, ifMatch *int64) (License, error) {
	return s.change(ctx, "license.update", customerID, licenseID, ifMatch, func(c *Customer, l *License, p *Problems) error {
		if l.Revoked {
			return Errorf(ECONFLICT, "license %s is revoked", l.ID)
		}
		if in.Quantity != nil {
			switch {
			case !l.Model.Metered():
				p.Add("quantity", "must not be set for unlimited licenses (a flat fee)")
			case *in.Quantity < 1 || *in.Quantity > MaxQuantity:
				p.Add("quantity", "must be from 1 to %d", MaxQuantity)
			case l.Prepaid && *in.Quantity != l.Quantity:
				return Errorf(ECONFLICT, "license %s is pre-paid: its quantity is fixed; revoke it and assign a new one", l.ID)
			default:
				l.Quantity = *in.Quantity
			}
		}
		if in.EndsAt != nil {
			end := in.EndsAt.UTC().Truncate(time.Millisecond)
			if !end.After(l.StartsAt) {
				p.Add("endsAt", "must be after startsAt (%s)", l.StartsAt.Format(time.RFC3339))
			}
			l.EndsAt = &end
		}
		if in.OveragePolicy != nil {
			l.OveragePolicy = *in.OveragePolicy
			oneOf(p, "overagePolicy", l.OveragePolicy, []OveragePolicy{OverageSoft, OverageHard})
		}
		if in.EndUserPrice != nil {
			price := checkMoney(p, "endUserPrice", in.EndUserPrice)
			if price.Currency != "" && price.Currency != l.UnitCost.Currency {
				p.Add("endUserPrice.currency", "must be %s, the currency of the license's cost", l.UnitCost.Currency)
			}
			l.EndUserPrice = price
		}
		return nil
	})
}

// Revoke ends a license now (DELETE); the customer's plan follows. Pre-paid
// units are not returned to their pool. Revoking twice changes nothing.
func (s *LicenseService) Revoke(ctx context.Context, customerID, licenseID string) (License, error) {
	return s.change(ctx, "license.revoke", customerID, licenseID, nil, func(c *Customer, l *License, _ *Problems) error {
		if l.Revoked {
			return nil
		}
		now := s.Clock()
		l.Revoked, l.RevokedAt = true, &now
		countLicenses(c, l.Model, -1)
		return nil
	})
}

func (s *LicenseService) change(ctx context.Context, action, customerID, licenseID string, ifMatch *int64, fn func(*Customer, *License, *Problems) error) (License, error) {
	id, err := partnerAdmin(ctx)
	if err != nil {
		return License{}, err
	}
	if err := canSee(ctx, s.Grants, id, customerID); err != nil {
		return License{}, err
	}
	if !ValidID(PrefixLicense, licenseID) {
		return License{}, Errorf(ENOTFOUND, "license %s not found", licenseID)
	}
	for attempt := 1; ; attempt++ {
		c, err := s.Customers.GetCustomer(ctx, id.Scope(), customerID)
		if err != nil {
			return License{}, err
		}
		if c.Status == StatusArchived {
			return License{}, Errorf(ECONFLICT, "customer %s is archived: its licenses can no longer change", c.ID)
		}
		l, err := s.Store.GetLicense(ctx, id.Scope(), customerID, licenseID)
		if err != nil {
			return License{}, err
		}
		if ifMatch != nil && *ifMatch != l.Version {
			return License{}, Errorf(EPRECONDITION, "license %s is at version %d, not %d", l.ID, l.Version, *ifMatch)
		}
		before, counts := l, maps.Clone(c.LicenseCounts)
		var p Problems
		if err := fn(&c, &l, &p); err != nil {
			return License{}, err
		}
		if err := p.Err(); err != nil {
			return License{}, err
		}
		if licenseEqual(before, l) {
			return l, nil
		}
		if !sameTime(before.EndsAt, l.EndsAt) {
			if err := s.checkOverlap(ctx, l); err != nil {
				return License{}, err
			}
		}
		now := s.Clock()
		l.Version++
		l.UpdatedAt = now
		var changed *Customer // the customer is written only when its plan counts change
		if !maps.Equal(counts, c.LicenseCounts) {
			c.Version++
			c.UpdatedAt = now
			changed = &c
		}
		actx := auditor{s.Clock, s.IDs}.audit(ctx, action, l.ID, c.scope(), before.auditFields(), l.auditFields())
		err = s.Store.SaveLicenses(actx, changed, false, []License{l}, nil)
		if ErrorCode(err) == EPRECONDITION && ifMatch == nil && attempt < maxLicenseRetries {
			backoff(ctx, attempt)
			continue
		}
		if err != nil {
			return License{}, fmt.Errorf("save license: %w", err)
		}
		return l, nil
	}
}

// checkOverlap refuses a per-asset license in force alongside another.
func (s *LicenseService) checkOverlap(ctx context.Context, l License) error {
	if l.Model != ModelPerAsset || l.Revoked {
		return nil
	}
	others, err := s.Store.ListLicenses(ctx, tenancy.Scope{PartnerID: l.PartnerID, TenantID: l.TenantID}, l.TenantID)
	if err != nil {
		return fmt.Errorf("list licenses: %w", err)
	}
	return perAssetOverlap(l, others)
}

func licenseEqual(a, b License) bool {
	return a.Quantity == b.Quantity && a.EndUserPrice == b.EndUserPrice && a.OveragePolicy == b.OveragePolicy &&
		a.Revoked == b.Revoked && sameTime(a.EndsAt, b.EndsAt)
}

func sameTime(a, b *time.Time) bool {
	return a == nil && b == nil || a != nil && b != nil && a.Equal(*b)
}

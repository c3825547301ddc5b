package portal

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/partnerportal/portal/internal/tenancy"
)

// PrepaidTier is a pre-paid discount: buying at least MinUnits up front
// takes DiscountBps basis points off the unit cost.
type PrepaidTier struct {
	MinUnits    int64       `json:"minUnits"`
	DiscountBps BasisPoints `json:"discountBps"`
}

// Pricing is one version of the platform's price list: what a license unit
// costs the partner, per model and billing period, and the pre-paid tiers.
// Versions are never changed, only superseded.
type Pricing struct {
	Version      int64
	Currency     string
	UnitCosts    map[LicenseModel]map[BillingPeriod]int64 // minor units per unit (per license for unlimited)
	PrepaidTiers []PrepaidTier                            // ascending MinUnits
	UpdatedAt    time.Time
	UpdatedBy    string
}

// UnitCost returns the cost of one unit of model for period.
func (p Pricing) UnitCost(model LicenseModel, period BillingPeriod) Money {
	return Money{Amount: p.UnitCosts[model][period], Currency: p.Currency}
}

// Discount returns the pre-paid discount for buying units up front: the
// highest tier whose MinUnits it reaches, 0 below the first.
func (p Pricing) Discount(units int64) BasisPoints {
	var bps BasisPoints
	for _, t := range p.PrepaidTiers {
		if units >= t.MinUnits {
			bps = t.DiscountBps
		}
	}
	return bps
}

// PricingInput is the body of PUT /v1/settings/pricing.
type PricingInput struct {
	Currency     *string                      `json:"currency"`
	UnitCosts    *map[string]map[string]int64 `json:"unitCosts"`
	PrepaidTiers *[]PrepaidTier               `json:"prepaidTiers"`
}

// PricingStore keeps every version of the pricing.
type PricingStore interface {
	// GetPricing returns the current pricing; ENOTFOUND before the first PUT.
	GetPricing(ctx context.Context) (Pricing, error)
	// PutPricing stores p as the new current version; EPRECONDITION when the
	// current version is not p.Version-1.
	PutPricing(ctx context.Context, p Pricing) error
}

// PricingService reads and changes the pricing. Everyone but customer users
// may read it; only super_admin may change it.
type PricingService struct {
	Store PricingStore
	Clock Clock
	IDs   IDs
}

// Get returns the current pricing; ENOTFOUND before a super admin sets it.
func (s *PricingService) Get(ctx context.Context) (Pricing, error) {
	if _, err := requireRole(ctx, "reading pricing", tenancy.RoleSuperAdmin, tenancy.RolePartnerAdmin, tenancy.RolePartnerMember); err != nil {
		return Pricing{}, err
	}
	p, err := s.Store.GetPricing(ctx)
	if ErrorCode(err) == ENOTFOUND {
		return Pricing{}, Errorf(ENOTFOUND, "pricing is not set yet: a super admin sets it with PUT /v1/settings/pricing")
	}
	return p, err
}

// Put validates in and stores it as a new pricing version. ifMatch, when
// set, is the version the caller read (EPRECONDITION if stale). Existing
// licenses keep the unit cost they were assigned with.
func (s *PricingService) Put(ctx context.Context, in PricingInput, ifMatch *int64) (Pricing, error) {
	id, err := requireRole(ctx, "changing pricing", tenancy.RoleSuperAdmin)
	if err != nil {
		return Pricing{}, err
	}
	var p Problems
	next := Pricing{UnitCosts: map[LicenseModel]map[BillingPeriod]int64{}, PrepaidTiers: []PrepaidTier{}, UpdatedAt: s.Clock(), UpdatedBy: id.UserID}
	if in.Currency == nil {
		p.Add("currency", "is required: an ISO 4217 code such as EUR")
	} else {
		next.Currency = checkCurrency(&p, "currency", *in.Currency)
	}
	if in.UnitCosts == nil {
		p.Add("unitCosts", "is required: {\"per_asset\": {\"monthly\": 200, \"annual\": 2000}, \"per_scan\": {…}, \"unlimited\": {…}}")
	} else {
		for model, periods := range *in.UnitCosts {
			if !slices.Contains(LicenseModels, LicenseModel(model)) {
				p.Add("unitCosts."+model, "is not a license model (one of: per_asset, per_scan, unlimited)")
				continue
			}
			for period, cost := range periods {
				field := "unitCosts." + model + "." + period
				switch {
				case !slices.Contains(BillingPeriods, BillingPeriod(period)):
					p.Add(field, "is not a billing period (one of: monthly, annual)")
				case cost < 0 || cost > MaxAmount:
					p.Add(field, "must be from 0 to %d minor units", MaxAmount)
				default:
					if next.UnitCosts[LicenseModel(model)] == nil {
						next.UnitCosts[LicenseModel(model)] = map[BillingPeriod]int64{}
					}
					next.UnitCosts[LicenseModel(model)][BillingPeriod(period)] = cost
				}
			}
		}
		for _, m := range LicenseModels {
			for _, bp := range BillingPeriods {
				if _, ok := (*in.UnitCosts)[string(m)][string(bp)]; !ok {
					p.Add("unitCosts."+string(m)+"."+string(bp), "is required (minor units per unit)")
				}
			}
		}
	}
	if in.PrepaidTiers != nil {
		for i, t := range *in.PrepaidTiers {
			field := indexed("prepaidTiers", i)
			if t.MinUnits < 1 {
				p.Add(field+".minUnits", "must be at least 1")
			} else if i > 0 && t.MinUnits <= (*in.PrepaidTiers)[i-1].MinUnits {
				p.Add(field+".minUnits", "must be greater than the previous tier's")
			}
			if t.DiscountBps < 1 || t.DiscountBps > 9999 {
				p.Add(field+".discountBps", "must be from 1 to 9999 basis points (0.01 %% to 99.99 %%)")
			}
		}
		next.PrepaidTiers = *in.PrepaidTiers
	}
	if err := p.Err(); err != nil {
		return Pricing{}, err
	}
	current, err := s.Store.GetPricing(ctx)
	switch {
	case ErrorCode(err) == ENOTFOUND:
	case err != nil:
		return Pricing{}, err
	default:
		next.Version = current.Version
	}
	if ifMatch != nil && *ifMatch != next.Version {
		return Pricing{}, Errorf(EPRECONDITION, "pricing is at version %d, not %d: read it again and reapply your change", next.Version, *ifMatch)
	}
	next.Version++
	fields := func(p Pricing) map[string]any {
		if p.Version == 0 {
			return nil
		}
		return map[string]any{"version": p.Version, "currency": p.Currency, "unitCosts": p.UnitCosts, "prepaidTiers": p.PrepaidTiers}
	}
	ctx = auditor{s.Clock, s.IDs}.audit(ctx, "pricing.update", fmt.Sprintf("v%d", next.Version), tenancy.Scope{}, fields(current), fields(next))
	if err := s.Store.PutPricing(ctx, next); err != nil {
		return Pricing{}, fmt.Errorf("put pricing: %w", err)
	}
	return next, nil
}

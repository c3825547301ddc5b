package portal

import (
	"context"
	"fmt"
	"time"

	"github.com/partnerportal/portal/internal/tenancy"
)

// PrepaidPool is a partner's pre-paid purchase of license units at a
// discounted unit cost; pre-paid licenses draw their quantity from it.
type PrepaidPool struct {
	ID             string
	PartnerID      string
	Model          LicenseModel
	BillingPeriod  BillingPeriod
	Units          int64 // bought
	Balance        int64 // left
	ListUnitCost   Money // the pricing's unit cost at purchase
	DiscountBps    BasisPoints
	UnitCost       Money // ListUnitCost less the discount
	PricingVersion int64
	PurchasedAt    time.Time
	PurchasedBy    string
}

// Total is what the purchase cost: units × discounted unit cost.
func (p PrepaidPool) Total() Money {
	return Money{Amount: p.Units * p.UnitCost.Amount, Currency: p.UnitCost.Currency}
}

// PrepaidInput is the body of POST /v1/prepaid.
type PrepaidInput struct {
	Model         *LicenseModel  `json:"model"`
	Units         *int64         `json:"units"`
	BillingPeriod *BillingPeriod `json:"billingPeriod"`
}

// PrepaidStore keeps pre-paid pools.
type PrepaidStore interface {
	// CreatePool stores a new pool; ECONFLICT if the ID exists.
	CreatePool(ctx context.Context, p PrepaidPool) error
	// ListPools returns a partner's pools, oldest first.
	ListPools(ctx context.Context, partnerID string) ([]PrepaidPool, error)
}

// PrepaidService buys and lists pre-paid pools (partner admins).
type PrepaidService struct {
	Store   PrepaidStore
	Pricing PricingStore
	Clock   Clock
	IDs     IDs
}

// Buy purchases units of a metered model at the pre-paid tier's discounted
// unit cost. EINVALID for bad fields, ECONFLICT when pricing is not set.
func (s *PrepaidService) Buy(ctx context.Context, in PrepaidInput) (PrepaidPool, error) {
	id, err := requireRole(ctx, "buying pre-paid units", tenancy.RolePartnerAdmin)
	if err != nil {
		return PrepaidPool{}, err
	}
	var p Problems
	pool := PrepaidPool{ID: s.IDs.New(PrefixPrepaid), PartnerID: id.PartnerID, BillingPeriod: PeriodMonthly, PurchasedAt: s.Clock(), PurchasedBy: id.UserID}
	if in.Model == nil {
		p.Add("model", "is required: per_asset or per_scan")
	} else {
		pool.Model = *in.Model
		oneOf(&p, "model", pool.Model, []LicenseModel{ModelPerAsset, ModelPerScan})
	}
	if in.Units == nil || *in.Units < 1 || *in.Units > MaxQuantity {
		p.Add("units", "is required, from 1 to %d", MaxQuantity)
	} else {
		pool.Units, pool.Balance = *in.Units, *in.Units
	}
	if in.BillingPeriod != nil {
		pool.BillingPeriod = *in.BillingPeriod
		oneOf(&p, "billingPeriod", pool.BillingPeriod, BillingPeriods)
	}
	if err := p.Err(); err != nil {
		return PrepaidPool{}, err
	}
	pricing, err := s.Pricing.GetPricing(ctx)
	if err != nil {
		return PrepaidPool{}, pricingMissing(err)
	}
	pool.PricingVersion = pricing.Version
	pool.ListUnitCost = pricing.UnitCost(pool.Model, pool.BillingPeriod)
	pool.DiscountBps = pricing.Discount(pool.Units)
	pool.UnitCost = Money{Amount: Discounted(pool.ListUnitCost.Amount, pool.DiscountBps), Currency: pricing.Currency}
	ctx = auditor{s.Clock, s.IDs}.audit(ctx, "prepaid.buy", pool.ID, tenancy.Scope{PartnerID: pool.PartnerID}, nil, map[string]any{
		"model": pool.Model, "billingPeriod": pool.BillingPeriod, "units": pool.Units, "unitCost": pool.UnitCost, "discountBps": pool.DiscountBps,
	})
	if err := s.Store.CreatePool(ctx, pool); err != nil {
		return PrepaidPool{}, fmt.Errorf("create prepaid pool: %w", err)
	}
	return pool, nil
}

// List returns the caller's pools with their balances, oldest first.
func (s *PrepaidService) List(ctx context.Context) ([]PrepaidPool, error) {
	id, err := requireRole(ctx, "reading pre-paid pools", tenancy.RolePartnerAdmin)
	if err != nil {
		return nil, err
	}
	return s.Store.ListPools(ctx, id.PartnerID)
}

func pricingMissing(err error) error {
	if ErrorCode(err) == ENOTFOUND {
		return Errorf(ECONFLICT, "pricing is not set yet: ask the platform operator to set it")
	}
	return err
}

package portal

import (
	"time"
)

// LicenseModel is how a license is counted.
type LicenseModel string

// License models (DESIGN.md §2).
const (
	ModelPerAsset  LicenseModel = "per_asset" // quantity = monitored assets; alert at 90 %
	ModelPerScan   LicenseModel = "per_scan"  // quantity = scans per period; alert at 80 %
	ModelUnlimited LicenseModel = "unlimited" // flat fee, no quantity, no usage alert
)

// LicenseModels lists every model.
var LicenseModels = []LicenseModel{ModelPerAsset, ModelPerScan, ModelUnlimited}

// Metered reports whether the model counts units (has a quantity).
func (m LicenseModel) Metered() bool { return m == ModelPerAsset || m == ModelPerScan }

// AlertThresholdPercent is the usage share that raises an alert; 0 for none.
func (m LicenseModel) AlertThresholdPercent() int {
	switch m {
	case ModelPerAsset:
		return 90
	case ModelPerScan:
		return 80
	}
	return 0
}

// BillingPeriod is how often a license is billed.
type BillingPeriod string

// Billing periods.
const (
	PeriodMonthly BillingPeriod = "monthly"
	PeriodAnnual  BillingPeriod = "annual"
)

// BillingPeriods lists every billing period.
var BillingPeriods = []BillingPeriod{PeriodMonthly, PeriodAnnual}

// OveragePolicy says what happens beyond a license's quantity.
type OveragePolicy string

// Overage policies; soft is the default.
const (
	OverageSoft OveragePolicy = "soft" // allowed, counted as overage
	OverageHard OveragePolicy = "hard" // refused
)

// LicenseStatus is the state of a license.
type LicenseStatus string

// License states. Expired is derived from EndsAt; revoked is final.
const (
	LicenseActive  LicenseStatus = "active"
	LicenseExpired LicenseStatus = "expired"
	LicenseRevoked LicenseStatus = "revoked"
)

// License is a customer's right to use the service, and what it costs and earns.
type License struct {
	ID             string
	TenantID       string
	PartnerID      string
	Model          LicenseModel
	Quantity       int64 // 0 for unlimited
	BillingPeriod  BillingPeriod
	StartsAt       time.Time
	EndsAt         *time.Time
	EndUserPrice   Money // what the customer pays per billing period
	UnitCost       Money // snapshot at assignment: per unit (per license for unlimited) per billing period
	PricingVersion int64
	Prepaid        bool
	PrepaidPoolID  string
	OveragePolicy  OveragePolicy
	Revoked        bool
	RevokedAt      *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64
}

// Status returns the license's status at now.
func (l License) Status(now time.Time) LicenseStatus {
	switch {
	case l.Revoked:
		return LicenseRevoked
	case l.EndsAt != nil && !now.Before(*l.EndsAt):
		return LicenseExpired
	}
	return LicenseActive
}

// Cost is what the license costs the partner per billing period.
func (l License) Cost() Money {
	if !l.Model.Metered() {
		return l.UnitCost
	}
	return Money{Amount: l.UnitCost.Amount * l.Quantity, Currency: l.UnitCost.Currency}
}

// Margin is end-user price minus cost, per billing period (same currency by construction).
func (l License) Margin() Money {
	return Money{Amount: l.EndUserPrice.Amount - l.Cost().Amount, Currency: l.EndUserPrice.Currency}
}

// activeAt reports whether the license is in force at t.
func (l License) activeAt(t time.Time) bool {
	return !t.Before(l.StartsAt) && (l.EndsAt == nil || t.Before(*l.EndsAt)) && (l.RevokedAt == nil || t.Before(*l.RevokedAt))
}

// end returns when the license stops being in force: the earlier of its
// end and its revocation; nil when neither is set.
func (l License) end() *time.Time {
	switch {
	case l.RevokedAt != nil && (l.EndsAt == nil || l.RevokedAt.Before(*l.EndsAt)):
		return l.RevokedAt
	case l.EndsAt != nil:
		return l.EndsAt
	}
	return nil
}

// overlaps reports whether l and o are in force at some common time.
func (l License) overlaps(o License) bool {
	before := func(a License, t time.Time) bool { e := a.end(); return e != nil && !e.After(t) }
	return !before(l, o.StartsAt) && !before(o, l.StartsAt)
}

// perAssetOverlap returns ECONFLICT when per-asset license l would be in
// force at the same time as another of the customer's (one asset counter
// is measured against one license at a time: a renewal starts when the
// previous one ends).
func perAssetOverlap(l License, others []License) error {
	if l.Model != ModelPerAsset {
		return nil
	}
	for _, o := range others {
		if o.ID != l.ID && o.Model == ModelPerAsset && l.overlaps(o) {
			return Errorf(ECONFLICT, "customer %s has per-asset license %s in force at the same time: change its quantity, end it first, or start this one when it ends", l.TenantID, o.ID)
		}
	}
	return nil
}

// LicenseInput is a license as a request states it (POST; PATCH uses the
// changeable subset).
type LicenseInput struct {
	Model         *LicenseModel  `json:"model"`
	Quantity      *int64         `json:"quantity"`
	BillingPeriod *BillingPeriod `json:"billingPeriod"`
	StartsAt      *time.Time     `json:"startsAt"`
	EndsAt        *time.Time     `json:"endsAt"`
	EndUserPrice  *MoneyInput    `json:"endUserPrice"`
	Prepaid       *bool          `json:"prepaid"`
	PrepaidPoolID *string        `json:"prepaidPoolId"`
	OveragePolicy *OveragePolicy `json:"overagePolicy"`
}

// planOf derives a customer's plan from the models of its active licenses.
func planOf(counts map[LicenseModel]int) Plan {
	var only LicenseModel
	n := 0
	for _, m := range LicenseModels {
		if counts[m] > 0 {
			only = m
			n++
		}
	}
	switch n {
	case 0:
		return PlanNone
	case 1:
		return Plan(only)
	}
	return PlanMixed
}

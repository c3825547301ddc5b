package portal

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/partnerportal/portal/internal/tenancy"
)

// UsageStore reads a tenant's live counters and usage ledger.
type UsageStore interface {
	// Usage returns the tenant's counters and every ledger period.
	Usage(ctx context.Context, scope tenancy.Scope, customerID string) ([]Counter, []UsagePeriod, error)
}

// UsageService reports usage against licenses.
type UsageService struct {
	Store     UsageStore
	Customers CustomerStore
	Licenses  LicenseStore
	Grants    GrantStore
	Clock     Clock
}

// LicenseUsage is one license's usage: in its current period, and the
// ledger of its periods (newest first, the current one included).
type LicenseUsage struct {
	License  License
	Period   Period
	Used     int64
	Quantity int64 // 0 for unlimited
	// Percent is Used of Quantity in basis points; ok false for unlimited.
	Percent   BasisPoints
	HasLimit  bool
	Overage   int64
	Remaining int64 // units left before the quantity (0 when over or unlimited)
	Ledger    []UsagePeriod
}

// CustomerUsage is a customer's usage across its licenses.
type CustomerUsage struct {
	CustomerID  string
	AssetsInUse int64
	Licenses    []LicenseUsage
	At          time.Time
}

// Get returns a customer's usage per license: live counters for the
// current period, the ledger for the others. The asset-seconds of the
// current period include the time since the last change.
func (s *UsageService) Get(ctx context.Context, customerID string) (CustomerUsage, error) {
	id, err := assetReader(ctx, s.Grants, customerID)
	if err != nil {
		return CustomerUsage{}, err
	}
	c, err := s.Customers.GetCustomer(ctx, id.Scope(), customerID)
	if err != nil {
		return CustomerUsage{}, err
	}
	scope := c.scope()
	licenses, err := s.Licenses.ListLicenses(ctx, scope, customerID)
	if err != nil {
		return CustomerUsage{}, fmt.Errorf("list licenses: %w", err)
	}
	counters, ledger, err := s.Store.Usage(ctx, scope, customerID)
	if err != nil {
		return CustomerUsage{}, err
	}
	now := s.Clock()
	out := CustomerUsage{CustomerID: customerID, At: now, Licenses: []LicenseUsage{}}
	var assets *Counter
	for i := range counters {
		if counters[i].Kind == CounterAssets {
			assets = &counters[i]
			out.AssetsInUse = assets.Used
		}
	}
	for _, l := range licenses {
		u := LicenseUsage{License: l, Period: PeriodAt(l.StartsAt, l.BillingPeriod, now), Quantity: l.Quantity, HasLimit: l.Model.Metered()}
		for _, p := range ledger {
			if p.LicenseID == l.ID {
				u.Ledger = append(u.Ledger, p)
			}
		}
		slices.SortFunc(u.Ledger, func(a, b UsagePeriod) int { return b.Period.Start.Compare(a.Period.Start) })
		switch l.Model {
		case ModelPerScan:
			for _, c := range counters {
				if c.Kind == CounterScans && c.LicenseID == l.ID && c.PeriodStart.Equal(u.Period.Start) {
					u.Used = c.Used
				}
			}
		case ModelPerAsset:
			// The counter follows this license, or will on the next asset
			// write (a renewal that started after the last one ended).
			if assets != nil && (assets.LicenseID == l.ID || !assets.Licensed(now) && l.activeAt(now)) {
				u.Used = assets.Used
				u.addOpenInterval(*assets, now)
			}
		case ModelUnlimited:
			u.Used = out.AssetsInUse // shown, never limited
		}
		if u.HasLimit {
			u.Percent = BasisPoints(u.Used * 10000 / max(u.Quantity, 1))
			u.Overage = max(0, u.Used-u.Quantity)
			u.Remaining = max(0, u.Quantity-u.Used)
		}
		out.Licenses = append(out.Licenses, u)
	}
	return out, nil
}

// addOpenInterval credits the current ledger period with the asset-time
// since the counter's last change (applied changes cover the rest).
func (u *LicenseUsage) addOpenInterval(c Counter, now time.Time) {
	from := maxTime(c.ChangedAt, u.Period.Start)
	if !now.After(from) || c.Used == 0 {
		return
	}
	if len(u.Ledger) == 0 || !u.Ledger[0].Period.Start.Equal(u.Period.Start) {
		u.Ledger = append([]UsagePeriod{{PartnerID: c.PartnerID, TenantID: c.TenantID, LicenseID: u.License.ID, Model: u.License.Model, Period: u.Period, Quantity: u.Quantity}}, u.Ledger...)
	}
	u.Ledger[0].AssetSeconds += c.Used * int64(now.Sub(from)/time.Second)
}

package portal

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/partnerportal/portal/internal/tenancy"
)

// MarginStore reads what the margin report needs with Queries, never item by item.
type MarginStore interface {
	// ListPartnerLicenses returns every license of the partner's customers
	// that starts before until, revoked ones included.
	ListPartnerLicenses(ctx context.Context, partnerID string, until time.Time) ([]License, error)
	// CustomerNames returns the names of the partner's customers ids, by ID
	// (archived ones included; IDs of other partners are left out).
	CustomerNames(ctx context.Context, partnerID string, ids []string) (map[string]string, error)
}

// Amounts are revenue, cost and margin in one currency.
type Amounts struct {
	Currency string
	Revenue  int64
	Cost     int64
	Margin   int64
}

// MarginBps is the margin as a share of revenue; false without revenue.
func (a Amounts) MarginBps() (BasisPoints, bool) { return MarginBasisPoints(a.Margin, a.Revenue) }

// CustomerMargin is one customer's line of the report, one Amounts per currency.
type CustomerMargin struct {
	CustomerID   string
	CustomerName string
	Licenses     int
	Amounts      []Amounts
}

// MarginReport is a partner's revenue, cost and margin for one month.
type MarginReport struct {
	Period    string // YYYY-MM
	Customers []CustomerMargin
	Totals    []Amounts
}

// MarginService computes margin reports (partner admins).
type MarginService struct {
	Store MarginStore
}

// Report returns the margins of the caller's customers for period
// ("YYYY-MM", UTC). A license counts in a month when one of its license
// months begins in it while it is in force (licenseMonthIn): a monthly
// license with its full price and cost, an annual one with the month's
// twelfth (MonthShare). Currencies are never mixed. EINVALID for a bad period.
func (s *MarginService) Report(ctx context.Context, period string) (MarginReport, error) {
	id, err := requireRole(ctx, "reading margins", tenancy.RolePartnerAdmin)
	if err != nil {
		return MarginReport{}, err
	}
	from, err := time.Parse("2006-01", period)
	if err != nil {
		var p Problems
		p.Add("period", "must be a month as YYYY-MM, such as 2026-11")
		return MarginReport{}, p.Err()
	}
	to := from.AddDate(0, 1, 0)
	licenses, err := s.Store.ListPartnerLicenses(ctx, id.PartnerID, to)
	if err != nil {
		return MarginReport{}, fmt.Errorf("list licenses: %w", err)
	}
	byCustomer := map[string]*CustomerMargin{}
	totals := map[string]*Amounts{}
	for _, l := range licenses {
		k, ok := l.licenseMonthIn(from)
		if !ok {
			continue
		}
		revenue, cost := l.EndUserPrice.Amount, l.Cost().Amount
		if l.BillingPeriod == PeriodAnnual {
			revenue, cost = MonthShare(revenue, k), MonthShare(cost, k)
		}
		cm := byCustomer[l.TenantID]
		if cm == nil {
			cm = &CustomerMargin{CustomerID: l.TenantID}
			byCustomer[l.TenantID] = cm
		}
		cm.Licenses++
		cm.Amounts = addAmounts(cm.Amounts, l.EndUserPrice.Currency, revenue, cost)
		if totals[l.EndUserPrice.Currency] == nil {
			totals[l.EndUserPrice.Currency] = &Amounts{Currency: l.EndUserPrice.Currency}
		}
		t := totals[l.EndUserPrice.Currency]
		t.Revenue, t.Cost, t.Margin = t.Revenue+revenue, t.Cost+cost, t.Margin+revenue-cost
	}
	names, err := s.Store.CustomerNames(ctx, id.PartnerID, slices.Collect(maps.Keys(byCustomer)))
	if err != nil {
		return MarginReport{}, fmt.Errorf("customer names: %w", err)
	}
	r := MarginReport{Period: period, Customers: []CustomerMargin{}, Totals: []Amounts{}}
	for _, cm := range byCustomer {
		cm.CustomerName = names[cm.CustomerID]
		r.Customers = append(r.Customers, *cm)
	}
	slices.SortFunc(r.Customers, func(a, b CustomerMargin) int {
		if a.CustomerName != b.CustomerName {
			return strings.Compare(a.CustomerName, b.CustomerName)
		}
		return strings.Compare(a.CustomerID, b.CustomerID)
	})
	for _, t := range totals {
		r.Totals = append(r.Totals, *t)
	}
	slices.SortFunc(r.Totals, func(a, b Amounts) int { return strings.Compare(a.Currency, b.Currency) })
	return r, nil
}

func addAmounts(list []Amounts, currency string, revenue, cost int64) []Amounts {
	for i := range list {
		if list[i].Currency == currency {
			list[i].Revenue += revenue
			list[i].Cost += cost
			list[i].Margin += revenue - cost
			return list
		}
	}
	return append(list, Amounts{Currency: currency, Revenue: revenue, Cost: cost, Margin: revenue - cost})
}

// licenseMonthIn finds the license month (a month of the license's term,
// counted from StartsAt) that begins in the calendar month starting at
// month, and reports whether the license is active when it begins; k is its
// place (1–12) in the license year. A license started on the 31st begins
// its months on the last day of shorter months.
func (l License) licenseMonthIn(month time.Time) (k int, ok bool) {
	s := l.StartsAt
	months := (month.Year()-s.Year())*12 + int(month.Month()) - int(s.Month())
	if months < 0 {
		return 0, false
	}
	lastDay := time.Date(month.Year(), month.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
	begins := time.Date(month.Year(), month.Month(), min(s.Day(), lastDay), s.Hour(), s.Minute(), s.Second(), s.Nanosecond(), time.UTC)
	if !l.activeAt(begins) {
		return 0, false
	}
	return months%12 + 1, true
}

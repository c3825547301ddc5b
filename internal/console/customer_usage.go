package console

import (
	"fmt"
	"strings"

	"github.com/partnerportal/portal/internal/portal"
)

// The customer page's usage bars and licenses table.

// custUsage is one license's usage: a bar with the alert marks, or, for an
// unlimited license, the count alone.
type custUsage struct {
	Model   string
	License string
	Text    string // "45 of 50 assets used (90%)"
	Bar     bool
	Fill    int    // the bar's width in SVG units (usageUnit per percent)
	State   string // "", "warn" (alert threshold reached), "over" (100% or more)
	Marks   []custMark
	Legend  string // the marks in words
	Overage string
	Period  string
}

type custMark struct {
	X     int    // SVG x (usageUnit per percent)
	Label string // "90%"
}

// The usage bar is an inline SVG (the CSP forbids style attributes, so
// widths are SVG attributes): usageScale percent of the quantity long, so
// that overage shows past the 100% mark, usageUnit SVG units per percent.
const (
	custUsageScale = 120
	custUsageUnit  = 4
)

// usageMarks are the percentages every usage bar marks: the per-scan
// alert (80), the per-asset alert (90) and the limit (100).
var usageMarks = []int{80, 90, 100}

func custUsageBars(u portal.CustomerUsage) []custUsage {
	var out []custUsage
	for _, l := range u.Licenses {
		if l.License.Status(u.At) != portal.LicenseActive {
			continue
		}
		b := custUsage{Model: modelLabel(l.License.Model), License: l.License.ID,
			Period: "Period " + l.Period.Start.UTC().Format("2006-01-02") + " to " + l.Period.End.UTC().Format("2006-01-02")}
		unit := "assets"
		if l.License.Model == portal.ModelPerScan {
			unit = "scans"
		}
		if !l.HasLimit {
			b.Text = fmt.Sprintf("%d assets monitored (unlimited license: no limit, no usage alerts)", l.Used)
			out = append(out, b)
			continue
		}
		pct := l.Percent / 100 // whole percent, rounded down
		b.Bar = true
		b.Text = fmt.Sprintf("%d of %d %s used (%d%%)", l.Used, l.Quantity, unit, pct)
		b.Fill = int(min(pct, custUsageScale)) * custUsageUnit
		threshold := l.License.Model.AlertThresholdPercent()
		switch {
		case pct >= 100:
			b.State = "over"
		case pct >= int64(threshold):
			b.State = "warn"
		}
		// Every bar is marked at 80, 90 and 100 %; the legend says which
		// of them this license's model alerts at.
		for _, t := range usageMarks {
			b.Marks = append(b.Marks, custMark{X: t * custUsageUnit, Label: fmt.Sprintf("%d%%", t)})
		}
		var words []string
		for _, t := range portal.Thresholds(l.License.Model) {
			at := (l.Quantity*int64(t) + 99) / 100
			if t == 100 {
				words = append(words, fmt.Sprintf("limit at 100%% (%d %s)", l.Quantity, unit))
			} else {
				words = append(words, fmt.Sprintf("alert at %d%% (%d %s)", t, at, unit))
			}
		}
		b.Legend = "Marks at 80%, 90% and 100%; this license: " + strings.Join(words, ", ") + "."
		switch {
		case l.Overage > 0 && l.License.OveragePolicy == portal.OverageHard:
			b.Overage = fmt.Sprintf("Overage: %d %s beyond the quantity (hard limit: no more are accepted).", l.Overage, unit)
		case l.Overage > 0:
			b.Overage = fmt.Sprintf("Overage: %d %s beyond the quantity (soft limit: allowed and counted as overage).", l.Overage, unit)
		case pct >= 100 && l.License.OveragePolicy == portal.OverageHard:
			b.Overage = fmt.Sprintf("Limit reached: further %s are refused (hard limit).", unit)
		}
		out = append(out, b)
	}
	return out
}

// custLicense is one license in the licenses table.
type custLicense struct {
	ID, Model, Quantity, Period, Price, UnitCost, Margin, Overage, Status, StatusClass string
	Prepaid                                                                            bool
}

func custLicenses(u portal.CustomerUsage) []custLicense {
	out := make([]custLicense, len(u.Licenses))
	for i, lu := range u.Licenses {
		l := lu.License
		r := custLicense{ID: l.ID, Model: modelLabel(l.Model), Quantity: "Unlimited", Prepaid: l.Prepaid,
			Price: formatMoney(l.EndUserPrice) + " per " + custPeriodUnit(l.BillingPeriod)}
		if l.Model.Metered() {
			r.Quantity = fmt.Sprint(l.Quantity)
		}
		r.Period = label(string(l.BillingPeriod)) + ", from " + l.StartsAt.UTC().Format("2006-01-02")
		if l.EndsAt != nil {
			r.Period += " to " + l.EndsAt.UTC().Format("2006-01-02")
		}
		unit := "per license"
		if l.Model.Metered() {
			unit = "per unit"
		}
		r.UnitCost = formatMoney(l.UnitCost) + " " + unit
		if l.Prepaid {
			r.UnitCost += " (pre-paid)"
		}
		r.Margin = formatMoney(l.Margin())
		if bps, ok := portal.MarginBasisPoints(l.Margin().Amount, l.EndUserPrice.Amount); ok {
			r.Margin += " (" + portal.FormatBasisPoints(bps) + "%)"
		}
		r.Overage = "Soft (overage counted)"
		if l.OveragePolicy == portal.OverageHard {
			r.Overage = "Hard (refused beyond the quantity)"
		}
		if !l.Model.Metered() {
			r.Overage = "Not applicable"
		}
		st := l.Status(u.At)
		r.Status, r.StatusClass = label(string(st)), "archived"
		if st == portal.LicenseActive {
			r.StatusClass = "active"
		}
		out[i] = r
	}
	return out
}

func custPeriodUnit(b portal.BillingPeriod) string {
	if b == portal.PeriodAnnual {
		return "year"
	}
	return "month"
}

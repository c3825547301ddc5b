package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/partnerportal/portal/internal/portal"
)

// UsageJSON is a customer's usage per license.
type UsageJSON struct {
	CustomerID  string             `json:"customerId"`
	AssetsInUse int64              `json:"assetsInUse"`
	At          time.Time          `json:"at"`
	Licenses    []LicenseUsageJSON `json:"licenses"`
}

// LicenseUsageJSON is one license's usage in its current period.
type LicenseUsageJSON struct {
	LicenseID     string       `json:"licenseId"`
	Model         string       `json:"model"`
	Status        string       `json:"status"`
	OveragePolicy string       `json:"overagePolicy"`
	Used          int64        `json:"used"`
	Quantity      *int64       `json:"quantity"`
	Percent       *string      `json:"percent"`
	Remaining     *int64       `json:"remaining"`
	Overage       int64        `json:"overage"`
	Period        PeriodJSON   `json:"period"`
	Ledger        []LedgerJSON `json:"ledger"`
}

// PeriodJSON is a license period [start, end).
type PeriodJSON struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// LedgerJSON is one period of the usage ledger.
type LedgerJSON struct {
	Period        PeriodJSON `json:"period"`
	Quantity      int64      `json:"quantity"`
	ScansExecuted *int64     `json:"scansExecuted,omitempty"`
	PeakAssets    *int64     `json:"peakAssets,omitempty"`
	CurrentAssets *int64     `json:"currentAssets,omitempty"`
	AssetDays     *string    `json:"assetDays,omitempty"`
	Overage       int64      `json:"overage"`
	Alerted       []int      `json:"alertedThresholds"`
}

func usageJSON(u portal.CustomerUsage) UsageJSON {
	out := UsageJSON{CustomerID: u.CustomerID, AssetsInUse: u.AssetsInUse, At: u.At, Licenses: make([]LicenseUsageJSON, len(u.Licenses))}
	for i, l := range u.Licenses {
		j := LicenseUsageJSON{
			LicenseID: l.License.ID, Model: string(l.License.Model), Status: string(l.License.Status(u.At)),
			OveragePolicy: string(l.License.OveragePolicy), Used: l.Used, Overage: l.Overage,
			Period: PeriodJSON{l.Period.Start, l.Period.End}, Ledger: []LedgerJSON{},
		}
		if l.HasLimit {
			q, rem, pct := l.Quantity, l.Remaining, portal.FormatBasisPoints(l.Percent)
			j.Quantity, j.Remaining, j.Percent = &q, &rem, &pct
		}
		for _, p := range l.Ledger {
			e := LedgerJSON{Period: PeriodJSON{p.Period.Start, p.Period.End}, Quantity: p.Quantity, Overage: p.Overage, Alerted: []int{}}
			switch p.Model {
			case portal.ModelPerScan:
				scans := p.Scans
				e.ScansExecuted = &scans
			default:
				peak, cur, days := p.PeakAssets, p.CurrentAssets, assetDays(p.AssetSeconds)
				e.PeakAssets, e.CurrentAssets, e.AssetDays = &peak, &cur, &days
			}
			for _, pct := range portal.Thresholds(p.Model) {
				if p.Raised[pct] {
					e.Alerted = append(e.Alerted, pct)
				}
			}
			j.Ledger = append(j.Ledger, e)
		}
		out.Licenses[i] = j
	}
	return out
}

// assetDays renders asset-seconds as asset-days with two decimals, rounded down.
func assetDays(seconds int64) string {
	return portal.FormatBasisPoints(portal.BasisPoints(seconds * 100 / 86400))
}

// AlertJSON is a usage alert as the API shows it.
type AlertJSON struct {
	ID             string     `json:"id"`
	CustomerID     string     `json:"customerId"`
	LicenseID      string     `json:"licenseId"`
	Model          string     `json:"model"`
	Threshold      int        `json:"threshold"`
	Used           int64      `json:"used"`
	Quantity       int64      `json:"quantity"`
	Period         PeriodJSON `json:"period"`
	CreatedAt      time.Time  `json:"createdAt"`
	Acknowledged   bool       `json:"acknowledged"`
	AcknowledgedAt *time.Time `json:"acknowledgedAt,omitempty"`
	AcknowledgedBy string     `json:"acknowledgedBy,omitempty"`
}

func alertJSON(a portal.Alert) AlertJSON {
	return AlertJSON{
		ID: a.ID, CustomerID: a.TenantID, LicenseID: a.LicenseID, Model: string(a.Model), Threshold: a.Threshold,
		Used: a.Used, Quantity: a.Quantity, Period: PeriodJSON{a.Period.Start, a.Period.End}, CreatedAt: a.CreatedAt,
		Acknowledged: a.Acknowledged, AcknowledgedAt: a.AcknowledgedAt, AcknowledgedBy: a.AcknowledgedBy,
	}
}

// NewUsage returns the handler of the usage function.
func NewUsage(usage *portal.UsageService, alerts *portal.AlertService, idem portal.IdempotencyStore, clock portal.Clock) *Handler {
	return NewHandler(map[string]Route{
		"GET /v1/customers/{customerId}/usage": func(ctx context.Context, r *Request) (Response, error) {
			if err := knownParams(r, nil); err != nil {
				return Response{}, err
			}
			u, err := usage.Get(ctx, r.PathParams["customerId"])
			if err != nil {
				return Response{}, err
			}
			return JSON(http.StatusOK, usageJSON(u)), nil
		},
		"GET /v1/alerts": func(ctx context.Context, r *Request) (Response, error) {
			if err := knownParams(r, []string{"customerId", "acknowledged", "limit", "cursor"}); err != nil {
				return Response{}, err
			}
			q := r.Query
			page, err := alerts.List(ctx, portal.AlertParams{CustomerID: q["customerId"], Acknowledged: q["acknowledged"], Limit: q["limit"], Cursor: q["cursor"]})
			if err != nil {
				return Response{}, err
			}
			items := make([]AlertJSON, len(page.Items))
			for i, a := range page.Items {
				items[i] = alertJSON(a)
			}
			return JSON(http.StatusOK, listJSON[AlertJSON]{Items: items, NextCursor: page.NextCursor}), nil
		},
		"POST /v1/alerts/{alertId}/ack": func(ctx context.Context, r *Request) (Response, error) {
			a, err := alerts.Ack(ctx, r.PathParams["alertId"])
			if err != nil {
				return Response{}, err
			}
			return JSON(http.StatusOK, alertJSON(a)), nil
		},
	}, idem, clock)
}

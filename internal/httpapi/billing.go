package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/partnerportal/portal/internal/portal"
)

// PricingJSON is the pricing as the API shows it.
type PricingJSON struct {
	Version      int64                       `json:"version"`
	Currency     string                      `json:"currency"`
	UnitCosts    map[string]map[string]int64 `json:"unitCosts"`
	PrepaidTiers []portal.PrepaidTier        `json:"prepaidTiers"`
	UpdatedAt    time.Time                   `json:"updatedAt"`
}

func pricingResponse(p portal.Pricing) Response {
	j := PricingJSON{Version: p.Version, Currency: p.Currency, UnitCosts: map[string]map[string]int64{}, PrepaidTiers: p.PrepaidTiers, UpdatedAt: p.UpdatedAt}
	for m, periods := range p.UnitCosts {
		j.UnitCosts[string(m)] = map[string]int64{}
		for bp, cost := range periods {
			j.UnitCosts[string(m)][string(bp)] = cost
		}
	}
	return Response{Status: http.StatusOK, Body: j, Headers: map[string]string{"ETag": etag(p.Version)}}
}

// PoolJSON is a pre-paid pool as the API shows it.
type PoolJSON struct {
	ID             string       `json:"id"`
	Model          string       `json:"model"`
	BillingPeriod  string       `json:"billingPeriod"`
	Units          int64        `json:"units"`
	Balance        int64        `json:"balance"`
	ListUnitCost   portal.Money `json:"listUnitCost"`
	DiscountBps    int64        `json:"discountBps"`
	UnitCost       portal.Money `json:"unitCost"`
	Total          portal.Money `json:"total"`
	PricingVersion int64        `json:"pricingVersion"`
	PurchasedAt    time.Time    `json:"purchasedAt"`
}

func poolJSON(p portal.PrepaidPool) PoolJSON {
	return PoolJSON{
		ID: p.ID, Model: string(p.Model), BillingPeriod: string(p.BillingPeriod), Units: p.Units, Balance: p.Balance,
		ListUnitCost: p.ListUnitCost, DiscountBps: p.DiscountBps, UnitCost: p.UnitCost, Total: p.Total(),
		PricingVersion: p.PricingVersion, PurchasedAt: p.PurchasedAt,
	}
}

// AmountsJSON is revenue, cost and margin in one currency.
type AmountsJSON struct {
	Currency      string  `json:"currency"`
	Revenue       int64   `json:"revenue"`
	Cost          int64   `json:"cost"`
	Margin        int64   `json:"margin"`
	MarginPercent *string `json:"marginPercent"`
}

func amountsJSON(list []portal.Amounts) []AmountsJSON {
	out := make([]AmountsJSON, len(list))
	for i, a := range list {
		out[i] = AmountsJSON{Currency: a.Currency, Revenue: a.Revenue, Cost: a.Cost, Margin: a.Margin}
		if bps, ok := a.MarginBps(); ok {
			s := portal.FormatBasisPoints(bps)
			out[i].MarginPercent = &s
		}
	}
	return out
}

// MarginReportJSON is the margin report as the API shows it.
type MarginReportJSON struct {
	Period    string               `json:"period"`
	Customers []CustomerMarginJSON `json:"customers"`
	Totals    []AmountsJSON        `json:"totals"`
}

// CustomerMarginJSON is one customer's line of the margin report.
type CustomerMarginJSON struct {
	CustomerID   string        `json:"customerId"`
	CustomerName string        `json:"customerName"`
	Licenses     int           `json:"licenses"`
	Amounts      []AmountsJSON `json:"amounts"`
}

// NewBilling returns the handler of the billing function: pricing settings,
// pre-paid pools and margins.
func NewBilling(pricing *portal.PricingService, prepaid *portal.PrepaidService, margins *portal.MarginService, idem portal.IdempotencyStore, clock portal.Clock) *Handler {
	return NewHandler(map[string]Route{
		"GET /v1/settings/pricing": func(ctx context.Context, r *Request) (Response, error) {
			if err := knownParams(r, nil); err != nil {
				return Response{}, err
			}
			p, err := pricing.Get(ctx)
			if err != nil {
				return Response{}, err
			}
			return pricingResponse(p), nil
		},
		"PUT /v1/settings/pricing": func(ctx context.Context, r *Request) (Response, error) {
			version, err := ifMatch(r)
			if err != nil {
				return Response{}, err
			}
			var in portal.PricingInput
			if err := decodeJSON(r.Body, &in); err != nil {
				return Response{}, err
			}
			p, err := pricing.Put(ctx, in, version)
			if err != nil {
				return Response{}, err
			}
			return pricingResponse(p), nil
		},
		"GET /v1/prepaid": func(ctx context.Context, r *Request) (Response, error) {
			if err := knownParams(r, nil); err != nil {
				return Response{}, err
			}
			pools, err := prepaid.List(ctx)
			if err != nil {
				return Response{}, err
			}
			items := make([]PoolJSON, len(pools))
			for i, p := range pools {
				items[i] = poolJSON(p)
			}
			return JSON(http.StatusOK, listJSON[PoolJSON]{Items: items}), nil
		},
		"POST /v1/prepaid": func(ctx context.Context, r *Request) (Response, error) {
			var in portal.PrepaidInput
			if err := decodeJSON(r.Body, &in); err != nil {
				return Response{}, err
			}
			p, err := prepaid.Buy(ctx, in)
			if err != nil {
				return Response{}, err
			}
			return JSON(http.StatusCreated, poolJSON(p)), nil
		},
		"GET /v1/margins": func(ctx context.Context, r *Request) (Response, error) {
			if err := knownParams(r, []string{"period"}); err != nil {
				return Response{}, err
			}
			period := r.Query["period"]
			if period == "" {
				period = clock().Format("2006-01")
			}
			rep, err := margins.Report(ctx, period)
			if err != nil {
				return Response{}, err
			}
			j := MarginReportJSON{Period: rep.Period, Customers: make([]CustomerMarginJSON, len(rep.Customers)), Totals: amountsJSON(rep.Totals)}
			for i, c := range rep.Customers {
				j.Customers[i] = CustomerMarginJSON{CustomerID: c.CustomerID, CustomerName: c.CustomerName, Licenses: c.Licenses, Amounts: amountsJSON(c.Amounts)}
			}
			return JSON(http.StatusOK, j), nil
		},
	}, idem, clock)
}

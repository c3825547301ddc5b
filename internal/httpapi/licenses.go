package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/partnerportal/portal/internal/portal"
)

// LicenseJSON is a license as the API shows it, with what it costs and earns
// per billing period.
type LicenseJSON struct {
	ID                    string       `json:"id"`
	CustomerID            string       `json:"customerId"`
	Model                 string       `json:"model"`
	Quantity              *int64       `json:"quantity"`
	BillingPeriod         string       `json:"billingPeriod"`
	StartsAt              time.Time    `json:"startsAt"`
	EndsAt                *time.Time   `json:"endsAt"`
	EndUserPrice          portal.Money `json:"endUserPrice"`
	UnitCost              portal.Money `json:"unitCost"`
	Cost                  portal.Money `json:"cost"`
	Margin                portal.Money `json:"margin"`
	MarginPercent         *string      `json:"marginPercent"`
	PricingVersion        int64        `json:"pricingVersion"`
	Prepaid               bool         `json:"prepaid"`
	PrepaidPoolID         string       `json:"prepaidPoolId,omitempty"`
	OveragePolicy         string       `json:"overagePolicy"`
	AlertThresholdPercent *int         `json:"alertThresholdPercent"`
	Status                string       `json:"status"`
	RevokedAt             *time.Time   `json:"revokedAt,omitempty"`
	CreatedAt             time.Time    `json:"createdAt"`
	UpdatedAt             time.Time    `json:"updatedAt"`
	Version               int64        `json:"version"`
}

func licenseJSON(l portal.License, now time.Time) LicenseJSON {
	j := LicenseJSON{
		ID: l.ID, CustomerID: l.TenantID, Model: string(l.Model), BillingPeriod: string(l.BillingPeriod),
		StartsAt: l.StartsAt, EndsAt: l.EndsAt, EndUserPrice: l.EndUserPrice, UnitCost: l.UnitCost, Cost: l.Cost(),
		Margin: l.Margin(), PricingVersion: l.PricingVersion, Prepaid: l.Prepaid, PrepaidPoolID: l.PrepaidPoolID,
		OveragePolicy: string(l.OveragePolicy), Status: string(l.Status(now)), RevokedAt: l.RevokedAt,
		CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt, Version: l.Version,
	}
	if l.Model.Metered() {
		q, t := l.Quantity, l.Model.AlertThresholdPercent()
		j.Quantity, j.AlertThresholdPercent = &q, &t
	}
	if bps, ok := portal.MarginBasisPoints(l.Margin().Amount, l.EndUserPrice.Amount); ok {
		s := portal.FormatBasisPoints(bps)
		j.MarginPercent = &s
	}
	return j
}

func licensesJSON(ls []portal.License, now time.Time) []LicenseJSON {
	out := make([]LicenseJSON, len(ls))
	for i, l := range ls {
		out[i] = licenseJSON(l, now)
	}
	return out
}

// NewLicenses returns the handler of the licenses function.
func NewLicenses(svc *portal.LicenseService, idem portal.IdempotencyStore, clock portal.Clock) *Handler {
	l := licenses{svc: svc, clock: clock}
	return NewHandler(map[string]Route{
		"GET /v1/customers/{customerId}/licenses":                l.list,
		"POST /v1/customers/{customerId}/licenses":               l.create,
		"PATCH /v1/customers/{customerId}/licenses/{licenseId}":  l.update,
		"DELETE /v1/customers/{customerId}/licenses/{licenseId}": l.revoke,
	}, idem, clock)
}

type licenses struct {
	svc   *portal.LicenseService
	clock portal.Clock
}

func (h licenses) list(ctx context.Context, r *Request) (Response, error) {
	if err := knownParams(r, nil); err != nil {
		return Response{}, err
	}
	ls, err := h.svc.List(ctx, r.PathParams["customerId"])
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, listJSON[LicenseJSON]{Items: licensesJSON(ls, h.clock())}), nil
}

func (h licenses) create(ctx context.Context, r *Request) (Response, error) {
	var in portal.LicenseInput
	if err := decodeJSON(r.Body, &in); err != nil {
		return Response{}, err
	}
	l, err := h.svc.Create(ctx, r.PathParams["customerId"], in)
	if err != nil {
		return Response{}, err
	}
	res := licenseResponse(http.StatusCreated, l, h.clock())
	res.Headers["Location"] = "/v1/customers/" + l.TenantID + "/licenses/" + l.ID
	return res, nil
}

func (h licenses) update(ctx context.Context, r *Request) (Response, error) {
	version, err := ifMatch(r)
	if err != nil {
		return Response{}, err
	}
	var in portal.LicensePatch
	if err := decodeJSON(r.Body, &in); err != nil {
		return Response{}, err
	}
	l, err := h.svc.Update(ctx, r.PathParams["customerId"], r.PathParams["licenseId"], in, version)
	if err != nil {
		return Response{}, err
	}
	return licenseResponse(http.StatusOK, l, h.clock()), nil
}

func (h licenses) revoke(ctx context.Context, r *Request) (Response, error) {
	l, err := h.svc.Revoke(ctx, r.PathParams["customerId"], r.PathParams["licenseId"])
	if err != nil {
		return Response{}, err
	}
	return licenseResponse(http.StatusOK, l, h.clock()), nil
}

func licenseResponse(status int, l portal.License, now time.Time) Response {
	return Response{Status: status, Body: licenseJSON(l, now), Headers: map[string]string{"ETag": etag(l.Version)}}
}

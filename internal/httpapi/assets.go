package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"time"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/verify"
)

// AssetJSON is an asset as the API shows it.
type AssetJSON struct {
	ID                 string             `json:"id"`
	CustomerID         string             `json:"customerId"`
	Value              string             `json:"value"`
	Type               string             `json:"type"`
	Host               string             `json:"host"`
	Tags               []string           `json:"tags"`
	Criticality        string             `json:"criticality"`
	Verified           bool               `json:"verified"`
	VerificationMethod string             `json:"verificationMethod,omitempty"`
	VerifiedAt         *time.Time         `json:"verifiedAt,omitempty"`
	VerifiedVia        string             `json:"verifiedVia,omitempty"`
	VerificationToken  string             `json:"verificationToken"`
	Verification       []VerificationStep `json:"verification,omitempty"`
	LastCheck          *LastCheckJSON     `json:"lastCheck,omitempty"`
	CreatedAt          time.Time          `json:"createdAt"`
	UpdatedAt          time.Time          `json:"updatedAt"`
	Version            int64              `json:"version"`
}

// VerificationStep says where to publish an unverified asset's token.
type VerificationStep struct {
	Method string `json:"method"`
	Target string `json:"target"`
	Value  string `json:"value"`
	Text   string `json:"text"`
}

// LastCheckJSON is the outcome of the latest ownership check.
type LastCheckJSON struct {
	At     time.Time `json:"at"`
	Detail string    `json:"detail"`
}

func assetJSON(a portal.Asset) AssetJSON {
	j := AssetJSON{
		ID: a.ID, CustomerID: a.TenantID, Value: a.Value, Type: string(a.Type), Host: a.Host, Tags: a.Tags,
		Criticality: string(a.Criticality), Verified: a.Verified, VerificationMethod: string(a.VerificationMethod),
		VerifiedAt: a.VerifiedAt, VerifiedVia: a.VerifiedVia, VerificationToken: a.VerificationToken,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, Version: a.Version,
	}
	if !a.Verified {
		for _, in := range verify.Instructions(a.Normalized(), a.VerificationToken) {
			j.Verification = append(j.Verification, VerificationStep{Method: string(in.Method), Target: in.Target, Value: in.Value, Text: in.Text})
		}
	}
	if a.LastCheckAt != nil {
		j.LastCheck = &LastCheckJSON{At: *a.LastCheckAt, Detail: a.LastCheckDetail}
	}
	return j
}

// AssetResultJSON is the outcome for one submitted value.
type AssetResultJSON struct {
	Index       int        `json:"index"`
	Input       string     `json:"input"`
	Status      string     `json:"status"`
	Asset       *AssetJSON `json:"asset,omitempty"`
	DuplicateOf string     `json:"duplicateOf,omitempty"`
	Code        string     `json:"code,omitempty"`
	Reason      string     `json:"reason,omitempty"`
}

// AssetAddJSON is the answer to POST …/assets.
type AssetAddJSON struct {
	Created   int               `json:"created"`
	Duplicate int               `json:"duplicate"`
	Rejected  int               `json:"rejected"`
	Results   []AssetResultJSON `json:"results"`
}

// assetFullProblem is the 409 answer when a hard per-asset license
// refused every new value: a problem document with the per-value results.
type assetFullProblem struct {
	Problem
	LicenseID string            `json:"licenseId"`
	Quantity  int64             `json:"quantity"`
	Free      int64             `json:"free"`
	Results   []AssetResultJSON `json:"results"`
}

// NewAssets returns the handler of the assets function.
func NewAssets(svc *portal.AssetService, idem portal.IdempotencyStore, clock portal.Clock) *Handler {
	a := assets{svc: svc}
	return NewHandler(map[string]Route{
		"GET /v1/customers/{customerId}/assets":                   a.list,
		"POST /v1/customers/{customerId}/assets":                  a.add,
		"GET /v1/customers/{customerId}/assets/{assetId}":         a.get,
		"DELETE /v1/customers/{customerId}/assets/{assetId}":      a.delete,
		"POST /v1/customers/{customerId}/assets/{assetId}/verify": a.verify,
	}, idem, clock)
}

type assets struct{ svc *portal.AssetService }

func (h assets) list(ctx context.Context, r *Request) (Response, error) {
	if err := knownParams(r, []string{"limit", "cursor"}); err != nil {
		return Response{}, err
	}
	page, err := h.svc.List(ctx, r.PathParams["customerId"], r.Query["limit"], r.Query["cursor"])
	if err != nil {
		return Response{}, err
	}
	items := make([]AssetJSON, len(page.Items))
	for i, a := range page.Items {
		items[i] = assetJSON(a)
	}
	return JSON(http.StatusOK, listJSON[AssetJSON]{Items: items, NextCursor: page.NextCursor}), nil
}

func (h assets) get(ctx context.Context, r *Request) (Response, error) {
	if err := knownParams(r, nil); err != nil {
		return Response{}, err
	}
	a, err := h.svc.Get(ctx, r.PathParams["customerId"], r.PathParams["assetId"])
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, assetJSON(a)), nil
}

func (h assets) delete(ctx context.Context, r *Request) (Response, error) {
	if err := h.svc.Delete(ctx, r.PathParams["customerId"], r.PathParams["assetId"]); err != nil {
		return Response{}, err
	}
	return Response{Status: http.StatusNoContent}, nil
}

func (h assets) verify(ctx context.Context, r *Request) (Response, error) {
	a, err := h.svc.Verify(ctx, r.PathParams["customerId"], r.PathParams["assetId"])
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, assetJSON(a)), nil
}

// add takes {"assets": [...]}: each element a value string, or an object
// with value and optional type ("api" for URLs), tags and criticality.
func (h assets) add(ctx context.Context, r *Request) (Response, error) {
	var body struct {
		Assets *[]json.RawMessage `json:"assets"`
	}
	if err := decodeJSON(r.Body, &body); err != nil {
		return Response{}, err
	}
	if body.Assets == nil {
		var p portal.Problems
		p.Add("assets", "is required: a list of values such as [\"example.com\", {\"value\": \"https://api.example.com/v1\", \"type\": \"api\"}]")
		return Response{}, p.Err()
	}
	inputs, err := assetInputs(*body.Assets)
	if err != nil {
		return Response{}, err
	}
	res, err := h.svc.Add(ctx, r.PathParams["customerId"], inputs)
	if err != nil {
		return Response{}, err
	}
	out := AssetAddJSON{Created: res.Created, Duplicate: res.Duplicate, Rejected: res.Rejected, Results: make([]AssetResultJSON, len(res.Results))}
	for i, v := range res.Results {
		out.Results[i] = AssetResultJSON{Index: i, Input: v.Input, Status: string(v.Status), DuplicateOf: v.DuplicateOf, Code: v.Code, Reason: v.Reason}
		if v.Asset != nil {
			j := assetJSON(*v.Asset)
			out.Results[i].Asset = &j
		}
	}
	switch {
	case res.Created > 0:
		return JSON(http.StatusCreated, out), nil
	case res.Full != nil:
		detail := fmt.Sprintf("license %s allows %d assets (hard limit): %d more fit", res.Full.LicenseID, res.Full.Quantity, res.Full.Free)
		return Response{Status: http.StatusConflict, Headers: map[string]string{"Content-Type": "application/problem+json"}, Body: assetFullProblem{
			Problem: Problem{Type: "urn:partner-portal:problem:" + portal.ECONFLICT, Title: http.StatusText(http.StatusConflict),
				Status: http.StatusConflict, Detail: detail, Instance: r.Path, Code: portal.ECONFLICT, RequestID: r.RequestID},
			LicenseID: res.Full.LicenseID, Quantity: res.Full.Quantity, Free: res.Full.Free, Results: out.Results,
		}}, nil
	}
	return JSON(http.StatusOK, out), nil
}

// assetInputs decodes the elements of "assets": strings, or objects whose
// unknown or mistyped fields are reported by path ("assets[2].type").
func assetInputs(raw []json.RawMessage) ([]portal.AssetInput, error) {
	var p portal.Problems
	inputs := make([]portal.AssetInput, len(raw))
	for i, item := range raw {
		field := fmt.Sprintf("assets[%d]", i)
		var s string
		switch trimmed := bytes.TrimSpace(item); {
		case len(trimmed) > 0 && trimmed[0] == '"':
			if err := json.Unmarshal(trimmed, &s); err != nil {
				p.Add(field, "must be a string or an object")
				continue
			}
			inputs[i].Value = &s
		case len(trimmed) > 0 && trimmed[0] == '{':
			decodeValue(&p, field, item, reflect.ValueOf(&inputs[i]).Elem())
		default:
			p.Add(field, "must be a value such as \"example.com\", or an object {\"value\": …, \"type\": \"api\"}")
		}
	}
	return inputs, p.Err()
}

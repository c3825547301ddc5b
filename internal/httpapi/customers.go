package httpapi

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/partnerportal/portal/internal/portal"
)

// CustomerJSON is a customer as the API shows it.
type CustomerJSON struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	ContactEmail string     `json:"contactEmail"`
	Timezone     string     `json:"timezone"`
	Country      string     `json:"country,omitempty"`
	Tags         []string   `json:"tags"`
	Status       string     `json:"status"`
	Plan         string     `json:"plan"`
	AccessLevel  string     `json:"accessLevel"`
	LastScanAt   *time.Time `json:"lastScanAt"`
	CreatedAt    time.Time  `json:"createdAt"`
	UpdatedAt    time.Time  `json:"updatedAt"`
	Version      int64      `json:"version"`
	// Licenses are shown in the answer to a create that assigned some.
	Licenses []LicenseJSON `json:"licenses,omitempty"`
}

func customerJSON(c portal.Customer) CustomerJSON {
	return CustomerJSON{
		ID: c.ID, Name: c.Name, ContactEmail: c.ContactEmail, Timezone: c.Timezone, Country: c.Country,
		Tags: c.Tags, Status: string(c.Status), Plan: string(c.Plan), AccessLevel: string(c.AccessLevel),
		LastScanAt: c.LastScanAt, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Version: c.Version,
	}
}

// customerResponse answers a customer with its version as ETag.
func customerResponse(status int, c portal.Customer) Response {
	return Response{Status: status, Body: customerJSON(c), Headers: map[string]string{"ETag": etag(c.Version)}}
}

func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// ifMatch reads an If-Match header naming one version ("3", "\"3\"" or
// W/"3"); nil when absent or "*". EINVALID when it names no version.
func ifMatch(r *Request) (*int64, error) {
	v := strings.TrimSpace(r.Header("If-Match"))
	if v == "" || v == "*" {
		return nil, nil
	}
	n, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(v, "W/"), `"`), 10, 64)
	if err != nil || n < 1 {
		var p portal.Problems
		p.Add("If-Match", "must be the ETag of the customer, such as \"3\"")
		return nil, p.Err()
	}
	return &n, nil
}

// NewCustomers returns the handler of the customers function.
func NewCustomers(svc *portal.CustomerService, idem portal.IdempotencyStore, clock portal.Clock) *Handler {
	c := customers{svc: svc, clock: clock}
	return NewHandler(map[string]Route{
		"POST /v1/customers":                      c.create,
		"GET /v1/customers":                       c.list,
		"GET /v1/customers/{customerId}":          c.get,
		"PATCH /v1/customers/{customerId}":        c.update,
		"DELETE /v1/customers/{customerId}":       c.action((*portal.CustomerService).Archive),
		"POST /v1/customers/{customerId}/suspend": c.action((*portal.CustomerService).Suspend),
		"POST /v1/customers/{customerId}/resume":  c.action((*portal.CustomerService).Resume),
		"PUT /v1/customers/{customerId}/access":   c.setAccess,
	}, idem, clock)
}

type customers struct {
	svc   *portal.CustomerService
	clock portal.Clock
}

func (c customers) create(ctx context.Context, r *Request) (Response, error) {
	var in portal.CustomerInput
	if err := decodeJSON(r.Body, &in); err != nil {
		return Response{}, err
	}
	cu, licenses, err := c.svc.CreateWithLicenses(ctx, in)
	if err != nil {
		return Response{}, err
	}
	res := customerResponse(http.StatusCreated, cu)
	if len(licenses) > 0 {
		body := res.Body.(CustomerJSON)
		body.Licenses = licensesJSON(licenses, c.clock())
		res.Body = body
	}
	res.Headers["Location"] = "/v1/customers/" + cu.ID
	return res, nil
}

func (c customers) get(ctx context.Context, r *Request) (Response, error) {
	if err := knownParams(r, nil); err != nil {
		return Response{}, err
	}
	cu, err := c.svc.Get(ctx, r.PathParams["customerId"])
	if err != nil {
		return Response{}, err
	}
	return customerResponse(http.StatusOK, cu), nil
}

func (c customers) update(ctx context.Context, r *Request) (Response, error) {
	version, err := ifMatch(r)
	if err != nil {
		return Response{}, err
	}
	var in portal.CustomerInput
	if err := decodeJSON(r.Body, &in); err != nil {
		return Response{}, err
	}
	cu, err := c.svc.Update(ctx, r.PathParams["customerId"], in, version)
	if err != nil {
		return Response{}, err
	}
	return customerResponse(http.StatusOK, cu), nil
}

// action serves the quick actions that take no body and answer the customer.
func (c customers) action(do func(*portal.CustomerService, context.Context, string) (portal.Customer, error)) Route {
	return func(ctx context.Context, r *Request) (Response, error) {
		if len(strings.TrimSpace(string(r.Body))) > 0 && strings.TrimSpace(string(r.Body)) != "{}" {
			var p portal.Problems
			p.Add("body", "must be empty: this action takes no input")
			return Response{}, p.Err()
		}
		cu, err := do(c.svc, ctx, r.PathParams["customerId"])
		if err != nil {
			return Response{}, err
		}
		return customerResponse(http.StatusOK, cu), nil
	}
}

// accessInput is the body of PUT /v1/customers/{customerId}/access.
type accessInput struct {
	Level *portal.AccessLevel `json:"level"`
}

func (c customers) setAccess(ctx context.Context, r *Request) (Response, error) {
	var in accessInput
	if err := decodeJSON(r.Body, &in); err != nil {
		return Response{}, err
	}
	cu, err := c.svc.SetAccess(ctx, r.PathParams["customerId"], in.Level)
	if err != nil {
		return Response{}, err
	}
	return customerResponse(http.StatusOK, cu), nil
}

// listJSON is a page of a list.
type listJSON[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}

var customerListParams = []string{"sort", "status", "plan", "q", "lastScanBefore", "lastScanAfter", "limit", "cursor"}

func (c customers) list(ctx context.Context, r *Request) (Response, error) {
	if err := knownParams(r, customerListParams); err != nil {
		return Response{}, err
	}
	q := r.Query
	page, err := c.svc.List(ctx, portal.ListParams{
		Sort: q["sort"], Status: q["status"], Plan: q["plan"], Q: q["q"], LastScanBefore: q["lastScanBefore"],
		LastScanAfter: q["lastScanAfter"], Limit: q["limit"], Cursor: q["cursor"],
	})
	if err != nil {
		return Response{}, err
	}
	items := make([]CustomerJSON, len(page.Items))
	for i, cu := range page.Items {
		items[i] = customerJSON(cu)
	}
	return JSON(http.StatusOK, listJSON[CustomerJSON]{Items: items, NextCursor: page.NextCursor}), nil
}

// knownParams rejects query parameters the route does not take.
func knownParams(r *Request, known []string) error {
	var p portal.Problems
	for _, name := range slices.Sorted(maps.Keys(r.Query)) {
		switch {
		case slices.Contains(known, name):
		case len(known) == 0:
			p.Add(name, "is not a known query parameter (this route takes none)")
		default:
			p.Add(name, "is not a known query parameter (known: %s)", strings.Join(known, ", "))
		}
	}
	return p.Err()
}

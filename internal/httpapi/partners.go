package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/partnerportal/portal/internal/portal"
)

// PartnerJSON is a partner as the API shows it.
type PartnerJSON struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	ContactEmail string    `json:"contactEmail"`
	Country      string    `json:"country,omitempty"`
	Status       string    `json:"status"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
}

// NewPartners returns the handler of the partners function.
func NewPartners(svc *portal.PartnerService, idem portal.IdempotencyStore, clock portal.Clock) *Handler {
	return NewHandler(map[string]Route{
		"POST /v1/partners": func(ctx context.Context, r *Request) (Response, error) {
			var in portal.PartnerInput
			if err := decodeJSON(r.Body, &in); err != nil {
				return Response{}, err
			}
			p, err := svc.Create(ctx, in)
			if err != nil {
				return Response{}, err
			}
			return JSON(http.StatusCreated, PartnerJSON{
				ID: p.ID, Name: p.Name, ContactEmail: p.ContactEmail, Country: p.Country, Status: p.Status,
				CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
			}), nil
		},
	}, idem, clock)
}

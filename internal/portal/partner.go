package portal

import (
	"context"
	"fmt"
	"time"

	"github.com/partnerportal/portal/internal/tenancy"
)

// Partner is a managed security service provider reselling the service.
type Partner struct {
	ID           string
	Name         string
	ContactEmail string
	Country      string
	Status       string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Version      int64
}

// PartnerInput is the body of POST /v1/partners.
type PartnerInput struct {
	Name         *string `json:"name"`
	ContactEmail *string `json:"contactEmail"`
	Country      *string `json:"country"`
}

// PartnerStore persists partners.
type PartnerStore interface {
	// CreatePartner stores a new partner; ECONFLICT if the ID exists.
	CreatePartner(ctx context.Context, p Partner) error
	// GetPartner returns a partner; ENOTFOUND if there is none.
	GetPartner(ctx context.Context, id string) (Partner, error)
}

// PartnerService creates partners. Only super_admin may (EFORBIDDEN otherwise).
type PartnerService struct {
	Store PartnerStore
	Clock Clock
	IDs   IDs
}

// Create validates in and stores a new active partner. EINVALID lists every bad field.
func (s *PartnerService) Create(ctx context.Context, in PartnerInput) (Partner, error) {
	if _, err := requireRole(ctx, "creating partners", tenancy.RoleSuperAdmin); err != nil {
		return Partner{}, err
	}
	var p Problems
	now := s.Clock()
	pt := Partner{ID: s.IDs.New(PrefixPartner), Status: "active", CreatedAt: now, UpdatedAt: now, Version: 1}
	if in.Name == nil {
		p.Add("name", "is required")
	} else {
		pt.Name = checkName(&p, "name", *in.Name)
	}
	if in.ContactEmail == nil {
		p.Add("contactEmail", "is required")
	} else {
		pt.ContactEmail = checkEmail(&p, "contactEmail", *in.ContactEmail)
	}
	if in.Country != nil {
		pt.Country = checkCountry(&p, "country", *in.Country)
	}
	if err := p.Err(); err != nil {
		return Partner{}, err
	}
	ctx = auditor{s.Clock, s.IDs}.audit(ctx, "partner.create", pt.ID, tenancy.Scope{}, nil, map[string]any{"name": pt.Name, "contactEmail": pt.ContactEmail, "country": pt.Country})
	if err := s.Store.CreatePartner(ctx, pt); err != nil {
		return Partner{}, fmt.Errorf("create partner: %w", err)
	}
	return pt, nil
}

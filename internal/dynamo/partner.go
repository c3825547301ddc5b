package dynamo

import (
	"context"

	"github.com/partnerportal/portal/internal/portal"
)

type partnerItem struct {
	PK           string `dynamodbav:"PK"`
	SK           string `dynamodbav:"SK"`
	Entity       string `dynamodbav:"entity"`
	PartnerID    string `dynamodbav:"partnerId"`
	Name         string `dynamodbav:"name"`
	ContactEmail string `dynamodbav:"contactEmail"`
	Country      string `dynamodbav:"country,omitempty"`
	Status       string `dynamodbav:"status"`
	CreatedAt    string `dynamodbav:"createdAt"`
	UpdatedAt    string `dynamodbav:"updatedAt"`
	Version      int64  `dynamodbav:"version"`
}

// CreatePartner implements portal.PartnerStore.
func (s *Store) CreatePartner(ctx context.Context, p portal.Partner) error {
	return s.putNew(ctx, partnerItem{
		PK: partnerPK(p.ID), SK: partnerSK, Entity: "partner", PartnerID: p.ID, Name: p.Name,
		ContactEmail: p.ContactEmail, Country: p.Country, Status: p.Status,
		CreatedAt: formatTime(p.CreatedAt), UpdatedAt: formatTime(p.UpdatedAt), Version: p.Version,
	}, "partner "+p.ID+" already exists")
}

// GetPartner implements portal.PartnerStore.
func (s *Store) GetPartner(ctx context.Context, id string) (portal.Partner, error) {
	var it partnerItem
	found, err := s.get(ctx, partnerPK(id), partnerSK, &it)
	if err != nil {
		return portal.Partner{}, err
	}
	if !found {
		return portal.Partner{}, portal.Errorf(portal.ENOTFOUND, "partner %s not found", id)
	}
	return portal.Partner{
		ID: it.PartnerID, Name: it.Name, ContactEmail: it.ContactEmail, Country: it.Country, Status: it.Status,
		CreatedAt: parseTime(it.CreatedAt), UpdatedAt: parseTime(it.UpdatedAt), Version: it.Version,
	}, nil
}

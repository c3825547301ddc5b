package dynamo

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

type customerItem struct {
	PK            string         `dynamodbav:"PK"`
	SK            string         `dynamodbav:"SK"`
	GSIPK         string         `dynamodbav:"GSIPK"`
	GSI1SK        string         `dynamodbav:"GSI1SK"`
	GSI2SK        string         `dynamodbav:"GSI2SK"`
	GSI3SK        string         `dynamodbav:"GSI3SK"`
	GSI4SK        string         `dynamodbav:"GSI4SK"`
	GSI5SK        string         `dynamodbav:"GSI5SK"`
	Entity        string         `dynamodbav:"entity"`
	TenantID      string         `dynamodbav:"tenantId"`
	PartnerID     string         `dynamodbav:"partnerId"`
	Name          string         `dynamodbav:"name"`
	NameLower     string         `dynamodbav:"nameLower"`
	ContactEmail  string         `dynamodbav:"contactEmail"`
	Timezone      string         `dynamodbav:"timezone"`
	Country       string         `dynamodbav:"country,omitempty"`
	Tags          []string       `dynamodbav:"tags"`
	Status        string         `dynamodbav:"status"`
	ResumeStatus  string         `dynamodbav:"resumeStatus,omitempty"`
	Plan          string         `dynamodbav:"plan"`
	LicenseCounts map[string]int `dynamodbav:"licenseCounts,omitempty"`
	AccessLevel   string         `dynamodbav:"accessLevel"`
	LastScanAt    string         `dynamodbav:"lastScanAt,omitempty"`
	CreatedAt     string         `dynamodbav:"createdAt"`
	UpdatedAt     string         `dynamodbav:"updatedAt"`
	Version       int64          `dynamodbav:"version"`
}

const entityCustomer = "customer"

func toCustomerItem(c portal.Customer) customerItem {
	ix := customerIndexKeys(c)
	return customerItem{
		PK: tenantPK(c.PartnerID, c.ID), SK: customerSK,
		GSIPK:  customerListPK(c.PartnerID, c.Status == portal.StatusArchived),
		GSI1SK: ix["GSI1SK"], GSI2SK: ix["GSI2SK"], GSI3SK: ix["GSI3SK"], GSI4SK: ix["GSI4SK"], GSI5SK: ix["GSI5SK"],
		Entity: entityCustomer, TenantID: c.ID, PartnerID: c.PartnerID,
		Name: c.Name, NameLower: nameKey(c.Name), ContactEmail: c.ContactEmail, Timezone: c.Timezone,
		Country: c.Country, Tags: c.Tags, Status: string(c.Status), ResumeStatus: string(c.ResumeStatus),
		Plan: string(c.Plan), LicenseCounts: licenseCounts(c.LicenseCounts),
		AccessLevel: string(c.AccessLevel), LastScanAt: formatTimePtr(c.LastScanAt),
		CreatedAt: formatTime(c.CreatedAt), UpdatedAt: formatTime(c.UpdatedAt), Version: c.Version,
	}
}

func (it customerItem) customer() portal.Customer {
	tags := it.Tags
	if tags == nil {
		tags = []string{}
	}
	return portal.Customer{
		ID: it.TenantID, PartnerID: it.PartnerID, Name: it.Name, ContactEmail: it.ContactEmail,
		Timezone: it.Timezone, Country: it.Country, Tags: tags, Status: portal.CustomerStatus(it.Status),
		ResumeStatus: portal.CustomerStatus(it.ResumeStatus), Plan: portal.Plan(it.Plan),
		LicenseCounts: modelCounts(it.LicenseCounts),
		AccessLevel:   portal.AccessLevel(it.AccessLevel), LastScanAt: parseTimePtr(it.LastScanAt),
		CreatedAt: parseTime(it.CreatedAt), UpdatedAt: parseTime(it.UpdatedAt), Version: it.Version,
	}
}

func licenseCounts(m map[portal.LicenseModel]int) map[string]int {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[string(k)] = v
	}
	return out
}

func modelCounts(m map[string]int) map[portal.LicenseModel]int {
	if len(m) == 0 {
		return nil
	}
	out := make(map[portal.LicenseModel]int, len(m))
	for k, v := range m {
		out[portal.LicenseModel(k)] = v
	}
	return out
}

// CreateCustomer implements portal.CustomerStore.
func (s *Store) CreateCustomer(ctx context.Context, c portal.Customer) error {
	return s.putNew(ctx, toCustomerItem(c), "customer "+c.ID+" already exists")
}

// GetCustomer implements portal.CustomerStore: one consistent GetItem, and
// ENOTFOUND unless the customer belongs to the scope's partner.
func (s *Store) GetCustomer(ctx context.Context, scope tenancy.Scope, id string) (portal.Customer, error) {
	it, ok, err := getTenantItem[customerItem](ctx, s, scope, id, customerSK)
	if !ok {
		return portal.Customer{}, notFound(err, "customer", id)
	}
	return it.customer(), nil
}

// inScope reports whether an item of partnerID/tenantID is visible in scope.
func inScope(scope tenancy.Scope, partnerID, tenantID string) bool {
	if scope.PartnerID == "" || scope.PartnerID != partnerID {
		return false
	}
	return scope.TenantID == "" || scope.TenantID == tenantID
}

// UpdateCustomer implements portal.CustomerStore with a conditional put on
// the previous version and the scope's partner.
func (s *Store) UpdateCustomer(ctx context.Context, scope tenancy.Scope, c portal.Customer) error {
	if !inScope(scope, c.PartnerID, c.ID) {
		return portal.Errorf(portal.ENOTFOUND, "customer %s not found", c.ID)
	}
	put, err := s.versioned(toCustomerItem(c), c.Version, scope.PartnerID)
	if err != nil {
		return err
	}
	err = s.transact(ctx, s.inTenant(ctx, scope), types.TransactWriteItem{Put: put})
	if old, failed := conditionFailed(err, 0); failed {
		var prev struct {
			PartnerID string `dynamodbav:"partnerId"`
		}
		if len(old) == 0 || attributevalue.UnmarshalMap(old, &prev) != nil || prev.PartnerID != scope.PartnerID {
			return portal.Errorf(portal.ENOTFOUND, "customer %s not found", c.ID)
		}
		return portal.Errorf(portal.EPRECONDITION, "customer %s was changed by someone else: fetch it again and reapply your change", c.ID)
	}
	return err
}

package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// tenantItem is an item of a tenant's partition, stamped with its owner.
type tenantItem interface {
	owner() (partnerID, tenantID string)
}

func (it assetItem) owner() (string, string)    { return it.PartnerID, it.TenantID }
func (it counterItem) owner() (string, string)  { return it.PartnerID, it.TenantID }
func (it customerItem) owner() (string, string) { return it.PartnerID, it.TenantID }
func (it findingItem) owner() (string, string)  { return it.PartnerID, it.TenantID }
func (it licenseItem) owner() (string, string)  { return it.PartnerID, it.TenantID }
func (it reportItem) owner() (string, string)   { return it.PartnerID, it.TenantID }
func (it scanItem) owner() (string, string)     { return it.PartnerID, it.TenantID }
func (it scheduleItem) owner() (string, string) { return it.PartnerID, it.TenantID }
func (it alertItem) owner() (string, string)    { return it.PartnerID, it.TenantID }

// decodeInScope decodes items and returns, in order, conv of those that
// are the scope's; noun names the kind in a decode error.
func decodeInScope[I tenantItem, T any](scope tenancy.Scope, items []map[string]types.AttributeValue, noun string, conv func(I) T) ([]T, error) {
	out := make([]T, 0, len(items))
	for _, av := range items {
		var it I
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, fmt.Errorf("decode %s: %w", noun, err)
		}
		if partnerID, tenantID := it.owner(); inScope(scope, partnerID, tenantID) {
			out = append(out, conv(it))
		}
	}
	return out, nil
}

// getTenantItem reads the item sk of a customer's partition in scope
// (with the tenant's credentials when a customer user asks, see inTenant).
// ok is false when there is no such item or it is not the scope's.
func getTenantItem[T tenantItem](ctx context.Context, s *Store, scope tenancy.Scope, customerID, sk string) (it T, ok bool, err error) {
	found, err := s.get(ctx, tenantPK(scope.PartnerID, customerID), sk, &it, s.inTenant(ctx, scope)...)
	if err != nil || !found {
		return it, false, err
	}
	partnerID, tenantID := it.owner()
	return it, inScope(scope, partnerID, tenantID), nil
}

// notFound returns err when there is one, and otherwise ENOTFOUND naming
// the kind and ID of the item not found.
func notFound(err error, kind, id string) error {
	if err != nil {
		return err
	}
	return portal.Errorf(portal.ENOTFOUND, "%s %s not found", kind, id)
}

package dynamo

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/partnerportal/portal/internal/tenancy"
)

// inTenant returns per-call options that sign a request with the tenant's
// own scoped credentials (Store.TenantCredentials, IAM dynamodb:LeadingKeys
// limited to the tenant's partition) when the caller is a user of that
// tenant. Callers use it only for operations that touch nothing but the
// tenant's partition of the base table; everything else, and every request
// of partner personnel, uses the function's own credentials.
func (s *Store) inTenant(ctx context.Context, scope tenancy.Scope) []func(*dynamodb.Options) {
	if s.TenantCredentials == nil || scope.TenantID == "" {
		return nil
	}
	id, ok := tenancy.FromContext(ctx)
	if !ok || !id.Role.IsCustomerRole() || id.TenantID != scope.TenantID || id.PartnerID != scope.PartnerID {
		return nil
	}
	creds := s.TenantCredentials(scope.TenantID)
	return []func(*dynamodb.Options){func(o *dynamodb.Options) { o.Credentials = creds }}
}

// TenantCredentialsFunc returns the credentials scoped to one tenant.
type TenantCredentialsFunc func(tenantID string) aws.CredentialsProvider

package dynamo_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// signers records which access key signed each DynamoDB request, by operation.
type signers struct {
	mu   sync.Mutex
	keys []string // "Operation AKID"
}

func (s *signers) attach(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("RecordSigner",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if req, ok := in.Request.(*smithyhttp.Request); ok {
					auth := req.Header.Get("Authorization")
					_, cred, _ := strings.Cut(auth, "Credential=")
					akid, _, _ := strings.Cut(cred, "/")
					s.mu.Lock()
					s.keys = append(s.keys, middleware.GetOperationName(ctx)+" "+akid)
					s.mu.Unlock()
				}
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	})
}

func (s *signers) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.keys
	s.keys = nil
	return out
}

// With tenant credentials switched on, a customer user's requests on its own
// tenant's partition are signed with the tenant's scoped credentials (in AWS:
// IAM dynamodb:LeadingKeys limited to that partition); everything else keeps
// the function's own credentials.
func TestTenantCredentialsSignCustomerUsersTenantRequests(t *testing.T) {
	client, table := ddbtest.NewTable(t)
	rec := &signers{}
	store := dynamo.New(dynamodb.New(client.Options(), rec.attach), table)
	store.TenantCredentials = func(tenantID string) aws.CredentialsProvider {
		return credentials.NewStaticCredentialsProvider("TENANT"+tenantID[len(tenantID)-4:], "secret", "token") // DynamoDB Local accepts letters and digits only
	}
	ids := &ddbtest.SeqIDs{}
	now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	partner, tenant := ids.New(portal.PrefixPartner), ids.New(portal.PrefixCustomer)
	c := portal.Customer{ID: tenant, PartnerID: partner, Name: "Acme", ContactEmail: "it@acme.example", Timezone: "UTC", Tags: []string{},
		Status: portal.StatusActive, Plan: portal.PlanNone, AccessLevel: portal.AccessFull, CreatedAt: now, UpdatedAt: now, Version: 1}
	mustOK(t, "create", store.CreateCustomer(context.Background(), c))
	rec.take()

	customerAdmin := tenancy.Identity{UserID: ids.New(portal.PrefixUser), Role: tenancy.RoleCustomerAdmin, PartnerID: partner, TenantID: tenant,
		TenantAccess: string(portal.AccessFull), TenantStatus: string(portal.StatusActive)}
	partnerAdmin := tenancy.Identity{UserID: ids.New(portal.PrefixUser), Role: tenancy.RolePartnerAdmin, PartnerID: partner}
	tenantKey := "TENANT" + tenant[len(tenant)-4:]

	t.Run("ACustomerUsersReadsAndWritesOfItsTenant", func(t *testing.T) {
		ctx := tenancy.WithIdentity(context.Background(), customerAdmin)
		got, err := store.GetCustomer(ctx, customerAdmin.Scope(), tenant)
		mustOK(t, "get", err)
		got.Timezone, got.Version = "Europe/Berlin", got.Version+1
		mustOK(t, "update", store.UpdateCustomer(ctx, customerAdmin.Scope(), got))
		_, err = store.ListLicenses(ctx, customerAdmin.Scope(), tenant)
		mustOK(t, "licenses", err)
		keys := rec.take()
		if len(keys) != 3 {
			t.Fatalf("signed requests = %v, want GetItem, TransactWriteItems and Query", keys)
		}
		for _, k := range keys {
			if !strings.HasSuffix(k, " "+tenantKey) {
				t.Errorf("%s: want the tenant's key %s", k, tenantKey)
			}
		}
	})
	t.Run("PartnerPersonnelKeepTheFunctionsCredentials", func(t *testing.T) {
		ctx := tenancy.WithIdentity(context.Background(), partnerAdmin)
		_, err := store.GetCustomer(ctx, partnerAdmin.Scope(), tenant)
		mustOK(t, "get", err)
		for _, k := range rec.take() {
			if strings.HasSuffix(k, " "+tenantKey) {
				t.Errorf("%s: a partner admin's request was signed with the tenant's key", k)
			}
		}
	})
	t.Run("IndexQueriesKeepTheFunctionsCredentials", func(t *testing.T) {
		// A customer user reaches no index partition with tenant credentials:
		// LeadingKeys of an index Query is its partition key (USERS#…, AUDIT#…).
		ctx := tenancy.WithIdentity(context.Background(), customerAdmin)
		_, _, err := store.ListUsers(ctx, customerAdmin.Scope(), 10, nil)
		mustOK(t, "users", err)
		for _, k := range rec.take() {
			if strings.HasSuffix(k, " "+tenantKey) {
				t.Errorf("%s: an index Query was signed with the tenant's key", k)
			}
		}
	})
}

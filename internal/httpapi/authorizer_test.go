package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"github.com/partnerportal/portal/internal/ddbtest"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

const testKeyULID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"

// testKeySecret is the one key newAuthorizer's table holds, as its owner holds it.
var testKeySecret = portal.APIKeyPrefix + strings.ToLower(testKeyULID) + "_" + strings.Repeat("s", 43)

// newAuthorizer returns the authorizer on a fresh table that holds
// testKeySecret (only its hash), owned by ddbtest.AdminA, and the store on that table.
func newAuthorizer(t *testing.T) (*Authorizer, *dynamo.Store) {
	t.Helper()
	f := newFixture(t)
	sum := sha256.Sum256([]byte(testKeySecret))
	must(t, f.store.CreateAPIKey(context.Background(), portal.APIKey{
		ID: portal.PrefixAPIKey + testKeyULID, Hash: hex.EncodeToString(sum[:]), Hint: testKeySecret[:11],
		UserID: ddbtest.AdminA.UserID, Role: tenancy.RolePartnerAdmin, PartnerID: ddbtest.PartnerA, CreatedAt: ddbtest.Now,
	}))
	return f.authorizer, f.store
}

// authRequest is an authorizer event with the Authorization header ("" for none).
func authRequest(header string) events.APIGatewayV2CustomAuthorizerV2Request {
	ev := events.APIGatewayV2CustomAuthorizerV2Request{Headers: map[string]string{}}
	if header != "" {
		ev.Headers["authorization"] = header
		ev.IdentitySource = []string{header}
	}
	return ev
}

func TestAuthorizer(t *testing.T) {
	a, store := newAuthorizer(t)

	// The authorizer lets unauthenticated requests through with the reason
	// and no identity, so that the function answers 401 problem+json.
	t.Run("BadCredentialsCarryAnAuthErrorAndNoIdentity", func(t *testing.T) {
		for name, header := range map[string]string{
			"Missing":      "",
			"NotBearer":    "Basic dXNlcjpwYXNz",
			"BearerOnly":   "Bearer",
			"BearerEmpty":  "Bearer ",
			"MalformedKey": "Bearer pp_short",
			"RawKey":       testKeySecret,
		} {
			ctx, m := dynamo.WithMeter(context.Background())
			res, err := a.Handle(ctx, authRequest(header))
			if err != nil {
				t.Fatalf("%s: error %v, want none (bad credentials are not a fault)", name, err)
			}
			want := "invalid"
			if header == "" {
				want = "missing"
			}
			if got := res.Context["authError"]; got != want {
				t.Fatalf("%s: authError = %v, want %s", name, got, want)
			}
			if _, ok := res.Context["userId"]; ok {
				t.Fatalf("%s: an identity was granted: %v", name, res.Context)
			}
			if calls := m.Calls(); len(calls) != 0 {
				t.Fatalf("%s: DynamoDB calls = %v, want none", name, calls)
			}
		}
	})

	t.Run("WrongSecretIsInvalid", func(t *testing.T) {
		res, err := a.Handle(context.Background(), authRequest("Bearer "+testKeySecret[:len(testKeySecret)-1]+"t"))
		if err != nil || res.Context["authError"] != "invalid" || res.Context["userId"] != nil {
			t.Fatalf("context = %v, err = %v; want authError invalid and no identity", res.Context, err)
		}
	})

	t.Run("ValidKeyAuthorizedWithIdentity", func(t *testing.T) {
		res, err := a.Handle(context.Background(), authRequest("Bearer "+testKeySecret))
		if err != nil || !res.IsAuthorized {
			t.Fatalf("authorized = %v, err = %v; want authorized", res.IsAuthorized, err)
		}
		want := map[string]any{"userId": ddbtest.AdminA.UserID, "role": "partner_admin", "partnerId": ddbtest.PartnerA, "tenantId": "", "keyId": portal.PrefixAPIKey + testKeyULID}
		for k, v := range want {
			if res.Context[k] != v {
				t.Fatalf("context[%s] = %v, want %v", k, res.Context[k], v)
			}
		}
		ev := event("GET /v1/customers", "/v1/customers", nil, "")
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: res.Context}
		id, ok := identityFrom(ev)
		if !ok || id.UserID != ddbtest.AdminA.UserID || id.PartnerID != ddbtest.PartnerA || id.Role != tenancy.RolePartnerAdmin {
			t.Fatalf("identityFrom(authorizer context) = %+v, %v", id, ok)
		}
	})

	t.Run("StoreFailureIsAnError", func(t *testing.T) {
		// DynamoDB answers every call with an error: the table does not exist.
		gone := &dynamo.Store{Client: store.Client, Table: store.Table + "_gone"}
		a := NewAuthorizer(&portal.APIKeyService{Keys: gone, Clock: ddbtest.Clock}, nil)
		a.log = slog.New(slog.NewJSONHandler(io.Discard, nil))
		res, err := a.Handle(context.Background(), authRequest("Bearer "+testKeySecret))
		if err == nil || res.IsAuthorized {
			t.Fatalf("authorized = %v, err = %v; want an error (answered 500 by the gateway)", res.IsAuthorized, err)
		}
	})
}

package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// keyStore is an APIKeyStore holding one key; it counts calls and can fail.
type keyStore struct {
	key   portal.APIKey
	calls int
	err   error
}

func (s *keyStore) CreateAPIKey(context.Context, portal.APIKey) error { s.calls++; return s.err }
func (s *keyStore) GetAPIKey(_ context.Context, id string) (portal.APIKey, error) {
	s.calls++
	if s.err != nil {
		return portal.APIKey{}, s.err
	}
	if id != s.key.ID {
		return portal.APIKey{}, portal.Errorf(portal.ENOTFOUND, "API key %s not found", id)
	}
	return s.key, nil
}
func (s *keyStore) RevokeAPIKey(context.Context, string, time.Time) error { s.calls++; return s.err }
func (s *keyStore) TouchAPIKey(context.Context, string, time.Time, time.Duration) error {
	s.calls++
	return s.err
}

const testKeyULID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"

// testKeySecret is the one key newAuthorizer's store knows, as its owner holds it.
var testKeySecret = portal.APIKeyPrefix + strings.ToLower(testKeyULID) + "_" + strings.Repeat("s", 43)

// newAuthorizer returns an authorizer whose store holds testKeySecret, owned by adminA.
func newAuthorizer() (*Authorizer, *keyStore) {
	sum := sha256.Sum256([]byte(testKeySecret))
	store := &keyStore{key: portal.APIKey{
		ID: portal.PrefixAPIKey + testKeyULID, Hash: hex.EncodeToString(sum[:]), UserID: adminA.UserID,
		Role: tenancy.RolePartnerAdmin, PartnerID: partnerA,
	}}
	a := NewAuthorizer(&portal.APIKeyService{Keys: store, Clock: testClock})
	a.log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	return a, store
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
	t.Run("DeniesWithoutError", func(t *testing.T) {
		for name, header := range map[string]string{
			"Missing":      "",
			"NotBearer":    "Basic dXNlcjpwYXNz",
			"BearerOnly":   "Bearer",
			"BearerEmpty":  "Bearer ",
			"MalformedKey": "Bearer pp_short",
			"RawKey":       testKeySecret,
		} {
			a, store := newAuthorizer()
			res, err := a.Handle(context.Background(), authRequest(header))
			if err != nil {
				t.Fatalf("%s: error %v, want none (a denial is not a fault)", name, err)
			}
			if res.IsAuthorized {
				t.Fatalf("%s: authorized", name)
			}
			if store.calls != 0 {
				t.Fatalf("%s: store calls = %d, want 0", name, store.calls)
			}
		}
	})

	t.Run("WrongSecretDenied", func(t *testing.T) {
		a, _ := newAuthorizer()
		res, err := a.Handle(context.Background(), authRequest("Bearer "+testKeySecret[:len(testKeySecret)-1]+"t"))
		if err != nil || res.IsAuthorized {
			t.Fatalf("authorized = %v, err = %v; want a denial without error", res.IsAuthorized, err)
		}
	})

	t.Run("ValidKeyAuthorizedWithIdentity", func(t *testing.T) {
		a, _ := newAuthorizer()
		res, err := a.Handle(context.Background(), authRequest("Bearer "+testKeySecret))
		if err != nil || !res.IsAuthorized {
			t.Fatalf("authorized = %v, err = %v; want authorized", res.IsAuthorized, err)
		}
		want := map[string]any{"userId": adminA.UserID, "role": "partner_admin", "partnerId": partnerA, "tenantId": "", "keyId": portal.PrefixAPIKey + testKeyULID}
		for k, v := range want {
			if res.Context[k] != v {
				t.Fatalf("context[%s] = %v, want %v", k, res.Context[k], v)
			}
		}
		ev := event("GET /v1/customers", "/v1/customers", nil, "")
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: res.Context}
		id, ok := identityFrom(ev)
		if !ok || id.UserID != adminA.UserID || id.PartnerID != partnerA || id.Role != tenancy.RolePartnerAdmin {
			t.Fatalf("identityFrom(authorizer context) = %+v, %v", id, ok)
		}
	})

	t.Run("StoreFailureIsAnError", func(t *testing.T) {
		a, store := newAuthorizer()
		store.err = errors.New("throttled")
		res, err := a.Handle(context.Background(), authRequest("Bearer "+testKeySecret))
		if err == nil || res.IsAuthorized {
			t.Fatalf("authorized = %v, err = %v; want an error (answered 500 by the gateway)", res.IsAuthorized, err)
		}
	})
}

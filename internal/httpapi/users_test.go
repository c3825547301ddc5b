package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// memUsers is a UserStore, PartnerStore and APIKeyStore on maps.
type memUsers struct {
	users    map[string]portal.User
	partners map[string]portal.Partner
	keys     map[string]portal.APIKey
}

func (m *memUsers) CreateUser(_ context.Context, u portal.User) error {
	m.users[u.ID] = u
	return nil
}

func (m *memUsers) GetUser(_ context.Context, id string) (portal.User, error) {
	u, ok := m.users[id]
	if !ok {
		return portal.User{}, portal.Errorf(portal.ENOTFOUND, "user %s not found", id)
	}
	return u, nil
}

func (m *memUsers) ListUsers(_ context.Context, partnerID string, _ int, _ portal.Position) ([]portal.User, portal.Position, error) {
	var out []portal.User
	for _, u := range m.users {
		if u.PartnerID == partnerID {
			out = append(out, u)
		}
	}
	return out, nil, nil
}

func (m *memUsers) CreatePartner(_ context.Context, p portal.Partner) error {
	m.partners[p.ID] = p
	return nil
}

func (m *memUsers) GetPartner(_ context.Context, id string) (portal.Partner, error) {
	p, ok := m.partners[id]
	if !ok {
		return portal.Partner{}, portal.Errorf(portal.ENOTFOUND, "partner %s not found", id)
	}
	return p, nil
}

func (m *memUsers) CreateAPIKey(_ context.Context, k portal.APIKey) error {
	m.keys[k.ID] = k
	return nil
}

func (m *memUsers) GetAPIKey(_ context.Context, id string) (portal.APIKey, error) {
	k, ok := m.keys[id]
	if !ok {
		return portal.APIKey{}, portal.Errorf(portal.ENOTFOUND, "API key %s not found", id)
	}
	return k, nil
}

func (m *memUsers) RevokeAPIKey(_ context.Context, id string, t time.Time) error {
	k := m.keys[id]
	k.RevokedAt = &t
	m.keys[id] = k
	return nil
}

func (m *memUsers) TouchAPIKey(context.Context, string, time.Time, time.Duration) error { return nil }

func newUsersFixture() (*Handler, *memUsers) {
	store := &memUsers{users: map[string]portal.User{}, partners: map[string]portal.Partner{partnerA: {ID: partnerA}}, keys: map[string]portal.APIKey{}}
	store.users[adminA.UserID] = portal.User{ID: adminA.UserID, Email: "admin@a.example", Role: adminA.Role, PartnerID: partnerA}
	ids := &seqIDs{}
	users := &portal.UserService{Users: store, Partners: store, Cursors: portal.Cursors{Secret: testSecret}, Clock: testClock, IDs: ids}
	keys := &portal.APIKeyService{Keys: store, Users: users, Clock: testClock, IDs: ids}
	h := NewUsers(users, keys, newMemIdempotency(), testClock)
	quiet(h)
	return h, store
}

func TestUsersRoutes(t *testing.T) {
	t.Run("CreateUser", func(t *testing.T) {
		h, _ := newUsersFixture()
		res := do(t, h, event("POST /v1/users", "/v1/users", &adminA, `{"email":"dev@a.example","role":"partner_member"}`))
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("status %d, body %s", res.StatusCode, res.Body)
		}
		var u UserJSON
		decodeBody(t, res, &u)
		if u.PartnerID != partnerA || u.Role != "partner_member" || u.Email != "dev@a.example" {
			t.Fatalf("user = %+v", u)
		}
	})

	t.Run("CreateUserBadInput", func(t *testing.T) {
		h, store := newUsersFixture()
		p := problem(t, do(t, h, event("POST /v1/users", "/v1/users", &adminA, `{"email":"x","role":"owner","partnerId":"`+partnerB+`"}`)), http.StatusBadRequest)
		errs := fieldReasons(p)
		for _, f := range []string{"email", "role", "partnerId"} {
			if _, ok := errs[f]; !ok {
				t.Errorf("%s not reported: %v", f, errs)
			}
		}
		if !strings.Contains(errs["role"], "partner_admin, partner_member") {
			t.Errorf("role reason = %q, want the allowed roles", errs["role"])
		}
		if len(store.users) != 1 {
			t.Fatalf("users = %d, want 1 (nothing written)", len(store.users))
		}
	})

	t.Run("ListUsers", func(t *testing.T) {
		h, _ := newUsersFixture()
		res := do(t, h, event("GET /v1/users", "/v1/users", &adminA, ""))
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, adminA.UserID) {
			t.Fatalf("status %d, body %s", res.StatusCode, res.Body)
		}
		ev := event("GET /v1/users", "/v1/users", &adminA, "")
		ev.QueryStringParameters = map[string]string{"role": "x"}
		problem(t, do(t, h, ev), http.StatusBadRequest)
	})

	t.Run("IssueShowsKeyOnceThenRevoke", func(t *testing.T) {
		h, store := newUsersFixture()
		path := "/v1/users/" + adminA.UserID + "/api-keys"
		res := do(t, h, event("POST /v1/users/{userId}/api-keys", path, &adminA, ""))
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("issue: status %d, body %s", res.StatusCode, res.Body)
		}
		var k APIKeyJSON
		decodeBody(t, res, &k)
		if !strings.HasPrefix(k.Key, portal.APIKeyPrefix) || !strings.HasPrefix(k.Key, k.Hint) {
			t.Fatalf("key = %+v, want the pp_ secret and its hint", k)
		}
		if stored := store.keys[k.ID]; strings.Contains(stored.Hash, k.Key) || stored.Hash == "" {
			t.Fatalf("stored key %+v, want only a hash", stored)
		}

		problem(t, do(t, h, event("POST /v1/users/{userId}/api-keys", path, &adminA, `{"expiresAt":"tomorrow"}`)), http.StatusBadRequest)
		problem(t, do(t, h, event("POST /v1/users/{userId}/api-keys", "/v1/users/usr_nope/api-keys", &adminA, "")), http.StatusNotFound)

		problem(t, do(t, h, event("DELETE /v1/api-keys/{keyId}", "/v1/api-keys/"+k.ID, &adminB, "")), http.StatusNotFound)
		res = do(t, h, event("DELETE /v1/api-keys/{keyId}", "/v1/api-keys/"+k.ID, &adminA, ""))
		if res.StatusCode != http.StatusNoContent || res.Body != "" || res.Headers["Content-Type"] != "" {
			t.Fatalf("revoke: status %d, Content-Type %q, body %q; want an empty 204", res.StatusCode, res.Headers["Content-Type"], res.Body)
		}
	})
}

func TestPartnersRoute(t *testing.T) {
	store := &memUsers{partners: map[string]portal.Partner{}}
	super := tenancy.Identity{UserID: "usr_000000000000000000000SUPER", Role: tenancy.RoleSuperAdmin}
	h := NewPartners(&portal.PartnerService{Store: store, Clock: testClock, IDs: &seqIDs{}}, newMemIdempotency(), testClock)
	quiet(h)

	res := do(t, h, event("POST /v1/partners", "/v1/partners", &super, `{"name":"MSSP","contactEmail":"ops@mssp.example","country":"nl"}`))
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("status %d, body %s", res.StatusCode, res.Body)
	}
	var p PartnerJSON
	decodeBody(t, res, &p)
	if p.Country != "NL" || p.Status != "active" || !portal.ValidID(portal.PrefixPartner, p.ID) {
		t.Fatalf("partner = %+v", p)
	}
	pr := problem(t, do(t, h, event("POST /v1/partners", "/v1/partners", &adminA, `{"name":"MSSP","contactEmail":"ops@mssp.example"}`)), http.StatusForbidden)
	if pr.Code != portal.EFORBIDDEN {
		t.Fatalf("code = %q, want %q", pr.Code, portal.EFORBIDDEN)
	}
	if len(store.partners) != 1 {
		t.Fatalf("partners = %d, want 1", len(store.partners))
	}
}

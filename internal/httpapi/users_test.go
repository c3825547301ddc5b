package httpapi

import (
	"context"
	"github.com/partnerportal/portal/internal/ddbtest"
	"net/http"
	"strings"
	"testing"

	"github.com/partnerportal/portal/internal/portal"
)

func TestUsersRoutes(t *testing.T) {
	f := newFixture(t)
	h := f.users

	t.Run("CreateUser", func(t *testing.T) {
		res := do(t, h, event("POST /v1/users", "/v1/users", &ddbtest.AdminA, `{"email":"dev@a.example","role":"partner_member"}`))
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("status %d, body %s", res.StatusCode, res.Body)
		}
		var u UserJSON
		decodeBody(t, res, &u)
		if u.PartnerID != ddbtest.PartnerA || u.Role != "partner_member" || u.Email != "dev@a.example" {
			t.Fatalf("user = %+v", u)
		}
	})

	t.Run("CreateUserBadInput", func(t *testing.T) {
		res, m := doMetered(t, h, event("POST /v1/users", "/v1/users", &ddbtest.AdminA, `{"email":"x","role":"owner","partnerId":"`+ddbtest.PartnerB+`"}`))
		p := problem(t, res, http.StatusBadRequest)
		errs := fieldReasons(p)
		for _, f := range []string{"email", "role", "partnerId"} {
			if _, ok := errs[f]; !ok {
				t.Errorf("%s not reported: %v", f, errs)
			}
		}
		if !strings.Contains(errs["role"], "partner_admin, partner_member") {
			t.Errorf("role reason = %q, want the allowed roles", errs["role"])
		}
		wantNoWrites(t, m)
	})

	t.Run("ListUsers", func(t *testing.T) {
		res := do(t, h, event("GET /v1/users", "/v1/users", &ddbtest.AdminA, ""))
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, ddbtest.AdminA.UserID) {
			t.Fatalf("status %d, body %s", res.StatusCode, res.Body)
		}
		ev := event("GET /v1/users", "/v1/users", &ddbtest.AdminA, "")
		ev.QueryStringParameters = map[string]string{"role": "x"}
		problem(t, do(t, h, ev), http.StatusBadRequest)
	})

	t.Run("IssueShowsKeyOnceThenRevoke", func(t *testing.T) {
		path := "/v1/users/" + ddbtest.AdminA.UserID + "/api-keys"
		res := do(t, h, event("POST /v1/users/{userId}/api-keys", path, &ddbtest.AdminA, ""))
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("issue: status %d, body %s", res.StatusCode, res.Body)
		}
		var k APIKeyJSON
		decodeBody(t, res, &k)
		if !strings.HasPrefix(k.Key, portal.APIKeyPrefix) || !strings.HasPrefix(k.Key, k.Hint) {
			t.Fatalf("key = %+v, want the pp_ secret and its hint", k)
		}
		stored, err := f.store.GetAPIKey(context.Background(), k.ID)
		if err != nil {
			t.Fatalf("GetAPIKey: %v", err)
		}
		if strings.Contains(stored.Hash, k.Key) || stored.Hash == "" || stored.Hint != k.Hint {
			t.Fatalf("stored key %+v, want only a hash and the hint %q", stored, k.Hint)
		}

		problem(t, do(t, h, event("POST /v1/users/{userId}/api-keys", path, &ddbtest.AdminA, `{"expiresAt":"tomorrow"}`)), http.StatusBadRequest)
		problem(t, do(t, h, event("POST /v1/users/{userId}/api-keys", "/v1/users/usr_nope/api-keys", &ddbtest.AdminA, "")), http.StatusNotFound)

		res, m := doMetered(t, h, event("DELETE /v1/api-keys/{keyId}", "/v1/api-keys/"+k.ID, &ddbtest.AdminB, ""))
		problem(t, res, http.StatusNotFound)
		wantNoWrites(t, m)
		res = do(t, h, event("DELETE /v1/api-keys/{keyId}", "/v1/api-keys/"+k.ID, &ddbtest.AdminA, ""))
		if res.StatusCode != http.StatusNoContent || res.Body != "" || res.Headers["Content-Type"] != "" {
			t.Fatalf("revoke: status %d, Content-Type %q, body %q; want an empty 204", res.StatusCode, res.Headers["Content-Type"], res.Body)
		}
		if _, err := f.keys.Authenticate(context.Background(), k.Key); portal.ErrorCode(err) != portal.EUNAUTHORIZED {
			t.Fatalf("Authenticate with the revoked key: %v, want %s", err, portal.EUNAUTHORIZED)
		}
	})
}

func TestPartnersRoute(t *testing.T) {
	f := newFixture(t)
	h := f.partners

	res := do(t, h, event("POST /v1/partners", "/v1/partners", &ddbtest.SuperAdmin, `{"name":"MSSP","contactEmail":"ops@mssp.example","country":"nl"}`))
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("status %d, body %s", res.StatusCode, res.Body)
	}
	var p PartnerJSON
	decodeBody(t, res, &p)
	if p.Country != "NL" || p.Status != "active" || !portal.ValidID(portal.PrefixPartner, p.ID) {
		t.Fatalf("partner = %+v", p)
	}
	if stored, err := f.store.GetPartner(context.Background(), p.ID); err != nil || stored.Name != "MSSP" || stored.Country != "NL" {
		t.Fatalf("stored partner = %+v, %v; want MSSP in NL", stored, err)
	}
	res, m := doMetered(t, h, event("POST /v1/partners", "/v1/partners", &ddbtest.AdminA, `{"name":"MSSP","contactEmail":"ops@mssp.example"}`))
	pr := problem(t, res, http.StatusForbidden)
	if pr.Code != portal.EFORBIDDEN {
		t.Fatalf("code = %q, want %q", pr.Code, portal.EFORBIDDEN)
	}
	wantNoWrites(t, m)
}

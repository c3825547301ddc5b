package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

func TestIdempotency(t *testing.T) {
	f := newFixture(t)
	post := func(t *testing.T, id *tenancy.Identity, key, body string) events.APIGatewayV2HTTPResponse {
		t.Helper()
		ev := event("POST /v1/customers", "/v1/customers", id, body)
		if key != "" {
			ev.Headers["Idempotency-Key"] = key
		}
		return do(t, f.customers, ev)
	}
	// customersOf returns how many customers id's partner has.
	customersOf := func(t *testing.T, id *tenancy.Identity) int {
		t.Helper()
		res := do(t, f.customers, event("GET /v1/customers", "/v1/customers", id, ""))
		var page listJSON[CustomerJSON]
		decodeBody(t, res, &page)
		if res.StatusCode != http.StatusOK || page.NextCursor != "" {
			t.Fatalf("list: status %d, body %s", res.StatusCode, res.Body)
		}
		return len(page.Items)
	}
	const body = `{"name":"Acme","contactEmail":"ops@acme.example"}`

	t.Run("SameKeySameBodyReplaysFirstResult", func(t *testing.T) {
		admin := f.newAdmin()
		first := post(t, admin, "k-1", body)
		if first.StatusCode != http.StatusCreated {
			t.Fatalf("first: status %d, body %s", first.StatusCode, first.Body)
		}
		again := post(t, admin, "k-1", "{\n  \"contactEmail\": \"ops@acme.example\",\n  \"name\": \"Acme\"\n}")
		if got, want := again.StatusCode, first.StatusCode; got != want {
			t.Fatalf("replay status = %d, want %d", got, want)
		}
		if got, want := again.Body, first.Body; got != want {
			t.Fatalf("replay body = %s, want %s", got, want)
		}
		for _, h := range []string{"Location", "ETag", "Content-Type"} {
			if got, want := again.Headers[h], first.Headers[h]; got != want {
				t.Fatalf("replay %s = %q, want %q", h, got, want)
			}
		}
		if got, want := again.Headers["Idempotent-Replayed"], "true"; got != want {
			t.Fatalf("Idempotent-Replayed = %q, want %q", got, want)
		}
		if got, want := customersOf(t, admin), 1; got != want {
			t.Fatalf("customers = %d, want %d: the replay must not create another customer", got, want)
		}
	})

	t.Run("SameKeyOtherBodyIs422", func(t *testing.T) {
		admin := f.newAdmin()
		post(t, admin, "k-1", body)
		p := problem(t, post(t, admin, "k-1", `{"name":"Other","contactEmail":"ops@acme.example"}`), http.StatusUnprocessableEntity)
		if got, want := p.Code, portal.EIDEMPOTENCY; got != want {
			t.Fatalf("code = %q, want %q", got, want)
		}
		if got, want := customersOf(t, admin), 1; got != want {
			t.Fatalf("customers = %d, want %d", got, want)
		}
	})

	t.Run("SameKeyOtherPathIs422", func(t *testing.T) {
		admin := f.newAdmin()
		res := post(t, admin, "k-1", body)
		var c CustomerJSON
		decodeBody(t, res, &c)
		ev := event("POST /v1/customers/{customerId}/suspend", "/v1/customers/"+c.ID+"/suspend", admin, "")
		ev.Headers["Idempotency-Key"] = "k-1"
		problem(t, do(t, f.customers, ev), http.StatusUnprocessableEntity)
	})

	t.Run("KeysAreScopedByCaller", func(t *testing.T) {
		post(t, f.newAdmin(), "k-1", body)
		res := post(t, f.newAdmin(), "k-1", `{"name":"Other","contactEmail":"ops@other.example"}`)
		if res.StatusCode != http.StatusCreated || res.Headers["Idempotent-Replayed"] != "" {
			t.Fatalf("another partner's request with the same key: status %d, replayed %q", res.StatusCode, res.Headers["Idempotent-Replayed"])
		}
	})

	t.Run("StillRunningIs409", func(t *testing.T) {
		admin := f.newAdmin()
		// The same request, claimed and not yet answered.
		prior, err := f.store.ReserveIdempotencyKey(context.Background(), admin.PartnerID+"#"+admin.UserID, "k-1",
			fingerprint(&Request{Method: "POST", Path: "/v1/customers", Body: []byte(body)}), ddbtest.Now)
		if err != nil || prior != nil {
			t.Fatalf("ReserveIdempotencyKey = %+v, %v; want a fresh claim", prior, err)
		}
		p := problem(t, post(t, admin, "k-1", body), http.StatusConflict)
		if got, want := p.Code, portal.ECONFLICT; got != want {
			t.Fatalf("code = %q, want %q", got, want)
		}
		if got := customersOf(t, admin); got != 0 {
			t.Fatalf("customers = %d, want 0", got)
		}
	})

	t.Run("BadKeyIs400", func(t *testing.T) {
		admin := f.newAdmin()
		for _, key := range []string{"ключ", "a\tb", string(make([]byte, 256))} {
			ev := event("POST /v1/customers", "/v1/customers", admin, body)
			ev.Headers["Idempotency-Key"] = key
			res, m := doMetered(t, f.customers, ev)
			p := problem(t, res, http.StatusBadRequest)
			if _, ok := fieldReasons(p)["Idempotency-Key"]; !ok {
				t.Fatalf("key %q: errors = %v, want Idempotency-Key", key, p.Errors)
			}
			if calls := m.Calls(); len(calls) != 0 {
				t.Fatalf("key %q: DynamoDB calls = %v; want none: neither a key nor a customer is stored", key, calls)
			}
		}
	})

	t.Run("ServerErrorReleasesKey", func(t *testing.T) {
		calls := 0
		h := NewHandler(map[string]Route{
			"POST /v1/things": func(context.Context, *Request) (Response, error) {
				calls++
				if calls == 1 {
					return Response{}, errors.New("throttled")
				}
				return JSON(http.StatusCreated, map[string]int{"n": calls}), nil
			},
		}, f.store, ddbtest.Clock)
		quiet(h)
		ev := event("POST /v1/things", "/v1/things", f.newAdmin(), `{}`)
		ev.Headers["Idempotency-Key"] = "k-1"
		problem(t, do(t, h, ev), http.StatusInternalServerError)
		res := do(t, h, ev)
		if res.StatusCode != http.StatusCreated || res.Headers["Idempotent-Replayed"] != "" || calls != 2 {
			t.Fatalf("retry after a 500: status %d, replayed %q, route ran %d times, body %s; want the request to run again",
				res.StatusCode, res.Headers["Idempotent-Replayed"], calls, res.Body)
		}
		if again := do(t, h, ev); again.Headers["Idempotent-Replayed"] != "true" || again.Body != res.Body || calls != 2 {
			t.Fatalf("after the retry succeeded: replayed %q, body %s, route ran %d times; want its answer replayed",
				again.Headers["Idempotent-Replayed"], again.Body, calls)
		}
	})

	t.Run("WithoutKeyRunsEveryTime", func(t *testing.T) {
		admin := f.newAdmin()
		for range 2 {
			res, m := doMetered(t, f.customers, event("POST /v1/customers", "/v1/customers", admin, body))
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("status %d, body %s", res.StatusCode, res.Body)
			}
			if got := ddbtest.Writes(m); len(got) != 1 {
				t.Fatalf("DynamoDB writes = %v, want one (the customer; no idempotency record)", got)
			}
		}
		if got, want := customersOf(t, admin), 2; got != want {
			t.Fatalf("customers = %d, want %d", got, want)
		}
	})
}

// A new API key's secret is shown once: it is never stored for replays.
func TestIdempotentKeyIssueNeverStoresTheSecret(t *testing.T) {
	f := newFixture(t)
	issue := func() events.APIGatewayV2HTTPResponse {
		ev := event("POST /v1/users/{userId}/api-keys", "/v1/users/"+ddbtest.AdminA.UserID+"/api-keys", &ddbtest.AdminA, `{"name":"ci"}`)
		ev.PathParameters = map[string]string{"userId": ddbtest.AdminA.UserID}
		ev.Headers["Idempotency-Key"] = "issue-1"
		return do(t, f.users, ev)
	}
	first := issue()
	var k APIKeyJSON
	decodeBody(t, first, &k)
	if first.StatusCode != http.StatusCreated || !strings.HasPrefix(k.Key, "pp_") {
		t.Fatalf("first: %d %s", first.StatusCode, first.Body)
	}
	replay := issue()
	if replay.StatusCode != http.StatusConflict || strings.Contains(replay.Body, k.Key) || !strings.Contains(replay.Body, k.ID) {
		t.Fatalf("replay: %d %s; want 409 naming %s without the secret", replay.StatusCode, replay.Body, k.ID)
	}
	prior, err := f.store.ReserveIdempotencyKey(context.Background(), ddbtest.AdminA.PartnerID+"#"+ddbtest.AdminA.UserID, "issue-1", "x", ddbtest.Now)
	if err != nil || prior == nil || strings.Contains(prior.Response.Body, k.Key) {
		t.Fatalf("stored record %+v, %v: the secret must not be stored", prior, err)
	}
}

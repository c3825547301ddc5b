package httpapi

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

func TestIdempotency(t *testing.T) {
	post := func(t *testing.T, f *customersFixture, id *tenancy.Identity, key, body string) events.APIGatewayV2HTTPResponse {
		t.Helper()
		ev := event("POST /v1/customers", "/v1/customers", id, body)
		if key != "" {
			ev.Headers["Idempotency-Key"] = key
		}
		return do(t, f.h, ev)
	}
	const body = `{"name":"Acme","contactEmail":"ops@acme.example"}`

	t.Run("SameKeySameBodyReplaysFirstResult", func(t *testing.T) {
		f := newCustomersFixture()
		first := post(t, f, &adminA, "k-1", body)
		if first.StatusCode != http.StatusCreated {
			t.Fatalf("first: status %d, body %s", first.StatusCode, first.Body)
		}
		again := post(t, f, &adminA, "k-1", "{\n  \"contactEmail\": \"ops@acme.example\",\n  \"name\": \"Acme\"\n}")
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
		if got, want := f.store.writes, 1; got != want {
			t.Fatalf("writes = %d, want %d: the replay must not create another customer", got, want)
		}
	})

	t.Run("SameKeyOtherBodyIs422", func(t *testing.T) {
		f := newCustomersFixture()
		post(t, f, &adminA, "k-1", body)
		p := problem(t, post(t, f, &adminA, "k-1", `{"name":"Other","contactEmail":"ops@acme.example"}`), http.StatusUnprocessableEntity)
		if got, want := p.Code, portal.EIDEMPOTENCY; got != want {
			t.Fatalf("code = %q, want %q", got, want)
		}
		if f.store.writes != 1 {
			t.Fatalf("writes = %d, want 1", f.store.writes)
		}
	})

	t.Run("SameKeyOtherPathIs422", func(t *testing.T) {
		f := newCustomersFixture()
		res := post(t, f, &adminA, "k-1", body)
		var c CustomerJSON
		decodeBody(t, res, &c)
		ev := event("POST /v1/customers/{customerId}/suspend", "/v1/customers/"+c.ID+"/suspend", &adminA, "")
		ev.Headers["Idempotency-Key"] = "k-1"
		problem(t, do(t, f.h, ev), http.StatusUnprocessableEntity)
	})

	t.Run("KeysAreScopedByCaller", func(t *testing.T) {
		f := newCustomersFixture()
		post(t, f, &adminA, "k-1", body)
		res := post(t, f, &adminB, "k-1", `{"name":"Other","contactEmail":"ops@other.example"}`)
		if res.StatusCode != http.StatusCreated || res.Headers["Idempotent-Replayed"] != "" {
			t.Fatalf("another partner's request with the same key: status %d, replayed %q", res.StatusCode, res.Headers["Idempotent-Replayed"])
		}
	})

	t.Run("StillRunningIs409", func(t *testing.T) {
		f := newCustomersFixture()
		f.idem.recs[partnerA+"#"+adminA.UserID+"|k-1"] = &portal.IdempotencyRecord{Fingerprint: fingerprint(&Request{Method: "POST", Path: "/v1/customers", Body: []byte(body)})}
		p := problem(t, post(t, f, &adminA, "k-1", body), http.StatusConflict)
		if got, want := p.Code, portal.ECONFLICT; got != want {
			t.Fatalf("code = %q, want %q", got, want)
		}
		if f.store.writes != 0 {
			t.Fatalf("writes = %d, want 0", f.store.writes)
		}
	})

	t.Run("BadKeyIs400", func(t *testing.T) {
		f := newCustomersFixture()
		for _, key := range []string{"ключ", "a\tb", string(make([]byte, 256))} {
			p := problem(t, post(t, f, &adminA, key, body), http.StatusBadRequest)
			if _, ok := fieldReasons(p)["Idempotency-Key"]; !ok {
				t.Fatalf("key %q: errors = %v, want Idempotency-Key", key, p.Errors)
			}
		}
		if f.store.writes != 0 || len(f.idem.recs) != 0 {
			t.Fatalf("writes = %d, keys = %d; want nothing stored", f.store.writes, len(f.idem.recs))
		}
	})

	t.Run("ServerErrorReleasesKey", func(t *testing.T) {
		idem := newMemIdempotency()
		calls := 0
		h := NewHandler(map[string]Route{
			"POST /v1/things": func(context.Context, *Request) (Response, error) {
				calls++
				if calls == 1 {
					return Response{}, errors.New("throttled")
				}
				return JSON(http.StatusCreated, map[string]int{"n": calls}), nil
			},
		}, idem, testClock)
		quiet(h)
		ev := event("POST /v1/things", "/v1/things", &adminA, `{}`)
		ev.Headers["Idempotency-Key"] = "k-1"
		problem(t, do(t, h, ev), http.StatusInternalServerError)
		if idem.releases != 1 {
			t.Fatalf("releases = %d, want 1", idem.releases)
		}
		if res := do(t, h, ev); res.StatusCode != http.StatusCreated {
			t.Fatalf("retry after a 500: status %d, body %s; want the request to run again", res.StatusCode, res.Body)
		}
	})

	t.Run("WithoutKeyRunsEveryTime", func(t *testing.T) {
		f := newCustomersFixture()
		post(t, f, &adminA, "", body)
		post(t, f, &adminA, "", body)
		if f.store.writes != 2 || len(f.idem.recs) != 0 {
			t.Fatalf("writes = %d, keys = %d; want 2, 0", f.store.writes, len(f.idem.recs))
		}
	})
}

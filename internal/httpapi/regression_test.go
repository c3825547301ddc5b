package httpapi

// Regression specifications: each pins a defect found in review and fixed,
// so that it cannot come back.

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/portal"
)

// A panicking POST with an Idempotency-Key answers 500 and releases the key,
// like any other 500; today the key stays reserved and every retry gets 409
// "still being processed" until the record expires (24 h).
func TestPanicReleasesIdempotencyKey(t *testing.T) {
	calls := 0
	h := NewHandler(map[string]Route{
		"POST /v1/things": func(context.Context, *Request) (Response, error) {
			calls++
			if calls == 1 {
				panic("boom")
			}
			return JSON(http.StatusCreated, map[string]int{"n": calls}), nil
		},
	}, ddbtest.NewStore(t), ddbtest.Clock)
	quiet(h)
	ev := event("POST /v1/things", "/v1/things", &ddbtest.AdminA, `{}`)
	ev.Headers["Idempotency-Key"] = "k-1"
	problem(t, do(t, h, ev), http.StatusInternalServerError)
	if res := do(t, h, ev); res.StatusCode != http.StatusCreated {
		t.Fatalf("retry after a panic: status %d, body %s; want 201", res.StatusCode, res.Body)
	}
}

// An error whose code has no status is answered 500; it must be logged with
// the request ID like any other internal error.
func TestUnmappedCodeIsLogged(t *testing.T) {
	h := NewHandler(map[string]Route{
		"GET /v1/x": func(context.Context, *Request) (Response, error) {
			return Response{}, portal.Errorf("rate_limited", "detail only in the log")
		},
	}, nil, ddbtest.Clock)
	logs := quiet(h)
	ev := event("GET /v1/x", "/v1/x", &ddbtest.AdminA, "")
	problem(t, do(t, h, ev), http.StatusInternalServerError)
	if !strings.Contains(logs.String(), "detail only in the log") || !strings.Contains(logs.String(), ev.RequestContext.RequestID) {
		t.Fatalf("the 500 was not logged with its details and request ID; log: %q", logs)
	}
}

// A JSON null body is not a JSON object.
func TestDecodeNullBodyIsNotAnObject(t *testing.T) {
	var in portal.CustomerInput
	err := decodeJSON([]byte("null"), &in)
	if got, want := portal.ErrorCode(err), portal.EINVALID; got != want {
		t.Fatalf("decodeJSON(null) code = %q, want %q", got, want)
	}
}

// The authentication scheme is case-insensitive (RFC 9110 §11.1): "bearer"
// and "BEARER" name the same scheme as "Bearer".
func TestAuthorizerSchemeIsCaseInsensitive(t *testing.T) {
	a, _ := newAuthorizer(t)
	for _, scheme := range []string{"bearer", "BEARER"} {
		res, err := a.Handle(context.Background(), authRequest(scheme+" "+testKeySecret))
		if err != nil || !res.IsAuthorized {
			t.Errorf("%s <valid key>: authorized = %v, err = %v; want authorized", scheme, res.IsAuthorized, err)
		}
	}
}

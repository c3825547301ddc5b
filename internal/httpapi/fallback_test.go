package httpapi

import (
	"github.com/partnerportal/portal/internal/ddbtest"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/portal"
)

func TestFallback(t *testing.T) {
	h := NewFallback(app.Declaration(), ddbtest.Clock)
	quiet(h)
	fallback := func(method, path string) events.APIGatewayV2HTTPResponse {
		ev := event(app.DefaultRoute, path, nil, "")
		ev.RequestContext.HTTP.Method = method
		return do(t, h, ev)
	}

	t.Run("KnownPathWrongMethodIs405WithAllow", func(t *testing.T) {
		for _, tc := range []struct{ method, path, allow string }{
			{"PUT", "/v1/customers", "GET, POST"},
			{"GET", "/v1/customers/cus_01ARZ3NDEKTSV4RRFFQ69G5FAV/suspend", "POST"},
			{"POST", "/v1/customers/cus_01ARZ3NDEKTSV4RRFFQ69G5FAV", "DELETE, GET, PATCH"},
			{"GET", "/v1/partners", "POST"},
			{"DELETE", "/v1/users", "GET, POST"},
		} {
			res := fallback(tc.method, tc.path)
			p := problem(t, res, http.StatusMethodNotAllowed)
			if got, want := res.Headers["Allow"], tc.allow; got != want {
				t.Fatalf("%s %s: Allow = %q, want %q", tc.method, tc.path, got, want)
			}
			if got, want := p.Code, portal.EMETHOD; got != want {
				t.Fatalf("%s %s: code = %q, want %q", tc.method, tc.path, got, want)
			}
		}
	})

	t.Run("UnknownPathIs404", func(t *testing.T) {
		for _, path := range []string{"/v1/nothing", "/", "/v1/customers/cus_1/licenses/x/y", "/v2/customers"} {
			res := fallback("GET", path)
			p := problem(t, res, http.StatusNotFound)
			if p.Code != portal.ENOTFOUND || res.Headers["Allow"] != "" {
				t.Fatalf("GET %s: code %q, Allow %q; want not_found without Allow", path, p.Code, res.Headers["Allow"])
			}
		}
	})

	t.Run("NeedsNoIdentity", func(t *testing.T) {
		ev := event(app.DefaultRoute, "/v1/customers", nil, "")
		ev.RequestContext.HTTP.Method = "PUT"
		ev.Headers["Idempotency-Key"] = "k-1"
		problem(t, do(t, h, ev), http.StatusMethodNotAllowed)
	})
}

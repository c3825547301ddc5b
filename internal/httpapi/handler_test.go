package httpapi

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/partnerportal/portal/internal/ddbtest"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

func TestHandler(t *testing.T) {
	f := newFixture(t)

	t.Run("UnknownRouteKeyIs404", func(t *testing.T) {
		res := do(t, f.customers, event("GET /v1/partners", "/v1/partners", &ddbtest.AdminA, ""))
		p := problem(t, res, http.StatusNotFound)
		if got, want := p.Code, portal.ENOTFOUND; got != want {
			t.Fatalf("code = %q, want %q", got, want)
		}
	})

	t.Run("ProblemDocument", func(t *testing.T) {
		ev := event("POST /v1/customers", "/v1/customers", &ddbtest.AdminA, `{"name":"","contactEmail":"x"}`)
		res, m := doMetered(t, f.customers, ev)
		p := problem(t, res, http.StatusBadRequest)
		if got, want := p.Type, "urn:partner-portal:problem:invalid"; got != want {
			t.Fatalf("type = %q, want %q", got, want)
		}
		if got, want := p.Title, "Bad Request"; got != want {
			t.Fatalf("title = %q, want %q", got, want)
		}
		if got, want := p.Code, portal.EINVALID; got != want {
			t.Fatalf("code = %q, want %q", got, want)
		}
		if got, want := p.Instance, "/v1/customers"; got != want {
			t.Fatalf("instance = %q, want %q", got, want)
		}
		if got, want := p.RequestID, ev.RequestContext.RequestID; got != want {
			t.Fatalf("requestId = %q, want %q", got, want)
		}
		if got, want := res.Headers["X-Request-Id"], ev.RequestContext.RequestID; got != want {
			t.Fatalf("X-Request-Id = %q, want %q", got, want)
		}
		errs := fieldReasons(p)
		if _, ok := errs["name"]; !ok {
			t.Fatalf("errors = %v, want name", errs)
		}
		if _, ok := errs["contactEmail"]; !ok {
			t.Fatalf("errors = %v, want contactEmail", errs)
		}
		wantNoWrites(t, m)
	})

	t.Run("BadBodyReportedThroughRoute", func(t *testing.T) {
		for _, tc := range []struct{ body, field, reason string }{
			{`{"name": 1, "extra": true}`, "extra", "is not a known field"},
			{`{"name": 1, "extra": true}`, "name", "must be a string"},
			{`{"name":`, "body", "is not valid JSON"},
			{`[]`, "body", "must be a JSON object"},
			{``, "body", "a JSON object is required"},
		} {
			res, m := doMetered(t, f.customers, event("POST /v1/customers", "/v1/customers", &ddbtest.AdminA, tc.body))
			p := problem(t, res, http.StatusBadRequest)
			if reason := fieldReasons(p)[tc.field]; !strings.HasPrefix(reason, tc.reason) {
				t.Fatalf("%s: %s reason = %q, want %q", tc.body, tc.field, reason, tc.reason)
			}
			wantNoWrites(t, m)
		}
	})

	t.Run("Base64Body", func(t *testing.T) {
		ev := event("POST /v1/customers", "/v1/customers", &ddbtest.AdminA, base64.StdEncoding.EncodeToString([]byte(`{"name":"Acme","contactEmail":"ops@acme.example"}`)))
		ev.IsBase64Encoded = true
		res := do(t, f.customers, ev)
		if got, want := res.StatusCode, http.StatusCreated; got != want {
			t.Fatalf("status = %d, want %d; body %s", got, want, res.Body)
		}
		var c CustomerJSON
		decodeBody(t, res, &c)
		if got, want := c.Name, "Acme"; got != want {
			t.Fatalf("name = %q, want %q", got, want)
		}
	})

	t.Run("InvalidBase64Is400", func(t *testing.T) {
		ev := event("POST /v1/customers", "/v1/customers", &ddbtest.AdminA, "not base64!")
		ev.IsBase64Encoded = true
		problem(t, do(t, f.customers, ev), http.StatusBadRequest)
	})

	t.Run("BodyOver256KiBIs413", func(t *testing.T) {
		big := `{"name":"` + strings.Repeat("a", MaxBodyBytes) + `"}`
		res, m := doMetered(t, f.customers, event("POST /v1/customers", "/v1/customers", &ddbtest.AdminA, big))
		p := problem(t, res, http.StatusRequestEntityTooLarge)
		if got, want := p.Code, portal.ETOOLARGE; got != want {
			t.Fatalf("code = %q, want %q", got, want)
		}
		wantNoWrites(t, m)

		ev := event("POST /v1/customers", "/v1/customers", &ddbtest.AdminA, base64.StdEncoding.EncodeToString([]byte(big)))
		ev.IsBase64Encoded = true
		res, m = doMetered(t, f.customers, ev)
		problem(t, res, http.StatusRequestEntityTooLarge)
		wantNoWrites(t, m)
	})

	t.Run("BodyOfExactly256KiBIsRead", func(t *testing.T) {
		body := `{"name":"Acme","contactEmail":"ops@acme.example"}`
		body += strings.Repeat(" ", MaxBodyBytes-len(body))
		res := do(t, f.customers, event("POST /v1/customers", "/v1/customers", &ddbtest.AdminA, body))
		if got, want := res.StatusCode, http.StatusCreated; got != want {
			t.Fatalf("status = %d, want %d; body %s", got, want, res.Body)
		}
	})

	t.Run("InternalErrorHidesDetails", func(t *testing.T) {
		h := NewHandler(map[string]Route{
			"GET /v1/boom": func(context.Context, *Request) (Response, error) {
				return Response{}, fmt.Errorf("query table secret-table: %w", errors.New("AccessDeniedException: arn:aws:iam::123456789012"))
			},
			"GET /v1/unmapped": func(context.Context, *Request) (Response, error) {
				return Response{}, portal.Errorf(portal.EINTERNAL, "store said arn:aws:iam::123456789012")
			},
			"GET /v1/panic": func(context.Context, *Request) (Response, error) {
				panic("nil map in arn:aws:iam::123456789012")
			},
		}, nil, ddbtest.Clock)
		logs := quiet(h)
		for _, path := range []string{"/v1/boom", "/v1/unmapped", "/v1/panic"} {
			ev := event("GET "+path, path, &ddbtest.AdminA, "")
			res := do(t, h, ev)
			p := problem(t, res, http.StatusInternalServerError)
			if strings.Contains(res.Body, "arn:aws") || strings.Contains(res.Body, "secret-table") {
				t.Fatalf("%s: the answer leaks internal details: %s", path, res.Body)
			}
			if got, want := p.Code, portal.EINTERNAL; got != want {
				t.Fatalf("%s: code = %q, want %q", path, got, want)
			}
			if got, want := p.RequestID, ev.RequestContext.RequestID; got != want || got == "" {
				t.Fatalf("%s: requestId = %q, want %q", path, got, want)
			}
			if !strings.Contains(p.Detail, "request ID") {
				t.Fatalf("%s: detail = %q, want it to ask for the request ID", path, p.Detail)
			}
			if p.Errors != nil {
				t.Fatalf("%s: errors = %v, want none", path, p.Errors)
			}
			if !strings.Contains(logs.String(), ev.RequestContext.RequestID) || !strings.Contains(logs.String(), "arn:aws") {
				t.Fatalf("%s: the details were not logged with the request ID: %s", path, logs)
			}
		}
	})

	t.Run("StatusPerCode", func(t *testing.T) {
		for code, status := range map[string]int{
			portal.EINVALID: 400, portal.EUNAUTHORIZED: 401, portal.EFORBIDDEN: 403, portal.ENOTFOUND: 404,
			portal.EMETHOD: 405, portal.ECONFLICT: 409, portal.EPRECONDITION: 412, portal.ETOOLARGE: 413,
			portal.EIDEMPOTENCY: 422, portal.EUNAVAILABLE: 503, portal.EINTERNAL: 500, "no_such_code": 500,
		} {
			res := problemFor(fmt.Errorf("wrapped: %w", portal.Errorf(code, "message")), "/p", "r")
			if res.Status != status {
				t.Fatalf("code %s: status = %d, want %d", code, res.Status, status)
			}
		}
	})

	t.Run("Unauthenticated", func(t *testing.T) {
		p := problem(t, do(t, f.customers, event("GET /v1/customers", "/v1/customers", nil, "")), http.StatusUnauthorized)
		if got, want := p.Code, portal.EUNAUTHORIZED; got != want {
			t.Fatalf("code = %q, want %q", got, want)
		}
		bad := ddbtest.AdminA
		bad.PartnerID = ""
		problem(t, do(t, f.customers, event("GET /v1/customers", "/v1/customers", &bad, "")), http.StatusUnauthorized)
	})
}

func TestCustomersRoutes(t *testing.T) {
	f := newFixture(t)
	// create makes a customer as id through the API.
	create := func(t *testing.T, id *tenancy.Identity) CustomerJSON {
		t.Helper()
		res := do(t, f.customers, event("POST /v1/customers", "/v1/customers", id, `{"name":"Acme","contactEmail":"ops@acme.example"}`))
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("create: status %d, body %s", res.StatusCode, res.Body)
		}
		var c CustomerJSON
		decodeBody(t, res, &c)
		if got, want := res.Headers["Location"], "/v1/customers/"+c.ID; got != want {
			t.Fatalf("Location = %q, want %q", got, want)
		}
		if got, want := res.Headers["ETag"], `"1"`; got != want {
			t.Fatalf("ETag = %q, want %q", got, want)
		}
		if got, want := res.Headers["Content-Type"], "application/json"; got != want {
			t.Fatalf("Content-Type = %q, want %q", got, want)
		}
		return c
	}

	t.Run("AnotherPartnersCustomerIs404Never403", func(t *testing.T) {
		c := create(t, &ddbtest.AdminA)
		path := "/v1/customers/" + c.ID
		for _, ev := range []struct{ key, body string }{
			{"GET /v1/customers/{customerId}", ""},
			{"PATCH /v1/customers/{customerId}", `{"name":"Mine"}`},
			{"DELETE /v1/customers/{customerId}", ""},
			{"POST /v1/customers/{customerId}/suspend", ""},
			{"POST /v1/customers/{customerId}/resume", ""},
		} {
			p := ev.key[strings.Index(ev.key, " ")+1:]
			p = strings.Replace(p, "/v1/customers/{customerId}", path, 1)
			res, m := doMetered(t, f.customers, event(ev.key, p, &ddbtest.AdminB, ev.body))
			pr := problem(t, res, http.StatusNotFound)
			if pr.Code != portal.ENOTFOUND {
				t.Fatalf("%s: code = %q, want %q", ev.key, pr.Code, portal.ENOTFOUND)
			}
			wantNoWrites(t, m)
		}
		problem(t, do(t, f.customers, event("GET /v1/customers/{customerId}", path, &ddbtest.MemberA, "")), http.StatusNotFound)
		problem(t, do(t, f.customers, event("GET /v1/customers/{customerId}", "/v1/customers/cus_nope", &ddbtest.AdminA, "")), http.StatusNotFound)
	})

	t.Run("IfMatch", func(t *testing.T) {
		c := create(t, &ddbtest.AdminA)
		path := "/v1/customers/" + c.ID
		patch := func(ifMatch, body string) events.APIGatewayV2HTTPResponse {
			ev := event("PATCH /v1/customers/{customerId}", path, &ddbtest.AdminA, body)
			if ifMatch != "" {
				ev.Headers["if-match"] = ifMatch
			}
			return do(t, f.customers, ev)
		}
		res := patch(`"1"`, `{"name":"Acme 2"}`)
		if res.StatusCode != http.StatusOK || res.Headers["ETag"] != `"2"` {
			t.Fatalf("PATCH If-Match \"1\": status %d, ETag %q; body %s", res.StatusCode, res.Headers["ETag"], res.Body)
		}
		problem(t, patch(`"1"`, `{"name":"Acme 3"}`), http.StatusPreconditionFailed)
		p := problem(t, patch(`abc`, `{"name":"Acme 3"}`), http.StatusBadRequest)
		if _, ok := fieldReasons(p)["If-Match"]; !ok {
			t.Fatalf("errors = %v, want If-Match", p.Errors)
		}
		if res := patch(`W/"2"`, `{"name":"Acme 3"}`); res.StatusCode != http.StatusOK {
			t.Fatalf("PATCH If-Match W/\"2\": status %d, body %s", res.StatusCode, res.Body)
		}
	})

	t.Run("ActionsTakeNoBody", func(t *testing.T) {
		c := create(t, &ddbtest.AdminA)
		path := "/v1/customers/" + c.ID + "/suspend"
		res, m := doMetered(t, f.customers, event("POST /v1/customers/{customerId}/suspend", path, &ddbtest.AdminA, `{"reason":"x"}`))
		p := problem(t, res, http.StatusBadRequest)
		if _, ok := fieldReasons(p)["body"]; !ok {
			t.Fatalf("errors = %v, want body", p.Errors)
		}
		wantNoWrites(t, m)
		res = do(t, f.customers, event("POST /v1/customers/{customerId}/suspend", path, &ddbtest.AdminA, `{}`))
		var got CustomerJSON
		decodeBody(t, res, &got)
		if res.StatusCode != http.StatusOK || got.Status != "suspended" {
			t.Fatalf("suspend: status %d, customer status %q", res.StatusCode, got.Status)
		}
		res = do(t, f.customers, event("POST /v1/customers/{customerId}/resume", "/v1/customers/"+c.ID+"/resume", &ddbtest.AdminA, ""))
		decodeBody(t, res, &got)
		if res.StatusCode != http.StatusOK || got.Status != "active" {
			t.Fatalf("resume: status %d, customer status %q", res.StatusCode, got.Status)
		}
	})

	t.Run("ListQueryParameters", func(t *testing.T) {
		admin := f.newAdmin()
		one := create(t, admin)
		for range 2 {
			create(t, admin)
		}
		list := func(q map[string]string) events.APIGatewayV2HTTPResponse {
			ev := event("GET /v1/customers", "/v1/customers", admin, "")
			ev.QueryStringParameters = q
			return do(t, f.customers, ev)
		}
		p := problem(t, list(map[string]string{"colour": "red", "limit": "abc"}), http.StatusBadRequest)
		if reason := fieldReasons(p)["colour"]; !strings.Contains(reason, "not a known query parameter") {
			t.Fatalf("colour reason = %q", reason)
		}
		get := event("GET /v1/customers/{customerId}", "/v1/customers/"+one.ID, admin, "")
		get.PathParameters = map[string]string{"customerId": one.ID}
		get.QueryStringParameters = map[string]string{"expand": "licenses"}
		p = problem(t, do(t, f.customers, get), http.StatusBadRequest)
		if reason := fieldReasons(p)["expand"]; !strings.Contains(reason, "takes none") {
			t.Fatalf("a query parameter on a route that takes none: reason %q", reason)
		}
		p = problem(t, list(map[string]string{"status": "deleted"}), http.StatusBadRequest)
		if got, want := fieldReasons(p)["status"], "must be one of: active, trial, suspended, archived"; got != want {
			t.Fatalf("status reason = %q, want %q", got, want)
		}

		res := list(map[string]string{"limit": "2"})
		var page struct {
			Items      []CustomerJSON `json:"items"`
			NextCursor string         `json:"nextCursor"`
		}
		decodeBody(t, res, &page)
		if len(page.Items) != 2 || page.NextCursor == "" {
			t.Fatalf("page = %+v, want 2 items and a cursor", page)
		}
		p = problem(t, list(map[string]string{"limit": "2", "status": "trial", "cursor": page.NextCursor}), http.StatusBadRequest)
		if _, ok := fieldReasons(p)["cursor"]; !ok {
			t.Fatalf("errors = %v, want cursor", p.Errors)
		}
		ev := event("GET /v1/customers", "/v1/customers", &ddbtest.AdminB, "")
		ev.QueryStringParameters = map[string]string{"limit": "2", "cursor": page.NextCursor}
		p = problem(t, do(t, f.customers, ev), http.StatusBadRequest)
		if _, ok := fieldReasons(p)["cursor"]; !ok {
			t.Fatalf("errors = %v, want cursor", p.Errors)
		}
		res = list(map[string]string{"limit": "2", "cursor": page.NextCursor})
		page.Items, page.NextCursor = nil, ""
		decodeBody(t, res, &page)
		if len(page.Items) != 1 || page.NextCursor != "" {
			t.Fatalf("second page = %+v, want 1 item and no cursor", page)
		}
	})

	t.Run("EmptyListIsArray", func(t *testing.T) {
		// A member sees no customers yet; a new partner has none.
		for _, id := range []*tenancy.Identity{&ddbtest.MemberA, f.newAdmin()} {
			res := do(t, f.customers, event("GET /v1/customers", "/v1/customers", id, ""))
			if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, `"items":[]`) {
				t.Fatalf("%s: status %d, body %s; want 200 with \"items\":[]", id.Role, res.StatusCode, res.Body)
			}
		}
	})
}

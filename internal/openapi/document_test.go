package openapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/partnerportal/portal/internal/openapi"
	"github.com/partnerportal/portal/internal/portal"
)

// (c) The document is a valid OpenAPI 3.1 document, with what every
// operation of this API needs: an ID, a summary, the function's tag, and
// bearer authentication.
func TestTheDocumentIsValidOpenAPI31(t *testing.T) {
	d := document(t)
	if d.T.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", d.T.OpenAPI)
	}
	if err := d.Validate(context.Background()); err != nil {
		t.Fatalf("the document breaks the OpenAPI 3.1 rules: %v", err)
	}
	if d.T.Info == nil || d.T.Info.Title == "" || d.T.Info.Version == "" {
		t.Errorf("info needs a title and a version")
	}
	if !slices.ContainsFunc(d.T.Servers, func(s *openapi3.Server) bool { return s.URL == "http://127.0.0.1:3000" }) {
		t.Errorf("servers lack http://127.0.0.1:3000 (make run)")
	}
	scheme := d.T.Components.SecuritySchemes["bearerAuth"]
	if scheme == nil || scheme.Value == nil || scheme.Value.Type != "http" || !strings.EqualFold(scheme.Value.Scheme, "bearer") {
		t.Fatalf("components.securitySchemes.bearerAuth must be an http bearer scheme")
	}
	cookie := d.T.Components.SecuritySchemes["sessionCookie"]
	if cookie == nil || cookie.Value == nil || cookie.Value.Type != "apiKey" || cookie.Value.In != "cookie" || cookie.Value.Name != "__Host-pp_session" {
		t.Fatalf("components.securitySchemes.sessionCookie must be an apiKey in the cookie __Host-pp_session")
	}
	if len(d.T.Security) != 2 || d.T.Security[0]["bearerAuth"] == nil || d.T.Security[1]["sessionCookie"] == nil {
		t.Errorf("the document must require bearerAuth or sessionCookie on every operation (top-level security)")
	}
	ids := map[string]string{}
	routes := declaredRoutes()
	public := publicRoutes()
	for _, key := range d.Routes() {
		method, path, _ := strings.Cut(key, " ")
		op, _ := d.Operation(method, path)
		switch {
		case public[key] && (op.Security == nil || len(*op.Security) != 0):
			t.Errorf("%s is public (app declaration): it must say security: []", key)
		case !public[key] && op.Security != nil:
			t.Errorf("%s overrides the credentials requirement", key)
		}
		if op.OperationID == "" || op.Summary == "" {
			t.Errorf("%s needs an operationId and a summary", key)
		}
		if other, dup := ids[op.OperationID]; dup {
			t.Errorf("operationId %s is used by %s and %s", op.OperationID, other, key)
		}
		ids[op.OperationID] = key
		if fn, ok := routes[key]; ok && !slices.Equal(op.Tags, []string{fn}) {
			t.Errorf("%s is tagged %v, want [%s] (the function that serves it)", key, op.Tags, fn)
		}
	}
}

// (a) Every route of the route table is documented, and nothing else is.
func TestEveryDeclaredRouteIsDocumentedAndNoOther(t *testing.T) {
	d := document(t)
	declared := declaredRoutes()
	documented := d.Routes()
	for key := range declared {
		if !slices.Contains(documented, key) {
			t.Errorf("route %s (function %s) is not documented in %s", key, declared[key], openapi.DocumentFile)
		}
	}
	for _, key := range documented {
		if _, ok := declared[key]; !ok {
			t.Errorf("%s documents %s, which no function declares", openapi.DocumentFile, key)
		}
	}
	if len(declared) == 0 || len(documented) != len(declared) {
		t.Errorf("documented %d routes, declared %d", len(documented), len(declared))
	}
	// The unknown-route answers of the $default fallback are documented too.
	for _, name := range []string{"RouteNotFound", "MethodNotAllowed"} {
		if d.T.Components.Responses[name] == nil {
			t.Errorf("components.responses.%s (the $default fallback's answer) is missing", name)
		}
	}
}

// Path parameters: each {name} of a path is a required path parameter of
// each of its operations, and no other path parameter is.
func TestPathParametersMatchTheirTemplates(t *testing.T) {
	d := document(t)
	brace := regexp.MustCompile(`\{([^}]+)\}`)
	for _, key := range d.Routes() {
		method, path, _ := strings.Cut(key, " ")
		op, _ := d.Operation(method, path)
		var want, got []string
		for _, m := range brace.FindAllStringSubmatch(path, -1) {
			want = append(want, m[1])
		}
		for _, p := range append(d.T.Paths.Value(path).Parameters, op.Parameters...) {
			if p.Value.In == openapi3.ParameterInPath {
				got = append(got, p.Value.Name)
				if !p.Value.Required || p.Value.Schema == nil {
					t.Errorf("%s: path parameter %s must be required and have a schema", key, p.Value.Name)
				}
			}
			if p.Value.Schema == nil {
				t.Errorf("%s: parameter %s has no schema", key, p.Value.Name)
			}
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			t.Errorf("%s: path parameters %v, want %v", key, got, want)
		}
	}
}

// problemCodes is the error code of each status (internal/httpapi/problem.go).
var problemCodes = map[int]string{
	400: portal.EINVALID, 401: portal.EUNAUTHORIZED, 403: portal.EFORBIDDEN, 404: portal.ENOTFOUND,
	405: portal.EMETHOD, 409: portal.ECONFLICT, 412: portal.EPRECONDITION, 413: portal.ETOOLARGE,
	422: portal.EIDEMPOTENCY, 429: portal.ETOOMANY, 500: portal.EINTERNAL, 503: portal.EUNAVAILABLE,
}

func problemBody(status int, code string) []byte {
	b, _ := json.Marshal(map[string]any{
		"type": "urn:partner-portal:problem:" + code, "title": http.StatusText(status), "status": status,
		"detail": "something", "instance": "/v1/x", "code": code, "requestId": "req-1",
	})
	return b
}

// (b) Every operation documents a success with its schema and the problem
// responses it can return: 401, 403 and 500 everywhere; 400 and 413 where
// a body or query parameters are read; 400, 409 and 422 for the
// Idempotency-Key of every POST; 404 with path parameters; 412 with
// If-Match. Each problem response is application/problem+json whose schema
// admits that status's problem and no other's.
func TestEveryOperationDocumentsItsSuccessAndProblems(t *testing.T) {
	d := document(t)
	for _, key := range d.Routes() {
		method, path, _ := strings.Cut(key, " ")
		op, _ := d.Operation(method, path)
		statuses := map[int]bool{}
		success := 0
		for _, k := range op.Responses.Keys() {
			st, err := strconv.Atoi(k)
			if err != nil {
				t.Errorf("%s: response %q: name each status", key, k)
				continue
			}
			statuses[st] = true
			res := op.Responses.Value(k).Value
			if st >= 200 && st < 300 {
				success++
				if st == http.StatusNoContent {
					if len(res.Content) != 0 {
						t.Errorf("%s: 204 must have no content", key)
					}
				} else if len(res.Content) == 0 || res.Content.Get("application/json") == nil && res.Content.Get("text/html") == nil {
					t.Errorf("%s: %d has no JSON content", key, st)
				}
				for _, mt := range res.Content {
					if mt.Schema == nil {
						t.Errorf("%s: %d has a media type without a schema", key, st)
					}
				}
				continue
			}
			mt := res.Content.Get("application/problem+json")
			if mt == nil || mt.Schema == nil || len(res.Content) != 1 {
				t.Errorf("%s: %d must be application/problem+json with a schema", key, st)
				continue
			}
			code, known := problemCodes[st]
			if !known {
				t.Errorf("%s: %d is not a status the API answers", key, st)
				continue
			}
			if err := d.ValidateResponse(method, path, st, "application/problem+json", problemBody(st, code)); err != nil {
				// POST /v1/schedules answers 404 and 503 only with every customer's outcome.
				var m map[string]any
				_ = json.Unmarshal(problemBody(st, code), &m)
				m["items"] = []any{}
				withItems, _ := json.Marshal(m)
				if d.ValidateResponse(method, path, st, "application/problem+json", withItems) != nil {
					t.Errorf("%s: a %d problem does not validate: %v", key, st, err)
				}
			}
			for other, otherCode := range problemCodes {
				if other != st && d.ValidateResponse(method, path, st, "application/problem+json", problemBody(other, otherCode)) == nil {
					t.Errorf("%s: the %d response admits a %d problem (%s)", key, st, other, otherCode)
				}
			}
		}
		if success == 0 {
			t.Errorf("%s documents no 2xx response", key)
		}
		want := []int{401, 403, 500}
		public := publicRoutes()[key]
		if public {
			// Served without credentials: no 401 or 403 for want of them, and
			// no Idempotency-Key (its records are kept per caller).
			want = []int{500}
		}
		hasQuery, hasPath, hasIfMatch, hasIdem := false, false, false, false
		for _, p := range op.Parameters {
			switch {
			case p.Value.In == "query":
				hasQuery = true
			case p.Value.In == "path":
				hasPath = true
			case p.Value.In == "header" && p.Value.Name == "If-Match":
				hasIfMatch = true
			case p.Value.In == "header" && p.Value.Name == "Idempotency-Key":
				hasIdem = true
			}
		}
		if method == http.MethodPost && !public {
			if !hasIdem {
				t.Errorf("%s: every POST takes Idempotency-Key", key)
			}
			want = append(want, 400, 409, 413, 422)
		}
		if op.RequestBody != nil {
			want = append(want, 400, 413)
		}
		if hasQuery && !strings.HasSuffix(key, "/licenses") {
			want = append(want, 400)
		}
		if hasPath {
			want = append(want, 404)
		}
		if hasIfMatch {
			want = append(want, 400, 412)
		}
		for _, st := range want {
			if !statuses[st] {
				t.Errorf("%s does not document %d", key, st)
			}
		}
	}
}

const goodCustomer = `{"id":"cus_01JD0000000000000000000003","name":"Acme GmbH","contactEmail":"it@acme.example","timezone":"Europe/Berlin",
 "country":"DE","tags":["eu"],"status":"active","plan":"none","accessLevel":"disabled","lastScanAt":null,
 "createdAt":"2026-11-26T12:00:00Z","updatedAt":"2026-11-26T12:00:00Z","version":1}`

// The validator catches wrong bodies, and says where.
func TestTheValidatorCatchesWrongResponses(t *testing.T) {
	d := document(t)
	const route = "/v1/customers/{customerId}"
	if err := d.ValidateResponse("GET", route, 200, "application/json", []byte(goodCustomer)); err != nil {
		t.Fatalf("a good customer: %v", err)
	}
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal([]byte(goodCustomer), &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	cases := []struct {
		name    string
		status  int
		ct      string
		body    []byte
		pointer string // a pointer the error must name ("" for the body; "|" separates choices)
	}{
		{"MissingRequiredField", 200, "application/json", edit(func(m map[string]any) { delete(m, "plan") }), "|/plan"},
		{"WrongType", 200, "application/json", edit(func(m map[string]any) { m["version"] = "1" }), "/version"},
		{"NotInEnum", 200, "application/json", edit(func(m map[string]any) { m["status"] = "deleted" }), "/status"},
		{"BadID", 200, "application/json", edit(func(m map[string]any) { m["id"] = "customer-1" }), "/id"},
		{"BadTime", 200, "application/json", edit(func(m map[string]any) { m["createdAt"] = "yesterday" }), "/createdAt"},
		{"NullNotAllowed", 200, "application/json", edit(func(m map[string]any) { m["tags"] = nil }), "/tags"},
		{"WrongItem", 200, "application/json", edit(func(m map[string]any) { m["tags"] = []any{"eu", 7} }), "/tags/1"},
		{"UnknownField", 200, "application/json", edit(func(m map[string]any) { m["secret"] = "x" }), "|/secret"},
		{"UndocumentedStatus", 201, "application/json", []byte(goodCustomer), ""},
		{"UndocumentedContentType", 200, "text/plain", []byte(goodCustomer), ""},
		{"NotJSON", 200, "application/json", []byte(`{"id":`), ""},
		{"ProblemForSuccess", 200, "application/problem+json", problemBody(404, "not_found"), ""},
		{"WrongProblemCode", 404, "application/problem+json", problemBody(409, "conflict"), "/code"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := d.ValidateResponse("GET", route, c.status, c.ct, c.body)
			var e *openapi.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want an *openapi.Error", err)
			}
			if e.Route != "GET "+route || e.Status != c.status {
				t.Errorf("the error names %s %d, want GET %s %d", e.Route, e.Status, route, c.status)
			}
			if !slices.ContainsFunc(strings.Split(c.pointer, "|"), func(p string) bool { return slices.Contains(e.Pointers(), p) }) {
				t.Errorf("the error names %q, want %q: %v", e.Pointers(), c.pointer, err)
			}
			if !strings.Contains(err.Error(), "GET "+route+" "+strconv.Itoa(c.status)) {
				t.Errorf("the message does not name the route and status: %v", err)
			}
		})
	}
	t.Run("NoBodyOn204", func(t *testing.T) {
		if err := d.ValidateResponse("DELETE", "/v1/api-keys/{keyId}", 204, "", nil); err != nil {
			t.Errorf("an empty 204: %v", err)
		}
		if err := d.ValidateResponse("DELETE", "/v1/api-keys/{keyId}", 204, "application/json", []byte(`{}`)); err == nil {
			t.Errorf("a 204 with a body passed")
		}
	})
	t.Run("UndocumentedRoute", func(t *testing.T) {
		if err := d.ValidateResponse("PUT", "/v1/customers", 200, "application/json", []byte(`{}`)); err == nil {
			t.Errorf("an undocumented operation passed")
		}
	})
	t.Run("MissingHeader", func(t *testing.T) {
		err := d.ValidateResponseHeaders("GET", route, 200, map[string]string{"Content-Type": "application/json"})
		if err == nil || !strings.Contains(err.Error(), "ETag") {
			t.Errorf("a customer without ETag: %v", err)
		}
		if err := d.ValidateResponseHeaders("GET", route, 200, map[string]string{"etag": `"3"`}); err != nil {
			t.Errorf("with ETag: %v", err)
		}
		if err := d.ValidateResponseHeaders("GET", route, 200, map[string]string{"ETag": `3`}); err == nil {
			t.Errorf("an unquoted ETag passed")
		}
	})
	t.Run("UnroutedAnswers", func(t *testing.T) {
		b := problemBody(405, "method_not_allowed")
		if err := d.ValidateUnrouted(405, map[string]string{"Content-Type": "application/problem+json", "Allow": "GET, POST"}, b); err != nil {
			t.Errorf("a 405 with Allow: %v", err)
		}
		if err := d.ValidateUnrouted(405, map[string]string{"Content-Type": "application/problem+json"}, b); err == nil {
			t.Errorf("a 405 without Allow passed")
		}
		if err := d.ValidateUnrouted(404, map[string]string{"Content-Type": "application/problem+json"}, b); err == nil {
			t.Errorf("a 404 with a 405 problem passed")
		}
	})
}

// ValidateRequest holds request bodies to the document likewise.
func TestTheValidatorCatchesWrongRequests(t *testing.T) {
	d := document(t)
	ok := []struct{ method, path, body string }{
		{"POST", "/v1/customers", `{"name":"Acme","contactEmail":"it@acme.example","licenses":[{"model":"per_scan","quantity":10,"endUserPrice":{"amount":9900,"currency":"EUR"}}]}`},
		{"PATCH", "/v1/customers/{customerId}", `{"timezone":"Europe/Berlin"}`},
		{"POST", "/v1/customers/{customerId}/assets", `{"assets":["example.com",{"value":"https://api.example.com/v1","type":"api"}]}`},
		{"POST", "/v1/customers/{customerId}/scans", `{"profile":"light","targets":"all"}`},
		{"POST", "/v1/schedules", `{"customerIds":["cus_01JD0000000000000000000003"],"profile":"light","targets":"all","frequency":"weekly","dayOfWeek":"MON","startTime":"09:00"}`},
		{"POST", "/v1/users/{userId}/api-keys", ``},
	}
	for _, c := range ok {
		if err := d.ValidateRequest(c.method, c.path, "application/json", []byte(c.body)); err != nil {
			t.Errorf("%s %s %s: %v", c.method, c.path, c.body, err)
		}
	}
	bad := []struct{ method, path, body, pointer string }{
		{"POST", "/v1/customers", `{"contactEmail":"it@acme.example"}`, "|/name"},
		{"POST", "/v1/customers", `{"name":"Acme","contactEmail":"it@acme.example","colour":"red"}`, "|/colour"},
		{"POST", "/v1/customers", `{"name":"Acme","contactEmail":"it@acme.example","licenses":[{"model":"per_seat","endUserPrice":{"amount":1,"currency":"EUR"}}]}`, "/licenses/0/model"},
		{"PATCH", "/v1/customers/{customerId}", `{"status":"archived"}`, "/status"},
		{"POST", "/v1/customers/{customerId}/scans", `{"profile":"light","targets":"some"}`, "/targets"},
		{"POST", "/v1/schedules", `{"customerIds":[],"profile":"light","targets":"all","frequency":"daily","startTime":"25:00"}`, "/startTime"},
		{"PUT", "/v1/customers/{customerId}/access", ``, ""},
		{"DELETE", "/v1/api-keys/{keyId}", `{"why":"lost"}`, ""},
	}
	for _, c := range bad {
		err := d.ValidateRequest(c.method, c.path, "application/json", []byte(c.body))
		var e *openapi.Error
		if !errors.As(err, &e) {
			t.Errorf("%s %s %s: err = %v, want an *openapi.Error", c.method, c.path, c.body, err)
			continue
		}
		if e.Status != 0 || !slices.ContainsFunc(strings.Split(c.pointer, "|"), func(p string) bool { return slices.Contains(e.Pointers(), p) }) {
			t.Errorf("%s %s %s: %v; want it to name %q", c.method, c.path, c.body, err, c.pointer)
		}
	}
}

package openapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/httpapi"
	"github.com/partnerportal/portal/internal/openapi"
	"github.com/partnerportal/portal/internal/services"
	"github.com/partnerportal/portal/internal/tenancy"
)

func TestMain(m *testing.M) { ddbtest.Main(m) }

var (
	docOnce sync.Once
	doc     *openapi.Document
	docErr  error
)

// document loads docs/openapi.yaml once per test binary.
func document(t *testing.T) *openapi.Document {
	t.Helper()
	docOnce.Do(func() {
		var path string
		if path, docErr = openapi.DocumentPath(); docErr == nil {
			doc, docErr = openapi.Load(path)
		}
	})
	if docErr != nil {
		t.Fatal(docErr)
	}
	return doc
}

// declaredRoutes returns the route keys of the JSON API in
// app.Declaration() (without the $default fallback and the console's web
// pages), each with the function that serves it.
func declaredRoutes() map[string]string {
	out := map[string]string{}
	for _, f := range app.Declaration().Functions {
		if f.Pages {
			continue
		}
		for _, r := range f.Routes {
			if r.Path != app.DefaultRoute {
				out[r.Key()] = f.Name
			}
		}
	}
	return out
}

// publicRoutes returns the route keys the declaration marks Public (served
// without credentials), besides the $default fallback.
func publicRoutes() map[string]bool {
	out := map[string]bool{}
	for _, f := range app.Declaration().Functions {
		for _, r := range f.Routes {
			if r.Public && r.Path != app.DefaultRoute {
				out[r.Key()] = true
			}
		}
	}
	return out
}

// exchange is one request through a real handler and its answer.
type exchange struct {
	ev  events.APIGatewayV2HTTPRequest
	res events.APIGatewayV2HTTPResponse
}

func (x exchange) method() string { return x.ev.RequestContext.HTTP.Method }

// routePath is the path template of the route the request was routed to,
// "" for the $default fallback.
func (x exchange) routePath() string {
	if x.ev.RouteKey == app.DefaultRoute {
		return ""
	}
	_, path, _ := strings.Cut(x.ev.RouteKey, " ")
	return path
}

func (x exchange) label() string {
	return fmt.Sprintf("%s %s → %d", x.method(), x.ev.RawPath, x.res.StatusCode)
}

// body decodes a JSON answer into a map (nil for an empty body).
func (x exchange) body(t *testing.T) map[string]any {
	t.Helper()
	if x.res.Body == "" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(x.res.Body), &m); err != nil {
		t.Fatalf("%s: the body is not a JSON object: %s", x.label(), x.res.Body)
	}
	return m
}

// serve runs ev through the handler of the function the declaration routes
// it to, as API Gateway would.
func serve(t *testing.T, s *services.Services, ev events.APIGatewayV2HTTPRequest) exchange {
	t.Helper()
	fn := "fallback"
	if ev.RouteKey != app.DefaultRoute {
		m, ok, _ := app.Declaration().Resolve(ev.RequestContext.HTTP.Method, ev.RawPath)
		if !ok || m.Route.Key() != ev.RouteKey {
			t.Fatalf("route key %q is not declared for %s %s", ev.RouteKey, ev.RequestContext.HTTP.Method, ev.RawPath)
		}
		fn = m.Function.Name
	}
	h, ok := httpapi.ForFunction(s, fn)
	if !ok {
		t.Fatalf("no handler for function %s", fn)
	}
	res, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatalf("%s %s: %v", ev.RequestContext.HTTP.Method, ev.RawPath, err)
	}
	return exchange{ev: ev, res: res}
}

// checkResponse validates the answer of x against the document: its status,
// content type, body and headers.
func checkResponse(t *testing.T, d *openapi.Document, x exchange) {
	t.Helper()
	if x.routePath() == "" {
		if err := d.ValidateUnrouted(x.res.StatusCode, x.res.Headers, []byte(x.res.Body)); err != nil {
			t.Errorf("%s: %v\nbody: %s", x.label(), err, x.res.Body)
		}
		return
	}
	if err := d.ValidateResponse(x.method(), x.routePath(), x.res.StatusCode, x.res.Headers["Content-Type"], []byte(x.res.Body)); err != nil {
		t.Errorf("%s: %v\nbody: %s", x.label(), err, x.res.Body)
	}
	if err := d.ValidateResponseHeaders(x.method(), x.routePath(), x.res.StatusCode, x.res.Headers); err != nil {
		t.Errorf("%s: %v\nheaders: %v", x.label(), err, x.res.Headers)
	}
}

// checkRequest validates the body x sent against the operation's requestBody.
func checkRequest(d *openapi.Document, x exchange) error {
	if x.routePath() == "" {
		return nil
	}
	ct := ""
	for k, v := range x.ev.Headers {
		if strings.EqualFold(k, "content-type") {
			ct = v
		}
	}
	if ct == "" {
		ct = "application/json"
	}
	return d.ValidateRequest(x.method(), x.routePath(), ct, []byte(x.ev.Body))
}

// coverage records which documented responses real answers exercised.
type coverage struct {
	mu   sync.Mutex
	seen map[string][]int // route key → statuses
}

func (c *coverage) add(x exchange) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string][]int{}
	}
	key := x.ev.RouteKey
	if !slices.Contains(c.seen[key], x.res.StatusCode) {
		c.seen[key] = append(c.seen[key], x.res.StatusCode)
		slices.Sort(c.seen[key])
	}
}

// event builds an API Gateway HTTP API request (payload 2.0) to the route
// method routePath, with the path parameters filled in, as the identity id
// (nil: no identity, as when the authorizer found no key).
func event(id *tenancy.Identity, method, routePath string, params, query map[string]string, body string, headers ...string) events.APIGatewayV2HTTPRequest {
	path := routePath
	for k, v := range params {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	h := map[string]string{"content-type": "application/json"}
	for i := 0; i+1 < len(headers); i += 2 {
		h[strings.ToLower(headers[i])] = headers[i+1]
	}
	routeKey := method + " " + routePath
	if routePath == app.DefaultRoute {
		routeKey, path = app.DefaultRoute, params["path"]
		params = nil
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: routeKey, RawPath: path, PathParameters: params, QueryStringParameters: query,
		Headers: h, Body: body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: routeKey, RequestID: fmt.Sprintf("req-%d", requestSeq.next()),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path},
		},
	}
	if id != nil {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: map[string]any{
			"userId": id.UserID, "role": string(id.Role), "partnerId": id.PartnerID, "tenantId": id.TenantID,
			"keyId": id.KeyID, "tenantAccess": id.TenantAccess, "tenantStatus": id.TenantStatus,
			"sessionId": id.SessionID, "csrfToken": id.CSRFToken,
		}}
	}
	return ev
}

type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) next() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.n
}

var requestSeq counter

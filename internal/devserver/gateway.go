// Package devserver runs Partner Portal on one machine the way AWS runs it:
// every declared function as its own bootstrap binary under a local Lambda
// Runtime API, DynamoDB Local with the table's stream flowing into the
// stream function, local EventBridge (with the declared rules), Scheduler
// (whose schedules fire), S3 and Lambda endpoints the functions reach
// through the SDK's standard configuration, and an HTTP server that plays
// API Gateway's part with HTTP API payload 2.0 events and the Lambda
// authorizer.
package devserver

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/app"
)

// Gateway is a local stand-in for the HTTP API: it resolves the route from
// the app declaration, runs the Lambda authorizer (caching its answer per
// identity like API Gateway does), and invokes the route's function.
type Gateway struct {
	App app.App
	// Invoke runs the named function with the event in and decodes its
	// answer into out.
	Invoke func(ctx context.Context, function string, in, out any) error
	Now    func() time.Time

	mu    sync.Mutex
	cache map[string]cachedAuth
}

type cachedAuth struct {
	res     events.APIGatewayV2CustomAuthorizerSimpleResponse
	expires time.Time
}

// maxGatewayBody is API Gateway's own payload limit; the functions enforce theirs.
const maxGatewayBody = 10 << 20

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxGatewayBody+1))
	if err != nil || len(body) > maxGatewayBody {
		gatewayError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}
	fn, route, params := g.route(r.Method, r.URL.Path)
	ev := g.event(r, body, route, params)
	if !route.Public {
		identity := ev.Headers[strings.ToLower(g.App.Authorizer.IdentityHeader)]
		if identity == "" && g.App.Authorizer.CacheTTLSeconds > 0 {
			// With caching, the header is the identity source and API Gateway requires it.
			gatewayError(w, http.StatusUnauthorized, "Unauthorized")
			return
		}
		auth, err := g.authorize(r.Context(), ev, identity)
		if err != nil {
			gatewayError(w, http.StatusInternalServerError, "Internal Server Error")
			return
		}
		if !auth.IsAuthorized {
			gatewayError(w, http.StatusForbidden, "Forbidden")
			return
		}
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: auth.Context}
	}
	var res events.APIGatewayV2HTTPResponse
	if err := g.Invoke(r.Context(), fn, ev, &res); err != nil {
		gatewayError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	writeResponse(w, res)
}

// route resolves method and path to a function, falling back to $default.
func (g *Gateway) route(method, path string) (string, app.Route, map[string]string) {
	if m, ok, _ := g.App.Resolve(method, path); ok {
		return m.Function.Name, m.Route, m.PathParams
	}
	for _, f := range g.App.Functions {
		for _, r := range f.Routes {
			if r.Path == app.DefaultRoute {
				return f.Name, r, nil
			}
		}
	}
	return "", app.Route{Path: app.DefaultRoute}, nil
}

// authorize invokes the authorizer, or answers from the cache keyed by the
// identity source for the declared TTL.
func (g *Gateway) authorize(ctx context.Context, ev events.APIGatewayV2HTTPRequest, identity string) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
	now := g.Now()
	g.mu.Lock()
	if c, ok := g.cache[identity]; ok && now.Before(c.expires) {
		g.mu.Unlock()
		return c.res, nil
	}
	g.mu.Unlock()
	var res events.APIGatewayV2CustomAuthorizerSimpleResponse
	err := g.Invoke(ctx, g.App.Authorizer.Function, events.APIGatewayV2CustomAuthorizerV2Request{
		Version:               "2.0",
		Type:                  "REQUEST",
		RouteArn:              "arn:aws:execute-api:us-east-1:000000000000:local/$default/" + ev.RequestContext.HTTP.Method + ev.RawPath,
		IdentitySource:        identitySource(identity),
		RouteKey:              ev.RouteKey,
		RawPath:               ev.RawPath,
		RawQueryString:        ev.RawQueryString,
		Cookies:               ev.Cookies,
		Headers:               ev.Headers,
		QueryStringParameters: ev.QueryStringParameters,
		RequestContext:        ev.RequestContext,
		PathParameters:        ev.PathParameters,
	}, &res)
	if err != nil {
		return res, err
	}
	if ttl := g.App.Authorizer.CacheTTLSeconds; ttl > 0 {
		g.mu.Lock()
		if g.cache == nil {
			g.cache = map[string]cachedAuth{}
		}
		g.cache[identity] = cachedAuth{res: res, expires: now.Add(time.Duration(ttl) * time.Second)}
		g.mu.Unlock()
	}
	return res, nil
}

func identitySource(identity string) []string {
	if identity == "" {
		return nil
	}
	return []string{identity}
}

// event builds the HTTP API payload format 2.0 event for r.
func (g *Gateway) event(r *http.Request, body []byte, route app.Route, params map[string]string) events.APIGatewayV2HTTPRequest {
	now := g.Now().UTC()
	headers := map[string]string{}
	for k, v := range r.Header {
		if strings.EqualFold(k, "Cookie") {
			continue
		}
		headers[strings.ToLower(k)] = strings.Join(v, ",")
	}
	headers["host"] = r.Host
	var query map[string]string
	if len(r.URL.Query()) > 0 {
		query = map[string]string{}
		for k, v := range r.URL.Query() {
			query[k] = strings.Join(v, ",")
		}
	}
	var cookies []string
	for _, c := range r.Cookies() {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	routeKey := route.Key()
	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              routeKey,
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		PathParameters:        params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     routeKey,
			AccountID:    "000000000000",
			Stage:        "$default",
			RequestID:    requestID(),
			APIID:        "local",
			DomainName:   r.Host,
			DomainPrefix: strings.Split(r.Host, ".")[0],
			Time:         now.Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP(r.RemoteAddr),
				UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

func writeResponse(w http.ResponseWriter, res events.APIGatewayV2HTTPResponse) {
	for k, v := range res.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range res.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for _, c := range res.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	body := []byte(res.Body)
	if res.IsBase64Encoded {
		body, _ = base64.StdEncoding.DecodeString(res.Body)
	}
	w.WriteHeader(res.StatusCode)
	w.Write(body)
}

// gatewayError answers like API Gateway itself does: {"message": "..."}.
func gatewayError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

func requestID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func sourceIP(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return remote
	}
	return host
}

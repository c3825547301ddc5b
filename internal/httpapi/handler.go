// Package httpapi adapts API Gateway HTTP API events (payload format 2.0) to
// the domain services: it authenticates from the authorizer's context,
// decodes and validates input, runs the route, and maps errors to RFC 9457
// problem+json in one place.
package httpapi

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// Request is what a route sees of an HTTP event.
type Request struct {
	Method     string
	Path       string
	RouteKey   string
	PathParams map[string]string
	Query      map[string]string
	Headers    map[string]string // lower-case names
	Body       []byte
	RequestID  string
}

// Header returns the value of a header, by case-insensitive name.
func (r *Request) Header(name string) string { return r.Headers[strings.ToLower(name)] }

// Response is what a route answers: a status and a JSON body.
type Response struct {
	Status  int
	Headers map[string]string
	Body    any
	// Secret marks a body shown exactly once (a new API key, a session,
	// an invitation): it is never stored for Idempotency-Key replays.
	Secret bool
	// Cookies are Set-Cookie values (SessionCookie, ExpiredSessionCookie),
	// sent in the response's cookies field as API Gateway wants them.
	Cookies []string
	raw     []byte
}

// JSON returns a response with status and body encoded as JSON.
func JSON(status int, body any) Response { return Response{Status: status, Body: body} }

// Raw returns a response with status and a body already encoded as
// contentType (a stored report, say), sent as is.
func Raw(status int, contentType string, body []byte) Response {
	if body == nil {
		body = []byte{}
	}
	return Response{Status: status, Headers: map[string]string{"Content-Type": contentType}, raw: body}
}

// Route handles one route. Returning an error answers a problem document.
type Route func(ctx context.Context, r *Request) (Response, error)

// Handler is the Lambda handler of one function: it dispatches on the
// event's route key to the function's routes.
type Handler struct {
	public      map[string]bool // route keys served without an identity
	routes      map[string]Route
	idempotency portal.IdempotencyStore
	clock       portal.Clock
	log         *slog.Logger
}

// NewHandler returns a handler for routes (keyed like "GET /v1/customers").
// idempotency may be nil for functions without POST routes.
func NewHandler(routes map[string]Route, idempotency portal.IdempotencyStore, clock portal.Clock) *Handler {
	return &Handler{routes: routes, idempotency: idempotency, clock: clock, log: slog.New(slog.NewJSONHandler(os.Stderr, nil))}
}

// With adds routes to the handler (another service's routes served by
// the same function). It panics when a route key is already served: a
// programming error, found at start-up.
func (h *Handler) With(routes map[string]Route) *Handler {
	for k, r := range routes {
		if _, dup := h.routes[k]; dup {
			panic("httpapi: route " + k + " is served twice")
		}
		h.routes[k] = r
	}
	return h
}

// Public lets the named routes serve requests without an identity (the
// others answer those 401). ForFunction marks the routes the declaration
// (internal/app) marks Public; a route key the handler does not serve
// panics, a programming error found at start-up.
func (h *Handler) Public(routeKeys ...string) *Handler {
	for _, k := range routeKeys {
		if _, ok := h.routes[k]; !ok {
			panic("httpapi: public route " + k + " is not served")
		}
		if h.public == nil {
			h.public = map[string]bool{}
		}
		h.public[k] = true
	}
	return h
}

// RouteKeys lists the route keys the handler serves.
func (h *Handler) RouteKeys() []string {
	keys := make([]string, 0, len(h.routes))
	for k := range h.routes {
		keys = append(keys, k)
	}
	return keys
}

// Handle serves one API Gateway HTTP API request. It never returns an error:
// every failure is answered as a problem document, internal ones logged.
func (h *Handler) Handle(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	req, res := h.request(ev)
	if res == nil {
		r := h.serve(ctx, ev, req)
		res = &r
	}
	return h.encode(ctx, req, *res), nil
}

func (h *Handler) request(ev events.APIGatewayV2HTTPRequest) (*Request, *Response) {
	req := &Request{
		Method:     ev.RequestContext.HTTP.Method,
		Path:       ev.RawPath,
		RouteKey:   ev.RouteKey,
		PathParams: ev.PathParameters,
		Query:      ev.QueryStringParameters,
		Headers:    make(map[string]string, len(ev.Headers)),
		RequestID:  ev.RequestContext.RequestID,
	}
	for k, v := range ev.Headers {
		req.Headers[strings.ToLower(k)] = v
	}
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			r := problemFor(portal.Errorf(portal.EINVALID, "the body is not valid base64"), req.Path, req.RequestID)
			return req, &r
		}
	}
	if len(body) > MaxBodyBytes {
		r := problemFor(portal.Errorf(portal.ETOOLARGE, "the body is %d bytes; the limit is %d bytes (%d KiB)", len(body), MaxBodyBytes, MaxBodyBytes>>10), req.Path, req.RequestID)
		return req, &r
	}
	req.Body = body
	return req, nil
}

func (h *Handler) serve(ctx context.Context, ev events.APIGatewayV2HTTPRequest, req *Request) Response {
	route, ok := h.routes[ev.RouteKey]
	if !ok {
		return problemFor(portal.Errorf(portal.ENOTFOUND, "no route %s %s", req.Method, req.Path), req.Path, req.RequestID)
	}
	ctx = portal.WithRequestID(ctx, req.RequestID)
	id, authenticated := identityFrom(ev)
	public := h.public[ev.RouteKey]
	if public {
		// API Gateway runs no authorizer for public routes: an identity in
		// the event is none, and the route serves everyone alike.
		authenticated = false
	}
	if authenticated {
		ctx = tenancy.WithIdentity(ctx, id)
	} else if !public {
		return unauthenticated(ev, req)
	}
	if authenticated && id.SessionID != "" && !safeMethod(req.Method) && !validCSRF(req.Header(CSRFHeader), id.CSRFToken) {
		// A browser sends the session cookie with any site's request;
		// only the console's own pages know the session's CSRF token.
		return problemFor(portal.Errorf(portal.EFORBIDDEN, "a request made in a browser session that changes something must carry the session's CSRF token in the %s header", CSRFHeader), req.Path, req.RequestID)
	}
	run := func() (res Response) {
		defer func() {
			if p := recover(); p != nil {
				h.log.ErrorContext(ctx, "panic", "requestId", req.RequestID, "route", req.RouteKey, "panic", fmt.Sprint(p))
				res = problemFor(fmt.Errorf("panic: %v", p), req.Path, req.RequestID)
			}
		}()
		r, err := route(ctx, req)
		if err != nil {
			if code := portal.ErrorCode(err); code == portal.EINTERNAL || statusOf[code] == 0 {
				h.log.ErrorContext(ctx, "internal error", "requestId", req.RequestID, "route", req.RouteKey, "error", err.Error())
			}
			return problemFor(err, req.Path, req.RequestID)
		}
		return r
	}
	if req.Method == http.MethodPost && req.Header("Idempotency-Key") != "" && h.idempotency != nil && authenticated {
		return h.idempotent(ctx, req, run)
	}
	return run()
}

// CSRFHeader is the header that carries a session's CSRF token on
// requests authenticated by a session cookie that change something.
const CSRFHeader = "X-CSRF-Token"

// safeMethod reports whether method only reads (RFC 9110 §9.2.1).
func safeMethod(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// validCSRF compares a presented CSRF token with the session's, in
// constant time; an empty token never matches.
func validCSRF(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// authContext returns the authorizer's context value k ("" if absent).
func authContext(ev events.APIGatewayV2HTTPRequest, k string) string {
	if ev.RequestContext.Authorizer == nil {
		return ""
	}
	s, _ := ev.RequestContext.Authorizer.Lambda[k].(string)
	return s
}

// identityFrom reads the identity the authorizer put into the request context.
func identityFrom(ev events.APIGatewayV2HTTPRequest) (tenancy.Identity, bool) {
	get := func(k string) string { return authContext(ev, k) }
	id := tenancy.Identity{
		UserID: get("userId"), Role: tenancy.Role(get("role")), PartnerID: get("partnerId"),
		TenantID: get("tenantId"), KeyID: get("keyId"),
		TenantAccess: get("tenantAccess"), TenantStatus: get("tenantStatus"),
		SessionID: get("sessionId"), CSRFToken: get("csrfToken"),
	}
	return id, id.Valid()
}

// unauthenticated answers 401 with a WWW-Authenticate challenge (RFC 6750).
func unauthenticated(ev events.APIGatewayV2HTTPRequest, req *Request) Response {
	msg, challenge := "credentials are missing: send Authorization: Bearer <API key>, or sign in", `Bearer realm="partner-portal"`
	if authContext(ev, "authError") != authMissing {
		msg, challenge = "the API key or session is invalid, revoked or expired", `Bearer realm="partner-portal", error="invalid_token"`
	}
	res := problemFor(portal.Errorf(portal.EUNAUTHORIZED, "%s", msg), req.Path, req.RequestID)
	res.Headers["WWW-Authenticate"] = challenge
	return res
}

func (h *Handler) encode(ctx context.Context, req *Request, res Response) events.APIGatewayV2HTTPResponse {
	out := events.APIGatewayV2HTTPResponse{StatusCode: res.Status, Headers: map[string]string{}}
	for k, v := range res.Headers {
		out.Headers[k] = v
	}
	if out.Headers["Content-Type"] == "" && (res.Body != nil || res.raw != nil) {
		out.Headers["Content-Type"] = "application/json"
	}
	if req.RequestID != "" {
		out.Headers["X-Request-Id"] = req.RequestID
	}
	body := res.raw
	if body == nil && res.Body != nil {
		var err error
		if body, err = json.Marshal(res.Body); err != nil {
			h.log.ErrorContext(ctx, "encode response", "requestId", req.RequestID, "error", err.Error())
			return h.encode(ctx, req, problemFor(err, req.Path, req.RequestID))
		}
	}
	out.Body = string(body)
	out.Cookies = res.Cookies
	return out
}

package console

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/httpapi"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// Handle is the console function's Lambda handler: it turns the HTTP API
// event (payload format 2.0) into a net/http request carrying the
// authorizer's identity, serves it, and turns the answer back into the
// event response (cookies in their own field, as API Gateway wants them).
// It never returns an error: every failure is an HTML error page.
func (c *Console) Handle(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	r, err := request(ctx, ev)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusBadRequest, Body: "bad request"}, nil
	}
	if id, ok := httpapi.IdentityFrom(ev); ok {
		r = r.WithContext(tenancy.WithIdentity(r.Context(), id))
	}
	w := httptest.NewRecorder()
	c.ServeHTTP(w, r)
	return response(w), nil
}

// request builds the net/http request an event describes.
func request(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			return nil, err
		}
	}
	// rawPath is the path as sent (still escaped): it is parsed, not escaped again.
	target := ev.RawPath
	if target == "" {
		target = (&url.URL{Path: ev.RequestContext.HTTP.Path}).EscapedPath()
	}
	if ev.RawQueryString != "" {
		target += "?" + ev.RawQueryString
	}
	ctx = portal.WithRequestID(ctx, ev.RequestContext.RequestID)
	r, err := http.NewRequestWithContext(ctx, ev.RequestContext.HTTP.Method, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range ev.Headers {
		r.Header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		r.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	r.Host = ev.Headers["host"]
	r.RemoteAddr = ev.RequestContext.HTTP.SourceIP
	return r, nil
}

// response turns what the console wrote into the event response.
func response(w *httptest.ResponseRecorder) events.APIGatewayV2HTTPResponse {
	res := w.Result()
	out := events.APIGatewayV2HTTPResponse{StatusCode: res.StatusCode, Headers: map[string]string{}}
	for k, vs := range res.Header {
		if k == "Set-Cookie" {
			out.Cookies = append(out.Cookies, vs...)
			continue
		}
		out.Headers[k] = strings.Join(vs, ", ")
	}
	body := w.Body.Bytes()
	if utf8.Valid(body) {
		out.Body = string(body)
	} else {
		out.Body, out.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	return out
}

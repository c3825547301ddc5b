package httpapi

import (
	"context"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// Authorizer is the HTTP API Lambda authorizer (simple responses): it
// resolves "Authorization: Bearer pp_…" (an API key) or, without that
// header, the session cookie (portal.SessionCookieName) to an identity
// context that the route's function reads back. It lets every request through and says in the
// context why one is not authenticated ("authError"): API Gateway could only
// answer such requests with its own bare 403, while the functions answer 401
// problem+json with WWW-Authenticate. Functions never serve a non-public
// route without an identity (Handler).
type Authorizer struct {
	keys     *portal.APIKeyService
	sessions *portal.SessionService
	log      *slog.Logger
}

// NewAuthorizer returns the authorizer on keys (API keys) and sessions
// (session cookies).
func NewAuthorizer(keys *portal.APIKeyService, sessions *portal.SessionService) *Authorizer {
	return &Authorizer{keys: keys, sessions: sessions, log: slog.New(slog.NewJSONHandler(os.Stderr, nil))}
}

// Auth errors in the authorizer context.
const (
	authMissing = "missing" // no Authorization header and no session cookie
	authInvalid = "invalid" // not a Bearer key or a session we accept
)

// Handle authorizes one request: with an Authorization header, by its API
// key (a session cookie is then ignored); without one, by the session
// cookie, if any. It returns an error only when the credentials could not
// be checked (a fault of ours), which API Gateway answers as 500.
func (a *Authorizer) Handle(ctx context.Context, ev events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
	fail := func(reason string) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: true, Context: map[string]any{"authError": reason}}, nil
	}
	var (
		id  tenancy.Identity
		err error
	)
	if header := ev.Headers["authorization"]; header != "" {
		scheme, token, ok := strings.Cut(header, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return fail(authInvalid)
		}
		id, err = a.keys.Authenticate(ctx, strings.TrimSpace(token))
	} else if token, ok := sessionToken(ev.Cookies); ok {
		id, err = a.sessions.Authenticate(ctx, token)
	} else {
		return fail(authMissing)
	}
	if portal.ErrorCode(err) == portal.EUNAUTHORIZED {
		return fail(authInvalid)
	}
	if err != nil {
		a.log.ErrorContext(ctx, "authorize", "requestId", ev.RequestContext.RequestID, "error", err.Error())
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: false}, err
	}
	return events.APIGatewayV2CustomAuthorizerSimpleResponse{
		IsAuthorized: true,
		Context: map[string]any{
			"userId": id.UserID, "role": string(id.Role), "partnerId": id.PartnerID,
			"tenantId": id.TenantID, "keyId": id.KeyID,
			"tenantAccess": id.TenantAccess, "tenantStatus": id.TenantStatus,
			"sessionId": id.SessionID, "csrfToken": id.CSRFToken,
		},
	}, nil
}

// sessionToken returns the value of the session cookie among cookies
// (payload format 2.0 lists them as "name=value", outside the headers).
func sessionToken(cookies []string) (string, bool) {
	for _, c := range cookies {
		for _, part := range strings.Split(c, ";") {
			name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok && name == portal.SessionCookieName && value != "" {
				return value, true
			}
		}
	}
	return "", false
}

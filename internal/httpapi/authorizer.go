package httpapi

import (
	"context"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/portal"
)

// Authorizer is the HTTP API Lambda authorizer (simple responses): it
// resolves "Authorization: Bearer pp_…" to an identity context that the
// route's function reads back. It lets every request through and says in the
// context why one is not authenticated ("authError"): API Gateway could only
// answer such requests with its own bare 403, while the functions answer 401
// problem+json with WWW-Authenticate. Functions never serve a non-public
// route without an identity (Handler).
type Authorizer struct {
	keys *portal.APIKeyService
	log  *slog.Logger
}

// NewAuthorizer returns the authorizer on keys.
func NewAuthorizer(keys *portal.APIKeyService) *Authorizer {
	return &Authorizer{keys: keys, log: slog.New(slog.NewJSONHandler(os.Stderr, nil))}
}

// Auth errors in the authorizer context.
const (
	authMissing = "missing" // no Authorization header
	authInvalid = "invalid" // not a Bearer key we accept
)

// Handle authorizes one request. It returns an error only when the key
// could not be checked (a fault of ours), which API Gateway answers as 500.
func (a *Authorizer) Handle(ctx context.Context, ev events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
	fail := func(reason string) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: true, Context: map[string]any{"authError": reason}}, nil
	}
	header := ev.Headers["authorization"]
	if header == "" {
		return fail(authMissing)
	}
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return fail(authInvalid)
	}
	id, err := a.keys.Authenticate(ctx, strings.TrimSpace(token))
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
		},
	}, nil
}

package httpapi

import (
	"context"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/portal"
)

// Authorizer is the HTTP API Lambda authorizer (simple responses): it resolves
// "Authorization: Bearer pp_…" to an identity context that the route's
// function reads back. Unknown, revoked and expired keys are denied (403 at
// the gateway, which API Gateway answers itself).
type Authorizer struct {
	keys *portal.APIKeyService
	log  *slog.Logger
}

// NewAuthorizer returns the authorizer on keys.
func NewAuthorizer(keys *portal.APIKeyService) *Authorizer {
	return &Authorizer{keys: keys, log: slog.New(slog.NewJSONHandler(os.Stderr, nil))}
}

// Handle authorizes one request. It returns an error only when the key
// could not be checked (a fault of ours), which API Gateway answers as 500.
func (a *Authorizer) Handle(ctx context.Context, ev events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
	deny := events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: false}
	header := ev.Headers["authorization"]
	if header == "" && len(ev.IdentitySource) > 0 {
		header = ev.IdentitySource[0]
	}
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return deny, nil
	}
	id, err := a.keys.Authenticate(ctx, strings.TrimSpace(token))
	if portal.ErrorCode(err) == portal.EUNAUTHORIZED {
		return deny, nil
	}
	if err != nil {
		a.log.ErrorContext(ctx, "authorize", "requestId", ev.RequestContext.RequestID, "error", err.Error())
		return deny, err
	}
	return events.APIGatewayV2CustomAuthorizerSimpleResponse{
		IsAuthorized: true,
		Context: map[string]any{
			"userId": id.UserID, "role": string(id.Role), "partnerId": id.PartnerID,
			"tenantId": id.TenantID, "keyId": id.KeyID,
		},
	}, nil
}

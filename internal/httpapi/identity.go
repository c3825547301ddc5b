package httpapi

import (
	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/tenancy"
)

// IdentityFrom returns the identity the authorizer put into the event's
// request context and whether it is a complete one: the console reads
// its callers exactly as the API's functions do.
func IdentityFrom(ev events.APIGatewayV2HTTPRequest) (tenancy.Identity, bool) {
	return identityFrom(ev)
}

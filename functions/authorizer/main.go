// Command authorizer is the HTTP API Lambda authorizer: API key → identity.
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/partnerportal/portal/internal/httpapi"
	"github.com/partnerportal/portal/internal/services"
)

func main() {
	s, err := services.FromEnv(context.Background())
	if err != nil {
		log.Fatalf("authorizer: %v", err)
	}
	lambda.Start(httpapi.AuthorizerFor(s).Handle)
}

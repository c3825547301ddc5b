// Command scans is the Lambda function serving the scans routes (see internal/app).
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
		log.Fatalf("scans: %v", err)
	}
	h, _ := httpapi.ForFunction(s, "scans")
	lambda.Start(h.Handle)
}

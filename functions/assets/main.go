// Command assets is the Lambda function serving the assets routes (see internal/app).
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
		log.Fatalf("assets: %v", err)
	}
	h, _ := httpapi.ForFunction(s, "assets")
	lambda.Start(h.Handle)
}

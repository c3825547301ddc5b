// Command schedules is the Lambda function serving the schedules routes (see internal/app).
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
		log.Fatalf("schedules: %v", err)
	}
	h, _ := httpapi.ForFunction(s, "schedules")
	lambda.Start(h.Handle)
}

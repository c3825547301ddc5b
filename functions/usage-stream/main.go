// Command usage-stream is the Lambda function consuming the table's stream:
// it derives the usage ledger and alerts and publishes events (see
// internal/usagestream).
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/partnerportal/portal/internal/services"
)

func main() {
	s, err := services.FromEnv(context.Background())
	if err != nil {
		log.Fatalf("usage-stream: %v", err)
	}
	lambda.Start(s.UsageStream().Handle)
}

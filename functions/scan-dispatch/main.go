// Command scan-dispatch is the Lambda function that EventBridge Scheduler
// and EventBridge rules invoke to start scans (see internal/scandispatch).
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
		log.Fatalf("scan-dispatch: %v", err)
	}
	lambda.Start(s.ScanDispatch().Handle)
}

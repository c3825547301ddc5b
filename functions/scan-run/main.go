// Command scan-run is the Lambda function that runs admitted scans; the
// scans function invokes it asynchronously with a portal.ScanRef.
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
		log.Fatalf("scan-run: %v", err)
	}
	lambda.Start(s.ScanRun.Run)
}

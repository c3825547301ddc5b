// Command console is the Lambda function serving the partner console's web
// pages under /console/ (see internal/console).
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/partnerportal/portal/internal/console"
	"github.com/partnerportal/portal/internal/services"
)

func main() {
	s, err := services.FromEnv(context.Background())
	if err != nil {
		log.Fatalf("console: %v", err)
	}
	lambda.Start(console.New(s).Handle)
}

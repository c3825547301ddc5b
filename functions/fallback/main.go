// Command fallback answers requests no route matches ($default): 404, or
// 405 with Allow. It needs no database.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/httpapi"
	"github.com/partnerportal/portal/internal/portal"
)

func main() {
	lambda.Start(httpapi.NewFallback(app.Declaration(), portal.SystemClock).Handle)
}

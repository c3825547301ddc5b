// Package lambdainvoke launches scans by invoking the scan-run function
// asynchronously (implements portal.ScanLauncher on AWS Lambda).
package lambdainvoke

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/partnerportal/portal/internal/portal"
)

// Launcher invokes Function with the scan's reference, asynchronously
// (Lambda queues the event and retries it on failure; scan-run ignores a
// scan that is not queued any more, so a retry is harmless).
type Launcher struct {
	Client   *lambda.Client
	Function string // name or ARN of the scan-run function
}

// Launch implements portal.ScanLauncher; an error means Lambda did not
// accept the event.
func (l *Launcher) Launch(ctx context.Context, s portal.Scan) error {
	payload, err := json.Marshal(s.Ref())
	if err != nil {
		return fmt.Errorf("encode scan reference: %w", err)
	}
	_, err = l.Client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String(l.Function), InvocationType: types.InvocationTypeEvent, Payload: payload,
	})
	if err != nil {
		return fmt.Errorf("invoke %s: %w", l.Function, err)
	}
	return nil
}

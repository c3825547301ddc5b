// Command fn is the test function of package locallambda: a real
// aws-lambda-go bootstrap that echoes, fails, or launches a scan through
// internal/lambdainvoke with a lambda client configured the standard way
// (config.LoadDefaultConfig, so AWS_ENDPOINT_URL_LAMBDA points it at the
// local endpoint), as the scans function does.
package main

import (
	"context"
	"errors"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/partnerportal/portal/internal/lambdainvoke"
	"github.com/partnerportal/portal/internal/portal"
)

// Event says what to do.
type Event struct {
	Action  string         `json:"action"`  // "echo" (default), "fail", "launch"
	Message string         `json:"message"` // echoed, or the error's message
	Scan    portal.ScanRef `json:"scan"`    // for "launch"
}

// ValidationError is the error "fail" returns (its type name is the errorType).
type ValidationError struct{ Reason string }

func (e *ValidationError) Error() string { return e.Reason }

func handle(ctx context.Context, e Event) (map[string]string, error) {
	switch e.Action {
	case "", "echo":
		return map[string]string{"message": e.Message}, nil
	case "fail":
		return nil, &ValidationError{Reason: e.Message}
	case "launch":
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, err
		}
		l := &lambdainvoke.Launcher{Client: awslambda.NewFromConfig(cfg), Function: os.Getenv("SCAN_RUN_FUNCTION")}
		sc := portal.Scan{ID: e.Scan.ScanID, PartnerID: e.Scan.PartnerID, TenantID: e.Scan.TenantID}
		if err := l.Launch(ctx, sc); err != nil {
			return nil, err
		}
		return map[string]string{"launched": sc.ID}, nil
	}
	return nil, errors.New("unknown action " + e.Action)
}

func main() { lambda.Start(handle) }

// Command echo is the test function of package lambdaruntime: a real
// aws-lambda-go binary whose handler does what the event's action says.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Event says what to do.
type Event struct {
	Action  string `json:"action"`  // "echo" (default), "fail", "sleep", "crash", "panic", "log", "big"
	Message string `json:"message"` // echoed, or the error's message
	SleepMs int    `json:"sleepMs"` // for "sleep"
}

// Reply is what "echo" and "sleep" return.
type Reply struct {
	Message     string            `json:"message"`
	RequestID   string            `json:"requestId"`
	FunctionARN string            `json:"functionArn"`
	DeadlineMs  int64             `json:"deadlineMs"`
	PID         int               `json:"pid"`
	Env         map[string]string `json:"env"`
}

// ValidationError is the error "fail" returns (its type name is the errorType).
type ValidationError struct{ Reason string }

func (e *ValidationError) Error() string { return e.Reason }

func handle(ctx context.Context, e Event) (any, error) {
	switch e.Action {
	case "fail":
		return nil, &ValidationError{Reason: e.Message}
	case "crash":
		fmt.Fprintln(os.Stderr, "crashing")
		os.Exit(3)
	case "panic":
		panic(e.Message)
	case "log":
		fmt.Println("to stdout: " + e.Message)
		fmt.Fprintln(os.Stderr, "to stderr: "+e.Message)
	case "sleep":
		time.Sleep(time.Duration(e.SleepMs) * time.Millisecond)
	case "big":
		return strings.Repeat("x", 7<<20), nil
	case "", "echo":
	default:
		return nil, errors.New("unknown action " + e.Action)
	}
	deadline, _ := ctx.Deadline()
	lc, _ := lambdacontext.FromContext(ctx)
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return Reply{
		Message: e.Message, RequestID: lc.AwsRequestID, FunctionARN: lc.InvokedFunctionArn,
		DeadlineMs: deadline.UnixMilli(), PID: os.Getpid(), Env: env,
	}, nil
}

func main() {
	switch os.Getenv("ECHO_INIT") {
	case "exit":
		fmt.Fprintln(os.Stderr, "init failed")
		os.Exit(2)
	case "hang":
		time.Sleep(time.Hour)
	case "ignore-sigterm":
		signal.Ignore(syscall.SIGTERM)
	case "init-error":
		// What a custom runtime does when its init fails.
		api := os.Getenv("AWS_LAMBDA_RUNTIME_API")
		req, _ := http.NewRequest(http.MethodPost, "http://"+api+"/2018-06-01/runtime/init/error",
			strings.NewReader(`{"errorMessage":"no configuration","errorType":"ConfigError"}`))
		req.Header.Set("Lambda-Runtime-Function-Error-Type", "Runtime.ConfigError")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("init error posted:", resp.StatusCode)
		time.Sleep(time.Hour) // Lambda kills the process
	case "sigterm":
		// lambda.WithEnableSIGTERM registers with the extensions API.
		lambda.StartWithOptions(handle, lambda.WithEnableSIGTERM(func() {
			fmt.Println("got SIGTERM")
			os.Exit(0)
		}))
		return
	}
	lambda.Start(handle)
}

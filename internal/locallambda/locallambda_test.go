package locallambda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/partnerportal/portal/internal/lambdainvoke"
	"github.com/partnerportal/portal/internal/lambdaruntime"
	"github.com/partnerportal/portal/internal/portal"
)

// fnBin is testdata/fn built for the host: a real aws-lambda-go bootstrap.
var fnBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "locallambda-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fnBin = filepath.Join(dir, "fn", "bootstrap")
	if out, err := exec.Command("go", "build", "-o", fnBin, "./testdata/fn").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build testdata/fn: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// start starts an endpoint closed when the test ends, and a client of it
// configured as the brief's local stack configures one.
func start(t *testing.T, opts ...Option) (*Server, *lambda.Client) {
	t.Helper()
	opts = append([]Option{WithRetryDelay(time.Millisecond), WithLogf(t.Logf)}, opts...)
	s, err := Start("", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, newClient(s.URL())
}

func newClient(url string) *lambda.Client {
	return lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
}

// recorder is an Invoker that records its payloads and answers with fn.
type recorder struct {
	mu       sync.Mutex
	payloads []string
	fn       func(n int, payload []byte) ([]byte, error) // n counts calls from 1
}

func (r *recorder) invoke(_ context.Context, payload []byte) ([]byte, error) {
	r.mu.Lock()
	r.payloads = append(r.payloads, string(payload))
	n := len(r.payloads)
	r.mu.Unlock()
	if r.fn == nil {
		return []byte(`{"ok":true}`), nil
	}
	return r.fn(n, payload)
}

func (r *recorder) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.payloads...)
}

func invoke(t *testing.T, c *lambda.Client, in *lambda.InvokeInput) (*lambda.InvokeOutput, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.Invoke(ctx, in)
}

func TestARequestResponseInvocationAnswersTheFunctionsResponse(t *testing.T) {
	s, c := start(t)
	rec := &recorder{fn: func(_ int, p []byte) ([]byte, error) {
		return append([]byte(`{"got":`), append(p, '}')...), nil
	}}
	s.Register("customers", rec.invoke)

	out, err := invoke(t, c, &lambda.InvokeInput{FunctionName: aws.String("customers"), Payload: []byte(`{"path":"/v1/customers"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if out.StatusCode != 200 || out.FunctionError != nil || aws.ToString(out.ExecutedVersion) != "$LATEST" {
		t.Fatalf("status %d, function error %v, executed version %q; want 200, none, $LATEST",
			out.StatusCode, aws.ToString(out.FunctionError), aws.ToString(out.ExecutedVersion))
	}
	if string(out.Payload) != `{"got":{"path":"/v1/customers"}}` {
		t.Fatalf("payload = %s", out.Payload)
	}
	if got := rec.calls(); len(got) != 1 || got[0] != `{"path":"/v1/customers"}` {
		t.Fatalf("the function received %q, want the payload once", got)
	}

	// No payload at all: the function gets {}.
	if _, err := invoke(t, c, &lambda.InvokeInput{FunctionName: aws.String("customers")}); err != nil {
		t.Fatal(err)
	}
	if got := rec.calls(); got[1] != `{}` {
		t.Fatalf("an empty payload reached the function as %q, want {}", got[1])
	}
}

// ownError implements FunctionError.
type ownError struct{ typ, body string }

func (e *ownError) Error() string     { return "own: " + e.typ }
func (e *ownError) ErrorType() string { return e.typ }
func (e *ownError) Body() []byte      { return []byte(e.body) }

func TestAFunctionErrorIsAnsweredUnhandledWithTheErrorDocument(t *testing.T) {
	s, c := start(t)
	runtimeDoc := `{"errorMessage":"name is required","errorType":"ValidationError","stackTrace":[]}`
	cases := []struct {
		name    string
		err     error
		wantDoc string
	}{
		{"runtime", &lambdaruntime.FunctionError{Type: "ValidationError", Message: "name is required", Payload: []byte(runtimeDoc)}, runtimeDoc},
		{"runtime-no-payload", &lambdaruntime.FunctionError{Type: "Sandbox.Timedout", Message: "Task timed out after 3.00 seconds"},
			`{"errorMessage":"Task timed out after 3.00 seconds","errorType":"Sandbox.Timedout"}`},
		{"wrapped-runtime", fmt.Errorf("pool: %w", &lambdaruntime.FunctionError{Type: "Runtime.ExitError", Message: "exit status 3", Payload: []byte(`{"errorType":"Runtime.ExitError"}`)}),
			`{"errorType":"Runtime.ExitError"}`},
		{"own-body", &ownError{"Custom", `{"errorMessage":"m","errorType":"Custom"}`}, `{"errorMessage":"m","errorType":"Custom"}`},
		{"own-no-body", &ownError{"Custom", ""}, `{"errorMessage":"own: Custom","errorType":"Custom"}`},
		{"plain", errors.New("boom"), `{"errorMessage":"boom","errorType":"errorString"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s.Register("fails", func(context.Context, []byte) ([]byte, error) { return nil, tc.err })
			out, err := invoke(t, c, &lambda.InvokeInput{FunctionName: aws.String("fails"), Payload: []byte(`{}`)})
			if err != nil {
				t.Fatalf("a function error must not be an API error: %v", err)
			}
			if out.StatusCode != 200 || aws.ToString(out.FunctionError) != "Unhandled" || aws.ToString(out.ExecutedVersion) != "$LATEST" {
				t.Fatalf("status %d, FunctionError %q, ExecutedVersion %q; want 200, Unhandled, $LATEST",
					out.StatusCode, aws.ToString(out.FunctionError), aws.ToString(out.ExecutedVersion))
			}
			if string(out.Payload) != tc.wantDoc {
				t.Fatalf("payload = %s, want %s", out.Payload, tc.wantDoc)
			}
		})
	}
}

func TestAPanickingInvokerIsAFunctionError(t *testing.T) {
	s, c := start(t)
	s.Register("panics", func(context.Context, []byte) ([]byte, error) { panic("oops") })
	out, err := invoke(t, c, &lambda.InvokeInput{FunctionName: aws.String("panics")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), `"errorType":"Runtime.Unknown"`) {
		t.Fatalf("FunctionError %q payload %s", aws.ToString(out.FunctionError), out.Payload)
	}
}

func TestAnEventIsAcceptedAtOnceAndRunsInTheBackground(t *testing.T) {
	s, c := start(t)
	release := make(chan struct{})
	rec := &recorder{fn: func(int, []byte) ([]byte, error) { <-release; return nil, nil }}
	s.Register("scan-run", rec.invoke)

	out, err := invoke(t, c, &lambda.InvokeInput{FunctionName: aws.String("scan-run"),
		InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"scanId":"scn_1"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if out.StatusCode != 202 || len(out.Payload) != 0 || out.FunctionError != nil {
		t.Fatalf("status %d payload %q FunctionError %v, want 202 and nothing else", out.StatusCode, out.Payload, out.FunctionError)
	}
	waited := make(chan struct{})
	go func() { s.Wait(); close(waited) }()
	select {
	case <-waited:
		t.Fatal("Wait returned while the invocation was still running")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-waited
	if got := rec.calls(); len(got) != 1 || got[0] != `{"scanId":"scn_1"}` {
		t.Fatalf("the function received %q, want the event once", got)
	}
	if f := s.FailedAsync(); len(f) != 0 {
		t.Fatalf("FailedAsync = %+v, want none", f)
	}
}

func TestAFailedEventIsRetriedTwiceThenRecordedInFailedAsync(t *testing.T) {
	s, c := start(t, WithRetryDelay(20*time.Millisecond))
	var mu sync.Mutex
	var times []time.Time
	s.Register("scan-run", func(context.Context, []byte) ([]byte, error) {
		mu.Lock()
		times = append(times, time.Now())
		n := len(times)
		mu.Unlock()
		return nil, &lambdaruntime.FunctionError{Type: "errorString", Message: fmt.Sprintf("attempt %d", n),
			Payload: fmt.Appendf(nil, `{"errorMessage":"attempt %d","errorType":"errorString"}`, n)}
	})

	out, err := invoke(t, c, &lambda.InvokeInput{FunctionName: aws.String("scan-run"),
		InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"scanId":"scn_2"}`)})
	if err != nil || out.StatusCode != 202 {
		t.Fatalf("status %v err %v, want 202 even though the function will fail", out, err)
	}
	reqID, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	if !ok || len(reqID) != 36 {
		t.Fatalf("X-Amzn-RequestId %q, want a UUID", reqID)
	}
	s.Wait()

	mu.Lock()
	defer mu.Unlock()
	if len(times) != 3 {
		t.Fatalf("the function ran %d times, want 3 (the attempt and two retries)", len(times))
	}
	if d1, d2 := times[1].Sub(times[0]), times[2].Sub(times[1]); d1 < 20*time.Millisecond || d2 < 40*time.Millisecond {
		t.Fatalf("retries after %v and %v, want at least the delay and twice it (20ms, 40ms)", d1, d2)
	}
	failed := s.FailedAsync()
	if len(failed) != 1 {
		t.Fatalf("FailedAsync = %+v, want the one event", failed)
	}
	f := failed[0]
	var fe *lambdaruntime.FunctionError
	if f.Function != "scan-run" || string(f.Payload) != `{"scanId":"scn_2"}` || f.Condition != RetriesExhausted ||
		f.Attempts != 3 || !errors.As(f.Err, &fe) || fe.Message != "attempt 3" ||
		string(f.Response) != `{"errorMessage":"attempt 3","errorType":"errorString"}` || f.Time.IsZero() {
		t.Fatalf("FailedAsync[0] = %+v", f)
	}
	if f.RequestID != reqID {
		t.Fatalf("RequestID %q, want the one answered, %q", f.RequestID, reqID)
	}
}

func TestAnEventThatSucceedsOnARetryIsNotAFailure(t *testing.T) {
	s, c := start(t)
	rec := &recorder{fn: func(n int, _ []byte) ([]byte, error) {
		if n == 1 {
			return nil, errors.New("transient")
		}
		return nil, nil
	}}
	s.Register("scan-run", rec.invoke)
	if _, err := invoke(t, c, &lambda.InvokeInput{FunctionName: aws.String("scan-run"), InvocationType: types.InvocationTypeEvent}); err != nil {
		t.Fatal(err)
	}
	s.Wait()
	if n := len(rec.calls()); n != 2 {
		t.Fatalf("%d attempts, want 2", n)
	}
	if f := s.FailedAsync(); len(f) != 0 {
		t.Fatalf("FailedAsync = %+v, want none", f)
	}
}

func TestWithMaxRetriesZeroGivesUpAfterOneAttempt(t *testing.T) {
	s, c := start(t, WithMaxRetries(0))
	rec := &recorder{fn: func(int, []byte) ([]byte, error) { return nil, errors.New("no") }}
	s.Register("scan-run", rec.invoke)
	if _, err := invoke(t, c, &lambda.InvokeInput{FunctionName: aws.String("scan-run"), InvocationType: types.InvocationTypeEvent}); err != nil {
		t.Fatal(err)
	}
	s.Wait()
	if f := s.FailedAsync(); len(rec.calls()) != 1 || len(f) != 1 || f[0].Attempts != 1 {
		t.Fatalf("%d calls, FailedAsync %+v; want one attempt, given up", len(rec.calls()), f)
	}
}

func TestCloseStopsRetries(t *testing.T) {
	s, err := Start("", WithRetryDelay(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(s.URL())
	rec := &recorder{fn: func(int, []byte) ([]byte, error) { return nil, errors.New("down") }}
	s.Register("scan-run", rec.invoke)
	if _, err := invoke(t, c, &lambda.InvokeInput{FunctionName: aws.String("scan-run"), InvocationType: types.InvocationTypeEvent}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(rec.calls()) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	began := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(began); d > 2*time.Second {
		t.Fatalf("Close took %v waiting for an hour-long retry", d)
	}
	s.Wait() // returns at once: the event was abandoned
	f := s.FailedAsync()
	if len(rec.calls()) != 1 || len(f) != 1 || f[0].Condition != Abandoned || f[0].Attempts != 1 {
		t.Fatalf("%d calls, FailedAsync %+v; want one attempt, abandoned", len(rec.calls()), f)
	}
}

func TestCloseEndsTheContextOfInvocationsInFlight(t *testing.T) {
	h := NewHandler()
	started := make(chan struct{})
	slow := func(ctx context.Context, _ []byte) ([]byte, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	ev := &asyncEvent{function: "slow", invoker: slow, requestID: "r", payload: []byte(`{}`), done: make(chan struct{})}
	if !h.enqueue(ev) {
		t.Fatal("enqueue refused before Close")
	}
	<-started
	if !h.Close(5 * time.Second) {
		t.Fatal("Close: the invocation did not end with its context")
	}
	if f := h.FailedAsync(); len(f) != 1 || f[0].Condition != Abandoned || !errors.Is(f[0].Err, context.Canceled) {
		t.Fatalf("FailedAsync = %+v, want the event abandoned with context.Canceled", f)
	}
	if h.enqueue(&asyncEvent{done: make(chan struct{})}) {
		t.Fatal("an event was accepted after Close")
	}
}

func TestAnUnknownFunctionIsResourceNotFound(t *testing.T) {
	_, c := start(t)
	for _, typ := range []types.InvocationType{types.InvocationTypeRequestResponse, types.InvocationTypeEvent, types.InvocationTypeDryRun} {
		_, err := invoke(t, c, &lambda.InvokeInput{FunctionName: aws.String("nope"), InvocationType: typ, Payload: []byte(`{}`)})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Fatalf("%s: err = %v (%T), want *types.ResourceNotFoundException", typ, err, err)
		}
		if want := "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"; aws.ToString(nf.Message) != want || aws.ToString(nf.Type) != "User" {
			t.Fatalf("%s: Message %q Type %q, want %q, User", typ, aws.ToString(nf.Message), aws.ToString(nf.Type), want)
		}
	}
}

func TestFunctionNameMayBeANameAnARNOrAPartialARN(t *testing.T) {
	s, c := start(t)
	rec := &recorder{}
	s.Register("scan-run", rec.invoke)
	if got := s.ARN("scan-run"); got != "arn:aws:lambda:us-east-1:000000000000:function:scan-run" {
		t.Fatalf("ARN = %s", got)
	}
	found := []struct{ name, qualifier string }{
		{"scan-run", ""},
		{"scan-run:$LATEST", ""},
		{"scan-run", "$LATEST"},
		{"arn:aws:lambda:us-east-1:000000000000:function:scan-run", ""},
		{"arn:aws:lambda:eu-west-1:000000000000:function:scan-run", ""}, // no region configured: any
		{"arn:aws:lambda:us-east-1:000000000000:function:scan-run:$LATEST", "$LATEST"},
		{"000000000000:function:scan-run", ""},
		{"000000000000:function:scan-run:$LATEST", ""},
		{"us-east-1:000000000000:function:scan-run", ""},
		{"function:scan-run", ""},
	}
	for _, f := range found {
		in := &lambda.InvokeInput{FunctionName: aws.String(f.name), Payload: []byte(`{}`)}
		if f.qualifier != "" {
			in.Qualifier = aws.String(f.qualifier)
		}
		if out, err := invoke(t, c, in); err != nil || out.StatusCode != 200 {
			t.Errorf("%s (Qualifier %q): %v, want it to resolve to scan-run", f.name, f.qualifier, err)
		}
	}
	if n := len(rec.calls()); n != len(found) {
		t.Errorf("the function ran %d times, want %d", n, len(found))
	}

	notFound := []struct{ name, qualifier, message string }{
		{"arn:aws:lambda:us-east-1:123456789012:function:scan-run", "", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:scan-run"},
		{"123456789012:function:scan-run", "", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:scan-run"},
		{"scan-run:live", "", "Function not found: arn:aws:lambda:us-east-1:000000000000:function:scan-run:live"},
		{"scan-run", "7", "Function not found: arn:aws:lambda:us-east-1:000000000000:function:scan-run:7"},
		{"arn:aws:lambda:us-east-1:000000000000:function:scan", "", "Function not found: arn:aws:lambda:us-east-1:000000000000:function:scan"},
	}
	for _, f := range notFound {
		in := &lambda.InvokeInput{FunctionName: aws.String(f.name)}
		if f.qualifier != "" {
			in.Qualifier = aws.String(f.qualifier)
		}
		_, err := invoke(t, c, in)
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) || aws.ToString(nf.Message) != f.message {
			t.Errorf("%s (Qualifier %q): %v, want ResourceNotFoundException %q", f.name, f.qualifier, err, f.message)
		}
	}

	_, err := invoke(t, c, &lambda.InvokeInput{FunctionName: aws.String("scan-run:$LATEST"), Qualifier: aws.String("live")})
	var ipv *types.InvalidParameterValueException
	if !errors.As(err, &ipv) {
		t.Errorf("differing qualifiers: %v, want InvalidParameterValueException", err)
	}

	for _, bad := range []string{"arn:aws:s3:::bucket", "a b", "arn:aws:lambda:us-east-1:000000000000:layer:x", "1:2:3:4"} {
		_, err := invoke(t, c, &lambda.InvokeInput{FunctionName: aws.String(bad)})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
			t.Errorf("%q: %v, want ValidationException", bad, err)
		}
	}
}

func TestWithRegionAndAccountTheARNMustMatch(t *testing.T) {
	s, c := start(t, WithRegion("eu-west-1"), WithAccountID("123456789012"))
	s.Register("scan-run", (&recorder{}).invoke)
	if _, err := invoke(t, c, &lambda.InvokeInput{FunctionName: aws.String("arn:aws:lambda:eu-west-1:123456789012:function:scan-run")}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"arn:aws:lambda:us-east-1:123456789012:function:scan-run", "000000000000:function:scan-run"} {
		_, err := invoke(t, c, &lambda.InvokeInput{FunctionName: aws.String(name)})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("%s: %v, want ResourceNotFoundException", name, err)
		}
	}
}

func TestDryRunChecksTheFunctionWithoutRunningIt(t *testing.T) {
	s, c := start(t)
	rec := &recorder{}
	s.Register("scan-run", rec.invoke)
	out, err := invoke(t, c, &lambda.InvokeInput{FunctionName: aws.String("scan-run"), InvocationType: types.InvocationTypeDryRun, Payload: []byte(`{}`)})
	if err != nil || out.StatusCode != 204 {
		t.Fatalf("DryRun: %+v %v, want 204", out, err)
	}
	s.Wait()
	if n := len(rec.calls()); n != 0 {
		t.Fatalf("DryRun ran the function %d times", n)
	}
}

func TestPayloadLimitsAndValidity(t *testing.T) {
	s, c := start(t)
	s.Register("fn", func(context.Context, []byte) ([]byte, error) { return []byte(`{}`), nil })
	// jsonOf returns a JSON string document of exactly n bytes.
	jsonOf := func(n int) []byte { return append(append([]byte{'"'}, bytes.Repeat([]byte{'x'}, n-2)...), '"') }

	cases := []struct {
		typ     types.InvocationType
		size    int
		tooLong bool
	}{
		{types.InvocationTypeRequestResponse, 6 << 20, false},
		{types.InvocationTypeRequestResponse, 6<<20 + 1, true},
		{types.InvocationTypeDryRun, 6<<20 + 1, true},
		{types.InvocationTypeEvent, 1 << 20, false},
		{types.InvocationTypeEvent, 1<<20 + 1, true},
		{types.InvocationTypeEvent, 6 << 20, true},
		{types.InvocationTypeRequestResponse, 7 << 20, true},
	}
	for _, tc := range cases {
		_, err := invoke(t, c, &lambda.InvokeInput{FunctionName: aws.String("fn"), InvocationType: tc.typ, Payload: jsonOf(tc.size)})
		var tl *types.RequestTooLargeException
		if tc.tooLong != errors.As(err, &tl) {
			t.Errorf("%s of %d bytes: err = %v, want RequestTooLargeException: %t", tc.typ, tc.size, err, tc.tooLong)
		}
		if tl != nil && !strings.Contains(aws.ToString(tl.Message), "Request must be smaller than") {
			t.Errorf("%s of %d bytes: message %q", tc.typ, tc.size, aws.ToString(tl.Message))
		}
	}

	for _, typ := range []types.InvocationType{types.InvocationTypeRequestResponse, types.InvocationTypeEvent, types.InvocationTypeDryRun} {
		_, err := invoke(t, c, &lambda.InvokeInput{FunctionName: aws.String("fn"), InvocationType: typ, Payload: []byte(`{"a":`)})
		var irc *types.InvalidRequestContentException
		if !errors.As(err, &irc) || !strings.HasPrefix(aws.ToString(irc.Message), "Could not parse request body into json") {
			t.Errorf("%s with invalid JSON: %v, want InvalidRequestContentException", typ, err)
		}
	}
	s.Wait()
}

func TestAnUnknownInvocationTypeOrOperationIsRefused(t *testing.T) {
	s, c := start(t)
	s.Register("fn", (&recorder{}).invoke)
	_, err := invoke(t, c, &lambda.InvokeInput{FunctionName: aws.String("fn"), InvocationType: "Later"})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
		t.Fatalf("InvocationType Later: %v, want ValidationException", err)
	}
	_, err = c.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("fn")})
	if !errors.As(err, &ae) || ae.ErrorCode() != "UnknownOperationException" {
		t.Fatalf("GetFunction: %v, want UnknownOperationException", err)
	}
}

func TestAClosedFunctionIsAServiceException(t *testing.T) {
	s, _ := start(t)
	s.Register("fn", func(context.Context, []byte) ([]byte, error) { return nil, lambdaruntime.ErrClosed })
	c := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.URL()), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	_, err := invoke(t, c, &lambda.InvokeInput{FunctionName: aws.String("fn")})
	var se *types.ServiceException
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want ServiceException", err)
	}
}

func TestTheLauncherLaunchesScanRunUnchanged(t *testing.T) {
	s, c := start(t)
	rec := &recorder{}
	s.Register("scan-run", rec.invoke)
	sc := portal.Scan{ID: "scn_01JD0000000000000000000001", PartnerID: "prt_01JD0000000000000000000002", TenantID: "cus_01JD0000000000000000000003"}
	want, _ := json.Marshal(sc.Ref())

	for _, fn := range []string{"scan-run", s.ARN("scan-run")} {
		l := &lambdainvoke.Launcher{Client: c, Function: fn}
		if err := l.Launch(context.Background(), sc); err != nil {
			t.Fatalf("Launch via %s: %v", fn, err)
		}
	}
	s.Wait()
	if got := rec.calls(); len(got) != 2 || got[0] != string(want) || got[1] != string(want) {
		t.Fatalf("scan-run received %q, want the scan reference %s twice", got, want)
	}

	l := &lambdainvoke.Launcher{Client: c, Function: "scan-runner"}
	if err := l.Launch(context.Background(), sc); err == nil {
		t.Fatal("launching an unknown function must fail (the scan stays queued)")
	}
}

// The whole chain of the local stack: the scans function runs as its real
// bootstrap binary in a lambdaruntime.Pool, registered here; it launches
// scan-run through lambdainvoke with a client configured only by the
// standard environment (AWS_ENDPOINT_URL_LAMBDA), and scan-run receives the
// event.
func TestARealBootstrapInvokesAnotherFunctionThroughAWSEndpointURLLambda(t *testing.T) {
	s, c := start(t)
	rec := &recorder{}
	s.Register("scan-run", rec.invoke)
	pool := lambdaruntime.NewPool(lambdaruntime.Function{Name: "scans", Binary: fnBin, Timeout: 10 * time.Second, Env: []string{
		"AWS_ENDPOINT_URL_LAMBDA=" + s.URL(),
		"AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local",
		"AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent", "AWS_EC2_METADATA_DISABLED=true",
		"SCAN_RUN_FUNCTION=scan-run",
	}})
	t.Cleanup(func() { _ = pool.Close() })
	s.Register("scans", pool.Invoke)

	ref := portal.ScanRef{PartnerID: "prt_1", TenantID: "cus_1", ScanID: "scn_1"}
	event, _ := json.Marshal(map[string]any{"action": "launch", "scan": ref})
	out, err := invoke(t, c, &lambda.InvokeInput{FunctionName: aws.String("scans"), Payload: event})
	if err != nil {
		t.Fatal(err)
	}
	if out.FunctionError != nil || string(out.Payload) != `{"launched":"scn_1"}` {
		t.Fatalf("FunctionError %q payload %s", aws.ToString(out.FunctionError), out.Payload)
	}
	s.Wait()
	want, _ := json.Marshal(ref)
	if got := rec.calls(); len(got) != 1 || got[0] != string(want) {
		t.Fatalf("scan-run received %q, want %s", got, want)
	}

	// A handler error of the real runtime: Unhandled with aws-lambda-go's document.
	out, err = invoke(t, c, &lambda.InvokeInput{FunctionName: aws.String("scans"), Payload: []byte(`{"action":"fail","message":"bad scan"}`)})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ ErrorMessage, ErrorType string }
	if aws.ToString(out.FunctionError) != "Unhandled" || json.Unmarshal(out.Payload, &doc) != nil ||
		doc.ErrorMessage != "bad scan" || doc.ErrorType != "ValidationError" {
		t.Fatalf("FunctionError %q payload %s, want Unhandled with errorType ValidationError", aws.ToString(out.FunctionError), out.Payload)
	}
}

// The standard SDK configuration reaches the endpoint: what the functions
// do, from the test process itself.
func TestLoadDefaultConfigWithAWSEndpointURLLambdaReachesTheEndpoint(t *testing.T) {
	s, _ := start(t)
	rec := &recorder{}
	s.Register("scan-run", rec.invoke)
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_LAMBDA": s.URL(), "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_SESSION_TOKEN": "",
		"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_PROFILE": "",
		"AWS_ENDPOINT_URL": "", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "",
	} {
		t.Setenv(k, v)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out, err := invoke(t, lambda.NewFromConfig(cfg), &lambda.InvokeInput{FunctionName: aws.String("scan-run"), Payload: []byte(`{"x":1}`)})
	if err != nil || out.StatusCode != http.StatusOK {
		t.Fatalf("%+v %v", out, err)
	}
	if got := rec.calls(); len(got) != 1 || got[0] != `{"x":1}` {
		t.Fatalf("received %q", got)
	}
}

package lambdaruntime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// echoBin is testdata/echo built for the host: a real aws-lambda-go
// bootstrap whose handler does what the event's "action" says.
var echoBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lambdaruntime-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	echoBin = filepath.Join(dir, "bootstrap")
	if out, err := exec.Command("go", "build", "-o", echoBin, "./testdata/echo").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build testdata/echo: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// reply is what the echo function returns.
type reply struct {
	Message     string            `json:"message"`
	RequestID   string            `json:"requestId"`
	FunctionARN string            `json:"functionArn"`
	DeadlineMs  int64             `json:"deadlineMs"`
	PID         int               `json:"pid"`
	Env         map[string]string `json:"env"`
}

// syncBuffer is a Log the test can read while processes write to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newPool is a Pool of the echo function named "echo", closed when the test ends.
func newPool(t *testing.T, f Function) (*Pool, *syncBuffer) {
	t.Helper()
	log := &syncBuffer{}
	f.Name, f.Binary, f.Log = "echo", echoBin, log
	p := NewPool(f)
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p, log
}

func invoke(ctx context.Context, p *Pool, action, message string, sleep time.Duration) ([]byte, error) {
	payload, _ := json.Marshal(map[string]any{"action": action, "message": message, "sleepMs": sleep.Milliseconds()})
	return p.Invoke(ctx, payload)
}

// echo invokes the echo action and decodes the reply.
func echo(t *testing.T, p *Pool, message string) reply {
	t.Helper()
	out, err := invoke(context.Background(), p, "echo", message, 0)
	if err != nil {
		t.Fatalf("echo: %v", err)
	}
	var r reply
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("echo reply %q: %v", out, err)
	}
	return r
}

func functionError(t *testing.T, err error) *FunctionError {
	t.Helper()
	var fe *FunctionError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *FunctionError", err, err)
	}
	return fe
}

// gone reports whether no process pid exists any more.
func gone(pid int) bool {
	proc, err := os.FindProcess(pid)
	if err != nil {
		return true
	}
	return proc.Signal(syscall.Signal(0)) != nil
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestInvokeRunsTheRealRuntimeLoopWithLambdasEnvironment(t *testing.T) {
	t.Parallel()
	p, _ := newPool(t, Function{Timeout: 5 * time.Second, MemoryMB: 256, Env: []string{"AWS_REGION=eu-west-1", "GREETING=hello"}})

	before := time.Now()
	r := echo(t, p, "hi there")
	after := time.Now()

	if r.Message != "hi there" {
		t.Errorf("message = %q, want the payload's", r.Message)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(r.RequestID) {
		t.Errorf("request ID %q is not a UUID", r.RequestID)
	}
	if want := "arn:aws:lambda:eu-west-1:000000000000:function:echo"; r.FunctionARN != want {
		t.Errorf("invoked function ARN = %q, want %q", r.FunctionARN, want)
	}
	if min, max := before.Add(5*time.Second).UnixMilli()-1, after.Add(5*time.Second).UnixMilli(); r.DeadlineMs < min || r.DeadlineMs > max {
		t.Errorf("context deadline %d, want now+Timeout in [%d, %d]", r.DeadlineMs, min, max)
	}
	want := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        "echo",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/echo",
		"AWS_REGION":                      "eu-west-1",
		"AWS_DEFAULT_REGION":              "eu-west-1",
		"_HANDLER":                        "bootstrap",
		"LAMBDA_TASK_ROOT":                filepath.Dir(echoBin),
		"TZ":                              ":UTC",
		"PATH":                            os.Getenv("PATH"),
		"HOME":                            os.Getenv("HOME"),
		"GREETING":                        "hello",
	}
	for k, v := range want {
		if r.Env[k] != v {
			t.Errorf("%s = %q, want %q", k, r.Env[k], v)
		}
	}
	if !strings.HasPrefix(r.Env["AWS_LAMBDA_RUNTIME_API"], "127.0.0.1:") {
		t.Errorf("AWS_LAMBDA_RUNTIME_API = %q, want a loopback host:port", r.Env["AWS_LAMBDA_RUNTIME_API"])
	}
	// Nothing else of the host's environment leaks in.
	allowed := map[string]bool{"AWS_LAMBDA_RUNTIME_API": true, "AWS_LAMBDA_LOG_STREAM_NAME": true, "AWS_LAMBDA_INITIALIZATION_TYPE": true,
		"LAMBDA_RUNTIME_DIR": true, "LANG": true, "_X_AMZN_TRACE_ID": true /* set by aws-lambda-go per invocation */}
	for k := range r.Env {
		if _, ok := want[k]; !ok && !allowed[k] {
			t.Errorf("unexpected variable %s=%q in the function's environment", k, r.Env[k])
		}
	}
}

func TestDefaultRegionIsUSEast1(t *testing.T) {
	t.Parallel()
	p, _ := newPool(t, Function{})
	r := echo(t, p, "")
	if want := "arn:aws:lambda:us-east-1:000000000000:function:echo"; r.FunctionARN != want {
		t.Errorf("ARN = %q, want %q", r.FunctionARN, want)
	}
	if r.Env["AWS_REGION"] != "us-east-1" || r.Env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] != "128" {
		t.Errorf("region %q, memory %q; want us-east-1 and the default 128", r.Env["AWS_REGION"], r.Env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
	}
}

func TestAFunctionErrorIsAFunctionErrorAndTheProcessStaysWarm(t *testing.T) {
	t.Parallel()
	p, _ := newPool(t, Function{})
	first := echo(t, p, "")

	_, err := invoke(context.Background(), p, "fail", "customer name is required", 0)
	fe := functionError(t, err)
	if fe.Type != "ValidationError" || fe.Message != "customer name is required" {
		t.Errorf("error = %q / %q, want the handler's type ValidationError and its message", fe.Type, fe.Message)
	}
	if errors.Is(err, ErrTimeout) || errors.Is(err, ErrExited) {
		t.Errorf("a reported function error wraps %v", errors.Unwrap(err))
	}
	var doc map[string]any
	if json.Unmarshal(fe.Payload, &doc) != nil || doc["errorType"] != "ValidationError" {
		t.Errorf("Payload = %s, want the runtime's error document", fe.Payload)
	}

	if again := echo(t, p, ""); again.PID != first.PID {
		t.Errorf("pid %d after a function error, want the warm %d", again.PID, first.PID)
	}
	if s := p.Stats(); len(s.ColdStarts) != 1 || s.Invocations != 3 || s.Restarts != 0 {
		t.Errorf("stats = %+v, want 1 cold start, 3 invocations, no restart", s)
	}
}

func TestATimeoutKillsTheProcessAndTheNextInvokeStartsAnother(t *testing.T) {
	t.Parallel()
	p, log := newPool(t, Function{Timeout: 300 * time.Millisecond})
	first := echo(t, p, "")

	start := time.Now()
	_, err := invoke(context.Background(), p, "sleep", "", 10*time.Second)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("timed out after %v, want about the 300ms timeout", took)
	}
	if fe := functionError(t, err); fe.Type != "Sandbox.Timedout" || fe.Message != "Task timed out after 0.30 seconds" {
		t.Errorf("error = %q / %q, want Lambda's timeout error", fe.Type, fe.Message)
	}
	eventually(t, "the timed-out process to be killed", func() bool { return gone(first.PID) })

	next := echo(t, p, "after")
	if next.PID == first.PID || next.Message != "after" {
		t.Errorf("after a timeout: pid %d message %q, want a new process answering", next.PID, next.Message)
	}
	if s := p.Stats(); s.Restarts != 1 || len(s.ColdStarts) != 2 {
		t.Errorf("stats = %+v, want 1 restart, 2 cold starts", s)
	}
	if !strings.Contains(log.String(), "[echo] Task timed out after 0.30 seconds") {
		t.Errorf("log does not note the timeout:\n%s", log)
	}
}

func TestACrashIsAnErrorAndTheProcessIsRestarted(t *testing.T) {
	t.Parallel()
	p, log := newPool(t, Function{})
	first := echo(t, p, "")

	_, err := invoke(context.Background(), p, "crash", "", 0)
	if !errors.Is(err, ErrExited) {
		t.Fatalf("err = %v, want ErrExited", err)
	}
	if fe := functionError(t, err); fe.Type != "Runtime.ExitError" || !strings.Contains(fe.Message, "exit status 3") {
		t.Errorf("error = %q / %q, want Runtime.ExitError with the exit status", fe.Type, fe.Message)
	}

	next := echo(t, p, "")
	if next.PID == first.PID {
		t.Errorf("the crashed process %d answered again", first.PID)
	}
	if s := p.Stats(); s.Restarts != 1 || s.Invocations != 3 {
		t.Errorf("stats = %+v, want 1 restart, 3 invocations", s)
	}
	eventually(t, "the crash in the log", func() bool {
		return strings.Contains(log.String(), "[echo] crashing\n") && strings.Contains(log.String(), "exited: exit status 3")
	})
}

func TestAPanicIsReportedAndTheExitingProcessIsReplaced(t *testing.T) {
	t.Parallel()
	p, _ := newPool(t, Function{MaxConcurrency: 1})
	first := echo(t, p, "")

	_, err := invoke(context.Background(), p, "panic", "boom", 0)
	fe := functionError(t, err)
	if fe.Type != "string" || fe.Message != "boom" || len(fe.StackTrace) == 0 {
		t.Errorf("error = %q / %q (stack %s), want aws-lambda-go's panic report", fe.Type, fe.Message, fe.StackTrace)
	}
	if errors.Is(err, ErrExited) {
		t.Error("the panic was reported by the runtime, yet the error says it exited")
	}

	// aws-lambda-go exits after reporting a panic; the next invoke must
	// not be lost on the dying process.
	if next := echo(t, p, ""); next.PID == first.PID {
		t.Errorf("the panicked process %d answered again", first.PID)
	}
	if s := p.Stats(); s.Restarts != 1 {
		t.Errorf("stats = %+v, want 1 restart", s)
	}
}

func TestParallelInvokesStartUpToMaxConcurrencyProcesses(t *testing.T) {
	t.Parallel()
	p, _ := newPool(t, Function{MaxConcurrency: 3})

	const n, sleep = 7, 300 * time.Millisecond
	start := time.Now()
	var wg sync.WaitGroup
	pids := make([]int, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			out, err := invoke(context.Background(), p, "sleep", fmt.Sprint(i), sleep)
			var r reply
			if err == nil {
				err = json.Unmarshal(out, &r)
			}
			if err == nil && r.Message != fmt.Sprint(i) {
				err = fmt.Errorf("reply %q to invocation %d", r.Message, i)
			}
			pids[i], errs[i] = r.PID, err
		})
	}
	wg.Wait()
	took := time.Since(start)

	distinct := map[int]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Errorf("invocation %d: %v", i, errs[i])
		}
		distinct[pids[i]] = true
	}
	if len(distinct) != 3 {
		t.Errorf("%d processes answered, want MaxConcurrency (3)", len(distinct))
	}
	if took < 3*sleep {
		t.Errorf("7 invocations of %v on 3 processes took %v: more than 3 ran at once", sleep, took)
	}
	if s := p.Stats(); len(s.ColdStarts) != 3 || s.Invocations != n || s.Restarts != 0 {
		t.Errorf("stats = %+v, want 3 cold starts, %d invocations", s, n)
	}
}

func TestAColdStartIsRecordedOncePerProcess(t *testing.T) {
	t.Parallel()
	p, log := newPool(t, Function{})
	pid := echo(t, p, "").PID
	for range 4 {
		if r := echo(t, p, ""); r.PID != pid {
			t.Fatalf("sequential invocations ran on pids %d and %d, want one warm process", pid, r.PID)
		}
	}
	s := p.Stats()
	if len(s.ColdStarts) != 1 || s.ColdStarts[0] <= 0 || s.Invocations != 5 {
		t.Errorf("stats = %+v, want one positive cold start and 5 invocations", s)
	}
	if got := strings.Count(log.String(), "cold start"); got != 1 {
		t.Errorf("%d cold starts logged, want 1:\n%s", got, log)
	}
}

func TestProcessOutputIsLoggedLineByLineWithTheFunctionsName(t *testing.T) {
	t.Parallel()
	p, log := newPool(t, Function{})
	if _, err := invoke(context.Background(), p, "log", "hello", 0); err != nil {
		t.Fatal(err)
	}
	eventually(t, "both lines in the log", func() bool {
		s := log.String()
		return strings.Contains(s, "[echo] to stdout: hello\n") && strings.Contains(s, "[echo] to stderr: hello\n")
	})
	for _, line := range strings.Split(strings.TrimSuffix(log.String(), "\n"), "\n") {
		if !strings.HasPrefix(line, "[echo] ") {
			t.Errorf("log line %q lacks the [echo] prefix", line)
		}
	}
}

func TestCloseStopsEveryProcessAndLaterInvokesFail(t *testing.T) {
	t.Parallel()
	p, _ := newPool(t, Function{MaxConcurrency: 2})
	var wg sync.WaitGroup
	pids := make([]int, 2)
	for i := range 2 {
		wg.Go(func() {
			out, err := invoke(context.Background(), p, "sleep", "", 200*time.Millisecond)
			var r reply
			if err == nil {
				err = json.Unmarshal(out, &r)
			}
			if err != nil {
				t.Error(err)
			}
			pids[i] = r.PID
		})
	}
	wg.Wait()
	if pids[0] == pids[1] {
		t.Fatalf("both ran on pid %d, want two processes", pids[0])
	}

	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, pid := range pids {
		if !gone(pid) {
			t.Errorf("pid %d still exists after Close", pid)
		}
	}
	if _, err := invoke(context.Background(), p, "echo", "", 0); !errors.Is(err, ErrClosed) {
		t.Errorf("Invoke after Close: %v, want ErrClosed", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestCloseKillsAProcessThatIgnoresSIGTERMAfterTheGracePeriod(t *testing.T) {
	t.Parallel()
	p, _ := newPool(t, Function{Env: []string{"ECHO_INIT=ignore-sigterm"}})
	p.grace = 300 * time.Millisecond
	pid := echo(t, p, "").PID

	start := time.Now()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 300*time.Millisecond || took > 3*time.Second {
		t.Errorf("Close took %v, want the 300ms grace period then SIGKILL", took)
	}
	if !gone(pid) {
		t.Errorf("pid %d survived Close", pid)
	}
}

func TestCloseSendsSIGTERMToARuntimeThatRegisteredForIt(t *testing.T) {
	t.Parallel()
	// lambda.WithEnableSIGTERM registers an extension on the Extensions API.
	p, log := newPool(t, Function{Env: []string{"ECHO_INIT=sigterm"}})
	echo(t, p, "")
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if s := log.String(); !strings.Contains(s, "[echo] got SIGTERM") || strings.Contains(s, "WARNING") {
		t.Errorf("log:\n%s\nwant the SIGTERM handler's line and no registration warning", s)
	}
}

func TestCloseFailsAnInvocationInFlight(t *testing.T) {
	t.Parallel()
	p, _ := newPool(t, Function{Timeout: 10 * time.Second})
	done := make(chan error, 1)
	go func() {
		_, err := invoke(context.Background(), p, "sleep", "", 10*time.Second)
		done <- err
	}()
	eventually(t, "the invocation to be delivered", func() bool { return p.Stats().Invocations == 1 })
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Errorf("in-flight Invoke: %v, want ErrClosed", err)
	}
}

func TestInvokeWaitsForAFreeProcessOnlyUntilCtxIsDone(t *testing.T) {
	t.Parallel()
	p, _ := newPool(t, Function{MaxConcurrency: 1})
	busy := make(chan error, 1)
	go func() {
		_, err := invoke(context.Background(), p, "sleep", "", time.Second)
		busy <- err
	}()
	eventually(t, "the first invocation to be delivered", func() bool { return p.Stats().Invocations == 1 })

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := invoke(ctx, p, "echo", "", 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the context's", err)
	}
	if took := time.Since(start); took > 600*time.Millisecond {
		t.Errorf("gave up after %v, want about 100ms", took)
	}
	if err := <-busy; err != nil {
		t.Errorf("the running invocation: %v", err)
	}
	if s := p.Stats(); len(s.ColdStarts) != 1 {
		t.Errorf("stats = %+v, want a single process at MaxConcurrency 1", s)
	}
}

func TestAnAbandonedInvocationFinishesAndTheProcessIsReused(t *testing.T) {
	t.Parallel()
	// One process, so the next invocation waits for the abandoned one.
	p, log := newPool(t, Function{Timeout: 5 * time.Second, MaxConcurrency: 1})
	pid := echo(t, p, "").PID

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := invoke(ctx, p, "sleep", "", 400*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's", err)
	}
	if r := echo(t, p, ""); r.PID != pid {
		t.Errorf("pid %d after an abandoned invocation, want the same warm %d", r.PID, pid)
	}
	if s := p.Stats(); s.Restarts != 0 || strings.Contains(log.String(), "timed out") {
		t.Errorf("stats %+v, log:\n%s\nwant no restart or timeout", s, log)
	}
}

func TestInitFailures(t *testing.T) {
	t.Parallel()
	t.Run("exit during init", func(t *testing.T) {
		t.Parallel()
		p, log := newPool(t, Function{Env: []string{"ECHO_INIT=exit"}})
		_, err := invoke(context.Background(), p, "echo", "", 0)
		if !errors.Is(err, ErrExited) || !strings.Contains(err.Error(), "exit status 2") {
			t.Errorf("err = %v, want ErrExited with the exit status", err)
		}
		eventually(t, "the process's output", func() bool { return strings.Contains(log.String(), "[echo] init failed\n") })
	})
	t.Run("init never finishes", func(t *testing.T) {
		t.Parallel()
		p, _ := newPool(t, Function{Env: []string{"ECHO_INIT=hang"}})
		p.initTimeout = 300 * time.Millisecond
		_, err := invoke(context.Background(), p, "echo", "", 0)
		if !errors.Is(err, ErrTimeout) {
			t.Errorf("err = %v, want ErrTimeout", err)
		}
	})
	t.Run("runtime posts an init error", func(t *testing.T) {
		t.Parallel()
		p, _ := newPool(t, Function{Env: []string{"ECHO_INIT=init-error"}})
		_, err := invoke(context.Background(), p, "echo", "", 0)
		if !errors.Is(err, ErrInit) {
			t.Fatalf("err = %v, want ErrInit", err)
		}
		if fe := functionError(t, err); fe.Type != "ConfigError" || fe.Message != "no configuration" {
			t.Errorf("error = %q / %q, want the posted document", fe.Type, fe.Message)
		}
	})
	t.Run("missing binary", func(t *testing.T) {
		t.Parallel()
		p := NewPool(Function{Name: "missing", Binary: filepath.Join(t.TempDir(), "bootstrap")})
		defer p.Close()
		if _, err := p.Invoke(context.Background(), []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "start") {
			t.Errorf("err = %v, want the start error", err)
		}
	})
}

func TestPayloadLimits(t *testing.T) {
	t.Parallel()
	p, _ := newPool(t, Function{})
	if _, err := p.Invoke(context.Background(), make([]byte, MaxPayload+1)); !errors.Is(err, ErrPayloadTooLarge) {
		t.Errorf("oversized payload: %v, want ErrPayloadTooLarge", err)
	}
	_, err := invoke(context.Background(), p, "big", "", 0)
	if fe := functionError(t, err); fe.Type != "Function.ResponseSizeTooLarge" {
		t.Errorf("oversized response: %v, want Function.ResponseSizeTooLarge", err)
	}
	echo(t, p, "still answering")
}

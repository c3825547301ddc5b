// Package lambdaruntime runs a function's real bootstrap binary (built for
// the host OS with aws-lambda-go, or any custom runtime) on this machine,
// behind a local implementation of the AWS Lambda Runtime API
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html), so the
// local stack can invoke it the way Lambda does: the binary's own runtime
// loop GETs /2018-06-01/runtime/invocation/next and POSTs the response or the
// error back.
//
// A Pool keeps the warm processes of one Function. Each process gets its own
// loopback listener, so AWS_LAMBDA_RUNTIME_API is unique per process and
// every request on it belongs to that process. A process handles one
// invocation at a time, as in Lambda; the Pool starts more, up to
// Function.MaxConcurrency, when all are busy.
//
// Differences from Lambda worth knowing: processes are not frozen between
// invocations (background goroutines keep running), there is no memory limit
// (MemoryMB is only reported), and the environment is a minimal one built
// here (see Function.Env), not the host's.
package lambdaruntime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults for the zero values of Function's fields, and the limits Lambda
// applies that the Pool applies too.
const (
	// DefaultTimeout is the invocation timeout when Function.Timeout is 0
	// (Lambda's default).
	DefaultTimeout = 3 * time.Second
	// DefaultMemoryMB is reported when Function.MemoryMB is 0 (Lambda's default).
	DefaultMemoryMB = 128
	// DefaultMaxConcurrency is the most processes at once when
	// Function.MaxConcurrency is 0.
	DefaultMaxConcurrency = 4
	// InitTimeout bounds how long a new process may take to ask for its
	// first invocation (Lambda's 10 s init phase); a process that takes
	// longer is killed.
	InitTimeout = 10 * time.Second
	// ShutdownGrace is how long Close waits after SIGTERM before SIGKILL.
	ShutdownGrace = 2 * time.Second
	// MaxPayload is the largest invocation payload and the largest
	// response Lambda accepts for a synchronous invocation (6 MB).
	MaxPayload = 6 << 20
)

// Account is the account ID in the invoked function ARN the processes see.
const Account = "000000000000"

// Errors a Pool returns. ErrTimeout and ErrExited arrive wrapped in a
// *FunctionError (as Lambda reports them to the caller); test with errors.Is.
var (
	// ErrTimeout: the invocation ran past Function.Timeout (or the process
	// did not finish init within InitTimeout); the process was killed and
	// is replaced on next use.
	ErrTimeout = errors.New("lambdaruntime: timed out")
	// ErrExited: the process exited (crashed, os.Exit, a fatal panic)
	// before answering the invocation, or during init; it is replaced on
	// next use.
	ErrExited = errors.New("lambdaruntime: runtime exited")
	// ErrInit: the runtime reported an init error on
	// /runtime/init/error; the process was killed.
	ErrInit = errors.New("lambdaruntime: runtime init error")
	// ErrClosed: Invoke on a closed Pool, or the Pool was closed while the
	// invocation waited or ran.
	ErrClosed = errors.New("lambdaruntime: pool closed")
	// ErrPayloadTooLarge: the invocation payload exceeds MaxPayload
	// (nothing was started or invoked).
	ErrPayloadTooLarge = errors.New("lambdaruntime: payload exceeds 6 MB")
)

// FunctionError is an invocation that failed inside the function: the
// error the runtime POSTed to /runtime/invocation/{id}/error (a handler's
// returned error, or a recovered panic), or one Lambda itself would report
// for the invocation: "Sandbox.Timedout" (wraps ErrTimeout),
// "Runtime.ExitError" (wraps ErrExited), an init error (wraps ErrInit) or
// "Function.ResponseSizeTooLarge".
type FunctionError struct {
	Type       string          `json:"errorType"`            // e.g. "errorString", "ValidationError", "Sandbox.Timedout"
	Message    string          `json:"errorMessage"`         // the error's text
	StackTrace json.RawMessage `json:"stackTrace,omitempty"` // as the runtime sent it (aws-lambda-go: [{path,line,label}])
	// Payload is the error document as Lambda's Invoke API would return
	// it (with X-Amz-Function-Error: Unhandled): the body the runtime
	// posted, or {"errorMessage","errorType"} for errors made here.
	Payload []byte `json:"-"`
	cause   error
}

// Error returns "Type: Message".
func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// Unwrap returns ErrTimeout, ErrExited or ErrInit for errors the Pool made,
// nil for errors the function reported.
func (e *FunctionError) Unwrap() error { return e.cause }

// newError is a FunctionError made here (not posted by the runtime).
func newError(typ, msg string, cause error) *FunctionError {
	e := &FunctionError{Type: typ, Message: msg, cause: cause}
	e.Payload, _ = json.Marshal(e)
	return e
}

// parseError reads an error document posted by a runtime; typ is the
// Lambda-Runtime-Function-Error-Type header, used when the body has none.
func parseError(body []byte, typ string) *FunctionError {
	e := &FunctionError{}
	if json.Unmarshal(body, e) != nil {
		e.Message = strings.TrimSpace(string(body))
	}
	if e.Type == "" {
		e.Type = typ
	}
	if e.Type == "" {
		e.Type = "Unhandled"
	}
	e.Payload = body
	if len(body) == 0 || !json.Valid(body) {
		e.Payload, _ = json.Marshal(e)
	}
	return e
}

// Function is how to run one function's binary.
type Function struct {
	Name   string // e.g. "customers": log prefix, AWS_LAMBDA_FUNCTION_NAME, ARN (default: the binary's directory name)
	Binary string // path of the bootstrap executable; its directory is LAMBDA_TASK_ROOT and the working directory
	// Env is extra environment (KEY=VALUE) after the base environment
	// Lambda sets (AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_FUNCTION_NAME,
	// AWS_LAMBDA_FUNCTION_VERSION, AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
	// AWS_LAMBDA_LOG_GROUP_NAME, AWS_LAMBDA_LOG_STREAM_NAME,
	// AWS_REGION, AWS_DEFAULT_REGION, _HANDLER, LAMBDA_TASK_ROOT, TZ,
	// plus the host's PATH and HOME); a key here overrides the base one.
	// Nothing else of the host's environment is passed. The region is
	// Env's AWS_REGION, else its AWS_DEFAULT_REGION, else us-east-1.
	Env            []string
	Timeout        time.Duration // per invocation; 0 means DefaultTimeout
	MemoryMB       int           // reported as AWS_LAMBDA_FUNCTION_MEMORY_SIZE; 0 means DefaultMemoryMB
	MaxConcurrency int           // most processes at once; 0 means DefaultMaxConcurrency
	Log            io.Writer     // each line of the processes' stdout and stderr, and the Pool's own notes, prefixed "[Name] "; nil discards
}

// region is the function's AWS region (see Function.Env).
func (f Function) region() string {
	for _, key := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		for i := len(f.Env) - 1; i >= 0; i-- {
			if k, v, ok := strings.Cut(f.Env[i], "="); ok && k == key && v != "" {
				return v
			}
		}
	}
	return "us-east-1"
}

// ARN is the invoked function ARN the processes see.
func (f Function) ARN() string {
	return "arn:aws:lambda:" + f.region() + ":" + Account + ":function:" + f.Name
}

// environ is a process's environment; api is its AWS_LAMBDA_RUNTIME_API.
func (f Function) environ(api string) []string {
	root := filepath.Dir(f.Binary)
	region := f.region()
	env := []string{
		"AWS_LAMBDA_RUNTIME_API=" + api,
		"AWS_LAMBDA_FUNCTION_NAME=" + f.Name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(f.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + f.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME=" + time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + randomHex(16),
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_REGION=" + region,
		"AWS_DEFAULT_REGION=" + region,
		"_HANDLER=bootstrap",
		"LAMBDA_TASK_ROOT=" + root,
		"LAMBDA_RUNTIME_DIR=" + root,
		"TZ=:UTC",
		"LANG=en_US.UTF-8",
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
	}
	// os/exec keeps the last value of a duplicated key, so f.Env wins.
	return append(env, f.Env...)
}

// withDefaults fills the zero values of f.
func (f Function) withDefaults() Function {
	if f.Timeout <= 0 {
		f.Timeout = DefaultTimeout
	}
	if f.MemoryMB <= 0 {
		f.MemoryMB = DefaultMemoryMB
	}
	if f.MaxConcurrency <= 0 {
		f.MaxConcurrency = DefaultMaxConcurrency
	}
	if f.Log == nil {
		f.Log = io.Discard
	}
	if abs, err := filepath.Abs(f.Binary); err == nil {
		f.Binary = abs
	}
	if f.Name == "" {
		f.Name = strings.TrimSuffix(filepath.Base(filepath.Dir(f.Binary)), string(filepath.Separator))
	}
	return f
}

// Stats is what a Pool has done so far.
type Stats struct {
	// ColdStarts has one entry per process that got through init: the
	// time from its start to its first GET .../invocation/next, in the
	// order they got there.
	ColdStarts []time.Duration
	// Invocations counts invocations handed to a process (payloads
	// delivered), whatever their outcome.
	Invocations int
	// Restarts counts processes started to replace one that exited or was
	// killed (crash, timeout, fatal panic, init failure).
	Restarts int
}

// Pool is the warm processes of one Function. Its methods are safe for
// concurrent use.
type Pool struct {
	f           Function
	initTimeout time.Duration // InitTimeout; tests shorten it
	grace       time.Duration // ShutdownGrace; tests shorten it
	log         *logger

	mu       sync.Mutex
	procs    map[*process]bool // started and not yet exited
	starting int               // slots reserved by processes being started
	idle     []*process        // warm, waiting for an invocation
	changed  chan struct{}     // closed (and replaced) whenever a slot or process frees up
	closed   bool
	closing  chan struct{} // closed by Close
	lost     int           // processes that died and are not replaced yet
	stats    Stats
	wg       sync.WaitGroup // one per process reserved, until it has exited
}

// NewPool returns a Pool for f with no processes; the first Invoke starts
// one. Zero fields of f take the defaults above; nothing is checked until a
// process starts (a missing binary makes Invoke fail).
func NewPool(f Function) *Pool {
	f = f.withDefaults()
	return &Pool{
		f:           f,
		initTimeout: InitTimeout,
		grace:       ShutdownGrace,
		log:         &logger{w: f.Log, prefix: "[" + f.Name + "] "},
		procs:       map[*process]bool{},
		changed:     make(chan struct{}),
		closing:     make(chan struct{}),
	}
}

// Stats returns a copy of the pool's counters.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.ColdStarts = append([]time.Duration(nil), s.ColdStarts...)
	return s
}

// Invoke runs one invocation of payload and returns the function's
// response bytes (what the runtime POSTed to .../response).
//
// Errors: a function error (the handler's error or a recovered panic) is a
// *FunctionError with the runtime's errorType and errorMessage, and the
// process stays warm (aws-lambda-go exits after reporting a panic; that
// process is replaced). A timeout kills the process and returns a
// *FunctionError wrapping ErrTimeout; a process that exits before
// answering returns one wrapping ErrExited; either way the process is
// replaced on next use (counted in Stats.Restarts). A new process that
// fails init returns a *FunctionError wrapping ErrExited (it exited),
// ErrTimeout (no first GET next within InitTimeout) or ErrInit (it posted
// /runtime/init/error). A response over MaxPayload is a *FunctionError of
// type Function.ResponseSizeTooLarge. A process that cannot be started
// returns the start error (e.g. a missing binary). ErrPayloadTooLarge,
// ErrClosed and ctx's error are returned as is.
//
// Processes start on first use (the cold start, from process start to its
// first GET next, is logged and kept in Stats), stay warm, and more are
// started, up to MaxConcurrency, when all are busy; beyond that Invoke
// waits for a free process until ctx is done. If ctx is done after the
// payload was delivered, Invoke returns ctx's error at once and the
// invocation finishes in the background (the process is reused after it
// answers or times out), as an abandoned Lambda invocation would.
func (p *Pool) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	if len(payload) > MaxPayload {
		return nil, ErrPayloadTooLarge
	}
	inv := &invocation{id: newRequestID(), payload: payload, done: make(chan struct{}), finished: make(chan struct{})}
	for {
		pr, err := p.acquire(ctx)
		if err != nil {
			return nil, err
		}
		delivered, err := p.deliver(ctx, pr, inv)
		if err != nil {
			return nil, err
		}
		if delivered {
			go p.complete(pr, inv)
			break
		}
		// pr was a warm process that died before taking the payload
		// (e.g. right after a fatal panic): use another.
	}
	select {
	case <-inv.finished:
		return inv.resp, inv.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// acquire returns an idle process, or a new one if there is room, waiting
// for either until ctx is done.
func (p *Pool) acquire(ctx context.Context) (*process, error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, ErrClosed
		}
		for len(p.idle) > 0 {
			pr := p.idle[len(p.idle)-1]
			p.idle = p.idle[:len(p.idle)-1]
			if !pr.dead() {
				p.mu.Unlock()
				return pr, nil
			}
		}
		if len(p.procs)+p.starting < p.f.MaxConcurrency {
			p.starting++
			p.wg.Add(1)
			p.mu.Unlock()
			return p.start()
		}
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// broadcast wakes every acquire waiting for a slot; p.mu must be held.
func (p *Pool) broadcast() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// release puts a process that answered its invocation back to idle.
func (p *Pool) release(pr *process) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !pr.dead() && p.procs[pr] && !p.closed {
		p.idle = append(p.idle, pr)
		p.broadcast()
	}
}

// deliver hands inv to pr's runtime loop (its pending GET next). It
// returns false with no error when pr is a warm process that died first,
// so the caller tries another.
func (p *Pool) deliver(ctx context.Context, pr *process, inv *invocation) (bool, error) {
	pr.addPending(inv)
	timer := time.NewTimer(p.initTimeout)
	defer timer.Stop()
	select {
	case pr.invokeCh <- inv:
		p.mu.Lock()
		p.stats.Invocations++
		p.mu.Unlock()
		return true, nil
	case <-ctx.Done():
		pr.removePending(inv)
		p.release(pr)
		return false, ctx.Err()
	case <-p.closing:
		pr.removePending(inv)
		return false, ErrClosed
	case <-pr.initFailed:
		pr.removePending(inv)
		pr.kill()
		return false, pr.initErr
	case <-pr.exited:
		pr.removePending(inv)
		if pr.isReady() {
			return false, nil
		}
		return false, newError("Runtime.ExitError", fmt.Sprintf("RequestId: %s Error: Runtime exited during init: %v", inv.id, pr.exitErr), ErrExited)
	case <-timer.C:
		pr.removePending(inv)
		if pr.isReady() {
			// A warm process that does not ask for its next invocation
			// is stuck; treat it like an init that never finished.
			p.log.printf("pid %d did not ask for its next invocation within %v; killing it", pr.pid(), p.initTimeout)
		} else {
			p.log.printf("pid %d did not finish init within %v; killing it", pr.pid(), p.initTimeout)
		}
		pr.kill()
		return false, newError("Sandbox.Timedout", fmt.Sprintf("RequestId: %s Error: init did not finish within %v", inv.id, p.initTimeout), ErrTimeout)
	}
}

// complete waits for the answer to a delivered invocation, the timeout or
// the process's exit, settles inv, and returns pr to idle if it is healthy.
func (p *Pool) complete(pr *process, inv *invocation) {
	defer close(inv.finished)
	timer := time.NewTimer(p.f.Timeout)
	defer timer.Stop()
	select {
	case <-inv.done:
	case <-timer.C:
		msg := fmt.Sprintf("Task timed out after %.2f seconds", p.f.Timeout.Seconds())
		if pr.settle(inv.id, nil, newError("Sandbox.Timedout", msg, ErrTimeout)) {
			p.log.printf("%s (request %s); killing pid %d", msg, inv.id, pr.pid())
			pr.kill()
		}
	case <-pr.exited:
		var err error
		if p.isClosed() {
			err = ErrClosed
		} else {
			err = newError("Runtime.ExitError", fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %v", inv.id, pr.exitErr), ErrExited)
		}
		pr.settle(inv.id, nil, err)
	}
	<-inv.done
	p.release(pr)
}

func (p *Pool) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// readied records pr's cold start (its first GET next).
func (p *Pool) readied(pr *process, d time.Duration) {
	p.mu.Lock()
	p.stats.ColdStarts = append(p.stats.ColdStarts, d)
	p.mu.Unlock()
	p.log.printf("cold start: pid %d ready in %v", pr.pid(), d.Round(100*time.Microsecond))
}

// exitedProc forgets a process that has exited.
func (p *Pool) exitedProc(pr *process) {
	p.mu.Lock()
	closed := p.closed
	delete(p.procs, pr)
	for i, q := range p.idle {
		if q == pr {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			break
		}
	}
	p.markLostLocked(pr)
	p.broadcast()
	p.mu.Unlock()
	if !closed && !pr.wasKilled() {
		p.log.printf("pid %d exited: %v", pr.pid(), describeExit(pr.exitErr))
	}
}

// markLost counts pr as a process to replace (once, and not after Close).
func (p *Pool) markLost(pr *process) {
	p.mu.Lock()
	p.markLostLocked(pr)
	p.mu.Unlock()
}

func (p *Pool) markLostLocked(pr *process) {
	if !pr.lost && !p.closed {
		pr.lost = true
		p.lost++
	}
}

func describeExit(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// Close stops every process (SIGTERM, then SIGKILL after ShutdownGrace) and
// waits until they have exited. Invocations waiting or running fail with
// ErrClosed; later Invokes return ErrClosed. The error joins signalling
// failures other than "already exited"; Close after Close returns nil.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.closing)
	p.idle = nil
	p.broadcast()
	procs := make([]*process, 0, len(p.procs))
	for pr := range p.procs {
		procs = append(procs, pr)
	}
	p.mu.Unlock()

	var errs []error
	for _, pr := range procs {
		if err := pr.terminate(); err != nil {
			errs = append(errs, err)
		}
	}
	grace := time.After(p.grace)
	for _, pr := range procs {
		select {
		case <-pr.exited:
		case <-grace:
			// The grace period is over for everyone still running.
			for _, q := range procs {
				q.kill()
			}
			grace = nil
			<-pr.exited
		}
	}
	p.wg.Wait() // includes processes that were starting when Close began
	return errors.Join(errs...)
}

package lambdaruntime

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Runtime API names, as aws-lambda-go's runtime_api_client.go and
// extensions_api_client.go use them.
const (
	headerRequestID   = "Lambda-Runtime-Aws-Request-Id"
	headerDeadlineMS  = "Lambda-Runtime-Deadline-Ms"
	headerFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID     = "Lambda-Runtime-Trace-Id"
	headerErrorType   = "Lambda-Runtime-Function-Error-Type" // header on /error, trailer on a streamed /response
	trailerErrorBody  = "Lambda-Runtime-Function-Error-Body" // base64 error document, trailer on a streamed /response
	headerExtensionID = "Lambda-Extension-Identifier"
)

// invocation is one Invoke's payload and, once settled, its outcome.
type invocation struct {
	id       string
	payload  []byte
	done     chan struct{} // closed when resp/err are set (settle)
	finished chan struct{} // closed when the process is released again
	resp     []byte
	err      error
}

// process is one running bootstrap and the Runtime API endpoint it talks to.
type process struct {
	pool      *Pool
	cmd       *exec.Cmd
	srv       *http.Server
	startedAt time.Time
	stdout    *lineWriter
	stderr    *lineWriter

	invokeCh chan *invocation // unbuffered: a receive in GET next is the delivery
	exited   chan struct{}    // closed once the process has exited and been reaped
	exitErr  error            // cmd.Wait's error; read after exited is closed

	initFailed chan struct{} // closed when the runtime posts /runtime/init/error
	initErr    *FunctionError
	initOnce   sync.Once

	lost bool // counted in Pool.lost; guarded by Pool.mu

	readyOnce sync.Once
	ready     atomic.Bool // it has asked for its first invocation
	killed    atomic.Bool

	mu      sync.Mutex
	pending map[string]*invocation // delivered (or being delivered), not yet settled
}

// start starts a process in a slot acquire reserved.
func (p *Pool) start() (*process, error) {
	pr, err := p.spawn()
	p.mu.Lock()
	p.starting--
	if err != nil {
		p.broadcast()
		p.mu.Unlock()
		p.wg.Done()
		return nil, err
	}
	p.procs[pr] = true
	closed := p.closed
	if !closed && p.lost > 0 {
		p.lost--
		p.stats.Restarts++
	}
	p.mu.Unlock()
	go p.watch(pr)
	if closed {
		pr.kill()
		return nil, ErrClosed
	}
	return pr, nil
}

// spawn starts the binary with its own Runtime API listener.
func (p *Pool) spawn() (*process, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lambdaruntime: %s: runtime API listener: %w", p.f.Name, err)
	}
	pr := &process{
		pool:       p,
		stdout:     &lineWriter{log: p.log},
		stderr:     &lineWriter{log: p.log},
		invokeCh:   make(chan *invocation),
		exited:     make(chan struct{}),
		initFailed: make(chan struct{}),
		pending:    map[string]*invocation{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", pr.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", pr.response)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", pr.invocationError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", pr.initError)
	mux.HandleFunc("POST /2020-01-01/extension/register", pr.registerExtension)
	mux.HandleFunc("GET /2020-01-01/extension/event/next", pr.extensionNext)
	pr.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	cmd := exec.Command(p.f.Binary)
	cmd.Dir = filepath.Dir(p.f.Binary)
	cmd.Env = p.f.environ(ln.Addr().String())
	cmd.Stdout, cmd.Stderr = pr.stdout, pr.stderr
	cmd.WaitDelay = time.Second // a child holding the output pipes open does not block Wait
	pr.cmd = cmd
	pr.startedAt = time.Now()
	if err := cmd.Start(); err != nil {
		ln.Close()
		return nil, fmt.Errorf("lambdaruntime: %s: start %s: %w", p.f.Name, p.f.Binary, err)
	}
	// Serve only now, so handlers see cmd and startedAt; a connection made
	// meanwhile waits in the listener's backlog.
	go pr.srv.Serve(ln) //nolint:errcheck // ends with ErrServerClosed when the process exits
	return pr, nil
}

// watch reaps pr and forgets it.
func (p *Pool) watch(pr *process) {
	err := pr.cmd.Wait()
	pr.stdout.flush()
	pr.stderr.flush()
	pr.exitErr = err
	// Forget it before anyone can see it exited, so an Invoke retrying
	// after this exit finds its slot free and counts the restart.
	p.exitedProc(pr)
	close(pr.exited)
	pr.srv.Close() // ends the handlers still blocked in a next
	p.wg.Done()
}

func (pr *process) pid() int { return pr.cmd.Process.Pid }

func (pr *process) isReady() bool { return pr.ready.Load() }

func (pr *process) wasKilled() bool { return pr.killed.Load() }

// dead reports whether pr has exited or is being killed.
func (pr *process) dead() bool {
	if pr.killed.Load() {
		return true
	}
	select {
	case <-pr.exited:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL, as Lambda does on a timeout. The process counts as
// lost at once, so the one started next counts as its restart even if it
// starts before this one is reaped.
func (pr *process) kill() {
	pr.killed.Store(true)
	pr.pool.markLost(pr)
	_ = pr.cmd.Process.Kill()
}

// terminate sends SIGTERM (SIGKILL where there are no signals).
func (pr *process) terminate() error {
	err := pr.cmd.Process.Signal(syscall.SIGTERM)
	if err == nil || errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	pr.killed.Store(true)
	if err := pr.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("lambdaruntime: stop pid %d: %w", pr.pid(), err)
	}
	return nil
}

func (pr *process) addPending(inv *invocation) {
	pr.mu.Lock()
	pr.pending[inv.id] = inv
	pr.mu.Unlock()
}

func (pr *process) removePending(inv *invocation) {
	pr.mu.Lock()
	delete(pr.pending, inv.id)
	pr.mu.Unlock()
}

// settle gives invocation id its outcome; false if it has one already (or
// is unknown).
func (pr *process) settle(id string, resp []byte, err error) bool {
	pr.mu.Lock()
	inv := pr.pending[id]
	delete(pr.pending, id)
	pr.mu.Unlock()
	if inv == nil {
		return false
	}
	inv.resp, inv.err = resp, err
	close(inv.done)
	return true
}

// next is GET /2018-06-01/runtime/invocation/next: it blocks until the
// Pool delivers an invocation, then answers 200 with the payload and the
// invocation's headers.
func (pr *process) next(w http.ResponseWriter, r *http.Request) {
	pr.readyOnce.Do(func() {
		pr.ready.Store(true)
		pr.pool.readied(pr, time.Since(pr.startedAt))
	})
	select {
	case inv := <-pr.invokeCh:
		f := pr.pool.f
		h := w.Header()
		h.Set(headerRequestID, inv.id)
		h.Set(headerDeadlineMS, strconv.FormatInt(time.Now().Add(f.Timeout).UnixMilli(), 10))
		h.Set(headerFunctionARN, f.ARN())
		h.Set(headerTraceID, newTraceID())
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(inv.payload)
	case <-r.Context().Done():
	case <-pr.exited:
	}
}

// response is POST /2018-06-01/runtime/invocation/{id}/response: 202 and
// the body is the invocation's result; a streamed response that failed
// midway (error trailers, as aws-lambda-go sends them) is a function
// error; a body over MaxPayload is Function.ResponseSizeTooLarge (413).
func (pr *process) response(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
	if err != nil {
		apiError(w, http.StatusBadRequest, "InvalidRequest", "reading the response: "+err.Error())
		return
	}
	if len(body) > MaxPayload {
		msg := fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", MaxPayload)
		pr.settle(id, nil, newError("Function.ResponseSizeTooLarge", msg, nil))
		apiError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", msg)
		return
	}
	var result error
	if typ := r.Trailer.Get(headerErrorType); typ != "" {
		doc, decErr := base64.StdEncoding.DecodeString(r.Trailer.Get(trailerErrorBody))
		if decErr != nil {
			doc = nil
		}
		result = parseError(doc, typ)
		body = nil
	}
	if !pr.settle(id, body, result) {
		apiError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation in progress with request ID "+id)
		return
	}
	accepted(w)
}

// invocationError is POST /2018-06-01/runtime/invocation/{id}/error: 202
// and the invocation fails with the posted error document.
func (pr *process) invocationError(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload))
	if err != nil {
		apiError(w, http.StatusBadRequest, "InvalidRequest", "reading the error: "+err.Error())
		return
	}
	if !pr.settle(id, nil, parseError(body, r.Header.Get(headerErrorType))) {
		apiError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation in progress with request ID "+id)
		return
	}
	accepted(w)
}

// initError is POST /2018-06-01/runtime/init/error: 202, and the
// invocation waiting for this process fails with the error (wrapping
// ErrInit) and the process is killed, as Lambda does. After init (the
// first next) it is 403, as in Lambda.
func (pr *process) initError(w http.ResponseWriter, r *http.Request) {
	if pr.isReady() {
		apiError(w, http.StatusForbidden, "InvalidStateTransition", "init error after init")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, MaxPayload))
	fe := parseError(body, r.Header.Get(headerErrorType))
	fe.cause = ErrInit
	pr.initOnce.Do(func() {
		pr.initErr = fe
		close(pr.initFailed)
	})
	pr.pool.log.printf("pid %d init error: %s", pr.pid(), fe.Error())
	accepted(w)
}

// registerExtension is POST /2020-01-01/extension/register, which
// aws-lambda-go calls (lambda.WithEnableSIGTERM) to have SIGTERM sent at
// shutdown: 200 with an identifier. Close always sends SIGTERM.
func (pr *process) registerExtension(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	f := pr.pool.f
	w.Header().Set(headerExtensionID, newRequestID())
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{
		"functionName": f.Name, "functionVersion": "$LATEST", "handler": "bootstrap",
	})
}

// extensionNext is GET /2020-01-01/extension/event/next: it blocks until
// the process exits (no INVOKE or SHUTDOWN events are sent).
func (pr *process) extensionNext(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-pr.exited:
	}
}

func accepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func apiError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"errorType": typ, "errorMessage": msg})
}

// newRequestID is a random UUID (version 4), like Lambda's request IDs.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// newTraceID is an X-Ray trace header, not sampled.
func newTraceID() string {
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), randomHex(12), randomHex(8))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// logger writes whole lines, prefixed, to the Function's Log; one per Pool
// so lines of its processes do not interleave.
type logger struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
}

func (l *logger) line(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = io.WriteString(l.w, l.prefix+s+"\n")
}

func (l *logger) printf(format string, args ...any) { l.line(fmt.Sprintf(format, args...)) }

// maxLine is where a line without a newline is cut.
const maxLine = 64 << 10

// lineWriter splits one output stream of a process into lines for logger.
type lineWriter struct {
	log *logger
	mu  sync.Mutex
	buf []byte
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.log.line(string(bytes.TrimSuffix(w.buf[:i], []byte("\r"))))
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) >= maxLine {
		w.log.line(string(w.buf))
		w.buf = w.buf[:0]
	}
	if len(w.buf) == 0 {
		w.buf = nil
	}
	return len(b), nil
}

// flush writes a last line that had no newline.
func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.log.line(string(w.buf))
		w.buf = nil
	}
}

// Package locallambda is a local AWS Lambda endpoint for tests and the local
// stack. It speaks the wire protocol the AWS SDKs use for the Invoke API
// (REST-JSON: POST /2015-03-31/functions/{FunctionName}/invocations), so a
// function that invokes another one through the real lambda client reaches
// it here when pointed with BaseEndpoint or AWS_ENDPOINT_URL_LAMBDA, with no
// special code. Request signatures are not checked.
//
// Functions are registered by name with an Invoker; a
// (*lambdaruntime.Pool).Invoke method value is one, so the local stack runs
// each function as its real bootstrap binary. FunctionName may be the name,
// the ARN arn:aws:lambda:<region>:<account>:function:<name> or a partial ARN
// (<account>:function:<name>), optionally with the qualifier $LATEST
// appended or given as ?Qualifier= (no versions or aliases exist here:
// another qualifier is not found).
//
// Invocation types (X-Amz-Invocation-Type):
//
//   - RequestResponse (the default): the Invoker runs and its response is
//     answered 200 with X-Amz-Executed-Version: $LATEST. A function error is
//     answered as Lambda does: 200 with X-Amz-Function-Error: Unhandled and
//     the error document {"errorMessage","errorType"[,"stackTrace"]} as the
//     payload (see FunctionError for how errors are mapped).
//   - Event: answered 202 at once; the Invoker runs in the background. A
//     failed attempt is retried MaxRetries times (Lambda's default, 2) after
//     RetryDelay, then 2·RetryDelay (Lambda waits one minute, then two);
//     an event that still fails is kept in FailedAsync, the stand-in for an
//     on-failure destination. Wait waits for the events accepted so far.
//   - DryRun: answered 204 once the request is valid and the function exists.
//
// Errors are answered as Lambda does, with the error code in the
// X-Amzn-ErrorType header and a JSON body {"Type","Message"} (or
// "message", as the Lambda model names it for that error), so the SDK maps
// them to its typed errors: 404 ResourceNotFoundException (no such function,
// or another account, region or qualifier), 413 RequestTooLargeException
// (payload over MaxSyncPayload, or MaxAsyncPayload for Event), 400
// InvalidRequestContentException (payload not JSON), 400
// InvalidParameterValueException (qualifier in the name and in ?Qualifier=
// differ), 400 ValidationException (malformed FunctionName or unknown
// invocation type), 500 ServiceException (the endpoint or the function's pool
// is closing), 404 UnknownOperationException (any other API).
//
// Differences from Lambda worth knowing: an empty payload reaches the
// function as {} (a local decision: the SDK sends none when Payload is nil);
// X-Amz-Log-Type: Tail is accepted but no X-Amz-Log-Result is answered;
// ClientContext and TenantId are ignored; async events are not queued
// behind a concurrency limit (each runs at once in its own goroutine; a
// lambdaruntime.Pool queues them for a free process) and every failure,
// function or service error, counts against the same two retries.
package locallambda

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/partnerportal/portal/internal/lambdaruntime"
	"github.com/partnerportal/portal/internal/localhttp"
)

// Limits and defaults, as Lambda has them.
const (
	// MaxSyncPayload is the largest payload of a RequestResponse (or
	// DryRun) invocation: 6 MB, as lambdaruntime.MaxPayload.
	MaxSyncPayload = lambdaruntime.MaxPayload
	// MaxAsyncPayload is the largest payload of an Event invocation: 1 MB
	// (the Invoke API reference: "For asynchronous invocations, the maximum
	// payload size is 1 MB").
	MaxAsyncPayload = 1 << 20
	// DefaultMaxRetries is how often a failed Event invocation is retried
	// (Lambda's default MaximumRetryAttempts).
	DefaultMaxRetries = 2
	// DefaultRetryDelay is the wait before the first retry of a failed
	// Event invocation; each further retry waits twice as long. Lambda waits
	// one minute, then two; locally that is scaled down.
	DefaultRetryDelay = time.Second
	// DefaultRegion is the region in the ARNs this endpoint reports when no
	// region is configured.
	DefaultRegion = "us-east-1"
	// DefaultAccountID is the account functions belong to: the one in the
	// ARN lambdaruntime gives the processes.
	DefaultAccountID = lambdaruntime.Account
	// ExecutedVersion is the version every invocation runs.
	ExecutedVersion = "$LATEST"
	// FunctionErrorUnhandled is the X-Amz-Function-Error of a function error.
	FunctionErrorUnhandled = "Unhandled"
)

// Invocation types (X-Amz-Invocation-Type).
const (
	RequestResponse = "RequestResponse"
	Event           = "Event"
	DryRun          = "DryRun"
)

// Error codes this endpoint answers, in the X-Amzn-ErrorType header.
const (
	ErrResourceNotFound      = "ResourceNotFoundException"      // 404
	ErrRequestTooLarge       = "RequestTooLargeException"       // 413
	ErrInvalidRequestContent = "InvalidRequestContentException" // 400
	ErrInvalidParameterValue = "InvalidParameterValueException" // 400
	ErrValidation            = "ValidationException"            // 400
	ErrService               = "ServiceException"               // 500
	ErrUnknownOperation      = "UnknownOperationException"      // 404
)

// Conditions of a FailedEvent.
const (
	// RetriesExhausted: every attempt failed (Lambda's on-failure
	// destination condition of the same name).
	RetriesExhausted = "RetriesExhausted"
	// Abandoned: Close stopped the event before an attempt succeeded.
	Abandoned = "Abandoned"
)

// maxBody bounds how much of a request body is read; a larger one is
// answered 413 without reading the rest.
const maxBody = MaxSyncPayload + 1<<20

// Invoker runs one invocation of a function: the payload in, the response
// payload out. (*lambdaruntime.Pool).Invoke is one. An error is a function
// error (see FunctionError) unless ctx is done or it is
// lambdaruntime.ErrClosed (a ServiceException: the function cannot run) or
// lambdaruntime.ErrPayloadTooLarge (a RequestTooLargeException).
type Invoker func(ctx context.Context, payload []byte) ([]byte, error)

// FunctionError is an error an Invoker may return to control the error
// document answered for it: ErrorType is its errorType and Body, when not
// empty, the whole document (as a runtime posted it). A
// *lambdaruntime.FunctionError is reported the same way (its Type and
// Payload). Any other error is reported like aws-lambda-go reports a
// handler's error: {"errorMessage": err.Error(), "errorType": the name of
// err's type, e.g. "errorString"}.
type FunctionError interface {
	error
	ErrorType() string
	Body() []byte
}

// FailedEvent is an Event invocation that did not succeed: the record an
// on-failure destination would get.
type FailedEvent struct {
	// Function is the registered name of the function invoked.
	Function string
	// RequestID is the X-Amzn-RequestId answered to the Invoke request.
	RequestID string
	// Payload is the event as the function received it.
	Payload []byte
	// Condition is RetriesExhausted or Abandoned.
	Condition string
	// Attempts is how many times the function was invoked.
	Attempts int
	// Err is the last attempt's error, as the Invoker returned it.
	Err error
	// Response is the last attempt's error document (as a synchronous
	// invocation would answer it), nil for an error that is not a function
	// error.
	Response []byte
	// Time is when the event was given up.
	Time time.Time
}

// Option configures a Handler.
type Option func(*Handler)

// WithRetryDelay sets the wait before the first retry of a failed Event
// invocation (each further retry waits twice as long); d ≤ 0 means no wait.
func WithRetryDelay(d time.Duration) Option {
	return func(h *Handler) { h.retryDelay = max(d, 0) }
}

// WithMaxRetries sets how often a failed Event invocation is retried,
// clamped to 0–2 as Lambda's MaximumRetryAttempts is.
func WithMaxRetries(n int) Option {
	return func(h *Handler) { h.maxRetries = min(max(n, 0), DefaultMaxRetries) }
}

// WithRegion sets the region of the functions. When set, an ARN naming
// another region is not found; when not (the default), ARNs of every region
// resolve and reported ARNs use DefaultRegion.
func WithRegion(region string) Option {
	return func(h *Handler) { h.region = region }
}

// WithAccountID sets the account of the functions (DefaultAccountID when
// not set); an ARN naming another account is not found.
func WithAccountID(id string) Option {
	return func(h *Handler) {
		if id != "" {
			h.account = id
		}
	}
}

// WithLogf sets where failed Event attempts and given-up events are
// logged (log.Printf, t.Logf, ...); by default nothing is logged.
func WithLogf(logf func(format string, args ...any)) Option {
	return func(h *Handler) { h.logf = logf }
}

// Handler is the Lambda endpoint as an http.Handler. The zero value is not
// usable; call NewHandler. All methods are safe for concurrent use.
type Handler struct {
	retryDelay time.Duration
	maxRetries int
	region     string
	account    string
	logf       func(format string, args ...any)
	mux        *http.ServeMux

	ctx    context.Context // done when closed: stops retries and invocations
	cancel context.CancelFunc

	mu        sync.Mutex
	functions map[string]Invoker
	pending   map[*asyncEvent]struct{}
	failed    []FailedEvent
}

// NewHandler returns an endpoint with no functions.
func NewHandler(opts ...Option) *Handler {
	h := &Handler{
		retryDelay: DefaultRetryDelay,
		maxRetries: DefaultMaxRetries,
		account:    DefaultAccountID,
		logf:       func(string, ...any) {},
		functions:  map[string]Invoker{},
		pending:    map[*asyncEvent]struct{}{},
	}
	for _, o := range opts {
		o(h)
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.mux = http.NewServeMux()
	h.mux.HandleFunc("/2015-03-31/functions/{name}/invocations", h.invoke)
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-RequestId", newRequestID())
		writeError(w, &apiError{http.StatusNotFound, ErrUnknownOperation,
			fmt.Sprintf("no operation %s %s on this local Lambda endpoint (only Invoke)", r.Method, r.URL.Path)})
	})
	return h
}

var functionNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// Register makes inv the function name (1–64 letters, digits, hyphens and
// underscores, as Lambda function names are), replacing any function of
// that name. It panics on an invalid name or a nil inv.
func (h *Handler) Register(name string, inv Invoker) {
	if !functionNameRE.MatchString(name) {
		panic(fmt.Sprintf("locallambda: invalid function name %q", name))
	}
	if inv == nil {
		panic("locallambda: nil Invoker for " + name)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.functions[name] = inv
}

// ARN returns the function ARN of name on this endpoint.
func (h *Handler) ARN(name string) string {
	region := h.region
	if region == "" {
		region = DefaultRegion
	}
	return "arn:aws:lambda:" + region + ":" + h.account + ":function:" + name
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// FailedAsync returns a copy of the Event invocations given up so far, in
// the order they were given up.
func (h *Handler) FailedAsync() []FailedEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.failed)
}

// Wait blocks until every Event invocation accepted so far has succeeded
// or been given up, retries included. Events accepted while it waits are
// not waited for.
func (h *Handler) Wait() {
	h.mu.Lock()
	done := make([]chan struct{}, 0, len(h.pending))
	for ev := range h.pending {
		done = append(done, ev.done)
	}
	h.mu.Unlock()
	for _, d := range done {
		<-d
	}
}

// Close stops the endpoint's work: no Event is accepted any more
// (ServiceException), pending retries are abandoned (recorded in
// FailedAsync as Abandoned), and the context of every invocation in flight,
// synchronous or not, ends. It waits up to timeout for the background
// invocations to return and reports whether they did. Calling it again is
// harmless.
func (h *Handler) Close(timeout time.Duration) bool {
	h.cancel()
	return localhttp.WaitAtMost(h.Wait, timeout)
}

// apiError is an error answer of the Invoke API.
type apiError struct {
	status  int
	code    string
	message string
}

// writeError answers e as Lambda does: the code in X-Amzn-ErrorType and a
// body with Type ("User" or "Service") and the message, under the member
// name the Lambda model gives that error.
func writeError(w http.ResponseWriter, e *apiError) {
	typ := "User"
	if e.status >= 500 {
		typ = "Service"
	}
	msgKey := "Message"
	switch e.code {
	case ErrRequestTooLarge, ErrInvalidRequestContent, ErrInvalidParameterValue, ErrValidation:
		msgKey = "message"
	}
	body, _ := json.Marshal(map[string]string{"Type": typ, msgKey: e.message})
	w.Header().Set("X-Amzn-ErrorType", e.code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
}

// invoke serves the Invoke API.
func (h *Handler) invoke(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	w.Header().Set("X-Amzn-RequestId", reqID)
	if r.Method != http.MethodPost {
		writeError(w, &apiError{http.StatusNotFound, ErrUnknownOperation,
			fmt.Sprintf("no operation %s %s on this local Lambda endpoint (Invoke is POST)", r.Method, r.URL.Path)})
		return
	}
	typ := r.Header.Get("X-Amz-Invocation-Type")
	if typ == "" {
		typ = RequestResponse
	}
	limit := MaxSyncPayload
	switch typ {
	case RequestResponse, DryRun:
	case Event:
		limit = MaxAsyncPayload
	default:
		writeError(w, &apiError{http.StatusBadRequest, ErrValidation, fmt.Sprintf(
			"1 validation error detected: Value '%s' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]", typ)})
		return
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		writeError(w, &apiError{http.StatusBadRequest, ErrInvalidRequestContent, "could not read the request body: " + err.Error()})
		return
	}
	if len(payload) > limit {
		writeError(w, &apiError{http.StatusRequestEntityTooLarge, ErrRequestTooLarge, fmt.Sprintf(
			"Request must be smaller than %d bytes for the InvokeFunction operation (InvocationType %s)", limit, typ)})
		return
	}
	name, inv, apiErr := h.resolve(r.PathValue("name"), r.URL.Query().Get("Qualifier"))
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	if !json.Valid(payload) {
		var v any
		err := json.Unmarshal(payload, &v)
		writeError(w, &apiError{http.StatusBadRequest, ErrInvalidRequestContent,
			"Could not parse request body into json: Could not parse payload into json: " + err.Error()})
		return
	}
	switch typ {
	case DryRun:
		w.WriteHeader(http.StatusNoContent)
	case Event:
		if !h.enqueue(&asyncEvent{function: name, invoker: inv, requestID: reqID, payload: payload, done: make(chan struct{})}) {
			writeError(w, &apiError{http.StatusInternalServerError, ErrService, "the local Lambda endpoint is closed"})
			return
		}
		w.WriteHeader(http.StatusAccepted)
	default:
		h.invokeSync(w, r.Context(), inv, payload)
	}
}

// invokeSync runs a RequestResponse invocation and answers it.
func (h *Handler) invokeSync(w http.ResponseWriter, reqCtx context.Context, inv Invoker, payload []byte) {
	ctx, cancel := context.WithCancel(reqCtx)
	defer cancel()
	stop := context.AfterFunc(h.ctx, cancel)
	defer stop()
	resp, err := call(ctx, inv, payload)
	if err != nil {
		body, apiErr := h.classify(ctx, err)
		if apiErr != nil {
			writeError(w, apiErr)
			return
		}
		w.Header().Set("X-Amz-Function-Error", FunctionErrorUnhandled)
		resp = body
	}
	w.Header().Set("X-Amz-Executed-Version", ExecutedVersion)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(resp)
}

// call runs inv, turning a panic into an error.
func call(ctx context.Context, inv Invoker, payload []byte) (resp []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &invokerPanic{v}
		}
	}()
	return inv(ctx, payload)
}

type invokerPanic struct{ v any }

func (p *invokerPanic) Error() string     { return fmt.Sprintf("invoker panicked: %v", p.v) }
func (p *invokerPanic) ErrorType() string { return "Runtime.Unknown" }
func (p *invokerPanic) Body() []byte      { return nil }

// classify maps an invocation's error: a function error's document, or an
// API error when the function could not run (ctx was the invocation's
// context).
func (h *Handler) classify(ctx context.Context, err error) ([]byte, *apiError) {
	var rfe *lambdaruntime.FunctionError
	var fe FunctionError
	switch {
	case errors.As(err, &rfe):
		if len(rfe.Payload) > 0 {
			return rfe.Payload, nil
		}
		return errorDocument(rfe.Message, rfe.Type), nil
	case errors.As(err, &fe):
		if b := fe.Body(); len(b) > 0 {
			return b, nil
		}
		return errorDocument(fe.Error(), fe.ErrorType()), nil
	case errors.Is(err, lambdaruntime.ErrPayloadTooLarge):
		return nil, &apiError{http.StatusRequestEntityTooLarge, ErrRequestTooLarge, err.Error()}
	case errors.Is(err, lambdaruntime.ErrClosed), ctx.Err() != nil:
		return nil, &apiError{http.StatusInternalServerError, ErrService, "the function could not run: " + err.Error()}
	}
	return errorDocument(err.Error(), goTypeName(err)), nil
}

// errorDocument is the error document of a function error.
func errorDocument(message, typ string) []byte {
	b, _ := json.Marshal(struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}{message, typ})
	return b
}

// goTypeName names err's type as aws-lambda-go names a handler error's.
func goTypeName(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Name() == "" {
		return t.String()
	}
	return t.Name()
}

var (
	partitionRE = regexp.MustCompile(`^aws[a-zA-Z-]*$`)
	regionRE    = regexp.MustCompile(`^[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d$`)
	accountRE   = regexp.MustCompile(`^\d{12}$`)
	nameRE      = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)
	qualifierRE = regexp.MustCompile(`^(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9_-]+)$`)
)

// functionRef is a parsed FunctionName.
type functionRef struct {
	region, account, name, qualifier string
}

// parseFunctionName parses a name, an ARN or a partial ARN, each optionally
// followed by ":qualifier", as the Invoke API's FunctionName pattern allows.
func parseFunctionName(s string) (functionRef, bool) {
	var ref functionRef
	if len(s) == 0 || len(s) > 256 {
		return ref, false
	}
	parts := strings.Split(s, ":")
	var rest []string
	switch {
	case parts[0] == "arn":
		if len(parts) < 7 || len(parts) > 8 || !partitionRE.MatchString(parts[1]) || parts[2] != "lambda" || parts[5] != "function" {
			return ref, false
		}
		ref.region, ref.account, rest = parts[3], parts[4], parts[6:]
		if ref.region == "" || ref.account == "" {
			return ref, false
		}
	default:
		i := slices.Index(parts, "function")
		if i < 0 || i > 2 || i == len(parts)-1 {
			rest = parts
			break
		}
		for _, p := range parts[:i] {
			switch {
			case accountRE.MatchString(p) && ref.account == "":
				ref.account = p
			case regionRE.MatchString(p) && ref.region == "" && ref.account == "":
				ref.region = p
			default:
				return ref, false
			}
		}
		rest = parts[i+1:]
	}
	if len(rest) < 1 || len(rest) > 2 {
		return ref, false
	}
	ref.name = rest[0]
	if len(rest) == 2 {
		ref.qualifier = rest[1]
		if !qualifierRE.MatchString(ref.qualifier) {
			return ref, false
		}
	}
	if !nameRE.MatchString(ref.name) || ref.region != "" && !regionRE.MatchString(ref.region) ||
		ref.account != "" && !accountRE.MatchString(ref.account) {
		return ref, false
	}
	if ref.region == "" && ref.account == "" && len(ref.name) > 64 {
		return ref, false
	}
	return ref, true
}

// resolve finds the function a FunctionName and Qualifier name.
func (h *Handler) resolve(raw, qualifier string) (string, Invoker, *apiError) {
	ref, ok := parseFunctionName(raw)
	if !ok {
		return "", nil, &apiError{http.StatusBadRequest, ErrValidation, fmt.Sprintf(
			"1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: "+
				`(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?`, raw)}
	}
	if qualifier != "" && ref.qualifier != "" && qualifier != ref.qualifier {
		return "", nil, &apiError{http.StatusBadRequest, ErrInvalidParameterValue,
			"The derived qualifier from the function name does not match the specified qualifier."}
	}
	if qualifier == "" {
		qualifier = ref.qualifier
	}
	arn := h.ARN(ref.name)
	if ref.region != "" || ref.account != "" {
		region, account := ref.region, ref.account
		if region == "" {
			region = DefaultRegion
			if h.region != "" {
				region = h.region
			}
		}
		if account == "" {
			account = h.account
		}
		arn = "arn:aws:lambda:" + region + ":" + account + ":function:" + ref.name
	}
	notFound := func() (string, Invoker, *apiError) {
		msg := "Function not found: " + arn
		if qualifier != "" {
			msg += ":" + qualifier
		}
		return "", nil, &apiError{http.StatusNotFound, ErrResourceNotFound, msg}
	}
	if ref.account != "" && ref.account != h.account || ref.region != "" && h.region != "" && ref.region != h.region {
		return notFound()
	}
	if qualifier != "" && qualifier != ExecutedVersion {
		return notFound()
	}
	h.mu.Lock()
	inv := h.functions[ref.name]
	h.mu.Unlock()
	if inv == nil {
		return notFound()
	}
	return ref.name, inv, nil
}

// newRequestID returns a random UUID (version 4), as Lambda's request IDs.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

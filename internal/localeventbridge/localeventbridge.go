// Package localeventbridge is a local Amazon EventBridge endpoint for tests
// and the local stack. It speaks the wire protocol the AWS SDKs use (AWS JSON
// 1.1 over HTTP: POST / with X-Amz-Target "AWSEvents.<Operation>"), so code
// under test talks to it through the real eventbridge client, pointed here
// with BaseEndpoint or AWS_ENDPOINT_URL_EVENTBRIDGE.
//
// Only PutEvents is implemented. It validates requests and entries the way
// EventBridge documents (at most 10 entries and 256 KB per request; Source,
// DetailType and Detail required; Detail a JSON object; "aws." sources are
// reserved), assigns each accepted entry an event ID and keeps it in memory.
// Every event bus name is accepted; an omitted one means "default". Request
// signatures are not checked.
//
// Rules are set in process, not through the API: PutRule compiles an event
// pattern as EventBridge documents them (see Pattern) and gives it a target
// function. Every accepted event that matches a rule's pattern is delivered
// to its target asynchronously, as the envelope EventBridge hands targets
// (see Handler.Envelope), with failed attempts retried (RetryPolicy) and
// finally recorded (FailedDeliveries); Wait waits for the deliveries in
// flight. Subscribe, by contrast, sees every accepted event synchronously.
package localeventbridge

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limits of PutEvents, as EventBridge documents them.
const (
	// MaxEntries is the most entries one PutEvents request may carry.
	MaxEntries = 10
	// MaxRequestSize is the most bytes the entries of one PutEvents request
	// may add up to, counted as EntrySize does.
	MaxRequestSize = 256 * 1024
	// MaxDetailTypeLength is the longest DetailType, in characters.
	MaxDetailTypeLength = 128
)

// Error codes this endpoint answers: whole-request errors (the __type of an
// HTTP 400 answer) and per-entry ErrorCode values of a PutEvents answer.
const (
	// ErrUnknownOperation: the X-Amz-Target is missing or not PutEvents.
	ErrUnknownOperation = "UnknownOperationException"
	// ErrSerialization: the body is not a JSON 1.1 PutEvents request.
	ErrSerialization = "SerializationException"
	// ErrValidation: no entries, more than MaxEntries, more than
	// MaxRequestSize, or no entry with all of Source, DetailType and Detail.
	ErrValidation = "ValidationException"
	// ErrInvalidArgument (per entry): a required field is missing or a field
	// is out of bounds.
	ErrInvalidArgument = "InvalidArgument"
	// ErrMalformedDetail (per entry): Detail is not a JSON object.
	ErrMalformedDetail = "MalformedDetail"
	// ErrNotAuthorizedForSource (per entry): the Source starts with "aws.",
	// which only AWS services may use.
	ErrNotAuthorizedForSource = "NotAuthorizedForSourceException"
	// ErrInternalFailure (per entry): the retryable failure FailNext injects.
	ErrInternalFailure = "InternalFailure"
)

const (
	jsonContentType = "application/x-amz-json-1.1"
	targetPrefix    = "AWSEvents."
	defaultBusName  = "default"
	maxBodyBytes    = 8 << 20
	timeEntrySize   = 14
)

// Event is one event EventBridge accepted.
type Event struct {
	// EventID is the ID this endpoint assigned, as answered in EventId.
	EventID string
	// EventBusName is the entry's EventBusName, or "default" when omitted.
	EventBusName string
	// Source is the entry's Source, such as "partnerportal.usage".
	Source string
	// DetailType is the entry's DetailType, such as "Asset Discovered".
	DetailType string
	// Detail is the entry's Detail exactly as received (a JSON object).
	Detail json.RawMessage
	// Time is the entry's Time, or the time of receipt when omitted.
	Time time.Time
	// Resources is the entry's Resources (ARNs), nil when omitted.
	Resources []string
}

// EntrySize returns the size EventBridge counts for one PutEvents entry
// against MaxRequestSize: 14 bytes when Time is set, plus the UTF-8 lengths of
// Source, DetailType, Detail and every resource ARN.
func EntrySize(source, detailType, detail string, hasTime bool, resources []string) int {
	n := len(source) + len(detailType) + len(detail)
	if hasTime {
		n += timeEntrySize
	}
	for _, r := range resources {
		n += len(r)
	}
	return n
}

// Handler is the EventBridge endpoint as an http.Handler. The zero value is
// not usable; call NewHandler. All methods are safe for concurrent use.
type Handler struct {
	// Now returns the time stamped on entries without Time; NewHandler sets
	// time.Now. Set it before serving requests.
	Now func() time.Time
	// Account and Region are the account and region of the envelopes rule
	// targets receive; NewHandler sets DefaultAccount and DefaultRegion. Set
	// them before serving requests.
	Account, Region string
	// Retry is how deliveries to rule targets are retried; NewHandler sets
	// DefaultRetryPolicy. Set it before serving requests.
	Retry RetryPolicy

	mu       sync.Mutex
	events   []Event
	calls    int
	failures []injected
	subs     []subscriber
	nextSub  int

	// rules and their deliveries (rules.go)
	rules    map[string]*rule
	ctx      context.Context
	cancel   context.CancelFunc
	inflight int
	idle     *sync.Cond
	failed   []FailedDelivery
}

type subscriber struct {
	id int
	fn func(Event)
}

type injected struct {
	code string
	n    int
}

// NewHandler returns an endpoint without events or rules.
func NewHandler() *Handler {
	h := &Handler{
		Now: time.Now, Account: DefaultAccount, Region: DefaultRegion, Retry: DefaultRetryPolicy,
		rules: map[string]*rule{},
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.idle = sync.NewCond(&h.mu)
	return h
}

// Events returns a copy of the events accepted so far, in order of acceptance.
func (h *Handler) Events() []Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Event, len(h.events))
	copy(out, h.events)
	return out
}

// PutEventsCalls returns how many PutEvents requests (POST with X-Amz-Target
// AWSEvents.PutEvents) reached the endpoint, including those it rejected as
// a whole.
func (h *Handler) PutEventsCalls() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls
}

// Subscribe calls fn with every event accepted from now on, subscribers in
// the order they subscribed, and returns a function that stops the calls.
// Subscribers see every event, whatever the rules (see PutRule). fn runs
// synchronously, after the event is stored and before PutEvents answers, so
// a publisher that got its answer knows its subscribers have run; fn must
// not block for long (start a goroutine for slow work such as invoking a
// function) and may be called concurrently for events of different requests.
func (h *Handler) Subscribe(fn func(Event)) (cancel func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	id := h.nextSub
	h.nextSub++
	h.subs = append(h.subs, subscriber{id: id, fn: fn})
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.subs = slices.DeleteFunc(h.subs, func(s subscriber) bool { return s.id == id })
	}
}

// FailNext makes the next n otherwise valid entries fail with ErrorCode
// "InternalFailure", which EventBridge documents as retryable. Failed entries
// are not stored. Calls add up: FailNext(2); FailNext(3) fails five entries.
func (h *Handler) FailNext(n int) { h.FailNextWith(n, ErrInternalFailure) }

// FailNextWith is FailNext with the given ErrorCode, for instance
// "AccessDeniedException" to emulate a failure that retrying cannot fix.
func (h *Handler) FailNextWith(n int, code string) {
	if n <= 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failures = append(h.failures, injected{code: code, n: n})
}

// ServeHTTP answers AWS JSON 1.1 requests. Errors of the whole request are
// HTTP 400 (405 for methods other than POST) with a JSON body
// {"__type": code, "message": text} and the X-Amzn-ErrorType header:
// UnknownOperationException for a missing or unsupported X-Amz-Target,
// SerializationException for a body that is not a PutEvents request in JSON,
// ValidationException for an empty or oversized request. Failures of single
// entries are answered with HTTP 200 in the PutEvents result.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Amzn-Requestid", newUUID())
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, ErrUnknownOperation, "only POST is supported")
		return
	}
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, targetPrefix)
	if !ok || op != "PutEvents" {
		if target == "" {
			writeError(w, http.StatusBadRequest, ErrUnknownOperation, "missing X-Amz-Target header")
		} else {
			writeError(w, http.StatusBadRequest, ErrUnknownOperation, fmt.Sprintf("operation %q is not supported by the local EventBridge", target))
		}
		return
	}
	h.mu.Lock()
	h.calls++
	h.mu.Unlock()
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != jsonContentType {
		writeError(w, http.StatusBadRequest, ErrSerialization, "Content-Type must be "+jsonContentType)
		return
	}
	h.putEvents(w, r)
}

type putEventsRequest struct {
	Entries    []requestEntry `json:"Entries"`
	EndpointID *string        `json:"EndpointId"`
}

type requestEntry struct {
	Source       *string         `json:"Source"`
	DetailType   *string         `json:"DetailType"`
	Detail       *string         `json:"Detail"`
	EventBusName *string         `json:"EventBusName"`
	Resources    []string        `json:"Resources"`
	Time         json.RawMessage `json:"Time"`
	TraceHeader  *string         `json:"TraceHeader"`
}

type resultEntry struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

type putEventsResponse struct {
	FailedEntryCount int           `json:"FailedEntryCount"`
	Entries          []resultEntry `json:"Entries"`
}

func (h *Handler) putEvents(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		writeError(w, http.StatusBadRequest, ErrSerialization, "cannot read request body: "+err.Error())
		return
	}
	var req putEventsRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, ErrSerialization, "request body is not a PutEvents request: "+err.Error())
		return
	}
	switch n := len(req.Entries); {
	case n < 1:
		writeError(w, http.StatusBadRequest, ErrValidation, "1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1")
		return
	case n > MaxEntries:
		writeError(w, http.StatusBadRequest, ErrValidation, fmt.Sprintf("1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to %d", MaxEntries))
		return
	}
	size := 0
	for _, e := range req.Entries {
		size += EntrySize(deref(e.Source), deref(e.DetailType), deref(e.Detail), len(e.Time) > 0 && string(e.Time) != "null", e.Resources)
	}
	if size > MaxRequestSize {
		writeError(w, http.StatusBadRequest, ErrValidation, "Total size of the entries in the request is over the limit.")
		return
	}

	now := h.Now()
	results := make([]resultEntry, len(req.Entries))
	accepted := make([]*Event, len(req.Entries))
	anyComplete := false
	for i, e := range req.Entries {
		if e.Source != nil && e.DetailType != nil && e.Detail != nil {
			anyComplete = true
		}
		ev, code, msg := validate(e, now)
		if code != "" {
			results[i] = resultEntry{ErrorCode: code, ErrorMessage: msg}
			continue
		}
		accepted[i] = &ev
	}
	if !anyComplete {
		// EventBridge fails the whole request when no entry has Source,
		// DetailType and Detail.
		writeError(w, http.StatusBadRequest, ErrValidation, "no entry has all of Source, DetailType and Detail")
		return
	}

	var stored []Event
	var subs []func(Event)
	h.mu.Lock()
	for i, ev := range accepted {
		if ev == nil {
			continue
		}
		if code := h.takeFailure(); code != "" {
			results[i] = resultEntry{ErrorCode: code, ErrorMessage: "injected failure (localeventbridge FailNext)"}
			continue
		}
		ev.EventID = newUUID()
		results[i] = resultEntry{EventID: ev.EventID}
		h.events = append(h.events, *ev)
		stored = append(stored, *ev)
	}
	for _, s := range h.subs {
		subs = append(subs, s.fn)
	}
	h.mu.Unlock()

	for _, ev := range stored {
		for _, fn := range subs {
			fn(ev)
		}
	}
	h.startDeliveries(stored)

	resp := putEventsResponse{Entries: results}
	for _, r := range results {
		if r.ErrorCode != "" {
			resp.FailedEntryCount++
		}
	}
	w.Header().Set("Content-Type", jsonContentType)
	_ = json.NewEncoder(w).Encode(resp)
}

// takeFailure consumes one injected failure and returns its code, or "" when
// none is pending. h.mu must be held.
func (h *Handler) takeFailure() string {
	for len(h.failures) > 0 {
		f := &h.failures[0]
		if f.n > 0 {
			f.n--
			return f.code
		}
		h.failures = h.failures[1:]
	}
	return ""
}

// validate checks one entry as EventBridge does and returns the event to
// store, or a per-entry error code and message.
func validate(e requestEntry, now time.Time) (Event, string, string) {
	switch {
	case e.Source == nil || *e.Source == "":
		return Event{}, ErrInvalidArgument, "Parameter Source is not valid. Reason: Source is a required argument."
	case e.DetailType == nil || *e.DetailType == "":
		return Event{}, ErrInvalidArgument, "Parameter DetailType is not valid. Reason: DetailType is a required argument."
	case e.Detail == nil || *e.Detail == "":
		return Event{}, ErrInvalidArgument, "Parameter Detail is not valid. Reason: Detail is a required argument."
	case len([]rune(*e.DetailType)) > MaxDetailTypeLength:
		return Event{}, ErrInvalidArgument, fmt.Sprintf("Parameter DetailType is not valid. Reason: DetailType is longer than %d characters.", MaxDetailTypeLength)
	case strings.HasPrefix(*e.Source, "aws."):
		return Event{}, ErrNotAuthorizedForSource, "Not authorized for the source."
	case !isJSONObject(*e.Detail):
		return Event{}, ErrMalformedDetail, "Detail is malformed."
	}
	t := now
	if len(e.Time) > 0 && string(e.Time) != "null" {
		var err error
		if t, err = parseTimestamp(e.Time); err != nil {
			return Event{}, ErrInvalidArgument, "Parameter Time is not valid. Reason: " + err.Error()
		}
	}
	bus := defaultBusName
	if e.EventBusName != nil && *e.EventBusName != "" {
		bus = *e.EventBusName
	}
	return Event{
		EventBusName: bus,
		Source:       *e.Source,
		DetailType:   *e.DetailType,
		Detail:       json.RawMessage(*e.Detail),
		Time:         t.UTC(),
		Resources:    e.Resources,
	}, "", ""
}

func isJSONObject(s string) bool {
	if !json.Valid([]byte(s)) {
		return false
	}
	return strings.HasPrefix(strings.TrimLeft(s, " \t\r\n"), "{")
}

// parseTimestamp reads an AWS JSON timestamp: epoch seconds with an optional
// fraction (what the SDKs send), or an RFC 3339 string.
func parseTimestamp(raw json.RawMessage) (time.Time, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return time.Parse(time.RFC3339Nano, s)
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return time.Time{}, fmt.Errorf("%s is not a timestamp", raw)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e3))*int64(time.Millisecond)), nil
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("X-Amzn-Errortype", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

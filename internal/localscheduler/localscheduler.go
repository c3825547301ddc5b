// Package localscheduler is a local Amazon EventBridge Scheduler endpoint for
// tests and the local stack. It speaks the wire protocol the AWS SDKs use
// (REST-JSON: POST/GET/PUT/DELETE /schedules/{Name}, GET /schedules,
// POST/GET/DELETE /schedule-groups/{Name}), so code under test talks to it
// through the real scheduler client, pointed here with BaseEndpoint or
// AWS_ENDPOINT_URL_SCHEDULER. Request signatures are not checked.
//
// Implemented operations: CreateScheduleGroup, GetScheduleGroup,
// DeleteScheduleGroup, CreateSchedule, GetSchedule, UpdateSchedule,
// DeleteSchedule and ListSchedules. Others (ListScheduleGroups, tags) are
// answered 404 UnknownOperationException. A schedule's group must exist;
// the group "default" always does and cannot be deleted. Deleting a group
// deletes its schedules at once (AWS does it in the background).
//
// Requests are validated as EventBridge Scheduler documents it for the
// fields this endpoint uses: names and group names (1–64 of
// [0-9a-zA-Z-_.]), ClientToken (1–64 of [a-zA-Z0-9-_]), Description (≤ 512),
// ScheduleExpression (see NextFire; rate() is refused as unsupported
// locally), ScheduleExpressionTimezone (a zone Go knows), FlexibleTimeWindow
// (required; Mode OFF or FLEXIBLE, MaximumWindowInMinutes 1–1440 and
// required with FLEXIBLE), Target (required, with Arn 1–1600 and a RoleArn
// matching the IAM role ARN pattern; Input 1–8192 characters; RetryPolicy
// MaximumRetryAttempts 0–185 and MaximumEventAgeInSeconds 60–86400,
// defaulting to 185 and 86400 as in AWS; DeadLetterConfig.Arn an SQS queue
// ARN), State, ActionAfterCompletion, and EndDate after StartDate. Other
// target parameters (EcsParameters, SqsParameters, …) are kept and echoed
// without validation. Errors are answered as AWS does: the error code in
// the X-Amzn-Errortype header, a JSON body {"Message": "…"}, and the HTTP
// status of that error (400 ValidationException, 404
// ResourceNotFoundException, 409 ConflictException, 429
// ThrottlingException, 402 ServiceQuotaExceededException, 500
// InternalServerException).
//
// Idempotency: a CreateSchedule for a name that exists is a
// ConflictException, except when it repeats, with the same ClientToken and
// the same definition, the create that made the schedule (which has not
// been updated since): then it is answered like the first, as a replay of
// the same idempotent request. AWS documents that ClientToken makes
// requests idempotent but not for how long; here it lasts as long as the
// schedule is unchanged.
//
// Schedules really fire: see Handler.Tick, Handler.Run and Handler.OnFire.
package localscheduler

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Error codes this endpoint answers, in the X-Amzn-Errortype header.
const (
	// ErrValidation (400): a field is missing, out of bounds or malformed,
	// or the expression or time zone is not supported.
	ErrValidation = "ValidationException"
	// ErrConflict (409): a schedule or group of that name exists.
	ErrConflict = "ConflictException"
	// ErrResourceNotFound (404): no schedule or group of that name.
	ErrResourceNotFound = "ResourceNotFoundException"
	// ErrThrottling (429): only answered when injected with FailNext.
	ErrThrottling = "ThrottlingException"
	// ErrServiceQuotaExceeded (402): only answered when injected with FailNext.
	ErrServiceQuotaExceeded = "ServiceQuotaExceededException"
	// ErrInternalServer (500): only answered when injected with FailNext.
	ErrInternalServer = "InternalServerException"
	// ErrSerialization (400): the body is not the operation's JSON.
	ErrSerialization = "SerializationException"
	// ErrUnknownOperation (404): the method and path name no implemented
	// operation.
	ErrUnknownOperation = "UnknownOperationException"
)

// DefaultGroup is the schedule group that always exists and that requests
// without a GroupName use.
const DefaultGroup = "default"

// Defaults of Config and of schedules, as AWS has them.
const (
	DefaultRegion    = "us-east-1"
	DefaultAccountID = "000000000000"
	// DefaultMaximumRetryAttempts and DefaultMaximumEventAgeInSeconds are a
	// target's RetryPolicy when the request has none.
	DefaultMaximumRetryAttempts     = 185
	DefaultMaximumEventAgeInSeconds = 86400
	// MaxInputLength is the longest Target.Input, in characters.
	MaxInputLength = 8192
)

const (
	maxBodyBytes = 1 << 20
	jsonType     = "application/json"
)

// Config configures a Handler; the zero value is usable.
type Config struct {
	// Addr is where Start listens; "" means DefaultAddr (a free loopback
	// port). NewHandler ignores it.
	Addr string
	// Region and AccountID appear in ARNs; "" means DefaultRegion and
	// DefaultAccountID.
	Region    string
	AccountID string
	// Now stamps creation and modification dates and is the time Run ticks
	// at; nil means time.Now. Creating or updating a schedule makes its next
	// fire the first one after Now.
	Now func() time.Time
	// RetryDelay is the wait before the first retry of a failed fire,
	// doubling for each further retry up to a minute; 0 means one second.
	RetryDelay time.Duration
}

// Request is one API request the endpoint received.
type Request struct {
	// Operation is the API operation ("CreateSchedule", …), "" when the
	// method and path name none.
	Operation string
	Method    string
	// Path is the URL path as sent (percent-encoded).
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// Handler is the Scheduler endpoint as an http.Handler, with the schedules
// in memory. The zero value is not usable; call NewHandler. All methods are
// safe for concurrent use.
type Handler struct {
	cfg Config

	mu        sync.Mutex
	groups    map[string]*group
	schedules map[scheduleKey]*schedule
	requests  []Request
	failures  []injected

	// firing (fire.go)
	onFire      func(context.Context, Invocation) error
	ctx         context.Context
	cancel      context.CancelFunc
	inflight    int
	idle        *sync.Cond
	deadLetters []DeadLetter
}

type injected struct {
	code string
	n    int
}

type group struct {
	name, arn string
	created   time.Time
	token     string
}

type scheduleKey struct{ group, name string }

type schedule struct {
	key               scheduleKey
	arn               string
	def               definition
	expr              *expression
	loc               *time.Location
	created, modified time.Time
	createToken       string
	createFingerprint string
	// from is the time after which the next fire is looked for: the
	// creation or update time, then the last fire's scheduled time.
	from time.Time
	// done: a one-time schedule that has fired.
	done bool
}

// NewHandler returns an endpoint with only the default group.
func NewHandler(cfg Config) *Handler {
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.AccountID == "" {
		cfg.AccountID = DefaultAccountID
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = time.Second
	}
	h := &Handler{cfg: cfg, groups: map[string]*group{}, schedules: map[scheduleKey]*schedule{}}
	h.idle = sync.NewCond(&h.mu)
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.groups[DefaultGroup] = &group{name: DefaultGroup, arn: h.groupARN(DefaultGroup), created: cfg.Now().UTC()}
	return h
}

func (h *Handler) now() time.Time { return h.cfg.Now().UTC() }

func (h *Handler) groupARN(name string) string {
	return fmt.Sprintf("arn:aws:scheduler:%s:%s:schedule-group/%s", h.cfg.Region, h.cfg.AccountID, name)
}

func (h *Handler) scheduleARN(k scheduleKey) string {
	return fmt.Sprintf("arn:aws:scheduler:%s:%s:schedule/%s/%s", h.cfg.Region, h.cfg.AccountID, k.group, k.name)
}

// Requests returns a copy of every API request received so far, in order,
// including those answered with an error.
func (h *Handler) Requests() []Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.requests)
}

// FailNext makes the next n API requests, whatever their operation, answer
// the error errorType (such as "ThrottlingException", HTTP 429) without
// doing anything. Calls add up: FailNext(2, a); FailNext(1, b) fails two
// requests with a, then one with b.
func (h *Handler) FailNext(n int, errorType string) {
	if n <= 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failures = append(h.failures, injected{code: errorType, n: n})
}

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

// apiError is an error answer.
type apiError struct{ code, msg string }

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func errorf(code, format string, args ...any) *apiError {
	return &apiError{code: code, msg: fmt.Sprintf(format, args...)}
}

// errorStatus is the HTTP status AWS answers with each error code.
func errorStatus(code string) int {
	switch code {
	case ErrConflict:
		return http.StatusConflict
	case ErrResourceNotFound, ErrUnknownOperation:
		return http.StatusNotFound
	case ErrThrottling:
		return http.StatusTooManyRequests
	case ErrServiceQuotaExceeded:
		return http.StatusPaymentRequired
	case ErrInternalServer:
		return http.StatusInternalServerError
	case "AccessDeniedException":
		return http.StatusForbidden
	default:
		return http.StatusBadRequest
	}
}

// ServeHTTP answers Scheduler REST-JSON requests; see the package
// documentation for operations and errors.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Amzn-Requestid", newUUID())
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		writeError(w, errorf(ErrSerialization, "cannot read the request body: %v", err))
		return
	}
	op, name, ok := route(r.Method, r.URL.EscapedPath())
	h.mu.Lock()
	h.requests = append(h.requests, Request{
		Operation: op, Method: r.Method, Path: r.URL.EscapedPath(),
		Query: r.URL.Query(), Header: r.Header.Clone(), Body: body,
	})
	injectedCode := h.takeFailure()
	h.mu.Unlock()
	if injectedCode != "" {
		writeError(w, errorf(injectedCode, "injected failure (localscheduler FailNext)"))
		return
	}
	if !ok {
		writeError(w, errorf(ErrUnknownOperation, "%s %s is not an operation of the local Scheduler", r.Method, r.URL.EscapedPath()))
		return
	}
	q := r.URL.Query()
	var out any
	var aerr *apiError
	switch op {
	case "CreateSchedule":
		out, aerr = h.createSchedule(name, body)
	case "UpdateSchedule":
		out, aerr = h.updateSchedule(name, body)
	case "GetSchedule":
		out, aerr = h.getSchedule(name, q.Get("groupName"), q.Has("groupName"))
	case "DeleteSchedule":
		out, aerr = h.deleteSchedule(name, q)
	case "ListSchedules":
		out, aerr = h.listSchedules(q)
	case "CreateScheduleGroup":
		out, aerr = h.createGroup(name, body)
	case "GetScheduleGroup":
		out, aerr = h.getGroup(name)
	case "DeleteScheduleGroup":
		out, aerr = h.deleteGroup(name, q)
	}
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	w.Header().Set("Content-Type", jsonType)
	_ = json.NewEncoder(w).Encode(out)
}

// route names the operation of a method and escaped path, and the
// unescaped {Name} it carries.
func route(method, path string) (op, name string, ok bool) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	switch {
	case len(parts) == 1 && parts[0] == "schedules" && method == http.MethodGet:
		return "ListSchedules", "", true
	case len(parts) != 2 || parts[1] == "":
		return "", "", false
	}
	name, err := url.PathUnescape(parts[1])
	if err != nil {
		return "", "", false
	}
	ops := map[string]map[string]string{
		"schedules": {
			http.MethodPost: "CreateSchedule", http.MethodGet: "GetSchedule",
			http.MethodPut: "UpdateSchedule", http.MethodDelete: "DeleteSchedule",
		},
		"schedule-groups": {
			http.MethodPost: "CreateScheduleGroup", http.MethodGet: "GetScheduleGroup",
			http.MethodDelete: "DeleteScheduleGroup",
		},
	}
	op, ok = ops[parts[0]][method]
	return op, name, ok
}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", jsonType)
	w.Header().Set("X-Amzn-Errortype", e.code)
	w.WriteHeader(errorStatus(e.code))
	_ = json.NewEncoder(w).Encode(map[string]string{"Message": e.msg})
}

// epoch is a timestamp as AWS JSON answers it: seconds since the epoch.
func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// ---- schedules ----

func (h *Handler) createSchedule(name string, body []byte) (any, *apiError) {
	req, aerr := decodeScheduleRequest(body)
	if aerr != nil {
		return nil, aerr
	}
	def, groupName, aerr := validateSchedule(name, req)
	if aerr != nil {
		return nil, aerr
	}
	expr, _ := parseExpression(def.Expression)
	loc, _ := loadZone(def.Timezone)
	fp := def.fingerprint()
	k := scheduleKey{group: groupName, name: name}

	h.mu.Lock()
	defer h.mu.Unlock()
	if h.groups[groupName] == nil {
		return nil, errorf(ErrResourceNotFound, "Schedule group %s does not exist.", groupName)
	}
	if s := h.schedules[k]; s != nil {
		if req.ClientToken != nil && *req.ClientToken == s.createToken && fp == s.createFingerprint && s.modified.Equal(s.created) {
			return map[string]any{"ScheduleArn": s.arn}, nil
		}
		return nil, errorf(ErrConflict, "Schedule %s already exists.", name)
	}
	now := h.now()
	s := &schedule{
		key: k, arn: h.scheduleARN(k), def: def, expr: expr, loc: loc,
		created: now, modified: now, createFingerprint: fp, from: now,
	}
	if req.ClientToken != nil {
		s.createToken = *req.ClientToken
	}
	h.schedules[k] = s
	return map[string]any{"ScheduleArn": s.arn}, nil
}

func (h *Handler) updateSchedule(name string, body []byte) (any, *apiError) {
	req, aerr := decodeScheduleRequest(body)
	if aerr != nil {
		return nil, aerr
	}
	def, groupName, aerr := validateSchedule(name, req)
	if aerr != nil {
		return nil, aerr
	}
	expr, _ := parseExpression(def.Expression)
	loc, _ := loadZone(def.Timezone)
	k := scheduleKey{group: groupName, name: name}

	h.mu.Lock()
	defer h.mu.Unlock()
	if h.groups[groupName] == nil {
		return nil, errorf(ErrResourceNotFound, "Schedule group %s does not exist.", groupName)
	}
	s := h.schedules[k]
	if s == nil {
		return nil, errorf(ErrResourceNotFound, "Schedule %s does not exist.", name)
	}
	now := h.now()
	if !now.After(s.created) {
		now = s.created.Add(time.Millisecond) // an update is never "unchanged since creation"
	}
	s.def, s.expr, s.loc, s.modified, s.from, s.done = def, expr, loc, now, now, false
	return map[string]any{"ScheduleArn": s.arn}, nil
}

func (h *Handler) getSchedule(name, groupName string, hasGroup bool) (any, *apiError) {
	groupName, aerr := checkNameAndGroup(name, groupName, hasGroup)
	if aerr != nil {
		return nil, aerr
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.schedules[scheduleKey{group: groupName, name: name}]
	if s == nil {
		return nil, errorf(ErrResourceNotFound, "Schedule %s does not exist.", name)
	}
	return s.output(), nil
}

func (h *Handler) deleteSchedule(name string, q url.Values) (any, *apiError) {
	groupName, aerr := checkNameAndGroup(name, q.Get("groupName"), q.Has("groupName"))
	if aerr != nil {
		return nil, aerr
	}
	if q.Has("clientToken") {
		var v violations
		v.clientToken("clientToken", q.Get("clientToken"))
		if aerr := v.err(); aerr != nil {
			return nil, aerr
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	k := scheduleKey{group: groupName, name: name}
	if h.schedules[k] == nil {
		return nil, errorf(ErrResourceNotFound, "Schedule %s does not exist.", name)
	}
	delete(h.schedules, k)
	return struct{}{}, nil
}

func checkNameAndGroup(name, groupName string, hasGroup bool) (string, *apiError) {
	var v violations
	v.name("name", name)
	if !hasGroup {
		groupName = DefaultGroup
	} else {
		v.name("groupName", groupName)
	}
	return groupName, v.err()
}

// listSchedules answers schedules sorted by group, then name. NextToken is
// an opaque token naming the last schedule of the previous page.
func (h *Handler) listSchedules(q url.Values) (any, *apiError) {
	var v violations
	if q.Has("ScheduleGroup") {
		v.name("scheduleGroup", q.Get("ScheduleGroup"))
	}
	if q.Has("NamePrefix") {
		v.name("namePrefix", q.Get("NamePrefix"))
	}
	if q.Has("State") {
		v.enum("state", q.Get("State"), "ENABLED", "DISABLED")
	}
	limit := 100
	if q.Has("MaxResults") {
		n, err := strconv.Atoi(q.Get("MaxResults"))
		if err != nil || n < 1 || n > 100 {
			v.add("Value '%s' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100", q.Get("MaxResults"))
		}
		limit = n
	}
	var after scheduleKey
	if q.Has("NextToken") {
		k, ok := decodeToken(q.Get("NextToken"))
		if !ok {
			v.add("Value '%s' at 'nextToken' failed to satisfy constraint: Member must be a token from a previous ListSchedules answer", q.Get("NextToken"))
		}
		after = k
	}
	if aerr := v.err(); aerr != nil {
		return nil, aerr
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	if q.Has("ScheduleGroup") && h.groups[q.Get("ScheduleGroup")] == nil {
		return nil, errorf(ErrResourceNotFound, "Schedule group %s does not exist.", q.Get("ScheduleGroup"))
	}
	var match []*schedule
	for _, s := range h.schedules {
		switch {
		case q.Has("ScheduleGroup") && s.key.group != q.Get("ScheduleGroup"),
			!strings.HasPrefix(s.key.name, q.Get("NamePrefix")),
			q.Has("State") && s.def.State != q.Get("State"),
			q.Has("NextToken") && !after.less(s.key):
			continue
		}
		match = append(match, s)
	}
	slices.SortFunc(match, func(a, b *schedule) int {
		if a.key.less(b.key) {
			return -1
		}
		return 1
	})
	out := map[string]any{}
	page := []map[string]any{}
	for i, s := range match {
		if i == limit {
			out["NextToken"] = encodeToken(match[i-1].key)
			break
		}
		page = append(page, map[string]any{
			"Arn": s.arn, "Name": s.key.name, "GroupName": s.key.group, "State": s.def.State,
			"CreationDate": epoch(s.created), "LastModificationDate": epoch(s.modified),
			"Target": map[string]any{"Arn": s.def.Target.Arn},
		})
	}
	out["Schedules"] = page
	return out, nil
}

func (k scheduleKey) less(o scheduleKey) bool {
	if k.group != o.group {
		return k.group < o.group
	}
	return k.name < o.name
}

func encodeToken(k scheduleKey) string {
	return base64.RawURLEncoding.EncodeToString([]byte(k.group + "/" + k.name))
}

func decodeToken(s string) (scheduleKey, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return scheduleKey{}, false
	}
	g, n, ok := strings.Cut(string(b), "/")
	return scheduleKey{group: g, name: n}, ok
}

// output is the GetSchedule answer.
func (s *schedule) output() map[string]any {
	d := s.def
	target := map[string]any{}
	for k, v := range d.Target.Other {
		target[k] = v
	}
	target["Arn"] = d.Target.Arn
	target["RoleArn"] = d.Target.RoleArn
	target["RetryPolicy"] = map[string]any{
		"MaximumRetryAttempts":     d.Target.MaximumRetryAttempts,
		"MaximumEventAgeInSeconds": d.Target.MaximumEventAgeInSeconds,
	}
	if d.Target.Input != nil {
		target["Input"] = *d.Target.Input
	}
	if d.Target.DeadLetterArn != nil {
		target["DeadLetterConfig"] = map[string]any{"Arn": *d.Target.DeadLetterArn}
	}
	ftw := map[string]any{"Mode": d.FlexibleMode}
	if d.FlexibleWindow != nil {
		ftw["MaximumWindowInMinutes"] = *d.FlexibleWindow
	}
	out := map[string]any{
		"Arn": s.arn, "Name": s.key.name, "GroupName": s.key.group,
		"ScheduleExpression": d.Expression, "ScheduleExpressionTimezone": d.Timezone,
		"State": d.State, "ActionAfterCompletion": d.ActionAfterCompletion,
		"FlexibleTimeWindow": ftw, "Target": target,
		"CreationDate": epoch(s.created), "LastModificationDate": epoch(s.modified),
	}
	if d.Description != nil {
		out["Description"] = *d.Description
	}
	if d.KmsKeyArn != nil {
		out["KmsKeyArn"] = *d.KmsKeyArn
	}
	if d.StartDate != nil {
		out["StartDate"] = epoch(*d.StartDate)
	}
	if d.EndDate != nil {
		out["EndDate"] = epoch(*d.EndDate)
	}
	return out
}

// ---- groups ----

func (h *Handler) createGroup(name string, body []byte) (any, *apiError) {
	var req struct {
		ClientToken *string         `json:"ClientToken"`
		Tags        json.RawMessage `json:"Tags"`
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			return nil, errorf(ErrSerialization, "the body is not a CreateScheduleGroup request: %v", err)
		}
	}
	var v violations
	v.name("name", name)
	if req.ClientToken != nil {
		v.clientToken("clientToken", *req.ClientToken)
	}
	if aerr := v.err(); aerr != nil {
		return nil, aerr
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if g := h.groups[name]; g != nil {
		if req.ClientToken != nil && g.token != "" && *req.ClientToken == g.token {
			return map[string]any{"ScheduleGroupArn": g.arn}, nil
		}
		return nil, errorf(ErrConflict, "Schedule group %s already exists.", name)
	}
	g := &group{name: name, arn: h.groupARN(name), created: h.now()}
	if req.ClientToken != nil {
		g.token = *req.ClientToken
	}
	h.groups[name] = g
	return map[string]any{"ScheduleGroupArn": g.arn}, nil
}

func (h *Handler) getGroup(name string) (any, *apiError) {
	var v violations
	v.name("name", name)
	if aerr := v.err(); aerr != nil {
		return nil, aerr
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	g := h.groups[name]
	if g == nil {
		return nil, errorf(ErrResourceNotFound, "Schedule group %s does not exist.", name)
	}
	return map[string]any{
		"Arn": g.arn, "Name": g.name, "State": "ACTIVE",
		"CreationDate": epoch(g.created), "LastModificationDate": epoch(g.created),
	}, nil
}

func (h *Handler) deleteGroup(name string, q url.Values) (any, *apiError) {
	var v violations
	v.name("name", name)
	if q.Has("clientToken") {
		v.clientToken("clientToken", q.Get("clientToken"))
	}
	if aerr := v.err(); aerr != nil {
		return nil, aerr
	}
	if name == DefaultGroup {
		return nil, errorf(ErrValidation, "The default schedule group cannot be deleted.")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.groups[name] == nil {
		return nil, errorf(ErrResourceNotFound, "Schedule group %s does not exist.", name)
	}
	delete(h.groups, name)
	for k := range h.schedules {
		if k.group == name {
			delete(h.schedules, k)
		}
	}
	return struct{}{}, nil
}

// ---- requests and validation ----

// scheduleRequest is the body of CreateSchedule and UpdateSchedule.
type scheduleRequest struct {
	ActionAfterCompletion      *string         `json:"ActionAfterCompletion"`
	ClientToken                *string         `json:"ClientToken"`
	Description                *string         `json:"Description"`
	EndDate                    *json.Number    `json:"EndDate"`
	FlexibleTimeWindow         *flexibleWindow `json:"FlexibleTimeWindow"`
	GroupName                  *string         `json:"GroupName"`
	KmsKeyArn                  *string         `json:"KmsKeyArn"`
	ScheduleExpression         *string         `json:"ScheduleExpression"`
	ScheduleExpressionTimezone *string         `json:"ScheduleExpressionTimezone"`
	StartDate                  *json.Number    `json:"StartDate"`
	State                      *string         `json:"State"`
	Target                     json.RawMessage `json:"Target"`
}

type flexibleWindow struct {
	Mode                   *string `json:"Mode"`
	MaximumWindowInMinutes *int    `json:"MaximumWindowInMinutes"`
}

type targetRequest struct {
	Arn         *string `json:"Arn"`
	RoleArn     *string `json:"RoleArn"`
	Input       *string `json:"Input"`
	RetryPolicy *struct {
		MaximumEventAgeInSeconds *int `json:"MaximumEventAgeInSeconds"`
		MaximumRetryAttempts     *int `json:"MaximumRetryAttempts"`
	} `json:"RetryPolicy"`
	DeadLetterConfig *struct {
		Arn *string `json:"Arn"`
	} `json:"DeadLetterConfig"`
}

// definition is a validated schedule, with AWS's defaults filled in.
type definition struct {
	ActionAfterCompletion string
	Description           *string
	StartDate, EndDate    *time.Time
	FlexibleMode          string
	FlexibleWindow        *int
	KmsKeyArn             *string
	Expression            string
	Timezone              string
	State                 string
	Target                target
}

type target struct {
	Arn, RoleArn                                   string
	Input                                          *string
	MaximumRetryAttempts, MaximumEventAgeInSeconds int
	DeadLetterArn                                  *string
	// Other holds the other target parameters (EcsParameters, …) verbatim.
	Other map[string]json.RawMessage
}

// fingerprint identifies a definition, to tell a replayed create from
// another one.
func (d definition) fingerprint() string {
	b, _ := json.Marshal(d)
	return string(b)
}

func decodeScheduleRequest(body []byte) (*scheduleRequest, *apiError) {
	var req scheduleRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		return nil, errorf(ErrSerialization, "the body is not a schedule request: %v", err)
	}
	return &req, nil
}

var (
	namePattern  = regexp.MustCompile(`^[0-9a-zA-Z\-_.]+$`)
	tokenPattern = regexp.MustCompile(`^[a-zA-Z0-9\-_]+$`)
	rolePattern  = regexp.MustCompile(`^arn:aws(-[a-z]+)?:iam::\d{12}:role/[\w+=,.@/-]+$`)
	queuePattern = regexp.MustCompile(`^arn:aws(-[a-z]+)?:sqs:[a-z0-9\-]+:\d{12}:[a-zA-Z0-9\-_]+$`)
)

// violations collects constraint failures, worded as AWS words them.
type violations []string

func (v *violations) add(format string, args ...any) { *v = append(*v, fmt.Sprintf(format, args...)) }

func (v *violations) missing(field string) {
	v.add("Value null at '%s' failed to satisfy constraint: Member must not be null", field)
}

func (v *violations) length(field, s string, min, max int) bool {
	n := utf8.RuneCountInString(s)
	if n < min || n > max {
		v.add("Value '%s' at '%s' failed to satisfy constraint: Member must have length between %d and %d", s, field, min, max)
		return false
	}
	return true
}

func (v *violations) pattern(field, s string, re *regexp.Regexp) {
	if !re.MatchString(s) {
		v.add("Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", s, field, re.String())
	}
}

func (v *violations) name(field, s string) {
	if v.length(field, s, 1, 64) {
		v.pattern(field, s, namePattern)
	}
}

func (v *violations) clientToken(field, s string) {
	if v.length(field, s, 1, 64) {
		v.pattern(field, s, tokenPattern)
	}
}

func (v *violations) enum(field, s string, values ...string) {
	if !slices.Contains(values, s) {
		v.add("Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]", s, field, strings.Join(values, ", "))
	}
}

func (v *violations) between(field string, n, min, max int) {
	if n < min || n > max {
		v.add("Value '%d' at '%s' failed to satisfy constraint: Member must have value between %d and %d", n, field, min, max)
	}
}

func (v violations) err() *apiError {
	switch len(v) {
	case 0:
		return nil
	case 1:
		return errorf(ErrValidation, "1 validation error detected: %s", v[0])
	default:
		return errorf(ErrValidation, "%d validation errors detected: %s", len(v), strings.Join(v, "; "))
	}
}

// validateSchedule checks a CreateSchedule or UpdateSchedule request and
// returns its definition with defaults, and its group.
func validateSchedule(name string, req *scheduleRequest) (definition, string, *apiError) {
	var v violations
	d := definition{ActionAfterCompletion: "NONE", State: "ENABLED", Timezone: "UTC"}
	v.name("name", name)
	groupName := DefaultGroup
	if req.GroupName != nil {
		groupName = *req.GroupName
		v.name("groupName", groupName)
	}
	if req.ClientToken != nil {
		v.clientToken("clientToken", *req.ClientToken)
	}
	if req.Description != nil {
		v.length("description", *req.Description, 0, 512)
		d.Description = req.Description
	}
	if req.ScheduleExpression == nil {
		v.missing("scheduleExpression")
	} else {
		v.length("scheduleExpression", *req.ScheduleExpression, 1, 256)
		d.Expression = *req.ScheduleExpression
	}
	if req.ScheduleExpressionTimezone != nil {
		v.length("scheduleExpressionTimezone", *req.ScheduleExpressionTimezone, 1, 50)
		d.Timezone = *req.ScheduleExpressionTimezone
	}
	if req.State != nil {
		v.enum("state", *req.State, "ENABLED", "DISABLED")
		d.State = *req.State
	}
	if req.ActionAfterCompletion != nil {
		v.enum("actionAfterCompletion", *req.ActionAfterCompletion, "NONE", "DELETE")
		d.ActionAfterCompletion = *req.ActionAfterCompletion
	}
	if req.KmsKeyArn != nil {
		v.length("kmsKeyArn", *req.KmsKeyArn, 1, 2048)
		d.KmsKeyArn = req.KmsKeyArn
	}
	var err error
	if d.StartDate, err = parseEpoch(req.StartDate); err != nil {
		v.add("Value '%s' at 'startDate' failed to satisfy constraint: Member must be a timestamp", *req.StartDate)
	}
	if d.EndDate, err = parseEpoch(req.EndDate); err != nil {
		v.add("Value '%s' at 'endDate' failed to satisfy constraint: Member must be a timestamp", *req.EndDate)
	}
	switch ftw := req.FlexibleTimeWindow; {
	case ftw == nil:
		v.missing("flexibleTimeWindow")
	case ftw.Mode == nil:
		v.missing("flexibleTimeWindow.mode")
	default:
		v.enum("flexibleTimeWindow.mode", *ftw.Mode, "OFF", "FLEXIBLE")
		d.FlexibleMode = *ftw.Mode
		if ftw.MaximumWindowInMinutes != nil {
			v.between("flexibleTimeWindow.maximumWindowInMinutes", *ftw.MaximumWindowInMinutes, 1, 1440)
			d.FlexibleWindow = ftw.MaximumWindowInMinutes
		}
	}
	d.Target = target{MaximumRetryAttempts: DefaultMaximumRetryAttempts, MaximumEventAgeInSeconds: DefaultMaximumEventAgeInSeconds}
	if len(req.Target) == 0 || string(req.Target) == "null" {
		v.missing("target")
	} else {
		var t targetRequest
		if err := json.Unmarshal(req.Target, &t); err != nil {
			return d, "", errorf(ErrSerialization, "Target is not a target: %v", err)
		}
		_ = json.Unmarshal(req.Target, &d.Target.Other)
		for _, k := range []string{"Arn", "RoleArn", "Input", "RetryPolicy", "DeadLetterConfig"} {
			delete(d.Target.Other, k)
		}
		if t.Arn == nil {
			v.missing("target.arn")
		} else if v.length("target.arn", *t.Arn, 1, 1600) {
			d.Target.Arn = *t.Arn
		}
		if t.RoleArn == nil {
			v.missing("target.roleArn")
		} else if v.length("target.roleArn", *t.RoleArn, 1, 1600) {
			v.pattern("target.roleArn", *t.RoleArn, rolePattern)
			d.Target.RoleArn = *t.RoleArn
		}
		if t.Input != nil {
			v.length("target.input", *t.Input, 1, MaxInputLength)
			d.Target.Input = t.Input
		}
		if rp := t.RetryPolicy; rp != nil {
			if rp.MaximumRetryAttempts != nil {
				v.between("target.retryPolicy.maximumRetryAttempts", *rp.MaximumRetryAttempts, 0, 185)
				d.Target.MaximumRetryAttempts = *rp.MaximumRetryAttempts
			}
			if rp.MaximumEventAgeInSeconds != nil {
				v.between("target.retryPolicy.maximumEventAgeInSeconds", *rp.MaximumEventAgeInSeconds, 60, 86400)
				d.Target.MaximumEventAgeInSeconds = *rp.MaximumEventAgeInSeconds
			}
		}
		if dl := t.DeadLetterConfig; dl != nil && dl.Arn != nil {
			if v.length("target.deadLetterConfig.arn", *dl.Arn, 1, 1600) {
				v.pattern("target.deadLetterConfig.arn", *dl.Arn, queuePattern)
			}
			d.Target.DeadLetterArn = dl.Arn
		}
	}
	if aerr := v.err(); aerr != nil {
		return d, "", aerr
	}

	// Semantic checks, once every field is well-formed.
	if _, err := parseExpression(d.Expression); err != nil {
		return d, "", errorf(ErrValidation, "Invalid Schedule Expression %s: %v.", d.Expression, err)
	}
	if _, err := loadZone(d.Timezone); err != nil {
		return d, "", errorf(ErrValidation, "Invalid ScheduleExpressionTimezone %s: %v.", d.Timezone, err)
	}
	if d.FlexibleMode == "FLEXIBLE" && d.FlexibleWindow == nil {
		return d, "", errorf(ErrValidation, "MaximumWindowInMinutes is required when FlexibleTimeWindow Mode is FLEXIBLE.")
	}
	if d.StartDate != nil && d.EndDate != nil && !d.EndDate.After(*d.StartDate) {
		return d, "", errorf(ErrValidation, "The EndDate must be after the StartDate.")
	}
	return d, groupName, nil
}

// parseEpoch reads an AWS JSON timestamp (seconds since the epoch, with an
// optional fraction); nil for nil.
func parseEpoch(n *json.Number) (*time.Time, error) {
	if n == nil {
		return nil, nil
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, errors.New("not a timestamp")
	}
	sec, frac := math.Modf(f)
	t := time.Unix(int64(sec), int64(math.Round(frac*1e3))*int64(time.Millisecond)).UTC()
	return &t, nil
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

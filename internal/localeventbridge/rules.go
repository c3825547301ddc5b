package localeventbridge

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/partnerportal/portal/internal/localhttp"
)

// Defaults of a new Handler.
const (
	// DefaultAccount is the account of the envelopes rule targets receive.
	DefaultAccount = "000000000000"
	// DefaultRegion is the region of the envelopes rule targets receive.
	DefaultRegion = "us-east-1"
	// MaxRuleNameLength is the longest rule name, as in EventBridge.
	MaxRuleNameLength = 64
	// maxBackoff bounds the wait between two attempts of a delivery.
	maxBackoff = 10 * time.Second
)

// DefaultRetryPolicy is a new Handler's RetryPolicy: EventBridge retries a
// failed target up to 185 times over 24 hours with exponential backoff;
// locally, three retries after 50, 100 and 200 ms.
var DefaultRetryPolicy = RetryPolicy{Retries: 3, Backoff: 50 * time.Millisecond}

// RetryPolicy says how a delivery to a rule's target that returned an error
// is retried.
type RetryPolicy struct {
	// Retries is how many attempts follow the first one; 0 means none.
	Retries int
	// Backoff is the wait before the first retry; it doubles for each later
	// retry, up to 10 seconds.
	Backoff time.Duration
}

// FailedDelivery is an event whose delivery to a rule's target failed on
// every attempt: what EventBridge would send to the target's dead-letter
// queue, or drop when it has none.
type FailedDelivery struct {
	// Rule is the name of the rule that matched the event.
	Rule string
	// EventID is the event's ID, as PutEvents answered it.
	EventID string
	// Event is the envelope the target received.
	Event []byte
	// Attempts is how many times the target was called.
	Attempts int
	// Err is the target's last error.
	Err error
}

type rule struct {
	name    string
	pattern *Pattern
	target  func(ctx context.Context, event []byte) error
}

// delivery is one matched event on its way to one rule's target.
type delivery struct {
	rule     *rule
	eventID  string
	envelope []byte
	policy   RetryPolicy
}

// PutRule makes every event accepted from now on that matches pattern (see
// Pattern) be delivered to target, asynchronously, as EventBridge invokes a
// rule's targets: PutEvents answers without waiting for it (use Wait).
// target receives the event's envelope (see Envelope), a fresh copy for each
// call, and a context that ends when the Handler is closed; an error (or a
// panic) is a failed attempt, retried per the Handler's Retry policy, and
// recorded in FailedDeliveries when no attempt succeeded. Targets of several
// events and rules run concurrently. A rule of the same name is replaced;
// deliveries it already started finish as they began. The name is 1 to 64
// letters, digits, '.', '-' or '_', as in EventBridge. PutRule returns a
// *PatternError for a bad pattern, and an error for a bad name or a nil
// target, leaving the rules as they were.
//
// The local endpoint has one set of rules for all its event buses: a rule
// matches events put on any bus.
func (h *Handler) PutRule(name string, pattern []byte, target func(ctx context.Context, event []byte) error) error {
	if err := checkRuleName(name); err != nil {
		return err
	}
	if target == nil {
		return fmt.Errorf("localeventbridge: rule %q: no target", name)
	}
	p, err := CompilePattern(pattern)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rules[name] = &rule{name: name, pattern: p, target: target}
	return nil
}

// DeleteRule removes the rule of that name, reporting whether there was one.
// Events accepted from then on are not delivered to its target; deliveries it
// already started (and their retries) finish as they began.
func (h *Handler) DeleteRule(name string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.rules[name]
	delete(h.rules, name)
	return ok
}

func checkRuleName(name string) error {
	if name == "" || len(name) > MaxRuleNameLength {
		return fmt.Errorf("localeventbridge: rule name %q must be 1 to %d characters", name, MaxRuleNameLength)
	}
	for _, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_') {
			return fmt.Errorf("localeventbridge: rule name %q may hold only letters, digits, '.', '-' and '_'", name)
		}
	}
	return nil
}

// envelope is an event as EventBridge hands it to a rule's target, its
// fields in EventBridge's order.
type envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// Envelope returns e as EventBridge hands it to a rule's target and as
// patterns are matched against it: a JSON object with version "0", id (the
// EventID), detail-type, source, account (h.Account), time (RFC 3339 in UTC,
// to the second), region (h.Region), resources ([] when none) and detail (the
// Detail object as sent, compacted).
func (h *Handler) Envelope(e Event) []byte {
	env := envelope{
		Version: "0", ID: e.EventID, DetailType: e.DetailType, Source: e.Source,
		Account: h.Account, Time: e.Time.UTC().Format(time.RFC3339), Region: h.Region,
		Resources: e.Resources, Detail: e.Detail,
	}
	if env.Resources == nil {
		env.Resources = []string{}
	}
	if len(env.Detail) == 0 {
		env.Detail = json.RawMessage("{}")
	}
	b, err := json.Marshal(env)
	if err != nil { // Detail is not JSON: not an event PutEvents accepted
		env.Detail = json.RawMessage("{}")
		b, _ = json.Marshal(env)
	}
	return b
}

// startDeliveries matches the accepted events against the rules and starts
// a delivery for each match, before PutEvents answers, so that Wait after
// the answer covers them. Nothing starts once the Handler is closed.
func (h *Handler) startDeliveries(events []Event) {
	h.mu.Lock()
	rules := make([]*rule, 0, len(h.rules))
	for _, r := range h.rules {
		rules = append(rules, r)
	}
	h.mu.Unlock()
	if len(rules) == 0 {
		return
	}
	slices.SortFunc(rules, func(a, b *rule) int { return strings.Compare(a.name, b.name) })
	policy := h.Retry
	var batch []delivery
	for _, e := range events {
		env := h.Envelope(e)
		decoded, ok := decodeEvent(env)
		if !ok {
			continue
		}
		for _, r := range rules {
			if r.pattern.match(decoded) {
				batch = append(batch, delivery{rule: r, eventID: e.EventID, envelope: env, policy: policy})
			}
		}
	}
	if len(batch) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ctx.Err() != nil {
		return
	}
	h.inflight += len(batch)
	for _, d := range batch {
		go h.deliver(d)
	}
}

// deliver calls the rule's target until it succeeds, the retries are
// exhausted (then the event is recorded in FailedDeliveries) or the Handler
// is closed (then it is abandoned, unrecorded).
func (h *Handler) deliver(d delivery) {
	defer func() {
		h.mu.Lock()
		h.inflight--
		if h.inflight == 0 {
			h.idle.Broadcast()
		}
		h.mu.Unlock()
	}()
	retries := max(d.policy.Retries, 0)
	for attempt := 1; ; attempt++ {
		err := call(h.ctx, d.rule.target, slices.Clone(d.envelope))
		if err == nil || h.ctx.Err() != nil {
			return
		}
		if attempt > retries {
			h.mu.Lock()
			h.failed = append(h.failed, FailedDelivery{
				Rule: d.rule.name, EventID: d.eventID, Event: slices.Clone(d.envelope), Attempts: attempt, Err: err,
			})
			h.mu.Unlock()
			return
		}
		wait := time.NewTimer(backoff(d.policy.Backoff, attempt))
		select {
		case <-wait.C:
		case <-h.ctx.Done():
			wait.Stop()
			return
		}
	}
}

// backoff returns the wait before retry n (from 1): base·2^(n-1), at most
// maxBackoff.
func backoff(base time.Duration, n int) time.Duration {
	d := max(base, 0)
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// call calls target, turning a panic into an error.
func call(ctx context.Context, target func(context.Context, []byte) error, event []byte) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("localeventbridge: target panicked: %v", p)
		}
	}()
	return target(ctx, event)
}

// Wait blocks until no delivery to a rule's target is in flight: every
// delivery started so far, with its retries, has finished, and so have the
// deliveries of events the targets put meanwhile. After PutEvents answered,
// Wait makes its deliveries deterministic. A target must not call Wait.
func (h *Handler) Wait() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for h.inflight > 0 {
		h.idle.Wait()
	}
}

// FailedDeliveries returns a copy of the deliveries given up so far, in the
// order they were given up.
func (h *Handler) FailedDeliveries() []FailedDelivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.failed)
}

// Close stops delivering: the targets' context ends, no retry follows and
// events accepted from now on are not delivered (PutEvents still answers).
// It waits up to timeout for the targets in flight to return and reports
// whether they did. Abandoned deliveries are not recorded as failed.
// Calling it again is harmless.
func (h *Handler) Close(timeout time.Duration) bool {
	h.mu.Lock()
	h.cancel()
	h.mu.Unlock()
	return localhttp.WaitAtMost(h.Wait, timeout)
}

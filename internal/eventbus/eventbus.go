// Package eventbus implements portal.EventPublisher on Amazon EventBridge.
//
// Each portal.Event becomes one PutEvents entry: Source, DetailType and Time
// as given, Detail JSON-encoded, EventBusName the configured bus. Entries are
// sent in requests of at most MaxEntries entries and MaxRequestSize bytes;
// entries EventBridge reports failed are retried a few times with short
// backoff.
//
// Deduplication: EventBridge has no field for a client-supplied event ID (it
// assigns its own "id" on every put, so a retried entry arrives with a new
// one), and Event.ID is not sent. Consumers drop duplicates on the stable ID
// the domain puts inside the detail (alertId, assetId, ...), which is the
// same fact as Event.ID.
package eventbus

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/partnerportal/portal/internal/portal"
)

// EnvEventBus names the environment variable holding the event bus name or
// ARN; empty or unset means the account's default bus.
const EnvEventBus = "EVENT_BUS_NAME"

// Limits of one PutEvents request and of the retries of failed entries.
const (
	// MaxEntries is the most entries EventBridge accepts in one PutEvents.
	MaxEntries = 10
	// MaxRequestSize is the most bytes the entries of one PutEvents may add
	// up to, counted as EventBridge documents (14 for Time, plus the UTF-8
	// lengths of Source, DetailType and Detail). 256 KB is the long-standing
	// limit; newer SDK documentation cites 1 MB, so this stays safe
	// everywhere.
	MaxRequestSize = 256 * 1024
	// MaxAttempts is how many times an entry is put before Publish gives up
	// on a retryable per-entry failure (InternalFailure, ThrottlingException).
	MaxAttempts = 4
	// timeEntrySize is what a set Time counts against MaxRequestSize.
	timeEntrySize = 14
	// baseBackoff is the pause before the first retry; it doubles after
	// each one (50, 100, 200 ms), with jitter.
	baseBackoff = 50 * time.Millisecond
)

// nonRetryable lists the per-entry error codes EventBridge documents as not
// retryable; every other code is retried.
var nonRetryable = map[string]bool{
	"AccessDeniedException":               true,
	"InvalidAccountIdException":           true,
	"InvalidArgument":                     true,
	"MalformedDetail":                     true,
	"RedactionFailure":                    true,
	"NotAuthorizedForSourceException":     true,
	"NotAuthorizedForDetailTypeException": true,
	"ResourceNotFoundException":           true,
}

// Publisher publishes portal events to one EventBridge bus. It is safe for
// concurrent use.
type Publisher struct {
	client  *eventbridge.Client
	busName string
}

var _ portal.EventPublisher = (*Publisher)(nil)

// New returns a Publisher putting events on the bus named busName (a name or
// an ARN; "" means the default bus) through client. The client's own retryer
// handles throttled and failed requests; Publisher retries failed entries.
func New(client *eventbridge.Client, busName string) *Publisher {
	return &Publisher{client: client, busName: busName}
}

// FailedEntry is one event EventBridge did not accept.
type FailedEntry struct {
	// EventID is the portal.Event's ID, or "#<index>" when it had none.
	EventID      string
	ErrorCode    string
	ErrorMessage string
}

// PublishError reports events still failed after retrying (or failed with a
// code that retrying cannot fix). Other events of the same Publish may have
// been delivered; per the portal.EventPublisher contract the caller retries
// them all.
type PublishError struct {
	Failed []FailedEntry
}

// Error lists every failed event as "<id> (<code>: <message>)".
func (e *PublishError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "eventbus: %d event(s) not accepted by EventBridge:", len(e.Failed))
	for i, f := range e.Failed {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " %s (%s: %s)", f.EventID, f.ErrorCode, f.ErrorMessage)
	}
	return b.String()
}

// Publish puts events on the bus, batch after batch in the given order (a
// retried entry may land after later ones of its batch), and returns nil once
// EventBridge accepted every one of them.
//
// Errors:
//   - portal.EINVALID (an *portal.Error) when an event has no Source or
//     DetailType, its Detail does not encode as a JSON object, or it alone is
//     over MaxRequestSize. This is checked before anything is sent, so no
//     event of the call was published; retrying cannot help.
//   - *PublishError when entries still failed after MaxAttempts puts, or
//     failed with a non-retryable code; it names each event ID and code.
//   - a wrapped SDK or context error when a PutEvents request itself failed
//     (after the client's own retries).
//
// With the last two, events of earlier requests may already be on the bus;
// publishing stops at the first request that did not fully succeed.
func (p *Publisher) Publish(ctx context.Context, events ...portal.Event) error {
	if len(events) == 0 {
		return nil
	}
	entries := make([]entry, len(events))
	for i, ev := range events {
		e, err := p.entry(i, ev)
		if err != nil {
			return err
		}
		entries[i] = e
	}
	for _, batch := range batches(entries) {
		if err := p.put(ctx, batch); err != nil {
			return err
		}
	}
	return nil
}

// entry is one event ready to put.
type entry struct {
	id   string // for errors: Event.ID or "#<index>"
	req  types.PutEventsRequestEntry
	size int
}

func (p *Publisher) entry(i int, ev portal.Event) (entry, error) {
	id := ev.ID
	if id == "" {
		id = fmt.Sprintf("#%d", i)
	}
	if ev.Source == "" || ev.DetailType == "" {
		return entry{}, portal.Errorf(portal.EINVALID, "event %s: Source and DetailType are required", id)
	}
	detail, err := json.Marshal(ev.Detail)
	if err != nil {
		return entry{}, &portal.Error{Code: portal.EINVALID, Message: fmt.Sprintf("event %s: encode detail: %v", id, err)}
	}
	if !bytes.HasPrefix(detail, []byte("{")) {
		return entry{}, portal.Errorf(portal.EINVALID, "event %s: detail must encode as a JSON object, got %.40s", id, detail)
	}
	req := types.PutEventsRequestEntry{
		Source:     aws.String(ev.Source),
		DetailType: aws.String(ev.DetailType),
		Detail:     aws.String(string(detail)),
	}
	size := len(ev.Source) + len(ev.DetailType) + len(detail)
	if !ev.Time.IsZero() {
		req.Time = aws.Time(ev.Time)
		size += timeEntrySize
	}
	if p.busName != "" {
		req.EventBusName = aws.String(p.busName)
	}
	if size > MaxRequestSize {
		return entry{}, portal.Errorf(portal.EINVALID, "event %s: %d bytes, over the EventBridge limit of %d", id, size, MaxRequestSize)
	}
	return entry{id: id, req: req, size: size}, nil
}

// batches splits entries, in order, into requests of at most MaxEntries
// entries and MaxRequestSize bytes.
func batches(entries []entry) [][]entry {
	var out [][]entry
	var cur []entry
	size := 0
	for _, e := range entries {
		if len(cur) == MaxEntries || (len(cur) > 0 && size+e.size > MaxRequestSize) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, e)
		size += e.size
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// put sends one batch and retries its retryable failed entries.
func (p *Publisher) put(ctx context.Context, pending []entry) error {
	for attempt := 1; ; attempt++ {
		reqs := make([]types.PutEventsRequestEntry, len(pending))
		for i, e := range pending {
			reqs[i] = e.req
		}
		out, err := p.client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: reqs})
		if err != nil {
			return fmt.Errorf("eventbus: put events %s: %w", ids(pending), err)
		}
		if len(out.Entries) != len(pending) {
			return fmt.Errorf("eventbus: put events %s: %d result entries for %d events", ids(pending), len(out.Entries), len(pending))
		}
		var retry []entry
		var failed []FailedEntry
		permanent := false
		for i, r := range out.Entries {
			if r.ErrorCode == nil && r.EventId != nil {
				continue
			}
			f := FailedEntry{EventID: pending[i].id, ErrorCode: aws.ToString(r.ErrorCode), ErrorMessage: aws.ToString(r.ErrorMessage)}
			if f.ErrorCode == "" {
				f.ErrorCode = "Unknown"
				f.ErrorMessage = "no event ID and no error code in the result"
			}
			failed = append(failed, f)
			retry = append(retry, pending[i])
			permanent = permanent || nonRetryable[f.ErrorCode]
		}
		if len(failed) == 0 {
			return nil
		}
		if permanent || attempt == MaxAttempts {
			return &PublishError{Failed: failed}
		}
		if err := sleep(ctx, backoff(attempt)); err != nil {
			return fmt.Errorf("eventbus: retry events %s: %w", ids(retry), err)
		}
		pending = retry
	}
}

// backoff returns the pause after the given attempt: baseBackoff doubled per
// attempt, between half and all of it.
func backoff(attempt int) time.Duration {
	d := baseBackoff << (attempt - 1)
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func ids(entries []entry) string {
	s := make([]string, len(entries))
	for i, e := range entries {
		s[i] = e.id
	}
	return strings.Join(s, ", ")
}

package localscheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/partnerportal/portal/internal/localhttp"
)

// Context attributes Scheduler replaces in a target's Input when it fires.
const (
	// ScheduledTimeAttribute becomes the fire's scheduled time, RFC 3339 in
	// UTC to the second ("2026-12-01T14:00:00Z"), the same for every attempt.
	ScheduledTimeAttribute = "<aws.scheduler.scheduled-time>"
	// ScheduleARNAttribute becomes the schedule's ARN.
	ScheduleARNAttribute = "<aws.scheduler.schedule-arn>"
	// ExecutionIDAttribute becomes the fire's execution ID, the same for
	// every attempt.
	ExecutionIDAttribute = "<aws.scheduler.execution-id>"
	// AttemptNumberAttribute becomes the attempt number, from 1.
	AttemptNumberAttribute = "<aws.scheduler.attempt-number>"
)

// ErrNotFound is returned by FireNow when there is no such schedule.
var ErrNotFound = errors.New("localscheduler: no such schedule")

// ErrEventTooOld is in a DeadLetter's Err when the fire was given up
// because it got older than the schedule's MaximumEventAgeInSeconds.
var ErrEventTooOld = errors.New("localscheduler: the event is older than the target's MaximumEventAgeInSeconds")

// Invocation is one attempt to deliver a fire to a schedule's target.
type Invocation struct {
	ScheduleArn string
	Group       string
	Name        string
	// TargetArn is the schedule's Target.Arn, such as the ARN of a function.
	TargetArn string
	// Input is the schedule's Target.Input with the context attributes
	// replaced; "" when the schedule has none (AWS then sends a default
	// notification, which is not emulated).
	Input string
	// ExecutionID identifies the fire; every attempt of it has the same.
	ExecutionID string
	// ScheduledTime is the time the fire was due, in UTC.
	ScheduledTime time.Time
	// Attempt counts the attempts of this fire, from 1.
	Attempt int
}

// DeadLetter is a fire given up after its retries: the event Scheduler
// would send to the target's dead-letter queue, or drop when it has none.
type DeadLetter struct {
	// Invocation is the last attempt; Attempt is the number of attempts
	// made (0 when the fire was too old before the first).
	Invocation Invocation
	// DeadLetterArn is the target's DeadLetterConfig.Arn, "" when it has
	// none (AWS drops the event).
	DeadLetterArn string
	// Err is the target's last error, joined with ErrEventTooOld when the
	// fire aged out before its retries were exhausted.
	Err error
}

// OnFire sets the function each fire is delivered to (replacing any set
// before); the local stack hands fires to the dispatch function here. fn
// runs in its own goroutine, one per fire, and may run concurrently for
// several fires; its context ends when the Handler is closed. A non-nil
// error is a failed delivery, retried per the target's RetryPolicy. Without
// a function, fires are delivered to nothing and count as successful.
func (h *Handler) OnFire(fn func(context.Context, Invocation) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.onFire = fn
}

// Tick fires, once each, every ENABLED schedule whose next fire time is at
// or before now. The next fire time is the first the expression gives,
// within StartDate and EndDate, after the schedule's last fire, or after
// its creation or last update when it has not fired since. A schedule with
// several fire times passed since (a Tick was late) fires once, for the
// latest of them: missed fires are coalesced, not replayed. A one-time
// (at()) schedule fires once ever; with ActionAfterCompletion DELETE it is
// deleted as it fires. The flexible time window is ignored: fires are due
// at their scheduled time.
//
// Tick does not wait for the deliveries: they run in goroutines (see
// OnFire), with their retries. Call Wait to wait for them; Tick followed by
// Wait is deterministic.
func (h *Handler) Tick(now time.Time) {
	h.mu.Lock()
	keys := make([]scheduleKey, 0, len(h.schedules))
	for k := range h.schedules {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b scheduleKey) int {
		if a.less(b) {
			return -1
		}
		return 1
	})
	var batch []*fire
	for _, k := range keys {
		s := h.schedules[k]
		if s.def.State != "ENABLED" || s.done {
			continue
		}
		due, ok := s.nextAfter(s.from)
		if !ok || due.After(now) {
			continue
		}
		for {
			later, ok := s.nextAfter(due)
			if !ok || later.After(now) {
				break
			}
			due = later
		}
		s.from = due
		batch = append(batch, h.newFire(s, due, now))
		if s.expr.oneTime() {
			s.done = true
			if s.def.ActionAfterCompletion == "DELETE" {
				delete(h.schedules, k)
			}
		}
	}
	h.startLocked(batch)
	h.mu.Unlock()
}

// Run calls Tick(Now()) at once, then every `every` (one second when not
// positive), until ctx ends. Now is Config.Now.
func (h *Handler) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		h.Tick(h.now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// FireNow fires the schedule name of group as if it were due at `at`,
// whatever its state and expression, without changing when it fires next:
// for walking through the local stack by hand. Like Tick, it does not wait
// for the delivery (see Wait); the fire's age, for MaximumEventAgeInSeconds,
// counts from `at`. It returns an error wrapping ErrNotFound when there is
// no such schedule ("" is the default group).
func (h *Handler) FireNow(group, name string, at time.Time) error {
	if group == "" {
		group = DefaultGroup
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.schedules[scheduleKey{group: group, name: name}]
	if s == nil {
		return fmt.Errorf("%w: schedule %s in group %s", ErrNotFound, name, group)
	}
	h.startLocked([]*fire{h.newFire(s, at.UTC(), at)})
	return nil
}

// Wait blocks until every fire started so far (by Tick or FireNow) has been
// delivered, dead-lettered or abandoned by Close, retries included.
func (h *Handler) Wait() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for h.inflight > 0 {
		h.idle.Wait()
	}
}

// DeadLetters returns a copy of the fires given up so far, in the order
// they were given up.
func (h *Handler) DeadLetters() []DeadLetter {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.deadLetters)
}

// Close abandons the fires in flight (their context ends and no retry
// follows) and waits up to timeout for their callbacks to return. It
// reports whether they did. Requests are still answered; nothing fires
// again unless Tick is called.
func (h *Handler) Close(timeout time.Duration) bool {
	h.cancel()
	return localhttp.WaitAtMost(h.Wait, timeout)
}

// fire is one fire of a schedule, snapshotted when it was started.
type fire struct {
	fn               func(context.Context, Invocation) error
	arn, group, name string
	targetArn        string
	input            *string
	executionID      string
	scheduled        time.Time
	age              time.Duration // age when started
	maxRetries       int
	maxAge           time.Duration
	deadLetterArn    string
	retryDelay       time.Duration
	started          time.Time // wall clock, for the age of retries
}

// nextAfter returns the schedule's first fire time after `after`, within
// StartDate and EndDate for a recurring schedule (a one-time schedule
// ignores them, as in AWS); false when there is none.
func (s *schedule) nextAfter(after time.Time) (time.Time, bool) {
	recurring := !s.expr.oneTime()
	if recurring && s.def.StartDate != nil && after.Before(*s.def.StartDate) {
		after = s.def.StartDate.Add(-time.Nanosecond)
	}
	t, ok := s.expr.next(s.loc, after)
	if !ok || recurring && s.def.EndDate != nil && !t.Before(*s.def.EndDate) {
		return time.Time{}, false
	}
	return t, true
}

// newFire snapshots a fire of s due at `due`, started at `now` (in the
// schedule's timeline). h.mu must be held.
func (h *Handler) newFire(s *schedule, due, now time.Time) *fire {
	f := &fire{
		fn: h.onFire, arn: s.arn, group: s.key.group, name: s.key.name,
		targetArn: s.def.Target.Arn, input: s.def.Target.Input,
		executionID: newUUID(), scheduled: due.UTC(), age: max(0, now.Sub(due)),
		maxRetries: s.def.Target.MaximumRetryAttempts,
		maxAge:     time.Duration(s.def.Target.MaximumEventAgeInSeconds) * time.Second,
		retryDelay: h.cfg.RetryDelay,
	}
	if s.def.Target.DeadLetterArn != nil {
		f.deadLetterArn = *s.def.Target.DeadLetterArn
	}
	return f
}

// startLocked starts delivering fires. h.mu must be held.
func (h *Handler) startLocked(batch []*fire) {
	h.inflight += len(batch)
	for _, f := range batch {
		f.started = time.Now()
		go h.deliver(f)
	}
}

func (f *fire) invocation(attempt int) Invocation {
	inv := Invocation{
		ScheduleArn: f.arn, Group: f.group, Name: f.name, TargetArn: f.targetArn,
		ExecutionID: f.executionID, ScheduledTime: f.scheduled, Attempt: attempt,
	}
	if f.input != nil {
		inv.Input = strings.NewReplacer(
			ScheduledTimeAttribute, f.scheduled.Format("2006-01-02T15:04:05Z"),
			ScheduleARNAttribute, f.arn,
			ExecutionIDAttribute, f.executionID,
			AttemptNumberAttribute, strconv.Itoa(attempt),
		).Replace(*f.input)
	}
	return inv
}

// deliver calls the fire's function until it succeeds, the retries
// (MaximumRetryAttempts after the first attempt) are exhausted, the fire
// gets older than MaximumEventAgeInSeconds, or the Handler is closed. The
// wait before retry n is RetryDelay·2^(n-1), at most a minute.
func (h *Handler) deliver(f *fire) {
	defer func() {
		h.mu.Lock()
		h.inflight--
		if h.inflight == 0 {
			h.idle.Broadcast()
		}
		h.mu.Unlock()
	}()
	ageNow := func() time.Duration { return f.age + time.Since(f.started) }
	last := f.invocation(0)
	var lastErr error
	for attempt := 1; ; attempt++ {
		if ageNow() > f.maxAge {
			h.deadLetter(f, last, errors.Join(ErrEventTooOld, lastErr))
			return
		}
		last = f.invocation(attempt)
		var err error
		if f.fn != nil {
			err = f.fn(h.ctx, last)
		}
		if err == nil {
			return
		}
		if h.ctx.Err() != nil {
			return
		}
		lastErr = err
		if attempt > f.maxRetries {
			h.deadLetter(f, last, err)
			return
		}
		delay := min(f.retryDelay<<min(attempt-1, 20), time.Minute)
		select {
		case <-time.After(delay):
		case <-h.ctx.Done():
			return
		}
	}
}

func (h *Handler) deadLetter(f *fire, last Invocation, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.deadLetters = append(h.deadLetters, DeadLetter{Invocation: last, DeadLetterArn: f.deadLetterArn, Err: err})
}

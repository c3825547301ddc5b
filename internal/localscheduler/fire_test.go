package localscheduler_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/partnerportal/portal/internal/localscheduler"
)

// recorder collects the invocations delivered to OnFire; fail decides
// whether an invocation fails.
type recorder struct {
	mu   sync.Mutex
	got  []localscheduler.Invocation
	fail func(localscheduler.Invocation) error
}

func (r *recorder) fire(_ context.Context, inv localscheduler.Invocation) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, inv)
	if r.fail != nil {
		return r.fail(inv)
	}
	return nil
}

// take returns the invocations so far, sorted by schedule then scheduled
// time then attempt, and forgets them.
func (r *recorder) take() []localscheduler.Invocation {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.got
	r.got = nil
	slices.SortFunc(out, func(a, b localscheduler.Invocation) int {
		if c := strings.Compare(a.Group+"/"+a.Name, b.Group+"/"+b.Name); c != 0 {
			return c
		}
		if c := a.ScheduledTime.Compare(b.ScheduledTime); c != 0 {
			return c
		}
		return a.Attempt - b.Attempt
	})
	return out
}

func scheduledTimes(invs []localscheduler.Invocation) []string {
	var out []string
	for _, inv := range invs {
		out = append(out, inv.ScheduledTime.Format(time.RFC3339))
	}
	return out
}

// tickEvery ticks srv every step from `from` to `to` inclusive, waiting for
// the deliveries of each tick.
func tickEvery(srv *localscheduler.Server, from, to string, step time.Duration) {
	for at := utc(from); !at.After(utc(to)); at = at.Add(step) {
		srv.Tick(at)
		srv.Wait()
	}
}

func create(t *testing.T, srv *localscheduler.Server, in *scheduler.CreateScheduleInput) {
	t.Helper()
	if _, err := client(srv.URL()).CreateSchedule(context.Background(), in); err != nil {
		t.Fatalf("CreateSchedule: %v", err)
	}
}

func TestTickFiresAcrossDaylightSavingTime(t *testing.T) {
	t.Run("FallBackFiresTheRepeatedTimeOnceWithThePlaceholderSubstituted", func(t *testing.T) {
		srv, _ := startAt(t, "2026-10-30T12:00:00Z")
		rec := &recorder{}
		srv.OnFire(rec.fire)
		in := validCreate("sch_ny")
		in.ScheduleExpression, in.ScheduleExpressionTimezone = aws.String("cron(30 1 * * ? *)"), aws.String("America/New_York")
		create(t, srv, in)

		tickEvery(srv, "2026-10-31T00:00:00Z", "2026-11-03T00:00:00Z", 15*time.Minute)
		got := rec.take()
		wantFires(t, scheduledTimes(got), "2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z")
		for _, inv := range got {
			want := `{"scheduledTime":"` + inv.ScheduledTime.Format(time.RFC3339) + `"}`
			if inv.Input != want {
				t.Errorf("Input = %s, want %s", inv.Input, want)
			}
		}
	})
	t.Run("SpringForwardSkipsTheDayWhoseTimeDoesNotExist", func(t *testing.T) {
		srv, _ := startAt(t, "2026-03-06T12:00:00Z")
		rec := &recorder{}
		srv.OnFire(rec.fire)
		in := validCreate("sch_ny")
		in.ScheduleExpression, in.ScheduleExpressionTimezone = aws.String("cron(30 2 * * ? *)"), aws.String("America/New_York")
		create(t, srv, in)

		tickEvery(srv, "2026-03-07T00:00:00Z", "2026-03-10T00:00:00Z", 15*time.Minute)
		wantFires(t, scheduledTimes(rec.take()), "2026-03-07T07:30:00Z", "2026-03-09T06:30:00Z")
	})
}

func TestTickFiresAtTheDueInstantOnce(t *testing.T) {
	srv, _ := startAt(t, "2026-12-01T00:00:00Z")
	rec := &recorder{}
	srv.OnFire(rec.fire)
	in := validCreate("sch_1")
	in.ScheduleExpression, in.ScheduleExpressionTimezone = aws.String("cron(0 14 * * ? *)"), aws.String("UTC")
	create(t, srv, in)

	srv.Tick(utc("2026-12-01T13:59:59Z"))
	srv.Wait()
	if got := rec.take(); len(got) != 0 {
		t.Fatalf("fired before it was due: %v", scheduledTimes(got))
	}
	srv.Tick(utc("2026-12-01T14:00:00Z"))
	srv.Wait()
	srv.Tick(utc("2026-12-01T14:00:30Z"))
	srv.Wait()
	got := rec.take()
	wantFires(t, scheduledTimes(got), "2026-12-01T14:00:00Z")
	inv := got[0]
	if inv.ScheduleArn != arnPrefix+"schedule/default/sch_1" || inv.Group != "default" || inv.Name != "sch_1" ||
		inv.TargetArn != functionARN || inv.Attempt != 1 || inv.ExecutionID == "" {
		t.Errorf("invocation = %+v", inv)
	}
	if inv.Input != `{"scheduledTime":"2026-12-01T14:00:00Z"}` {
		t.Errorf("Input = %s", inv.Input)
	}
}

func TestTickCoalescesMissedFiresIntoTheLatest(t *testing.T) {
	srv, _ := startAt(t, "2026-12-01T00:00:00Z")
	rec := &recorder{}
	srv.OnFire(rec.fire)
	in := validCreate("sch_hourly")
	in.ScheduleExpression, in.ScheduleExpressionTimezone = aws.String("cron(0 * * * ? *)"), aws.String("UTC")
	create(t, srv, in)

	srv.Tick(utc("2026-12-01T05:10:00Z")) // 01:00 … 05:00 are due
	srv.Wait()
	wantFires(t, scheduledTimes(rec.take()), "2026-12-01T05:00:00Z")
	srv.Tick(utc("2026-12-01T06:00:00Z"))
	srv.Wait()
	wantFires(t, scheduledTimes(rec.take()), "2026-12-01T06:00:00Z")
}

func TestScheduleStateAndUpdates(t *testing.T) {
	srv, clk := startAt(t, "2026-12-01T00:00:00Z")
	c := client(srv.URL())
	ctx := context.Background()
	rec := &recorder{}
	srv.OnFire(rec.fire)
	in := validCreate("sch_1")
	in.ScheduleExpression, in.ScheduleExpressionTimezone = aws.String("cron(0 14 * * ? *)"), aws.String("UTC")
	in.State = types.ScheduleStateDisabled
	create(t, srv, in)

	t.Run("ADisabledScheduleDoesNotFire", func(t *testing.T) {
		tickEvery(srv, "2026-12-01T13:00:00Z", "2026-12-03T15:00:00Z", time.Hour)
		if got := rec.take(); len(got) != 0 {
			t.Fatalf("a DISABLED schedule fired: %v", scheduledTimes(got))
		}
	})
	t.Run("EnablingFiresOnlyTimesAfterTheUpdate", func(t *testing.T) {
		clk.Set(utc("2026-12-03T15:00:00Z"))
		in.State = types.ScheduleStateEnabled
		if _, err := c.UpdateSchedule(ctx, updateOf(in)); err != nil {
			t.Fatal(err)
		}
		tickEvery(srv, "2026-12-03T15:00:00Z", "2026-12-05T15:00:00Z", time.Hour)
		wantFires(t, scheduledTimes(rec.take()), "2026-12-04T14:00:00Z", "2026-12-05T14:00:00Z")
	})
	t.Run("AScheduleCreatedAfterADueTimeDoesNotFireForIt", func(t *testing.T) {
		clk.Set(utc("2026-12-06T14:30:00Z"))
		late := validCreate("sch_late")
		late.ScheduleExpression, late.ScheduleExpressionTimezone = aws.String("cron(0 14 * * ? *)"), aws.String("UTC")
		create(t, srv, late)
		srv.Tick(utc("2026-12-06T15:00:00Z"))
		srv.Wait()
		for _, inv := range rec.take() {
			if inv.Name == "sch_late" {
				t.Errorf("sch_late fired for %s, before it was created", inv.ScheduledTime)
			}
		}
	})
	t.Run("ADeletedScheduleDoesNotFire", func(t *testing.T) {
		if _, err := c.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String("sch_1")}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String("sch_late")}); err != nil {
			t.Fatal(err)
		}
		tickEvery(srv, "2026-12-07T13:00:00Z", "2026-12-07T15:00:00Z", time.Hour)
		if got := rec.take(); len(got) != 0 {
			t.Errorf("deleted schedules fired: %v", scheduledTimes(got))
		}
	})
}

func TestStartAndEndDates(t *testing.T) {
	srv, _ := startAt(t, "2026-12-01T00:00:00Z")
	rec := &recorder{}
	srv.OnFire(rec.fire)
	in := validCreate("sch_window")
	in.ScheduleExpression, in.ScheduleExpressionTimezone = aws.String("cron(0 14 * * ? *)"), aws.String("UTC")
	in.StartDate, in.EndDate = aws.Time(utc("2026-12-03T00:00:00Z")), aws.Time(utc("2026-12-05T14:00:00Z"))
	create(t, srv, in)
	tickEvery(srv, "2026-12-01T00:00:00Z", "2026-12-08T00:00:00Z", time.Hour)
	wantFires(t, scheduledTimes(rec.take()), "2026-12-03T14:00:00Z", "2026-12-04T14:00:00Z")
}

func TestOneTimeSchedule(t *testing.T) {
	srv, _ := startAt(t, "2026-12-01T00:00:00Z")
	c := client(srv.URL())
	rec := &recorder{}
	srv.OnFire(rec.fire)
	keep := validCreate("once_keep")
	keep.ScheduleExpression, keep.ScheduleExpressionTimezone = aws.String("at(2026-12-02T09:00:00)"), aws.String("Europe/Paris")
	create(t, srv, keep)
	drop := validCreate("once_delete")
	drop.ScheduleExpression, drop.ScheduleExpressionTimezone = aws.String("at(2026-12-02T09:00:00)"), aws.String("Europe/Paris")
	drop.ActionAfterCompletion = types.ActionAfterCompletionDelete
	create(t, srv, drop)

	tickEvery(srv, "2026-12-02T00:00:00Z", "2026-12-04T00:00:00Z", time.Hour)
	got := rec.take()
	if len(got) != 2 || !got[0].ScheduledTime.Equal(utc("2026-12-02T08:00:00Z")) || !got[1].ScheduledTime.Equal(utc("2026-12-02T08:00:00Z")) {
		t.Fatalf("fires = %v %v, want each schedule once at 08:00Z", scheduledTimes(got), got)
	}
	if _, err := c.GetSchedule(context.Background(), &scheduler.GetScheduleInput{Name: aws.String("once_keep")}); err != nil {
		t.Errorf("ActionAfterCompletion NONE: %v", err)
	}
	_, err := c.GetSchedule(context.Background(), &scheduler.GetScheduleInput{Name: aws.String("once_delete")})
	wantCode(t, err, localscheduler.ErrResourceNotFound)
}

func TestFireNow(t *testing.T) {
	srv, _ := startAt(t, "2026-12-01T00:00:00Z")
	rec := &recorder{}
	srv.OnFire(rec.fire)
	in := validCreate("sch_1")
	in.ScheduleExpression, in.ScheduleExpressionTimezone = aws.String("cron(0 14 * * ? *)"), aws.String("UTC")
	in.State = types.ScheduleStateDisabled
	in.Target.Input = aws.String(`{"at":"<aws.scheduler.scheduled-time>","arn":"<aws.scheduler.schedule-arn>","attempt":"<aws.scheduler.attempt-number>","id":"<aws.scheduler.execution-id>"}`)
	create(t, srv, in)

	if err := srv.FireNow("default", "sch_1", utc("2026-12-01T09:15:00Z")); err != nil {
		t.Fatal(err)
	}
	srv.Wait()
	got := rec.take()
	if len(got) != 1 {
		t.Fatalf("fires = %d, want 1 (FireNow fires whatever the state)", len(got))
	}
	var input map[string]string
	if err := json.Unmarshal([]byte(got[0].Input), &input); err != nil {
		t.Fatalf("Input %q: %v", got[0].Input, err)
	}
	want := map[string]string{"at": "2026-12-01T09:15:00Z", "arn": arnPrefix + "schedule/default/sch_1", "attempt": "1", "id": got[0].ExecutionID}
	for k, v := range want {
		if input[k] != v {
			t.Errorf("Input %s = %q, want %q", k, input[k], v)
		}
	}
	if err := srv.FireNow("", "sch_1", utc("2026-12-01T09:16:00Z")); err != nil {
		t.Errorf("\"\" is the default group: %v", err)
	}
	srv.Wait()
	rec.take()
	if err := srv.FireNow("default", "sch_missing", utc("2026-12-01T09:15:00Z")); !errors.Is(err, localscheduler.ErrNotFound) {
		t.Errorf("FireNow of a missing schedule: %v, want ErrNotFound", err)
	}
}

func TestRetriesThenDeadLetter(t *testing.T) {
	failing := errors.New("dispatch is down")

	t.Run("EachAttemptIsCountedAndTheLastGoesToTheDeadLetterQueue", func(t *testing.T) {
		srv, _ := startAt(t, "2026-12-01T00:00:00Z")
		rec := &recorder{fail: func(localscheduler.Invocation) error { return failing }}
		srv.OnFire(rec.fire)
		in := validCreate("sch_1")
		in.Target.Input = aws.String(`{"attempt":"<aws.scheduler.attempt-number>","id":"<aws.scheduler.execution-id>"}`)
		in.Target.RetryPolicy = &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(2), MaximumEventAgeInSeconds: aws.Int32(3600)}
		in.Target.DeadLetterConfig = &types.DeadLetterConfig{Arn: aws.String(queueARN)}
		create(t, srv, in)
		if err := srv.FireNow("default", "sch_1", utc("2026-12-01T14:00:00Z")); err != nil {
			t.Fatal(err)
		}
		srv.Wait()
		got := rec.take()
		if len(got) != 3 {
			t.Fatalf("attempts = %d, want 3 (the first and MaximumRetryAttempts 2)", len(got))
		}
		for i, inv := range got {
			if inv.Attempt != i+1 || inv.ExecutionID != got[0].ExecutionID || !inv.ScheduledTime.Equal(utc("2026-12-01T14:00:00Z")) {
				t.Errorf("attempt %d = %+v", i+1, inv)
			}
			if want := `{"attempt":"` + string(rune('1'+i)) + `","id":"` + got[0].ExecutionID + `"}`; inv.Input != want {
				t.Errorf("attempt %d Input = %s, want %s", i+1, inv.Input, want)
			}
		}
		dl := srv.DeadLetters()
		if len(dl) != 1 {
			t.Fatalf("dead letters = %d, want 1", len(dl))
		}
		if dl[0].DeadLetterArn != queueARN || dl[0].Invocation.Attempt != 3 || !errors.Is(dl[0].Err, failing) {
			t.Errorf("dead letter = %+v", dl[0])
		}
	})
	t.Run("ASuccessfulRetryIsNotDeadLettered", func(t *testing.T) {
		srv, _ := startAt(t, "2026-12-01T00:00:00Z")
		rec := &recorder{fail: func(inv localscheduler.Invocation) error {
			if inv.Attempt == 1 {
				return failing
			}
			return nil
		}}
		srv.OnFire(rec.fire)
		create(t, srv, validCreate("sch_1"))
		if err := srv.FireNow("default", "sch_1", utc("2026-12-01T14:00:00Z")); err != nil {
			t.Fatal(err)
		}
		srv.Wait()
		if got := rec.take(); len(got) != 2 {
			t.Errorf("attempts = %d, want 2", len(got))
		}
		if dl := srv.DeadLetters(); len(dl) != 0 {
			t.Errorf("dead letters = %+v", dl)
		}
	})
	t.Run("ZeroRetriesAndNoQueueDropsAfterOneAttempt", func(t *testing.T) {
		srv, _ := startAt(t, "2026-12-01T00:00:00Z")
		rec := &recorder{fail: func(localscheduler.Invocation) error { return failing }}
		srv.OnFire(rec.fire)
		in := validCreate("sch_1")
		in.Target.RetryPolicy = &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(0)}
		create(t, srv, in)
		if err := srv.FireNow("default", "sch_1", utc("2026-12-01T14:00:00Z")); err != nil {
			t.Fatal(err)
		}
		srv.Wait()
		if got := rec.take(); len(got) != 1 {
			t.Errorf("attempts = %d, want 1", len(got))
		}
		if dl := srv.DeadLetters(); len(dl) != 1 || dl[0].DeadLetterArn != "" {
			t.Errorf("dead letters = %+v, want one without a queue (dropped)", dl)
		}
	})
	t.Run("AFireOlderThanMaximumEventAgeIsNotDelivered", func(t *testing.T) {
		srv, _ := startAt(t, "2026-12-01T00:00:00Z")
		rec := &recorder{}
		srv.OnFire(rec.fire)
		in := validCreate("sch_1")
		in.ScheduleExpression = aws.String("at(2026-12-01T14:00:00)")
		in.ScheduleExpressionTimezone = aws.String("UTC")
		in.Target.RetryPolicy = &types.RetryPolicy{MaximumEventAgeInSeconds: aws.Int32(3600)}
		create(t, srv, in)
		srv.Tick(utc("2026-12-01T16:00:00Z")) // two hours late
		srv.Wait()
		if got := rec.take(); len(got) != 0 {
			t.Errorf("delivered %d attempts of a fire two hours old", len(got))
		}
		if dl := srv.DeadLetters(); len(dl) != 1 || !errors.Is(dl[0].Err, localscheduler.ErrEventTooOld) || dl[0].Invocation.Attempt != 0 {
			t.Errorf("dead letters = %+v, want one too old with no attempt", dl)
		}
	})
}

func TestRunTicksOnTheConfiguredClock(t *testing.T) {
	srv, clk := startAt(t, "2026-12-01T13:00:00Z")
	fired := make(chan localscheduler.Invocation, 1)
	srv.OnFire(func(_ context.Context, inv localscheduler.Invocation) error { fired <- inv; return nil })
	in := validCreate("sch_1")
	in.ScheduleExpression, in.ScheduleExpressionTimezone = aws.String("cron(0 14 * * ? *)"), aws.String("UTC")
	create(t, srv, in)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Run(ctx, time.Millisecond); close(done) }()
	clk.Set(utc("2026-12-01T14:00:05Z"))
	select {
	case inv := <-fired:
		if !inv.ScheduledTime.Equal(utc("2026-12-01T14:00:00Z")) {
			t.Errorf("ScheduledTime = %v", inv.ScheduledTime)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not fire the due schedule")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return when its context ended")
	}
}

func TestCloseAbandonsRetries(t *testing.T) {
	srv, err := localscheduler.Start(localscheduler.Config{RetryDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	attempts := make(chan int, 10)
	srv.OnFire(func(_ context.Context, inv localscheduler.Invocation) error {
		attempts <- inv.Attempt
		return errors.New("down")
	})
	create(t, srv, validCreate("sch_1"))
	if err := srv.FireNow("default", "sch_1", time.Now()); err != nil {
		t.Fatal(err)
	}
	<-attempts
	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Close waited for an hour-long retry delay")
	}
	srv.Wait()
	if n := len(attempts); n != 0 {
		t.Errorf("%d more attempts after Close", n)
	}
}

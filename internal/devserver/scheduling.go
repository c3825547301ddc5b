package devserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsscheduler "github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/localeventbridge"
	"github.com/partnerportal/portal/internal/localscheduler"
)

// Local names of what the deployed app gets from its template.
const (
	localScheduleGroup = "partner-portal-scans"
	localSchedulerRole = "arn:aws:iam::000000000000:role/partner-portal-scheduler"
	localDispatchDLQ   = "arn:aws:sqs:us-east-1:000000000000:partner-portal-dispatch-failures"
)

// scheduling is the local stack's EventBridge Scheduler: a wire-level
// Scheduler that really fires schedules (checked every few seconds) into
// the schedule target (scan-dispatch), whose rules on the local bus also
// hand it the events they match. Scheduler's schedules are kept in a file
// across restarts, as they would be in AWS.
type scheduling struct {
	server *localscheduler.Server
	client *awsscheduler.Client
	fire   func(ctx context.Context, in, out any) error // invokes the schedule target
	file   string
	every  time.Duration // how often the Scheduler looks for due schedules
	cancel context.CancelFunc
	log    io.Writer
}

// FastClockSpeed is how much faster than real time the local Scheduler's
// clock runs with Config.FastClock: a week a minute, so a daily schedule
// fires within seconds and a weekly one within a minute.
const FastClockSpeed = 7 * 24 * 60

// startScheduling starts the local Scheduler with the app's schedule
// group and the schedules saved in file ("" for none); with fast, its
// clock runs FastClockSpeed times faster than real time.
func startScheduling(file string, fast bool, log io.Writer) (*scheduling, error) {
	cfg := localscheduler.Config{}
	s := &scheduling{file: file, log: log, cancel: func() {}, every: 5 * time.Second}
	if fast {
		start := time.Now()
		cfg.Now = func() time.Time { return start.Add(time.Since(start) * FastClockSpeed) }
		s.every = 100 * time.Millisecond
	}
	srv, err := localscheduler.Start(cfg)
	if err != nil {
		return nil, err
	}
	s.server = srv
	s.client = srv.Client()
	ctx := context.Background()
	if _, err := s.client.CreateScheduleGroup(ctx, &awsscheduler.CreateScheduleGroupInput{Name: aws.String(localScheduleGroup)}); err != nil {
		srv.Close()
		return nil, fmt.Errorf("local schedule group: %w", err)
	}
	if err := s.restore(ctx); err != nil {
		srv.Close()
		return nil, err
	}
	return s, nil
}

// deliverTo hands fires, and the events matching the declared rules of
// the schedule target, to that function, and starts firing.
func (s *scheduling) deliverTo(a app.App, bus *localeventbridge.Server, fs *functions) error {
	target, ok := a.ScheduleTargetFunction()
	if !ok {
		return nil
	}
	s.fire = func(ctx context.Context, in, out any) error { return fs.invoke(ctx, target.Name, in, out) }
	s.server.OnFire(func(ctx context.Context, inv localscheduler.Invocation) error {
		return s.fire(ctx, json.RawMessage(inv.Input), nil)
	})
	for _, r := range target.Rules {
		err := bus.PutRule(target.Name+"-"+r.Name, r.Pattern(), func(ctx context.Context, event []byte) error {
			return s.fire(ctx, json.RawMessage(event), nil)
		})
		if err != nil {
			return fmt.Errorf("rule %s of %s: %w", r.Name, target.Name, err)
		}
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go s.server.Run(runCtx, s.every)
	return nil
}

// ServeHTTP serves the local helpers of schedule triggers:
//
//   - GET /_local/schedules/{scheduleId}: the schedule's trigger as the
//     Scheduler holds it (state, expression, time zone), to see that
//     suspending a customer disabled it;
//   - POST /_local/schedules/{scheduleId}/fire: the schedule's next fire,
//     now (as if its time had come), so that a walk-through need not wait
//     for Monday 09:00. It answers what dispatch did. (With
//     Config.FastClock schedules also fire by themselves within a minute.)
func (s *scheduling) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/_local/schedules/")
	id, fire := strings.CutSuffix(rest, "/fire")
	if id == "" || strings.Contains(id, "/") || (fire && r.Method != http.MethodPost) || (!fire && r.Method != http.MethodGet) {
		writeLocal(w, http.StatusNotFound, map[string]string{"error": "no such local endpoint: GET /_local/schedules/{scheduleId} or POST /_local/schedules/{scheduleId}/fire"})
		return
	}
	got, err := s.client.GetSchedule(r.Context(), &awsscheduler.GetScheduleInput{Name: aws.String(id), GroupName: aws.String(localScheduleGroup)})
	if err != nil {
		writeLocal(w, http.StatusNotFound, map[string]string{"error": "no trigger for schedule " + id})
		return
	}
	if !fire {
		writeLocal(w, http.StatusOK, map[string]string{"state": string(got.State), "expression": aws.ToString(got.ScheduleExpression),
			"timezone": aws.ToString(got.ScheduleExpressionTimezone)})
		return
	}
	next, err := localscheduler.NextFire(aws.ToString(got.ScheduleExpression), aws.ToString(got.ScheduleExpressionTimezone), time.Now())
	if err != nil {
		writeLocal(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	input := strings.ReplaceAll(aws.ToString(got.Target.Input), localscheduler.ScheduledTimeAttribute, next.UTC().Format(time.RFC3339))
	var out json.RawMessage
	if err := s.fire(r.Context(), json.RawMessage(input), &out); err != nil {
		writeLocal(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	writeLocal(w, http.StatusOK, map[string]any{"scheduledTime": next.UTC(), "dispatched": out})
}

// savedSchedule is one Scheduler schedule as kept across restarts.
type savedSchedule = awsscheduler.CreateScheduleInput

// save writes every schedule of the group to the file (if any).
func (s *scheduling) save(ctx context.Context) error {
	if s.file == "" {
		return nil
	}
	var saved []savedSchedule
	pages := awsscheduler.NewListSchedulesPaginator(s.client, &awsscheduler.ListSchedulesInput{GroupName: aws.String(localScheduleGroup)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list local schedules: %w", err)
		}
		for _, sum := range page.Schedules {
			got, err := s.client.GetSchedule(ctx, &awsscheduler.GetScheduleInput{Name: sum.Name, GroupName: aws.String(localScheduleGroup)})
			if err != nil {
				return fmt.Errorf("read local schedule %s: %w", aws.ToString(sum.Name), err)
			}
			saved = append(saved, savedSchedule{
				Name: got.Name, GroupName: got.GroupName, ScheduleExpression: got.ScheduleExpression,
				ScheduleExpressionTimezone: got.ScheduleExpressionTimezone, FlexibleTimeWindow: got.FlexibleTimeWindow,
				Target: got.Target, State: got.State, Description: got.Description, ActionAfterCompletion: got.ActionAfterCompletion,
			})
		}
	}
	return writeJSON(s.file, saved)
}

// restore re-creates the schedules saved by save.
func (s *scheduling) restore(ctx context.Context) error {
	var saved []savedSchedule
	if s.file == "" {
		return nil
	}
	b, err := os.ReadFile(s.file)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil || json.Unmarshal(b, &saved) != nil {
		return fmt.Errorf("read %s: the saved local schedules are unreadable (delete the file to start without them): %v", s.file, err)
	}
	for i := range saved {
		if _, err := s.client.CreateSchedule(ctx, &saved[i]); err != nil {
			var conflict *types.ConflictException
			if !errors.As(err, &conflict) {
				return fmt.Errorf("restore local schedule %s: %w", aws.ToString(saved[i].Name), err)
			}
		}
	}
	return nil
}

func (s *scheduling) close() {
	if err := s.save(context.Background()); err != nil {
		fmt.Fprintf(s.log, "save local schedules: %v\n", err)
	}
	s.cancel()
	s.server.Close()
}

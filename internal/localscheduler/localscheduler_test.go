package localscheduler_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/aws/smithy-go"

	"github.com/partnerportal/portal/internal/localscheduler"
)

const (
	functionARN = "arn:aws:lambda:us-east-1:000000000000:function:partner-portal-ScanDispatchFunction"
	roleARN     = "arn:aws:iam::000000000000:role/partner-portal-SchedulerRole"
	queueARN    = "arn:aws:sqs:us-east-1:000000000000:partner-portal-ScheduleDLQ"
	arnPrefix   = "arn:aws:scheduler:us-east-1:000000000000:"
)

// clock is a settable Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

func start(t *testing.T, cfg localscheduler.Config) *localscheduler.Server {
	t.Helper()
	srv, err := localscheduler.Start(cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return srv
}

// startAt starts an endpoint whose clock reads `at` until set otherwise.
func startAt(t *testing.T, at string) (*localscheduler.Server, *clock) {
	c := &clock{t: utc(at)}
	return start(t, localscheduler.Config{Now: c.Now, RetryDelay: time.Millisecond}), c
}

// client is the real SDK client pointed at url, as tests and the local stack
// use it, without retries so that every answer is seen as it is.
func client(url string) *scheduler.Client {
	return scheduler.New(scheduler.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		Retryer:      aws.NopRetryer{},
	})
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := apiCode(err); got != code {
		t.Fatalf("error code = %q, want %q (err %v)", got, code, err)
	}
}

// validCreate is a CreateSchedule request every test starts from.
func validCreate(name string) *scheduler.CreateScheduleInput {
	return &scheduler.CreateScheduleInput{
		Name:                       aws.String(name),
		ScheduleExpression:         aws.String("cron(0 14 * * ? *)"),
		ScheduleExpressionTimezone: aws.String("Europe/Paris"),
		FlexibleTimeWindow:         &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff},
		Target: &types.Target{
			Arn:     aws.String(functionARN),
			RoleArn: aws.String(roleARN),
			Input:   aws.String(`{"scheduledTime":"<aws.scheduler.scheduled-time>"}`),
		},
	}
}

func updateOf(c *scheduler.CreateScheduleInput) *scheduler.UpdateScheduleInput {
	return &scheduler.UpdateScheduleInput{
		Name: c.Name, GroupName: c.GroupName, ClientToken: c.ClientToken, ScheduleExpression: c.ScheduleExpression,
		ScheduleExpressionTimezone: c.ScheduleExpressionTimezone, FlexibleTimeWindow: c.FlexibleTimeWindow,
		Target: c.Target, State: c.State, Description: c.Description, ActionAfterCompletion: c.ActionAfterCompletion,
		StartDate: c.StartDate, EndDate: c.EndDate,
	}
}

func TestScheduleGroups(t *testing.T) {
	srv, clk := startAt(t, "2026-05-01T10:00:00Z")
	c := client(srv.URL())
	ctx := context.Background()

	t.Run("DefaultAlwaysExists", func(t *testing.T) {
		out, err := c.GetScheduleGroup(ctx, &scheduler.GetScheduleGroupInput{Name: aws.String("default")})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(out.Arn); got != arnPrefix+"schedule-group/default" || out.State != types.ScheduleGroupStateActive {
			t.Errorf("default group = %s %s", got, out.State)
		}
	})
	t.Run("CreateGetConflict", func(t *testing.T) {
		clk.Set(utc("2026-05-01T11:00:00Z"))
		out, err := c.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String("partner-portal-scans")})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := aws.ToString(out.ScheduleGroupArn), arnPrefix+"schedule-group/partner-portal-scans"; got != want {
			t.Errorf("ScheduleGroupArn = %s, want %s", got, want)
		}
		g, err := c.GetScheduleGroup(ctx, &scheduler.GetScheduleGroupInput{Name: aws.String("partner-portal-scans")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(g.Name) != "partner-portal-scans" || !aws.ToTime(g.CreationDate).Equal(utc("2026-05-01T11:00:00Z")) || g.LastModificationDate == nil {
			t.Errorf("group = %+v", g)
		}
		_, err = c.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String("partner-portal-scans")})
		wantCode(t, err, localscheduler.ErrConflict)
	})
	t.Run("DefaultCannotBeDeleted", func(t *testing.T) {
		_, err := c.DeleteScheduleGroup(ctx, &scheduler.DeleteScheduleGroupInput{Name: aws.String("default")})
		wantCode(t, err, localscheduler.ErrValidation)
	})
	t.Run("DeletingAGroupDeletesItsSchedules", func(t *testing.T) {
		if _, err := c.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String("doomed")}); err != nil {
			t.Fatal(err)
		}
		in := validCreate("sch_1")
		in.GroupName = aws.String("doomed")
		if _, err := c.CreateSchedule(ctx, in); err != nil {
			t.Fatal(err)
		}
		if _, err := c.DeleteScheduleGroup(ctx, &scheduler.DeleteScheduleGroupInput{Name: aws.String("doomed")}); err != nil {
			t.Fatal(err)
		}
		_, err := c.GetScheduleGroup(ctx, &scheduler.GetScheduleGroupInput{Name: aws.String("doomed")})
		wantCode(t, err, localscheduler.ErrResourceNotFound)
		if _, err := c.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String("doomed")}); err != nil {
			t.Fatal(err)
		}
		_, err = c.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("sch_1"), GroupName: aws.String("doomed")})
		wantCode(t, err, localscheduler.ErrResourceNotFound)
	})
	t.Run("MissingGroup", func(t *testing.T) {
		_, err := c.DeleteScheduleGroup(ctx, &scheduler.DeleteScheduleGroupInput{Name: aws.String("nope")})
		wantCode(t, err, localscheduler.ErrResourceNotFound)
		_, err = c.GetScheduleGroup(ctx, &scheduler.GetScheduleGroupInput{Name: aws.String("nope")})
		wantCode(t, err, localscheduler.ErrResourceNotFound)
	})
	t.Run("InvalidGroupName", func(t *testing.T) {
		_, err := c.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String("scans:prod")})
		wantCode(t, err, localscheduler.ErrValidation)
	})
}

func TestScheduleRoundTrip(t *testing.T) {
	srv, clk := startAt(t, "2026-05-01T10:00:00Z")
	c := client(srv.URL())
	ctx := context.Background()
	if _, err := c.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String("scans")}); err != nil {
		t.Fatal(err)
	}
	in := validCreate("sch_01JD0000000000000000000001")
	in.GroupName = aws.String("scans")
	in.Description = aws.String("Partner Portal scan schedule sch_01JD0000000000000000000001")
	in.State = types.ScheduleStateDisabled
	in.FlexibleTimeWindow = &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeFlexible, MaximumWindowInMinutes: aws.Int32(15)}
	in.Target.RetryPolicy = &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(3), MaximumEventAgeInSeconds: aws.Int32(3600)}
	in.Target.DeadLetterConfig = &types.DeadLetterConfig{Arn: aws.String(queueARN)}
	in.ActionAfterCompletion = types.ActionAfterCompletionNone
	wantARN := arnPrefix + "schedule/scans/sch_01JD0000000000000000000001"

	t.Run("CreateAnswersTheARN", func(t *testing.T) {
		out, err := c.CreateSchedule(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(out.ScheduleArn); got != wantARN {
			t.Errorf("ScheduleArn = %s, want %s", got, wantARN)
		}
	})
	t.Run("GetAnswersTheDefinition", func(t *testing.T) {
		g, err := c.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: in.Name, GroupName: aws.String("scans")})
		if err != nil {
			t.Fatal(err)
		}
		checks := []struct {
			field, got, want string
		}{
			{"Arn", aws.ToString(g.Arn), wantARN},
			{"Name", aws.ToString(g.Name), "sch_01JD0000000000000000000001"},
			{"GroupName", aws.ToString(g.GroupName), "scans"},
			{"ScheduleExpression", aws.ToString(g.ScheduleExpression), "cron(0 14 * * ? *)"},
			{"ScheduleExpressionTimezone", aws.ToString(g.ScheduleExpressionTimezone), "Europe/Paris"},
			{"State", string(g.State), "DISABLED"},
			{"ActionAfterCompletion", string(g.ActionAfterCompletion), "NONE"},
			{"Description", aws.ToString(g.Description), aws.ToString(in.Description)},
			{"FlexibleTimeWindow.Mode", string(g.FlexibleTimeWindow.Mode), "FLEXIBLE"},
			{"FlexibleTimeWindow.MaximumWindowInMinutes", fmtInt(g.FlexibleTimeWindow.MaximumWindowInMinutes), "15"},
			{"Target.Arn", aws.ToString(g.Target.Arn), functionARN},
			{"Target.RoleArn", aws.ToString(g.Target.RoleArn), roleARN},
			{"Target.Input", aws.ToString(g.Target.Input), `{"scheduledTime":"<aws.scheduler.scheduled-time>"}`},
			{"Target.RetryPolicy.MaximumRetryAttempts", fmtInt(g.Target.RetryPolicy.MaximumRetryAttempts), "3"},
			{"Target.RetryPolicy.MaximumEventAgeInSeconds", fmtInt(g.Target.RetryPolicy.MaximumEventAgeInSeconds), "3600"},
			{"Target.DeadLetterConfig.Arn", aws.ToString(g.Target.DeadLetterConfig.Arn), queueARN},
			{"CreationDate", aws.ToTime(g.CreationDate).Format(time.RFC3339), "2026-05-01T10:00:00Z"},
			{"LastModificationDate", aws.ToTime(g.LastModificationDate).Format(time.RFC3339), "2026-05-01T10:00:00Z"},
		}
		for _, ch := range checks {
			if ch.got != ch.want {
				t.Errorf("%s = %q, want %q", ch.field, ch.got, ch.want)
			}
		}
	})
	t.Run("UpdateReplacesEverythingAndOmittedFieldsTakeTheirDefaults", func(t *testing.T) {
		clk.Set(utc("2026-05-02T08:00:00Z"))
		out, err := c.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{
			Name: in.Name, GroupName: aws.String("scans"),
			ScheduleExpression: aws.String("cron(30 6 ? * MON *)"),
			FlexibleTimeWindow: &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff},
			Target:             &types.Target{Arn: aws.String(functionARN), RoleArn: aws.String(roleARN)},
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(out.ScheduleArn); got != wantARN {
			t.Errorf("ScheduleArn = %s", got)
		}
		g, err := c.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: in.Name, GroupName: aws.String("scans")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(g.ScheduleExpression) != "cron(30 6 ? * MON *)" || aws.ToString(g.ScheduleExpressionTimezone) != "UTC" ||
			g.State != types.ScheduleStateEnabled || g.Description != nil || g.FlexibleTimeWindow.MaximumWindowInMinutes != nil ||
			g.Target.Input != nil || g.Target.DeadLetterConfig != nil {
			t.Errorf("after update: %+v, target %+v", g, g.Target)
		}
		if a, e := aws.ToInt32(g.Target.RetryPolicy.MaximumRetryAttempts), aws.ToInt32(g.Target.RetryPolicy.MaximumEventAgeInSeconds); a != 185 || e != 86400 {
			t.Errorf("RetryPolicy = %d attempts, %d s; want AWS's defaults 185 and 86400", a, e)
		}
		if !aws.ToTime(g.CreationDate).Equal(utc("2026-05-01T10:00:00Z")) || !aws.ToTime(g.LastModificationDate).Equal(utc("2026-05-02T08:00:00Z")) {
			t.Errorf("dates = %v, %v", g.CreationDate, g.LastModificationDate)
		}
	})
	t.Run("DeleteThenMissing", func(t *testing.T) {
		if _, err := c.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: in.Name, GroupName: aws.String("scans")}); err != nil {
			t.Fatal(err)
		}
		_, err := c.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: in.Name, GroupName: aws.String("scans")})
		wantCode(t, err, localscheduler.ErrResourceNotFound)
		_, err = c.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: in.Name, GroupName: aws.String("scans")})
		wantCode(t, err, localscheduler.ErrResourceNotFound)
		_, err = c.UpdateSchedule(ctx, updateOf(in))
		wantCode(t, err, localscheduler.ErrResourceNotFound)
	})
	t.Run("OmittedGroupIsDefault", func(t *testing.T) {
		out, err := c.CreateSchedule(ctx, validCreate("plain"))
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(out.ScheduleArn); got != arnPrefix+"schedule/default/plain" {
			t.Errorf("ScheduleArn = %s", got)
		}
		if _, err := c.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("plain")}); err != nil {
			t.Error(err)
		}
		_, err = c.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("plain"), GroupName: aws.String("scans")})
		wantCode(t, err, localscheduler.ErrResourceNotFound)
	})
}

func fmtInt(p *int32) string {
	if p == nil {
		return "<nil>"
	}
	return strconv.Itoa(int(*p))
}

func TestCreateConflictAndIdempotentReplay(t *testing.T) {
	srv, clk := startAt(t, "2026-05-01T10:00:00Z")
	c := client(srv.URL())
	ctx := context.Background()
	in := validCreate("sch_1")
	in.ClientToken = aws.String("token-1")
	first, err := c.CreateSchedule(ctx, in)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("SameTokenSameDefinitionIsAReplay", func(t *testing.T) {
		again, err := c.CreateSchedule(ctx, in)
		if err != nil {
			t.Fatalf("replay: %v", err)
		}
		if aws.ToString(again.ScheduleArn) != aws.ToString(first.ScheduleArn) {
			t.Errorf("replay ARN = %s, want %s", aws.ToString(again.ScheduleArn), aws.ToString(first.ScheduleArn))
		}
	})
	t.Run("AnotherTokenIsAConflict", func(t *testing.T) {
		other := validCreate("sch_1")
		other.ClientToken = aws.String("token-2")
		_, err := c.CreateSchedule(ctx, other)
		wantCode(t, err, localscheduler.ErrConflict)
	})
	t.Run("NoTokenIsAConflict", func(t *testing.T) {
		// The SDK fills a random token when there is none.
		_, err := c.CreateSchedule(ctx, validCreate("sch_1"))
		wantCode(t, err, localscheduler.ErrConflict)
	})
	t.Run("SameTokenAnotherDefinitionIsAConflict", func(t *testing.T) {
		other := validCreate("sch_1")
		other.ClientToken = aws.String("token-1")
		other.ScheduleExpression = aws.String("cron(0 15 * * ? *)")
		_, err := c.CreateSchedule(ctx, other)
		wantCode(t, err, localscheduler.ErrConflict)
	})
	t.Run("NoReplayOnceUpdated", func(t *testing.T) {
		clk.Set(utc("2026-05-01T11:00:00Z"))
		if _, err := c.UpdateSchedule(ctx, updateOf(in)); err != nil {
			t.Fatal(err)
		}
		_, err := c.CreateSchedule(ctx, in)
		wantCode(t, err, localscheduler.ErrConflict)
	})
	t.Run("SameNameInAnotherGroupIsAnotherSchedule", func(t *testing.T) {
		if _, err := c.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String("other")}); err != nil {
			t.Fatal(err)
		}
		o := validCreate("sch_1")
		o.GroupName = aws.String("other")
		if _, err := c.CreateSchedule(ctx, o); err != nil {
			t.Fatal(err)
		}
	})
}

func TestScheduleGroupMustExist(t *testing.T) {
	srv, _ := startAt(t, "2026-05-01T10:00:00Z")
	c := client(srv.URL())
	ctx := context.Background()
	in := validCreate("sch_1")
	in.GroupName = aws.String("missing")
	_, err := c.CreateSchedule(ctx, in)
	wantCode(t, err, localscheduler.ErrResourceNotFound)
	_, err = c.UpdateSchedule(ctx, updateOf(in))
	wantCode(t, err, localscheduler.ErrResourceNotFound)
	_, err = c.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: in.Name, GroupName: in.GroupName})
	wantCode(t, err, localscheduler.ErrResourceNotFound)
	_, err = c.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: in.Name, GroupName: in.GroupName})
	wantCode(t, err, localscheduler.ErrResourceNotFound)
}

func TestValidationByField(t *testing.T) {
	srv, _ := startAt(t, "2026-05-01T10:00:00Z")
	c := client(srv.URL())
	ctx := context.Background()
	cases := []struct {
		name, field string // field: text the message must contain
		mutate      func(*scheduler.CreateScheduleInput)
	}{
		{"NameTooLong", "'name'", func(in *scheduler.CreateScheduleInput) { in.Name = aws.String(strings.Repeat("a", 65)) }},
		{"NameWithAColon", "'name'", func(in *scheduler.CreateScheduleInput) { in.Name = aws.String("sch:1") }},
		{"NameWithASpace", "'name'", func(in *scheduler.CreateScheduleInput) { in.Name = aws.String("sch 1") }},
		{"GroupNameWithASlash", "'groupName'", func(in *scheduler.CreateScheduleInput) { in.GroupName = aws.String("a/b") }},
		{"ClientTokenWithADot", "'clientToken'", func(in *scheduler.CreateScheduleInput) { in.ClientToken = aws.String("a.b") }},
		{"ClientTokenTooLong", "'clientToken'", func(in *scheduler.CreateScheduleInput) { in.ClientToken = aws.String(strings.Repeat("t", 65)) }},
		{"DescriptionTooLong", "'description'", func(in *scheduler.CreateScheduleInput) { in.Description = aws.String(strings.Repeat("d", 513)) }},
		{"ExpressionEmpty", "'scheduleExpression'", func(in *scheduler.CreateScheduleInput) { in.ScheduleExpression = aws.String("") }},
		{"ExpressionFiveFields", "Invalid Schedule Expression", func(in *scheduler.CreateScheduleInput) { in.ScheduleExpression = aws.String("cron(0 14 * * ?)") }},
		{"ExpressionBothDays", "Invalid Schedule Expression", func(in *scheduler.CreateScheduleInput) { in.ScheduleExpression = aws.String("cron(0 14 1 * MON *)") }},
		{"ExpressionNthWeekday", "not supported by the local Scheduler", func(in *scheduler.CreateScheduleInput) { in.ScheduleExpression = aws.String("cron(0 14 ? * MON#1 *)") }},
		{"ExpressionRate", "not supported by the local Scheduler", func(in *scheduler.CreateScheduleInput) { in.ScheduleExpression = aws.String("rate(5 minutes)") }},
		{"TimezoneUnknown", "ScheduleExpressionTimezone", func(in *scheduler.CreateScheduleInput) { in.ScheduleExpressionTimezone = aws.String("Europe/Atlantis") }},
		{"TimezoneLocal", "ScheduleExpressionTimezone", func(in *scheduler.CreateScheduleInput) { in.ScheduleExpressionTimezone = aws.String("Local") }},
		{"FlexibleModeUnknown", "'flexibleTimeWindow.mode'", func(in *scheduler.CreateScheduleInput) { in.FlexibleTimeWindow.Mode = "SOMETIMES" }},
		{"FlexibleWithoutWindow", "MaximumWindowInMinutes", func(in *scheduler.CreateScheduleInput) {
			in.FlexibleTimeWindow.Mode = types.FlexibleTimeWindowModeFlexible
		}},
		{"FlexibleWindowZero", "'flexibleTimeWindow.maximumWindowInMinutes'", func(in *scheduler.CreateScheduleInput) {
			in.FlexibleTimeWindow = &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeFlexible, MaximumWindowInMinutes: aws.Int32(0)}
		}},
		{"FlexibleWindowOverADay", "'flexibleTimeWindow.maximumWindowInMinutes'", func(in *scheduler.CreateScheduleInput) {
			in.FlexibleTimeWindow = &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeFlexible, MaximumWindowInMinutes: aws.Int32(1441)}
		}},
		{"TargetArnEmpty", "'target.arn'", func(in *scheduler.CreateScheduleInput) { in.Target.Arn = aws.String("") }},
		{"RoleArnNotARole", "'target.roleArn'", func(in *scheduler.CreateScheduleInput) { in.Target.RoleArn = aws.String(functionARN) }},
		{"InputEmpty", "'target.input'", func(in *scheduler.CreateScheduleInput) { in.Target.Input = aws.String("") }},
		{"InputTooLong", "'target.input'", func(in *scheduler.CreateScheduleInput) {
			in.Target.Input = aws.String(`"` + strings.Repeat("x", localscheduler.MaxInputLength-1) + `"`)
		}},
		{"RetryAttemptsOver185", "'target.retryPolicy.maximumRetryAttempts'", func(in *scheduler.CreateScheduleInput) {
			in.Target.RetryPolicy = &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(186)}
		}},
		{"RetryAttemptsNegative", "'target.retryPolicy.maximumRetryAttempts'", func(in *scheduler.CreateScheduleInput) {
			in.Target.RetryPolicy = &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(-1)}
		}},
		{"EventAgeUnderAMinute", "'target.retryPolicy.maximumEventAgeInSeconds'", func(in *scheduler.CreateScheduleInput) {
			in.Target.RetryPolicy = &types.RetryPolicy{MaximumEventAgeInSeconds: aws.Int32(59)}
		}},
		{"EventAgeOverADay", "'target.retryPolicy.maximumEventAgeInSeconds'", func(in *scheduler.CreateScheduleInput) {
			in.Target.RetryPolicy = &types.RetryPolicy{MaximumEventAgeInSeconds: aws.Int32(86401)}
		}},
		{"DeadLetterNotAQueue", "'target.deadLetterConfig.arn'", func(in *scheduler.CreateScheduleInput) {
			in.Target.DeadLetterConfig = &types.DeadLetterConfig{Arn: aws.String(functionARN)}
		}},
		{"StateUnknown", "'state'", func(in *scheduler.CreateScheduleInput) { in.State = "PAUSED" }},
		{"ActionAfterCompletionUnknown", "'actionAfterCompletion'", func(in *scheduler.CreateScheduleInput) { in.ActionAfterCompletion = "ARCHIVE" }},
		{"EndBeforeStart", "EndDate", func(in *scheduler.CreateScheduleInput) {
			in.StartDate, in.EndDate = aws.Time(utc("2026-06-01T00:00:00Z")), aws.Time(utc("2026-05-01T00:00:00Z"))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := validCreate("sch_valid")
			tc.mutate(in)
			_, err := c.CreateSchedule(ctx, in)
			wantCode(t, err, localscheduler.ErrValidation)
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("message %q does not name %s", err, tc.field)
			}
			_, err = c.UpdateSchedule(ctx, updateOf(in))
			if code := apiCode(err); code != localscheduler.ErrValidation {
				t.Errorf("UpdateSchedule: code %q, want ValidationException too (err %v)", code, err)
			}
		})
	}
	t.Run("SeveralViolationsAreCounted", func(t *testing.T) {
		in := validCreate("sch_valid")
		in.Description = aws.String(strings.Repeat("d", 513))
		in.State = "PAUSED"
		_, err := c.CreateSchedule(ctx, in)
		if !strings.Contains(err.Error(), "2 validation errors detected") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("InputAtTheLimitIsAccepted", func(t *testing.T) {
		in := validCreate("sch_limit")
		in.Target.Input = aws.String(`"` + strings.Repeat("é", localscheduler.MaxInputLength-2) + `"`)
		if _, err := c.CreateSchedule(ctx, in); err != nil {
			t.Fatalf("an input of %d characters: %v", localscheduler.MaxInputLength, err)
		}
	})
	t.Run("NothingInvalidWasStored", func(t *testing.T) {
		out, err := c.ListSchedules(ctx, &scheduler.ListSchedulesInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Schedules) != 1 || aws.ToString(out.Schedules[0].Name) != "sch_limit" {
			t.Errorf("schedules = %+v", out.Schedules)
		}
	})
}

// The SDK checks required members itself, so a client without it must be
// refused by the endpoint.
func TestRequiredMembersWithoutTheSDK(t *testing.T) {
	srv, _ := startAt(t, "2026-05-01T10:00:00Z")
	full := map[string]any{
		"ScheduleExpression": "cron(0 14 * * ? *)",
		"FlexibleTimeWindow": map[string]any{"Mode": "OFF"},
		"Target":             map[string]any{"Arn": functionARN, "RoleArn": roleARN},
	}
	cases := []struct {
		name, field string
		drop        func(m map[string]any)
	}{
		{"ScheduleExpression", "'scheduleExpression'", func(m map[string]any) { delete(m, "ScheduleExpression") }},
		{"FlexibleTimeWindow", "'flexibleTimeWindow'", func(m map[string]any) { delete(m, "FlexibleTimeWindow") }},
		{"FlexibleTimeWindowMode", "'flexibleTimeWindow.mode'", func(m map[string]any) { m["FlexibleTimeWindow"] = map[string]any{} }},
		{"Target", "'target'", func(m map[string]any) { delete(m, "Target") }},
		{"TargetArn", "'target.arn'", func(m map[string]any) { m["Target"] = map[string]any{"RoleArn": roleARN} }},
		{"TargetRoleArn", "'target.roleArn'", func(m map[string]any) { m["Target"] = map[string]any{"Arn": functionARN} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := map[string]any{}
			for k, v := range full {
				m[k] = v
			}
			tc.drop(m)
			body, _ := json.Marshal(m)
			a := send(t, srv.URL(), http.MethodPost, "/schedules/sch_1", string(body))
			wantAnswerError(t, a, http.StatusBadRequest, localscheduler.ErrValidation)
			if msg, _ := a.body["Message"].(string); !strings.Contains(msg, tc.field) || !strings.Contains(msg, "must not be null") {
				t.Errorf("Message = %q, want one naming %s", msg, tc.field)
			}
		})
	}
	t.Run("TheFullRequestIsAccepted", func(t *testing.T) {
		body, _ := json.Marshal(full)
		if a := send(t, srv.URL(), http.MethodPost, "/schedules/sch_1", string(body)); a.status != http.StatusOK {
			t.Fatalf("status %d, body %v", a.status, a.body)
		}
	})
}

type answer struct {
	status    int
	errorType string
	body      map[string]any
}

// send makes a raw request, as a client without the SDK would.
func send(t *testing.T, base, method, path, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, errorType: resp.Header.Get("X-Amzn-Errortype")}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("answer is not JSON: %q", raw)
	}
	return a
}

func wantAnswerError(t *testing.T, a answer, status int, code string) {
	t.Helper()
	if a.status != status || a.errorType != code {
		t.Errorf("answer = %d %q, want %d %q (body %v)", a.status, a.errorType, status, code, a.body)
	}
	if msg, _ := a.body["Message"].(string); msg == "" {
		t.Errorf("no Message in %v", a.body)
	}
}

func TestListSchedules(t *testing.T) {
	srv, _ := startAt(t, "2026-05-01T10:00:00Z")
	c := client(srv.URL())
	ctx := context.Background()
	if _, err := c.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String("scans")}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		group, name string
		state       types.ScheduleState
	}{
		{"scans", "sch_b", types.ScheduleStateEnabled},
		{"scans", "sch_a", types.ScheduleStateDisabled},
		{"scans", "sch_c", types.ScheduleStateEnabled},
		{"scans", "other_1", types.ScheduleStateEnabled},
		{"default", "sch_z", types.ScheduleStateEnabled},
	} {
		in := validCreate(s.name)
		in.GroupName, in.State = aws.String(s.group), s.state
		if _, err := c.CreateSchedule(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	list := func(t *testing.T, in *scheduler.ListSchedulesInput) []string {
		t.Helper()
		var names []string
		p := scheduler.NewListSchedulesPaginator(c, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if in.MaxResults != nil && len(out.Schedules) > int(*in.MaxResults) {
				t.Errorf("page of %d, MaxResults %d", len(out.Schedules), *in.MaxResults)
			}
			for _, s := range out.Schedules {
				names = append(names, aws.ToString(s.GroupName)+"/"+aws.ToString(s.Name))
			}
		}
		return names
	}
	cases := []struct {
		name string
		in   *scheduler.ListSchedulesInput
		want []string
	}{
		{"AllGroupsSorted", &scheduler.ListSchedulesInput{}, []string{"default/sch_z", "scans/other_1", "scans/sch_a", "scans/sch_b", "scans/sch_c"}},
		{"OneGroup", &scheduler.ListSchedulesInput{GroupName: aws.String("scans")}, []string{"scans/other_1", "scans/sch_a", "scans/sch_b", "scans/sch_c"}},
		{"NamePrefix", &scheduler.ListSchedulesInput{NamePrefix: aws.String("sch_")}, []string{"default/sch_z", "scans/sch_a", "scans/sch_b", "scans/sch_c"}},
		{"State", &scheduler.ListSchedulesInput{State: types.ScheduleStateDisabled}, []string{"scans/sch_a"}},
		{"AllFilters", &scheduler.ListSchedulesInput{GroupName: aws.String("scans"), NamePrefix: aws.String("sch_"), State: types.ScheduleStateEnabled}, []string{"scans/sch_b", "scans/sch_c"}},
		{"PagesOfTwo", &scheduler.ListSchedulesInput{MaxResults: aws.Int32(2)}, []string{"default/sch_z", "scans/other_1", "scans/sch_a", "scans/sch_b", "scans/sch_c"}},
		{"PagesOfOneFiltered", &scheduler.ListSchedulesInput{MaxResults: aws.Int32(1), GroupName: aws.String("scans"), NamePrefix: aws.String("sch_")}, []string{"scans/sch_a", "scans/sch_b", "scans/sch_c"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := list(t, tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("SummariesCarryTheFieldsTheSDKReads", func(t *testing.T) {
		out, err := c.ListSchedules(ctx, &scheduler.ListSchedulesInput{NamePrefix: aws.String("sch_z")})
		if err != nil {
			t.Fatal(err)
		}
		s := out.Schedules[0]
		if aws.ToString(s.Arn) != arnPrefix+"schedule/default/sch_z" || s.State != types.ScheduleStateEnabled ||
			aws.ToString(s.Target.Arn) != functionARN || s.CreationDate == nil || s.LastModificationDate == nil || out.NextToken != nil {
			t.Errorf("summary = %+v, NextToken %v", s, out.NextToken)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		_, err := c.ListSchedules(ctx, &scheduler.ListSchedulesInput{GroupName: aws.String("missing")})
		wantCode(t, err, localscheduler.ErrResourceNotFound)
		_, err = c.ListSchedules(ctx, &scheduler.ListSchedulesInput{MaxResults: aws.Int32(101)})
		wantCode(t, err, localscheduler.ErrValidation)
		_, err = c.ListSchedules(ctx, &scheduler.ListSchedulesInput{NextToken: aws.String("not a token")})
		wantCode(t, err, localscheduler.ErrValidation)
		_, err = c.ListSchedules(ctx, &scheduler.ListSchedulesInput{State: "PAUSED"})
		wantCode(t, err, localscheduler.ErrValidation)
	})
}

func TestProtocol(t *testing.T) {
	srv, _ := startAt(t, "2026-05-01T10:00:00Z")
	ctx := context.Background()

	t.Run("ErrorsCarryTheHeaderTheStatusAndAMessage", func(t *testing.T) {
		wantAnswerError(t, send(t, srv.URL(), http.MethodGet, "/schedules/nope", ""), http.StatusNotFound, localscheduler.ErrResourceNotFound)
		wantAnswerError(t, send(t, srv.URL(), http.MethodPost, "/schedules/sch_1", `{"Target":`), http.StatusBadRequest, localscheduler.ErrSerialization)
		wantAnswerError(t, send(t, srv.URL(), http.MethodGet, "/schedule-groups", ""), http.StatusNotFound, localscheduler.ErrUnknownOperation)
		wantAnswerError(t, send(t, srv.URL(), http.MethodPatch, "/schedules/sch_1", ""), http.StatusNotFound, localscheduler.ErrUnknownOperation)
		wantAnswerError(t, send(t, srv.URL(), http.MethodGet, "/tags/arn", ""), http.StatusNotFound, localscheduler.ErrUnknownOperation)
	})
	t.Run("FailNextAnswersTheInjectedErrorsThenRecovers", func(t *testing.T) {
		c := client(srv.URL())
		srv.FailNext(1, localscheduler.ErrThrottling)
		srv.FailNext(1, localscheduler.ErrServiceQuotaExceeded)
		srv.FailNext(1, localscheduler.ErrInternalServer)
		for _, want := range []struct {
			code   string
			target any
		}{
			{localscheduler.ErrThrottling, new(*types.ThrottlingException)},
			{localscheduler.ErrServiceQuotaExceeded, new(*types.ServiceQuotaExceededException)},
			{localscheduler.ErrInternalServer, new(*types.InternalServerException)},
		} {
			_, err := c.CreateSchedule(ctx, validCreate("sch_injected"))
			wantCode(t, err, want.code)
			if !errors.As(err, want.target) {
				t.Errorf("%v is not the SDK's modeled %s", err, want.code)
			}
		}
		if _, err := c.CreateSchedule(ctx, validCreate("sch_injected")); err != nil {
			t.Errorf("after the injected failures: %v", err)
		}
	})
	t.Run("ThrottlingStatusIs429", func(t *testing.T) {
		srv.FailNext(1, localscheduler.ErrThrottling)
		a := send(t, srv.URL(), http.MethodGet, "/schedule-groups/default", "")
		wantAnswerError(t, a, http.StatusTooManyRequests, localscheduler.ErrThrottling)
	})
	t.Run("TheSDKRetriesThrottling", func(t *testing.T) {
		c := scheduler.New(scheduler.Options{
			Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()),
			Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
			Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 3
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
			}),
		})
		before := len(srv.Requests())
		srv.FailNext(2, localscheduler.ErrThrottling)
		if _, err := c.GetScheduleGroup(ctx, &scheduler.GetScheduleGroupInput{Name: aws.String("default")}); err != nil {
			t.Fatalf("third attempt: %v", err)
		}
		if got := len(srv.Requests()) - before; got != 3 {
			t.Errorf("requests = %d, want 3 (two throttled, one answered)", got)
		}
	})
	t.Run("RequestsRecordsEveryRequestAsSent", func(t *testing.T) {
		c := client(srv.URL())
		before := len(srv.Requests())
		in := validCreate("sch_rec")
		in.ClientToken = aws.String("tok")
		if _, err := c.CreateSchedule(ctx, in); err != nil {
			t.Fatal(err)
		}
		if _, err := c.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String("sch_rec"), GroupName: aws.String("default"), ClientToken: aws.String("del")}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ListSchedules(ctx, &scheduler.ListSchedulesInput{GroupName: aws.String("default"), MaxResults: aws.Int32(5)}); err != nil {
			t.Fatal(err)
		}
		reqs := srv.Requests()[before:]
		if len(reqs) != 3 {
			t.Fatalf("requests = %d, want 3", len(reqs))
		}
		create, del, list := reqs[0], reqs[1], reqs[2]
		if create.Operation != "CreateSchedule" || create.Method != "POST" || create.Path != "/schedules/sch_rec" || len(create.Query) != 0 {
			t.Errorf("create = %s %s %s ?%v", create.Operation, create.Method, create.Path, create.Query)
		}
		var body map[string]any
		if err := json.Unmarshal(create.Body, &body); err != nil || body["ClientToken"] != "tok" || body["ScheduleExpression"] != "cron(0 14 * * ? *)" {
			t.Errorf("create body = %s", create.Body)
		}
		if ct := create.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q", ct)
		}
		if del.Operation != "DeleteSchedule" || del.Method != "DELETE" || del.Query.Get("groupName") != "default" || del.Query.Get("clientToken") != "del" {
			t.Errorf("delete = %s %s ?%v", del.Operation, del.Method, del.Query)
		}
		if list.Operation != "ListSchedules" || list.Query.Get("ScheduleGroup") != "default" || list.Query.Get("MaxResults") != "5" {
			t.Errorf("list = %s ?%v", list.Operation, list.Query)
		}
	})
	t.Run("HandlerWorksWithHTTPTest", func(t *testing.T) {
		h := localscheduler.NewHandler(localscheduler.Config{Region: "eu-west-3", AccountID: "123456789012"})
		ts := httptest.NewServer(h)
		defer ts.Close()
		out, err := client(ts.URL).CreateSchedule(ctx, validCreate("sch_1"))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := aws.ToString(out.ScheduleArn), "arn:aws:scheduler:eu-west-3:123456789012:schedule/default/sch_1"; got != want {
			t.Errorf("ScheduleArn = %s, want %s", got, want)
		}
	})
}

func TestServer(t *testing.T) {
	t.Run("ListensOnLoopbackByDefault", func(t *testing.T) {
		srv := start(t, localscheduler.Config{})
		if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") {
			t.Errorf("URL = %q", srv.URL())
		}
	})
	t.Run("CloseStopsServing", func(t *testing.T) {
		srv, err := localscheduler.Start(localscheduler.Config{})
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Close(); err != nil {
			t.Fatal(err)
		}
		if resp, err := http.Get(srv.URL() + "/schedule-groups/default"); err == nil {
			resp.Body.Close()
			t.Fatal("request after Close succeeded")
		}
	})
	t.Run("StartFailsOnAnAddressInUse", func(t *testing.T) {
		srv := start(t, localscheduler.Config{})
		if _, err := localscheduler.Start(localscheduler.Config{Addr: strings.TrimPrefix(srv.URL(), "http://")}); err == nil {
			t.Fatal("Start on a used address succeeded")
		}
	})
}

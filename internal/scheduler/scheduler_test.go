package scheduler_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/partnerportal/portal/internal/localscheduler"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/scheduler"
)

const (
	group     = "partner-portal-scans"
	targetARN = "arn:aws:lambda:us-east-1:000000000000:function:partner-portal-scan-dispatch"
	roleARN   = "arn:aws:iam::000000000000:role/partner-portal-SchedulerRole"
	queueARN  = "arn:aws:sqs:us-east-1:000000000000:partner-portal-DispatchFailures"
	attempts  = 3 // the test client's attempts per operation
)

// client is the real SDK client pointed at url, with 3 attempts 1 ms apart
// so that retries are quick.
func client(url string) *sdk.Client {
	return sdk.New(sdk.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
			o.RateLimiter = ratelimit.None
		}),
	})
}

// setup starts a local Scheduler with the group and returns Triggers on it.
func setup(t *testing.T, dlq string) (*localscheduler.Server, *scheduler.Triggers) {
	t.Helper()
	srv, err := localscheduler.Start(localscheduler.Config{
		Now:        func() time.Time { return time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC) },
		RetryDelay: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	c := client(srv.URL())
	if _, err := c.CreateScheduleGroup(context.Background(), &sdk.CreateScheduleGroupInput{Name: aws.String(group)}); err != nil {
		t.Fatal(err)
	}
	return srv, &scheduler.Triggers{Client: c, Config: scheduler.Config{Group: group, TargetARN: targetARN, RoleARN: roleARN, DeadLetterARN: dlq}}
}

func trigger() portal.ScheduleTrigger {
	return portal.ScheduleTrigger{
		ScheduleID: "sch_01JD0000000000000000000001",
		PartnerID:  "prt_01JD0000000000000000000002",
		TenantID:   "cus_01JD0000000000000000000003",
		Version:    4,
		Expression: "cron(0 14 ? * MON *)",
		Timezone:   "Europe/Paris",
		Enabled:    true,
	}
}

// sent returns the requests srv received since `since`.
func sent(srv *localscheduler.Server, since int) []localscheduler.Request {
	return srv.Requests()[since:]
}

func decode(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	return m
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func wantKeys(t *testing.T, what string, m map[string]any, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := keys(m); !slices.Equal(got, want) {
		t.Errorf("%s fields = %v, want %v", what, got, want)
	}
}

func wantField(t *testing.T, what string, got, want any) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

var tokenPattern = regexp.MustCompile(`^[a-zA-Z0-9\-_]{1,64}$`)

// checkDefinition checks the body of a CreateSchedule or UpdateSchedule
// request field by field; flexible is the window in minutes (0 = OFF).
func checkDefinition(t *testing.T, body map[string]any, tr portal.ScheduleTrigger, dlq string) {
	t.Helper()
	wantKeys(t, "body", body, "ActionAfterCompletion", "ClientToken", "Description", "FlexibleTimeWindow",
		"GroupName", "ScheduleExpression", "ScheduleExpressionTimezone", "State", "Target")
	wantField(t, "GroupName", body["GroupName"], group)
	wantField(t, "ScheduleExpression", body["ScheduleExpression"], tr.Expression)
	wantField(t, "ScheduleExpressionTimezone", body["ScheduleExpressionTimezone"], tr.Timezone)
	wantField(t, "ActionAfterCompletion", body["ActionAfterCompletion"], "NONE")
	wantField(t, "Description", body["Description"], "Partner Portal scan schedule "+tr.ScheduleID+" of customer "+tr.TenantID)
	state := "DISABLED"
	if tr.Enabled {
		state = "ENABLED"
	}
	wantField(t, "State", body["State"], state)

	ftw, _ := body["FlexibleTimeWindow"].(map[string]any)
	if tr.FlexibleWindowMinutes > 0 {
		wantKeys(t, "FlexibleTimeWindow", ftw, "Mode", "MaximumWindowInMinutes")
		wantField(t, "FlexibleTimeWindow.Mode", ftw["Mode"], "FLEXIBLE")
		wantField(t, "FlexibleTimeWindow.MaximumWindowInMinutes", ftw["MaximumWindowInMinutes"], float64(tr.FlexibleWindowMinutes))
	} else {
		wantKeys(t, "FlexibleTimeWindow", ftw, "Mode")
		wantField(t, "FlexibleTimeWindow.Mode", ftw["Mode"], "OFF")
	}

	target, _ := body["Target"].(map[string]any)
	if dlq != "" {
		wantKeys(t, "Target", target, "Arn", "RoleArn", "Input", "RetryPolicy", "DeadLetterConfig")
		dl, _ := target["DeadLetterConfig"].(map[string]any)
		wantKeys(t, "Target.DeadLetterConfig", dl, "Arn")
		wantField(t, "Target.DeadLetterConfig.Arn", dl["Arn"], dlq)
	} else {
		wantKeys(t, "Target", target, "Arn", "RoleArn", "Input", "RetryPolicy")
	}
	wantField(t, "Target.Arn", target["Arn"], targetARN)
	wantField(t, "Target.RoleArn", target["RoleArn"], roleARN)
	rp, _ := target["RetryPolicy"].(map[string]any)
	wantKeys(t, "Target.RetryPolicy", rp, "MaximumRetryAttempts", "MaximumEventAgeInSeconds")
	wantField(t, "Target.RetryPolicy.MaximumRetryAttempts", rp["MaximumRetryAttempts"], float64(3))
	wantField(t, "Target.RetryPolicy.MaximumEventAgeInSeconds", rp["MaximumEventAgeInSeconds"], float64(3600))

	input, _ := target["Input"].(string)
	// The placeholder must be there literally, not as \u003c…\u003e, for
	// Scheduler to find it.
	if !strings.Contains(input, `"scheduledTime":"<aws.scheduler.scheduled-time>"`) {
		t.Errorf("Target.Input %s does not carry the literal placeholder", input)
	}
	fire := decode(t, []byte(input))
	wantKeys(t, "Target.Input", fire, "partnerId", "tenantId", "scheduleId", "version", "scheduledTime")
	wantField(t, "Input.partnerId", fire["partnerId"], tr.PartnerID)
	wantField(t, "Input.tenantId", fire["tenantId"], tr.TenantID)
	wantField(t, "Input.scheduleId", fire["scheduleId"], tr.ScheduleID)
	wantField(t, "Input.version", fire["version"], float64(tr.Version))
	wantField(t, "Input.scheduledTime", fire["scheduledTime"], portal.ScheduledTimePlaceholder)

	token, _ := body["ClientToken"].(string)
	if !tokenPattern.MatchString(token) {
		t.Errorf("ClientToken %q is not 1-64 of [a-zA-Z0-9-_]", token)
	}
}

func TestCreateSendsTheWholeScheduleDefinition(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		dlq  string
		edit func(*portal.ScheduleTrigger)
	}{
		{"EnabledWithoutWindowWithDeadLetterQueue", queueARN, func(*portal.ScheduleTrigger) {}},
		{"DisabledWithAFlexibleWindow", queueARN, func(tr *portal.ScheduleTrigger) { tr.Enabled, tr.FlexibleWindowMinutes = false, 15 }},
		{"WithoutDeadLetterQueue", "", func(*portal.ScheduleTrigger) {}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, trig := setup(t, tc.dlq)
			tr := trigger()
			tc.edit(&tr)
			before := len(srv.Requests())
			if err := trig.Create(ctx, tr); err != nil {
				t.Fatal(err)
			}
			reqs := sent(srv, before)
			if len(reqs) != 1 {
				t.Fatalf("requests = %d, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != http.MethodPost || r.Path != "/schedules/"+tr.ScheduleID || len(r.Query) != 0 {
				t.Errorf("request = %s %s ?%v, want POST /schedules/%s", r.Method, r.Path, r.Query, tr.ScheduleID)
			}
			checkDefinition(t, decode(t, r.Body), tr, tc.dlq)

			// What Scheduler stored, read back through the SDK.
			g, err := trig.Client.GetSchedule(ctx, &sdk.GetScheduleInput{Name: aws.String(tr.ScheduleID), GroupName: aws.String(group)})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(g.Arn) != "arn:aws:scheduler:us-east-1:000000000000:schedule/"+group+"/"+tr.ScheduleID {
				t.Errorf("Arn = %s", aws.ToString(g.Arn))
			}
		})
	}
}

func TestCreateIsIdempotentButNotTwice(t *testing.T) {
	ctx := context.Background()
	srv, trig := setup(t, queueARN)
	tr := trigger()
	before := len(srv.Requests())
	if err := trig.Create(ctx, tr); err != nil {
		t.Fatal(err)
	}

	t.Run("RepeatingTheSameCreateIsAReplayWithTheSameClientToken", func(t *testing.T) {
		if err := trig.Create(ctx, tr); err != nil {
			t.Fatalf("repeated create: %v", err)
		}
		reqs := sent(srv, before)
		if len(reqs) != 2 {
			t.Fatalf("requests = %d", len(reqs))
		}
		t1, t2 := decode(t, reqs[0].Body)["ClientToken"], decode(t, reqs[1].Body)["ClientToken"]
		if t1 != t2 {
			t.Errorf("ClientToken %v then %v, want the same", t1, t2)
		}
	})
	t.Run("ACreateOfAnotherDefinitionIsAConflict", func(t *testing.T) {
		other := tr
		other.Expression = "cron(30 9 ? * TUE *)"
		n := len(srv.Requests())
		err := trig.Create(ctx, other)
		if code := portal.ErrorCode(err); code != portal.ECONFLICT {
			t.Fatalf("second create: code %q (err %v), want %q", code, err, portal.ECONFLICT)
		}
		var ce *types.ConflictException
		if !errors.As(err, &ce) {
			t.Errorf("the ConflictException is not in the chain: %v", err)
		}
		if tok := decode(t, srv.Requests()[n].Body)["ClientToken"]; tok == decode(t, srv.Requests()[before].Body)["ClientToken"] {
			t.Errorf("another definition has the same ClientToken %v", tok)
		}
	})
	t.Run("ACreateAfterAnUpdateIsAConflict", func(t *testing.T) {
		tr2 := tr
		tr2.Version++
		if err := trig.Update(ctx, tr2); err != nil {
			t.Fatal(err)
		}
		if err := trig.Create(ctx, tr2); portal.ErrorCode(err) != portal.ECONFLICT {
			t.Errorf("create of an existing trigger: %v, want ECONFLICT", err)
		}
	})
}

func TestUpdate(t *testing.T) {
	ctx := context.Background()
	srv, trig := setup(t, queueARN)
	tr := trigger()
	if err := trig.Create(ctx, tr); err != nil {
		t.Fatal(err)
	}

	t.Run("SendsTheFullDefinition", func(t *testing.T) {
		tr.Expression, tr.Timezone, tr.Enabled, tr.FlexibleWindowMinutes, tr.Version = "cron(15 6 L * ? *)", "America/New_York", false, 30, 5
		before := len(srv.Requests())
		if err := trig.Update(ctx, tr); err != nil {
			t.Fatal(err)
		}
		reqs := sent(srv, before)
		if len(reqs) != 1 {
			t.Fatalf("requests = %d, want 1", len(reqs))
		}
		r := reqs[0]
		if r.Method != http.MethodPut || r.Path != "/schedules/"+tr.ScheduleID || len(r.Query) != 0 {
			t.Errorf("request = %s %s ?%v, want PUT /schedules/%s", r.Method, r.Path, r.Query, tr.ScheduleID)
		}
		// UpdateSchedule has no ClientToken of ours; the SDK fills one in.
		checkDefinition(t, decode(t, r.Body), tr, queueARN)
		g, err := trig.Client.GetSchedule(ctx, &sdk.GetScheduleInput{Name: aws.String(tr.ScheduleID), GroupName: aws.String(group)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(g.ScheduleExpression) != "cron(15 6 L * ? *)" || g.State != types.ScheduleStateDisabled ||
			aws.ToInt32(g.FlexibleTimeWindow.MaximumWindowInMinutes) != 30 || !strings.Contains(aws.ToString(g.Target.Input), `"version":5`) {
			t.Errorf("stored = %+v, target %+v", g, g.Target)
		}
	})
	t.Run("MissingIsNotFound", func(t *testing.T) {
		missing := trigger()
		missing.ScheduleID = "sch_01JD0000000000000000000099"
		err := trig.Update(ctx, missing)
		if code := portal.ErrorCode(err); code != portal.ENOTFOUND {
			t.Fatalf("code %q (err %v), want %q", code, err, portal.ENOTFOUND)
		}
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("the ResourceNotFoundException is not in the chain: %v", err)
		}
	})
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	srv, trig := setup(t, queueARN)
	tr := trigger()
	if err := trig.Create(ctx, tr); err != nil {
		t.Fatal(err)
	}
	before := len(srv.Requests())
	if err := trig.Delete(ctx, tr.ScheduleID); err != nil {
		t.Fatal(err)
	}
	if err := trig.Delete(ctx, tr.ScheduleID); err != nil {
		t.Fatalf("second delete: %v, want nil", err)
	}
	reqs := sent(srv, before)
	if len(reqs) != 2 {
		t.Fatalf("requests = %d, want 2", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodDelete || r.Path != "/schedules/"+tr.ScheduleID || r.Query.Get("groupName") != group ||
		!tokenPattern.MatchString(r.Query.Get("clientToken")) || len(r.Query) != 2 || len(r.Body) != 0 {
		t.Errorf("request = %s %s ?%v body %q", r.Method, r.Path, r.Query, r.Body)
	}
	if _, err := trig.Client.GetSchedule(ctx, &sdk.GetScheduleInput{Name: aws.String(tr.ScheduleID), GroupName: aws.String(group)}); err == nil {
		t.Error("the schedule is still there")
	}
}

// safe reports whether a message shown to partners names no AWS resource.
func safe(msg string) bool {
	return !strings.Contains(msg, "arn:") && !strings.Contains(msg, "000000000000") && !strings.Contains(msg, group)
}

func wantUnavailable(t *testing.T, err error) {
	t.Helper()
	if code := portal.ErrorCode(err); code != portal.EUNAVAILABLE {
		t.Fatalf("code %q (err %v), want %q", code, err, portal.EUNAVAILABLE)
	}
	if msg := portal.ErrorMessage(err); !safe(msg) {
		t.Errorf("message %q names a resource", msg)
	}
}

func TestSchedulerRefusals(t *testing.T) {
	ctx := context.Background()

	t.Run("ThrottlingIsRetriedByTheSDK", func(t *testing.T) {
		srv, trig := setup(t, queueARN)
		before := len(srv.Requests())
		srv.FailNext(attempts-1, localscheduler.ErrThrottling)
		if err := trig.Create(ctx, trigger()); err != nil {
			t.Fatalf("create after %d throttled attempts: %v", attempts-1, err)
		}
		reqs := sent(srv, before)
		if len(reqs) != attempts {
			t.Fatalf("requests = %d, want %d", len(reqs), attempts)
		}
		if reqs[0].Operation != "CreateSchedule" || string(reqs[0].Body) != string(reqs[attempts-1].Body) {
			t.Errorf("retries differ from the first attempt (the ClientToken must stay):\n%s\n%s", reqs[0].Body, reqs[attempts-1].Body)
		}
	})
	t.Run("ThrottlingAfterTheLastAttemptIsUnavailable", func(t *testing.T) {
		srv, trig := setup(t, queueARN)
		srv.FailNext(attempts, localscheduler.ErrThrottling)
		err := trig.Create(ctx, trigger())
		wantUnavailable(t, err)
		var te *types.ThrottlingException
		if !errors.As(err, &te) {
			t.Errorf("the ThrottlingException is not in the chain: %v", err)
		}
	})
	for _, code := range []string{localscheduler.ErrServiceQuotaExceeded, localscheduler.ErrInternalServer} {
		t.Run(code+"IsUnavailable", func(t *testing.T) {
			ops := map[string]func(*scheduler.Triggers) error{
				"Create": func(tg *scheduler.Triggers) error { return tg.Create(ctx, trigger()) },
				"Update": func(tg *scheduler.Triggers) error { return tg.Update(ctx, trigger()) },
				"Delete": func(tg *scheduler.Triggers) error { return tg.Delete(ctx, trigger().ScheduleID) },
			}
			for name, op := range ops {
				t.Run(name, func(t *testing.T) {
					srv, trig := setup(t, queueARN)
					srv.FailNext(attempts, code)
					wantUnavailable(t, op(trig))
				})
			}
		})
	}
	t.Run("AValidationExceptionIsOurBug", func(t *testing.T) {
		_, trig := setup(t, queueARN)
		tr := trigger()
		tr.Expression = "cron(0 14 * * MON *)" // both day fields: invalid
		err := trig.Create(ctx, tr)
		if code := portal.ErrorCode(err); code != portal.EINTERNAL {
			t.Fatalf("code %q (err %v), want internal", code, err)
		}
		var ve *types.ValidationException
		if !errors.As(err, &ve) {
			t.Errorf("the ValidationException is not in the chain: %v", err)
		}
	})
	t.Run("AMissingGroupIsInternal", func(t *testing.T) {
		_, trig := setup(t, queueARN)
		trig.Config.Group = "no-such-group"
		if err := trig.Create(ctx, trigger()); portal.ErrorCode(err) != portal.EINTERNAL {
			t.Errorf("create in a missing group: %v, want internal", err)
		}
	})
	t.Run("AnIDThatCannotBeANameFailsBeforeAnyRequest", func(t *testing.T) {
		srv, trig := setup(t, queueARN)
		before := len(srv.Requests())
		for _, id := range []string{"", "sch/1", "sch 1", strings.Repeat("s", 65)} {
			tr := trigger()
			tr.ScheduleID = id
			if err := trig.Create(ctx, tr); portal.ErrorCode(err) != portal.EINTERNAL {
				t.Errorf("Create %q: %v, want internal", id, err)
			}
			if err := trig.Update(ctx, tr); portal.ErrorCode(err) != portal.EINTERNAL {
				t.Errorf("Update %q: %v, want internal", id, err)
			}
			if err := trig.Delete(ctx, id); portal.ErrorCode(err) != portal.EINTERNAL {
				t.Errorf("Delete %q: %v, want internal", id, err)
			}
		}
		if n := len(srv.Requests()) - before; n != 0 {
			t.Errorf("%d requests sent", n)
		}
	})
}

func TestUnreachableScheduler(t *testing.T) {
	ctx := context.Background()
	cfg := scheduler.Config{Group: group, TargetARN: targetARN, RoleARN: roleARN}

	t.Run("NothingListening", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		url := "http://" + ln.Addr().String()
		ln.Close()
		trig := &scheduler.Triggers{Client: client(url), Config: cfg}
		wantUnavailable(t, trig.Create(ctx, trigger()))
		wantUnavailable(t, trig.Update(ctx, trigger()))
		wantUnavailable(t, trig.Delete(ctx, trigger().ScheduleID))
	})
	t.Run("NoAnswerBeforeTheDeadline", func(t *testing.T) {
		hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body) // then the server notices the client leaving
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}))
		defer hang.Close()
		trig := &scheduler.Triggers{Client: client(hang.URL), Config: cfg}
		dctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		err := trig.Create(dctx, trigger())
		wantUnavailable(t, err)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("the deadline is not in the chain: %v", err)
		}
	})
	t.Run("A5xxWithoutAModeledError", func(t *testing.T) {
		bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "<html>Bad Gateway</html>", http.StatusBadGateway)
		}))
		defer bad.Close()
		trig := &scheduler.Triggers{Client: client(bad.URL), Config: cfg}
		wantUnavailable(t, trig.Create(ctx, trigger()))
	})
}

// The trigger fires through the local Scheduler with the placeholder
// replaced: the input scan-dispatch receives is a complete ScheduleFire.
func TestTheTriggerFiresAScheduleFire(t *testing.T) {
	ctx := context.Background()
	srv, trig := setup(t, queueARN)
	fires := make(chan localscheduler.Invocation, 4)
	srv.OnFire(func(_ context.Context, inv localscheduler.Invocation) error { fires <- inv; return nil })
	tr := trigger() // Mondays 14:00 Paris; the local clock reads Monday 2026-11-30 12:00Z
	if err := trig.Create(ctx, tr); err != nil {
		t.Fatal(err)
	}
	srv.Tick(time.Date(2026, 11, 30, 13, 0, 0, 0, time.UTC)) // 14:00 in Paris (UTC+1)
	srv.Wait()
	if len(fires) != 1 {
		t.Fatalf("fires = %d, want 1", len(fires))
	}
	inv := <-fires
	if inv.TargetArn != targetARN {
		t.Errorf("TargetArn = %s", inv.TargetArn)
	}
	var fire portal.ScheduleFire
	if err := json.Unmarshal([]byte(inv.Input), &fire); err != nil {
		t.Fatal(err)
	}
	want := portal.ScheduleFire{PartnerID: tr.PartnerID, TenantID: tr.TenantID, ScheduleID: tr.ScheduleID, Version: tr.Version, ScheduledTime: "2026-11-30T13:00:00Z"}
	if fire != want {
		t.Errorf("fire = %+v, want %+v", fire, want)
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Run("AllSet", func(t *testing.T) {
		t.Setenv(scheduler.EnvGroup, group)
		t.Setenv(scheduler.EnvTargetARN, targetARN)
		t.Setenv(scheduler.EnvRoleARN, roleARN)
		t.Setenv(scheduler.EnvDeadLetterARN, queueARN)
		c, err := scheduler.ConfigFromEnv()
		if err != nil {
			t.Fatal(err)
		}
		if want := (scheduler.Config{Group: group, TargetARN: targetARN, RoleARN: roleARN, DeadLetterARN: queueARN}); c != want {
			t.Errorf("Config = %+v, want %+v", c, want)
		}
	})
	t.Run("DeadLetterQueueIsOptional", func(t *testing.T) {
		t.Setenv(scheduler.EnvGroup, group)
		t.Setenv(scheduler.EnvTargetARN, targetARN)
		t.Setenv(scheduler.EnvRoleARN, roleARN)
		t.Setenv(scheduler.EnvDeadLetterARN, "")
		if c, err := scheduler.ConfigFromEnv(); err != nil || c.DeadLetterARN != "" {
			t.Errorf("Config = %+v, %v", c, err)
		}
	})
	t.Run("MissingAreNamed", func(t *testing.T) {
		t.Setenv(scheduler.EnvGroup, group)
		t.Setenv(scheduler.EnvTargetARN, "")
		t.Setenv(scheduler.EnvRoleARN, "")
		_, err := scheduler.ConfigFromEnv()
		if err == nil || !strings.Contains(err.Error(), scheduler.EnvTargetARN) || !strings.Contains(err.Error(), scheduler.EnvRoleARN) || strings.Contains(err.Error(), scheduler.EnvGroup) {
			t.Errorf("err = %v, want one naming exactly the missing variables", err)
		}
	})
}

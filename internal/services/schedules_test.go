package services_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	awsscheduler "github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/partnerportal/portal/internal/asset"
	"github.com/partnerportal/portal/internal/eventbus"
	"github.com/partnerportal/portal/internal/lambdainvoke"
	"github.com/partnerportal/portal/internal/localeventbridge"
	"github.com/partnerportal/portal/internal/localscheduler"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/sampleevents"
	"github.com/partnerportal/portal/internal/scan"
	"github.com/partnerportal/portal/internal/scheduler"
	"github.com/partnerportal/portal/internal/services"
	"github.com/partnerportal/portal/internal/tenancy"
)

// Schedules on the assembled services, DynamoDB Local, a wire-level local
// EventBridge Scheduler and a wire-level Lambda endpoint that receives the
// asynchronous invocations of scan-run.

const schedGroup = "partner-portal-scans"

// schedWorld is a marginWorld whose schedules live in a local Scheduler and
// whose admitted scans are handed to a local Lambda endpoint.
type schedWorld struct {
	*marginWorld
	sched   *localscheduler.Server
	client  *awsscheduler.Client
	invoked *invocations
	// customers stored straight into the store: their partners
	fanoutMu       sync.Mutex
	fanoutPartners map[string]string
}

// invocations is a wire-level Lambda Invoke endpoint recording the scans
// it was asked to run.
type invocations struct {
	mu    sync.Mutex
	scans []string
}

func (v *invocations) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ref portal.ScanRef
	body, _ := io.ReadAll(r.Body)
	if json.Unmarshal(body, &ref) != nil || r.Header.Get("X-Amz-Invocation-Type") != "Event" {
		http.Error(w, `{"message":"bad invocation"}`, http.StatusBadRequest)
		return
	}
	v.mu.Lock()
	v.scans = append(v.scans, ref.ScanID)
	v.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

func (v *invocations) list() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return slices.Clone(v.scans)
}

func newSchedWorld(t *testing.T) *schedWorld {
	t.Helper()
	w := &schedWorld{marginWorld: newMarginWorld(t)}
	w.sched, w.client = useLocalScheduler(t, w.s, w.clock.Now)
	w.invoked = useLambdaEndpoint(t, w.s)
	w.s.SetAssetPolicy(asset.Policy{AllowPrivate: true}, "")
	w.setPricing(t, "EUR", map[portal.LicenseModel][2]int64{
		portal.ModelPerAsset: {199, 1990}, portal.ModelPerScan: {195, 1950}, portal.ModelUnlimited: {10000, 60000},
	})
	return w
}

// useLocalScheduler keeps s's schedule triggers in a new local Scheduler
// (its clock now), in the group schedGroup.
func useLocalScheduler(t *testing.T, s *services.Services, now func() time.Time) (*localscheduler.Server, *awsscheduler.Client) {
	t.Helper()
	srv, err := localscheduler.Start(localscheduler.Config{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	client := srv.Client(func(o *awsscheduler.Options) { o.RetryMaxAttempts = 1 })
	if _, err := client.CreateScheduleGroup(context.Background(), &awsscheduler.CreateScheduleGroupInput{Name: aws.String(schedGroup)}); err != nil {
		t.Fatal(err)
	}
	s.UseScheduler(&scheduler.Triggers{Client: client, Config: scheduler.Config{
		Group: schedGroup, TargetARN: "arn:aws:lambda:us-east-1:000000000000:function:scan-dispatch",
		RoleARN: "arn:aws:iam::000000000000:role/scheduler", DeadLetterARN: "arn:aws:sqs:us-east-1:000000000000:dispatch-failures",
	}})
	return srv, client
}

// useLocalBus publishes s's events to a new local EventBridge.
func useLocalBus(t *testing.T, s *services.Services) *localeventbridge.Server {
	t.Helper()
	bus, err := localeventbridge.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Close() })
	s.UseEvents(eventbus.New(bus.Client(), ""))
	return bus
}

// useLambdaEndpoint launches s's scans by invoking scan-run on a
// wire-level Lambda endpoint that records them.
func useLambdaEndpoint(t *testing.T, s *services.Services) *invocations {
	t.Helper()
	inv := &invocations{}
	fn := httptest.NewServer(inv)
	t.Cleanup(fn.Close)
	s.Scans.Launcher = &lambdainvoke.Launcher{Function: "scan-run", Client: lambda.New(lambda.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(fn.URL), Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	})}
	return inv
}

// customerIn creates a customer in a time zone with an unlimited license
// and a verified asset; it returns the customer and the asset's ID.
func (w *schedWorld) customerIn(t *testing.T, admin tenancy.Identity, name, zone string) (portal.Customer, string) {
	t.Helper()
	ctx := ctxOf(admin)
	email := "it@" + strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".example"
	c, err := w.s.Customers.Create(ctx, portal.CustomerInput{Name: &name, ContactEmail: &email, Timezone: &zone})
	if err != nil {
		t.Fatalf("create customer %s: %v", name, err)
	}
	model, period, price, cur := portal.ModelUnlimited, portal.PeriodMonthly, int64(9900), "EUR"
	if _, err := w.s.Licenses.Create(ctx, c.ID, portal.LicenseInput{Model: &model, BillingPeriod: &period,
		EndUserPrice: &portal.MoneyInput{Amount: &price, Currency: &cur}}); err != nil {
		t.Fatalf("license of %s: %v", name, err)
	}
	return c, w.verifiedAsset(t, admin, c, strings.ToLower(strings.ReplaceAll(name, " ", ""))+".example")
}

// verifiedAsset adds an asset and marks it verified in the store (as a
// passed ownership check would).
func (w *schedWorld) verifiedAsset(t *testing.T, admin tenancy.Identity, c portal.Customer, value string) string {
	t.Helper()
	added, err := w.s.Assets.Add(ctxOf(admin), c.ID, []portal.AssetInput{{Value: &value}})
	if err != nil || added.Created != 1 {
		t.Fatalf("add asset %s: %v %+v", value, err, added.Results)
	}
	a := *added.Results[0].Asset
	now := w.clock.Now()
	a.Verified, a.VerificationMethod, a.VerifiedAt, a.LastCheckAt, a.UpdatedAt = true, portal.OwnershipDNSTXT, &now, &now, now
	a.Version++
	scope := tenancy.Scope{PartnerID: c.PartnerID, TenantID: c.ID}
	if err := w.s.Store.UpdateAsset(context.Background(), scope, a); err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// trigger reads a schedule's trigger from the local Scheduler.
func (w *schedWorld) trigger(t *testing.T, scheduleID string) (*awsscheduler.GetScheduleOutput, bool) {
	t.Helper()
	got, err := w.client.GetSchedule(context.Background(), &awsscheduler.GetScheduleInput{Name: aws.String(scheduleID), GroupName: aws.String(schedGroup)})
	var missing *types.ResourceNotFoundException
	if errors.As(err, &missing) {
		return nil, false
	}
	if err != nil {
		t.Fatalf("get trigger %s: %v", scheduleID, err)
	}
	return got, true
}

func weekly(customerIDs []string, day, at string) portal.ScheduleInput {
	light, freq := scan.ProfileLight, "weekly"
	return portal.ScheduleInput{CustomerIDs: customerIDs, Profile: &light, Targets: &portal.ScanTargets{All: true},
		Frequency: &freq, DayOfWeek: &day, StartTime: &at}
}

func TestWeeklyScheduleForCustomersInThreeTimeZones(t *testing.T) {
	w := newSchedWorld(t)
	w.clock.Set(time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)) // a Monday afternoon, a week before New York's spring-forward
	admin := w.admin
	ny, _ := w.customerIn(t, admin, "Hudson Dental", "America/New_York")
	kol, _ := w.customerIn(t, admin, "Kolkata Mills", "Asia/Kolkata")
	ber, _ := w.customerIn(t, admin, "Spree Logistik", "Europe/Berlin")
	other := w.newAdmin()
	foreign, _ := w.customerIn(t, other, "Foreign Co", "UTC")

	results, err := w.s.Schedules.Create(ctxOf(admin), weekly([]string{ny.ID, kol.ID, foreign.ID, ber.ID}, "MON", "09:00"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(results), 4; got != want {
		t.Fatalf("results = %d, want one per customer (%d)", got, want)
	}
	t.Run("TheForeignCustomerIsNotFoundAndGetsNothing", func(t *testing.T) {
		if r := results[2]; r.CustomerID != foreign.ID || portal.ErrorCode(r.Err) != portal.ENOTFOUND {
			t.Fatalf("foreign customer: %+v, want ENOTFOUND", r)
		}
		page, err := w.s.Schedules.List(ctxOf(other), foreign.ID, "", "")
		if err != nil || len(page.Items) != 0 {
			t.Fatalf("foreign customer's schedules = %d (%v), want none", len(page.Items), err)
		}
	})
	t.Run("ACustomerUserListsItsOwnWithoutNamingIt", func(t *testing.T) {
		viewer := tenancy.Identity{UserID: (&portal.ULIDs{}).New(portal.PrefixUser), Role: tenancy.RoleCustomerViewer,
			PartnerID: kol.PartnerID, TenantID: kol.ID, TenantAccess: string(portal.AccessReadOnly), TenantStatus: string(portal.StatusActive)}
		page, err := w.s.Schedules.List(ctxOf(viewer), "", "", "")
		if err != nil || len(page.Items) != 1 || page.Items[0].TenantID != kol.ID {
			t.Fatalf("viewer's list = %+v, %v; want Kolkata's one schedule", page.Items, err)
		}
		if _, err := w.s.Schedules.List(ctxOf(admin), "", "", ""); portal.ErrorCode(err) != portal.EINVALID {
			t.Fatalf("partner admin without customerId: %v, want EINVALID", err)
		}
	})
	t.Run("EachScheduleIsInItsCustomersZone", func(t *testing.T) {
		for i, want := range []string{"America/New_York", "Asia/Kolkata", "", "Europe/Berlin"} {
			if want == "" {
				continue
			}
			if r := results[i]; r.Err != nil || r.Schedule.Timezone != want {
				t.Fatalf("customer %d: %v, zone %q, want created in %s", i, r.Err, r.Schedule.Timezone, want)
			}
		}
	})
	t.Run("NextRunsCrossNewYorksSpringForward", func(t *testing.T) {
		runs := results[0].Schedule.NextRuns(w.clock.Now(), portal.NextRunsShown)
		want := []string{ // 09:00 EST is 14:00Z; from 8 March 09:00 EDT is 13:00Z
			"2026-03-09T13:00:00Z", "2026-03-16T13:00:00Z", "2026-03-23T13:00:00Z", "2026-03-30T13:00:00Z", "2026-04-06T13:00:00Z",
		}
		for i, r := range runs {
			if got := r.UTC.Format(time.RFC3339); got != want[i] {
				t.Fatalf("run %d = %s, want %s", i, got, want[i])
			}
			if got := r.Local.Format("Mon 15:04"); got != "Mon 09:00" {
				t.Fatalf("run %d is %s local, want Mon 09:00", i, got)
			}
		}
		kolRuns := results[1].Schedule.NextRuns(w.clock.Now(), 1)
		if got, want := kolRuns[0].UTC.Format(time.RFC3339), "2026-03-09T03:30:00Z"; got != want {
			t.Fatalf("Kolkata's next run = %s, want %s (09:00 +05:30)", got, want)
		}
	})
	t.Run("EachHasAnEnabledTriggerInScheduler", func(t *testing.T) {
		for _, r := range []portal.ScheduleResult{results[0], results[1], results[3]} {
			got, ok := w.trigger(t, r.Schedule.ID)
			if !ok {
				t.Fatalf("no trigger for %s", r.Schedule.ID)
			}
			if aws.ToString(got.ScheduleExpression) != "cron(0 9 ? * MON *)" || aws.ToString(got.ScheduleExpressionTimezone) != r.Schedule.Timezone ||
				got.State != types.ScheduleStateEnabled || got.FlexibleTimeWindow.Mode != types.FlexibleTimeWindowModeOff {
				t.Fatalf("trigger of %s: %s in %s, %s, window %s", r.Schedule.ID, aws.ToString(got.ScheduleExpression),
					aws.ToString(got.ScheduleExpressionTimezone), got.State, got.FlexibleTimeWindow.Mode)
			}
		}
	})
	t.Run("TheSchedulerFiresThemAtTheirTimesAndEachFireAdmitsAScan", func(t *testing.T) {
		w.sched.OnFire(func(ctx context.Context, inv localscheduler.Invocation) error {
			_, err := w.s.ScanDispatch().Handle(ctx, json.RawMessage(inv.Input))
			return err
		})
		w.sched.Tick(time.Date(2026, 3, 9, 3, 30, 0, 0, time.UTC)) // Kolkata's 09:00
		w.sched.Wait()
		if got := len(w.invoked.list()); got != 1 {
			t.Fatalf("scans launched after Kolkata's fire = %d, want 1", got)
		}
		w.sched.Tick(time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC))  // Berlin's
		w.sched.Tick(time.Date(2026, 3, 9, 13, 0, 0, 0, time.UTC)) // New York's, 09:00 EDT
		w.sched.Wait()
		if got := len(w.invoked.list()); got != 3 {
			t.Fatalf("scans launched = %d, want 3", got)
		}
		page, err := w.s.Scans.List(ctxOf(admin), ny.ID, "", "", "")
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("New York's scans = %d (%v), want 1", len(page.Items), err)
		}
		if sc := page.Items[0]; sc.Trigger != portal.TriggerSchedule || sc.ScheduleID != results[0].Schedule.ID || !sc.AllTargets {
			t.Fatalf("scan = %+v, want a schedule-triggered scan of all targets", sc)
		}
	})
}

func TestBadScheduleRequestsNameTheFieldAndWriteNothing(t *testing.T) {
	w := newSchedWorld(t)
	admin := w.admin
	c, assetID := w.customerIn(t, admin, "Careful Ltd", "Europe/London")
	uv := "unverified.careful.example"
	unverified, err := w.s.Assets.Add(ctxOf(admin), c.ID, []portal.AssetInput{{Value: &uv}})
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	num := func(n int) *int { return &n }
	many := make([]string, portal.MaxScheduleCustomers+1)
	for i := range many {
		many[i] = (&portal.ULIDs{}).New(portal.PrefixCustomer)
	}
	one := []string{c.ID}
	cases := []struct {
		name, field string
		edit        func(*portal.ScheduleInput)
	}{
		{"UnknownTimeZone", "timezone", func(in *portal.ScheduleInput) { in.Timezone = str("Mars/Olympus") }},
		{"HourOutOfRange", "startTime", func(in *portal.ScheduleInput) { in.StartTime = str("25:00") }},
		{"DayOfMonthZero", "dayOfMonth", func(in *portal.ScheduleInput) {
			in.Frequency, in.DayOfWeek, in.DayOfMonth = str("monthly"), nil, num(0)
		}},
		{"DayOfMonth32", "dayOfMonth", func(in *portal.ScheduleInput) {
			in.Frequency, in.DayOfWeek, in.DayOfMonth = str("monthly"), nil, num(32)
		}},
		{"WeeklyWithoutDayOfWeek", "dayOfWeek", func(in *portal.ScheduleInput) { in.DayOfWeek = nil }},
		{"UnknownFrequency", "frequency", func(in *portal.ScheduleInput) { in.Frequency = str("hourly") }},
		{"MoreThan500Customers", "customerIds", func(in *portal.ScheduleInput) { in.CustomerIDs = many }},
		{"NoCustomers", "customerIds", func(in *portal.ScheduleInput) { in.CustomerIDs = nil }},
		{"FlexibleWindowTooLong", "flexibleWindowMinutes", func(in *portal.ScheduleInput) { in.FlexibleWindowMinutes = num(1441) }},
		{"UnverifiedTarget", "targets[1]", func(in *portal.ScheduleInput) {
			in.Targets = &portal.ScanTargets{IDs: []string{assetID, unverified.Results[0].Asset.ID}}
		}},
		{"AssetTargetsForTwoCustomers", "targets", func(in *portal.ScheduleInput) {
			in.CustomerIDs = []string{c.ID, (&portal.ULIDs{}).New(portal.PrefixCustomer)}
			in.Targets = &portal.ScanTargets{IDs: []string{assetID}}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := weekly(one, "MON", "09:00")
			tc.edit(&in)
			before := len(w.sched.Requests())
			_, err := w.s.Schedules.Create(ctxOf(admin), in)
			var pe *portal.Error
			if !asError(err, &pe) || pe.Code != portal.EINVALID || !slices.ContainsFunc(pe.Fields, func(f portal.FieldError) bool { return f.Field == tc.field }) {
				t.Fatalf("err = %v (%+v), want EINVALID naming %s", err, pe, tc.field)
			}
			if got := len(w.sched.Requests()); got != before {
				t.Fatalf("the scheduler got %d requests, want none", got-before)
			}
		})
	}
	page, err := w.s.Schedules.List(ctxOf(admin), c.ID, "", "")
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("schedules stored = %d (%v), want none", len(page.Items), err)
	}
}

func TestScheduleAndItsTriggerStayConsistent(t *testing.T) {
	w := newSchedWorld(t)
	admin := w.admin
	ctx := ctxOf(admin)
	c, _ := w.customerIn(t, admin, "Steady AG", "Europe/Zurich")

	t.Run("ASchedulerFailureCreatesNothing", func(t *testing.T) {
		w.sched.FailNext(1, "ThrottlingException")
		results, err := w.s.Schedules.Create(ctx, weekly([]string{c.ID}, "TUE", "07:30"))
		if err != nil || portal.ErrorCode(results[0].Err) != portal.EUNAVAILABLE {
			t.Fatalf("create = %v / %+v, want the customer's result EUNAVAILABLE", err, results)
		}
		page, _ := w.s.Schedules.List(ctx, c.ID, "", "")
		if len(page.Items) != 0 {
			t.Fatalf("stored %d schedules, want none", len(page.Items))
		}
	})
	results, err := w.s.Schedules.Create(ctx, weekly([]string{c.ID}, "TUE", "07:30"))
	if err != nil || results[0].Err != nil {
		t.Fatalf("create: %v %+v", err, results)
	}
	sc := results[0].Schedule
	t.Run("AFailedUpdateChangesNeitherSide", func(t *testing.T) {
		w.sched.FailNext(1, "ThrottlingException")
		at := "18:00"
		if _, err := w.s.Schedules.Update(ctx, c.ID, sc.ID, portal.ScheduleInput{StartTime: &at}); portal.ErrorCode(err) != portal.EUNAVAILABLE {
			t.Fatalf("update = %v, want EUNAVAILABLE", err)
		}
		got, _ := w.s.Schedules.Get(ctx, c.ID, sc.ID)
		trig, _ := w.trigger(t, sc.ID)
		if got.StartTime != "07:30" || aws.ToString(trig.ScheduleExpression) != "cron(30 7 ? * TUE *)" {
			t.Fatalf("after a failed update: stored %s, trigger %s; want 07:30 on both", got.StartTime, aws.ToString(trig.ScheduleExpression))
		}
	})
	t.Run("AnUpdateChangesBoth", func(t *testing.T) {
		at, freq, day, window := "23:45", "monthly", 31, 30
		got, err := w.s.Schedules.Update(ctx, c.ID, sc.ID, portal.ScheduleInput{StartTime: &at, Frequency: &freq, DayOfMonth: &day, FlexibleWindowMinutes: &window})
		if err != nil || got.DayOfWeek != "" || got.DayOfMonth != 31 || got.Version != 2 {
			t.Fatalf("update = %+v, %v; want monthly on the 31st, no day of week, version 2", got, err)
		}
		trig, _ := w.trigger(t, sc.ID)
		if aws.ToString(trig.ScheduleExpression) != "cron(45 23 L * ? *)" || aws.ToInt32(trig.FlexibleTimeWindow.MaximumWindowInMinutes) != 30 {
			t.Fatalf("trigger = %s window %d, want the last day of the month at 23:45 within 30 minutes",
				aws.ToString(trig.ScheduleExpression), aws.ToInt32(trig.FlexibleTimeWindow.MaximumWindowInMinutes))
		}
	})
	// statusChanged delivers what the usage stream publishes when a
	// customer's status changes.
	statusChanged := func(t *testing.T) {
		t.Helper()
		if _, err := w.s.Dispatch.CustomerStatusChanged(context.Background(), portal.CustomerStatusChange{PartnerID: c.PartnerID, TenantID: c.ID}); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("SuspendingPausesResumingRestarts", func(t *testing.T) {
		if _, err := w.s.Customers.Suspend(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		statusChanged(t)
		if trig, _ := w.trigger(t, sc.ID); trig.State != types.ScheduleStateDisabled {
			t.Fatalf("trigger of a suspended customer is %s, want DISABLED", trig.State)
		}
		got, err := w.s.Schedules.Get(ctx, c.ID, sc.ID)
		if err != nil || !got.Paused || len(got.NextRuns(w.clock.Now(), 5)) != 0 {
			t.Fatalf("schedule of a suspended customer: paused %v, next runs %v (%v); want paused, none", got.Paused, got.NextRuns(w.clock.Now(), 5), err)
		}
		if _, err := w.s.Customers.Resume(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		statusChanged(t)
		if trig, _ := w.trigger(t, sc.ID); trig.State != types.ScheduleStateEnabled {
			t.Fatalf("trigger after resume is %s, want ENABLED", trig.State)
		}
	})
	t.Run("AFailedDeleteKeepsBoth", func(t *testing.T) {
		w.sched.FailNext(1, "ThrottlingException")
		if err := w.s.Schedules.Delete(ctx, c.ID, sc.ID); portal.ErrorCode(err) != portal.EUNAVAILABLE {
			t.Fatalf("delete = %v, want EUNAVAILABLE", err)
		}
		if _, err := w.s.Schedules.Get(ctx, c.ID, sc.ID); err != nil {
			t.Fatalf("schedule after a failed delete: %v", err)
		}
		if _, ok := w.trigger(t, sc.ID); !ok {
			t.Fatal("the trigger is gone after a failed delete")
		}
	})
	t.Run("ADeleteRemovesBoth", func(t *testing.T) {
		if err := w.s.Schedules.Delete(ctx, c.ID, sc.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.Schedules.Get(ctx, c.ID, sc.ID); portal.ErrorCode(err) != portal.ENOTFOUND {
			t.Fatalf("get after delete = %v, want ENOTFOUND", err)
		}
		if _, ok := w.trigger(t, sc.ID); ok {
			t.Fatal("the trigger outlived its schedule")
		}
	})
	t.Run("ArchivingPausesTheCustomersSchedules", func(t *testing.T) {
		res, _ := w.s.Schedules.Create(ctx, weekly([]string{c.ID}, "FRI", "12:00"))
		if _, err := w.s.Customers.Archive(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		statusChanged(t)
		if trig, _ := w.trigger(t, res[0].Schedule.ID); trig.State != types.ScheduleStateDisabled {
			t.Fatalf("trigger of an archived customer is %s, want DISABLED", trig.State)
		}
	})
}

func TestEachFireAdmitsAtMostOneScan(t *testing.T) {
	w := newSchedWorld(t)
	w.clock.Set(time.Date(2026, 5, 4, 6, 0, 0, 0, time.UTC))
	admin := w.admin
	c, _ := w.customerIn(t, admin, "Once Only Inc", "America/New_York")
	res, err := w.s.Schedules.Create(ctxOf(admin), weekly([]string{c.ID}, "MON", "09:00"))
	if err != nil || res[0].Err != nil {
		t.Fatalf("create: %v %+v", err, res)
	}
	sc := res[0].Schedule
	fire := func(at string, version int64) portal.ScheduleFire {
		return portal.ScheduleFire{PartnerID: sc.PartnerID, TenantID: sc.TenantID, ScheduleID: sc.ID, Version: version, ScheduledTime: at}
	}
	dispatch := w.s.ScanDispatch()
	deliver := func(f portal.ScheduleFire) portal.Dispatched {
		b, _ := json.Marshal(f)
		out, err := dispatch.Handle(context.Background(), b)
		if err != nil {
			t.Fatalf("dispatch %+v: %v", f, err)
		}
		return out
	}

	t.Run("TwentyConcurrentDeliveriesOfOneFire", func(t *testing.T) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var all portal.Dispatched
		for range 20 {
			wg.Go(func() {
				out := deliver(fire("2026-05-04T13:00:00Z", sc.Version))
				mu.Lock()
				all.Admitted, all.Duplicates = append(all.Admitted, out.Admitted...), append(all.Duplicates, out.Duplicates...)
				mu.Unlock()
			})
		}
		wg.Wait()
		if len(all.Admitted) != 1 || len(all.Duplicates) != 19 {
			t.Fatalf("admitted %d, duplicates %d; want 1 and 19", len(all.Admitted), len(all.Duplicates))
		}
		page, _ := w.s.Scans.List(ctxOf(admin), c.ID, "", "", "")
		if len(page.Items) != 1 {
			t.Fatalf("scans stored = %d, want 1", len(page.Items))
		}
	})
	t.Run("ALateRedeliveryIsStillTheSameFire", func(t *testing.T) {
		launched := len(w.invoked.list())
		w.clock.Set(time.Date(2026, 5, 4, 13, 50, 0, 0, time.UTC))
		if out := deliver(fire("2026-05-04T13:00:00Z", sc.Version)); len(out.Admitted) != 0 || len(out.Duplicates) != 1 {
			t.Fatalf("late redelivery: %+v, want a duplicate", out)
		}
		// The scan is still queued hours after its admission (its launch
		// was lost): the redelivery launches it again.
		if got := len(w.invoked.list()); got != launched+1 {
			t.Fatalf("launches = %d, want %d (the stuck scan launched again)", got, launched+1)
		}
	})
	t.Run("TheNextFireIsANewScan", func(t *testing.T) {
		if out := deliver(fire("2026-05-11T13:00:00Z", sc.Version)); len(out.Admitted) != 1 {
			t.Fatalf("next week's fire: %+v, want one scan admitted", out)
		}
	})
	t.Run("AFireAtAnotherTimeIsNotTheSchedules", func(t *testing.T) {
		if out := deliver(fire("2026-05-05T13:00:00Z", sc.Version)); len(out.Admitted)+len(out.Duplicates) != 0 || len(out.Skipped) != 1 {
			t.Fatalf("a Tuesday fire of a Monday schedule: %+v, want skipped", out)
		}
	})
	t.Run("AStaleTriggerIsBroughtUpToDate", func(t *testing.T) {
		// The trigger says version 7 (an update whose store write never
		// happened): dispatch rewrites it from the stored schedule.
		deliver(fire("2026-05-18T13:00:00Z", 7))
		trig, _ := w.trigger(t, sc.ID)
		if !strings.Contains(aws.ToString(trig.Target.Input), fmt.Sprintf(`"version":%d`, sc.Version)) {
			t.Fatalf("trigger input %s, want version %d", aws.ToString(trig.Target.Input), sc.Version)
		}
	})
	t.Run("ATriggerWithoutScheduleIsDeleted", func(t *testing.T) {
		orphan := (&portal.ULIDs{}).New(portal.PrefixSchedule)
		tr := portal.ScheduleTrigger{ScheduleID: orphan, PartnerID: sc.PartnerID, TenantID: sc.TenantID, Version: 1,
			Expression: "cron(0 9 ? * MON *)", Timezone: "UTC", Enabled: true}
		if err := w.s.Schedules.Triggers.Create(context.Background(), tr); err != nil {
			t.Fatal(err)
		}
		out := deliver(portal.ScheduleFire{PartnerID: sc.PartnerID, TenantID: sc.TenantID, ScheduleID: orphan, Version: 1, ScheduledTime: "2026-05-18T09:00:00Z"})
		if len(out.Admitted) != 0 {
			t.Fatalf("an orphan trigger admitted %v", out.Admitted)
		}
		if _, ok := w.trigger(t, orphan); ok {
			t.Fatal("the orphan trigger is still there")
		}
	})
	t.Run("AFireWithinTheFlexibleWindowIsTheSameFire", func(t *testing.T) {
		window := 30
		updated, err := w.s.Schedules.Update(ctxOf(admin), c.ID, sc.ID, portal.ScheduleInput{FlexibleWindowMinutes: &window})
		if err != nil {
			t.Fatal(err)
		}
		first := deliver(fire("2026-06-01T13:17:00Z", updated.Version)) // 17 minutes into the window
		again := deliver(fire("2026-06-01T13:00:00Z", updated.Version))
		late := deliver(fire("2026-06-01T13:45:00Z", updated.Version)) // beyond it
		if len(first.Admitted) != 1 || len(again.Duplicates) != 1 || len(late.Admitted)+len(late.Duplicates) != 0 {
			t.Fatalf("within the window: %+v; nominal time: %+v; beyond: %+v", first, again, late)
		}
		sc = updated
	})
	t.Run("AFireOfADisabledScheduleAdmitsNothing", func(t *testing.T) {
		off := false
		if _, err := w.s.Schedules.Update(ctxOf(admin), c.ID, sc.ID, portal.ScheduleInput{Enabled: &off}); err != nil {
			t.Fatal(err)
		}
		if out := deliver(fire("2026-05-25T13:00:00Z", sc.Version+1)); len(out.Admitted) != 0 {
			t.Fatalf("a disabled schedule admitted %v", out.Admitted)
		}
	})
}

func TestANewAssetIsScannedOnlyWhereAScheduleAsksForIt(t *testing.T) {
	w := newSchedWorld(t)
	admin := w.admin
	ctx := ctxOf(admin)
	eager, _ := w.customerIn(t, admin, "Eager GmbH", "Europe/Berlin")
	calm, _ := w.customerIn(t, admin, "Calm GmbH", "Europe/Berlin")
	on := true
	in := weekly([]string{eager.ID}, "WED", "10:00")
	in.OnNewAsset = &on
	full := scan.ProfileFull
	if _, err := w.s.Schedules.Create(ctx, in); err != nil {
		t.Fatal(err)
	}
	in.Profile = &full
	if _, err := w.s.Schedules.Create(ctx, in); err != nil { // a second schedule with another profile
		t.Fatal(err)
	}
	if _, err := w.s.Schedules.Create(ctx, weekly([]string{calm.ID}, "WED", "10:00")); err != nil {
		t.Fatal(err)
	}
	discovered := func(c portal.Customer, assetID string) portal.Dispatched {
		t.Helper()
		a, err := w.s.Assets.Get(ctx, c.ID, assetID)
		if err != nil {
			t.Fatal(err)
		}
		ev, _ := json.Marshal(map[string]any{
			"version": "0", "id": "ev-1", "detail-type": portal.DetailAssetDiscovered, "source": portal.SourceAssets,
			"detail": map[string]any{"assetId": a.ID, "partnerId": a.PartnerID, "customerId": a.TenantID, "value": a.Value,
				"verifiedAt": a.VerifiedAt.Format(time.RFC3339Nano)},
		})
		out, err := w.s.ScanDispatch().Handle(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	newOne := w.verifiedAsset(t, admin, eager, "new.eager.example")
	if out := discovered(eager, newOne); len(out.Admitted) != 2 {
		t.Fatalf("eager customer: %+v, want one scan per profile (light and full)", out)
	}
	if out := discovered(eager, newOne); len(out.Admitted) != 0 || len(out.Duplicates) != 2 {
		t.Fatalf("the same event again: %+v, want two duplicates", out)
	}
	page, _ := w.s.Scans.List(ctx, eager.ID, "", "", "")
	for _, sc := range page.Items {
		if sc.Trigger != portal.TriggerNewAsset || !slices.Equal(sc.AssetIDs, []string{newOne}) {
			t.Fatalf("scan %+v, want a new-asset scan of %s only", sc, newOne)
		}
	}
	if out := discovered(calm, w.verifiedAsset(t, admin, calm, "new.calm.example")); len(out.Admitted) != 0 {
		t.Fatalf("calm customer: %+v, want no scan (no schedule asks for it)", out)
	}
}

// The sample deliveries in events/scan-dispatch-*.json replayed through
// the scan-dispatch handler: a Scheduler fire, "Asset Discovered" and
// "Vulnerability Database Updated" as EventBridge hands them to a rule's
// target. Each admits one scan, and its second delivery none.
func TestSampleScanDispatchEvents(t *testing.T) {
	s := sampleevents.Services(t)
	_, triggers := useLocalScheduler(t, s, func() time.Time { return eventsNow })
	invoked := useLambdaEndpoint(t, s)
	ctx := context.Background()
	scope := tenancy.Scope{PartnerID: partnerID, TenantID: licensedID}
	verified := eventsNow.Add(-2 * time.Minute)
	norm, err := asset.Normalize("www.beta.example", false, asset.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	seen, err := s.Store.AssetCounter(ctx, scope, licensedID)
	if err != nil {
		t.Fatal(err)
	}
	a := portal.Asset{ID: portal.AssetID(norm.Value), PartnerID: partnerID, TenantID: licensedID, Value: norm.Value, Type: norm.Type,
		Host: norm.Host, RegisteredDomain: norm.RegisteredDomain, Tags: []string{}, Criticality: portal.CriticalityMedium, VerificationToken: "t",
		Verified: true, VerificationMethod: portal.OwnershipDNSTXT, VerifiedAt: &verified, CreatedAt: eventsNow, UpdatedAt: eventsNow, Version: 1}
	if _, err := s.Store.AddAssets(ctx, scope, []portal.Asset{a}, seen); err != nil {
		t.Fatal(err)
	}
	if err := s.Store.PutSchedule(ctx, scope, portal.Schedule{ID: "sch_01JD0000000000000000000010", PartnerID: partnerID, TenantID: licensedID,
		Profile: scan.ProfileLight, AllTargets: true, Frequency: "weekly", DayOfWeek: "MON", StartTime: "09:00", Timezone: "UTC", Enabled: true,
		OnNewAsset: true, OnVulnDBUpdate: true, CreatedBy: adminID, CreatedAt: eventsNow, UpdatedAt: eventsNow, Version: 1}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ event, trigger string }{
		{"scan-dispatch-schedule-fire.json", "schedule"},
		{"scan-dispatch-asset-discovered.json", "new_asset"},
		{"scan-dispatch-vulndb-updated.json", "vulndb_update"},
	} {
		t.Run(tc.event, func(t *testing.T) {
			var payload json.RawMessage
			sampleevents.Read(t, tc.event, &payload)
			for delivery, want := range []int{1, 0} {
				out, err := s.ScanDispatch().Handle(ctx, payload)
				if err != nil || len(out.Admitted) != want {
					t.Fatalf("delivery %d: %+v, %v; want %d admitted", delivery+1, out, err, want)
				}
				if want == 1 {
					sc, err := s.Store.GetScan(ctx, scope, licensedID, out.Admitted[0])
					if err != nil || string(sc.Trigger) != tc.trigger || sc.ScheduleID != "sch_01JD0000000000000000000010" {
						t.Fatalf("scan %+v, %v; want trigger %s of the schedule", sc, err, tc.trigger)
					}
				}
			}
		})
	}
	if got := len(invoked.list()); got != 3 {
		t.Fatalf("scan-run invoked %d times, want 3", got)
	}
	t.Run("scan-dispatch-customer-status-changed.json", func(t *testing.T) {
		// The customer is active: its schedule's trigger is put enabled,
		// however often the change is delivered.
		var payload json.RawMessage
		sampleevents.Read(t, "scan-dispatch-customer-status-changed.json", &payload)
		for delivery := range 2 {
			if out, err := s.ScanDispatch().Handle(ctx, payload); err != nil || len(out.Admitted)+len(out.Skipped) != 0 {
				t.Fatalf("delivery %d: %+v, %v; want the triggers synced, nothing admitted or skipped", delivery+1, out, err)
			}
			got, err := triggers.GetSchedule(ctx, &awsscheduler.GetScheduleInput{Name: aws.String("sch_01JD0000000000000000000010"), GroupName: aws.String(schedGroup)})
			if err != nil || got.State != types.ScheduleStateEnabled {
				t.Fatalf("delivery %d: trigger %+v, %v; want ENABLED", delivery+1, got, err)
			}
		}
	})
}

package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsscheduler "github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/localscheduler"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/scan"
	"github.com/partnerportal/portal/internal/scheduler"
	"github.com/partnerportal/portal/internal/tenancy"
)

// Scans > Schedules. The services' clock is ddbtest.Now.

// nextRun is the first time after ddbtest.Now, counted from it by
// calendar, that is 09:00 on the wall clock of zone on a day that ok
// accepts, shown as the console shows runs in the zone show.
func nextRun(t *testing.T, zone string, ok func(time.Weekday) bool, show string, after int) string {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	showLoc, err := time.LoadLocation(show)
	if err != nil {
		t.Fatal(err)
	}
	now := ddbtest.Now.In(loc)
	for d := 0; ; d++ {
		at := time.Date(now.Year(), now.Month(), now.Day()+d, 9, 0, 0, 0, loc)
		if at.After(ddbtest.Now) && ok(at.Weekday()) {
			if after == 0 {
				return at.In(showLoc).Format("Mon 2 Jan 2006, 15:04 MST")
			}
			after--
		}
	}
}

func monday(d time.Weekday) bool { return d == time.Monday }
func anyDay(time.Weekday) bool   { return true }

// schedHarness is a harness whose services keep schedule triggers in a
// wire-level local EventBridge Scheduler (services.New has none, so
// creating a schedule would answer EUNAVAILABLE).
func schedHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t)
	srv, err := localscheduler.Start(localscheduler.Config{Now: ddbtest.Clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	client := srv.Client(func(o *awsscheduler.Options) { o.RetryMaxAttempts = 1 })
	const group = "partner-portal-scans"
	if _, err := client.CreateScheduleGroup(context.Background(), &awsscheduler.CreateScheduleGroupInput{Name: aws.String(group)}); err != nil {
		t.Fatal(err)
	}
	h.s.UseScheduler(&scheduler.Triggers{Client: client, Config: scheduler.Config{
		Group: group, TargetARN: "arn:aws:lambda:us-east-1:000000000000:function:scan-dispatch",
		RoleARN: "arn:aws:iam::000000000000:role/scheduler", DeadLetterARN: "arn:aws:sqs:us-east-1:000000000000:dispatch-failures",
	}})
	return h
}

// newSchedCustomer creates a customer of partner A in zone.
func newSchedCustomer(t *testing.T, h *harness, name, zone string) portal.Customer {
	t.Helper()
	cu, err := h.s.Customers.Create(h.as(h.Admin), portal.CustomerInput{
		Name: &name, ContactEmail: ptr("it@" + strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".example"), Timezone: &zone,
	})
	if err != nil {
		t.Fatalf("create customer %s: %v", name, err)
	}
	return cu
}

// schedulesOfCustomer lists a customer's schedules through the service.
func schedulesOfCustomer(t *testing.T, h *harness, customerID string) []portal.Schedule {
	t.Helper()
	page, err := h.s.Schedules.List(h.as(h.Admin), customerID, "", "")
	if err != nil {
		t.Fatalf("list schedules of %s: %v", customerID, err)
	}
	return page.Items
}

// weeklyForm is the Create Schedule form for Mondays at 09:00.
func weeklyForm(action string, customerIDs ...string) url.Values {
	return url.Values{
		"customerIds": customerIDs, "profile": {"light"}, "targets": {"all"}, "frequency": {"weekly"},
		"dayOfWeek": {"MON"}, "dayOfMonth": {"1"}, "startTime": {"09:00"}, "timezone": {""}, "flexibleWindowMinutes": {"0"},
		"action": {action},
	}
}

func TestSchedulesPage(t *testing.T) {
	h := schedHarness(t)
	acme := newSchedCustomer(t, h, "Acme Dental", "Europe/Berlin")
	beta := newSchedCustomer(t, h, "Beta Logistics", "America/New_York")
	str := func(s string) *string { return &s }
	profile := scan.ProfileFull
	if _, err := h.s.Schedules.Create(h.as(h.Admin), portal.ScheduleInput{CustomerIDs: []string{acme.ID}, Profile: &profile,
		Targets: &portal.ScanTargets{All: true}, Frequency: str("weekly"), DayOfWeek: str("MON"), StartTime: str("09:00")}); err != nil {
		t.Fatal(err)
	}
	h.signInAdmin()

	t.Run("WithoutACustomerOffersAPicker", func(t *testing.T) {
		res := h.get(Base + "/scans/schedules")
		if res.status != http.StatusOK {
			t.Fatalf("status %d, want 200", res.status)
		}
		res.mustContain(t, "Schedules are listed per customer", `name="q"`,
			`href="/console/scans/schedules?customerId=`+acme.ID+`">Acme Dental`, `href="/console/scans/schedules?customerId=`+beta.ID+`">Beta Logistics`,
			`class="button" href="/console/scans/schedules/new">Create Schedule</a>`)
	})
	t.Run("ThePickerSearchesByName", func(t *testing.T) {
		res := h.get(Base + "/scans/schedules?pick=1&q=bet")
		res.mustContain(t, "Beta Logistics")
		res.mustNotContain(t, "Acme Dental")
	})
	t.Run("ListsTheNamedCustomersSchedules", func(t *testing.T) {
		res := h.get(Base + "/scans/schedules?customerId=" + acme.ID)
		if res.status != http.StatusOK {
			t.Fatalf("status %d, want 200", res.status)
		}
		res.mustContain(t, "<h1>Schedules of Acme Dental</h1>", "Full: light plus open ports", "All verified assets", "Weekly on Monday",
			"09:00 Europe/Berlin", nextRun(t, "Europe/Berlin", monday, "Europe/Berlin", 0), nextRun(t, "Europe/Berlin", monday, "Europe/Berlin", 1), ">Enabled<", ">Pause</button>", ">Delete</button>",
			`href="/console/scans/schedules/new?customerId=`+acme.ID+`">Create Schedule</a>`)
		other := h.get(Base + "/scans/schedules?customerId=" + beta.ID)
		other.mustContain(t, "Beta Logistics has no schedules yet")
		other.mustNotContain(t, "Weekly on Monday")
	})
	t.Run("AnotherPartnersCustomerIsNotFound", func(t *testing.T) {
		if res := h.get(Base + "/scans/schedules?customerId=cus_01JD0000000000000000000000"); res.status != http.StatusNotFound {
			t.Fatalf("status %d, want 404", res.status)
		}
	})
	t.Run("TheCustomerSwitchedToIsListed", func(t *testing.T) {
		if res := h.post(Base+"/switch", url.Values{"customerId": {acme.ID}}); res.status != http.StatusSeeOther {
			t.Fatalf("switch: status %d", res.status)
		}
		res := h.get(Base + "/scans/schedules")
		res.mustContain(t, "<h1>Schedules of Acme Dental</h1>", "Weekly on Monday", "Choose another customer")
		h.get(Base+"/scans/schedules?pick=1").mustContain(t, "Schedules are listed per customer")
		h.post(Base+"/switch", url.Values{"customerId": {""}})
	})
	t.Run("PauseResumeAndDelete", func(t *testing.T) {
		sc := schedulesOfCustomer(t, h, acme.ID)[0]
		base := Base + "/scans/schedules/" + acme.ID + "/" + sc.ID
		res := h.post(base+"/pause", url.Values{})
		if res.status != http.StatusSeeOther || res.location() != "/console/scans/schedules?customerId="+acme.ID {
			t.Fatalf("pause: status %d to %q, want 303 to the list", res.status, res.location())
		}
		if got := schedulesOfCustomer(t, h, acme.ID)[0]; got.Enabled {
			t.Fatal("the schedule is still enabled after Pause")
		}
		page := h.get(res.location())
		page.mustContain(t, "Paused the schedule Weekly on Monday at 09:00 Europe/Berlin: it does not run until resumed.", ">Paused<", ">Resume</button>", "none while paused")
		if res := h.post(base+"/resume", url.Values{}); res.status != http.StatusSeeOther || !schedulesOfCustomer(t, h, acme.ID)[0].Enabled {
			t.Fatalf("resume: status %d; the schedule is not enabled again", res.status)
		}
		if res := h.post(base+"/delete", url.Values{"csrf": {"wrong"}}); res.status != http.StatusForbidden || len(schedulesOfCustomer(t, h, acme.ID)) != 1 {
			t.Fatalf("delete with a forged form: status %d, want 403 and the schedule kept", res.status)
		}
		if res := h.post(base+"/delete", url.Values{}); res.status != http.StatusSeeOther || len(schedulesOfCustomer(t, h, acme.ID)) != 0 {
			t.Fatalf("delete: status %d; schedules left %d", res.status, len(schedulesOfCustomer(t, h, acme.ID)))
		}
		h.get(Base+"/scans/schedules?customerId="+acme.ID).mustContain(t, "Deleted the schedule.", "Acme Dental has no schedules yet")
	})
}

func TestCreateSchedule(t *testing.T) {
	h := schedHarness(t)
	acme := newSchedCustomer(t, h, "Acme Dental", "Europe/Berlin")
	beta := newSchedCustomer(t, h, "Beta Logistics", "America/New_York")
	quiet := newSchedCustomer(t, h, "Quiet Co", "Asia/Kolkata")
	if _, err := h.s.Customers.Suspend(h.as(h.Admin), quiet.ID); err != nil {
		t.Fatal(err)
	}
	gone := newSchedCustomer(t, h, "Gone Ltd", "UTC")
	if _, err := h.s.Customers.Archive(h.as(h.Admin), gone.ID); err != nil {
		t.Fatal(err)
	}
	h.signInAdmin()
	nothingWritten := func(t *testing.T) {
		t.Helper()
		for _, cu := range []portal.Customer{acme, beta, quiet} {
			if n := len(schedulesOfCustomer(t, h, cu.ID)); n != 0 {
				t.Fatalf("%s has %d schedules, want none", cu.Name, n)
			}
		}
	}

	t.Run("ListsCustomersAsFilterableCheckboxesAndTicksTheOneNamed", func(t *testing.T) {
		res := h.get(Base + "/scans/schedules/new?customerId=" + beta.ID)
		if res.status != http.StatusOK {
			t.Fatalf("status %d, want 200", res.status)
		}
		res.mustContain(t, `data-filter="#customer-choices"`, `id="customer-choices"`, `<label for="customer-filter">`,
			`data-name="Acme Dental"`, `data-name="Beta Logistics"`,
			`value="`+beta.ID+`" checked>`, `value="`+acme.ID+`">`,
			`<option value="" selected>Each customer&#39;s own time zone</option>`, // the customers' own zones by default
			`name="startTime" type="time"`, `name="onNewAsset"`, `name="onVulnDbUpdate"`,
			`name="action" value="preview"`, `name="action" value="create"`)
		res.mustNotContain(t, `value="`+acme.ID+`" checked>`, "Gone Ltd")
	})
	t.Run("TheServerSideSearchNarrowsTheListAndKeepsTheTick", func(t *testing.T) {
		res := h.get(Base + "/scans/schedules/new?q=acme&customerId=" + beta.ID)
		res.mustContain(t, `data-name="Acme Dental"`, `value="`+beta.ID+`" checked>`)
	})
	t.Run("WithoutACustomerTheZoneIsStillEachCustomersOwn", func(t *testing.T) {
		h.get(Base+"/scans/schedules/new").mustContain(t, `<option value="" selected>Each customer&#39;s own time zone</option>`)
	})
	t.Run("PreviewShowsEachCustomersNextRunsAndWritesNothing", func(t *testing.T) {
		res := h.post(Base+"/scans/schedules/new", weeklyForm("preview", acme.ID, beta.ID, quiet.ID))
		if res.status != http.StatusOK {
			t.Fatalf("status %d, want 200\n%s", res.status, res.body)
		}
		res.mustContain(t, "Next runs", "Nothing has been saved yet",
			"Acme Dental", nextRun(t, "Europe/Berlin", monday, "Europe/Berlin", 0), nextRun(t, "Europe/Berlin", monday, "Europe/Berlin", 4),
			"Beta Logistics", nextRun(t, "America/New_York", monday, "America/New_York", 0),
			"Quiet Co", "The customer is suspended",
			`value="`+acme.ID+`" checked>`, `value="`+beta.ID+`" checked>`)
		nothingWritten(t)
	})
	t.Run("PreviewInOneZoneShowsRunsInTheCustomersZone", func(t *testing.T) {
		form := weeklyForm("preview", beta.ID)
		form.Set("timezone", "Europe/London")
		res := h.post(Base+"/scans/schedules/new", form)
		res.mustContain(t, "The schedule runs at 09:00 Europe/London", nextRun(t, "Europe/London", monday, "America/New_York", 0))
		nothingWritten(t)
	})
	t.Run("InvalidInputIsShownNextToTheFieldsAndNothingIsWritten", func(t *testing.T) {
		form := weeklyForm("create")
		form.Set("startTime", "25:00")
		res := h.post(Base+"/scans/schedules/new", form)
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422\n%s", res.status, res.body)
		}
		res.mustContain(t, `id="f-customerIds-error">Choose at least one customer`, `id="f-startTime-error">Start time &#34;25:00&#34; is not a time of day`,
			`aria-describedby="f-startTime-hint f-startTime-error"`, `value="25:00"`)
		form = weeklyForm("preview", acme.ID)
		form.Set("frequency", "monthly")
		form.Set("dayOfMonth", "32")
		res = h.post(Base+"/scans/schedules/new", form)
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422", res.status)
		}
		res.mustContain(t, `id="f-dayOfMonth-error">Day of the month must be from 1 to 31`, `value="`+acme.ID+`" checked>`)
		nothingWritten(t)
	})
	t.Run("AForgedFormIsRefused", func(t *testing.T) {
		form := weeklyForm("create", acme.ID)
		form.Set("csrf", "wrong")
		if res := h.post(Base+"/scans/schedules/new", form); res.status != http.StatusForbidden {
			t.Fatalf("status %d, want 403", res.status)
		}
		nothingWritten(t)
	})
	t.Run("CreatesOneScheduleForEachCustomer", func(t *testing.T) {
		form := weeklyForm("create", acme.ID, beta.ID)
		form.Set("onVulnDbUpdate", "on")
		res := h.post(Base+"/scans/schedules/new", form)
		if res.status != http.StatusSeeOther || res.location() != "/console/scans/schedules" {
			t.Fatalf("status %d to %q, want 303 to the schedules\n%s", res.status, res.location(), res.body)
		}
		for _, cu := range []portal.Customer{acme, beta} {
			got := schedulesOfCustomer(t, h, cu.ID)
			if len(got) != 1 || got[0].Timezone != cu.Timezone || got[0].DayOfWeek != "MON" || got[0].StartTime != "09:00" || !got[0].OnVulnDBUpdate || got[0].OnNewAsset {
				t.Fatalf("%s's schedules = %+v, want one, Mondays 09:00 in %s, on vulnerability-database updates", cu.Name, got, cu.Timezone)
			}
		}
		h.get(Base+"/scans/schedules?customerId="+beta.ID).mustContain(t, "Created 2 schedules for Acme Dental, Beta Logistics.", "Weekly on Monday", "vulnerability database update")
	})
	t.Run("ACustomerThatCannotBeScheduledIsNamedWithItsReason", func(t *testing.T) {
		res := h.post(Base+"/scans/schedules/new", weeklyForm("create", quiet.ID, gone.ID))
		if res.status != http.StatusOK {
			t.Fatalf("status %d, want 200 (one created)\n%s", res.status, res.body)
		}
		res.mustContain(t, "Created 1 schedule: Quiet Co.", "No schedule was created for 1 customer", "<strong>Gone Ltd</strong>: customer "+gone.ID+" is archived",
			`value="`+gone.ID+`" checked>`, "submit again to retry them")
		res.mustNotContain(t, `value="`+quiet.ID+`" checked>`)
		if got := schedulesOfCustomer(t, h, quiet.ID); len(got) != 1 {
			t.Fatalf("Quiet Co's schedules = %d, want 1", len(got))
		}
		h.get(Base+"/scans/schedules?customerId="+quiet.ID).mustContain(t, ">Paused<", "the customer is suspended")
	})
	t.Run("OneCustomerGoesBackToItsSchedules", func(t *testing.T) {
		form := weeklyForm("create", acme.ID)
		form.Set("frequency", "daily")
		form.Set("timezone", "UTC")
		res := h.post(Base+"/scans/schedules/new", form)
		if res.status != http.StatusSeeOther || res.location() != "/console/scans/schedules?customerId="+acme.ID {
			t.Fatalf("status %d to %q", res.status, res.location())
		}
		h.get(res.location()).mustContain(t, "Created 1 schedule for Acme Dental.", "Daily", "09:00 UTC", nextRun(t, "UTC", anyDay, "UTC", 0))
	})
}

func TestSchedulesForCustomerUsers(t *testing.T) {
	h := schedHarness(t)
	acme := newSchedCustomer(t, h, "Acme Dental", "Europe/Berlin")
	level := portal.AccessReadOnly
	if _, err := h.s.Customers.SetAccess(h.as(h.Admin), acme.ID, &level); err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	profile := scan.ProfileLight
	if _, err := h.s.Schedules.Create(h.as(h.Admin), portal.ScheduleInput{CustomerIDs: []string{acme.ID}, Profile: &profile,
		Targets: &portal.ScanTargets{All: true}, Frequency: str("daily"), StartTime: str("03:00")}); err != nil {
		t.Fatal(err)
	}
	email := "boss@acme.example"
	h.person(h.as(h.Admin), portal.UserInput{Email: &email, Role: rolePtr(tenancy.RoleCustomerAdmin), CustomerID: &acme.ID})
	if res := h.signIn(email, Password); res.status != http.StatusSeeOther {
		t.Fatalf("sign in: %d", res.status)
	}

	t.Run("ReadOnlySeesItsSchedulesWithoutWriteControls", func(t *testing.T) {
		res := h.get(Base + "/scans/schedules")
		if res.status != http.StatusOK {
			t.Fatalf("status %d, want 200\n%s", res.status, res.body)
		}
		res.mustContain(t, "Schedules of Acme Dental", "Daily", "03:00 Europe/Berlin")
		res.mustNotContain(t, "Create Schedule", "<form method=\"post\" action=\"/console/scans", "Choose another customer")
	})
	t.Run("ReadOnlyCannotReachCreateSchedule", func(t *testing.T) {
		res := h.get(Base + "/scans/schedules/new")
		if res.status != http.StatusForbidden {
			t.Fatalf("status %d, want 403", res.status)
		}
		res.mustContain(t, "read-only")
		res = h.post(Base+"/scans/schedules/new", weeklyForm("create", acme.ID))
		if res.status != http.StatusForbidden {
			t.Fatalf("POST: status %d, want 403", res.status)
		}
		sc := schedulesOfCustomer(t, h, acme.ID)
		if len(sc) != 1 {
			t.Fatalf("schedules = %d, want the one arranged", len(sc))
		}
		if res := h.post(Base+"/scans/schedules/"+acme.ID+"/"+sc[0].ID+"/pause", url.Values{}); res.status != http.StatusForbidden || !schedulesOfCustomer(t, h, acme.ID)[0].Enabled {
			t.Fatalf("pause: status %d, want 403 and the schedule enabled", res.status)
		}
	})
	t.Run("FullAccessAdminCreatesForItsOwnOrganisation", func(t *testing.T) {
		full := portal.AccessFull
		if _, err := h.s.Customers.SetAccess(h.as(h.Admin), acme.ID, &full); err != nil {
			t.Fatal(err)
		}
		if res := h.signIn(email, Password); res.status != http.StatusSeeOther {
			t.Fatalf("sign in: %d", res.status)
		}
		res := h.get(Base + "/scans/schedules/new")
		if res.status != http.StatusOK {
			t.Fatalf("status %d, want 200\n%s", res.status, res.body)
		}
		res.mustContain(t, `name="customerIds" value="`+acme.ID+`"`)
		res.mustNotContain(t, `data-filter="#customer-choices"`)
		if res := h.post(Base+"/scans/schedules/new", weeklyForm("create", acme.ID)); res.status != http.StatusSeeOther {
			t.Fatalf("create: status %d\n%s", res.status, res.body)
		}
		if got := len(schedulesOfCustomer(t, h, acme.ID)); got != 2 {
			t.Fatalf("schedules = %d, want 2", got)
		}
	})
}

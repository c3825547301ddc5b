package portal_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/scan"
	"github.com/partnerportal/portal/internal/services"
	"github.com/partnerportal/portal/internal/tenancy"
)

// countingTriggers is a scheduler that keeps nothing but counts what it is asked.
type countingTriggers struct {
	mu    sync.Mutex
	calls int
}

func (c *countingTriggers) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

func (c *countingTriggers) call() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	return nil
}

func (c *countingTriggers) Create(context.Context, portal.ScheduleTrigger) error { return c.call() }
func (c *countingTriggers) Update(context.Context, portal.ScheduleTrigger) error { return c.call() }
func (c *countingTriggers) Delete(context.Context, string) error                 { return c.call() }

func TestSchedulePreview(t *testing.T) {
	store := ddbtest.NewStore(t)
	s := services.New(store, ddbtest.Secret, ddbtest.Clock, &ddbtest.SeqIDs{})
	triggers := &countingTriggers{}
	s.UseScheduler(triggers)
	admin := tenancy.Identity{UserID: "usr_00000000000000000000000AP1", Role: tenancy.RolePartnerAdmin, PartnerID: ddbtest.PartnerA}
	must(t, store.CreatePartner(context.Background(), portal.Partner{
		ID: ddbtest.PartnerA, Name: "Partner A", ContactEmail: "ops@a.example", Status: "active", CreatedAt: ddbtest.Now, UpdatedAt: ddbtest.Now, Version: 1,
	}))
	customer := func(name, zone string) portal.Customer {
		c, err := s.Customers.Create(as(admin), portal.CustomerInput{Name: ptr(name), ContactEmail: ptr("it@" + name + ".example"), Timezone: ptr(zone)})
		must(t, err)
		return c
	}
	ny := customer("hudson", "America/New_York")
	kol := customer("kolkata", "Asia/Kolkata")
	paused := customer("paused", "Europe/Berlin")
	must(t, second(s.Customers.Suspend(as(admin), paused.ID)))
	gone := customer("gone", "UTC")
	must(t, second(s.Customers.Archive(as(admin), gone.ID)))

	weekly := func(ids ...string) portal.ScheduleInput {
		return portal.ScheduleInput{CustomerIDs: ids, Profile: ptr(scan.ProfileLight), Targets: &portal.ScanTargets{All: true},
			Frequency: ptr("weekly"), DayOfWeek: ptr("MON"), StartTime: ptr("09:00")}
	}
	list := func(customerID string) []portal.Schedule {
		page, err := s.Schedules.List(as(admin), customerID, "", "")
		must(t, err)
		return page.Items
	}

	t.Run("AnswersPerCustomerInItsZoneAndWritesNothing", func(t *testing.T) {
		ctx, meter := metered(admin)
		results, err := s.Schedules.Preview(ctx, weekly(ny.ID, kol.ID, paused.ID, gone.ID))
		must(t, err)
		wantNoWrites(t, meter)
		if n := triggers.count(); n != 0 {
			t.Fatalf("the scheduler was asked %d times, want never", n)
		}
		if len(list(ny.ID)) != 0 || len(list(kol.ID)) != 0 {
			t.Fatal("a schedule was stored")
		}
		if len(results) != 4 {
			t.Fatalf("results = %d, want 4", len(results))
		}
		now := ddbtest.Now // Saturday 14 March 2026
		nyRuns := results[0].Schedule.NextRuns(now, 2)
		if results[0].Err != nil || results[0].Schedule.Timezone != "America/New_York" || len(nyRuns) != 2 ||
			nyRuns[0].UTC.Format(time.RFC3339) != "2026-03-16T13:00:00Z" || nyRuns[0].Local.Format("Mon 15:04") != "Mon 09:00" {
			t.Fatalf("New York: %+v %v, runs %v; want Mondays 09:00 EDT (13:00Z)", results[0].Schedule, results[0].Err, nyRuns)
		}
		if kolRuns := results[1].Schedule.NextRuns(now, 1); results[1].Schedule.Timezone != "Asia/Kolkata" || kolRuns[0].UTC.Format(time.RFC3339) != "2026-03-16T03:30:00Z" {
			t.Fatalf("Kolkata: %v, want 2026-03-16T03:30:00Z", kolRuns)
		}
		if r := results[2]; r.Err != nil || !r.Schedule.Paused || len(r.Schedule.NextRuns(now, 5)) != 0 {
			t.Fatalf("suspended customer: %+v, %v; want a paused schedule without runs", r.Schedule, r.Err)
		}
		if r := results[3]; code(r.Err) != portal.ECONFLICT {
			t.Fatalf("archived customer: %v, want ECONFLICT", r.Err)
		}
	})
	t.Run("RunsAreThoseCreateMakes", func(t *testing.T) {
		in := weekly(kol.ID)
		in.Timezone = ptr("Europe/London")
		preview, err := s.Schedules.Preview(as(admin), in)
		must(t, err)
		created, err := s.Schedules.Create(as(admin), in)
		must(t, err)
		must(t, created[0].Err)
		p, c := preview[0].Schedule.NextRuns(ddbtest.Now, 5), created[0].Schedule.NextRuns(ddbtest.Now, 5)
		for i := range c {
			if !p[i].UTC.Equal(c[i].UTC) || p[i].Local.Location().String() != "Europe/London" {
				t.Fatalf("run %d: preview %v, create %v", i, p[i], c[i])
			}
		}
	})
	t.Run("ChecksTheInputAsCreateDoes", func(t *testing.T) {
		before := triggers.count()
		in := weekly()
		in.StartTime = ptr("25:00")
		in.DayOfWeek = nil
		f := fields(t, second(s.Schedules.Preview(as(admin), in)))
		for _, name := range []string{"customerIds", "startTime", "dayOfWeek"} {
			if f[name] == "" {
				t.Fatalf("field errors %v do not name %s", f, name)
			}
		}
		if triggers.count() != before {
			t.Fatal("the scheduler was asked")
		}
	})
	t.Run("IsRefusedToAReadOnlyCustomerUser", func(t *testing.T) {
		viewer := tenancy.Identity{UserID: "usr_00000000000000000000000AV1", Role: tenancy.RoleCustomerAdmin, PartnerID: ddbtest.PartnerA,
			TenantID: ny.ID, TenantAccess: string(portal.AccessReadOnly), TenantStatus: string(portal.StatusActive)}
		wantCode(t, second(s.Schedules.Preview(as(viewer), weekly(ny.ID))), portal.EFORBIDDEN)
	})
}

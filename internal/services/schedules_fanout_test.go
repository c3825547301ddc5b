package services_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/partnerportal/portal/internal/asset"
	"github.com/partnerportal/portal/internal/localeventbridge"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/recurrence"
	"github.com/partnerportal/portal/internal/scan"
	"github.com/partnerportal/portal/internal/tenancy"
)

// A vulnerability-database update fans out to 1,000 customers whose
// schedules ask for it, across two partners, through a wire-level local
// EventBridge: the announcement answers at once, and scan-dispatch works
// page by page, each page asking for the next with an event, so no
// invocation handles more than a page. Customers that did not ask, and
// suspended ones, get nothing; delivering every event again admits nothing
// more.
func TestVulnDBUpdateFansOutToAThousandCustomers(t *testing.T) {
	const subscribers, bystanders, suspended = 1000, 30, 10
	w := newSchedWorld(t)
	w.s.Dispatch.PageSize = 100
	bus := useLocalBus(t, w.s)
	var pages sync.WaitGroup
	var mu sync.Mutex
	var outcomes []portal.Dispatched
	var failures []error
	bus.Subscribe(func(e localeventbridge.Event) { // the rules of scan-dispatch
		if e.DetailType != portal.DetailVulnDBUpdated && e.DetailType != portal.DetailVulnDBPage {
			return
		}
		payload, _ := json.Marshal(map[string]any{"id": e.EventID, "detail-type": e.DetailType, "source": e.Source, "detail": e.Detail})
		pages.Go(func() {
			out, err := w.s.ScanDispatch().Handle(context.Background(), payload)
			mu.Lock()
			defer mu.Unlock()
			outcomes = append(outcomes, out)
			if err != nil {
				failures = append(failures, err)
			}
		})
	})

	partners := []tenancy.Identity{w.admin, w.newAdmin()}
	asked := map[string]bool{}
	var all []string
	var setup sync.WaitGroup
	var setupErr error
	work := make(chan int)
	for range 16 {
		setup.Go(func() {
			for i := range work {
				admin := partners[i%2]
				c, err := w.storeCustomer(admin.PartnerID, i, i >= subscribers+bystanders)
				if err == nil {
					err = w.storeSchedule(c, i < subscribers || i >= subscribers+bystanders)
				}
				mu.Lock()
				if err != nil && setupErr == nil {
					setupErr = err
				}
				all = append(all, c.ID)
				asked[c.ID] = i < subscribers
				mu.Unlock()
			}
		})
	}
	for i := range subscribers + bystanders + suspended {
		work <- i
	}
	close(work)
	setup.Wait()
	if setupErr != nil {
		t.Fatal(setupErr)
	}

	operator := tenancy.Identity{UserID: (&portal.ULIDs{}).New(portal.PrefixUser), Role: tenancy.RoleSuperAdmin}
	name := "NVD 2026-11-26"
	u, err := w.s.VulnDB.Announce(ctxOf(operator), portal.VulnDBInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	pages.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d pages failed, the first: %v", len(failures), failures[0])
	}

	t.Run("EveryCustomerThatAskedGetsExactlyOneScan", func(t *testing.T) {
		launched := w.invoked.list()
		if got := len(launched); got != subscribers {
			t.Fatalf("scans launched = %d, want %d", got, subscribers)
		}
		if got := len(slices.Compact(slices.Sorted(slices.Values(launched)))); got != subscribers {
			t.Fatalf("distinct scans = %d, want %d", got, subscribers)
		}
		for _, cid := range []string{all[0], all[len(all)/2], all[len(all)-1]} {
			c, err := w.s.Store.GetCustomer(context.Background(), tenancy.Scope{PartnerID: partnerOf(w, cid)}, cid)
			if err != nil {
				t.Fatal(err)
			}
			page, _, err := w.s.Store.ListScans(context.Background(), tenancy.Scope{PartnerID: c.PartnerID, TenantID: c.ID}, c.ID, "", 10, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := 0
			if asked[cid] {
				want = 1
			}
			if len(page) != want {
				t.Fatalf("customer %s (asked %v, %s) has %d scans, want %d", cid, asked[cid], c.Status, len(page), want)
			}
			if want == 1 && (page[0].Trigger != portal.TriggerVulnDB || page[0].Status != portal.ScanQueued) {
				t.Fatalf("scan %+v, want a queued vulndb_update scan", page[0])
			}
		}
	})
	t.Run("NoInvocationHandlesMoreThanAPage", func(t *testing.T) {
		wantPages := (subscribers + suspended + 99) / 100
		if got := len(outcomes); got != wantPages {
			t.Fatalf("invocations = %d, want %d pages", got, wantPages)
		}
		for _, o := range outcomes {
			if n := len(o.Admitted) + len(o.Duplicates) + len(o.Refused) + len(o.Skipped); n > 100 {
				t.Fatalf("one invocation handled %d schedules", n)
			}
		}
	})
	t.Run("DeliveringEveryEventAgainAdmitsNothing", func(t *testing.T) {
		before := len(w.invoked.list())
		for _, e := range bus.Events() {
			if e.DetailType != portal.DetailVulnDBUpdated && e.DetailType != portal.DetailVulnDBPage {
				continue
			}
			payload, _ := json.Marshal(map[string]any{"id": e.EventID, "detail-type": e.DetailType, "source": e.Source, "detail": e.Detail})
			out, err := w.s.ScanDispatch().Handle(context.Background(), payload)
			if err != nil || len(out.Admitted) != 0 {
				t.Fatalf("redelivery of %s: admitted %d, %v", e.DetailType, len(out.Admitted), err)
			}
		}
		pages.Wait() // the redelivered pages ask for their next pages again
		if got := len(w.invoked.list()); got != before {
			t.Fatalf("scans launched after redelivery = %d, want still %d", got, before)
		}
	})
	if u.UpdateID == "" || !u.PublishedAt.Equal(w.clock.Now()) {
		t.Fatalf("update = %+v", u)
	}
}

// partnerOf returns the partner of a customer stored by storeCustomer.
func partnerOf(w *schedWorld, customerID string) string {
	w.fanoutMu.Lock()
	defer w.fanoutMu.Unlock()
	return w.fanoutPartners[customerID]
}

// storeCustomer stores customer i of a partner straight into the store
// (fast set-up for volume): an unlimited license and a verified asset; a
// suspended one when suspended.
func (w *schedWorld) storeCustomer(partnerID string, i int, suspended bool) (portal.Customer, error) {
	ctx := context.Background()
	now := w.clock.Now()
	ids := &portal.ULIDs{}
	c := portal.Customer{ID: ids.New(portal.PrefixCustomer), PartnerID: partnerID, Name: fmt.Sprintf("Fan-out %04d", i),
		ContactEmail: fmt.Sprintf("it@fanout-%d.example", i), Timezone: "UTC", Tags: []string{}, Status: portal.StatusActive,
		Plan: portal.PlanUnlimited, LicenseCounts: map[portal.LicenseModel]int{portal.ModelUnlimited: 1}, AccessLevel: portal.AccessDisabled,
		CreatedAt: now, UpdatedAt: now, Version: 1}
	if suspended {
		c.Status, c.ResumeStatus = portal.StatusSuspended, portal.StatusActive
	}
	err := w.s.Store.SaveLicenses(ctx, &c, true, []portal.License{{
		ID: ids.New(portal.PrefixLicense), TenantID: c.ID, PartnerID: partnerID, Model: portal.ModelUnlimited, BillingPeriod: portal.PeriodMonthly,
		StartsAt: now.Add(-time.Hour), EndUserPrice: portal.Money{Amount: 9900, Currency: "EUR"}, UnitCost: portal.Money{Amount: 5000, Currency: "EUR"},
		PricingVersion: 1, OveragePolicy: portal.OverageSoft, CreatedAt: now, UpdatedAt: now, Version: 1,
	}}, nil)
	if err != nil {
		return c, fmt.Errorf("customer %d: %w", i, err)
	}
	norm, err := asset.Normalize(fmt.Sprintf("www.fanout-%d.example", i), false, asset.Policy{})
	if err != nil {
		return c, err
	}
	scope := tenancy.Scope{PartnerID: partnerID, TenantID: c.ID}
	seen, err := w.s.Store.AssetCounter(ctx, scope, c.ID)
	if err != nil {
		return c, err
	}
	a := portal.Asset{ID: portal.AssetID(norm.Value), PartnerID: partnerID, TenantID: c.ID, Value: norm.Value, Type: norm.Type, Host: norm.Host,
		RegisteredDomain: norm.RegisteredDomain, Tags: []string{}, Criticality: portal.CriticalityMedium, VerificationToken: "t",
		Verified: true, VerificationMethod: portal.OwnershipDNSTXT, VerifiedAt: &now, CreatedAt: now, UpdatedAt: now, Version: 1}
	if _, err := w.s.Store.AddAssets(ctx, scope, []portal.Asset{a}, seen); err != nil {
		return c, fmt.Errorf("asset of customer %d: %w", i, err)
	}
	w.fanoutMu.Lock()
	defer w.fanoutMu.Unlock()
	if w.fanoutPartners == nil {
		w.fanoutPartners = map[string]string{}
	}
	w.fanoutPartners[c.ID] = partnerID
	return c, nil
}

// storeSchedule stores a weekly schedule of c (asking for vulnerability
// scans when vulnDB) straight into the store.
func (w *schedWorld) storeSchedule(c portal.Customer, vulnDB bool) error {
	now := w.clock.Now()
	sc := portal.Schedule{ID: (&portal.ULIDs{}).New(portal.PrefixSchedule), PartnerID: c.PartnerID, TenantID: c.ID, Profile: scan.ProfileLight,
		AllTargets: true, Frequency: recurrence.Weekly, DayOfWeek: "SUN", StartTime: "03:00", Timezone: "UTC", Enabled: true,
		OnVulnDBUpdate: vulnDB, CreatedBy: "usr_fanout", CreatedAt: now, UpdatedAt: now, Version: 1}
	return w.s.Store.PutSchedule(context.Background(), tenancy.Scope{PartnerID: c.PartnerID, TenantID: c.ID}, sc)
}

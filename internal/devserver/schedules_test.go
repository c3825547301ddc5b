package devserver_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The scan-automation story of issue 7 over HTTP against the local stack:
// a weekly schedule for three customers in three time zones shows their
// next runs in each zone; verifying an asset of a customer whose schedule
// scans new assets starts a scan (usage stream → "Asset Discovered" →
// scan-dispatch); a vulnerability-database update starts scans only for
// the customers whose schedules ask for it; a schedule's fire admits one
// scan however often it is delivered.
func TestSchedulesAndEventTriggersOnTheLocalStack(t *testing.T) {
	st := startStack(t, t.TempDir(), fmt.Sprintf("schedules_%d", time.Now().UnixNano()))
	defer st.Close()
	admin := api{t, st.URL, st.Credentials.PartnerAdminKey}
	operator := api{t, st.URL, st.Credentials.SuperAdminKey}
	weak := st.Credentials.WeakSiteURL

	customer := func(name, zone string) string {
		return admin.do("POST", "/v1/customers", map[string]any{"name": name, "contactEmail": "it@" + strings.ToLower(strings.Fields(name)[0]) + ".example",
			"timezone": zone, "licenses": []any{map[string]any{"model": "unlimited", "endUserPrice": map[string]any{"amount": 9900, "currency": "EUR"}}},
		}).want(t, 201).body["id"].(string)
	}
	scans := func(c string) []map[string]any {
		var out []map[string]any
		for _, s := range admin.do("GET", "/v1/customers/"+c+"/scans?limit=100", nil).want(t, 200).body["items"].([]any) {
			out = append(out, s.(map[string]any))
		}
		return out
	}
	waitForScan := func(c, trigger string) map[string]any {
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			for _, s := range scans(c) {
				if s["trigger"] == trigger {
					return s
				}
			}
		}
		t.Fatalf("no %s scan of %s within 30 s: %v", trigger, c, scans(c))
		return nil
	}

	ny, kol, ber := customer("Hudson Dental", "America/New_York"), customer("Kolkata Mills", "Asia/Kolkata"), customer("Spree Logistik", "Europe/Berlin")
	created := admin.do("POST", "/v1/schedules", map[string]any{"customerIds": []string{ny, kol, ber}, "profile": "light", "targets": "all",
		"frequency": "weekly", "dayOfWeek": "MON", "startTime": "09:00"}).want(t, 201)
	schedules := map[string]map[string]any{}
	for _, it := range created.body["items"].([]any) {
		it := it.(map[string]any)
		schedules[it["customerId"].(string)] = it["schedule"].(map[string]any)
	}
	t.Run("NextRunsAreMondays0900InEachCustomersZone", func(t *testing.T) {
		for c, zone := range map[string]string{ny: "America/New_York", kol: "Asia/Kolkata", ber: "Europe/Berlin"} {
			sc := schedules[c]
			runs := sc["nextRuns"].([]any)
			if sc["timezone"] != zone || len(runs) != 5 {
				t.Fatalf("schedule of %s: zone %v, %d runs; want %s and 5", c, sc["timezone"], len(runs), zone)
			}
			loc, _ := time.LoadLocation(zone)
			for _, r := range runs {
				r := r.(map[string]any)
				utc, err1 := time.Parse(time.RFC3339, r["utc"].(string))
				local, err2 := time.Parse(time.RFC3339, r["local"].(string))
				if err1 != nil || err2 != nil || !utc.Equal(local) || !strings.HasSuffix(r["utc"].(string), "Z") {
					t.Fatalf("run %v: utc and local must name the same instant", r)
				}
				if l := utc.In(loc); l.Weekday() != time.Monday || l.Format("15:04") != "09:00" || local.Format("15:04") != "09:00" {
					t.Fatalf("run %v is %s in %s, want Monday 09:00", r, l, zone)
				}
			}
		}
	})
	t.Run("AFireAdmitsOneScanHoweverOftenItIsDelivered", func(t *testing.T) {
		id := schedules[kol]["id"].(string)
		for range 3 {
			res, err := http.Post(st.URL+"/_local/schedules/"+id+"/fire", "application/json", nil)
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("fire: %v %v", res, err)
			}
			res.Body.Close()
		}
		n := 0
		for _, s := range scans(kol) {
			if s["trigger"] == "schedule" && s["scheduleId"] == id {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("scheduled scans = %d, want 1", n)
		}
	})

	t.Run("VerifyingANewAssetStartsAScanWhereTheScheduleAsks", func(t *testing.T) {
		admin.do("PATCH", "/v1/customers/"+ber+"/schedules/"+schedules[ber]["id"].(string), map[string]any{"onNewAsset": true}).want(t, 200)
		asset := verifiedWeakSite(t, admin, weak, ber)
		sc := waitForScan(ber, "new_asset")
		if targets := sc["targets"].([]any); len(targets) != 1 || targets[0] != asset {
			t.Fatalf("new-asset scan targets %v, want [%s]", targets, asset)
		}
		verifiedWeakSite(t, admin, weak, ny) // New York's schedule does not ask
		time.Sleep(2 * time.Second)
		for _, s := range scans(ny) {
			if s["trigger"] == "new_asset" {
				t.Fatalf("New York got a new-asset scan it did not ask for: %v", s)
			}
		}
	})
	t.Run("AVulnerabilityDatabaseUpdateScansOnlyThoseWhoAsked", func(t *testing.T) {
		admin.do("PATCH", "/v1/customers/"+ny+"/schedules/"+schedules[ny]["id"].(string), map[string]any{"onVulnDbUpdate": true}).want(t, 200)
		admin.do("POST", "/v1/events/vulndb-updated", map[string]any{"name": "NVD"}).want(t, 403)
		u := operator.do("POST", "/v1/events/vulndb-updated", map[string]any{"name": "NVD 2026-11-26"}).want(t, 202)
		if u.body["updateId"] == nil {
			t.Fatalf("update: %s", u.raw)
		}
		waitForScan(ny, "vulndb_update")
		time.Sleep(2 * time.Second)
		for _, c := range []string{ber, kol} {
			for _, s := range scans(c) {
				if s["trigger"] == "vulndb_update" {
					t.Fatalf("customer %s got a vulnerability scan it did not ask for", c)
				}
			}
		}
	})
	t.Run("SuspendingACustomerDisablesItsTriggerThroughTheStream", func(t *testing.T) {
		// The customers function changes the status only; the change
		// reaches scan-dispatch as an event of the usage stream.
		local := api{t, st.URL, ""}
		id := schedules[kol]["id"].(string)
		waitForState := func(want string) {
			t.Helper()
			var got string
			for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
				local.do("POST", "/_local/stream/drain", nil).want(t, 200)
				if got, _ = local.do("GET", "/_local/schedules/"+id, nil).want(t, 200).body["state"].(string); got == want {
					return
				}
			}
			t.Fatalf("trigger of schedule %s is %s, want %s within 30 s", id, got, want)
		}
		admin.do("POST", "/v1/customers/"+kol+"/suspend", nil).want(t, 200)
		if sc := admin.do("GET", "/v1/customers/"+kol+"/schedules/"+id, nil).want(t, 200); sc.body["paused"] != true {
			t.Fatalf("the schedule of a suspended customer reads %s, want paused at once", sc.raw)
		}
		waitForState("DISABLED")
		admin.do("POST", "/v1/customers/"+kol+"/resume", nil).want(t, 200)
		waitForState("ENABLED")
	})
}

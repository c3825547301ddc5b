package devserver_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The assets-and-usage story of issue 5 over HTTP, with the table's stream
// really delivered to the usage-stream handler: assets are added with
// duplicates and rejects, usage rises, the 90% alert is raised once and
// published once even when the stream delivers the same records again, and
// a hard license refuses the 11th asset.
func TestAssetsUsageAndAlertsEndToEnd(t *testing.T) {
	st := startStack(t, t.TempDir(), fmt.Sprintf("usage_%d", time.Now().UnixNano()))
	defer st.Close()
	admin := api{t, st.URL, st.Credentials.PartnerAdminKey}
	local := api{t, st.URL, ""}

	acme := admin.do("POST", "/v1/customers", map[string]any{"name": "Acme", "contactEmail": "it@acme.example"}).want(t, 201).body["id"].(string)
	lic := admin.do("POST", "/v1/customers/"+acme+"/licenses", map[string]any{
		"model": "per_asset", "quantity": 10, "overagePolicy": "hard", "endUserPrice": map[string]any{"amount": 9900, "currency": "EUR"},
	}).want(t, 201).body["id"].(string)

	t.Run("AddingAnswersPerValue", func(t *testing.T) {
		r := admin.do("POST", "/v1/customers/"+acme+"/assets", map[string]any{"assets": []any{
			"example.com", "WWW.Example.com.", "https://app.example.com/login", "https://APP.example.com:443/login/?x=1#top",
			map[string]any{"value": "https://api.example.com/v1", "type": "api"}, "203.0.113.7", "10.0.0.0/8", "*.example.com",
		}}).want(t, 201)
		if r.body["created"] != 5.0 || r.body["duplicate"] != 1.0 || r.body["rejected"] != 2.0 {
			t.Fatalf("created/duplicate/rejected = %v/%v/%v, want 5/1/2: %s", r.body["created"], r.body["duplicate"], r.body["rejected"], r.raw)
		}
		results := r.body["results"].([]any)
		dup := results[3].(map[string]any)
		if dup["status"] != "duplicate" || dup["duplicateOf"] != results[2].(map[string]any)["asset"].(map[string]any)["id"] {
			t.Fatalf("the second login URL should be a duplicate of the first: %v", dup)
		}
		if cidr := results[6].(map[string]any); cidr["status"] != "rejected" || !strings.Contains(cidr["reason"].(string), "individually") {
			t.Fatalf("a CIDR range is rejected saying to add addresses individually: %v", cidr)
		}
		if api := results[4].(map[string]any)["asset"].(map[string]any); api["type"] != "api" {
			t.Fatalf("type = %v, want api", api["type"])
		}
		again := admin.do("POST", "/v1/customers/"+acme+"/assets", map[string]any{"assets": []any{"example.com"}}).want(t, 200)
		if again.body["duplicate"] != 1.0 {
			t.Fatalf("a value stored before is a duplicate: %s", again.raw)
		}
	})

	usage := func(t *testing.T) map[string]any {
		t.Helper()
		local.do("POST", "/_local/stream/drain", nil).want(t, 200)
		u := admin.do("GET", "/v1/customers/"+acme+"/usage", nil).want(t, 200)
		for _, l := range u.body["licenses"].([]any) {
			if l := l.(map[string]any); l["licenseId"] == lic {
				return l
			}
		}
		t.Fatalf("usage has no license %s: %s", lic, u.raw)
		return nil
	}
	alerts := func(t *testing.T) []any {
		t.Helper()
		return admin.do("GET", "/v1/alerts?customerId="+acme, nil).want(t, 200).body["items"].([]any)
	}
	published := func(t *testing.T, detailType string) int {
		t.Helper()
		n := 0
		for _, e := range local.do("GET", "/_local/events", nil).want(t, 200).body["items"].([]any) {
			if e.(map[string]any)["DetailType"] == detailType {
				n++
			}
		}
		return n
	}

	t.Run("UsageRises", func(t *testing.T) {
		if l := usage(t); l["used"] != 5.0 || l["percent"] != "50.00" || l["remaining"] != 5.0 {
			t.Fatalf("usage = %v, want 5 used, 50.00%%, 5 remaining", l)
		}
		if n := len(alerts(t)); n != 0 {
			t.Fatalf("alerts at 50%% = %d, want none", n)
		}
	})
	t.Run("NinetyPercentAlertsOnceEvenWhenRecordsAreDeliveredAgain", func(t *testing.T) {
		admin.do("POST", "/v1/customers/"+acme+"/assets", map[string]any{"assets": []any{"a.example.com", "b.example.com", "c.example.com", "d.example.com"}}).want(t, 201)
		if l := usage(t); l["used"] != 9.0 || l["percent"] != "90.00" {
			t.Fatalf("usage = %v, want 9 used (90.00%%)", l)
		}
		for range 2 {
			re := local.do("POST", "/_local/stream/redeliver", nil).want(t, 200)
			if re.body["records"].(float64) == 0 {
				t.Fatalf("nothing was redelivered: %s", re.raw)
			}
		}
		got := alerts(t)
		if len(got) != 1 || got[0].(map[string]any)["threshold"] != 90.0 || got[0].(map[string]any)["used"] != 9.0 {
			t.Fatalf("alerts = %v, want one 90%% alert at 9 used", got)
		}
		if n := published(t, "Usage Threshold Reached"); n != 1 {
			t.Fatalf("threshold events published = %d, want 1", n)
		}
	})
	t.Run("AHardLicenseRefusesThe11thAsset", func(t *testing.T) {
		admin.do("POST", "/v1/customers/"+acme+"/assets", map[string]any{"assets": []any{"e.example.com"}}).want(t, 201)
		r := admin.do("POST", "/v1/customers/"+acme+"/assets", map[string]any{"assets": []any{"f.example.com"}}).want(t, 409)
		if !strings.Contains(r.raw, "0 more fit") || r.body["free"] != 0.0 {
			t.Fatalf("the refusal should say how many more fit: %s", r.raw)
		}
		if l := usage(t); l["used"] != 10.0 {
			t.Fatalf("used = %v, want 10", l["used"])
		}
		got := alerts(t)
		if len(got) != 2 {
			t.Fatalf("alerts = %v, want the 90%% and the 100%% alert", got)
		}
	})
	t.Run("AckingAnAlert", func(t *testing.T) {
		id := alerts(t)[0].(map[string]any)["id"].(string)
		admin.do("POST", "/v1/alerts/"+id+"/ack", nil).want(t, 200)
		open := admin.do("GET", "/v1/alerts?acknowledged=false", nil).want(t, 200).body["items"].([]any)
		if len(open) != 1 {
			t.Fatalf("unacknowledged alerts = %d, want 1", len(open))
		}
	})
}

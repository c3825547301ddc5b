package devserver_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/partnerportal/portal/internal/verify"
)

// The scan story of issue 6 over HTTP: the local stack's deliberately weak
// site is added, verified and scanned (in the background, as scan-run
// would), the expected issues are found, and a hard per-scan license
// refuses the scan beyond its quantity.
func TestScanningTheWeakDemoSite(t *testing.T) {
	st := startStack(t, t.TempDir(), fmt.Sprintf("scans_%d", time.Now().UnixNano()))
	defer st.Close()
	admin := api{t, st.URL, st.Credentials.PartnerAdminKey}
	weak := st.Credentials.WeakSiteURL
	if weak == "" {
		t.Fatal("credentials.json has no weakSiteUrl")
	}

	c := admin.do("POST", "/v1/customers", map[string]any{"name": "Delta Retail", "contactEmail": "it@delta.example",
		"licenses": []any{map[string]any{"model": "per_scan", "quantity": 1, "overagePolicy": "hard", "endUserPrice": map[string]any{"amount": 5000, "currency": "EUR"}}},
	}).want(t, 201).body["id"].(string)
	verifiedWeakSite(t, admin, weak, c)

	scanID := admin.do("POST", "/v1/customers/"+c+"/scans", map[string]any{"profile": "full", "targets": "all"}).want(t, 202).body["id"].(string)
	var sc reply
	for deadline := time.Now().Add(60 * time.Second); ; {
		sc = admin.do("GET", "/v1/customers/"+c+"/scans/"+scanID, nil).want(t, 200)
		if s := sc.body["status"]; s != "queued" && s != "running" || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if sc.body["status"] != "completed" {
		t.Fatalf("scan = %s", sc.raw)
	}
	found := map[string]bool{}
	for _, f := range admin.do("GET", "/v1/customers/"+c+"/findings?limit=100", nil).want(t, 200).body["items"].([]any) {
		f := f.(map[string]any)
		found[f["checkId"].(string)+" "+f["detail"].(string)] = true
	}
	for _, want := range []string{"http.sensitive-file /.env", "http.sensitive-file /.git/HEAD", "http.directory-listing /uploads/",
		"http.csp-missing", "http.server-disclosure", "http.cookie-insecure", "http.cors-permissive"} {
		ok := false
		for k := range found {
			if strings.HasPrefix(k, want) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("no finding %q among %v", want, found)
		}
	}
	if got := admin.do("GET", "/v1/customers/"+c, nil).want(t, 200).body["lastScanAt"]; got == nil {
		t.Error("lastScanAt was not recorded")
	}
	r := admin.do("POST", "/v1/customers/"+c+"/scans", map[string]any{"profile": "light", "targets": "all"}).want(t, 409)
	if !strings.Contains(r.raw, "hard limit") {
		t.Fatalf("the refusal should say the hard limit: %s", r.raw)
	}
}

// verifiedWeakSite adds the weak demo site as an asset of customer c,
// publishes its token there and verifies it; it returns the asset's ID.
func verifiedWeakSite(t *testing.T, admin api, weak, c string) string {
	t.Helper()
	added := admin.do("POST", "/v1/customers/"+c+"/assets", map[string]any{"assets": []any{weak}}).want(t, 201)
	a := added.body["results"].([]any)[0].(map[string]any)["asset"].(map[string]any)
	req, _ := http.NewRequest(http.MethodPut, weak+verify.WellKnownPath, strings.NewReader(a["verificationToken"].(string)))
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("publish the token on the weak site: %v %v", res, err)
	}
	if v := admin.do("POST", "/v1/customers/"+c+"/assets/"+a["id"].(string)+"/verify", nil).want(t, 200); v.body["verified"] != true {
		t.Fatalf("verify: %s", v.raw)
	}
	return a["id"].(string)
}

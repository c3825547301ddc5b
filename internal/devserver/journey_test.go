package devserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/devserver"
	"github.com/partnerportal/portal/internal/openapi"
	"github.com/partnerportal/portal/internal/verify"
)

// journey is a partner's HTTP client that checks every answer against
// docs/openapi.yaml: the status is documented for the route, and the body
// matches the documented schema.
type journey struct {
	t   *testing.T
	url string
	doc *openapi.Document
	a   app.App
}

// do sends a request with key and answers the status and the raw body,
// failing the test when the answer is not as documented.
func (j journey) do(key, method, path string, body any) (int, []byte) {
	j.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, j.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		j.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	route := strings.SplitN(path, "?", 2)[0]
	m, ok, _ := j.a.Resolve(method, route)
	if !ok {
		j.t.Fatalf("%s %s resolves to no declared route", method, route)
	}
	if err := j.doc.ValidateResponse(method, m.Route.Path, res.StatusCode, res.Header.Get("Content-Type"), raw); err != nil {
		j.t.Fatalf("%s %s answered %d, not as docs/openapi.yaml says: %v\n%s", method, path, res.StatusCode, err, raw)
	}
	return res.StatusCode, raw
}

// want is do expecting status, decoding the body into an object.
func (j journey) want(status int, key, method, path string, body any) map[string]any {
	j.t.Helper()
	got, raw := j.do(key, method, path, body)
	if got != status {
		j.t.Fatalf("%s %s = %d, want %d: %s", method, path, got, status, raw)
	}
	out := map[string]any{}
	_ = json.Unmarshal(raw, &out)
	return out
}

// The partner journey of issue 8, over HTTP only, against the local stack
// running every function as its own binary, with the Scheduler's fast clock
// so that a daily schedule fires within seconds. Every answer is checked
// against the OpenAPI document.
func TestPartnerJourneyOverHTTP(t *testing.T) {
	path, err := openapi.DocumentPath()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := devserver.Start(ctx, devserver.Config{
		Dir: t.TempDir(), Addr: "127.0.0.1:0", Endpoint: ddbtest.Endpoint(t), Table: fmt.Sprintf("journey_%d", time.Now().UnixNano()),
		Log: os.Stderr, Binaries: sharedBinaries(t), FastClock: true,
	})
	if err != nil {
		t.Fatalf("start local stack: %v", err)
	}
	defer st.Close()
	j := journey{t: t, url: st.URL, doc: doc, a: app.Declaration()}
	key := st.Credentials.PartnerAdminKey
	weak := st.Credentials.WeakSiteURL

	// Customers with licenses: one to scan (one monitored asset allowed),
	// and one that is never scanned.
	j.want(201, key, "POST", "/v1/customers", map[string]any{"name": "Idle Imports", "contactEmail": "it@idle.example", "timezone": "UTC",
		"licenses": []any{map[string]any{"model": "unlimited", "endUserPrice": map[string]any{"amount": 9900, "currency": "EUR"}}}})
	c := j.want(201, key, "POST", "/v1/customers", map[string]any{"name": "Journey Dental", "contactEmail": "it@journey.example", "timezone": "Europe/Berlin",
		"licenses": []any{map[string]any{"model": "per_asset", "quantity": 1, "endUserPrice": map[string]any{"amount": 2900, "currency": "EUR"}}}})["id"].(string)

	// An asset, verified on the local weak web server.
	added := j.want(201, key, "POST", "/v1/customers/"+c+"/assets", map[string]any{"assets": []any{weak}})
	a := added["results"].([]any)[0].(map[string]any)["asset"].(map[string]any)
	req, _ := http.NewRequest(http.MethodPut, weak+verify.WellKnownPath, strings.NewReader(a["verificationToken"].(string)))
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("publish the token on the weak site: %v %v", res, err)
	}
	if v := j.want(200, key, "POST", "/v1/customers/"+c+"/assets/"+a["id"].(string)+"/verify", nil); v["verified"] != true {
		t.Fatalf("verify: %v", v)
	}

	// A daily schedule that fires by itself (the fast clock runs a week a minute).
	s := j.want(201, key, "POST", "/v1/schedules", map[string]any{"customerIds": []string{c}, "profile": "light", "targets": "all",
		"frequency": "daily", "startTime": "06:00"})
	if runs := s["items"].([]any)[0].(map[string]any)["schedule"].(map[string]any)["nextRuns"].([]any); len(runs) != 5 {
		t.Fatalf("next runs: %v", runs)
	}
	var scanID string
	for deadline := time.Now().Add(90 * time.Second); scanID == ""; time.Sleep(500 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the schedule did not fire and complete a scan within 90 s")
		}
		for _, it := range j.want(200, key, "GET", "/v1/customers/"+c+"/scans?status=completed", nil)["items"].([]any) {
			if sc := it.(map[string]any); sc["trigger"] == "schedule" {
				scanID = sc["id"].(string)
			}
		}
	}

	t.Run("UsageAndTheThresholdAlert", func(t *testing.T) {
		lic := j.want(200, key, "GET", "/v1/customers/"+c+"/usage", nil)["licenses"].([]any)[0].(map[string]any)
		if lic["used"] != 1.0 || lic["percent"] != "100.00" {
			t.Fatalf("usage = %v, want 1 of 1", lic)
		}
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(300 * time.Millisecond) {
			alerts := j.want(200, key, "GET", "/v1/alerts?customerId="+c, nil)["items"].([]any)
			if len(alerts) > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no usage alert within 30 s")
			}
		}
	})
	t.Run("TheReportIsListedAndDownloadable", func(t *testing.T) {
		var report string
		for _, it := range j.want(200, key, "GET", "/v1/customers/"+c+"/reports", nil)["items"].([]any) {
			if r := it.(map[string]any); r["scanId"] == scanID {
				report = r["id"].(string)
			}
		}
		if report == "" {
			t.Fatalf("no report of scan %s", scanID)
		}
		if status, raw := j.do(key, "GET", "/v1/customers/"+c+"/reports/"+report+"?format=html", nil); status != 200 || !bytes.Contains(raw, []byte("Journey Dental")) {
			t.Fatalf("html report: %d, %.200s", status, raw)
		}
	})
	t.Run("TheScannedCustomerListsFirstByLastScan", func(t *testing.T) {
		items := j.want(200, key, "GET", "/v1/customers?sort=-lastScanAt", nil)["items"].([]any)
		if first := items[0].(map[string]any); first["id"] != c || first["lastScanAt"] == nil {
			t.Fatalf("first by last scan: %v, want %s", first, c)
		}
	})
	t.Run("ACustomerUserIsRefusedWhileAccessIsDisabled", func(t *testing.T) {
		u := j.want(201, key, "POST", "/v1/users", map[string]any{"email": "owner@journey.example", "role": "customer_admin", "customerId": c})
		k := j.want(201, key, "POST", "/v1/users/"+u["id"].(string)+"/api-keys", map[string]any{})["key"].(string)
		j.want(403, k, "GET", "/v1/customers/"+c+"/scans", nil)
		j.want(200, key, "PUT", "/v1/customers/"+c+"/access", map[string]any{"level": "read_only"})
		j.want(200, k, "GET", "/v1/customers/"+c+"/scans", nil)
	})
}

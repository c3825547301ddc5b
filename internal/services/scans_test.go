package services_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/asset"
	"github.com/partnerportal/portal/internal/httpapi"
	"github.com/partnerportal/portal/internal/locals3"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/report"
	"github.com/partnerportal/portal/internal/scan"
	"github.com/partnerportal/portal/internal/tenancy"
	"github.com/partnerportal/portal/internal/verify"
)

// A scan from request to findings on the assembled services: admitted
// against a hard per-scan license, run by the engine against a verified
// local web server, findings merged across scans, a report of each
// completed scan in S3 (a local S3 endpoint).
func TestScansFromRequestToFindings(t *testing.T) {
	w := newMarginWorld(t)
	w.s.SetAssetPolicy(asset.Policy{AllowPrivate: true}, "") // the web server below is on 127.0.0.1
	w.setPricing(t, "EUR", map[portal.LicenseModel][2]int64{
		portal.ModelPerAsset: {199, 1990}, portal.ModelPerScan: {195, 1950}, portal.ModelUnlimited: {10000, 60000},
	})
	admin := w.admin
	ctx := ctxOf(admin)
	c := w.customer(t, admin, "Weak Web GmbH")
	reports, err := locals3.Start(locals3.Config{Bucket: "scan-reports"})
	if err != nil {
		t.Fatal(err)
	}
	defer reports.Close()
	w.s.UseReportBucket(reports.Client(), reports.Bucket)
	partner := portal.Partner{ID: admin.PartnerID, Name: "Shield & Sons MSSP", ContactEmail: "soc@shield.example", Status: "active", CreatedAt: w.clock.Now(), Version: 1}
	if err := w.s.Store.CreatePartner(context.Background(), partner); err != nil { // the report names its partner
		t.Fatal(err)
	}

	var token string
	csp := false
	site := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == verify.WellKnownPath {
			fmt.Fprintln(rw, token)
			return
		}
		if csp {
			rw.Header().Set("Content-Security-Policy", "default-src 'self'")
		}
		rw.Header().Set("Server", "Apache/2.4.41 (Ubuntu)")
		fmt.Fprintln(rw, "<html>hello</html>")
	}))
	defer site.Close()
	added, err := w.s.Assets.Add(ctx, c.ID, values(site.URL+"/%.0d", 1))
	if err != nil || added.Created != 1 {
		t.Fatalf("add asset: %v %+v", err, added.Results)
	}
	a := added.Results[0].Asset
	light := scan.ProfileLight
	all := &portal.ScanTargets{All: true}

	t.Run("NoLicenseNoScan", func(t *testing.T) {
		_, err := w.s.Scans.Create(ctx, c.ID, portal.ScanInput{Profile: &light, Targets: &portal.ScanTargets{IDs: []string{a.ID}}})
		if portal.ErrorCode(err) != portal.ECONFLICT || !strings.Contains(portal.ErrorMessage(err), "license") {
			t.Fatalf("err = %v, want ECONFLICT about the license", err)
		}
	})
	model, one, hard, price, cur := portal.ModelPerScan, int64(1), portal.OverageHard, int64(5000), "EUR"
	if _, err := w.s.Licenses.Create(ctx, c.ID, portal.LicenseInput{Model: &model, Quantity: &one, OveragePolicy: &hard,
		EndUserPrice: &portal.MoneyInput{Amount: &price, Currency: &cur}}); err != nil {
		t.Fatal(err)
	}
	t.Run("UnverifiedTargetsAreNamed", func(t *testing.T) {
		_, err := w.s.Scans.Create(ctx, c.ID, portal.ScanInput{Profile: &light, Targets: &portal.ScanTargets{IDs: []string{a.ID}}})
		if portal.ErrorCode(err) != portal.ECONFLICT || !strings.Contains(portal.ErrorMessage(err), a.ID) {
			t.Fatalf("err = %v, want ECONFLICT naming %s", err, a.ID)
		}
	})
	token = a.VerificationToken
	if v, err := w.s.Assets.Verify(ctx, c.ID, a.ID); err != nil || !v.Verified {
		t.Fatalf("verify: %v %s", err, v.LastCheckDetail)
	}
	t.Run("BadRequests", func(t *testing.T) {
		bogus := scan.Profile("deep")
		_, err := w.s.Scans.Create(ctx, c.ID, portal.ScanInput{Profile: &bogus, Targets: all})
		var pe *portal.Error
		if !asError(err, &pe) || pe.Code != portal.EINVALID || len(pe.Fields) != 1 || !strings.Contains(pe.Fields[0].Reason, "light, full, api") {
			t.Fatalf("unknown profile: %v, want EINVALID listing the profiles", err)
		}
		_, err = w.s.Scans.Create(ctx, c.ID, portal.ScanInput{Profile: &light, Targets: &portal.ScanTargets{}})
		if portal.ErrorCode(err) != portal.EINVALID {
			t.Fatalf("empty targets: %v, want EINVALID", err)
		}
		_, err = w.s.Scans.Create(ctx, c.ID, portal.ScanInput{Profile: &light, Targets: &portal.ScanTargets{IDs: []string{portal.AssetID("elsewhere.example")}}})
		if portal.ErrorCode(err) != portal.ENOTFOUND {
			t.Fatalf("a target that is not the customer's: %v, want ENOTFOUND", err)
		}
	})

	var first portal.Scan
	t.Run("TheScanRunsAndFindsTheWeakHeaders", func(t *testing.T) {
		sc, err := w.s.Scans.Create(ctx, c.ID, portal.ScanInput{Profile: &light, Targets: all})
		if err != nil {
			t.Fatal(err)
		}
		first, err = w.s.Scans.Get(ctx, c.ID, sc.ID)
		if err != nil || first.Status != portal.ScanCompleted {
			t.Fatalf("scan = %s (%s), %v; want completed", first.Status, first.Reason, err)
		}
		page, err := w.s.Findings.List(ctx, c.ID, portal.FindingParams{})
		if err != nil {
			t.Fatal(err)
		}
		checks := map[string]portal.FindingStatus{}
		for _, f := range page.Items {
			checks[f.CheckID] = f.Status
		}
		for _, id := range []string{"http.csp-missing", "http.server-disclosure"} {
			if checks[id] != portal.FindingOpen {
				t.Errorf("finding %s = %q, want open (findings: %v)", id, checks[id], checks)
			}
		}
		if got, _ := w.s.Customers.Get(ctx, c.ID); got.LastScanAt == nil {
			t.Error("the customer's lastScanAt was not recorded")
		}
	})
	t.Run("AHardPerScanLicenseRefusesTheScanBeyondItsQuantity", func(t *testing.T) {
		sc, err := w.s.Scans.Create(ctx, c.ID, portal.ScanInput{Profile: &light, Targets: all})
		if portal.ErrorCode(err) != portal.ECONFLICT || sc.Status != portal.ScanRefused || !strings.Contains(sc.Reason, "hard limit") {
			t.Fatalf("second scan = %s (%q), %v; want refused by the hard limit", sc.Status, sc.Reason, err)
		}
		back, err := w.s.Scans.Get(ctx, c.ID, sc.ID)
		if err != nil || back.Status != portal.ScanRefused {
			t.Fatalf("the refused scan is recorded: %+v %v", back, err)
		}
	})
	t.Run("ALaterScanMarksWhatIsGoneFixed", func(t *testing.T) {
		q := int64(5)
		lics, _ := w.s.Licenses.List(ctx, c.ID)
		if _, err := w.s.Licenses.Update(ctx, c.ID, lics[0].ID, portal.LicensePatch{Quantity: &q}, nil); err != nil {
			t.Fatal(err)
		}
		csp = true
		if _, err := w.s.Scans.Create(ctx, c.ID, portal.ScanInput{Profile: &light, Targets: all}); err != nil {
			t.Fatal(err)
		}
		page, _ := w.s.Findings.List(ctx, c.ID, portal.FindingParams{CheckID: "http.csp-missing"})
		if len(page.Items) != 1 || page.Items[0].Status != portal.FindingFixed {
			t.Fatalf("CSP finding = %+v, want one, fixed", page.Items)
		}
		page, _ = w.s.Findings.List(ctx, c.ID, portal.FindingParams{Status: "open"})
		for _, f := range page.Items {
			if f.CheckID == "http.csp-missing" {
				t.Fatalf("the fixed finding is still listed as open")
			}
		}
	})
	t.Run("PeopleDecideAndScansKeepTheDecision", func(t *testing.T) {
		page, _ := w.s.Findings.List(ctx, c.ID, portal.FindingParams{CheckID: "http.server-disclosure"})
		if len(page.Items) != 1 {
			t.Fatalf("server disclosure findings = %d, want 1", len(page.Items))
		}
		accepted := portal.FindingAcceptedRisk
		_, err := w.s.Findings.Update(ctx, c.ID, page.Items[0].ID, portal.FindingPatch{Status: &accepted})
		if portal.ErrorCode(err) != portal.EINVALID {
			t.Fatalf("accepting without a reason: %v, want EINVALID", err)
		}
		reason := "the banner is required by the customer's load balancer"
		if _, err := w.s.Findings.Update(ctx, c.ID, page.Items[0].ID, portal.FindingPatch{Status: &accepted, Reason: &reason}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.Scans.Create(ctx, c.ID, portal.ScanInput{Profile: &light, Targets: all}); err != nil {
			t.Fatal(err)
		}
		page, _ = w.s.Findings.List(ctx, c.ID, portal.FindingParams{CheckID: "http.server-disclosure"})
		if page.Items[0].Status != portal.FindingAcceptedRisk || page.Items[0].LastScanID == first.ID {
			t.Fatalf("after another scan: %s, last scan %s; want accepted_risk kept and the finding seen by the new scan", page.Items[0].Status, page.Items[0].LastScanID)
		}
	})
	t.Run("TheReportShowsTheFindings", func(t *testing.T) {
		rid := portal.ReportIDOf(first.ID)
		page, err := w.s.Reports.Get(ctx, c.ID, rid, "html")
		if err != nil {
			t.Fatal(err)
		}
		body := string(page.Body)
		for _, s := range []string{"Content-Security-Policy header missing", "Server software version disclosed", partner.Name, c.Name, a.Value, first.ID} {
			if !strings.Contains(body, html.EscapeString(s)) {
				t.Errorf("the HTML report lacks %q", s)
			}
		}
		doc, err := w.s.Reports.Get(ctx, c.ID, rid, "")
		if err != nil || doc.Format != portal.ReportJSON {
			t.Fatalf("JSON report: %v (format %q)", err, doc.Format)
		}
		var d report.Document
		if err := json.Unmarshal(doc.Body, &d); err != nil {
			t.Fatal(err)
		}
		var checks []string
		for _, f := range d.Assets[0].Findings {
			checks = append(checks, f.CheckID)
		}
		if d.ScanID != first.ID || d.Partner.Name != partner.Name || d.Customer.Name != c.Name || len(d.Assets) != 1 ||
			!slices.Contains(checks, "http.csp-missing") || !slices.Contains(checks, "http.server-disclosure") || d.Summary.Total != len(checks) {
			t.Fatalf("JSON report = %s", doc.Body)
		}

		list, err := w.s.Reports.List(ctx, c.ID, "", "")
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range list.Items {
			ids = append(ids, m.ID)
		}
		if len(ids) != 3 || ids[2] != rid || !slices.IsSortedFunc(ids, func(a, b string) int { return strings.Compare(b, a) }) {
			t.Fatalf("reports = %v, want the three completed scans' newest first, the first scan's last", ids)
		}
		later, err := w.s.Reports.Get(ctx, c.ID, ids[1], "json") // the scan after the CSP header was set
		if err != nil || !strings.Contains(string(later.Body), `"resolved": [`+"\n"+`        {`) || !strings.Contains(string(later.Body), `"checkId": "http.csp-missing"`) {
			t.Fatalf("the later report shows the CSP finding resolved: %v\n%s", err, later.Body)
		}

		refused, _ := w.s.Scans.List(ctx, c.ID, string(portal.ScanRefused), "", "")
		if len(refused.Items) != 1 {
			t.Fatalf("refused scans = %d, want 1", len(refused.Items))
		}
		if _, err := w.s.Reports.Get(ctx, c.ID, portal.ReportIDOf(refused.Items[0].ID), "html"); portal.ErrorCode(err) != portal.ENOTFOUND {
			t.Fatalf("report of a refused scan: %v, want ENOTFOUND", err)
		}
		// A scan the launcher has not run yet (as with the asynchronous
		// scan-run function), then running: no report yet.
		scope := tenancy.Scope{PartnerID: admin.PartnerID, TenantID: c.ID}
		queued := portal.Scan{ID: (&portal.ULIDs{}).New(portal.PrefixScan), PartnerID: admin.PartnerID, TenantID: c.ID, Profile: light,
			AssetIDs: []string{a.ID}, Trigger: portal.TriggerAPI, RequestedBy: admin.UserID, Status: portal.ScanQueued, CreatedAt: w.clock.Now(), Version: 1}
		if err := w.s.Store.AdmitScan(context.Background(), scope, queued, nil); err != nil {
			t.Fatal(err)
		}
		for _, status := range []portal.ScanStatus{portal.ScanQueued, portal.ScanRunning} {
			if status == portal.ScanRunning {
				queued.Status, queued.Version = portal.ScanRunning, 2
				if err := w.s.Store.UpdateScan(context.Background(), scope, queued); err != nil {
					t.Fatal(err)
				}
			}
			_, err := w.s.Reports.Get(ctx, c.ID, portal.ReportIDOf(queued.ID), "html")
			if portal.ErrorCode(err) != portal.ECONFLICT || !strings.Contains(portal.ErrorMessage(err), string(status)) {
				t.Fatalf("report of a %s scan: %v, want ECONFLICT saying so", status, err)
			}
		}
		// Completed, but its report not stored: being made (409) for a
		// while, then missing (404).
		done := w.clock.Now()
		queued.Status, queued.FinishedAt, queued.Version = portal.ScanCompleted, &done, 3
		if err := w.s.Store.UpdateScan(context.Background(), scope, queued); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.Reports.Get(ctx, c.ID, portal.ReportIDOf(queued.ID), ""); portal.ErrorCode(err) != portal.ECONFLICT {
			t.Fatalf("report of a scan that has just completed: %v, want ECONFLICT", err)
		}
		w.clock.Set(done.Add(portal.ReportGrace))
		if _, err := w.s.Reports.Get(ctx, c.ID, portal.ReportIDOf(queued.ID), ""); portal.ErrorCode(err) != portal.ENOTFOUND {
			t.Fatalf("report of a scan completed %s ago without one: %v, want ENOTFOUND", portal.ReportGrace, err)
		}
		if _, err := w.s.Reports.Get(ctx, c.ID, portal.ReportIDOf((&portal.ULIDs{}).New(portal.PrefixScan)), ""); portal.ErrorCode(err) != portal.ENOTFOUND {
			t.Fatalf("an unknown report: %v, want ENOTFOUND", err)
		}
		if _, err := w.s.Reports.Get(ctx, c.ID, rid, "pdf"); portal.ErrorCode(err) != portal.EINVALID {
			t.Fatalf("format pdf: %v, want EINVALID", err)
		}

		// Through the scans function's handler: the page is served as HTML.
		h, _ := httpapi.ForFunction(w.s, "scans")
		res, err := h.Handle(context.Background(), events.APIGatewayV2HTTPRequest{
			RouteKey: "GET /v1/customers/{customerId}/reports/{reportId}", RawPath: "/v1/customers/" + c.ID + "/reports/" + rid,
			PathParameters:        map[string]string{"customerId": c.ID, "reportId": rid},
			QueryStringParameters: map[string]string{"format": "html"},
			RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET"},
				Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: map[string]any{
					"userId": admin.UserID, "role": string(admin.Role), "partnerId": admin.PartnerID}}},
		})
		if err != nil || res.StatusCode != 200 || res.Headers["Content-Type"] != "text/html; charset=utf-8" || res.Body != body ||
			!strings.Contains(res.Headers["Content-Security-Policy"], "default-src 'none'") {
			t.Fatalf("GET …/reports/%s?format=html: %d %v %v", rid, res.StatusCode, res.Headers, err)
		}
	})
}

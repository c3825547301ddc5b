package services_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/partnerportal/portal/internal/asset"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/scan"
	"github.com/partnerportal/portal/internal/verify"
)

// A scan from request to findings on the assembled services: admitted
// against a hard per-scan license, run by the engine against a verified
// local web server, findings merged across scans.
func TestScansFromRequestToFindings(t *testing.T) {
	w := newMarginWorld(t)
	w.s.SetAssetPolicy(asset.Policy{AllowPrivate: true}, "") // the web server below is on 127.0.0.1
	w.setPricing(t, "EUR", map[portal.LicenseModel][2]int64{
		portal.ModelPerAsset: {199, 1990}, portal.ModelPerScan: {195, 1950}, portal.ModelUnlimited: {10000, 60000},
	})
	admin := w.admin
	ctx := ctxOf(admin)
	c := w.customer(t, admin, "Weak Web GmbH")

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
}

package report_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"html"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partnerportal/portal/internal/asset"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/report"
	"github.com/partnerportal/portal/internal/scan"
)

var update = flag.Bool("update", false, "rewrite testdata/report.golden.json from the renderer")

const hostile = `<script>alert("pwned")</script><img src=x onerror=alert(1)>`

// sample is a report of a completed light scan of two assets: findings of
// registered checks (so descriptions and remediations come from the
// registry), one with hostile evidence, one a person accepted, one
// resolved finding, one check error, and names with markup in them.
func sample() portal.Report {
	t0 := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	started, finished := t0.Add(2*time.Second), t0.Add(41*time.Second)
	sc := portal.Scan{
		ID: "scn_01JNZ5ZK5R8Q6V2X9C3W4Y7T1A", PartnerID: "prt_01JNZ5ZK5R8Q6V2X9C3W4Y7T1B", TenantID: "cus_01JNZ5ZK5R8Q6V2X9C3W4Y7T1C",
		Profile: scan.ProfileLight, AllTargets: true, AssetIDs: []string{"ast_B", "ast_A"}, RequestedBy: "usr_01JNZ5ZK5R8Q6V2X9C3W4Y7T1D",
		Status: portal.ScanCompleted, LicenseID: "lic_01JNZ5ZK5R8Q6V2X9C3W4Y7T1E", CreatedAt: t0, StartedAt: &started, FinishedAt: &finished,
		Errors: []scan.CheckError{{CheckID: "tls.expired", AssetID: "ast_A", Error: "www.weak.example:443: connection refused"}},
	}
	csp := scan.Finding{CheckID: "http.csp-missing", AssetID: "ast_A", Severity: scan.SeverityLow, Title: "Content-Security-Policy header missing",
		Detail: "https://www.weak.example/", Evidence: "GET https://www.weak.example/ answered 200 without Content-Security-Policy\n" + hostile}
	server := scan.Finding{CheckID: "http.server-disclosure", AssetID: "ast_A", Severity: scan.SeverityLow, Title: "Server software version disclosed",
		Detail: "Server", Evidence: "Server: Apache/2.4.41 (Ubuntu)"}
	expired := scan.Finding{CheckID: "tls.expired", AssetID: "ast_B", Severity: scan.SeverityHigh, Title: "TLS certificate expired",
		Detail: "api.weak.example:443", Evidence: "notAfter 2025-12-31T23:59:59Z"}
	accepted := portal.Finding{ID: portal.FindingID(server.Fingerprint()), AssetID: "ast_A", CheckID: server.CheckID, Status: portal.FindingAcceptedRisk,
		Reason: "the load balancer <needs> it", FirstSeenAt: t0.Add(-72 * time.Hour), LastScanID: sc.ID}
	fixed := portal.Finding{ID: "fnd_01JNZ5ZK5R8Q6V2X9C3W4Y7T1F", AssetID: "ast_A", CheckID: "http.hsts-missing", Severity: scan.SeverityMedium,
		Title: "Strict-Transport-Security header missing", Detail: "https://www.weak.example/", Status: portal.FindingFixed,
		FirstSeenAt: t0.Add(-72 * time.Hour), LastScanID: sc.ID}
	return portal.BuildReport(portal.ReportInput{
		Scan:     sc,
		Result:   scan.Result{Findings: []scan.Finding{csp, server, expired}},
		Partner:  portal.Partner{ID: sc.PartnerID, Name: `Shield & Sons <MSSP>`},
		Customer: portal.Customer{ID: sc.TenantID, Name: `Weak Web "GmbH"`},
		Assets: map[string]portal.Asset{
			"ast_A": {ID: "ast_A", Value: "https://www.weak.example/", Type: asset.WebApp},
			"ast_B": {ID: "ast_B", Value: "api.weak.example", Type: asset.Subdomain},
		},
		Findings: []portal.Finding{accepted, fixed},
		License:  &portal.License{ID: sc.LicenseID, Model: portal.ModelPerScan},
		Now:      finished.Add(time.Second),
	})
}

func TestHTML(t *testing.T) {
	r := sample()
	b, err := report.HTML(r)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)

	t.Run("ShowsEveryFindingWithItsRemediation", func(t *testing.T) {
		for _, a := range r.Assets {
			for _, f := range a.Findings {
				for what, s := range map[string]string{"title": f.Title, "remediation": f.Remediation, "description": f.Description, "check": f.CheckID} {
					if s == "" {
						t.Fatalf("finding %s has no %s: the registry should give it one", f.CheckID, what)
					}
					if !strings.Contains(page, html.EscapeString(s)) {
						t.Errorf("the page lacks the %s of %s: %q", what, f.CheckID, s)
					}
				}
			}
		}
		if got, want := strings.Count(page, `<article class="finding"`), 3; got != want {
			t.Errorf("the page has %d findings, want %d", got, want)
		}
	})
	t.Run("EscapesHostileText", func(t *testing.T) {
		for _, raw := range []string{"<script", "<img", `Shield & Sons <MSSP>`, `<needs>`} {
			if strings.Contains(page, raw) {
				t.Errorf("the page contains %q unescaped", raw)
			}
		}
		if !strings.Contains(page, "<pre>GET https://www.weak.example/ answered 200 without Content-Security-Policy\n&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;") {
			t.Error("the hostile evidence is not shown, escaped, in a <pre>")
		}
		for _, s := range []string{"Shield &amp; Sons &lt;MSSP&gt;", "Weak Web &#34;GmbH&#34;", "the load balancer &lt;needs&gt; it"} {
			if !strings.Contains(page, s) {
				t.Errorf("the page lacks %q", s)
			}
		}
	})
	t.Run("SummaryBySeverity", func(t *testing.T) {
		for sev, n := range map[string]string{"critical": "0", "high": "1", "medium": "0", "low": "2", "info": "0"} {
			row := regexp.MustCompile(`<tr><td><span class="badge sev-` + sev + `">[A-Za-z]+</span></td><td class="n">(\d+)</td></tr>`)
			m := row.FindStringSubmatch(page)
			if m == nil || m[1] != n {
				t.Errorf("summary row %s = %v, want %s", sev, m, n)
			}
		}
		if !strings.Contains(page, `<tr class="total"><td>Total</td><td class="n">3</td></tr>`) {
			t.Error("the summary has no total of 3")
		}
	})
	t.Run("MetadataResolvedAndErrors", func(t *testing.T) {
		for _, s := range []string{r.ID, r.ScanID, r.LicenseID, "Per scan", "light", "api.weak.example, https://www.weak.example/",
			"2 March 2026, 09:30 UTC", "Resolved since an earlier scan", "Strict-Transport-Security header missing",
			"Checks that could not run", "www.weak.example:443: connection refused", "Accepted risk"} {
			if !strings.Contains(page, s) {
				t.Errorf("the page lacks %q", s)
			}
		}
	})
	t.Run("SelfContainedAndPrintable", func(t *testing.T) {
		if tag := regexp.MustCompile(`(?i)<script|<[a-z]+[^>]*\s(src|href|action)=`).FindString(page); tag != "" {
			t.Errorf("the page runs script or refers to something outside itself: %q", tag)
		}
		for _, s := range []string{"@import", "url("} {
			if strings.Contains(page, s) {
				t.Errorf("the page's style refers to something outside itself: %q", s)
			}
		}
		for _, s := range []string{"@media print", "@page", "break-inside: avoid"} {
			if !strings.Contains(page, s) {
				t.Errorf("the page has no print style %q", s)
			}
		}
	})
	t.Run("AssetsInOrderOfValueFindingsMostSevereFirst", func(t *testing.T) {
		if i, j := strings.Index(page, `id="asset-ast_B"`), strings.Index(page, `id="asset-ast_A"`); i < 0 || j < 0 || i > j {
			t.Errorf("asset sections at %d (api.weak.example) and %d (https://www.weak.example/), want that order", i, j)
		}
		if r.Assets[1].Findings[0].Title != "Content-Security-Policy header missing" || r.Assets[1].Findings[1].Status != portal.FindingAcceptedRisk {
			t.Errorf("findings of %s = %+v", r.Assets[1].Value, r.Assets[1].Findings)
		}
	})
}

// The JSON document's field names are part of the API: the golden file
// lists every field path with its JSON type, so a renamed, removed or
// retyped field fails here (go test ./internal/report -update rewrites
// it). Values are checked below, not pinned: check texts come from the
// scan registry and may be reworded.
func TestJSONFieldsAreStable(t *testing.T) {
	b, err := report.JSON(sample())
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	fields := map[string]bool{}
	walk("", v, fields)
	got := slices.Sorted(maps.Keys(fields))
	golden := filepath.Join("testdata", "report.fields.txt")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -update)", err)
	}
	if want := strings.Split(strings.TrimSpace(string(raw)), "\n"); !slices.Equal(got, want) {
		t.Fatalf("the JSON report's fields changed:\n got  %q\n want %q", got, want)
	}
	var d report.Document
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if d.SchemaVersion != 1 || d.Summary.Total != 3 || d.Summary.High != 1 || len(d.Assets) != 2 || len(d.Assets[1].Findings) != 2 ||
		len(d.Assets[1].Resolved) != 1 || d.Partner.Name != `Shield & Sons <MSSP>` || !strings.Contains(d.Assets[1].Findings[0].Evidence, hostile) ||
		d.Assets[1].Findings[1].StatusReason != "the load balancer <needs> it" || d.Scan.License.Model != "per_scan" || len(d.Errors) != 1 {
		t.Fatalf("document = %s", b)
	}
}

// walk records the path and JSON type of every value in v ("assets[].findings[].title string").
func walk(path string, v any, out map[string]bool) {
	name := strings.TrimPrefix(path, ".")
	if name == "" {
		name = "."
	}
	switch x := v.(type) {
	case map[string]any:
		out[name+" object"] = true
		for k, e := range x {
			walk(path+"."+k, e, out)
		}
	case []any:
		out[name+" array"] = true
		for _, e := range x {
			walk(path+"[]", e, out)
		}
	case string:
		out[name+" string"] = true
	case float64:
		out[name+" number"] = true
	case bool:
		out[name+" boolean"] = true
	}
}

func TestRendererRendersEveryFormat(t *testing.T) {
	bodies, err := report.Renderer{}.Render(sample())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range portal.ReportFormats {
		if len(bodies[f]) == 0 {
			t.Errorf("no %s body", f)
		}
	}
	if !json.Valid(bodies[portal.ReportJSON]) || !bytes.HasPrefix(bodies[portal.ReportHTML], []byte("<!DOCTYPE html>")) {
		t.Error("the bodies are not JSON and HTML")
	}
}

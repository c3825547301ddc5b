// Package report renders scan reports (portal.Report) as a JSON document
// with stable field names and as a self-contained printable HTML page:
// inline CSS with print styles, no scripts, no external resources, every
// value escaped by html/template. It has no AWS imports.
package report

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/partnerportal/portal/internal/portal"
)

// SchemaVersion is the version of the JSON document's shape; it changes
// only when a field is removed or changes meaning.
const SchemaVersion = 1

// Renderer renders reports in every portal.ReportFormats format; it
// implements portal.ReportRenderer.
type Renderer struct{}

// Render returns the JSON and the HTML body of r.
func (Renderer) Render(r portal.Report) (map[portal.ReportFormat][]byte, error) {
	j, err := JSON(r)
	if err != nil {
		return nil, err
	}
	h, err := HTML(r)
	if err != nil {
		return nil, err
	}
	return map[portal.ReportFormat][]byte{portal.ReportJSON: j, portal.ReportHTML: h}, nil
}

// Document is the JSON form of a report. Its field names are part of the
// API: they are only ever added to.
type Document struct {
	SchemaVersion int             `json:"schemaVersion"`
	ID            string          `json:"id"`
	ScanID        string          `json:"scanId"`
	Partner       Party           `json:"partner"`
	Customer      Party           `json:"customer"`
	Scan          ScanInfo        `json:"scan"`
	GeneratedAt   time.Time       `json:"generatedAt"`
	Summary       Summary         `json:"summary"`
	Assets        []AssetSection  `json:"assets"`
	Errors        []CheckErrorDoc `json:"errors"`
}

// Party is the partner or the customer of a report.
type Party struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ScanInfo is the scan's metadata.
type ScanInfo struct {
	Profile     string      `json:"profile"`
	AllTargets  bool        `json:"allTargets"`
	Targets     []TargetDoc `json:"targets"`
	RequestedBy string      `json:"requestedBy"`
	License     LicenseDoc  `json:"license"`
	RequestedAt time.Time   `json:"requestedAt"`
	StartedAt   time.Time   `json:"startedAt"`
	FinishedAt  time.Time   `json:"finishedAt"`
}

// TargetDoc is one scanned asset.
type TargetDoc struct {
	AssetID string `json:"assetId"`
	Value   string `json:"value"`
	Type    string `json:"type"`
}

// LicenseDoc names the license the scan ran under (no prices).
type LicenseDoc struct {
	ID    string `json:"id"`
	Model string `json:"model"`
}

// Summary counts findings by severity.
type Summary struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Info     int `json:"info"`
	Total    int `json:"total"`
}

// AssetSection is one asset with what the scan found on it.
type AssetSection struct {
	AssetID  string       `json:"assetId"`
	Value    string       `json:"value"`
	Type     string       `json:"type"`
	Findings []FindingDoc `json:"findings"`
	Resolved []FindingDoc `json:"resolved"`
}

// FindingDoc is one finding.
type FindingDoc struct {
	FindingID    string    `json:"findingId"`
	CheckID      string    `json:"checkId"`
	Title        string    `json:"title"`
	Severity     string    `json:"severity"`
	Detail       string    `json:"detail"`
	Evidence     string    `json:"evidence"`
	Description  string    `json:"description"`
	Remediation  string    `json:"remediation"`
	Status       string    `json:"status"`
	StatusReason string    `json:"statusReason,omitempty"`
	FirstSeenAt  time.Time `json:"firstSeenAt"`
}

// CheckErrorDoc is a check that could not run on an asset.
type CheckErrorDoc struct {
	CheckID    string `json:"checkId"`
	CheckTitle string `json:"checkTitle"`
	AssetID    string `json:"assetId"`
	AssetValue string `json:"assetValue"`
	Error      string `json:"error"`
}

// NewDocument returns the JSON form of r.
func NewDocument(r portal.Report) Document {
	d := Document{
		SchemaVersion: SchemaVersion, ID: r.ID, ScanID: r.ScanID,
		Partner: Party{ID: r.PartnerID, Name: r.PartnerName}, Customer: Party{ID: r.CustomerID, Name: r.CustomerName},
		Scan: ScanInfo{
			Profile: string(r.Profile), AllTargets: r.AllTargets, Targets: []TargetDoc{}, RequestedBy: r.RequestedBy,
			License:     LicenseDoc{ID: r.LicenseID, Model: string(r.LicenseModel)},
			RequestedAt: r.RequestedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
		},
		GeneratedAt: r.GeneratedAt,
		Summary: Summary{Critical: r.Summary.Critical, High: r.Summary.High, Medium: r.Summary.Medium, Low: r.Summary.Low,
			Info: r.Summary.Info, Total: r.Summary.Total()},
		Assets: []AssetSection{},
		Errors: []CheckErrorDoc{},
	}
	for _, a := range r.Assets {
		d.Scan.Targets = append(d.Scan.Targets, TargetDoc{AssetID: a.AssetID, Value: a.Value, Type: string(a.Type)})
		d.Assets = append(d.Assets, AssetSection{AssetID: a.AssetID, Value: a.Value, Type: string(a.Type),
			Findings: findingDocs(a.Findings), Resolved: findingDocs(a.Resolved)})
	}
	for _, e := range r.Errors {
		d.Errors = append(d.Errors, CheckErrorDoc(e))
	}
	return d
}

func findingDocs(fs []portal.ReportFinding) []FindingDoc {
	out := make([]FindingDoc, 0, len(fs))
	for _, f := range fs {
		out = append(out, FindingDoc{
			FindingID: f.FindingID, CheckID: f.CheckID, Title: f.Title, Severity: string(f.Severity), Detail: f.Detail,
			Evidence: f.Evidence, Description: f.Description, Remediation: f.Remediation, Status: string(f.Status),
			StatusReason: f.StatusReason, FirstSeenAt: f.FirstSeenAt,
		})
	}
	return out
}

// JSON returns the report as an indented JSON document (see Document).
func JSON(r portal.Report) ([]byte, error) {
	b, err := json.MarshalIndent(NewDocument(r), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("report %s: encode JSON: %w", r.ID, err)
	}
	return append(b, '\n'), nil
}

//go:embed report.html.tmpl
var pageSource string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"when":   when,
	"label":  label,
	"plural": plural,
}).Parse(pageSource))

// severityRow is one line of the HTML summary table.
type severityRow struct {
	Severity string
	Count    int
}

// pageData is what the HTML template sees.
type pageData struct {
	Document
	Severities []severityRow
	Findings   int
	Resolved   int
}

// HTML returns the report as a self-contained printable HTML page.
func HTML(r portal.Report) ([]byte, error) {
	d := pageData{Document: NewDocument(r)}
	for _, sev := range portal.SeveritiesDescending {
		d.Severities = append(d.Severities, severityRow{Severity: string(sev), Count: r.Summary.Count(sev)})
	}
	d.Findings = r.Summary.Total()
	for _, a := range r.Assets {
		d.Resolved += len(a.Resolved)
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, d); err != nil {
		return nil, fmt.Errorf("report %s: render HTML: %w", r.ID, err)
	}
	return buf.Bytes(), nil
}

// when formats a time for people, in UTC; "—" for the zero time.
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2 January 2006, 15:04 UTC")
}

// label turns a code ("accepted_risk", "high") into words ("Accepted risk", "High").
func label(s string) string {
	s = strings.ReplaceAll(s, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// plural returns "1 finding" or "3 findings".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

package portal

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/partnerportal/portal/internal/asset"
	"github.com/partnerportal/portal/internal/scan"
)

// PrefixReport prefixes report IDs. A completed scan has one report, whose
// ID is the scan's ULID with this prefix: scn_01J… → rpt_01J….
const PrefixReport = "rpt_"

// ReportIDOf returns the ID of the report of the scan scanID.
func ReportIDOf(scanID string) string {
	return PrefixReport + strings.TrimPrefix(scanID, PrefixScan)
}

// ScanIDOfReport returns the ID of the scan the report reportID is of.
func ScanIDOfReport(reportID string) string {
	return PrefixScan + strings.TrimPrefix(reportID, PrefixReport)
}

// ReportFormat is a rendering of a report.
type ReportFormat string

// Report formats: the JSON document (stable field names, for machines) and
// a self-contained printable HTML page (for people).
const (
	ReportJSON ReportFormat = "json"
	ReportHTML ReportFormat = "html"
)

// ReportFormats lists every format, the default (JSON) first.
var ReportFormats = []ReportFormat{ReportJSON, ReportHTML}

// ContentType returns the media type of the format's body.
func (f ReportFormat) ContentType() string {
	if f == ReportHTML {
		return "text/html; charset=utf-8"
	}
	return "application/json"
}

// Report is what a completed scan found, as handed to the customer: who
// scanned whom, how, and per asset what was found with its evidence and
// how to fix it. It carries no prices or costs.
type Report struct {
	ID           string
	ScanID       string
	PartnerID    string
	PartnerName  string
	CustomerID   string
	CustomerName string
	Profile      scan.Profile
	// AllTargets: the scan was asked for every verified asset.
	AllTargets   bool
	RequestedBy  string
	LicenseID    string
	LicenseModel LicenseModel // "" when the license is no longer stored
	RequestedAt  time.Time
	StartedAt    time.Time
	FinishedAt   time.Time
	GeneratedAt  time.Time
	Summary      ReportSummary
	// Assets are the scan's targets, by value, each with its findings.
	Assets []ReportAsset
	// Errors are the checks that could not run to completion.
	Errors []ReportCheckError
}

// ReportSummary counts a report's findings by severity.
type ReportSummary struct {
	Critical, High, Medium, Low, Info int
}

// Add counts one finding of severity sev.
func (s *ReportSummary) Add(sev scan.Severity) {
	switch sev {
	case scan.SeverityCritical:
		s.Critical++
	case scan.SeverityHigh:
		s.High++
	case scan.SeverityMedium:
		s.Medium++
	case scan.SeverityLow:
		s.Low++
	default:
		s.Info++
	}
}

// Count returns the number of findings of severity sev.
func (s ReportSummary) Count(sev scan.Severity) int {
	switch sev {
	case scan.SeverityCritical:
		return s.Critical
	case scan.SeverityHigh:
		return s.High
	case scan.SeverityMedium:
		return s.Medium
	case scan.SeverityLow:
		return s.Low
	case scan.SeverityInfo:
		return s.Info
	}
	return 0
}

// Total returns the number of findings.
func (s ReportSummary) Total() int { return s.Critical + s.High + s.Medium + s.Low + s.Info }

// SeveritiesDescending lists the severities, most severe first (the order
// of a report's summary and findings).
var SeveritiesDescending = []scan.Severity{scan.SeverityCritical, scan.SeverityHigh, scan.SeverityMedium, scan.SeverityLow, scan.SeverityInfo}

// ReportAsset is one scanned asset of a report.
type ReportAsset struct {
	AssetID string
	Value   string
	Type    asset.Type
	// Findings are what the scan saw on the asset, most severe first.
	Findings []ReportFinding
	// Resolved are findings of earlier scans this scan no longer saw
	// (marked fixed by it).
	Resolved []ReportFinding
}

// ReportFinding is one finding as a report shows it: the check's
// description and remediation come from the check registry.
type ReportFinding struct {
	FindingID   string
	CheckID     string
	Title       string
	Severity    scan.Severity
	Detail      string
	Evidence    string
	Description string
	Remediation string
	Status      FindingStatus
	// StatusReason: why a person accepted the risk or called it a false
	// positive.
	StatusReason string
	FirstSeenAt  time.Time
}

// ReportCheckError is a check that could not run on an asset.
type ReportCheckError struct {
	CheckID    string
	CheckTitle string
	AssetID    string
	AssetValue string
	Error      string
}

// ReportMeta is what is stored about a report besides its bodies: enough
// to list reports and find the bodies.
type ReportMeta struct {
	ID             string
	ScanID         string
	PartnerID      string
	TenantID       string
	Profile        scan.Profile
	ScanFinishedAt time.Time
	CreatedAt      time.Time
	Summary        ReportSummary
	// Sizes are the sizes of the stored bodies, in bytes, by format.
	Sizes map[ReportFormat]int64
}

// Meta returns the metadata of r (without body sizes).
func (r Report) Meta() ReportMeta {
	return ReportMeta{
		ID: r.ID, ScanID: r.ScanID, PartnerID: r.PartnerID, TenantID: r.CustomerID, Profile: r.Profile,
		ScanFinishedAt: r.FinishedAt, CreatedAt: r.GeneratedAt, Summary: r.Summary,
	}
}

// ReportInput is what a report is built from: a completed scan, its
// engine result, and what is stored about its partner, customer, targets,
// findings (after the scan's merge) and license.
type ReportInput struct {
	Scan     Scan
	Result   scan.Result
	Partner  Partner
	Customer Customer
	Assets   map[string]Asset // by ID; the scan's targets
	Findings []Finding        // the customer's findings
	License  *License         // the scan's license, if still stored
	Now      time.Time
}

// BuildReport builds the report of a completed scan. The findings are
// those of the engine's result, with their status (and a person's reason)
// from the stored findings; an asset's resolved findings are stored ones
// the scan marked fixed. It never fails: missing assets show by ID,
// unknown checks without description.
func BuildReport(in ReportInput) Report {
	sc := in.Scan
	r := Report{
		ID: ReportIDOf(sc.ID), ScanID: sc.ID, PartnerID: sc.PartnerID, PartnerName: in.Partner.Name,
		CustomerID: sc.TenantID, CustomerName: in.Customer.Name, Profile: sc.Profile, AllTargets: sc.AllTargets,
		RequestedBy: sc.RequestedBy, LicenseID: sc.LicenseID, RequestedAt: sc.CreatedAt, GeneratedAt: in.Now,
		Errors: []ReportCheckError{},
	}
	if in.License != nil {
		r.LicenseModel = in.License.Model
	}
	if sc.StartedAt != nil {
		r.StartedAt = *sc.StartedAt
	}
	if sc.FinishedAt != nil {
		r.FinishedAt = *sc.FinishedAt
	}
	stored := make(map[string]Finding, len(in.Findings))
	for _, f := range in.Findings {
		stored[f.ID] = f
	}
	byAsset := map[string]*ReportAsset{}
	for _, id := range sc.AssetIDs {
		ra := ReportAsset{AssetID: id, Value: id, Findings: []ReportFinding{}, Resolved: []ReportFinding{}}
		if a, ok := in.Assets[id]; ok {
			ra.Value, ra.Type = a.Value, a.Type
		}
		r.Assets = append(r.Assets, ra)
	}
	for i := range r.Assets {
		byAsset[r.Assets[i].AssetID] = &r.Assets[i]
	}
	for _, f := range in.Result.Findings {
		ra := byAsset[f.AssetID]
		if ra == nil {
			continue // not a target of this scan: the engine scans only targets
		}
		rf := reportFinding(f.CheckID, f.Title, f.Severity, f.Detail, f.Evidence)
		rf.FindingID, rf.Status, rf.FirstSeenAt = FindingID(f.Fingerprint()), FindingOpen, sc.CreatedAt
		if st, ok := stored[rf.FindingID]; ok {
			rf.Status, rf.StatusReason, rf.FirstSeenAt = st.Status, st.Reason, st.FirstSeenAt
		}
		ra.Findings = append(ra.Findings, rf)
		r.Summary.Add(f.Severity)
	}
	for _, f := range in.Findings {
		ra := byAsset[f.AssetID]
		if ra == nil || f.LastScanID != sc.ID || f.Status != FindingFixed {
			continue
		}
		rf := reportFinding(f.CheckID, f.Title, f.Severity, f.Detail, f.Evidence)
		rf.FindingID, rf.Status, rf.FirstSeenAt = f.ID, f.Status, f.FirstSeenAt
		ra.Resolved = append(ra.Resolved, rf)
	}
	for i := range r.Assets {
		sortReportFindings(r.Assets[i].Findings)
		sortReportFindings(r.Assets[i].Resolved)
	}
	slices.SortStableFunc(r.Assets, func(a, b ReportAsset) int { return cmp.Compare(a.Value, b.Value) })
	for _, e := range sc.Errors {
		re := ReportCheckError{CheckID: e.CheckID, CheckTitle: e.CheckID, AssetID: e.AssetID, AssetValue: e.AssetID, Error: e.Error}
		if c, ok := scan.Lookup(e.CheckID); ok {
			re.CheckTitle = c.Title
		}
		if ra := byAsset[e.AssetID]; ra != nil {
			re.AssetValue = ra.Value
		}
		r.Errors = append(r.Errors, re)
	}
	return r
}

func reportFinding(checkID, title string, sev scan.Severity, detail, evidence string) ReportFinding {
	rf := ReportFinding{CheckID: checkID, Title: title, Severity: sev, Detail: detail, Evidence: evidence}
	if c, ok := scan.Lookup(checkID); ok {
		rf.Description, rf.Remediation = c.Description, c.Remediation
		if rf.Title == "" {
			rf.Title = c.Title
		}
	}
	return rf
}

// sortReportFindings orders findings most severe first, then by title
// and detail, so a report reads the same on every rendering.
func sortReportFindings(fs []ReportFinding) {
	slices.SortStableFunc(fs, func(a, b ReportFinding) int {
		return cmp.Or(
			cmp.Compare(slices.Index(SeveritiesDescending, a.Severity), slices.Index(SeveritiesDescending, b.Severity)),
			cmp.Compare(a.Title, b.Title),
			cmp.Compare(a.Detail, b.Detail),
		)
	})
}

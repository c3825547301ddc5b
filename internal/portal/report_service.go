package portal

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/partnerportal/portal/internal/scan"
	"github.com/partnerportal/portal/internal/tenancy"
)

// ReportStore keeps reports: their metadata and their bodies, one per
// format.
type ReportStore interface {
	// PutReport stores a report's bodies and then its metadata (so a
	// listed report has its bodies); storing the report of a scan again
	// replaces it.
	PutReport(ctx context.Context, scope tenancy.Scope, m ReportMeta, bodies map[ReportFormat][]byte) error
	// GetReport returns a report's metadata; ENOTFOUND if it is not in scope.
	GetReport(ctx context.Context, scope tenancy.Scope, customerID, reportID string) (ReportMeta, error)
	// ReportBody returns the body of m in format f; ENOTFOUND when it is
	// not stored.
	ReportBody(ctx context.Context, scope tenancy.Scope, m ReportMeta, f ReportFormat) ([]byte, error)
	// ListReports returns a page of a customer's reports, newest first.
	ListReports(ctx context.Context, scope tenancy.Scope, customerID string, limit int, start Position) ([]ReportMeta, Position, error)
}

// ReportIndex keeps reports' metadata (the table's part of a ReportStore
// whose bodies are elsewhere).
type ReportIndex interface {
	// PutReportMeta stores m, replacing the metadata of the same report.
	PutReportMeta(ctx context.Context, scope tenancy.Scope, m ReportMeta) error
	// GetReportMeta returns a report's metadata; ENOTFOUND if it is not in scope.
	GetReportMeta(ctx context.Context, scope tenancy.Scope, customerID, reportID string) (ReportMeta, error)
	// ListReportMeta returns a page of a customer's reports, newest first.
	ListReportMeta(ctx context.Context, scope tenancy.Scope, customerID string, limit int, start Position) ([]ReportMeta, Position, error)
}

// ReportRenderer renders a report in every format of ReportFormats.
type ReportRenderer interface {
	// Render returns the body of r in each format; an error is a fault
	// of the renderer.
	Render(r Report) (map[ReportFormat][]byte, error)
}

// ReportMaker makes the report of a scan that completed with res.
// *ReportService implements it for ScanRunService.
type ReportMaker interface {
	// MakeReport builds, renders and stores the report of the scan ref if
	// it is completed (nothing otherwise: it was cancelled meanwhile).
	MakeReport(ctx context.Context, ref ScanRef, res scan.Result) error
}

// ReportService makes a report of each completed scan and serves them.
type ReportService struct {
	// Store keeps the reports; nil until the deployment names one (see
	// errNoReportStore).
	Store     ReportStore
	Renderer  ReportRenderer
	Scans     ScanStore
	Partners  PartnerStore
	Customers CustomerStore
	Assets    AssetStore
	Findings  FindingStore
	Licenses  LicenseStore
	Grants    GrantStore
	Cursors   Cursors
	Clock     Clock
}

var errNoReportStore = errors.New("no report store is configured (REPORTS_BUCKET)")

// report makes the report of the scan ref, completed with res, when the
// service has a report maker.
func (s *ScanRunService) report(ctx context.Context, ref ScanRef, res scan.Result) error {
	if s.Reports == nil {
		return nil
	}
	return s.Reports.MakeReport(ctx, ref, res)
}

// MakeReport implements ReportMaker. Errors are faults of the stores or
// the renderer (a missing partner or customer among them).
func (s *ReportService) MakeReport(ctx context.Context, ref ScanRef, res scan.Result) error {
	if s.Store == nil {
		return errNoReportStore
	}
	scope := tenancy.Scope{PartnerID: ref.PartnerID, TenantID: ref.TenantID}
	sc, err := s.Scans.GetScan(ctx, scope, ref.TenantID, ref.ScanID)
	if err != nil || sc.Status != ScanCompleted {
		return err
	}
	in := ReportInput{Scan: sc, Result: res, Now: s.Clock()}
	if in.Partner, err = s.Partners.GetPartner(ctx, sc.PartnerID); err != nil {
		return fmt.Errorf("report of %s: read partner: %w", sc.ID, err)
	}
	if in.Customer, err = s.Customers.GetCustomer(ctx, scope, sc.TenantID); err != nil {
		return fmt.Errorf("report of %s: read customer: %w", sc.ID, err)
	}
	if in.Assets, err = s.Assets.GetAssets(ctx, scope, sc.TenantID, sc.AssetIDs); err != nil {
		return fmt.Errorf("report of %s: read assets: %w", sc.ID, err)
	}
	if in.Findings, err = s.Findings.AllFindings(ctx, scope, sc.TenantID); err != nil {
		return fmt.Errorf("report of %s: read findings: %w", sc.ID, err)
	}
	licenses, err := s.Licenses.ListLicenses(ctx, scope, sc.TenantID)
	if err != nil {
		return fmt.Errorf("report of %s: read licenses: %w", sc.ID, err)
	}
	if i := slices.IndexFunc(licenses, func(l License) bool { return l.ID == sc.LicenseID }); i >= 0 {
		in.License = &licenses[i]
	}
	r := BuildReport(in)
	bodies, err := s.Renderer.Render(r)
	if err != nil {
		return fmt.Errorf("report of %s: render: %w", sc.ID, err)
	}
	m := r.Meta()
	m.Sizes = map[ReportFormat]int64{}
	for f, b := range bodies {
		m.Sizes[f] = int64(len(b))
	}
	if err := s.Store.PutReport(ctx, scope, m, bodies); err != nil {
		return fmt.Errorf("report of %s: store: %w", sc.ID, err)
	}
	return nil
}

// ReportPage is one page of a customer's reports.
type ReportPage struct {
	Items      []ReportMeta
	NextCursor string
}

// List returns a page of a customer's reports, newest first. Readers of
// the customer's findings may (partner admins, granted members, the
// customer's users unless its access is disabled). EINVALID names a bad
// limit or cursor.
func (s *ReportService) List(ctx context.Context, customerID, limit, cursor string) (ReportPage, error) {
	id, err := assetReader(ctx, s.Grants, customerID)
	if err != nil {
		return ReportPage{}, err
	}
	var p Problems
	n := parsePageSize(&p, limit)
	if err := p.Err(); err != nil {
		return ReportPage{}, err
	}
	query := fmt.Sprintf("reports %s %d", customerID, n)
	start, err := s.Cursors.Decode(id, query, cursor)
	if err != nil {
		return ReportPage{}, err
	}
	if err := partnerCustomerExists(ctx, s.Grants, id, customerID); err != nil {
		return ReportPage{}, err
	}
	if s.Store == nil {
		return ReportPage{}, errNoReportStore
	}
	items, next, err := s.Store.ListReports(ctx, tenancy.Scope{PartnerID: id.PartnerID, TenantID: customerID}, customerID, n, start)
	if err != nil {
		return ReportPage{}, fmt.Errorf("list reports: %w", err)
	}
	return ReportPage{Items: items, NextCursor: s.Cursors.Encode(id, query, next)}, nil
}

// ReportDocument is a report's metadata and its body in one format.
type ReportDocument struct {
	Meta   ReportMeta
	Format ReportFormat
	Body   []byte
}

// Get returns a report in format ("" for JSON), to the readers List
// allows. EINVALID names an unknown format; ECONFLICT when the report's
// scan is queued or running, or completed less than ReportGrace ago (the
// report is made when it completes);
// ENOTFOUND for an unknown report and for scans that ended without one
// (failed, cancelled, refused).
func (s *ReportService) Get(ctx context.Context, customerID, reportID, format string) (ReportDocument, error) {
	id, err := assetReader(ctx, s.Grants, customerID)
	if err != nil {
		return ReportDocument{}, err
	}
	f := ReportFormat(format)
	if f == "" {
		f = ReportJSON
	}
	var p Problems
	oneOf(&p, "format", f, ReportFormats)
	if err := p.Err(); err != nil {
		return ReportDocument{}, err
	}
	if !ValidID(PrefixReport, reportID) {
		return ReportDocument{}, Errorf(ENOTFOUND, "report %s not found", reportID)
	}
	if s.Store == nil {
		return ReportDocument{}, errNoReportStore
	}
	scope := tenancy.Scope{PartnerID: id.PartnerID, TenantID: customerID}
	m, err := s.Store.GetReport(ctx, scope, customerID, reportID)
	if ErrorCode(err) == ENOTFOUND {
		return ReportDocument{}, s.missing(ctx, scope, customerID, reportID)
	}
	if err != nil {
		return ReportDocument{}, err
	}
	body, err := s.Store.ReportBody(ctx, scope, m, f)
	if err != nil {
		return ReportDocument{}, err
	}
	return ReportDocument{Meta: m, Format: f, Body: body}, nil
}

// ReportGrace is how long after its scan completed a missing report is
// taken to be still in the making (the run stores it right after marking
// the scan completed), not missing.
const ReportGrace = 2 * time.Minute

// missing says why there is no report reportID: its scan is not done yet,
// or only just (ECONFLICT), ended without a report, or does not exist
// (ENOTFOUND).
func (s *ReportService) missing(ctx context.Context, scope tenancy.Scope, customerID, reportID string) error {
	sc, err := s.Scans.GetScan(ctx, scope, customerID, ScanIDOfReport(reportID))
	switch {
	case ErrorCode(err) == ENOTFOUND:
		return Errorf(ENOTFOUND, "report %s not found", reportID)
	case err != nil:
		return err
	case !sc.Status.Final():
		return Errorf(ECONFLICT, "scan %s is %s: its report %s is made when the scan completes", sc.ID, sc.Status, reportID)
	case sc.Status == ScanCompleted && sc.FinishedAt != nil && s.Clock().Sub(*sc.FinishedAt) < ReportGrace:
		return Errorf(ECONFLICT, "scan %s has just completed: its report %s is being made, ask again in a few seconds", sc.ID, reportID)
	case sc.Status == ScanCompleted:
		return Errorf(ENOTFOUND, "report %s not found: scan %s completed, but no report of it is stored", reportID, sc.ID)
	}
	return Errorf(ENOTFOUND, "report %s not found: scan %s is %s, and only completed scans have a report", reportID, sc.ID, sc.Status)
}

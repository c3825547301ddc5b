package portal

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/partnerportal/portal/internal/scan"
	"github.com/partnerportal/portal/internal/tenancy"
)

// FindingQuery selects a customer's findings; empty fields match all.
type FindingQuery struct {
	Severity scan.Severity
	Status   FindingStatus
	AssetID  string
	CheckID  string
	Limit    int
}

// FindingStore persists findings.
type FindingStore interface {
	// ListFindings returns a page of a customer's findings matching q.
	ListFindings(ctx context.Context, scope tenancy.Scope, customerID string, q FindingQuery, start Position) ([]Finding, Position, error)
	// AllFindings returns every finding of a customer.
	AllFindings(ctx context.Context, scope tenancy.Scope, customerID string) ([]Finding, error)
	// GetFinding returns one finding; ENOTFOUND otherwise.
	GetFinding(ctx context.Context, scope tenancy.Scope, customerID, findingID string) (Finding, error)
	// SaveFindings writes findings: new ones (Version 1) created, others
	// replaced if stored at Version-1 (others are skipped: a person or
	// another scan changed them meanwhile).
	SaveFindings(ctx context.Context, scope tenancy.Scope, fs []Finding) error
	// UpdateFinding replaces a finding stored at f.Version-1
	// (EPRECONDITION otherwise), with the audit entry ctx carries.
	UpdateFinding(ctx context.Context, scope tenancy.Scope, f Finding) error
}

// FindingService lists findings and records people's decisions on them.
type FindingService struct {
	Store   FindingStore
	Grants  GrantStore
	Cursors Cursors
	Clock   Clock
	IDs     IDs
}

// FindingParams are the raw parameters of GET …/findings.
type FindingParams struct {
	Severity, Status, AssetID, CheckID, Limit, Cursor string
}

// FindingPage is one page of findings.
type FindingPage struct {
	Items      []Finding
	NextCursor string
}

// List returns a page of a customer's findings. EINVALID names a bad filter.
func (s *FindingService) List(ctx context.Context, customerID string, fp FindingParams) (FindingPage, error) {
	id, err := assetReader(ctx, s.Grants, customerID)
	if err != nil {
		return FindingPage{}, err
	}
	var p Problems
	q := FindingQuery{Severity: scan.Severity(fp.Severity), Status: FindingStatus(fp.Status), AssetID: fp.AssetID, CheckID: fp.CheckID, Limit: parsePageSize(&p, fp.Limit)}
	if q.Severity != "" {
		oneOf(&p, "severity", q.Severity, []scan.Severity{scan.SeverityInfo, scan.SeverityLow, scan.SeverityMedium, scan.SeverityHigh, scan.SeverityCritical})
	}
	if q.Status != "" {
		oneOf(&p, "status", q.Status, FindingStatuses)
	}
	if q.AssetID != "" && !ValidID(PrefixAsset, q.AssetID) {
		p.Add("assetId", "must be an asset ID such as ast_01JD…")
	}
	if err := p.Err(); err != nil {
		return FindingPage{}, err
	}
	query := fmt.Sprintf("findings %s %+v", customerID, q)
	start, err := s.Cursors.Decode(id, query, fp.Cursor)
	if err != nil {
		return FindingPage{}, err
	}
	if err := partnerCustomerExists(ctx, s.Grants, id, customerID); err != nil {
		return FindingPage{}, err
	}
	items, next, err := s.Store.ListFindings(ctx, tenancy.Scope{PartnerID: id.PartnerID, TenantID: customerID}, customerID, q, start)
	if err != nil {
		return FindingPage{}, fmt.Errorf("list findings: %w", err)
	}
	return FindingPage{Items: items, NextCursor: s.Cursors.Encode(id, query, next)}, nil
}

// FindingPatch is the body of PATCH …/findings/{findingId}.
type FindingPatch struct {
	Status *FindingStatus `json:"status"`
	Reason *string        `json:"reason"`
}

// MaxReasonLength bounds a finding decision's reason.
const MaxReasonLength = 1000

// Update records a decision on a finding: accepted_risk or false_positive
// with a reason, or open again. Partner personnel and customer admins
// with full access. EINVALID names a bad status or a missing reason.
func (s *FindingService) Update(ctx context.Context, customerID, findingID string, in FindingPatch) (Finding, error) {
	id, err := assetWriter(ctx, s.Grants, customerID)
	if err != nil {
		return Finding{}, err
	}
	var p Problems
	var reason string
	if in.Reason != nil {
		reason = strings.TrimSpace(*in.Reason)
	}
	switch {
	case in.Status == nil:
		p.Add("status", "is required: accepted_risk, false_positive or open")
	case *in.Status != FindingAcceptedRisk && *in.Status != FindingFalsePositive && *in.Status != FindingOpen:
		p.Add("status", "must be accepted_risk, false_positive or open (scans set fixed and reopened)")
	case in.Status.decided() && reason == "":
		p.Add("reason", "is required for %s: say why", *in.Status)
	}
	if utf8.RuneCountInString(reason) > MaxReasonLength {
		p.Add("reason", "must be at most %d characters", MaxReasonLength)
	}
	if err := p.Err(); err != nil {
		return Finding{}, err
	}
	if !ValidID(PrefixFinding, findingID) {
		return Finding{}, Errorf(ENOTFOUND, "finding %s not found", findingID)
	}
	scope := tenancy.Scope{PartnerID: id.PartnerID, TenantID: customerID}
	f, err := s.Store.GetFinding(ctx, scope, customerID, findingID)
	if err != nil {
		return Finding{}, err
	}
	before := f
	f.Status, f.Reason, f.UpdatedAt = *in.Status, reason, s.Clock()
	f.Version++
	actx := auditor{s.Clock, s.IDs}.audit(ctx, "finding.update", f.ID, scope,
		map[string]any{"status": string(before.Status), "reason": before.Reason}, map[string]any{"status": string(f.Status), "reason": f.Reason})
	if err := s.Store.UpdateFinding(actx, scope, f); err != nil {
		return Finding{}, err
	}
	return f, nil
}

package portal

import (
	"context"
	"fmt"
	"time"

	"github.com/partnerportal/portal/internal/scan"
	"github.com/partnerportal/portal/internal/tenancy"
)

// ScanRef names a scan to run (what the launcher hands over).
type ScanRef struct {
	PartnerID string `json:"partnerId"`
	TenantID  string `json:"customerId"`
	ScanID    string `json:"scanId"`
}

// Ref returns the reference of s.
func (s Scan) Ref() ScanRef {
	return ScanRef{PartnerID: s.PartnerID, TenantID: s.TenantID, ScanID: s.ID}
}

// LastScanRecorder records when a customer was last scanned.
type LastScanRecorder interface {
	// RecordLastScan sets the customer's lastScanAt (kept if later).
	RecordLastScan(ctx context.Context, scope tenancy.Scope, customerID string, at time.Time) error
}

// ScanRunService runs admitted scans (functions/scan-run): the engine
// scans the verified targets, findings are merged and the scan completes.
type ScanRunService struct {
	Scans     ScanStore
	Assets    AssetStore
	Findings  FindingStore
	Customers LastScanRecorder
	Engine    scan.Runner
	Clock     Clock
	// Reports makes the report of each completed scan; nil makes none.
	Reports ReportMaker
}

// Run runs a queued scan to its end. A scan that is not queued (run
// already, cancelled) is left alone, so a repeated invocation is harmless.
// Errors are faults of the store; a failing engine fails the scan instead.
func (s *ScanRunService) Run(ctx context.Context, ref ScanRef) error {
	scope := tenancy.Scope{PartnerID: ref.PartnerID, TenantID: ref.TenantID}
	sc, err := s.Scans.GetScan(ctx, scope, ref.TenantID, ref.ScanID)
	if err != nil || sc.Status != ScanQueued {
		return err
	}
	started := s.Clock()
	sc.Status, sc.StartedAt = ScanRunning, &started
	sc.Version++
	if err := s.Scans.UpdateScan(ctx, scope, sc); err != nil {
		if ErrorCode(err) == EPRECONDITION {
			return nil // cancelled or taken meanwhile
		}
		return err
	}
	stored, err := s.Assets.GetAssets(ctx, scope, ref.TenantID, sc.AssetIDs)
	if err != nil {
		return fmt.Errorf("read targets: %w", err)
	}
	var targets []scan.Target
	for _, id := range sc.AssetIDs {
		if a, ok := stored[id]; ok && a.Verified {
			targets = append(targets, scan.Target{AssetID: a.ID, Asset: a.Normalized()})
		}
	}
	res, err := s.Engine.Run(ctx, sc.Profile, targets)
	if err == nil && len(targets) == 0 {
		err = fmt.Errorf("none of its targets is a verified asset any more")
	}
	if err != nil {
		return s.finish(ctx, scope, sc, ScanFailed, "the scan could not run: "+ErrorMessage(err), nil)
	}
	current, err := s.Scans.GetScan(ctx, scope, ref.TenantID, ref.ScanID)
	if err != nil || current.Status != ScanRunning {
		return err // cancelled while running: what it found is discarded
	}
	existing, err := s.Findings.AllFindings(ctx, scope, ref.TenantID)
	if err != nil {
		return fmt.Errorf("read findings: %w", err)
	}
	now := s.Clock()
	if err := s.Findings.SaveFindings(ctx, scope, mergeFindings(existing, res, sc, now)); err != nil {
		return fmt.Errorf("save findings: %w", err)
	}
	if err := s.finish(ctx, scope, current, ScanCompleted, "", &res); err != nil {
		return err
	}
	if err := s.Customers.RecordLastScan(ctx, scope, ref.TenantID, now); err != nil {
		return err
	}
	return s.report(ctx, ref, res)
}

// finish ends sc with status, the reason and the engine's result.
func (s *ScanRunService) finish(ctx context.Context, scope tenancy.Scope, sc Scan, status ScanStatus, reason string, res *scan.Result) error {
	now := s.Clock()
	sc.Status, sc.Reason, sc.FinishedAt = status, reason, &now
	if res != nil {
		sc.Counts, sc.Errors = map[scan.Severity]int{}, res.Errors
		for _, f := range res.Findings {
			sc.Counts[f.Severity]++
		}
	}
	sc.Version++
	err := s.Scans.UpdateScan(ctx, scope, sc)
	if ErrorCode(err) == EPRECONDITION {
		return nil // cancelled meanwhile
	}
	return err
}

package portal

import (
	"crypto/sha256"
	"slices"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/partnerportal/portal/internal/scan"
)

// PrefixFinding prefixes finding IDs.
const PrefixFinding = "fnd_"

// FindingStatus is where a finding is in its life.
type FindingStatus string

// Finding states. Scans set open, fixed (a later scan of the same asset
// and check no longer sees it) and reopened (seen again after fixed);
// people set accepted_risk and false_positive, with a reason, and later
// scans keep those.
const (
	FindingOpen          FindingStatus = "open"
	FindingFixed         FindingStatus = "fixed"
	FindingReopened      FindingStatus = "reopened"
	FindingAcceptedRisk  FindingStatus = "accepted_risk"
	FindingFalsePositive FindingStatus = "false_positive"
)

// FindingStatuses lists every state.
var FindingStatuses = []FindingStatus{FindingOpen, FindingFixed, FindingReopened, FindingAcceptedRisk, FindingFalsePositive}

// decided reports whether a person settled the finding (scans keep it).
func (s FindingStatus) decided() bool { return s == FindingAcceptedRisk || s == FindingFalsePositive }

// Finding is one problem on one asset, across scans: its identity is the
// fingerprint of check, asset and detail.
type Finding struct {
	ID          string
	Fingerprint string
	PartnerID   string
	TenantID    string
	AssetID     string
	CheckID     string
	Severity    scan.Severity
	Title       string
	Detail      string
	Evidence    string
	Status      FindingStatus
	Reason      string // accepted_risk and false_positive: why
	FirstSeenAt time.Time
	LastSeenAt  time.Time
	LastScanID  string
	FixedAt     *time.Time
	UpdatedAt   time.Time
	Version     int64
}

// FindingID returns the ID of the finding with fingerprint fp.
func FindingID(fp string) string {
	sum := sha256.Sum256([]byte(fp))
	var id ulid.ULID
	copy(id[:], sum[:16])
	return PrefixFinding + id.String()
}

// mergeFindings folds a scan's result into the customer's findings and
// returns those that change: new ones open, seen-again fixed ones
// reopened, and open ones of a check that ran on their asset without
// seeing them fixed. Findings a person decided keep their status.
func mergeFindings(existing []Finding, res scan.Result, sc Scan, now time.Time) []Finding {
	byFP := map[string]*Finding{}
	for i := range existing {
		byFP[existing[i].Fingerprint] = &existing[i]
	}
	seen := map[string]bool{}
	var changed []Finding
	for _, f := range res.Findings {
		fp := f.Fingerprint()
		seen[fp] = true
		cur, ok := byFP[fp]
		if !ok {
			changed = append(changed, Finding{
				ID: FindingID(fp), Fingerprint: fp, PartnerID: sc.PartnerID, TenantID: sc.TenantID, AssetID: f.AssetID,
				CheckID: f.CheckID, Severity: f.Severity, Title: f.Title, Detail: f.Detail, Evidence: f.Evidence,
				Status: FindingOpen, FirstSeenAt: now, LastSeenAt: now, LastScanID: sc.ID, UpdatedAt: now, Version: 1,
			})
			continue
		}
		next := *cur
		next.Severity, next.Title, next.Evidence, next.LastSeenAt, next.LastScanID = f.Severity, f.Title, f.Evidence, now, sc.ID
		if next.Status == FindingFixed {
			next.Status, next.FixedAt = FindingReopened, nil
		}
		next.UpdatedAt = now
		next.Version++
		changed = append(changed, next)
	}
	for i := range existing {
		f := existing[i]
		if seen[f.Fingerprint] || f.Status.decided() || f.Status == FindingFixed || !slices.Contains(res.Ran[f.AssetID], f.CheckID) {
			continue
		}
		f.Status, f.FixedAt, f.LastScanID, f.UpdatedAt = FindingFixed, &now, sc.ID, now
		f.Version++
		changed = append(changed, f)
	}
	return changed
}

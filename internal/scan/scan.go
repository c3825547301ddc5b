// Package scan is Partner Portal's own scan engine: a registry of safe,
// non-intrusive checks grouped into profiles, run against a tenant's
// verified assets. It has no AWS imports: the scan functions hand it
// targets and store what it finds.
//
// Safe by construction: the caller passes only verified assets of the
// scan's tenant; every connection goes through a guarded dialer that
// resolves a name once, dials the resolved address and refuses private,
// loopback, link-local and metadata addresses unless the policy allows
// them; a scan has a time budget; requests carry an identifying
// User-Agent; no check sends an exploit payload.
package scan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/partnerportal/portal/internal/asset"
)

// Severity ranks a finding.
type Severity string

// Severities, lowest first.
const (
	SeverityInfo     Severity = "info"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Profile is a named set of checks.
type Profile string

// Profiles (see the package documentation of each check for which run).
const (
	ProfileLight Profile = "light" // DNS, TLS and HTTP hygiene
	ProfileFull  Profile = "full"  // light, open ports, exposed files, listings, CORS
	ProfileAPI   Profile = "api"   // for API base URLs: TLS, headers, CORS, exposed API documents
)

// Profiles lists every profile.
var Profiles = []Profile{ProfileLight, ProfileFull, ProfileAPI}

// Target is one verified asset to scan.
type Target struct {
	AssetID string
	Asset   asset.Asset // normalised: Value, Type, Host
}

// Finding is one problem a check saw on a target.
type Finding struct {
	CheckID  string
	AssetID  string
	Severity Severity
	Title    string
	// Detail tells this finding apart from others of the same check on the
	// same asset ("port 22/tcp", "/.env", "cookie session"); it is part of
	// the fingerprint, so it must not change between scans of the same
	// problem (no timestamps, no varying values).
	Detail string
	// Evidence is what was observed, for the report ("Strict-Transport-
	// Security header absent in the answer to GET https://…/").
	Evidence string
}

// Fingerprint identifies the problem across scans: check, asset and
// detail. A later scan that sees the same problem yields the same
// fingerprint.
func (f Finding) Fingerprint() string {
	sum := sha256.Sum256([]byte(f.CheckID + "\x1f" + f.AssetID + "\x1f" + f.Detail))
	return hex.EncodeToString(sum[:16])
}

// CheckError is a check that could not run to completion on a target
// (a timeout, a refused connection); it is recorded on the scan, and a
// check that errs reports no finding (so nothing is marked fixed by it).
type CheckError struct {
	CheckID string `json:"checkId"`
	AssetID string `json:"assetId"`
	Error   string `json:"error"` // for the user, without internal detail
}

// Result is what one scan found.
type Result struct {
	StartedAt  time.Time
	FinishedAt time.Time
	Findings   []Finding
	Errors     []CheckError
	// Ran lists, per asset ID, the checks that ran to completion on it:
	// a finding of those checks that was open before and is not in
	// Findings is fixed.
	Ran map[string][]string
}

// Runner runs a profile against targets. *Engine implements it.
type Runner interface {
	// Run scans targets with profile until done or ctx or the engine's
	// budget ends; checks that did not finish are in Result.Errors. It
	// returns an error only for an unknown profile.
	Run(ctx context.Context, profile Profile, targets []Target) (Result, error)
}

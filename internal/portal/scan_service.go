package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/partnerportal/portal/internal/scan"
	"github.com/partnerportal/portal/internal/tenancy"
)

// ScanStore persists scans.
type ScanStore interface {
	// AdmitScan stores s (queued) with the audit entry ctx carries, and,
	// when perScan is set, counts it in that license's current period
	// counter in the same transaction. ECONFLICT, saying why, when a hard
	// per-scan license has no scan left or has ended; ErrScanExists
	// (wrapped) when a scan with s.ID exists; nothing is written then.
	AdmitScan(ctx context.Context, scope tenancy.Scope, s Scan, perScan *License) error
	// PutRefusedScan records a scan refused at admission; ErrScanExists
	// (wrapped) when a scan with s.ID exists.
	PutRefusedScan(ctx context.Context, scope tenancy.Scope, s Scan) error
	// GetScan returns a scan of a customer in scope; ENOTFOUND otherwise.
	GetScan(ctx context.Context, scope tenancy.Scope, customerID, scanID string) (Scan, error)
	// ListScans returns a page of a customer's scans, newest first,
	// optionally of one status.
	ListScans(ctx context.Context, scope tenancy.Scope, customerID string, status ScanStatus, limit int, start Position) ([]Scan, Position, error)
	// UpdateScan replaces a scan stored at s.Version-1 (EPRECONDITION
	// otherwise), with the audit entry ctx carries, if any.
	UpdateScan(ctx context.Context, scope tenancy.Scope, s Scan) error
}

// ScanLauncher starts admitted scans running, asynchronously (an
// asynchronous Lambda invocation in AWS, a goroutine locally).
type ScanLauncher interface {
	// Launch asks for s to be run; an error means it was not handed over
	// (the scan stays queued).
	Launch(ctx context.Context, s Scan) error
}

// ScanTargets is the "targets" of a scan request: asset IDs, or the
// string "all" (every verified asset of the customer).
type ScanTargets struct {
	All bool
	IDs []string
}

// UnmarshalJSON accepts "all" or a list of asset IDs.
func (t *ScanTargets) UnmarshalJSON(b []byte) error {
	var all string
	if json.Unmarshal(b, &all) == nil {
		if all != "all" {
			return fmt.Errorf(`must be "all" or a list of asset IDs`)
		}
		t.All = true
		return nil
	}
	if json.Unmarshal(b, &t.IDs) != nil {
		return fmt.Errorf(`must be "all" or a list of asset IDs`)
	}
	return nil
}

// ScanInput is the body of POST …/scans.
type ScanInput struct {
	Profile *scan.Profile `json:"profile"`
	Targets *ScanTargets  `json:"targets"`
}

// ScanService admits, lists and cancels scans.
type ScanService struct {
	Store     ScanStore
	Assets    AssetStore
	Customers CustomerStore
	Licenses  LicenseStore
	Grants    GrantStore
	Launcher  ScanLauncher
	Cursors   Cursors
	Clock     Clock
	IDs       IDs
}

// Create admits a scan of a customer's verified assets and launches it.
// EINVALID names a bad profile or empty targets; ENOTFOUND for targets
// that are not the customer's assets; ECONFLICT for a suspended or
// archived customer, unverified targets (named), a customer without a
// license in force, or a hard per-scan license at its limit (then the
// refused scan is recorded, and named in the message).
func (s *ScanService) Create(ctx context.Context, customerID string, in ScanInput) (Scan, error) {
	id, err := assetWriter(ctx, s.Grants, customerID)
	if err != nil {
		return Scan{}, err
	}
	var p Problems
	switch {
	case in.Profile == nil:
		p.Add("profile", "is required: one of %s", profileList())
	case !slices.Contains(scan.Profiles, *in.Profile):
		p.Add("profile", "%q is not a profile: one of %s", *in.Profile, profileList())
	}
	if in.Targets == nil || !in.Targets.All && len(in.Targets.IDs) == 0 {
		p.Add("targets", `is required: "all" or a list of asset IDs`)
	} else if len(in.Targets.IDs) > MaxPageSize {
		p.Add("targets", "must list at most %d assets (or say \"all\")", MaxPageSize)
	}
	if err := p.Err(); err != nil {
		return Scan{}, err
	}
	c, err := s.Customers.GetCustomer(ctx, id.Scope(), customerID)
	if err != nil {
		return Scan{}, err
	}
	return s.admit(ctx, c, admission{
		ID: s.IDs.New(PrefixScan), Profile: *in.Profile, Targets: *in.Targets, Trigger: TriggerAPI, RequestedBy: id.UserID,
	})
}

// admission is a request to scan a customer, from the API or dispatch.
type admission struct {
	ID          string
	Profile     scan.Profile
	Targets     ScanTargets
	Trigger     ScanTrigger
	ScheduleID  string
	RequestedBy string
	// RecordRefusals: a scan the customer's state refuses (no license, no
	// verified targets, a hard limit) is recorded as refused, with the
	// reason, so that an automated trigger leaves a trace. An API request
	// is answered with the reason instead (a hard limit is recorded too).
	RecordRefusals bool
}

// ErrScanExists is returned (wrapped) by admit when a scan with the
// admission's ID exists: the admission was made before (dispatch derives
// IDs from what caused the scan, so a repeated delivery lands here).
var ErrScanExists = errors.New("the scan was admitted before")

// admit admits a scan of c and launches it; see Create for the errors.
func (s *ScanService) admit(ctx context.Context, c Customer, a admission) (Scan, error) {
	if c.Status == StatusSuspended || c.Status == StatusArchived {
		return Scan{}, Errorf(ECONFLICT, "customer %s is %s: it cannot be scanned", c.ID, c.Status)
	}
	scope, now := c.scope(), s.Clock()
	sc := Scan{
		ID: a.ID, PartnerID: c.PartnerID, TenantID: c.ID, Profile: a.Profile, AllTargets: a.Targets.All,
		AssetIDs: slices.Clone(a.Targets.IDs), Trigger: a.Trigger, ScheduleID: a.ScheduleID, RequestedBy: a.RequestedBy,
		Status: ScanQueued, CreatedAt: now, Version: 1,
	}
	licenses, err := s.Licenses.ListLicenses(ctx, scope, c.ID)
	if err != nil {
		return Scan{}, fmt.Errorf("list licenses: %w", err)
	}
	lic, perScan := scanLicense(licenses, now)
	if lic == nil {
		return s.refused(ctx, a, sc, Errorf(ECONFLICT, "customer %s has no license in force: assign one before scanning", c.ID))
	}
	sc.LicenseID = lic.ID
	if sc.AssetIDs, err = s.targets(ctx, scope, c.ID, a.Targets); err != nil {
		return s.refused(ctx, a, sc, err)
	}
	var counted *License
	if perScan {
		counted = lic
	}
	actx := auditor{s.Clock, s.IDs}.audit(ctx, "scan.create", sc.ID, scope, nil, sc.auditFields())
	if err := s.Store.AdmitScan(actx, scope, sc, counted); err != nil {
		if ErrorCode(err) == ECONFLICT {
			a.RecordRefusals = true // a hard limit is always recorded
		}
		return s.refused(ctx, a, sc, err)
	}
	if err := s.Launcher.Launch(ctx, sc); err != nil {
		return Scan{}, fmt.Errorf("launch scan %s: %w", sc.ID, err)
	}
	return sc, nil
}

// refused records sc as refused for err when it is a refusal (ECONFLICT,
// or ENOTFOUND for targets gone) and a.RecordRefusals says so, and
// returns err naming the recorded scan.
func (s *ScanService) refused(ctx context.Context, a admission, sc Scan, err error) (Scan, error) {
	code := ErrorCode(err)
	if !a.RecordRefusals || code != ECONFLICT && code != ENOTFOUND {
		return Scan{}, err
	}
	now := s.Clock()
	sc.Status, sc.Reason, sc.FinishedAt = ScanRefused, ErrorMessage(err), &now
	if perr := s.Store.PutRefusedScan(ctx, sc.scope(), sc); perr != nil {
		if errors.Is(perr, ErrScanExists) {
			return Scan{}, perr
		}
		return Scan{}, fmt.Errorf("record refused scan %s: %w", sc.ID, perr)
	}
	return sc, Errorf(code, "%s (scan %s was refused)", sc.Reason, sc.ID)
}

func profileList() string {
	names := make([]string, len(scan.Profiles))
	for i, p := range scan.Profiles {
		names[i] = string(p)
	}
	return strings.Join(names, ", ")
}

// scanLicense picks the license a scan runs under: a per-scan license in
// force (the scan counts against it: perScan), else any other in force.
func scanLicense(ls []License, now time.Time) (l *License, perScan bool) {
	for i := range ls {
		if ls[i].activeAt(now) && ls[i].Model == ModelPerScan {
			return &ls[i], true
		}
	}
	for i := range ls {
		if ls[i].activeAt(now) {
			return &ls[i], false
		}
	}
	return nil, false
}

// targets resolves the requested targets to verified assets of the customer.
func (s *ScanService) targets(ctx context.Context, scope tenancy.Scope, customerID string, t ScanTargets) ([]string, error) {
	var assets []Asset
	if t.All {
		var start Position
		for {
			page, next, err := s.Assets.ListAssets(ctx, scope, customerID, MaxPageSize, start)
			if err != nil {
				return nil, fmt.Errorf("list assets: %w", err)
			}
			for _, a := range page {
				if a.Verified {
					assets = append(assets, a)
				}
			}
			if next == nil {
				break
			}
			start = next
		}
		if len(assets) == 0 {
			return nil, Errorf(ECONFLICT, "customer %s has no verified assets: verify ownership first (POST …/assets/{assetId}/verify)", customerID)
		}
	} else {
		ids := slices.Compact(slices.Sorted(slices.Values(t.IDs)))
		for _, aid := range ids {
			if !ValidID(PrefixAsset, aid) {
				return nil, Errorf(ENOTFOUND, "asset %s not found", aid)
			}
		}
		stored, err := s.Assets.GetAssets(ctx, scope, customerID, ids)
		if err != nil {
			return nil, fmt.Errorf("read assets: %w", err)
		}
		var unverified []string
		for _, aid := range ids {
			a, ok := stored[aid]
			switch {
			case !ok:
				return nil, Errorf(ENOTFOUND, "asset %s not found", aid)
			case !a.Verified:
				unverified = append(unverified, a.ID+" ("+a.Value+")")
			}
			assets = append(assets, a)
		}
		if len(unverified) > 0 {
			return nil, Errorf(ECONFLICT, "these targets are not verified, so they cannot be scanned: %s", strings.Join(unverified, ", "))
		}
	}
	out := make([]string, len(assets))
	for i, a := range assets {
		out[i] = a.ID
	}
	return out, nil
}

func (s Scan) auditFields() map[string]any {
	return map[string]any{"profile": string(s.Profile), "assets": s.AssetIDs, "status": string(s.Status), "licenseId": s.LicenseID}
}

// ScanPage is one page of a customer's scans.
type ScanPage struct {
	Items      []Scan
	NextCursor string
}

// List returns a page of a customer's scans, newest first, optionally of
// one status. EINVALID names a bad status, limit or cursor.
func (s *ScanService) List(ctx context.Context, customerID, status, limit, cursor string) (ScanPage, error) {
	id, err := assetReader(ctx, s.Grants, customerID)
	if err != nil {
		return ScanPage{}, err
	}
	var p Problems
	n := parsePageSize(&p, limit)
	if status != "" {
		oneOf(&p, "status", ScanStatus(status), ScanStatuses)
	}
	if err := p.Err(); err != nil {
		return ScanPage{}, err
	}
	query := fmt.Sprintf("scans %s %s %d", customerID, status, n)
	start, err := s.Cursors.Decode(id, query, cursor)
	if err != nil {
		return ScanPage{}, err
	}
	if err := partnerCustomerExists(ctx, s.Grants, id, customerID); err != nil {
		return ScanPage{}, err
	}
	scope := tenancy.Scope{PartnerID: id.PartnerID, TenantID: customerID}
	items, next, err := s.Store.ListScans(ctx, scope, customerID, ScanStatus(status), n, start)
	if err != nil {
		return ScanPage{}, fmt.Errorf("list scans: %w", err)
	}
	return ScanPage{Items: items, NextCursor: s.Cursors.Encode(id, query, next)}, nil
}

// partnerCustomerExists answers ENOTFOUND when partner personnel name a
// customer that is not their partner's. canSee lets partner admins name
// any customer ID, and the keys of a list name the caller's partner, so
// another partner's customer would list nothing (200 and no items) instead
// of being not found as elsewhere. Customer users' tenant is their own
// (tenantUser), and members reach only granted customers (canSee).
func partnerCustomerExists(ctx context.Context, grants GrantStore, id tenancy.Identity, customerID string) error {
	if id.Role.IsCustomerRole() {
		return nil
	}
	found, err := grants.GetCustomers(ctx, id.Scope(), []string{customerID})
	if err != nil {
		return fmt.Errorf("check customer: %w", err)
	}
	if _, ok := found[customerID]; !ok {
		return Errorf(ENOTFOUND, "customer %s not found", customerID)
	}
	return nil
}

// Get returns one scan; ENOTFOUND unless it is the caller's to see.
func (s *ScanService) Get(ctx context.Context, customerID, scanID string) (Scan, error) {
	id, err := assetReader(ctx, s.Grants, customerID)
	if err != nil {
		return Scan{}, err
	}
	if !ValidID(PrefixScan, scanID) {
		return Scan{}, Errorf(ENOTFOUND, "scan %s not found", scanID)
	}
	return s.Store.GetScan(ctx, tenancy.Scope{PartnerID: id.PartnerID, TenantID: customerID}, customerID, scanID)
}

// Cancel stops a queued or running scan: it ends cancelled and what it
// finds is discarded. Cancelling a cancelled scan changes nothing;
// ECONFLICT for other finished scans.
func (s *ScanService) Cancel(ctx context.Context, customerID, scanID string) (Scan, error) {
	id, err := assetWriter(ctx, s.Grants, customerID)
	if err != nil {
		return Scan{}, err
	}
	if !ValidID(PrefixScan, scanID) {
		return Scan{}, Errorf(ENOTFOUND, "scan %s not found", scanID)
	}
	scope := tenancy.Scope{PartnerID: id.PartnerID, TenantID: customerID}
	for attempt := 1; ; attempt++ {
		sc, err := s.Store.GetScan(ctx, scope, customerID, scanID)
		if err != nil {
			return Scan{}, err
		}
		switch {
		case sc.Status == ScanCancelled:
			return sc, nil
		case sc.Status.Final():
			return Scan{}, Errorf(ECONFLICT, "scan %s is %s: only queued or running scans can be cancelled", sc.ID, sc.Status)
		}
		before, now := sc, s.Clock()
		sc.Status, sc.FinishedAt, sc.Reason = ScanCancelled, &now, "cancelled by "+id.UserID
		sc.Version++
		actx := auditor{s.Clock, s.IDs}.audit(ctx, "scan.cancel", sc.ID, scope, before.auditFields(), sc.auditFields())
		err = s.Store.UpdateScan(actx, scope, sc)
		if ErrorCode(err) == EPRECONDITION && attempt < maxLicenseRetries {
			continue // it started or finished meanwhile: look again
		}
		if err != nil {
			return Scan{}, err
		}
		return sc, nil
	}
}

package portal

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/partnerportal/portal/internal/asset"
	"github.com/partnerportal/portal/internal/tenancy"
)

// MaxAssetsPerWrite bounds the assets one store transaction creates: with
// their audit entries and the counter they fill DynamoDB's 100 items.
const MaxAssetsPerWrite = 49

// AssetStore persists assets together with the tenant's asset counter.
type AssetStore interface {
	// AssetCounter returns the tenant's asset counter; a zero count without
	// license when the tenant has none yet.
	AssetCounter(ctx context.Context, scope tenancy.Scope, customerID string) (Counter, error)
	// GetAsset returns one asset of a customer in scope; ENOTFOUND otherwise.
	GetAsset(ctx context.Context, scope tenancy.Scope, customerID, assetID string) (Asset, error)
	// GetAssets returns those of ids that are stored, by ID.
	GetAssets(ctx context.Context, scope tenancy.Scope, customerID string, ids []string) (map[string]Asset, error)
	// ListAssets returns a page of a customer's assets ordered by value.
	ListAssets(ctx context.Context, scope tenancy.Scope, customerID string, limit int, start Position) ([]Asset, Position, error)
	// AddAssets creates assets (at most MaxAssetsPerWrite, all of one
	// customer) and adds their number to the asset counter, with the audit
	// entries ctx carries, in one transaction. The counter must still be
	// as seen: under a hard license, the same license and quantity with
	// room for them all; otherwise not under a hard license. When a
	// condition fails nothing is written and the outcome says which:
	// assets already stored (by index, as stored) or the counter moved.
	AddAssets(ctx context.Context, scope tenancy.Scope, assets []Asset, seen Counter) (AddOutcome, error)
	// DeleteAsset deletes a stored asset and takes it off the counter at at,
	// with the audit entry ctx carries; ENOTFOUND when it is gone.
	DeleteAsset(ctx context.Context, scope tenancy.Scope, a Asset, at time.Time) error
	// SyncAssetCounter makes the asset counter follow per-asset license l,
	// in force at at; ECONFLICT when another license in force holds it.
	SyncAssetCounter(ctx context.Context, scope tenancy.Scope, l License, at time.Time) error
	// UpdateAsset replaces an asset stored at a.Version-1 (EPRECONDITION
	// otherwise), with the audit entry ctx carries.
	UpdateAsset(ctx context.Context, scope tenancy.Scope, a Asset) error
}

// AddOutcome says why AddAssets wrote nothing.
type AddOutcome struct {
	Existing     map[int]Asset // assets (by index) that are already stored
	CounterMoved bool          // the counter no longer matches what was seen
}

// AssetService manages customers' assets and their ownership verification.
type AssetService struct {
	Store     AssetStore
	Customers CustomerStore
	Licenses  LicenseStore
	Grants    GrantStore
	Ownership OwnershipChecker
	Policy    asset.Policy
	Cursors   Cursors
	Clock     Clock
	IDs       IDs
}

// assetReader lets partner personnel and the customer's users (unless
// their access is disabled) read a customer's assets and usage.
func assetReader(ctx context.Context, grants GrantStore, customerID string) (tenancy.Identity, error) {
	return assetCaller(ctx, grants, customerID, false)
}

// assetWriter lets partner admins, granted members and customer admins
// with full access change a customer's assets.
func assetWriter(ctx context.Context, grants GrantStore, customerID string) (tenancy.Identity, error) {
	return assetCaller(ctx, grants, customerID, true)
}

func assetCaller(ctx context.Context, grants GrantStore, customerID string, write bool) (tenancy.Identity, error) {
	roles := []tenancy.Role{tenancy.RolePartnerAdmin, tenancy.RolePartnerMember, tenancy.RoleCustomerAdmin, tenancy.RoleCustomerViewer}
	id, err := requireRole(ctx, "working with assets", roles...)
	if err != nil {
		return id, err
	}
	if err := tenantUser(id, customerID, write); err != nil {
		return id, err
	}
	return id, canSee(ctx, grants, id, customerID)
}

// Add normalises and stores submitted assets, answering per value. Values
// that are not assets are rejected with the reason; values already stored,
// or submitted twice, are duplicates; values beyond a hard per-asset
// license's room are rejected as license_full. EINVALID (nothing written)
// for a malformed request: no values or more than MaxAssetsPerRequest, or
// a bad type, tag or criticality; ECONFLICT for archived customers.
func (s *AssetService) Add(ctx context.Context, customerID string, inputs []AssetInput) (AssetAddResult, error) {
	id, err := assetWriter(ctx, s.Grants, customerID)
	if err != nil {
		return AssetAddResult{}, err
	}
	pending, results, err := s.prepare(inputs)
	if err != nil {
		return AssetAddResult{}, err
	}
	c, err := s.Customers.GetCustomer(ctx, id.Scope(), customerID)
	if err != nil {
		return AssetAddResult{}, err
	}
	if c.Status == StatusArchived {
		return AssetAddResult{}, Errorf(ECONFLICT, "customer %s is archived", c.ID)
	}
	now := s.Clock()
	scope := c.scope()
	if err := s.lookup(ctx, scope, c, pending, results, now); err != nil {
		return AssetAddResult{}, err
	}
	w := assetWrite{svc: s, scope: scope, results: results, perAsset: c.LicenseCounts[ModelPerAsset] > 0}
	if err := w.run(ctx, pending); err != nil {
		return AssetAddResult{}, err
	}
	return w.summary(), nil
}

// prepare validates the request and normalises each value. It returns the
// indexes of the values still to store (first occurrences of valid values).
func (s *AssetService) prepare(inputs []AssetInput) ([]int, []AssetResult, error) {
	var p Problems
	switch {
	case len(inputs) == 0:
		p.Add("assets", "must list at least one asset")
	case len(inputs) > MaxAssetsPerRequest:
		p.Add("assets", "must list at most %d assets per request", MaxAssetsPerRequest)
	}
	if err := p.Err(); err != nil {
		return nil, nil, err
	}
	results := make([]AssetResult, len(inputs))
	now := s.Clock()
	first := map[string]int{}
	var pending []int
	for i, in := range inputs {
		f := fmt.Sprintf("assets[%d]", i)
		if in.Value == nil {
			p.Add(f+".value", "is required")
			continue
		}
		if in.Type != nil && *in.Type != asset.API && *in.Type != asset.WebApp {
			p.Add(f+".type", "must be api or web_app (for URLs); other types follow from the value")
		}
		crit := CriticalityMedium
		if in.Criticality != nil {
			crit = *in.Criticality
			oneOf(&p, f+".criticality", crit, Criticalities)
		}
		tags := checkTags(&p, f+".tags", in.Tags)
		results[i].Input = *in.Value
		norm, err := asset.Normalize(*in.Value, in.Type != nil && *in.Type == asset.API, s.Policy)
		if err != nil {
			results[i].Status, results[i].Code, results[i].Reason = AssetRejected, RejectInvalid, err.Error()
			continue
		}
		aid := AssetID(norm.Value)
		if j, dup := first[aid]; dup {
			results[i].Status, results[i].DuplicateOf = AssetDuplicate, aid
			results[i].Reason = fmt.Sprintf("the same asset as assets[%d] (%s)", j, norm.Value)
			continue
		}
		first[aid] = i
		results[i].Asset = &Asset{
			ID: aid, Value: norm.Value, Type: norm.Type, Host: norm.Host, RegisteredDomain: norm.RegisteredDomain,
			Tags: tags, Criticality: crit, VerificationToken: newVerificationToken(), CreatedAt: now, UpdatedAt: now, Version: 1,
		}
		pending = append(pending, i)
	}
	return pending, results, p.Err()
}

// lookup marks values already stored as duplicates and applies inherited
// verification, reading the new assets and their parent domains at once.
func (s *AssetService) lookup(ctx context.Context, scope tenancy.Scope, c Customer, pending []int, results []AssetResult, now time.Time) error {
	var ids []string
	for _, i := range pending {
		a := results[i].Asset
		a.PartnerID, a.TenantID = c.PartnerID, c.ID
		ids = append(ids, a.ID)
		for _, parent := range verifiableParents(a.Normalized()) {
			ids = append(ids, AssetID(parent))
		}
	}
	slices.Sort(ids)
	stored, err := s.Store.GetAssets(ctx, scope, c.ID, slices.Compact(ids))
	if err != nil {
		return fmt.Errorf("read assets: %w", err)
	}
	for _, i := range pending {
		a := results[i].Asset
		if old, ok := stored[a.ID]; ok {
			results[i] = duplicateOf(results[i].Input, old)
			continue
		}
		for _, parent := range verifiableParents(a.Normalized()) {
			if d, ok := stored[AssetID(parent)]; ok && d.Verified {
				inherit(a, d, now)
				break
			}
		}
	}
	return nil
}

func duplicateOf(input string, old Asset) AssetResult {
	return AssetResult{Input: input, Status: AssetDuplicate, Asset: &old, DuplicateOf: old.ID,
		Reason: fmt.Sprintf("already monitored as %s (%s)", old.ID, old.Value)}
}

// inherit marks a verified through the verified domain asset d.
func inherit(a *Asset, d Asset, now time.Time) {
	a.Verified, a.VerificationMethod, a.VerifiedVia, a.VerifiedAt = true, OwnershipInherited, d.ID, &now
}

// assetWrite stores the pending values of one request in chunks, each one
// transaction with the counter, until each value has an outcome.
type assetWrite struct {
	svc     *AssetService
	scope   tenancy.Scope
	results []AssetResult
	full    *LicenseFull
	// perAsset: the customer has per-asset licenses, one of which may
	// have started since the counter's license ended.
	perAsset bool
}

// counter reads the asset counter, first moving it on to the per-asset
// license in force when the one it follows has ended (a renewal).
func (w *assetWrite) counter(ctx context.Context) (Counter, error) {
	now := w.svc.Clock()
	c, err := w.svc.Store.AssetCounter(ctx, w.scope, w.scope.TenantID)
	if err != nil || c.Licensed(now) || !w.perAsset {
		return c, err
	}
	w.perAsset = false // look once per request
	ls, err := w.svc.Licenses.ListLicenses(ctx, w.scope, w.scope.TenantID)
	if err != nil {
		return c, fmt.Errorf("list licenses: %w", err)
	}
	for _, l := range ls {
		if l.Model == ModelPerAsset && l.activeAt(now) {
			if err := w.svc.Store.SyncAssetCounter(ctx, w.scope, l, now); err != nil {
				return c, err
			}
			return w.svc.Store.AssetCounter(ctx, w.scope, w.scope.TenantID)
		}
	}
	return c, nil
}

// maxAssetWriteRounds bounds the attempts of one chunk when the counter
// keeps moving under concurrent writers.
const maxAssetWriteRounds = 20

func (w *assetWrite) run(ctx context.Context, pending []int) error {
	pending = slices.DeleteFunc(pending, func(i int) bool { return w.results[i].Status != "" })
	for len(pending) > 0 {
		chunk := pending[:min(len(pending), MaxAssetsPerWrite)]
		pending = pending[len(chunk):]
		if err := w.chunk(ctx, chunk); err != nil {
			return err
		}
	}
	return nil
}

// chunk stores the values at indexes chunk: those that fit, and not stored meanwhile.
func (w *assetWrite) chunk(ctx context.Context, chunk []int) error {
	for round := 1; len(chunk) > 0; round++ {
		counter, err := w.counter(ctx)
		if err != nil {
			return fmt.Errorf("read asset counter: %w", err)
		}
		if free := counter.Free(w.svc.Clock()); free >= 0 && int64(len(chunk)) > free {
			w.full = &LicenseFull{LicenseID: counter.LicenseID, Quantity: counter.Quantity, Free: free}
			for _, i := range chunk[free:] {
				w.results[i].Status, w.results[i].Code = AssetRejected, RejectLicenseFull
				w.results[i].Reason = fmt.Sprintf("license %s allows %d assets (hard limit) and %d in use: %d more fit", counter.LicenseID, counter.Quantity, counter.Used, free)
				w.results[i].Asset = nil
			}
			chunk = chunk[:free]
			if len(chunk) == 0 {
				return nil
			}
		}
		assets := make([]Asset, len(chunk))
		actx, now := ctx, w.svc.Clock() // the counter's changedAt: as late as possible, so changes stay in order
		for k, i := range chunk {
			w.results[i].Asset.CreatedAt, w.results[i].Asset.UpdatedAt = now, now
			assets[k] = *w.results[i].Asset
			actx = auditor{w.svc.Clock, w.svc.IDs}.audit(actx, "asset.create", assets[k].ID, w.scope, nil, assets[k].auditFields())
		}
		out, err := w.svc.Store.AddAssets(actx, w.scope, assets, counter)
		if err != nil {
			return fmt.Errorf("store assets: %w", err)
		}
		if len(out.Existing) == 0 && !out.CounterMoved {
			for _, i := range chunk {
				w.results[i].Status = AssetCreated
			}
			return nil
		}
		for k, old := range out.Existing {
			w.results[chunk[k]] = duplicateOf(w.results[chunk[k]].Input, old)
		}
		chunk = slices.DeleteFunc(chunk, func(i int) bool { return w.results[i].Status != "" })
		if out.CounterMoved && round >= maxAssetWriteRounds {
			for _, i := range chunk {
				w.results[i].Status, w.results[i].Code, w.results[i].Asset = AssetRejected, RejectBusy, nil
				w.results[i].Reason = "the customer's assets were changing too fast: submit this value again"
			}
			return nil
		}
		if out.CounterMoved {
			backoff(ctx, min(round, 4))
		}
	}
	return nil
}

func (w *assetWrite) summary() AssetAddResult {
	r := AssetAddResult{Results: w.results, Full: w.full}
	for _, res := range w.results {
		switch res.Status {
		case AssetCreated:
			r.Created++
		case AssetDuplicate:
			r.Duplicate++
		default:
			r.Rejected++
		}
	}
	return r
}

func (a Asset) auditFields() map[string]any {
	return map[string]any{
		"value": a.Value, "type": string(a.Type), "tags": a.Tags, "criticality": string(a.Criticality),
		"verified": a.Verified, "verificationMethod": string(a.VerificationMethod),
	}
}

// AssetPage is one page of a customer's assets.
type AssetPage struct {
	Items      []Asset
	NextCursor string
}

// List returns a page of a customer's assets, ordered by value. EINVALID
// names a bad limit or cursor.
func (s *AssetService) List(ctx context.Context, customerID, limit, cursor string) (AssetPage, error) {
	id, err := assetReader(ctx, s.Grants, customerID)
	if err != nil {
		return AssetPage{}, err
	}
	var p Problems
	n := parsePageSize(&p, limit)
	if err := p.Err(); err != nil {
		return AssetPage{}, err
	}
	query := "assets " + customerID + " " + fmt.Sprint(n)
	start, err := s.Cursors.Decode(id, query, cursor)
	if err != nil {
		return AssetPage{}, err
	}
	c, err := s.Customers.GetCustomer(ctx, id.Scope(), customerID)
	if err != nil {
		return AssetPage{}, err
	}
	items, next, err := s.Store.ListAssets(ctx, c.scope(), customerID, n, start)
	if err != nil {
		return AssetPage{}, fmt.Errorf("list assets: %w", err)
	}
	return AssetPage{Items: items, NextCursor: s.Cursors.Encode(id, query, next)}, nil
}

// Get returns one asset; ENOTFOUND unless it is the caller's to see.
func (s *AssetService) Get(ctx context.Context, customerID, assetID string) (Asset, error) {
	id, err := assetReader(ctx, s.Grants, customerID)
	if err != nil {
		return Asset{}, err
	}
	if !ValidID(PrefixAsset, assetID) {
		return Asset{}, Errorf(ENOTFOUND, "asset %s not found", assetID)
	}
	return s.Store.GetAsset(ctx, tenancy.Scope{PartnerID: id.PartnerID, TenantID: customerID}, customerID, assetID)
}

// Delete removes an asset; it stops counting against the license at once.
// ENOTFOUND when it does not exist.
func (s *AssetService) Delete(ctx context.Context, customerID, assetID string) error {
	id, err := assetWriter(ctx, s.Grants, customerID)
	if err != nil {
		return err
	}
	if !ValidID(PrefixAsset, assetID) {
		return Errorf(ENOTFOUND, "asset %s not found", assetID)
	}
	scope := tenancy.Scope{PartnerID: id.PartnerID, TenantID: customerID}
	a, err := s.Store.GetAsset(ctx, scope, customerID, assetID)
	if err != nil {
		return err
	}
	actx := auditor{s.Clock, s.IDs}.audit(ctx, "asset.delete", a.ID, scope, a.auditFields(), nil)
	return s.Store.DeleteAsset(actx, scope, a, s.Clock())
}

// Verify proves ownership of an asset: by inheritance from a verified
// domain it lies under, or by the token published in DNS or under
// /.well-known/. The outcome is recorded either way; a verified domain
// passes verification on to the customer's assets under it. Verifying a
// verified asset changes nothing.
func (s *AssetService) Verify(ctx context.Context, customerID, assetID string) (Asset, error) {
	id, err := assetWriter(ctx, s.Grants, customerID)
	if err != nil {
		return Asset{}, err
	}
	if !ValidID(PrefixAsset, assetID) {
		return Asset{}, Errorf(ENOTFOUND, "asset %s not found", assetID)
	}
	scope := tenancy.Scope{PartnerID: id.PartnerID, TenantID: customerID}
	a, err := s.Store.GetAsset(ctx, scope, customerID, assetID)
	if err != nil || a.Verified {
		return a, err
	}
	before, now := a, s.Clock()
	var parents []string
	for _, v := range verifiableParents(a.Normalized()) {
		if v != a.Value { // the asset itself is not its own parent
			parents = append(parents, AssetID(v))
		}
	}
	stored, err := s.Store.GetAssets(ctx, scope, customerID, parents)
	if err != nil {
		return Asset{}, fmt.Errorf("read parent domains: %w", err)
	}
	for _, pid := range parents {
		if d, ok := stored[pid]; ok && d.Verified {
			inherit(&a, d, now)
			break
		}
	}
	if !a.Verified {
		check, err := s.Ownership.CheckOwnership(ctx, a.Normalized(), a.VerificationToken)
		if err != nil {
			return Asset{}, fmt.Errorf("check ownership of %s: %w", a.Value, err)
		}
		a.LastCheckAt, a.LastCheckDetail = &now, check.Detail
		if check.Verified {
			a.Verified, a.VerificationMethod, a.VerifiedAt = true, check.Method, &now
		}
	}
	a.UpdatedAt = now
	a.Version++
	actx := auditor{s.Clock, s.IDs}.audit(ctx, "asset.verify", a.ID, scope, before.auditFields(), a.auditFields())
	if err := s.Store.UpdateAsset(actx, scope, a); err != nil {
		return Asset{}, err
	}
	if a.Verified && (a.Type == asset.Domain || a.Type == asset.Subdomain) {
		if err := s.passOn(ctx, scope, a); err != nil {
			return Asset{}, err
		}
	}
	return a, nil
}

// passOn verifies, by inheritance, the unverified assets under domain d.
func (s *AssetService) passOn(ctx context.Context, scope tenancy.Scope, d Asset) error {
	var start Position
	for {
		page, next, err := s.Store.ListAssets(ctx, scope, scope.TenantID, MaxPageSize, start)
		if err != nil {
			return fmt.Errorf("list assets: %w", err)
		}
		for _, a := range page {
			if a.Verified || a.ID == d.ID || !inheritsFrom(a, d.Value) {
				continue
			}
			before := a
			inherit(&a, d, s.Clock())
			a.UpdatedAt = s.Clock()
			a.Version++
			actx := auditor{s.Clock, s.IDs}.audit(ctx, "asset.verify", a.ID, scope, before.auditFields(), a.auditFields())
			if err := s.Store.UpdateAsset(actx, scope, a); err != nil && ErrorCode(err) != EPRECONDITION {
				return err
			}
		}
		if next == nil {
			return nil
		}
		start = next
	}
}

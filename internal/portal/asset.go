package portal

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/partnerportal/portal/internal/asset"
)

// PrefixAsset prefixes asset IDs.
const PrefixAsset = "ast_"

// Limits of the assets API.
const (
	// MaxAssetsPerRequest bounds the values of one POST …/assets.
	MaxAssetsPerRequest = 1000
)

// Criticality is how much an asset matters to its owner; findings on it
// are ranked by it.
type Criticality string

// Criticalities; medium is the default.
const (
	CriticalityLow      Criticality = "low"
	CriticalityMedium   Criticality = "medium"
	CriticalityHigh     Criticality = "high"
	CriticalityCritical Criticality = "critical"
)

// Criticalities lists every criticality.
var Criticalities = []Criticality{CriticalityLow, CriticalityMedium, CriticalityHigh, CriticalityCritical}

// Asset is one thing a customer monitors: a domain, subdomain, IP address,
// web application URL or API base URL, normalised (see internal/asset).
// Its ID is derived from its normalised value, so one value is one asset.
type Asset struct {
	ID               string
	PartnerID        string
	TenantID         string
	Value            string
	Type             asset.Type
	Host             string
	RegisteredDomain string
	Tags             []string
	Criticality      Criticality
	// Ownership: the token the owner publishes, and whether (how, when,
	// through which verified domain) ownership was proven.
	VerificationToken  string
	Verified           bool
	VerificationMethod OwnershipMethod
	VerifiedAt         *time.Time
	VerifiedVia        string // inherited: the verified domain asset's ID
	LastCheckAt        *time.Time
	LastCheckDetail    string
	CreatedAt          time.Time
	UpdatedAt          time.Time
	Version            int64
}

// Normalized returns the asset as the normaliser describes it.
func (a Asset) Normalized() asset.Asset {
	return asset.Asset{Value: a.Value, Type: a.Type, Host: a.Host, RegisteredDomain: a.RegisteredDomain}
}

// AssetID returns the ID of the asset whose normalised value is value: the
// first 128 bits of its SHA-256 in ULID text, so every submission of one
// asset finds the same key.
func AssetID(value string) string {
	sum := sha256.Sum256([]byte(value))
	var id ulid.ULID
	copy(id[:], sum[:16])
	return PrefixAsset + id.String()
}

// newVerificationToken returns a random token for an owner to publish.
func newVerificationToken() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// verifiableParents returns the values of the domain assets whose
// verification a host inherits: the host itself and each parent name down
// to its registrable domain ("a.b.example.com" → a.b.example.com,
// b.example.com, example.com). None for IP hosts.
func verifiableParents(a asset.Asset) []string {
	if a.RegisteredDomain == "" {
		return nil
	}
	var out []string
	for h := a.Host; ; {
		out = append(out, h)
		if h == a.RegisteredDomain {
			return out
		}
		_, rest, ok := strings.Cut(h, ".")
		if !ok || len(rest) < len(a.RegisteredDomain) {
			return out
		}
		h = rest
	}
}

// inheritsFrom reports whether a's host is domain or under it.
func inheritsFrom(a Asset, domain string) bool {
	return a.RegisteredDomain != "" && (a.Host == domain || strings.HasSuffix(a.Host, "."+domain))
}

// AssetInput is one submitted asset: a value, and optionally the api type
// (for URLs), tags and criticality.
type AssetInput struct {
	Value       *string      `json:"value"`
	Type        *asset.Type  `json:"type"`
	Tags        []string     `json:"tags"`
	Criticality *Criticality `json:"criticality"`
}

// AssetStatus is the outcome for one submitted value.
type AssetStatus string

// Outcomes of POST …/assets, per value.
const (
	AssetCreated   AssetStatus = "created"
	AssetDuplicate AssetStatus = "duplicate"
	AssetRejected  AssetStatus = "rejected"
)

// Rejection codes of a rejected value.
const (
	RejectInvalid     = "invalid"      // not an asset (Reason says why)
	RejectLicenseFull = "license_full" // a hard per-asset license has no room
	RejectBusy        = "busy"         // concurrent writes kept getting in the way: submit it again
)

// AssetResult is the outcome for one submitted value, in request order.
type AssetResult struct {
	Input       string
	Status      AssetStatus
	Asset       *Asset // created: the new asset; duplicate: the existing one (when stored)
	DuplicateOf string // duplicate: the existing asset's ID
	Code        string // rejected: RejectInvalid or RejectLicenseFull
	Reason      string // duplicate and rejected: why, for the user
}

// AssetAddResult is the answer to POST …/assets.
type AssetAddResult struct {
	Results   []AssetResult
	Created   int
	Duplicate int
	Rejected  int
	// Full is set when a hard per-asset license refused values: its ID,
	// quantity and how many more assets fit now.
	Full *LicenseFull
}

// LicenseFull describes a hard per-asset license without room.
type LicenseFull struct {
	LicenseID string
	Quantity  int64
	Free      int64
}

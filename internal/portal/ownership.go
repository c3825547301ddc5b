package portal

import (
	"context"

	"github.com/partnerportal/portal/internal/asset"
)

// OwnershipMethod is how ownership of an asset was proven.
type OwnershipMethod string

// Ownership proof methods.
const (
	OwnershipDNSTXT    OwnershipMethod = "dns_txt"   // a TXT record on the host
	OwnershipHTTPFile  OwnershipMethod = "http_file" // a file under /.well-known/
	OwnershipInherited OwnershipMethod = "inherited" // the host is a verified domain or under one
)

// OwnershipCheck is the outcome of one verification attempt.
type OwnershipCheck struct {
	Verified bool
	Method   OwnershipMethod // set when Verified
	// Detail says, for the user, what was looked at and what was found
	// ("no TXT record on example.com contains the token; GET
	// https://example.com/.well-known/partnerportal-verification.txt: 404").
	Detail string
}

// OwnershipChecker looks for an asset's verification token where its owner
// can publish it. Implementations honour the same address rules as asset
// normalisation: they never connect to an address the policy rejects.
type OwnershipChecker interface {
	// CheckOwnership reports whether token is published for a. A token
	// that is not found is a normal outcome (Verified false, with Detail),
	// not an error; errors are reserved for faults such as a cancelled ctx.
	CheckOwnership(ctx context.Context, a asset.Asset, token string) (OwnershipCheck, error)
}

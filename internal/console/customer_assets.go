package console

import (
	"strings"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/verify"
)

// The customer page's assets: rows with their verification instructions.

type custAsset struct {
	ID, Value, Type, Criticality, Tags string
	Verified                           bool
	Verification                       string // how and when, or "Not verified"
	LastCheck                          string // the latest check's outcome, if any
	Token                              string
	Steps                              []verify.Instruction
}

func custAssets(as []portal.Asset) []custAsset {
	out := make([]custAsset, len(as))
	for i, a := range as {
		r := custAsset{ID: a.ID, Value: a.Value, Type: label(string(a.Type)), Criticality: label(string(a.Criticality)),
			Tags: strings.Join(a.Tags, ", "), Verified: a.Verified, Token: a.VerificationToken}
		if a.Verified {
			r.Verification = "Verified (" + custMethod(a.VerificationMethod) + ") on " + stampOr(a.VerifiedAt, "—")
		} else {
			r.Verification = "Not verified"
			r.Steps = verify.Instructions(a.Normalized(), a.VerificationToken)
		}
		if a.LastCheckAt != nil && !a.Verified {
			r.LastCheck = "Last check " + stamp(*a.LastCheckAt) + ": " + a.LastCheckDetail
		}
		out[i] = r
	}
	return out
}

func custMethod(m portal.OwnershipMethod) string {
	switch m {
	case portal.OwnershipDNSTXT:
		return "DNS TXT record"
	case portal.OwnershipHTTPFile:
		return "file on the web server"
	case portal.OwnershipInherited:
		return "under a verified domain"
	}
	return string(m)
}

// custAdded are the per-line outcomes of a bulk add.
type custAdded struct {
	Summary string
	Lines   []custAddLine
}

type custAddLine struct {
	Line    int
	Input   string
	Outcome string // Added, Duplicate, Invalid, Not added
	Class   string // badge class
	Reason  string
}

package scan

import (
	"context"
	"net/http"
	"strings"
)

// CORSCheckID is the ID of the check for permissive CORS policies.
const CORSCheckID = "http.cors-permissive"

// CORSProbeOrigin is the foreign origin the CORS check claims to come
// from (a reserved .example name, so it can never be a real site).
const CORSProbeOrigin = "https://evil.example"

// Details of the CORS check's findings, one per kind of permissiveness.
const (
	// CORSReflectedWithCredentials: any origin is echoed and credentials
	// are allowed, so every web page can read the user's data (high).
	CORSReflectedWithCredentials = "arbitrary origin reflected with credentials"
	// CORSReflected: any origin is echoed, credentials not allowed (low).
	CORSReflected = "arbitrary origin reflected"
	// CORSNullWithCredentials: the "null" origin (sandboxed frames, data:
	// and file: pages, which any attacker can produce) is allowed with
	// credentials (high).
	CORSNullWithCredentials = "null origin allowed with credentials"
	// CORSNull: the "null" origin is allowed, credentials not (low).
	CORSNull = "null origin allowed"
)

var corsCheck = Check{
	ID:    CORSCheckID,
	Title: "Permissive CORS policy",
	Description: "Sends a GET with Origin: " + CORSProbeOrigin + " (and, when that is not echoed, with " +
		"Origin: null) to the site or API URL and looks at Access-Control-Allow-Origin and " +
		"Access-Control-Allow-Credentials. When any origin (or null, which any page can take on " +
		"through a sandboxed frame) is allowed together with credentials, every web page a " +
		"logged-in user visits can read their data from this site with their cookies: high. " +
		"Allowed without credentials, a foreign page can only read what it could request itself, " +
		"which matters only for content protected by network position (an intranet, an IP " +
		"allow-list): low. A wildcard (*) is not reported: browsers never send credentials with it.",
	Remediation: "Answer Access-Control-Allow-Origin only for an explicit allow-list of trusted " +
		"origins (compare the whole origin, not a prefix or suffix), never for null, and send " +
		"Access-Control-Allow-Credentials: true only to those origins; add Vary: Origin.",
	Severity: SeverityHigh, // the highest a finding gets; without credentials it is low
	Profiles: []Profile{ProfileFull, ProfileAPI},
	Run:      runCORS,
}

func init() { Register(corsCheck) }

// runCORS probes the first of t's URLs that answers (see reachableURL)
// with a foreign Origin and, when that is not echoed, with Origin: null.
// It reports at most one finding. A request that fails fails the check.
func runCORS(ctx context.Context, env *Env, t Target) ([]Finding, error) {
	u, err := reachableURL(ctx, env, t)
	if err != nil {
		return nil, err
	}
	target := u.String()
	r, err := env.Fetch(ctx, http.MethodGet, target, http.Header{"Origin": {CORSProbeOrigin}})
	if err != nil {
		return nil, err
	}
	sent, allowed := CORSProbeOrigin, corsAllowOrigin(r)
	if allowed != CORSProbeOrigin && allowed != "null" {
		if r, err = env.Fetch(ctx, http.MethodGet, target, http.Header{"Origin": {"null"}}); err != nil {
			return nil, err
		}
		sent, allowed = "null", corsAllowOrigin(r)
	}
	creds := strings.EqualFold(strings.TrimSpace(r.Header.Get("Access-Control-Allow-Credentials")), "true")

	var detail string
	switch {
	case allowed == CORSProbeOrigin && creds:
		detail = CORSReflectedWithCredentials
	case allowed == CORSProbeOrigin:
		detail = CORSReflected
	case allowed == "null" && creds:
		detail = CORSNullWithCredentials
	case allowed == "null":
		detail = CORSNull
	default:
		return nil, nil
	}
	severity := SeverityLow
	if creds {
		severity = SeverityHigh
	}
	evidence := "GET " + target + " with Origin: " + sent + " answered Access-Control-Allow-Origin: " + allowed
	if creds {
		evidence += " and Access-Control-Allow-Credentials: true"
	}
	return []Finding{{CheckID: CORSCheckID, AssetID: t.AssetID, Severity: severity, Detail: detail, Evidence: evidence}}, nil
}

// corsAllowOrigin returns the Access-Control-Allow-Origin of r, trimmed.
func corsAllowOrigin(r *Response) string {
	return strings.TrimSpace(r.Header.Get("Access-Control-Allow-Origin"))
}

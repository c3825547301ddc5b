package scan

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Check is one safe, non-intrusive test of a target. Each check lives in
// its own file and registers itself from init with Register.
type Check struct {
	// ID names the check, "<area>.<problem>" ("tls.expired"); it is part
	// of every finding's fingerprint, so it never changes.
	ID string
	// Title is the finding title shown to users ("TLS certificate
	// expired").
	Title string
	// Description says what the check looks for and why it matters.
	Description string
	// Remediation says how to fix what it finds.
	Remediation string
	// Severity is the severity of its findings.
	Severity Severity
	// Profiles lists the profiles the check belongs to.
	Profiles []Profile
	// Applies reports whether the check makes sense for a target (TLS
	// checks need an https endpoint); nil means every target.
	Applies func(Target) bool
	// Run performs the check on one target and returns what it found
	// (nil when nothing is wrong). It must return when ctx ends. A
	// non-nil error means the check could not complete (a timeout, a
	// refused connection); the engine then records a CheckError with
	// netguard.Describe's phrasing of it, or with the error's own message
	// when it is a *UserError, and discards the findings.
	Run func(ctx context.Context, env *Env, t Target) ([]Finding, error)
}

// Finding returns a finding of c on t with the check's ID, severity and
// title, the given detail (stable across scans; see Finding.Detail) and
// evidence (what was observed).
func (c Check) Finding(t Target, detail, evidence string) Finding {
	return Finding{
		CheckID:  c.ID,
		AssetID:  t.AssetID,
		Severity: c.Severity,
		Title:    c.Title,
		Detail:   detail,
		Evidence: evidence,
	}
}

// In reports whether c belongs to profile p.
func (c Check) In(p Profile) bool { return slices.Contains(c.Profiles, p) }

// applies reports whether c runs on t.
func (c Check) applies(t Target) bool { return c.Applies == nil || c.Applies(t) }

// UserError is a check failure whose message is already phrased for the
// user ("https://example.com/ answered HTTP 502"); the engine records it
// as is instead of describing the underlying error.
type UserError struct {
	// Msg is shown to the user as is.
	Msg string
}

// Error returns Msg unchanged.
func (e *UserError) Error() string { return e.Msg }

// Userf returns a *UserError with a formatted message.
func Userf(format string, args ...any) error { return &UserError{Msg: fmt.Sprintf(format, args...)} }

var (
	registryMu sync.RWMutex
	registry   = map[string]Check{}
)

// Register adds c to the registry; call it from an init function.
//
// Error contract: it panics (a programming error, found at start-up) when
// c has no ID, no Run, no Profiles, an unknown profile or severity, or an
// ID that is already registered.
func Register(c Check) {
	switch {
	case c.ID == "" || strings.TrimSpace(c.ID) != c.ID:
		panic(fmt.Sprintf("scan.Register: bad check ID %q", c.ID))
	case c.Run == nil:
		panic("scan.Register: check " + c.ID + " has no Run")
	case len(c.Profiles) == 0:
		panic("scan.Register: check " + c.ID + " is in no profile")
	case !validSeverity(c.Severity):
		panic(fmt.Sprintf("scan.Register: check %s has severity %q", c.ID, c.Severity))
	}
	for _, p := range c.Profiles {
		if !slices.Contains(Profiles, p) {
			panic(fmt.Sprintf("scan.Register: check %s is in unknown profile %q", c.ID, p))
		}
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[c.ID]; dup {
		panic("scan.Register: check " + c.ID + " registered twice")
	}
	registry[c.ID] = c
}

// Checks returns the checks of profile p sorted by ID; none for an
// unknown profile.
func Checks(p Profile) []Check {
	registryMu.RLock()
	defer registryMu.RUnlock()
	var out []Check
	for _, c := range registry {
		if c.In(p) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b Check) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Lookup returns the registered check with the given ID; ok is false when
// there is none.
func Lookup(id string) (c Check, ok bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	c, ok = registry[id]
	return c, ok
}

// severityRank orders severities, info lowest.
var severityRank = map[Severity]int{
	SeverityInfo: 0, SeverityLow: 1, SeverityMedium: 2, SeverityHigh: 3, SeverityCritical: 4,
}

func validSeverity(s Severity) bool {
	_, ok := severityRank[s]
	return ok
}

// ParseProfile returns the profile named s.
//
// Error contract: an unknown name gives an error whose message lists the
// profiles ("unknown profile \"fast\": use light, full or api"), safe to
// show to users.
func ParseProfile(s string) (Profile, error) {
	if slices.Contains(Profiles, Profile(s)) {
		return Profile(s), nil
	}
	return "", fmt.Errorf("unknown profile %q: use %s", s, profileList())
}

func profileList() string {
	names := make([]string, len(Profiles))
	for i, p := range Profiles {
		names[i] = string(p)
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

package console

import (
	"strings"
	"time"

	"github.com/partnerportal/portal/internal/portal"
)

// How the console shows the domain's values to people: one wording for
// each, on every page.

// label shows an enum value: "accepted_risk" → "Accepted risk".
func label(s string) string {
	if s == "" {
		return ""
	}
	s = strings.ReplaceAll(s, "_", " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

// modelLabel names a license model: "Per asset", "Per scan", "Unlimited".
func modelLabel(m portal.LicenseModel) string {
	return label(strings.ReplaceAll(string(m), "per_", "per "))
}

// planLabel names a customer's plan: its licenses' model, "Mixed", or "No license".
func planLabel(p portal.Plan) string {
	switch p {
	case portal.PlanNone, "":
		return "No license"
	case portal.PlanMixed:
		return "Mixed"
	}
	return modelLabel(portal.LicenseModel(p))
}

// accessLabel names a portal access level as the partner guide does.
func accessLabel(a portal.AccessLevel) string {
	switch a {
	case portal.AccessReadOnly:
		return "Read-Only"
	case portal.AccessFull:
		return "Full Access"
	}
	return "Disabled"
}

// stamp shows a time in UTC to the minute ("—" for none).
func stamp(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 MST")
}

// day shows a time's UTC date ("—" for none).
func day(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02")
}

// stampOr shows a time that may be missing, or none instead ("Never", "—").
func stampOr(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return stamp(*t)
}

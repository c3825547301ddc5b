package console

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/recurrence"
	"github.com/partnerportal/portal/internal/scan"
)

// The customer page's scans, findings, reports and schedules.

type custScan struct {
	ID, Status, StatusClass, Profile, Trigger, Created, Finished, Findings, Reason, ReportID string
}

func custScans(ss []portal.Scan) []custScan {
	out := make([]custScan, len(ss))
	for i, s := range ss {
		r := custScan{ID: s.ID, Status: label(string(s.Status)), Profile: label(string(s.Profile)),
			Trigger: custTrigger(s.Trigger), Created: stamp(s.CreatedAt), Finished: stampOr(s.FinishedAt, "—"), Reason: s.Reason}
		switch s.Status {
		case portal.ScanCompleted:
			r.StatusClass, r.ReportID = "active", portal.ReportIDOf(s.ID)
			r.Findings = custSeverities(func(sev scan.Severity) int { return s.Counts[sev] })
		case portal.ScanFailed, portal.ScanRefused:
			r.StatusClass = "suspended"
		default:
			r.StatusClass = "archived"
		}
		out[i] = r
	}
	return out
}

func custTrigger(t portal.ScanTrigger) string {
	switch t {
	case portal.TriggerAPI:
		return "On request"
	case portal.TriggerSchedule:
		return "Schedule"
	case portal.TriggerNewAsset:
		return "New asset"
	case portal.TriggerVulnDB:
		return "Vulnerability database update"
	}
	return label(string(t))
}

// custSeverities says "2 high, 1 medium" ("No findings" when none).
func custSeverities(count func(scan.Severity) int) string {
	var parts []string
	for _, sev := range portal.SeveritiesDescending {
		if n := count(sev); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, sev))
		}
	}
	if len(parts) == 0 {
		return "No findings"
	}
	return strings.Join(parts, ", ")
}

type custFinding struct {
	ID, Severity, Title, Asset, Status, Reason, FirstSeen, LastSeen string
	Form                                                            Form
}

func custFindings(fs []portal.Finding, assets map[string]string, pend *custPending) []custFinding {
	out := make([]custFinding, len(fs))
	for i, f := range fs {
		r := custFinding{ID: f.ID, Severity: label(string(f.Severity)), Title: f.Title, Asset: f.AssetID,
			Status: label(string(f.Status)), Reason: f.Reason, FirstSeen: stamp(f.FirstSeenAt), LastSeen: stamp(f.LastSeenAt)}
		if v, ok := assets[f.AssetID]; ok {
			r.Asset = v
		}
		r.Form = Form{Values: url.Values{"status": {string(f.Status)}, "reason": {f.Reason}}}
		if pend != nil && pend.ID == f.ID {
			r.Form = pend.Form
		}
		out[i] = r
	}
	return out
}

// custPending is a finding's status form shown again with its errors.
type custPending struct {
	ID   string
	Form Form
}

type custReport struct {
	ID, ScanID, Finished, Profile, Findings string
}

func custReports(ms []portal.ReportMeta) []custReport {
	out := make([]custReport, len(ms))
	for i, m := range ms {
		out[i] = custReport{ID: m.ID, ScanID: m.ScanID, Finished: stamp(m.ScanFinishedAt), Profile: label(string(m.Profile)),
			Findings: custSeverities(m.Summary.Count)}
	}
	return out
}

type custSchedule struct {
	ID, Profile, Targets, Frequency, NextRun, State, StateClass, Events string
}

func custSchedules(ss []portal.Schedule, now time.Time) []custSchedule {
	out := make([]custSchedule, len(ss))
	for i, s := range ss {
		r := custSchedule{ID: s.ID, Profile: label(string(s.Profile)), Targets: "All verified assets", NextRun: "—"}
		if !s.AllTargets {
			r.Targets = fmt.Sprintf("%d selected assets", len(s.AssetIDs))
		}
		switch s.Frequency {
		case recurrence.Weekly:
			r.Frequency = "Weekly on " + s.DayOfWeek + " at " + s.StartTime
		case recurrence.Monthly:
			r.Frequency = fmt.Sprintf("Monthly on day %d at %s", s.DayOfMonth, s.StartTime)
		default:
			r.Frequency = label(string(s.Frequency)) + " at " + s.StartTime
		}
		r.Frequency += " (" + s.Timezone + ")"
		if next := s.NextRuns(now, 1); len(next) > 0 {
			r.NextRun = next[0].Local.Format("2006-01-02 15:04 MST")
		}
		switch {
		case s.Paused:
			r.State, r.StateClass = "Paused (the customer is suspended or archived)", "suspended"
		case s.Enabled:
			r.State, r.StateClass = "Enabled", "active"
		default:
			r.State, r.StateClass = "Disabled", "archived"
		}
		var ev []string
		if s.OnNewAsset {
			ev = append(ev, "new asset verified")
		}
		if s.OnVulnDBUpdate {
			ev = append(ev, "vulnerability database update")
		}
		r.Events = strings.Join(ev, ", ")
		out[i] = r
	}
	return out
}

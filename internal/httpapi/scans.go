package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/scan"
)

// ScanJSON is a scan as the API shows it.
type ScanJSON struct {
	ID          string            `json:"id"`
	CustomerID  string            `json:"customerId"`
	Profile     string            `json:"profile"`
	Targets     []string          `json:"targets"`
	AllTargets  bool              `json:"allTargets"`
	Trigger     string            `json:"trigger"`
	ScheduleID  string            `json:"scheduleId,omitempty"`
	RequestedBy string            `json:"requestedBy"`
	Status      string            `json:"status"`
	Reason      string            `json:"reason,omitempty"`
	LicenseID   string            `json:"licenseId,omitempty"`
	CreatedAt   time.Time         `json:"createdAt"`
	StartedAt   *time.Time        `json:"startedAt"`
	FinishedAt  *time.Time        `json:"finishedAt"`
	Findings    map[string]int    `json:"findings"`
	Errors      []scan.CheckError `json:"errors"`
}

func scanJSON(s portal.Scan) ScanJSON {
	j := ScanJSON{
		ID: s.ID, CustomerID: s.TenantID, Profile: string(s.Profile), Targets: s.AssetIDs, AllTargets: s.AllTargets,
		Trigger: string(s.Trigger), ScheduleID: s.ScheduleID, RequestedBy: s.RequestedBy, Status: string(s.Status), Reason: s.Reason,
		LicenseID: s.LicenseID, CreatedAt: s.CreatedAt, StartedAt: s.StartedAt, FinishedAt: s.FinishedAt,
		Findings: map[string]int{}, Errors: s.Errors,
	}
	for sev, n := range s.Counts {
		j.Findings[string(sev)] = n
	}
	if j.Errors == nil {
		j.Errors = []scan.CheckError{}
	}
	return j
}

// FindingJSON is a finding as the API shows it.
type FindingJSON struct {
	ID          string     `json:"id"`
	CustomerID  string     `json:"customerId"`
	AssetID     string     `json:"assetId"`
	CheckID     string     `json:"checkId"`
	Severity    string     `json:"severity"`
	Title       string     `json:"title"`
	Detail      string     `json:"detail"`
	Evidence    string     `json:"evidence"`
	Status      string     `json:"status"`
	Reason      string     `json:"reason,omitempty"`
	FirstSeenAt time.Time  `json:"firstSeenAt"`
	LastSeenAt  time.Time  `json:"lastSeenAt"`
	LastScanID  string     `json:"lastScanId"`
	FixedAt     *time.Time `json:"fixedAt,omitempty"`
	Version     int64      `json:"version"`
}

func findingJSON(f portal.Finding) FindingJSON {
	return FindingJSON{
		ID: f.ID, CustomerID: f.TenantID, AssetID: f.AssetID, CheckID: f.CheckID, Severity: string(f.Severity), Title: f.Title,
		Detail: f.Detail, Evidence: f.Evidence, Status: string(f.Status), Reason: f.Reason, FirstSeenAt: f.FirstSeenAt,
		LastSeenAt: f.LastSeenAt, LastScanID: f.LastScanID, FixedAt: f.FixedAt, Version: f.Version,
	}
}

// NewScans returns the handler of the scans function.
func NewScans(scans *portal.ScanService, findings *portal.FindingService, idem portal.IdempotencyStore, clock portal.Clock) *Handler {
	return NewHandler(map[string]Route{
		"POST /v1/customers/{customerId}/scans": func(ctx context.Context, r *Request) (Response, error) {
			var in portal.ScanInput
			if err := decodeJSON(r.Body, &in); err != nil {
				return Response{}, err
			}
			s, err := scans.Create(ctx, r.PathParams["customerId"], in)
			if err != nil {
				return Response{}, err
			}
			res := JSON(http.StatusAccepted, scanJSON(s))
			res.Headers = map[string]string{"Location": "/v1/customers/" + s.TenantID + "/scans/" + s.ID}
			return res, nil
		},
		"GET /v1/customers/{customerId}/scans": func(ctx context.Context, r *Request) (Response, error) {
			if err := knownParams(r, []string{"status", "limit", "cursor"}); err != nil {
				return Response{}, err
			}
			page, err := scans.List(ctx, r.PathParams["customerId"], r.Query["status"], r.Query["limit"], r.Query["cursor"])
			if err != nil {
				return Response{}, err
			}
			items := make([]ScanJSON, len(page.Items))
			for i, s := range page.Items {
				items[i] = scanJSON(s)
			}
			return JSON(http.StatusOK, listJSON[ScanJSON]{Items: items, NextCursor: page.NextCursor}), nil
		},
		"GET /v1/customers/{customerId}/scans/{scanId}": func(ctx context.Context, r *Request) (Response, error) {
			if err := knownParams(r, nil); err != nil {
				return Response{}, err
			}
			s, err := scans.Get(ctx, r.PathParams["customerId"], r.PathParams["scanId"])
			if err != nil {
				return Response{}, err
			}
			return JSON(http.StatusOK, scanJSON(s)), nil
		},
		"POST /v1/customers/{customerId}/scans/{scanId}/cancel": func(ctx context.Context, r *Request) (Response, error) {
			s, err := scans.Cancel(ctx, r.PathParams["customerId"], r.PathParams["scanId"])
			if err != nil {
				return Response{}, err
			}
			return JSON(http.StatusOK, scanJSON(s)), nil
		},
		"GET /v1/customers/{customerId}/findings": func(ctx context.Context, r *Request) (Response, error) {
			if err := knownParams(r, []string{"severity", "status", "assetId", "checkId", "limit", "cursor"}); err != nil {
				return Response{}, err
			}
			q := r.Query
			page, err := findings.List(ctx, r.PathParams["customerId"], portal.FindingParams{
				Severity: q["severity"], Status: q["status"], AssetID: q["assetId"], CheckID: q["checkId"], Limit: q["limit"], Cursor: q["cursor"],
			})
			if err != nil {
				return Response{}, err
			}
			items := make([]FindingJSON, len(page.Items))
			for i, f := range page.Items {
				items[i] = findingJSON(f)
			}
			return JSON(http.StatusOK, listJSON[FindingJSON]{Items: items, NextCursor: page.NextCursor}), nil
		},
		"PATCH /v1/customers/{customerId}/findings/{findingId}": func(ctx context.Context, r *Request) (Response, error) {
			var in portal.FindingPatch
			if err := decodeJSON(r.Body, &in); err != nil {
				return Response{}, err
			}
			f, err := findings.Update(ctx, r.PathParams["customerId"], r.PathParams["findingId"], in)
			if err != nil {
				return Response{}, err
			}
			return JSON(http.StatusOK, findingJSON(f)), nil
		},
	}, idem, clock)
}

package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/partnerportal/portal/internal/portal"
)

// ReportJSON is a report as the list of reports shows it; its bodies are
// at formats[…].href.
type ReportJSON struct {
	ID             string                      `json:"id"`
	ScanID         string                      `json:"scanId"`
	CustomerID     string                      `json:"customerId"`
	Profile        string                      `json:"profile"`
	ScanFinishedAt time.Time                   `json:"scanFinishedAt"`
	CreatedAt      time.Time                   `json:"createdAt"`
	Summary        map[string]int              `json:"summary"`
	Formats        map[string]ReportFormatJSON `json:"formats"`
}

// ReportFormatJSON is where a report's body in one format is.
type ReportFormatJSON struct {
	Href        string `json:"href"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
}

func reportJSON(m portal.ReportMeta) ReportJSON {
	j := ReportJSON{
		ID: m.ID, ScanID: m.ScanID, CustomerID: m.TenantID, Profile: string(m.Profile), ScanFinishedAt: m.ScanFinishedAt,
		CreatedAt: m.CreatedAt, Summary: map[string]int{"total": m.Summary.Total()}, Formats: map[string]ReportFormatJSON{},
	}
	for _, sev := range portal.SeveritiesDescending {
		j.Summary[string(sev)] = m.Summary.Count(sev)
	}
	for _, f := range portal.ReportFormats {
		j.Formats[string(f)] = ReportFormatJSON{
			Href:        "/v1/customers/" + m.TenantID + "/reports/" + m.ID + "?format=" + string(f),
			ContentType: f.ContentType(), Size: m.Sizes[f],
		}
	}
	return j
}

// reportPageCSP lets a report page use its inline styles and nothing else.
const reportPageCSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// ReportRoutes returns the routes of customers' scan reports, served by
// the scans function.
func ReportRoutes(reports *portal.ReportService) map[string]Route {
	return map[string]Route{
		"GET /v1/customers/{customerId}/reports": func(ctx context.Context, r *Request) (Response, error) {
			if err := knownParams(r, []string{"limit", "cursor"}); err != nil {
				return Response{}, err
			}
			page, err := reports.List(ctx, r.PathParams["customerId"], r.Query["limit"], r.Query["cursor"])
			if err != nil {
				return Response{}, err
			}
			items := make([]ReportJSON, len(page.Items))
			for i, m := range page.Items {
				items[i] = reportJSON(m)
			}
			return JSON(http.StatusOK, listJSON[ReportJSON]{Items: items, NextCursor: page.NextCursor}), nil
		},
		"GET /v1/customers/{customerId}/reports/{reportId}": func(ctx context.Context, r *Request) (Response, error) {
			if err := knownParams(r, []string{"format"}); err != nil {
				return Response{}, err
			}
			doc, err := reports.Get(ctx, r.PathParams["customerId"], r.PathParams["reportId"], r.Query["format"])
			if err != nil {
				return Response{}, err
			}
			res := Raw(http.StatusOK, doc.Format.ContentType(), doc.Body)
			res.Headers["Cache-Control"] = "private, no-store"
			if doc.Format == portal.ReportHTML {
				res.Headers["Content-Security-Policy"] = reportPageCSP
				res.Headers["X-Content-Type-Options"] = "nosniff"
				res.Headers["Content-Disposition"] = `inline; filename="` + doc.Meta.ID + `.html"`
			}
			return res, nil
		},
	}
}

package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/partnerportal/portal/internal/portal"
)

// ScheduleJSON is a schedule as the API shows it, with its next fire times.
type ScheduleJSON struct {
	ID                    string         `json:"id"`
	CustomerID            string         `json:"customerId"`
	Profile               string         `json:"profile"`
	Targets               any            `json:"targets"` // "all" or asset IDs
	Frequency             string         `json:"frequency"`
	DayOfWeek             string         `json:"dayOfWeek,omitempty"`
	DayOfMonth            int            `json:"dayOfMonth,omitempty"`
	StartTime             string         `json:"startTime"`
	Timezone              string         `json:"timezone"`
	Enabled               bool           `json:"enabled"`
	Paused                bool           `json:"paused"` // the customer is suspended or archived
	OnNewAsset            bool           `json:"onNewAsset"`
	OnVulnDBUpdate        bool           `json:"onVulnDbUpdate"`
	FlexibleWindowMinutes int            `json:"flexibleWindowMinutes"`
	NextRuns              []FireTimeJSON `json:"nextRuns"`
	CreatedBy             string         `json:"createdBy"`
	CreatedAt             time.Time      `json:"createdAt"`
	UpdatedAt             time.Time      `json:"updatedAt"`
	Version               int64          `json:"version"`
}

// FireTimeJSON is one upcoming fire: in UTC and in the schedule's zone.
type FireTimeJSON struct {
	UTC   time.Time `json:"utc"`
	Local time.Time `json:"local"`
}

func scheduleJSON(s portal.Schedule, now time.Time) ScheduleJSON {
	j := ScheduleJSON{
		ID: s.ID, CustomerID: s.TenantID, Profile: string(s.Profile), Targets: s.AssetIDs, Frequency: string(s.Frequency),
		DayOfWeek: s.DayOfWeek, DayOfMonth: s.DayOfMonth, StartTime: s.StartTime, Timezone: s.Timezone, Enabled: s.Enabled, Paused: s.Paused,
		OnNewAsset: s.OnNewAsset, OnVulnDBUpdate: s.OnVulnDBUpdate, FlexibleWindowMinutes: s.FlexibleWindowMinutes,
		NextRuns: []FireTimeJSON{}, CreatedBy: s.CreatedBy, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, Version: s.Version,
	}
	if s.AllTargets {
		j.Targets = "all"
	}
	for _, f := range s.NextRuns(now, portal.NextRunsShown) {
		j.NextRuns = append(j.NextRuns, FireTimeJSON{UTC: f.UTC, Local: f.Local})
	}
	return j
}

// ScheduleResultJSON is the outcome of POST /v1/schedules for one customer.
type ScheduleResultJSON struct {
	CustomerID string        `json:"customerId"`
	Status     string        `json:"status"` // "created" or the error code
	Schedule   *ScheduleJSON `json:"schedule,omitempty"`
	Reason     string        `json:"reason,omitempty"`
}

// ScheduleCreateJSON is the answer to POST /v1/schedules.
type ScheduleCreateJSON struct {
	Created    int                  `json:"created"`
	NotCreated int                  `json:"notCreated"`
	Items      []ScheduleResultJSON `json:"items"`
}

// VulnDBUpdateJSON is the answer to POST /v1/events/vulndb-updated.
type VulnDBUpdateJSON struct {
	UpdateID    string    `json:"updateId"`
	Name        string    `json:"name"`
	PublishedAt time.Time `json:"publishedAt"`
}

// NewSchedules returns the handler of the schedules function: schedules,
// and the announcement of vulnerability-database updates that starts the
// scans schedules ask for.
func NewSchedules(schedules *portal.ScheduleService, vulndb *portal.VulnDBService, idem portal.IdempotencyStore, clock portal.Clock) *Handler {
	h := schedulesHandler{svc: schedules, clock: clock}
	return NewHandler(map[string]Route{
		"POST /v1/schedules": h.create,
		"GET /v1/schedules":  h.list,
		"GET /v1/customers/{customerId}/schedules/{scheduleId}":    h.get,
		"PATCH /v1/customers/{customerId}/schedules/{scheduleId}":  h.update,
		"DELETE /v1/customers/{customerId}/schedules/{scheduleId}": h.delete,
		"POST /v1/events/vulndb-updated": func(ctx context.Context, r *Request) (Response, error) {
			var in portal.VulnDBInput
			if err := decodeJSON(r.Body, &in); err != nil {
				return Response{}, err
			}
			u, err := vulndb.Announce(ctx, in)
			if err != nil {
				return Response{}, err
			}
			return JSON(http.StatusAccepted, VulnDBUpdateJSON{UpdateID: u.UpdateID, Name: u.Name, PublishedAt: u.PublishedAt}), nil
		},
	}, idem, clock)
}

type schedulesHandler struct {
	svc   *portal.ScheduleService
	clock portal.Clock
}

// scheduleProblem answers a POST /v1/schedules that created nothing: the
// problem of the first customer's failure, with every customer's outcome.
type scheduleProblem struct {
	Problem
	Items []ScheduleResultJSON `json:"items"`
}

// create answers 201 when every customer got its schedule, 207 (with the
// same body) when some did not, and, when none did, the problem of the
// first failure (404 for a customer not found, …) listing every outcome.
func (h schedulesHandler) create(ctx context.Context, r *Request) (Response, error) {
	var in portal.ScheduleInput
	if err := decodeJSON(r.Body, &in); err != nil {
		return Response{}, err
	}
	results, err := h.svc.Create(ctx, in)
	if err != nil {
		return Response{}, err
	}
	body := ScheduleCreateJSON{Items: make([]ScheduleResultJSON, len(results))}
	now := h.clock()
	for i, res := range results {
		item := ScheduleResultJSON{CustomerID: res.CustomerID, Status: "created"}
		if res.Err != nil {
			item.Status, item.Reason = portal.ErrorCode(res.Err), portal.ErrorMessage(res.Err)
			if item.Status == portal.EINTERNAL {
				slog.ErrorContext(ctx, "internal error", "requestId", r.RequestID, "customerId", res.CustomerID, "error", res.Err.Error())
			}
			body.NotCreated++
		} else {
			j := scheduleJSON(res.Schedule, now)
			item.Schedule = &j
			body.Created++
		}
		body.Items[i] = item
	}
	switch {
	case body.NotCreated == 0:
		return JSON(http.StatusCreated, body), nil
	case body.Created > 0:
		return JSON(http.StatusMultiStatus, body), nil
	}
	first := results[0].Err
	code, status := portal.ErrorCode(first), statusOf[portal.ErrorCode(first)]
	if status == 0 {
		code, status = portal.EINTERNAL, http.StatusInternalServerError
	}
	detail := "no schedule was created: " + body.Items[0].Reason
	if len(results) > 1 {
		detail = fmt.Sprintf("no schedule was created for the %d customers; the first: %s", len(results), body.Items[0].Reason)
	}
	return Response{Status: status, Headers: map[string]string{"Content-Type": "application/problem+json"}, Body: scheduleProblem{
		Problem: Problem{Type: "urn:partner-portal:problem:" + code, Title: http.StatusText(status), Status: status,
			Detail: detail, Instance: r.Path, Code: code, RequestID: r.RequestID},
		Items: body.Items,
	}}, nil
}

func (h schedulesHandler) list(ctx context.Context, r *Request) (Response, error) {
	if err := knownParams(r, []string{"customerId", "limit", "cursor"}); err != nil {
		return Response{}, err
	}
	page, err := h.svc.List(ctx, r.Query["customerId"], r.Query["limit"], r.Query["cursor"])
	if err != nil {
		return Response{}, err
	}
	now := h.clock()
	items := make([]ScheduleJSON, len(page.Items))
	for i, s := range page.Items {
		items[i] = scheduleJSON(s, now)
	}
	return JSON(http.StatusOK, listJSON[ScheduleJSON]{Items: items, NextCursor: page.NextCursor}), nil
}

func (h schedulesHandler) get(ctx context.Context, r *Request) (Response, error) {
	if err := knownParams(r, nil); err != nil {
		return Response{}, err
	}
	s, err := h.svc.Get(ctx, r.PathParams["customerId"], r.PathParams["scheduleId"])
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, scheduleJSON(s, h.clock())), nil
}

func (h schedulesHandler) update(ctx context.Context, r *Request) (Response, error) {
	var in portal.ScheduleInput
	if err := decodeJSON(r.Body, &in); err != nil {
		return Response{}, err
	}
	s, err := h.svc.Update(ctx, r.PathParams["customerId"], r.PathParams["scheduleId"], in)
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, scheduleJSON(s, h.clock())), nil
}

func (h schedulesHandler) delete(ctx context.Context, r *Request) (Response, error) {
	if err := h.svc.Delete(ctx, r.PathParams["customerId"], r.PathParams["scheduleId"]); err != nil {
		return Response{}, err
	}
	return Response{Status: http.StatusNoContent}, nil
}

package console

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// The audit log with filters.
func (c *Console) auditRoutes() {
	c.mux.Handle("GET "+Base+"/audit", c.page(c.auditLog))
}

// auditActions are the audited actions the filter offers.
var auditActions = []string{
	"alert.ack", "apikey.create", "apikey.revoke", "asset.create", "asset.delete", "asset.verify",
	"customer.access", "customer.archive", "customer.create", "customer.resume", "customer.suspend", "customer.update",
	"finding.update", "grants.set", "license.create", "license.revoke", "license.update", "partner.create",
	"prepaid.buy", "pricing.update", "scan.cancel", "scan.create", "schedule.create", "schedule.delete", "schedule.update",
	"user.create", "user.invite", "user.password_set",
}

// auditPage is the audit log's data.
type auditPage struct {
	Form        Form // the filters: customerId, actorId, action, from, to (dates)
	Actions     []string
	ByCustomer  bool // the caller may filter by customer (partner admins)
	Rows        []auditRow
	NextHref    string
	FirstHref   string
	PartnerRole bool // tenants and customers link to customer pages
}

// auditRow is one entry, formatted.
type auditRow struct {
	ID         string
	Time       time.Time
	Actor      string
	ActorRole  string
	Action     string
	TenantID   string
	TargetType string
	TargetID   string
	Fields     string // the changed fields' names
	Before     string // pretty JSON
	After      string
}

// auditLog lists the audit log visible to the caller, newest first,
// filtered by customer, actor, action and day range.
func (c *Console) auditLog(w http.ResponseWriter, r *http.Request) error {
	id := identity(r)
	if id.Role != tenancy.RolePartnerAdmin && id.Role != tenancy.RoleSuperAdmin {
		return portal.Errorf(portal.EFORBIDDEN, "the audit log is for partner admins and platform operators")
	}
	q := r.URL.Query()
	data := auditPage{Form: Form{Values: q, Errors: map[string]string{}}, ByCustomer: id.Role == tenancy.RolePartnerAdmin, PartnerRole: id.Role.IsPartnerRole()}
	data.Actions = auditActions
	if a := q.Get("action"); a != "" && !slices.Contains(auditActions, a) {
		data.Actions = append(slices.Clone(auditActions), a)
	}
	ap := portal.AuditParams{ActorID: q.Get("actorId"), Action: q.Get("action"), Limit: "25", Cursor: q.Get("cursor")}
	if data.ByCustomer {
		ap.CustomerID = q.Get("customerId")
	}
	// The day range is inclusive: from the start of "from" to the end of "to" (UTC).
	ap.From = dayParam(data.Form.Errors, "from", q.Get("from"), 0)
	ap.To = dayParam(data.Form.Errors, "to", q.Get("to"), 1)
	if len(data.Form.Errors) > 0 {
		data.Form.Message = "Check the highlighted filters."
		return c.render(w, r, http.StatusUnprocessableEntity, "audit", view{Title: "Audit log", Section: "audit", Data: data})
	}
	page, err := c.s.Audit.List(r.Context(), ap)
	if err != nil {
		f, ok := formError(err)
		if !ok || portal.ErrorCode(err) != portal.EINVALID {
			return err
		}
		f.Values = q
		data.Form = f
		return c.render(w, r, http.StatusUnprocessableEntity, "audit", view{Title: "Audit log", Section: "audit", Data: data})
	}
	for _, e := range page.Items {
		row := auditRow{ID: e.ID, Time: e.Time, Actor: e.ActorID, ActorRole: string(e.ActorRole), Action: e.Action, TenantID: e.TenantID, TargetType: e.TargetType, TargetID: e.TargetID}
		if e.ActorID == id.UserID {
			row.Actor = "you"
		}
		if len(e.Changes) > 0 {
			before, after := map[string]any{}, map[string]any{}
			for k, ch := range e.Changes {
				if ch.Before != nil {
					before[k] = ch.Before
				}
				if ch.After != nil {
					after[k] = ch.After
				}
			}
			for i, k := range slices.Sorted(maps.Keys(e.Changes)) {
				if i > 0 {
					row.Fields += ", "
				}
				row.Fields += k
			}
			row.Before, row.After = prettyJSON(before), prettyJSON(after)
		}
		data.Rows = append(data.Rows, row)
	}
	data.NextHref, data.FirstHref = pageLinks(q, page.NextCursor)
	return c.render(w, r, http.StatusOK, "audit", view{Title: "Audit log", Section: "audit", Data: data})
}

// dayParam turns a day ("2026-03-14", from an <input type=date>) into the
// RFC 3339 time days later at midnight UTC, noting a malformed day in errs.
func dayParam(errs map[string]string, field, v string, days int) string {
	if v == "" {
		return ""
	}
	d, err := time.Parse("2006-01-02", v)
	if err != nil {
		errs[field] = "must be a date such as 2026-03-14"
		return ""
	}
	return d.AddDate(0, 0, days).Format(time.RFC3339)
}

// prettyJSON renders v indented ("{}" when it has nothing).
func prettyJSON(v map[string]any) string {
	if len(v) == 0 {
		return "{}"
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "(not shown: " + err.Error() + ")"
	}
	return string(b)
}

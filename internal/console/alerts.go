package console

import (
	"net/http"
	"net/url"
	"time"

	"github.com/partnerportal/portal/internal/portal"
)

// Usage alerts, with acknowledge.
func (c *Console) alertRoutes() {
	c.mux.Handle("GET "+Base+"/alerts", c.page(c.alertList))
	c.mux.Handle("POST "+Base+"/alerts/{alertId}/ack", c.page(c.alertAck))
}

// alertsPage is the alert list's data.
type alertsPage struct {
	Query        url.Values // the list's query, for the filter and page links
	State        string     // "open", "acknowledged" or "all"
	CustomerID   string     // the customer filtered by, "" for all
	CustomerName string
	FromSwitcher bool // the customer filter comes from the header's switcher
	Rows         []alertRow
	AllHref      string // the same list for every customer
	NextHref     string // the next page, "" on the last
	FirstHref    string // the first page, "" on the first
	CanAck       bool   // the caller may acknowledge alerts
	Back         string // this page, to come back to after acknowledging
}

// alertRow is one alert, formatted.
type alertRow struct {
	ID                       string
	CustomerID, CustomerName string
	Model                    string
	Threshold                int
	Used, Quantity           int64
	Period                   string
	Created                  time.Time
	Acknowledged             bool
	AcknowledgedBy           string
	AcknowledgedAt           *time.Time
}

// alertStates maps the page's acknowledgement filter to AlertParams'.
var alertStates = map[string]string{"open": "false", "acknowledged": "true", "all": ""}

// alertList lists the caller's usage alerts, newest first: by default the
// open ones, of the customer switched to in the header if any.
func (c *Console) alertList(w http.ResponseWriter, r *http.Request) error {
	id := identity(r)
	if id.Role.IsCustomerRole() {
		return portal.Errorf(portal.EFORBIDDEN, "usage alerts are for your service provider's staff")
	}
	q := r.URL.Query()
	data := alertsPage{Query: q, State: q.Get("state"), Back: r.URL.RequestURI(), CanAck: id.Role.IsPartnerRole()}
	ack, ok := alertStates[data.State]
	if !ok {
		data.State, ack = "open", "false"
	}
	switch cid := q.Get("customerId"); {
	case q.Has("customerId") && cid != "all" && cid != "":
		cu, err := c.s.Customers.Get(r.Context(), cid)
		if err != nil {
			return err
		}
		data.CustomerID, data.CustomerName = cu.ID, cu.Name
	case !q.Has("customerId"):
		if cu := c.current(r); cu != nil {
			data.CustomerID, data.CustomerName, data.FromSwitcher = cu.ID, cu.Name, true
		}
	}
	page, err := c.s.Alerts.List(r.Context(), portal.AlertParams{CustomerID: data.CustomerID, Acknowledged: ack, Limit: "25", Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	names := map[string]string{data.CustomerID: data.CustomerName}
	for _, a := range page.Items {
		name, ok := names[a.TenantID]
		if !ok {
			// At most one read per customer on the page (25 alerts).
			if cu, err := c.s.Customers.Get(r.Context(), a.TenantID); err == nil {
				name = cu.Name
			}
			names[a.TenantID] = name
		}
		if name == "" {
			name = a.TenantID
		}
		by := a.AcknowledgedBy
		if by == id.UserID {
			by = "you"
		}
		data.Rows = append(data.Rows, alertRow{
			ID: a.ID, CustomerID: a.TenantID, CustomerName: name, Model: modelLabel(a.Model), Threshold: a.Threshold,
			Used: a.Used, Quantity: a.Quantity, Period: periodLabel(a.Period), Created: a.CreatedAt,
			Acknowledged: a.Acknowledged, AcknowledgedBy: by, AcknowledgedAt: a.AcknowledgedAt,
		})
	}
	data.AllHref = queryWith("", q, "customerId", "all")
	data.NextHref, data.FirstHref = pageLinks(q, page.NextCursor)
	return c.render(w, r, http.StatusOK, "alerts", view{Title: "Alerts", Section: "alerts", Data: data})
}

// alertAck acknowledges an alert and goes back to the list it was on.
func (c *Console) alertAck(w http.ResponseWriter, r *http.Request) error {
	if _, err := c.s.Alerts.Ack(r.Context(), r.PathValue("alertId")); err != nil {
		return err
	}
	back := within(r.PostFormValue("back"), Base+"/alerts")
	return redirect(w, r, back, "Alert acknowledged.")
}

// periodLabel shows a billing period by the days it begins and ends
// (UTC; a period ends at the time of day the next one begins).
func periodLabel(p portal.Period) string {
	if p.Start.IsZero() {
		return "—"
	}
	return day(p.Start) + " – " + day(p.End)
}

package console

import (
	"net/http"

	"github.com/partnerportal/portal/internal/portal"
)

// The dashboard: where signing in lands. Customer users land on their own
// organisation's page.
func (c *Console) dashboardRoutes() {
	c.mux.Handle("GET "+Base+"/{$}", c.page(c.dashboard))
}

func (c *Console) dashboard(w http.ResponseWriter, r *http.Request) error {
	id := identity(r)
	if id.Role.IsCustomerRole() {
		http.Redirect(w, r, Base+"/customers/"+id.TenantID, http.StatusSeeOther)
		return nil
	}
	data := map[string]any{}
	if id.Role.IsPartnerRole() {
		alerts, err := c.s.Alerts.List(r.Context(), portal.AlertParams{Acknowledged: "false", Limit: "10"})
		if err != nil {
			return err
		}
		data["Alerts"] = alerts.Items
	}
	return c.render(w, r, http.StatusOK, "dashboard", view{Title: "Dashboard", Section: "dashboard", Data: data})
}

package console

import (
	"net/http"

	"github.com/partnerportal/portal/internal/portal"
)

// The customer switcher in the header: "switch to the target customer".
// The customer switched to is remembered in a cookie (only its ID: every
// page reads it through the services, so it grants nothing) and is the
// one Scans > Schedules > Create Schedule starts with.
func (c *Console) switcherRoutes() {
	c.mux.Handle("GET "+Base+"/switch", c.page(c.switchSearch))
	c.mux.Handle("POST "+Base+"/switch", c.page(c.switchTo))
}

const currentCookie = "pp_customer"

// current returns the customer the caller switched to, if it still
// exists and the caller may see it.
func (c *Console) current(r *http.Request) *portal.Customer {
	ck, err := r.Cookie(currentCookie)
	if err != nil || !portal.ValidID(portal.PrefixCustomer, ck.Value) {
		return nil
	}
	cu, err := c.s.Customers.Get(r.Context(), ck.Value)
	if err != nil {
		return nil
	}
	return &cu
}

// switchSearch lists the customers whose name starts with q, each to
// switch to (a GET changes nothing).
func (c *Console) switchSearch(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query().Get("q")
	page, err := c.s.Customers.List(r.Context(), portal.ListParams{Q: q, Sort: "name", Limit: "20"})
	if err != nil {
		return err
	}
	return c.renderMatches(w, r, q, page.Items)
}

func (c *Console) renderMatches(w http.ResponseWriter, r *http.Request, q string, items []portal.Customer) error {
	return c.render(w, r, http.StatusOK, "switch", view{Title: "Switch customer", Section: "customers", Data: map[string]any{"Q": q, "Items": items}})
}

// switchTo switches to the posted customer, or to the one customer whose
// name starts with the posted q (several are listed to pick from); an
// empty customerId switches back to all customers.
func (c *Console) switchTo(w http.ResponseWriter, r *http.Request) error {
	if r.PostForm.Has("q") {
		q := r.PostFormValue("q")
		page, err := c.s.Customers.List(r.Context(), portal.ListParams{Q: q, Sort: "name", Limit: "20"})
		if err != nil {
			return err
		}
		if len(page.Items) != 1 {
			return c.renderMatches(w, r, q, page.Items)
		}
		return c.switchAndGo(w, r, page.Items[0].ID)
	}
	id := r.PostFormValue("customerId")
	if id == "" {
		http.SetCookie(w, &http.Cookie{Name: currentCookie, Path: Base, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode, MaxAge: -1})
		return redirect(w, r, Base+"/customers", "Showing all customers.")
	}
	return c.switchAndGo(w, r, id)
}

func (c *Console) switchAndGo(w http.ResponseWriter, r *http.Request, customerID string) error {
	cu, err := c.s.Customers.Get(r.Context(), customerID)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: currentCookie, Value: cu.ID, Path: Base, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
	return redirect(w, r, Base+"/customers/"+cu.ID, "Switched to "+cu.Name+".")
}

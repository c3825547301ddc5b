package console

import (
	"net/http"
	"net/url"
	"time"

	"github.com/partnerportal/portal/internal/portal"
)

// The margin report for a month.
func (c *Console) marginRoutes() {
	c.mux.Handle("GET "+Base+"/margins", c.page(c.margins))
}

// marginsPage is the margin report's data.
type marginsPage struct {
	Form        Form   // the month picker: "period"
	Period      string // YYYY-MM shown, "" when the period is invalid
	PeriodLabel string // "March 2026"
	PrevHref    string
	NextHref    string
	Rows        []marginRow
	Totals      []marginAmounts
}

// marginRow is one customer's figures in one currency.
type marginRow struct {
	CustomerID, CustomerName string
	Licenses                 int
	marginAmounts
}

// marginAmounts are revenue, cost and margin in one currency, and the
// margin's share of revenue ("—" without revenue).
type marginAmounts struct {
	Revenue, Cost, Margin portal.Money
	Percent               string
}

func amountsOf(a portal.Amounts) marginAmounts {
	m := marginAmounts{
		Revenue: portal.Money{Amount: a.Revenue, Currency: a.Currency},
		Cost:    portal.Money{Amount: a.Cost, Currency: a.Currency},
		Margin:  portal.Money{Amount: a.Margin, Currency: a.Currency},
		Percent: "—",
	}
	if bps, ok := a.MarginBps(); ok {
		m.Percent = portal.FormatBasisPoints(bps) + " %"
	}
	return m
}

// margins shows the caller's revenue, cost and margin per customer for a
// month (?period=YYYY-MM; this month in UTC by default), with totals per
// currency.
func (c *Console) margins(w http.ResponseWriter, r *http.Request) error {
	period := r.URL.Query().Get("period")
	if period == "" {
		period = c.s.Clock().UTC().Format("2006-01")
	}
	data := marginsPage{Form: Form{Values: url.Values{"period": {period}}}}
	report, err := c.s.Margins.Report(r.Context(), period)
	if err != nil {
		f, ok := formError(err)
		if !ok {
			return err
		}
		f.Values = data.Form.Values
		data.Form = f
		return c.render(w, r, http.StatusUnprocessableEntity, "margins", view{Title: "Margins", Section: "margins", Data: data})
	}
	month, _ := time.Parse("2006-01", report.Period)
	data.Period, data.PeriodLabel = report.Period, month.Format("January 2006")
	data.PrevHref = "?period=" + month.AddDate(0, -1, 0).Format("2006-01")
	data.NextHref = "?period=" + month.AddDate(0, 1, 0).Format("2006-01")
	for _, cm := range report.Customers {
		name := cm.CustomerName
		if name == "" {
			name = cm.CustomerID
		}
		for _, a := range cm.Amounts {
			data.Rows = append(data.Rows, marginRow{CustomerID: cm.CustomerID, CustomerName: name, Licenses: cm.Licenses, marginAmounts: amountsOf(a)})
		}
	}
	for _, t := range report.Totals {
		data.Totals = append(data.Totals, amountsOf(t))
	}
	return c.render(w, r, http.StatusOK, "margins", view{Title: "Margins " + data.PeriodLabel, Section: "margins", Data: data})
}

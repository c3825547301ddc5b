package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// Settings (super_admin): pricing and pre-paid discount tiers. Partner
// personnel see the pricing that applies to them, read-only; partner
// admins also their pre-paid pools, and buy new ones.
func (c *Console) settingsRoutes() {
	c.mux.Handle("GET "+Base+"/settings", c.page(c.settings))
	c.mux.Handle("POST "+Base+"/settings", c.page(c.savePricing))
	c.mux.Handle("POST "+Base+"/settings/prepaid", c.page(c.buyPrepaid))
}

// maxTierRows bounds the pre-paid tier rows the pricing form takes.
const maxTierRows = 20

// settingsPage is the settings page's data.
type settingsPage struct {
	CanEdit bool // the pricing form (super admins); otherwise read-only
	Form    Form // the pricing form
	Version int64
	Pricing *portal.Pricing // nil before it is set
	Updated string          // when and by whom the shown version was set
	Costs   []costRow       // unit costs, per model
	Fields  []costField     // the form's unit cost inputs
	Tiers   []tierRow       // the pre-paid tiers, read-only
	Rows    []tierField     // the form's tier rows
	// Partner admins' pre-paid pools and the form to buy one.
	CanBuy  bool
	Pools   []poolRow
	BuyForm Form
}

type costRow struct {
	Model           string
	Unit            string
	Monthly, Annual portal.Money
}

type costField struct {
	Name, Label string
}

type tierRow struct {
	MinUnits int64
	Discount string
}

type tierField struct {
	MinName, DiscountName string
	N                     int // 1-based, for labels
}

type poolRow struct {
	ID                     string
	Purchased              time.Time
	Model, Period          string
	Units, Balance         int64
	ListUnitCost, UnitCost portal.Money
	Discount               string
	Total                  portal.Money
}

// unitLabel says what one unit of a model is.
func unitLabel(m portal.LicenseModel) string {
	switch m {
	case portal.ModelPerAsset:
		return "per asset"
	case portal.ModelPerScan:
		return "per scan"
	}
	return "per license"
}

// costFieldName is the pricing form's (and the service's) name of a unit cost.
func costFieldName(m portal.LicenseModel, p portal.BillingPeriod) string {
	return "unitCosts." + string(m) + "." + string(p)
}

func tierFields(n int) []tierField {
	rows := make([]tierField, n)
	for i := range rows {
		rows[i] = tierField{MinName: fmt.Sprintf("tiers[%d].minUnits", i), DiscountName: fmt.Sprintf("tiers[%d].discount", i), N: i + 1}
	}
	return rows
}

func (c *Console) settings(w http.ResponseWriter, r *http.Request) error {
	return c.renderSettings(w, r, http.StatusOK, nil, nil)
}

// renderSettings renders the settings page; pricing and buy, when set,
// are the submitted forms shown again with their errors.
func (c *Console) renderSettings(w http.ResponseWriter, r *http.Request, status int, pricing, buy *Form) error {
	id := identity(r)
	data := settingsPage{CanEdit: id.Role == tenancy.RoleSuperAdmin, CanBuy: id.Role == tenancy.RolePartnerAdmin}
	p, err := c.s.Pricing.Get(r.Context())
	switch {
	case portal.ErrorCode(err) == portal.ENOTFOUND:
	case err != nil:
		return err
	default:
		data.Pricing, data.Version = &p, p.Version
		data.Updated = stamp(p.UpdatedAt)
		for _, m := range portal.LicenseModels {
			data.Costs = append(data.Costs, costRow{Model: modelLabel(m), Unit: unitLabel(m), Monthly: p.UnitCost(m, portal.PeriodMonthly), Annual: p.UnitCost(m, portal.PeriodAnnual)})
		}
		for _, t := range p.PrepaidTiers {
			data.Tiers = append(data.Tiers, tierRow{MinUnits: t.MinUnits, Discount: portal.FormatBasisPoints(t.DiscountBps) + " %"})
		}
	}
	for _, m := range portal.LicenseModels {
		for _, bp := range portal.BillingPeriods {
			data.Fields = append(data.Fields, costField{Name: costFieldName(m, bp), Label: modelLabel(m) + ", " + string(bp) + " (" + unitLabel(m) + ")"})
		}
	}
	if data.CanEdit {
		if pricing != nil {
			data.Form = *pricing
			n, _ := strconv.Atoi(pricing.Get("tierRows"))
			data.Rows = tierFields(min(max(n, 1), maxTierRows))
			if v, err := strconv.ParseInt(pricing.Get("version"), 10, 64); err == nil {
				data.Version = v
			}
		} else {
			data.Form = pricingFormValues(data.Pricing)
			data.Rows = tierFields(len(data.Tiers) + 2)
		}
	}
	if data.CanBuy {
		pools, err := c.s.Prepaid.List(r.Context())
		if err != nil {
			return err
		}
		for _, pl := range pools {
			data.Pools = append(data.Pools, poolRow{
				ID: pl.ID, Purchased: pl.PurchasedAt, Model: modelLabel(pl.Model), Period: string(pl.BillingPeriod),
				Units: pl.Units, Balance: pl.Balance, ListUnitCost: pl.ListUnitCost, UnitCost: pl.UnitCost,
				Discount: portal.FormatBasisPoints(pl.DiscountBps) + " %", Total: pl.Total(),
			})
		}
		data.BuyForm = Form{Values: url.Values{"model": {string(portal.ModelPerAsset)}, "billingPeriod": {string(portal.PeriodMonthly)}}}
		if buy != nil {
			data.BuyForm = *buy
		}
	}
	return c.render(w, r, status, "settings", view{Title: "Settings", Section: "settings", Data: data})
}

// pricingFormValues are the pricing form's values showing p (empty before
// pricing is set): amounts in major units.
func pricingFormValues(p *portal.Pricing) Form {
	v := url.Values{}
	if p != nil {
		digits := portal.CurrencyDigits(p.Currency)
		v.Set("currency", p.Currency)
		for _, m := range portal.LicenseModels {
			for _, bp := range portal.BillingPeriods {
				if amount, ok := p.UnitCosts[m][bp]; ok {
					v.Set(costFieldName(m, bp), majorUnits(amount, digits))
				}
			}
		}
		for i, t := range p.PrepaidTiers {
			v.Set(fmt.Sprintf("tiers[%d].minUnits", i), strconv.FormatInt(t.MinUnits, 10))
			v.Set(fmt.Sprintf("tiers[%d].discount", i), majorUnits(t.DiscountBps, 2))
		}
		v.Set("tierRows", strconv.Itoa(len(p.PrepaidTiers)+2))
	}
	return Form{Values: v}
}

// savePricing stores the submitted pricing as a new version, provided the
// version the form showed is still the current one.
func (c *Console) savePricing(w http.ResponseWriter, r *http.Request) error {
	if identity(r).Role != tenancy.RoleSuperAdmin {
		// The service refuses it too; this only spares reading the form.
		return portal.Errorf(portal.EFORBIDDEN, "only platform operators (super admins) change pricing")
	}
	r.ParseForm()
	f := Form{Values: r.PostForm, Errors: map[string]string{}}
	in, tierRow, labels := parsePricingForm(f)
	if len(f.Errors) > 0 {
		f.Message = "Nothing was saved. Check " + strings.Join(labels, ", ") + "."
		return c.renderSettings(w, r, http.StatusUnprocessableEntity, &f, nil)
	}
	version, err := strconv.ParseInt(f.Get("version"), 10, 64)
	if err != nil || version < 0 {
		return portal.Errorf(portal.EINVALID, "the form has no valid pricing version: reload the page and try again")
	}
	p, err := c.s.Pricing.Put(r.Context(), in, &version)
	switch {
	case portal.ErrorCode(err) == portal.EPRECONDITION:
		f.Message = "Nothing was saved: someone else changed the pricing after you opened this page (" + portal.ErrorMessage(err) +
			"). Reload the page to see the current values, then make your change again."
		return c.renderSettings(w, r, http.StatusConflict, &f, nil)
	case err != nil:
		fe, ok := formError(err)
		if !ok {
			return err
		}
		for field, reason := range fe.Errors {
			// The service numbers the tiers it got; the form numbers its rows.
			if rest, ok := strings.CutPrefix(field, "prepaidTiers["); ok {
				if i, sub, ok := strings.Cut(rest, "]"); ok {
					if n, err := strconv.Atoi(i); err == nil && n < len(tierRow) {
						field = fmt.Sprintf("tiers[%d]", tierRow[n]) + strings.Replace(sub, ".discountBps", ".discount", 1)
					}
				}
			}
			f.Errors[field] = reason
		}
		f.Message = "Nothing was saved. " + fe.Message
		return c.renderSettings(w, r, formStatus(err), &f, nil)
	}
	return redirect(w, r, Base+"/settings", fmt.Sprintf("Pricing saved as version %d. New licenses use it; existing licenses keep their unit cost.", p.Version))
}

// parsePricingForm reads the pricing form strictly, amounts typed in major
// units ("12.50") into integer minor units. It notes each malformed field
// in f.Errors and returns the labels of the fields in error, and for each
// tier given to the service the form row it came from (blank rows are left
// out).
func parsePricingForm(f Form) (portal.PricingInput, []int, []string) {
	var labels []string
	bad := func(field, label, reason string) {
		f.Errors[field] = reason
		labels = append(labels, label)
	}
	currency := strings.ToUpper(strings.TrimSpace(f.Get("currency")))
	digits := portal.CurrencyDigits(currency)
	in := portal.PricingInput{Currency: &currency}
	costs := map[string]map[string]int64{}
	for _, m := range portal.LicenseModels {
		costs[string(m)] = map[string]int64{}
		for _, bp := range portal.BillingPeriods {
			name := costFieldName(m, bp)
			label := "the " + strings.ToLower(modelLabel(m)) + " " + string(bp) + " unit cost"
			v := strings.TrimSpace(f.Get(name))
			if v == "" {
				bad(name, label, "is required: the cost of one unit, such as "+exampleAmount(digits))
				continue
			}
			amount, err := parseMajorUnits(v, digits)
			if err != nil {
				bad(name, label, "must be an amount such as "+exampleAmount(digits)+" ("+decimalsRule(currency, digits)+")")
				continue
			}
			costs[string(m)][string(bp)] = amount
		}
	}
	in.UnitCosts = &costs
	rows, _ := strconv.Atoi(f.Get("tierRows"))
	tiers := []portal.PrepaidTier{}
	var from []int
	for i := range min(max(rows, 0), maxTierRows) {
		minName, discName := fmt.Sprintf("tiers[%d].minUnits", i), fmt.Sprintf("tiers[%d].discount", i)
		mv, dv := strings.TrimSpace(f.Get(minName)), strings.TrimSpace(f.Get(discName))
		if mv == "" && dv == "" {
			continue
		}
		var t portal.PrepaidTier
		n, err := strconv.ParseInt(mv, 10, 64)
		if err != nil || n < 1 || strings.HasPrefix(mv, "+") {
			bad(minName, fmt.Sprintf("tier %d's minimum units", i+1), "must be a whole number of units, at least 1")
		}
		t.MinUnits = n
		bps, err := parseMajorUnits(dv, 2)
		if err != nil {
			bad(discName, fmt.Sprintf("tier %d's discount", i+1), "must be a percentage such as 12.50 (at most 2 decimals)")
		}
		t.DiscountBps = bps
		tiers = append(tiers, t)
		from = append(from, i)
	}
	in.PrepaidTiers = &tiers
	return in, from, labels
}

func onlyDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func exampleAmount(digits int) string {
	if digits == 0 {
		return "1250"
	}
	return "12." + strings.Repeat("5", digits)
}

func decimalsRule(currency string, digits int) string {
	if currency == "" {
		currency = "the currency"
	}
	if digits == 0 {
		return currency + " has no decimals"
	}
	return fmt.Sprintf("at most %d decimals for %s", digits, currency)
}

// buyPrepaid buys a pre-paid pool (partner admins).
func (c *Console) buyPrepaid(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	f := Form{Values: r.PostForm, Errors: map[string]string{}}
	var in portal.PrepaidInput
	if v := f.Get("model"); v != "" {
		m := portal.LicenseModel(v)
		in.Model = &m
	}
	if v := f.Get("billingPeriod"); v != "" {
		bp := portal.BillingPeriod(v)
		in.BillingPeriod = &bp
	}
	if v := strings.TrimSpace(f.Get("units")); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || !onlyDigits(v) {
			f.Errors["units"] = "must be a whole number of units, such as 100"
			f.Message = "Nothing was bought. Check the number of units."
			return c.renderSettings(w, r, http.StatusUnprocessableEntity, nil, &f)
		}
		in.Units = &n
	}
	pool, err := c.s.Prepaid.Buy(r.Context(), in)
	if err != nil {
		fe, ok := formError(err)
		if !ok {
			return err
		}
		fe.Values = r.PostForm
		fe.Message = "Nothing was bought. " + fe.Message
		return c.renderSettings(w, r, formStatus(err), nil, &fe)
	}
	return redirect(w, r, Base+"/settings", fmt.Sprintf("Bought %d %s units at %s each (%s off), %s in total.",
		pool.Units, strings.ToLower(modelLabel(pool.Model)), formatMoney(pool.UnitCost), portal.FormatBasisPoints(pool.DiscountBps)+" %", formatMoney(pool.Total())))
}

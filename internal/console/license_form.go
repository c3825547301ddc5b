package console

import (
	"strconv"
	"strings"
	"time"

	"github.com/partnerportal/portal/internal/portal"
)

// licenseInput reads a license from form fields named as the service's
// input is ("model", "quantity", "billingPeriod", "overagePolicy",
// "endUserPrice.amount" in major units, "endUserPrice.currency",
// "prepaid", "startsAt" and "endsAt" as dates), through get. The errors,
// keyed by those names, are the values the console cannot even read; the
// service validates the rest.
func licenseInput(get func(field string) string) (portal.LicenseInput, map[string]string) {
	field := func(name string) string { return strings.TrimSpace(get(name)) }
	errs := map[string]string{}
	var in portal.LicenseInput
	if s := field("model"); s != "" {
		m := portal.LicenseModel(s)
		in.Model = &m
	}
	if s := field("quantity"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			errs["quantity"] = "must be a whole number, such as 50"
		} else {
			in.Quantity = &n
		}
	}
	if s := field("billingPeriod"); s != "" {
		b := portal.BillingPeriod(s)
		in.BillingPeriod = &b
	}
	if s := field("overagePolicy"); s != "" {
		o := portal.OveragePolicy(s)
		in.OveragePolicy = &o
	}
	for name, to := range map[string]**time.Time{"startsAt": &in.StartsAt, "endsAt": &in.EndsAt} {
		if s := field(name); s != "" {
			t, err := time.Parse("2006-01-02", s)
			if err != nil {
				errs[name] = "must be a date such as 2026-11-01"
				continue
			}
			*to = &t
		}
	}
	cur := strings.ToUpper(field("endUserPrice.currency"))
	price := portal.MoneyInput{}
	if cur != "" {
		price.Currency = &cur
	}
	if s := field("endUserPrice.amount"); s != "" {
		a, err := parseMajorUnits(s, portal.CurrencyDigits(cur))
		if err != nil {
			errs["endUserPrice.amount"] = err.Error()
		} else {
			price.Amount = &a
		}
	}
	in.EndUserPrice = &price
	if field("prepaid") != "" {
		t := true
		in.Prepaid = &t
	}
	return in, errs
}

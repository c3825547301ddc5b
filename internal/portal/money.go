package portal

import (
	"fmt"
	"strings"
)

// Money is an amount in minor units (cents) of an ISO 4217 currency. Money
// is never a float: every computation here is integer arithmetic with the
// rounding rules written in docs/MONEY.md.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// MoneyInput is money as a request states it; nil fields are missing.
type MoneyInput struct {
	Amount   *int64  `json:"amount"`
	Currency *string `json:"currency"`
}

// Bounds that keep every product of money and quantities far inside int64.
const (
	MaxAmount   = 1_000_000_000_000 // minor units: 10 billion in a two-decimal currency
	MaxQuantity = 1_000_000         // assets, scans or pre-paid units
)

// BasisPoints are hundredths of a percent: 1250 = 12.50 %.
type BasisPoints = int64

// roundDiv divides a by b (b > 0), rounding halves away from zero.
func roundDiv(a, b int64) int64 {
	if a >= 0 {
		return (a + b/2) / b
	}
	return -((-a + b/2) / b)
}

// Discounted returns amount less bps basis points, rounded half up to the
// minor unit: 199 less 10 % is 179 (179.1), 195 less 10 % is 176 (175.5).
func Discounted(amount int64, bps BasisPoints) int64 {
	return roundDiv(amount*(10000-bps), 10000)
}

// MarginBasisPoints returns margin / revenue in basis points, rounded half
// away from zero; false when revenue is not positive.
func MarginBasisPoints(margin, revenue int64) (BasisPoints, bool) {
	if revenue <= 0 {
		return 0, false
	}
	return roundDiv(margin*10000, revenue), true
}

// FormatBasisPoints renders basis points as a percentage with two decimals ("12.50").
func FormatBasisPoints(bps BasisPoints) string {
	sign := ""
	if bps < 0 {
		sign, bps = "-", -bps
	}
	return fmt.Sprintf("%s%d.%02d", sign, bps/100, bps%100)
}

// MonthShare returns the part of an annual amount that falls in month k
// (1–12) of the license year: amount·k/12 − amount·(k−1)/12 with integer
// division, so that the twelve shares add up to the amount exactly.
func MonthShare(annual int64, k int) int64 {
	return annual*int64(k)/12 - annual*int64(k-1)/12
}

// checkMoney validates a MoneyInput: amount present and ≥ 0, currency ISO 4217.
func checkMoney(p *Problems, field string, in *MoneyInput) Money {
	if in == nil {
		p.Add(field, "is required: {\"amount\": <minor units>, \"currency\": \"EUR\"}")
		return Money{}
	}
	var m Money
	switch {
	case in.Amount == nil:
		p.Add(field+".amount", "is required, in minor units (cents)")
	case *in.Amount < 0:
		p.Add(field+".amount", "must not be negative")
	case *in.Amount > MaxAmount:
		p.Add(field+".amount", "must be at most %d minor units", MaxAmount)
	default:
		m.Amount = *in.Amount
	}
	if in.Currency == nil {
		p.Add(field+".currency", "is required: an ISO 4217 code such as EUR")
	} else {
		m.Currency = checkCurrency(p, field+".currency", *in.Currency)
	}
	return m
}

// checkCurrency accepts an ISO 4217 code and returns it upper-cased.
func checkCurrency(p *Problems, field, v string) string {
	up := strings.ToUpper(strings.TrimSpace(v))
	if !iso4217[up] {
		p.Add(field, "must be an ISO 4217 currency code such as EUR, USD or GBP")
	}
	return up
}

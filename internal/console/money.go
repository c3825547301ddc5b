package console

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/partnerportal/portal/internal/portal"
)

// Money on the console's forms is typed in major units ("49.00") and
// stored in integer minor units: these are the only conversions.

var majorUnitsRE = regexp.MustCompile(`^(\d+)(?:\.(\d+))?$`)

// parseMajorUnits reads an amount typed in major units ("49", "49.5",
// "49.00", spaces ignored) as integer minor units of a currency whose minor
// unit has digits decimals, without floats. Its error says what is wrong
// in words fit to show next to the field.
func parseMajorUnits(s string, digits int) (int64, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	example := "49"
	if digits > 0 {
		example += "." + strings.Repeat("0", digits)
	}
	m := majorUnitsRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("must be an amount such as %s", example)
	}
	frac := m[2]
	if len(frac) > digits {
		if digits == 0 {
			return 0, fmt.Errorf("must be a whole amount in this currency, such as %s", example)
		}
		return 0, fmt.Errorf("must have at most %d decimals, such as %s", digits, example)
	}
	frac += strings.Repeat("0", digits-len(frac))
	if len(m[1])+len(frac) > 18 {
		return 0, fmt.Errorf("is too large")
	}
	return strconv.ParseInt(m[1]+frac, 10, 64)
}

// majorUnits writes minor units in major units: 1250 with 2 digits is "12.50".
func majorUnits(amount int64, digits int) string {
	neg := amount < 0
	if neg {
		amount = -amount
	}
	s := strconv.FormatInt(amount, 10)
	if digits > 0 {
		if len(s) <= digits {
			s = strings.Repeat("0", digits-len(s)+1) + s
		}
		s = s[:len(s)-digits] + "." + s[len(s)-digits:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// formatMoney shows money in its currency, e.g. "EUR 12.50".
func formatMoney(m portal.Money) string {
	return m.Currency + " " + majorUnits(m.Amount, portal.CurrencyDigits(m.Currency))
}

package console

import (
	"testing"

	"github.com/partnerportal/portal/internal/portal"
)

func TestMajorUnits(t *testing.T) {
	t.Run("ParsedIntoMinorUnitsWithoutFloats", func(t *testing.T) {
		for _, c := range []struct {
			in     string
			digits int
			want   int64
			ok     bool
		}{
			{"49.00", 2, 4900, true}, {"49", 2, 4900, true}, {"49.5", 2, 4950, true}, {"0.07", 2, 7, true}, {"0", 2, 0, true},
			{" 1200 ", 0, 1200, true}, {"1 200", 0, 1200, true}, {"12.345", 3, 12345, true}, {"9999999999999.99", 2, 999999999999999, true},
			{"1.5", 0, 0, false}, {"49.001", 2, 0, false}, {"1,00", 2, 0, false}, {"-5", 2, 0, false}, {"+1", 2, 0, false},
			{"abc", 2, 0, false}, {"1e3", 2, 0, false}, {".5", 2, 0, false}, {"5.", 2, 0, false}, {"", 2, 0, false}, {"１", 2, 0, false},
			{"99999999999999999999", 2, 0, false},
		} {
			got, err := parseMajorUnits(c.in, c.digits)
			if (err == nil) != c.ok || (c.ok && got != c.want) {
				t.Errorf("parseMajorUnits(%q, %d) = %d, %v; want %d, ok %v", c.in, c.digits, got, err, c.want, c.ok)
			}
		}
	})
	t.Run("ErrorsSayWhatIsWrong", func(t *testing.T) {
		if _, err := parseMajorUnits("49.001", 2); err == nil || err.Error() != "must have at most 2 decimals, such as 49.00" {
			t.Errorf("49.001 in EUR: %v", err)
		}
		if _, err := parseMajorUnits("1.5", 0); err == nil || err.Error() != "must be a whole amount in this currency, such as 49" {
			t.Errorf("1.5 in JPY: %v", err)
		}
	})
	t.Run("WrittenInMajorUnits", func(t *testing.T) {
		if got := majorUnits(7, 2) + " " + majorUnits(1250, 0) + " " + majorUnits(1234, 3) + " " + majorUnits(-5100, 2); got != "0.07 1250 1.234 -51.00" {
			t.Errorf("majorUnits: %q", got)
		}
		if got := formatMoney(portal.Money{Amount: 4900, Currency: "EUR"}) + ", " + formatMoney(portal.Money{Amount: 4900, Currency: "JPY"}); got != "EUR 49.00, JPY 4900" {
			t.Errorf("formatMoney: %q", got)
		}
	})
}

package portal

// iso4217 holds the active ISO 4217 currency codes (no funds, metals or test codes).
var iso4217 = map[string]bool{
	"AED": true, "AFN": true, "ALL": true, "AMD": true, "ANG": true, "AOA": true, "ARS": true, "AUD": true, "AWG": true, "AZN": true,
	"BAM": true, "BBD": true, "BDT": true, "BGN": true, "BHD": true, "BIF": true, "BMD": true, "BND": true, "BOB": true, "BRL": true,
	"BSD": true, "BTN": true, "BWP": true, "BYN": true, "BZD": true, "CAD": true, "CDF": true, "CHF": true, "CLP": true, "CNY": true,
	"COP": true, "CRC": true, "CUP": true, "CVE": true, "CZK": true, "DJF": true, "DKK": true, "DOP": true, "DZD": true, "EGP": true,
	"ERN": true, "ETB": true, "EUR": true, "FJD": true, "FKP": true, "GBP": true, "GEL": true, "GHS": true, "GIP": true, "GMD": true,
	"GNF": true, "GTQ": true, "GYD": true, "HKD": true, "HNL": true, "HTG": true, "HUF": true, "IDR": true, "ILS": true, "INR": true,
	"IQD": true, "IRR": true, "ISK": true, "JMD": true, "JOD": true, "JPY": true, "KES": true, "KGS": true, "KHR": true, "KMF": true,
	"KPW": true, "KRW": true, "KWD": true, "KYD": true, "KZT": true, "LAK": true, "LBP": true, "LKR": true, "LRD": true, "LSL": true,
	"LYD": true, "MAD": true, "MDL": true, "MGA": true, "MKD": true, "MMK": true, "MNT": true, "MOP": true, "MRU": true, "MUR": true,
	"MVR": true, "MWK": true, "MXN": true, "MYR": true, "MZN": true, "NAD": true, "NGN": true, "NIO": true, "NOK": true, "NPR": true,
	"NZD": true, "OMR": true, "PAB": true, "PEN": true, "PGK": true, "PHP": true, "PKR": true, "PLN": true, "PYG": true, "QAR": true,
	"RON": true, "RSD": true, "RUB": true, "RWF": true, "SAR": true, "SBD": true, "SCR": true, "SDG": true, "SEK": true, "SGD": true,
	"SHP": true, "SLE": true, "SOS": true, "SRD": true, "SSP": true, "STN": true, "SVC": true, "SYP": true, "SZL": true, "THB": true,
	"TJS": true, "TMT": true, "TND": true, "TOP": true, "TRY": true, "TTD": true, "TWD": true, "TZS": true, "UAH": true, "UGX": true,
	"USD": true, "UYU": true, "UZS": true, "VED": true, "VES": true, "VND": true, "VUV": true, "WST": true, "XAF": true, "XCD": true,
	"XCG": true, "XOF": true, "XPF": true, "YER": true, "ZAR": true, "ZMW": true, "ZWG": true,
}

// minorDigits are the currencies whose minor unit is not a hundredth.
var minorDigits = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0,
	"UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}

// CurrencyDigits returns how many decimal digits the currency's minor
// unit has (ISO 4217): 2 for most, 0 for JPY, 3 for KWD.
func CurrencyDigits(code string) int {
	if d, ok := minorDigits[code]; ok {
		return d
	}
	return 2
}

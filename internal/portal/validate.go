package portal

import (
	"net/mail"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Lambda's provided.al2023 has no zoneinfo: embed the IANA database.
	"unicode"
	"unicode/utf8"
)

// Limits on free-text fields.
const (
	MaxNameLength  = 200
	MaxTags        = 50
	MaxTagLength   = 64
	MaxEmailLength = 254
)

func checkName(p *Problems, field, v string) string {
	v = strings.TrimSpace(v)
	switch n := utf8.RuneCountInString(v); {
	case n == 0:
		p.Add(field, "is required")
	case n > MaxNameLength:
		p.Add(field, "must be at most %d characters", MaxNameLength)
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		p.Add(field, "must not contain control characters")
	}
	return v
}

// checkEmail accepts a bare address ("ops@example.com") with a dotted domain
// and returns it with the domain lower-cased.
func checkEmail(p *Problems, field, v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		p.Add(field, "is required")
		return v
	}
	a, err := mail.ParseAddress(v)
	at := strings.LastIndexByte(v, '@')
	if err != nil || a.Address != v || len(v) > MaxEmailLength || at < 1 ||
		!strings.Contains(v[at+1:], ".") || strings.HasSuffix(v, ".") {
		p.Add(field, "must be an e-mail address such as ops@example.com")
		return v
	}
	return v[:at] + "@" + strings.ToLower(v[at+1:])
}

// checkTimezone accepts an IANA time-zone name such as "Europe/Berlin" or "UTC".
func checkTimezone(p *Problems, field, v string) string {
	if v == "" || v == "Local" {
		p.Add(field, "must be an IANA time zone such as Europe/Berlin or UTC")
		return v
	}
	if _, err := time.LoadLocation(v); err != nil {
		p.Add(field, "%q is not an IANA time zone (for example Europe/Berlin, America/New_York, UTC)", v)
	}
	return v
}

// checkCountry accepts an ISO 3166-1 alpha-2 country code and returns it upper-cased.
func checkCountry(p *Problems, field, v string) string {
	up := strings.ToUpper(strings.TrimSpace(v))
	if !iso3166Alpha2[up] {
		p.Add(field, "must be an ISO 3166-1 alpha-2 country code such as DE or US")
	}
	return up
}

// checkTags trims, de-duplicates and bounds tags, keeping their order.
func checkTags(p *Problems, field string, tags []string) []string {
	if len(tags) > MaxTags {
		p.Add(field, "must have at most %d tags", MaxTags)
		return tags
	}
	out := make([]string, 0, len(tags))
	seen := map[string]bool{}
	for i, t := range tags {
		t = strings.TrimSpace(t)
		switch n := utf8.RuneCountInString(t); {
		case n == 0:
			p.Add(indexed(field, i), "must not be empty")
		case n > MaxTagLength:
			p.Add(indexed(field, i), "must be at most %d characters", MaxTagLength)
		case strings.IndexFunc(t, unicode.IsControl) >= 0:
			p.Add(indexed(field, i), "must not contain control characters")
		case !seen[t]:
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

func indexed(field string, i int) string {
	return field + "[" + strconv.Itoa(i) + "]"
}

// oneOf reports a field whose value is not among allowed, listing them.
func oneOf[T ~string](p *Problems, field string, v T, allowed []T) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	p.Add(field, "must be one of: %s", strings.Join(names, ", "))
}

package asset

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Type is the kind of an asset. It is decided by Normalize from the shape
// of the value (and, for URLs, the caller's wantAPI flag); callers never
// choose Domain, Subdomain or IP themselves.
type Type string

// The asset types. Every Asset returned by Normalize has exactly one of
// these; no other value is ever produced.
const (
	// Domain is a registrable domain: exactly eTLD+1 by the public suffix
	// list, e.g. "example.com" or "example.co.uk".
	Domain Type = "domain"
	// Subdomain is a host name longer than its registrable domain, e.g.
	// "www.example.co.uk".
	Subdomain Type = "subdomain"
	// IP is a single IPv4 or IPv6 address.
	IP Type = "ip"
	// WebApp is an http(s) URL of a web application.
	WebApp Type = "web_app"
	// API is an http(s) base URL of an API (the caller asked for type api).
	API Type = "api"
)

// Length limits enforced by Normalize. A value over a limit is rejected
// with a *Rejection naming the limit.
const (
	// MaxValueLength bounds the raw (trimmed) input and a normalised URL.
	MaxValueLength = 2048
	// MaxHostnameLength bounds a normalised (ASCII) host name, without
	// its trailing dot.
	MaxHostnameLength = 253
	// MaxLabelLength bounds each dot-separated label of a normalised
	// (ASCII) host name.
	MaxLabelLength = 63
)

// Policy says which values a deployment accepts beyond public internet
// assets. The zero Policy is the production default: everything non-public
// is rejected.
type Policy struct {
	// AllowPrivate accepts addresses that are not publicly routable
	// (private, shared/CGNAT, loopback, link-local, multicast, cloud
	// metadata, unspecified and reserved ranges; see the package doc for
	// the exact list), URLs whose host is such an address, and private
	// names (localhost, *.localhost, *.local, *.internal, *.localdomain,
	// *.home.arpa, *.lan). The local stack and tests set it; production
	// must not.
	AllowPrivate bool
}

// Asset is one normalised asset. Value is its identity: two inputs are the
// same asset exactly when their Values are equal, whatever their Types
// (a URL added once as web_app and once as api is one asset).
type Asset struct {
	// Value is the canonical identity, e.g. "example.com", "203.0.113.7",
	// "2001:db8::1" or "https://app.example.com/login". Normalizing Value
	// again (with the same wantAPI) yields the same Asset.
	Value string
	// Type is the kind of asset.
	Type Type
	// Host is the host the asset lives on: the ASCII domain name or the
	// canonical IP text (IPv6 without brackets). For Domain, Subdomain and
	// IP assets it equals Value.
	Host string
	// RegisteredDomain is the registrable domain (eTLD+1) of Host when Host
	// is a domain name, and "" when Host is an IP address.
	RegisteredDomain string
}

// Rejection is the only error Normalize returns. Reason is a short
// user-facing sentence fragment saying why the value is not an asset, such
// as "a CIDR range: add addresses individually" or "a private address
// (10.0.0.0/8)"; it never contains internal detail and is safe to show to
// the person who submitted the value.
type Rejection struct {
	// Reason says why the value was rejected; never empty.
	Reason string
}

// Error returns the Reason unchanged, so it can be shown to users as is.
func (r *Rejection) Error() string { return r.Reason }

func reject(format string, args ...any) *Rejection {
	return &Rejection{Reason: fmt.Sprintf(format, args...)}
}

// Normalize turns one submitted value into its canonical Asset, applying
// the rules in the package documentation. wantAPI marks an http(s) URL as
// an API base URL (type api instead of web_app); it is an error to set it
// for anything but a URL. p says whether non-public addresses and names are
// accepted.
//
// Error contract: Normalize either returns a valid Asset and a nil error,
// or the zero Asset and a non-nil error whose dynamic type is always
// *Rejection (use errors.As); it never returns any other error, performs
// no I/O (no DNS lookups) and never panics. For every accepted value x,
// Normalize(Normalize(x).Value) returns the same Asset (idempotence).
func Normalize(raw string, wantAPI bool, p Policy) (Asset, error) {
	a, rej := normalize(raw, wantAPI, p)
	if rej != nil {
		return Asset{}, rej
	}
	return a, nil
}

func normalize(raw string, wantAPI bool, p Policy) (Asset, *Rejection) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return Asset{}, reject("empty value")
	}
	if len(s) > MaxValueLength {
		return Asset{}, reject("longer than %d characters", MaxValueLength)
	}
	if !utf8.ValidString(s) {
		return Asset{}, reject("not valid UTF-8 text")
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return Asset{}, reject("contains spaces or control characters")
		}
	}
	if strings.Contains(s, "://") {
		return normalizeURL(s, wantAPI, p)
	}
	a, rej := normalizeBare(s, p)
	if rej != nil {
		return Asset{}, rej
	}
	if wantAPI {
		return Asset{}, reject("type api needs an http(s) base URL, e.g. https://api.example.com/v1")
	}
	return a, nil
}

// normalizeBare handles a value without "://": an IP address or a host name.
func normalizeBare(s string, p Policy) (Asset, *Rejection) {
	if rej := rejectRange(s); rej != nil {
		return Asset{}, rej
	}
	if strings.Contains(s, "/") {
		return Asset{}, reject("not a domain, IP address or http(s) URL (a URL needs https:// or http:// in front)")
	}
	if strings.Contains(s, "@") {
		return Asset{}, reject("looks like an e-mail address: give the domain or a URL instead")
	}
	if addr, ok, rej := parseIPLiteral(s); rej != nil {
		return Asset{}, rej
	} else if ok {
		if rej := checkAddr(addr, p); rej != nil {
			return Asset{}, rej
		}
		v := addr.String()
		return Asset{Value: v, Type: IP, Host: v}, nil
	}
	name, reg, rej := normalizeHostname(s, p)
	if rej != nil {
		return Asset{}, rej
	}
	t := Subdomain
	if name == reg {
		t = Domain
	}
	return Asset{Value: name, Type: t, Host: name, RegisteredDomain: reg}, nil
}

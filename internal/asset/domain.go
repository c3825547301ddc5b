package asset

import (
	"strings"

	"github.com/weppos/publicsuffix-go/publicsuffix"
	"golang.org/x/net/idna"
)

// idnaProfile is UTS #46 lookup processing (non-transitional, so "ß" stays
// "ß" and becomes "xn--fa-hia"), with STD3 (letters, digits, hyphens) rules,
// hyphen and joiner checks, the Bidi rule and DNS length limits.
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.BidiRule(),
	idna.CheckHyphens(true),
	idna.CheckJoiners(true),
	idna.VerifyDNSLength(true),
)

// privateNames are names that never resolve on the public internet; the
// names themselves and every name under them are private.
var privateNames = []string{"localhost", "localdomain", "local", "internal", "home.arpa", "lan"}

// normalizeHostname returns the canonical ASCII form of a host name and its
// registrable domain.
func normalizeHostname(s string, p Policy) (name, registered string, rej *Rejection) {
	if strings.Contains(s, "*") {
		return "", "", reject("a wildcard: add each host individually")
	}
	if isASCII(s) {
		// Check the rules on the raw input first, for precise reasons.
		if rej := checkLabels(strings.TrimSuffix(strings.ToLower(s), ".")); rej != nil {
			return "", "", rej
		}
	}
	ascii, err := idnaProfile.ToASCII(s)
	if err != nil {
		return "", "", reject("not a valid domain name")
	}
	ascii = strings.TrimSuffix(ascii, ".")
	if rej := checkLabels(ascii); rej != nil {
		return "", "", rej
	}
	// Only accept names whose A-labels are themselves canonical, so the
	// result is a fixed point of this function.
	if u, err := idnaProfile.ToUnicode(ascii); err != nil {
		return "", "", reject("not a valid domain name")
	} else if again, err := idnaProfile.ToASCII(u); err != nil || again != ascii {
		return "", "", reject("not a valid domain name (non-canonical punycode)")
	}
	if endsInNumber(ascii) {
		return "", "", reject("an IP address in a non-standard form: use dotted decimal without leading zeros")
	}
	if root := privateRoot(ascii); root != "" {
		if !p.AllowPrivate {
			if root == ascii {
				return "", "", reject("a private name (%s)", root)
			}
			return "", "", reject("a private name (.%s)", root)
		}
		if root == ascii {
			return ascii, ascii, nil
		}
	}
	registered, rej = registrable(ascii)
	if rej != nil {
		return "", "", rej
	}
	return ascii, registered, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// checkLabels enforces the host name syntax on a lower-case ASCII name
// without its trailing dot: at most MaxHostnameLength characters, labels of
// 1 to MaxLabelLength letters, digits and hyphens, not starting or ending
// with a hyphen.
func checkLabels(name string) *Rejection {
	if name == "" {
		return reject("not a valid domain name (empty)")
	}
	if len(name) > MaxHostnameLength {
		return reject("a domain name longer than %d characters", MaxHostnameLength)
	}
	for label := range strings.SplitSeq(name, ".") {
		switch {
		case label == "":
			return reject("not a valid domain name (empty label)")
		case len(label) > MaxLabelLength:
			return reject("a domain label longer than %d characters", MaxLabelLength)
		case label[0] == '-' || label[len(label)-1] == '-':
			return reject("not a valid domain name (a label starts or ends with a hyphen)")
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				if c == '_' {
					return reject("not a valid host name (underscores are not allowed)")
				}
				return reject("not a valid domain name (only letters, digits and hyphens are allowed)")
			}
		}
	}
	return nil
}

// endsInNumber reports whether the last label is a number (decimal, or hex
// with 0x), which resolvers and browsers read as an IPv4 address in a
// legacy form ("127.1", "0x7f.0.0.1", "2130706433"). Such names are
// rejected so that no address escapes the private-address check.
func endsInNumber(name string) bool {
	last := name[strings.LastIndexByte(name, '.')+1:]
	if strings.HasPrefix(last, "0x") {
		last = last[2:]
		for i := 0; i < len(last); i++ {
			c := last[i]
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(last); i++ {
		if last[i] < '0' || last[i] > '9' {
			return false
		}
	}
	return true
}

// privateRoot returns the private name that name is or is under, or "".
func privateRoot(name string) string {
	for _, root := range privateNames {
		if name == root || strings.HasSuffix(name, "."+root) {
			return root
		}
	}
	return ""
}

var icannOnly = &publicsuffix.FindOptions{IgnorePrivate: true, DefaultRule: publicsuffix.DefaultRule}

// registrable returns the registrable domain (eTLD+1) of a valid ASCII name
// by the public suffix list, both sections: a name directly under a
// private-section suffix such as github.io or herokuapp.com is registrable
// (its holder, not the suffix operator, controls it). A name that is itself
// a private-section suffix (github.io) is its operator's own domain and is
// registrable under the ICANN section. A bare ICANN suffix ("co.uk") is
// rejected. Names under unlisted top-level domains follow the list's
// default rule "*" (the last label is the suffix).
func registrable(name string) (string, *Rejection) {
	rule := publicsuffix.DefaultList.Find(name, publicsuffix.DefaultFindOptions)
	parts := rule.Decompose(name)
	if parts[1] == "" && rule.Private {
		rule = publicsuffix.DefaultList.Find(name, icannOnly)
		parts = rule.Decompose(name)
	}
	left, suffix := parts[0], parts[1]
	if suffix == "" || left == "" {
		return "", reject("a public suffix only (%s): add a domain registered under it", name)
	}
	return left[strings.LastIndexByte(left, '.')+1:] + "." + suffix, nil
}

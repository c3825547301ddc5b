package asset

import (
	"net/netip"
	"strings"
)

// rejectRange rejects CIDR prefixes ("203.0.113.0/24") and dash ranges
// ("203.0.113.1-203.0.113.9", "203.0.113.1-9"): assets are single addresses.
func rejectRange(s string) *Rejection {
	if i := strings.IndexByte(s, '/'); i >= 0 {
		if _, err := netip.ParseAddr(trimBrackets(s[:i])); err == nil {
			return reject("a CIDR range: add addresses individually")
		}
	}
	if i := strings.IndexByte(s, '-'); i >= 0 {
		if _, err := netip.ParseAddr(trimBrackets(s[:i])); err == nil {
			return reject("an address range: add addresses individually")
		}
	}
	return nil
}

func trimBrackets(s string) string {
	if len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']' {
		return s[1 : len(s)-1]
	}
	return s
}

// parseIPLiteral reports whether s is an IP address literal (IPv4 dotted
// decimal, IPv6, or bracketed IPv6) and returns it in canonical form
// (IPv4-mapped IPv6 unmapped to IPv4). ok is false, with no rejection, when
// s is not an IP literal at all and should be tried as a host name.
func parseIPLiteral(s string) (addr netip.Addr, ok bool, rej *Rejection) {
	bracketed := len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']'
	if bracketed {
		s = s[1 : len(s)-1]
	}
	addr, err := netip.ParseAddr(s)
	switch {
	case err != nil && !bracketed && strings.Count(s, ":") == 1:
		return netip.Addr{}, false, reject("a host with a port: give a URL such as https://%s", s)
	case err != nil && (bracketed || strings.Contains(s, ":")):
		return netip.Addr{}, false, reject("not a valid IP address")
	case err != nil:
		return netip.Addr{}, false, nil
	case bracketed && !addr.Is6():
		return netip.Addr{}, false, reject("not a valid IP address (brackets are only for IPv6)")
	case addr.Zone() != "":
		return netip.Addr{}, false, reject("an IPv6 address with a zone (%%%s): give the address without it", addr.Zone())
	}
	return addr.Unmap(), true, nil
}

// CheckAddr applies the package's address rules to one address, for code
// that connects to hosts (the ownership checker checks every address it is
// about to dial, so a public name that resolves to a private address, or a
// redirect to one, is refused). IPv4-mapped IPv6 addresses are judged as the
// IPv4 address they map, and an IPv6 zone is ignored.
//
// Error contract: CheckAddr returns nil when p accepts addr (every valid
// address when p.AllowPrivate is set) and otherwise a non-nil error whose
// dynamic type is always *Rejection, with a Reason such as "a loopback
// address (127.0.0.0/8)" that is safe to show to users. The invalid (zero)
// Addr is rejected under every policy. It performs no I/O.
func CheckAddr(addr netip.Addr, p Policy) error {
	if !addr.IsValid() {
		return reject("not a valid IP address")
	}
	if rej := checkAddr(addr.WithZone(""), p); rej != nil {
		return rej
	}
	return nil
}

// checkAddr rejects non-public addresses unless the policy allows them.
func checkAddr(addr netip.Addr, p Policy) *Rejection {
	if p.AllowPrivate {
		return nil
	}
	if reason := nonPublic(addr); reason != "" {
		return &Rejection{Reason: reason}
	}
	return nil
}

type blockedRange struct {
	prefix netip.Prefix
	kind   string
}

func (b blockedRange) reason() string {
	if b.prefix.IsSingleIP() {
		return b.kind + " (" + b.prefix.Addr().String() + ")"
	}
	return b.kind + " (" + b.prefix.String() + ")"
}

func br(prefix, kind string) blockedRange {
	return blockedRange{prefix: netip.MustParsePrefix(prefix), kind: kind}
}

// blocked lists the non-public ranges, most specific first (the first match
// names the reason). Keep it in step with the package documentation.
var blocked = []blockedRange{
	// Cloud instance metadata endpoints, named specifically so the reason
	// is clear even though their ranges are blocked anyway.
	br("169.254.169.254/32", "a cloud metadata address"), // AWS, GCP, Azure, OCI, ...
	br("169.254.170.2/32", "a cloud metadata address"),   // AWS ECS task metadata
	br("100.100.100.200/32", "a cloud metadata address"), // Alibaba Cloud
	br("fd00:ec2::254/128", "a cloud metadata address"),  // AWS IMDS over IPv6

	// IPv4.
	br("0.0.0.0/8", "an unspecified (\"this network\") address"),
	br("10.0.0.0/8", "a private address"),
	br("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
	br("127.0.0.0/8", "a loopback address"),
	br("169.254.0.0/16", "a link-local address"),
	br("172.16.0.0/12", "a private address"),
	br("192.0.0.0/24", "a reserved address (IETF protocol assignments)"),
	br("192.168.0.0/16", "a private address"),
	br("198.18.0.0/15", "a reserved address (benchmarking)"),
	br("224.0.0.0/4", "a multicast address"),
	br("240.0.0.0/4", "a reserved address"), // includes 255.255.255.255

	// IPv6 (IPv4-mapped addresses are unmapped before this check).
	br("::/128", "an unspecified address"),
	br("::1/128", "a loopback address"),
	br("::/96", "a reserved address (IPv4-compatible IPv6)"),
	br("64:ff9b:1::/48", "a private address (local-use NAT64)"),
	br("100::/64", "a reserved address (discard-only)"),
	br("2001:2::/48", "a reserved address (benchmarking)"),
	br("2001:10::/28", "a reserved address (ORCHID)"),
	br("2001:20::/28", "a reserved address (ORCHIDv2)"),
	br("fc00::/7", "a private address (unique local)"),
	br("fe80::/10", "a link-local address"),
	br("fec0::/10", "a private address (site-local)"),
	br("ff00::/8", "a multicast address"),
}

var (
	nat64WellKnown = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour      = netip.MustParsePrefix("2002::/16")
	globalUnicast6 = netip.MustParsePrefix("2000::/3")
)

// nonPublic returns the rejection reason for an address that is not a
// public internet address, or "" for a public one. Documentation ranges
// (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32, 3fff::/20)
// count as public: they are never routed anywhere, so they reach nothing
// internal, and tests and examples need them.
func nonPublic(addr netip.Addr) string {
	addr = addr.Unmap()
	for _, b := range blocked {
		if b.prefix.Contains(addr) {
			return b.reason()
		}
	}
	if addr.Is4() {
		return ""
	}
	// Addresses that embed an IPv4 address are as public as the address
	// they embed.
	raw := addr.As16()
	switch {
	case nat64WellKnown.Contains(addr):
		if r := nonPublic(netip.AddrFrom4([4]byte(raw[12:16]))); r != "" {
			return "a NAT64 address of " + r
		}
		return ""
	case sixToFour.Contains(addr):
		if r := nonPublic(netip.AddrFrom4([4]byte(raw[2:6]))); r != "" {
			return "a 6to4 address of " + r
		}
		return ""
	case !globalUnicast6.Contains(addr):
		return "a reserved address (outside the IPv6 global unicast range 2000::/3)"
	}
	return ""
}

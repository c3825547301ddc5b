// Package asset normalises the values partners submit as assets (issue 5)
// into one canonical identity per asset. Normalize is pure: no I/O, no DNS.
// Every failure is a *Rejection whose Reason can be shown to the user.
//
// # What an asset is
//
// One asset is one domain, subdomain, IP address, web application URL or
// API base URL. Asset.Value is its identity (the storage key): two inputs
// are the same asset exactly when they normalise to the same Value.
// Normalising a Value again gives the same Asset.
//
// # Rules
//
// Every value: surrounding white space is trimmed; an empty value, one
// longer than MaxValueLength (2048) characters, invalid UTF-8, or inner
// spaces or control characters are rejected. A value containing "://" is a
// URL; anything else is an IP address or a host name. The api type is
// only for URLs.
//
// Domains: IDNA (UTS #46, non-transitional lookup, STD3 rules, Bidi and
// hyphen checks) turns the name into lower-case ASCII punycode
// ("Bücher.example" → "xn--bcher-kva.example"); one trailing dot is
// removed. Labels are 1–63 letters, digits and hyphens, not starting or
// ending with a hyphen; the name is at most 253 characters. Wildcards
// ("*.example.com"), underscores, e-mail addresses, host:port and paths
// without a scheme are rejected, and so are names ending in a number
// ("127.1", "0x7f.1"), which resolvers read as IPv4 addresses.
//
// Domain or subdomain is decided with the public suffix list
// (github.com/weppos/publicsuffix-go, both its ICANN and private
// sections): a domain is exactly the registrable domain (eTLD+1, e.g.
// "example.co.uk"), a subdomain is anything longer ("www.example.co.uk").
// A name directly under a private-section suffix ("app.github.io") is a
// domain of its own, because its holder, not the suffix operator, controls
// it; a private-section suffix itself ("github.io") is its operator's
// domain. A bare ICANN public suffix ("co.uk", "com") is rejected. Names
// under a top-level domain not on the list follow the list's default rule
// (the last label is the suffix).
//
// IP addresses: canonical text from net/netip (IPv6 per RFC 5952:
// "2001:0db8::0001" → "2001:db8::1"; IPv4-mapped IPv6 becomes IPv4:
// "::ffff:203.0.113.7" → "203.0.113.7"); "[2001:db8::1]" is accepted;
// zones ("fe80::1%eth0") are rejected, as are non-standard IPv4 forms
// (leading zeros, fewer than four parts, hex). CIDR prefixes
// ("203.0.113.0/24") and dash ranges ("203.0.113.1-203.0.113.9") are
// rejected with "add addresses individually".
//
// URLs: only http and https (another scheme is rejected naming it);
// scheme and host lower-case, the host normalised like a domain or IP
// above (IPv6 in brackets); the default port (:80 for http, :443 for
// https) removed, other ports kept; user credentials rejected; query and
// fragment dropped; the path kept, with percent-encoding normalised (RFC
// 3986: unreserved characters decoded, other escapes upper-case),
// "." and ".." segments resolved and trailing slashes removed. So
// "https://example.com/app", "https://example.com/app/" and
// "HTTPS://Example.com:443/app/?x=1#top" are one asset,
// "https://example.com/app", and "https://example.com/" is
// "https://example.com". The type is web_app, or api when the caller asks
// for it; the type is not part of the identity.
//
// # Private addresses and names
//
// Unless Policy.AllowPrivate is set (the local stack and tests set it,
// production does not), these are rejected, both as IP assets and as URL
// hosts:
//
//   - cloud metadata: 169.254.169.254, 169.254.170.2, 100.100.100.200,
//     fd00:ec2::254 (named specifically in the reason)
//   - unspecified / this network: 0.0.0.0/8, ::
//   - private: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7
//     (unique local), fec0::/10 (site-local), 64:ff9b:1::/48 (local NAT64)
//   - shared address space (carrier-grade NAT): 100.64.0.0/10
//   - loopback: 127.0.0.0/8, ::1
//   - link-local: 169.254.0.0/16, fe80::/10
//   - multicast: 224.0.0.0/4, ff00::/8
//   - reserved: 192.0.0.0/24, 198.18.0.0/15 and 2001:2::/48
//     (benchmarking), 240.0.0.0/4 (with 255.255.255.255), ::/96
//     (IPv4-compatible), 100::/64 (discard), 2001:10::/28, 2001:20::/28
//     (ORCHID) and all IPv6 outside 2000::/3
//   - NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses whose embedded
//     IPv4 address is any of the above
//   - the names localhost, localdomain, local, internal, home.arpa, lan and
//     every name under them (e.g. app.localhost, metadata.google.internal)
//
// Documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
// 2001:db8::/32, 3fff::/20) are accepted: they are routed nowhere, so they
// reach nothing internal, and examples and tests use them.
//
// Normalize cannot see where a public name resolves to; a name that
// resolves to a private address must be caught where connections are made.
package asset

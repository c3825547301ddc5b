package asset

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// normalizeURL handles a value containing "://".
func normalizeURL(s string, wantAPI bool, p Policy) (Asset, *Rejection) {
	scheme := strings.ToLower(s[:strings.Index(s, "://")])
	if scheme != "http" && scheme != "https" {
		if validScheme(scheme) {
			return Asset{}, reject("unsupported scheme %s: only http and https URLs are assets", scheme)
		}
		return Asset{}, reject("not a domain, IP address or http(s) URL")
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" {
		return Asset{}, reject("not a valid URL")
	}
	if u.User != nil {
		return Asset{}, reject("a URL with credentials (user@ or user:password@): remove them")
	}
	hostname := u.Hostname()
	if hostname == "" {
		return Asset{}, reject("a URL without a host")
	}

	var a Asset
	var hostPart string
	if strings.HasPrefix(u.Host, "[") {
		addr, ok, rej := parseIPLiteral("[" + hostname + "]")
		if rej != nil {
			return Asset{}, rej
		}
		if !ok {
			return Asset{}, reject("not a valid IP address in the URL")
		}
		if rej := checkAddr(addr, p); rej != nil {
			return Asset{}, rej
		}
		a.Host = addr.String()
		hostPart = a.Host
		if addr.Is6() {
			hostPart = "[" + a.Host + "]"
		}
	} else if addr, err := netip.ParseAddr(hostname); err == nil {
		if !addr.Is4() { // url.Parse allows an unbracketed IPv6 only without ":"; never here
			return Asset{}, reject("not a valid URL (IPv6 hosts go in brackets)")
		}
		if rej := checkAddr(addr, p); rej != nil {
			return Asset{}, rej
		}
		a.Host = addr.String()
		hostPart = a.Host
	} else {
		name, reg, rej := normalizeHostname(hostname, p)
		if rej != nil {
			return Asset{}, rej
		}
		a.Host, a.RegisteredDomain, hostPart = name, reg, name
	}

	if port := u.Port(); port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return Asset{}, reject("a URL with an invalid port %s", port)
		}
		if !(scheme == "http" && n == 80 || scheme == "https" && n == 443) {
			hostPart += ":" + strconv.Itoa(n)
		}
	}

	a.Value = scheme + "://" + hostPart + normalizePath(u.EscapedPath())
	if len(a.Value) > MaxValueLength {
		return Asset{}, reject("a URL longer than %d characters once normalised", MaxValueLength)
	}
	a.Type = WebApp
	if wantAPI {
		a.Type = API
	}
	return a, nil
}

// validScheme reports whether s is syntactically a URL scheme (RFC 3986).
func validScheme(s string) bool {
	if s == "" || !('a' <= s[0] && s[0] <= 'z') || len(s) > 32 {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

const upperHex = "0123456789ABCDEF"

// normalizePath canonicalises an escaped URL path (RFC 3986 section 6.2.2):
// percent-encodings of unreserved characters are decoded, all other
// percent-encodings use upper-case hex digits, characters not allowed raw
// in a path are percent-encoded, "." and ".." segments are resolved, and
// trailing slashes are removed (so "/" becomes "" and "/app/" becomes
// "/app"). The result is a fixed point: normalizePath(normalizePath(p)) ==
// normalizePath(p), also after a round trip through url.Parse.
func normalizePath(p string) string {
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '%' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]) {
			v := unhex(p[i+1])<<4 | unhex(p[i+2])
			i += 2
			if isUnreserved(v) {
				b.WriteByte(v)
				continue
			}
			b.WriteByte('%')
			b.WriteByte(upperHex[v>>4])
			b.WriteByte(upperHex[v&15])
			continue
		}
		if isUnreserved(c) || isSubDelim(c) || c == ':' || c == '@' || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
	}
	return strings.TrimRight(removeDotSegments(b.String()), "/")
}

// removeDotSegments is RFC 3986 section 5.2.4 for an absolute (or empty)
// path.
func removeDotSegments(p string) string {
	if !strings.Contains(p, ".") {
		return p
	}
	segs := strings.Split(p, "/")
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	return strings.Join(out, "/")
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func isSubDelim(c byte) bool {
	return strings.IndexByte("!$&'()*+,;=", c) >= 0
}

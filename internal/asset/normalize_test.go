package asset

import (
	"errors"
	"strings"
	"testing"
)

var (
	strict = Policy{}
	local  = Policy{AllowPrivate: true}
)

type accepted struct {
	name   string
	in     string
	api    bool
	policy Policy
	want   Asset
}

func runAccepted(t *testing.T, cases []accepted) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Normalize(tc.in, tc.api, tc.policy)
			if err != nil {
				t.Fatalf("Normalize(%q) rejected: %v", tc.in, err)
			}
			if got != tc.want {
				t.Fatalf("Normalize(%q)\n got %+v\nwant %+v", tc.in, got, tc.want)
			}
			again, err := Normalize(got.Value, tc.api, tc.policy)
			if err != nil || again != got {
				t.Fatalf("not idempotent: Normalize(%q) = %+v, %v", got.Value, again, err)
			}
		})
	}
}

type rejected struct {
	name   string
	in     string
	api    bool
	policy Policy
	reason string // substring of the Rejection's Reason
}

func runRejected(t *testing.T, cases []rejected) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Normalize(tc.in, tc.api, tc.policy)
			if err == nil {
				t.Fatalf("Normalize(%q) = %+v, want rejection %q", tc.in, got, tc.reason)
			}
			var rej *Rejection
			if !errors.As(err, &rej) {
				t.Fatalf("error %T %v is not a *Rejection", err, err)
			}
			if got != (Asset{}) {
				t.Errorf("rejected value returned a non-zero Asset %+v", got)
			}
			if !strings.Contains(rej.Reason, tc.reason) {
				t.Fatalf("Normalize(%q) reason %q, want it to contain %q", tc.in, rej.Reason, tc.reason)
			}
		})
	}
}

func dom(v, reg string) Asset { return Asset{Value: v, Type: Domain, Host: v, RegisteredDomain: reg} }
func sub(v, reg string) Asset {
	return Asset{Value: v, Type: Subdomain, Host: v, RegisteredDomain: reg}
}
func ip(v string) Asset { return Asset{Value: v, Type: IP, Host: v} }
func web(v, host, reg string) Asset {
	return Asset{Value: v, Type: WebApp, Host: host, RegisteredDomain: reg}
}

func TestValuesAreTrimmedAndMustNotBeEmpty(t *testing.T) {
	runAccepted(t, []accepted{
		{name: "surrounding spaces trimmed", in: "  example.com\t\n", want: dom("example.com", "example.com")},
	})
	runRejected(t, []rejected{
		{name: "empty", in: "", reason: "empty value"},
		{name: "only spaces", in: "   ", reason: "empty value"},
		{name: "inner space", in: "exa mple.com", reason: "spaces or control characters"},
		{name: "control character", in: "example.com\x00", reason: "spaces or control characters"},
		{name: "invalid UTF-8", in: "example\xff.com", reason: "UTF-8"},
		{name: "over 2048 characters", in: "https://example.com/" + strings.Repeat("a", 2048), reason: "longer than 2048"},
		{name: "neither domain nor URL", in: "not a domain", reason: "spaces"},
	})
}

func TestDomainsAreLowerCasePunycodeWithoutTrailingDot(t *testing.T) {
	runAccepted(t, []accepted{
		{name: "plain domain", in: "example.com", want: dom("example.com", "example.com")},
		{name: "upper case lowered", in: "EXAMPLE.Com", want: dom("example.com", "example.com")},
		{name: "trailing dot removed", in: "example.com.", want: dom("example.com", "example.com")},
		{name: "IDNA to punycode", in: "Bücher.example", want: dom("xn--bcher-kva.example", "xn--bcher-kva.example")},
		{name: "punycode kept", in: "xn--bcher-kva.example", want: dom("xn--bcher-kva.example", "xn--bcher-kva.example")},
		{name: "upper-case punycode lowered", in: "XN--BCHER-KVA.example", want: dom("xn--bcher-kva.example", "xn--bcher-kva.example")},
		{name: "non-transitional sharp s", in: "faß.de", want: dom("xn--fa-hia.de", "xn--fa-hia.de")},
		{name: "full-width characters and ideographic dot mapped", in: "ＥＸＡＭＰＬＥ。com", want: dom("example.com", "example.com")},
		{name: "IDN subdomain", in: "www.Bücher.example", want: sub("www.xn--bcher-kva.example", "xn--bcher-kva.example")},
		{name: "hyphens inside labels", in: "my-app.example-site.com", want: sub("my-app.example-site.com", "example-site.com")},
		{name: "63-character label", in: strings.Repeat("a", 63) + ".com", want: dom(strings.Repeat("a", 63)+".com", strings.Repeat("a", 63)+".com")},
		{name: "numeric label not last", in: "123.example.com", want: sub("123.example.com", "example.com")},
	})
	long := strings.Repeat("a.", 126) + "com" // 255 characters
	runRejected(t, []rejected{
		{name: "wildcard", in: "*.example.com", reason: "wildcard"},
		{name: "underscore", in: "_dmarc.example.com", reason: "underscores"},
		{name: "empty label", in: "a..example.com", reason: "empty label"},
		{name: "two trailing dots", in: "example.com..", reason: "empty label"},
		{name: "leading hyphen", in: "-a.example.com", reason: "hyphen"},
		{name: "trailing hyphen", in: "a-.example.com", reason: "hyphen"},
		{name: "hyphens in positions 3 and 4", in: "ab--cd.example.com", reason: "not a valid domain name"},
		{name: "label over 63", in: strings.Repeat("a", 64) + ".com", reason: "label longer than 63"},
		{name: "name over 253", in: long, reason: "longer than 253"},
		{name: "invalid punycode", in: "xn--abc-.com", reason: "not a valid domain name"},
		{name: "punctuation", in: "exa!mple.com", reason: "only letters, digits and hyphens"},
		{name: "host with port needs a URL", in: "example.com:8080", reason: "a host with a port: give a URL such as https://example.com:8080"},
		{name: "path without scheme", in: "example.com/login", reason: "needs https://"},
		{name: "e-mail address", in: "security@example.com", reason: "e-mail"},
		{name: "legacy short IPv4", in: "127.1", reason: "non-standard form"},
		{name: "legacy decimal IPv4", in: "2130706433", reason: "non-standard form"},
		{name: "legacy hex IPv4", in: "0x7f.0.0.1", reason: "non-standard form"},
		{name: "leading zeros", in: "010.000.000.001", reason: "non-standard form"},
	})
}

func TestDomainOrSubdomainByPublicSuffixList(t *testing.T) {
	runAccepted(t, []accepted{
		{name: "registrable under multi-label suffix", in: "example.co.uk", want: dom("example.co.uk", "example.co.uk")},
		{name: "subdomain under multi-label suffix", in: "www.example.co.uk", want: sub("www.example.co.uk", "example.co.uk")},
		{name: "deep subdomain", in: "a.b.example.com", want: sub("a.b.example.com", "example.com")},
		{name: "name under a private-section suffix is a domain", in: "acme.github.io", want: dom("acme.github.io", "acme.github.io")},
		{name: "below it is a subdomain", in: "www.acme.github.io", want: sub("www.acme.github.io", "acme.github.io")},
		{name: "private-section suffix itself is its operator's domain", in: "github.io", want: dom("github.io", "github.io")},
		{name: "wildcard rule: *.ck", in: "shop.example.ck", want: dom("shop.example.ck", "shop.example.ck")},
		{name: "exception rule: !www.ck", in: "www.ck", want: dom("www.ck", "www.ck")},
		{name: "unlisted TLD uses the default rule", in: "a.b.notatld", want: sub("a.b.notatld", "b.notatld")},
	})
	runRejected(t, []rejected{
		{name: "bare ICANN suffix co.uk", in: "co.uk", reason: "a public suffix only (co.uk)"},
		{name: "bare TLD", in: "com", reason: "a public suffix only (com)"},
		{name: "wildcard-rule suffix", in: "example.ck", reason: "a public suffix only"},
		{name: "single unlisted label", in: "intranet", reason: "a public suffix only"},
	})
}

func TestIPAddressesAreCanonical(t *testing.T) {
	runAccepted(t, []accepted{
		{name: "IPv4", in: "203.0.113.7", want: ip("203.0.113.7")},
		{name: "IPv6 zeros compressed", in: "2001:0db8::0001", want: ip("2001:db8::1")},
		{name: "IPv6 upper case and full form", in: "2001:0DB8:0000:0000:0000:0000:0000:0001", want: ip("2001:db8::1")},
		{name: "bracketed IPv6", in: "[2001:db8::1]", want: ip("2001:db8::1")},
		{name: "IPv4-mapped IPv6 becomes IPv4", in: "::ffff:203.0.113.7", want: ip("203.0.113.7")},
		{name: "public IPv4", in: "8.8.8.8", want: ip("8.8.8.8")},
		{name: "public IPv6", in: "2606:4700:4700::1111", want: ip("2606:4700:4700::1111")},
		{name: "NAT64 of a public address", in: "64:ff9b::808:808", want: ip("64:ff9b::808:808")},
	})
	runRejected(t, []rejected{
		{name: "CIDR range", in: "203.0.113.0/24", reason: "a CIDR range: add addresses individually"},
		{name: "single-address CIDR", in: "203.0.113.7/32", reason: "add addresses individually"},
		{name: "IPv6 CIDR", in: "2001:db8::/32", reason: "a CIDR range: add addresses individually"},
		{name: "invalid prefix length", in: "203.0.113.0/99", reason: "add addresses individually"},
		{name: "dash range", in: "203.0.113.1-203.0.113.9", reason: "an address range: add addresses individually"},
		{name: "short dash range", in: "203.0.113.1-9", reason: "add addresses individually"},
		{name: "zone", in: "fe80::1%eth0", policy: local, reason: "zone"},
		{name: "invalid IPv6", in: "2001:db8::g", reason: "not a valid IP address"},
		{name: "bracketed IPv4", in: "[203.0.113.7]", reason: "brackets are only for IPv6"},
		{name: "IP with port", in: "203.0.113.7:8080", reason: "a host with a port: give a URL"},
		{name: "IPv4 out of range", in: "256.1.1.1", reason: "non-standard form"},
	})
}

func TestNonPublicAddressesAreRejectedByDefault(t *testing.T) {
	cases := []struct{ in, reason string }{
		{"10.1.2.3", "a private address (10.0.0.0/8)"},
		{"172.16.0.1", "a private address (172.16.0.0/12)"},
		{"192.168.1.1", "a private address (192.168.0.0/16)"},
		{"127.0.0.1", "a loopback address (127.0.0.0/8)"},
		{"::1", "a loopback address (::1)"},
		{"169.254.169.254", "a cloud metadata address (169.254.169.254)"},
		{"fd00:ec2::254", "a cloud metadata address (fd00:ec2::254)"},
		{"169.254.170.2", "a cloud metadata address"},
		{"100.100.100.200", "a cloud metadata address"},
		{"169.254.1.1", "a link-local address (169.254.0.0/16)"},
		{"fe80::1", "a link-local address (fe80::/10)"},
		{"224.0.0.1", "a multicast address (224.0.0.0/4)"},
		{"ff02::1", "a multicast address (ff00::/8)"},
		{"0.0.0.0", "unspecified"},
		{"::", "an unspecified address"},
		{"100.64.0.1", "carrier-grade NAT"},
		{"fd12:3456::1", "a private address (unique local) (fc00::/7)"},
		{"255.255.255.255", "a reserved address (240.0.0.0/4)"},
		{"198.18.0.1", "benchmarking"},
		{"::ffff:10.0.0.1", "a private address (10.0.0.0/8)"},
		{"64:ff9b::a00:1", "a NAT64 address of a private address"},
		{"2002:a00:1::", "a 6to4 address of a private address"},
		{"::7f00:1", "IPv4-compatible"},
		{"4000::1", "outside the IPv6 global unicast range"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			runRejected(t, []rejected{
				{name: "as IP", in: tc.in, reason: tc.reason},
				{name: "as URL host", in: "http://" + bracket(tc.in) + "/x", reason: tc.reason},
			})
			a, err := Normalize(tc.in, false, local)
			if err != nil || a.Type != IP {
				t.Fatalf("with AllowPrivate: Normalize(%q) = %+v, %v; want an IP asset", tc.in, a, err)
			}
		})
	}
}

func bracket(s string) string {
	if strings.Contains(s, ":") {
		return "[" + s + "]"
	}
	return s
}

func TestDocumentationRangesArePublic(t *testing.T) {
	runAccepted(t, []accepted{
		{name: "TEST-NET-1", in: "192.0.2.1", want: ip("192.0.2.1")},
		{name: "TEST-NET-2", in: "198.51.100.1", want: ip("198.51.100.1")},
		{name: "TEST-NET-3", in: "203.0.113.1", want: ip("203.0.113.1")},
		{name: "IPv6 documentation", in: "2001:db8::1", want: ip("2001:db8::1")},
		{name: "IPv6 documentation 3fff::/20", in: "3fff::1", want: ip("3fff::1")},
	})
}

func TestPrivateNamesAreRejectedByDefault(t *testing.T) {
	runRejected(t, []rejected{
		{name: "localhost", in: "localhost", reason: "a private name (localhost)"},
		{name: "under localhost", in: "app.localhost", reason: "a private name (.localhost)"},
		{name: "GCP metadata name", in: "metadata.google.internal", reason: "a private name (.internal)"},
		{name: "mDNS", in: "printer.local", reason: "a private name (.local)"},
		{name: "home.arpa", in: "nas.home.arpa", reason: "a private name (.home.arpa)"},
		{name: "URL on localhost", in: "http://localhost:8080/", reason: "a private name (localhost)"},
	})
	runAccepted(t, []accepted{
		{name: "localhost allowed locally", in: "localhost", policy: local, want: dom("localhost", "localhost")},
		{name: "under localhost allowed locally", in: "api.app.localhost", policy: local, want: sub("api.app.localhost", "app.localhost")},
		{name: "URL on localhost allowed locally", in: "http://LOCALHOST:8080/app/", policy: local,
			want: web("http://localhost:8080/app", "localhost", "localhost")},
		{name: "loopback URL allowed locally", in: "http://127.0.0.1:3000", policy: local,
			want: web("http://127.0.0.1:3000", "127.0.0.1", "")},
		{name: "private IP allowed locally", in: "10.0.0.1", policy: local, want: ip("10.0.0.1")},
	})
}

func TestURLs(t *testing.T) {
	runAccepted(t, []accepted{
		{name: "path kept", in: "https://app.example.com/login", want: web("https://app.example.com/login", "app.example.com", "example.com")},
		{name: "scheme and host lower-cased, path case kept", in: "HTTPS://App.Example.COM/Login", want: web("https://app.example.com/Login", "app.example.com", "example.com")},
		{name: "trailing slash removed: /app/ is /app", in: "https://example.com/app/", want: web("https://example.com/app", "example.com", "example.com")},
		{name: "root path removed", in: "https://example.com/", want: web("https://example.com", "example.com", "example.com")},
		{name: "no path", in: "https://example.com", want: web("https://example.com", "example.com", "example.com")},
		{name: "https default port removed", in: "https://example.com:443/app", want: web("https://example.com/app", "example.com", "example.com")},
		{name: "http default port removed", in: "http://example.com:80/app", want: web("http://example.com/app", "example.com", "example.com")},
		{name: "other port kept", in: "https://example.com:8443/app", want: web("https://example.com:8443/app", "example.com", "example.com")},
		{name: "port 80 kept on https", in: "https://example.com:80", want: web("https://example.com:80", "example.com", "example.com")},
		{name: "port leading zeros", in: "https://example.com:0443/", want: web("https://example.com", "example.com", "example.com")},
		{name: "query and fragment removed", in: "https://example.com/app?x=1&y=2#top", want: web("https://example.com/app", "example.com", "example.com")},
		{name: "empty query removed", in: "https://example.com/app?", want: web("https://example.com/app", "example.com", "example.com")},
		{name: "http and https differ", in: "http://example.com", want: web("http://example.com", "example.com", "example.com")},
		{name: "IDN host", in: "https://Bücher.example/Straße", want: web("https://xn--bcher-kva.example/Stra%C3%9Fe", "xn--bcher-kva.example", "xn--bcher-kva.example")},
		{name: "trailing dot on host", in: "https://example.com./a", want: web("https://example.com/a", "example.com", "example.com")},
		{name: "IPv4 host", in: "http://203.0.113.7:8080/x", want: web("http://203.0.113.7:8080/x", "203.0.113.7", "")},
		{name: "IPv6 host canonical", in: "https://[2001:0DB8::0001]:443/", want: web("https://[2001:db8::1]", "2001:db8::1", "")},
		{name: "IPv4-mapped host", in: "https://[::ffff:203.0.113.7]/", want: web("https://203.0.113.7", "203.0.113.7", "")},
		{name: "escapes of unreserved characters decoded", in: "https://example.com/%7euser/%41", want: web("https://example.com/~user/A", "example.com", "example.com")},
		{name: "other escapes upper-cased", in: "https://example.com/a%2fb%c3%a9", want: web("https://example.com/a%2Fb%C3%A9", "example.com", "example.com")},
		{name: "dot segments resolved", in: "https://example.com/a/./b/../c", want: web("https://example.com/a/c", "example.com", "example.com")},
		{name: "sub-delims kept", in: "https://example.com/a;v=1,2", want: web("https://example.com/a;v=1,2", "example.com", "example.com")},
		{name: "api type on request", in: "https://api.example.com/v1/", api: true,
			want: Asset{Value: "https://api.example.com/v1", Type: API, Host: "api.example.com", RegisteredDomain: "example.com"}},
	})
	runRejected(t, []rejected{
		{name: "ftp", in: "ftp://example.com/file", reason: "unsupported scheme ftp"},
		{name: "javascript-like", in: "ws://example.com", reason: "unsupported scheme ws"},
		{name: "garbage scheme", in: "1+://example.com", reason: "not a domain, IP address or http(s) URL"},
		{name: "userinfo", in: "https://user:pass@example.com/", reason: "credentials"},
		{name: "user only", in: "https://user@example.com/", reason: "credentials"},
		{name: "no host", in: "https:///path", reason: "without a host"},
		{name: "invalid port", in: "https://example.com:99999/", reason: "invalid port"},
		{name: "port zero", in: "https://example.com:0/", reason: "invalid port"},
		{name: "invalid escape", in: "https://example.com/%zz", reason: "not a valid URL"},
		{name: "wildcard host", in: "https://*.example.com/", reason: "wildcard"},
		{name: "bare suffix host", in: "https://co.uk/", reason: "a public suffix only"},
		{name: "metadata URL", in: "http://169.254.169.254/latest/meta-data/", reason: "a cloud metadata address"},
		{name: "legacy IPv4 host", in: "http://0x7f000001/", reason: "non-standard form"},
		{name: "zone in URL", in: "http://[fe80::1%25eth0]/", policy: local, reason: "zone"},
		{name: "api needs a URL", in: "api.example.com", api: true, reason: "type api needs an http(s) base URL"},
	})
}

func TestOneAssetPerIdentity(t *testing.T) {
	groups := [][]string{
		{"https://example.com/app", "https://example.com/app/", "HTTPS://EXAMPLE.COM:443/app?x=1#f", "https://example.com/./app//", "https://example.com/%61pp"},
		{"example.com", "EXAMPLE.COM.", " example.com "},
		{"2001:db8::1", "2001:0db8:0:0::1", "[2001:db8::1]"},
		{"xn--bcher-kva.example", "BÜCHER.example"},
	}
	for _, g := range groups {
		first, err := Normalize(g[0], false, strict)
		if err != nil {
			t.Fatalf("%q: %v", g[0], err)
		}
		for _, in := range g[1:] {
			a, err := Normalize(in, false, strict)
			if err != nil || a.Value != first.Value {
				t.Errorf("Normalize(%q) = %q, %v; want the same asset as %q (%q)", in, a.Value, err, g[0], first.Value)
			}
		}
	}
}

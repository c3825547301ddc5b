package verify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/partnerportal/portal/internal/asset"
	"github.com/partnerportal/portal/internal/netguard"
	"github.com/partnerportal/portal/internal/portal"
)

// Where and how a token is published; see the package documentation.
const (
	// TXTPrefix starts the TXT record value that carries a token: the
	// record for token t is TXTPrefix + t.
	TXTPrefix = "partnerportal-verification="
	// WellKnownPath is the path, under the asset's scheme://host[:port],
	// of the file that carries a token.
	WellKnownPath = "/.well-known/partnerportal-verification.txt"
	// DefaultTimeout bounds each attempt (one TXT lookup, or one GET with
	// its redirects) when Checker.Timeout is zero.
	DefaultTimeout = 5 * time.Second
	// MaxBodyBytes is how much of the file is read; a token on a line
	// that starts after it is not seen.
	MaxBodyBytes = 4 << 10
	// MaxRedirects is how many same-host redirects one GET follows.
	MaxRedirects = 3
	// MaxTokenLength bounds a token, so that its TXT record value fits in
	// one 255-byte TXT string.
	MaxTokenLength = 200
)

// Errors for callers' faults. CheckOwnership wraps them (use errors.Is);
// they never describe something the asset's owner can fix.
var (
	// ErrInvalidToken: the token is empty, longer than MaxTokenLength, or
	// holds something other than printable ASCII without spaces.
	ErrInvalidToken = errors.New("invalid verification token")
	// ErrInvalidAsset: the asset is not one that asset.Normalize returns
	// (no host, an unknown type, a host that does not fit the type, or a
	// URL value that does not parse or does not match the host).
	ErrInvalidAsset = errors.New("invalid asset")
)

// Checker looks for verification tokens in DNS and over HTTP. It
// implements portal.OwnershipChecker. Set its fields before first use and
// do not change them afterwards; it is then safe for concurrent use.
type Checker struct {
	// Policy decides which addresses may be connected to and which host
	// names may be looked up; the zero Policy (production) allows only
	// public ones.
	Policy asset.Policy
	// DNSServer is the host:port of the DNS server that resolves names
	// ("127.0.0.1:5353"; the port defaults to 53), or "" for the system
	// resolver.
	DNSServer string
	// Timeout bounds each attempt; zero means DefaultTimeout.
	Timeout time.Duration
	// TLSConfig, when set, replaces the default TLS client configuration
	// (tests use it to trust an httptest server's certificate). Production
	// leaves it nil: certificates are verified against the system roots.
	// It cannot switch off the address rules, which the checker enforces
	// in its own dialer.
	TLSConfig *tls.Config

	// ports replaces the default port of a scheme ("http", "https") for
	// domain, subdomain and IP assets; tests only.
	ports map[string]string
}

var _ portal.OwnershipChecker = (*Checker)(nil)

// New returns a Checker with policy p that resolves names with the DNS
// server at dnsServer ("host:port"), or with the system resolver when
// dnsServer is "". It never fails: a bad server address shows as failed
// lookups in the Detail of each check.
func New(p asset.Policy, dnsServer string) *Checker {
	return &Checker{Policy: p, DNSServer: dnsServer, Timeout: DefaultTimeout}
}

// CheckOwnership reports whether token is published for a: first as a TXT
// record on a's host (when it is a name), then as the well-known file (see
// the package documentation). On success Method says which; otherwise
// Detail lists, for the user, everything that was checked and what was
// found, without internal detail.
//
// Error contract: a token that is not found, an unreachable or
// misbehaving server and an address the policy rejects are all normal
// outcomes (Verified false, nil error). The error is non-nil only when ctx
// is done before the check finishes (it then wraps ctx.Err()), or for a
// caller's fault: token is invalid (wraps ErrInvalidToken), or a is not an
// asset that asset.Normalize could return (wraps ErrInvalidAsset); nothing
// is looked up or connected to in those cases.
func (c *Checker) CheckOwnership(ctx context.Context, a asset.Asset, token string) (portal.OwnershipCheck, error) {
	if err := checkToken(token); err != nil {
		return portal.OwnershipCheck{}, err
	}
	p, err := planFor(a, c.ports)
	if err != nil {
		return portal.OwnershipCheck{}, err
	}
	if err := ctx.Err(); err != nil {
		return portal.OwnershipCheck{}, fmt.Errorf("check ownership of %s: %w", a.Value, err)
	}
	if p.txtName != "" {
		// Names the policy rejects are neither looked up nor connected to.
		if _, err := asset.Normalize(p.txtName, false, c.Policy); err != nil {
			return portal.OwnershipCheck{Detail: fmt.Sprintf("not checked: %s is %v", p.txtName, err)}, nil
		}
	}

	res := c.resolver()
	client, closeIdle := c.client(res)
	defer closeIdle()

	var found []string
	if p.txtName != "" {
		ok, detail := c.checkTXT(ctx, res, p.txtName, token)
		if err := ctx.Err(); err != nil {
			return portal.OwnershipCheck{}, fmt.Errorf("check ownership of %s: %w", a.Value, err)
		}
		if ok {
			return portal.OwnershipCheck{Verified: true, Method: portal.OwnershipDNSTXT, Detail: detail}, nil
		}
		found = append(found, detail)
	}
	for _, u := range p.fileURLs {
		ok, detail := c.checkFile(ctx, client, u, token)
		if err := ctx.Err(); err != nil {
			return portal.OwnershipCheck{}, fmt.Errorf("check ownership of %s: %w", a.Value, err)
		}
		if ok {
			return portal.OwnershipCheck{Verified: true, Method: portal.OwnershipHTTPFile, Detail: detail}, nil
		}
		found = append(found, detail)
	}
	return portal.OwnershipCheck{Detail: strings.Join(found, "; ")}, nil
}

func (c *Checker) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

// checkTXT looks for TXTPrefix+token among the TXT records of name.
func (c *Checker) checkTXT(ctx context.Context, res *net.Resolver, name, token string) (bool, string) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	want := TXTPrefix + token
	records, err := res.LookupTXT(ctx, netguard.Rooted(name))
	var dnsErr *net.DNSError
	switch {
	case err == nil:
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return false, fmt.Sprintf("no TXT record on %s holds %q", name, want)
	case netguard.IsTimeout(err):
		return false, fmt.Sprintf("TXT lookup of %s timed out after %v", name, c.timeout())
	default:
		return false, fmt.Sprintf("TXT lookup of %s failed (the DNS server answered with an error)", name)
	}
	other := ""
	for _, r := range records {
		r = strings.TrimSpace(r)
		if r == want {
			return true, fmt.Sprintf("TXT record %q found on %s", want, name)
		}
		if other == "" && strings.HasPrefix(r, TXTPrefix) {
			other = r
		}
	}
	if other != "" {
		return false, fmt.Sprintf("no TXT record on %s holds %q (found %q, another token)", name, want, clip(other, 2*len(want)))
	}
	return false, fmt.Sprintf("no TXT record on %s holds %q", name, want)
}

// checkFile fetches rawURL and looks for token in it.
func (c *Checker) checkFile(ctx context.Context, client *http.Client, rawURL, token string) (bool, string) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil { // planFor built the URL; it always parses
		return false, fmt.Sprintf("GET %s: not a valid URL", rawURL)
	}
	req.Header.Set("User-Agent", "partnerportal-verification")
	req.Header.Set("Accept", "text/plain")
	resp, err := client.Do(req)
	if err != nil {
		return false, fmt.Sprintf("GET %s: %s", rawURL, describe(err, c.timeout()))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Sprintf("GET %s: HTTP %d %s", rawURL, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes+1))
	if err != nil {
		return false, fmt.Sprintf("GET %s: reading the file: %s", rawURL, describe(err, c.timeout()))
	}
	if fileHolds(body, token) {
		return true, fmt.Sprintf("token found in %s", rawURL)
	}
	return false, fmt.Sprintf("GET %s: the file does not hold the token", rawURL)
}

// fileHolds reports whether body, trimmed, is token or has a line that,
// trimmed, is token. Only the first MaxBodyBytes count, and a line cut
// there is dropped, so a cut cannot turn a longer line into the token.
func fileHolds(body []byte, token string) bool {
	if len(body) > MaxBodyBytes {
		body = body[:MaxBodyBytes]
		i := bytes.LastIndexByte(body, '\n')
		if i < 0 {
			return false
		}
		body = body[:i]
	}
	body = bytes.TrimPrefix(body, []byte("\uFEFF"))
	if string(bytes.TrimSpace(body)) == token {
		return true
	}
	for line := range bytes.Lines(body) {
		if string(bytes.TrimSpace(line)) == token {
			return true
		}
	}
	return false
}

// resolver returns the resolver for lookups and dials.
func (c *Checker) resolver() *net.Resolver {
	return netguard.NewResolver(c.DNSServer)
}

// client returns an HTTP client whose every connection goes through the
// guarded dialer, and a func that closes its idle connections.
func (c *Checker) client(res *net.Resolver) (*http.Client, func()) {
	d := &netguard.Dialer{Policy: c.Policy, Resolver: res, Timeout: c.timeout()}
	var tlsConf *tls.Config
	if c.TLSConfig != nil {
		tlsConf = c.TLSConfig.Clone()
	}
	t := &http.Transport{
		Proxy:                  nil, // never a proxy from the environment: it would be dialled instead of the host
		DialContext:            d.DialContext,
		TLSClientConfig:        tlsConf,
		TLSHandshakeTimeout:    c.timeout(),
		ResponseHeaderTimeout:  c.timeout(),
		DisableKeepAlives:      true,
		MaxResponseHeaderBytes: 64 << 10,
	}
	client := &http.Client{
		Transport: t,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if from, to := via[0].URL.Hostname(), req.URL.Hostname(); !strings.EqualFold(from, to) {
				return &redirectError{to: to}
			}
			if len(via) > MaxRedirects {
				return errTooManyRedirects
			}
			return nil
		},
	}
	return client, t.CloseIdleConnections
}

// plan is what to check for one asset.
type plan struct {
	txtName  string   // host name whose TXT records to check; "" for an IP host
	fileURLs []string // URLs of the well-known file, in the order to try
}

// planFor works out the plan for a. ports replaces the default port of a
// scheme for domain, subdomain and IP assets (tests only; nil otherwise).
func planFor(a asset.Asset, ports map[string]string) (plan, error) {
	if a.Host == "" {
		return plan{}, fmt.Errorf("asset %q has no host: %w", a.Value, ErrInvalidAsset)
	}
	ip, err := netip.ParseAddr(a.Host)
	isIP := err == nil
	var p plan
	if !isIP {
		p.txtName = a.Host
	}
	switch a.Type {
	case asset.Domain, asset.Subdomain, asset.IP:
		if isIP != (a.Type == asset.IP) {
			return plan{}, fmt.Errorf("%s asset with host %q: %w", a.Type, a.Host, ErrInvalidAsset)
		}
		for _, scheme := range []string{"https", "http"} {
			host := a.Host
			if port := ports[scheme]; port != "" {
				host = net.JoinHostPort(a.Host, port)
			} else if isIP && ip.Is6() {
				host = "[" + a.Host + "]"
			}
			p.fileURLs = append(p.fileURLs, scheme+"://"+host+WellKnownPath)
		}
	case asset.WebApp, asset.API:
		u, err := url.Parse(a.Value)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !strings.EqualFold(u.Hostname(), a.Host) {
			return plan{}, fmt.Errorf("%s asset %q: %w", a.Type, a.Value, ErrInvalidAsset)
		}
		p.fileURLs = []string{u.Scheme + "://" + u.Host + WellKnownPath}
	default:
		return plan{}, fmt.Errorf("asset %q of type %q: %w", a.Value, a.Type, ErrInvalidAsset)
	}
	return p, nil
}

func checkToken(token string) error {
	if token == "" || len(token) > MaxTokenLength {
		return fmt.Errorf("token of %d bytes: %w", len(token), ErrInvalidToken)
	}
	for i := 0; i < len(token); i++ {
		if token[i] <= ' ' || token[i] > '~' {
			return fmt.Errorf("token with byte %#x at %d: %w", token[i], i, ErrInvalidToken)
		}
	}
	return nil
}

// clip shortens s to at most n bytes for a user message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

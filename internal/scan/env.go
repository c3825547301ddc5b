package scan

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/partnerportal/portal/internal/asset"
	"github.com/partnerportal/portal/internal/netguard"
)

// Env is what checks use to reach a target during one scan: every
// connection goes through the engine's guarded dialer (netguard), HTTP
// requests carry the engine's User-Agent and follow no redirects, bodies
// are read only up to MaxBodyBytes. The engine builds one Env per Run;
// checks must not change its fields. It is safe for concurrent use.
type Env struct {
	// UserAgent is sent with every HTTP request.
	UserAgent string
	// Roots are the certificate authorities checks trust when they judge
	// a certificate; nil means the system roots.
	Roots *x509.CertPool
	// Ports is the list of TCP ports the full profile's port check tries
	// (DefaultPorts unless the engine overrides it).
	Ports []int
	// Now is the clock checks judge certificates by.
	Now func() time.Time
	// Timeout bounds each connection attempt, TLS handshake and wait
	// for response headers.
	Timeout time.Duration
	// MaxBodyBytes is how much of a response body Get and Fetch read.
	MaxBodyBytes int

	dialer *netguard.Dialer
	client *http.Client
	ports  map[string]int // scheme → port for domain, subdomain and IP assets; tests only

	mu   sync.Mutex
	memo map[string]*memoEntry
}

// DefaultMaxBodyBytes is Env.MaxBodyBytes: 256 KiB.
const DefaultMaxBodyBytes = 256 << 10

// newEnv returns an Env that dials through d.
func newEnv(d *netguard.Dialer, userAgent string, roots *x509.CertPool, ports []int, now func() time.Time, timeout time.Duration, testPorts map[string]int) *Env {
	e := &Env{
		UserAgent: userAgent, Roots: roots, Ports: ports, Now: now, Timeout: timeout,
		MaxBodyBytes: DefaultMaxBodyBytes, dialer: d, ports: testPorts, memo: map[string]*memoEntry{},
	}
	t := &http.Transport{
		Proxy:       nil, // never a proxy from the environment: it would be dialled instead of the host
		DialContext: d.DialContext,
		// Certificates are judged by the TLS checks, against Roots; HTTP
		// checks look at what the server answers whatever its certificate
		// and protocol version (TLS 1.0 and 1.1 are reported by their own
		// check, not by failing every HTTP check).
		TLSClientConfig:        &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10},
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  timeout,
		DisableKeepAlives:      true,
		DisableCompression:     true,
		MaxResponseHeaderBytes: 64 << 10,
	}
	e.client = &http.Client{
		Transport: &userAgentTransport{ua: userAgent, next: t},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return e
}

// userAgentTransport sets the User-Agent of every request.
type userAgentTransport struct {
	ua   string
	next http.RoundTripper
}

func (t *userAgentTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", t.ua)
	return t.next.RoundTrip(r)
}

// Dial connects to address ("host:port") through the guarded dialer.
//
// Error contract: as netguard.Dialer.DialContext: *netguard.RefusedError
// when the policy rejects every address of the host, *net.DNSError when
// the name does not resolve, net dial errors otherwise.
func (e *Env) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	return e.dialer.DialContext(ctx, network, address)
}

// LookupAddrs resolves host with the engine's resolver, without applying
// the policy (checks that report on DNS use it; connections go through
// Dial).
//
// Error contract: as netguard.Dialer.LookupAddrs: *net.DNSError with
// IsNotFound set when the name has no address.
func (e *Env) LookupAddrs(ctx context.Context, host string) ([]netip.Addr, error) {
	return e.dialer.LookupAddrs(ctx, "ip", host)
}

// HTTPClient returns the scan's HTTP client: guarded dialer, the engine's
// User-Agent, no redirects followed (a 3xx answer is returned as is), no
// proxy, certificates not verified, TLS 1.0 and up, Timeout for the TLS
// handshake and the response headers. Callers bound the body they read.
func (e *Env) HTTPClient() *http.Client { return e.client }

// Response is one HTTP answer as a check sees it. Responses returned by
// Get may be shared between checks: do not modify them.
type Response struct {
	// URL is the URL that was requested.
	URL string
	// Status is the HTTP status code.
	Status int
	// Header holds the response headers.
	Header http.Header
	// Body is the start of the body, at most Env.MaxBodyBytes.
	Body []byte
	// Truncated says the body was longer than Body.
	Truncated bool
	// TLS is the connection state of an https answer; nil for http.
	TLS *tls.ConnectionState
}

// IsRedirect reports whether r is a 3xx answer with a Location.
func (r *Response) IsRedirect() bool {
	return r.Status >= 300 && r.Status < 400 && r.Header.Get("Location") != ""
}

// Location returns the Location header resolved against r.URL; ok is
// false when there is none or it does not parse.
func (r *Response) Location() (loc *url.URL, ok bool) {
	l := r.Header.Get("Location")
	if l == "" {
		return nil, false
	}
	base, err := url.Parse(r.URL)
	if err != nil {
		return nil, false
	}
	u, err := base.Parse(l)
	if err != nil {
		return nil, false
	}
	return u, true
}

// Fetch sends one request (method, rawURL, extra headers; no body) with
// the scan's HTTP client and reads at most MaxBodyBytes of the answer.
//
// Error contract: the dial errors of Dial, TLS and HTTP protocol errors,
// a timeout (netguard.IsTimeout) when Timeout or ctx ends first, or an
// error for a URL that does not parse; any HTTP status is a Response,
// not an error.
func (e *Env) Fetch(ctx context.Context, method, rawURL string, header http.Header) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
	if err != nil {
		return nil, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	max := e.MaxBodyBytes
	if max <= 0 {
		max = DefaultMaxBodyBytes
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(max)+1))
	if err != nil {
		return nil, err
	}
	r := &Response{URL: rawURL, Status: resp.StatusCode, Header: resp.Header, Body: body, TLS: resp.TLS}
	if len(body) > max {
		r.Body, r.Truncated = body[:max], true
	}
	return r, nil
}

// Get is Fetch with GET and no extra headers. Answers are remembered for
// the rest of the scan: checks that GET the same URL share one request
// (and its Response, which they must not modify).
//
// Error contract: as Fetch.
func (e *Env) Get(ctx context.Context, rawURL string) (*Response, error) {
	key := rawURL
	if u, err := url.Parse(rawURL); err == nil && u.Path == "" {
		u.Path = "/" // "https://h" and "https://h/" are one request
		key = u.String()
	}
	v, err := e.once(ctx, "GET "+key, func(ctx context.Context) (any, error) {
		return e.Fetch(ctx, http.MethodGet, rawURL, nil)
	})
	if err != nil {
		return nil, err
	}
	return v.(*Response), nil
}

// HandshakeError is a TLS handshake that failed after the TCP connection
// was made: the server refused what was offered (a protocol version, the
// cipher suites) or does not speak TLS.
type HandshakeError struct {
	// Err is the crypto/tls error.
	Err error
}

// Error returns the handshake error's message.
func (e *HandshakeError) Error() string { return "tls handshake: " + e.Err.Error() }

// Unwrap returns the handshake error.
func (e *HandshakeError) Unwrap() error { return e.Err }

// TLSConn connects to host:port through the guarded dialer and completes
// a TLS handshake with conf (nil for defaults) without verifying the
// certificate: InsecureSkipVerify is forced on, and ServerName defaults
// to host when host is a name. Checks judge the peer certificates
// themselves (against Roots). The caller closes the connection.
//
// Error contract: dial errors as Dial; a handshake that fails after the
// connection was made gives a *HandshakeError (a timeout during the
// handshake is a timeout, netguard.IsTimeout, not a *HandshakeError).
func (e *Env) TLSConn(ctx context.Context, host string, port int, conf *tls.Config) (*tls.Conn, error) {
	raw, err := e.Dial(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	if conf == nil {
		conf = &tls.Config{}
	} else {
		conf = conf.Clone()
	}
	conf.InsecureSkipVerify = true
	if conf.ServerName == "" && !isIP(host) {
		conf.ServerName = host
	}
	hctx := ctx
	if e.Timeout > 0 {
		var cancel context.CancelFunc
		hctx, cancel = context.WithTimeout(ctx, e.Timeout)
		defer cancel()
	}
	conn := tls.Client(raw, conf)
	if err := conn.HandshakeContext(hctx); err != nil {
		raw.Close()
		if netguard.IsTimeout(err) || ctx.Err() != nil || hctx.Err() != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, context.DeadlineExceeded
		}
		return nil, &HandshakeError{Err: err}
	}
	return conn, nil
}

// HasHTTPS reports whether t has an https endpoint: domain, subdomain
// and IP assets (https://host) and https URL assets.
func HasHTTPS(t Target) bool {
	switch t.Asset.Type {
	case asset.Domain, asset.Subdomain, asset.IP:
		return true
	case asset.WebApp, asset.API:
		return strings.HasPrefix(strings.ToLower(t.Asset.Value), "https://")
	}
	return false
}

// IsHostAsset reports whether t is a domain, subdomain or IP asset (as
// opposed to a URL).
func IsHostAsset(t Target) bool {
	switch t.Asset.Type {
	case asset.Domain, asset.Subdomain, asset.IP:
		return true
	}
	return false
}

// URLs returns the URLs at which t is served, https first: for domain,
// subdomain and IP assets "https://host/" and "http://host/" on the
// default ports, for web_app and api assets the asset's URL itself.
// It returns none for an asset of another type or a URL that does not
// parse.
func (e *Env) URLs(t Target) []string {
	if IsHostAsset(t) {
		return []string{e.hostURL(t, "https"), e.hostURL(t, "http")}
	}
	if _, err := url.Parse(t.Asset.Value); err != nil || !strings.Contains(t.Asset.Value, "://") {
		return nil
	}
	return []string{t.Asset.Value}
}

// hostURL is scheme://host[:port]/ for a host asset.
func (e *Env) hostURL(t Target, scheme string) string {
	return scheme + "://" + e.hostPort(t.Asset.Host, scheme) + "/"
}

// hostPort is host, bracketed when IPv6, with the test port of scheme
// when there is one.
func (e *Env) hostPort(host, scheme string) string {
	if p := e.ports[scheme]; p != 0 {
		return net.JoinHostPort(host, strconv.Itoa(p))
	}
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}

// TLSEndpoint returns the host and port of t's https endpoint (443 for
// host assets, the URL's port for https URL assets); ok is false when t
// has none.
func (e *Env) TLSEndpoint(t Target) (host string, port int, ok bool) {
	if !HasHTTPS(t) {
		return "", 0, false
	}
	if IsHostAsset(t) {
		port = 443
		if p := e.ports["https"]; p != 0 {
			port = p
		}
		return t.Asset.Host, port, true
	}
	u, err := url.Parse(t.Asset.Value)
	if err != nil {
		return "", 0, false
	}
	port = 443
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return "", 0, false
		}
	}
	return u.Hostname(), port, true
}

// HTTPSURL returns the https URL of t: https://host/ for host assets,
// the URL itself for https URL assets; ok is false when t has none.
func (e *Env) HTTPSURL(t Target) (string, bool) {
	if !HasHTTPS(t) {
		return "", false
	}
	return e.URLs(t)[0], true
}

// PlainHTTPURL returns the http:// URL at which t should redirect to
// https: http://host/ for host assets, the URL itself for http URL
// assets, and for an https URL asset on the default port the same URL
// with http on port 80; ok is false otherwise (an https URL on another
// port has no known plain-HTTP counterpart).
func (e *Env) PlainHTTPURL(t Target) (string, bool) {
	if IsHostAsset(t) {
		return e.hostURL(t, "http"), true
	}
	u, err := url.Parse(t.Asset.Value)
	if err != nil {
		return "", false
	}
	switch strings.ToLower(u.Scheme) {
	case "http":
		return t.Asset.Value, true
	case "https":
		if u.Port() != "" && u.Port() != "443" {
			return "", false
		}
		u.Scheme, u.Host = "http", e.hostPort(u.Hostname(), "http")
		return u.String(), true
	}
	return "", false
}

func isIP(host string) bool {
	_, err := netip.ParseAddr(host)
	return err == nil
}

// memoEntry is one remembered result.
type memoEntry struct {
	done chan struct{}
	val  any
	err  error
}

// once runs fn for key at most once per scan and shares its result.
// A caller whose ctx ends while waiting gets ctx's error; a result that
// failed because the ctx of the caller who ran it ended is not kept, so
// the next caller tries again.
func (e *Env) once(ctx context.Context, key string, fn func(context.Context) (any, error)) (any, error) {
	for {
		e.mu.Lock()
		m, ok := e.memo[key]
		if !ok {
			m = &memoEntry{done: make(chan struct{})}
			e.memo[key] = m
			e.mu.Unlock()
			val, err := fn(ctx)
			if err != nil && ctx.Err() != nil {
				e.mu.Lock()
				delete(e.memo, key)
				e.mu.Unlock()
				m.err = errRetry
				close(m.done)
				return nil, err
			}
			m.val, m.err = val, err
			close(m.done)
			return val, err
		}
		e.mu.Unlock()
		select {
		case <-m.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if m.err == errRetry {
			continue
		}
		return m.val, m.err
	}
}

var errRetry = errors.New("retry")

// DefaultPorts is the documented top-ports list the full profile's port
// check tries (Env.Ports unless Engine.Ports overrides it): remote
// access, mail, databases, caches, container and search APIs and common
// alternative web ports, the services most often exposed by mistake.
var DefaultPorts = []int{
	21,    // FTP
	22,    // SSH
	23,    // Telnet
	25,    // SMTP
	53,    // DNS
	80,    // HTTP
	110,   // POP3
	111,   // RPC portmapper
	135,   // MS RPC
	139,   // NetBIOS
	143,   // IMAP
	443,   // HTTPS
	445,   // SMB
	993,   // IMAPS
	995,   // POP3S
	1433,  // Microsoft SQL Server
	1521,  // Oracle
	2049,  // NFS
	2375,  // Docker API (plain)
	3306,  // MySQL
	3389,  // RDP
	5432,  // PostgreSQL
	5900,  // VNC
	6379,  // Redis
	8080,  // HTTP alternative
	8443,  // HTTPS alternative
	9200,  // Elasticsearch
	11211, // Memcached
	27017, // MongoDB
}

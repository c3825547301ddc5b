// Package netguard connects only to addresses an asset.Policy accepts.
// Ownership checks and the scan engine dial through it, so a host name
// that resolves to a private, loopback, link-local or metadata address
// (or that is changed to resolve to one between two lookups) is never
// connected to unless the deployment allows such addresses.
package netguard

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/partnerportal/portal/internal/asset"
)

// Dialer connects only to addresses its Policy accepts. It resolves a
// host name once, checks every address before dialling it, and dials the
// resolved address (never the name), so nothing can swap in another
// address between the check and the connect; it checks again in
// net.Dialer.Control on the address the socket is about to connect to.
//
// Set its fields before first use and do not change them afterwards; it
// is then safe for concurrent use.
type Dialer struct {
	// Policy decides which addresses may be connected to; the zero Policy
	// (production) allows only public ones.
	Policy asset.Policy
	// Resolver resolves host names; nil means net.DefaultResolver.
	Resolver *net.Resolver
	// Timeout bounds each connection attempt; zero means no bound beyond
	// the context's.
	Timeout time.Duration
}

// New returns a Dialer with policy p that resolves names with the DNS
// server at dnsServer ("host:port"; the port defaults to 53), or with the
// system resolver when dnsServer is "", and bounds each connection
// attempt by timeout. It never fails: a bad server address shows as
// failed lookups.
func New(p asset.Policy, dnsServer string, timeout time.Duration) *Dialer {
	return &Dialer{Policy: p, Resolver: NewResolver(dnsServer), Timeout: timeout}
}

// NewResolver returns a resolver that asks the DNS server at dnsServer
// ("host:port"; the port defaults to 53), or net.DefaultResolver when
// dnsServer is "". It never fails: a bad server address shows as failed
// lookups.
func NewResolver(dnsServer string) *net.Resolver {
	if dnsServer == "" {
		return net.DefaultResolver
	}
	server := dnsServer
	if _, _, err := net.SplitHostPort(server); err != nil {
		server = net.JoinHostPort(strings.Trim(server, "[]"), "53")
	}
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, server)
		},
	}
}

func (d *Dialer) resolver() *net.Resolver {
	if d.Resolver != nil {
		return d.Resolver
	}
	return net.DefaultResolver
}

// LookupAddrs resolves host (a name or an IP address literal) to its
// addresses, unmapped, without applying the policy: an IP literal is
// returned as is. Names are looked up fully qualified, so the search
// domains of the machine are not tried.
//
// Error contract: a name that does not resolve gives a *net.DNSError
// (IsNotFound set when it has no address); ctx ending gives an error
// wrapping ctx.Err() or a *net.DNSError with IsTimeout set.
func (d *Dialer) LookupAddrs(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{ip.Unmap()}, nil
	}
	ipNet := "ip"
	switch network {
	case "tcp4", "udp4":
		ipNet = "ip4"
	case "tcp6", "udp6":
		ipNet = "ip6"
	}
	addrs, err := d.resolver().LookupNetIP(ctx, ipNet, Rooted(host))
	if err != nil {
		return nil, err
	}
	for i := range addrs {
		addrs[i] = addrs[i].Unmap()
	}
	if len(addrs) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	return addrs, nil
}

// DialContext connects to address ("host:port") on network ("tcp",
// "tcp4", "tcp6"); it has the signature of the http.Transport hook.
// Addresses of host are tried in the resolver's order; those the policy
// rejects are skipped.
//
// Error contract: *RefusedError when no address of host may be dialled
// (nothing was connected to), *net.DNSError when the name does not
// resolve, and the net package's dial errors otherwise (the last one when
// several addresses were tried); a malformed address gives a plain error.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("invalid port %q", portText)
	}
	addrs, err := d.LookupAddrs(ctx, network, host)
	if err != nil {
		return nil, err
	}
	nd := &net.Dialer{Timeout: d.Timeout, Control: d.Control}
	var refused, dialErr error
	for _, ip := range addrs {
		if err := asset.CheckAddr(ip, d.Policy); err != nil {
			if refused == nil {
				refused = &RefusedError{Host: host, Addr: ip, Reason: err.Error()}
			}
			continue
		}
		conn, err := nd.DialContext(ctx, network, netip.AddrPortFrom(ip, uint16(port)).String())
		if err == nil {
			return conn, nil
		}
		dialErr = err
		if ctx.Err() != nil {
			break
		}
	}
	if dialErr != nil {
		return nil, dialErr
	}
	return nil, refused
}

// Control is the net.Dialer.Control hook: it runs just before the socket
// connects to address ("ip:port") and refuses an address the policy
// rejects.
//
// Error contract: nil when the policy accepts the address, otherwise a
// *RefusedError (also when address is not an IP address and port).
func (d *Dialer) Control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &RefusedError{Host: address, Reason: "not an IP address and port"}
	}
	if err := asset.CheckAddr(ap.Addr(), d.Policy); err != nil {
		return &RefusedError{Host: ap.Addr().String(), Addr: ap.Addr(), Reason: err.Error()}
	}
	return nil
}

// RefusedError says that an address was not connected to because the
// policy rejects it. Its message is safe to show to users.
type RefusedError struct {
	// Host is the host as asked for: a name or an IP address.
	Host string
	// Addr is the rejected address; invalid when Host was not usable.
	Addr netip.Addr
	// Reason is the asset.Rejection reason, e.g. "a loopback address
	// (127.0.0.0/8)".
	Reason string
}

// Error says what was not connected to and why, e.g. "not connected:
// rebind.example resolves to 127.0.0.1, a loopback address
// (127.0.0.0/8)".
func (e *RefusedError) Error() string {
	if !e.Addr.IsValid() {
		return "not connected to " + e.Host + ": " + e.Reason
	}
	if e.Host == e.Addr.String() {
		return "not connected: " + e.Host + " is " + e.Reason
	}
	return "not connected: " + e.Host + " resolves to " + e.Addr.String() + ", " + e.Reason
}

// Describe turns an error from a lookup, dial, TLS handshake or HTTP
// exchange into a short phrase for the user, without internal detail
// ("connection refused", "timed out after 5s", "rebind.example has no
// address"). timeout is the bound named when err is a timeout. An error
// it does not recognise is "the request failed".
func Describe(err error, timeout time.Duration) string {
	var (
		refused   *RefusedError
		dnsErr    *net.DNSError
		hostErr   x509.HostnameError
		authErr   x509.UnknownAuthorityError
		invalid   x509.CertificateInvalidError
		verifyErr *tls.CertificateVerificationError
		recordErr tls.RecordHeaderError
		alertErr  tls.AlertError
	)
	switch {
	case errors.As(err, &refused):
		return refused.Error()
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return strings.TrimSuffix(dnsErr.Name, ".") + " has no address"
	case errors.As(err, &dnsErr) && dnsErr.IsTimeout:
		return "the DNS lookup of " + strings.TrimSuffix(dnsErr.Name, ".") + " timed out"
	case errors.As(err, &dnsErr):
		return "the DNS lookup of " + strings.TrimSuffix(dnsErr.Name, ".") + " failed"
	case IsTimeout(err):
		return "timed out after " + timeout.String()
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "host unreachable"
	case errors.As(err, &hostErr):
		return "the TLS certificate is not valid for " + hostErr.Host
	case errors.As(err, &authErr):
		return "the TLS certificate is not signed by a trusted authority"
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "the TLS certificate has expired or is not valid yet"
	case errors.As(err, &invalid), errors.As(err, &verifyErr):
		return "the TLS certificate could not be verified"
	case errors.As(err, &recordErr), err != nil && strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "the server did not answer with TLS"
	case errors.As(err, &alertErr):
		return "the TLS handshake failed (" + alertErr.Error() + ")"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection was closed before a complete response"
	}
	return "the request failed"
}

// IsTimeout reports whether err is a timeout: a context deadline, an
// I/O deadline or a net.Error that says so.
func IsTimeout(err error) bool {
	var netErr net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.As(err, &netErr) && netErr.Timeout()
}

// Rooted makes name fully qualified (a trailing dot), so a resolver does
// not try the search domains of the machine it runs on.
func Rooted(name string) string {
	if strings.HasSuffix(name, ".") {
		return name
	}
	return name + "."
}

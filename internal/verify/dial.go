package verify

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

// dialer connects only to addresses its policy accepts. It resolves host
// names itself and checks every address before dialling it, and checks
// again in net.Dialer.Control on the address the socket is about to
// connect to, so nothing between resolution and connect can swap in
// another address.
type dialer struct {
	policy   asset.Policy
	resolver *net.Resolver
	timeout  time.Duration
}

// DialContext is the http.Transport hook. Its errors are *refusedError
// when no address of the host may be dialled, *net.DNSError when the name
// does not resolve, and the net package's dial errors otherwise.
func (d *dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("invalid port %q", portText)
	}
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{ip}
	} else if addrs, err = d.resolver.LookupNetIP(ctx, "ip", rooted(host)); err != nil {
		return nil, err
	}
	nd := &net.Dialer{Timeout: d.timeout, Control: d.control}
	var refused, dialErr error
	for _, ip := range addrs {
		ip = ip.Unmap()
		if err := asset.CheckAddr(ip, d.policy); err != nil {
			if refused == nil {
				refused = &refusedError{host: host, addr: ip, reason: err.Error()}
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
	switch {
	case dialErr != nil:
		return nil, dialErr
	case refused != nil:
		return nil, refused
	}
	return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
}

// control runs just before the socket connects to address ("ip:port").
func (d *dialer) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &refusedError{host: address, reason: "not an IP address and port"}
	}
	if err := asset.CheckAddr(ap.Addr(), d.policy); err != nil {
		return &refusedError{host: ap.Addr().String(), addr: ap.Addr(), reason: err.Error()}
	}
	return nil
}

// refusedError says that an address was not connected to because the
// policy rejects it. Its message is safe to show to users.
type refusedError struct {
	host   string     // as in the URL: a name or an IP address
	addr   netip.Addr // the rejected address
	reason string     // the asset.Rejection reason, e.g. "a loopback address (127.0.0.0/8)"
}

func (e *refusedError) Error() string {
	if !e.addr.IsValid() {
		return "not connected to " + e.host + ": " + e.reason
	}
	if e.host == e.addr.String() {
		return "not connected: " + e.host + " is " + e.reason
	}
	return "not connected: " + e.host + " resolves to " + e.addr.String() + ", " + e.reason
}

// redirectError says that a redirect to another host was not followed.
type redirectError struct{ to string }

func (e *redirectError) Error() string {
	return "redirected to another host (" + clip(e.to, 100) + "); only redirects on the same host are followed"
}

var errTooManyRedirects = fmt.Errorf("more than %d redirects", MaxRedirects)

// describe turns an error from a lookup, dial or HTTP exchange into a
// short phrase for the user, without internal detail.
func describe(err error, timeout time.Duration) string {
	var (
		refused   *refusedError
		redirect  *redirectError
		dnsErr    *net.DNSError
		hostErr   x509.HostnameError
		authErr   x509.UnknownAuthorityError
		invalid   x509.CertificateInvalidError
		verifyErr *tls.CertificateVerificationError
		recordErr tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &refused):
		return refused.Error()
	case errors.As(err, &redirect):
		return redirect.Error()
	case errors.Is(err, errTooManyRedirects):
		return errTooManyRedirects.Error()
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return strings.TrimSuffix(dnsErr.Name, ".") + " has no address"
	case errors.As(err, &dnsErr) && dnsErr.IsTimeout:
		return "the DNS lookup of " + strings.TrimSuffix(dnsErr.Name, ".") + " timed out"
	case errors.As(err, &dnsErr):
		return "the DNS lookup of " + strings.TrimSuffix(dnsErr.Name, ".") + " failed"
	case isTimeout(err):
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
	case errors.As(err, &recordErr):
		return "the server did not answer with TLS"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection was closed before a complete response"
	}
	return "the request failed"
}

// isTimeout reports whether err is a timeout.
func isTimeout(err error) bool {
	var netErr net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.As(err, &netErr) && netErr.Timeout()
}

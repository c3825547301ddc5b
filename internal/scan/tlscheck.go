package scan

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// The TLS checks of the light, full and api profiles. The certificate
// checks share one handshake per scan and endpoint; each judges the
// leaf certificate the server presents for the asset's host name.

// ExpiringWithin is how close to its expiry a certificate is reported
// by tls.expiring.
const ExpiringWithin = 30 * 24 * time.Hour

var tlsProfiles = []Profile{ProfileLight, ProfileFull, ProfileAPI}

var (
	checkTLSExpired = Check{
		ID:          "tls.expired",
		Title:       "TLS certificate expired",
		Description: "The certificate the server presents is past its expiry date: browsers and API clients refuse the connection or show a warning users learn to click through.",
		Remediation: "Renew the certificate and install it (with its intermediate certificates); automate renewal, e.g. with ACME.",
		Severity:    SeverityHigh,
		Profiles:    tlsProfiles,
		Applies:     HasHTTPS,
	}
	checkTLSExpiring = Check{
		ID:          "tls.expiring",
		Title:       "TLS certificate expires within 30 days",
		Description: "The certificate the server presents expires within 30 days; when it does, clients refuse the connection.",
		Remediation: "Renew the certificate before it expires; automate renewal, e.g. with ACME.",
		Severity:    SeverityLow,
		Profiles:    tlsProfiles,
		Applies:     HasHTTPS,
	}
	checkTLSSelfSigned = Check{
		ID:          "tls.self-signed",
		Title:       "Self-signed TLS certificate",
		Description: "The server presents a certificate signed by itself, which clients cannot tell apart from an attacker's.",
		Remediation: "Install a certificate issued by a publicly trusted certificate authority.",
		Severity:    SeverityMedium,
		Profiles:    tlsProfiles,
		Applies:     HasHTTPS,
	}
	checkTLSUntrusted = Check{
		ID:          "tls.untrusted",
		Title:       "TLS certificate not issued by a trusted authority",
		Description: "The certificate chain the server presents does not lead to a trusted certificate authority (a private CA, or missing intermediate certificates).",
		Remediation: "Install a certificate from a publicly trusted authority and serve its intermediate certificates with it.",
		Severity:    SeverityMedium,
		Profiles:    tlsProfiles,
		Applies:     HasHTTPS,
	}
	checkTLSHostname = Check{
		ID:          "tls.hostname-mismatch",
		Title:       "TLS certificate does not match the host name",
		Description: "The certificate the server presents does not name the host it is served for, so clients reject it.",
		Remediation: "Install a certificate whose subject alternative names include the host name (or its IP address).",
		Severity:    SeverityMedium,
		Profiles:    tlsProfiles,
		Applies:     HasHTTPS,
	}
	checkTLSLegacy = Check{
		ID:          "tls.legacy-protocol",
		Title:       "Legacy TLS protocol version accepted",
		Description: "The server completes handshakes with TLS 1.0 or 1.1, deprecated protocol versions (RFC 8996) with weak constructions.",
		Remediation: "Allow TLS 1.2 and 1.3 only in the server or load balancer configuration.",
		Severity:    SeverityMedium,
		Profiles:    tlsProfiles,
		Applies:     HasHTTPS,
	}
)

func init() {
	checkTLSExpired.Run = certCheck(&checkTLSExpired, judgeExpired)
	checkTLSExpiring.Run = certCheck(&checkTLSExpiring, judgeExpiring)
	checkTLSSelfSigned.Run = certCheck(&checkTLSSelfSigned, judgeSelfSigned)
	checkTLSUntrusted.Run = certCheck(&checkTLSUntrusted, judgeUntrusted)
	checkTLSHostname.Run = certCheck(&checkTLSHostname, judgeHostname)
	checkTLSLegacy.Run = runTLSLegacy
	for _, c := range []Check{checkTLSExpired, checkTLSExpiring, checkTLSSelfSigned, checkTLSUntrusted, checkTLSHostname, checkTLSLegacy} {
		Register(c)
	}
}

// peer is what the server at an https endpoint presented.
type peer struct {
	host     string // the asset's host, as used for SNI and the name check
	endpoint string // "host:port", the detail of certificate findings
	certs    []*x509.Certificate
}

// leaf is the server's own certificate.
func (p *peer) leaf() *x509.Certificate { return p.certs[0] }

// tlsPeer completes one handshake with t's https endpoint per scan (the
// certificate checks share it) and returns the certificates presented.
// TLS 1.0 and 1.1 are offered too, so that the certificate of a server
// speaking only those is still judged.
func tlsPeer(ctx context.Context, env *Env, t Target) (*peer, error) {
	host, port, ok := env.TLSEndpoint(t)
	if !ok {
		return nil, Userf("no https endpoint")
	}
	endpoint := net.JoinHostPort(host, strconv.Itoa(port))
	v, err := env.once(ctx, "tls "+endpoint, func(ctx context.Context) (any, error) {
		conn, err := env.TLSConn(ctx, host, port, &tls.Config{MinVersion: tls.VersionTLS10})
		if err != nil {
			return nil, &EndpointError{Endpoint: endpoint, Err: err}
		}
		defer conn.Close()
		certs := conn.ConnectionState().PeerCertificates
		if len(certs) == 0 {
			return nil, Userf("%s: the server presented no certificate", endpoint)
		}
		return &peer{host: host, endpoint: endpoint, certs: certs}, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*peer), nil
}

// judge decides one certificate check: evidence is "" when the check
// finds nothing.
type judge func(env *Env, p *peer) (evidence string)

// certCheck runs j for check c on the certificates of t's https
// endpoint; a finding's detail is the endpoint ("example.com:443").
func certCheck(c *Check, j judge) func(ctx context.Context, env *Env, t Target) ([]Finding, error) {
	return func(ctx context.Context, env *Env, t Target) ([]Finding, error) {
		p, err := tlsPeer(ctx, env, t)
		if err != nil {
			return nil, err
		}
		evidence := j(env, p)
		if evidence == "" {
			return nil, nil
		}
		return []Finding{c.Finding(t, p.endpoint, evidence)}, nil
	}
}

// subject names the certificate for evidence: its first DNS name, or its
// common name.
func subject(c *x509.Certificate) string {
	if len(c.DNSNames) > 0 {
		return c.DNSNames[0]
	}
	if len(c.IPAddresses) > 0 {
		return c.IPAddresses[0].String()
	}
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	return c.Subject.String()
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

func judgeExpired(env *Env, p *peer) string {
	leaf, now := p.leaf(), env.Now()
	if !now.After(leaf.NotAfter) {
		return ""
	}
	return fmt.Sprintf("the certificate for %s presented at %s expired on %s (not valid after %s)",
		subject(leaf), p.endpoint, day(leaf.NotAfter), leaf.NotAfter.UTC().Format(time.RFC3339))
}

func judgeExpiring(env *Env, p *peer) string {
	leaf, now := p.leaf(), env.Now()
	if now.After(leaf.NotAfter) || leaf.NotAfter.Sub(now) > ExpiringWithin {
		return ""
	}
	days := int(leaf.NotAfter.Sub(now).Hours() / 24)
	return fmt.Sprintf("the certificate for %s presented at %s expires on %s, in %d days (not valid after %s)",
		subject(leaf), p.endpoint, day(leaf.NotAfter), days, leaf.NotAfter.UTC().Format(time.RFC3339))
}

// isSelfSigned reports whether c is signed by its own key and names
// itself as its issuer.
func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) &&
		c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// verifyChain verifies the presented chain against env.Roots at a moment
// inside the leaf's validity, so that expiry (its own checks) does not
// count as distrust, and without a host name (its own check).
func verifyChain(env *Env, p *peer) error {
	leaf := p.leaf()
	at := env.Now()
	if at.After(leaf.NotAfter) {
		at = leaf.NotAfter
	}
	if at.Before(leaf.NotBefore) {
		at = leaf.NotBefore
	}
	inter := x509.NewCertPool()
	for _, c := range p.certs[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: env.Roots, Intermediates: inter, CurrentTime: at})
	return err
}

func judgeSelfSigned(env *Env, p *peer) string {
	leaf := p.leaf()
	if !isSelfSigned(leaf) || verifyChain(env, p) == nil {
		return ""
	}
	return fmt.Sprintf("the certificate for %s presented at %s is self-signed (issuer and subject: %s)",
		subject(leaf), p.endpoint, leaf.Subject.String())
}

func judgeUntrusted(env *Env, p *peer) string {
	leaf := p.leaf()
	if isSelfSigned(leaf) {
		return "" // tls.self-signed reports it
	}
	err := verifyChain(env, p)
	if err == nil {
		return ""
	}
	var unknown x509.UnknownAuthorityError
	why := "could not be verified"
	if errors.As(err, &unknown) {
		why = "is not signed by a trusted authority"
	}
	return fmt.Sprintf("the certificate for %s presented at %s (issuer: %s) %s",
		subject(leaf), p.endpoint, leaf.Issuer.String(), why)
}

func judgeHostname(_ *Env, p *peer) string {
	leaf := p.leaf()
	if leaf.VerifyHostname(p.host) == nil {
		return ""
	}
	var names []string
	names = append(names, leaf.DNSNames...)
	for _, ip := range leaf.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && leaf.Subject.CommonName != "" {
		names = []string{"CN " + leaf.Subject.CommonName}
	}
	if len(names) == 0 {
		names = []string{"no names"}
	}
	return fmt.Sprintf("the certificate presented at %s is for %s, not %s", p.endpoint, strings.Join(names, ", "), p.host)
}

// runTLSLegacy offers TLS 1.0 alone, then TLS 1.1 alone; each completed
// handshake is a finding with detail "TLS 1.0" or "TLS 1.1". A refused
// handshake is the wanted outcome; a failed connection, or an answer
// that is not TLS at all, is an error.
func runTLSLegacy(ctx context.Context, env *Env, t Target) ([]Finding, error) {
	host, port, ok := env.TLSEndpoint(t)
	if !ok {
		return nil, Userf("no https endpoint")
	}
	endpoint := net.JoinHostPort(host, strconv.Itoa(port))
	var out []Finding
	for _, v := range []struct {
		version uint16
		name    string
	}{{tls.VersionTLS10, "TLS 1.0"}, {tls.VersionTLS11, "TLS 1.1"}} {
		conn, err := env.TLSConn(ctx, host, port, &tls.Config{MinVersion: v.version, MaxVersion: v.version})
		var (
			hs     *HandshakeError
			notTLS tls.RecordHeaderError
		)
		switch {
		case errors.As(err, &notTLS):
			return nil, &EndpointError{Endpoint: endpoint, Err: err}
		case errors.As(err, &hs):
			continue // refused: good
		case err != nil:
			return nil, &EndpointError{Endpoint: endpoint, Err: err}
		}
		state := conn.ConnectionState()
		conn.Close()
		out = append(out, checkTLSLegacy.Finding(t, v.name,
			fmt.Sprintf("%s completed a handshake offering only %s (cipher suite %s)",
				endpoint, v.name, tls.CipherSuiteName(state.CipherSuite))))
	}
	return out, nil
}

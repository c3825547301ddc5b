package scan

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"syscall"

	"github.com/partnerportal/portal/internal/netguard"
)

// PortsCheckID is the ID of the check that reports open TCP ports.
const PortsCheckID = "ports.open"

// PortConcurrency is how many TCP connects the port check has in flight
// at once on one target.
const PortConcurrency = 16

// Service is what usually listens on a TCP port, and how bad it is to
// find that port open to the internet.
type Service struct {
	// Name is the service's usual name ("Redis").
	Name string
	// Severity is the severity of finding the port open.
	Severity Severity
}

// PortServices names the service behind each port of DefaultPorts and
// ranks it:
//
//   - high: data stores, caches, container and search APIs and Windows
//     file sharing, which are commonly reachable without authentication
//     or hold the data itself, and Telnet, which sends logins in clear;
//   - medium: remote administration (SSH, RDP, VNC), FTP and the RPC and
//     NetBIOS services, which invite password guessing or leak details;
//   - low: everything else (mail, DNS, alternative web ports), often
//     intended but worth confirming.
//
// A port not in the map (Engine.Ports may name any) is "unknown
// service", low.
var PortServices = map[int]Service{
	21:    {"FTP", SeverityMedium},
	22:    {"SSH", SeverityMedium},
	23:    {"Telnet", SeverityHigh},
	25:    {"SMTP", SeverityLow},
	53:    {"DNS", SeverityLow},
	80:    {"HTTP", SeverityLow},
	110:   {"POP3", SeverityLow},
	111:   {"RPC portmapper", SeverityMedium},
	135:   {"Microsoft RPC", SeverityMedium},
	139:   {"NetBIOS session service", SeverityMedium},
	143:   {"IMAP", SeverityLow},
	443:   {"HTTPS", SeverityLow},
	445:   {"SMB (Windows file sharing)", SeverityHigh},
	993:   {"IMAPS", SeverityLow},
	995:   {"POP3S", SeverityLow},
	1433:  {"Microsoft SQL Server", SeverityHigh},
	1521:  {"Oracle database", SeverityHigh},
	2049:  {"NFS", SeverityHigh},
	2375:  {"Docker API without TLS", SeverityHigh},
	3306:  {"MySQL", SeverityHigh},
	3389:  {"RDP (Remote Desktop)", SeverityMedium},
	5432:  {"PostgreSQL", SeverityHigh},
	5900:  {"VNC", SeverityMedium},
	6379:  {"Redis", SeverityHigh},
	8080:  {"HTTP alternative", SeverityLow},
	8443:  {"HTTPS alternative", SeverityLow},
	9200:  {"Elasticsearch", SeverityHigh},
	11211: {"Memcached", SeverityHigh},
	27017: {"MongoDB", SeverityHigh},
}

// ServiceOf returns the service usually behind port: its entry in
// PortServices, or "unknown service" with low severity.
func ServiceOf(port int) Service {
	if s, ok := PortServices[port]; ok {
		return s
	}
	return Service{Name: "unknown service", Severity: SeverityLow}
}

// portsCheck reports every port of Env.Ports that accepts a TCP
// connection, except the web ports the asset is meant to serve.
var portsCheck = Check{
	ID:    PortsCheckID,
	Title: "Open TCP port",
	Description: "Tries a TCP connection (nothing is sent) to each port of a documented list of common " +
		"service ports on the target's host, at most 16 at a time, each attempt bounded by the scan's " +
		"connection timeout. Every port that accepts the connection is reported, except 80 and 443 and " +
		"the port of the asset's own URL. Services reachable from the internet that need not be " +
		"(databases, caches, the Docker API, remote administration) are a common way in. Severity " +
		"depends on the service: high for data stores, caches, container and search APIs, SMB, NFS " +
		"and Telnet; medium for SSH, RDP, VNC, FTP and RPC services; low otherwise.",
	Remediation: "Close the port or restrict it with a firewall or security group to the addresses " +
		"that need it (a VPN or bastion host for administration). If the service must be public, " +
		"require strong authentication and keep it patched.",
	Severity: SeverityHigh, // the highest a finding gets; each finding has its service's severity
	Profiles: []Profile{ProfileFull},
	Run:      runPorts,
}

func init() { Register(portsCheck) }

// runPorts resolves the target's host once, prefers an IPv4 address
// (the scanner usually has no IPv6 route), and connects to that address
// on every port of env.Ports through the guarded dialer.
//
// A port counts as closed when the connection is refused, reset, times
// out or is rejected as unreachable by a firewall (ICMP host
// prohibited); any other error (the policy refuses the address, no
// route to the network, the check's context ended) fails the check, so
// an unreachable host never makes earlier findings look fixed.
func runPorts(ctx context.Context, env *Env, t Target) ([]Finding, error) {
	host := t.Asset.Host
	addrs, err := env.LookupAddrs(ctx, host)
	if err != nil {
		return nil, err
	}
	addr := addrs[0]
	if i := slices.IndexFunc(addrs, netip.Addr.Is4); i >= 0 {
		addr = addrs[i]
	}
	expected := expectedWebPorts(env, t)

	var (
		mu       sync.Mutex
		open     []int
		firstErr error
		wg       sync.WaitGroup
	)
	sem := make(chan struct{}, PortConcurrency)
	for _, port := range env.Ports {
		if expected[port] {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			isOpen, err := probePort(ctx, env, addr, port)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil && firstErr == nil:
				firstErr = err
			case isOpen:
				open = append(open, port)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if firstErr != nil {
		return nil, firstErr
	}

	slices.Sort(open)
	findings := make([]Finding, 0, len(open))
	for _, port := range open {
		svc := ServiceOf(port)
		ep := net.JoinHostPort(addr.String(), strconv.Itoa(port))
		evidence := fmt.Sprintf("TCP connection to %s accepted (port %d is usually %s)", ep, port, svc.Name)
		if addr.String() != host {
			evidence = fmt.Sprintf("TCP connection to %s (%s) accepted (port %d is usually %s)", ep, host, port, svc.Name)
		}
		findings = append(findings, Finding{
			CheckID: PortsCheckID, AssetID: t.AssetID, Severity: svc.Severity,
			Detail: fmt.Sprintf("port %d/tcp", port), Evidence: evidence,
		}) // the engine adds the check's title
	}
	return findings, nil
}

// probePort connects to addr:port and closes the connection at once.
// It reports whether the port accepted, or an error when the outcome
// says nothing about the port (see runPorts).
func probePort(ctx context.Context, env *Env, addr netip.Addr, port int) (bool, error) {
	pctx := ctx
	if env.Timeout > 0 {
		var cancel context.CancelFunc
		pctx, cancel = context.WithTimeout(ctx, env.Timeout)
		defer cancel()
	}
	ep := netip.AddrPortFrom(addr, uint16(port)).String()
	conn, err := env.Dial(pctx, "tcp", ep)
	if err == nil {
		conn.Close()
		return true, nil
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	var refused *netguard.RefusedError
	switch {
	case errors.As(err, &refused):
		return false, err
	case netguard.IsTimeout(err),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EHOSTUNREACH):
		return false, nil
	}
	return false, &EndpointError{Endpoint: ep, Err: err}
}

// expectedWebPorts returns the ports t is meant to serve: 80, 443 and
// the ports of its URLs (an asset https://app.example.com:8443/ serves
// 8443; in tests the engine's test ports).
func expectedWebPorts(env *Env, t Target) map[int]bool {
	ports := map[int]bool{80: true, 443: true}
	for _, raw := range env.URLs(t) {
		u, err := url.Parse(raw)
		if err != nil {
			continue
		}
		if p, err := strconv.Atoi(u.Port()); err == nil {
			ports[p] = true
		}
	}
	return ports
}

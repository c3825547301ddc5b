package scan

import (
	"context"
	"errors"
	"net"
	"net/netip"

	"github.com/partnerportal/portal/internal/asset"
)

// The DNS check of the light and full profiles.

var checkDNSResolve = Check{
	ID:    "dns.resolve",
	Title: "Host name does not resolve to a public address",
	Description: "Looks up the asset's host name. A name without an address is left over " +
		"(a dangling record invites subdomain takeover, and nothing else can be checked); a public " +
		"name that resolves to a private, loopback or link-local address discloses internal addressing.",
	Remediation: "Remove DNS records of hosts that no longer exist, or point them at the service again; " +
		"publish internal addresses only in an internal DNS zone.",
	Severity: SeverityLow,
	Profiles: []Profile{ProfileLight, ProfileFull},
	Applies:  hasHostName,
}

func init() {
	checkDNSResolve.Run = runDNSResolve
	Register(checkDNSResolve)
}

// hasHostName reports whether t's host is a name (not an IP address).
func hasHostName(t Target) bool {
	_, err := netip.ParseAddr(t.Asset.Host)
	return t.Asset.Host != "" && err != nil
}

// runDNSResolve finds "no address" when the name has no A or AAAA
// record, and "non-public address <ip>" for each address the production
// policy would refuse to connect to (whatever the engine's policy).
func runDNSResolve(ctx context.Context, env *Env, t Target) ([]Finding, error) {
	c := checkDNSResolve
	host := t.Asset.Host
	addrs, err := env.LookupAddrs(ctx, host)
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return []Finding{c.Finding(t, "no address", "the DNS lookup of "+host+" found no A or AAAA record")}, nil
	case err != nil:
		return nil, err
	}
	var out []Finding
	for _, ip := range addrs {
		if err := asset.CheckAddr(ip, asset.Policy{}); err != nil {
			out = append(out, c.Finding(t, "non-public address "+ip.String(),
				host+" resolves to "+ip.String()+", "+err.Error()))
		}
	}
	return out, nil
}

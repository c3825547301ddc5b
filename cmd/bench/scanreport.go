package main

import (
	"fmt"
	"strings"

	"github.com/partnerportal/portal/internal/scan"
)

// scanSection is the scan engine against its floor.
func scanSection(r *result) string {
	sb := r.Scan
	if sb == nil || len(sb.Runs) == 0 {
		return ""
	}
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("## Scan engine\n\n")
	p("`internal/scan`'s `Engine.Run`, as `ScanRunService.Run` (functions/scan-run) calls it, scanning a deliberately weak\n")
	p("site on 127.0.0.1. The site runs in a child process of the bench (the same binary, started again with\n")
	p("`%s=1`: `cmd/bench/weaksite.go`), so that the allocations counted below are the scanner's alone, not the\n", weakSiteEnv)
	p("servers' answering it. It is an HTTP and an HTTPS server (`httptest`; the HTTPS one with httptest's self-signed\n")
	p("certificate for 127.0.0.1 and TLS 1.0 and 1.1 accepted) with one handler, the local stack's demo site\n")
	p("(`devserver.WeakSite`): no security headers, a versioned `Server` and `X-Powered-By`, a session cookie without\n")
	p("Secure, HttpOnly or SameSite, no redirect to https, an exposed `/.env` and `/.git/HEAD`, a directory listing at\n")
	p("`/uploads/`, and CORS that reflects any `Origin` with credentials.\n\n")
	p("One scan is of its two endpoints, %s, two `web_app` assets of one site (on ports other than 80 and 443 one URL\n", codeList(portless(sb.Targets)))
	p("asset has either a TLS endpoint or a plain-HTTP one, not both). The engine is\n")
	p("`&scan.Engine{Policy: asset.Policy{AllowPrivate: true}, Ports: …}`, otherwise as in production: system roots (so the\n")
	p("certificate is self-signed to it), %s timeouts, %d checks at a time, its own User-Agent. The full profile's port\n", scan.DefaultTimeout, scan.DefaultConcurrency)
	p("list is %d ports instead of the %d of `scan.DefaultPorts`, to stay local and quick: the two servers' ports and %d\n", len(sb.Ports), len(scan.DefaultPorts), len(sb.Ports)-2)
	p("loopback ports that were free when the site started (closed); each target probes the %d that are not its own\n", len(sb.Ports)-1)
	p("and finds the other server's port open. `dns.resolve` does not apply to IP-address hosts, so no scan here resolves\n")
	p("a name.\n\n")
	p("**Floor.** The network work the same scan cannot avoid, measured in the same run, the two sides alternating\n")
	p("(A,B then B,A) after a warm-up: every distinct HTTP request the site saw during an engine scan of the profile\n")
	p("(method, URL, `Origin` header) sent once through one keep-alive `http.Client` per scan, each body read as the\n")
	p("engine reads it (at most %d KiB); per https target one handshake offering only TLS 1.0 and one offering only\n", scan.DefaultMaxBodyBytes>>10)
	p("TLS 1.1 (the TLS-version check cannot do with fewer; the certificate checks need no handshake of their own, the\n")
	p("https answer's connection presents the certificate); and in the full profile one TCP connect per probed port and\n")
	p("target. At most %d of these are in flight at once, as many as the engine runs checks. Nothing is parsed, judged or\n", scan.DefaultConcurrency)
	p("recorded. The bench checks that every engine scan completes all its checks with the findings of the first scan,\n")
	p("and that the site sees the planned requests from every floor scan.\n\n")
	p("**Allocations** are `runtime.MemStats` deltas of the bench process around each scan (`Mallocs`, `TotalAlloc`), as\n")
	p("`testing.AllocsPerRun` counts them, averaged over the measured scans. Connections, handshakes and requests are\n")
	p("what the site counted per scan (accepted TCP connections, TLS ClientHellos, HTTP requests). CPU is the bench\n")
	p("process's user and system time around each scan (`getrusage`), mean per scan: the scanner's side of the work,\n")
	p("without the servers'.\n\n")

	p("| profile | check runs | findings | **p50 ratio** | p90 ratio | engine p50 | floor p50 | engine p90 | floor p90 | allocs, engine | allocs, floor | **allocs ratio** | KiB, engine | KiB, floor | CPU, engine | CPU, floor |\n")
	p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, x := range sb.Runs {
		p("| `%s` | %d | %d | **%.2f** | %.2f | %s | %s | %s | %s | %s | %s | **%.2f** | %s | %s | %s | %s |\n", x.Profile, x.Checks, x.Findings,
			x.Ratio(50), x.Ratio(90), ms(x.Engine.Stats.P50), ms(x.Floor.Stats.P50), ms(x.Engine.Stats.P90), ms(x.Floor.Stats.P90),
			thousands(int(x.Engine.Mallocs+0.5)), thousands(int(x.Floor.Mallocs+0.5)), x.AllocRatio(),
			thousands(int(x.Engine.Bytes/1024+0.5)), thousands(int(x.Floor.Bytes/1024+0.5)), ms(x.Engine.CPU), ms(x.Floor.CPU))
	}
	p("\n%s scans per profile and side (+%s warm-up). Absolute times are for context only; the 1.5 target bounds HTTP\n",
		thousands(sb.Runs[0].N), thousands(sb.Runs[0].Warmup))
	p("handler overhead and is not applied to a scan, whose floor is network work of another kind.\n\n")
	p("| profile | side | TCP connections | TLS handshakes | HTTP requests |\n|---|---|---:|---:|---:|\n")
	for _, x := range sb.Runs {
		p("| `%s` | engine | %.1f | %.1f | %.1f |\n", x.Profile, x.Engine.Conns, x.Engine.Hellos, x.Engine.Requests)
		p("| `%s` | floor | %.1f | %.1f | %.1f |\n", x.Profile, x.Floor.Conns, x.Floor.Hellos, x.Floor.Requests)
	}
	p("\nWhat each profile found (per scan, both targets): ")
	for i, x := range sb.Runs {
		if i > 0 {
			p("; ")
		}
		p("**%s**: %s", x.Profile, x.byCheck())
	}
	p(".\n\n")
	p("%s", scanAnalysis(sb))
	return b.String()
}

// scanAnalysis explains the difference between engine and floor with the
// figures of the run; the shares come from memory and CPU profiles of 200
// scans of each side (2026-11-26), described in the text.
func scanAnalysis(sb *scanBench) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("### What the difference is\n\n")
	light, full := sb.Runs[0], sb.Runs[len(sb.Runs)-1]
	p("- **More connections and handshakes.** The engine's HTTP client opens a connection per request\n")
	p("  (`DisableKeepAlives` in `internal/scan/env.go`), and the certificate checks make a handshake of their own\n")
	p("  (`tlsPeer`) besides the https answer's. Per light scan that is %.0f connections and %.0f TLS handshakes against\n", light.Engine.Conns, light.Engine.Hellos)
	p("  the floor's %.0f and %.0f; per full scan %.0f and %.0f against %.1f and %.1f. Handshakes are the largest\n",
		light.Floor.Conns, light.Floor.Hellos, full.Engine.Conns, full.Engine.Hellos, full.Floor.Conns, full.Floor.Hellos)
	p("  cost of both sides: in memory profiles of 200 scans (`-memprofilerate=1`, 2026-11-26) `crypto/tls` handshakes\n")
	p("  were about half of the engine's allocations in the light profile and 55 %% in the full one (the floor's: 65 %% and\n")
	p("  62 %%), and in a CPU profile of the light profile half of the engine's CPU (key exchange and the RSA signature\n")
	p("  check); the server side of each handshake (an RSA-2048 signature) is in the child process and shows only as\n")
	p("  wall time. A connection per request keeps checks independent of each other and of the server's keep-alive\n")
	p("  behaviour; against a remote site each extra connection costs round trips, which loopback hides.\n")
	rep := full.Plan.Repeated
	if len(rep) > 0 {
		var urls []string
		for _, r := range rep {
			s := "GET " + portless([]string{r.URL()})[0]
			if r.Origin != "" {
				s += " (Origin " + r.Origin + ")"
			}
			urls = append(urls, "`"+s+"`")
		}
		p("- **Repeated requests.** The full profile's engine sent %s twice per scan (%.0f requests\n", joinWords(urls), full.Engine.Requests)
		p("  against the floor's %.0f distinct ones). A URL asset is stored without a trailing slash\n", full.Floor.Requests)
		p("  (`%s`): the page checks GET it as it is, the directory-listing check GETs the site root as\n", portless(sb.Targets)[0])
		p("  `…/`, and `Env.Get` remembers answers by URL string, so the two are not shared though the request line is\n")
		p("  the same.\n")
	}
	p("- **Check logic.** The rest is the engine's own work: a goroutine, a timeout context and a result channel per\n")
	p("  check (`Engine.runOne`), the certificate chain verification that tells a self-signed certificate from a trusted\n")
	p("  one (`verifyChain`, about 190 allocations per https target in the profile), parsing headers and cookies,\n")
	p("  evidence strings and fingerprints: a few hundred allocations per scan in those profiles. In CPU the engine\n")
	p("  spent %s per light scan and %s per full one against the floor's %s and %s, extra handshakes included.\n\n",
		ms(light.Engine.CPU), ms(full.Engine.CPU), ms(light.Floor.CPU), ms(full.Floor.CPU))
	return b.String()
}

// portless replaces the port of each URL by "<port>" (the weak site's
// ports change from run to run).
func portless(urls []string) []string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = u
		if j := strings.LastIndex(u, ":"); j > strings.Index(u, "://")+2 {
			k := j + 1
			for k < len(u) && u[k] >= '0' && u[k] <= '9' {
				k++
			}
			out[i] = u[:j+1] + "<port>" + u[k:]
		}
	}
	return out
}

// codeList formats strings as `a` and `b`.
func codeList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = "`" + s + "`"
	}
	return joinWords(q)
}

func joinWords(ws []string) string {
	if len(ws) <= 1 {
		return strings.Join(ws, "")
	}
	return strings.Join(ws[:len(ws)-1], ", ") + " and " + ws[len(ws)-1]
}

// scanCostNote explains the scan rows of the cost table.
func scanCostNote(r *result) string {
	const route = "POST /v1/customers/{customerId}/scans"
	perScan, ok1 := findCost(r, route, "full, targets \"all\" (2 verified assets), hard per-scan")
	refused, ok2 := findCost(r, route, "the same again: refused")
	byID, ok3 := findCost(r, route, "full, targets by ID")
	again, ok4 := findCost(r, route, "full, targets \"all\", unlimited")
	first, ok5 := findCost(r, "scan-run", "the scan above (full")
	repeat, ok6 := findCost(r, "scan-run", "the scan above, a repeat")
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 {
		return ""
	}
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("### Scans: admission and the run\n\n")
	p("The rows are of two new customers of the measured partner, each with the weak site's two endpoints (see\n")
	p("[Scan engine](#scan-engine)) as assets, added and verified through the asset service: one with a hard per-scan\n")
	p("license for 1 scan, one with an unlimited license. Every scan is a full scan of both assets.\n\n")
	p("**Admission** (`POST …/scans`, the scans function) is the request alone: `services.New` launches scans in-process\n")
	p("and synchronously, so the bench gives the scans service a launcher that only records what it is handed\n")
	p("(`portal.ScanLauncher`), and runs scan-run separately under a meter of its own. In AWS the launch is one\n")
	p("asynchronous Lambda `Invoke` of scan-run, not a DynamoDB call. With a per-scan license it is %d round trips\n", perScan.RoundTrips())
	p("(%s): the customer, its licenses, its assets (targets `\"all\"`: a `Query`\n", perScan.Operations())
	p("of its partition), then one `TransactWriteItems` of the scan, the count on the license's live counter (conditional:\n")
	p("the hard limit is enforced by that condition, no separate read) and the audit entry. With targets by ID the\n")
	p("assets are one `BatchGetItem` instead (%s, with an unlimited license, whose transaction\n", byID.Operations())
	p("has no counter). A later scan under the unlimited license costs the same as the first (%s).\n", again.Operations())
	p("Refused at the hard limit it is %d round trips (%s): the same reads, the\n", refused.RoundTrips(), refused.Operations())
	p("transaction cancelled by the counter's condition (no capacity reported; see the notes at the end), then a\n")
	p("one-item `TransactWriteItems` writing the refused scan (conditional on its absence), so that it is listed with\n")
	p("its reason.\n\n")
	puts := 0
	for _, c := range first.Calls {
		if c.Operation == "PutItem" {
			puts++
		}
	}
	p("**scan-run** (`ScanRunService.Run`, what functions/scan-run does with the reference) is %d round trips for the\n", first.RoundTrips())
	p("customer's first scan (%s).\nBesides %d `PutItem`s, one per finding (each conditional on the version read: created new, or over its\n", first.Operations(), puts)
	p("previous version; one whose condition fails is skipped), it is %d calls: read the scan, mark it running (a\n", first.RoundTrips()-puts)
	p("transaction conditional on its version), read the targets\n")
	p("(`BatchGetItem`), run the engine, read the scan again (a scan cancelled meanwhile is left alone), read the\n")
	p("customer's findings (`Query`), write the findings, finish the scan (a transaction) and move the customer's\n")
	p("`lastScanAt` (`UpdateItem`). A repeat scan that sees the same findings is %d round trips (%s):\n", repeat.RoundTrips(), repeat.Operations())
	p("every finding it sees is written again, for its `lastSeenAt` and last scan, and so is every open finding of a\n")
	p("check that ran and no longer sees it (now fixed). The run therefore grows by one write per finding, not per check\n")
	p("or per target; the engine itself makes no DynamoDB call. The runs here make no scan report: the bench's services\n")
	p("have no report store configured.\n\n")
	return b.String()
}

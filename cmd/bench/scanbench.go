package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/partnerportal/portal/internal/asset"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/scan"
)

// The scan engine (internal/scan) is measured on the weak site (weaksite.go):
// one scan of its two endpoints, http://127.0.0.1:<port>/ and
// https://127.0.0.1:<port>/ (two web_app assets of one site), with the light
// and with the full profile, against a floor that makes the same network
// exchanges without any check logic.

// scanBench is the scan engine against its floor, per profile.
type scanBench struct {
	Targets []string // the assets' URLs
	Ports   []int    // the full profile's port list (Engine.Ports)
	Runs    []scanRun
}

// scanRun is one profile's measurement.
type scanRun struct {
	Profile   scan.Profile
	N, Warmup int
	Engine    scanSide
	Floor     scanSide
	Checks    int            // check runs per scan (checks × the targets they apply to), all completed
	Findings  int            // findings per scan
	ByCheck   map[string]int // findings per check ID
	Plan      floorPlan
}

// Ratio returns engine / floor wall time at percentile p (50, 90 or 99).
func (r scanRun) Ratio(p int) float64 {
	return float64(r.Engine.Stats.at(p)) / float64(r.Floor.Stats.at(p))
}

// AllocRatio returns engine / floor allocations (count) per scan.
func (r scanRun) AllocRatio() float64 { return r.Engine.Mallocs / r.Floor.Mallocs }

// ByteRatio returns engine / floor allocated bytes per scan.
func (r scanRun) ByteRatio() float64 { return r.Engine.Bytes / r.Floor.Bytes }

// scanSide is what one side did per scan: wall time percentiles, mean
// allocations (runtime.MemStats Mallocs and TotalAlloc deltas) and, as the
// weak site counted them, mean TCP connections, TLS ClientHellos and HTTP
// requests. CPU is the mean CPU time of the bench process per scan.
type scanSide struct {
	Stats                   stats
	Mallocs, Bytes          float64
	CPU                     time.Duration // user + system CPU time of the bench process (getrusage)
	Conns, Hellos, Requests float64
}

// scanSample is one timed scan of one side.
type scanSample struct {
	d, cpu         time.Duration
	mallocs, bytes uint64
	seen           siteCounts
}

// cpuTime returns the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// weakTargets returns the weak site's two endpoints as scan targets, as
// the asset service normalises them under a policy allowing loopback.
func weakTargets(w *weakSite) ([]scan.Target, error) {
	var out []scan.Target
	for _, u := range []string{w.HTTP + "/", w.HTTPS + "/"} {
		a, err := asset.Normalize(u, false, asset.Policy{AllowPrivate: true})
		if err != nil {
			return nil, fmt.Errorf("weak site target %s: %w", u, err)
		}
		out = append(out, scan.Target{AssetID: portal.AssetID(a.Value), Asset: a})
	}
	return out, nil
}

// weakPorts is the full profile's port list on the weak site: its two
// servers' ports (each target reports the other's as open) and five
// loopback ports that were free when the site started (closed).
func weakPorts(w *weakSite) []int {
	ports := []int{portOf(w.HTTP), portOf(w.HTTPS)}
	return append(ports, w.Closed...)
}

func portOf(rawURL string) int {
	u, err := url.Parse(rawURL)
	if err != nil {
		return 0
	}
	p, _ := strconv.Atoi(u.Port())
	return p
}

// weakEngine is the engine the measurements use: loopback allowed, the
// weak site's port list, every other setting the production default
// (system roots, timeouts, concurrency, User-Agent).
func weakEngine(w *weakSite) *scan.Engine {
	return &scan.Engine{Policy: asset.Policy{AllowPrivate: true}, Ports: weakPorts(w)}
}

// scanEngine measures the light and the full profile.
func (b *bench) scanEngine(ctx context.Context) (*scanBench, error) {
	if b.o.scanN <= 0 {
		return nil, nil
	}
	targets, err := weakTargets(b.weak)
	if err != nil {
		return nil, err
	}
	sb := &scanBench{Ports: weakPorts(b.weak)}
	for _, t := range targets {
		sb.Targets = append(sb.Targets, t.Asset.Value)
	}
	engine := weakEngine(b.weak)
	for _, p := range []scan.Profile{scan.ProfileLight, scan.ProfileFull} {
		r, err := b.scanProfile(ctx, engine, p, targets)
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", p, err)
		}
		log.Printf("scan %-8s p50 %8s vs %8s  ratio %.2f   p90 ratio %.2f   allocs %.0f vs %.0f (%.2f)",
			p, round(r.Engine.Stats.P50), round(r.Floor.Stats.P50), r.Ratio(50), r.Ratio(90), r.Engine.Mallocs, r.Floor.Mallocs, r.AllocRatio())
		sb.Runs = append(sb.Runs, r)
	}
	return sb, nil
}

// wantChecks are the check IDs that must find something on each target of
// the weak site, by profile and scheme.
func wantChecks(p scan.Profile, scheme string) []string {
	want := []string{"http.csp-missing", "http.nosniff-missing", "http.frame-protection-missing",
		"http.referrer-policy-missing", "http.cookie-insecure", "http.server-disclosure"}
	if scheme == "https" {
		want = append(want, "http.hsts-missing", "tls.self-signed", "tls.legacy-protocol")
	} else {
		want = append(want, "http.no-https-redirect")
	}
	if p == scan.ProfileFull {
		want = append(want, scan.SensitiveFileCheckID, scan.DirectoryListingCheckID, scan.CORSCheckID, scan.PortsCheckID)
	}
	return want
}

// checkResult fails unless every check completed and found what the weak
// site offers it.
func checkResult(p scan.Profile, targets []scan.Target, res scan.Result) error {
	if len(res.Errors) > 0 {
		e := res.Errors[0]
		return fmt.Errorf("%d checks did not complete, first %s on %s: %s", len(res.Errors), e.CheckID, e.AssetID, e.Error)
	}
	for _, t := range targets {
		found := map[string]bool{}
		for _, f := range res.Findings {
			if f.AssetID == t.AssetID {
				found[f.CheckID] = true
			}
		}
		u, _ := url.Parse(t.Asset.Value)
		for _, id := range wantChecks(p, u.Scheme) {
			if !found[id] {
				return fmt.Errorf("no %s finding on %s", id, t.Asset.Value)
			}
		}
	}
	return nil
}

// scanProfile measures profile p: one calibration scan (checked, and the
// requests the site saw become the floor's plan), warm-up rounds, then
// N rounds of engine and floor alternating which goes first.
func (b *bench) scanProfile(ctx context.Context, engine *scan.Engine, p scan.Profile, targets []scan.Target) (scanRun, error) {
	w := b.weak
	if _, err := w.counts(ctx); err != nil { // start counting from here
		return scanRun{}, err
	}
	res, err := engine.Run(ctx, p, targets)
	if err != nil {
		return scanRun{}, err
	}
	if err := checkResult(p, targets, res); err != nil {
		return scanRun{}, err
	}
	seen, err := w.counts(ctx)
	if err != nil {
		return scanRun{}, err
	}
	run := scanRun{Profile: p, N: b.o.scanN, Warmup: b.warmups(b.o.scanN), Findings: len(res.Findings), ByCheck: map[string]int{}}
	for _, f := range res.Findings {
		run.ByCheck[f.CheckID]++
	}
	for _, ids := range res.Ran {
		run.Checks += len(ids)
	}
	run.Plan = planFloor(p, targets, seen, weakPorts(w))
	engineRequests := len(seen.Requests)

	engineScan := func() error {
		res, err := engine.Run(ctx, p, targets)
		switch {
		case err != nil:
			return err
		case len(res.Errors) > 0:
			return fmt.Errorf("%d checks did not complete, first %s: %s", len(res.Errors), res.Errors[0].CheckID, res.Errors[0].Error)
		case len(res.Findings) != run.Findings:
			return fmt.Errorf("%d findings, the first scan had %d", len(res.Findings), run.Findings)
		}
		return nil
	}
	floorScan := func() error { return run.Plan.run(ctx) }
	measure := func(side string, f func() error, wantRequests int) (scanSample, error) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		cpu := cpuTime()
		start := time.Now()
		err := f()
		d := time.Since(start)
		cpu = cpuTime() - cpu
		runtime.ReadMemStats(&after)
		if err != nil {
			return scanSample{}, fmt.Errorf("%s: %w", side, err)
		}
		seen, err := w.counts(ctx)
		if err == nil && len(seen.Requests) != wantRequests {
			err = fmt.Errorf("%s: the site saw %d requests, want %d", side, len(seen.Requests), wantRequests)
		}
		return scanSample{d: d, cpu: cpu, mallocs: after.Mallocs - before.Mallocs, bytes: after.TotalAlloc - before.TotalAlloc, seen: seen}, err
	}
	for i := range run.Warmup {
		if _, err := measure("engine", engineScan, engineRequests); err != nil {
			return run, fmt.Errorf("warm-up %d: %w", i, err)
		}
		if _, err := measure("floor", floorScan, len(run.Plan.Requests)); err != nil {
			return run, fmt.Errorf("warm-up %d: %w", i, err)
		}
	}
	runtime.GC()
	es, fs := make([]scanSample, 0, run.N), make([]scanSample, 0, run.N)
	for i := range run.N {
		first, second := true, false // engine first on even rounds
		if i%2 == 1 {
			first, second = false, true
		}
		for _, engineSide := range []bool{first, second} {
			if engineSide {
				s, err := measure("engine", engineScan, engineRequests)
				if err != nil {
					return run, fmt.Errorf("iteration %d: %w", i, err)
				}
				es = append(es, s)
			} else {
				s, err := measure("floor", floorScan, len(run.Plan.Requests))
				if err != nil {
					return run, fmt.Errorf("iteration %d: %w", i, err)
				}
				fs = append(fs, s)
			}
		}
	}
	run.Engine, run.Floor = sideOf(es), sideOf(fs)
	return run, nil
}

func sideOf(ss []scanSample) scanSide {
	var s scanSide
	ds := make([]time.Duration, len(ss))
	for i, x := range ss {
		ds[i] = x.d
		s.CPU += x.cpu
		s.Mallocs += float64(x.mallocs)
		s.Bytes += float64(x.bytes)
		s.Conns += float64(x.seen.Conns)
		s.Hellos += float64(x.seen.Hellos)
		s.Requests += float64(len(x.seen.Requests))
	}
	n := float64(len(ss))
	s.Stats = statsOf(ds)
	s.CPU /= time.Duration(len(ss))
	s.Mallocs, s.Bytes, s.Conns, s.Hellos, s.Requests = s.Mallocs/n, s.Bytes/n, s.Conns/n, s.Hellos/n, s.Requests/n
	return s
}

// floorPlan is the network work a scan cannot avoid, taken from what the
// engine's own scan did:
//
//   - every distinct HTTP request the site saw during the engine's
//     calibration scan (method, URL, Origin header), sent once through one
//     keep-alive http.Client per scan, its body read (at most
//     scan.DefaultMaxBodyBytes, as the engine reads it); the certificate
//     checks need nothing more than the https answer's connection state;
//   - for the TLS-version check, per https target one handshake offering
//     only TLS 1.0 and one offering only TLS 1.1 (crypto/tls on a plain
//     net.Dialer connection);
//   - for the port check (full profile), per target one TCP connect to each
//     port of the list except 80, 443 and the target's own port (as
//     internal/scan's expectedWebPorts), closed at once.
//
// At most scan.DefaultConcurrency of them are in flight at once, as many as
// the engine runs checks at once.
type floorPlan struct {
	Requests []siteRequest
	Repeated []siteRequest // requests the engine sent more than once (once each here)
	Legacy   []string      // https endpoints, host:port: two handshakes each
	Connects []string      // host:port
}

// legacyVersions are the versions the TLS-version check offers alone.
var legacyVersions = []uint16{tls.VersionTLS10, tls.VersionTLS11}

// Handshakes returns the TLS handshakes of the plan that are not part of
// an HTTP request.
func (p floorPlan) Handshakes() int { return len(p.Legacy) * len(legacyVersions) }

func planFloor(prof scan.Profile, targets []scan.Target, seen siteCounts, ports []int) floorPlan {
	var p floorPlan
	distinct := map[siteRequest]int{}
	for _, r := range seen.Requests {
		if distinct[r]++; distinct[r] == 1 {
			p.Requests = append(p.Requests, r)
		} else if distinct[r] == 2 {
			p.Repeated = append(p.Repeated, r)
		}
	}
	has := map[string]bool{}
	for _, c := range scan.Checks(prof) {
		has[c.ID] = true
	}
	for _, t := range targets {
		u, err := url.Parse(t.Asset.Value)
		if err != nil {
			continue
		}
		if has["tls.legacy-protocol"] && u.Scheme == "https" {
			p.Legacy = append(p.Legacy, u.Host)
		}
		if has[scan.PortsCheckID] {
			own, _ := strconv.Atoi(u.Port())
			for _, port := range ports {
				if port != 80 && port != 443 && port != own {
					p.Connects = append(p.Connects, net.JoinHostPort(t.Asset.Host, strconv.Itoa(port)))
				}
			}
		}
	}
	return p
}

// run does the plan once.
func (p floorPlan) run(ctx context.Context) error {
	tr := &http.Transport{
		Proxy: nil, TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
		MaxIdleConnsPerHost: scan.DefaultConcurrency, DisableCompression: true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	d := &net.Dialer{Timeout: scan.DefaultTimeout}
	ops := make([]func() error, 0, len(p.Requests)+p.Handshakes()+len(p.Connects))
	for _, r := range p.Requests {
		ops = append(ops, func() error {
			req, err := http.NewRequestWithContext(ctx, r.Method, r.URL(), nil)
			if err != nil {
				return err
			}
			if r.Origin != "" {
				req.Header.Set("Origin", r.Origin)
			}
			res, err := client.Do(req)
			if err != nil {
				return err
			}
			defer res.Body.Close()
			_, err = io.ReadAll(io.LimitReader(res.Body, scan.DefaultMaxBodyBytes+1))
			return err
		})
	}
	for _, ep := range p.Legacy {
		for _, v := range legacyVersions {
			ops = append(ops, func() error {
				conn, err := d.DialContext(ctx, "tcp", ep)
				if err != nil {
					return err
				}
				tc := tls.Client(conn, &tls.Config{InsecureSkipVerify: true, MinVersion: v, MaxVersion: v})
				defer tc.Close()
				return tc.HandshakeContext(ctx)
			})
		}
	}
	for _, ep := range p.Connects {
		ops = append(ops, func() error {
			conn, err := d.DialContext(ctx, "tcp", ep)
			if errors.Is(err, syscall.ECONNREFUSED) {
				return nil
			}
			if err != nil {
				return err
			}
			return conn.Close()
		})
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	sem := make(chan struct{}, scan.DefaultConcurrency)
	for _, op := range ops {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := op(); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// byCheck lists findings per check, "http.cookie-insecure 2, …", sorted.
func (r scanRun) byCheck() string {
	ids := make([]string, 0, len(r.ByCheck))
	for id := range r.ByCheck {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprintf("`%s` %d", id, r.ByCheck[id])
	}
	return strings.Join(parts, ", ")
}

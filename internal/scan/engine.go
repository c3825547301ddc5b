package scan

import (
	"cmp"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/partnerportal/portal/internal/asset"
	"github.com/partnerportal/portal/internal/netguard"
)

// Engine defaults, used when the corresponding Engine field is zero.
const (
	// DefaultBudget bounds a whole scan, well inside the 15-minute Lambda
	// limit.
	DefaultBudget = 60 * time.Second
	// DefaultCheckTimeout bounds one check on one target.
	DefaultCheckTimeout = 20 * time.Second
	// DefaultTimeout bounds each connection attempt, TLS handshake and
	// wait for response headers.
	DefaultTimeout = 5 * time.Second
	// DefaultConcurrency is how many checks run at once.
	DefaultConcurrency = 8
	// DefaultUserAgent identifies the scanner in every HTTP request.
	DefaultUserAgent = "PartnerPortal-Scanner/1 (+https://partner-portal.example/scanner)"
)

// Engine runs registered checks against targets. It implements Runner.
// Set its fields before first use and do not change them afterwards; it
// is then safe for concurrent use (each Run has its own connections and
// state).
type Engine struct {
	// Policy decides which addresses may be connected to and which
	// targets may be scanned at all; the zero Policy (production) allows
	// only public ones.
	Policy asset.Policy
	// DNSServer is the host:port of the DNS server that resolves names,
	// or "" for the system resolver.
	DNSServer string
	// Budget bounds a whole Run; zero means DefaultBudget.
	Budget time.Duration
	// CheckTimeout bounds one check on one target; zero means
	// DefaultCheckTimeout.
	CheckTimeout time.Duration
	// Timeout bounds each connection attempt, TLS handshake and wait for
	// response headers; zero means DefaultTimeout.
	Timeout time.Duration
	// Concurrency is how many checks run at once; zero means
	// DefaultConcurrency.
	Concurrency int
	// UserAgent is sent with every HTTP request; "" means
	// DefaultUserAgent.
	UserAgent string
	// Roots are the certificate authorities TLS checks trust; nil means
	// the system roots (tests pass their own CA).
	Roots *x509.CertPool
	// Now is the clock for Result times and certificate checks; nil
	// means time.Now.
	Now func() time.Time
	// Ports is the port list of the full profile's port check; nil means
	// DefaultPorts.
	Ports []int

	// ports replaces the default port of a scheme ("http", "https") for
	// domain, subdomain and IP assets; tests only.
	ports map[string]int
	// checks replaces the registry; tests only.
	checks []Check
}

var _ Runner = (*Engine)(nil)

func (e *Engine) budget() time.Duration       { return orDefault(e.Budget, DefaultBudget) }
func (e *Engine) checkTimeout() time.Duration { return orDefault(e.CheckTimeout, DefaultCheckTimeout) }
func (e *Engine) timeout() time.Duration      { return orDefault(e.Timeout, DefaultTimeout) }

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// profileChecks returns the checks of p, from the test hook or the
// registry.
func (e *Engine) profileChecks(p Profile) []Check {
	if e.checks == nil {
		return Checks(p)
	}
	var out []Check
	for _, c := range e.checks {
		if c.In(p) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b Check) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// job is one check on one target.
type job struct {
	t Target
	c Check
}

// Run scans targets with every check of profile that applies to each,
// at most Concurrency checks at a time, each bounded by CheckTimeout,
// all bounded by Budget and ctx. A target the Policy rejects (say, on a
// loopback address under the production policy) is not connected to:
// each of its checks gets a CheckError saying why.
//
// Error contract: the error is non-nil only for an unknown profile (its
// message lists the profiles; nothing is run). Everything else is in the
// Result: a check that fails, times out, or is not started before the
// budget or ctx ends is a CheckError with a user-facing message and no
// findings; Ran lists, per asset ID (every target has an entry), the
// IDs of the checks that completed, sorted. Findings are sorted by
// asset ID, check ID and detail; duplicates (same fingerprint) are kept
// once. Errors are sorted by asset ID and check ID.
func (e *Engine) Run(ctx context.Context, profile Profile, targets []Target) (Result, error) {
	if _, err := ParseProfile(string(profile)); err != nil {
		return Result{}, err
	}
	res := Result{StartedAt: e.now(), Ran: map[string][]string{}}
	budget := e.budget()
	bctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()

	now := e.Now
	if now == nil {
		now = time.Now
	}
	ports := e.Ports
	if ports == nil {
		ports = DefaultPorts
	}
	ua := e.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	env := newEnv(netguard.New(e.Policy, e.DNSServer, e.timeout()), ua, e.Roots, ports, now, e.timeout(), e.ports)
	defer env.client.CloseIdleConnections()

	var (
		mu   sync.Mutex
		jobs []job
	)
	checks := e.profileChecks(profile)
	for _, t := range targets {
		if _, ok := res.Ran[t.AssetID]; !ok {
			res.Ran[t.AssetID] = []string{}
		}
		refusal := e.refusal(t)
		for _, c := range checks {
			if !c.applies(t) {
				continue
			}
			if refusal != "" {
				res.Errors = append(res.Errors, CheckError{CheckID: c.ID, AssetID: t.AssetID, Error: refusal})
				continue
			}
			jobs = append(jobs, job{t: t, c: c})
		}
	}

	concurrency := e.Concurrency
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for _, j := range jobs {
		select {
		case sem <- struct{}{}:
		case <-bctx.Done():
		}
		if bctx.Err() != nil {
			mu.Lock()
			res.Errors = append(res.Errors, CheckError{CheckID: j.c.ID, AssetID: j.t.AssetID, Error: e.stopped(ctx, "not run")})
			mu.Unlock()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			findings, errText := e.runOne(ctx, bctx, env, j)
			mu.Lock()
			defer mu.Unlock()
			if errText != "" {
				res.Errors = append(res.Errors, CheckError{CheckID: j.c.ID, AssetID: j.t.AssetID, Error: errText})
				return
			}
			res.Ran[j.t.AssetID] = append(res.Ran[j.t.AssetID], j.c.ID)
			res.Findings = append(res.Findings, findings...)
		}()
	}
	wg.Wait()

	res.Findings = dedupe(res.Findings)
	slices.SortFunc(res.Findings, func(a, b Finding) int {
		return cmp.Or(strings.Compare(a.AssetID, b.AssetID), strings.Compare(a.CheckID, b.CheckID), strings.Compare(a.Detail, b.Detail))
	})
	slices.SortFunc(res.Errors, func(a, b CheckError) int {
		return cmp.Or(strings.Compare(a.AssetID, b.AssetID), strings.Compare(a.CheckID, b.CheckID))
	})
	for id := range res.Ran {
		slices.Sort(res.Ran[id])
		res.Ran[id] = slices.Compact(res.Ran[id]) // a target listed twice
	}
	res.FinishedAt = e.now()
	return res, nil
}

// outcome is what one check returned.
type outcome struct {
	findings []Finding
	err      error
}

// runOne runs j under the check timeout and returns its findings, or a
// user-facing error text. A check that does not return when its context
// ends is abandoned (its goroutine finishes on its own; what it returns
// then is dropped).
func (e *Engine) runOne(ctx, bctx context.Context, env *Env, j job) ([]Finding, string) {
	cctx, cancel := context.WithTimeout(bctx, e.checkTimeout())
	defer cancel()
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- outcome{err: &UserError{Msg: "the check failed (internal error)"}}
			}
		}()
		f, err := j.c.Run(cctx, env, j.t)
		done <- outcome{findings: f, err: err}
	}()
	var o outcome
	select {
	case o = <-done:
	case <-cctx.Done():
		select {
		case o = <-done:
		default:
			o.err = cctx.Err()
		}
	}
	if o.err == nil {
		for i := range o.findings {
			f := &o.findings[i]
			f.CheckID, f.AssetID = j.c.ID, j.t.AssetID
			if f.Severity == "" {
				f.Severity = j.c.Severity
			}
			if f.Title == "" {
				f.Title = j.c.Title
			}
		}
		return o.findings, ""
	}
	var ue *UserError
	switch {
	case errors.As(o.err, &ue):
		return nil, ue.Msg
	case bctx.Err() != nil:
		return nil, e.stopped(ctx, "not finished")
	case cctx.Err() != nil:
		return nil, "not finished: timed out after " + e.checkTimeout().String()
	}
	return nil, describe(o.err, e.timeout())
}

// stopped phrases why a check did not run or finish when the scan's
// context ended: its budget, or the caller's ctx.
func (e *Engine) stopped(ctx context.Context, what string) string {
	if ctx.Err() != nil {
		return what + ": the scan was stopped"
	}
	return what + ": the scan's time budget (" + e.budget().String() + ") ran out"
}

// refusal returns why t may not be scanned under the policy, or "".
func (e *Engine) refusal(t Target) string {
	a, err := asset.Normalize(t.Asset.Value, t.Asset.Type == asset.API, e.Policy)
	if err != nil {
		host := t.Asset.Host
		if host == "" {
			host = t.Asset.Value
		}
		return "not scanned: " + host + " is " + err.Error()
	}
	if a.Host != t.Asset.Host || a.Type != t.Asset.Type {
		return fmt.Sprintf("not scanned: %s is not a valid %s asset", t.Asset.Value, t.Asset.Type)
	}
	return ""
}

// describe phrases a check's error for the user, naming the URL or
// endpoint it concerns when the error says which.
func describe(err error, timeout time.Duration) string {
	text := netguard.Describe(err, timeout)
	var ue *url.Error
	var ee *EndpointError
	switch {
	case errors.As(err, &ee):
		return ee.Endpoint + ": " + text
	case errors.As(err, &ue):
		return strings.ToUpper(ue.Op) + " " + ue.URL + ": " + text
	}
	return text
}

// EndpointError is an error reaching Endpoint ("example.com:443"); the
// engine names the endpoint in the CheckError.
type EndpointError struct {
	// Endpoint is "host:port" as the check dialled it.
	Endpoint string
	// Err is what went wrong there.
	Err error
}

// Error returns the endpoint and the error's message.
func (e *EndpointError) Error() string { return e.Endpoint + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *EndpointError) Unwrap() error { return e.Err }

// dedupe keeps the first finding of each fingerprint.
func dedupe(fs []Finding) []Finding {
	seen := map[string]bool{}
	out := fs[:0]
	for _, f := range fs {
		fp := f.Fingerprint()
		if seen[fp] {
			continue
		}
		seen[fp] = true
		out = append(out, f)
	}
	return out
}

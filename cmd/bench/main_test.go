package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/scan"
	"github.com/partnerportal/portal/internal/services"
)

// TestMain lets this test binary serve the bench's weak site when the bench
// starts it as its child process (weaksite.go).
func TestMain(m *testing.M) {
	if serveWeakSiteIfAsked() {
		return
	}
	os.Exit(m.Run())
}

// The benchmark itself is not run by `make test` (it takes minutes), but a
// small run of the same code is, so that `make bench` cannot silently break
// when the store, the handlers, the usage stream or the scans change. It asserts what
// the run produces, never how fast.
func TestBenchRunsEndToEndOnASmallTable(t *testing.T) {
	t.Setenv(services.EnvEndpoint, ddbtest.Endpoint(t))
	doc := filepath.Join(t.TempDir(), "PERFORMANCE.md")
	o := options{
		doc: doc, customers: 120, others: 10, licensed: 20, workers: 4,
		getN: 5, listN: 3, authN: 5, marginsN: 2,
		streamN: 40, streamBatch: 10, streamTenants: 6, scanN: 3,
		schedulesN: 20, vulndbN: 30, vulndbPage: 10, automationRuns: 2,
		stackGetN: 5, stackLoad: 32, coldStarts: 1, startupRuns: 1,
		warmup: 0.2, skipSizes: true,
	}
	res, err := run(context.Background(), o)
	if err != nil {
		t.Fatalf("bench: %v", err)
	}

	t.Run("ConsolePageIsOneQueryWhateverTheSize", func(t *testing.T) {
		p := res.ConsolePage
		if p == nil {
			t.Fatal("no console page measurement")
		}
		if p.Rows != 25 || p.HTMLBytes <= 0 {
			t.Errorf("console page: %d rows, %d bytes; want 25 rows", p.Rows, p.HTMLBytes)
		}
		if got := callList(p.ConsoleCalls); len(p.ConsoleCalls) != 1 || !strings.HasPrefix(got, "Query") {
			t.Errorf("the console's calls for one page = %s, want one Query (no call per row)", got)
		}
		if got := callList(p.AuthorizerCalls); len(p.AuthorizerCalls) != 1 || !strings.HasPrefix(got, "GetItem") {
			t.Errorf("the authorizer's calls for a session = %s, want one GetItem", got)
		}
		if !strings.Contains(consoleSection(res), "round trips") {
			t.Error("PERFORMANCE.md has no console section")
		}
	})

	t.Run("UsageStreamComparison", func(t *testing.T) {
		s := res.Stream
		if s == nil {
			t.Fatal("no usage-stream comparison")
		}
		// 4 measured batches of 10 after 10 warm-up batches (the minimum).
		if got, want := s.Records, 40; got != want {
			t.Errorf("measured records = %d, want %d", got, want)
		}
		if got, want := s.Warm, 100; got != want {
			t.Errorf("warm-up records = %d, want %d", got, want)
		}
		if got, want := s.Adds+s.Deletes+s.Scans, s.Handled(); got != want {
			t.Errorf("changes made = %d, want one per record (%d)", got, want)
		}
		if s.Scans == 0 || s.Deletes == 0 {
			t.Errorf("the records hold %d scans and %d deletes, want some of each", s.Scans, s.Deletes)
		}
		// Consecutive counter records are applied together: one
		// transaction per group of up to 25 in a batch, never one per
		// record when nothing conflicts (the bench checked the ledger counts
		// each record once).
		if got, most := s.Count("TransactWriteItems"), s.Handled(); got < 1 || got >= most {
			t.Errorf("TransactWriteItems = %d, want fewer than one per record (%d)", got, most)
		}
		if s.APITotal <= 0 || s.FloorTotal <= 0 || s.FloorWCU <= 0 {
			t.Errorf("nothing measured: %+v", s)
		}
	})

	t.Run("StreamRecordCosts", func(t *testing.T) {
		want := map[string]bool{"no alert": false, "raises the 90 % alert": false, "already marked": false, "publish, then mark": false}
		for _, c := range res.StreamCosts {
			for k := range want {
				if strings.Contains(c.Record, k) {
					want[k] = true
				}
			}
			if strings.Contains(c.Record, "publish, then mark") && c.Publishes != 1 {
				t.Errorf("%s: %d PutEvents, want 1", c.Record, c.Publishes)
			}
		}
		for k, found := range want {
			if !found {
				t.Errorf("no stream cost row %q", k)
			}
		}
	})

	t.Run("ScanEngine", func(t *testing.T) {
		sb := res.Scan
		if sb == nil || len(sb.Runs) != 2 {
			t.Fatalf("scan engine runs = %+v, want light and full", sb)
		}
		light, full := sb.Runs[0], sb.Runs[1]
		if light.Profile != scan.ProfileLight || full.Profile != scan.ProfileFull {
			t.Fatalf("profiles %s, %s; want light, full", light.Profile, full.Profile)
		}
		for _, r := range sb.Runs {
			if r.N != 3 || r.Checks == 0 || r.Findings == 0 {
				t.Errorf("%s: %d scans, %d check runs, %d findings; want 3 scans with checks and findings", r.Profile, r.N, r.Checks, r.Findings)
			}
			for side, x := range map[string]scanSide{"engine": r.Engine, "floor": r.Floor} {
				if x.Stats.P50 <= 0 || x.Mallocs <= 0 || x.Bytes <= 0 || x.Conns <= 0 || x.Requests <= 0 {
					t.Errorf("%s %s: nothing measured: %+v", r.Profile, side, x)
				}
			}
			// The floor sends each distinct request the engine sent, once.
			if got := r.Floor.Requests; got != float64(len(r.Plan.Requests)) || got > r.Engine.Requests {
				t.Errorf("%s: floor requests %.1f, plan %d, engine %.1f", r.Profile, got, len(r.Plan.Requests), r.Engine.Requests)
			}
			if len(r.Plan.Legacy) != 1 {
				t.Errorf("%s: TLS-version handshakes planned at %v, want the https endpoint", r.Profile, r.Plan.Legacy)
			}
		}
		// Each target probes every port of the list but its own.
		if got, want := len(full.Plan.Connects), 2*(len(sb.Ports)-1); got != want || len(light.Plan.Connects) != 0 {
			t.Errorf("port connects planned: light %d, full %d; want 0 and %d", len(light.Plan.Connects), got, want)
		}
		if full.Findings <= light.Findings || full.ByCheck[scan.PortsCheckID] != 2 || full.ByCheck[scan.CORSCheckID] != 2 {
			t.Errorf("full found %v, light %v", full.ByCheck, light.ByCheck)
		}
	})

	t.Run("ScanCosts", func(t *testing.T) {
		const route = "POST /v1/customers/{customerId}/scans"
		var posts, runs []routeCost
		for _, c := range res.Costs {
			switch c.Route {
			case route:
				posts = append(posts, c)
			case "scan-run":
				runs = append(runs, c)
			}
		}
		if len(posts) != 4 || len(runs) != 2 {
			t.Fatalf("%d admission rows and %d scan-run rows, want 4 and 2", len(posts), len(runs))
		}
		last := func(c routeCost) string { return c.Calls[len(c.Calls)-1].Operation }
		// Each admission ends in its transaction; the refused one's is
		// cancelled, then the refused scan is written.
		for i, want := range []int{1, 2, 1, 1} {
			c, n := posts[i], 0
			for _, call := range c.Calls {
				if call.Operation == "TransactWriteItems" {
					n++
				}
			}
			if c.RoundTrips() == 0 || last(c) != "TransactWriteItems" || n != want {
				t.Errorf("%s: %s, want %d TransactWriteItems, the last call", c.Variant, c.Operations(), want)
			}
		}
		// The run writes one finding per PutItem, as many as the engine
		// finds on the weak site with the full profile.
		for _, c := range runs {
			puts := 0
			for _, call := range c.Calls {
				if call.Operation == "PutItem" {
					puts++
				}
			}
			if res.Scan != nil && puts != res.Scan.Runs[1].Findings {
				t.Errorf("%s: %d PutItem, want one per finding (%d)", c.Variant, puts, res.Scan.Runs[1].Findings)
			}
			if c.RoundTrips() != puts+7 || last(c) != "UpdateItem" {
				t.Errorf("%s: %s, want 7 calls besides the findings, the last lastScanAt's UpdateItem", c.Variant, c.Operations())
			}
		}
	})

	t.Run("ScanAutomation", func(t *testing.T) {
		a := res.Automation
		if a == nil || a.Create == nil || a.Fanout == nil {
			t.Fatalf("scan automation = %+v, want schedule creation and the fan-out", a)
		}
		c, runs := a.Create, o.automationRuns
		if c.Customers != 20 || c.N != runs || c.Ratio() <= 0 || c.API.CPU <= 0 || c.Floor.CPU <= 0 {
			t.Errorf("schedule create: %d customers, %d runs, ratio %.2f, CPU %s/%s", c.Customers, c.N, c.Ratio(), c.API.CPU, c.Floor.CPU)
		}
		// Every customer got a schedule in every run: one trigger and one
		// transaction (the schedule and its audit entry) each, and the
		// floor made the same requests.
		for side, ops := range map[string][]opStat{"handler": c.Ops, "floor": c.FloorOps} {
			for op, want := range map[string]int{"CreateSchedule": 20 * runs, "TransactWriteItems": 20 * runs, "BatchGetItem": runs} {
				if got := count(ops, op); got != want {
					t.Errorf("schedule create, %s: %d %s in %d runs, want %d", side, got, op, runs, want)
				}
			}
		}
		if rt, rcu, wcu := ddb(c.Ops); rt != 21*runs || rcu <= 0 || wcu <= 0 {
			t.Errorf("schedule create: %d round trips (%v RCU, %v WCU) in %d runs, want %d with capacity", rt, rcu, wcu, runs, 21*runs)
		}

		f := a.Fanout
		if f.Subscribers != 30 || f.Bystanders < 1 || f.N != runs || f.Ratio() <= 0 {
			t.Errorf("fan-out: %d subscribers, %d bystanders, %d runs, ratio %.2f", f.Subscribers, f.Bystanders, f.N, f.Ratio())
		}
		// Every subscriber got one scan launched per update (the bench
		// checks which customers); pages of 10, so at least 3 invocations,
		// none handling more than a page.
		if f.LambdaInvokes != 30 || f.FloorInvokes != 30 {
			t.Errorf("fan-out: %.1f scan-run invokes per update, floor %.1f; want 30", f.LambdaInvokes, f.FloorInvokes)
		}
		if f.Invocations < 3 || f.Invocations > 4 || f.FloorPages != f.Invocations || f.MaxPerInvocation != 10 {
			t.Errorf("fan-out: %.1f invocations (floor %.1f pages), at most %d schedules each; want 3 or 4 pages of at most 10",
				f.Invocations, f.FloorPages, f.MaxPerInvocation)
		}
		if f.PutEvents != f.Invocations {
			t.Errorf("fan-out: %.1f PutEvents for %.1f invocations, want the announcement and one per page but the last", f.PutEvents, f.Invocations)
		}
		// Per subscriber: the customer read, licenses and assets, the
		// admission's transaction; the floor one PutItem.
		for op, want := range map[string]int{"GetItem": 30 * runs, "TransactWriteItems": 30 * runs} {
			if got := count(f.Ops, op); got != want {
				t.Errorf("fan-out: %d %s in %d updates, want %d", got, op, runs, want)
			}
		}
		if got, want := count(f.Ops, "Query"), (60+int(f.Invocations))*runs; got != want {
			t.Errorf("fan-out: %d Query in %d updates, want %d", got, runs, want)
		}
		if got := count(f.FloorOps, "PutItem"); got != 30*runs {
			t.Errorf("fan-out floor: %d PutItem in %d updates, want %d", got, runs, 30*runs)
		}
	})

	t.Run("LocalStack", func(t *testing.T) {
		ls := res.Local
		if ls == nil || ls.Latency == nil || ls.Load == nil || ls.Memory == nil || ls.Cold == nil || ls.Startup == nil {
			t.Fatalf("local stack = %+v, want latency, load, memory, cold starts and start-up", ls)
		}
		declared := app.Declaration().Functions
		l := ls.Latency
		if l.N != 5 || l.Ratio() <= 0 || l.BodyBytes == 0 || l.EventBytes == 0 {
			t.Errorf("latency: %d requests, ratio %.2f, %d-byte body, %d-byte event", l.N, l.Ratio(), l.BodyBytes, l.EventBytes)
		}
		for side, s := range map[string]stats{"http": l.HTTP, "handler": l.Handler, "auth+handler": l.AuthHandler, "loopback": l.Loopback,
			"hop": l.Hop, "customers pool": l.CustomersPool, "authorizer pool": l.AuthPool} {
			if s.P50 <= 0 || s.P90 < s.P50 {
				t.Errorf("latency, %s: %+v", side, s)
			}
		}
		// Every request over HTTP invoked the authorizer and the customers
		// function once, on warm processes.
		if want := l.N + l.Warmup; l.AuthInvocations != want || l.CustomerInvocations != want || l.NewProcesses != 0 {
			t.Errorf("latency: %d authorizer and %d customers invocations for %d requests, %d new processes", l.AuthInvocations, l.CustomerInvocations, want, l.NewProcesses)
		}
		total := 0
		for _, k := range ls.Load.Kinds {
			if k.Count == 0 {
				t.Errorf("load: no %s %s", k.Method, k.Path)
			}
			total += k.Count
		}
		if total != ls.Load.Requests || total < 32 {
			t.Errorf("load: %d requests counted of %d", total, ls.Load.Requests)
		}
		m := ls.Memory
		procs, rss := m.FunctionRSS()
		if m.Bench <= 0 || m.DynamoDB <= 0 || m.Floor <= 0 || procs == 0 || rss <= 0 || m.Total() <= m.Bench+m.DynamoDB {
			t.Errorf("memory: %+v", m)
		}
		running := map[string]int{}
		for _, g := range m.Functions {
			running[g.Name] = g.Procs
		}
		for _, fn := range []string{"authorizer", "customers", "usage-stream", "scan-dispatch", "fallback"} {
			if running[fn] == 0 || ls.Stats[fn].Invocations == 0 {
				t.Errorf("memory: no process of %s running (%d invocations)", fn, ls.Stats[fn].Invocations)
			}
		}
		c := ls.Cold
		if len(c.Functions) != len(declared) || len(c.Floor) != len(declared) {
			t.Fatalf("cold starts of %d functions and %d of the floor, want %d each", len(c.Functions), len(c.Floor), len(declared))
		}
		for i, f := range c.Functions {
			if f.Name != declared[i].Name || len(f.Samples) != 1 || f.Samples[0] <= 0 || c.Ratio(f) <= 0 {
				t.Errorf("cold start of %s: %v (ratio %.2f)", f.Name, f.Samples, c.Ratio(f))
			}
			if ls.BinBytes[f.Name] <= ls.FloorBytes {
				t.Errorf("%s: host binary of %d bytes, the floor's %d", f.Name, ls.BinBytes[f.Name], ls.FloorBytes)
			}
		}
		s := ls.Startup
		if len(s.Build) != 1 || len(s.Prebuilt) != 1 {
			t.Fatalf("start-up: %d runs building, %d prebuilt; want 1 each", len(s.Build), len(s.Prebuilt))
		}
		for _, r := range append(s.Build, s.Prebuilt...) {
			// The readiness check cold-starts the authorizer and customers.
			if r.Total <= 0 || r.Cold["authorizer"] <= 0 || r.Cold["customers"] <= 0 {
				t.Errorf("start-up run: %+v", r)
			}
		}
	})

	b, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"p50 ratio", "GET /v1/customers/{customerId}", "GET /v1/margins",
		"POST /v1/customers/{customerId}/assets", "DELETE /v1/customers/{customerId}/assets/{assetId}",
		"GET /v1/customers/{customerId}/usage", "GET /v1/alerts", "POST /v1/alerts/{alertId}/ack",
		"## Usage stream", "raises the 90 % alert",
		"POST /v1/customers/{customerId}/scans", "`scan-run`", "### Scans: admission and the run",
		"## Scan engine", "| `light` | engine |", "| `full` | floor |",
		"## Scan automation", "### Create a schedule for 20 customers in one call", "### Vulnerability-database fan-out over 30 customers",
		"POST /v1/events/vulndb-updated", "| **p50 ratio** |",
		"## Local stack", "### Warm request latency through the local API", "**over HTTP to the local stack**",
		"### Cold start per function", "| _floor: aws-lambda-go, no-op_ |", "### From `make run` to ready",
		"### Memory of the whole stack", "| **the whole stack** |",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	for _, f := range app.Declaration().Functions {
		if !strings.Contains(string(b), "| "+f.Name+" | ") {
			t.Errorf("the report has no row of %s", f.Name)
		}
	}
}

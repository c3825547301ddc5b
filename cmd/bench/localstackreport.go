package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// printLocalStack prints the local-stack section of the summary.
func printLocalStack(w io.Writer, ls *localStack) {
	if ls == nil {
		return
	}
	if l := ls.Latency; l != nil {
		fmt.Fprintf(w, "\n%-40s %10s %10s %6s\n", "local stack: GET /v1/customers/{id}", "p50", "p90", "vs in-process")
		for _, row := range []struct {
			name string
			s    stats
		}{
			{"over HTTP to the stack", l.HTTP}, {"customers handler in-process", l.Handler},
			{"authorizer + handler in-process", l.AuthHandler}, {"loopback HTTP, no-op server", l.Loopback},
			{"customers function through a Pool", l.CustomersPool}, {"authorizer function through a Pool", l.AuthPool},
			{"one hop: minimal function, warm", l.Hop},
		} {
			fmt.Fprintf(w, "%-40s %10s %10s %6.2f\n", row.name, round(row.s.P50), round(row.s.P90), float64(row.s.P50)/float64(l.Handler.P50))
		}
		verdict := "met"
		if l.Overhead() >= stackOverheadTarget {
			verdict = "NOT met"
		}
		fmt.Fprintf(w, "p50 overhead %s (target under %s: %s)\n", msDiff(l.Overhead()), stackOverheadTarget, verdict)
	}
	if c := ls.Cold; c != nil {
		fmt.Fprintf(w, "\n%-14s %10s %10s %10s %8s\n", "cold start", "median", "min", "max", "vs floor")
		fmt.Fprintf(w, "%-14s %10s %10s %10s %8.2f\n", "floor", round(median(c.Floor)), round(minOf(c.Floor)), round(maxOf(c.Floor)), 1.0)
		for _, f := range c.Functions {
			fmt.Fprintf(w, "%-14s %10s %10s %10s %8.2f\n", f.Name, round(median(f.Samples)), round(minOf(f.Samples)), round(maxOf(f.Samples)), c.Ratio(f))
		}
	}
	if s := ls.Startup; s != nil {
		fmt.Fprintf(w, "\nstack start to ready, p50 of %d: building the functions %s, prebuilt %s\n", s.Runs,
			p50(s.Build).Round(time.Millisecond), p50(s.Prebuilt).Round(time.Millisecond))
	}
	if m := ls.Memory; m != nil {
		n, f := m.FunctionRSS()
		fmt.Fprintf(w, "stack memory (VmRSS): this process %s, %d function processes %s, DynamoDB Local %s, total %s; idle aws-lambda-go floor %s\n",
			mib(m.Bench), n, mib(f), mib(m.DynamoDB), mib(m.Total()), mib(m.Floor))
	}
}

func minOf(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	m := d[0]
	for _, v := range d[1:] {
		m = min(m, v)
	}
	return m
}

func maxOf(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	m := d[0]
	for _, v := range d[1:] {
		m = max(m, v)
	}
	return m
}

// localStackIterations is the local stack's part of the iterations row.
func localStackIterations(ls *localStack) string {
	if ls == nil {
		return ""
	}
	s := ""
	if l := ls.Latency; l != nil {
		s += fmt.Sprintf("; local stack %s GETs (+%s warm-up) per side", thousands(l.N), thousands(l.Warmup))
	}
	if c := ls.Cold; c != nil {
		s += fmt.Sprintf(", %s per function and %s of the floor", plural(c.N, "cold start"), thousands(len(c.Floor)))
	}
	if st := ls.Startup; st != nil {
		s += fmt.Sprintf(", %s of each kind", plural(st.Runs, "start"))
	}
	return s
}

// localStackMethod is the local stack's row of the method table.
func localStackMethod(ls *localStack) string {
	if ls == nil {
		return ""
	}
	return fmt.Sprintf("| local stack | `make run`'s stack (`devserver.Start`: %d functions as processes of their host binaries under the local Lambda Runtime API, behind the local API Gateway) on a fresh table of the same DynamoDB Local: warm request latency over HTTP vs the handler in-process, cold start per function vs a minimal aws-lambda-go binary, start to ready building the functions vs prebuilt, resident memory; see [Local stack](#local-stack) |\n",
		len(ls.Functions))
}

// localStackSection renders the "Local stack" section.
func localStackSection(r *result) string {
	ls := r.Local
	if ls == nil {
		return ""
	}
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("## Local stack\n\n")
	p("`make run` (`internal/devserver`) runs every declared function as its own bootstrap binary, built for this\n")
	p("machine (`devserver.BuildFunctions`: one `go build` through `lambdabuild.BuildHost`), under the local Lambda\n")
	p("Runtime API (`internal/lambdaruntime`: a pool of warm processes per function, one invocation at a time each,\n")
	p("more started when all are busy), behind a local API Gateway (`internal/devserver/gateway.go`) that lives in the\n")
	p("stack's own process with the local EventBridge, Scheduler, S3 and Lambda endpoints and the stream poller. The\n")
	p("bench starts it with `devserver.Start` on a fresh table of the DynamoDB Local it runs under (the stack starts\n")
	p("none of its own), with the %d functions built once at the start of the section (%s; that build also warms\n", len(ls.Functions), ls.FirstBuild.Round(100*time.Millisecond))
	p("the Go cache for the start-up runs below), and creates %d customers through its API, each with a per-asset\n", ls.Customers)
	p("license. The functions' output is discarded (`make run` writes it to stderr). The section runs before the bench\n")
	p("seeds its own table, so that DynamoDB Local's memory and this process's are close to a fresh `make run`'s.\n\n")

	p("%s", stackLatencySection(ls))
	p("%s", coldStartSection(ls))
	p("%s", startupSection(ls))
	p("%s", memorySection(ls))
	return b.String()
}

func stackLatencySection(ls *localStack) string {
	l := ls.Latency
	if l == nil {
		return ""
	}
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("### Warm request latency through the local API\n\n")
	p("**API:** `GET /v1/customers/{customerId}` over HTTP (a keep-alive client in the bench process) to the running\n")
	p("stack: the gateway builds the HTTP API event, invokes the authorizer (the declaration caches nothing,\n")
	p("`CacheTTLSeconds` 0: every request is authorized, as in AWS), then the customers function; both are warm\n")
	p("processes. **Floor:** the same event, with the context the authorizer returns set as the gateway hands it on,\n")
	p("passed to the customers handler in the bench process (`httpapi.ForFunction(svc, \"customers\").Handle`), on the\n")
	p("same table and the same item (a %s-byte customer document). Five more sides split the difference: the\n", thousands(l.BodyBytes))
	p("authorizer and then the handler, both in the bench process; the customers function's and the authorizer's own\n")
	p("binaries, warm, invoked directly through a `lambdaruntime.Pool` of the bench process (the environment the stack\n")
	p("gives them, the events the gateway sends: one process hop each, no gateway, no HTTP); one warm invocation of the\n")
	p("minimal aws-lambda-go function (the floor of the cold starts below) with the same %s-byte event; and a loopback\n", thousands(l.EventBytes))
	p("HTTP `GET` to a no-op server in the bench process answering as many bytes as the customer. The seven sides rotate\n")
	p("(A,B,…,G, then B,…,G,A, …) after %s warm-up rounds, which run after the mixed load below, so every process is\n", thousands(l.Warmup))
	p("warm; %s measured requests each. The stack's pools recorded %s authorizer and %s customers invocations\n", thousands(l.N), thousands(l.AuthInvocations), thousands(l.CustomerInvocations))
	p("meanwhile (one each per request over HTTP) and %s.\n\n", newProcesses(l.NewProcesses))
	rel := func(s stats) float64 { return float64(s.P50) / float64(l.Handler.P50) }
	p("| request | p50 | p90 | p50 vs the in-process handler |\n|---|---:|---:|---:|\n")
	row := func(name string, s stats) { p("| %s | %s | %s | %.2f |\n", name, ms(s.P50), ms(s.P90), rel(s)) }
	p("| **over HTTP to the local stack** (gateway, authorizer process, customers process) | %s | %s | **%.2f** |\n", ms(l.HTTP.P50), ms(l.HTTP.P90), l.Ratio())
	p("| _floor:_ the customers handler in-process, same event | %s | %s | 1.00 |\n", ms(l.Handler.P50), ms(l.Handler.P90))
	row("the authorizer, then the customers handler, in-process", l.AuthHandler)
	row("the customers function through a `Pool`, same event (one hop)", l.CustomersPool)
	row("the authorizer function through a `Pool` (one hop)", l.AuthPool)
	row(fmt.Sprintf("the minimal aws-lambda-go function through a `Pool`, same event (one hop, no work)"), l.Hop)
	row(fmt.Sprintf("loopback HTTP `GET` to a no-op server, %s bytes answered", thousands(l.BodyBytes)), l.Loopback)
	p("\n")

	over := l.Overhead()
	custHop := l.CustomersPool.P50 - l.Handler.P50
	authWork := l.AuthHandler.P50 - l.Handler.P50
	authHop := l.AuthPool.P50 - authWork
	gateway := l.HTTP.P50 - l.CustomersPool.P50 - l.AuthPool.P50
	if over < stackOverheadTarget {
		p("**The p50 overhead is %s (ratio %.2f): the issue's target, under 1 ms at p50, is met.**\n", msDiff(over), l.Ratio())
	} else {
		p("**The p50 overhead is %s (ratio %.2f): the issue's target, under 1 ms at p50, is not met.**\n", msDiff(over), l.Ratio())
	}
	p("It splits into three parts, which add up to it by construction (each is a difference of medians, so only\n")
	p("approximately what that part costs):\n\n")
	p("| part | at p50 | measured as |\n|---|---:|---|\n")
	p("| the authorizer invocation | %s | the authorizer function through a `Pool` |\n", msDiff(l.AuthPool.P50))
	p("| … of which its work | %s | authorizer + handler in-process − handler in-process |\n", msDiff(authWork))
	p("| … of which its process hop | %s | the rest |\n", msDiff(authHop))
	p("| the customers function's process hop | %s | customers function through a `Pool` − handler in-process |\n", msDiff(custHop))
	p("| HTTP, the gateway and the IAM gate | %s | over HTTP − both functions through a `Pool` (whose DynamoDB calls skip the gate) |\n", msDiff(gateway))
	p("| _for comparison:_ one hop of the minimal function | %s | |\n", msDiff(l.Hop.P50))
	p("| _for comparison:_ a loopback HTTP request | %s | |\n\n", msDiff(l.Loopback.P50))
	p("- **The authorizer's work** is a consistent `GetItem` of the key item (and, once a minute per key, the\n")
	p("  `UpdateItem` of its `lastUsedAt`): a DynamoDB round trip the deployed API pays too, since its authorizer also\n")
	p("  runs for every request.\n")
	p("- **A process hop** is the gateway (here the `Pool`) encoding the event as JSON, the Runtime API answering the\n")
	p("  process's waiting `GET /runtime/invocation/next`, the function decoding the event, doing its work and encoding\n")
	p("  its answer, its `POST` of the answer, and the caller decoding it. The minimal function's hop (%s) is the\n", ms(l.Hop.P50))
	p("  transport alone. The real functions' hops cost more (customers %s, authorizer %s); this bench does not\n", msDiff(custHop), msDiff(authHop))
	p("  break that down further, but where they differ from the minimal one is that they decode and encode their\n")
	p("  events and answers, and that their DynamoDB call wakes one more process each way (the function, between the\n")
	p("  caller and DynamoDB Local), on 2 CPUs that the bench, the function processes and DynamoDB Local share.\n")
	p("- **HTTP, the gateway and the IAM gate** (%s) is the client's request and the gateway's work (resolving the route,\n", msDiff(gateway))
	p("  building the HTTP API event and the authorizer's request, writing the answer), and the two functions' DynamoDB\n")
	p("  calls passing the local IAM gate (`internal/localiam`, one more proxy hop each, which AWS does not have); a\n")
	p("  loopback request alone is %s.\n\n", ms(l.Loopback.P50))
	transport := over - authWork
	if transport < stackOverheadTarget {
		p("Without the authorizer's work, the local transport (HTTP, the gateway, the IAM gate, two hops) adds %s: within 1 ms.\n\n", msDiff(transport))
	} else {
		p("Even without the authorizer's work, the local transport (HTTP, the gateway, the IAM gate, two hops) adds %s.\n\n", msDiff(transport))
	}
	return b.String()
}

// msDiff formats a difference in milliseconds with its sign: "+2.59 ms".
func msDiff(d time.Duration) string {
	return fmt.Sprintf("%+.2f ms", float64(d)/float64(time.Millisecond))
}

func newProcesses(n int) string {
	if n == 0 {
		return "started no process"
	}
	return fmt.Sprintf("started %s", plural(n, "new process"))
}

func coldStartSection(ls *localStack) string {
	c := ls.Cold
	if c == nil {
		return ""
	}
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("### Cold start per function\n\n")
	p("From the process's start to its first `GET /runtime/invocation/next`, as `lambdaruntime` records it\n")
	p("(`Pool.Stats().ColdStarts`): for every function, %s on its host binary, each invoked once\n", plural(c.N, "fresh pool"))
	p("and closed, with the environment the stack gives that function (the declaration's variables resolved to local\n")
	p("values, and the SDK's configuration; the bench checks that the variable names are those of the stack's own\n")
	p("process of the function, where one ran). The floor is the minimal aws-lambda-go function (`lambda.Start` of a\n")
	p("no-op handler) built for this machine the same way (`lambdabuild.BuildHost`: not stripped), a fresh pool\n")
	p("right before or after each function's, alternately: %s samples. The invocations ask for nothing (an HTTP event\n", thousands(len(c.Floor)))
	p("of an unknown route without identity, an authorizer request without a key, an empty stream batch, an event of a\n")
	p("type nobody handles); only the time until the process asks for its first invocation counts. Host binaries: %s\n", mib(ls.FloorBytes))
	p("for the floor, %s for the functions.\n\n", binRange(ls))
	p("| function | host binary | median | min | max | median vs floor |\n|---|---:|---:|---:|---:|---:|\n")
	p("| _floor: aws-lambda-go, no-op_ | %s | %s | %s | %s | 1.00 |\n", mib(ls.FloorBytes), ms(median(c.Floor)), ms(minOf(c.Floor)), ms(maxOf(c.Floor)))
	lo, hi := 0.0, 0.0
	for i, f := range c.Functions {
		r := c.Ratio(f)
		if i == 0 || r < lo {
			lo = r
		}
		if r > hi {
			hi = r
		}
		p("| %s | %s | %s | %s | %s | **%.2f** |\n", f.Name, mib(ls.BinBytes[f.Name]), ms(median(f.Samples)), ms(minOf(f.Samples)), ms(maxOf(f.Samples)), r)
	}
	p("\nThe functions take %.2f–%.2f times the floor's median to be ready. Beyond the floor's work (starting the Go\n", lo, hi)
	p("runtime and aws-lambda-go's loop), a function maps a larger binary, runs the package initialisation of what it\n")
	p("links (the AWS SDK's service packages, the embedded time-zone database, the public-suffix list of the asset\n")
	p("normaliser) and, in `main`, `services.FromEnv`: the AWS configuration from the environment and the SDK clients,\n")
	p("with no network call. With so few samples per function, differences between functions of a few tenths of\n")
	p("the ratio are within the noise of this machine.\n\n")
	return b.String()
}

// binRange returns the smallest and largest function host binary.
func binRange(ls *localStack) string {
	var lo, hi int64
	for i, name := range ls.Functions {
		n := ls.BinBytes[name]
		if i == 0 || n < lo {
			lo = n
		}
		if n > hi {
			hi = n
		}
	}
	return mib(lo) + " to " + mib(hi)
}

func startupSection(ls *localStack) string {
	s := ls.Startup
	if s == nil {
		return ""
	}
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	build, pre := p50(s.Build), p50(s.Prebuilt)
	p("### From `make run` to ready\n\n")
	p("`devserver.Start` into a fresh state directory and a fresh table, until it returns: the API has answered an\n")
	p("authenticated request and `credentials.json` is written. **Building:** `Binaries` empty, as `make run` does:\n")
	p("Start runs one `go build` of all %d functions into the directory's `bin/`, with a warm Go cache (after the\n", len(ls.Functions))
	p("section's first build every package is in the cache, so what remains is mostly linking %d binaries). **Prebuilt:**\n", len(ls.Functions))
	p("the binaries of that first build. %s of each, alternating which goes first. Both start against the bench's\n", plural(s.Runs, "run"))
	p("DynamoDB Local, so starting DynamoDB Local itself (a JVM, which `make run` starts unless `DYNAMODB_ENDPOINT`\n")
	p("names one) is in neither.\n\n")
	p("| start | p50 | min | max |\n|---|---:|---:|---:|\n")
	row := func(name string, runs []startupRun) {
		d := make([]time.Duration, len(runs))
		for i, r := range runs {
			d[i] = r.Total
		}
		p("| %s | %s | %s | %s |\n", name, msLong(median(d)), msLong(minOf(d)), msLong(maxOf(d)))
	}
	row("**building the functions** (`Binaries` \"\", as `make run`)", s.Build)
	row("_floor:_ prebuilt binaries", s.Prebuilt)
	p("| difference at p50: the build | %s | | |\n\n", msLong(build-pre))
	share := float64(build-pre) / float64(build) * 100
	p("**What dominates: the build**, %.0f %% of the start at p50 (%.1f times the prebuilt start). The rest —\n", share, float64(build)/float64(pre))
	p("creating the table, the local endpoints and the pools, seeding the super admin, the demo partner, its admin and\n")
	p("their keys, and the readiness check, whose request cold-starts the authorizer (median %s) and the\n", ms(medianCold(s.Prebuilt, "authorizer")))
	p("customers function (%s) — takes %s.\n\n", ms(medianCold(s.Prebuilt, "customers")), msLong(pre))
	return b.String()
}

func memorySection(ls *localStack) string {
	m := ls.Memory
	if m == nil {
		return ""
	}
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("### Memory of the whole stack\n\n")
	p("The resident memory (`VmRSS` of `/proc/<pid>/status`) of every process of the stack, read with the stack still\n")
	p("running after the latency comparison above and, before it, a short mixed load")
	if ld := ls.Load; ld != nil {
		p(": %s requests from %d concurrent clients\n", thousands(ld.Requests), ld.Workers)
		p("(%s), round robin over these, each answering with the status shown:\n", ld.Duration.Round(10*time.Millisecond))
		var kinds []string
		for _, k := range ld.Kinds {
			kinds = append(kinds, fmt.Sprintf("`%s %s` (%s, %d)", k.Method, k.Path, k.Function, k.Status))
		}
		p("%s. The creates' usage counters reach usage-stream through the table's stream, the update event reaches\n", strings.Join(kinds, ", "))
		p("scan-dispatch through its EventBridge rule")
	}
	p(". The function processes\n")
	p("are found by their executable under the stack's binaries directory, DynamoDB Local by its command line\n")
	p("(`DynamoDBLocal.jar` and the endpoint's port). The floor is one minimal aws-lambda-go process (as above),\n")
	p("idle after one invocation.\n\n")
	p("| process | processes | RSS | per process | per process vs floor |\n|---|---:|---:|---:|---:|\n")
	p("| the stack's own process (here the bench's: the gateway, the local endpoints, the stream poller, and the bench) | 1 | %s | %s | — |\n", mib(m.Bench), mib(m.Bench))
	var none []string
	for _, g := range m.Functions {
		if g.Procs == 0 {
			none = append(none, g.Name)
			continue
		}
		per := g.RSS / int64(g.Procs)
		p("| %s | %d | %s | %s | %.2f |\n", g.Name, g.Procs, mib(g.RSS), mib(per), float64(per)/float64(m.Floor))
	}
	n, f := m.FunctionRSS()
	if n > 0 {
		per := f / int64(n)
		p("| **all function processes** | **%d** | **%s** | %s | **%.2f** |\n", n, mibLong(f), mib(per), float64(per)/float64(m.Floor))
	}
	if m.DynamoDB > 0 {
		p("| DynamoDB Local (java) | 1 | %s | %s | — |\n", mib(m.DynamoDB), mib(m.DynamoDB))
	}
	p("| **the whole stack** | %d | **%s** | | |\n", n+2, mibLong(m.Total()))
	p("| _floor: one idle minimal aws-lambda-go process_ | 1 | %s | %s | 1.00 |\n\n", mib(m.Floor), mib(m.Floor))
	if len(none) > 0 {
		p("No process of %s was running: nothing in the load invokes %s.\n", strings.Join(none, ", "), pronoun(len(none)))
	}
	if n > 0 {
		p("Each pool started as many processes as requests overlapped on it (at most 4, `lambdaruntime.DefaultMaxConcurrency`),\n")
		p("and they stay warm: the %d function processes are %.0f %% of the stack's memory, each %.1f times the\n", n, float64(f)/float64(m.Total())*100, float64(f/int64(n))/float64(m.Floor))
		p("idle floor on average. Beyond the floor, a function process holds its services, SDK clients and handlers,\n")
		p("and maps a binary %.1f times larger. RSS counts shared pages (the text of one binary mapped by several\n", float64(avgBin(ls))/float64(ls.FloorBytes))
		p("processes of a function) once per process, so the sum overstates what the processes use together.\n")
	}
	if m.DynamoDB > 0 && m.DynamoDBEnd > 0 {
		p("DynamoDB Local's RSS grows with use: at the end of the bench, after its seeding and measurements, the same\n")
		p("java process held %s.\n", mibLong(m.DynamoDBEnd))
	}
	p("\n")
	return b.String()
}

// mibLong is mib with thousands separators from 1,000 MiB on.
func mibLong(n int64) string {
	if v := float64(n) / (1 << 20); v >= 1000 {
		return thousands(int(math.Round(v))) + " MiB"
	}
	return mib(n)
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// avgBin is the mean size of the functions' host binaries.
func avgBin(ls *localStack) int64 {
	var t int64
	for _, n := range ls.BinBytes {
		t += n
	}
	if len(ls.BinBytes) == 0 {
		return 0
	}
	return t / int64(len(ls.BinBytes))
}

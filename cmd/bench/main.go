// Command bench measures what the API costs on top of the raw DynamoDB floor,
// side by side in one run against one DynamoDB, and optionally rewrites
// docs/PERFORMANCE.md with the results:
//
//	go run ./cmd/withddb -- go run ./cmd/bench -doc docs/PERFORMANCE.md
//
// (`make bench` does that after `make build`). It needs DYNAMODB_ENDPOINT,
// which cmd/withddb sets, and the zips of `make build` in dist/.
//
// It creates a fresh table, sets the pricing, seeds a partner with 10,000
// customers (and a second partner with customers of its own, and a third
// with 1,000 customers holding one or two licenses each), then measures,
// interleaving the two sides of every comparison so that the noise of a
// shared machine hits both alike:
//
//   - GET /v1/customers/{customerId} through the customers handler vs a raw
//     GetItem of the same item, exactly as the store sends it;
//   - GET /v1/customers?limit=50&sort=name vs the raw Query the store sends
//     (same index, key condition and Limit 51);
//   - the console's customer list page (GET /console/customers?sort=name,
//     25 rows, signed in with a session) vs the raw Query of its rows,
//     with its HTML size and DynamoDB calls;
//   - the authorizer with a valid key vs a raw GetItem of the key item;
//   - GET /v1/margins over the third partner's 1,000 customers vs the raw
//     calls the store makes for it (same indexes, key conditions and
//     projections, every page, and the BatchGetItem of names the Queries
//     miss when there are any);
//
// and, for the scan engine (internal/scan), a light and a full scan of a
// deliberately weak site on 127.0.0.1 (an HTTP and an HTTPS server in a
// child process: weaksite.go) vs the network exchanges those scans cannot
// avoid (see floorPlan), with allocations per scan; and, for the usage
// stream (internal/usagestream), 10,000 real counter records, captured
// from the table's stream (internal/localstream) after asset adds and
// deletes and scan admissions on the third partner's customers, handed to
// the real handler in batches of 100 vs one raw UpdateItem per record of
// the same counter (see streamCompare); and, for scan automation
// (schedulebench.go, against a local EventBridge Scheduler, EventBridge and
// Lambda endpoint), POST /v1/schedules naming 500 of the third partner's
// customers vs the Scheduler and DynamoDB requests it cannot avoid, and a
// vulnerability-database update fanned out to 1,000 subscribed customers
// vs the subscriber Query pages and one scan write and Lambda Invoke per
// subscriber.
//
// Before any of that (so that DynamoDB Local's memory and the bench's are
// close to a fresh `make run`'s), it measures the local stack of `make run`
// (localstack.go: internal/devserver on a fresh table of the same
// DynamoDB, every function a process of its host binary under
// internal/lambdaruntime): GET /v1/customers/{customerId} over HTTP to the
// warm stack vs the same event handed to the customers handler in-process
// (with sides that split the difference: the authorizer in-process, each
// function through a Pool, a minimal function's hop, loopback HTTP); the
// cold start of every function vs a minimal aws-lambda-go binary built the
// same way; devserver.Start until ready, building the functions with a warm
// Go cache vs prebuilt; and the resident memory of the stack's processes
// after a short mixed load vs an idle minimal aws-lambda-go process.
//
// It also records the DynamoDB round trips and consumed capacity of every
// route and of each kind of stream record (dynamo.WithMeter), and the
// zipped size of every function's binary against a minimal aws-lambda-go
// binary built with the same flags. Only the ratios are meant to be
// compared between runs: absolute times on a shared machine wander.
package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"time"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/ddblocal"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/services"
)

// ddbLocalVersion is the DynamoDB Local release inside the npm package that
// internal/ddblocal pins (META-INF/maven/.../pom.properties of the jar).
const ddbLocalVersion = "1.25.1"

// target is the bound on handler p50 / floor p50.
const target = 1.5

type options struct {
	doc           string
	customers     int
	others        int
	licensed      int
	workers       int
	getN          int
	listN         int
	authN         int
	marginsN      int
	streamN       int
	streamBatch   int
	streamTenants int
	scanN         int
	warmup        float64
	skipSizes     bool
	cpuProfile    string

	// scan automation (schedulebench.go)
	schedulesN     int // customers named in the measured POST /v1/schedules
	vulndbN        int // subscribed customers of the measured fan-out
	vulndbPage     int // schedules per fan-out page
	automationRuns int // measured runs per side

	// the local stack of `make run` (localstack.go)
	skipStack   bool // skip the local-stack section
	stackGetN   int  // measured GETs of the warm-latency comparison (each side)
	stackLoad   int  // requests of the mixed load before the memory is read
	coldStarts  int  // fresh pools per function (and as many of the floor); 0 skips the cold starts
	startupRuns int  // devserver.Start runs per side; 0 skips them
}

func main() {
	if serveWeakSiteIfAsked() { // this binary again, as the bench's weak site (weaksite.go)
		return
	}
	var o options
	flag.StringVar(&o.doc, "doc", "", "write the results as Markdown to this file (e.g. docs/PERFORMANCE.md)")
	flag.IntVar(&o.customers, "customers", 10000, "customers of the measured partner")
	flag.IntVar(&o.others, "others", 2000, "customers of a second partner, for realistic isolation")
	flag.IntVar(&o.licensed, "licensed", 1000, "customers of a third partner, each with one or two licenses (the margin report)")
	flag.IntVar(&o.workers, "workers", 16, "concurrent writers while seeding")
	flag.IntVar(&o.getN, "get", 2000, "measured iterations of get-customer (each side)")
	flag.IntVar(&o.listN, "list", 500, "measured iterations of the list page (each side)")
	flag.IntVar(&o.authN, "auth", 2000, "measured iterations of the authorizer (each side); 0 skips it")
	flag.IntVar(&o.marginsN, "margins", 100, "measured iterations of the margin report (each side); 0 skips it")
	flag.IntVar(&o.streamN, "stream", 10000, "measured usage-stream records (each side; rounded down to whole batches); 0 skips the comparison")
	flag.IntVar(&o.streamBatch, "stream-batch", 100, "records per usage-stream batch")
	flag.IntVar(&o.streamTenants, "stream-customers", 200, "customers of the third partner the usage-stream records are spread over")
	flag.IntVar(&o.scanN, "scans", 300, "measured scans of the weak local site per profile (light, full), each side; 0 skips the scan engine comparison")
	flag.IntVar(&o.schedulesN, "schedule-customers", 500, "customers of the third partner named in the measured POST /v1/schedules (at most 500); 0 skips it")
	flag.IntVar(&o.vulndbN, "vulndb-customers", 1000, "subscribed customers of the measured vulnerability-database fan-out; 0 skips it")
	flag.IntVar(&o.vulndbPage, "vulndb-page", portal.DefaultDispatchPage, "schedules per fan-out page (scan-dispatch invocation)")
	flag.IntVar(&o.automationRuns, "automation-runs", 5, "measured runs of each scan-automation comparison (each side; after 1 warm-up run each)")
	flag.BoolVar(&o.skipStack, "skip-stack", false, "skip the local stack of `make run` (warm latency, cold starts, start-up time, memory)")
	flag.IntVar(&o.stackGetN, "stack-get", 1000, "measured GETs of a customer through the local stack's HTTP API (each side)")
	flag.IntVar(&o.stackLoad, "stack-load", 400, "requests of the mixed load on the local stack before its memory is read")
	flag.IntVar(&o.coldStarts, "cold-starts", 5, "fresh processes per function for its cold start (interleaved with as many of the floor); 0 skips them")
	flag.IntVar(&o.startupRuns, "startup-runs", 3, "runs of the local stack's start, building the functions and with them prebuilt (each); 0 skips them")
	flag.Float64Var(&o.warmup, "warmup", 0.1, "warm-up iterations, as a fraction of the measured ones")
	flag.BoolVar(&o.skipSizes, "skip-sizes", false, "skip the binary size table (no dist/ needed)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the side-by-side HTTP comparisons to this file, and one of the usage-stream comparison to this file + \".stream\"")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("bench: ")
	if _, err := run(context.Background(), o); err != nil {
		log.Fatal(err)
	}
}

// result is everything one run measured.
type result struct {
	Started     time.Time
	Duration    time.Duration
	GoVersion   string
	GOOS        string
	GOARCH      string
	CPUs        int
	Endpoint    string
	Customers   int
	Others      int
	Licensed    int // customers of the licensed partner
	Licenses    int // their licenses
	SeedTime    time.Duration
	Comparisons []comparison
	Costs       []routeCost
	StreamCosts []streamCost // what each kind of stream record cost the handler
	Stream      *streamRun   // the usage-stream comparison (nil: skipped)
	Scan        *scanBench   // the scan engine comparison (nil: skipped)
	MarginCalls marginCalls  // calls of the margin report over the licensed partner, as the floor made them
	ConsolePage *consolePage // the console's customer list page
	Sizes       *sizeTable

	Automation *automationBench // schedule creation and the vulnerability-database fan-out (nil: skipped)
	Local      *localStack      // the local stack of `make run` (nil: skipped)
}

// run runs the bench and returns what it measured.
func run(ctx context.Context, o options) (*result, error) {
	endpoint := os.Getenv(services.EnvEndpoint)
	if endpoint == "" {
		return nil, fmt.Errorf("%s is not set: run me under DynamoDB Local with `go run ./cmd/withddb -- go run ./cmd/bench` (or `make bench`)", services.EnvEndpoint)
	}
	res := &result{
		Started: time.Now().UTC(), GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		CPUs: runtime.NumCPU(), Endpoint: endpoint, Customers: o.customers, Others: o.others,
		Licensed: o.licensed,
	}

	// Binary sizes first: it fails fast when `make build` has not run.
	if !o.skipSizes {
		log.Printf("binary sizes: building the minimal aws-lambda-go floor")
		sizes, err := measureSizes()
		if err != nil {
			return nil, err
		}
		res.Sizes = sizes
	}
	var err error

	// The local stack next, before the seeding: its memory is then close to
	// a fresh `make run`'s (DynamoDB Local's heap has not grown with the
	// bench's data, nor has this process's).
	if !o.skipStack {
		if res.Local, err = localStackBench(ctx, endpoint, o); err != nil {
			return nil, err
		}
	}

	client, err := ddblocal.NewClient(ctx, endpoint)
	if err != nil {
		return nil, err
	}
	table := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	if err := dynamo.CreateTable(ctx, client, table, app.Declaration().Table); err != nil {
		return nil, err
	}
	log.Printf("table %s on %s", table, endpoint)
	secret := make([]byte, 32)
	rand.Read(secret)
	svc := services.New(dynamo.New(client, table), secret, portal.SystemClock, &portal.ULIDs{})

	start := time.Now()
	fx, err := seed(ctx, svc, o)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	res.SeedTime = time.Since(start)
	res.Licenses = fx.licenses
	log.Printf("seeded %d + %d + %d customers (%d licenses) in %s", o.customers, o.others, o.licensed, fx.licenses, res.SeedTime.Round(time.Second))

	b := &bench{svc: svc, raw: client, table: table, fx: fx, o: o}
	if res.Comparisons, err = b.compare(ctx); err != nil {
		return nil, err
	}
	res.MarginCalls, res.ConsolePage = b.marginCalls, b.consolePage
	// The weak site the scan measurements scan, in a child process; the
	// engine is measured before the stream capture starts polling.
	if b.weak, err = startWeakSite(); err != nil {
		return nil, err
	}
	defer b.weak.close()
	if res.Scan, err = b.scanEngine(ctx); err != nil {
		return nil, err
	}
	// From here on the table's stream is captured (after the timed HTTP
	// comparisons, so that its polling does not disturb them) and the
	// usage-stream handler publishes to a local EventBridge.
	if err := b.startStream(ctx, endpoint); err != nil {
		return nil, err
	}
	defer b.closeStream()
	if res.Costs, err = b.costs(ctx); err != nil {
		return nil, fmt.Errorf("route costs: %w", err)
	}
	if res.StreamCosts, err = b.streamCosts(ctx); err != nil {
		return nil, err
	}
	if res.Stream, err = b.streamCompare(ctx); err != nil {
		return nil, err
	}
	if s := res.Stream; s != nil {
		api, floor := s.PerRecord()
		log.Printf("%-14s total %s vs %s for %d records (%s vs %s a record)  ratio %.2f   batch p50 ratio %.2f",
			"usage-stream", round(s.APITotal), round(s.FloorTotal), s.Records, round(api), round(floor), s.Ratio(), s.Comparison.Ratio(50))
	}
	// Scan automation last, with nothing polling the stream.
	if b.stream != nil {
		b.stopCapture()
	}
	if res.Automation, err = b.scanAutomation(ctx); err != nil {
		return nil, err
	}
	res.Local.recordEnd(endpoint)
	res.Duration = time.Since(res.Started)

	printSummary(os.Stdout, res)
	if o.doc != "" {
		if err := os.WriteFile(o.doc, []byte(markdown(res)), 0o644); err != nil {
			return nil, err
		}
		log.Printf("wrote %s", o.doc)
	}
	return res, nil
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/ddblocal"
	"github.com/partnerportal/portal/internal/devserver"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/httpapi"
	"github.com/partnerportal/portal/internal/lambdabuild"
	"github.com/partnerportal/portal/internal/lambdaruntime"
	"github.com/partnerportal/portal/internal/locallambda"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/services"
	"github.com/partnerportal/portal/internal/tenancy"
)

// The local stack of `make run` (internal/devserver): every declared
// function as its own bootstrap binary, built for this machine, under the
// local Lambda Runtime API (internal/lambdaruntime), behind the local API
// Gateway. It is measured against the bench's DynamoDB (not a DynamoDB
// Local of its own) and against floors measured in the same run:
//
//   - warm request latency: GET /v1/customers/{customerId} over HTTP to a
//     running stack vs the same event handed to the customers handler in
//     this process (and, to split the difference, the authorizer and the
//     handler in this process, and a loopback HTTP request to a no-op
//     server);
//   - cold start of every function (process start to its first GET of
//     /runtime/invocation/next) vs a minimal aws-lambda-go binary;
//   - devserver.Start until ready, building the functions (warm Go cache)
//     vs with the binaries prebuilt;
//   - the resident memory of the stack's processes vs an idle minimal
//     aws-lambda-go process.

// localStack is what the local-stack section measured.
type localStack struct {
	Functions  []string         // declared functions, in declaration order
	FirstBuild time.Duration    // the unmeasured first build of every function (warms the Go cache)
	Customers  int              // customers created through the stack's API before measuring
	BinBytes   map[string]int64 // size of each function's host binary
	FloorBytes int64            // size of the minimal aws-lambda-go host binary

	Latency *stackLatency
	Load    *stackLoad
	Memory  *stackMemory
	Stats   map[string]lambdaruntime.Stats // the stack's pools after the load (Stack.FunctionStats)
	Cold    *coldStarts                    // nil: skipped
	Startup *startupBench                  // nil: skipped
}

// stackSeedCustomers are created through the stack's API (with a per-asset
// license each) before anything is measured.
const stackSeedCustomers = 20

// localBench holds what the local-stack measurements share.
type localBench struct {
	o        options
	endpoint string // the bench's DynamoDB
	work     string // scratch directory, removed at the end
	bins     string // the functions' host binaries (Config.Binaries of the measured stack)
	floorBin string // the minimal aws-lambda-go binary, built for the host the same way
	home     string // HOME of the functions this process runs itself
	ddb      *dynamodb.Client

	// the measured stack
	stack  *devserver.Stack
	table  string
	secret string
	client *http.Client
	ids    []string // customers created through its API

	stackEnv map[string][]string // names of the environment variables of a stack process, by function
}

// localStackBench measures the local stack; see the comment at the top.
func localStackBench(ctx context.Context, endpoint string, o options) (_ *localStack, err error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "bench-localstack-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	client, err := ddblocal.NewClient(ctx, endpoint)
	if err != nil {
		return nil, err
	}
	lb := &localBench{o: o, endpoint: endpoint, work: work, bins: filepath.Join(work, "bin"), ddb: client,
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: time.Minute}}}
	lb.home = filepath.Join(work, "home")
	if err := os.MkdirAll(lb.home, 0o700); err != nil {
		return nil, err
	}
	ls := &localStack{Customers: stackSeedCustomers}
	for _, f := range app.Declaration().Functions {
		ls.Functions = append(ls.Functions, f.Name)
	}

	// One build first: it warms the Go cache for the measured builds and
	// gives the binaries of every stack with prebuilt Binaries.
	log.Printf("local stack: building %d functions for this machine", len(ls.Functions))
	start := time.Now()
	if err := devserver.BuildFunctions(root, lb.bins); err != nil {
		return nil, err
	}
	ls.FirstBuild = time.Since(start)
	if lb.floorBin, err = buildHostFloor(root, filepath.Join(work, "floor")); err != nil {
		return nil, fmt.Errorf("build the minimal aws-lambda-go binary for this machine: %w", err)
	}
	ls.BinBytes = map[string]int64{}
	for _, name := range ls.Functions {
		info, err := os.Stat(filepath.Join(lb.bins, name))
		if err != nil {
			return nil, err
		}
		ls.BinBytes[name] = info.Size()
	}
	info, err := os.Stat(lb.floorBin)
	if err != nil {
		return nil, err
	}
	ls.FloorBytes = info.Size()

	if err := lb.startStack(ctx); err != nil {
		return nil, err
	}
	defer func() {
		if lb.stack != nil {
			lb.closeStack(ctx)
		}
	}()
	// The mixed load first: it starts the functions' processes and warms
	// DynamoDB Local's paths before the latency is measured.
	if ls.Load, err = lb.mixedLoad(ctx); err != nil {
		return nil, err
	}
	if ls.Latency, err = lb.warmLatency(ctx); err != nil {
		return nil, err
	}
	if ls.Memory, err = lb.memory(ctx); err != nil {
		return nil, err
	}
	ls.Stats = lb.stack.FunctionStats()
	lb.closeStack(ctx)

	if o.coldStarts > 0 {
		if ls.Cold, err = lb.coldStarts(ctx); err != nil {
			return nil, err
		}
	}
	if o.startupRuns > 0 {
		if ls.Startup, err = lb.startup(ctx); err != nil {
			return nil, err
		}
	}
	return ls, nil
}

// buildHostFloor builds floorMain for this machine exactly as
// devserver.BuildFunctions builds the functions (lambdabuild.BuildHost), in
// a temporary package inside the module, into dir; it returns the binary.
func buildHostFloor(root, dir string) (string, error) {
	dist := filepath.Join(root, "dist")
	if err := os.MkdirAll(dist, 0o755); err != nil {
		return "", err
	}
	src, err := os.MkdirTemp(dist, "benchhostfloor")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(src)
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(floorMain), 0o644); err != nil {
		return "", err
	}
	pkg, err := filepath.Rel(root, src)
	if err != nil {
		return "", err
	}
	if err := lambdabuild.BuildHost(root, dir, "./"+filepath.ToSlash(pkg)); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, filepath.Base(src))
	if _, err := os.Stat(bin); err != nil {
		return "", err
	}
	return bin, nil
}

// startStack starts the measured stack on a fresh table of the bench's
// DynamoDB with the prebuilt binaries, and creates stackSeedCustomers
// customers through its API.
func (lb *localBench) startStack(ctx context.Context) error {
	dir := filepath.Join(lb.work, "stack")
	lb.table = fmt.Sprintf("bench-stack-%d", time.Now().UnixNano())
	log.Printf("local stack: starting on table %s", lb.table)
	st, err := devserver.Start(ctx, devserver.Config{
		Dir: dir, Addr: "127.0.0.1:0", Endpoint: lb.endpoint, Table: lb.table, Binaries: lb.bins, Log: io.Discard,
	})
	if err != nil {
		return fmt.Errorf("local stack: %w", err)
	}
	lb.stack = st
	secret, err := os.ReadFile(filepath.Join(dir, "cursor-secret"))
	if err != nil {
		return err
	}
	lb.secret = string(secret)
	for i := range stackSeedCustomers {
		body := fmt.Sprintf(`{"name":"Stack Customer %02d GmbH","contactEmail":"it@stack-%02d.example","timezone":"Europe/Berlin","country":"DE",`+
			`"licenses":[{"model":"per_asset","quantity":%d,"endUserPrice":{"amount":%d,"currency":"EUR"}}]}`, i, i, 10+i, (10+i)*350)
		var c struct{ ID string }
		if err := lb.call(ctx, "POST", "/v1/customers", st.Credentials.PartnerAdminKey, body, 201, &c); err != nil {
			return fmt.Errorf("local stack: create customer %d: %w", i, err)
		}
		lb.ids = append(lb.ids, c.ID)
	}
	return nil
}

// closeStack stops the measured stack and deletes its table.
func (lb *localBench) closeStack(ctx context.Context) {
	if err := lb.stack.Close(); err != nil {
		log.Printf("local stack: close: %v", err)
	}
	lb.stack = nil
	lb.deleteTable(ctx, lb.table)
}

func (lb *localBench) deleteTable(ctx context.Context, table string) {
	if _, err := lb.ddb.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)}); err != nil {
		log.Printf("local stack: delete table %s: %v", table, err)
	}
}

// call sends one request to the stack's API with key and checks the status;
// out (unless nil) receives the JSON answer.
func (lb *localBench) call(ctx context.Context, method, path, key, body string, status int, out any) error {
	code, b, err := lb.do(ctx, method, lb.stack.URL+path, key, body)
	if err != nil {
		return err
	}
	if code != status {
		return fmt.Errorf("%s %s answered %d, want %d: %.300s", method, path, code, status, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func (lb *localBench) do(ctx context.Context, method, u, key, body string) (int, []byte, error) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return 0, nil, err
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := lb.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// stackLatency is the warm-latency comparison: the same GET through the
// stack's HTTP API and in this process.
type stackLatency struct {
	N, Warmup  int
	BodyBytes  int // the customer document both sides answer
	EventBytes int // the event the gateway hands the customers function, about
	// HTTP: GET over HTTP to the stack (the gateway, the authorizer's and
	// the customers function's processes). Handler: the same event handed
	// to the customers handler in this process. AuthHandler: the
	// authorizer and then the handler in this process. Loopback: a GET over
	// HTTP to a no-op server in this process answering as many bytes. Hop:
	// a warm invocation of the minimal aws-lambda-go function through a
	// lambdaruntime.Pool with an event of EventBytes. CustomersPool and
	// AuthPool: the customers function's and the authorizer's binaries,
	// warm, invoked directly through a Pool of this process (the
	// environment the stack gives them) with the events the gateway sends.
	HTTP, Handler, AuthHandler, Loopback, Hop, CustomersPool, AuthPool stats
	// What the stack's pools did during the comparison (warm-up included).
	AuthInvocations, CustomerInvocations int
	NewProcesses                         int // cold starts of the authorizer and customers meanwhile
}

// Ratio is HTTP p50 / in-process handler p50.
func (l *stackLatency) Ratio() float64 { return float64(l.HTTP.P50) / float64(l.Handler.P50) }

// Overhead is HTTP p50 − in-process handler p50.
func (l *stackLatency) Overhead() time.Duration { return l.HTTP.P50 - l.Handler.P50 }

// stackOverheadTarget is the bound on Overhead.
const stackOverheadTarget = time.Millisecond

// warmLatency measures GET /v1/customers/{customerId} of one customer over
// HTTP to the warm stack against the same request in this process, on the
// same table and item, with five more sides that split the difference;
// the seven sides rotate (A,B,…,G, then B,…,G,A, …).
func (lb *localBench) warmLatency(ctx context.Context) (*stackLatency, error) {
	n := max(lb.o.stackGetN, 1)
	key := lb.stack.Credentials.PartnerAdminKey
	id := lb.ids[len(lb.ids)/2]
	path := "/v1/customers/" + id
	svc := services.New(dynamo.New(lb.ddb, lb.table), []byte(lb.secret), portal.SystemClock, &portal.ULIDs{})
	h, ok := httpapi.ForFunction(svc, "customers")
	if !ok {
		return nil, errors.New("no HTTP handler customers")
	}
	a := httpapi.AuthorizerFor(svc)
	authEv := events.APIGatewayV2CustomAuthorizerV2Request{
		Version: "2.0", Type: "REQUEST", RouteKey: "GET /v1/customers/{customerId}", RawPath: path,
		IdentitySource: []string{"Bearer " + key},
		Headers:        map[string]string{"authorization": "Bearer " + key},
	}
	auth, err := a.Handle(ctx, authEv)
	if err != nil || !auth.IsAuthorized || auth.Context["authError"] != nil {
		return nil, fmt.Errorf("local stack: the authorizer in this process refused the stack's key: %v %v", err, auth.Context)
	}
	// The event as the gateway hands it on: the authorizer's context set.
	ev := httpEvent("GET /v1/customers/{customerId}", path, tenancy.Identity{}, map[string]string{"customerId": id}, nil, "")
	ev.RequestContext.Authorizer.Lambda = auth.Context

	// Both sides answer the same customer.
	var viaHTTP, inProc struct{ ID string }
	if err := lb.call(ctx, "GET", path, key, "", 200, &viaHTTP); err != nil {
		return nil, err
	}
	res, err := h.Handle(ctx, ev)
	if err != nil || res.StatusCode != 200 || json.Unmarshal([]byte(res.Body), &inProc) != nil || inProc.ID != id || viaHTTP.ID != id {
		return nil, fmt.Errorf("local stack: in-process handler answered %d %.300s (err %v), HTTP %q; want customer %s", res.StatusCode, res.Body, err, viaHTTP.ID, id)
	}
	body := []byte(res.Body)
	noop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer noop.Close()

	// One process hop: the minimal aws-lambda-go function, warm, invoked
	// with an event like the one the gateway sends.
	payload, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	floor := lambdaruntime.NewPool(lambdaruntime.Function{Name: "floor", Binary: lb.floorBin})
	defer floor.Close()
	hop := func() error {
		_, err := floor.Invoke(ctx, payload)
		return err
	}

	// The two functions the gateway invokes, as processes of this
	// process's own pools: one hop each, without the gateway and HTTP.
	declared := map[string]app.Function{}
	for _, f := range app.Declaration().Functions {
		declared[f.Name] = f
	}
	custPool := lambdaruntime.NewPool(lb.function(declared["customers"]))
	defer custPool.Close()
	authPool := lambdaruntime.NewPool(lb.function(declared["authorizer"]))
	defer authPool.Close()
	authPayload, err := json.Marshal(authEv)
	if err != nil {
		return nil, err
	}
	custSide := func() error {
		out, err := custPool.Invoke(ctx, payload)
		if err != nil {
			return err
		}
		var res events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &res); err != nil || res.StatusCode != 200 {
			return fmt.Errorf("the customers function answered %.300s (%v)", out, err)
		}
		return nil
	}
	authSide := func() error {
		out, err := authPool.Invoke(ctx, authPayload)
		if err != nil {
			return err
		}
		var res events.APIGatewayV2CustomAuthorizerSimpleResponse
		if err := json.Unmarshal(out, &res); err != nil || !res.IsAuthorized || res.Context["authError"] != nil {
			return fmt.Errorf("the authorizer function answered %.300s (%v)", out, err)
		}
		return nil
	}

	u := lb.stack.URL + path
	httpSide := func() error {
		code, b, err := lb.do(ctx, "GET", u, key, "")
		if err == nil && (code != 200 || len(b) == 0) {
			err = fmt.Errorf("the stack answered %d: %.300s", code, b)
		}
		return err
	}
	handler := answers200(ctx, h, ev)
	authHandler := func() error {
		res, err := a.Handle(ctx, authEv)
		if err != nil {
			return err
		}
		if !res.IsAuthorized || res.Context["authError"] != nil {
			return fmt.Errorf("the authorizer refused the key: %v", res.Context)
		}
		e := ev
		e.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: res.Context}
		return answers200(ctx, h, e)()
	}
	loopback := func() error {
		code, b, err := lb.do(ctx, "GET", noop.URL+path, key, "")
		if err == nil && (code != 200 || len(b) != len(body)) {
			err = fmt.Errorf("the no-op server answered %d with %d bytes", code, len(b))
		}
		return err
	}

	before := lb.stack.FunctionStats()
	warm := max(int(float64(n)*lb.o.warmup), 10)
	d, err := interleaveN("local-stack get-customer", n, warm, []func() error{httpSide, handler, authHandler, loopback, hop, custSide, authSide})
	if err != nil {
		return nil, err
	}
	after := lb.stack.FunctionStats()
	l := &stackLatency{
		N: n, Warmup: warm, BodyBytes: len(body), EventBytes: len(payload),
		HTTP: statsOf(d[0]), Handler: statsOf(d[1]), AuthHandler: statsOf(d[2]), Loopback: statsOf(d[3]), Hop: statsOf(d[4]),
		CustomersPool: statsOf(d[5]), AuthPool: statsOf(d[6]),
		AuthInvocations:     after["authorizer"].Invocations - before["authorizer"].Invocations,
		CustomerInvocations: after["customers"].Invocations - before["customers"].Invocations,
	}
	for _, fn := range []string{"authorizer", "customers"} {
		l.NewProcesses += len(after[fn].ColdStarts) - len(before[fn].ColdStarts)
	}
	if want := n + warm; l.AuthInvocations != want || l.CustomerInvocations != want {
		return nil, fmt.Errorf("local stack: %d authorizer and %d customers invocations for %d requests over HTTP", l.AuthInvocations, l.CustomerInvocations, want)
	}
	log.Printf("%-14s p50 %8s vs %8s  ratio %.2f   +%s at p50 (customers pool %s, authorizer pool %s, loopback HTTP %s, minimal hop %s)", "stack-get",
		round(l.HTTP.P50), round(l.Handler.P50), l.Ratio(), round(l.Overhead()), round(l.CustomersPool.P50), round(l.AuthPool.P50), round(l.Loopback.P50), round(l.Hop.P50))
	return l, nil
}

// interleaveN runs warm rounds of every side, then n measured rounds,
// rotating which side goes first, so that drift and noise hit all alike.
// Any side failing stops the run.
func interleaveN(name string, n, warm int, sides []func() error) ([][]time.Duration, error) {
	for i := range warm {
		for k, f := range sides {
			if err := f(); err != nil {
				return nil, fmt.Errorf("%s: warm-up %d, side %d: %w", name, i, k, err)
			}
		}
	}
	runtime.GC()
	out := make([][]time.Duration, len(sides))
	for k := range out {
		out[k] = make([]time.Duration, 0, n)
	}
	for i := range n {
		for j := range sides {
			k := (i + j) % len(sides)
			t := time.Now()
			err := sides[k]()
			out[k] = append(out[k], time.Since(t))
			if err != nil {
				return nil, fmt.Errorf("%s: iteration %d, side %d: %w", name, i, k, err)
			}
		}
	}
	return out, nil
}

// stackLoad is the short mixed load run before the memory is read.
type stackLoad struct {
	Requests, Workers int
	Duration          time.Duration
	Kinds             []loadKind
}

// loadKind is one kind of request of the mixed load.
type loadKind struct {
	Method, Path string // Path as declared (the route), or as sent when no route declares it
	Function     string
	As           string // whose key
	Status       int
	Count        int
}

// mixedLoad sends o.stackLoad requests, over the routes of every HTTP
// function (and the fallback), with 4 concurrent clients, so that the
// pools start more than one process where requests overlap. Creates with a
// license write a usage counter, whose stream record the stack hands to
// usage-stream; the vulnerability-database event reaches scan-dispatch
// through the local EventBridge rule. Every answer must have its status.
func (lb *localBench) mixedLoad(ctx context.Context) (*stackLoad, error) {
	admin, super := lb.stack.Credentials.PartnerAdminKey, lb.stack.Credentials.SuperAdminKey
	period := time.Now().UTC().Format("2006-01")
	var seq atomic.Int64
	type kind struct {
		loadKind
		path func(id string) string
		body func() string
	}
	fixed := func(p string) func(string) string { return func(string) string { return p } }
	cust := func(suffix string) func(string) string {
		return func(id string) string { return "/v1/customers/" + id + suffix }
	}
	k := func(method, route, fn, as string, status int, path func(string) string, body func() string) kind {
		return kind{loadKind: loadKind{Method: method, Path: route, Function: fn, As: as, Status: status}, path: path, body: body}
	}
	kinds := []kind{
		k("GET", "/v1/customers", "customers", "partner_admin", 200, fixed("/v1/customers?limit=25&sort=name"), nil),
		k("GET", "/v1/customers/{customerId}", "customers", "partner_admin", 200, cust(""), nil),
		k("POST", "/v1/customers", "customers", "partner_admin", 201, fixed("/v1/customers"), func() string {
			i := seq.Add(1)
			return fmt.Sprintf(`{"name":"Load Customer %d AG","contactEmail":"it@load-%d.example","timezone":"Europe/Zurich","country":"CH",`+
				`"licenses":[{"model":"per_asset","quantity":20,"endUserPrice":{"amount":7000,"currency":"EUR"}}]}`, i, i)
		}),
		k("GET", "/v1/customers/{customerId}/licenses", "licenses", "partner_admin", 200, cust("/licenses"), nil),
		k("GET", "/v1/customers/{customerId}/usage", "usage", "partner_admin", 200, cust("/usage"), nil),
		k("GET", "/v1/alerts", "usage", "partner_admin", 200, fixed("/v1/alerts"), nil),
		k("GET", "/v1/settings/pricing", "billing", "partner_admin", 200, fixed("/v1/settings/pricing"), nil),
		k("GET", "/v1/margins", "billing", "partner_admin", 200, fixed("/v1/margins?period="+period), nil),
		k("GET", "/v1/users", "users", "partner_admin", 200, fixed("/v1/users"), nil),
		k("GET", "/v1/audit", "audit", "partner_admin", 200, fixed("/v1/audit"), nil),
		k("GET", "/v1/customers/{customerId}/assets", "assets", "partner_admin", 200, cust("/assets"), nil),
		k("GET", "/v1/customers/{customerId}/scans", "scans", "partner_admin", 200, cust("/scans"), nil),
		k("GET", "/v1/schedules", "schedules", "partner_admin", 200, func(id string) string { return "/v1/schedules?customerId=" + id }, nil),
		k("GET", "/v1/no-such-route", "fallback", "none", 404, fixed("/v1/no-such-route"), nil),
		k("POST", "/v1/partners", "partners", "super_admin", 201, fixed("/v1/partners"), func() string {
			i := seq.Add(1)
			return fmt.Sprintf(`{"name":"Load MSSP %d","contactEmail":"admin@load-mssp-%d.test","country":"FR"}`, i, i)
		}),
		k("POST", "/v1/events/vulndb-updated", "schedules", "super_admin", 202, fixed("/v1/events/vulndb-updated"), func() string {
			return fmt.Sprintf(`{"name":"bench load update %d"}`, seq.Add(1))
		}),
	}
	total := max(lb.o.stackLoad, len(kinds))
	const workers = 4
	counts := make([]atomic.Int64, len(kinds))
	var (
		next     atomic.Int64
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= total {
					return
				}
				kd := kinds[i%len(kinds)]
				key := map[string]string{"partner_admin": admin, "super_admin": super}[kd.As]
				body := ""
				if kd.body != nil {
					body = kd.body()
				}
				p := kd.path(lb.ids[i%len(lb.ids)])
				code, b, err := lb.do(ctx, kd.Method, lb.stack.URL+p, key, body)
				if err == nil && code != kd.Status {
					err = fmt.Errorf("%s %s answered %d, want %d: %.300s", kd.Method, p, code, kd.Status, b)
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("local stack, mixed load: %w", err)
					}
					mu.Unlock()
					return
				}
				counts[i%len(kinds)].Add(1)
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	load := &stackLoad{Requests: total, Workers: workers, Duration: time.Since(start)}
	for i, kd := range kinds {
		kd.Count = int(counts[i].Load())
		load.Kinds = append(load.Kinds, kd.loadKind)
	}
	// The load's asynchronous work reaches usage-stream (the table's
	// stream, polled) and scan-dispatch (an EventBridge rule) after the
	// answers: wait for both to have been invoked, at most 30 s.
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := lb.stack.FunctionStats()
		if st["usage-stream"].Invocations > 0 && st["scan-dispatch"].Invocations > 0 {
			break
		}
		if time.Now().After(deadline) {
			log.Printf("local stack: after the load, usage-stream has %d invocations and scan-dispatch %d", st["usage-stream"].Invocations, st["scan-dispatch"].Invocations)
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	log.Printf("local stack: mixed load of %d requests (%d clients) in %s", total, workers, load.Duration.Round(time.Millisecond))
	return load, nil
}

// stackMemory is the resident memory (VmRSS) of the stack's processes.
type stackMemory struct {
	Bench     int64       // this process: the gateway and the local endpoints (and the bench)
	Functions []procGroup // every function process, by function (declaration order; Procs 0: none running)
	DynamoDB  int64       // the DynamoDB Local java process the stack uses (0: not found on this machine)
	Floor     int64       // one idle minimal aws-lambda-go process, after one invocation
	// DynamoDBEnd is the same java process's RSS at the end of the bench
	// (0: not read).
	DynamoDBEnd int64
}

// recordEnd reads DynamoDB Local's RSS again, at the end of the bench.
func (ls *localStack) recordEnd(endpoint string) {
	if ls == nil || ls.Memory == nil {
		return
	}
	if pid := dynamoDBLocalPID(endpoint); pid > 0 {
		ls.Memory.DynamoDBEnd, _ = rss(pid)
	}
}

// procGroup is the processes of one function.
type procGroup struct {
	Name  string
	Procs int
	RSS   int64 // summed
}

// FunctionRSS sums the function processes.
func (m *stackMemory) FunctionRSS() (procs int, rss int64) {
	for _, g := range m.Functions {
		procs += g.Procs
		rss += g.RSS
	}
	return procs, rss
}

// Total is the whole stack.
func (m *stackMemory) Total() int64 {
	_, f := m.FunctionRSS()
	return m.Bench + f + m.DynamoDB
}

// memory reads the VmRSS of every process of the stack: this one, every
// function process (found by its executable under the binaries directory),
// and DynamoDB Local's java process (found by its command line: DynamoDBLocal
// and the port of the endpoint). It also records which environment
// variables the stack gave each function, for the cold starts to check
// theirs against, and measures the floor: one idle minimal aws-lambda-go
// process.
func (lb *localBench) memory(ctx context.Context) (*stackMemory, error) {
	m := &stackMemory{}
	var err error
	if m.Bench, err = rss(os.Getpid()); err != nil {
		return nil, err
	}
	byName := map[string]*procGroup{}
	for _, f := range app.Declaration().Functions {
		m.Functions = append(m.Functions, procGroup{Name: f.Name})
	}
	for i := range m.Functions {
		byName[m.Functions[i].Name] = &m.Functions[i]
	}
	lb.stackEnv = map[string][]string{}
	procs, err := processesUnder(lb.bins)
	if err != nil {
		return nil, err
	}
	for pid, name := range procs {
		g := byName[name]
		if g == nil {
			continue
		}
		r, err := rss(pid)
		if err != nil {
			continue // exited meanwhile
		}
		g.Procs++
		g.RSS += r
		if _, ok := lb.stackEnv[name]; !ok {
			if names, err := envNames(pid); err == nil {
				lb.stackEnv[name] = names
			}
		}
	}
	// No more processes than the pools started.
	stats := lb.stack.FunctionStats()
	for _, g := range m.Functions {
		if started := len(stats[g.Name].ColdStarts); g.Procs > started {
			return nil, fmt.Errorf("local stack: found %d processes of %s, its pool started %d", g.Procs, g.Name, started)
		}
	}
	if pid := dynamoDBLocalPID(lb.endpoint); pid > 0 {
		if m.DynamoDB, err = rss(pid); err != nil {
			return nil, err
		}
	} else {
		log.Printf("local stack: no DynamoDB Local java process for %s on this machine", lb.endpoint)
	}

	// The floor: one minimal aws-lambda-go process, invoked once, idle.
	p := lambdaruntime.NewPool(lambdaruntime.Function{Name: "floor", Binary: lb.floorBin})
	defer p.Close()
	if _, err := p.Invoke(ctx, []byte("{}")); err != nil {
		return nil, fmt.Errorf("floor process: %w", err)
	}
	time.Sleep(100 * time.Millisecond)
	floor, err := processesUnder(filepath.Dir(lb.floorBin))
	if err != nil {
		return nil, err
	}
	for pid := range floor {
		if m.Floor, err = rss(pid); err != nil {
			return nil, err
		}
	}
	if m.Floor == 0 {
		return nil, errors.New("local stack: the floor process was not found")
	}
	n, f := m.FunctionRSS()
	log.Printf("local stack memory: bench process %s, %d function processes %s, DynamoDB Local %s; idle aws-lambda-go floor %s",
		mib(m.Bench), n, mib(f), mib(m.DynamoDB), mib(m.Floor))
	return m, nil
}

// rss returns VmRSS of pid in bytes.
func rss(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v) // "12345 kB"
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb << 10, err
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// processesUnder returns the processes whose executable is in dir, by pid,
// with the executable's name.
func processesUnder(dir string) (map[int]string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	out := map[int]string{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		exe, err := os.Readlink("/proc/" + e.Name() + "/exe")
		if err != nil {
			continue
		}
		if filepath.Dir(exe) == dir {
			out[pid] = filepath.Base(exe)
		}
	}
	return out, nil
}

// envNames returns the sorted names of pid's environment variables.
func envNames(pid int) ([]string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return nil, err
	}
	var names []string
	for kv := range bytes.SplitSeq(b, []byte{0}) {
		if k, _, ok := bytes.Cut(kv, []byte("=")); ok && len(k) > 0 {
			names = append(names, string(k))
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// dynamoDBLocalPID finds the java process of DynamoDB Local serving
// endpoint: its command line names DynamoDBLocal and -port <port>; 0 if
// there is none on this machine.
func dynamoDBLocalPID(endpoint string) int {
	u, err := url.Parse(endpoint)
	if err != nil || u.Port() == "" {
		return 0
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !bytes.Contains(b, []byte("DynamoDBLocal")) {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if i := slices.Index(args, "-port"); i >= 0 && i+1 < len(args) && args[i+1] == u.Port() {
			return pid
		}
	}
	return 0
}

// coldStarts is the cold start of every function against the floor.
type coldStarts struct {
	N         int // fresh pools per function
	Floor     []time.Duration
	Functions []coldStart // declaration order
}

// coldStart is the samples of one function.
type coldStart struct {
	Name    string
	Samples []time.Duration
}

// Ratio is the function's median / the floor's median.
func (c coldStarts) Ratio(f coldStart) float64 {
	return float64(median(f.Samples)) / float64(median(c.Floor))
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// coldStarts starts o.coldStarts fresh pools per function on its binary,
// with the environment the stack gives it (localEnv), and invokes each
// once; after each function's pool, or before it (alternately), a fresh
// pool of the floor. The cold start is what lambdaruntime measures: from
// the process's start to its first GET of /runtime/invocation/next.
func (lb *localBench) coldStarts(ctx context.Context) (*coldStarts, error) {
	a := app.Declaration()
	cs := &coldStarts{N: lb.o.coldStarts}
	floor := lambdaruntime.Function{Name: "floor", Binary: lb.floorBin, Timeout: 10 * time.Second}
	for _, f := range a.Functions {
		cs.Functions = append(cs.Functions, coldStart{Name: f.Name})
	}
	for r := range cs.N {
		for i, f := range a.Functions {
			fn := lb.function(f)
			measureFn := func() error {
				d, err := coldOnce(ctx, fn, coldPayload(f), r == 0, lb.stackEnv[f.Name])
				cs.Functions[i].Samples = append(cs.Functions[i].Samples, d)
				return err
			}
			measureFloor := func() error {
				d, err := coldOnce(ctx, floor, []byte("{}"), false, nil)
				cs.Floor = append(cs.Floor, d)
				return err
			}
			first, second := measureFn, measureFloor
			if (r+i)%2 == 1 {
				first, second = second, first
			}
			if err := first(); err != nil {
				return nil, err
			}
			if err := second(); err != nil {
				return nil, err
			}
		}
	}
	for _, f := range cs.Functions {
		log.Printf("%-14s cold start median %8s vs %8s  ratio %.2f", f.Name, round(median(f.Samples)), round(median(cs.Floor)), cs.Ratio(f))
	}
	return cs, nil
}

// function is how the stack runs f: its host binary, the environment the
// stack gives it (localEnv, on the measured stack's table), its timeout and
// memory.
func (lb *localBench) function(f app.Function) lambdaruntime.Function {
	return lambdaruntime.Function{
		Name: f.Name, Binary: filepath.Join(lb.bins, f.Name), Env: localEnv(app.Declaration(), f, lb.endpoint, lb.table, lb.secret, lb.home),
		Timeout: time.Duration(f.TimeoutSec) * time.Second, MemoryMB: f.MemoryMB,
	}
}

// coldOnce starts a fresh pool of f, invokes it once with payload and
// returns the process's cold start. An error the function reports is
// fine (the payloads ask for nothing); a process that fails to start,
// exits or times out is not. When checkEnv, the process's environment
// variables must be named as wantEnv (the stack's process of the same
// function), unless wantEnv is nil (it had none running).
func coldOnce(ctx context.Context, f lambdaruntime.Function, payload []byte, checkEnv bool, wantEnv []string) (time.Duration, error) {
	var out lockedBuffer
	f.Log = &out
	p := lambdaruntime.NewPool(f)
	defer p.Close()
	ictx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	_, err := p.Invoke(ictx, payload)
	var fe *lambdaruntime.FunctionError
	if err != nil && !(errors.As(err, &fe) && fe.Unwrap() == nil) {
		return 0, fmt.Errorf("cold start of %s: %w\n%s", f.Name, err, out.String())
	}
	st := p.Stats()
	if len(st.ColdStarts) != 1 {
		return 0, fmt.Errorf("cold start of %s: %d processes started for one invocation\n%s", f.Name, len(st.ColdStarts), out.String())
	}
	if checkEnv && wantEnv != nil {
		procs, err := processesUnder(filepath.Dir(f.Binary))
		if err != nil {
			return 0, err
		}
		for pid, name := range procs {
			if name != filepath.Base(f.Binary) {
				continue
			}
			got, err := envNames(pid)
			if err != nil {
				return 0, err
			}
			if !slices.Equal(got, wantEnv) {
				return 0, fmt.Errorf("cold start of %s: its environment has the variables %v, the stack gave %v (update localEnv)", f.Name, got, wantEnv)
			}
		}
	}
	return st.ColdStarts[0], nil
}

// coldPayload is an invocation that asks f for nothing: an HTTP event of
// an unknown route without identity, an authorizer request without a key,
// an empty stream batch, an EventBridge event of a type nobody handles.
func coldPayload(f app.Function) []byte {
	switch f.Kind {
	case app.KindAuthorizer:
		return []byte(`{"version":"2.0","type":"REQUEST","routeKey":"GET /bench","rawPath":"/bench","headers":{}}`)
	case app.KindHTTP:
		return []byte(`{"version":"2.0","routeKey":"$default","rawPath":"/bench","headers":{},"requestContext":{"http":{"method":"GET","path":"/bench"}}}`)
	case app.KindTableStream:
		return []byte(`{"Records":[]}`)
	}
	return []byte(`{"detail-type":"bench.cold-start","detail":{}}`)
}

// localEnv is the environment internal/devserver gives function f
// (devserver.Endpoints.Environ) on the measured stack's table. The other
// local endpoints' URLs are of a closed port here: a function's main makes
// no network call before lambda.Start (services.FromEnv), and the
// cold-start payloads ask for nothing. The variable names are checked
// against those of the stack's own processes (coldOnce).
func localEnv(a app.App, f app.Function, ddb, table, secret, home string) []string {
	const closed = "http://127.0.0.1:9"
	target, _ := a.ScheduleTargetFunction()
	return devserver.Endpoints{
		Table: table, CursorSecret: secret, DynamoDB: ddb, Home: home,
		EventBridge: closed, Scheduler: closed, S3: closed, Lambda: closed,
		ScheduleTargetARN: "arn:aws:lambda:" + locallambda.DefaultRegion + ":" + lambdaruntime.Account + ":function:" + target.Name,
	}.Environ(a, f)
}

// lockedBuffer collects a pool's log lines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 64<<10 {
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startupBench is devserver.Start until it returns (the API answers an
// authenticated request and credentials.json is written), into a fresh
// state directory and table on the bench's DynamoDB: building the
// functions (Binaries "", warm Go cache) vs with them prebuilt.
type startupBench struct {
	Runs     int
	Build    []startupRun
	Prebuilt []startupRun
}

// startupRun is one Start.
type startupRun struct {
	Total time.Duration
	// Cold is the cold starts the stack's pools recorded during Start: the
	// authorizer and customers, which the readiness check invokes.
	Cold map[string]time.Duration
}

// p50 returns the median of the runs' totals.
func p50(runs []startupRun) time.Duration {
	d := make([]time.Duration, len(runs))
	for i, r := range runs {
		d[i] = r.Total
	}
	return median(d)
}

// medianCold returns the median cold start of fn over runs.
func medianCold(runs []startupRun, fn string) time.Duration {
	var d []time.Duration
	for _, r := range runs {
		if c, ok := r.Cold[fn]; ok {
			d = append(d, c)
		}
	}
	return median(d)
}

// startup runs o.startupRuns Starts of each kind, alternating which goes
// first.
func (lb *localBench) startup(ctx context.Context) (*startupBench, error) {
	sb := &startupBench{Runs: lb.o.startupRuns}
	for i := range sb.Runs {
		build := func() error {
			r, err := lb.startOnce(ctx, "")
			sb.Build = append(sb.Build, r)
			return err
		}
		prebuilt := func() error {
			r, err := lb.startOnce(ctx, lb.bins)
			sb.Prebuilt = append(sb.Prebuilt, r)
			return err
		}
		first, second := build, prebuilt
		if i%2 == 1 {
			first, second = second, first
		}
		if err := first(); err != nil {
			return nil, err
		}
		if err := second(); err != nil {
			return nil, err
		}
	}
	log.Printf("%-14s p50 %s building the functions vs %s prebuilt", "stack start", p50(sb.Build).Round(time.Millisecond), p50(sb.Prebuilt).Round(time.Millisecond))
	return sb, nil
}

// startOnce times one devserver.Start into a fresh directory and table,
// then stops the stack and removes both.
func (lb *localBench) startOnce(ctx context.Context, binaries string) (startupRun, error) {
	dir, err := os.MkdirTemp(lb.work, "start-")
	if err != nil {
		return startupRun{}, err
	}
	defer os.RemoveAll(dir)
	table := fmt.Sprintf("bench-start-%d", time.Now().UnixNano())
	t := time.Now()
	st, err := devserver.Start(ctx, devserver.Config{Dir: dir, Addr: "127.0.0.1:0", Endpoint: lb.endpoint, Table: table, Binaries: binaries, Log: io.Discard})
	r := startupRun{Total: time.Since(t), Cold: map[string]time.Duration{}}
	if err != nil {
		lb.deleteTable(ctx, table)
		return r, fmt.Errorf("local stack start (Binaries %q): %w", binaries, err)
	}
	for fn, s := range st.FunctionStats() {
		if len(s.ColdStarts) > 0 {
			r.Cold[fn] = s.ColdStarts[0]
		}
	}
	if err := st.Close(); err != nil {
		log.Printf("local stack: close: %v", err)
	}
	lb.deleteTable(ctx, table)
	return r, nil
}

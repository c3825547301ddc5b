package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	awsscheduler "github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/partnerportal/portal/internal/asset"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/eventbus"
	"github.com/partnerportal/portal/internal/httpapi"
	"github.com/partnerportal/portal/internal/lambdainvoke"
	"github.com/partnerportal/portal/internal/localeventbridge"
	"github.com/partnerportal/portal/internal/localscheduler"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/recurrence"
	"github.com/partnerportal/portal/internal/scan"
	"github.com/partnerportal/portal/internal/scheduler"
	"github.com/partnerportal/portal/internal/tenancy"
)

// Scan automation (issue 7) is measured on the assembled services, wired
// as in AWS but locally: triggers go to a wire-level EventBridge Scheduler
// (internal/localscheduler) through the real scheduler.Triggers; events go
// to a local EventBridge (internal/localeventbridge) whose subscription
// hands "Vulnerability Database Updated" and "Vulnerability Scan Page
// Requested" to scan-dispatch's handler (services.ScanDispatch().Dispatch),
// one goroutine per event as Lambda would run one invocation per event;
// admitted scans are launched through lambdainvoke.Launcher to a wire-level
// Lambda endpoint that answers 202, as the asynchronous Invoke of scan-run
// is answered. Two measurements, each against the raw requests it cannot
// avoid, the sides alternating:
//
//   - POST /v1/schedules naming -schedule-customers customers of the
//     licensed partner (one call), through the schedules handler;
//   - a vulnerability-database update fanned out to -vulndb-customers
//     subscribed customers of a partner of their own, from
//     POST /v1/events/vulndb-updated until every page is handled.

// Sizes the services use and the floors copy.
const (
	scheduleWorkers   = 16 // portal's scheduleWorkers: customers handled at once by one POST /v1/schedules
	dispatchWorkers   = 8  // portal's dispatchWorkers: admissions made at once by one fan-out page
	automationWarmups = 1  // warm-up runs per side, after the checked first run of the handler side
	benchScheduleGrp  = "partner-portal-scans"
)

// automationBench is what the scan-automation measurements found.
type automationBench struct {
	Create *scheduleCreateRun
	Fanout *fanoutRun
}

// opStat is what one kind of request added up to.
type opStat struct {
	Op       string
	Count    int
	Capacity float64       // DynamoDB capacity units reported
	Time     time.Duration // summed request time (floors only)
}

// opTally adds up requests by operation, in order of first appearance.
type opTally struct {
	mu    sync.Mutex
	order []string
	m     map[string]*opStat
}

func (t *opTally) add(op string, cu float64, d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]*opStat{}
	}
	s, ok := t.m[op]
	if !ok {
		s = &opStat{Op: op}
		t.m[op] = s
		t.order = append(t.order, op)
	}
	s.Count++
	s.Capacity += cu
	s.Time += d
}

func (t *opTally) addCalls(calls []dynamo.Call) {
	for _, c := range calls {
		t.add(c.Operation, c.Capacity, 0)
	}
}

func (t *opTally) list() []opStat {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]opStat, len(t.order))
	for i, op := range t.order {
		out[i] = *t.m[op]
	}
	return out
}

// dynamoOps are the DynamoDB operations among the requests a tally holds.
var dynamoOps = map[string]bool{
	"GetItem": true, "BatchGetItem": true, "Query": true, "Scan": true, "TransactGetItems": true,
	"PutItem": true, "UpdateItem": true, "DeleteItem": true, "BatchWriteItem": true, "TransactWriteItems": true,
}

var readOps = map[string]bool{"GetItem": true, "BatchGetItem": true, "Query": true, "Scan": true, "TransactGetItems": true}

// ddb returns the DynamoDB round trips and read and write capacity of ops.
func ddb(ops []opStat) (rt int, rcu, wcu float64) {
	for _, o := range ops {
		if !dynamoOps[o.Op] {
			continue
		}
		rt += o.Count
		if readOps[o.Op] {
			rcu += o.Capacity
		} else {
			wcu += o.Capacity
		}
	}
	return rt, rcu, wcu
}

// count returns how many requests of op ops holds.
func count(ops []opStat, op string) int {
	for _, o := range ops {
		if o.Op == op {
			return o.Count
		}
	}
	return 0
}

// runSide is one side of a scan-automation comparison: wall time per run
// and the mean CPU time of the bench process per run.
type runSide struct {
	Stats stats
	CPU   time.Duration
}

// interleaveRuns runs warm warm-up runs, then n measured runs of api and
// floor, alternating which goes first (A,B then B,A). It times each
// measured run and the bench process's CPU during it (getrusage: the
// local Scheduler, EventBridge and Lambda endpoints run in this process
// for both sides alike; DynamoDB Local does not). The closures are told
// whether a run is measured, to record what it did.
func interleaveRuns(name string, warm, n int, api, floor func(measured bool) error) (runSide, runSide, error) {
	for i := range warm {
		first, second := api, floor
		if i%2 == 1 {
			first, second = floor, api
		}
		if err := first(false); err != nil {
			return runSide{}, runSide{}, fmt.Errorf("%s: warm-up %d: %w", name, i, err)
		}
		if err := second(false); err != nil {
			return runSide{}, runSide{}, fmt.Errorf("%s: warm-up %d: %w", name, i, err)
		}
	}
	var as, fs []time.Duration
	var acpu, fcpu time.Duration
	timed := func(f func(bool) error, into *[]time.Duration, cpu *time.Duration) error {
		runtime.GC()
		c, t := cpuTime(), time.Now()
		err := f(true)
		*into = append(*into, time.Since(t))
		*cpu += cpuTime() - c
		return err
	}
	for i := range n {
		first := func() error { return timed(api, &as, &acpu) }
		second := func() error { return timed(floor, &fs, &fcpu) }
		if (warm+i)%2 == 1 {
			first, second = second, first
		}
		if err := first(); err != nil {
			return runSide{}, runSide{}, fmt.Errorf("%s: run %d: %w", name, i, err)
		}
		if err := second(); err != nil {
			return runSide{}, runSide{}, fmt.Errorf("%s: run %d: %w", name, i, err)
		}
	}
	return runSide{Stats: statsOf(as), CPU: acpu / time.Duration(n)}, runSide{Stats: statsOf(fs), CPU: fcpu / time.Duration(n)}, nil
}

// parallel calls fn(0) … fn(n-1) with at most workers calls at a time,
// as portal's forEach does, and returns the first error.
func parallel(n, workers int, fn func(i int) error) error {
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range min(n, workers) {
		wg.Go(func() {
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

// lambdaEndpoint is a wire-level Lambda Invoke endpoint that answers every
// asynchronous invocation 202 and records the scan it names.
type lambdaEndpoint struct {
	mu   sync.Mutex
	refs []portal.ScanRef
}

func (l *lambdaEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var ref portal.ScanRef
	if json.Unmarshal(body, &ref) != nil || r.Header.Get("X-Amz-Invocation-Type") != "Event" || ref.ScanID == "" {
		http.Error(w, `{"message":"bad invocation"}`, http.StatusBadRequest)
		return
	}
	l.mu.Lock()
	l.refs = append(l.refs, ref)
	l.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

// take returns the scans invoked since the last take.
func (l *lambdaEndpoint) take() []portal.ScanRef {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.refs
	l.refs = nil
	return out
}

// automationKit is the local AWS the scan-automation measurements use.
type automationKit struct {
	sched    *localscheduler.Server
	client   *awsscheduler.Client // the one Scheduler client, of the triggers and of the floor
	bus      *localeventbridge.Server
	fn       *httptest.Server
	invoked  *lambdaEndpoint
	lambda   *lambda.Client // the one Lambda client, of the launcher and of the floor
	restore  func()
	closeAll func()
}

// startAutomation starts the local Scheduler (with the schedule group),
// EventBridge and Lambda endpoints and points the services at them; restore
// points them back.
func (b *bench) startAutomation(ctx context.Context) (*automationKit, error) {
	k := &automationKit{invoked: &lambdaEndpoint{}}
	var err error
	if k.sched, err = localscheduler.Start(localscheduler.Config{}); err != nil {
		return nil, err
	}
	if k.bus, err = localeventbridge.Start(""); err != nil {
		k.sched.Close()
		return nil, err
	}
	k.fn = httptest.NewServer(k.invoked)
	k.closeAll = func() {
		k.fn.Close()
		k.bus.Close()
		k.sched.Close()
	}
	creds := credentials.NewStaticCredentialsProvider("local", "local", "")
	k.client = k.sched.Client()
	if _, err := k.client.CreateScheduleGroup(ctx, &awsscheduler.CreateScheduleGroupInput{Name: aws.String(benchScheduleGrp)}); err != nil {
		k.closeAll()
		return nil, fmt.Errorf("schedule group: %w", err)
	}
	k.lambda = lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(k.fn.URL), Credentials: creds})

	svc := b.svc
	triggers, dispatchTriggers, launcher, events, page := svc.Schedules.Triggers, svc.Dispatch.Triggers, svc.Scans.Launcher, svc.Events, svc.Dispatch.PageSize
	svc.UseScheduler(&scheduler.Triggers{Client: k.client, Config: scheduler.Config{
		Group: benchScheduleGrp, TargetARN: "arn:aws:lambda:us-east-1:000000000000:function:scan-dispatch",
		RoleARN: "arn:aws:iam::000000000000:role/scheduler", DeadLetterARN: "arn:aws:sqs:us-east-1:000000000000:dispatch-failures",
	}})
	svc.UseEvents(eventbus.New(k.bus.Client(), ""))
	svc.Scans.Launcher = &lambdainvoke.Launcher{Client: k.lambda, Function: "scan-run"}
	svc.Dispatch.PageSize = b.o.vulndbPage
	k.restore = func() {
		svc.Schedules.Triggers, svc.Dispatch.Triggers, svc.Scans.Launcher, svc.Dispatch.PageSize = triggers, dispatchTriggers, launcher, page
		svc.Events, svc.VulnDB.Events, svc.Dispatch.Events = events, events, events
	}
	return k, nil
}

func (k *automationKit) close() {
	k.restore()
	k.closeAll()
}

// schedReqs returns how many requests the local Scheduler has received.
func (k *automationKit) schedReqs() int { return len(k.sched.Requests()) }

// scanAutomation measures schedule creation and the vulnerability-database
// fan-out (either is skipped when its size is 0).
func (b *bench) scanAutomation(ctx context.Context) (*automationBench, error) {
	if b.o.automationRuns <= 0 || (b.o.schedulesN <= 0 && b.o.vulndbN <= 0) {
		return nil, nil
	}
	k, err := b.startAutomation(ctx)
	if err != nil {
		return nil, fmt.Errorf("scan automation: %w", err)
	}
	defer k.close()
	out := &automationBench{}
	if b.o.schedulesN > 0 {
		if out.Create, err = b.scheduleCreate(ctx, k); err != nil {
			return nil, fmt.Errorf("schedule create: %w", err)
		}
		c := out.Create
		log.Printf("%-14s p50 %8s vs %8s  ratio %.2f   %d customers, %.0f DynamoDB round trips, %.0f Scheduler requests",
			"schedules", round(c.API.Stats.P50), round(c.Floor.Stats.P50), c.Ratio(), c.Customers, c.RoundTrips(), c.SchedulerRequests())
	}
	if b.o.vulndbN > 0 {
		if out.Fanout, err = b.vulnFanout(ctx, k); err != nil {
			return nil, fmt.Errorf("vulndb fan-out: %w", err)
		}
		f := out.Fanout
		rt, _, _ := ddb(f.Ops)
		log.Printf("%-14s p50 %8s vs %8s  ratio %.2f   %d customers, %.1f invocations, %.0f DynamoDB round trips, %.0f invokes",
			"vulndb fan-out", round(f.API.Stats.P50), round(f.Floor.Stats.P50), f.Ratio(), f.Subscribers, f.Invocations, float64(rt)/float64(f.N), f.LambdaInvokes)
	}
	return out, nil
}

// invokeScanRun is the asynchronous Invoke of scan-run with a scan's
// reference, as lambdainvoke.Launcher sends it (the floor's launch).
func invokeScanRun(ctx context.Context, client *lambda.Client, ref portal.ScanRef) error {
	payload, err := json.Marshal(ref)
	if err != nil {
		return err
	}
	_, err = client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String("scan-run"), InvocationType: lambdatypes.InvocationTypeEvent, Payload: payload,
	})
	if err != nil {
		return fmt.Errorf("invoke scan-run: %w", err)
	}
	return nil
}

// ---- POST /v1/schedules over many customers ----

// scheduleCreateRun is POST /v1/schedules naming many customers in one
// call against the raw requests it cannot avoid.
type scheduleCreateRun struct {
	Customers   int
	Zones       int // distinct time zones among them
	N, Warmup   int
	API, Floor  runSide
	Ops         []opStat // the handler's DynamoDB calls and Scheduler requests, over the measured runs
	FloorOps    []opStat // the floor's requests, over the measured runs
	BodyBytes   int      // the 201 answer's body
	Expression  string   // the triggers' schedule expression
	ShapeFields int      // JSON fields of a CreateSchedule body, the same on both sides
}

// Ratio returns handler p50 / floor p50.
func (c *scheduleCreateRun) Ratio() float64 {
	return float64(c.API.Stats.P50) / float64(c.Floor.Stats.P50)
}

// RoundTrips returns the handler's DynamoDB round trips per call.
func (c *scheduleCreateRun) RoundTrips() float64 {
	rt, _, _ := ddb(c.Ops)
	return float64(rt) / float64(c.N)
}

// SchedulerRequests returns the handler's Scheduler requests per call.
func (c *scheduleCreateRun) SchedulerRequests() float64 {
	return float64(count(c.Ops, "CreateSchedule")) / float64(c.N)
}

// createBody is the body of a CreateSchedule request as the local
// Scheduler received it.
type createBody struct {
	ActionAfterCompletion      string
	ClientToken                string
	Description                string
	GroupName                  string
	ScheduleExpression         string
	ScheduleExpressionTimezone string
	State                      string
	FlexibleTimeWindow         struct {
		Mode                   string
		MaximumWindowInMinutes *int32
	}
	Target struct {
		Arn, RoleArn, Input string
		RetryPolicy         *struct{ MaximumRetryAttempts, MaximumEventAgeInSeconds *int32 }
		DeadLetterConfig    *struct{ Arn string }
	}
}

// floorCreate is the CreateSchedule of a new schedule ID with the same
// definition as body (a schedule the handler created for the customer).
func floorCreate(body createBody, oldID, newID string) *awsscheduler.CreateScheduleInput {
	token := sha256.Sum256([]byte(newID + body.ClientToken))
	in := &awsscheduler.CreateScheduleInput{
		Name: aws.String(newID), GroupName: aws.String(body.GroupName), ClientToken: aws.String(hex.EncodeToString(token[:])),
		ScheduleExpression: aws.String(body.ScheduleExpression), ScheduleExpressionTimezone: aws.String(body.ScheduleExpressionTimezone),
		State:              schedtypes.ScheduleState(body.State),
		FlexibleTimeWindow: &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowMode(body.FlexibleTimeWindow.Mode), MaximumWindowInMinutes: body.FlexibleTimeWindow.MaximumWindowInMinutes},
		Target: &schedtypes.Target{
			Arn: aws.String(body.Target.Arn), RoleArn: aws.String(body.Target.RoleArn),
			Input: aws.String(strings.ReplaceAll(body.Target.Input, oldID, newID)),
		},
		ActionAfterCompletion: schedtypes.ActionAfterCompletion(body.ActionAfterCompletion),
		Description:           aws.String(strings.ReplaceAll(body.Description, oldID, newID)),
	}
	if rp := body.Target.RetryPolicy; rp != nil {
		in.Target.RetryPolicy = &schedtypes.RetryPolicy{MaximumRetryAttempts: rp.MaximumRetryAttempts, MaximumEventAgeInSeconds: rp.MaximumEventAgeInSeconds}
	}
	if dl := body.Target.DeadLetterConfig; dl != nil {
		in.Target.DeadLetterConfig = &schedtypes.DeadLetterConfig{Arn: aws.String(dl.Arn)}
	}
	return in
}

// jsonShape returns the sorted paths of the fields of a JSON document.
func jsonShape(body []byte) ([]string, error) {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, err
	}
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if m, ok := v.(map[string]any); ok {
			for k, x := range m {
				out = append(out, prefix+k)
				walk(prefix+k+".", x)
			}
		}
	}
	walk("", v)
	slices.Sort(out)
	return out, nil
}

// withS returns a copy of item with the given string attributes set.
func withS(item map[string]types.AttributeValue, set map[string]string) map[string]types.AttributeValue {
	out := maps.Clone(item)
	for k, v := range set {
		out[k] = &types.AttributeValueMemberS{Value: v}
	}
	return out
}

func attrS(item map[string]types.AttributeValue, name string) string {
	if s, ok := item[name].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// scheduleCreate: the schedules handler's POST /v1/schedules naming the
// last -schedule-customers customers of the licensed partner (a weekly
// light scan of all their assets, each in its customer's time zone) vs,
// with the handler's 16 workers, the requests it cannot avoid: the
// customers' consistent BatchGetItem (100 keys a call), then per customer
// a raw CreateSchedule through the same Scheduler client with the same
// definition the handler sent for that customer (a new name, its own
// ClientToken) and a raw TransactWriteItems of a schedule item and its
// audit entry, copies of those the handler wrote (each conditional on its
// absence, with a ClientRequestToken, as the store sends them).
func (b *bench) scheduleCreate(ctx context.Context, k *automationKit) (*scheduleCreateRun, error) {
	n, runs := b.o.schedulesN, b.o.automationRuns
	if n > portal.MaxScheduleCustomers || n > len(b.fx.licensedIDs) {
		return nil, fmt.Errorf("-schedule-customers %d: at most %d, and at most the %d customers of the licensed partner", n, portal.MaxScheduleCustomers, len(b.fx.licensedIDs))
	}
	ids := slices.Clone(b.fx.licensedIDs[len(b.fx.licensedIDs)-n:])
	pid, admin := b.fx.licensed.ID, b.fx.licensedAdmin
	idsJSON, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	body := `{"customerIds":` + string(idsJSON) + `,"profile":"light","targets":"all","frequency":"weekly","dayOfWeek":"MON","startTime":"09:00"}`
	ev := post("POST /v1/schedules", "/v1/schedules", admin, nil, body)
	h := b.handler("schedules")
	run := &scheduleCreateRun{Customers: n, N: runs, Warmup: automationWarmups}

	// The first call is checked: every customer got its schedule, one
	// CreateSchedule each; its requests and items are the floor's models.
	before := k.schedReqs()
	res, err := h.Handle(ctx, ev)
	if err != nil {
		return nil, err
	}
	var created httpapi.ScheduleCreateJSON
	if res.StatusCode != http.StatusCreated || json.Unmarshal([]byte(res.Body), &created) != nil || created.Created != n || len(created.Items) != n {
		return nil, fmt.Errorf("the handler answered %d (%d created): %.300s", res.StatusCode, created.Created, res.Body)
	}
	run.BodyBytes = len(res.Body)
	scheduleOf := map[string]httpapi.ScheduleJSON{} // customer → its schedule
	zones := map[string]bool{}
	for i, it := range created.Items {
		if it.CustomerID != ids[i] || it.Status != "created" || it.Schedule == nil || len(it.Schedule.NextRuns) != portal.NextRunsShown {
			return nil, fmt.Errorf("customer %d: %+v", i, it)
		}
		scheduleOf[it.CustomerID] = *it.Schedule
		zones[it.Schedule.Timezone] = true
	}
	run.Zones = len(zones)
	bodies := map[string]createBody{} // schedule ID → what the handler sent for it
	var shape []string
	for _, r := range k.sched.Requests()[before:] {
		if r.Operation != "CreateSchedule" {
			return nil, fmt.Errorf("the handler sent the Scheduler a %s", r.Operation)
		}
		var cb createBody
		if err := json.Unmarshal(r.Body, &cb); err != nil {
			return nil, fmt.Errorf("CreateSchedule body: %w", err)
		}
		name := r.Path[strings.LastIndex(r.Path, "/")+1:]
		bodies[name] = cb
		if shape == nil {
			if shape, err = jsonShape(r.Body); err != nil {
				return nil, err
			}
		}
		run.Expression = cb.ScheduleExpression
	}
	if len(bodies) != n {
		return nil, fmt.Errorf("the handler sent %d CreateSchedule requests for %d customers", len(bodies), n)
	}
	run.ShapeFields = len(shape)

	// The items the handler wrote for the first customer: the models of the
	// floor's transaction.
	first := ids[0]
	sid := scheduleOf[first].ID
	got, err := b.raw.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(b.table), Key: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "TENANT#" + pid + "#" + first}, "SK": &types.AttributeValueMemberS{Value: "SCHEDULE#" + sid},
	}, ConsistentRead: aws.Bool(true)})
	if err != nil || got.Item == nil {
		return nil, fmt.Errorf("read the schedule item %s: %v", sid, err)
	}
	schedItem := got.Item
	q, err := b.raw.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(b.table), KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :audit)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: "TENANT#" + pid + "#" + first}, ":audit": &types.AttributeValueMemberS{Value: "AUDIT#"},
		},
		ScanIndexForward: aws.Bool(false), Limit: aws.Int32(1), ConsistentRead: aws.Bool(true),
	})
	if err != nil || len(q.Items) != 1 || attrS(q.Items[0], "action") != "schedule.create" || attrS(q.Items[0], "targetId") != sid {
		return nil, fmt.Errorf("read the audit entry of schedule %s: %v", sid, err)
	}
	auditItem := q.Items[0]
	// The entry's changes name the customer's time zone: the floor's copy
	// names each customer's (items near 1 KB cost more past it).
	firstZone := `"timezone":{"before":null,"after":"` + scheduleOf[first].Timezone + `"}`
	changes := attrS(auditItem, "changes")
	if !strings.Contains(changes, firstZone) {
		return nil, fmt.Errorf("the audit entry of schedule %s does not name its time zone: %s", sid, changes)
	}

	// The floor's requests, made up front for every run.
	type floorReq struct {
		create *awsscheduler.CreateScheduleInput
		tx     *dynamodb.TransactWriteItemsInput
	}
	ulids := &portal.ULIDs{}
	floorRuns := make([][]floorReq, automationWarmups+runs)
	for r := range floorRuns {
		reqs := make([]floorReq, n)
		for i, cid := range ids {
			old := scheduleOf[cid]
			newID, auditID := ulids.New(portal.PrefixSchedule), ulids.New(portal.PrefixAudit)
			at := attrS(auditItem, "time")
			token := sha256.Sum256([]byte(b.table + "#" + auditID))
			reqs[i] = floorReq{
				create: floorCreate(bodies[old.ID], old.ID, newID),
				tx: &dynamodb.TransactWriteItemsInput{
					TransactItems: []types.TransactWriteItem{
						{Put: &types.Put{TableName: aws.String(b.table), ConditionExpression: aws.String("attribute_not_exists(PK)"),
							ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
							Item: withS(schedItem, map[string]string{"PK": "TENANT#" + pid + "#" + cid, "SK": "SCHEDULE#" + newID,
								"scheduleId": newID, "tenantId": cid, "timezone": old.Timezone})}},
						{Put: &types.Put{TableName: aws.String(b.table), ConditionExpression: aws.String("attribute_not_exists(PK)"),
							Item: withS(auditItem, map[string]string{"PK": "TENANT#" + pid + "#" + cid, "SK": "AUDIT#" + at + "\x1f" + auditID,
								"GSI1SK": at + "\x1f" + auditID, "auditId": auditID, "targetId": newID, "tenantId": cid,
								"changes": strings.Replace(changes, firstZone, `"timezone":{"before":null,"after":"`+old.Timezone+`"}`, 1)})}},
					},
					ClientRequestToken:     aws.String(hex.EncodeToString(token[:16])),
					ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
				},
			}
		}
		floorRuns[r] = reqs
	}
	keys := make([]map[string]types.AttributeValue, n)
	for i, cid := range ids {
		keys[i] = map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "TENANT#" + pid + "#" + cid}, "SK": &types.AttributeValueMemberS{Value: "CUSTOMER"},
		}
	}

	var apiOps, floorOps opTally
	api := func(measured bool) error {
		mctx, m := dynamo.WithMeter(ctx)
		before := k.schedReqs()
		res, err := h.Handle(mctx, ev)
		if err == nil && res.StatusCode != http.StatusCreated {
			err = fmt.Errorf("handler answered %d: %.300s", res.StatusCode, res.Body)
		}
		if err != nil {
			return err
		}
		if measured {
			apiOps.addCalls(m.Calls())
			for range k.schedReqs() - before {
				apiOps.add("CreateSchedule", 0, 0)
			}
		}
		return nil
	}
	fi := 0
	floor := func(measured bool) error {
		reqs := floorRuns[fi]
		fi++
		record := func(op string, cu float64, t time.Time) {
			if measured {
				floorOps.add(op, cu, time.Since(t))
			}
		}
		for rest := keys; len(rest) > 0; {
			batch := rest[:min(len(rest), 100)]
			rest = rest[len(batch):]
			req := map[string]types.KeysAndAttributes{b.table: {Keys: batch, ConsistentRead: aws.Bool(true)}}
			for len(req) > 0 {
				t := time.Now()
				out, err := b.raw.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
				if err != nil {
					return fmt.Errorf("BatchGetItem: %w", err)
				}
				record("BatchGetItem", sumCU(out.ConsumedCapacity), t)
				req = out.UnprocessedKeys
			}
		}
		return parallel(n, scheduleWorkers, func(i int) error {
			t := time.Now()
			if _, err := k.client.CreateSchedule(ctx, reqs[i].create); err != nil {
				return fmt.Errorf("CreateSchedule: %w", err)
			}
			record("CreateSchedule", 0, t)
			t = time.Now()
			out, err := b.raw.TransactWriteItems(ctx, reqs[i].tx)
			if err != nil {
				return fmt.Errorf("TransactWriteItems: %w", err)
			}
			record("TransactWriteItems", sumCU(out.ConsumedCapacity), t)
			return nil
		})
	}
	if run.API, run.Floor, err = interleaveRuns("schedule create", automationWarmups, runs, api, floor); err != nil {
		return nil, err
	}
	run.Ops, run.FloorOps = apiOps.list(), floorOps.list()

	// Both sides sent the Scheduler the same shape of definition, and each
	// customer has one schedule item per run of either side.
	for _, r := range k.sched.Requests() {
		if r.Operation == "CreateSchedule" && strings.HasSuffix(r.Path, "/"+aws.ToString(floorRuns[0][0].create.Name)) {
			fs, err := jsonShape(r.Body)
			if err != nil {
				return nil, err
			}
			if !slices.Equal(fs, shape) {
				return nil, fmt.Errorf("the floor's CreateSchedule has fields %v, the handler's %v", fs, shape)
			}
		}
	}
	want := int32(1 + 2*(automationWarmups+runs))
	for _, cid := range []string{ids[0], ids[n-1]} {
		c, err := b.raw.Query(ctx, &dynamodb.QueryInput{
			TableName: aws.String(b.table), KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :s)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": &types.AttributeValueMemberS{Value: "TENANT#" + pid + "#" + cid}, ":s": &types.AttributeValueMemberS{Value: "SCHEDULE#"},
			},
			Select: types.SelectCount, ConsistentRead: aws.Bool(true),
		})
		if err != nil || c.Count != want {
			return nil, fmt.Errorf("customer %s has %d schedules (%v), want %d", cid, c.Count, err, want)
		}
	}
	// The same items: the same capacity, call by call kind.
	for _, op := range []string{"BatchGetItem", "TransactWriteItems"} {
		var h, f float64
		for _, o := range run.Ops {
			if o.Op == op {
				h = o.Capacity
			}
		}
		for _, o := range run.FloorOps {
			if o.Op == op {
				f = o.Capacity
			}
		}
		if h != f {
			return nil, fmt.Errorf("%s: the handler's consumed %v capacity units in %d runs, the floor's %v", op, h, runs, f)
		}
	}
	if got, want := count(run.Ops, "CreateSchedule"), n*runs; got != want {
		return nil, fmt.Errorf("the handler sent %d CreateSchedule requests in %d runs, want %d", got, runs, want)
	}
	return run, nil
}

func sumCU(cs []types.ConsumedCapacity) float64 {
	t := 0.0
	for _, c := range cs {
		t += aws.ToFloat64(c.CapacityUnits)
	}
	return t
}

// ---- the vulnerability-database fan-out ----

// fanoutRun is a vulnerability-database update fanned out to the
// subscribed customers against the raw requests it cannot avoid.
type fanoutRun struct {
	Subscribers int // customers whose enabled schedule asks for update scans
	Bystanders  int // customers with an enabled schedule that does not
	PageSize    int
	SetupTime   time.Duration
	N, Warmup   int
	API, Floor  runSide
	// Per update, over the measured updates:
	Invocations      float64 // scan-dispatch invocations (pages)
	MaxPerInvocation int     // the most schedules one invocation handled
	LambdaInvokes    float64 // scan-run invocations
	PutEvents        float64 // PutEvents requests (the announcement and the next-page events)
	Ops              []opStat
	// The floor's requests, over the measured updates.
	FloorOps     []opStat
	FloorInvokes float64
	FloorPages   float64
}

// Ratio returns fan-out p50 / floor p50.
func (f *fanoutRun) Ratio() float64 { return float64(f.API.Stats.P50) / float64(f.Floor.Stats.P50) }

// fanoutCustomer is one customer of the fan-out partner.
type fanoutCustomer struct {
	id, assetID, scheduleID string
	subscribed              bool
}

// storeFanoutCustomer stores customer i of partnerID straight into the
// store (as services' fan-out test does): active, an unlimited license in
// force, one verified asset and an enabled weekly schedule, which asks for
// update scans when subscribed.
func (b *bench) storeFanoutCustomer(ctx context.Context, partnerID string, i int, subscribed bool) (fanoutCustomer, error) {
	store, now, ids := b.svc.Store, b.svc.Clock(), &portal.ULIDs{}
	c := portal.Customer{ID: ids.New(portal.PrefixCustomer), PartnerID: partnerID, Name: fmt.Sprintf("Automation %05d", i),
		ContactEmail: fmt.Sprintf("it@automation-%d.example", i), Timezone: "UTC", Country: "DE", Tags: []string{}, Status: portal.StatusActive,
		Plan: portal.PlanUnlimited, LicenseCounts: map[portal.LicenseModel]int{portal.ModelUnlimited: 1}, AccessLevel: portal.AccessDisabled,
		CreatedAt: now, UpdatedAt: now, Version: 1}
	err := store.SaveLicenses(ctx, &c, true, []portal.License{{
		ID: ids.New(portal.PrefixLicense), TenantID: c.ID, PartnerID: partnerID, Model: portal.ModelUnlimited, BillingPeriod: portal.PeriodMonthly,
		StartsAt: now.Add(-time.Hour), EndUserPrice: portal.Money{Amount: 9900, Currency: "EUR"}, UnitCost: portal.Money{Amount: 5000, Currency: "EUR"},
		PricingVersion: 1, OveragePolicy: portal.OverageSoft, CreatedAt: now, UpdatedAt: now, Version: 1,
	}}, nil)
	if err != nil {
		return fanoutCustomer{}, fmt.Errorf("customer %d: %w", i, err)
	}
	norm, err := asset.Normalize(fmt.Sprintf("www.automation-%d.example", i), false, asset.Policy{})
	if err != nil {
		return fanoutCustomer{}, err
	}
	scope := tenancy.Scope{PartnerID: partnerID, TenantID: c.ID}
	seen, err := store.AssetCounter(ctx, scope, c.ID)
	if err != nil {
		return fanoutCustomer{}, err
	}
	a := portal.Asset{ID: portal.AssetID(norm.Value), PartnerID: partnerID, TenantID: c.ID, Value: norm.Value, Type: norm.Type, Host: norm.Host,
		RegisteredDomain: norm.RegisteredDomain, Tags: []string{}, Criticality: portal.CriticalityMedium, VerificationToken: "t",
		Verified: true, VerificationMethod: portal.OwnershipDNSTXT, VerifiedAt: &now, CreatedAt: now, UpdatedAt: now, Version: 1}
	if _, err := store.AddAssets(ctx, scope, []portal.Asset{a}, seen); err != nil {
		return fanoutCustomer{}, fmt.Errorf("asset of customer %d: %w", i, err)
	}
	sc := portal.Schedule{ID: ids.New(portal.PrefixSchedule), PartnerID: partnerID, TenantID: c.ID, Profile: scan.ProfileLight,
		AllTargets: true, Frequency: recurrence.Weekly, DayOfWeek: "SUN", StartTime: "03:00", Timezone: "UTC", Enabled: true,
		OnVulnDBUpdate: subscribed, CreatedBy: "usr_bench", CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := store.PutSchedule(ctx, scope, sc); err != nil {
		return fanoutCustomer{}, fmt.Errorf("schedule of customer %d: %w", i, err)
	}
	return fanoutCustomer{id: c.ID, assetID: a.ID, scheduleID: sc.ID, subscribed: subscribed}, nil
}

// fanoutObs is what the dispatch invocations of one update did.
type fanoutObs struct {
	outcomes []portal.Dispatched
	calls    []dynamo.Call
	failures []error
}

// vulnFanout: a vulnerability-database update announced through the
// schedules handler (POST /v1/events/vulndb-updated, super_admin) and
// fanned out by scan-dispatch, page by page, to -vulndb-customers
// subscribed customers of a partner of their own, until every page is
// handled, vs the raw requests a fan-out cannot avoid, with the same page
// size and per-page concurrency, pages overlapping: the Query pages of the
// subscriber index partition and, per subscriber, one conditional PutItem
// of a scan item (a copy of one the fan-out admitted) and its asynchronous
// Invoke of scan-run.
func (b *bench) vulnFanout(ctx context.Context, k *automationKit) (*fanoutRun, error) {
	n, runs, page := b.o.vulndbN, b.o.automationRuns, b.o.vulndbPage
	run := &fanoutRun{Subscribers: n, Bystanders: max(1, n/10), PageSize: page, N: runs, Warmup: automationWarmups}

	// The customers, straight into the store.
	start := time.Now()
	name, email := "Automation MSSP", "admin@automation-mssp.test"
	partner, err := b.svc.Partners.Create(tenancy.WithIdentity(ctx, b.fx.superAdmin), portal.PartnerInput{Name: &name, ContactEmail: &email, Country: ptr("DE")})
	if err != nil {
		return nil, fmt.Errorf("partner: %w", err)
	}
	customers := make([]fanoutCustomer, n+run.Bystanders)
	if err := parallel(len(customers), max(b.o.workers, 1), func(i int) error {
		c, err := b.storeFanoutCustomer(ctx, partner.ID, i, i < n)
		customers[i] = c
		return err
	}); err != nil {
		return nil, err
	}
	run.SetupTime = time.Since(start)
	bySchedule := map[string]fanoutCustomer{}
	for _, c := range customers {
		bySchedule[c.scheduleID] = c
	}
	log.Printf("vulndb fan-out: stored %d subscribed customers and %d that did not ask in %s", n, run.Bystanders, run.SetupTime.Round(time.Millisecond))

	// scan-dispatch: every update and page event, in a goroutine of its
	// own, under a meter of its own.
	var pages sync.WaitGroup
	var mu sync.Mutex
	var obs fanoutObs
	cancel := k.bus.Subscribe(func(e localeventbridge.Event) {
		if e.DetailType != portal.DetailVulnDBUpdated && e.DetailType != portal.DetailVulnDBPage {
			return
		}
		payload, _ := json.Marshal(map[string]any{"id": e.EventID, "detail-type": e.DetailType, "source": e.Source, "detail": e.Detail})
		pages.Go(func() {
			mctx, m := dynamo.WithMeter(ctx)
			out, err := b.svc.ScanDispatch().Handle(mctx, payload)
			mu.Lock()
			defer mu.Unlock()
			obs.outcomes = append(obs.outcomes, out)
			obs.calls = append(obs.calls, m.Calls()...)
			if err != nil {
				obs.failures = append(obs.failures, err)
			}
		})
	})
	defer cancel()
	h := b.handler("schedules")
	ev := post("POST /v1/events/vulndb-updated", "/v1/events/vulndb-updated", b.fx.superAdmin, nil, `{"name":"NVD bench update"}`)

	// checkScans checks that every subscriber, and no one else, got one
	// scan launched.
	checkScans := func(refs []portal.ScanRef) error {
		seen := map[string]bool{}
		for _, r := range refs {
			seen[r.TenantID] = true
		}
		for _, c := range customers {
			if seen[c.id] != c.subscribed {
				return fmt.Errorf("customer %s (subscribed %v) got a scan: %v", c.id, c.subscribed, seen[c.id])
			}
		}
		if len(refs) != n {
			return fmt.Errorf("%d scans launched, want %d", len(refs), n)
		}
		return nil
	}
	var apiOps opTally
	var invocations, invokes, puts int
	announce := func(measured bool) error {
		mu.Lock()
		obs = fanoutObs{}
		mu.Unlock()
		putsBefore := k.bus.PutEventsCalls()
		res, err := h.Handle(ctx, ev)
		if err == nil && res.StatusCode != http.StatusAccepted {
			err = fmt.Errorf("announce: handler answered %d: %.300s", res.StatusCode, res.Body)
		}
		if err != nil {
			return err
		}
		pages.Wait()
		mu.Lock()
		o := obs
		mu.Unlock()
		if len(o.failures) > 0 {
			return fmt.Errorf("%d of %d pages failed, the first: %w", len(o.failures), len(o.outcomes), o.failures[0])
		}
		refs := k.invoked.take()
		if err := checkScans(refs); err != nil {
			return err
		}
		admitted := 0
		for _, d := range o.outcomes {
			admitted += len(d.Admitted)
			if len(d.Refused) > 0 || len(d.Duplicates) > 0 {
				return fmt.Errorf("an invocation refused %v, found duplicates %v", d.Refused, d.Duplicates)
			}
		}
		if admitted != n {
			return fmt.Errorf("%d scans admitted, want %d", admitted, n)
		}
		if measured {
			apiOps.addCalls(o.calls)
			invocations += len(o.outcomes)
			invokes += len(refs)
			puts += k.bus.PutEventsCalls() - putsBefore
			for _, d := range o.outcomes {
				run.MaxPerInvocation = max(run.MaxPerInvocation, len(d.Admitted)+len(d.Duplicates)+len(d.Refused)+len(d.Skipped))
			}
		}
		return nil
	}
	// The first update is checked (inside announce) and gives the floor its
	// scan item.
	if err := announce(false); err != nil {
		return nil, err
	}
	var model map[string]types.AttributeValue
	{
		c := customers[0]
		sc, _, err := b.svc.Store.ListScans(ctx, tenancy.Scope{PartnerID: partner.ID, TenantID: c.id}, c.id, "", 1, nil)
		if err != nil || len(sc) != 1 || sc[0].Trigger != portal.TriggerVulnDB || sc[0].Status != portal.ScanQueued {
			return nil, fmt.Errorf("the first subscriber's scans: %+v (%v), want one queued vulndb_update scan", sc, err)
		}
		got, err := b.raw.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(b.table), Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "TENANT#" + partner.ID + "#" + c.id}, "SK": &types.AttributeValueMemberS{Value: "SCAN#" + sc[0].ID},
		}, ConsistentRead: aws.Bool(true)})
		if err != nil || got.Item == nil {
			return nil, fmt.Errorf("read the scan item %s: %v", sc[0].ID, err)
		}
		model = got.Item
	}

	var floorOps opTally
	var floorInvokes, floorPages int
	ulids := &portal.ULIDs{}
	floor := func(measured bool) error {
		record := func(op string, cu float64, t time.Time) {
			if measured {
				floorOps.add(op, cu, time.Since(t))
			}
		}
		var wg sync.WaitGroup
		var emu sync.Mutex
		var firstErr error
		var startKey map[string]types.AttributeValue
		nPages := 0
		for {
			t := time.Now()
			out, err := b.raw.Query(ctx, &dynamodb.QueryInput{
				TableName: aws.String(b.table), IndexName: aws.String("GSI1"),
				KeyConditionExpression:    aws.String("GSIPK = :pk"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "VULNDB#SUBSCRIBERS"}},
				ExclusiveStartKey:         startKey, Limit: aws.Int32(int32(page)), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
			})
			if err != nil {
				wg.Wait()
				return fmt.Errorf("Query subscribers: %w", err)
			}
			record("Query", aws.ToFloat64(capacityOf(out.ConsumedCapacity)), t)
			nPages++
			items := out.Items
			wg.Go(func() {
				err := parallel(len(items), dispatchWorkers, func(i int) error {
					sc := items[i]
					cid, pid, sid := attrS(sc, "tenantId"), attrS(sc, "partnerId"), attrS(sc, "scheduleId")
					c, ok := bySchedule[sid]
					if !ok {
						return fmt.Errorf("schedule %s is not one of the bench's subscribers", sid)
					}
					scanID := ulids.New(portal.PrefixScan)
					item := withS(model, map[string]string{"PK": "TENANT#" + pid + "#" + cid, "SK": "SCAN#" + scanID, "scanId": scanID,
						"partnerId": pid, "tenantId": cid, "scheduleId": sid, "requestedBy": "schedule:" + sid})
					item["assetIds"] = &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: c.assetID}}}
					t := time.Now()
					put, err := b.raw.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(b.table), Item: item,
						ConditionExpression: aws.String("attribute_not_exists(PK)"), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
					if err != nil {
						return fmt.Errorf("PutItem scan: %w", err)
					}
					record("PutItem", aws.ToFloat64(capacityOf(put.ConsumedCapacity)), t)
					t = time.Now()
					if err := invokeScanRun(ctx, k.lambda, portal.ScanRef{PartnerID: pid, TenantID: cid, ScanID: scanID}); err != nil {
						return err
					}
					record("Invoke", 0, t)
					return nil
				})
				if err != nil {
					emu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					emu.Unlock()
				}
			})
			if out.LastEvaluatedKey == nil {
				break
			}
			startKey = out.LastEvaluatedKey
		}
		wg.Wait()
		if firstErr != nil {
			return firstErr
		}
		refs := k.invoked.take()
		if err := checkScans(refs); err != nil {
			return fmt.Errorf("floor: %w", err)
		}
		if measured {
			floorInvokes += len(refs)
			floorPages += nPages
		}
		return nil
	}
	if run.API, run.Floor, err = interleaveRuns("vulndb fan-out", automationWarmups, runs, announce, floor); err != nil {
		return nil, err
	}
	per := float64(runs)
	run.Ops, run.FloorOps = apiOps.list(), floorOps.list()
	run.Invocations, run.LambdaInvokes, run.PutEvents = float64(invocations)/per, float64(invokes)/per, float64(puts)/per
	run.FloorInvokes, run.FloorPages = float64(floorInvokes)/per, float64(floorPages)/per
	return run, nil
}

func capacityOf(c *types.ConsumedCapacity) *float64 {
	if c == nil {
		return aws.Float64(0)
	}
	return c.CapacityUnits
}

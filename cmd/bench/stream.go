package main

import (
	"context"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/eventbus"
	"github.com/partnerportal/portal/internal/localeventbridge"
	"github.com/partnerportal/portal/internal/localstream"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
	"github.com/partnerportal/portal/internal/usagestream"
)

// The usage stream (internal/usagestream, functions/usage-stream) is
// measured on real stream records: the bench writes through the services
// and the store, a capture poller (internal/localstream, the local stand-in
// for the event source mapping) collects what DynamoDB Local's stream
// delivers, and the records are then handed to the real handler,
// services.UsageStream(), whose publisher is the real eventbus.Publisher on
// a local EventBridge endpoint (internal/localeventbridge).

// streamKit is what the stream measurements share.
type streamKit struct {
	bus     *localeventbridge.Server
	handler *usagestream.Handler
	capture *capture
}

// startStream starts the local event bus, points the services' publisher at
// it, builds the usage-stream handler and starts capturing the table's
// stream from now on (localstream.Latest: the seed's records are not
// needed).
func (b *bench) startStream(ctx context.Context, endpoint string) error {
	bus, err := localeventbridge.Start("")
	if err != nil {
		return fmt.Errorf("local event bus: %w", err)
	}
	b.svc.UseEvents(eventbus.New(bus.Client(), ""))
	streams, err := localstream.NewStreamsClient(ctx, endpoint)
	if err != nil {
		bus.Close()
		return err
	}
	c := &capture{}
	c.poller, err = localstream.Start(ctx, streams, b.raw, b.table, c.handle, localstream.Options{StartAt: localstream.Latest, BatchSize: 1000})
	if err != nil {
		bus.Close()
		return fmt.Errorf("capture the stream of %s: %w", b.table, err)
	}
	b.stream = &streamKit{bus: bus, handler: b.svc.UsageStream(), capture: c}
	return nil
}

// stopCapture stops the capture poller, so that it does not poll DynamoDB
// Local during the timed comparison; the event bus stays.
func (b *bench) stopCapture() {
	if c := b.stream.capture; c != nil && c.poller != nil {
		if err := c.poller.Close(); err != nil {
			log.Printf("capture poller: %v", err)
		}
		c.poller = nil
	}
}

func (b *bench) closeStream() {
	if b.stream == nil {
		return
	}
	b.stopCapture()
	b.stream.bus.Close()
}

// capture collects every record the table's stream delivers.
type capture struct {
	poller  *localstream.Poller
	mu      sync.Mutex
	records []events.DynamoDBEventRecord
}

func (c *capture) handle(_ context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	c.mu.Lock()
	c.records = append(c.records, ev.Records...)
	c.mu.Unlock()
	return events.DynamoDBEventResponse{}, nil
}

// take waits until every record written so far has been delivered and
// returns the records not taken before, in delivery order (each item's
// records in the order of its changes).
func (c *capture) take(ctx context.Context) ([]events.DynamoDBEventRecord, error) {
	if c.poller == nil {
		return nil, fmt.Errorf("the capture poller is stopped")
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	if err := c.poller.Drain(dctx); err != nil {
		return nil, fmt.Errorf("drain the table's stream: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.records
	c.records = nil
	return out, nil
}

// imageString returns a string attribute of a stream image ("" when absent).
func imageString(img map[string]events.DynamoDBAttributeValue, name string) string {
	if v, ok := img[name]; ok && v.DataType() == events.DataTypeString {
		return v.String()
	}
	return ""
}

// imageNumber returns a number attribute of a stream image (0 when absent).
func imageNumber(img map[string]events.DynamoDBAttributeValue, name string) int64 {
	if v, ok := img[name]; ok && v.DataType() == events.DataTypeNumber {
		n, _ := strconv.ParseInt(v.Number(), 10, 64)
		return n
	}
	return 0
}

// recordAttr returns an attribute of the record's new image, or else of its old one.
func recordAttr(r events.DynamoDBEventRecord, name string) string {
	if s := imageString(r.Change.NewImage, name); s != "" {
		return s
	}
	return imageString(r.Change.OldImage, name)
}

func recordSK(r events.DynamoDBEventRecord) string {
	if v, ok := r.Change.Keys["SK"]; ok && v.DataType() == events.DataTypeString {
		return v.String()
	}
	return ""
}

// counterDelta is the change of "used" a counter record represents.
func counterDelta(r events.DynamoDBEventRecord) int64 {
	return imageNumber(r.Change.NewImage, "used") - imageNumber(r.Change.OldImage, "used")
}

// select returns the records of entity (and of tenant, unless "").
func selectRecords(recs []events.DynamoDBEventRecord, entity, tenant string) []events.DynamoDBEventRecord {
	var out []events.DynamoDBEventRecord
	for _, r := range recs {
		if recordAttr(r, "entity") == entity && (tenant == "" || recordAttr(r, "tenantId") == tenant) {
			out = append(out, r)
		}
	}
	return out
}

// handleAll hands records to the usage-stream handler in batches of 100,
// as the event source mapping would, without metering.
func (b *bench) handleAll(ctx context.Context, recs []events.DynamoDBEventRecord) error {
	for len(recs) > 0 {
		batch := recs[:min(len(recs), 100)]
		recs = recs[len(batch):]
		res, err := b.stream.handler.Handle(ctx, events.DynamoDBEvent{Records: batch})
		if err == nil && len(res.BatchItemFailures) > 0 {
			err = fmt.Errorf("the handler failed at record %s", res.BatchItemFailures[0].ItemIdentifier)
		}
		if err != nil {
			return fmt.Errorf("usage stream: %w", err)
		}
	}
	return nil
}

// handleCaptured hands everything the stream delivered so far to the
// handler, rounds times: the second round handles the alert records the
// first one's changes raised.
func (b *bench) handleCaptured(ctx context.Context, rounds int) error {
	for range rounds {
		recs, err := b.stream.capture.take(ctx)
		if err != nil {
			return err
		}
		if err := b.handleAll(ctx, recs); err != nil {
			return err
		}
	}
	return nil
}

// streamCost is what handling one stream record cost.
type streamCost struct {
	Record    string // what the record is
	Calls     []dynamo.Call
	Publishes int // PutEvents requests to the event bus
}

// RoundTrips returns the DynamoDB calls.
func (s streamCost) RoundTrips() int { return len(s.Calls) }

// readWrite splits the capacity of calls into read and write units.
func readWrite(calls []dynamo.Call) (rcu, wcu float64) {
	for _, c := range calls {
		switch c.Operation {
		case "GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems":
			rcu += c.Capacity
		default:
			wcu += c.Capacity
		}
	}
	return rcu, wcu
}

// handleOne hands one record to the handler as a batch of its own, under a
// meter, and counts what it published.
func (b *bench) handleOne(ctx context.Context, what string, r events.DynamoDBEventRecord) (streamCost, error) {
	puts := b.stream.bus.PutEventsCalls()
	mctx, m := dynamo.WithMeter(ctx)
	res, err := b.stream.handler.Handle(mctx, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{r}})
	if err == nil && len(res.BatchItemFailures) > 0 {
		err = fmt.Errorf("the handler reported the record failed")
	}
	if err != nil {
		return streamCost{}, fmt.Errorf("stream record (%s): %w", what, err)
	}
	return streamCost{Record: what, Calls: m.Calls(), Publishes: b.stream.bus.PutEventsCalls() - puts}, nil
}

// streamCosts records, with dynamo.WithMeter, what the handler does for
// each kind of record, on real records of a new customer of the measured
// partner with a per-asset license for 10 assets and a per-scan license
// for 10 scans a month (soft limits; alerts at 90 % and 80 %):
//
//  1. creating the customer with its licenses gives each counter its
//     license (used 0);
//  2. one asset is added (0 → 1), then 8 (1 → 9: the 90 % alert), one
//     scan is admitted (0 → 1), and one asset deleted (9 → 8);
//  3. the +1 record is delivered again (a duplicate);
//  4. the alert record the +8 record wrote is handled (published, marked)
//     and delivered again;
//  5. an asset record of an unverified asset, which the handler ignores.
//
// It checks what each did: one alert raised, the duplicate changed
// nothing, the alert was published once.
func (b *bench) streamCosts(ctx context.Context) ([]streamCost, error) {
	admin := b.fx.admin
	actx := tenancy.WithIdentity(ctx, admin)
	if _, err := b.stream.capture.take(ctx); err != nil { // not ours: handled or not needed
		return nil, err
	}
	eur := func(amount int64) *portal.MoneyInput {
		return &portal.MoneyInput{Amount: &amount, Currency: ptr("EUR")}
	}
	c, ls, err := b.svc.Customers.CreateWithLicenses(actx, portal.CustomerInput{
		Name: ptr("Stream Cost GmbH"), ContactEmail: ptr("it@stream-cost.example"), Timezone: ptr("Europe/Berlin"), Country: ptr("DE"),
		Licenses: &[]portal.LicenseInput{
			{Model: ptr(portal.ModelPerAsset), Quantity: ptr(int64(10)), EndUserPrice: eur(3500)},
			{Model: ptr(portal.ModelPerScan), Quantity: ptr(int64(10)), EndUserPrice: eur(7000)},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("stream costs: customer: %w", err)
	}
	var scan portal.License
	for _, l := range ls {
		if l.Model == portal.ModelPerScan {
			scan = l
		}
	}
	add := func(from, n int) ([]string, error) {
		res, err := b.svc.Assets.Add(actx, c.ID, assetInputs("sc%d.stream-cost.com", from, n))
		if err == nil && res.Created != n {
			err = fmt.Errorf("created %d of %d assets", res.Created, n)
		}
		if err != nil {
			return nil, fmt.Errorf("stream costs: add %d assets: %w", n, err)
		}
		return createdIDs(res), nil
	}
	if _, err := add(0, 1); err != nil {
		return nil, err
	}
	eight, err := add(1, 8)
	if err != nil {
		return nil, err
	}
	scope := tenancy.Scope{PartnerID: c.PartnerID, TenantID: c.ID}
	if _, err := b.svc.Store.CountScan(actx, scope, scan, b.svc.Clock()); err != nil {
		return nil, fmt.Errorf("stream costs: admit a scan: %w", err)
	}
	if err := b.svc.Assets.Delete(actx, c.ID, eight[0]); err != nil {
		return nil, fmt.Errorf("stream costs: delete an asset: %w", err)
	}
	recs, err := b.stream.capture.take(ctx)
	if err != nil {
		return nil, err
	}

	// Every record of the customer, in stream order, each handled alone
	// under a meter; the rows pick the interesting ones.
	var (
		rows             = map[string]streamCost{}
		first            events.DynamoDBEventRecord // the +1 record
		assetRecord      *events.DynamoDBEventRecord
		assetLicenseSeen bool
	)
	for _, r := range recs {
		if recordAttr(r, "tenantId") != c.ID {
			continue
		}
		entity, sk := recordAttr(r, "entity"), recordSK(r)
		oldUsed, newUsed := imageNumber(r.Change.OldImage, "used"), imageNumber(r.Change.NewImage, "used")
		role := ""
		switch {
		case entity == dynamo.StreamCounter && r.Change.OldImage == nil && sk == "COUNTER#ASSETS":
			role, assetLicenseSeen = "license", true
		case entity == dynamo.StreamCounter && sk == "COUNTER#ASSETS" && oldUsed == 0 && newUsed == 1:
			role, first = "add1", r
		case entity == dynamo.StreamCounter && sk == "COUNTER#ASSETS" && oldUsed == 1 && newUsed == 9:
			role = "add8"
		case entity == dynamo.StreamCounter && sk == "COUNTER#ASSETS" && oldUsed == 9 && newUsed == 8:
			role = "delete"
		case entity == dynamo.StreamCounter && strings.HasPrefix(sk, "COUNTER#SCANS#") && oldUsed == 0 && newUsed == 1:
			role = "scan"
		case entity == dynamo.StreamAsset && assetRecord == nil && r.EventName == "INSERT":
			assetRecord = &r
		}
		cost, err := b.handleOne(ctx, role, r)
		if err != nil {
			return nil, err
		}
		if role != "" {
			rows[role] = cost
		}
	}
	for _, role := range []string{"license", "add1", "add8", "delete", "scan"} {
		if _, ok := rows[role]; !ok {
			return nil, fmt.Errorf("stream costs: the stream delivered no %q counter record of %s (license record seen: %v)", role, c.ID, assetLicenseSeen)
		}
	}
	if assetRecord == nil {
		return nil, fmt.Errorf("stream costs: no asset record of %s", c.ID)
	}
	dup, err := b.handleOne(ctx, "dup", first)
	if err != nil {
		return nil, err
	}
	ignored, err := b.handleOne(ctx, "asset", *assetRecord)
	if err != nil {
		return nil, err
	}
	// The duplicate changed nothing: the asset license's ledger period
	// counts the four asset-counter records once each.
	_, ledger, err := b.svc.Store.Usage(ctx, scope, c.ID)
	if err != nil {
		return nil, fmt.Errorf("stream costs: usage: %w", err)
	}
	assetChanges, raised := int64(0), 0
	for _, u := range ledger {
		if u.Model == portal.ModelPerAsset {
			assetChanges += u.Changes
		}
		raised += len(u.Raised)
	}
	if assetChanges != 4 || raised != 1 {
		return nil, fmt.Errorf("stream costs: the ledger counts %d asset-counter changes and %d alerts, want 4 and 1", assetChanges, raised)
	}

	// The alert record the +8 record wrote: published and marked; again: skipped.
	recs, err = b.stream.capture.take(ctx)
	if err != nil {
		return nil, err
	}
	alerts := selectRecords(recs, dynamo.StreamAlert, c.ID)
	if len(alerts) != 1 || alerts[0].EventName != "INSERT" {
		return nil, fmt.Errorf("stream costs: %d alert records of %s, want 1 insert", len(alerts), c.ID)
	}
	published, err := b.handleOne(ctx, "alert", alerts[0])
	if err != nil {
		return nil, err
	}
	again, err := b.handleOne(ctx, "alert again", alerts[0])
	if err != nil {
		return nil, err
	}
	if published.Publishes != 1 || again.Publishes != 0 {
		return nil, fmt.Errorf("stream costs: the alert record was published in %d requests, delivered again in %d; want 1 and 0", published.Publishes, again.Publishes)
	}

	label := map[string]string{
		"add1":    "asset counter +1 (0 → 1 of 10 assets), no alert",
		"add8":    "asset counter +8 (1 → 9 of 10): raises the 90 % alert",
		"delete":  "asset counter −1 (an asset deleted, 9 → 8)",
		"scan":    "scan counter +1 (0 → 1 of 10 scans), no alert",
		"license": "asset counter takes a new license (used 0, its first ledger period)",
	}
	var out []streamCost
	for _, role := range []string{"add1", "add8", "delete", "scan", "license"} {
		r := rows[role]
		r.Record = label[role]
		out = append(out, r)
	}
	dup.Record = "the +1 record delivered again (already marked): nothing changes"
	published.Record = "alert record (the 90 % alert): publish, then mark"
	again.Record = "the alert record delivered again (already marked): not published"
	ignored.Record = "asset record of an unverified asset: ignored"
	return append(out, dup, published, again, ignored), nil
}

// assetInputs returns n asset values from format (with one %d) numbered from from.
func assetInputs(format string, from, n int) []portal.AssetInput {
	in := make([]portal.AssetInput, n)
	for i := range in {
		in[i] = portal.AssetInput{Value: ptr(fmt.Sprintf(format, from+i))}
	}
	return in
}

// createdIDs returns the IDs of the assets an add created.
func createdIDs(res portal.AssetAddResult) []string {
	var ids []string
	for _, r := range res.Results {
		if r.Status == portal.AssetCreated && r.Asset != nil {
			ids = append(ids, r.Asset.ID)
		}
	}
	return ids
}

// streamRun is the timed comparison of the usage stream and what it read.
type streamRun struct {
	Comparison  comparison    // per batch of BatchSize records
	Records     int           // measured records (N batches × BatchSize)
	Warm        int           // warm-up records, handled before the measured ones
	BatchSize   int           // records per batch
	Tenants     int           // customers of the licensed partner the records are of
	APITotal    time.Duration // the measured batches, handler side
	FloorTotal  time.Duration // the measured batches, floor side
	Calls       []dynamo.Call // the handler's calls for every record, warm-up included
	FloorWCU    float64       // the floor's capacity, warm-up included
	Alerts      int           // alerts the handled records raised
	Adds        int           // asset adds among the records
	AssetsAdded int           // assets they added
	Deletes     int           // asset deletes
	Scans       int           // scan admissions
	DriveTime   time.Duration // writing the changes and capturing their records
}

// Handled returns the records handled, warm-up included.
func (s *streamRun) Handled() int { return s.Warm + s.Records }

// PerRecord returns the measured time per record of the handler and the floor.
func (s *streamRun) PerRecord() (api, floor time.Duration) {
	return s.APITotal / time.Duration(s.Records), s.FloorTotal / time.Duration(s.Records)
}

// Ratio returns the handler's total time over the floor's.
func (s *streamRun) Ratio() float64 { return float64(s.APITotal) / float64(s.FloorTotal) }

// Count returns how many calls of op the handler made.
func (s *streamRun) Count(op string) int {
	n := 0
	for _, c := range s.Calls {
		if c.Operation == op {
			n++
		}
	}
	return n
}

// streamOps counts the changes drive made.
type streamOps struct{ adds, assets, deletes, scans atomic.Int64 }

// driveStream makes total counter changes on the first tenants customers
// of the licensed partner (each customer's changes in order, customers in
// parallel): asset adds of 1 to 5 values (now and then 10 to 39) through
// AssetService.Add, deletes of one asset through AssetService.Delete, and,
// for customers with a per-scan license, scan admissions through the
// store's AdmitScan. Every change writes its counter once, so the stream
// holds one counter record per change; it returns those records in stream
// order.
func (b *bench) driveStream(ctx context.Context, total, tenants int, ops *streamOps) ([]events.DynamoDBEventRecord, error) {
	ids := b.fx.licensedIDs[:min(tenants, len(b.fx.licensedIDs))]
	if len(ids) == 0 {
		return nil, fmt.Errorf("no licensed customers to drive")
	}
	admin := b.fx.licensedAdmin
	ctx, cancel := context.WithCancel(tenancy.WithIdentity(ctx, admin))
	defer cancel()
	if _, err := b.stream.capture.take(ctx); err != nil {
		return nil, err
	}
	var (
		next, done atomic.Int64
		mu         sync.Mutex
		firstErr   error
		wg         sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	start := time.Now()
	tenant := func(ti int) error {
		tid := ids[ti]
		scope := tenancy.Scope{PartnerID: admin.PartnerID, TenantID: tid}
		ls, err := b.svc.Store.ListLicenses(ctx, scope, tid)
		if err != nil {
			return fmt.Errorf("licenses of %s: %w", tid, err)
		}
		var scan *portal.License
		for i := range ls {
			if ls[i].Model == portal.ModelPerScan {
				scan = &ls[i]
			}
		}
		n := total / len(ids)
		if ti < total%len(ids) {
			n++
		}
		r := rand.New(rand.NewPCG(4, uint64(ti)))
		var held []string
		for k := range n {
			x := r.Float64()
			if scan == nil {
				x = 0.35 + 0.65*x // no scans: 25 % deletes, 75 % adds
			}
			switch {
			case x < 0.35:
				if _, err := b.svc.Store.CountScan(ctx, scope, *scan, b.svc.Clock()); err != nil {
					return fmt.Errorf("admit a scan for %s: %w", tid, err)
				}
				ops.scans.Add(1)
			case x < 0.5125 && len(held) > 0:
				i := r.IntN(len(held))
				if err := b.svc.Assets.Delete(ctx, tid, held[i]); err != nil {
					return fmt.Errorf("delete an asset of %s: %w", tid, err)
				}
				held = append(held[:i], held[i+1:]...)
				ops.deletes.Add(1)
			default:
				m := 1
				switch y := r.IntN(20); {
				case y == 0:
					m = 10 + r.IntN(30)
				case y < 7:
					m = 2 + r.IntN(4)
				}
				res, err := b.svc.Assets.Add(ctx, tid, assetInputs(fmt.Sprintf("c%d-%%d.stream-bench.com", k), 0, m))
				if err == nil && res.Created != m {
					err = fmt.Errorf("created %d of %d", res.Created, m)
				}
				if err != nil {
					return fmt.Errorf("add %d assets to %s: %w", m, tid, err)
				}
				held = append(held, createdIDs(res)...)
				ops.adds.Add(1)
				ops.assets.Add(int64(m))
			}
			if d := done.Add(1); d%2000 == 0 {
				log.Printf("stream: %d/%d counter changes (%.0f/s)", d, total, float64(d)/time.Since(start).Seconds())
			}
		}
		return nil
	}
	for range max(b.o.workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ti := int(next.Add(1) - 1)
				if ti >= len(ids) || ctx.Err() != nil {
					return
				}
				if err := tenant(ti); err != nil {
					fail(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, fmt.Errorf("stream changes: %w", firstErr)
	}
	recs, err := b.stream.capture.take(ctx)
	if err != nil {
		return nil, err
	}
	var counters []events.DynamoDBEventRecord
	for _, r := range selectRecords(recs, dynamo.StreamCounter, "") {
		if recordAttr(r, "partnerId") == admin.PartnerID {
			counters = append(counters, r)
		}
	}
	if len(counters) != total {
		return nil, fmt.Errorf("stream changes: made %d counter changes, the stream delivered %d counter records", total, len(counters))
	}
	return counters, nil
}

// streamCompare measures the usage-stream handler over real counter
// records against the floor, side by side: the handler gets the records
// in batches of BatchSize (as the event source mapping sends them, in
// stream order); the floor sends, for each record of the same batch, one
// raw UpdateItem of the same counter item adding the change the record
// represents (`ADD used :delta`, ReturnConsumedCapacity TOTAL) — the
// least a write of that counter costs. Batches alternate sides as in
// interleave; the first ones warm up. Afterwards it checks that every
// record was applied exactly once (the ledger periods of the customers
// count one change per record).
func (b *bench) streamCompare(ctx context.Context) (*streamRun, error) {
	n, size := b.o.streamN/max(b.o.streamBatch, 1), b.o.streamBatch
	if n <= 0 || b.o.licensed <= 0 {
		return nil, nil
	}
	warm := b.warmups(n)
	run := &streamRun{Records: n * size, Warm: warm * size, BatchSize: size, Tenants: min(b.o.streamTenants, len(b.fx.licensedIDs))}
	var ops streamOps
	start := time.Now()
	recs, err := b.driveStream(ctx, run.Handled(), b.o.streamTenants, &ops)
	if err != nil {
		return nil, err
	}
	run.DriveTime = time.Since(start)
	run.Adds, run.AssetsAdded, run.Deletes, run.Scans = int(ops.adds.Load()), int(ops.assets.Load()), int(ops.deletes.Load()), int(ops.scans.Load())
	log.Printf("stream: %d counter records (%d adds of %d assets, %d deletes, %d scans) on %d customers in %s",
		len(recs), run.Adds, run.AssetsAdded, run.Deletes, run.Scans, run.Tenants, run.DriveTime.Round(time.Second))
	b.stopCapture() // nothing polls DynamoDB Local while timing

	batches := make([]events.DynamoDBEvent, 0, warm+n)
	floors := make([][]*dynamodb.UpdateItemInput, 0, warm+n)
	for len(recs) > 0 {
		batch := recs[:size]
		recs = recs[size:]
		batches = append(batches, events.DynamoDBEvent{Records: batch})
		ins := make([]*dynamodb.UpdateItemInput, len(batch))
		for i, r := range batch {
			ins[i] = &dynamodb.UpdateItemInput{
				TableName: aws.String(b.table),
				Key: map[string]types.AttributeValue{
					"PK": &types.AttributeValueMemberS{Value: r.Change.Keys["PK"].String()},
					"SK": &types.AttributeValueMemberS{Value: r.Change.Keys["SK"].String()},
				},
				UpdateExpression:          aws.String("ADD #used :delta"),
				ExpressionAttributeNames:  map[string]string{"#used": "used"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":delta": &types.AttributeValueMemberN{Value: strconv.FormatInt(counterDelta(r), 10)}},
				ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
			}
		}
		floors = append(floors, ins)
	}
	// The handler runs under one meter for the whole run: per call the
	// meter appends one entry under a mutex, well under a microsecond
	// against the ~millisecond round trips it records.
	mctx, meter := dynamo.WithMeter(ctx)
	var ai, fi int
	api := func() error {
		res, err := b.stream.handler.Handle(mctx, batches[ai])
		ai++
		if err == nil && len(res.BatchItemFailures) > 0 {
			err = fmt.Errorf("the handler failed at record %s", res.BatchItemFailures[0].ItemIdentifier)
		}
		return err
	}
	floor := func() error {
		for _, in := range floors[fi] {
			out, err := b.raw.UpdateItem(ctx, in)
			if err != nil {
				return err
			}
			if out.ConsumedCapacity != nil {
				run.FloorWCU += aws.ToFloat64(out.ConsumedCapacity.CapacityUnits)
			}
		}
		fi++
		return nil
	}
	if b.o.cpuProfile != "" {
		f, err := os.Create(b.o.cpuProfile + ".stream")
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
	}
	as, fs, err := b.interleave("usage-stream", n, api, floor)
	if b.o.cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return nil, err
	}
	run.Calls = meter.Calls()
	for i := range as {
		run.APITotal += as[i]
		run.FloorTotal += fs[i]
	}
	run.Comparison = comparison{
		Name: "usage-stream", N: n, Warmup: warm,
		API:        fmt.Sprintf("usage-stream handler, `Handler.Handle` of %d counter records", size),
		Floor:      fmt.Sprintf("%d raw `UpdateItem`s, one per record: `ADD used :delta` on the same counter item", size),
		APIStats:   statsOf(as),
		FloorStats: statsOf(fs),
	}

	// Exactly once: each handled record is one change of a ledger period.
	changes := int64(0)
	for _, tid := range b.fx.licensedIDs[:run.Tenants] {
		_, ledger, err := b.svc.Store.Usage(ctx, tenancy.Scope{PartnerID: b.fx.licensed.ID, TenantID: tid}, tid)
		if err != nil {
			return nil, fmt.Errorf("usage of %s: %w", tid, err)
		}
		for _, u := range ledger {
			changes += u.Changes
			run.Alerts += len(u.Raised)
		}
	}
	if changes != int64(run.Handled()) {
		return nil, fmt.Errorf("usage-stream: the ledger counts %d changes, %d records were handled", changes, run.Handled())
	}
	return run, nil
}

// perHandled returns the handler's round trips and read and write units
// per handled record, warm-up included.
func (s *streamRun) perHandled() (rt, rcu, wcu float64) {
	r, w := readWrite(s.Calls)
	n := float64(s.Handled())
	return float64(len(s.Calls)) / n, r / n, w / n
}

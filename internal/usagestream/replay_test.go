package usagestream

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/ddblocal"
	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

var (
	replayTrials = flag.Int("replay.trials", 1000, "trials of TestRandomisedReplayAppliesEveryRecordOnce")
	replaySeed   = flag.Uint64("replay.seed", 0, "seed of TestRandomisedReplayAppliesEveryRecordOnce (0: a random one, printed)")
)

// replayWorkers is how many trials run at once, each on its own tenant:
// enough to keep DynamoDB Local busy while trials wait for it.
var replayWorkers = 2*runtime.GOMAXPROCS(0) + 2

// TestRandomisedReplayAppliesEveryRecordOnce is the reliability proof of
// the handler: the stream of a recorded scenario (real records of real
// store changes, captured by localstream) is fed to it again and again,
// each trial on a fresh tenant of one table, in random batches, each
// batch delivered one to five times, an earlier stretch now and then
// delivered again late, and failures injected at random before and after
// every store and bus call, honouring batchItemFailures as Lambda does.
// After every trial:
//
//   - each counter record was applied exactly once, and no other record;
//   - every ledger period equals applying each distinct counter change
//     once, in order, with the pure portal.CounterChange.Apply: its
//     Changes is the number of distinct counter records of the period,
//     its version at most the number of changes that wrote it (changes
//     applied together write it once);
//   - each alert that application raises is stored exactly once, and no
//     other;
//   - each alert and each asset becoming scannable was published at least
//     once, and more than once only after a failure injected between its
//     publication and its marker.
//
// -replay.trials raises the number of trials (CI runs the default 1000);
// a failure prints the seed to run the same trials again with -replay.seed.
func TestRandomisedReplayAppliesEveryRecordOnce(t *testing.T) {
	rec := recordScenario(t)
	want := expectedOutcome(t, rec)
	t.Logf("scenario: %d records (%d counter changes, %d alerts, %d publications), %d ledger periods",
		len(rec.records), len(want.counterEvents), len(want.alerts), len(want.publishes), len(want.ledgers))

	seed := *replaySeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	store := trialTable(t)
	var (
		next   atomic.Int64
		failed atomic.Bool
		wg     sync.WaitGroup
		mu     sync.Mutex
		stats  trialStats
	)
	began := time.Now()
	for range replayWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				trial := int(next.Add(1)) - 1
				if trial >= *replayTrials {
					return
				}
				tr := newTrial(store, rec, want, seed, trial)
				ctx, meter := dynamo.WithMeter(context.Background())
				err := tr.run(ctx)
				if err == nil {
					err = tr.check(ctx, want)
				}
				tr.calls = meter.RoundTrips()
				mu.Lock()
				stats.add(tr)
				if err != nil && !failed.Swap(true) {
					t.Errorf("trial %d failed (reproduce with -replay.seed=%d -replay.trials=%d): %v\ntrace of the trial:\n%s",
						trial, seed, trial+1, err, tr.trace())
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("seed %d: %d trials in %v: %d deliveries, %d records handled, %d faults injected, %d late redeliveries, %d DynamoDB calls",
		seed, min(*replayTrials, int(next.Load())), time.Since(began).Round(time.Millisecond), stats.deliveries, stats.handled, stats.faults, stats.late, stats.calls)
}

// trialTable creates the table the trials share, deleted when the test
// ends: the application's table without its stream, which the trials do
// not read (they feed the recording) and which makes every write to
// DynamoDB Local several times slower as its records pile up.
func trialTable(t *testing.T) *dynamo.Store {
	t.Helper()
	ctx := context.Background()
	client, err := ddblocal.NewClient(ctx, ddbtest.Endpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("t_%s_%d", t.Name(), time.Now().UnixNano())
	decl := app.Declaration().Table
	decl.StreamView = ""
	if err := dynamo.CreateTable(ctx, client, name, decl); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &name}); err != nil {
			t.Errorf("delete table %s: %v", name, err)
		}
	})
	return dynamo.New(client, name)
}

// recording is the stream of the scenario, as Lambda would receive it:
// the records of counters, alerts and assets (the entities the function's
// event filter passes), in stream order.
type recording struct {
	scope   tenancy.Scope
	records []events.DynamoDBEventRecord
}

// recordScenario runs the scenario on a fresh table, with the real handler
// following the stream, and returns the stream it made. It checks that the
// handler's clean, in-order run agrees with the pure application.
func recordScenario(t *testing.T) recording {
	t.Helper()
	w := newWorld(t, true)
	assetLic := w.license(t, portal.ModelPerAsset, 10, portal.OverageSoft)
	scanLic := w.license(t, portal.ModelPerScan, 5, portal.OverageSoft)
	plain := w.addAssets(t, 7, 2)   // 9/10: 90%; Asset Discovered ×2
	w.verify(t, &plain[0])          // Asset Discovered
	more := w.addAssets(t, 3, 0)    // 12/10: 100%, overage 2
	w.setQuantity(t, &assetLic, 20) // 12/20: re-arms 90% and 100%
	w.addAssets(t, 6, 0)            // 18/20: 90% again
	w.admitScans(t, scanLic, 5)     // 80%, 100%
	w.now = time.Date(2026, 4, 2, 10, 0, 0, 0, time.UTC)
	w.deleteAsset(t, more[0]) // asset-time spread over March and April
	w.settle(t)

	rec := recording{scope: w.scope, records: w.records(dynamo.StreamCounter, dynamo.StreamAlert, dynamo.StreamAsset)}
	want := expectedOutcome(t, rec)
	if err := checkLedgers(w.ctx, w.store, w.scope, want); err != nil {
		t.Fatalf("the clean run's ledger: %v", err)
	}
	if err := checkAlerts(w.ctx, w.store, w.scope, want); err != nil {
		t.Fatalf("the clean run's alerts: %v", err)
	}
	if got, want := len(want.alerts), 5; got != want {
		t.Fatalf("the scenario raises %d alerts, want %d (90%%, 100%%, 90%% re-armed; 80%%, 100%% of scans)", got, want)
	}
	if got, want := len(want.publishes), 8; got != want {
		t.Fatalf("the scenario publishes %d events, want %d (5 alerts, 3 assets)", got, want)
	}
	if got, want := len(w.discoveredEvents(t)), 3; got != want {
		t.Fatalf("the clean run published %d Asset Discovered events, want %d", got, want)
	}
	return rec
}

// outcome is what applying a recording once, in order, gives.
type outcome struct {
	counterEvents []string                                // event IDs of the counter records
	ledgers       map[portal.LedgerKey]portal.UsagePeriod // Version: the changes that wrote the period
	changes       map[portal.LedgerKey]int64              // counter records whose new image counts in the period
	alerts        []portal.Alert
	publishes     map[string]string // event ID of a record that publishes → ID of the event it publishes
}

// expectedOutcome applies each distinct counter change of rec once, in
// order, with the pure portal.CounterChange.Apply, and lists what must be
// published.
func expectedOutcome(t *testing.T, rec recording) outcome {
	t.Helper()
	out := outcome{ledgers: map[portal.LedgerKey]portal.UsagePeriod{}, changes: map[portal.LedgerKey]int64{}, publishes: map[string]string{}}
	ledgers := map[portal.LedgerKey]*portal.UsagePeriod{}
	versions := map[portal.LedgerKey]int64{}
	seen := map[string]bool{}
	for _, r := range rec.records {
		if seen[r.EventID] {
			t.Fatalf("event %s recorded twice", r.EventID)
		}
		seen[r.EventID] = true
		oldImage, err := image(r.Change.OldImage)
		if err != nil {
			t.Fatal(err)
		}
		newImage, err := image(r.Change.NewImage)
		if err != nil {
			t.Fatal(err)
		}
		switch entityOfRecord(r) {
		case dynamo.StreamCounter:
			var ch portal.CounterChange
			if ch.Old, err = dynamo.CounterOf(oldImage); err != nil {
				t.Fatal(err)
			}
			if ch.New, err = dynamo.CounterOf(newImage); err != nil {
				t.Fatal(err)
			}
			out.counterEvents = append(out.counterEvents, r.EventID)
			out.alerts = append(out.alerts, ch.Apply(ledgers)...)
			for _, k := range ch.Ledgers() {
				if ledgers[k] != nil {
					versions[k]++
				}
			}
			if n := ch.New; n != nil && n.LicenseID != "" {
				at := n.ChangedAt
				if n.Kind == portal.CounterScans {
					at = n.PeriodStart
				}
				out.changes[portal.LedgerKey{LicenseID: n.LicenseID, PeriodStart: portal.PeriodAt(n.LicenseStartsAt, n.BillingPeriod, at).Start}]++
			}
		case dynamo.StreamAlert:
			if r.EventName == string(events.DynamoDBOperationTypeInsert) {
				a, err := dynamo.AlertOf(newImage)
				if err != nil {
					t.Fatal(err)
				}
				out.publishes[r.EventID] = a.ID
			}
		case dynamo.StreamAsset:
			if newImage == nil {
				continue
			}
			a, err := dynamo.AssetOf(newImage)
			if err != nil {
				t.Fatal(err)
			}
			if oldImage != nil {
				if before, err := dynamo.AssetOf(oldImage); err != nil || before.Verified {
					continue
				}
			}
			if a.Verified {
				out.publishes[r.EventID] = "discovered-" + a.ID
			}
		}
	}
	events := map[string]bool{}
	for _, e := range out.publishes {
		if events[e] {
			t.Fatalf("two records publish event %s", e)
		}
		events[e] = true
	}
	for k, u := range ledgers {
		u.Version = versions[k]
		out.ledgers[k] = *u
	}
	return out
}

// checkLedgers compares the ledger of scope with want.
func checkLedgers(ctx context.Context, store *dynamo.Store, scope tenancy.Scope, want outcome) error {
	_, got, err := store.Usage(ctx, scope, scope.TenantID)
	if err != nil {
		return fmt.Errorf("read usage: %w", err)
	}
	if len(got) != len(want.ledgers) {
		return fmt.Errorf("%d ledger periods, want %d: %v", len(got), len(want.ledgers), got)
	}
	for _, u := range got {
		w, ok := want.ledgers[u.Key()]
		if !ok {
			return fmt.Errorf("unexpected ledger period %s", ledgerString(u))
		}
		w.PartnerID, w.TenantID = scope.PartnerID, scope.TenantID
		// Changes applied together write a period once: its version is
		// at most the number of changes that wrote it, and at least 1.
		if u.Version < 1 || u.Version > w.Version {
			return fmt.Errorf("ledger period %s is at version %d, want 1 to %d (the changes that wrote it)", ledgerString(u), u.Version, w.Version)
		}
		u.Version = w.Version
		if g, w := ledgerString(u), ledgerString(w); g != w {
			return fmt.Errorf("ledger period\n  got  %s\n  want %s", g, w)
		}
		if got, want := u.Changes, want.changes[u.Key()]; got != want {
			return fmt.Errorf("ledger period %s counts %d changes, want %d distinct counter records", ledgerString(u), got, want)
		}
	}
	return nil
}

// ledgerString shows every field of a ledger period.
func ledgerString(u portal.UsagePeriod) string {
	var raised []int
	for pct, on := range u.Raised {
		if on {
			raised = append(raised, pct)
		}
	}
	slices.Sort(raised)
	rearms := map[int]int{}
	for pct, n := range u.Rearms {
		if n != 0 {
			rearms[pct] = n
		}
	}
	return fmt.Sprintf("%s/%s %s %s %s–%s quantity=%d scans=%d peak=%d current=%d@%s assetSeconds=%d overage=%d changes=%d raised=%v rearms=%v version=%d",
		u.PartnerID, u.TenantID, u.LicenseID, u.Model, u.Period.Start.Format(time.RFC3339), u.Period.End.Format(time.RFC3339), u.Quantity,
		u.Scans, u.PeakAssets, u.CurrentAssets, u.CurrentAt.Format(time.RFC3339), u.AssetSeconds, u.Overage, u.Changes, raised, rearms, u.Version)
}

// checkAlerts compares the stored alerts of scope with want's, each of
// which must be stored exactly once.
func checkAlerts(ctx context.Context, store *dynamo.Store, scope tenancy.Scope, want outcome) error {
	got, _, err := store.ListAlerts(ctx, scope, portal.AlertQuery{PartnerID: scope.PartnerID, TenantID: scope.TenantID, Limit: 100}, nil)
	if err != nil {
		return fmt.Errorf("list alerts: %w", err)
	}
	count := map[string]int{}
	for _, a := range got {
		count[alertString(a)]++
	}
	for _, a := range want.alerts {
		a.PartnerID, a.TenantID = scope.PartnerID, scope.TenantID
		s := alertString(a)
		if count[s] != 1 {
			return fmt.Errorf("alert %s stored %d times, want once", s, count[s])
		}
		delete(count, s)
	}
	for s := range count {
		return fmt.Errorf("unexpected alert %s", s)
	}
	return nil
}

func alertString(a portal.Alert) string {
	return fmt.Sprintf("%s %s/%s %s %s %d%% %d/%d %s–%s at %s ack=%v", a.ID, a.PartnerID, a.TenantID, a.LicenseID, a.Model, a.Threshold,
		a.Used, a.Quantity, a.Period.Start.Format(time.RFC3339), a.Period.End.Format(time.RFC3339), a.CreatedAt.Format(time.RFC3339), a.Acknowledged)
}

// trial is one replay of the recording on a tenant of its own.
type trial struct {
	n       int
	rng     *rand.Rand
	rate    float64 // chance of a fault at each store or bus call
	store   *dynamo.Store
	scope   tenancy.Scope
	records []events.DynamoDBEventRecord
	handler *Handler

	faults     int               // injected so far
	deliveries int               // Handle calls
	handled    int               // records in them
	late       int               // late redeliveries of an earlier stretch
	calls      int               // DynamoDB calls
	applied    map[string]int    // counter records applied, by event ID
	published  map[string]int    // events published, by the event ID of their record
	between    map[string]int    // faults between publishing a record's event and marking it
	eventOf    map[string]string // record event ID → what the record is
	recordOf   map[string]string // published event ID → record event ID
	log        []string
}

type trialStats struct{ deliveries, handled, faults, late, calls int }

func (s *trialStats) add(tr *trial) {
	s.deliveries += tr.deliveries
	s.handled += tr.handled
	s.faults += tr.faults
	s.late += tr.late
	s.calls += tr.calls
}

// newTrial prepares trial n: the recording moved to a partner and tenant
// of its own, and a handler whose store and bus fail at random.
func newTrial(store *dynamo.Store, rec recording, want outcome, seed uint64, n int) *trial {
	tr := &trial{
		n: n, rng: rand.New(rand.NewPCG(seed, uint64(n))), store: store,
		scope:   tenancy.Scope{PartnerID: fmt.Sprintf("prt_TRIAL%021d", n), TenantID: fmt.Sprintf("cus_TRIAL%021d", n)},
		applied: map[string]int{}, published: map[string]int{}, between: map[string]int{}, eventOf: map[string]string{},
		recordOf: map[string]string{},
	}
	for record, event := range want.publishes {
		tr.recordOf[event] = record
	}
	tr.rate = []float64{0.01, 0.03, 0.06, 0.1}[tr.rng.IntN(4)]
	tr.records = moveRecords(rec, tr.scope)
	tr.handler = &Handler{Store: &faultyStore{real: store, tr: tr}, Events: &faultyBus{tr: tr}, Clock: time.Now, Log: log.New(traceWriter{tr}, "", 0)}
	return tr
}

// moveRecords returns the recording's records with its partner and tenant
// IDs replaced by those of scope, wherever they occur (keys, images).
func moveRecords(rec recording, scope tenancy.Scope) []events.DynamoDBEventRecord {
	raw, err := json.Marshal(rec.records)
	if err != nil {
		panic(err)
	}
	s := strings.NewReplacer(rec.scope.PartnerID, scope.PartnerID, rec.scope.TenantID, scope.TenantID).Replace(string(raw))
	var out []events.DynamoDBEventRecord
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		panic(err)
	}
	return out
}

// traceWriter adds what the handler logs to the trial's trace.
type traceWriter struct{ tr *trial }

func (w traceWriter) Write(p []byte) (int, error) {
	w.tr.logf("    handler: %s", strings.TrimSpace(string(p)))
	return len(p), nil
}

func (tr *trial) logf(format string, args ...any) {
	tr.log = append(tr.log, fmt.Sprintf(format, args...))
}

func (tr *trial) trace() string {
	lines := tr.log
	if len(lines) > 400 {
		lines = append(append(lines[:200:200], fmt.Sprintf("... %d lines ...", len(lines)-400)), lines[len(lines)-200:]...)
	}
	return "  " + strings.Join(lines, "\n  ")
}

// fault reports whether to inject a fault at point.
func (tr *trial) fault(point, eventID string) bool {
	if tr.rng.Float64() >= tr.rate {
		return false
	}
	tr.faults++
	tr.logf("    fault: %s of %s", point, eventID)
	return true
}

var errInjected = errors.New("injected fault")

// run delivers the trial's records as a Lambda event source mapping with
// ReportBatchItemFailures does, at least once: random batches from the
// checkpoint, each delivered one to five times, a failed delivery again
// from the first failed record; now and then an earlier stretch again.
func (tr *trial) run(ctx context.Context) error {
	tr.logf("trial %d: %s, fault rate %.2f", tr.n, tr.scope.TenantID, tr.rate)
	for _, r := range tr.records {
		tr.eventOf[r.EventID] = fmt.Sprintf("%s %s (sequence %s)", r.EventName, entityOfRecord(r), r.Change.SequenceNumber)
	}
	for pos := 0; pos < len(tr.records); {
		if pos > 0 && tr.rng.IntN(30) == 0 {
			from := tr.rng.IntN(pos)
			to := from + 1 + tr.rng.IntN(pos-from)
			tr.late++
			tr.logf("late redelivery of records %d–%d", from, to-1)
			if err := tr.deliver(ctx, from, to); err != nil {
				return err
			}
		}
		end := min(len(tr.records), pos+1+tr.rng.IntN(12))
		times := 1 // at least once; a quarter of the batches two to five times
		if tr.rng.IntN(4) == 0 {
			times = 2 + tr.rng.IntN(4)
		}
		for range times {
			if err := tr.deliver(ctx, pos, end); err != nil {
				return err
			}
		}
		pos = end
	}
	return nil
}

// deliver hands records [from, to) to the handler until it has handled
// them all, each time from the first record it reported failed; the
// batches after a failure may end earlier, the rest following.
func (tr *trial) deliver(ctx context.Context, from, to int) error {
	for attempt, retry := 0, false; from < to; attempt++ {
		if attempt > 500 {
			return fmt.Errorf("records %d–%d still fail after %d deliveries", from, to-1, attempt)
		}
		end := to
		if retry && tr.rng.IntN(2) == 0 {
			end = from + 1 + tr.rng.IntN(to-from)
		}
		batch := tr.records[from:end]
		faults := tr.faults
		tr.deliveries++
		tr.handled += len(batch)
		tr.logf("deliver records %d–%d", from, end-1)
		res, err := tr.handler.Handle(ctx, events.DynamoDBEvent{Records: batch})
		if err != nil {
			return fmt.Errorf("Handle returned an error: %v", err)
		}
		if len(res.BatchItemFailures) == 0 {
			from, retry = end, false
			continue
		}
		if tr.faults == faults {
			return fmt.Errorf("records %d–%d: failures %v without an injected fault", from, end-1, res.BatchItemFailures)
		}
		if len(res.BatchItemFailures) != 1 {
			return fmt.Errorf("batchItemFailures = %v, want the first failed record alone", res.BatchItemFailures)
		}
		first := slices.IndexFunc(batch, func(r events.DynamoDBEventRecord) bool {
			return r.Change.SequenceNumber == res.BatchItemFailures[0].ItemIdentifier
		})
		if first < 0 {
			return fmt.Errorf("batchItemFailures name %q, not a record of the batch", res.BatchItemFailures[0].ItemIdentifier)
		}
		tr.logf("  failed at record %d: checkpoint there", from+first)
		from, retry = from+first, true
	}
	return nil
}

// check verifies the trial's outcome against want.
func (tr *trial) check(ctx context.Context, want outcome) error {
	for _, id := range want.counterEvents {
		if n := tr.applied[id]; n != 1 {
			return fmt.Errorf("counter record %s (%s) applied %d times, want once", id, tr.eventOf[id], n)
		}
	}
	for id, n := range tr.applied {
		if !slices.Contains(want.counterEvents, id) {
			return fmt.Errorf("record %s (%s) applied %d times, want never", id, tr.eventOf[id], n)
		}
	}
	if err := checkLedgers(ctx, tr.store, tr.scope, want); err != nil {
		return err
	}
	if err := checkAlerts(ctx, tr.store, tr.scope, want); err != nil {
		return err
	}
	for id := range want.publishes {
		if n, most := tr.published[id], 1+tr.between[id]; n < 1 || n > most {
			return fmt.Errorf("the event of record %s (%s) was published %d times, want 1 to %d (%d faults between publishing and marking)",
				id, tr.eventOf[id], n, most, tr.between[id])
		}
	}
	for id, n := range tr.published {
		if _, ok := want.publishes[id]; !ok {
			return fmt.Errorf("record %s (%s) published %d events, want none", id, tr.eventOf[id], n)
		}
	}
	return nil
}

// faultyStore is the real store with faults injected before and after
// each call; it counts the changes applied.
type faultyStore struct {
	real *dynamo.Store
	tr   *trial
}

// ApplyCounterChanges may fail before any record of the group (applying
// those before it) or after the group was applied (claiming its last
// record was not), as a crash or a lost answer would.
func (s *faultyStore) ApplyCounterChanges(ctx context.Context, records []dynamo.CounterRecord, expires time.Time) ([]bool, error) {
	n := len(records)
	for i, r := range records {
		if s.tr.fault("before ApplyCounterChanges", r.EventID) {
			n = i
			break
		}
	}
	applied, err := s.real.ApplyCounterChanges(ctx, records[:n], expires)
	for i, a := range applied {
		if a {
			s.tr.applied[records[i].EventID]++
			s.tr.logf("    applied %s", records[i].EventID)
		}
	}
	switch {
	case err != nil:
		return applied, err
	case n < len(records):
		return applied, errInjected
	case s.tr.fault("after ApplyCounterChanges", records[n-1].EventID):
		return applied[:n-1], errInjected
	}
	return applied, nil
}

func (s *faultyStore) Handled(ctx context.Context, partnerID, tenantID, eventID string) (bool, error) {
	if s.tr.fault("before Handled", eventID) {
		return false, errInjected
	}
	return s.real.Handled(ctx, partnerID, tenantID, eventID)
}

func (s *faultyStore) MarkHandled(ctx context.Context, partnerID, tenantID, eventID string, expires time.Time) error {
	if s.tr.fault("before MarkHandled", eventID) {
		s.tr.between[eventID]++
		return errInjected
	}
	if err := s.real.MarkHandled(ctx, partnerID, tenantID, eventID, expires); err != nil {
		return err
	}
	if s.tr.fault("after MarkHandled", eventID) {
		return errInjected
	}
	return nil
}

// faultyBus records what is published, with faults injected before and
// after publishing.
type faultyBus struct{ tr *trial }

func (b *faultyBus) Publish(ctx context.Context, evs ...portal.Event) error {
	for _, e := range evs {
		record := b.recordOf(e.ID)
		if b.tr.fault("before Publish", record) {
			return errInjected
		}
		b.tr.published[record]++
		b.tr.logf("    published %s (%s)", e.ID, e.DetailType)
		if b.tr.fault("after Publish", record) {
			b.tr.between[record]++
			return errInjected
		}
	}
	return nil
}

// recordOf returns the event ID of the record whose event has ID id.
func (b *faultyBus) recordOf(id string) string {
	if r, ok := b.tr.recordOf[id]; ok {
		return r
	}
	return "unknown event " + id
}

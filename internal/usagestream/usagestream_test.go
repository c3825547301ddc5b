package usagestream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/eventbus"
	"github.com/partnerportal/portal/internal/localeventbridge"
	"github.com/partnerportal/portal/internal/localstream"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// TestMain stops the DynamoDB Local the tests started, if any.
func TestMain(m *testing.M) { ddbtest.Main(m) }

// licenseStart is when every license of these tests starts: periods are
// calendar months from 1 March 2026.
var licenseStart = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// waitTimeout bounds every wait for the stream.
const waitTimeout = 30 * time.Second

// world is one test's stack: a fresh table on DynamoDB Local with its
// stream followed by localstream (as the Lambda event source mapping
// would), the real handler on the real store, and the real event bus
// publisher talking to a local EventBridge. One tenant of one partner
// does things at a clock that moves a minute per change.
type world struct {
	ctx     context.Context
	store   *dynamo.Store
	bus     *localeventbridge.Server
	handler *Handler
	poller  *localstream.Poller
	scope   tenancy.Scope
	now     time.Time
	ids     ddbtest.SeqIDs

	mu        sync.Mutex
	delivered []events.DynamoDBEventRecord // every record handed to the handler, in order
	failures  []string                     // sequence numbers the handler reported failed
}

// newWorld starts a world. With apply false the stream's records are only
// recorded, not handed to the handler: the test calls Handle itself.
func newWorld(t *testing.T, apply bool) *world {
	t.Helper()
	ctx := context.Background()
	client, table := ddbtest.NewStreamTable(t)
	srv, err := localeventbridge.Start("")
	if err != nil {
		t.Fatalf("start local EventBridge: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	eb := eventbridge.New(eventbridge.Options{
		BaseEndpoint: aws.String(srv.URL()),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	w := &world{
		ctx: ctx, store: dynamo.New(client, table), bus: srv,
		scope: tenancy.Scope{PartnerID: ddbtest.PartnerA, TenantID: "cus_000000000000000000000000T1"},
		now:   time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC),
	}
	// The handler's clock dates the markers, whose TTL runs on DynamoDB's
	// own clock: the wall clock, not the cast's.
	w.handler = &Handler{Store: w.store, Events: eventbus.New(eb, ""), Clock: time.Now, Log: log.New(t.Output(), "", 0)}
	streams, err := localstream.NewStreamsClient(ctx, ddbtest.Endpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	w.poller, err = localstream.Start(ctx, streams, client, table, func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		w.mu.Lock()
		w.delivered = append(w.delivered, ev.Records...)
		w.mu.Unlock()
		if !apply {
			return events.DynamoDBEventResponse{}, nil
		}
		res, err := w.handler.Handle(ctx, ev)
		w.mu.Lock()
		for _, f := range res.BatchItemFailures {
			w.failures = append(w.failures, f.ItemIdentifier)
		}
		w.mu.Unlock()
		return res, err
	}, localstream.Options{StartAt: localstream.TrimHorizon, Log: t.Output(), RetryDelay: 10 * time.Millisecond})
	if err != nil {
		t.Fatalf("start stream poller: %v", err)
	}
	t.Cleanup(func() {
		if err := w.poller.Close(); err != nil {
			t.Errorf("close stream poller: %v", err)
		}
	})
	return w
}

// tick moves the world's clock on by a minute and returns it.
func (w *world) tick() time.Time {
	w.now = w.now.Add(time.Minute)
	return w.now
}

// settle waits until the stream's records, and those the handler's own
// writes (alerts) add to it, have been handled, and fails the test if
// the handler reported a failure meanwhile.
func (w *world) settle(t testing.TB) {
	t.Helper()
	for range 2 { // the second round takes the alerts the first one wrote
		ctx, cancel := context.WithTimeout(w.ctx, waitTimeout)
		err := w.poller.Drain(ctx)
		cancel()
		if err != nil {
			t.Fatalf("drain the stream: %v", err)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.failures) > 0 {
		t.Fatalf("the handler failed records %v", w.failures)
	}
}

// records returns the records delivered so far of the given entities (all
// when none is given), in stream order.
func (w *world) records(entities ...string) []events.DynamoDBEventRecord {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []events.DynamoDBEventRecord
	for _, r := range w.delivered {
		if len(entities) == 0 || slices.Contains(entities, entityOfRecord(r)) {
			out = append(out, r)
		}
	}
	return out
}

// entityOfRecord returns the entity of a stream record's item.
func entityOfRecord(r events.DynamoDBEventRecord) string {
	for _, img := range []map[string]events.DynamoDBAttributeValue{r.Change.NewImage, r.Change.OldImage} {
		if v, ok := img["entity"]; ok && v.DataType() == events.DataTypeString {
			return v.String()
		}
	}
	return ""
}

// license stores a new license of the world's tenant.
func (w *world) license(t testing.TB, model portal.LicenseModel, quantity int64, policy portal.OveragePolicy) portal.License {
	t.Helper()
	at := w.tick()
	l := portal.License{
		ID: w.ids.New("lic_"), TenantID: w.scope.TenantID, PartnerID: w.scope.PartnerID, Model: model, Quantity: quantity,
		BillingPeriod: portal.PeriodMonthly, StartsAt: licenseStart, EndUserPrice: portal.Money{Amount: 1000, Currency: "EUR"},
		UnitCost: portal.Money{Amount: 100, Currency: "EUR"}, OveragePolicy: policy, CreatedAt: at, UpdatedAt: at, Version: 1,
	}
	if err := w.store.SaveLicenses(w.ctx, nil, false, []portal.License{l}, nil); err != nil {
		t.Fatalf("save license: %v", err)
	}
	return l
}

// setQuantity changes a stored license's quantity.
func (w *world) setQuantity(t testing.TB, l *portal.License, quantity int64) {
	t.Helper()
	l.Quantity, l.UpdatedAt, l.Version = quantity, w.tick(), l.Version+1
	if err := w.store.SaveLicenses(w.ctx, nil, false, []portal.License{*l}, nil); err != nil {
		t.Fatalf("set quantity of %s to %d: %v", l.ID, quantity, err)
	}
}

// addAssets adds plain unverified and then verified subdomains to the
// tenant in one write, as the asset service does: conditional on the
// asset counter as read.
func (w *world) addAssets(t testing.TB, plain, verified int) []portal.Asset {
	t.Helper()
	at := w.tick()
	seen, err := w.store.AssetCounter(w.ctx, w.scope, w.scope.TenantID)
	if err != nil {
		t.Fatalf("read asset counter: %v", err)
	}
	assets := make([]portal.Asset, plain+verified)
	for i := range assets {
		v := fmt.Sprintf("host%s.example.com", w.ids.New(""))
		assets[i] = portal.Asset{
			ID: portal.AssetID(v), PartnerID: w.scope.PartnerID, TenantID: w.scope.TenantID, Value: v, Type: "subdomain", Host: v,
			RegisteredDomain: "example.com", Tags: []string{}, Criticality: portal.CriticalityMedium, VerificationToken: "token-" + v,
			CreatedAt: at, UpdatedAt: at, Version: 1,
		}
		if i >= plain {
			assets[i].Verified, assets[i].VerificationMethod, assets[i].VerifiedAt = true, portal.OwnershipDNSTXT, &at
		}
	}
	out, err := w.store.AddAssets(w.ctx, w.scope, assets, seen)
	if err != nil || out.Existing != nil || out.CounterMoved {
		t.Fatalf("add %d assets: %+v, %v", len(assets), out, err)
	}
	return assets
}

// verify marks a stored asset verified.
func (w *world) verify(t testing.TB, a *portal.Asset) {
	t.Helper()
	at := w.tick()
	a.Verified, a.VerificationMethod, a.VerifiedAt, a.UpdatedAt, a.Version = true, portal.OwnershipHTTPFile, &at, at, a.Version+1
	if err := w.store.UpdateAsset(w.ctx, w.scope, *a); err != nil {
		t.Fatalf("verify asset %s: %v", a.ID, err)
	}
}

// deleteAsset deletes a stored asset.
func (w *world) deleteAsset(t testing.TB, a portal.Asset) {
	t.Helper()
	if err := w.store.DeleteAsset(w.ctx, w.scope, a, w.tick()); err != nil {
		t.Fatalf("delete asset %s: %v", a.ID, err)
	}
}

// admitScans admits n scans on per-scan license l.
func (w *world) admitScans(t testing.TB, l portal.License, n int) {
	t.Helper()
	for range n {
		if _, err := w.store.CountScan(w.ctx, w.scope, l, w.tick()); err != nil {
			t.Fatalf("admit scan on %s: %v", l.ID, err)
		}
	}
}

// alerts returns the tenant's stored alerts, oldest first.
func (w *world) alerts(t testing.TB) []portal.Alert {
	t.Helper()
	got, _, err := w.store.ListAlerts(w.ctx, w.scope, portal.AlertQuery{PartnerID: w.scope.PartnerID, TenantID: w.scope.TenantID, Limit: 100}, nil)
	if err != nil {
		t.Fatalf("list alerts: %v", err)
	}
	slices.Reverse(got)
	return got
}

// ledger returns the tenant's usage ledger period of license l that
// contains at.
func (w *world) ledger(t testing.TB, l portal.License, at time.Time) portal.UsagePeriod {
	t.Helper()
	_, ledger, err := w.store.Usage(w.ctx, w.scope, w.scope.TenantID)
	if err != nil {
		t.Fatalf("read usage: %v", err)
	}
	for _, u := range ledger {
		if u.LicenseID == l.ID && u.Period.Contains(at) {
			return u
		}
	}
	t.Fatalf("no ledger period of %s at %s in %+v", l.ID, at, ledger)
	return portal.UsagePeriod{}
}

// publishedThreshold is the detail of a published "Usage Threshold Reached"
// event as a consumer reads it.
type publishedThreshold struct {
	AlertID     string    `json:"alertId"`
	PartnerID   string    `json:"partnerId"`
	CustomerID  string    `json:"customerId"`
	LicenseID   string    `json:"licenseId"`
	Model       string    `json:"model"`
	Threshold   int       `json:"threshold"`
	Used        int64     `json:"used"`
	Quantity    int64     `json:"quantity"`
	PeriodStart time.Time `json:"periodStart"`
	PeriodEnd   time.Time `json:"periodEnd"`
}

// thresholdEvents returns the published threshold events, checking that
// each has the usage source and a detail with exactly the documented fields.
func (w *world) thresholdEvents(t testing.TB) []publishedThreshold {
	t.Helper()
	var out []publishedThreshold
	for _, e := range w.bus.Events() {
		if e.DetailType != portal.DetailUsageThreshold {
			continue
		}
		if e.Source != portal.SourceUsage {
			t.Fatalf("threshold event source = %q, want %q", e.Source, portal.SourceUsage)
		}
		wantFields(t, e.Detail, "alertId", "partnerId", "customerId", "licenseId", "model", "threshold", "used", "quantity", "periodStart", "periodEnd")
		var d publishedThreshold
		if err := json.Unmarshal(e.Detail, &d); err != nil {
			t.Fatalf("decode threshold detail %s: %v", e.Detail, err)
		}
		out = append(out, d)
	}
	return out
}

// publishedDiscovery is the detail of a published "Asset Discovered" event.
type publishedDiscovery struct {
	AssetID            string    `json:"assetId"`
	PartnerID          string    `json:"partnerId"`
	CustomerID         string    `json:"customerId"`
	Value              string    `json:"value"`
	Type               string    `json:"type"`
	VerificationMethod string    `json:"verificationMethod"`
	VerifiedAt         time.Time `json:"verifiedAt"`
}

// discoveredEvents returns the published "Asset Discovered" events.
func (w *world) discoveredEvents(t testing.TB) []publishedDiscovery {
	t.Helper()
	var out []publishedDiscovery
	for _, e := range w.bus.Events() {
		if e.DetailType != portal.DetailAssetDiscovered {
			continue
		}
		if e.Source != portal.SourceAssets {
			t.Fatalf("discovered event source = %q, want %q", e.Source, portal.SourceAssets)
		}
		wantFields(t, e.Detail, "assetId", "partnerId", "customerId", "value", "type", "verificationMethod", "verifiedAt")
		var d publishedDiscovery
		if err := json.Unmarshal(e.Detail, &d); err != nil {
			t.Fatalf("decode discovered detail %s: %v", e.Detail, err)
		}
		out = append(out, d)
	}
	return out
}

// wantFields fails the test unless detail is a JSON object with exactly
// the given fields.
func wantFields(t testing.TB, detail json.RawMessage, fields ...string) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(detail, &m); err != nil {
		t.Fatalf("detail %s is not a JSON object: %v", detail, err)
	}
	var got []string
	for k := range m {
		got = append(got, k)
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(fields))
	if !slices.Equal(got, want) {
		t.Fatalf("detail fields = %v, want %v", got, want)
	}
}

// redeliver hands records to the handler again, as at-least-once delivery
// may, and fails the test unless it handles them all.
func (w *world) redeliver(t testing.TB, records []events.DynamoDBEventRecord) {
	t.Helper()
	res, err := w.handler.Handle(w.ctx, events.DynamoDBEvent{Records: records})
	if err != nil || len(res.BatchItemFailures) > 0 {
		t.Fatalf("redelivery of %d records: failures %v, error %v", len(records), res.BatchItemFailures, err)
	}
}

// handle hands records to the handler as one batch and returns the
// sequence numbers it reported failed.
func (w *world) handle(t testing.TB, records ...events.DynamoDBEventRecord) []string {
	t.Helper()
	res, err := w.handler.Handle(w.ctx, events.DynamoDBEvent{Records: records})
	if err != nil {
		t.Fatalf("Handle returned an error: %v (it must report failed records instead)", err)
	}
	var seqs []string
	for _, f := range res.BatchItemFailures {
		seqs = append(seqs, f.ItemIdentifier)
	}
	return seqs
}

// wantAlerts fails the test unless the stored alerts are, in order, of
// these thresholds and usages ("90% 9/10").
func wantAlerts(t testing.TB, got []portal.Alert, want ...string) {
	t.Helper()
	var have []string
	for _, a := range got {
		have = append(have, fmt.Sprintf("%d%% %d/%d", a.Threshold, a.Used, a.Quantity))
	}
	if !slices.Equal(have, want) {
		t.Fatalf("alerts = %q, want %q", have, want)
	}
}

// wantPublished fails the test unless the published threshold events
// are, in order, of these thresholds and usages, one per stored alert.
func wantPublished(t testing.TB, w *world, want ...string) {
	t.Helper()
	var have []string
	for _, e := range w.thresholdEvents(t) {
		have = append(have, fmt.Sprintf("%d%% %d/%d", e.Threshold, e.Used, e.Quantity))
	}
	if !slices.Equal(have, want) {
		t.Fatalf("published threshold events = %q, want %q", have, want)
	}
}

func TestPerAssetLicensesAlertAt90PercentOncePerPeriod(t *testing.T) {
	w := newWorld(t, true)
	lic := w.license(t, portal.ModelPerAsset, 10, portal.OverageHard)
	first := w.addAssets(t, 8, 0)
	w.settle(t)
	t.Run("NoAlertBelow90Percent", func(t *testing.T) {
		wantAlerts(t, w.alerts(t))
		wantPublished(t, w)
	})
	w.addAssets(t, 1, 0)
	w.settle(t)
	t.Run("CrossingStoresAndPublishesOneAlert", func(t *testing.T) {
		alerts := w.alerts(t)
		wantAlerts(t, alerts, "90% 9/10")
		a := alerts[0]
		if a.LicenseID != lic.ID || a.TenantID != w.scope.TenantID || a.PartnerID != w.scope.PartnerID || a.Model != portal.ModelPerAsset {
			t.Fatalf("alert = %+v, want one of license %s of tenant %s", a, lic.ID, w.scope.TenantID)
		}
		if got, want := a.Period, portal.PeriodAt(licenseStart, portal.PeriodMonthly, w.now); got != want {
			t.Fatalf("alert period = %v, want %v", got, want)
		}
		events := w.thresholdEvents(t)
		if got, want := len(events), 1; got != want {
			t.Fatalf("threshold events = %d, want %d", got, want)
		}
		want := publishedThreshold{
			AlertID: a.ID, PartnerID: w.scope.PartnerID, CustomerID: w.scope.TenantID, LicenseID: lic.ID, Model: "per_asset",
			Threshold: 90, Used: 9, Quantity: 10, PeriodStart: a.Period.Start, PeriodEnd: a.Period.End,
		}
		if got := events[0]; got != want {
			t.Fatalf("published detail = %+v,\nwant               %+v", got, want)
		}
	})
	t.Run("RecordsDeliveredAgainChangeNothing", func(t *testing.T) {
		before := w.ledger(t, lic, w.now)
		all := w.records(dynamo.StreamCounter, dynamo.StreamAlert, dynamo.StreamAsset)
		w.redeliver(t, all)
		w.redeliver(t, all[len(all)/2:])
		wantAlerts(t, w.alerts(t), "90% 9/10")
		wantPublished(t, w, "90% 9/10")
		after := w.ledger(t, lic, w.now)
		if after.Changes != before.Changes || after.Version != before.Version || after.PeakAssets != 9 {
			t.Fatalf("ledger after redelivery = %d changes (version %d), peak %d; want %d changes (version %d), peak 9",
				after.Changes, after.Version, after.PeakAssets, before.Changes, before.Version)
		}
	})
	last := w.addAssets(t, 1, 0)
	w.settle(t)
	t.Run("Reaching100PercentAlertsOnceMore", func(t *testing.T) {
		wantAlerts(t, w.alerts(t), "90% 9/10", "100% 10/10")
		wantPublished(t, w, "90% 9/10", "100% 10/10")
	})
	t.Run("FallingBackAndCrossingAgainInThePeriodDoesNotAlert", func(t *testing.T) {
		w.deleteAsset(t, last[0])
		w.deleteAsset(t, first[0]) // 8/10
		w.addAssets(t, 1, 0)       // 9/10 again
		w.settle(t)
		wantAlerts(t, w.alerts(t), "90% 9/10", "100% 10/10")
		wantPublished(t, w, "90% 9/10", "100% 10/10")
	})
	t.Run("TheLedgerCountsEveryChangeOnce", func(t *testing.T) {
		// The license's counter sync, then 8, 1 and 1 added, 2 deleted
		// and 1 added: seven counter changes.
		u := w.ledger(t, lic, w.now)
		if u.Changes != 7 || u.PeakAssets != 10 || u.CurrentAssets != 9 || u.Overage != 0 {
			t.Fatalf("ledger = %d changes, peak %d, current %d, overage %d; want 7, 10, 9, 0", u.Changes, u.PeakAssets, u.CurrentAssets, u.Overage)
		}
	})
}

func TestPerScanLicensesAlertAt80And100Percent(t *testing.T) {
	w := newWorld(t, true)
	lic := w.license(t, portal.ModelPerScan, 5, portal.OverageSoft)
	w.admitScans(t, lic, 3)
	w.settle(t)
	t.Run("NoAlertBelow80Percent", func(t *testing.T) {
		wantAlerts(t, w.alerts(t))
		wantPublished(t, w)
	})
	w.admitScans(t, lic, 1)
	w.settle(t)
	t.Run("Crossing80Percent", func(t *testing.T) {
		wantAlerts(t, w.alerts(t), "80% 4/5")
		e := w.thresholdEvents(t)
		if len(e) != 1 || e[0].Model != "per_scan" || e[0].LicenseID != lic.ID || e[0].CustomerID != w.scope.TenantID || e[0].PartnerID != w.scope.PartnerID {
			t.Fatalf("published = %+v, want one per_scan event of license %s", e, lic.ID)
		}
	})
	w.admitScans(t, lic, 2)
	w.settle(t)
	t.Run("Reaching100PercentAndOverageAlertOnce", func(t *testing.T) {
		wantAlerts(t, w.alerts(t), "80% 4/5", "100% 5/5")
		wantPublished(t, w, "80% 4/5", "100% 5/5")
		u := w.ledger(t, lic, w.now)
		if u.Scans != 6 || u.Overage != 1 {
			t.Fatalf("ledger = %d scans, overage %d; want 6 and 1", u.Scans, u.Overage)
		}
	})
	t.Run("DeliveredAgainNothingChanges", func(t *testing.T) {
		w.redeliver(t, w.records(dynamo.StreamCounter, dynamo.StreamAlert))
		wantAlerts(t, w.alerts(t), "80% 4/5", "100% 5/5")
		wantPublished(t, w, "80% 4/5", "100% 5/5")
		if u := w.ledger(t, lic, w.now); u.Scans != 6 || u.Changes != 7 {
			t.Fatalf("ledger = %d scans, %d changes; want 6 and 7 (the license's sync and six scans)", u.Scans, u.Changes)
		}
	})
	t.Run("ANewPeriodAlertsAgain", func(t *testing.T) {
		w.now = time.Date(2026, 4, 3, 9, 0, 0, 0, time.UTC)
		w.admitScans(t, lic, 4)
		w.settle(t)
		alerts := w.alerts(t)
		wantAlerts(t, alerts, "80% 4/5", "100% 5/5", "80% 4/5")
		if got, want := alerts[2].Period.Start, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
			t.Fatalf("period of the April alert starts %s, want %s", got, want)
		}
		wantPublished(t, w, "80% 4/5", "100% 5/5", "80% 4/5")
	})
}

func TestUnlimitedLicensesNeverAlert(t *testing.T) {
	w := newWorld(t, true)
	w.license(t, portal.ModelUnlimited, 0, portal.OverageSoft)
	w.addAssets(t, 0, 30)
	w.settle(t)
	t.Run("ManyAssets", func(t *testing.T) {
		wantAlerts(t, w.alerts(t))
		wantPublished(t, w)
		if _, ledger, err := w.store.Usage(w.ctx, w.scope, w.scope.TenantID); err != nil || len(ledger) != 0 {
			t.Fatalf("usage ledger = %+v, %v; want none (nothing is metered)", ledger, err)
		}
	})
	t.Run("EvenACounterMeasuredAgainstOne", func(t *testing.T) {
		counters := w.records(dynamo.StreamCounter)
		r := withImage(counters[len(counters)-1], "unlimited-1", map[string]events.DynamoDBAttributeValue{
			"licenseId": events.NewStringAttribute("lic_0000000000000000000000UNLM"), "model": events.NewStringAttribute("unlimited"),
			"quantity": events.NewNumberAttribute("0"), "billingPeriod": events.NewStringAttribute("monthly"),
			"licenseStartsAt": events.NewStringAttribute("2026-03-01T00:00:00.000Z"),
		})
		w.redeliver(t, []events.DynamoDBEventRecord{r})
		w.settle(t)
		wantAlerts(t, w.alerts(t))
		wantPublished(t, w)
	})
}

// withImage returns a copy of record r with event ID id (and a sequence
// number of its own) whose new image has the given attributes changed.
func withImage(r events.DynamoDBEventRecord, id string, attrs map[string]events.DynamoDBAttributeValue) events.DynamoDBEventRecord {
	img := make(map[string]events.DynamoDBAttributeValue, len(r.Change.NewImage))
	for k, v := range r.Change.NewImage {
		img[k] = v
	}
	for k, v := range attrs {
		img[k] = v
	}
	r.EventID = id
	r.Change.SequenceNumber += "1"
	r.Change.NewImage = img
	return r
}

func TestRaisingTheQuantityRearmsThresholdsNoLongerCrossed(t *testing.T) {
	w := newWorld(t, true)
	lic := w.license(t, portal.ModelPerAsset, 10, portal.OverageSoft)
	w.addAssets(t, 9, 0)
	w.settle(t)
	wantAlerts(t, w.alerts(t), "90% 9/10")
	w.setQuantity(t, &lic, 20)
	w.settle(t)
	t.Run("TheRaiseItselfDoesNotAlert", func(t *testing.T) {
		wantAlerts(t, w.alerts(t), "90% 9/10")
		if u := w.ledger(t, lic, w.now); u.Raised[90] || u.Rearms[90] != 1 {
			t.Fatalf("ledger raised %v, rearms %v; want 90 re-armed once", u.Raised, u.Rearms)
		}
	})
	w.addAssets(t, 9, 0)
	w.settle(t)
	t.Run("CrossingAgainAlertsAgainInTheSamePeriod", func(t *testing.T) {
		alerts := w.alerts(t)
		wantAlerts(t, alerts, "90% 9/10", "90% 18/20")
		if alerts[0].Period != alerts[1].Period || alerts[0].ID == alerts[1].ID {
			t.Fatalf("alerts %s in %v and %s in %v: want two alerts in one period", alerts[0].ID, alerts[0].Period, alerts[1].ID, alerts[1].Period)
		}
		wantPublished(t, w, "90% 9/10", "90% 18/20")
	})
	w.addAssets(t, 2, 0)
	w.setQuantity(t, &lic, 21)
	w.addAssets(t, 1, 0)
	w.settle(t)
	t.Run("AThresholdStillCrossedStaysRaised", func(t *testing.T) {
		// 20/20 alerts 100%; raised to 21 (95%) re-arms 100% only.
		wantAlerts(t, w.alerts(t), "90% 9/10", "90% 18/20", "100% 20/20", "100% 21/21")
		wantPublished(t, w, "90% 9/10", "90% 18/20", "100% 20/20", "100% 21/21")
	})
	t.Run("DeliveredAgainNothingChanges", func(t *testing.T) {
		w.redeliver(t, w.records(dynamo.StreamCounter, dynamo.StreamAlert))
		wantAlerts(t, w.alerts(t), "90% 9/10", "90% 18/20", "100% 20/20", "100% 21/21")
		wantPublished(t, w, "90% 9/10", "90% 18/20", "100% 20/20", "100% 21/21")
	})
}

// failingStore fails to apply one event ID (applying those before it).
type failingStore struct {
	Store
	eventID string
}

func (s *failingStore) ApplyCounterChanges(ctx context.Context, records []dynamo.CounterRecord, expires time.Time) ([]bool, error) {
	for i, r := range records {
		if r.EventID == s.eventID {
			applied, err := s.Store.ApplyCounterChanges(ctx, records[:i], expires)
			if err != nil {
				return applied, err
			}
			return applied, errors.New("injected: DynamoDB unavailable")
		}
	}
	return s.Store.ApplyCounterChanges(ctx, records, expires)
}

func TestAFailedRecordIsReportedAloneBySequenceNumber(t *testing.T) {
	// scans returns the records of three scans admitted on a new license
	// of a world whose records the test hands to the handler itself.
	scans := func(t *testing.T) (*world, portal.License, []events.DynamoDBEventRecord) {
		w := newWorld(t, false)
		lic := w.license(t, portal.ModelPerScan, 5, portal.OverageSoft)
		w.admitScans(t, lic, 3)
		w.settle(t)
		r := w.records(dynamo.StreamCounter)
		if len(r) != 4 {
			t.Fatalf("%d counter records, want 4 (the license's sync and three scans)", len(r))
		}
		return w, lic, r[1:]
	}
	wantLedger := func(t *testing.T, w *world, lic portal.License, scans, changes int64) {
		t.Helper()
		if u := w.ledger(t, lic, w.now); u.Scans != scans || u.Changes != changes {
			t.Fatalf("ledger = %d scans in %d changes, want %d in %d", u.Scans, u.Changes, scans, changes)
		}
	}
	t.Run("AnImageThatCannotBeDecoded", func(t *testing.T) {
		w, lic, r := scans(t)
		poison := withImage(r[1], "poison", map[string]events.DynamoDBAttributeValue{"used": events.NewStringAttribute("two")})
		poison.Change.SequenceNumber = r[1].Change.SequenceNumber
		failed := w.handle(t, r[0], poison, r[2])
		if want := []string{r[1].Change.SequenceNumber}; !slices.Equal(failed, want) {
			t.Fatalf("batchItemFailures = %v, want %v", failed, want)
		}
		wantLedger(t, w, lic, 1, 1) // the record before it applied, the one after not
		// Lambda redelivers from the failed record; once it is skipped the
		// rest is applied.
		if failed := w.handle(t, poison, r[2]); !slices.Equal(failed, []string{poison.Change.SequenceNumber}) {
			t.Fatalf("redelivery: batchItemFailures = %v, want the poison record's alone", failed)
		}
		if failed := w.handle(t, r[2]); failed != nil {
			t.Fatalf("after the poison record: batchItemFailures = %v, want none", failed)
		}
		wantLedger(t, w, lic, 3, 2)
	})
	t.Run("AStoreFailure", func(t *testing.T) {
		w, lic, r := scans(t)
		w.handler.Store = &failingStore{Store: w.store, eventID: r[1].EventID}
		failed := w.handle(t, r...)
		if want := []string{r[1].Change.SequenceNumber}; !slices.Equal(failed, want) {
			t.Fatalf("batchItemFailures = %v, want %v", failed, want)
		}
		wantLedger(t, w, lic, 1, 1)
		w.handler.Store = w.store // DynamoDB is back; Lambda redelivers from the failed record
		if failed := w.handle(t, r[1:]...); failed != nil {
			t.Fatalf("redelivery: batchItemFailures = %v, want none", failed)
		}
		wantLedger(t, w, lic, 3, 3)
	})
	t.Run("AnEventBridgeFailure", func(t *testing.T) {
		w, lic, _ := scans(t)
		w.admitScans(t, lic, 1)
		w.settle(t)
		w.handle(t, w.records(dynamo.StreamCounter)...) // 4 of 5 scans: 80%
		w.settle(t)
		alerts := w.records(dynamo.StreamAlert)
		if len(alerts) != 1 {
			t.Fatalf("%d alert records, want 1", len(alerts))
		}
		batch := append(w.records(dynamo.StreamCounter), alerts...)
		w.bus.FailNextWith(1, "AccessDeniedException")
		failed := w.handle(t, batch...)
		if want := []string{alerts[0].Change.SequenceNumber}; !slices.Equal(failed, want) {
			t.Fatalf("batchItemFailures = %v, want %v (the alert's record)", failed, want)
		}
		wantPublished(t, w)
		if failed := w.handle(t, alerts...); failed != nil {
			t.Fatalf("redelivery: batchItemFailures = %v, want none", failed)
		}
		w.handle(t, batch...)
		wantPublished(t, w, "80% 4/5")
	})
}

func TestAssetDiscoveredIsPublishedOncePerAssetThatBecomesScannable(t *testing.T) {
	w := newWorld(t, true)
	w.license(t, portal.ModelPerAsset, 100, portal.OverageHard)
	verified := w.addAssets(t, 0, 1)[0]
	pending := w.addAssets(t, 2, 0)
	w.settle(t)
	t.Run("AnAssetInsertedVerified", func(t *testing.T) {
		got := w.discoveredEvents(t)
		if len(got) != 1 {
			t.Fatalf("discovered events = %+v, want one", got)
		}
		want := publishedDiscovery{
			AssetID: verified.ID, PartnerID: w.scope.PartnerID, CustomerID: w.scope.TenantID, Value: verified.Value,
			Type: "subdomain", VerificationMethod: "dns_txt", VerifiedAt: *verified.VerifiedAt,
		}
		if got[0] != want {
			t.Fatalf("published detail = %+v,\nwant               %+v", got[0], want)
		}
	})
	w.verify(t, &pending[0])
	w.settle(t)
	t.Run("AnAssetThatBecomesVerified", func(t *testing.T) {
		got := w.discoveredEvents(t)
		if len(got) != 2 || got[1].AssetID != pending[0].ID || got[1].VerificationMethod != "http_file" || !got[1].VerifiedAt.Equal(*pending[0].VerifiedAt) {
			t.Fatalf("discovered events = %+v, want a second one for %s verified by http_file", got, pending[0].ID)
		}
	})
	t.Run("NotForUnverifiedAssetsChangesOfVerifiedOnesOrRedeliveries", func(t *testing.T) {
		pending[0].Tags, pending[0].UpdatedAt, pending[0].Version = []string{"prod"}, w.tick(), pending[0].Version+1
		if err := w.store.UpdateAsset(w.ctx, w.scope, pending[0]); err != nil {
			t.Fatal(err)
		}
		w.deleteAsset(t, verified)
		w.settle(t)
		w.redeliver(t, w.records(dynamo.StreamAsset))
		if got := w.discoveredEvents(t); len(got) != 2 {
			t.Fatalf("discovered events = %+v, want still two", got)
		}
	})
}

// publishedStatus is the detail of a published "Customer Status Changed" event.
type publishedStatus struct {
	PartnerID  string `json:"partnerId"`
	CustomerID string `json:"customerId"`
	Status     string `json:"status"`
	Version    int64  `json:"version"`
}

// statusEvents returns the published "Customer Status Changed" events.
func (w *world) statusEvents(t testing.TB) []publishedStatus {
	t.Helper()
	var out []publishedStatus
	for _, e := range w.bus.Events() {
		if e.DetailType != portal.DetailCustomerStatusChanged {
			continue
		}
		if e.Source != portal.SourceCustomers {
			t.Fatalf("status event source = %q, want %q", e.Source, portal.SourceCustomers)
		}
		wantFields(t, e.Detail, "partnerId", "customerId", "status", "version")
		var d publishedStatus
		if err := json.Unmarshal(e.Detail, &d); err != nil {
			t.Fatalf("decode status detail %s: %v", e.Detail, err)
		}
		out = append(out, d)
	}
	return out
}

// Suspending, resuming and archiving a customer reach scan-dispatch (which
// pauses and resumes its triggers) as one event per status change.
func TestCustomerStatusChangesArePublishedOncePerChange(t *testing.T) {
	w := newWorld(t, true)
	created := w.tick()
	if err := w.store.CreateCustomer(w.ctx, portal.Customer{ID: w.scope.TenantID, PartnerID: w.scope.PartnerID, Name: "Status Ltd",
		ContactEmail: "it@status.example", Timezone: "UTC", Tags: []string{}, Status: portal.StatusActive, Plan: portal.PlanNone,
		AccessLevel: portal.AccessFull, CreatedAt: created, UpdatedAt: created, Version: 1}); err != nil {
		t.Fatal(err)
	}
	w.settle(t)
	change := func(t *testing.T, fn func(c *portal.Customer)) portal.Customer {
		t.Helper()
		c, err := w.store.GetCustomer(w.ctx, w.scope, w.scope.TenantID)
		if err != nil {
			t.Fatal(err)
		}
		fn(&c)
		c.UpdatedAt, c.Version = w.tick(), c.Version+1
		if err := w.store.UpdateCustomer(w.ctx, w.scope, c); err != nil {
			t.Fatal(err)
		}
		w.settle(t)
		return c
	}
	suspended := change(t, func(c *portal.Customer) { c.Status, c.ResumeStatus = portal.StatusSuspended, c.Status })
	t.Run("ASuspension", func(t *testing.T) {
		want := []publishedStatus{{PartnerID: w.scope.PartnerID, CustomerID: w.scope.TenantID, Status: "suspended", Version: suspended.Version}}
		if got := w.statusEvents(t); !slices.Equal(got, want) {
			t.Fatalf("status events = %+v, want %+v", got, want)
		}
	})
	t.Run("NotForOtherChangesOrRedeliveries", func(t *testing.T) {
		change(t, func(c *portal.Customer) { c.Name = "Renamed Ltd" })
		w.redeliver(t, w.records(dynamo.StreamCustomer))
		if got := w.statusEvents(t); len(got) != 1 {
			t.Fatalf("status events = %+v, want still one", got)
		}
	})
	t.Run("AResumption", func(t *testing.T) {
		resumed := change(t, func(c *portal.Customer) { c.Status, c.ResumeStatus = c.ResumeStatus, "" })
		got := w.statusEvents(t)
		if len(got) != 2 || got[1].Status != string(resumed.Status) || got[1].Version != resumed.Version {
			t.Fatalf("status events = %+v, want a second one, %s at version %d", got, resumed.Status, resumed.Version)
		}
	})
}

package localeventbridge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/partnerportal/portal/internal/localeventbridge"
)

// recorder is a rule target that keeps the envelopes it receives and fails
// its calls (numbered from 1) as fail says.
type recorder struct {
	mu     sync.Mutex
	events [][]byte
	times  []time.Time
	fail   func(call int) error
}

func (r *recorder) target(_ context.Context, event []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, event)
	r.times = append(r.times, time.Now())
	if r.fail != nil {
		return r.fail(len(r.events))
	}
	return nil
}

func (r *recorder) calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

// ids returns the sorted IDs of the envelopes received.
func (r *recorder) ids(t *testing.T) []string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for _, e := range r.events {
		var env struct{ ID string }
		if err := json.Unmarshal(e, &env); err != nil {
			t.Fatalf("target received %q, not JSON: %v", e, err)
		}
		ids = append(ids, env.ID)
	}
	slices.Sort(ids)
	return ids
}

func putRule(t *testing.T, srv *localeventbridge.Server, name, pattern string, target func(context.Context, []byte) error) {
	t.Helper()
	if err := srv.PutRule(name, []byte(pattern), target); err != nil {
		t.Fatalf("PutRule(%s): %v", name, err)
	}
}

// put publishes entries through the SDK client and returns the event IDs
// answered ("" for a failed entry).
func put(t *testing.T, c *eventbridge.Client, entries ...types.PutEventsRequestEntry) []string {
	t.Helper()
	out, err := c.PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: entries})
	if err != nil {
		t.Fatalf("PutEvents: %v", err)
	}
	ids := make([]string, len(out.Entries))
	for i, e := range out.Entries {
		ids[i] = aws.ToString(e.EventId)
	}
	return ids
}

func sorted(ids ...string) []string { return slices.Sorted(slices.Values(ids)) }

const (
	usageRule  = `{"source": ["partnerportal.usage"], "detail-type": ["Usage Threshold Reached"], "detail": {"percent": [{"numeric": [">=", 90]}]}}`
	portalRule = `{"source": [{"prefix": "partnerportal."}]}`
)

var errTarget = errors.New("target is down")

func TestRules(t *testing.T) {
	t.Run("EachRuleGetsTheEventsItsPatternMatches", func(t *testing.T) {
		srv := start(t)
		var usage, portal recorder
		putRule(t, srv, "usage-alerts", usageRule, usage.target)
		putRule(t, srv, "all-portal-events", portalRule, portal.target)

		ids := put(t, client(srv),
			entry("partnerportal.usage", "Usage Threshold Reached", `{"alertId":"alr_1","percent":95}`),
			entry("partnerportal.usage", "Usage Threshold Reached", `{"alertId":"alr_2","percent":50}`),
			entry("test.source", "Usage Threshold Reached", `{"percent":99}`),
			entry("partnerportal.assets", "Asset Discovered", `{"assetId":"ast_1"}`),
		)
		srv.Wait()

		if got, want := usage.ids(t), sorted(ids[0]); !slices.Equal(got, want) {
			t.Errorf("usage-alerts got %v, want %v (source, detail-type and percent >= 90)", got, want)
		}
		if got, want := portal.ids(t), sorted(ids[0], ids[1], ids[3]); !slices.Equal(got, want) {
			t.Errorf("all-portal-events got %v, want %v (source prefix partnerportal.)", got, want)
		}
	})

	t.Run("TargetsReceiveTheEventBridgeEnvelope", func(t *testing.T) {
		srv := start(t)
		var got recorder
		putRule(t, srv, "usage-alerts", usageRule, got.target)
		at := time.Date(2026, 3, 1, 12, 30, 15, 250_000_000, time.UTC)
		ids := put(t, client(srv),
			types.PutEventsRequestEntry{
				Source: aws.String("partnerportal.usage"), DetailType: aws.String("Usage Threshold Reached"),
				Detail: aws.String(`{"alertId":"alr_1","percent":95,"owner":{"partnerId":"ptn_1"}}`), Time: aws.Time(at),
			},
			types.PutEventsRequestEntry{
				Source: aws.String("partnerportal.usage"), DetailType: aws.String("Usage Threshold Reached"),
				Detail: aws.String(`{"alertId":"alr_2","percent":99}`), Time: aws.Time(at),
				Resources: []string{"arn:aws:example:us-east-1:123456789012:thing/1"},
			},
		)
		srv.Wait()

		var first []byte
		for _, e := range got.events {
			if bytes.Contains(e, []byte(ids[0])) {
				first = e
			}
		}
		want := `{"version":"0","id":"` + ids[0] + `","detail-type":"Usage Threshold Reached","source":"partnerportal.usage",` +
			`"account":"000000000000","time":"2026-03-01T12:30:15Z","region":"us-east-1","resources":[],` +
			`"detail":{"alertId":"alr_1","percent":95,"owner":{"partnerId":"ptn_1"}}}`
		if string(first) != want {
			t.Errorf("envelope =\n%s\nwant\n%s", first, want)
		}
		for _, e := range got.events {
			var env struct {
				ID, Time  string
				Resources []string
			}
			if err := json.Unmarshal(e, &env); err != nil {
				t.Fatal(err)
			}
			if env.ID == ids[1] && !slices.Equal(env.Resources, []string{"arn:aws:example:us-east-1:123456789012:thing/1"}) {
				t.Errorf("resources = %v, want the entry's", env.Resources)
			}
		}
		for _, ev := range srv.Events() {
			if ev.EventID == ids[0] && string(srv.Envelope(ev)) != want {
				t.Errorf("Envelope(stored event) = %s, want what the target received", srv.Envelope(ev))
			}
		}
	})

	t.Run("AccountAndRegionAreConfigurable", func(t *testing.T) {
		srv := start(t)
		srv.Account, srv.Region = "123456789012", "eu-west-1"
		var got recorder
		putRule(t, srv, "here", `{"account": ["123456789012"], "region": ["eu-west-1"]}`, got.target)
		ids := put(t, client(srv), entry("partnerportal.usage", "Usage Threshold Reached", `{}`))
		srv.Wait()
		if got, want := got.ids(t), ids; !slices.Equal(got, want) {
			t.Errorf("delivered %v, want %v", got, want)
		}
	})

	t.Run("TargetsRunAsynchronously", func(t *testing.T) {
		srv := start(t)
		release := make(chan struct{})
		var calls atomic.Int32
		putRule(t, srv, "slow", portalRule, func(context.Context, []byte) error {
			<-release
			calls.Add(1)
			return nil
		})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := client(srv).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
			entry("partnerportal.usage", "Usage Threshold Reached", `{}`),
		}}); err != nil {
			t.Fatalf("PutEvents while the target is blocked: %v (PutEvents must not wait for targets)", err)
		}
		if n := calls.Load(); n != 0 {
			t.Fatalf("target finished %d times before being released", n)
		}
		close(release)
		srv.Wait()
		if n := calls.Load(); n != 1 {
			t.Errorf("target calls after Wait = %d, want 1", n)
		}
	})

	t.Run("FailingTargetIsRetriedThenRecordedAsFailed", func(t *testing.T) {
		srv := start(t)
		srv.Retry = localeventbridge.RetryPolicy{Retries: 3, Backoff: time.Millisecond}
		got := recorder{fail: func(int) error { return errTarget }}
		putRule(t, srv, "usage-alerts", usageRule, got.target)
		ids := put(t, client(srv), entry("partnerportal.usage", "Usage Threshold Reached", `{"percent":95}`))
		srv.Wait()

		if n := got.calls(); n != 4 {
			t.Errorf("target calls = %d, want 4 (the attempt and 3 retries)", n)
		}
		failed := srv.FailedDeliveries()
		if len(failed) != 1 {
			t.Fatalf("FailedDeliveries = %+v, want one", failed)
		}
		f := failed[0]
		if f.Rule != "usage-alerts" || f.EventID != ids[0] || f.Attempts != 4 || !errors.Is(f.Err, errTarget) {
			t.Errorf("FailedDelivery = {Rule:%q EventID:%q Attempts:%d Err:%v}, want {usage-alerts %s 4 %v}", f.Rule, f.EventID, f.Attempts, f.Err, ids[0], errTarget)
		}
		if !bytes.Equal(f.Event, got.events[0]) {
			t.Errorf("FailedDelivery.Event = %s, want the envelope the target received %s", f.Event, got.events[0])
		}
	})

	t.Run("TargetSucceedingOnARetryIsNotRecorded", func(t *testing.T) {
		srv := start(t)
		srv.Retry = localeventbridge.RetryPolicy{Retries: 3, Backoff: time.Millisecond}
		got := recorder{fail: func(call int) error {
			if call <= 2 {
				return errTarget
			}
			return nil
		}}
		putRule(t, srv, "usage-alerts", usageRule, got.target)
		put(t, client(srv), entry("partnerportal.usage", "Usage Threshold Reached", `{"percent":95}`))
		srv.Wait()
		if n := got.calls(); n != 3 {
			t.Errorf("target calls = %d, want 3 (two failures, then success)", n)
		}
		if failed := srv.FailedDeliveries(); len(failed) != 0 {
			t.Errorf("FailedDeliveries = %+v, want none", failed)
		}
	})

	t.Run("RetriesBackOffExponentially", func(t *testing.T) {
		srv := start(t)
		backoff := 20 * time.Millisecond
		srv.Retry = localeventbridge.RetryPolicy{Retries: 3, Backoff: backoff}
		got := recorder{fail: func(int) error { return errTarget }}
		putRule(t, srv, "usage-alerts", usageRule, got.target)
		put(t, client(srv), entry("partnerportal.usage", "Usage Threshold Reached", `{"percent":95}`))
		srv.Wait()
		for i, want := range []time.Duration{backoff, 2 * backoff, 4 * backoff} {
			if gap := got.times[i+1].Sub(got.times[i]); gap < want {
				t.Errorf("wait before retry %d = %v, want at least %v", i+1, gap, want)
			}
		}
	})

	t.Run("DefaultRetryPolicyIsThreeQuickRetries", func(t *testing.T) {
		srv := start(t)
		if got, want := srv.Retry, localeventbridge.DefaultRetryPolicy; got != want {
			t.Errorf("Retry = %+v, want DefaultRetryPolicy %+v", got, want)
		}
		if got := localeventbridge.DefaultRetryPolicy; got.Retries != 3 || got.Backoff <= 0 || got.Backoff > time.Second {
			t.Errorf("DefaultRetryPolicy = %+v, want 3 retries and a short backoff", got)
		}
	})

	t.Run("NoRetriesRecordsTheFirstFailure", func(t *testing.T) {
		srv := start(t)
		srv.Retry = localeventbridge.RetryPolicy{}
		got := recorder{fail: func(int) error { return errTarget }}
		putRule(t, srv, "usage-alerts", usageRule, got.target)
		put(t, client(srv), entry("partnerportal.usage", "Usage Threshold Reached", `{"percent":95}`))
		srv.Wait()
		if n, failed := got.calls(), srv.FailedDeliveries(); n != 1 || len(failed) != 1 || failed[0].Attempts != 1 {
			t.Errorf("calls = %d, FailedDeliveries = %+v; want 1 call recorded as failed", n, failed)
		}
	})

	t.Run("PanickingTargetIsAFailedAttempt", func(t *testing.T) {
		srv := start(t)
		srv.Retry = localeventbridge.RetryPolicy{Retries: 1, Backoff: time.Millisecond}
		putRule(t, srv, "crashing", portalRule, func(context.Context, []byte) error { panic("boom") })
		put(t, client(srv), entry("partnerportal.usage", "Usage Threshold Reached", `{}`))
		srv.Wait()
		failed := srv.FailedDeliveries()
		if len(failed) != 1 || failed[0].Attempts != 2 || !strings.Contains(failed[0].Err.Error(), "boom") {
			t.Errorf("FailedDeliveries = %+v, want one after 2 attempts, saying boom", failed)
		}
	})

	t.Run("DeleteRuleStopsDeliveries", func(t *testing.T) {
		srv := start(t)
		var got recorder
		putRule(t, srv, "all-portal-events", portalRule, got.target)
		before := put(t, client(srv), entry("partnerportal.usage", "Usage Threshold Reached", `{}`))
		srv.Wait()
		if !srv.DeleteRule("all-portal-events") {
			t.Errorf("DeleteRule = false, want true (the rule existed)")
		}
		put(t, client(srv), entry("partnerportal.usage", "Usage Threshold Reached", `{}`))
		srv.Wait()
		if got, want := got.ids(t), before; !slices.Equal(got, want) {
			t.Errorf("delivered %v, want only %v (from before DeleteRule)", got, want)
		}
		if srv.DeleteRule("all-portal-events") {
			t.Errorf("DeleteRule of a deleted rule = true, want false")
		}
		if got, want := len(srv.Events()), 2; got != want {
			t.Errorf("stored events = %d, want %d (rules do not affect acceptance)", got, want)
		}
	})

	t.Run("PutRuleReplacesTheRuleOfTheSameName", func(t *testing.T) {
		srv := start(t)
		var old, replacement recorder
		putRule(t, srv, "alerts", `{"detail-type": ["Usage Threshold Reached"]}`, old.target)
		putRule(t, srv, "alerts", `{"detail-type": ["Asset Discovered"]}`, replacement.target)
		ids := put(t, client(srv),
			entry("partnerportal.usage", "Usage Threshold Reached", `{}`),
			entry("partnerportal.assets", "Asset Discovered", `{}`),
		)
		srv.Wait()
		if n := old.calls(); n != 0 {
			t.Errorf("replaced target called %d times, want 0", n)
		}
		if got, want := replacement.ids(t), ids[1:]; !slices.Equal(got, want) {
			t.Errorf("replacement delivered %v, want %v (its own pattern)", got, want)
		}
	})

	t.Run("PutRuleRejectsABadPatternAndKeepsTheRule", func(t *testing.T) {
		srv := start(t)
		var got recorder
		putRule(t, srv, "alerts", portalRule, got.target)
		err := srv.PutRule("alerts", []byte(`{"source": "partnerportal.usage"}`), got.target)
		var pe *localeventbridge.PatternError
		if !errors.As(err, &pe) || pe.Path != "source" {
			t.Fatalf("PutRule with a bad pattern: %v, want a *PatternError at source", err)
		}
		ids := put(t, client(srv), entry("partnerportal.assets", "Asset Discovered", `{}`))
		srv.Wait()
		if got, want := got.ids(t), ids; !slices.Equal(got, want) {
			t.Errorf("delivered %v, want %v (the rule as it was)", got, want)
		}
	})

	t.Run("PutRuleRejectsBadNamesAndNoTarget", func(t *testing.T) {
		srv := start(t)
		var got recorder
		for _, name := range []string{"", strings.Repeat("r", 65), "has space", "scan/dispatch", "règle"} {
			if err := srv.PutRule(name, []byte(portalRule), got.target); err == nil {
				t.Errorf("PutRule(%q) succeeded, want an error about the name", name)
			}
		}
		if err := srv.PutRule("no-target", []byte(portalRule), nil); err == nil {
			t.Errorf("PutRule with a nil target succeeded")
		}
		if err := srv.PutRule("Scan.Dispatch_rule-1"+strings.Repeat("r", 44), []byte(portalRule), got.target); err != nil {
			t.Errorf("PutRule with a 64-character name of letters, digits, '.', '-' and '_': %v", err)
		}
	})

	t.Run("FailedEntriesAreNotDelivered", func(t *testing.T) {
		srv := start(t)
		var got recorder
		putRule(t, srv, "all-portal-events", portalRule, got.target)
		srv.FailNext(1)
		ids := put(t, client(srv),
			entry("partnerportal.usage", "Usage Threshold Reached", `{"n":1}`),
			entry("partnerportal.usage", "Usage Threshold Reached", `{"n":2}`),
		)
		srv.Wait()
		if got, want := got.ids(t), ids[1:]; ids[0] != "" || !slices.Equal(got, want) {
			t.Errorf("delivered %v, want %v (the entry that failed is not an event)", got, want)
		}
	})

	t.Run("SubscribersStillSeeEveryEvent", func(t *testing.T) {
		srv := start(t)
		var mu sync.Mutex
		var seen []string
		srv.Subscribe(func(e localeventbridge.Event) {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, e.EventID)
		})
		var got recorder
		putRule(t, srv, "usage-alerts", usageRule, got.target)
		ids := put(t, client(srv),
			entry("partnerportal.usage", "Usage Threshold Reached", `{"percent":95}`),
			entry("test.source", "Thing Happened", `{}`),
		)
		srv.Wait()
		mu.Lock()
		defer mu.Unlock()
		if !slices.Equal(seen, ids) {
			t.Errorf("subscriber saw %v, want every event %v", seen, ids)
		}
		if got, want := got.ids(t), ids[:1]; !slices.Equal(got, want) {
			t.Errorf("rule delivered %v, want %v", got, want)
		}
	})
}

func TestWait(t *testing.T) {
	t.Run("ReturnsAtOnceWithNothingInFlight", func(t *testing.T) {
		srv := start(t)
		done := make(chan struct{})
		go func() { srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Wait without deliveries did not return")
		}
	})

	t.Run("CoversEveryDeliveryOfConcurrentPublishers", func(t *testing.T) {
		srv := start(t)
		srv.Retry = localeventbridge.RetryPolicy{Retries: 2, Backoff: time.Millisecond}
		var delivered, attempts atomic.Int32
		var tried sync.Map // event ID → attempted once
		putRule(t, srv, "all-portal-events", portalRule, func(_ context.Context, event []byte) error {
			attempts.Add(1)
			var env struct{ ID string }
			_ = json.Unmarshal(event, &env)
			time.Sleep(time.Duration(env.ID[0]%4) * time.Millisecond)
			if _, again := tried.LoadOrStore(env.ID, true); !again && env.ID[0]%2 == 0 {
				return errTarget // the first attempt fails for about half the events
			}
			delivered.Add(1)
			return nil
		})
		var publishers sync.WaitGroup
		for p := range 5 {
			publishers.Go(func() {
				for range 2 {
					entries := make([]types.PutEventsRequestEntry, 10)
					for i := range entries {
						entries[i] = entry("partnerportal.usage", "Usage Threshold Reached", `{"publisher":`+string(rune('0'+p))+`}`)
					}
					put(t, client(srv), entries...)
				}
			})
		}
		publishers.Wait()
		srv.Wait()
		if got := delivered.Load(); got != 100 {
			t.Errorf("delivered after Wait = %d, want 100 (every event, once)", got)
		}
		if got := attempts.Load(); got <= 100 {
			t.Errorf("attempts = %d, want more than 100 (retries included)", got)
		}
		if failed := srv.FailedDeliveries(); len(failed) != 0 {
			t.Errorf("FailedDeliveries = %d, want 0 (every failure was retried)", len(failed))
		}
	})

	t.Run("CoversEventsTargetsPut", func(t *testing.T) {
		srv := start(t)
		var second recorder
		putRule(t, srv, "first", `{"detail-type": ["Vulnerability Database Updated"]}`, func(ctx context.Context, _ []byte) error {
			time.Sleep(10 * time.Millisecond)
			_, err := client(srv).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
				entry("partnerportal.scan", "Vulnerability Database Page", `{"page":2}`),
			}})
			return err
		})
		putRule(t, srv, "second", `{"detail-type": ["Vulnerability Database Page"]}`, second.target)
		put(t, client(srv), entry("partnerportal.scan", "Vulnerability Database Updated", `{}`))
		srv.Wait()
		if n := second.calls(); n != 1 {
			t.Errorf("the event the first target put was delivered %d times after Wait, want 1", n)
		}
	})
}

func TestClose(t *testing.T) {
	t.Run("StopsPendingRetries", func(t *testing.T) {
		srv, err := localeventbridge.Start("")
		if err != nil {
			t.Fatal(err)
		}
		srv.Retry = localeventbridge.RetryPolicy{Retries: 5, Backoff: time.Hour}
		attempted := make(chan struct{}, 10)
		putRule(t, srv, "failing", portalRule, func(context.Context, []byte) error {
			attempted <- struct{}{}
			return errTarget
		})
		put(t, client(srv), entry("partnerportal.usage", "Usage Threshold Reached", `{}`))
		<-attempted
		begin := time.Now()
		if err := srv.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if d := time.Since(begin); d > 2*time.Second {
			t.Errorf("Close took %v with a retry pending in an hour; it must not wait for it", d)
		}
		srv.Wait()
		if n := len(attempted); n != 0 {
			t.Errorf("%d more attempts after Close, want none", n)
		}
		if failed := srv.FailedDeliveries(); len(failed) != 0 {
			t.Errorf("FailedDeliveries = %+v, want none (abandoned, not failed)", failed)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})

	t.Run("EndsTheTargetsContext", func(t *testing.T) {
		srv, err := localeventbridge.Start("")
		if err != nil {
			t.Fatal(err)
		}
		started := make(chan struct{})
		putRule(t, srv, "waiting", portalRule, func(ctx context.Context, _ []byte) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		})
		put(t, client(srv), entry("partnerportal.usage", "Usage Threshold Reached", `{}`))
		<-started
		if err := srv.Close(); err != nil {
			t.Fatalf("Close with a target waiting on its context: %v", err)
		}
		if failed := srv.FailedDeliveries(); len(failed) != 0 {
			t.Errorf("FailedDeliveries = %+v, want none", failed)
		}
	})

	t.Run("HandlerKeepsAnsweringButDeliversNothing", func(t *testing.T) {
		h := localeventbridge.NewHandler()
		var got recorder
		if err := h.PutRule("all-portal-events", []byte(portalRule), got.target); err != nil {
			t.Fatal(err)
		}
		if !h.Close(time.Second) {
			t.Fatal("Close with nothing in flight = false")
		}
		hs := httptest.NewServer(h)
		defer hs.Close()
		c := eventbridge.New(eventbridge.Options{
			BaseEndpoint: aws.String(hs.URL), Region: "us-east-1",
			Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		})
		ids := put(t, c, entry("partnerportal.usage", "Usage Threshold Reached", `{}`))
		h.Wait()
		if ids[0] == "" || len(h.Events()) != 1 {
			t.Errorf("PutEvents after Close: ids %v, events %d; want the event accepted", ids, len(h.Events()))
		}
		if n := got.calls(); n != 0 {
			t.Errorf("target called %d times after Close, want 0", n)
		}
	})
}

func TestEnvelope(t *testing.T) {
	h := localeventbridge.NewHandler()
	e := localeventbridge.Event{
		EventID: "id-1", EventBusName: "portal-bus", Source: "test.source", DetailType: "Thing Happened",
		Detail: json.RawMessage(`{ "a": 1, "b": [true, null] }`),
		Time:   time.Date(2026, 3, 1, 13, 30, 15, 999_000_000, time.FixedZone("CET", 3600)),
	}
	want := `{"version":"0","id":"id-1","detail-type":"Thing Happened","source":"test.source","account":"000000000000",` +
		`"time":"2026-03-01T12:30:15Z","region":"us-east-1","resources":[],"detail":{"a":1,"b":[true,null]}}`
	if got := string(h.Envelope(e)); got != want {
		t.Errorf("Envelope =\n%s\nwant\n%s", got, want)
	}
	e.Resources = []string{"arn:1", "arn:2"}
	if got := string(h.Envelope(e)); !strings.Contains(got, `"resources":["arn:1","arn:2"]`) {
		t.Errorf("Envelope = %s, want the resources", got)
	}
}

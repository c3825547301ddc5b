package eventbus_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/partnerportal/portal/internal/eventbus"
	"github.com/partnerportal/portal/internal/localeventbridge"
	"github.com/partnerportal/portal/internal/portal"
)

// bus starts a local EventBridge and returns it with a Publisher that
// reaches it through the real SDK client.
func bus(t *testing.T, busName string) (*localeventbridge.Server, *eventbus.Publisher) {
	t.Helper()
	srv, err := localeventbridge.Start("")
	if err != nil {
		t.Fatalf("start local EventBridge: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	client := eventbridge.New(eventbridge.Options{
		BaseEndpoint: aws.String(srv.URL()),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	return srv, eventbus.New(client, busName)
}

type thresholdDetail struct {
	AlertID    string    `json:"alertId"`
	CustomerID string    `json:"customerId"`
	Threshold  int       `json:"threshold"`
	Used       int64     `json:"used"`
	Period     string    `json:"period"`
	Tags       []string  `json:"tags"`
	At         time.Time `json:"at"`
}

// alerts returns n threshold events whose detail carries alertId alr_<i>.
func alerts(n int, at time.Time) []portal.Event {
	evs := make([]portal.Event, n)
	for i := range evs {
		id := fmt.Sprintf("alr_%02d", i)
		evs[i] = portal.Event{
			ID:         id,
			Source:     portal.SourceUsage,
			DetailType: portal.DetailUsageThreshold,
			Time:       at,
			Detail:     thresholdDetail{AlertID: id, CustomerID: "cus_1", Threshold: 90, Used: int64(i), Period: "2026-03", Tags: []string{"a", "<b>"}, At: at},
		}
	}
	return evs
}

// alertIDs counts the stored events per alertId in their detail.
func alertIDs(t *testing.T, evs []localeventbridge.Event) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, ev := range evs {
		var d thresholdDetail
		if err := json.Unmarshal(ev.Detail, &d); err != nil {
			t.Fatalf("detail %s: %v", ev.Detail, err)
		}
		n[d.AlertID]++
	}
	return n
}

func wantExactlyOnce(t *testing.T, srv *localeventbridge.Server, events []portal.Event) {
	t.Helper()
	got := alertIDs(t, srv.Events())
	if len(got) != len(events) {
		t.Errorf("distinct events on the bus = %d, want %d", len(got), len(events))
	}
	for _, ev := range events {
		if got[ev.ID] != 1 {
			t.Errorf("event %s delivered %d times, want once", ev.ID, got[ev.ID])
		}
	}
}

var at = time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

func TestPublish(t *testing.T) {
	ctx := context.Background()

	t.Run("25EventsGoOutIn3PutEventsCallsOfAtMost10", func(t *testing.T) {
		srv, p := bus(t, "portal-events")
		events := alerts(25, at)
		if err := p.Publish(ctx, events...); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		if got, want := srv.PutEventsCalls(), 3; got != want {
			t.Errorf("PutEvents calls = %d, want %d", got, want)
		}
		wantExactlyOnce(t, srv, events)
		// In order of the call.
		for i, ev := range srv.Events() {
			if want := fmt.Sprintf(`"alertId":"alr_%02d"`, i); !strings.Contains(string(ev.Detail), want) {
				t.Errorf("event %d detail %s, want %s", i, ev.Detail, want)
			}
		}
	})

	t.Run("DetailRoundTripsAsJSONWithSourceDetailTypeTimeAndBus", func(t *testing.T) {
		srv, p := bus(t, "portal-events")
		ev := alerts(1, at)[0]
		if err := p.Publish(ctx, ev); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		got := srv.Events()[0]
		if got.Source != portal.SourceUsage || got.DetailType != portal.DetailUsageThreshold {
			t.Errorf("Source, DetailType = %q, %q", got.Source, got.DetailType)
		}
		if got, want := got.EventBusName, "portal-events"; got != want {
			t.Errorf("EventBusName = %q, want %q", got, want)
		}
		if !got.Time.Equal(at) {
			t.Errorf("Time = %v, want %v", got.Time, at)
		}
		var detail thresholdDetail
		if err := json.Unmarshal(got.Detail, &detail); err != nil {
			t.Fatalf("detail is not JSON: %s", got.Detail)
		}
		if want := ev.Detail.(thresholdDetail); !reflect.DeepEqual(detail, want) {
			t.Errorf("detail = %+v, want %+v", detail, want)
		}
	})

	t.Run("EmptyBusNameMeansTheDefaultBus", func(t *testing.T) {
		srv, p := bus(t, "")
		if err := p.Publish(ctx, alerts(1, at)...); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		if got, want := srv.Events()[0].EventBusName, "default"; got != want {
			t.Errorf("EventBusName = %q, want %q", got, want)
		}
	})

	t.Run("ZeroTimeLeavesTheTimeToEventBridge", func(t *testing.T) {
		srv, p := bus(t, "")
		now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
		srv.Now = func() time.Time { return now }
		if err := p.Publish(ctx, alerts(1, time.Time{})...); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		if got := srv.Events()[0].Time; !got.Equal(now) {
			t.Errorf("Time = %v, want the bus's receipt time %v", got, now)
		}
	})

	t.Run("RequestsStayWithin256KB", func(t *testing.T) {
		srv, p := bus(t, "")
		events := alerts(5, at)
		for i := range events {
			events[i].Detail = map[string]string{"alertId": events[i].ID, "pad": strings.Repeat("x", 100*1024)}
		}
		if err := p.Publish(ctx, events...); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		if got, want := srv.PutEventsCalls(), 3; got != want {
			t.Errorf("PutEvents calls = %d, want %d (two 100 KB events per request)", got, want)
		}
		wantExactlyOnce(t, srv, events)
	})

	t.Run("NoEventsSendNothing", func(t *testing.T) {
		srv, p := bus(t, "")
		if err := p.Publish(ctx); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		if got := srv.PutEventsCalls(); got != 0 {
			t.Errorf("PutEvents calls = %d, want 0", got)
		}
	})
}

func TestPublishRetries(t *testing.T) {
	ctx := context.Background()

	t.Run("FailedEntriesAreRetriedAndDeliveredExactlyOnce", func(t *testing.T) {
		srv, p := bus(t, "")
		srv.FailNext(5) // the first five entries of the first request
		events := alerts(25, at)
		if err := p.Publish(ctx, events...); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		wantExactlyOnce(t, srv, events)
		if got, want := srv.PutEventsCalls(), 4; got != want {
			t.Errorf("PutEvents calls = %d, want %d (3 batches + 1 retry of the failed five)", got, want)
		}
	})

	t.Run("FailuresAcrossSeveralAttemptsStillDeliverOnce", func(t *testing.T) {
		srv, p := bus(t, "")
		srv.FailNext(3 + 3 + 3) // three entries fail on attempts 1, 2 and 3
		events := alerts(3, at)
		if err := p.Publish(ctx, events...); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		wantExactlyOnce(t, srv, events)
		if got, want := srv.PutEventsCalls(), eventbus.MaxAttempts; got != want {
			t.Errorf("PutEvents calls = %d, want %d", got, want)
		}
	})

	t.Run("PersistentFailureReturnsAPublishErrorNamingEventsAndCodes", func(t *testing.T) {
		srv, p := bus(t, "")
		srv.FailNext(1000)
		events := alerts(3, at)
		err := p.Publish(ctx, events...)
		var pe *eventbus.PublishError
		if !errors.As(err, &pe) {
			t.Fatalf("Publish error = %v, want a *PublishError", err)
		}
		if got, want := len(pe.Failed), 3; got != want {
			t.Errorf("failed entries = %d, want %d", got, want)
		}
		for _, ev := range events {
			if !strings.Contains(err.Error(), ev.ID) {
				t.Errorf("error %q does not name %s", err, ev.ID)
			}
		}
		if !strings.Contains(err.Error(), "InternalFailure") {
			t.Errorf("error %q does not name the error code", err)
		}
		if got, want := srv.PutEventsCalls(), eventbus.MaxAttempts; got != want {
			t.Errorf("PutEvents calls = %d, want %d", got, want)
		}
		if got := len(srv.Events()); got != 0 {
			t.Errorf("events on the bus = %d, want 0", got)
		}
	})

	t.Run("PublishingStopsAtTheFirstBatchThatFailed", func(t *testing.T) {
		srv, p := bus(t, "")
		srv.FailNext(1000)
		if err := p.Publish(ctx, alerts(25, at)...); err == nil {
			t.Fatal("Publish succeeded, want an error")
		}
		if got, want := srv.PutEventsCalls(), eventbus.MaxAttempts; got != want {
			t.Errorf("PutEvents calls = %d, want %d (later batches not sent)", got, want)
		}
	})

	t.Run("NonRetryableFailureIsNotRetried", func(t *testing.T) {
		srv, p := bus(t, "")
		srv.FailNextWith(1, "AccessDeniedException")
		err := p.Publish(ctx, alerts(2, at)...)
		var pe *eventbus.PublishError
		if !errors.As(err, &pe) {
			t.Fatalf("Publish error = %v, want a *PublishError", err)
		}
		if got, want := pe.Failed, []eventbus.FailedEntry{{EventID: "alr_00", ErrorCode: "AccessDeniedException", ErrorMessage: pe.Failed[0].ErrorMessage}}; !reflect.DeepEqual(got, want) {
			t.Errorf("Failed = %+v, want %+v", got, want)
		}
		if got, want := srv.PutEventsCalls(), 1; got != want {
			t.Errorf("PutEvents calls = %d, want %d", got, want)
		}
	})

	t.Run("CancelledContextEndsTheRetries", func(t *testing.T) {
		srv, p := bus(t, "")
		srv.FailNext(1000)
		ctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
		defer cancel()
		err := p.Publish(ctx, alerts(1, at)...)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Publish error = %v, want context.DeadlineExceeded", err)
		}
	})
}

func TestPublishRefusesInvalidEventsBeforeSending(t *testing.T) {
	ctx := context.Background()
	valid := alerts(1, at)[0]
	cases := []struct {
		name   string
		mutate func(*portal.Event)
	}{
		{"NoSource", func(e *portal.Event) { e.Source = "" }},
		{"NoDetailType", func(e *portal.Event) { e.DetailType = "" }},
		{"NilDetail", func(e *portal.Event) { e.Detail = nil }},
		{"DetailNotAnObject", func(e *portal.Event) { e.Detail = []string{"a"} }},
		{"DetailNotEncodable", func(e *portal.Event) { e.Detail = map[string]any{"f": func() {}} }},
		{"EventOver256KB", func(e *portal.Event) { e.Detail = map[string]string{"pad": strings.Repeat("x", 256*1024)} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, p := bus(t, "")
			bad := valid
			bad.ID = "alr_bad"
			c.mutate(&bad)
			err := p.Publish(ctx, valid, bad)
			if got, want := portal.ErrorCode(err), portal.EINVALID; got != want {
				t.Fatalf("error code = %q, want %q (err %v)", got, want, err)
			}
			if !strings.Contains(err.Error(), "alr_bad") {
				t.Errorf("error %q does not name the event", err)
			}
			if got := srv.PutEventsCalls(); got != 0 {
				t.Errorf("PutEvents calls = %d, want 0 (nothing sent, not even the valid event)", got)
			}
		})
	}
}

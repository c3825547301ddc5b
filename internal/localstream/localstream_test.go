package localstream_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/ddblocal"
	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/localstream"
)

func TestMain(m *testing.M) { ddbtest.Main(m) }

// waitTimeout bounds every Drain in these tests.
const waitTimeout = 30 * time.Second

// recorder is a Handler that records every batch it is given, then answers
// with respond (success when nil). It is safe for concurrent use.
type recorder struct {
	mu      sync.Mutex
	batches [][]events.DynamoDBEventRecord
	respond func(call int, batch []events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error)
}

func (r *recorder) handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	r.mu.Lock()
	r.batches = append(r.batches, ev.Records)
	call, respond := len(r.batches), r.respond
	r.mu.Unlock()
	if respond == nil {
		return events.DynamoDBEventResponse{}, nil
	}
	return respond(call, ev.Records)
}

// calls returns the partition keys of each batch delivered so far.
func (r *recorder) calls() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out [][]string
	for _, b := range r.batches {
		var pks []string
		for _, rec := range b {
			pks = append(pks, rec.Change.Keys[app.AttrPK].String())
		}
		out = append(out, pks)
	}
	return out
}

// records returns every record delivered so far, in delivery order.
func (r *recorder) records() []events.DynamoDBEventRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []events.DynamoDBEventRecord
	for _, b := range r.batches {
		out = append(out, b...)
	}
	return out
}

// syncBuffer is a log destination safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// start starts a poller on table for h, closed when the test ends (before
// ddbtest deletes the table). Without opt.Log it logs to the test output.
func start(t *testing.T, c *dynamodb.Client, table string, h localstream.Handler, opt localstream.Options) *localstream.Poller {
	t.Helper()
	ctx := context.Background()
	streams, err := localstream.NewStreamsClient(ctx, ddbtest.Endpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	if opt.Log == nil {
		opt.Log = t.Output()
	}
	p, err := localstream.Start(ctx, streams, c, table, h, opt)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

// drain calls p.Drain and fails the test on an error.
func drain(t *testing.T, p *localstream.Poller) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := p.Drain(ctx); err != nil {
		t.Fatalf("Drain: %v", err)
	}
}

func key(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		app.AttrPK: &types.AttributeValueMemberS{Value: pk},
		app.AttrSK: &types.AttributeValueMemberS{Value: "#"},
	}
}

// put writes the item with key pk and the given attributes.
func put(t *testing.T, c *dynamodb.Client, table, pk string, attrs map[string]types.AttributeValue) {
	t.Helper()
	item := key(pk)
	for name, v := range attrs {
		item[name] = v
	}
	if _, err := c.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatalf("put %s: %v", pk, err)
	}
}

// putAll writes one item per key, in order.
func putAll(t *testing.T, c *dynamodb.Client, table string, pks ...string) {
	t.Helper()
	for _, pk := range pks {
		put(t, c, table, pk, nil)
	}
}

func n(v string) *types.AttributeValueMemberN { return &types.AttributeValueMemberN{Value: v} }
func s(v string) *types.AttributeValueMemberS { return &types.AttributeValueMemberS{Value: v} }

// fail reports the records whose partition key is one of pks as failed.
func fail(batch []events.DynamoDBEventRecord, pks ...string) events.DynamoDBEventResponse {
	var resp events.DynamoDBEventResponse
	for _, rec := range batch {
		for _, pk := range pks {
			if rec.Change.Keys[app.AttrPK].String() == pk {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
			}
		}
	}
	return resp
}

// show renders attribute values as the JSON Lambda would send.
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return string(b)
}

func TestDeliversInsertModifyRemoveWithImagesInOrder(t *testing.T) {
	c, table := ddbtest.NewStreamTable(t)
	var r recorder
	p := start(t, c, table, r.handle, localstream.Options{})
	ctx := context.Background()

	put(t, c, table, "acme", map[string]types.AttributeValue{"Seats": n("1")})
	_, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(table),
		Key:                       key("acme"),
		UpdateExpression:          aws.String("SET Seats = :s"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": n("2")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key("acme")}); err != nil {
		t.Fatal(err)
	}
	drain(t, p)

	recs := r.records()
	if got, want := len(recs), 3; got != want {
		t.Fatalf("handler saw %d records, want %d: %v", got, want, r.calls())
	}
	wantKeys := map[string]events.DynamoDBAttributeValue{
		app.AttrPK: events.NewStringAttribute("acme"),
		app.AttrSK: events.NewStringAttribute("#"),
	}
	image := func(seats string) map[string]events.DynamoDBAttributeValue {
		m := map[string]events.DynamoDBAttributeValue{"Seats": events.NewNumberAttribute(seats)}
		for k, v := range wantKeys {
			m[k] = v
		}
		return m
	}
	want := []struct {
		name           string
		oldImg, newImg map[string]events.DynamoDBAttributeValue
	}{
		{"INSERT", nil, image("1")},
		{"MODIFY", image("1"), image("2")},
		{"REMOVE", image("2"), nil},
	}
	ids := map[string]bool{}
	prev := big.NewInt(-1)
	for i, rec := range recs {
		if got, want := rec.EventName, want[i].name; got != want {
			t.Errorf("record %d: EventName = %s, want %s", i, got, want)
		}
		if got, want := rec.EventSource, "aws:dynamodb"; got != want {
			t.Errorf("record %d: EventSource = %q, want %q", i, got, want)
		}
		if got, want := rec.EventSourceArn, p.StreamARN(); got != want || !strings.Contains(got, "/stream/") {
			t.Errorf("record %d: EventSourceArn = %q, want the stream ARN %q", i, got, want)
		}
		if rec.AWSRegion == "" || rec.EventID == "" || ids[rec.EventID] {
			t.Errorf("record %d: AWSRegion %q, EventID %q: want a region and a unique event ID", i, rec.AWSRegion, rec.EventID)
		}
		ids[rec.EventID] = true
		ch := rec.Change
		if got, want := ch.StreamViewType, app.Declaration().Table.StreamView; got != want {
			t.Errorf("record %d: StreamViewType = %q, want %q", i, got, want)
		}
		if !reflect.DeepEqual(ch.Keys, wantKeys) {
			t.Errorf("record %d: Keys = %s, want %s", i, show(ch.Keys), show(wantKeys))
		}
		if !reflect.DeepEqual(ch.OldImage, want[i].oldImg) {
			t.Errorf("record %d (%s): OldImage = %s, want %s", i, rec.EventName, show(ch.OldImage), show(want[i].oldImg))
		}
		if !reflect.DeepEqual(ch.NewImage, want[i].newImg) {
			t.Errorf("record %d (%s): NewImage = %s, want %s", i, rec.EventName, show(ch.NewImage), show(want[i].newImg))
		}
		seq, ok := new(big.Int).SetString(ch.SequenceNumber, 10)
		if !ok || seq.Cmp(prev) <= 0 {
			t.Errorf("record %d: SequenceNumber %q does not follow %v", i, ch.SequenceNumber, prev)
		} else {
			prev = seq
		}
		if ch.SizeBytes <= 0 {
			t.Errorf("record %d: SizeBytes = %d, want > 0", i, ch.SizeBytes)
		}
		// DynamoDB Local rounds the creation time down to the minute.
		if age := time.Since(ch.ApproximateCreationDateTime.Time); age < 0 || age > 5*time.Minute {
			t.Errorf("record %d: ApproximateCreationDateTime = %v, want about now", i, ch.ApproximateCreationDateTime.Time)
		}
	}
}

func TestConvertsEveryAttributeType(t *testing.T) {
	c, table := ddbtest.NewStreamTable(t)
	var r recorder
	p := start(t, c, table, r.handle, localstream.Options{})

	put(t, c, table, "all", map[string]types.AttributeValue{
		"S":    s("text"),
		"N":    n("-12.5"),
		"B":    &types.AttributeValueMemberB{Value: []byte{0, 1, 2}},
		"BOOL": &types.AttributeValueMemberBOOL{Value: true},
		"NULL": &types.AttributeValueMemberNULL{Value: true},
		"SS":   &types.AttributeValueMemberSS{Value: []string{"a"}},
		"NS":   &types.AttributeValueMemberNS{Value: []string{"7"}},
		"BS":   &types.AttributeValueMemberBS{Value: [][]byte{{9}}},
		"L": &types.AttributeValueMemberL{Value: []types.AttributeValue{
			s("x"), n("1"), &types.AttributeValueMemberL{Value: []types.AttributeValue{}},
		}},
		"M": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"inner": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
				"list":  &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberBOOL{Value: false}}},
				"empty": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}},
			}},
		}},
	})
	drain(t, p)

	recs := r.records()
	if len(recs) != 1 {
		t.Fatalf("handler saw %d records, want 1", len(recs))
	}
	want := map[string]events.DynamoDBAttributeValue{
		app.AttrPK: events.NewStringAttribute("all"),
		app.AttrSK: events.NewStringAttribute("#"),
		"S":        events.NewStringAttribute("text"),
		"N":        events.NewNumberAttribute("-12.5"),
		"B":        events.NewBinaryAttribute([]byte{0, 1, 2}),
		"BOOL":     events.NewBooleanAttribute(true),
		"NULL":     events.NewNullAttribute(),
		"SS":       events.NewStringSetAttribute([]string{"a"}),
		"NS":       events.NewNumberSetAttribute([]string{"7"}),
		"BS":       events.NewBinarySetAttribute([][]byte{{9}}),
		"L": events.NewListAttribute([]events.DynamoDBAttributeValue{
			events.NewStringAttribute("x"), events.NewNumberAttribute("1"), events.NewListAttribute([]events.DynamoDBAttributeValue{}),
		}),
		"M": events.NewMapAttribute(map[string]events.DynamoDBAttributeValue{
			"inner": events.NewMapAttribute(map[string]events.DynamoDBAttributeValue{
				"list":  events.NewListAttribute([]events.DynamoDBAttributeValue{events.NewBooleanAttribute(false)}),
				"empty": events.NewMapAttribute(map[string]events.DynamoDBAttributeValue{}),
			}),
		}),
	}
	got := recs[0].Change.NewImage
	for name, w := range want {
		if g, ok := got[name]; !ok || !reflect.DeepEqual(g, w) {
			t.Errorf("NewImage[%s] = %s, want %s", name, show(g), show(w))
		}
	}
	if len(got) != len(want) {
		t.Errorf("NewImage has %d attributes, want %d: %s", len(got), len(want), show(got))
	}
}

func TestStartAt(t *testing.T) {
	t.Run("LatestSkipsWhatWasWrittenBefore", func(t *testing.T) {
		c, table := ddbtest.NewStreamTable(t)
		putAll(t, c, table, "before")
		var r recorder
		p := start(t, c, table, r.handle, localstream.Options{StartAt: localstream.Latest})
		putAll(t, c, table, "after")
		drain(t, p)
		if got, want := r.calls(), [][]string{{"after"}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("batches = %v, want %v", got, want)
		}
	})
	t.Run("TrimHorizonDeliversWhatWasWrittenBefore", func(t *testing.T) {
		c, table := ddbtest.NewStreamTable(t)
		putAll(t, c, table, "before")
		var r recorder
		p := start(t, c, table, r.handle, localstream.Options{StartAt: localstream.TrimHorizon})
		drain(t, p)
		putAll(t, c, table, "after")
		drain(t, p)
		if got, want := r.calls(), [][]string{{"before"}, {"after"}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("batches = %v, want %v", got, want)
		}
	})
}

// DynamoDB Local numbers the records of all its tables in one sequence, and
// answers TrimmedDataAccessException when an iterator taken on an empty
// shard is read after records arrived that were numbered after other
// tables' (as happens all the time when tests share it). Nothing is lost.
func TestAnEmptyShardIsReadWhenOtherTablesWereWrittenTo(t *testing.T) {
	for _, startAt := range []string{localstream.Latest, localstream.TrimHorizon} {
		t.Run(startAt, func(t *testing.T) {
			c, table := ddbtest.NewStreamTable(t)
			_, other := ddbtest.NewStreamTable(t)
			var r recorder
			p := start(t, c, table, r.handle, localstream.Options{StartAt: startAt})
			drain(t, p) // reads the empty shard
			putAll(t, c, other, "elsewhere")
			putAll(t, c, table, "1", "2")
			drain(t, p)
			putAll(t, c, other, "elsewhere again")
			putAll(t, c, table, "3")
			drain(t, p)
			// Every record once, in order; how they are batched depends on
			// when the poller happens to read.
			var got []string
			for _, batch := range r.calls() {
				got = append(got, batch...)
			}
			if want := []string{"1", "2", "3"}; !reflect.DeepEqual(got, want) {
				t.Fatalf("records = %v (batches %v), want %v", got, r.calls(), want)
			}
		})
	}
}

func TestBatchesHoldAtMostBatchSizeRecordsInOrder(t *testing.T) {
	c, table := ddbtest.NewStreamTable(t)
	putAll(t, c, table, "1", "2", "3", "4", "5")
	var r recorder
	p := start(t, c, table, r.handle, localstream.Options{StartAt: localstream.TrimHorizon, BatchSize: 2})
	drain(t, p)
	if got, want := r.calls(), [][]string{{"1", "2"}, {"3", "4"}, {"5"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("batches = %v, want %v", got, want)
	}
}

func TestBatchItemFailures(t *testing.T) {
	t.Run("RedeliverFromTheFailedRecordNeverBefore", func(t *testing.T) {
		c, table := ddbtest.NewStreamTable(t)
		putAll(t, c, table, "1", "2", "3", "4", "5")
		r := recorder{respond: func(call int, batch []events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error) {
			if call == 1 {
				return fail(batch, "3"), nil
			}
			return events.DynamoDBEventResponse{}, nil
		}}
		p := start(t, c, table, r.handle, localstream.Options{StartAt: localstream.TrimHorizon, RetryDelay: time.Millisecond})
		drain(t, p)
		if got, want := r.calls(), [][]string{{"1", "2", "3", "4", "5"}, {"3", "4", "5"}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("batches = %v, want %v", got, want)
		}
	})
	t.Run("TheLowestFailedSequenceNumberCounts", func(t *testing.T) {
		c, table := ddbtest.NewStreamTable(t)
		putAll(t, c, table, "1", "2", "3", "4", "5")
		r := recorder{respond: func(call int, batch []events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error) {
			if call == 1 {
				return fail(batch, "4", "2"), nil
			}
			return events.DynamoDBEventResponse{}, nil
		}}
		p := start(t, c, table, r.handle, localstream.Options{StartAt: localstream.TrimHorizon, RetryDelay: time.Millisecond})
		drain(t, p)
		if got, want := r.calls(), [][]string{{"1", "2", "3", "4", "5"}, {"2", "3", "4", "5"}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("batches = %v, want %v", got, want)
		}
	})
	t.Run("AnUnknownItemIdentifierFailsTheWholeBatch", func(t *testing.T) {
		c, table := ddbtest.NewStreamTable(t)
		putAll(t, c, table, "1", "2", "3")
		r := recorder{respond: func(call int, batch []events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error) {
			if call == 1 {
				return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{{ItemIdentifier: "no-such-record"}}}, nil
			}
			return events.DynamoDBEventResponse{}, nil
		}}
		p := start(t, c, table, r.handle, localstream.Options{StartAt: localstream.TrimHorizon, RetryDelay: time.Millisecond})
		drain(t, p)
		if got, want := r.calls(), [][]string{{"1", "2", "3"}, {"1", "2", "3"}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("batches = %v, want %v", got, want)
		}
	})
}

func TestAFailedBatchIsDeliveredAgainWhole(t *testing.T) {
	for name, failure := range map[string]func(){
		"HandlerError": nil,
		"HandlerPanic": func() { panic("boom") },
	} {
		t.Run(name, func(t *testing.T) {
			c, table := ddbtest.NewStreamTable(t)
			putAll(t, c, table, "1", "2", "3")
			r := recorder{respond: func(call int, batch []events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error) {
				if call == 1 {
					if failure != nil {
						failure()
					}
					return events.DynamoDBEventResponse{}, errors.New("database unavailable")
				}
				return events.DynamoDBEventResponse{}, nil
			}}
			var log syncBuffer
			p := start(t, c, table, r.handle, localstream.Options{StartAt: localstream.TrimHorizon, RetryDelay: time.Millisecond, Log: &log})
			drain(t, p)
			if got, want := r.calls(), [][]string{{"1", "2", "3"}, {"1", "2", "3"}}; !reflect.DeepEqual(got, want) {
				t.Fatalf("batches = %v, want %v", got, want)
			}
			if !strings.Contains(log.String(), "retry 1 of 10") {
				t.Errorf("log does not mention the retry:\n%s", log.String())
			}
		})
	}
}

func TestAPoisonRecordIsSkippedAfterMaxRetries(t *testing.T) {
	c, table := ddbtest.NewStreamTable(t)
	putAll(t, c, table, "ok", "poison", "next")
	r := recorder{respond: func(call int, batch []events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error) {
		return fail(batch, "poison"), nil
	}}
	var log syncBuffer
	p := start(t, c, table, r.handle, localstream.Options{StartAt: localstream.TrimHorizon, MaxRetries: 2, RetryDelay: time.Millisecond, Log: &log})

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	err := p.Drain(ctx)
	if !errors.Is(err, localstream.ErrSkipped) {
		t.Fatalf("Drain = %v, want ErrSkipped", err)
	}
	// One delivery and MaxRetries redeliveries, from the poison record on.
	want := [][]string{{"ok", "poison", "next"}, {"poison", "next"}, {"poison", "next"}}
	if got := r.calls(); !reflect.DeepEqual(got, want) {
		t.Fatalf("batches = %v, want %v", got, want)
	}
	poison := r.records()[1]
	if !strings.Contains(err.Error(), "1 record(s)") || !strings.Contains(err.Error(), poison.Change.SequenceNumber) {
		t.Errorf("Drain error %q does not name the one skipped record %s", err, poison.Change.SequenceNumber)
	}
	if !strings.Contains(log.String(), "skipped INSERT record "+poison.Change.SequenceNumber) {
		t.Errorf("log does not name the skipped record %s:\n%s", poison.Change.SequenceNumber, log.String())
	}

	putAll(t, c, table, "later")
	drain(t, p) // nothing skipped since the last Drain
	if got := r.calls(); !reflect.DeepEqual(got[len(got)-1], []string{"later"}) || len(got) != len(want)+1 {
		t.Fatalf("batches = %v, want %v then [later]", got, want)
	}
}

func TestDrain(t *testing.T) {
	t.Run("WaitsUntilTheHandlerHasReturned", func(t *testing.T) {
		c, table := ddbtest.NewStreamTable(t)
		var mu sync.Mutex
		var handled []string
		h := func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
			time.Sleep(300 * time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			for _, rec := range ev.Records {
				handled = append(handled, rec.Change.Keys[app.AttrPK].String())
			}
			return events.DynamoDBEventResponse{}, nil
		}
		p := start(t, c, table, h, localstream.Options{})
		putAll(t, c, table, "1", "2")
		drain(t, p)
		mu.Lock()
		defer mu.Unlock()
		if got, want := handled, []string{"1", "2"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("handled before Drain returned: %v, want %v", got, want)
		}
	})
	t.Run("ReturnsAtOnceWhenIdle", func(t *testing.T) {
		c, table := ddbtest.NewStreamTable(t)
		var r recorder
		p := start(t, c, table, r.handle, localstream.Options{PollInterval: time.Hour})
		begin := time.Now()
		drain(t, p)
		if took := time.Since(begin); took > 5*time.Second {
			t.Fatalf("Drain on an idle stream took %v, despite a one-hour poll interval", took)
		}
	})
	t.Run("ContextEnds", func(t *testing.T) {
		c, table := ddbtest.NewStreamTable(t)
		release := make(chan struct{})
		h := func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
			<-release
			return events.DynamoDBEventResponse{}, nil
		}
		p := start(t, c, table, h, localstream.Options{})
		defer close(release) // before Close, which waits for the handler
		putAll(t, c, table, "1")
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		if err := p.Drain(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Drain with a blocked handler = %v, want context.DeadlineExceeded", err)
		}
	})
	t.Run("ErrClosedAfterClose", func(t *testing.T) {
		c, table := ddbtest.NewStreamTable(t)
		var r recorder
		p := start(t, c, table, r.handle, localstream.Options{})
		if err := p.Close(); err != nil {
			t.Fatalf("Close = %v", err)
		}
		if err := p.Drain(context.Background()); !errors.Is(err, localstream.ErrClosed) {
			t.Fatalf("Drain after Close = %v, want ErrClosed", err)
		}
	})
}

func TestCloseCancelsTheHandlerContext(t *testing.T) {
	c, table := ddbtest.NewStreamTable(t)
	entered := make(chan struct{})
	release := make(chan struct{}) // lets the handler return should Close fail to cancel it
	var calls atomic.Int32
	var returned atomic.Bool
	var ctxErr atomic.Value // the handler context's error when the handler returned
	h := func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		if calls.Add(1) == 1 {
			close(entered)
		}
		select {
		case <-ctx.Done():
		case <-release:
		}
		err := ctx.Err()
		ctxErr.Store(fmt.Sprint(err))
		returned.Store(true)
		return events.DynamoDBEventResponse{}, err
	}
	var log syncBuffer
	p := start(t, c, table, h, localstream.Options{Log: &log})
	t.Cleanup(func() { close(release) }) // runs before start's Close
	putAll(t, c, table, "1")
	select {
	case <-entered:
	case <-time.After(waitTimeout):
		t.Fatalf("the handler was not called within %v; poller log:\n%s", waitTimeout, log.String())
	}
	closed := make(chan error, 1)
	go func() { closed <- p.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close = %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatalf("Close did not return within %v: the handler's context was not cancelled", waitTimeout)
	}
	if !returned.Load() {
		t.Fatal("Close returned before the handler did")
	}
	if got, want := ctxErr.Load(), fmt.Sprint(context.Canceled); got != want {
		t.Errorf("the handler's context error = %v, want %v", got, want)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the handler was called %d times, want once (not again once its context was cancelled)", n)
	}
}

func TestDeliversTheRestAndStopsWhenTheTableIsDeleted(t *testing.T) {
	ctx := context.Background()
	c, err := ddblocal.NewClient(ctx, ddbtest.Endpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	table := "t_localstream_deleted_" + randomHex()
	if err := dynamo.CreateTable(ctx, c, table, app.Declaration().Table); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // in case the test fails before deleting it
		c.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
	var r recorder
	p := start(t, c, table, r.handle, localstream.Options{PollInterval: time.Hour})
	putAll(t, c, table, "last")
	if _, err := c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)}); err != nil {
		t.Fatal(err)
	}
	drain(t, p)
	if got, want := r.calls(), [][]string{{"last"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("batches = %v, want %v", got, want)
	}
	// The poller has stopped: Drain answers at once, and Close reports no error.
	drain(t, p)
	if err := p.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
}

func TestStartFails(t *testing.T) {
	ctx := context.Background()
	c, table := ddbtest.NewStreamTable(t)
	streams, err := localstream.NewStreamsClient(ctx, ddbtest.Endpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	var r recorder
	t.Run("NoSuchTable", func(t *testing.T) {
		_, err := localstream.Start(ctx, streams, c, "t_no_such_table", r.handle, localstream.Options{})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Fatalf("Start = %v, want ResourceNotFoundException", err)
		}
	})
	t.Run("NoStream", func(t *testing.T) {
		name := "t_localstream_nostream_" + randomHex()
		_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName:            aws.String(name),
			BillingMode:          types.BillingModePayPerRequest,
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(app.AttrPK), AttributeType: types.ScalarAttributeTypeS}},
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(app.AttrPK), KeyType: types.KeyTypeHash}},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)}) })
		_, err = localstream.Start(ctx, streams, c, name, r.handle, localstream.Options{})
		if err == nil || !strings.Contains(err.Error(), "no stream") {
			t.Fatalf("Start = %v, want an error saying the table has no stream", err)
		}
	})
	for name, opt := range map[string]localstream.Options{
		"BatchSizeTooLarge":    {BatchSize: 10001},
		"NegativePollInterval": {PollInterval: -time.Second},
		"UnknownStartAt":       {StartAt: "AT_TIMESTAMP"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := localstream.Start(ctx, streams, c, table, r.handle, opt); err == nil {
				t.Fatalf("Start with %+v succeeded", opt)
			}
		})
	}
	t.Run("NilHandler", func(t *testing.T) {
		if _, err := localstream.Start(ctx, streams, c, table, nil, localstream.Options{}); err == nil {
			t.Fatal("Start with a nil handler succeeded")
		}
	})
}

func TestNewStreamsClientNeedsAnHTTPURL(t *testing.T) {
	for _, endpoint := range []string{"", "localhost:8000", "ftp://127.0.0.1:8000"} {
		if _, err := localstream.NewStreamsClient(context.Background(), endpoint); err == nil {
			t.Errorf("NewStreamsClient(%q) succeeded", endpoint)
		}
	}
}

func randomHex() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

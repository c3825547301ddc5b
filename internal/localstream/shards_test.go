package localstream

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dynamodbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// DynamoDB Local keeps one shard per stream for hours, so shard lineage and
// iterator expiry are specified here against fakeStream, an in-memory
// Streams API.

// fakeStream serves one stream. Every record's partition key is its
// sequence number. It is safe for concurrent use.
type fakeStream struct {
	mu     sync.Mutex
	shards []*fakeShard // in the order DescribeStream lists them
	seq    int
	// expire makes the next GetRecords calls fail with ExpiredIteratorException.
	expire int
	// emptyIsTrimmed mimics DynamoDB Local: an iterator taken while its
	// shard was empty fails with TrimmedDataAccessException once the shard
	// holds records, though none was trimmed.
	emptyIsTrimmed bool
}

type fakeShard struct {
	id, parent string
	records    []string
	// horizon is how many of the records were trimmed: reading before
	// records[horizon] fails with TrimmedDataAccessException.
	horizon int
	closed  bool
}

const fakeARN = "arn:aws:dynamodb:ddblocal:000000000000:table/fake/stream/1"

// addShard lists a new open shard, child of parent ("" for none).
func (f *fakeStream) addShard(id, parent string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shards = append(f.shards, &fakeShard{id: id, parent: parent})
}

// write appends n records to shard id and returns their sequence numbers.
func (f *fakeStream) write(id string, n int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	sh := f.shard(id)
	var seqs []string
	for range n {
		f.seq++
		seq := fmt.Sprintf("%03d", f.seq)
		sh.records = append(sh.records, seq)
		seqs = append(seqs, seq)
	}
	return seqs
}

// trim trims the first n records of shard id.
func (f *fakeStream) trim(id string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shard(id).horizon = n
}

func (f *fakeStream) close(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shard(id).closed = true
}

func (f *fakeStream) shard(id string) *fakeShard {
	for _, sh := range f.shards {
		if sh.id == id {
			return sh
		}
	}
	return nil
}

func (f *fakeStream) DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	return &dynamodb.DescribeTableOutput{Table: &dynamodbtypes.TableDescription{
		TableName:           in.TableName,
		LatestStreamArn:     aws.String(fakeARN),
		StreamSpecification: &dynamodbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: dynamodbtypes.StreamViewTypeNewAndOldImages},
	}}, nil
}

// DescribeStream lists one shard per page, to exercise pagination.
func (f *fakeStream) DescribeStream(ctx context.Context, in *dynamodbstreams.DescribeStreamInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := 0
	if in.ExclusiveStartShardId != nil {
		i = slices.IndexFunc(f.shards, func(sh *fakeShard) bool { return sh.id == *in.ExclusiveStartShardId }) + 1
	}
	d := &types.StreamDescription{StreamArn: aws.String(fakeARN), StreamStatus: types.StreamStatusEnabled}
	if i < len(f.shards) {
		sh := f.shards[i]
		out := types.Shard{ShardId: aws.String(sh.id), SequenceNumberRange: &types.SequenceNumberRange{}}
		if sh.parent != "" {
			out.ParentShardId = aws.String(sh.parent)
		}
		if sh.closed && len(sh.records) > 0 {
			out.SequenceNumberRange.EndingSequenceNumber = aws.String(sh.records[len(sh.records)-1])
		}
		d.Shards = []types.Shard{out}
		if i+1 < len(f.shards) {
			d.LastEvaluatedShardId = aws.String(sh.id)
		}
	}
	return &dynamodbstreams.DescribeStreamOutput{StreamDescription: d}, nil
}

var errTrimmed = &types.TrimmedDataAccessException{Message: aws.String("The operation attempted to read past the oldest stream record in a shard.")}

// Iterators are "shard|position", with "|empty" if taken while the shard
// was empty (for emptyIsTrimmed).
func (f *fakeStream) GetShardIterator(ctx context.Context, in *dynamodbstreams.GetShardIteratorInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sh := f.shard(aws.ToString(in.ShardId))
	if sh == nil {
		return nil, &types.ResourceNotFoundException{Message: aws.String("Shard does not exist")}
	}
	var pos int
	switch in.ShardIteratorType {
	case types.ShardIteratorTypeTrimHorizon:
		pos = sh.horizon
	case types.ShardIteratorTypeLatest:
		pos = len(sh.records)
	case types.ShardIteratorTypeAfterSequenceNumber:
		pos = slices.Index(sh.records, aws.ToString(in.SequenceNumber)) + 1
		if pos < sh.horizon {
			return nil, errTrimmed
		}
	default:
		return nil, fmt.Errorf("fake: iterator type %s", in.ShardIteratorType)
	}
	iter := sh.id + "|" + strconv.Itoa(pos)
	if len(sh.records) == 0 {
		iter += "|empty"
	}
	return &dynamodbstreams.GetShardIteratorOutput{ShardIterator: aws.String(iter)}, nil
}

func (f *fakeStream) GetRecords(ctx context.Context, in *dynamodbstreams.GetRecordsInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.expire > 0 {
		f.expire--
		return nil, &types.ExpiredIteratorException{Message: aws.String("Iterator expired")}
	}
	id, p, _ := strings.Cut(aws.ToString(in.ShardIterator), "|")
	p, empty := strings.CutSuffix(p, "|empty")
	pos, _ := strconv.Atoi(p)
	sh := f.shard(id)
	if pos < sh.horizon || empty && f.emptyIsTrimmed && len(sh.records) > 0 {
		return nil, errTrimmed
	}
	end := min(pos+int(aws.ToInt32(in.Limit)), len(sh.records))
	out := &dynamodbstreams.GetRecordsOutput{}
	for _, seq := range sh.records[pos:end] {
		out.Records = append(out.Records, types.Record{
			EventID:   aws.String("event-" + seq),
			EventName: types.OperationTypeInsert,
			Dynamodb: &types.StreamRecord{
				Keys:           map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: seq}},
				NewImage:       map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: seq}},
				SequenceNumber: aws.String(seq),
				SizeBytes:      aws.Int64(10),
				StreamViewType: types.StreamViewTypeNewAndOldImages,
			},
		})
	}
	if !sh.closed || end < len(sh.records) {
		next := id + "|" + strconv.Itoa(end)
		if empty && end == pos {
			next += "|empty" // DynamoDB Local keeps the position as it was
		}
		out.NextShardIterator = aws.String(next)
	}
	return out, nil
}

// collector is a Handler recording the partition keys of every batch.
type collector struct {
	mu      sync.Mutex
	batches [][]string
}

func (c *collector) handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var pks []string
	for _, rec := range ev.Records {
		pks = append(pks, rec.Change.Keys["PK"].String())
	}
	c.batches = append(c.batches, pks)
	return events.DynamoDBEventResponse{}, nil
}

func (c *collector) seen() [][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.batches)
}

func startFake(t *testing.T, f *fakeStream, h Handler, opt Options) *Poller {
	t.Helper()
	if opt.Log == nil {
		opt.Log = t.Output()
	}
	p, err := start(context.Background(), f, f, "us-east-1", "fake", h, opt)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

func drainFake(t *testing.T, p *Poller) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Drain(ctx); err != nil {
		t.Fatalf("Drain: %v", err)
	}
}

func TestParentShardsAreReadBeforeTheirChildren(t *testing.T) {
	f := &fakeStream{}
	// Listed child first: the poller must still finish the parent first.
	f.addShard("child", "parent")
	f.addShard("parent", "")
	f.write("parent", 3)
	f.close("parent")
	f.write("child", 2)
	var c collector
	p := startFake(t, f, c.handle, Options{StartAt: TrimHorizon, BatchSize: 2})
	drainFake(t, p)
	if got, want := c.seen(), [][]string{{"001", "002"}, {"003"}, {"004", "005"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("batches = %v, want %v", got, want)
	}

	// The child closes and a grandchild appears while the poller runs.
	f.write("child", 1)
	f.close("child")
	f.addShard("grandchild", "child")
	f.write("grandchild", 1)
	drainFake(t, p)
	if got, want := c.seen()[3:], [][]string{{"006"}, {"007"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after the child closed, batches = %v, want %v", got, want)
	}
}

func TestLatestSkipsClosedShardsAndStartsOpenOnesAtTheirEnd(t *testing.T) {
	f := &fakeStream{}
	f.addShard("parent", "")
	f.write("parent", 2)
	f.close("parent")
	f.addShard("child", "parent")
	f.write("child", 1)
	var c collector
	p := startFake(t, f, c.handle, Options{StartAt: Latest})
	f.write("child", 1)
	drainFake(t, p)
	if got, want := c.seen(), [][]string{{"004"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("batches = %v, want %v", got, want)
	}
}

func TestAnExpiredIteratorResumesAfterTheCheckpoint(t *testing.T) {
	f := &fakeStream{}
	f.addShard("only", "")
	f.write("only", 2)
	var c collector
	p := startFake(t, f, c.handle, Options{StartAt: TrimHorizon})
	drainFake(t, p)
	f.mu.Lock()
	f.expire = 1
	f.mu.Unlock()
	f.write("only", 1)
	drainFake(t, p)
	if got, want := c.seen(), [][]string{{"001", "002"}, {"003"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("batches = %v, want %v", got, want)
	}
}

func TestATrimmedShardResumesAtItsOldestRecord(t *testing.T) {
	t.Run("GetRecords", func(t *testing.T) {
		f := &fakeStream{}
		f.addShard("only", "")
		f.write("only", 2)
		var c collector
		var log syncLog
		p := startFake(t, f, c.handle, Options{StartAt: TrimHorizon, Log: io.MultiWriter(&log, t.Output())})
		drainFake(t, p)
		// 003 and 004 are trimmed before the poller reads past 002.
		f.write("only", 3)
		f.trim("only", 4)
		drainFake(t, p)
		if got, want := c.seen(), [][]string{{"001", "002"}, {"005"}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("batches = %v, want %v", got, want)
		}
		if want := "no longer holds the records after sequence number 002 (GetRecords: "; !strings.Contains(log.String(), want) || !strings.Contains(log.String(), "were lost") {
			t.Errorf("log does not say that the records after 002 were lost:\n%s", log.String())
		}
		f.write("only", 1)
		drainFake(t, p)
		if got, want := c.seen()[2:], [][]string{{"006"}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("after the trim, batches = %v, want %v", got, want)
		}
	})
	t.Run("GetShardIterator", func(t *testing.T) {
		f := &fakeStream{}
		f.addShard("only", "")
		f.write("only", 2)
		var c collector
		var log syncLog
		p := startFake(t, f, c.handle, Options{StartAt: TrimHorizon, Log: io.MultiWriter(&log, t.Output())})
		drainFake(t, p)
		// The iterator expires, and a new one after 002 cannot be had.
		f.write("only", 3)
		f.trim("only", 4)
		f.mu.Lock()
		f.expire = 1
		f.mu.Unlock()
		drainFake(t, p)
		if got, want := c.seen(), [][]string{{"001", "002"}, {"005"}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("batches = %v, want %v", got, want)
		}
		if want := "no longer holds the records after sequence number 002 (GetShardIterator: "; !strings.Contains(log.String(), want) {
			t.Errorf("log does not say that the records after 002 were lost:\n%s", log.String())
		}
	})
}

// DynamoDB Local reports TrimmedDataAccessException when an iterator taken
// on an empty shard is read once records arrive; they must all be delivered.
func TestAnIteratorTakenOnAnEmptyShardIsNotTrimmedOfItsRecords(t *testing.T) {
	for _, startAt := range []string{Latest, TrimHorizon} {
		t.Run(startAt, func(t *testing.T) {
			f := &fakeStream{emptyIsTrimmed: true}
			f.addShard("only", "")
			var c collector
			p := startFake(t, f, c.handle, Options{StartAt: startAt})
			drainFake(t, p) // reads the empty shard
			f.write("only", 2)
			drainFake(t, p)
			f.write("only", 1)
			drainFake(t, p)
			if got, want := c.seen(), [][]string{{"001", "002"}, {"003"}}; !reflect.DeepEqual(got, want) {
				t.Fatalf("batches = %v, want %v", got, want)
			}
		})
	}
}

// syncLog is a log destination safe for concurrent use.
type syncLog struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

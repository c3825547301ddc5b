// Package localstream emulates, on one machine, the Lambda event source
// mapping that feeds a table's DynamoDB stream to a function, so that the
// local stack and end-to-end tests run the real stream handler against
// DynamoDB Local's stream (DynamoDB Local serves the Streams API on its
// DynamoDB endpoint).
//
// Like the mapping in AWS, a Poller follows every shard of the table's latest
// stream, child shards included as they appear, finishing a parent before
// its children; it hands the handler batches of at most Options.BatchSize
// records of one shard, in order, each record converted to what Lambda
// delivers (events.DynamoDBEventRecord, decoded from the same JSON Lambda
// would send). The handler's answer is read with ReportBatchItemFailures
// semantics:
//
//   - an error (or a panic) fails the whole batch, which is delivered again;
//   - BatchItemFailures checkpoint just before the failed record with the
//     lowest sequence number: the records before it are done and never
//     delivered again, and the batch is delivered again from that record; an
//     empty or unknown item identifier fails the whole batch;
//   - after Options.MaxRetries redeliveries the records that still failed are
//     logged and skipped, as with an on-failure destination, so that one
//     poison record cannot stop the stream.
//
// Redeliveries back off exponentially. When a shard no longer holds the
// records after the poller's position (TrimmedDataAccessException; in AWS
// records are trimmed after 24 hours), reading resumes at the oldest record
// it holds (TRIM_HORIZON), as the mapping does: the loss is logged, but Drain
// cannot count the records lost.
//
// Differences from AWS: shards are polled in turn by one goroutine, so the
// handler is never called concurrently; there is no batching window,
// function timeout or bisection; and checkpoints live in memory only, so a
// new Poller (after a restart, say) starts again at Options.StartAt, either
// replaying what the stream still holds (TRIM_HORIZON) or skipping what was
// written while no Poller ran (LATEST).
//
// DynamoDB Local details: its records carry the region "ddblocal" (in
// AWSRegion and in the stream ARN) and an ApproximateCreationDateTime
// rounded down to the minute; once its table is deleted its stream is
// DISABLED and its shards closed, after which a Poller delivers what is left
// and stops. Its sequence numbers are shared by all its tables, and an
// iterator taken while a shard is empty (LATEST when Start finds no record,
// say) stays at the shard's starting sequence number; once a record lands in
// the shard after other tables were written to, reading that iterator fails
// with TrimmedDataAccessException although nothing was trimmed. A Poller
// handles that as any trimming, resuming at the oldest record, which is then
// the first written after the iterator was taken: nothing is lost.
package localstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/url"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/smithy-go"
)

// Starting positions for Options.StartAt.
const (
	// Latest starts with the records written after Start returns.
	Latest = "LATEST"
	// TrimHorizon starts with the oldest record the stream still holds.
	TrimHorizon = "TRIM_HORIZON"
)

const (
	defaultBatchSize    = 100
	maxBatchSize        = 10000 // as for a DynamoDB event source mapping
	getRecordsLimit     = 1000  // the most GetRecords returns at once
	defaultPollInterval = 200 * time.Millisecond
	defaultMaxRetries   = 10
	defaultRetryDelay   = 100 * time.Millisecond
	maxRetryDelay       = 5 * time.Second
	maxErrorDelay       = 5 * time.Second
	describeEvery       = 2 * time.Second
	streamWaitStep      = 100 * time.Millisecond
	batchesPerTurn      = 10 // batches of one shard per round before the others get a turn
	maxSkippedListed    = 10
)

var (
	// ErrClosed is returned by Drain once Close has been called.
	ErrClosed = errors.New("localstream: poller closed")
	// ErrSkipped is wrapped by the error Drain returns when records were
	// given up on after Options.MaxRetries.
	ErrSkipped = errors.New("localstream: records skipped after MaxRetries")
)

// Handler handles one batch of stream records, as a Lambda function
// subscribed to the stream with ReportBatchItemFailures does. It returns the
// sequence numbers of the records it failed on as BatchItemFailures, or an
// error to fail the whole batch. Its context carries the values of the
// context given to Start and is cancelled by Close.
type Handler func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error)

// Options configure Start. The zero value is ready to use.
type Options struct {
	// BatchSize is the most records in one batch, 1 to 10000; 0 means 100.
	BatchSize int
	// PollInterval is how long to wait after reaching the end of every
	// shard before polling again; 0 means 200ms.
	PollInterval time.Duration
	// MaxRetries is how many times a failed batch is delivered again
	// before its failed records are skipped; 0 means 10, a negative value
	// means never. Every redelivery counts, whole or partial.
	MaxRetries int
	// RetryDelay is the wait before the first redelivery; it doubles with
	// each one, up to 5s (or RetryDelay if longer). 0 means 100ms.
	RetryDelay time.Duration
	// Log receives a line for every retry, skipped record and polling
	// error; nil means os.Stderr (io.Discard silences it).
	Log io.Writer
	// StartAt is Latest or TrimHorizon; "" means Latest.
	StartAt string
}

// withDefaults fills in the defaults, or says which option is invalid.
func (o Options) withDefaults() (Options, error) {
	switch {
	case o.BatchSize == 0:
		o.BatchSize = defaultBatchSize
	case o.BatchSize < 0 || o.BatchSize > maxBatchSize:
		return o, fmt.Errorf("localstream: BatchSize %d is not within 1 to %d", o.BatchSize, maxBatchSize)
	}
	switch {
	case o.PollInterval == 0:
		o.PollInterval = defaultPollInterval
	case o.PollInterval < 0:
		return o, fmt.Errorf("localstream: negative PollInterval %v", o.PollInterval)
	}
	switch {
	case o.MaxRetries == 0:
		o.MaxRetries = defaultMaxRetries
	case o.MaxRetries < 0:
		o.MaxRetries = 0
	}
	switch {
	case o.RetryDelay == 0:
		o.RetryDelay = defaultRetryDelay
	case o.RetryDelay < 0:
		return o, fmt.Errorf("localstream: negative RetryDelay %v", o.RetryDelay)
	}
	if o.Log == nil {
		o.Log = os.Stderr
	}
	switch o.StartAt {
	case "":
		o.StartAt = Latest
	case Latest, TrimHorizon:
	default:
		return o, fmt.Errorf("localstream: StartAt %q is neither %s nor %s", o.StartAt, Latest, TrimHorizon)
	}
	return o, nil
}

// streamsAPI is the part of the DynamoDB Streams client a Poller uses.
type streamsAPI interface {
	DescribeStream(context.Context, *dynamodbstreams.DescribeStreamInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error)
	GetShardIterator(context.Context, *dynamodbstreams.GetShardIteratorInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error)
	GetRecords(context.Context, *dynamodbstreams.GetRecordsInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error)
}

// tableAPI is the part of the DynamoDB client Start uses.
type tableAPI interface {
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

// Poller delivers one table's stream to a Handler until Close. Its methods
// are safe for concurrent use.
type Poller struct {
	api    streamsAPI
	arn    string
	region string
	h      Handler
	opt    Options
	log    *log.Logger
	cancel context.CancelFunc
	done   chan struct{} // closed when the polling goroutine has returned
	wake   chan struct{} // nudges a sleeping poller when Drain is called

	// Owned by the polling goroutine (and by Start before it runs).
	shards       map[string]*shard
	order        []*shard // in the order they were discovered
	lastDescribe time.Time
	needDescribe bool
	disabled     bool // the stream was DISABLED at the last DescribeStream

	mu       sync.Mutex
	waiters  []chan error // Drain calls not yet taken up by a round
	skipped  int          // records given up on since the last Drain answer
	examples []string     // the first few of them
	stopped  bool
	stopErr  error // once stopped: ErrClosed, the fatal error, or nil if the stream ended
}

// shard is the poller's state for one shard.
type shard struct {
	id, parent string
	// start is where to start reading when there is no checkpoint.
	start types.ShardIteratorType
	// iter is the next iterator to read; nil means get one.
	iter *string
	// checkpoint is the sequence number of the last record handled
	// (delivered or given up on); reading resumes after it.
	checkpoint string
	// trims counts the TrimmedDataAccessExceptions since the last
	// successful read, to back off when repositioning does not help.
	trims int
	// done means read to its end, or gone.
	done bool
}

// Start finds the latest stream of table (waiting, within ctx, while it is
// still being enabled), positions itself at opt.StartAt in every shard and
// starts delivering records to h in the background until Close. ctx bounds
// the set-up only, but its values reach the handler. With Latest, every
// record written after Start returns is delivered.
//
// Errors: a nil client or handler and invalid options are reported at once;
// so are a table that cannot be described, has no stream or whose stream is
// being disabled, and failures to describe the stream or position in it.
// Errors met later while polling are logged and retried; see Close and
// Drain for how a poller that cannot go on reports it.
func Start(ctx context.Context, streams *dynamodbstreams.Client, ddb *dynamodb.Client, table string, h Handler, opt Options) (*Poller, error) {
	if streams == nil || ddb == nil {
		return nil, errors.New("localstream: Start needs a DynamoDB Streams client and a DynamoDB client")
	}
	return start(ctx, streams, ddb, streams.Options().Region, table, h, opt)
}

func start(ctx context.Context, api streamsAPI, ddb tableAPI, region, table string, h Handler, opt Options) (*Poller, error) {
	if h == nil {
		return nil, errors.New("localstream: nil handler")
	}
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	arn, err := waitForStream(ctx, api, ddb, table)
	if err != nil {
		return nil, err
	}
	p := &Poller{
		api:    api,
		arn:    arn,
		region: region,
		h:      h,
		opt:    opt,
		log:    log.New(opt.Log, "localstream "+table+": ", log.LstdFlags|log.Lmsgprefix),
		done:   make(chan struct{}),
		wake:   make(chan struct{}, 1),
		shards: map[string]*shard{},
	}
	if err := p.describe(ctx, true); err != nil {
		return nil, fmt.Errorf("localstream: stream %s: %w", arn, err)
	}
	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p.cancel = cancel
	go p.run(loopCtx)
	return p, nil
}

// waitForStream returns the ARN of table's latest stream once it is ENABLED.
func waitForStream(ctx context.Context, api streamsAPI, ddb tableAPI, table string) (string, error) {
	for {
		out, err := ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		if err != nil {
			return "", fmt.Errorf("localstream: describe table %s: %w", table, err)
		}
		spec := out.Table.StreamSpecification
		if spec == nil || !aws.ToBool(spec.StreamEnabled) {
			return "", fmt.Errorf("localstream: table %s has no stream enabled", table)
		}
		if arn := aws.ToString(out.Table.LatestStreamArn); arn != "" {
			ds, err := api.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)})
			if err != nil {
				return "", fmt.Errorf("localstream: describe stream %s: %w", arn, err)
			}
			if ds.StreamDescription == nil {
				return "", fmt.Errorf("localstream: describe stream %s: no description", arn)
			}
			switch status := ds.StreamDescription.StreamStatus; status {
			case types.StreamStatusEnabled:
				return arn, nil
			case types.StreamStatusDisabling, types.StreamStatusDisabled:
				return "", fmt.Errorf("localstream: stream %s of table %s is %s", arn, table, status)
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("localstream: stream of table %s still not enabled: %w", table, ctx.Err())
		case <-time.After(streamWaitStep):
		}
	}
}

// StreamARN returns the ARN of the stream the poller follows, which is also
// the EventSourceArn of every record it delivers.
func (p *Poller) StreamARN() string { return p.arn }

// Close stops polling: it cancels the handler's context and waits for the
// handler call in progress, if any, to return (a handler that ignores its
// context delays Close). It returns the error that had already stopped the
// poller, such as the stream's disappearing, or nil; calling it again
// returns the same.
func (p *Poller) Close() error {
	p.cancel()
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	if errors.Is(p.stopErr, ErrClosed) {
		return nil
	}
	return p.stopErr
}

// Drain waits until every record written to the table before the call has
// been handled: handed to the handler successfully, or given up on after
// Options.MaxRetries (or trimmed from the stream before it could be read;
// see the package documentation). It returns nil if nothing was given up on
// since the previous Drain returned (or since Start); otherwise an error
// wrapping ErrSkipped that counts and names those records.
//
// It returns ctx's error if ctx ends first, ErrClosed once Close has been
// called, and the poller's error if one stopped it. Once the stream has
// ended (its table deleted) and everything was delivered, it returns at
// once.
func (p *Poller) Drain(ctx context.Context) error {
	ch := make(chan error, 1)
	p.mu.Lock()
	if p.stopped {
		err := p.stopErr
		if err == nil {
			err = p.takeSkippedLocked()
		}
		p.mu.Unlock()
		return err
	}
	p.waiters = append(p.waiters, ch)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		p.mu.Lock()
		for i, w := range p.waiters {
			if w == ch {
				p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
				break
			}
		}
		p.mu.Unlock()
		return ctx.Err()
	}
}

// takeSkippedLocked returns the Drain error for the records skipped since
// the last answer, and forgets them. p.mu must be held.
func (p *Poller) takeSkippedLocked() error {
	if p.skipped == 0 {
		return nil
	}
	err := fmt.Errorf("%w: %d record(s) since the last Drain: %s", ErrSkipped, p.skipped, strings.Join(p.examples, ", "))
	if p.skipped > len(p.examples) {
		err = fmt.Errorf("%w, …", err)
	}
	p.skipped, p.examples = 0, nil
	return err
}

// run is the polling goroutine: rounds over every shard until ctx is
// cancelled, the stream has ended or a fatal error.
func (p *Poller) run(ctx context.Context) {
	defer close(p.done)
	var errDelay time.Duration
	for {
		p.mu.Lock()
		waiters := p.waiters
		p.waiters = nil
		p.mu.Unlock()

		r := p.round(ctx, len(waiters) > 0)
		switch {
		case ctx.Err() != nil:
			p.stop(ErrClosed, waiters)
			return
		case r.fatal != nil:
			p.log.Printf("stopping: %v", r.fatal)
			p.stop(r.fatal, waiters)
			return
		case r.caughtUp:
			p.mu.Lock()
			err := p.takeSkippedLocked()
			p.mu.Unlock()
			for _, w := range waiters {
				w <- err
			}
		default:
			p.mu.Lock()
			p.waiters = append(waiters, p.waiters...)
			p.mu.Unlock()
		}
		if p.ended() {
			p.log.Printf("stream %s is disabled and read to its end; stopping", p.arn)
			p.stop(nil, nil)
			return
		}

		wait := p.opt.PollInterval
		switch {
		case r.failed:
			errDelay = min(max(2*errDelay, p.opt.PollInterval), maxErrorDelay)
			wait = errDelay
		case r.more:
			errDelay, wait = 0, 0
		default:
			errDelay = 0
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
			case <-t.C:
			case <-p.wake:
			}
			t.Stop()
		}
	}
}

// stop records why the poller stopped and answers every Drain waiting.
func (p *Poller) stop(err error, waiters []chan error) {
	p.mu.Lock()
	p.stopped, p.stopErr = true, err
	waiters = append(waiters, p.waiters...)
	p.waiters = nil
	answer := err
	if answer == nil {
		answer = p.takeSkippedLocked()
	}
	p.mu.Unlock()
	for _, w := range waiters {
		w <- answer
	}
}

// ended reports whether the stream is disabled and every shard read to its end.
func (p *Poller) ended() bool {
	if !p.disabled {
		return false
	}
	for _, s := range p.order {
		if !s.done {
			return false
		}
	}
	return true
}

// roundResult says how a round over the shards went.
type roundResult struct {
	// caughtUp: every shard was read to its end or to an empty answer
	// during the round, after a DescribeStream made during the round.
	caughtUp bool
	// more: some shard has records left or a shard ended; poll again now.
	more bool
	// failed: a call failed (logged); back off.
	failed bool
	// fatal: the poller cannot go on.
	fatal error
}

// shardOutcome says how far one turn of a shard went.
type shardOutcome int

const (
	shardCaughtUp shardOutcome = iota // an empty answer: no more records for now
	shardEnded                        // read to its end
	shardMore                         // records left, or the turn was cut short to resume at once
	shardFailed                       // a call failed
)

// round describes the stream when due (always when force is set), then
// reads every shard whose parent is done until it is caught up, parents
// before children.
func (p *Poller) round(ctx context.Context, force bool) roundResult {
	var r roundResult
	if force || p.needDescribe || time.Since(p.lastDescribe) >= describeEvery {
		if err := p.describe(ctx, false); err != nil {
			var gone *types.ResourceNotFoundException
			if errors.As(err, &gone) {
				r.fatal = fmt.Errorf("localstream: stream %s is gone: %w", p.arn, err)
				return r
			}
			p.logError(ctx, "describe stream", err)
			r.failed = true
			return r
		}
	}
	r.caughtUp = force
	visited := map[*shard]bool{}
	for progress := true; progress && ctx.Err() == nil; {
		progress = false
		for _, s := range p.order {
			if s.done || visited[s] || !p.ready(s) {
				continue
			}
			visited[s], progress = true, true
			switch p.turn(ctx, s) {
			case shardEnded:
				r.more = true // look for its children at once
			case shardMore:
				r.more, r.caughtUp = true, false
			case shardFailed:
				r.failed, r.caughtUp = true, false
			}
		}
	}
	for _, s := range p.order {
		if !s.done && !visited[s] {
			r.caughtUp = false // waits for a parent that is not done yet
		}
	}
	return r
}

// ready reports whether s's parent, if the poller knows it, is done.
func (p *Poller) ready(s *shard) bool {
	parent := p.shards[s.parent]
	return parent == nil || parent.done
}

// describe lists the stream's shards and adds the new ones. The first time
// (initial) with Latest, it positions the open shards at their latest
// record at once and marks the closed ones done; otherwise new shards are
// read from their start.
func (p *Poller) describe(ctx context.Context, initial bool) error {
	var shards []types.Shard
	var status types.StreamStatus
	in := &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(p.arn)}
	for {
		out, err := p.api.DescribeStream(ctx, in)
		if err != nil {
			return err
		}
		d := out.StreamDescription
		if d == nil {
			return errors.New("DescribeStream returned no description")
		}
		status = d.StreamStatus
		shards = append(shards, d.Shards...)
		if d.LastEvaluatedShardId == nil {
			break
		}
		in.ExclusiveStartShardId = d.LastEvaluatedShardId
	}
	p.lastDescribe, p.needDescribe = time.Now(), false
	p.disabled = status == types.StreamStatusDisabled
	for _, sh := range shards {
		id := aws.ToString(sh.ShardId)
		if id == "" || p.shards[id] != nil {
			continue
		}
		s := &shard{id: id, parent: aws.ToString(sh.ParentShardId), start: types.ShardIteratorTypeTrimHorizon}
		if initial && p.opt.StartAt == Latest {
			if sh.SequenceNumberRange != nil && sh.SequenceNumberRange.EndingSequenceNumber != nil {
				s.done = true // closed: nothing will be written to it any more
			} else {
				s.start = types.ShardIteratorTypeLatest
				if err := p.openIterator(ctx, s); err != nil {
					return fmt.Errorf("shard %s: %w", id, err)
				}
			}
		}
		p.shards[id] = s
		p.order = append(p.order, s)
	}
	return nil
}

// openIterator gets an iterator for s: after its checkpoint, or at its
// start. A shard that no longer exists is marked done, and logged.
func (p *Poller) openIterator(ctx context.Context, s *shard) error {
	in := &dynamodbstreams.GetShardIteratorInput{
		StreamArn:         aws.String(p.arn),
		ShardId:           aws.String(s.id),
		ShardIteratorType: s.start,
	}
	if s.checkpoint != "" {
		in.ShardIteratorType = types.ShardIteratorTypeAfterSequenceNumber
		in.SequenceNumber = aws.String(s.checkpoint)
	}
	out, err := p.api.GetShardIterator(ctx, in)
	var gone *types.ResourceNotFoundException
	var trimmed *types.TrimmedDataAccessException
	switch {
	case errors.As(err, &gone):
		p.log.Printf("shard %s no longer exists; whatever it held after sequence number %q is lost", s.id, s.checkpoint)
		s.done, p.needDescribe = true, true
		return nil
	case errors.As(err, &trimmed) && s.checkpoint != "":
		p.resumeAtTrimHorizon(s, "GetShardIterator", err)
		return p.openIterator(ctx, s)
	case err != nil:
		return err
	}
	s.iter = out.ShardIterator
	if s.iter == nil {
		s.done = true
	}
	return nil
}

// turn reads s and delivers its records until an empty answer, its end,
// batchesPerTurn batches or an error.
func (p *Poller) turn(ctx context.Context, s *shard) shardOutcome {
	for range batchesPerTurn {
		if s.iter == nil {
			if err := p.openIterator(ctx, s); err != nil {
				p.logError(ctx, "get iterator for shard "+s.id, err)
				return shardFailed
			}
			if s.done {
				return shardEnded
			}
		}
		fetched, last, batch, err := p.read(ctx, s)
		if err == nil || fetched > 0 {
			s.trims = 0
		}
		if len(batch) > 0 {
			p.deliver(ctx, s, batch)
		}
		if ctx.Err() != nil {
			return shardFailed
		}
		if last != "" {
			s.checkpoint = last
		}
		if err != nil {
			return p.readFailed(ctx, s, err)
		}
		if s.done {
			p.needDescribe = true
			return shardEnded
		}
		if fetched == 0 {
			return shardCaughtUp
		}
	}
	return shardMore
}

// read gets up to BatchSize records from s, advancing its iterator; at the
// end of the shard it marks s done. It returns how many records it got, the
// sequence number of the last, and those it could convert (the others are
// logged and counted as skipped). On an error it returns what it got before.
func (p *Poller) read(ctx context.Context, s *shard) (fetched int, last string, batch []events.DynamoDBEventRecord, err error) {
	for fetched < p.opt.BatchSize {
		limit := min(getRecordsLimit, p.opt.BatchSize-fetched)
		out, err := p.api.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: s.iter, Limit: aws.Int32(int32(limit))})
		if err != nil {
			return fetched, last, batch, err
		}
		fetched += len(out.Records)
		for _, r := range out.Records {
			var seq *string
			if r.Dynamodb != nil {
				seq = r.Dynamodb.SequenceNumber
			}
			if rec, err := convertRecord(r, p.arn, p.region); err != nil {
				p.log.Printf("shard %s: skipping a record that cannot be converted: %v", s.id, err)
				p.addSkipped(seq, r.EventID)
			} else {
				batch = append(batch, rec)
			}
			if seq != nil {
				last = *seq
			}
		}
		s.iter = out.NextShardIterator
		if s.iter == nil {
			s.done = true
			break
		}
		if len(out.Records) < limit {
			break
		}
	}
	return fetched, last, batch, nil
}

// readFailed handles a GetRecords error: an iterator that expired is
// replaced (from the checkpoint) at once; one that points before the oldest
// record the shard still holds is replaced at once by one at the trim
// horizon (see resumeAtTrimHorizon), after a back-off if that happens again
// before a successful read; one that is no longer valid is replaced after a
// back-off; other errors are logged and the same iterator is tried again
// after a back-off.
func (p *Poller) readFailed(ctx context.Context, s *shard, err error) shardOutcome {
	var expired *types.ExpiredIteratorException
	var trimmed *types.TrimmedDataAccessException
	var gone *types.ResourceNotFoundException
	var api smithy.APIError
	switch {
	case errors.As(err, &expired):
		s.iter = nil
		return shardMore
	case errors.As(err, &trimmed):
		if ctx.Err() != nil {
			return shardFailed
		}
		p.resumeAtTrimHorizon(s, "GetRecords", err)
		if s.trims++; s.trims > 1 {
			return shardFailed
		}
		return shardMore
	case errors.As(err, &gone),
		errors.As(err, &api) && api.ErrorCode() == "ValidationException":
		p.logError(ctx, "read shard "+s.id+" (getting a new iterator)", err)
		s.iter, p.needDescribe = nil, true
		return shardFailed
	default:
		p.logError(ctx, "read shard "+s.id, err)
		return shardFailed
	}
}

// resumeAtTrimHorizon handles a TrimmedDataAccessException from call: the
// position s was to be read from (after its checkpoint, or where it started)
// is older than the oldest record the shard still holds. As a Lambda event
// source mapping does, the poller logs that records were lost and resumes at
// the oldest record available (TRIM_HORIZON); the records lost are not known,
// so Drain does not count them as skipped.
//
// DynamoDB Local also answers so, wrongly, when a LATEST or TRIM_HORIZON
// iterator taken while the shard was empty is read once the shard holds
// records written after other tables' (its sequence numbers are shared by
// every table, and such an iterator stays at the shard's starting sequence
// number, below the first record's). Then nothing is lost: every record the
// shard holds was written after the iterator was taken, and the trim horizon
// is the first of them.
func (p *Poller) resumeAtTrimHorizon(s *shard, call string, err error) {
	// Without a checkpoint nothing was read yet: the oldest record is where
	// reading would have started anyway (or earlier, for LATEST), so
	// nothing is lost and nothing is logged.
	if s.checkpoint != "" {
		p.log.Printf("shard %s no longer holds the records after sequence number %s (%s: %v); resuming at its oldest record (TRIM_HORIZON): records in between were lost",
			s.id, s.checkpoint, call, err)
	}
	s.iter, s.checkpoint, s.start = nil, "", types.ShardIteratorTypeTrimHorizon
}

// deliver hands batch to the handler until it succeeds or MaxRetries
// redeliveries have failed, in which case the records that still failed are
// logged and counted as skipped. It returns early only when ctx ends.
func (p *Poller) deliver(ctx context.Context, s *shard, batch []events.DynamoDBEventRecord) {
	pending := batch
	for attempt := 0; ; attempt++ {
		resp, err := p.invoke(ctx, pending)
		if ctx.Err() != nil {
			return
		}
		from, failed, why := failures(pending, resp, err)
		if from < 0 {
			return
		}
		if attempt >= p.opt.MaxRetries {
			p.log.Printf("shard %s: giving up after %d attempt(s) (%s); skipping %d record(s)", s.id, attempt+1, why, len(failed))
			for _, rec := range failed {
				p.log.Printf("shard %s: skipped %s record %s (event ID %s)", s.id, rec.EventName, rec.Change.SequenceNumber, rec.EventID)
				p.addSkipped(&rec.Change.SequenceNumber, &rec.EventID)
			}
			return
		}
		pending = pending[from:]
		p.log.Printf("shard %s: %s; delivering %d record(s) again from sequence number %s (retry %d of %d)",
			s.id, why, len(pending), pending[0].Change.SequenceNumber, attempt+1, p.opt.MaxRetries)
		t := time.NewTimer(p.retryDelay(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// invoke calls the handler with records encoded to JSON and decoded again,
// as Lambda would deliver them, turning a panic into an error.
func (p *Poller) invoke(ctx context.Context, records []events.DynamoDBEventRecord) (resp events.DynamoDBEventResponse, err error) {
	payload, err := json.Marshal(events.DynamoDBEvent{Records: records})
	if err != nil {
		return resp, fmt.Errorf("encode event: %w", err)
	}
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return resp, fmt.Errorf("decode event: %w", err)
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("handler panicked: %v\n%s", v, debug.Stack())
		}
	}()
	return p.h(ctx, ev)
}

// failures reads the handler's answer for pending: from is the index to
// deliver again from (-1: all succeeded), failed the records that failed and
// why a description for the log.
func failures(pending []events.DynamoDBEventRecord, resp events.DynamoDBEventResponse, err error) (from int, failed []events.DynamoDBEventRecord, why string) {
	if err != nil {
		return 0, pending, fmt.Sprintf("handler error: %v", err)
	}
	if len(resp.BatchItemFailures) == 0 {
		return -1, nil, ""
	}
	index := make(map[string]int, len(pending))
	for i, rec := range pending {
		index[rec.Change.SequenceNumber] = i
	}
	from = len(pending)
	bad := map[int]bool{}
	for _, f := range resp.BatchItemFailures {
		i, ok := index[f.ItemIdentifier]
		if !ok || f.ItemIdentifier == "" {
			return 0, pending, fmt.Sprintf("handler reported item identifier %q, which is no sequence number of the batch: the whole batch failed", f.ItemIdentifier)
		}
		bad[i] = true
		from = min(from, i)
	}
	for i, rec := range pending {
		if bad[i] {
			failed = append(failed, rec)
		}
	}
	return from, failed, fmt.Sprintf("handler reported %d failed record(s), the first at sequence number %s", len(failed), pending[from].Change.SequenceNumber)
}

// retryDelay is the wait before redelivery number attempt+1.
func (p *Poller) retryDelay(attempt int) time.Duration {
	ceiling := max(maxRetryDelay, p.opt.RetryDelay)
	d := p.opt.RetryDelay
	for range attempt {
		if d >= ceiling {
			break
		}
		d *= 2
	}
	return min(d, ceiling)
}

// addSkipped counts a record given up on, for the next Drain.
func (p *Poller) addSkipped(seq, eventID *string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.skipped++
	if len(p.examples) < maxSkippedListed {
		p.examples = append(p.examples, fmt.Sprintf("sequence number %s (event ID %s)", aws.ToString(seq), aws.ToString(eventID)))
	}
}

// logError logs a failed call, unless the poller is being closed.
func (p *Poller) logError(ctx context.Context, what string, err error) {
	if ctx.Err() == nil {
		p.log.Printf("%s: %v", what, err)
	}
}

// NewStreamsClient returns a DynamoDB Streams client for a local endpoint
// such as ddblocal.Instance.Endpoint(), configured as ddblocal.NewClient
// configures the DynamoDB client: dummy static credentials and region
// us-east-1 unless the environment or AWS profile names one. (The Streams
// client validates no response checksum, so there is none to turn off.) It
// fails if endpoint is not an http(s) URL or the shared AWS configuration
// cannot be loaded. It is not meant for real AWS endpoints.
func NewStreamsClient(ctx context.Context, endpoint string) (*dynamodbstreams.Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("localstream: endpoint %q is not an http(s) URL", endpoint)
	}
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithDefaultRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")),
	)
	if err != nil {
		return nil, fmt.Errorf("localstream: load AWS config: %w", err)
	}
	return dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	}), nil
}

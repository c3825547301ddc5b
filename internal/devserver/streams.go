package devserver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/localeventbridge"
	"github.com/partnerportal/portal/internal/localstream"
)

// streams is the local stack's stand-in for the table's event source
// mapping: a poller hands the table's stream to the declared stream
// function (usage-stream), which publishes to the local event bus.
// The batches delivered are kept (the latest maxKeptBatches), so that
// /_local/stream/redeliver can deliver them all again, as Lambda may after
// a failure.
type streams struct {
	bus     *localeventbridge.Server
	poller  *localstream.Poller
	handler localstream.Handler
	filter  *localeventbridge.Pattern // the mapping's filter criteria

	mu      sync.Mutex
	batches []events.DynamoDBEvent
}

// startStreams starts delivering the table's stream to the function the
// declaration gives it.
func startStreams(ctx context.Context, a app.App, bus *localeventbridge.Server, fs *functions, ddb *dynamodb.Client, endpoint, table string, log io.Writer) (*streams, error) {
	var fn app.Function
	for _, f := range a.Functions {
		if f.Stream != nil {
			fn = f
		}
	}
	filter, err := localeventbridge.CompilePattern(fn.Stream.FilterPattern())
	if err != nil {
		return nil, fmt.Errorf("filter of %s: %w", fn.Name, err)
	}
	st := &streams{bus: bus, filter: filter, handler: func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		var res events.DynamoDBEventResponse
		err := fs.invoke(ctx, fn.Name, ev, &res)
		return res, err
	}}
	client, err := localstream.NewStreamsClient(ctx, endpoint)
	if err != nil {
		return nil, err
	}
	st.poller, err = localstream.Start(ctx, client, ddb, table, st.deliver, localstream.Options{
		StartAt: localstream.TrimHorizon, BatchSize: fn.Stream.BatchSize, MaxRetries: fn.Stream.MaxRetries, Log: log,
	})
	if err != nil {
		return nil, fmt.Errorf("stream of %s: %w", table, err)
	}
	return st, nil
}

// maxKeptBatches bounds the batches kept for redelivery (the latest).
const maxKeptBatches = 1000

// deliver hands the records of a batch that pass the mapping's filter to
// the function (none: nothing is invoked, as in AWS), keeping the batch
// for redelivery.
func (s *streams) deliver(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	kept := ev.Records[:0:0]
	for _, r := range ev.Records {
		if b, err := json.Marshal(r); err == nil && s.filter.Matches(b) {
			kept = append(kept, r)
		}
	}
	if len(kept) == 0 {
		return events.DynamoDBEventResponse{}, nil
	}
	ev.Records = kept
	s.mu.Lock()
	s.batches = append(s.batches, ev)
	if len(s.batches) > maxKeptBatches {
		s.batches = s.batches[len(s.batches)-maxKeptBatches:]
	}
	s.mu.Unlock()
	return s.handler(ctx, ev)
}

func (s *streams) close() {
	s.poller.Close()
}

// ServeHTTP serves the local-only endpoints under /_local/:
//
//	GET  /_local/events            the events published to the bus so far
//	POST /_local/stream/drain      returns once the stream is handled up to now
//	POST /_local/stream/redeliver  delivers every batch seen so far again
func (s *streams) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method + " " + r.URL.Path {
	case "GET /_local/events":
		writeLocal(w, http.StatusOK, map[string]any{"items": s.bus.Events()})
	case "POST /_local/stream/drain":
		ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
		defer cancel()
		if err := s.poller.Drain(ctx); err != nil {
			writeLocal(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		writeLocal(w, http.StatusOK, map[string]string{"drained": "ok"})
	case "POST /_local/stream/redeliver":
		s.mu.Lock()
		batches := append([]events.DynamoDBEvent(nil), s.batches...)
		s.mu.Unlock()
		records, failed := 0, 0
		for _, b := range batches {
			res, err := s.handler(r.Context(), b)
			if err != nil {
				writeLocal(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
				return
			}
			records += len(b.Records)
			failed += len(res.BatchItemFailures)
		}
		writeLocal(w, http.StatusOK, map[string]int{"batches": len(batches), "records": records, "batchItemFailures": failed})
	default:
		writeLocal(w, http.StatusNotFound, map[string]string{"error": "no such local endpoint"})
	}
}

func writeLocal(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

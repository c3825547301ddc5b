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
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/partnerportal/portal/internal/eventbus"
	"github.com/partnerportal/portal/internal/localeventbridge"
	"github.com/partnerportal/portal/internal/localstream"
	"github.com/partnerportal/portal/internal/services"
)

// streams is the local stack's stand-in for the table's event source
// mapping and the event bus: a poller hands the table's stream to the
// usage-stream handler, which publishes to a local EventBridge endpoint.
// The batches delivered are kept (the latest maxKeptBatches), so that /_local/stream/redeliver can
// deliver them all again, as Lambda may after a failure.
type streams struct {
	bus     *localeventbridge.Server
	poller  *localstream.Poller
	handler localstream.Handler

	mu      sync.Mutex
	batches []events.DynamoDBEvent
}

// startStreams starts the local event bus, points svc's publisher at it
// and starts delivering the table's stream to svc's usage-stream handler.
func startStreams(ctx context.Context, svc *services.Services, ddb *dynamodb.Client, endpoint, table string, log io.Writer) (*streams, error) {
	bus, err := localeventbridge.Start("")
	if err != nil {
		return nil, fmt.Errorf("local event bus: %w", err)
	}
	bus.Subscribe(func(e localeventbridge.Event) {
		fmt.Fprintf(log, "event %s / %s: %s\n", e.Source, e.DetailType, e.Detail)
	})
	svc.UseEvents(eventbus.New(eventbridge.New(eventbridge.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(bus.URL()),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}), ""))
	st := &streams{bus: bus, handler: svc.UsageStream().Handle}
	client, err := localstream.NewStreamsClient(ctx, endpoint)
	if err != nil {
		bus.Close()
		return nil, err
	}
	st.poller, err = localstream.Start(ctx, client, ddb, table, st.deliver, localstream.Options{StartAt: localstream.TrimHorizon, Log: log})
	if err != nil {
		bus.Close()
		return nil, fmt.Errorf("stream of %s: %w", table, err)
	}
	return st, nil
}

// maxKeptBatches bounds the batches kept for redelivery (the latest).
const maxKeptBatches = 1000

// deliver hands a batch to the handler, keeping it for redelivery.
func (s *streams) deliver(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
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
	s.bus.Close()
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

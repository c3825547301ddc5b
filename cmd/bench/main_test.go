package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/services"
)

// The benchmark itself is not run by `make test` (it takes minutes), but a
// small run of the same code is, so that `make bench` cannot silently break
// when the store, the handlers or the usage stream change. It asserts what
// the run produces, never how fast.
func TestBenchRunsEndToEndOnASmallTable(t *testing.T) {
	t.Setenv(services.EnvEndpoint, ddbtest.Endpoint(t))
	doc := filepath.Join(t.TempDir(), "PERFORMANCE.md")
	o := options{
		doc: doc, customers: 120, others: 10, licensed: 20, workers: 4,
		getN: 5, listN: 3, authN: 5, marginsN: 2,
		streamN: 40, streamBatch: 10, streamTenants: 6,
		warmup: 0.2, skipSizes: true,
	}
	res, err := run(context.Background(), o)
	if err != nil {
		t.Fatalf("bench: %v", err)
	}

	t.Run("UsageStreamComparison", func(t *testing.T) {
		s := res.Stream
		if s == nil {
			t.Fatal("no usage-stream comparison")
		}
		// 4 measured batches of 10 after 10 warm-up batches (the minimum).
		if got, want := s.Records, 40; got != want {
			t.Errorf("measured records = %d, want %d", got, want)
		}
		if got, want := s.Warm, 100; got != want {
			t.Errorf("warm-up records = %d, want %d", got, want)
		}
		if got, want := s.Adds+s.Deletes+s.Scans, s.Handled(); got != want {
			t.Errorf("changes made = %d, want one per record (%d)", got, want)
		}
		if s.Scans == 0 || s.Deletes == 0 {
			t.Errorf("the records hold %d scans and %d deletes, want some of each", s.Scans, s.Deletes)
		}
		// Consecutive counter records are applied together: one
		// transaction per group of up to 25 in a batch, never one per
		// record when nothing conflicts (the bench checked the ledger counts
		// each record once).
		if got, most := s.Count("TransactWriteItems"), s.Handled(); got < 1 || got >= most {
			t.Errorf("TransactWriteItems = %d, want fewer than one per record (%d)", got, most)
		}
		if s.APITotal <= 0 || s.FloorTotal <= 0 || s.FloorWCU <= 0 {
			t.Errorf("nothing measured: %+v", s)
		}
	})

	t.Run("StreamRecordCosts", func(t *testing.T) {
		want := map[string]bool{"no alert": false, "raises the 90 % alert": false, "already marked": false, "publish, then mark": false}
		for _, c := range res.StreamCosts {
			for k := range want {
				if strings.Contains(c.Record, k) {
					want[k] = true
				}
			}
			if strings.Contains(c.Record, "publish, then mark") && c.Publishes != 1 {
				t.Errorf("%s: %d PutEvents, want 1", c.Record, c.Publishes)
			}
		}
		for k, found := range want {
			if !found {
				t.Errorf("no stream cost row %q", k)
			}
		}
	})

	b, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"p50 ratio", "GET /v1/customers/{customerId}", "GET /v1/margins",
		"POST /v1/customers/{customerId}/assets", "DELETE /v1/customers/{customerId}/assets/{assetId}",
		"GET /v1/customers/{customerId}/usage", "GET /v1/alerts", "POST /v1/alerts/{alertId}/ack",
		"## Usage stream", "raises the 90 % alert",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}

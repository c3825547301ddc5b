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
// when the store or the handlers change. It asserts what the run produces,
// never how fast.
func TestBenchRunsEndToEndOnASmallTable(t *testing.T) {
	t.Setenv(services.EnvEndpoint, ddbtest.Endpoint(t))
	doc := filepath.Join(t.TempDir(), "PERFORMANCE.md")
	o := options{
		doc: doc, customers: 120, others: 10, licensed: 20, workers: 4,
		getN: 5, listN: 3, authN: 5, marginsN: 2, warmup: 0.2, skipSizes: true,
	}
	if err := run(context.Background(), o); err != nil {
		t.Fatalf("bench: %v", err)
	}
	b, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"p50 ratio", "GET /v1/customers/{customerId}", "GET /v1/margins"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}

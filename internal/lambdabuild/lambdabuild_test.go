package lambdabuild_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/lambdabuild"
	"github.com/partnerportal/portal/internal/lambdaruntime"
)

// A function built for this machine runs as it is deployed: its own
// aws-lambda-go loop under the local Runtime API, answering an HTTP API
// event. The fallback function needs no table or clients to answer.
func TestAHostBuildRunsUnderTheLocalRuntime(t *testing.T) {
	out := t.TempDir()
	if err := lambdabuild.BuildHost(filepath.Join("..", ".."), out, "./functions/fallback"); err != nil {
		t.Fatal(err)
	}
	pool := lambdaruntime.NewPool(lambdaruntime.Function{
		Name: "fallback", Binary: filepath.Join(out, "fallback"), Timeout: 10 * time.Second,
		Env: []string{"TABLE_NAME=unused", "CURSOR_SECRET=" + strings.Repeat("s", 32), "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local"},
	})
	defer pool.Close()
	ev, _ := json.Marshal(events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "$default", RawPath: "/v1/nowhere",
		RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "req-1", HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/v1/nowhere"}},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	raw, err := pool.Invoke(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	var res events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("response %s: %v", raw, err)
	}
	if res.StatusCode != 404 || !strings.Contains(res.Body, "not_found") {
		t.Fatalf("answer %d %s, want the fallback's 404 problem", res.StatusCode, res.Body)
	}
	if got := len(pool.Stats().ColdStarts); got != 1 {
		t.Fatalf("cold starts = %d, want 1", got)
	}
}

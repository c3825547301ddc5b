// Package ddbtest gives tests a real DynamoDB: the one named by
// $DYNAMODB_ENDPOINT, or else one in-memory DynamoDB Local per test binary,
// started on first use. Tests never skip: when DynamoDB Local cannot start
// they fail with the launcher's message, which says what to install.
//
// An instance this package starts is stopped by Shutdown, or killed by the
// kernel when the test binary exits (Linux parent-death signal).
package ddbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/ddblocal"
	"github.com/partnerportal/portal/internal/dynamo"
)

// EndpointEnv names the environment variable that points tests at an
// already running DynamoDB instead of starting DynamoDB Local.
const EndpointEnv = "DYNAMODB_ENDPOINT"

var (
	mu       sync.Mutex
	instance *ddblocal.Instance
	startErr error
)

// Endpoint returns $DYNAMODB_ENDPOINT if set, else the endpoint of this test
// binary's DynamoDB Local, starting it on the first call. If it cannot be
// started, Endpoint calls t.Fatalf with the reason; later calls fail the same
// way without trying again.
func Endpoint(t testing.TB) string {
	t.Helper()
	if ep := os.Getenv(EndpointEnv); ep != "" {
		return ep
	}
	mu.Lock()
	defer mu.Unlock()
	if instance == nil && startErr == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		instance, startErr = ddblocal.Start(ctx, ddblocal.Options{})
	}
	if startErr != nil {
		t.Fatalf("ddbtest: DynamoDB Local is needed and did not start (or set %s): %v", EndpointEnv, startErr)
	}
	return instance.Endpoint()
}

// Shutdown stops the DynamoDB Local that Endpoint started, if any, for use at
// the end of TestMain. It returns ddblocal's Stop error. Later calls to
// Endpoint start a new instance.
func Shutdown() error {
	mu.Lock()
	defer mu.Unlock()
	inst := instance
	instance, startErr = nil, nil
	if inst == nil {
		return nil
	}
	return inst.Stop()
}

// NewTable creates a fresh table laid out as app.Declaration().Table, named
// after the test with a random suffix, and deletes it when the test ends. It
// returns a client for Endpoint(t) and the table's name; any failure is fatal
// to the test.
func NewTable(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	ctx := context.Background()
	c, err := ddblocal.NewClient(ctx, Endpoint(t))
	if err != nil {
		t.Fatalf("ddbtest: %v", err)
	}
	name := tableName(t.Name())
	if err := dynamo.CreateTable(ctx, c, name, app.Declaration().Table); err != nil {
		t.Fatalf("ddbtest: %v", err)
	}
	t.Cleanup(func() {
		if _, err := c.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
			t.Errorf("ddbtest: delete table %s: %v", name, err)
		}
	})
	return c, name
}

var unsafeChars = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// tableName returns "t_<test name made safe>_<random hex>", within
// DynamoDB's 3–255 characters of [a-zA-Z0-9_.-].
func tableName(test string) string {
	s := unsafeChars.ReplaceAllString(test, "_")
	if len(s) > 200 {
		s = s[:200]
	}
	b := make([]byte, 6)
	rand.Read(b)
	return "t_" + s + "_" + hex.EncodeToString(b)
}

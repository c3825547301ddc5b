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
	"fmt"
	"os"
	"regexp"
	"slices"
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

// Main runs a package's tests and then stops the DynamoDB Local they
// started, if any: `func TestMain(m *testing.M) { ddbtest.Main(m) }`. A
// failure to stop fails the run.
func Main(m *testing.M) {
	code := m.Run()
	if err := Shutdown(); err != nil {
		os.Stderr.WriteString("ddbtest: stop DynamoDB Local: " + err.Error() + "\n")
		code = 1
	}
	os.Exit(code)
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

// NewTable creates a fresh table laid out as app.Declaration().Table (without
// its stream: see NewStreamTable), named
// after the test with a random suffix, and deletes it when the test ends. It
// returns a client for Endpoint(t) and the table's name; any failure is fatal
// to the test.
func NewTable(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	decl := app.Declaration().Table
	// Most tests never read the stream, and DynamoDB Local slows down as
	// the stream records of all its tables pile up: streams are opt-in.
	decl.StreamView = ""
	return newTable(t, decl)
}

// NewStreamTable is NewTable with the declared stream (NEW_AND_OLD_IMAGES),
// for tests that read the table's stream.
func NewStreamTable(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	return newTable(t, app.Declaration().Table)
}

func newTable(t testing.TB, decl app.Table) (*dynamodb.Client, string) {
	t.Helper()
	ctx := context.Background()
	c, err := ddblocal.NewClient(ctx, Endpoint(t))
	if err != nil {
		t.Fatalf("ddbtest: %v", err)
	}
	name := tableName(t.Name())
	if err := dynamo.CreateTable(ctx, c, name, decl); err != nil {
		t.Fatalf("ddbtest: %v", err)
	}
	t.Cleanup(func() {
		if _, err := c.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
			t.Errorf("ddbtest: delete table %s: %v", name, err)
		}
	})
	return c, name
}

// NewStore returns a store on a fresh table (see NewTable), deleted when the
// test ends. Tests of one function may share it: give them one SeqIDs, so
// that the IDs they make never collide.
func NewStore(t testing.TB) *dynamo.Store {
	t.Helper()
	client, table := NewTable(t)
	return dynamo.New(client, table)
}

// SeqIDs is a portal.IDs that makes valid, predictable IDs: the prefix and
// the number of the call, zero-padded to a 26-character ULID, so the first is
// "cus_00000000000000000000000001". The zero value is ready to use, and safe
// for concurrent use.
type SeqIDs struct {
	mu sync.Mutex
	n  int
}

// New implements portal.IDs.
func (g *SeqIDs) New(prefix string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n++
	return fmt.Sprintf("%s%026d", prefix, g.n)
}

// writeOps are the DynamoDB operations that change items.
var writeOps = []string{"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}

// Writes returns, in order, the operations m recorded that write to the
// table, whether or not their conditions held: nil when the metered code
// wrote nothing. With dynamo.WithMeter it tells that invalid input was
// rejected before reaching the database.
func Writes(m *dynamo.Meter) []string {
	var ops []string
	for _, c := range m.Calls() {
		if slices.Contains(writeOps, c.Operation) {
			ops = append(ops, c.Operation)
		}
	}
	return ops
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

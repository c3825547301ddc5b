package dynamo_test

import (
	"context"
	"encoding/binary"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/oklog/ulid/v2"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/services"
	"github.com/partnerportal/portal/internal/tenancy"
)

// TestMain stops the DynamoDB Local the tests started, if any.
func TestMain(m *testing.M) { ddbtest.Main(m) }

// epoch is the start of time in these tests: every clock starts here.
var epoch = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)

// testClock is an injectable portal.Clock that only moves when told.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock(t time.Time) *testClock { return &testClock{now: t} }

// Now is the portal.Clock.
func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// seqIDs makes deterministic, valid, increasing IDs: the n-th ID carries
// time epoch+n ms and entropy n.
type seqIDs struct {
	mu sync.Mutex
	n  uint64
}

// New implements portal.IDs.
func (g *seqIDs) New(prefix string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n++
	var u ulid.ULID
	if err := u.SetTime(uint64(epoch.UnixMilli()) + g.n); err != nil {
		panic(err)
	}
	binary.BigEndian.PutUint64(u[8:], g.n)
	return prefix + u.String()
}

// env is one test's world: a fresh table on DynamoDB Local, a store on it,
// an injected clock and IDs. Every DynamoDB call the test makes through
// env.ctx or env.measure is metered, and the test fails at its end if any
// of them was a Scan.
type env struct {
	store  *dynamo.Store
	table  string
	clock  *testClock
	ids    *seqIDs
	ctx    context.Context
	mu     sync.Mutex
	meters []*dynamo.Meter
}

func newEnv(t testing.TB) *env {
	t.Helper()
	client, table := ddbtest.NewTable(t)
	e := &env{store: dynamo.New(client, table), table: table, clock: newClock(epoch), ids: &seqIDs{}}
	e.ctx, _ = e.measure(context.Background())
	t.Cleanup(func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		total := 0
		for _, m := range e.meters {
			for _, c := range m.Calls() {
				total++
				if c.Operation == "Scan" {
					t.Errorf("a DynamoDB Scan was made; reads must be GetItem or Query")
				}
			}
		}
		if total == 0 {
			t.Errorf("no DynamoDB call was metered: is the meter wired into the store?")
		}
	})
	return e
}

// measure returns a context under ctx whose store calls are recorded by the
// returned meter (and checked for Scans at the end of the test).
func (e *env) measure(ctx context.Context) (context.Context, *dynamo.Meter) {
	ctx, m := dynamo.WithMeter(ctx)
	e.mu.Lock()
	e.meters = append(e.meters, m)
	e.mu.Unlock()
	return ctx, m
}

// as returns env.ctx carrying id.
func (e *env) as(id tenancy.Identity) context.Context { return tenancy.WithIdentity(e.ctx, id) }

// newPartnerAdmin returns the identity of an admin of a new partner.
func (e *env) newPartnerAdmin() tenancy.Identity {
	return tenancy.Identity{UserID: e.ids.New(portal.PrefixUser), Role: tenancy.RolePartnerAdmin, PartnerID: e.ids.New(portal.PrefixPartner)}
}

// services assembles the services on the env's store and clock, with ids.
func (e *env) services(ids portal.IDs) *services.Services {
	return services.New(e.store, []byte("test cursor secret"), e.clock.Now, ids)
}

// customers returns a CustomerService on the env's store, clock and IDs.
func (e *env) customers() *portal.CustomerService { return e.services(e.ids).Customers }

// users returns a UserService on the env's store, clock and IDs.
func (e *env) users() *portal.UserService { return e.services(e.ids).Users }

// rawItem reads one item as stored, bypassing the store's decoding.
func (e *env) rawItem(t testing.TB, pk, sk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := e.store.Client.GetItem(e.ctx, &dynamodb.GetItemInput{
		TableName: &e.table,
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: pk},
			"SK": &types.AttributeValueMemberS{Value: sk},
		},
		ConsistentRead: ptr(true),
	})
	if err != nil {
		t.Fatalf("GetItem %s %s: %v", pk, sk, err)
	}
	return out.Item
}

func ptr[T any](v T) *T { return &v }

// ops returns the operation names a meter recorded, in order.
func ops(m *dynamo.Meter) []string {
	var names []string
	for _, c := range m.Calls() {
		names = append(names, c.Operation)
	}
	return names
}

// count returns how many calls of operation op a meter recorded.
func count(m *dynamo.Meter, op string) int {
	n := 0
	for _, c := range m.Calls() {
		if c.Operation == op {
			n++
		}
	}
	return n
}

// ms returns t as stored: UTC, truncated to the millisecond.
func ms(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()).UTC() }

func msPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := ms(*t)
	return &v
}

// stored returns c as the store returns it: times to the millisecond in UTC
// and no nil tags.
func stored(c portal.Customer) portal.Customer {
	c.CreatedAt, c.UpdatedAt, c.LastScanAt = ms(c.CreatedAt), ms(c.UpdatedAt), msPtr(c.LastScanAt)
	if c.Tags == nil {
		c.Tags = []string{}
	}
	return c
}

// sameCustomer fails the test unless got and want are the same customer up
// to time representation.
func sameCustomer(t testing.TB, got, want portal.Customer) {
	t.Helper()
	g, w := stored(got), stored(want)
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("customer = %+v,\nwant       %+v", g, w)
	}
}

// wantCode fails the test unless err carries the portal error code want.
func wantCode(t testing.TB, what string, err error, want string) {
	t.Helper()
	if got := portal.ErrorCode(err); got != want {
		t.Fatalf("%s: error code = %q (%v), want %q", what, got, err, want)
	}
}

// mustOK fails the test on err.
func mustOK(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

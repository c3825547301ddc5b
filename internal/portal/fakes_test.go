package portal_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// This file holds tiny in-memory fakes of the portal store interfaces, for
// pure domain-logic tests. They implement only what the services rely on
// (partner scoping, version checks, pagination by ID); DynamoDB behaviour is
// tested against DynamoDB Local in internal/dynamo.

var (
	testNow    = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	testClock  = func() time.Time { return testNow }
	testSecret = []byte("0123456789abcdef0123456789abcdef")

	partnerA = "prt_0000000000000000000000000A"
	partnerB = "prt_0000000000000000000000000B"

	adminA   = tenancy.Identity{UserID: "usr_00000000000000000000000AA1", Role: tenancy.RolePartnerAdmin, PartnerID: partnerA, KeyID: "key_00000000000000000000000AA1"}
	admin2A  = tenancy.Identity{UserID: "usr_00000000000000000000000AA2", Role: tenancy.RolePartnerAdmin, PartnerID: partnerA}
	memberA  = tenancy.Identity{UserID: "usr_00000000000000000000000AM1", Role: tenancy.RolePartnerMember, PartnerID: partnerA}
	adminB   = tenancy.Identity{UserID: "usr_00000000000000000000000BA1", Role: tenancy.RolePartnerAdmin, PartnerID: partnerB}
	superAdm = tenancy.Identity{UserID: "usr_000000000000000000000SUPER", Role: tenancy.RoleSuperAdmin}
)

// as returns a context carrying id.
func as(id tenancy.Identity) context.Context {
	return tenancy.WithIdentity(context.Background(), id)
}

// seqIDs makes valid, predictable IDs: prefix + a zero-padded counter.
type seqIDs struct{ n int }

func (s *seqIDs) New(prefix string) string {
	s.n++
	return fmt.Sprintf("%s%026d", prefix, s.n)
}

// memCustomers is a CustomerStore scoped by partner, as the contract says.
type memCustomers struct {
	byID   map[string]portal.Customer
	writes int
	lastQ  portal.CustomerQuery
}

func newMemCustomers() *memCustomers { return &memCustomers{byID: map[string]portal.Customer{}} }

func (m *memCustomers) CreateCustomer(_ context.Context, c portal.Customer) error {
	if _, ok := m.byID[c.ID]; ok {
		return portal.Errorf(portal.ECONFLICT, "customer %s exists", c.ID)
	}
	m.writes++
	c.Tags = slices.Clone(c.Tags)
	m.byID[c.ID] = c
	return nil
}

func (m *memCustomers) GetCustomer(_ context.Context, scope tenancy.Scope, id string) (portal.Customer, error) {
	c, ok := m.byID[id]
	if !ok || c.PartnerID != scope.PartnerID {
		return portal.Customer{}, portal.Errorf(portal.ENOTFOUND, "customer %s not found", id)
	}
	c.Tags = slices.Clone(c.Tags)
	return c, nil
}

func (m *memCustomers) UpdateCustomer(ctx context.Context, scope tenancy.Scope, c portal.Customer) error {
	old, err := m.GetCustomer(ctx, scope, c.ID)
	if err != nil {
		return err
	}
	if old.Version != c.Version-1 {
		return portal.Errorf(portal.EPRECONDITION, "customer %s changed", c.ID)
	}
	m.writes++
	c.Tags = slices.Clone(c.Tags)
	m.byID[c.ID] = c
	return nil
}

func (m *memCustomers) ListCustomers(_ context.Context, scope tenancy.Scope, q portal.CustomerQuery, start portal.Position) ([]portal.Customer, portal.Position, error) {
	m.lastQ = q
	var all []portal.Customer
	for _, c := range m.byID {
		if c.PartnerID == scope.PartnerID && c.ID > start["id"] {
			all = append(all, c)
		}
	}
	slices.SortFunc(all, func(a, b portal.Customer) int { return strings.Compare(a.ID, b.ID) })
	if len(all) <= q.Limit {
		return all, nil, nil
	}
	page := all[:q.Limit]
	return page, portal.Position{"id": page[len(page)-1].ID}, nil
}

// memUsers is a UserStore and PartnerStore.
type memUsers struct {
	users    map[string]portal.User
	partners map[string]portal.Partner
	writes   int
}

func newMemUsers() *memUsers {
	return &memUsers{users: map[string]portal.User{}, partners: map[string]portal.Partner{partnerA: {ID: partnerA}}}
}

func (m *memUsers) CreateUser(_ context.Context, u portal.User) error {
	for _, o := range m.users {
		if strings.EqualFold(o.Email, u.Email) {
			return portal.Errorf(portal.ECONFLICT, "e-mail %s is taken", u.Email)
		}
	}
	m.writes++
	m.users[u.ID] = u
	return nil
}

func (m *memUsers) GetUser(_ context.Context, id string) (portal.User, error) {
	u, ok := m.users[id]
	if !ok {
		return portal.User{}, portal.Errorf(portal.ENOTFOUND, "user %s not found", id)
	}
	return u, nil
}

func (m *memUsers) ListUsers(_ context.Context, partnerID string, limit int, start portal.Position) ([]portal.User, portal.Position, error) {
	var all []portal.User
	for _, u := range m.users {
		if u.PartnerID == partnerID && u.Email > start["email"] {
			all = append(all, u)
		}
	}
	slices.SortFunc(all, func(a, b portal.User) int { return strings.Compare(a.Email, b.Email) })
	if len(all) <= limit {
		return all, nil, nil
	}
	return all[:limit], portal.Position{"email": all[limit-1].Email}, nil
}

func (m *memUsers) CreatePartner(_ context.Context, p portal.Partner) error {
	m.writes++
	m.partners[p.ID] = p
	return nil
}

func (m *memUsers) GetPartner(_ context.Context, id string) (portal.Partner, error) {
	p, ok := m.partners[id]
	if !ok {
		return portal.Partner{}, portal.Errorf(portal.ENOTFOUND, "partner %s not found", id)
	}
	return p, nil
}

// memKeys is an APIKeyStore that counts every call, so tests can assert that
// malformed keys never reach the store.
type memKeys struct {
	keys  map[string]portal.APIKey
	calls int
}

func newMemKeys() *memKeys { return &memKeys{keys: map[string]portal.APIKey{}} }

func (m *memKeys) CreateAPIKey(_ context.Context, k portal.APIKey) error {
	m.calls++
	m.keys[k.ID] = k
	return nil
}

func (m *memKeys) GetAPIKey(_ context.Context, id string) (portal.APIKey, error) {
	m.calls++
	k, ok := m.keys[id]
	if !ok {
		return portal.APIKey{}, portal.Errorf(portal.ENOTFOUND, "API key %s not found", id)
	}
	return k, nil
}

func (m *memKeys) RevokeAPIKey(_ context.Context, id string, t time.Time) error {
	m.calls++
	k := m.keys[id]
	if k.RevokedAt == nil {
		k.RevokedAt = &t
	}
	m.keys[id] = k
	return nil
}

func (m *memKeys) TouchAPIKey(_ context.Context, id string, t time.Time, _ time.Duration) error {
	m.calls++
	k := m.keys[id]
	k.LastUsedAt = &t
	m.keys[id] = k
	return nil
}

// --- assertion helpers ---

// code returns the domain error code of err ("" for nil).
func code(err error) string { return portal.ErrorCode(err) }

// fields returns the field errors of an EINVALID error, by field name.
func fields(t *testing.T, err error) map[string]string {
	t.Helper()
	var e *portal.Error
	if !errors.As(err, &e) || e.Code != portal.EINVALID {
		t.Fatalf("error = %v, want an EINVALID *portal.Error", err)
	}
	out := map[string]string{}
	for _, f := range e.Fields {
		if _, dup := out[f.Field]; dup {
			t.Fatalf("field %q reported twice in %v", f.Field, e.Fields)
		}
		out[f.Field] = f.Reason
	}
	return out
}

// wantCode fails unless err carries the domain code want.
func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := code(err); got != want {
		t.Fatalf("error code = %q (%v), want %q", got, err, want)
	}
}

func ptr[T any](v T) *T { return &v }

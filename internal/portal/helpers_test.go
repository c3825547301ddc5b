package portal_test

import (
	"context"
	"errors"
	"testing"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/services"
	"github.com/partnerportal/portal/internal/tenancy"
)

// The services run on the DynamoDB store against DynamoDB Local (see
// internal/ddbtest): one table per test function, shared by its subtests.

// TestMain stops the DynamoDB Local the tests started, if any.
func TestMain(m *testing.M) { ddbtest.Main(m) }

// admin2A is a second admin of partner A.
var admin2A = tenancy.Identity{UserID: "usr_00000000000000000000000AA2", Role: tenancy.RolePartnerAdmin, PartnerID: ddbtest.PartnerA}

// world is the services of one test function on a fresh table, with the
// test clock and predictable IDs. The table starts with partner A (not B).
type world struct {
	store     *dynamo.Store
	ids       *ddbtest.SeqIDs
	customers *portal.CustomerService
	users     *portal.UserService
	partners  *portal.PartnerService
	keys      *portal.APIKeyService
}

func newWorld(t *testing.T) *world {
	t.Helper()
	store := ddbtest.NewStore(t)
	ids := &ddbtest.SeqIDs{}
	s := services.New(store, ddbtest.Secret, ddbtest.Clock, ids)
	w := &world{store: store, ids: ids, customers: s.Customers, users: s.Users, partners: s.Partners, keys: s.APIKeys}
	must(t, store.CreatePartner(context.Background(), portal.Partner{
		ID: ddbtest.PartnerA, Name: "Partner A", ContactEmail: "ops@a.example", Status: "active", CreatedAt: ddbtest.Now, UpdatedAt: ddbtest.Now, Version: 1,
	}))
	return w
}

// addUser stores the user that id authenticates as, with e-mail address email.
func (w *world) addUser(t *testing.T, id tenancy.Identity, email string) {
	t.Helper()
	must(t, w.store.CreateUser(context.Background(), portal.User{
		ID: id.UserID, Email: email, Role: id.Role, PartnerID: id.PartnerID, TenantID: id.TenantID,
		Status: "active", CreatedAt: ddbtest.Now, UpdatedAt: ddbtest.Now, Version: 1,
	}))
}

// newAdmin returns the admin of a partner of its own: everything the test
// creates as it is all that partner has, however many tests share the table.
func (w *world) newAdmin() tenancy.Identity {
	return tenancy.Identity{UserID: w.ids.New(portal.PrefixUser), Role: tenancy.RolePartnerAdmin, PartnerID: w.ids.New(portal.PrefixPartner)}
}

// as returns a context carrying id.
func as(id tenancy.Identity) context.Context {
	return tenancy.WithIdentity(context.Background(), id)
}

// metered returns a context carrying id whose DynamoDB calls m records.
func metered(id tenancy.Identity) (context.Context, *dynamo.Meter) {
	return dynamo.WithMeter(as(id))
}

// --- assertion helpers ---

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantNoWrites fails if m recorded a write to the table.
func wantNoWrites(t *testing.T, m *dynamo.Meter) {
	t.Helper()
	if w := ddbtest.Writes(m); len(w) != 0 {
		t.Fatalf("DynamoDB writes = %v, want none", w)
	}
}

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

// second returns the error of a two-value call.
func second[T any](_ T, err error) error { return err }

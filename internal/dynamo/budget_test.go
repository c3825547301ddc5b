package dynamo_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/portal"
)

// wantCalls fails unless m recorded exactly the operations want, each with
// a positive capacity.
func wantCalls(t *testing.T, what string, m *dynamo.Meter, want ...string) {
	t.Helper()
	if got := ops(m); !slices.Equal(got, want) {
		t.Fatalf("%s made DynamoDB calls %v, want %v", what, got, want)
	}
	for _, c := range m.Calls() {
		if c.Capacity <= 0 {
			t.Fatalf("%s: %s reported %v capacity units, want > 0", what, c.Operation, c.Capacity)
		}
	}
}

// TestRequestCostBudgets pins how many DynamoDB calls each store operation
// makes: these are the per-request costs of the API.
func TestRequestCostBudgets(t *testing.T) {
	e := newEnv(t)
	svc := e.customers()
	w := seedList(t, e, 48, 6)
	admin := w.a
	id := w.expect(t, admin.PartnerID, portal.ListParams{})[0]

	t.Run("GetCustomerIsOneGetItem", func(t *testing.T) {
		ctx, m := e.measure(e.ctx)
		_, err := e.store.GetCustomer(ctx, admin.Scope(), id)
		mustOK(t, "get", err)
		wantCalls(t, "GetCustomer", m, "GetItem")

		ctx, m = e.measure(e.as(admin))
		_, err = svc.Get(ctx, id)
		mustOK(t, "service get", err)
		wantCalls(t, "CustomerService.Get", m, "GetItem")
	})

	t.Run("AMissingCustomerIsOneGetItem", func(t *testing.T) {
		ctx, m := e.measure(e.ctx)
		_, err := e.store.GetCustomer(ctx, admin.Scope(), e.ids.New(portal.PrefixCustomer))
		wantCode(t, "get missing", err, portal.ENOTFOUND)
		if got := ops(m); !slices.Equal(got, []string{"GetItem"}) {
			t.Fatalf("calls = %v, want [GetItem]", got)
		}
	})

	t.Run("CreateCustomerIsOneTransactionWithItsAuditEntry", func(t *testing.T) {
		ctx, m := e.measure(e.as(admin))
		_, err := svc.Create(ctx, portal.CustomerInput{Name: ptr("Budget"), ContactEmail: ptr("a@b.example")})
		mustOK(t, "create", err)
		wantCalls(t, "CustomerService.Create", m, "TransactWriteItems")
	})

	t.Run("UpdateCustomerIsOneGetItemAndOneTransactionWithItsAuditEntry", func(t *testing.T) {
		ctx, m := e.measure(e.as(admin))
		c, err := svc.Create(ctx, portal.CustomerInput{Name: ptr("Budget 2"), ContactEmail: ptr("a@b.example")})
		mustOK(t, "create", err)
		ctx, m = e.measure(e.as(admin))
		_, err = svc.Update(ctx, c.ID, portal.CustomerInput{Name: ptr("Budget 3")}, nil)
		mustOK(t, "update", err)
		wantCalls(t, "CustomerService.Update", m, "GetItem", "TransactWriteItems")
	})

	// Filters that are key conditions of the chosen index cost one Query
	// per page, on every page.
	scanBefore := w.scanBefore.Format(time.RFC3339Nano)
	for _, tc := range []struct {
		name string
		lp   portal.ListParams
	}{
		{"NoFilter", portal.ListParams{}},
		{"NameDescending", portal.ListParams{Sort: "-name"}},
		{"Status", portal.ListParams{Sort: "status"}},
		{"Plan", portal.ListParams{Sort: "plan"}},
		{"LastScanAt", portal.ListParams{Sort: "lastScanAt"}},
		{"CreatedAtDescending", portal.ListParams{Sort: "-createdAt"}},
		{"NameWithStatus", portal.ListParams{Sort: "name", Status: "active"}},
		{"NameWithPlan", portal.ListParams{Sort: "name", Plan: "mixed"}},
		{"NameWithQ", portal.ListParams{Sort: "name", Q: "ab"}},
		{"NameWithStatusAndQ", portal.ListParams{Sort: "name", Status: "active", Q: "ab"}},
		{"NameArchived", portal.ListParams{Sort: "name", Status: "archived"}},
		{"StatusWithStatusAndQ", portal.ListParams{Sort: "status", Status: "suspended", Q: "a"}},
		{"PlanWithPlan", portal.ListParams{Sort: "plan", Plan: "none"}},
		{"LastScanAtWithLastScanBefore", portal.ListParams{Sort: "lastScanAt", LastScanBefore: scanBefore}},
		{"LastScanAtDescendingBetween", portal.ListParams{Sort: "-lastScanAt", LastScanAfter: w.scanAfter.Format(time.RFC3339Nano), LastScanBefore: scanBefore}},
	} {
		lp := tc.lp
		t.Run("EveryPageIsOneQuery/"+tc.name, func(t *testing.T) {
			lp.Limit = "7"
			pages := 0
			for {
				ctx, m := e.measure(e.as(admin))
				page, err := svc.List(ctx, lp)
				mustOK(t, "list", err)
				pages++
				wantCalls(t, fmt.Sprintf("page %d", pages), m, "Query")
				if page.NextCursor == "" {
					break
				}
				lp.Cursor = page.NextCursor
			}
			if pages < 2 && lp.Status == "" && lp.Q == "" && lp.Plan == "" {
				t.Fatalf("only %d page: the budget of later pages is not tested", pages)
			}
		})
	}

	t.Run("FilteredPagesStayWithinFiveQueries", func(t *testing.T) {
		for _, lp := range []portal.ListParams{
			{Sort: "createdAt", Status: "trial"},
			{Sort: "lastScanAt", Plan: "per_asset", Q: "a"},
			{Sort: "status", Q: "zeta"},
		} {
			lp.Limit = "2"
			for {
				ctx, m := e.measure(e.as(admin))
				page, err := svc.List(ctx, lp)
				mustOK(t, "list", err)
				if n := m.RoundTrips(); n < 1 || n > 5 || count(m, "Query") != n {
					t.Fatalf("%+v: page took calls %v, want 1 to 5 Queries", lp, ops(m))
				}
				if page.NextCursor == "" {
					break
				}
				lp.Cursor = page.NextCursor
			}
		}
	})

	t.Run("IdempotencyIsOneWriteEach", func(t *testing.T) {
		scope := admin.PartnerID + "#" + admin.UserID
		ctx, m := e.measure(e.ctx)
		_, err := e.store.ReserveIdempotencyKey(ctx, scope, "budget", "fp", e.clock.Now())
		mustOK(t, "reserve", err)
		wantCalls(t, "ReserveIdempotencyKey", m, "PutItem")
		ctx, m = e.measure(e.ctx)
		mustOK(t, "complete", e.store.CompleteIdempotencyKey(ctx, scope, "budget", portal.StoredResponse{Status: 201}))
		wantCalls(t, "CompleteIdempotencyKey", m, "UpdateItem")
		ctx, m = e.measure(e.ctx)
		mustOK(t, "release", e.store.ReleaseIdempotencyKey(ctx, scope, "budget"))
		wantCalls(t, "ReleaseIdempotencyKey", m, "DeleteItem")
	})

	t.Run("CapacityIsReported", func(t *testing.T) {
		ctx, m := e.measure(e.as(admin))
		_, err := svc.List(ctx, portal.ListParams{Limit: "50"})
		mustOK(t, "list", err)
		if m.Capacity() <= 0 {
			t.Fatalf("capacity = %v, want > 0", m.Capacity())
		}
	})
}

package dynamo_test

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// fullCustomer returns a customer with every field set, times finer than a
// millisecond.
func fullCustomer(e *env, partnerID string) portal.Customer {
	scan := epoch.Add(-36*time.Hour + 123456789*time.Nanosecond)
	return portal.Customer{
		ID:           e.ids.New(portal.PrefixCustomer),
		PartnerID:    partnerID,
		Name:         "Acme Widgets GmbH",
		ContactEmail: "secops@acme.example",
		Timezone:     "Europe/Berlin",
		Country:      "DE",
		Tags:         []string{"gold", "eu"},
		Status:       portal.StatusSuspended,
		ResumeStatus: portal.StatusTrial,
		Plan:         portal.PlanPerScan,
		AccessLevel:  portal.AccessReadOnly,
		LastScanAt:   &scan,
		CreatedAt:    epoch.Add(-72*time.Hour + 987654321*time.Nanosecond),
		UpdatedAt:    epoch.Add(-time.Hour + 555*time.Microsecond),
		Version:      3,
	}
}

func TestCustomers(t *testing.T) {
	e := newEnv(t)
	admin := e.newPartnerAdmin()
	scope := admin.Scope()

	t.Run("CreateThenGetReturnsEveryField", func(t *testing.T) {
		c := fullCustomer(e, admin.PartnerID)
		mustOK(t, "create", e.store.CreateCustomer(e.ctx, c))
		got, err := e.store.GetCustomer(e.ctx, scope, c.ID)
		mustOK(t, "get", err)
		sameCustomer(t, got, c)
		if got, want := got.LastScanAt.Nanosecond(), 123000000; got != want {
			t.Fatalf("lastScanAt nanoseconds = %d, want %d (kept to the millisecond)", got, want)
		}
		if got, want := got.CreatedAt.Location(), time.UTC; got != want {
			t.Fatalf("createdAt location = %v, want %v", got, want)
		}
	})

	t.Run("OptionalFieldsRoundTripEmpty", func(t *testing.T) {
		c := fullCustomer(e, admin.PartnerID)
		c.Country, c.Tags, c.ResumeStatus, c.LastScanAt = "", nil, "", nil
		c.Status = portal.StatusActive
		mustOK(t, "create", e.store.CreateCustomer(e.ctx, c))
		got, err := e.store.GetCustomer(e.ctx, scope, c.ID)
		mustOK(t, "get", err)
		sameCustomer(t, got, c)
		if got.LastScanAt != nil {
			t.Fatalf("lastScanAt = %v, want nil (never scanned)", got.LastScanAt)
		}
		if got.Tags == nil {
			t.Fatalf("tags = nil, want an empty list")
		}
	})

	t.Run("ItemCarriesItsTenantID", func(t *testing.T) {
		c := fullCustomer(e, admin.PartnerID)
		mustOK(t, "create", e.store.CreateCustomer(e.ctx, c))
		item := e.rawItem(t, "TENANT#"+c.PartnerID+"#"+c.ID, "CUSTOMER")
		v, ok := item["tenantId"].(*types.AttributeValueMemberS)
		if !ok || v.Value != c.ID {
			t.Fatalf("tenantId attribute = %#v, want %q", item["tenantId"], c.ID)
		}
	})

	t.Run("AnotherPartnersScopeIsNotFound", func(t *testing.T) {
		c := fullCustomer(e, admin.PartnerID)
		mustOK(t, "create", e.store.CreateCustomer(e.ctx, c))
		other := e.newPartnerAdmin()
		_, err := e.store.GetCustomer(e.ctx, other.Scope(), c.ID)
		wantCode(t, "get with another partner's scope", err, portal.ENOTFOUND)
		_, err = e.store.GetCustomer(e.ctx, tenancy.Scope{}, c.ID)
		wantCode(t, "get with an empty scope", err, portal.ENOTFOUND)
	})

	t.Run("AnotherTenantsScopeIsNotFound", func(t *testing.T) {
		c := fullCustomer(e, admin.PartnerID)
		mustOK(t, "create", e.store.CreateCustomer(e.ctx, c))
		sibling := e.ids.New(portal.PrefixCustomer)
		_, err := e.store.GetCustomer(e.ctx, tenancy.Scope{PartnerID: admin.PartnerID, TenantID: sibling}, c.ID)
		wantCode(t, "get with a sibling tenant's scope", err, portal.ENOTFOUND)
		_, err = e.store.GetCustomer(e.ctx, tenancy.Scope{PartnerID: admin.PartnerID, TenantID: c.ID}, c.ID)
		mustOK(t, "get with the customer's own tenant scope", err)
	})

	t.Run("UnknownIDIsNotFound", func(t *testing.T) {
		_, err := e.store.GetCustomer(e.ctx, scope, e.ids.New(portal.PrefixCustomer))
		wantCode(t, "get unknown", err, portal.ENOTFOUND)
	})

	t.Run("CreatingAnExistingIDIsAConflict", func(t *testing.T) {
		c := fullCustomer(e, admin.PartnerID)
		mustOK(t, "create", e.store.CreateCustomer(e.ctx, c))
		again := c
		again.Name = "Someone Else"
		wantCode(t, "second create", e.store.CreateCustomer(e.ctx, again), portal.ECONFLICT)
		got, err := e.store.GetCustomer(e.ctx, scope, c.ID)
		mustOK(t, "get", err)
		if got, want := got.Name, c.Name; got != want {
			t.Fatalf("name after the refused create = %q, want %q (unchanged)", got, want)
		}
	})

	t.Run("UpdateWithTheNextVersionReplacesTheCustomer", func(t *testing.T) {
		c := fullCustomer(e, admin.PartnerID)
		mustOK(t, "create", e.store.CreateCustomer(e.ctx, c))
		c.Name, c.Version, c.Status, c.ResumeStatus = "Acme Renamed", c.Version+1, portal.StatusArchived, ""
		mustOK(t, "update", e.store.UpdateCustomer(e.ctx, scope, c))
		got, err := e.store.GetCustomer(e.ctx, scope, c.ID)
		mustOK(t, "get", err)
		sameCustomer(t, got, c)
	})

	t.Run("UpdateWithAStaleVersionFailsThePrecondition", func(t *testing.T) {
		c := fullCustomer(e, admin.PartnerID)
		mustOK(t, "create", e.store.CreateCustomer(e.ctx, c))
		first, second := c, c
		first.Name, first.Version = "First Writer", c.Version+1
		second.Name, second.Version = "Second Writer", c.Version+1
		mustOK(t, "first update", e.store.UpdateCustomer(e.ctx, scope, first))
		wantCode(t, "second update from the same version", e.store.UpdateCustomer(e.ctx, scope, second), portal.EPRECONDITION)
		got, err := e.store.GetCustomer(e.ctx, scope, c.ID)
		mustOK(t, "get", err)
		if got, want := got.Name, "First Writer"; got != want {
			t.Fatalf("name = %q, want %q", got, want)
		}
	})

	t.Run("UpdateOfAMissingCustomerIsNotFound", func(t *testing.T) {
		c := fullCustomer(e, admin.PartnerID)
		c.Version = 2
		wantCode(t, "update missing", e.store.UpdateCustomer(e.ctx, scope, c), portal.ENOTFOUND)
		_, err := e.store.GetCustomer(e.ctx, scope, c.ID)
		wantCode(t, "get after refused update", err, portal.ENOTFOUND)
	})

	t.Run("UpdateOutsideTheScopeIsNotFound", func(t *testing.T) {
		c := fullCustomer(e, admin.PartnerID)
		mustOK(t, "create", e.store.CreateCustomer(e.ctx, c))
		c.Version++
		other := e.newPartnerAdmin()
		wantCode(t, "update with another partner's scope", e.store.UpdateCustomer(e.ctx, other.Scope(), c), portal.ENOTFOUND)
	})

	t.Run("UpdateOfAnotherPartnersCustomerIsNotFoundAndWritesNothing", func(t *testing.T) {
		// The other partner claims the customer as its own in the body: the
		// store must neither write it nor reveal that the ID exists.
		c := fullCustomer(e, admin.PartnerID)
		mustOK(t, "create", e.store.CreateCustomer(e.ctx, c))
		other := e.newPartnerAdmin()
		hijack := c
		hijack.PartnerID, hijack.Name, hijack.Version = other.PartnerID, "Hijacked", c.Version+1
		err := e.store.UpdateCustomer(e.ctx, other.Scope(), hijack)
		got, gerr := e.store.GetCustomer(e.ctx, scope, c.ID)
		mustOK(t, "get", gerr)
		sameCustomer(t, got, c)
		wantCode(t, "update of another partner's customer", err, portal.ENOTFOUND)
	})
}

func TestCustomerService(t *testing.T) {
	e := newEnv(t)
	svc := e.customers()
	admin := e.newPartnerAdmin()
	ctx := e.as(admin)
	e.clock.Advance(42*time.Second + 123*time.Millisecond)

	create := func(t *testing.T, name string) portal.Customer {
		t.Helper()
		c, err := svc.Create(ctx, portal.CustomerInput{Name: ptr(name), ContactEmail: ptr("ops@" + "example.com")})
		mustOK(t, "create "+name, err)
		return c
	}

	t.Run("CreateThenGet", func(t *testing.T) {
		c, err := svc.Create(ctx, portal.CustomerInput{
			Name: ptr("  Globex  "), ContactEmail: ptr("SecOps@Globex.Example"), Timezone: ptr("America/New_York"),
			Country: ptr("us"), Tags: ptr([]string{"a", " b ", "a"}), Status: ptr(portal.StatusTrial),
		})
		mustOK(t, "create", err)
		want := portal.Customer{
			ID: c.ID, PartnerID: admin.PartnerID, Name: "Globex", ContactEmail: "SecOps@globex.example",
			Timezone: "America/New_York", Country: "US", Tags: []string{"a", "b"}, Status: portal.StatusTrial,
			Plan: portal.PlanNone, AccessLevel: portal.AccessDisabled, CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now(), Version: 1,
		}
		sameCustomer(t, c, want)
		if !portal.ValidID(portal.PrefixCustomer, c.ID) {
			t.Fatalf("id %q is not a customer ID", c.ID)
		}
		got, err := svc.Get(ctx, c.ID)
		mustOK(t, "get", err)
		sameCustomer(t, got, want)
	})

	t.Run("AnotherPartnerCannotSeeIt", func(t *testing.T) {
		c := create(t, "Initech")
		_, err := svc.Get(e.as(e.newPartnerAdmin()), c.ID)
		wantCode(t, "get by another partner", err, portal.ENOTFOUND)
		_, err = svc.Update(e.as(e.newPartnerAdmin()), c.ID, portal.CustomerInput{Name: ptr("Mine")}, nil)
		wantCode(t, "update by another partner", err, portal.ENOTFOUND)
	})

	t.Run("UpdateBumpsVersionAndUpdatedAt", func(t *testing.T) {
		c := create(t, "Hooli")
		e.clock.Advance(time.Minute)
		u, err := svc.Update(ctx, c.ID, portal.CustomerInput{Name: ptr("Hooli XYZ")}, ptr(c.Version))
		mustOK(t, "update", err)
		if got, want := u.Version, c.Version+1; got != want {
			t.Fatalf("version = %d, want %d", got, want)
		}
		got, err := svc.Get(ctx, c.ID)
		mustOK(t, "get", err)
		if got, want := got.Name, "Hooli XYZ"; got != want {
			t.Fatalf("name = %q, want %q", got, want)
		}
		if got, want := got.UpdatedAt, ms(e.clock.Now()); !got.Equal(want) {
			t.Fatalf("updatedAt = %v, want %v", got, want)
		}
		if got, want := got.CreatedAt, ms(c.CreatedAt); !got.Equal(want) {
			t.Fatalf("createdAt = %v, want %v (unchanged)", got, want)
		}
	})

	t.Run("UpdateWithAStaleIfMatchFailsThePrecondition", func(t *testing.T) {
		c := create(t, "Umbrella")
		_, err := svc.Update(ctx, c.ID, portal.CustomerInput{Name: ptr("Umbrella 2")}, ptr(c.Version))
		mustOK(t, "first update", err)
		_, err = svc.Update(ctx, c.ID, portal.CustomerInput{Name: ptr("Umbrella 3")}, ptr(c.Version))
		wantCode(t, "update with the version seen before the first update", err, portal.EPRECONDITION)
	})

	t.Run("SuspendAndResumeKeepTheStatus", func(t *testing.T) {
		c, err := svc.Create(ctx, portal.CustomerInput{Name: ptr("Soylent"), ContactEmail: ptr("a@b.example"), Status: ptr(portal.StatusTrial)})
		mustOK(t, "create", err)
		_, err = svc.Suspend(ctx, c.ID)
		mustOK(t, "suspend", err)
		got, err := svc.Get(ctx, c.ID)
		mustOK(t, "get", err)
		if got.Status != portal.StatusSuspended || got.ResumeStatus != portal.StatusTrial {
			t.Fatalf("status, resumeStatus = %s, %s; want suspended, trial", got.Status, got.ResumeStatus)
		}
		_, err = svc.Resume(ctx, c.ID)
		mustOK(t, "resume", err)
		got, err = svc.Get(ctx, c.ID)
		mustOK(t, "get", err)
		if got.Status != portal.StatusTrial || got.ResumeStatus != "" {
			t.Fatalf("status, resumeStatus = %s, %q; want trial, empty", got.Status, got.ResumeStatus)
		}
		if got, want := got.Version, int64(3); got != want {
			t.Fatalf("version = %d, want %d", got, want)
		}
	})

	t.Run("ArchivedCustomersLeaveTheDefaultList", func(t *testing.T) {
		admin := e.newPartnerAdmin()
		ctx := e.as(admin)
		keep, err := svc.Create(ctx, portal.CustomerInput{Name: ptr("Keep"), ContactEmail: ptr("a@b.example")})
		mustOK(t, "create", err)
		gone, err := svc.Create(ctx, portal.CustomerInput{Name: ptr("Gone"), ContactEmail: ptr("a@b.example")})
		mustOK(t, "create", err)
		_, err = svc.Archive(ctx, gone.ID)
		mustOK(t, "archive", err)

		ids := func(p portal.CustomerPage) []string {
			var out []string
			for _, c := range p.Items {
				out = append(out, c.ID)
			}
			return out
		}
		page, err := svc.List(ctx, portal.ListParams{})
		mustOK(t, "list", err)
		if got, want := ids(page), []string{keep.ID}; !slices.Equal(got, want) {
			t.Fatalf("default list = %v, want %v", got, want)
		}
		page, err = svc.List(ctx, portal.ListParams{Status: "archived"})
		mustOK(t, "list archived", err)
		if got, want := ids(page), []string{gone.ID}; !slices.Equal(got, want) {
			t.Fatalf("archived list = %v, want %v", got, want)
		}
		got, err := svc.Get(ctx, gone.ID)
		mustOK(t, "get archived", err)
		if got.Status != portal.StatusArchived {
			t.Fatalf("status = %s, want archived (data is kept)", got.Status)
		}
	})
}

package portal_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// validInput is a customer input every rule accepts.
func validInput() portal.CustomerInput {
	return portal.CustomerInput{Name: ptr("Acme GmbH"), ContactEmail: ptr("ops@acme.example")}
}

func TestCustomerCreate(t *testing.T) {
	w := newWorld(t)
	svc := w.customers

	t.Run("Defaults", func(t *testing.T) {
		ctx, m := metered(ddbtest.AdminA)
		c, err := svc.Create(ctx, validInput())
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if !portal.ValidID(portal.PrefixCustomer, c.ID) {
			t.Fatalf("ID = %q, want cus_ + ULID", c.ID)
		}
		if got, want := c.PartnerID, ddbtest.PartnerA; got != want {
			t.Fatalf("partnerId = %q, want the caller's %q", got, want)
		}
		if got, want := c.Timezone, "UTC"; got != want {
			t.Fatalf("timezone = %q, want %q", got, want)
		}
		if got, want := c.Status, portal.StatusActive; got != want {
			t.Fatalf("status = %q, want %q", got, want)
		}
		if got, want := c.Plan, portal.PlanNone; got != want {
			t.Fatalf("plan = %q, want %q", got, want)
		}
		if got, want := c.AccessLevel, portal.AccessDisabled; got != want {
			t.Fatalf("accessLevel = %q, want %q", got, want)
		}
		if c.Tags == nil {
			t.Fatal("tags = nil, want an empty list (it is answered as [] not null)")
		}
		if got, want := c.Version, int64(1); got != want {
			t.Fatalf("version = %d, want %d", got, want)
		}
		if !c.CreatedAt.Equal(ddbtest.Now) || !c.UpdatedAt.Equal(ddbtest.Now) {
			t.Fatalf("createdAt, updatedAt = %v, %v; want the clock's %v", c.CreatedAt, c.UpdatedAt, ddbtest.Now)
		}
		if got := ddbtest.Writes(m); len(got) != 1 {
			t.Fatalf("DynamoDB writes = %v, want one", got)
		}
		stored, err := w.store.GetCustomer(context.Background(), ddbtest.AdminA.Scope(), c.ID)
		if err != nil {
			t.Fatalf("GetCustomer: %v", err)
		}
		if !reflect.DeepEqual(stored, c) {
			t.Fatalf("stored customer = %+v, want the one Create returned, %+v", stored, c)
		}
	})

	t.Run("NormalisesFields", func(t *testing.T) {
		in := portal.CustomerInput{
			Name:         ptr("  Acme GmbH  "),
			ContactEmail: ptr(" Ops@ACME.Example "),
			Timezone:     ptr("Europe/Berlin"),
			Country:      ptr("de"),
			Tags:         &[]string{" eu ", "eu", "gold"},
			Status:       ptr(portal.StatusTrial),
		}
		c, err := svc.Create(as(ddbtest.AdminA), in)
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if got, want := c.Name, "Acme GmbH"; got != want {
			t.Fatalf("name = %q, want %q", got, want)
		}
		if got, want := c.ContactEmail, "Ops@acme.example"; got != want {
			t.Fatalf("contactEmail = %q, want %q (domain lower-cased, local part kept)", got, want)
		}
		if got, want := c.Country, "DE"; got != want {
			t.Fatalf("country = %q, want %q", got, want)
		}
		if got, want := strings.Join(c.Tags, ","), "eu,gold"; got != want {
			t.Fatalf("tags = %q, want %q (trimmed, de-duplicated, in order)", got, want)
		}
		if got, want := c.Status, portal.StatusTrial; got != want {
			t.Fatalf("status = %q, want %q", got, want)
		}
	})

	t.Run("EveryBadFieldAtOnce", func(t *testing.T) {
		ctx, m := metered(ddbtest.AdminA)
		in := portal.CustomerInput{
			Name:         ptr(""),
			ContactEmail: ptr("not-an-email"),
			Timezone:     ptr("Mars/Base"),
			Country:      ptr("XX"),
			Tags:         &[]string{"ok", ""},
			Status:       ptr(portal.CustomerStatus("deleted")),
		}
		_, err := svc.Create(ctx, in)
		got := fields(t, err)
		for _, f := range []string{"name", "contactEmail", "timezone", "country", "tags[1]", "status"} {
			if _, ok := got[f]; !ok {
				t.Errorf("field %q not reported; got %v", f, got)
			}
		}
		if got, want := len(got), 6; got != want {
			t.Errorf("reported %d fields, want %d: %v", got, want, got)
		}
		if got := ddbtest.Writes(m); len(got) != 0 {
			t.Fatalf("DynamoDB writes = %v, want none: nothing is written when the input is invalid", got)
		}
	})

	t.Run("RequiredFields", func(t *testing.T) {
		ctx, m := metered(ddbtest.AdminA)
		got := fields(t, second(svc.Create(ctx, portal.CustomerInput{})))
		for _, f := range []string{"name", "contactEmail"} {
			if got[f] != "is required" {
				t.Errorf("%s = %q, want %q", f, got[f], "is required")
			}
		}
		wantNoWrites(t, m)
	})

	// invalid runs Create with one field changed and returns the reason given for field.
	invalid := func(t *testing.T, field string, mutate func(*portal.CustomerInput)) string {
		t.Helper()
		ctx, m := metered(ddbtest.AdminA)
		in := validInput()
		mutate(&in)
		_, err := svc.Create(ctx, in)
		got := fields(t, err)
		reason, ok := got[field]
		if !ok {
			t.Fatalf("field %q not reported; got %v", field, got)
		}
		if len(got) != 1 {
			t.Fatalf("reported %v, want only %q", got, field)
		}
		wantNoWrites(t, m)
		return reason
	}

	t.Run("Name", func(t *testing.T) {
		for _, tc := range []struct{ name, value, reason string }{
			{"Empty", "", "is required"},
			{"OnlySpaces", "   ", "is required"},
			{"TooLong", strings.Repeat("n", portal.MaxNameLength+1), "at most 200"},
			{"ControlCharacter", "Acme\x00GmbH", "control characters"},
			{"Tab", "Acme\tGmbH", "control characters"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				reason := invalid(t, "name", func(in *portal.CustomerInput) { in.Name = &tc.value })
				if !strings.Contains(reason, tc.reason) {
					t.Fatalf("reason = %q, want it to mention %q", reason, tc.reason)
				}
			})
		}
		t.Run("MaxLengthInRunes", func(t *testing.T) {
			in := validInput()
			in.Name = ptr(strings.Repeat("ü", portal.MaxNameLength)) // 400 bytes, 200 characters
			if _, err := svc.Create(as(ddbtest.AdminA), in); err != nil {
				t.Fatalf("Create with a %d-character name: %v", portal.MaxNameLength, err)
			}
		})
	})

	t.Run("ContactEmail", func(t *testing.T) {
		for _, v := range []string{
			"",
			"ops",
			"ops@",
			"@example.com",
			"ops@example",
			"ops@example.com.",
			"ops@.example.com",
			"ops@@example.com",
			"a b@example.com",
			`"a b"@example.com`,
			"Ops <ops@example.com>",
			"ops@example.com, dev@example.com",
			strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + ".com",
		} {
			t.Run(v, func(t *testing.T) {
				invalid(t, "contactEmail", func(in *portal.CustomerInput) { in.ContactEmail = &v })
			})
		}
	})

	t.Run("Timezone", func(t *testing.T) {
		for _, v := range []string{"Mars/Base", "Local", "", "europe/berlin", "../etc/passwd", "Europe/Berlin/"} {
			t.Run(v, func(t *testing.T) {
				reason := invalid(t, "timezone", func(in *portal.CustomerInput) { in.Timezone = &v })
				if !strings.Contains(reason, "IANA") {
					t.Fatalf("reason = %q, want it to name IANA time zones", reason)
				}
			})
		}
		for _, v := range []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"} {
			t.Run("Accepts/"+v, func(t *testing.T) {
				in := validInput()
				in.Timezone = &v
				c, err := svc.Create(as(ddbtest.AdminA), in)
				if err != nil {
					t.Fatalf("Create: %v", err)
				}
				if got, want := c.Timezone, v; got != want {
					t.Fatalf("timezone = %q, want %q", got, want)
				}
			})
		}
	})

	t.Run("Country", func(t *testing.T) {
		for _, v := range []string{"XX", "DEU", "", "D", "ZZ", "EU", "AA", "1A"} {
			t.Run(v, func(t *testing.T) {
				reason := invalid(t, "country", func(in *portal.CustomerInput) { in.Country = &v })
				if !strings.Contains(reason, "ISO 3166-1 alpha-2") {
					t.Fatalf("reason = %q, want it to name ISO 3166-1 alpha-2", reason)
				}
			})
		}
		for _, tc := range []struct{ in, want string }{{"de", "DE"}, {"DE", "DE"}, {" us ", "US"}, {"Gb", "GB"}} {
			t.Run("Accepts/"+tc.in, func(t *testing.T) {
				in := validInput()
				in.Country = &tc.in
				c, err := svc.Create(as(ddbtest.AdminA), in)
				if err != nil {
					t.Fatalf("Create: %v", err)
				}
				if got := c.Country; got != tc.want {
					t.Fatalf("country = %q, want %q", got, tc.want)
				}
			})
		}
	})

	t.Run("Tags", func(t *testing.T) {
		t.Run("TooMany", func(t *testing.T) {
			tags := make([]string, portal.MaxTags+1)
			for i := range tags {
				tags[i] = "t" + strings.Repeat("x", i)
			}
			reason := invalid(t, "tags", func(in *portal.CustomerInput) { in.Tags = &tags })
			if !strings.Contains(reason, "at most 50") {
				t.Fatalf("reason = %q, want it to give the limit", reason)
			}
		})
		t.Run("TooLong", func(t *testing.T) {
			tags := []string{"ok", strings.Repeat("t", portal.MaxTagLength+1)}
			reason := invalid(t, "tags[1]", func(in *portal.CustomerInput) { in.Tags = &tags })
			if !strings.Contains(reason, "at most 64") {
				t.Fatalf("reason = %q, want it to give the limit", reason)
			}
		})
		t.Run("Empty", func(t *testing.T) {
			tags := []string{"  "}
			invalid(t, "tags[0]", func(in *portal.CustomerInput) { in.Tags = &tags })
		})
		t.Run("ControlCharacter", func(t *testing.T) {
			tags := []string{"a\x01b"}
			invalid(t, "tags[0]", func(in *portal.CustomerInput) { in.Tags = &tags })
		})
		t.Run("EveryBadTagNamed", func(t *testing.T) {
			in := validInput()
			in.Tags = &[]string{"", "ok", strings.Repeat("t", 65), ""}
			got := fields(t, second(svc.Create(as(ddbtest.AdminA), in)))
			for _, f := range []string{"tags[0]", "tags[2]", "tags[3]"} {
				if _, ok := got[f]; !ok {
					t.Errorf("%s not reported; got %v", f, got)
				}
			}
			if _, ok := got["tags[1]"]; ok {
				t.Errorf("tags[1] reported, but it is fine: %v", got)
			}
		})
		t.Run("ExactlyMaxAccepted", func(t *testing.T) {
			tags := make([]string, portal.MaxTags)
			for i := range tags {
				tags[i] = strings.Repeat("x", portal.MaxTagLength-2) + string(rune('a'+i/26)) + string(rune('a'+i%26))
			}
			in := validInput()
			in.Tags = &tags
			c, err := svc.Create(as(ddbtest.AdminA), in)
			if err != nil {
				t.Fatalf("Create with %d tags of %d characters: %v", portal.MaxTags, portal.MaxTagLength, err)
			}
			if got, want := len(c.Tags), portal.MaxTags; got != want {
				t.Fatalf("len(tags) = %d, want %d", got, want)
			}
		})
	})

	t.Run("Status", func(t *testing.T) {
		for _, v := range []portal.CustomerStatus{"deleted", portal.StatusSuspended, portal.StatusArchived, "Active", ""} {
			t.Run(string(v), func(t *testing.T) {
				reason := invalid(t, "status", func(in *portal.CustomerInput) { in.Status = &v })
				if got, want := reason, "must be one of: active, trial"; got != want {
					t.Fatalf("reason = %q, want %q (the allowed values)", got, want)
				}
			})
		}
	})
}

func TestCustomerRoles(t *testing.T) {
	w := newWorld(t)
	svc := w.customers

	t.Run("NoIdentityIsUnauthorized", func(t *testing.T) {
		ctx, m := dynamo.WithMeter(context.Background())
		_, err := svc.Create(ctx, validInput())
		wantCode(t, err, portal.EUNAUTHORIZED)
		_, err = svc.List(ctx, portal.ListParams{})
		wantCode(t, err, portal.EUNAUTHORIZED)
		_, err = svc.Get(ctx, "cus_00000000000000000000000001")
		wantCode(t, err, portal.EUNAUTHORIZED)
		wantNoWrites(t, m)
	})

	t.Run("IncompleteIdentityIsUnauthorized", func(t *testing.T) {
		for _, id := range []tenancy.Identity{
			{UserID: "usr_1", Role: tenancy.RolePartnerAdmin},                                                 // no partner
			{UserID: "usr_1", Role: "root", PartnerID: ddbtest.PartnerA},                                      // unknown role
			{Role: tenancy.RolePartnerAdmin, PartnerID: ddbtest.PartnerA},                                     // no user
			{UserID: "usr_1", Role: tenancy.RoleSuperAdmin, PartnerID: ddbtest.PartnerA},                      // operator bound to a partner
			{UserID: "usr_1", Role: tenancy.RolePartnerAdmin, PartnerID: ddbtest.PartnerA, TenantID: "cus_1"}, // partner role in a tenant
		} {
			_, err := svc.Create(as(id), validInput())
			wantCode(t, err, portal.EUNAUTHORIZED)
		}
	})

	t.Run("SuperAdminCannotCreateCustomers", func(t *testing.T) {
		ctx, m := metered(ddbtest.SuperAdmin)
		_, err := svc.Create(ctx, validInput())
		wantCode(t, err, portal.EFORBIDDEN)
		wantNoWrites(t, m)
	})

	t.Run("PartnerMemberCannotCreate", func(t *testing.T) {
		_, err := svc.Create(as(ddbtest.MemberA), validInput())
		wantCode(t, err, portal.EFORBIDDEN)
	})

	t.Run("AuthorisationBeforeValidation", func(t *testing.T) {
		_, err := svc.Create(as(ddbtest.SuperAdmin), portal.CustomerInput{Name: ptr("")})
		wantCode(t, err, portal.EFORBIDDEN)
	})

	t.Run("PartnerMemberSeesNothingByDefault", func(t *testing.T) {
		c, err := svc.Create(as(ddbtest.AdminA), validInput())
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		page, err := svc.List(as(ddbtest.MemberA), portal.ListParams{})
		if err != nil {
			t.Fatalf("List as member: %v", err)
		}
		if page.Items == nil || len(page.Items) != 0 || page.NextCursor != "" {
			t.Fatalf("member's page = %+v, want an empty list without cursor", page)
		}
		_, err = svc.Get(as(ddbtest.MemberA), c.ID)
		wantCode(t, err, portal.ENOTFOUND)
	})

	t.Run("AnotherPartnersCustomerIsNotFound", func(t *testing.T) {
		c, err := svc.Create(as(ddbtest.AdminA), validInput())
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		ctx, m := metered(ddbtest.AdminB)
		_, err = svc.Get(ctx, c.ID)
		wantCode(t, err, portal.ENOTFOUND)
		for name, do := range map[string]func(*portal.CustomerService, context.Context, string) (portal.Customer, error){
			"Suspend": (*portal.CustomerService).Suspend,
			"Resume":  (*portal.CustomerService).Resume,
			"Archive": (*portal.CustomerService).Archive,
		} {
			_, err := do(svc, ctx, c.ID)
			if got, want := code(err), portal.ENOTFOUND; got != want {
				t.Fatalf("%s by another partner: code = %q, want %q", name, got, want)
			}
		}
		_, err = svc.Update(ctx, c.ID, portal.CustomerInput{Name: ptr("Mine now")}, nil)
		wantCode(t, err, portal.ENOTFOUND)
		wantNoWrites(t, m)
		if got, err := svc.Get(as(ddbtest.AdminA), c.ID); err != nil || !reflect.DeepEqual(got, c) {
			t.Fatalf("after another partner's attempts: %+v, %v; want the customer as created, %+v", got, err, c)
		}
		page, err := svc.List(as(ddbtest.AdminB), portal.ListParams{})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(page.Items) != 0 {
			t.Fatalf("another partner lists %d customers, want 0", len(page.Items))
		}
	})

	t.Run("MalformedIDIsNotFound", func(t *testing.T) {
		for _, id := range []string{"", "cus_", "cus_123", "usr_00000000000000000000000001", "cus_0000000000000000000000000a", "../x"} {
			_, err := svc.Get(as(ddbtest.AdminA), id)
			if got, want := code(err), portal.ENOTFOUND; got != want {
				t.Fatalf("Get(%q): code = %q, want %q", id, got, want)
			}
		}
	})
}

func TestCustomerStatusTransitions(t *testing.T) {
	w := newWorld(t)
	svc := w.customers
	create := func(t *testing.T, status portal.CustomerStatus) portal.Customer {
		t.Helper()
		in := validInput()
		in.Status = &status
		c, err := svc.Create(as(ddbtest.AdminA), in)
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		return c
	}

	t.Run("SuspendActive", func(t *testing.T) {
		c := create(t, portal.StatusActive)
		s, err := svc.Suspend(as(ddbtest.AdminA), c.ID)
		if err != nil {
			t.Fatalf("Suspend: %v", err)
		}
		if got, want := s.Status, portal.StatusSuspended; got != want {
			t.Fatalf("status = %q, want %q", got, want)
		}
		if got, want := s.Version, c.Version+1; got != want {
			t.Fatalf("version = %d, want %d", got, want)
		}
		r, err := svc.Resume(as(ddbtest.AdminA), c.ID)
		if err != nil {
			t.Fatalf("Resume: %v", err)
		}
		if got, want := r.Status, portal.StatusActive; got != want {
			t.Fatalf("status after resume = %q, want %q", got, want)
		}
		if got, want := r.ResumeStatus, portal.CustomerStatus(""); got != want {
			t.Fatalf("resumeStatus after resume = %q, want none", got)
		}
	})

	t.Run("TrialStaysTrial", func(t *testing.T) {
		c := create(t, portal.StatusTrial)
		if _, err := svc.Suspend(as(ddbtest.AdminA), c.ID); err != nil {
			t.Fatalf("Suspend: %v", err)
		}
		r, err := svc.Resume(as(ddbtest.AdminA), c.ID)
		if err != nil {
			t.Fatalf("Resume: %v", err)
		}
		if got, want := r.Status, portal.StatusTrial; got != want {
			t.Fatalf("status after resume = %q, want %q", got, want)
		}
	})

	t.Run("SuspendTwiceIsNoOp", func(t *testing.T) {
		c := create(t, portal.StatusActive)
		first, err := svc.Suspend(as(ddbtest.AdminA), c.ID)
		if err != nil {
			t.Fatalf("Suspend: %v", err)
		}
		ctx, m := metered(ddbtest.AdminA)
		second, err := svc.Suspend(ctx, c.ID)
		if err != nil {
			t.Fatalf("second Suspend: %v", err)
		}
		if got, want := second.Version, first.Version; got != want {
			t.Fatalf("version = %d, want %d (no change, no bump)", got, want)
		}
		wantNoWrites(t, m)
		r, err := svc.Resume(as(ddbtest.AdminA), c.ID)
		if err != nil {
			t.Fatalf("Resume: %v", err)
		}
		if got, want := r.Status, portal.StatusActive; got != want {
			t.Fatalf("status after resume = %q, want %q (the status before the first suspend)", got, want)
		}
	})

	t.Run("ResumeActiveIsNoOp", func(t *testing.T) {
		c := create(t, portal.StatusActive)
		ctx, m := metered(ddbtest.AdminA)
		r, err := svc.Resume(ctx, c.ID)
		if err != nil {
			t.Fatalf("Resume: %v", err)
		}
		if r.Version != c.Version {
			t.Fatalf("version = %d, want %d", r.Version, c.Version)
		}
		wantNoWrites(t, m)
	})

	t.Run("ArchivedCannotResume", func(t *testing.T) {
		c := create(t, portal.StatusActive)
		if _, err := svc.Suspend(as(ddbtest.AdminA), c.ID); err != nil {
			t.Fatalf("Suspend: %v", err)
		}
		a, err := svc.Archive(as(ddbtest.AdminA), c.ID)
		if err != nil {
			t.Fatalf("Archive: %v", err)
		}
		if got, want := a.Status, portal.StatusArchived; got != want {
			t.Fatalf("status = %q, want %q", got, want)
		}
		_, err = svc.Resume(as(ddbtest.AdminA), c.ID)
		wantCode(t, err, portal.ECONFLICT)
		_, err = svc.Suspend(as(ddbtest.AdminA), c.ID)
		wantCode(t, err, portal.ECONFLICT)
		_, err = svc.Update(as(ddbtest.AdminA), c.ID, portal.CustomerInput{Name: ptr("Renamed")}, nil)
		wantCode(t, err, portal.ECONFLICT)
	})

	t.Run("ArchiveTwiceIsNoOp", func(t *testing.T) {
		c := create(t, portal.StatusActive)
		a, err := svc.Archive(as(ddbtest.AdminA), c.ID)
		if err != nil {
			t.Fatalf("Archive: %v", err)
		}
		ctx, m := metered(ddbtest.AdminA)
		b, err := svc.Archive(ctx, c.ID)
		if err != nil {
			t.Fatalf("second Archive: %v", err)
		}
		if b.Version != a.Version {
			t.Fatalf("second archive bumped version to %d, want %d", b.Version, a.Version)
		}
		wantNoWrites(t, m)
	})

	t.Run("ArchiveNeedsPartnerAdminAndMembersActOnlyOnGrantedCustomers", func(t *testing.T) {
		c := create(t, portal.StatusActive)
		_, err := svc.Archive(as(ddbtest.MemberA), c.ID)
		wantCode(t, err, portal.EFORBIDDEN)
		_, err = svc.Suspend(as(ddbtest.MemberA), c.ID) // no grant: the customer does not exist for the member
		wantCode(t, err, portal.ENOTFOUND)
		_, err = svc.Suspend(context.Background(), c.ID)
		wantCode(t, err, portal.EUNAUTHORIZED)
	})
}

func TestCustomerUpdate(t *testing.T) {
	w := newWorld(t)
	svc := w.customers
	create := func(t *testing.T) portal.Customer {
		t.Helper()
		c, err := svc.Create(as(ddbtest.AdminA), validInput())
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		return c
	}

	t.Run("AppliesPresentFieldsOnly", func(t *testing.T) {
		c := create(t)
		u, err := svc.Update(as(ddbtest.AdminA), c.ID, portal.CustomerInput{Timezone: ptr("Europe/Berlin")}, ptr(c.Version))
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		if u.Name != c.Name || u.ContactEmail != c.ContactEmail || u.Timezone != "Europe/Berlin" {
			t.Fatalf("updated = %+v, want only the timezone changed", u)
		}
		if got, want := u.Version, c.Version+1; got != want {
			t.Fatalf("version = %d, want %d", got, want)
		}
		if stored, err := svc.Get(as(ddbtest.AdminA), c.ID); err != nil || !reflect.DeepEqual(stored, u) {
			t.Fatalf("stored = %+v, %v; want the updated customer %+v", stored, err, u)
		}
	})

	t.Run("StaleIfMatchIsPreconditionFailed", func(t *testing.T) {
		c := create(t)
		first, err := svc.Update(as(ddbtest.AdminA), c.ID, portal.CustomerInput{Name: ptr("First")}, nil)
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		ctx, m := metered(ddbtest.AdminA)
		_, err = svc.Update(ctx, c.ID, portal.CustomerInput{Name: ptr("Second")}, ptr(c.Version))
		wantCode(t, err, portal.EPRECONDITION)
		wantNoWrites(t, m)
		if stored, err := svc.Get(as(ddbtest.AdminA), c.ID); err != nil || !reflect.DeepEqual(stored, first) {
			t.Fatalf("stored = %+v, %v; want the first update %+v", stored, err, first)
		}
	})

	t.Run("NoChangeNoBump", func(t *testing.T) {
		c := create(t)
		ctx, m := metered(ddbtest.AdminA)
		u, err := svc.Update(ctx, c.ID, portal.CustomerInput{Name: ptr(c.Name)}, nil)
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		if u.Version != c.Version {
			t.Fatalf("version = %d, want %d", u.Version, c.Version)
		}
		wantNoWrites(t, m)
	})

	t.Run("InvalidFieldsNamedAndNothingWritten", func(t *testing.T) {
		c := create(t)
		ctx, m := metered(ddbtest.AdminA)
		_, err := svc.Update(ctx, c.ID, portal.CustomerInput{Name: ptr(""), Timezone: ptr("Local")}, nil)
		got := fields(t, err)
		if _, ok := got["name"]; !ok {
			t.Errorf("name not reported: %v", got)
		}
		if _, ok := got["timezone"]; !ok {
			t.Errorf("timezone not reported: %v", got)
		}
		wantNoWrites(t, m)
	})

	t.Run("StatusOnlyActiveOrTrial", func(t *testing.T) {
		c := create(t)
		_, err := svc.Update(as(ddbtest.AdminA), c.ID, portal.CustomerInput{Status: ptr(portal.StatusSuspended)}, nil)
		if got, want := fields(t, err)["status"], "must be one of: active, trial"; got != want {
			t.Fatalf("status reason = %q, want %q", got, want)
		}
		u, err := svc.Update(as(ddbtest.AdminA), c.ID, portal.CustomerInput{Status: ptr(portal.StatusTrial)}, nil)
		if err != nil {
			t.Fatalf("Update to trial: %v", err)
		}
		if got, want := u.Status, portal.StatusTrial; got != want {
			t.Fatalf("status = %q, want %q", got, want)
		}
	})

	t.Run("SuspendedStatusChangeIsConflict", func(t *testing.T) {
		c := create(t)
		if _, err := svc.Suspend(as(ddbtest.AdminA), c.ID); err != nil {
			t.Fatalf("Suspend: %v", err)
		}
		_, err := svc.Update(as(ddbtest.AdminA), c.ID, portal.CustomerInput{Status: ptr(portal.StatusActive)}, nil)
		wantCode(t, err, portal.ECONFLICT)
	})
}

package portal_test

import (
	"context"
	"strings"
	"testing"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

func newCustomerService() (*portal.CustomerService, *memCustomers) {
	store := newMemCustomers()
	return &portal.CustomerService{Store: store, Cursors: portal.Cursors{Secret: testSecret}, Clock: testClock, IDs: &seqIDs{}}, store
}

// validInput is a customer input every rule accepts.
func validInput() portal.CustomerInput {
	return portal.CustomerInput{Name: ptr("Acme GmbH"), ContactEmail: ptr("ops@acme.example")}
}

func TestCustomerCreate(t *testing.T) {
	t.Run("Defaults", func(t *testing.T) {
		svc, store := newCustomerService()
		c, err := svc.Create(as(adminA), validInput())
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if !portal.ValidID(portal.PrefixCustomer, c.ID) {
			t.Fatalf("ID = %q, want cus_ + ULID", c.ID)
		}
		if got, want := c.PartnerID, partnerA; got != want {
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
		if !c.CreatedAt.Equal(testNow) || !c.UpdatedAt.Equal(testNow) {
			t.Fatalf("createdAt, updatedAt = %v, %v; want the clock's %v", c.CreatedAt, c.UpdatedAt, testNow)
		}
		if got, want := store.writes, 1; got != want {
			t.Fatalf("writes = %d, want %d", got, want)
		}
	})

	t.Run("NormalisesFields", func(t *testing.T) {
		svc, _ := newCustomerService()
		in := portal.CustomerInput{
			Name:         ptr("  Acme GmbH  "),
			ContactEmail: ptr(" Ops@ACME.Example "),
			Timezone:     ptr("Europe/Berlin"),
			Country:      ptr("de"),
			Tags:         &[]string{" eu ", "eu", "gold"},
			Status:       ptr(portal.StatusTrial),
		}
		c, err := svc.Create(as(adminA), in)
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
		svc, store := newCustomerService()
		in := portal.CustomerInput{
			Name:         ptr(""),
			ContactEmail: ptr("not-an-email"),
			Timezone:     ptr("Mars/Base"),
			Country:      ptr("XX"),
			Tags:         &[]string{"ok", ""},
			Status:       ptr(portal.CustomerStatus("deleted")),
		}
		_, err := svc.Create(as(adminA), in)
		got := fields(t, err)
		for _, f := range []string{"name", "contactEmail", "timezone", "country", "tags[1]", "status"} {
			if _, ok := got[f]; !ok {
				t.Errorf("field %q not reported; got %v", f, got)
			}
		}
		if got, want := len(got), 6; got != want {
			t.Errorf("reported %d fields, want %d: %v", got, want, got)
		}
		if got, want := store.writes, 0; got != want {
			t.Fatalf("writes = %d, want %d: nothing is written when the input is invalid", got, want)
		}
	})

	t.Run("RequiredFields", func(t *testing.T) {
		svc, store := newCustomerService()
		got := fields(t, second(svc.Create(as(adminA), portal.CustomerInput{})))
		for _, f := range []string{"name", "contactEmail"} {
			if got[f] != "is required" {
				t.Errorf("%s = %q, want %q", f, got[f], "is required")
			}
		}
		if store.writes != 0 {
			t.Fatalf("writes = %d, want 0", store.writes)
		}
	})

	// invalid runs Create with one field changed and returns the reason given for field.
	invalid := func(t *testing.T, field string, mutate func(*portal.CustomerInput)) string {
		t.Helper()
		svc, store := newCustomerService()
		in := validInput()
		mutate(&in)
		_, err := svc.Create(as(adminA), in)
		got := fields(t, err)
		reason, ok := got[field]
		if !ok {
			t.Fatalf("field %q not reported; got %v", field, got)
		}
		if len(got) != 1 {
			t.Fatalf("reported %v, want only %q", got, field)
		}
		if store.writes != 0 {
			t.Fatalf("writes = %d, want 0", store.writes)
		}
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
			svc, _ := newCustomerService()
			in := validInput()
			in.Name = ptr(strings.Repeat("ü", portal.MaxNameLength)) // 400 bytes, 200 characters
			if _, err := svc.Create(as(adminA), in); err != nil {
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
				svc, _ := newCustomerService()
				in := validInput()
				in.Timezone = &v
				c, err := svc.Create(as(adminA), in)
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
				svc, _ := newCustomerService()
				in := validInput()
				in.Country = &tc.in
				c, err := svc.Create(as(adminA), in)
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
			svc, _ := newCustomerService()
			in := validInput()
			in.Tags = &[]string{"", "ok", strings.Repeat("t", 65), ""}
			got := fields(t, second(svc.Create(as(adminA), in)))
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
			svc, _ := newCustomerService()
			tags := make([]string, portal.MaxTags)
			for i := range tags {
				tags[i] = strings.Repeat("x", portal.MaxTagLength-2) + string(rune('a'+i/26)) + string(rune('a'+i%26))
			}
			in := validInput()
			in.Tags = &tags
			c, err := svc.Create(as(adminA), in)
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
	t.Run("NoIdentityIsUnauthorized", func(t *testing.T) {
		svc, store := newCustomerService()
		_, err := svc.Create(context.Background(), validInput())
		wantCode(t, err, portal.EUNAUTHORIZED)
		_, err = svc.List(context.Background(), portal.ListParams{})
		wantCode(t, err, portal.EUNAUTHORIZED)
		_, err = svc.Get(context.Background(), "cus_00000000000000000000000001")
		wantCode(t, err, portal.EUNAUTHORIZED)
		if store.writes != 0 {
			t.Fatalf("writes = %d, want 0", store.writes)
		}
	})

	t.Run("IncompleteIdentityIsUnauthorized", func(t *testing.T) {
		svc, _ := newCustomerService()
		for _, id := range []tenancy.Identity{
			{UserID: "usr_1", Role: tenancy.RolePartnerAdmin},                                         // no partner
			{UserID: "usr_1", Role: "root", PartnerID: partnerA},                                      // unknown role
			{Role: tenancy.RolePartnerAdmin, PartnerID: partnerA},                                     // no user
			{UserID: "usr_1", Role: tenancy.RoleSuperAdmin, PartnerID: partnerA},                      // operator bound to a partner
			{UserID: "usr_1", Role: tenancy.RolePartnerAdmin, PartnerID: partnerA, TenantID: "cus_1"}, // partner role in a tenant
		} {
			_, err := svc.Create(as(id), validInput())
			wantCode(t, err, portal.EUNAUTHORIZED)
		}
	})

	t.Run("SuperAdminCannotCreateCustomers", func(t *testing.T) {
		svc, store := newCustomerService()
		_, err := svc.Create(as(superAdm), validInput())
		wantCode(t, err, portal.EFORBIDDEN)
		if store.writes != 0 {
			t.Fatalf("writes = %d, want 0", store.writes)
		}
	})

	t.Run("PartnerMemberCannotCreate", func(t *testing.T) {
		svc, _ := newCustomerService()
		_, err := svc.Create(as(memberA), validInput())
		wantCode(t, err, portal.EFORBIDDEN)
	})

	t.Run("AuthorisationBeforeValidation", func(t *testing.T) {
		svc, _ := newCustomerService()
		_, err := svc.Create(as(superAdm), portal.CustomerInput{Name: ptr("")})
		wantCode(t, err, portal.EFORBIDDEN)
	})

	t.Run("PartnerMemberSeesNothingByDefault", func(t *testing.T) {
		svc, _ := newCustomerService()
		c, err := svc.Create(as(adminA), validInput())
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		page, err := svc.List(as(memberA), portal.ListParams{})
		if err != nil {
			t.Fatalf("List as member: %v", err)
		}
		if page.Items == nil || len(page.Items) != 0 || page.NextCursor != "" {
			t.Fatalf("member's page = %+v, want an empty list without cursor", page)
		}
		_, err = svc.Get(as(memberA), c.ID)
		wantCode(t, err, portal.ENOTFOUND)
	})

	t.Run("AnotherPartnersCustomerIsNotFound", func(t *testing.T) {
		svc, store := newCustomerService()
		c, err := svc.Create(as(adminA), validInput())
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		_, err = svc.Get(as(adminB), c.ID)
		wantCode(t, err, portal.ENOTFOUND)
		for name, do := range map[string]func(*portal.CustomerService, context.Context, string) (portal.Customer, error){
			"Suspend": (*portal.CustomerService).Suspend,
			"Resume":  (*portal.CustomerService).Resume,
			"Archive": (*portal.CustomerService).Archive,
		} {
			_, err := do(svc, as(adminB), c.ID)
			if got, want := code(err), portal.ENOTFOUND; got != want {
				t.Fatalf("%s by another partner: code = %q, want %q", name, got, want)
			}
		}
		_, err = svc.Update(as(adminB), c.ID, portal.CustomerInput{Name: ptr("Mine now")}, nil)
		wantCode(t, err, portal.ENOTFOUND)
		if got, want := store.writes, 1; got != want {
			t.Fatalf("writes = %d, want %d (only the create)", got, want)
		}
		page, err := svc.List(as(adminB), portal.ListParams{})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(page.Items) != 0 {
			t.Fatalf("another partner lists %d customers, want 0", len(page.Items))
		}
	})

	t.Run("MalformedIDIsNotFound", func(t *testing.T) {
		svc, _ := newCustomerService()
		for _, id := range []string{"", "cus_", "cus_123", "usr_00000000000000000000000001", "cus_0000000000000000000000000a", "../x"} {
			_, err := svc.Get(as(adminA), id)
			if got, want := code(err), portal.ENOTFOUND; got != want {
				t.Fatalf("Get(%q): code = %q, want %q", id, got, want)
			}
		}
	})
}

func TestCustomerStatusTransitions(t *testing.T) {
	setup := func(t *testing.T, status portal.CustomerStatus) (*portal.CustomerService, *memCustomers, portal.Customer) {
		t.Helper()
		svc, store := newCustomerService()
		in := validInput()
		in.Status = &status
		c, err := svc.Create(as(adminA), in)
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		return svc, store, c
	}

	t.Run("SuspendActive", func(t *testing.T) {
		svc, _, c := setup(t, portal.StatusActive)
		s, err := svc.Suspend(as(adminA), c.ID)
		if err != nil {
			t.Fatalf("Suspend: %v", err)
		}
		if got, want := s.Status, portal.StatusSuspended; got != want {
			t.Fatalf("status = %q, want %q", got, want)
		}
		if got, want := s.Version, c.Version+1; got != want {
			t.Fatalf("version = %d, want %d", got, want)
		}
		r, err := svc.Resume(as(adminA), c.ID)
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
		svc, _, c := setup(t, portal.StatusTrial)
		if _, err := svc.Suspend(as(adminA), c.ID); err != nil {
			t.Fatalf("Suspend: %v", err)
		}
		r, err := svc.Resume(as(adminA), c.ID)
		if err != nil {
			t.Fatalf("Resume: %v", err)
		}
		if got, want := r.Status, portal.StatusTrial; got != want {
			t.Fatalf("status after resume = %q, want %q", got, want)
		}
	})

	t.Run("SuspendTwiceIsNoOp", func(t *testing.T) {
		svc, store, c := setup(t, portal.StatusActive)
		first, err := svc.Suspend(as(adminA), c.ID)
		if err != nil {
			t.Fatalf("Suspend: %v", err)
		}
		writes := store.writes
		second, err := svc.Suspend(as(adminA), c.ID)
		if err != nil {
			t.Fatalf("second Suspend: %v", err)
		}
		if got, want := second.Version, first.Version; got != want {
			t.Fatalf("version = %d, want %d (no change, no bump)", got, want)
		}
		if got, want := store.writes, writes; got != want {
			t.Fatalf("writes = %d, want %d", got, want)
		}
		r, err := svc.Resume(as(adminA), c.ID)
		if err != nil {
			t.Fatalf("Resume: %v", err)
		}
		if got, want := r.Status, portal.StatusActive; got != want {
			t.Fatalf("status after resume = %q, want %q (the status before the first suspend)", got, want)
		}
	})

	t.Run("ResumeActiveIsNoOp", func(t *testing.T) {
		svc, store, c := setup(t, portal.StatusActive)
		r, err := svc.Resume(as(adminA), c.ID)
		if err != nil {
			t.Fatalf("Resume: %v", err)
		}
		if r.Version != c.Version || store.writes != 1 {
			t.Fatalf("version = %d, writes = %d; want %d, 1", r.Version, store.writes, c.Version)
		}
	})

	t.Run("ArchivedCannotResume", func(t *testing.T) {
		svc, _, c := setup(t, portal.StatusActive)
		if _, err := svc.Suspend(as(adminA), c.ID); err != nil {
			t.Fatalf("Suspend: %v", err)
		}
		a, err := svc.Archive(as(adminA), c.ID)
		if err != nil {
			t.Fatalf("Archive: %v", err)
		}
		if got, want := a.Status, portal.StatusArchived; got != want {
			t.Fatalf("status = %q, want %q", got, want)
		}
		_, err = svc.Resume(as(adminA), c.ID)
		wantCode(t, err, portal.ECONFLICT)
		_, err = svc.Suspend(as(adminA), c.ID)
		wantCode(t, err, portal.ECONFLICT)
		_, err = svc.Update(as(adminA), c.ID, portal.CustomerInput{Name: ptr("Renamed")}, nil)
		wantCode(t, err, portal.ECONFLICT)
	})

	t.Run("ArchiveTwiceIsNoOp", func(t *testing.T) {
		svc, store, c := setup(t, portal.StatusActive)
		a, err := svc.Archive(as(adminA), c.ID)
		if err != nil {
			t.Fatalf("Archive: %v", err)
		}
		writes := store.writes
		b, err := svc.Archive(as(adminA), c.ID)
		if err != nil {
			t.Fatalf("second Archive: %v", err)
		}
		if b.Version != a.Version || store.writes != writes {
			t.Fatalf("second archive bumped version to %d (writes %d → %d)", b.Version, writes, store.writes)
		}
	})

	t.Run("ActionsNeedPartnerAdmin", func(t *testing.T) {
		svc, _, c := setup(t, portal.StatusActive)
		_, err := svc.Suspend(as(memberA), c.ID)
		wantCode(t, err, portal.EFORBIDDEN)
		_, err = svc.Suspend(context.Background(), c.ID)
		wantCode(t, err, portal.EUNAUTHORIZED)
	})
}

func TestCustomerUpdate(t *testing.T) {
	setup := func(t *testing.T) (*portal.CustomerService, *memCustomers, portal.Customer) {
		t.Helper()
		svc, store := newCustomerService()
		c, err := svc.Create(as(adminA), validInput())
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		return svc, store, c
	}

	t.Run("AppliesPresentFieldsOnly", func(t *testing.T) {
		svc, _, c := setup(t)
		u, err := svc.Update(as(adminA), c.ID, portal.CustomerInput{Timezone: ptr("Europe/Berlin")}, ptr(c.Version))
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		if u.Name != c.Name || u.ContactEmail != c.ContactEmail || u.Timezone != "Europe/Berlin" {
			t.Fatalf("updated = %+v, want only the timezone changed", u)
		}
		if got, want := u.Version, c.Version+1; got != want {
			t.Fatalf("version = %d, want %d", got, want)
		}
	})

	t.Run("StaleIfMatchIsPreconditionFailed", func(t *testing.T) {
		svc, store, c := setup(t)
		if _, err := svc.Update(as(adminA), c.ID, portal.CustomerInput{Name: ptr("First")}, nil); err != nil {
			t.Fatalf("Update: %v", err)
		}
		writes := store.writes
		_, err := svc.Update(as(adminA), c.ID, portal.CustomerInput{Name: ptr("Second")}, ptr(c.Version))
		wantCode(t, err, portal.EPRECONDITION)
		if store.writes != writes {
			t.Fatalf("writes = %d, want %d", store.writes, writes)
		}
	})

	t.Run("NoChangeNoBump", func(t *testing.T) {
		svc, store, c := setup(t)
		u, err := svc.Update(as(adminA), c.ID, portal.CustomerInput{Name: ptr(c.Name)}, nil)
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		if u.Version != c.Version || store.writes != 1 {
			t.Fatalf("version = %d, writes = %d; want %d, 1", u.Version, store.writes, c.Version)
		}
	})

	t.Run("InvalidFieldsNamedAndNothingWritten", func(t *testing.T) {
		svc, store, c := setup(t)
		_, err := svc.Update(as(adminA), c.ID, portal.CustomerInput{Name: ptr(""), Timezone: ptr("Local")}, nil)
		got := fields(t, err)
		if _, ok := got["name"]; !ok {
			t.Errorf("name not reported: %v", got)
		}
		if _, ok := got["timezone"]; !ok {
			t.Errorf("timezone not reported: %v", got)
		}
		if store.writes != 1 {
			t.Fatalf("writes = %d, want 1 (only the create)", store.writes)
		}
	})

	t.Run("StatusOnlyActiveOrTrial", func(t *testing.T) {
		svc, _, c := setup(t)
		_, err := svc.Update(as(adminA), c.ID, portal.CustomerInput{Status: ptr(portal.StatusSuspended)}, nil)
		if got, want := fields(t, err)["status"], "must be one of: active, trial"; got != want {
			t.Fatalf("status reason = %q, want %q", got, want)
		}
		u, err := svc.Update(as(adminA), c.ID, portal.CustomerInput{Status: ptr(portal.StatusTrial)}, nil)
		if err != nil {
			t.Fatalf("Update to trial: %v", err)
		}
		if got, want := u.Status, portal.StatusTrial; got != want {
			t.Fatalf("status = %q, want %q", got, want)
		}
	})

	t.Run("SuspendedStatusChangeIsConflict", func(t *testing.T) {
		svc, _, c := setup(t)
		if _, err := svc.Suspend(as(adminA), c.ID); err != nil {
			t.Fatalf("Suspend: %v", err)
		}
		_, err := svc.Update(as(adminA), c.ID, portal.CustomerInput{Status: ptr(portal.StatusActive)}, nil)
		wantCode(t, err, portal.ECONFLICT)
	})
}

// second returns the error of a two-value call.
func second[T any](_ T, err error) error { return err }

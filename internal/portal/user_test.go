package portal_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

func TestUserCreate(t *testing.T) {
	w := newWorld(t)
	svc := w.users
	role := func(r tenancy.Role) *tenancy.Role { return &r }

	t.Run("PartnerAdminCreatesForOwnPartner", func(t *testing.T) {
		ctx, m := metered(ddbtest.AdminA)
		u, err := svc.Create(ctx, portal.UserInput{Email: ptr("Dev@Partner.Example"), Role: role(tenancy.RolePartnerMember)})
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if got, want := u.PartnerID, ddbtest.PartnerA; got != want {
			t.Fatalf("partnerId = %q, want the caller's %q", got, want)
		}
		if got, want := u.Email, "Dev@partner.example"; got != want {
			t.Fatalf("email = %q, want %q", got, want)
		}
		if !portal.ValidID(portal.PrefixUser, u.ID) || u.Status != "active" || u.Version != 1 {
			t.Fatalf("user = %+v, want an active usr_ user at version 1", u)
		}
		if got := ddbtest.Writes(m); len(got) != 1 {
			t.Fatalf("DynamoDB writes = %v, want one", got)
		}
		if stored, err := w.store.GetUser(context.Background(), tenancy.Scope{}, u.ID); err != nil || !reflect.DeepEqual(stored, u.User) {
			t.Fatalf("stored user = %+v, %v; want the one Create returned, %+v", stored, err, u)
		}
	})

	t.Run("PartnerAdminCannotSetPartnerID", func(t *testing.T) {
		ctx, m := metered(ddbtest.AdminA)
		_, err := svc.Create(ctx, portal.UserInput{Email: ptr("dev@partner.example"), Role: role(tenancy.RolePartnerMember), PartnerID: ptr(ddbtest.PartnerB)})
		if reason := fields(t, err)["partnerId"]; !strings.Contains(reason, "must not be set") {
			t.Fatalf("partnerId reason = %q, want \"must not be set…\"", reason)
		}
		wantNoWrites(t, m)
	})

	t.Run("PartnerAdminCannotCreateSuperAdmin", func(t *testing.T) {
		_, err := svc.Create(as(ddbtest.AdminA), portal.UserInput{Email: ptr("root@partner.example"), Role: role(tenancy.RoleSuperAdmin)})
		if got, want := fields(t, err)["role"], "must be one of: partner_admin, partner_member, customer_admin, customer_viewer"; got != want {
			t.Fatalf("role reason = %q, want %q", got, want)
		}
	})

	t.Run("SuperAdminMustNamePartnerOfPartnerUsers", func(t *testing.T) {
		for _, pid := range []*string{nil, ptr(""), ptr("prt_123"), ptr("cus_0000000000000000000000000A")} {
			ctx, m := metered(ddbtest.SuperAdmin)
			_, err := svc.Create(ctx, portal.UserInput{Email: ptr("admin@partner.example"), Role: role(tenancy.RolePartnerAdmin), PartnerID: pid})
			if reason := fields(t, err)["partnerId"]; !strings.Contains(reason, "is required") {
				t.Fatalf("partnerId %v: reason = %q, want \"is required…\"", pid, reason)
			}
			wantNoWrites(t, m)
		}
	})

	t.Run("SuperAdminNamesUnknownPartner", func(t *testing.T) {
		ctx, m := metered(ddbtest.SuperAdmin)
		_, err := svc.Create(ctx, portal.UserInput{Email: ptr("admin@partner.example"), Role: role(tenancy.RolePartnerAdmin), PartnerID: ptr(ddbtest.PartnerB)})
		if reason := fields(t, err)["partnerId"]; !strings.Contains(reason, "no partner") {
			t.Fatalf("partnerId reason = %q, want \"no partner …\"", reason)
		}
		wantNoWrites(t, m)
	})

	t.Run("SuperAdminCreatesPartnerAdmin", func(t *testing.T) {
		u, err := svc.Create(as(ddbtest.SuperAdmin), portal.UserInput{Email: ptr("admin@partner.example"), Role: role(tenancy.RolePartnerAdmin), PartnerID: ptr(ddbtest.PartnerA)})
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if got, want := u.PartnerID, ddbtest.PartnerA; got != want {
			t.Fatalf("partnerId = %q, want %q", got, want)
		}
	})

	t.Run("SuperAdminUsersHaveNoPartner", func(t *testing.T) {
		_, err := svc.Create(as(ddbtest.SuperAdmin), portal.UserInput{Email: ptr("ops@platform.example"), Role: role(tenancy.RoleSuperAdmin), PartnerID: ptr(ddbtest.PartnerA)})
		if _, ok := fields(t, err)["partnerId"]; !ok {
			t.Fatal("a super_admin with a partnerId was accepted")
		}
		u, err := svc.Create(as(ddbtest.SuperAdmin), portal.UserInput{Email: ptr("ops@platform.example"), Role: role(tenancy.RoleSuperAdmin)})
		if err != nil {
			t.Fatalf("Create super_admin: %v", err)
		}
		if u.PartnerID != "" {
			t.Fatalf("partnerId = %q, want none", u.PartnerID)
		}
	})

	t.Run("CustomerUsersNeedACustomerOfTheCallersPartner", func(t *testing.T) {
		ctx, m := metered(ddbtest.AdminA)
		_, err := svc.Create(ctx, portal.UserInput{Email: ptr("it@customer.example"), Role: role(tenancy.RoleCustomerAdmin), CustomerID: ptr("cus_00000000000000000000000001")})
		if reason := fields(t, err)["customerId"]; !strings.Contains(reason, "no customer") {
			t.Fatalf("customerId reason = %q, want \"no customer …\"", reason)
		}
		wantNoWrites(t, m)
		_, err = svc.Create(as(ddbtest.AdminA), portal.UserInput{Email: ptr("it@customer.example"), Role: role(tenancy.RoleCustomerViewer)})
		if reason := fields(t, err)["customerId"]; !strings.Contains(reason, "is required") {
			t.Fatalf("customerId reason = %q, want \"is required …\"", reason)
		}
	})

	t.Run("Email", func(t *testing.T) {
		for _, in := range []portal.UserInput{
			{Role: role(tenancy.RolePartnerMember)},
			{Email: ptr(""), Role: role(tenancy.RolePartnerMember)},
			{Email: ptr("dev"), Role: role(tenancy.RolePartnerMember)},
			{Email: ptr("Dev <dev@partner.example>"), Role: role(tenancy.RolePartnerMember)},
		} {
			ctx, m := metered(ddbtest.AdminA)
			_, err := svc.Create(ctx, in)
			if _, ok := fields(t, err)["email"]; !ok {
				t.Fatalf("email %v was accepted", in.Email)
			}
			wantNoWrites(t, m)
		}
	})

	t.Run("EveryBadFieldAtOnce", func(t *testing.T) {
		_, err := svc.Create(as(ddbtest.AdminA), portal.UserInput{Email: ptr("x"), Name: ptr(""), Role: role("root"), PartnerID: ptr(ddbtest.PartnerA), CustomerID: ptr("c")})
		got := fields(t, err)
		for _, f := range []string{"email", "name", "role", "partnerId", "customerId"} {
			if _, ok := got[f]; !ok {
				t.Errorf("%s not reported: %v", f, got)
			}
		}
	})

	t.Run("Roles", func(t *testing.T) {
		in := portal.UserInput{Email: ptr("dev@partner.example"), Role: role(tenancy.RolePartnerMember)}
		_, err := svc.Create(as(ddbtest.MemberA), in)
		wantCode(t, err, portal.EFORBIDDEN)
		_, err = svc.Create(context.Background(), in)
		wantCode(t, err, portal.EUNAUTHORIZED)
	})

	t.Run("EmailTaken", func(t *testing.T) {
		in := portal.UserInput{Email: ptr("taken@partner.example"), Role: role(tenancy.RolePartnerMember)}
		if _, err := svc.Create(as(ddbtest.AdminA), in); err != nil {
			t.Fatalf("Create: %v", err)
		}
		_, err := svc.Create(as(ddbtest.AdminA), in)
		wantCode(t, err, portal.ECONFLICT)
		// Addresses are unique across the platform, whatever their case.
		_, err = svc.Create(as(ddbtest.SuperAdmin), portal.UserInput{Email: ptr("Taken@Partner.Example"), Role: role(tenancy.RoleSuperAdmin)})
		wantCode(t, err, portal.ECONFLICT)
	})
}

func TestAPIKeys(t *testing.T) {
	w := newWorld(t)
	w.addUser(t, ddbtest.AdminA, "admin@a.example")
	w.addUser(t, ddbtest.AdminB, "admin@b.example")
	svc := w.keys

	t.Run("AuthenticateRejectsMalformedWithoutStore", func(t *testing.T) {
		ctx, m := dynamo.WithMeter(context.Background())
		tail := "_" + strings.Repeat("A", 43)
		ulid := "01arz3ndektsv4rrffq69g5fav"
		for name, secret := range map[string]string{
			"Empty":           "",
			"PrefixOnly":      "pp_",
			"WithScheme":      "Bearer pp_" + ulid + tail,
			"OtherPrefix":     "sk_" + ulid + tail,
			"TooShort":        "pp_" + ulid + tail[:len(tail)-1],
			"TooLong":         "pp_" + ulid + tail + "A",
			"NoSeparator":     "pp_" + ulid + "-" + tail[1:],
			"NotCrockford":    "pp_" + "01arz3ndektsv4rrffq69g5fau" + tail, // U is not in the alphabet
			"ULIDOverflow":    "pp_" + "81arz3ndektsv4rrffq69g5fav" + tail,
			"SeparatorInULID": "pp_" + "01arz3ndektsv4rrffq69g5fa_" + tail,
		} {
			_, err := svc.Authenticate(ctx, secret)
			if got, want := code(err), portal.EUNAUTHORIZED; got != want {
				t.Fatalf("%s: code = %q, want %q", name, got, want)
			}
		}
		if got := m.Calls(); len(got) != 0 {
			t.Fatalf("DynamoDB calls = %v, want none: malformed keys never reach the store", got)
		}
	})

	t.Run("IssueThenAuthenticate", func(t *testing.T) {
		k, err := svc.Issue(as(ddbtest.AdminA), ddbtest.AdminA.UserID, portal.APIKeyInput{Name: ptr("ci")})
		if err != nil {
			t.Fatalf("Issue: %v", err)
		}
		if !strings.HasPrefix(k.Secret, portal.APIKeyPrefix) || k.Hash == "" || strings.Contains(k.Hash, k.Secret) {
			t.Fatalf("key = %+v, want a pp_ secret stored only as a hash", k)
		}
		if got, want := k.Hint, k.Secret[:11]; got != want {
			t.Fatalf("hint = %q, want %q", got, want)
		}
		id, err := svc.Authenticate(context.Background(), k.Secret)
		if err != nil {
			t.Fatalf("Authenticate: %v", err)
		}
		if id.UserID != ddbtest.AdminA.UserID || id.Role != ddbtest.AdminA.Role || id.PartnerID != ddbtest.PartnerA || id.KeyID != k.ID {
			t.Fatalf("identity = %+v, want the key owner's with keyId %s", id, k.ID)
		}
		stored, err := w.store.GetAPIKey(context.Background(), k.ID)
		if err != nil {
			t.Fatalf("GetAPIKey: %v", err)
		}
		if stored.Hash != k.Hash || strings.Contains(stored.Hash, k.Secret) {
			t.Fatalf("stored hash = %q, want %q and never the secret", stored.Hash, k.Hash)
		}
		if stored.LastUsedAt == nil || !stored.LastUsedAt.Equal(ddbtest.Now) {
			t.Fatalf("lastUsedAt = %v, want %v", stored.LastUsedAt, ddbtest.Now)
		}

		wrong := k.Secret[:len(k.Secret)-1] + map[bool]string{true: "B", false: "A"}[strings.HasSuffix(k.Secret, "A")]
		_, err = svc.Authenticate(context.Background(), wrong)
		wantCode(t, err, portal.EUNAUTHORIZED)

		if err := svc.Revoke(as(ddbtest.AdminA), k.ID); err != nil {
			t.Fatalf("Revoke: %v", err)
		}
		_, err = svc.Authenticate(context.Background(), k.Secret)
		wantCode(t, err, portal.EUNAUTHORIZED)
	})

	t.Run("Expired", func(t *testing.T) {
		k, err := svc.Issue(as(ddbtest.AdminA), ddbtest.AdminA.UserID, portal.APIKeyInput{ExpiresAt: ptr(ddbtest.Now.Add(time.Hour))})
		if err != nil {
			t.Fatalf("Issue: %v", err)
		}
		if _, err := svc.Authenticate(context.Background(), k.Secret); err != nil {
			t.Fatalf("Authenticate before expiry: %v", err)
		}
		anHourLater := *svc
		anHourLater.Clock = func() time.Time { return ddbtest.Now.Add(time.Hour) }
		_, err = anHourLater.Authenticate(context.Background(), k.Secret)
		wantCode(t, err, portal.EUNAUTHORIZED)
	})

	t.Run("IssueExpiryInThePast", func(t *testing.T) {
		ctx, m := metered(ddbtest.AdminA)
		_, err := svc.Issue(ctx, ddbtest.AdminA.UserID, portal.APIKeyInput{ExpiresAt: ptr(ddbtest.Now)})
		if _, ok := fields(t, err)["expiresAt"]; !ok {
			t.Fatal("an expiry that is not in the future was accepted")
		}
		wantNoWrites(t, m)
	})

	t.Run("OtherPartnersUserIsNotFound", func(t *testing.T) {
		_, err := svc.Issue(as(ddbtest.AdminA), ddbtest.AdminB.UserID, portal.APIKeyInput{})
		wantCode(t, err, portal.ENOTFOUND)
	})
}

func TestValidID(t *testing.T) {
	const ulid = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
	for _, tc := range []struct {
		name, id string
		want     bool
	}{
		{"PrefixAndULID", "cus_" + ulid, true},
		{"MaxULID", "cus_7ZZZZZZZZZZZZZZZZZZZZZZZZZ", true},
		{"LowerCase", "cus_" + strings.ToLower(ulid), false},
		{"MixedCase", "cus_01arZ3NDEKTSV4RRFFQ69G5FAV", false},
		{"OtherPrefix", "usr_" + ulid, false},
		{"NoPrefix", ulid, false},
		{"PrefixOnly", "cus_", false},
		{"Empty", "", false},
		{"TooShort", "cus_" + ulid[:25], false},
		{"TooLong", "cus_" + ulid + "0", false},
		{"NotCrockford", "cus_01ARZ3NDEKTSV4RRFFQ69G5FAU", false},
		{"Overflow", "cus_8ZZZZZZZZZZZZZZZZZZZZZZZZZ", false},
		{"Separator", "cus_01ARZ3NDEKTSV4RRFFQ69G5F/V", false},
		{"Padded", " cus_" + ulid, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := portal.ValidID(portal.PrefixCustomer, tc.id); got != tc.want {
				t.Fatalf("ValidID(cus_, %q) = %v, want %v", tc.id, got, tc.want)
			}
		})
	}

	t.Run("GeneratedIDsAreValid", func(t *testing.T) {
		var g portal.ULIDs
		prev := ""
		for range 100 {
			id := g.New(portal.PrefixCustomer)
			if !portal.ValidID(portal.PrefixCustomer, id) {
				t.Fatalf("ULIDs.New = %q, not a valid ID", id)
			}
			if id <= prev {
				t.Fatalf("IDs not increasing: %q after %q", id, prev)
			}
			prev = id
		}
	})
}

func TestPartnerCreate(t *testing.T) {
	w := newWorld(t)
	svc := w.partners
	t.Run("OnlySuperAdmin", func(t *testing.T) {
		ctx, m := metered(ddbtest.AdminA)
		_, err := svc.Create(ctx, portal.PartnerInput{Name: ptr("MSSP"), ContactEmail: ptr("ops@mssp.example")})
		wantCode(t, err, portal.EFORBIDDEN)
		wantNoWrites(t, m)
	})
	t.Run("EveryBadFieldAtOnce", func(t *testing.T) {
		ctx, m := metered(ddbtest.SuperAdmin)
		_, err := svc.Create(ctx, portal.PartnerInput{Country: ptr("DEU")})
		got := fields(t, err)
		for _, f := range []string{"name", "contactEmail", "country"} {
			if _, ok := got[f]; !ok {
				t.Errorf("%s not reported: %v", f, got)
			}
		}
		wantNoWrites(t, m)
	})
	t.Run("Creates", func(t *testing.T) {
		p, err := svc.Create(as(ddbtest.SuperAdmin), portal.PartnerInput{Name: ptr("MSSP"), ContactEmail: ptr("ops@mssp.example"), Country: ptr("fr")})
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if !portal.ValidID(portal.PrefixPartner, p.ID) || p.Country != "FR" || p.Status != "active" {
			t.Fatalf("partner = %+v, want an active prt_ partner in FR", p)
		}
		if stored, err := w.store.GetPartner(context.Background(), p.ID); err != nil || !reflect.DeepEqual(stored, p) {
			t.Fatalf("stored partner = %+v, %v; want the one Create returned, %+v", stored, err, p)
		}
	})
}

func TestUserList(t *testing.T) {
	svc := newWorld(t).users
	role := tenancy.RolePartnerMember
	// Partner A has three users; partner B has none.
	for _, e := range []string{"c@p.example", "a@p.example", "b@p.example"} {
		if _, err := svc.Create(as(ddbtest.AdminA), portal.UserInput{Email: ptr(e), Role: &role}); err != nil {
			t.Fatalf("Create: %v", err)
		}
	}
	emails := func(us []portal.User) []string {
		out := make([]string, len(us))
		for i, u := range us {
			out[i] = u.Email
		}
		return out
	}

	t.Run("PartnerAdminSeesOwnPartner", func(t *testing.T) {
		page, err := svc.List(as(ddbtest.AdminA), "", "", "2", "")
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if got, want := emails(page.Items), []string{"a@p.example", "b@p.example"}; !slices.Equal(got, want) || page.NextCursor == "" {
			t.Fatalf("items = %q, cursor %q; want %q and a cursor", got, page.NextCursor, want)
		}
		next, err := svc.List(as(ddbtest.AdminA), "", "", "2", page.NextCursor)
		if err != nil {
			t.Fatalf("List page 2: %v", err)
		}
		if got, want := emails(next.Items), []string{"c@p.example"}; !slices.Equal(got, want) || next.NextCursor != "" {
			t.Fatalf("page 2 items = %q, cursor %q; want %q and none", got, next.NextCursor, want)
		}
		other, err := svc.List(as(ddbtest.AdminB), "", "", "", "")
		if err != nil || len(other.Items) != 0 {
			t.Fatalf("another partner's list = %d items, %v; want none", len(other.Items), err)
		}
	})

	t.Run("PartnerAdminCannotNamePartner", func(t *testing.T) {
		_, err := svc.List(as(ddbtest.AdminA), ddbtest.PartnerB, "", "", "")
		if _, ok := fields(t, err)["partnerId"]; !ok {
			t.Fatal("partnerId accepted from a partner admin")
		}
	})

	t.Run("SuperAdminNamesPartner", func(t *testing.T) {
		page, err := svc.List(as(ddbtest.SuperAdmin), ddbtest.PartnerA, "", "", "")
		if err != nil || len(page.Items) != 3 {
			t.Fatalf("List(ddbtest.PartnerA) = %d items, %v; want 3", len(page.Items), err)
		}
		_, err = svc.List(as(ddbtest.SuperAdmin), "prt_x", "", "", "")
		if _, ok := fields(t, err)["partnerId"]; !ok {
			t.Fatal("a malformed partnerId was accepted")
		}
	})

	t.Run("CursorBoundToPartnerQuery", func(t *testing.T) {
		page, err := svc.List(as(ddbtest.SuperAdmin), ddbtest.PartnerA, "", "1", "")
		if err != nil || page.NextCursor == "" {
			t.Fatalf("List = %+v, %v", page, err)
		}
		_, err = svc.List(as(ddbtest.SuperAdmin), ddbtest.PartnerB, "", "1", page.NextCursor)
		if _, ok := fields(t, err)["cursor"]; !ok {
			t.Fatal("a cursor reused for another partner's users was accepted")
		}
	})

	t.Run("Roles", func(t *testing.T) {
		_, err := svc.List(as(ddbtest.MemberA), "", "", "", "")
		wantCode(t, err, portal.EFORBIDDEN)
		_, err = svc.List(as(ddbtest.AdminA), "", "", "0", "")
		if _, ok := fields(t, err)["limit"]; !ok {
			t.Fatal("limit=0 accepted")
		}
	})
}

func TestAPIKeyRevoke(t *testing.T) {
	w := newWorld(t)
	w.addUser(t, ddbtest.AdminA, "admin@a.example")
	svc := w.keys
	k, err := svc.Issue(as(ddbtest.AdminA), ddbtest.AdminA.UserID, portal.APIKeyInput{})
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	t.Run("AnotherPartnerGetsNotFound", func(t *testing.T) {
		ctx, m := metered(ddbtest.AdminB)
		wantCode(t, svc.Revoke(ctx, k.ID), portal.ENOTFOUND)
		wantNoWrites(t, m)
	})
	t.Run("MalformedIDNotFound", func(t *testing.T) {
		wantCode(t, svc.Revoke(as(ddbtest.AdminA), "key_nope"), portal.ENOTFOUND)
	})
	t.Run("OwnerRevokes", func(t *testing.T) {
		if err := svc.Revoke(as(ddbtest.AdminA), k.ID); err != nil {
			t.Fatalf("Revoke: %v", err)
		}
		stored, err := w.store.GetAPIKey(context.Background(), k.ID)
		if err != nil || stored.RevokedAt == nil || !stored.RevokedAt.Equal(ddbtest.Now) {
			t.Fatalf("stored key = %+v, %v; want it revoked at %v", stored, err, ddbtest.Now)
		}
	})
}

package dynamo_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// newUser returns a user of partnerID ("" = platform operator).
func newUser(e *env, partnerID, email string, role tenancy.Role) portal.User {
	now := e.clock.Now()
	return portal.User{
		ID: e.ids.New(portal.PrefixUser), Email: email, Name: "User " + email, Role: role, PartnerID: partnerID,
		Status: "active", CreatedAt: now, UpdatedAt: now, Version: 1,
	}
}

func sameUser(t *testing.T, got, want portal.User) {
	t.Helper()
	want.CreatedAt, want.UpdatedAt, want.InvitationExpiresAt = ms(want.CreatedAt), ms(want.UpdatedAt), msPtr(want.InvitationExpiresAt)
	got.CreatedAt, got.UpdatedAt = ms(got.CreatedAt), ms(got.UpdatedAt)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("user = %+v,\nwant   %+v", got, want)
	}
}

func TestUsers(t *testing.T) {
	e := newEnv(t)
	svc := e.users()
	admin := e.newPartnerAdmin()
	ctx := e.as(admin)
	e.clock.Advance(1500 * time.Microsecond)

	t.Run("CreateWritesUserEmailAndDirectoryInOneTransaction", func(t *testing.T) {
		mctx, m := e.measure(ctx)
		u, err := svc.Create(mctx, portal.UserInput{Email: ptr("Ann@Example.COM"), Name: ptr("Ann"), Role: ptr(tenancy.RolePartnerMember)})
		mustOK(t, "create", err)
		if got, want := ops(m), []string{"TransactWriteItems"}; !slices.Equal(got, want) {
			t.Fatalf("calls = %v, want %v", got, want)
		}
		if m.Capacity() <= 0 {
			t.Fatalf("capacity = %v, want > 0", m.Capacity())
		}
		for _, k := range [][2]string{
			{"PARTNER#" + admin.PartnerID, "USER#" + u.ID},
			{"EMAIL#ann@example.com", "EMAIL"},
			{"USER#" + u.ID, "USER"},
		} {
			item := e.rawItem(t, k[0], k[1])
			if item == nil {
				t.Fatalf("item %s %s missing", k[0], k[1])
			}
			if v, ok := item["userId"].(*types.AttributeValueMemberS); !ok || v.Value != u.ID {
				t.Fatalf("item %s %s: userId = %#v, want %s", k[0], k[1], item["userId"], u.ID)
			}
		}
		got, err := e.store.GetUser(e.ctx, tenancy.Scope{}, u.ID)
		mustOK(t, "get", err)
		sameUser(t, got, u.User)
		if got, want := got.Email, "Ann@example.com"; got != want {
			t.Fatalf("email = %q, want %q", got, want)
		}
	})

	t.Run("DuplicateEmailIsAConflictAndWritesNothing", func(t *testing.T) {
		first := newUser(e, admin.PartnerID, "dup@example.com", tenancy.RolePartnerMember)
		mustOK(t, "first", e.store.CreateUser(e.ctx, first))
		for i, email := range []string{"dup@example.com", "DUP@example.com"} {
			second := newUser(e, e.newPartnerAdmin().PartnerID, email, tenancy.RolePartnerAdmin)
			err := e.store.CreateUser(e.ctx, second)
			wantCode(t, fmt.Sprintf("second user %d", i), err, portal.ECONFLICT)
			var pe *portal.Error
			if !errors.As(err, &pe) || len(pe.Fields) != 1 || pe.Fields[0].Field != "email" {
				t.Fatalf("error = %#v, want one field error on email", err)
			}
			_, err = e.store.GetUser(e.ctx, tenancy.Scope{}, second.ID)
			wantCode(t, "get the refused user", err, portal.ENOTFOUND)
			if item := e.rawItem(t, "USER#"+second.ID, "USER"); item != nil {
				t.Fatalf("directory item of the refused user exists: %v", item)
			}
			if item := e.rawItem(t, "PARTNER#"+second.PartnerID, "USER#"+second.ID); item != nil {
				t.Fatalf("user item of the refused user exists: %v", item)
			}
		}
		got, err := e.store.GetUser(e.ctx, tenancy.Scope{}, first.ID)
		mustOK(t, "get first", err)
		sameUser(t, got, first)
	})

	t.Run("ServiceReportsTheTakenEmail", func(t *testing.T) {
		_, err := svc.Create(ctx, portal.UserInput{Email: ptr("taken@example.com"), Role: ptr(tenancy.RolePartnerMember)})
		mustOK(t, "first", err)
		_, err = svc.Create(ctx, portal.UserInput{Email: ptr("taken@EXAMPLE.com"), Role: ptr(tenancy.RolePartnerMember)})
		wantCode(t, "second", err, portal.ECONFLICT)
		var pe *portal.Error
		if !errors.As(err, &pe) || len(pe.Fields) != 1 || pe.Fields[0].Field != "email" {
			t.Fatalf("error = %#v, want one field error on email", err)
		}
	})

	t.Run("GetFindsPartnerAndPlatformUsers", func(t *testing.T) {
		partnerUser := newUser(e, admin.PartnerID, "member@example.com", tenancy.RolePartnerMember)
		operator := newUser(e, "", "root@example.com", tenancy.RoleSuperAdmin)
		for _, u := range []portal.User{partnerUser, operator} {
			mustOK(t, "create "+u.Email, e.store.CreateUser(e.ctx, u))
			mctx, m := e.measure(e.ctx)
			got, err := e.store.GetUser(mctx, tenancy.Scope{}, u.ID)
			mustOK(t, "get "+u.Email, err)
			sameUser(t, got, u)
			if got, want := ops(m), []string{"GetItem", "GetItem"}; !slices.Equal(got, want) {
				t.Fatalf("GetUser calls = %v, want %v", got, want)
			}
		}
		if item := e.rawItem(t, "PLATFORM", "USER#"+operator.ID); item == nil {
			t.Fatalf("operator not stored in the platform partition")
		}
	})

	t.Run("GetOfAnUnknownUserIsNotFound", func(t *testing.T) {
		_, err := e.store.GetUser(e.ctx, tenancy.Scope{}, e.ids.New(portal.PrefixUser))
		wantCode(t, "get unknown", err, portal.ENOTFOUND)
	})

	t.Run("ListPagesByEmailForOnePartner", func(t *testing.T) {
		mine, theirs := e.newPartnerAdmin(), e.newPartnerAdmin()
		var want []string
		for _, i := range []int{7, 3, 9, 1, 4, 8, 2, 6, 5, 10} {
			u := newUser(e, mine.PartnerID, fmt.Sprintf("u%02d@mine.example", i), tenancy.RolePartnerMember)
			mustOK(t, "create", e.store.CreateUser(e.ctx, u))
			want = append(want, u.Email)
			o := newUser(e, theirs.PartnerID, fmt.Sprintf("u%02d@theirs.example", i), tenancy.RolePartnerMember)
			mustOK(t, "create", e.store.CreateUser(e.ctx, o))
		}
		mustOK(t, "create operator", e.store.CreateUser(e.ctx, newUser(e, "", "u00@platform.example", tenancy.RoleSuperAdmin)))
		slices.Sort(want)

		var got []string
		var pos portal.Position
		for pages := 1; ; pages++ {
			mctx, m := e.measure(e.ctx)
			users, next, err := e.store.ListUsers(mctx, tenancy.Scope{PartnerID: mine.PartnerID}, 3, pos)
			mustOK(t, "list", err)
			if got, want := ops(m), []string{"Query"}; !slices.Equal(got, want) {
				t.Fatalf("page %d calls = %v, want %v", pages, got, want)
			}
			if len(users) > 3 {
				t.Fatalf("page %d has %d users, want at most 3", pages, len(users))
			}
			for _, u := range users {
				if u.PartnerID != mine.PartnerID {
					t.Fatalf("user %s of partner %q listed for %s", u.Email, u.PartnerID, mine.PartnerID)
				}
				got = append(got, u.Email)
			}
			if next == nil {
				break
			}
			if pages > 20 {
				t.Fatal("positions do not advance")
			}
			pos = next
		}
		if !slices.Equal(got, want) {
			t.Fatalf("listed %v, want %v", got, want)
		}

		// Through the service, with cursors.
		got = nil
		cursor := ""
		for {
			page, err := svc.List(e.as(mine), "", "", "4", cursor)
			mustOK(t, "service list", err)
			for _, u := range page.Items {
				got = append(got, u.Email)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("service listed %v, want %v", got, want)
		}
	})

	t.Run("ListOfPlatformOperators", func(t *testing.T) {
		users, _, err := e.store.ListUsers(e.ctx, tenancy.Scope{}, 100, nil)
		mustOK(t, "list", err)
		if len(users) == 0 {
			t.Fatal("no operators listed")
		}
		for _, u := range users {
			if u.PartnerID != "" || u.Role != tenancy.RoleSuperAdmin {
				t.Fatalf("listed %+v among platform operators", u)
			}
		}
	})
}

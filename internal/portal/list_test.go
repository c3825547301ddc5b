package portal_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

func TestCursors(t *testing.T) {
	cursors := portal.Cursors{Secret: ddbtest.Secret}
	pos := portal.Position{"id": "cus_00000000000000000000000007", "name": "acme"}
	const query = "name|false||||"

	t.Run("RoundTrip", func(t *testing.T) {
		cur := cursors.Encode(ddbtest.AdminA, query, pos)
		if cur == "" {
			t.Fatal("Encode returned an empty cursor for a position")
		}
		got, err := cursors.Decode(ddbtest.AdminA, query, cur)
		if err != nil {
			t.Fatalf("Decode: %v", err)
		}
		if len(got) != len(pos) || got["id"] != pos["id"] || got["name"] != pos["name"] {
			t.Fatalf("position = %v, want %v", got, pos)
		}
	})

	t.Run("Opaque", func(t *testing.T) {
		cur := cursors.Encode(ddbtest.AdminA, query, pos)
		if strings.ContainsAny(cur, "+/= ") {
			t.Fatalf("cursor %q is not URL-safe", cur)
		}
	})

	t.Run("NilPositionIsNoCursor", func(t *testing.T) {
		if got := cursors.Encode(ddbtest.AdminA, query, nil); got != "" {
			t.Fatalf("Encode(nil) = %q, want \"\"", got)
		}
		got, err := cursors.Decode(ddbtest.AdminA, query, "")
		if err != nil || got != nil {
			t.Fatalf("Decode(\"\") = %v, %v; want nil, nil", got, err)
		}
	})

	// cursorError checks that err is EINVALID naming only "cursor", and returns its reason.
	cursorError := func(t *testing.T, err error) string {
		t.Helper()
		got := fields(t, err)
		reason, ok := got["cursor"]
		if !ok || len(got) != 1 {
			t.Fatalf("fields = %v, want only \"cursor\"", got)
		}
		return reason
	}

	t.Run("EditedPayload", func(t *testing.T) {
		cur := cursors.Encode(ddbtest.AdminA, query, pos)
		body, mac, _ := strings.Cut(cur, ".")
		raw, err := base64.RawURLEncoding.DecodeString(body)
		if err != nil {
			t.Fatalf("cursor body is not base64url: %v", err)
		}
		edited := strings.Replace(string(raw), "07", "08", 1)
		if edited == string(raw) {
			t.Fatalf("test setup: could not edit %q", raw)
		}
		forged := base64.RawURLEncoding.EncodeToString([]byte(edited)) + "." + mac
		_, err = cursors.Decode(ddbtest.AdminA, query, forged)
		cursorError(t, err)
	})

	t.Run("EditedMAC", func(t *testing.T) {
		cur := cursors.Encode(ddbtest.AdminA, query, pos)
		last := cur[len(cur)-1]
		repl := byte('A')
		if last == 'A' {
			repl = 'B'
		}
		_, err := cursors.Decode(ddbtest.AdminA, query, cur[:len(cur)-1]+string(repl))
		cursorError(t, err)
	})

	t.Run("Garbage", func(t *testing.T) {
		for _, cur := range []string{"abc", ".", "a.b.c", "!!!.???", "e30", "e30."} {
			_, err := cursors.Decode(ddbtest.AdminA, query, cur)
			cursorError(t, err)
		}
	})

	t.Run("OtherSecret", func(t *testing.T) {
		cur := portal.Cursors{Secret: []byte("another secret of thirty-two byt")}.Encode(ddbtest.AdminA, query, pos)
		_, err := cursors.Decode(ddbtest.AdminA, query, cur)
		cursorError(t, err)
	})

	t.Run("AnotherPartner", func(t *testing.T) {
		cur := cursors.Encode(ddbtest.AdminA, query, pos)
		_, err := cursors.Decode(ddbtest.AdminB, query, cur)
		cursorError(t, err)
	})

	t.Run("AnotherUserOfTheSamePartner", func(t *testing.T) {
		cur := cursors.Encode(ddbtest.AdminA, query, pos)
		_, err := cursors.Decode(admin2A, query, cur)
		cursorError(t, err)
	})

	t.Run("OtherFilters", func(t *testing.T) {
		cur := cursors.Encode(ddbtest.AdminA, query, pos)
		_, err := cursors.Decode(ddbtest.AdminA, "name|false|trial|||", cur)
		if reason := cursorError(t, err); !strings.Contains(reason, "filters") {
			t.Fatalf("reason = %q, want it to say the filters differ", reason)
		}
	})
}

func TestCustomerList(t *testing.T) {
	w := newWorld(t)
	svc := w.customers
	// seed creates customers with names for a partner of their own and returns its admin.
	seed := func(t *testing.T, names ...string) tenancy.Identity {
		t.Helper()
		admin := w.newAdmin()
		for _, name := range names {
			in := validInput()
			in.Name = &name
			if _, err := svc.Create(as(admin), in); err != nil {
				t.Fatalf("Create: %v", err)
			}
		}
		return admin
	}
	// namesOf returns the names of customers, in order.
	namesOf := func(cs []portal.Customer) []string {
		out := make([]string, len(cs))
		for i, c := range cs {
			out[i] = c.Name
		}
		return out
	}

	t.Run("PagesWithCursor", func(t *testing.T) {
		admin := seed(t, "Alpha", "Bravo", "Charlie", "Delta", "Echo")
		seen := map[string]bool{}
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("pagination does not end")
			}
			page, err := svc.List(as(admin), portal.ListParams{Limit: "2", Cursor: cursor})
			if err != nil {
				t.Fatalf("List page %d: %v", pages, err)
			}
			for _, c := range page.Items {
				if seen[c.ID] {
					t.Fatalf("customer %s listed twice", c.ID)
				}
				seen[c.ID] = true
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		if got, want := len(seen), 5; got != want {
			t.Fatalf("listed %d customers, want %d", got, want)
		}
	})

	t.Run("DefaultQuery", func(t *testing.T) {
		// Created in reverse order; one more than a page.
		var names []string
		for i := portal.DefaultPageSize + 1; i >= 1; i-- {
			names = append(names, fmt.Sprintf("Customer %02d", i))
		}
		admin := seed(t, names...)
		in := validInput()
		in.Name = ptr("Aardvark")
		archived, err := svc.Create(as(admin), in)
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if _, err := svc.Archive(as(admin), archived.ID); err != nil {
			t.Fatalf("Archive: %v", err)
		}

		page, err := svc.List(as(admin), portal.ListParams{})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		slices.Reverse(names)
		if got, want := namesOf(page.Items), names[:portal.DefaultPageSize]; !slices.Equal(got, want) || page.NextCursor == "" {
			t.Fatalf("first page = %q (cursor %q), want %q and a cursor: sort by name ascending, %d per page, every status but archived",
				got, page.NextCursor, want, portal.DefaultPageSize)
		}
		next, err := svc.List(as(admin), portal.ListParams{Cursor: page.NextCursor})
		if err != nil {
			t.Fatalf("List page 2: %v", err)
		}
		if got, want := namesOf(next.Items), names[portal.DefaultPageSize:]; !slices.Equal(got, want) || next.NextCursor != "" {
			t.Fatalf("second page = %q (cursor %q), want %q and no cursor", got, next.NextCursor, want)
		}
	})

	t.Run("CursorBoundToFilters", func(t *testing.T) {
		admin := seed(t, "Alpha", "Bravo", "Charlie")
		page, err := svc.List(as(admin), portal.ListParams{Limit: "1"})
		if err != nil || page.NextCursor == "" {
			t.Fatalf("List = %+v, %v; want a next cursor", page, err)
		}
		_, err = svc.List(as(admin), portal.ListParams{Limit: "1", Status: "trial", Cursor: page.NextCursor})
		if reason := fields(t, err)["cursor"]; !strings.Contains(reason, "filters") {
			t.Fatalf("cursor reason = %q, want it to mention the filters", reason)
		}
		_, err = svc.List(as(admin), portal.ListParams{Limit: "1", Sort: "-name", Cursor: page.NextCursor})
		if _, ok := fields(t, err)["cursor"]; !ok {
			t.Fatal("a cursor reused with another sort order was accepted")
		}
		if _, err := svc.List(as(admin), portal.ListParams{Limit: "2", Cursor: page.NextCursor}); err != nil {
			t.Fatalf("the same query with another page size rejected the cursor: %v", err)
		}
	})

	t.Run("CursorBoundToCaller", func(t *testing.T) {
		admin := seed(t, "Alpha", "Bravo", "Charlie")
		page, err := svc.List(as(admin), portal.ListParams{Limit: "1"})
		if err != nil || page.NextCursor == "" {
			t.Fatalf("List = %+v, %v; want a next cursor", page, err)
		}
		colleague := admin
		colleague.UserID = w.ids.New(portal.PrefixUser)
		for _, other := range []tenancy.Identity{ddbtest.AdminB, colleague} {
			_, err := svc.List(as(other), portal.ListParams{Limit: "1", Cursor: page.NextCursor})
			if _, ok := fields(t, err)["cursor"]; !ok {
				t.Fatalf("cursor of %s accepted for %s", admin.UserID, other.UserID)
			}
		}
	})

	// listError runs List with lp and returns the reasons by field.
	listError := func(t *testing.T, lp portal.ListParams) map[string]string {
		t.Helper()
		_, err := svc.List(as(ddbtest.AdminA), lp)
		return fields(t, err)
	}

	t.Run("Limit", func(t *testing.T) {
		for _, v := range []string{"0", "101", "abc", "-1", "1.5", " 5"} {
			t.Run(v, func(t *testing.T) {
				got := listError(t, portal.ListParams{Limit: v})
				if reason, ok := got["limit"]; !ok || !strings.Contains(reason, "1 to 100") {
					t.Fatalf("fields = %v, want limit: an integer from 1 to 100", got)
				}
			})
		}
		for _, v := range []string{"1", "100"} {
			t.Run("Accepts/"+v, func(t *testing.T) {
				if _, err := svc.List(as(ddbtest.AdminA), portal.ListParams{Limit: v}); err != nil {
					t.Fatalf("List(limit=%s): %v", v, err)
				}
			})
		}
	})

	t.Run("Sort", func(t *testing.T) {
		admin := seed(t, "bravo", "Alpha", "Charlie")
		page, err := svc.List(as(admin), portal.ListParams{Sort: "-name"})
		if err != nil {
			t.Fatalf("List(sort=-name): %v", err)
		}
		if got, want := namesOf(page.Items), []string{"Charlie", "bravo", "Alpha"}; !slices.Equal(got, want) {
			t.Fatalf("sort=-name listed %q, want %q: by name, case-insensitive, descending", got, want)
		}
		got := listError(t, portal.ListParams{Sort: "size"})
		if got, want := got["sort"], "must be one of: name, status, plan, lastScanAt, createdAt"; got != want {
			t.Fatalf("sort reason = %q, want %q", got, want)
		}
		if _, ok := listError(t, portal.ListParams{Sort: "--name"})["sort"]; !ok {
			t.Fatal("sort=--name accepted")
		}
	})

	t.Run("EnumsListAllowedValues", func(t *testing.T) {
		got := listError(t, portal.ListParams{Status: "deleted", Plan: "gold"})
		if got, want := got["status"], "must be one of: active, trial, suspended, archived"; got != want {
			t.Fatalf("status reason = %q, want %q", got, want)
		}
		if got, want := got["plan"], "must be one of: none, per_asset, per_scan, unlimited, mixed"; got != want {
			t.Fatalf("plan reason = %q, want %q", got, want)
		}
	})

	t.Run("LastScanTimes", func(t *testing.T) {
		for _, v := range []string{"2026-01-01", "yesterday", "2026-01-01 00:00:00", "1767225600"} {
			got := listError(t, portal.ListParams{LastScanBefore: v, LastScanAfter: v})
			for _, f := range []string{"lastScanBefore", "lastScanAfter"} {
				if reason := got[f]; !strings.Contains(reason, "RFC 3339") {
					t.Fatalf("%s=%q: reason = %q, want it to ask for RFC 3339", f, v, reason)
				}
			}
		}
		got := listError(t, portal.ListParams{LastScanAfter: "2026-02-01T00:00:00Z", LastScanBefore: "2026-01-01T00:00:00Z"})
		if _, ok := got["lastScanAfter"]; !ok {
			t.Fatalf("an empty window was accepted: %v", got)
		}

		// Scans are recorded by the scanner, not through the service: store them.
		admin := w.newAdmin()
		for _, scan := range []struct {
			name string
			at   time.Time
		}{
			{"Scanned before midnight UTC", time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC)},
			{"Scanned after midnight UTC", time.Date(2026, 1, 1, 0, 30, 0, 0, time.UTC)},
		} {
			must(t, w.store.CreateCustomer(context.Background(), portal.Customer{
				ID: w.ids.New(portal.PrefixCustomer), PartnerID: admin.PartnerID, Name: scan.name, ContactEmail: "ops@acme.example",
				Timezone: "UTC", Tags: []string{}, Status: portal.StatusActive, Plan: portal.PlanNone, AccessLevel: portal.AccessDisabled,
				LastScanAt: &scan.at, CreatedAt: ddbtest.Now, UpdatedAt: ddbtest.Now, Version: 1,
			}))
		}
		page, err := svc.List(as(admin), portal.ListParams{LastScanBefore: "2026-01-01T01:00:00+01:00"})
		if err != nil {
			t.Fatalf("List with an RFC 3339 offset time: %v", err)
		}
		if got, want := namesOf(page.Items), []string{"Scanned before midnight UTC"}; !slices.Equal(got, want) {
			t.Fatalf("lastScanBefore=2026-01-01T01:00:00+01:00 listed %q, want %q (the time is 2026-01-01T00:00:00Z)", got, want)
		}
	})

	t.Run("EveryBadParameterAtOnce", func(t *testing.T) {
		got := listError(t, portal.ListParams{Limit: "0", Sort: "size", Status: "x", Plan: "y", LastScanBefore: "z", Q: strings.Repeat("q", 201)})
		for _, f := range []string{"limit", "sort", "status", "plan", "lastScanBefore", "q"} {
			if _, ok := got[f]; !ok {
				t.Errorf("%s not reported: %v", f, got)
			}
		}
	})

	t.Run("ValidationBeforeMemberShortcut", func(t *testing.T) {
		_, err := svc.List(as(ddbtest.MemberA), portal.ListParams{Limit: "abc"})
		if _, ok := fields(t, err)["limit"]; !ok {
			t.Fatal("a partner member's bad limit was not reported")
		}
	})
}

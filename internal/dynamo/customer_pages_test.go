package dynamo_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/partnerportal/portal/internal/portal"
)

// TestCustomerListPagesWhileItemsChange takes a first page, changes
// customers on both sides of its position, and follows the cursor: positions
// are keys, so unchanged customers are listed exactly once and nothing
// already listed is listed again unless it moved past the position.
func TestCustomerListPagesWhileItemsChange(t *testing.T) {
	for _, variant := range []struct {
		name string
		lp   portal.ListParams
	}{
		{"ByName", portal.ListParams{Sort: "name"}},
		{"ByNameWithStatusKeyCondition", portal.ListParams{Sort: "name", Status: "active"}},
		{"ByStatusWithQFilter", portal.ListParams{Sort: "status", Q: "c"}},
	} {
		t.Run(variant.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			svc := e.customers()
			admin := e.newPartnerAdmin()
			ctx := e.as(admin)
			byName := map[string]portal.Customer{}
			create := func(name string) portal.Customer {
				c, err := svc.Create(ctx, portal.CustomerInput{Name: ptr(name), ContactEmail: ptr("ops@example.com")})
				mustOK(t, "create "+name, err)
				byName[name] = c
				return c
			}
			for i := 1; i <= 15; i++ {
				create(fmt.Sprintf("c%02d", i))
			}
			rename := func(from, to string) {
				_, err := svc.Update(ctx, byName[from].ID, portal.CustomerInput{Name: ptr(to)}, nil)
				mustOK(t, "rename "+from, err)
			}
			archive := func(name string) {
				_, err := svc.Archive(ctx, byName[name].ID)
				mustOK(t, "archive "+name, err)
			}
			names := func(cs []portal.Customer) []string {
				var out []string
				for _, c := range cs {
					out = append(out, c.Name)
				}
				return out
			}

			lp := variant.lp
			lp.Limit = "5"
			first, err := svc.List(ctx, lp)
			mustOK(t, "first page", err)
			if got, want := names(first.Items), []string{"c01", "c02", "c03", "c04", "c05"}; !slices.Equal(got, want) {
				t.Fatalf("first page = %v, want %v", got, want)
			}

			rename("c03", "c03x") // listed; stays before the position
			archive("c02")        // listed
			archive("c05")        // listed, and the page's last item: the position itself
			rename("c07", "c12x") // not yet listed; moves further on
			rename("c08", "c00")  // not yet listed; moves before the position
			archive("c09")        // not yet listed
			create("c10a")        // new, after the position
			create("c00a")        // new, before the position

			var rest []portal.Customer
			lp.Cursor = first.NextCursor
			for lp.Cursor != "" {
				page, err := svc.List(ctx, lp)
				mustOK(t, "next page", err)
				rest = append(rest, page.Items...)
				lp.Cursor = page.NextCursor
			}

			seen := map[string]int{}
			for _, c := range append(slices.Clone(first.Items), rest...) {
				seen[c.ID]++
			}
			for id, n := range seen {
				if n > 1 {
					t.Errorf("customer %s listed %d times", id, n)
				}
			}
			if got, want := names(rest), []string{"c06", "c10", "c10a", "c11", "c12", "c12x", "c13", "c14", "c15"}; !slices.Equal(got, want) {
				t.Fatalf("later pages = %v, want %v", got, want)
			}
		})
	}

	t.Run("AListedCustomerRenamedPastThePositionIsListedAgain", func(t *testing.T) {
		// The one case positions cannot cover: the customer is listed under
		// its old name and again under its new one. Clients that need a
		// snapshot must de-duplicate by ID.
		t.Parallel()
		e := newEnv(t)
		svc := e.customers()
		ctx := e.as(e.newPartnerAdmin())
		var ids []string
		for _, name := range []string{"a", "b", "c", "d"} {
			c, err := svc.Create(ctx, portal.CustomerInput{Name: ptr(name), ContactEmail: ptr("ops@example.com")})
			mustOK(t, "create", err)
			ids = append(ids, c.ID)
		}
		first, err := svc.List(ctx, portal.ListParams{Limit: "2"})
		mustOK(t, "first page", err)
		_, err = svc.Update(ctx, ids[0], portal.CustomerInput{Name: ptr("z")}, nil)
		mustOK(t, "rename", err)
		second, err := svc.List(ctx, portal.ListParams{Limit: "2", Cursor: first.NextCursor})
		mustOK(t, "second page", err)
		third, err := svc.List(ctx, portal.ListParams{Limit: "2", Cursor: second.NextCursor})
		mustOK(t, "third page", err)
		if got, want := len(third.Items), 1; got != want || third.Items[0].ID != ids[0] || third.Items[0].Name != "z" {
			t.Fatalf("third page = %+v, want the renamed customer %s as \"z\"", third.Items, ids[0])
		}
	})
}

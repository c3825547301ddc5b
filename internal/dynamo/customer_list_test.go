package dynamo_test

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// listNames share prefixes ("ab", "ab c"), differ only in case, repeat, and
// leave ASCII, so that name order, ties and q prefixes are all exercised.
var listNames = []string{
	"ab", "Ab", "AB c", "ab c", "ab cd", "abc", "Ab-C", "abacus", "Abd", "ab", "Alpha", "alpha corp",
	"b", "B2B Partners", "beta", "Beta Labs", "Zeta", "zeta", "Émile SA", "émile", "Ωmega", "123 Go",
}

// listWorld is a seeded customer list of two partners.
type listWorld struct {
	e          *env
	a, b       tenancy.Identity
	all        []portal.Customer          // both partners, every status
	byID       map[string]portal.Customer // as stored
	scanTimes  []time.Time                // distinct lastScanAt values of partner a, ascending
	scanBefore time.Time                  // a lastScanAt some customers of a have exactly
	scanAfter  time.Time                  // another one, earlier than scanBefore
}

// seedList stores nA customers for one partner and nB for another, with
// random but reproducible names, statuses, plans and times.
func seedList(t *testing.T, e *env, nA, nB int) *listWorld {
	t.Helper()
	w := &listWorld{e: e, a: e.newPartnerAdmin(), b: e.newPartnerAdmin(), byID: map[string]portal.Customer{}}
	r := rand.New(rand.NewPCG(2026, 3))
	statuses := []portal.CustomerStatus{portal.StatusActive, portal.StatusActive, portal.StatusTrial, portal.StatusSuspended, portal.StatusArchived}
	add := func(partnerID string, i int) {
		c := portal.Customer{
			ID:           e.ids.New(portal.PrefixCustomer),
			PartnerID:    partnerID,
			Name:         listNames[r.IntN(len(listNames))],
			ContactEmail: fmt.Sprintf("ops%d@example.com", i),
			Timezone:     "UTC",
			Tags:         []string{},
			Status:       statuses[r.IntN(len(statuses))],
			Plan:         portal.Plans[r.IntN(len(portal.Plans))],
			AccessLevel:  portal.AccessDisabled,
			// Few distinct days, so that equal times are ordered by ID.
			CreatedAt: epoch.Add(-time.Duration(r.IntN(12)) * 24 * time.Hour).Add(250 * time.Millisecond),
			Version:   1,
		}
		c.UpdatedAt = c.CreatedAt
		if r.IntN(4) > 0 {
			ts := epoch.Add(-time.Duration(r.IntN(15))*12*time.Hour - 7*time.Millisecond)
			c.LastScanAt = &ts
		}
		if c.Status == portal.StatusSuspended {
			c.ResumeStatus = portal.StatusActive
		}
		mustOK(t, "seed "+c.Name, e.store.CreateCustomer(e.ctx, c))
		w.all = append(w.all, c)
		w.byID[c.ID] = stored(c)
	}
	// Interleave the partners so neither occupies a contiguous run of IDs.
	for i := 0; i < nA+nB; i++ {
		if nB > 0 && i*nB/(nA+nB) != (i+1)*nB/(nA+nB) {
			add(w.b.PartnerID, i)
		} else {
			add(w.a.PartnerID, i)
		}
	}
	seen := map[time.Time]bool{}
	for _, c := range w.all {
		if c.PartnerID == w.a.PartnerID && c.LastScanAt != nil && !seen[*c.LastScanAt] {
			seen[*c.LastScanAt] = true
			w.scanTimes = append(w.scanTimes, *c.LastScanAt)
		}
	}
	slices.SortFunc(w.scanTimes, time.Time.Compare)
	if len(w.scanTimes) >= 3 {
		w.scanAfter = w.scanTimes[len(w.scanTimes)/4]
		w.scanBefore = w.scanTimes[len(w.scanTimes)*3/4]
	}
	return w
}

// query is the brute-force reading of a list request.
type query struct {
	sort          portal.CustomerSort
	desc          bool
	status        portal.CustomerStatus
	plan          portal.Plan
	q             string
	before, after *time.Time
}

func parseQuery(t *testing.T, lp portal.ListParams) query {
	t.Helper()
	var q query
	q.sort = portal.SortName
	if lp.Sort != "" {
		s, desc := strings.CutPrefix(lp.Sort, "-")
		q.sort, q.desc = portal.CustomerSort(s), desc
	}
	q.status, q.plan = portal.CustomerStatus(lp.Status), portal.Plan(lp.Plan)
	q.q = strings.ToLower(strings.TrimSpace(lp.Q))
	at := func(v string) *time.Time {
		if v == "" {
			return nil
		}
		tm, err := time.Parse(time.RFC3339Nano, v)
		mustOK(t, "parse "+v, err)
		return &tm
	}
	q.before, q.after = at(lp.LastScanBefore), at(lp.LastScanAfter)
	return q
}

// matches is the filter rule: archived only when asked for, strict
// lastScan bounds that never-scanned customers never meet.
func (q query) matches(c portal.Customer) bool {
	switch {
	case q.status == "" && c.Status == portal.StatusArchived:
		return false
	case q.status != "" && c.Status != q.status:
		return false
	case q.plan != "" && c.Plan != q.plan:
		return false
	case !strings.HasPrefix(strings.ToLower(c.Name), q.q):
		return false
	case q.before != nil && (c.LastScanAt == nil || !c.LastScanAt.Before(*q.before)):
		return false
	case q.after != nil && (c.LastScanAt == nil || !c.LastScanAt.After(*q.after)):
		return false
	}
	return true
}

// compare is the ascending order of each sort: ties by lower-cased name,
// then ID; never-scanned customers first by lastScanAt.
func (q query) compare(a, b portal.Customer) int {
	byName := func() int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.ID, b.ID))
	}
	switch q.sort {
	case portal.SortName:
		return byName()
	case portal.SortStatus:
		return cmp.Or(strings.Compare(string(a.Status), string(b.Status)), byName())
	case portal.SortPlan:
		return cmp.Or(strings.Compare(string(a.Plan), string(b.Plan)), byName())
	case portal.SortLastScanAt:
		switch {
		case a.LastScanAt == nil && b.LastScanAt == nil:
			return strings.Compare(a.ID, b.ID)
		case a.LastScanAt == nil:
			return -1
		case b.LastScanAt == nil:
			return 1
		}
		return cmp.Or(a.LastScanAt.Compare(*b.LastScanAt), strings.Compare(a.ID, b.ID))
	case portal.SortCreatedAt:
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	}
	panic("unknown sort " + q.sort)
}

// expect returns the IDs a partner's full list should hold, in order.
func (w *listWorld) expect(t *testing.T, partnerID string, lp portal.ListParams) []string {
	q := parseQuery(t, lp)
	var cs []portal.Customer
	for _, c := range w.all {
		if c.PartnerID == partnerID && q.matches(stored(c)) {
			cs = append(cs, stored(c))
		}
	}
	slices.SortFunc(cs, q.compare)
	if q.desc {
		slices.Reverse(cs)
	}
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

// pageThrough lists every page of lp as id, checking page sizes and items.
func (w *listWorld) pageThrough(t *testing.T, id tenancy.Identity, lp portal.ListParams, limit int) (ids []string, pages int) {
	t.Helper()
	svc := w.e.customers()
	ctx := w.e.as(id)
	lp.Limit = fmt.Sprint(limit)
	for {
		page, err := svc.List(ctx, lp)
		mustOK(t, fmt.Sprintf("list page %d", pages+1), err)
		pages++
		if len(page.Items) > limit {
			t.Fatalf("page %d has %d items, more than the limit %d", pages, len(page.Items), limit)
		}
		if page.NextCursor != "" && len(page.Items) < limit {
			// With this little data no page needs to stop early.
			t.Fatalf("page %d has %d items and a next cursor, want %d", pages, len(page.Items), limit)
		}
		if page.NextCursor == "" && len(page.Items) == 0 && pages > 1 {
			t.Fatalf("page %d is empty: the page before should have had no cursor", pages)
		}
		for _, c := range page.Items {
			if c.PartnerID != id.PartnerID {
				t.Fatalf("page %d holds customer %s of partner %s, not of %s", pages, c.ID, c.PartnerID, id.PartnerID)
			}
			want, ok := w.byID[c.ID]
			if !ok {
				t.Fatalf("page %d holds unknown customer %s", pages, c.ID)
			}
			sameCustomer(t, c, want)
			ids = append(ids, c.ID)
		}
		if page.NextCursor == "" {
			return ids, pages
		}
		if pages > 200 {
			t.Fatalf("more than 200 pages: the cursor does not advance")
		}
		lp.Cursor = page.NextCursor
	}
}

// sameList fails unless got is want: reporting duplicates, missing and
// unexpected IDs before the order.
func sameList(t *testing.T, got, want []string) {
	t.Helper()
	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
		if seen[id] == 2 {
			t.Errorf("customer %s returned twice", id)
		}
	}
	wanted := map[string]bool{}
	for _, id := range want {
		wanted[id] = true
		if seen[id] == 0 {
			t.Errorf("customer %s missing", id)
		}
	}
	for _, id := range got {
		if !wanted[id] {
			t.Errorf("customer %s returned but does not match", id)
		}
	}
	if !t.Failed() && !slices.Equal(got, want) {
		t.Errorf("order = %v\nwant    %v", got, want)
	}
	if t.Failed() {
		t.FailNow()
	}
}

func (w *listWorld) describe(ids []string) string {
	var b strings.Builder
	for _, id := range ids {
		c := w.byID[id]
		scan := "never"
		if c.LastScanAt != nil {
			scan = c.LastScanAt.Format(time.RFC3339Nano)
		}
		fmt.Fprintf(&b, "  %s %-14q %-9s %-9s scan=%s created=%s\n", id, c.Name, c.Status, c.Plan, scan, c.CreatedAt.Format(time.RFC3339Nano))
	}
	return b.String()
}

// filterCases are the representative filter combinations of the list.
func (w *listWorld) filterCases() []struct {
	name string
	lp   portal.ListParams
} {
	before, after := w.scanBefore.Format(time.RFC3339Nano), w.scanAfter.Format(time.RFC3339Nano)
	return []struct {
		name string
		lp   portal.ListParams
	}{
		{"NoFilter", portal.ListParams{}},
		{"StatusActive", portal.ListParams{Status: "active"}},
		{"StatusTrial", portal.ListParams{Status: "trial"}},
		{"StatusSuspended", portal.ListParams{Status: "suspended"}},
		{"StatusArchived", portal.ListParams{Status: "archived"}},
		{"PlanPerAsset", portal.ListParams{Plan: "per_asset"}},
		{"PlanNone", portal.ListParams{Plan: "none"}},
		{"StatusAndPlan", portal.ListParams{Status: "active", Plan: "mixed"}},
		{"ArchivedAndPlan", portal.ListParams{Status: "archived", Plan: "per_scan"}},
		{"QAb", portal.ListParams{Q: "ab"}},
		{"QAbSpaceC", portal.ListParams{Q: "AB C"}},
		{"QUnicode", portal.ListParams{Q: "É"}},
		{"QNoMatch", portal.ListParams{Q: "nobody"}},
		{"LastScanBefore", portal.ListParams{LastScanBefore: before}},
		{"LastScanAfter", portal.ListParams{LastScanAfter: after}},
		{"LastScanBetween", portal.ListParams{LastScanAfter: after, LastScanBefore: before}},
		{"StatusAndQ", portal.ListParams{Status: "active", Q: "ab"}},
		{"PlanAndQ", portal.ListParams{Plan: "per_scan", Q: "a"}},
		{"StatusPlanAndQ", portal.ListParams{Status: "trial", Plan: "unlimited", Q: "b"}},
		{"ArchivedAndQ", portal.ListParams{Status: "archived", Q: "ab"}},
		{"StatusAndLastScanBefore", portal.ListParams{Status: "active", LastScanBefore: before}},
		{"PlanAndLastScanAfter", portal.ListParams{Plan: "mixed", LastScanAfter: after}},
		{"QAndLastScanBetween", portal.ListParams{Q: "a", LastScanAfter: after, LastScanBefore: before}},
		{"EverythingAtOnce", portal.ListParams{Status: "active", Plan: "per_asset", Q: "a", LastScanAfter: after, LastScanBefore: before}},
	}
}

func TestCustomerList(t *testing.T) {
	e := newEnv(t)
	w := seedList(t, e, 48, 14)

	t.Run("SeedCoversTheCases", func(t *testing.T) {
		if len(w.scanTimes) < 3 {
			t.Fatalf("only %d distinct scan times", len(w.scanTimes))
		}
		for _, lp := range []portal.ListParams{
			{}, {Status: "archived"}, {Status: "trial"}, {Status: "suspended"}, {Q: "ab c"}, {Q: "é"},
			{LastScanBefore: w.scanBefore.Format(time.RFC3339Nano)}, {LastScanAfter: w.scanAfter.Format(time.RFC3339Nano)},
		} {
			if n := len(w.expect(t, w.a.PartnerID, lp)); n == 0 {
				t.Fatalf("no seeded customer matches %+v: the seed does not test it", lp)
			}
		}
		exact := 0
		for _, c := range w.all {
			if c.PartnerID == w.a.PartnerID && c.LastScanAt != nil && (c.LastScanAt.Equal(w.scanBefore) || c.LastScanAt.Equal(w.scanAfter)) {
				exact++
			}
		}
		if exact == 0 {
			t.Fatalf("no customer was scanned exactly at a bound: strictness is not tested")
		}
	})

	for _, sort := range portal.CustomerSorts {
		for _, desc := range []bool{false, true} {
			dir := "Ascending"
			param := string(sort)
			if desc {
				dir, param = "Descending", "-"+param
			}
			t.Run(fmt.Sprintf("By%s%s", strings.ToUpper(string(sort[:1]))+string(sort[1:]), dir), func(t *testing.T) {
				t.Parallel()
				for _, fc := range w.filterCases() {
					t.Run(fc.name, func(t *testing.T) {
						lp := fc.lp
						lp.Sort = param
						want := w.expect(t, w.a.PartnerID, lp)
						got, _ := w.pageThrough(t, w.a, lp, 7)
						if !slices.Equal(got, want) {
							t.Logf("got:\n%swant:\n%s", w.describe(got), w.describe(want))
						}
						sameList(t, got, want)
					})
				}
			})
		}
	}

	t.Run("TheOtherPartnerSeesOnlyItsOwn", func(t *testing.T) {
		for _, lp := range []portal.ListParams{{}, {Status: "archived"}, {Sort: "-lastScanAt"}, {Sort: "plan", Q: "a"}} {
			want := w.expect(t, w.b.PartnerID, lp)
			got, _ := w.pageThrough(t, w.b, lp, 3)
			sameList(t, got, want)
		}
	})

	t.Run("PageSizes", func(t *testing.T) {
		all := w.expect(t, w.a.PartnerID, portal.ListParams{})
		for _, limit := range []int{1, 2, len(all) - 1, len(all), len(all) + 1, portal.MaxPageSize} {
			got, pages := w.pageThrough(t, w.a, portal.ListParams{}, limit)
			sameList(t, got, all)
			if want := max(1, (len(all)+limit-1)/limit); pages != want {
				t.Fatalf("limit %d took %d pages, want %d", limit, pages, want)
			}
		}
	})

	t.Run("DefaultPageSize", func(t *testing.T) {
		page, err := e.customers().List(e.as(w.a), portal.ListParams{})
		mustOK(t, "list", err)
		if got, want := len(page.Items), portal.DefaultPageSize; got != want {
			t.Fatalf("items = %d, want %d", got, want)
		}
	})

	t.Run("PartnerMembersSeeNoCustomersWithoutGrants", func(t *testing.T) {
		member := tenancy.Identity{UserID: e.ids.New(portal.PrefixUser), Role: tenancy.RolePartnerMember, PartnerID: w.a.PartnerID}
		page, err := e.customers().List(e.as(member), portal.ListParams{})
		mustOK(t, "list", err)
		if len(page.Items) != 0 || page.NextCursor != "" {
			t.Fatalf("member sees %d customers, cursor %q; want none", len(page.Items), page.NextCursor)
		}
	})

	t.Run("ACursorOnlyContinuesItsOwnQuery", func(t *testing.T) {
		svc := e.customers()
		page, err := svc.List(e.as(w.a), portal.ListParams{Limit: "5"})
		mustOK(t, "list", err)
		_, err = svc.List(e.as(w.a), portal.ListParams{Limit: "5", Status: "trial", Cursor: page.NextCursor})
		wantCode(t, "cursor with other filters", err, portal.EINVALID)
		_, err = svc.List(e.as(w.b), portal.ListParams{Limit: "5", Cursor: page.NextCursor})
		wantCode(t, "cursor of another partner", err, portal.EINVALID)
	})

	t.Run("StorePositionsFollowTheSameOrder", func(t *testing.T) {
		// The store without the service: positions passed back verbatim.
		q := portal.CustomerQuery{Sort: portal.SortStatus, Descending: true, Plan: portal.PlanPerAsset, NamePrefix: "a", Limit: 4}
		want := w.expect(t, w.a.PartnerID, portal.ListParams{Sort: "-status", Plan: "per_asset", Q: "a"})
		var got []string
		var pos portal.Position
		for i := 0; ; i++ {
			items, next, err := e.store.ListCustomers(e.ctx, w.a.Scope(), q, pos)
			mustOK(t, "list", err)
			for _, c := range items {
				got = append(got, c.ID)
			}
			if next == nil {
				break
			}
			if i > 100 {
				t.Fatal("positions do not advance")
			}
			pos = next
		}
		sameList(t, got, want)
	})

	t.Run("StoreNamePrefixIsCaseInsensitive", func(t *testing.T) {
		// portal.CustomerQuery documents NamePrefix as case-insensitive.
		want := w.expect(t, w.a.PartnerID, portal.ListParams{Q: "ab c"})
		items, _, err := e.store.ListCustomers(e.ctx, w.a.Scope(), portal.CustomerQuery{Sort: portal.SortName, NamePrefix: "AB C", Limit: 100}, nil)
		mustOK(t, "list", err)
		var got []string
		for _, c := range items {
			got = append(got, c.ID)
		}
		sameList(t, got, want)
	})

	t.Run("StoreRefusesAScopeWithoutPartner", func(t *testing.T) {
		_, _, err := e.store.ListCustomers(e.ctx, tenancy.Scope{}, portal.CustomerQuery{Sort: portal.SortName, Limit: 10}, nil)
		wantCode(t, "list without partner", err, portal.EFORBIDDEN)
	})
}

func TestCustomerListSubMillisecondBounds(t *testing.T) {
	// Times are stored to the millisecond; bounds given finer than that must
	// still be strict comparisons on the true instants.
	e := newEnv(t)
	admin := e.newPartnerAdmin()
	scan := epoch.Add(-time.Hour) // exactly on a millisecond
	c := portal.Customer{
		ID: e.ids.New(portal.PrefixCustomer), PartnerID: admin.PartnerID, Name: "Edge", ContactEmail: "a@b.example",
		Timezone: "UTC", Tags: []string{}, Status: portal.StatusActive, Plan: portal.PlanNone,
		AccessLevel: portal.AccessDisabled, LastScanAt: &scan, CreatedAt: epoch, UpdatedAt: epoch, Version: 1,
	}
	mustOK(t, "create", e.store.CreateCustomer(e.ctx, c))
	svc := e.customers()
	fmtT := func(t time.Time) string { return t.Format(time.RFC3339Nano) }
	for _, tc := range []struct {
		name string
		lp   portal.ListParams
		want int
	}{
		{"BeforeHalfAMillisecondLater", portal.ListParams{LastScanBefore: fmtT(scan.Add(500 * time.Microsecond))}, 1},
		{"AfterHalfAMillisecondEarlier", portal.ListParams{LastScanAfter: fmtT(scan.Add(-500 * time.Microsecond))}, 1},
		{"AfterHalfAMillisecondLater", portal.ListParams{LastScanAfter: fmtT(scan.Add(500 * time.Microsecond))}, 0},
		{"BetweenWithinOneMillisecond", portal.ListParams{LastScanAfter: fmtT(scan.Add(100 * time.Microsecond)), LastScanBefore: fmtT(scan.Add(900 * time.Microsecond))}, 0},
	} {
		for _, sort := range []string{"lastScanAt", "name"} {
			t.Run(tc.name+"/"+sort, func(t *testing.T) {
				lp := tc.lp
				lp.Sort = sort
				page, err := svc.List(e.as(admin), lp)
				mustOK(t, "list", err)
				if got := len(page.Items); got != tc.want {
					t.Fatalf("items = %d, want %d", got, tc.want)
				}
			})
		}
	}
}

func TestCustomerListSelectiveFilters(t *testing.T) {
	// Filters that are not key conditions are applied after DynamoDB reads
	// the index: a page reads at most five batches and may then stop short,
	// with a cursor that resumes after what it read. A small read-ahead
	// makes 70 customers enough to need more than five batches.
	e := newEnv(t)
	e.store.ReadAhead = 3
	admin := e.newPartnerAdmin()
	var want []string
	for i := range 70 {
		c := portal.Customer{
			ID: e.ids.New(portal.PrefixCustomer), PartnerID: admin.PartnerID, Name: fmt.Sprintf("n%02d", i),
			ContactEmail: "a@b.example", Timezone: "UTC", Tags: []string{}, Status: portal.StatusActive,
			Plan: portal.PlanNone, AccessLevel: portal.AccessDisabled,
			CreatedAt: epoch.Add(time.Duration(i) * time.Minute), UpdatedAt: epoch, Version: 1,
		}
		if i == 45 || i == 69 {
			c.Status = portal.StatusTrial
			want = append(want, c.ID)
		}
		mustOK(t, "create", e.store.CreateCustomer(e.ctx, c))
	}
	svc := e.customers()
	lp := portal.ListParams{Sort: "createdAt", Status: "trial", Limit: "1"}
	var got []string
	pages := 0
	for {
		ctx, m := e.measure(e.as(admin))
		page, err := svc.List(ctx, lp)
		mustOK(t, "list", err)
		pages++
		if n := count(m, "Query"); n < 1 || n > 5 || m.RoundTrips() != n {
			t.Fatalf("page %d made calls %v, want 1 to 5 Queries", pages, ops(m))
		}
		for _, c := range page.Items {
			got = append(got, c.ID)
		}
		if page.NextCursor == "" {
			break
		}
		if pages > 20 {
			t.Fatal("cursors do not advance")
		}
		lp.Cursor = page.NextCursor
	}
	sameList(t, got, want)
	if pages < 3 {
		t.Fatalf("took %d pages: the short-page path was not exercised", pages)
	}
}

func TestCustomerListInATenantScope(t *testing.T) {
	// A tenant scope (a customer user's) must not reveal the tenant's
	// siblings, even though the service only lets partner roles list.
	e := newEnv(t)
	admin := e.newPartnerAdmin()
	svc := e.customers()
	own, err := svc.Create(e.as(admin), portal.CustomerInput{Name: ptr("Own"), ContactEmail: ptr("a@b.example")})
	mustOK(t, "create", err)
	_, err = svc.Create(e.as(admin), portal.CustomerInput{Name: ptr("Sibling"), ContactEmail: ptr("a@b.example")})
	mustOK(t, "create", err)
	items, _, err := e.store.ListCustomers(e.ctx, tenancy.Scope{PartnerID: admin.PartnerID, TenantID: own.ID}, portal.CustomerQuery{Sort: portal.SortName, Limit: 10}, nil)
	if err != nil {
		wantCode(t, "list in a tenant scope", err, portal.EFORBIDDEN)
		return
	}
	for _, c := range items {
		if c.ID != own.ID {
			t.Fatalf("tenant %s sees sibling customer %s (%s)", own.ID, c.ID, c.Name)
		}
	}
}

package dynamo_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/portal"
)

// Concurrent changes of one member's grants never mix: the result is exactly
// one of the sets asked for, and the others are told to retry.
func TestConcurrentGrantChangesDoNotMix(t *testing.T) {
	store := ddbtest.NewStore(t)
	ids := &ddbtest.SeqIDs{}
	partner, member := ids.New(portal.PrefixPartner), ids.New(portal.PrefixUser)
	var sets [][]string
	for range 10 {
		sets = append(sets, []string{ids.New(portal.PrefixCustomer), ids.New(portal.PrefixCustomer)})
	}
	var wg sync.WaitGroup
	errs := make([]error, len(sets))
	for i, set := range sets {
		wg.Go(func() { errs[i] = store.SetGrants(context.Background(), partner, member, set) })
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch code := portal.ErrorCode(err); code {
		case "":
			won++
		case portal.ECONFLICT:
		default:
			t.Fatalf("set %d: %v, want success or conflict", i, err)
		}
	}
	got, err := store.Grants(context.Background(), partner, member)
	mustOK(t, "grants", err)
	slices.Sort(got)
	if won == 0 || !slices.ContainsFunc(sets, func(s []string) bool { return slices.Equal(s, got) }) {
		t.Fatalf("%d won; grants = %v, want exactly one of the sets asked for", won, got)
	}
}

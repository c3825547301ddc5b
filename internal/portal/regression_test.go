package portal_test

// Regression specifications: each pins a defect found in review and fixed,
// so that it cannot come back.

import (
	"context"
	"strings"
	"testing"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/portal"
)

// An edited cursor gets 400 even when the edit only touches the unused
// trailing bits of its base64 (cursor.go decodes without Strict()).
func TestCursorEditedInTrailingBitsIsRejected(t *testing.T) {
	cursors := portal.Cursors{Secret: ddbtest.Secret}
	cur := cursors.Encode(ddbtest.AdminA, "q", portal.Position{"id": "x"})
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, cur[len(cur)-1])
	edited := cur[:len(cur)-1] + string(alphabet[i^1]) // flips the lowest, unused bit
	if edited == cur {
		t.Fatal("test setup: cursor unchanged")
	}
	_, err := cursors.Decode(ddbtest.AdminA, "q", edited)
	if got, want := code(err), portal.EINVALID; got != want {
		t.Fatalf("Decode(%q) code = %q, want %q: an edited cursor is accepted", edited, got, want)
	}
}

// Only ISO 3166-1 alpha-2 codes are countries: UK (use GB), SU, YU, DD, UN,
// EZ… are reserved or withdrawn codes that x/text still calls countries.
func TestCountryRejectsNonISOCodes(t *testing.T) {
	svc := newWorld(t).customers
	for _, v := range []string{"UK", "SU", "YU", "DD", "UN", "EZ", "FX", "ZR"} {
		in := validInput()
		in.Country = &v
		_, err := svc.Create(as(ddbtest.AdminA), in)
		if got, want := code(err), portal.EINVALID; got != want {
			t.Errorf("country %q: code = %q, want %q", v, got, want)
		}
	}
}

// Update checks the caller before the input, as every other method does.
func TestUpdateAuthenticatesBeforeValidating(t *testing.T) {
	svc := newWorld(t).customers
	bad := portal.CustomerInput{Status: ptr(portal.CustomerStatus("deleted"))}
	_, err := svc.Update(context.Background(), "cus_00000000000000000000000001", bad, nil)
	wantCode(t, err, portal.EUNAUTHORIZED)
	_, err = svc.Update(as(ddbtest.MemberA), "cus_00000000000000000000000001", bad, nil)
	wantCode(t, err, portal.EFORBIDDEN)
}

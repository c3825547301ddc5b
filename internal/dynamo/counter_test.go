package dynamo_test

import (
	"testing"
	"time"

	"github.com/partnerportal/portal/internal/portal"
)

// Scan admission moves the per-scan counter of the license period: a hard
// license admits its quantity per period and refuses the next, saying
// until when; the next period starts from zero.
func TestCountScan(t *testing.T) {
	l := newLicensing(t)
	l.setPricing(t, "EUR")
	admin := l.newPartnerAdmin()
	c := l.newCustomer(t, admin, "Scanner GmbH")
	in := scanLic(3, 5000)
	in.OveragePolicy = ptr(portal.OverageHard)
	lic, err := l.licenses.Create(l.as(admin), c.ID, in)
	mustOK(t, "create license", err)
	now := l.clock.Now()
	// Lowered to 2 after lic was read: the counter's terms, not the
	// caller's copy, decide.
	_, err = l.licenses.Update(l.as(admin), c.ID, lic.ID, portal.LicensePatch{Quantity: ptr(int64(2))}, nil)
	mustOK(t, "lower the quantity", err)

	for i := 1; i <= 2; i++ {
		got, err := l.store.CountScan(l.ctx, admin.Scope(), lic, now)
		mustOK(t, "admit", err)
		if got.Used != int64(i) || got.LicenseID != lic.ID || got.Quantity != 2 || !got.PeriodStart.Equal(lic.StartsAt) {
			t.Fatalf("scan %d: counter = %+v", i, got)
		}
	}
	_, err = l.store.CountScan(l.ctx, admin.Scope(), lic, now)
	wantCode(t, "third scan", err, portal.ECONFLICT)
	wantMessage(t, "third scan", err, "none left until")

	next := portal.PeriodAt(lic.StartsAt, lic.BillingPeriod, now).End
	got, err := l.store.CountScan(l.ctx, admin.Scope(), lic, next)
	mustOK(t, "admit in the next period", err)
	if got.Used != 1 || !got.PeriodStart.Equal(next) {
		t.Fatalf("next period counter = %d from %s, want 1 from %s", got.Used, got.PeriodStart, next)
	}

	soft := l.newCustomer(t, admin, "Soft AG")
	softLic, err := l.licenses.Create(l.as(admin), soft.ID, scanLic(1, 5000))
	mustOK(t, "create soft license", err)
	for range 3 {
		_, err := l.store.CountScan(l.ctx, admin.Scope(), softLic, now)
		mustOK(t, "soft admits beyond the quantity", err)
	}
	revoked, err := l.licenses.Revoke(l.as(admin), soft.ID, softLic.ID)
	mustOK(t, "revoke", err)
	_, err = l.store.CountScan(l.ctx, admin.Scope(), revoked, now.Add(time.Minute))
	wantCode(t, "a revoked license", err, portal.ECONFLICT)
	_, err = l.store.CountScan(l.ctx, admin.Scope(), softLic, now.Add(time.Minute))
	wantCode(t, "a revoked license read before it was revoked", err, portal.ECONFLICT)
	wantMessage(t, "a revoked license read before it was revoked", err, "ended")

	other := l.newPartnerAdmin()
	_, err = l.store.CountScan(l.ctx, other.Scope(), softLic, now)
	wantCode(t, "another partner's license", err, portal.ENOTFOUND)
}

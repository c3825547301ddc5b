package dynamo_test

import (
	"testing"

	"github.com/partnerportal/portal/internal/portal"
)

// Scan admission moves the per-scan counter of the license period: a hard
// license admits its quantity per period and refuses the next, saying
// until when; the next period starts from zero.
func TestAdmitScan(t *testing.T) {
	l := newLicensing(t)
	l.setPricing(t, "EUR")
	admin := l.newPartnerAdmin()
	c := l.newCustomer(t, admin, "Scanner GmbH")
	in := scanLic(2, 5000)
	in.OveragePolicy = ptr(portal.OverageHard)
	lic, err := l.licenses.Create(l.as(admin), c.ID, in)
	mustOK(t, "create license", err)
	now := l.clock.Now()

	for i := 1; i <= 2; i++ {
		got, err := l.store.AdmitScan(l.ctx, admin.Scope(), lic, now)
		mustOK(t, "admit", err)
		if got.Used != int64(i) || got.LicenseID != lic.ID || got.Quantity != 2 || !got.PeriodStart.Equal(lic.StartsAt) {
			t.Fatalf("scan %d: counter = %+v", i, got)
		}
	}
	_, err = l.store.AdmitScan(l.ctx, admin.Scope(), lic, now)
	wantCode(t, "third scan", err, portal.ECONFLICT)
	wantMessage(t, "third scan", err, "none left until")

	next := portal.PeriodAt(lic.StartsAt, lic.BillingPeriod, now).End
	got, err := l.store.AdmitScan(l.ctx, admin.Scope(), lic, next)
	mustOK(t, "admit in the next period", err)
	if got.Used != 1 || !got.PeriodStart.Equal(next) {
		t.Fatalf("next period counter = %d from %s, want 1 from %s", got.Used, got.PeriodStart, next)
	}

	soft := l.newCustomer(t, admin, "Soft AG")
	softLic, err := l.licenses.Create(l.as(admin), soft.ID, scanLic(1, 5000))
	mustOK(t, "create soft license", err)
	for range 3 {
		_, err := l.store.AdmitScan(l.ctx, admin.Scope(), softLic, now)
		mustOK(t, "soft admits beyond the quantity", err)
	}
	other := l.newPartnerAdmin()
	_, err = l.store.AdmitScan(l.ctx, other.Scope(), softLic, now)
	wantCode(t, "another partner's license", err, portal.ENOTFOUND)
}

package services_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerportal/portal/internal/asset"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
	"github.com/partnerportal/portal/internal/verify"
	"github.com/partnerportal/portal/internal/verify/verifytest"
)

// assetWorld is a customer with a per-asset license of quantity, on the
// assembled services.
func assetWorld(t *testing.T, quantity int64, policy portal.OveragePolicy) (*marginWorld, tenancy.Identity, portal.Customer, portal.License) {
	t.Helper()
	w := newMarginWorld(t)
	w.s.SetAssetPolicy(asset.Policy{}, "")
	w.setPricing(t, "EUR", map[portal.LicenseModel][2]int64{
		portal.ModelPerAsset: {199, 1990}, portal.ModelPerScan: {195, 1950}, portal.ModelUnlimited: {10000, 60000},
	})
	c := w.customer(t, w.admin, "Acme GmbH")
	model, price, cur := portal.ModelPerAsset, int64(9900), "EUR"
	l, err := w.s.Licenses.Create(ctxOf(w.admin), c.ID, portal.LicenseInput{
		Model: &model, Quantity: &quantity, OveragePolicy: &policy, EndUserPrice: &portal.MoneyInput{Amount: &price, Currency: &cur},
	})
	if err != nil {
		t.Fatalf("assign license: %v", err)
	}
	return w, w.admin, c, l
}

func values(format string, n int) []portal.AssetInput {
	in := make([]portal.AssetInput, n)
	for i := range in {
		v := fmt.Sprintf(format, i)
		in[i].Value = &v
	}
	return in
}

// 50 concurrent requests, one new asset each, against a hard license with
// 10 free slots: exactly 10 get in, the others are refused as license_full,
// and the counter and the stored assets agree.
func TestAHardLicenseAdmitsExactlyItsFreeSlotsUnderConcurrency(t *testing.T) {
	w, admin, c, l := assetWorld(t, 10, portal.OverageHard)
	var wg sync.WaitGroup
	results := make([]portal.AssetAddResult, 50)
	errs := make([]error, 50)
	for i := range 50 {
		wg.Go(func() {
			results[i], errs[i] = w.s.Assets.Add(ctxOf(admin), c.ID, values(fmt.Sprintf("host%d-%%d.example.com", i), 1))
		})
	}
	wg.Wait()
	created, full := 0, 0
	for i, r := range results {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		created += r.Created
		if r.Full != nil {
			full++
			if r.Results[0].Code != portal.RejectLicenseFull {
				t.Fatalf("request %d: refused with code %q, want license_full", i, r.Results[0].Code)
			}
		}
	}
	if created != 10 || full != 40 {
		t.Fatalf("created %d and refused %d, want exactly 10 and 40", created, full)
	}
	counter, err := w.s.Store.AssetCounter(ctxOf(admin), admin.Scope(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if counter.Used != 10 || counter.LicenseID != l.ID {
		t.Fatalf("counter = %d of license %s, want 10 of %s", counter.Used, counter.LicenseID, l.ID)
	}
	page, err := w.s.Assets.List(ctxOf(admin), c.ID, "100", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(page.Items); got != 10 {
		t.Fatalf("stored assets = %d, want 10", got)
	}
}

func TestAddingAssetsInBulk(t *testing.T) {
	t.Run("AThousandValuesInOneRequest", func(t *testing.T) {
		w, admin, c, _ := assetWorld(t, 10, portal.OverageSoft)
		res, err := w.s.Assets.Add(ctxOf(admin), c.ID, values("h%d.thousand.example", portal.MaxAssetsPerRequest))
		if err != nil || res.Created != portal.MaxAssetsPerRequest {
			t.Fatalf("created %d (%v), want %d", res.Created, err, portal.MaxAssetsPerRequest)
		}
		counter, _ := w.s.Store.AssetCounter(ctxOf(admin), admin.Scope(), c.ID)
		if counter.Used != int64(portal.MaxAssetsPerRequest) {
			t.Fatalf("counter = %d, want %d", counter.Used, portal.MaxAssetsPerRequest)
		}
	})
	t.Run("ValuesAreTakenInRequestOrderUpToTheHardLimit", func(t *testing.T) {
		w, admin, c, _ := assetWorld(t, 120, portal.OverageHard)
		in := values("h%d.bulk.example", 150)
		in = append(in, values("h%d.bulk.example", 20)...) // repeated in the request
		res, err := w.s.Assets.Add(ctxOf(admin), c.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 120 || res.Duplicate != 20 || res.Rejected != 30 || res.Full == nil || res.Full.Free != 0 {
			t.Fatalf("created %d, duplicate %d, rejected %d, full %+v; want 120, 20, 30 and no room left", res.Created, res.Duplicate, res.Rejected, res.Full)
		}
		for i, r := range res.Results[:120] {
			if r.Status != portal.AssetCreated {
				t.Fatalf("results[%d] = %s, want created (values are taken in request order)", i, r.Status)
			}
		}
		counter, _ := w.s.Store.AssetCounter(ctxOf(admin), admin.Scope(), c.ID)
		if counter.Used != 120 {
			t.Fatalf("counter = %d, want 120", counter.Used)
		}
	})
	t.Run("ASoftLicenseAcceptsOverage", func(t *testing.T) {
		w, admin, c, _ := assetWorld(t, 5, portal.OverageSoft)
		res, err := w.s.Assets.Add(ctxOf(admin), c.ID, values("h%d.soft.example", 8))
		if err != nil || res.Created != 8 {
			t.Fatalf("created %d (%v), want 8", res.Created, err)
		}
		u, err := w.s.Usage.Get(ctxOf(admin), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if l := u.Licenses[0]; l.Used != 8 || l.Overage != 3 || l.Percent != 16000 {
			t.Fatalf("usage = %d used, %d overage, %d bps; want 8, 3, 16000", l.Used, l.Overage, l.Percent)
		}
	})
	t.Run("ProblemsInTheRequestWriteNothing", func(t *testing.T) {
		w, admin, c, _ := assetWorld(t, 5, portal.OverageSoft)
		bad := values("h%d.bad.example", 3)
		crit := portal.Criticality("extreme")
		typ := asset.Domain
		bad[1].Criticality, bad[2].Type = &crit, &typ
		_, err := w.s.Assets.Add(ctxOf(admin), c.ID, bad)
		var pe *portal.Error
		if portal.ErrorCode(err) != portal.EINVALID || !asError(err, &pe) || len(pe.Fields) != 2 ||
			pe.Fields[0].Field != "assets[1].criticality" || pe.Fields[1].Field != "assets[2].type" {
			t.Fatalf("err = %v, want EINVALID naming assets[1].criticality and assets[2].type", err)
		}
		_, err = w.s.Assets.Add(ctxOf(admin), c.ID, values("h%d.many.example", portal.MaxAssetsPerRequest+1))
		if portal.ErrorCode(err) != portal.EINVALID {
			t.Fatalf("err = %v, want EINVALID for more than %d values", err, portal.MaxAssetsPerRequest)
		}
		counter, _ := w.s.Store.AssetCounter(ctxOf(admin), admin.Scope(), c.ID)
		if counter.Used != 0 {
			t.Fatalf("counter = %d, want 0", counter.Used)
		}
	})
	t.Run("LoweringTheQuantityBelowTheAssetsInUseIsRefused", func(t *testing.T) {
		w, admin, c, l := assetWorld(t, 10, portal.OverageHard)
		if _, err := w.s.Assets.Add(ctxOf(admin), c.ID, values("h%d.lower.example", 6)); err != nil {
			t.Fatal(err)
		}
		q := int64(5)
		_, err := w.s.Licenses.Update(ctxOf(admin), c.ID, l.ID, portal.LicensePatch{Quantity: &q}, nil)
		if portal.ErrorCode(err) != portal.ECONFLICT {
			t.Fatalf("err = %v, want ECONFLICT", err)
		}
		q = 6
		if _, err := w.s.Licenses.Update(ctxOf(admin), c.ID, l.ID, portal.LicensePatch{Quantity: &q}, nil); err != nil {
			t.Fatalf("lowering to the usage: %v", err)
		}
		res, _ := w.s.Assets.Add(ctxOf(admin), c.ID, values("h%d.more.example", 1))
		if res.Full == nil || res.Created != 0 {
			t.Fatalf("after lowering to 6, a 7th asset should be refused: %+v", res)
		}
	})
	t.Run("ARenewalTakesOverTheCounterWhenThePreviousLicenseEnds", func(t *testing.T) {
		w, admin, c, l := assetWorld(t, 3, portal.OverageHard)
		if _, err := w.s.Assets.Add(ctxOf(admin), c.ID, values("h%d.renew.example", 3)); err != nil {
			t.Fatal(err)
		}
		end := w.clock.Now().AddDate(0, 1, 0)
		if _, err := w.s.Licenses.Update(ctxOf(admin), c.ID, l.ID, portal.LicensePatch{EndsAt: &end}, nil); err != nil {
			t.Fatal(err)
		}
		model, q, hard, price, cur := portal.ModelPerAsset, int64(5), portal.OverageHard, int64(9900), "EUR"
		renewal, err := w.s.Licenses.Create(ctxOf(admin), c.ID, portal.LicenseInput{Model: &model, Quantity: &q, OveragePolicy: &hard,
			StartsAt: &end, EndUserPrice: &portal.MoneyInput{Amount: &price, Currency: &cur}})
		if err != nil {
			t.Fatalf("renewal: %v", err)
		}
		if _, err := w.s.Licenses.Create(ctxOf(admin), c.ID, portal.LicenseInput{Model: &model, Quantity: &q,
			EndUserPrice: &portal.MoneyInput{Amount: &price, Currency: &cur}}); portal.ErrorCode(err) != portal.ECONFLICT {
			t.Fatalf("an overlapping per-asset license: err = %v, want ECONFLICT", err)
		}
		res, _ := w.s.Assets.Add(ctxOf(admin), c.ID, values("h%d.before.example", 1))
		if res.Full == nil || res.Full.LicenseID != l.ID {
			t.Fatalf("before the renewal starts the old license's limit holds: %+v", res.Full)
		}
		w.clock.Set(end.Add(time.Minute))
		res, err = w.s.Assets.Add(ctxOf(admin), c.ID, values("h%d.after.example", 3))
		if err != nil || res.Created != 2 || res.Full == nil || res.Full.LicenseID != renewal.ID {
			t.Fatalf("after it starts the renewal's limit (5) holds: created %d, full %+v, %v", res.Created, res.Full, err)
		}
	})
}

func asError(err error, target **portal.Error) bool { return errors.As(err, target) }

// Ownership verification: a domain proven by its DNS TXT record passes
// verification on to the assets under it, existing and new; a URL proven
// by its /.well-known/ file is verified on its own; failed checks are
// recorded with what was looked at.
func TestOwnershipVerification(t *testing.T) {
	w, admin, c, _ := assetWorld(t, 100, portal.OverageSoft)
	zone := verifytest.Zone{TXT: map[string][][]string{}, A: map[string][]string{}}
	dns := verifytest.StartDNS(t, zone)
	w.s.SetAssetPolicy(asset.Policy{AllowPrivate: true}, dns.Addr) // the file server below is on 127.0.0.1
	ctx := ctxOf(admin)

	var fileToken string
	files := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path != verify.WellKnownPath {
			http.NotFound(rw, r)
			return
		}
		fmt.Fprintln(rw, fileToken)
	}))
	defer files.Close()

	res, err := w.s.Assets.Add(ctx, c.ID, append(values("shop%d.example.com", 1), values("https://app.example.com/login%d", 1)[0], values("example.com%.0d", 1)[0], values(files.URL+"/app%d", 1)[0]))
	if err != nil || res.Created != 4 {
		t.Fatalf("created %d (%v), want 4", res.Created, err)
	}
	shop, app, domain, site := res.Results[0].Asset, res.Results[1].Asset, res.Results[2].Asset, res.Results[3].Asset

	t.Run("AFailedCheckIsRecorded", func(t *testing.T) {
		got, err := w.s.Assets.Verify(ctx, c.ID, domain.ID)
		if err != nil || got.Verified || got.LastCheckAt == nil || !strings.Contains(got.LastCheckDetail, "TXT") {
			t.Fatalf("verify = verified %v, detail %q (%v); want not verified with the TXT lookup named", got.Verified, got.LastCheckDetail, err)
		}
	})
	t.Run("ADomainProvenByDNSPassesItOnToAssetsUnderIt", func(t *testing.T) {
		zone.TXT["example.com"] = [][]string{{verify.TXTPrefix + domain.VerificationToken}}
		got, err := w.s.Assets.Verify(ctx, c.ID, domain.ID)
		if err != nil || !got.Verified || got.VerificationMethod != portal.OwnershipDNSTXT {
			t.Fatalf("verify = %v by %q (%v), want verified by dns_txt", got.Verified, got.VerificationMethod, err)
		}
		for _, a := range []*portal.Asset{shop, app} {
			back, err := w.s.Assets.Get(ctx, c.ID, a.ID)
			if err != nil || !back.Verified || back.VerificationMethod != portal.OwnershipInherited || back.VerifiedVia != domain.ID {
				t.Fatalf("%s: verified %v by %q via %q (%v); want inherited from %s", a.Value, back.Verified, back.VerificationMethod, back.VerifiedVia, err, domain.ID)
			}
		}
		if site, _ := w.s.Assets.Get(ctx, c.ID, site.ID); site.Verified {
			t.Fatal("an asset on another host must not inherit")
		}
	})
	t.Run("NewAssetsUnderAVerifiedDomainAreVerifiedAtOnce", func(t *testing.T) {
		res, err := w.s.Assets.Add(ctx, c.ID, values("new%d.example.com", 1))
		if err != nil || res.Created != 1 || !res.Results[0].Asset.Verified || res.Results[0].Asset.VerifiedVia != domain.ID {
			t.Fatalf("new subdomain = %+v (%v), want verified through %s", res.Results[0].Asset, err, domain.ID)
		}
	})
	t.Run("AURLProvenByItsWellKnownFile", func(t *testing.T) {
		fileToken = site.VerificationToken
		got, err := w.s.Assets.Verify(ctx, c.ID, site.ID)
		if err != nil || !got.Verified || got.VerificationMethod != portal.OwnershipHTTPFile {
			t.Fatalf("verify = %v by %q (%v), detail %q; want verified by http_file", got.Verified, got.VerificationMethod, err, got.LastCheckDetail)
		}
	})
	t.Run("ProductionRulesNeverConnectToPrivateAddresses", func(t *testing.T) {
		w.s.SetAssetPolicy(asset.Policy{}, dns.Addr)
		defer w.s.SetAssetPolicy(asset.Policy{AllowPrivate: true}, dns.Addr)
		host := strings.TrimPrefix(files.URL, "http://127.0.0.1")
		zone.A["intranet.other.example"] = []string{"127.0.0.1"} // a public name pointing inside
		res, err := w.s.Assets.Add(ctx, c.ID, values("http://intranet.other.example"+host+"/x%d", 1))
		if err != nil || res.Created != 1 {
			t.Fatalf("add: %v %+v", err, res.Results)
		}
		a := res.Results[0].Asset
		fileToken = a.VerificationToken
		got, err := w.s.Assets.Verify(ctx, c.ID, a.ID)
		if err != nil || got.Verified || !strings.Contains(got.LastCheckDetail, "127.0.0.1") {
			t.Fatalf("verify = %v, detail %q (%v); want refused naming the private address", got.Verified, got.LastCheckDetail, err)
		}
	})
}

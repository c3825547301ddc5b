package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"sync"

	"github.com/partnerportal/portal/internal/asset"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
	"github.com/partnerportal/portal/internal/verify"
)

// launchRecorder stands in for the scans service's launcher while the scan
// rows are metered. services.New launches in-process and synchronously, so
// the run would otherwise be part of the POST request's calls; here Launch
// only records the reference, and the bench runs scan-run (ScanRunService.Run,
// what functions/scan-run does) under a meter of its own. In AWS the launch
// is one asynchronous Lambda Invoke (internal/lambdainvoke), not a DynamoDB
// call.
type launchRecorder struct {
	mu   sync.Mutex
	refs []portal.ScanRef
}

func (l *launchRecorder) Launch(_ context.Context, s portal.Scan) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refs = append(l.refs, s.Ref())
	return nil
}

// take returns the one scan launched since the last take.
func (l *launchRecorder) take() (portal.ScanRef, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	refs := l.refs
	l.refs = nil
	if len(refs) != 1 {
		return portal.ScanRef{}, fmt.Errorf("%d scans launched, want 1", len(refs))
	}
	return refs[0], nil
}

// scanCosts adds the rows of scan admission (POST …/scans on the real
// handler path) and of scan-run, on two new customers of the measured
// partner, each with the weak site's two endpoints as verified assets
// (added and verified through the asset service, the token published on
// the site): one with a hard per-scan license for 1 scan, one with an
// unlimited license. The scans are full scans of the weak site (the engine
// of the scan measurement: loopback allowed, the small port list).
//
//  1. per-scan customer, targets "all": admitted, the transaction counts it
//     (1 of 1); then its run, the customer's first (every finding new);
//  2. the same again: refused at the hard limit (the refused scan recorded);
//  3. unlimited customer, targets by ID: admitted, nothing counted; its run
//     (not a row: the same as in 1);
//  4. unlimited customer, targets "all": admitted; its run, a repeat (every
//     finding seen again).
func (b *bench) scanCosts(ctx context.Context, call caller, record func(routeCost), admin tenancy.Identity) error {
	w, svc := b.weak, b.svc
	if w == nil {
		return fmt.Errorf("scan costs: the weak site is not started")
	}
	roots, err := w.roots()
	if err != nil {
		return err
	}
	private := asset.Policy{AllowPrivate: true}
	checker := verify.New(private, "")
	checker.TLSConfig = &tls.Config{RootCAs: roots}
	launches := &launchRecorder{}
	policy, owner, engine, launcher := svc.Assets.Policy, svc.Assets.Ownership, svc.ScanRun.Engine, svc.Scans.Launcher
	svc.Assets.Policy, svc.Assets.Ownership, svc.ScanRun.Engine, svc.Scans.Launcher = private, checker, weakEngine(w), launches
	defer func() {
		svc.Assets.Policy, svc.Assets.Ownership, svc.ScanRun.Engine, svc.Scans.Launcher = policy, owner, engine, launcher
	}()

	actx := tenancy.WithIdentity(ctx, admin)
	amount := int64(7000)
	customer := func(name string, lic portal.LicenseInput) (string, []string, error) {
		lic.EndUserPrice = &portal.MoneyInput{Amount: &amount, Currency: ptr("EUR")}
		c, _, err := svc.Customers.CreateWithLicenses(actx, portal.CustomerInput{
			Name: ptr(name), ContactEmail: ptr("it@scan-cost.example"), Timezone: ptr("Europe/Berlin"), Country: ptr("DE"),
			Licenses: &[]portal.LicenseInput{lic},
		})
		if err != nil {
			return "", nil, fmt.Errorf("scan costs: customer %s: %w", name, err)
		}
		added, err := svc.Assets.Add(actx, c.ID, []portal.AssetInput{{Value: ptr(w.HTTP + "/")}, {Value: ptr(w.HTTPS + "/")}})
		if err != nil {
			return "", nil, fmt.Errorf("scan costs: assets of %s: %w", name, err)
		}
		var ids []string
		for _, r := range added.Results {
			if r.Status != portal.AssetCreated || r.Asset == nil {
				return "", nil, fmt.Errorf("scan costs: asset %s of %s: %s %s", r.Input, name, r.Status, r.Reason)
			}
			if err := w.publishToken(ctx, r.Asset.VerificationToken); err != nil {
				return "", nil, err
			}
			v, err := svc.Assets.Verify(actx, c.ID, r.Asset.ID)
			if err != nil || !v.Verified {
				return "", nil, fmt.Errorf("scan costs: verify %s: %v %s", r.Asset.Value, err, v.LastCheckDetail)
			}
			ids = append(ids, r.Asset.ID)
		}
		return c.ID, ids, nil
	}
	hard, one := portal.OverageHard, int64(1)
	perScan, _, err := customer("Scan Cost Per-Scan GmbH", portal.LicenseInput{Model: ptr(portal.ModelPerScan), Quantity: &one, OveragePolicy: &hard})
	if err != nil {
		return err
	}
	unlimited, unlimitedAssets, err := customer("Scan Cost Unlimited GmbH", portal.LicenseInput{Model: ptr(portal.ModelUnlimited)})
	if err != nil {
		return err
	}

	const route = "POST /v1/customers/{customerId}/scans"
	admit := func(cid string, want int, variant, body string) (map[string]any, error) {
		return call("scans", want, variant, post(route, "/v1/customers/"+cid+"/scans", admin, map[string]string{"customerId": cid}, body))
	}
	// runScan runs the launched scan under its own meter and checks that it
	// completed with findings; variant (given the findings) names the row,
	// "" records none.
	runScan := func(variant func(findings int) string) error {
		ref, err := launches.take()
		if err != nil {
			return fmt.Errorf("scan costs: %w", err)
		}
		mctx, m := dynamo.WithMeter(ctx)
		if err := svc.ScanRun.Run(mctx, ref); err != nil {
			return fmt.Errorf("scan costs: run %s: %w", ref.ScanID, err)
		}
		sc, err := svc.Scans.Get(actx, ref.TenantID, ref.ScanID)
		if err != nil {
			return fmt.Errorf("scan costs: read %s: %w", ref.ScanID, err)
		}
		findings := 0
		for _, n := range sc.Counts {
			findings += n
		}
		if sc.Status != portal.ScanCompleted || findings == 0 || len(sc.Errors) > 0 {
			return fmt.Errorf("scan costs: scan %s is %s (%s) with %d findings and %d check errors; want completed with findings, no errors",
				sc.ID, sc.Status, sc.Reason, findings, len(sc.Errors))
		}
		if variant != nil {
			record(routeCost{Function: "scan-run", Route: "scan-run", Variant: variant(findings), Status: 200, Items: -1, Calls: m.Calls()})
		}
		return nil
	}
	queued := func(body map[string]any) error {
		if str(body, "status") != string(portal.ScanQueued) {
			return fmt.Errorf("scan costs: the admitted scan is %q, want queued", str(body, "status"))
		}
		return nil
	}

	all := `{"profile":"full","targets":"all"}`
	body, err := admit(perScan, 202, `full, targets "all" (2 verified assets), hard per-scan license for 1 scan: admitted, the scan counted (1 of 1)`, all)
	if err != nil {
		return err
	}
	if err := queued(body); err != nil {
		return err
	}
	if err := runScan(func(n int) string {
		return fmt.Sprintf("the scan above (full, 2 targets), the customer's first: %d findings, all new", n)
	}); err != nil {
		return err
	}
	body, err = admit(perScan, 409, "the same again: refused at the hard limit (the refused scan is recorded)", all)
	if err != nil {
		return err
	}
	if d := str(body, "detail"); !strings.Contains(d, "hard limit") {
		return fmt.Errorf("scan costs: the refusal says %q, want the hard limit", d)
	}
	byID := fmt.Sprintf(`{"profile":"full","targets":["%s"]}`, strings.Join(unlimitedAssets, `","`))
	if body, err = admit(unlimited, 202, "full, targets by ID (the 2 assets), unlimited license: admitted, nothing counted", byID); err != nil {
		return err
	}
	if err := queued(body); err != nil {
		return err
	}
	if err := runScan(nil); err != nil {
		return err
	}
	if body, err = admit(unlimited, 202, `full, targets "all", unlimited license, the customer's second scan`, all); err != nil {
		return err
	}
	if err := queued(body); err != nil {
		return err
	}
	return runScan(func(n int) string {
		return fmt.Sprintf("the scan above, a repeat: the same %d findings, each seen again", n)
	})
}

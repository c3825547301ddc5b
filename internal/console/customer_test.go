package console

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/partnerportal/portal/internal/asset"
	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/locals3"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/scan"
	"github.com/partnerportal/portal/internal/tenancy"
	"github.com/partnerportal/portal/internal/verify"
)

// custWorld is partner A (its admin signed in) with pricing in EUR and
// the customer "Acme GmbH".
type custWorld struct {
	*harness
	ctx      context.Context // partner A's admin
	customer portal.Customer
}

func newCustWorld(t *testing.T) *custWorld {
	t.Helper()
	h := newHarness(t)
	op := h.as(ddbtest.SuperAdmin)
	cur, tiers := "EUR", []portal.PrepaidTier{}
	costs := map[string]map[string]int64{
		"per_asset": {"monthly": 199, "annual": 1990}, "per_scan": {"monthly": 195, "annual": 1950}, "unlimited": {"monthly": 10000, "annual": 60000},
	}
	if _, err := h.s.Pricing.Put(op, portal.PricingInput{Currency: &cur, UnitCosts: &costs, PrepaidTiers: &tiers}, nil); err != nil {
		t.Fatalf("put pricing: %v", err)
	}
	w := &custWorld{harness: h, ctx: h.as(h.Admin)}
	w.customer = w.newCustomer(t, "Acme GmbH")
	h.signInAdmin()
	return w
}

func (w *custWorld) newCustomer(t *testing.T, name string) portal.Customer {
	t.Helper()
	email := "it@" + strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".example"
	c, err := w.s.Customers.Create(w.ctx, portal.CustomerInput{Name: &name, ContactEmail: &email})
	if err != nil {
		t.Fatalf("create customer %s: %v", name, err)
	}
	return c
}

// license assigns a license to the customer (quantity 0: unlimited).
func (w *custWorld) license(t *testing.T, model portal.LicenseModel, quantity int64, policy portal.OveragePolicy) portal.License {
	t.Helper()
	price, cur := int64(9900), "EUR"
	in := portal.LicenseInput{Model: &model, OveragePolicy: &policy, EndUserPrice: &portal.MoneyInput{Amount: &price, Currency: &cur}}
	if model.Metered() {
		in.Quantity = &quantity
	}
	l, err := w.s.Licenses.Create(w.ctx, w.customer.ID, in)
	if err != nil {
		t.Fatalf("assign %s license: %v", model, err)
	}
	return l
}

// addAssets stores n assets named host<i>.<domain>.
func (w *custWorld) addAssets(t *testing.T, n int, domain string) {
	t.Helper()
	in := make([]portal.AssetInput, n)
	for i := range in {
		v := fmt.Sprintf("host%d.%s", i, domain)
		in[i].Value = &v
	}
	if res, err := w.s.Assets.Add(w.ctx, w.customer.ID, in); err != nil || res.Created != n {
		t.Fatalf("add %d assets: created %d, %v", n, res.Created, err)
	}
}

func (w *custWorld) assetCount(t *testing.T) int {
	t.Helper()
	page, err := w.s.Assets.List(w.ctx, w.customer.ID, "100", "")
	if err != nil {
		t.Fatal(err)
	}
	return len(page.Items)
}

// customerUser creates a user of the customer with role and signs the
// browser in as that user, with the customer's portal access at level.
func (w *custWorld) customerUser(t *testing.T, role tenancy.Role, level portal.AccessLevel) {
	t.Helper()
	if _, err := w.s.Customers.SetAccess(w.ctx, w.customer.ID, &level); err != nil {
		t.Fatalf("set access %s: %v", level, err)
	}
	email := fmt.Sprintf("%s-%s@acme.example", strings.ReplaceAll(string(role), "_", "-"), strings.ReplaceAll(string(level), "_", "-"))
	w.person(w.ctx, portal.UserInput{Email: &email, Role: &role, CustomerID: &w.customer.ID})
	if res := w.signIn(email, Password); res.status != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %d\n%s", email, res.status, res.body)
	}
}

var postFormRE = regexp.MustCompile(`(?i)<form[^>]*method="post"[^>]*>`)
var actionRE = regexp.MustCompile(`action="([^"]*)"`)

// postForms lists the actions of the page's forms that change something.
func postForms(body string) []string {
	var out []string
	for _, f := range postFormRE.FindAllString(body, -1) {
		m := actionRE.FindStringSubmatch(f)
		if len(m) == 2 {
			out = append(out, m[1])
		} else {
			out = append(out, f)
		}
	}
	return out
}

// writeForms are the post forms other than the layout's (sign out, switch back).
func writeForms(body string) []string {
	var out []string
	for _, a := range postForms(body) {
		if a != Base+"/sign-out" && a != Base+"/switch" {
			out = append(out, a)
		}
	}
	return out
}

func (w *custWorld) path(rest string) string { return Base + "/customers/" + w.customer.ID + rest }

func TestCustomerPage(t *testing.T) {
	w := newCustWorld(t)
	w.license(t, portal.ModelPerAsset, 50, portal.OverageSoft)
	w.license(t, portal.ModelPerScan, 10, portal.OverageHard)
	w.addAssets(t, 45, "acme.example")

	t.Run("RendersEverySectionForThePartnerAdmin", func(t *testing.T) {
		res := w.get(w.path(""))
		if res.status != http.StatusOK {
			t.Fatalf("status %d, want 200\n%s", res.status, res.body)
		}
		res.mustContain(t, "<h1>Acme GmbH</h1>", `<span class="badge active">Active</span>`, "Plan: <strong>Mixed</strong>",
			"Portal access: <strong>Disabled</strong>", `href="`+w.path("/access")+`">Change access level</a>`,
			`id="usage-h">Usage`, `id="licenses-h">Licenses`, `id="assets-h">Assets`, `id="scans-h">Recent scans`,
			`id="findings-h">Findings`, `id="reports-h">Latest reports`, `id="schedules-h">Schedules`,
			"host0.acme.example", `href="`+w.path("/assets")+`">More assets</a>`,
			`href="/console/scans/schedules/new?customerId=`+w.customer.ID+`">Create schedule</a>`,
			"<summary>Add a license</summary>", `action="`+w.path("/licenses")+`"`, `action="`+w.path("/assets")+`"`,
			"Unit cost", "Margin", "EUR 99.00 per month", "EUR 1.99 per unit")
	})
	t.Run("UsageBarShowsUsedOfQuantityAndTheMarks", func(t *testing.T) {
		res := w.get(w.path(""))
		res.mustContain(t, "45 of 50 assets used (90%)", "Marks at 80%, 90% and 100%; this license: alert at 90% (45 assets), limit at 100% (50 assets).",
			// the per-asset bar: filled to 90% of the quantity, marks at 80%, 90% and 100% (4 SVG units per percent)
			`<rect class="fill warn" x="0" y="2" width="360" height="14">`, `<line class="mark" x1="320" x2="320"`, `<line class="mark" x1="360" x2="360"`, `<line class="mark" x1="400" x2="400"`,
			">80%</text>", ">90%</text>", ">100%</text>",
			// the per-scan license alerts at 80%
			"0 of 10 scans used (0%)", "this license: alert at 80% (8 scans), limit at 100% (10 scans).")
		res.mustNotContain(t, "style=")
	})
	t.Run("OverageAndUnlimitedLicenses", func(t *testing.T) {
		w.addAssets(t, 8, "more.acme.example") // 53 of 50 on a soft license
		w.license(t, portal.ModelUnlimited, 0, portal.OverageSoft)
		res := w.get(w.path(""))
		res.mustContain(t, "53 of 50 assets used (106%)", `<rect class="fill over" x="0" y="2" width="424"`,
			"Overage: 3 assets beyond the quantity (soft limit: allowed and counted as overage).",
			"53 assets monitored (unlimited license: no limit, no usage alerts)")
	})
	t.Run("SubPagesPaginateWithCursors", func(t *testing.T) {
		res := w.get(w.path("/assets"))
		if res.status != http.StatusOK {
			t.Fatalf("assets page: %d", res.status)
		}
		m := regexp.MustCompile(`href="([^"]*cursor=[^"]*)">Next page`).FindStringSubmatch(res.body)
		if m == nil {
			t.Fatalf("53 assets, 25 a page: no Next page link\n%s", res.body)
		}
		next := w.get(strings.ReplaceAll(m[1], "&amp;", "&"))
		if next.status != http.StatusOK || !strings.Contains(next.body, "First page") {
			t.Fatalf("next page: %d\n%s", next.status, next.body)
		}
		first, second := strings.Count(res.body, `aria-label="Delete `), strings.Count(next.body, `aria-label="Delete `)
		if first != 25 || second != 25 {
			t.Fatalf("assets on pages 1 and 2 = %d and %d, want 25 each", first, second)
		}
		for _, p := range []string{"/findings", "/scans", "/reports"} {
			if res := w.get(w.path(p)); res.status != http.StatusOK {
				t.Fatalf("GET %s: %d\n%s", p, res.status, res.body)
			}
		}
	})
}

func TestCustomerPageRoles(t *testing.T) {
	t.Run("AReadOnlyViewerSeesDataButNoForms", func(t *testing.T) {
		w := newCustWorld(t)
		w.license(t, portal.ModelPerAsset, 50, portal.OverageSoft)
		w.addAssets(t, 3, "acme.example")
		w.customerUser(t, tenancy.RoleCustomerViewer, portal.AccessReadOnly)
		res := w.get(Base + "/")
		if res.status != http.StatusSeeOther || res.location() != w.path("") {
			t.Fatalf("the dashboard sends customer users to %q (%d), want their page", res.location(), res.status)
		}
		res = w.get(w.path(""))
		if res.status != http.StatusOK {
			t.Fatalf("status %d\n%s", res.status, res.body)
		}
		res.mustContain(t, "host0.acme.example", "3 of 50 assets used (6%)", "Portal access: <strong>Read-Only</strong>")
		if forms := writeForms(res.body); len(forms) > 0 {
			t.Fatalf("a read-only viewer is shown forms that change things: %q", forms)
		}
		res.mustNotContain(t, "Change access level", "Create schedule", "Add a license", "Unit cost", "EUR 99.00", "<button type=\"submit\" aria-label=\"Verify")
		for _, p := range []string{"/assets", "/findings", "/scans", "/reports"} {
			sub := w.get(w.path(p))
			if sub.status != http.StatusOK {
				t.Fatalf("GET %s: %d", p, sub.status)
			}
			if forms := writeForms(sub.body); len(forms) > 0 {
				t.Fatalf("%s shows a read-only viewer forms that change things: %q", p, forms)
			}
		}
		add := w.post(w.path("/assets"), url.Values{"assets": {"sneaky.acme.example"}})
		if add.status != http.StatusForbidden {
			t.Fatalf("POST assets as a read-only viewer: %d, want 403", add.status)
		}
		if n := w.assetCount(t); n != 3 {
			t.Fatalf("assets = %d after a refused POST, want 3", n)
		}
	})
	t.Run("AReadOnlyCustomerAdminIsCappedToViewing", func(t *testing.T) {
		w := newCustWorld(t)
		w.addAssets(t, 1, "acme.example")
		w.customerUser(t, tenancy.RoleCustomerAdmin, portal.AccessReadOnly)
		res := w.get(w.path(""))
		if forms := writeForms(res.body); res.status != http.StatusOK || len(forms) > 0 {
			t.Fatalf("status %d, forms %q: want 200 and no forms", res.status, forms)
		}
		if add := w.post(w.path("/assets"), url.Values{"assets": {"sneaky.acme.example"}}); add.status != http.StatusForbidden || w.assetCount(t) != 1 {
			t.Fatalf("POST assets: %d, %d assets; want 403 and nothing written", add.status, w.assetCount(t))
		}
	})
	t.Run("AFullAccessCustomerAdminManagesAssetsButNotLicenses", func(t *testing.T) {
		w := newCustWorld(t)
		w.license(t, portal.ModelPerAsset, 50, portal.OverageSoft)
		w.customerUser(t, tenancy.RoleCustomerAdmin, portal.AccessFull)
		res := w.get(w.path(""))
		res.mustContain(t, `action="`+w.path("/assets")+`"`, "Create schedule")
		res.mustNotContain(t, "Add a license", "Change access level", "Unit cost", "EUR 99.00")
		add := w.post(w.path("/assets"), url.Values{"assets": {"www.acme.example\napi.acme.example"}})
		if add.status != http.StatusOK {
			t.Fatalf("POST assets: %d\n%s", add.status, add.body)
		}
		add.mustContain(t, "2 added")
		if n := w.assetCount(t); n != 2 {
			t.Fatalf("assets = %d, want 2", n)
		}
		lic := w.post(w.path("/licenses"), url.Values{"model": {"per_scan"}, "quantity": {"5"}, "endUserPrice.amount": {"10"}, "endUserPrice.currency": {"EUR"}})
		if lic.status != http.StatusForbidden {
			t.Fatalf("POST licenses as a customer admin: %d, want 403", lic.status)
		}
	})
	t.Run("APartnerMemberSeesGrantedCustomersWithoutPrices", func(t *testing.T) {
		w := newCustWorld(t)
		w.license(t, portal.ModelPerAsset, 50, portal.OverageSoft)
		other := w.newCustomer(t, "Other Ltd")
		email, role := "member@a.example", tenancy.RolePartnerMember
		member := w.person(w.ctx, portal.UserInput{Email: &email, Role: &role})
		if _, err := w.s.Grants.Set(w.ctx, member.UserID, &[]string{w.customer.ID}); err != nil {
			t.Fatal(err)
		}
		w.signIn(email, Password)
		res := w.get(w.path(""))
		if res.status != http.StatusOK {
			t.Fatalf("granted customer: %d", res.status)
		}
		res.mustContain(t, `action="`+w.path("/assets")+`"`, "EUR 99.00 per month")
		res.mustNotContain(t, "Add a license", "Change access level", "Unit cost")
		if res := w.get(Base + "/customers/" + other.ID); res.status != http.StatusNotFound {
			t.Fatalf("a customer not granted: %d, want 404", res.status)
		}
	})
	t.Run("AnotherPartnersCustomerIsNotFound", func(t *testing.T) {
		w := newCustWorld(t)
		op := w.as(ddbtest.SuperAdmin)
		p, err := w.s.Partners.Create(op, portal.PartnerInput{Name: ptr("Partner B"), ContactEmail: ptr("ops@b.example"), Country: ptr("FR")})
		if err != nil {
			t.Fatal(err)
		}
		bEmail := "admin@b.example"
		bAdmin := w.person(op, portal.UserInput{Email: &bEmail, Role: rolePtr(tenancy.RolePartnerAdmin), PartnerID: &p.ID})
		name, mail := "B's Customer", "it@bcustomer.example"
		theirs, err := w.s.Customers.Create(w.as(bAdmin), portal.CustomerInput{Name: &name, ContactEmail: &mail})
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"", "/assets", "/findings", "/scans", "/reports"} {
			res := w.get(Base + "/customers/" + theirs.ID + path)
			if res.status != http.StatusNotFound {
				t.Fatalf("GET another partner's customer%s: %d, want 404", path, res.status)
			}
			res.mustNotContain(t, "B&#39;s Customer")
		}
		if res := w.post(Base+"/customers/"+theirs.ID+"/assets", url.Values{"assets": {"intruder.example"}}); res.status != http.StatusNotFound {
			t.Fatalf("POST assets to another partner's customer: %d, want 404", res.status)
		}
		page, err := w.s.Assets.List(w.as(bAdmin), theirs.ID, "10", "")
		if err != nil || len(page.Items) != 0 {
			t.Fatalf("their assets: %d (%v), want none", len(page.Items), err)
		}
	})
}

func TestCustomerAssets(t *testing.T) {
	t.Run("BulkAddShowsEachLinesOutcome", func(t *testing.T) {
		w := newCustWorld(t)
		w.addAssets(t, 1, "acme.example") // host0.acme.example exists
		res := w.post(w.path("/assets"), url.Values{"assets": {"www.acme.example\n\nnot a host!\nhost0.acme.example\nWWW.acme.example\nhttp://127.0.0.1/"}})
		if res.status != http.StatusOK {
			t.Fatalf("status %d, want 200\n%s", res.status, res.body)
		}
		res.mustContain(t, "1 added, 2 already monitored or repeated, 2 not added.",
			`<td class="num">1</td><td>www.acme.example</td><td><span class="badge active">Added</span>`,
			`<td class="num">3</td><td>not a host!</td><td><span class="badge suspended">Invalid</span>`,
			`<td class="num">4</td><td>host0.acme.example</td><td><span class="badge archived">Duplicate</span>`,
			`<td class="num">5</td><td>WWW.acme.example</td><td><span class="badge archived">Duplicate</span>`,
			`<td class="num">6</td><td>http://127.0.0.1/</td><td><span class="badge suspended">Invalid</span>`)
		// the lines not added are kept in the box, to correct them
		res.mustContain(t, "not a host!\nhttp://127.0.0.1/</textarea>")
		if n := w.assetCount(t); n != 2 {
			t.Fatalf("assets = %d, want 2", n)
		}
	})
	t.Run("OnlyInvalidLinesAre422AndWriteNothing", func(t *testing.T) {
		w := newCustWorld(t)
		res := w.post(w.path("/assets"), url.Values{"assets": {"not a host!\n300.1.2.3"}})
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422", res.status)
		}
		res.mustContain(t, `id="f-assets-error"`, "No asset was added", "Invalid")
		if n := w.assetCount(t); n != 0 {
			t.Fatalf("assets = %d, want 0", n)
		}
		empty := w.post(w.path("/assets"), url.Values{"assets": {"  \n "}})
		if empty.status != http.StatusUnprocessableEntity {
			t.Fatalf("empty: %d, want 422", empty.status)
		}
		empty.mustContain(t, `<p class="field-error" id="f-assets-error">Enter at least one asset, one per line.</p>`)
	})
	t.Run("ACSRFMismatchIsRefused", func(t *testing.T) {
		w := newCustWorld(t)
		res := w.post(w.path("/assets"), url.Values{"assets": {"www.acme.example"}, "csrf": {"wrong"}})
		if res.status != http.StatusForbidden || w.assetCount(t) != 0 {
			t.Fatalf("status %d with %d assets, want 403 and nothing written", res.status, w.assetCount(t))
		}
	})
	t.Run("UnverifiedAssetsShowWhatToPublish", func(t *testing.T) {
		w := newCustWorld(t)
		w.addAssets(t, 1, "acme.example")
		page, _ := w.s.Assets.List(w.ctx, w.customer.ID, "10", "")
		a := page.Items[0]
		for _, p := range []string{"", "/assets"} {
			res := w.get(w.path(p))
			res.mustContain(t, `<code class="token">`+a.VerificationToken+`</code>`,
				"DNS TXT record on <code>host0.acme.example</code> with the value <code>"+verify.TXTPrefix+a.VerificationToken+"</code>",
				"https://host0.acme.example"+verify.WellKnownPath,
				`action="`+w.path("/assets/"+a.ID+"/verify")+`"`)
		}
	})
	t.Run("VerifyChecksAndSaysWhatItFound", func(t *testing.T) {
		w := newCustWorld(t)
		w.s.SetAssetPolicy(asset.Policy{AllowPrivate: true}, "") // the site below is on 127.0.0.1
		token := ""
		site := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if r.URL.Path == verify.WellKnownPath && token != "" {
				fmt.Fprintln(rw, token)
				return
			}
			http.NotFound(rw, r)
		}))
		defer site.Close()
		added, err := w.s.Assets.Add(w.ctx, w.customer.ID, []portal.AssetInput{{Value: ptr(site.URL + "/")}})
		if err != nil || added.Created != 1 {
			t.Fatalf("add: %v", err)
		}
		a := added.Results[0].Asset
		res := w.post(w.path("/assets/"+a.ID+"/verify"), url.Values{"next": {w.path("/assets")}})
		if res.status != http.StatusSeeOther || res.location() != w.path("/assets") {
			t.Fatalf("verify: %d to %q, want 303 back to the assets page", res.status, res.location())
		}
		w.get(res.location()).mustContain(t, a.Value+" is not verified yet:", "404")
		token = a.VerificationToken
		res = w.post(w.path("/assets/"+a.ID+"/verify"), url.Values{})
		if res.status != http.StatusSeeOther {
			t.Fatalf("verify: %d", res.status)
		}
		w.get(res.location()).mustContain(t, a.Value+" is verified (file on the web server).")
		if got, _ := w.s.Assets.Get(w.ctx, w.customer.ID, a.ID); !got.Verified {
			t.Fatal("the asset is not verified")
		}
	})
	t.Run("DeleteRemovesTheAsset", func(t *testing.T) {
		w := newCustWorld(t)
		w.addAssets(t, 2, "acme.example")
		page, _ := w.s.Assets.List(w.ctx, w.customer.ID, "10", "")
		res := w.post(w.path("/assets/"+page.Items[0].ID+"/delete"), url.Values{})
		if res.status != http.StatusSeeOther {
			t.Fatalf("delete: %d", res.status)
		}
		w.get(res.location()).mustContain(t, "Deleted "+page.Items[0].Value)
		if n := w.assetCount(t); n != 1 {
			t.Fatalf("assets = %d, want 1", n)
		}
	})
}

func TestCustomerLicenses(t *testing.T) {
	w := newCustWorld(t)
	count := func(t *testing.T) int {
		t.Helper()
		ls, err := w.s.Licenses.List(w.ctx, w.customer.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(ls)
	}
	form := func(quantity string) url.Values {
		return url.Values{"model": {"per_asset"}, "quantity": {quantity}, "billingPeriod": {"monthly"}, "overagePolicy": {"soft"},
			"endUserPrice.amount": {"12.50"}, "endUserPrice.currency": {"EUR"}}
	}
	t.Run("AnInvalidQuantityIs422NextToTheField", func(t *testing.T) {
		res := w.post(w.path("/licenses"), form("0"))
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422", res.status)
		}
		res.mustContain(t, `aria-describedby="f-quantity-error"`, `<p class="field-error" id="f-quantity-error">must be from 1 to 1000000</p>`,
			"<details class=\"cust-add\" open>", `value="12.50"`)
		res = w.post(w.path("/licenses"), form("fifty"))
		res.mustContain(t, `<p class="field-error" id="f-quantity-error">must be a whole number, such as 50</p>`)
		if res.status != http.StatusUnprocessableEntity || count(t) != 0 {
			t.Fatalf("status %d with %d licenses, want 422 and nothing written", res.status, count(t))
		}
	})
	t.Run("APartnerAdminAddsALicense", func(t *testing.T) {
		res := w.post(w.path("/licenses"), form("50"))
		if res.status != http.StatusSeeOther {
			t.Fatalf("status %d\n%s", res.status, res.body)
		}
		w.get(res.location()).mustContain(t, "Added a per asset license", "0 of 50 assets used (0%)", "EUR 12.50 per month")
		ls, _ := w.s.Licenses.List(w.ctx, w.customer.ID)
		if len(ls) != 1 || ls[0].Quantity != 50 || ls[0].EndUserPrice.Amount != 1250 {
			t.Fatalf("licenses = %+v, want one of 50 at 1250 cents", ls)
		}
	})
	t.Run("ACSRFMismatchIsRefused", func(t *testing.T) {
		f := form("5")
		f.Set("csrf", "wrong")
		if res := w.post(w.path("/licenses"), f); res.status != http.StatusForbidden || count(t) != 1 {
			t.Fatalf("status %d with %d licenses, want 403 and nothing written", res.status, count(t))
		}
	})
}

// TestCustomerScansFindingsAndReports runs a scan in-process (the
// services' in-process launcher) against a local web site with weak
// headers, with reports kept in a local S3, so the pages show real
// findings and a real report.
func TestCustomerScansFindingsAndReports(t *testing.T) {
	w := newCustWorld(t)
	w.s.SetAssetPolicy(asset.Policy{AllowPrivate: true}, "")
	s3, err := locals3.Start(locals3.Config{Bucket: "console-reports"})
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	w.s.UseReportBucket(s3.Client(), s3.Bucket)
	var token string
	site := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == verify.WellKnownPath {
			fmt.Fprintln(rw, token)
			return
		}
		rw.Header().Set("Server", "Apache/2.4.41 (Ubuntu)")
		fmt.Fprintln(rw, "<html>hello</html>")
	}))
	defer site.Close()
	w.license(t, portal.ModelPerScan, 10, portal.OverageSoft)
	added, err := w.s.Assets.Add(w.ctx, w.customer.ID, []portal.AssetInput{{Value: ptr(site.URL + "/")}})
	if err != nil {
		t.Fatal(err)
	}
	a := added.Results[0].Asset
	token = a.VerificationToken
	if v, err := w.s.Assets.Verify(w.ctx, w.customer.ID, a.ID); err != nil || !v.Verified {
		t.Fatalf("verify: %v", err)
	}
	light := scan.ProfileLight
	sc, err := w.s.Scans.Create(w.ctx, w.customer.ID, portal.ScanInput{Profile: &light, Targets: &portal.ScanTargets{All: true}})
	if err != nil {
		t.Fatal(err)
	}
	reportID := portal.ReportIDOf(sc.ID)
	findings, _ := w.s.Findings.List(w.ctx, w.customer.ID, portal.FindingParams{CheckID: "http.server-disclosure"})
	if len(findings.Items) != 1 {
		t.Fatalf("server disclosure findings = %d, want 1", len(findings.Items))
	}
	f := findings.Items[0]

	t.Run("TheCustomerPageShowsScansFindingsAndReports", func(t *testing.T) {
		res := w.get(w.path(""))
		res.mustContain(t, `<span class="badge active">Completed</span>`, "Server software version disclosed", a.Value,
			`href="`+w.path("/reports/"+reportID)+`"`, "1 of 10 scans used (10%)", `href="`+w.path("/reports")+`">All reports</a>`)
		w.get(w.path("/scans")).mustContain(t, "Completed", "Open report")
	})
	t.Run("AFindingsStatusChangesWithAReason", func(t *testing.T) {
		res := w.post(w.path("/findings/"+f.ID), url.Values{"status": {"accepted_risk"}, "reason": {" "}, "next": {w.path("/findings")}})
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("without a reason: %d, want 422", res.status)
		}
		res.mustContain(t, `<p class="field-error" id="rs-`+f.ID+`-error">is required for accepted_risk: say why</p>`, `aria-describedby="rs-`+f.ID+`-error"`)
		if got, _ := w.s.Findings.List(w.ctx, w.customer.ID, portal.FindingParams{CheckID: f.CheckID}); got.Items[0].Status != portal.FindingOpen {
			t.Fatalf("status = %s after a refused change, want open", got.Items[0].Status)
		}
		bad := w.post(w.path("/findings/"+f.ID), url.Values{"status": {"accepted_risk"}, "reason": {"needed"}, "csrf": {"wrong"}})
		if bad.status != http.StatusForbidden {
			t.Fatalf("wrong CSRF: %d, want 403", bad.status)
		}
		res = w.post(w.path("/findings/"+f.ID), url.Values{"status": {"accepted_risk"}, "reason": {"the load balancer requires the banner"}, "next": {w.path("/findings")}})
		if res.status != http.StatusSeeOther || res.location() != w.path("/findings") {
			t.Fatalf("change: %d to %q", res.status, res.location())
		}
		w.get(res.location()).mustContain(t, "is now accepted risk.", "Reason: the load balancer requires the banner")
		got, _ := w.s.Findings.List(w.ctx, w.customer.ID, portal.FindingParams{CheckID: f.CheckID})
		if got.Items[0].Status != portal.FindingAcceptedRisk {
			t.Fatalf("status = %s, want accepted_risk", got.Items[0].Status)
		}
		w.get(w.path("/findings?status=accepted_risk")).mustContain(t, "Server software version disclosed")
	})
	t.Run("TheReportsPageListsAndOpensTheReport", func(t *testing.T) {
		res := w.get(w.path("/reports"))
		if res.status != http.StatusOK {
			t.Fatalf("reports page: %d", res.status)
		}
		res.mustContain(t, `href="`+w.path("/reports/"+reportID)+`"`, "Open report")
		doc := w.get(w.path("/reports/" + reportID))
		if doc.status != http.StatusOK {
			t.Fatalf("open report: %d\n%s", doc.status, doc.body)
		}
		if got := doc.headers["Content-Security-Policy"]; got != custReportCSP {
			t.Fatalf("report CSP = %q, want %q", got, custReportCSP)
		}
		if got := doc.headers["Content-Type"]; got != "text/html; charset=utf-8" {
			t.Fatalf("Content-Type = %q", got)
		}
		// the report is its own page (not in the console's layout), styled by its inline <style>
		if !strings.Contains(doc.body, "<style") || !strings.Contains(doc.body, "Acme GmbH") || strings.Contains(doc.body, "Sign out") {
			t.Fatalf("the report page is not the report document:\n%s", doc.body)
		}
		if res := w.get(w.path("/reports/rpt_01J0000000000000000000000Z")); res.status != http.StatusNotFound {
			t.Fatalf("an unknown report: %d, want 404", res.status)
		}
		// the console's own pages keep the strict policy
		if csp := w.get(w.path("/reports")).headers["Content-Security-Policy"]; !strings.Contains(csp, "style-src 'self'") {
			t.Fatalf("the reports page's CSP = %q", csp)
		}
	})
	t.Run("AReadOnlyViewerOpensReportsToo", func(t *testing.T) {
		w.customerUser(t, tenancy.RoleCustomerViewer, portal.AccessReadOnly)
		if res := w.get(w.path("/reports/" + reportID)); res.status != http.StatusOK {
			t.Fatalf("open report as a viewer: %d", res.status)
		}
		res := w.get(w.path("/findings"))
		if forms := writeForms(res.body); len(forms) > 0 {
			t.Fatalf("findings page shows a viewer forms: %q", forms)
		}
		if res := w.post(w.path("/findings/"+f.ID), url.Values{"status": {"open"}}); res.status != http.StatusForbidden {
			t.Fatalf("a viewer changing a finding: %d, want 403", res.status)
		}
	})
}

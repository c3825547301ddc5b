package devserver_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/partnerportal/portal/internal/browsertest"
	"github.com/partnerportal/portal/internal/devserver"
)

// TestTheConsoleInTheBrowser drives the console in headless Chromium
// against the local stack (the same binaries, gateway and authorizer as
// `make run`), signed in as the seeded demo admin with the password `make
// run` prints. Every step saves a screenshot under .artifacts/screenshots/,
// runs axe-core (no serious or critical violation) and fails on a console
// error or a failed request.
func TestTheConsoleInTheBrowser(t *testing.T) {
	st := startStack(t, t.TempDir(), fmt.Sprintf("browser_%d", time.Now().UnixNano()))
	defer st.Close()
	admin := api{t, st.URL, st.Credentials.PartnerAdminKey}
	// A second customer to schedule with the first, made through the API.
	admin.do("POST", "/v1/customers", map[string]any{"name": "Beta Bank", "contactEmail": "it@beta.example", "timezone": "America/New_York", "country": "US"}).want(t, 201)
	b := browsertest.Start(t)

	t.Run("ThePartnerGuidesSentences", func(t *testing.T) { partnerGuide(t, b.NewPage(t), st) })
	t.Run("EveryPageAt1024PixelsWide", func(t *testing.T) { everyPage(t, b.NewPage(t), st) })
}

// Elements are found by XPath, mostly by what a person reads on them.
func click(xpath string) chromedp.Action[chromedp.Void] { return chromedp.Click(xpath) }
func see(xpath string) chromedp.Action[chromedp.Void]   { return chromedp.WaitVisible(xpath) }

// text returns the visible text of the first element matching css.
func text(t *testing.T, p *browsertest.Page, css string) string {
	t.Helper()
	s, err := chromedp.Run(p.Ctx(), chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("read %s: %v", css, err)
	}
	return s
}

// partnerGuide runs the partner guide's sentences, signed in as the demo
// partner admin; it leaves Acme GmbH (suspended, a per-asset license) and
// schedules for it and Beta Bank.
func partnerGuide(t *testing.T, p *browsertest.Page, st *devserver.Stack) {

	p.Step("01 sign-in page",
		chromedp.Navigate(st.Credentials.ConsoleURL),
		see(`//h1[normalize-space()='Sign in']`))
	p.Step("02 signed in",
		chromedp.SendKeys(chromedp.ID("f-email"), st.Credentials.ConsoleEmail),
		chromedp.SendKeys(chromedp.ID("f-password"), st.Credentials.ConsolePassword),
		click(`//button[normalize-space()='Sign in']`),
		see(`//h1[normalize-space()='Dashboard']`))

	// Creating a Customer: Navigate to Customers in the sidebar. Click +
	// New Customer. Fill in customer details and assign licenses. Click Create.
	p.Step("03 customers in the sidebar",
		click(`//nav[@aria-label='Main']//a[normalize-space()='Customers']`),
		see(`//h1[normalize-space()='Customers']`))
	p.Step("04 new customer",
		click(`//a[normalize-space()='+ New Customer']`),
		see(`//h1[contains(., 'New customer') or contains(., 'New Customer')]`))
	p.Step("05 details and a license",
		chromedp.SendKeys(chromedp.ID("f-name"), "Acme GmbH"),
		chromedp.SendKeys(chromedp.ID("f-contactEmail"), "it@acme.example"),
		chromedp.SetValue(chromedp.ID("f-country"), "DE"),
		chromedp.SetValue(chromedp.ID("f-timezone"), "Europe/Berlin"),
		chromedp.SetValue(chromedp.ID("lic-0-model"), "per_asset"),
		chromedp.SendKeys(chromedp.ID("lic-0-quantity"), "50"),
		chromedp.SendKeys(chromedp.ID("lic-0-amount"), "49.00"),
		chromedp.SetValue(chromedp.ID("lic-0-currency"), "EUR"))
	p.Step("06 created",
		click(`//button[normalize-space()='Create']`),
		see(`//h1[contains(., 'Acme GmbH')]`))
	if got := text(t, p, `main`); !strings.Contains(got, "Per asset") && !strings.Contains(got, "per_asset") {
		t.Fatalf("the new customer's page shows no per-asset license:\n%s", got)
	}

	// Managing at Scale: sort and filter by status, plan, or last scan
	// date; the three-dot menu's quick actions; the document icon.
	p.Step("07 customer list",
		click(`//nav[@aria-label='Main']//a[normalize-space()='Customers']`),
		see(`//a[normalize-space()='Acme GmbH']`))
	p.Step("08 sorted by last scan",
		click(`//th/a[starts-with(normalize-space(), 'Last scan')]`),
		see(`//th[@aria-sort][starts-with(normalize-space(), 'Last scan')]`))
	p.Step("09 filtered by plan",
		chromedp.SetValue(chromedp.ID("f-plan"), "per_asset"),
		click(`//button[normalize-space()='Apply filters']`),
		see(`//a[normalize-space()='Acme GmbH']`))
	if got := text(t, p, `table`); strings.Contains(got, "Beta Bank") {
		t.Fatalf("filtered by the per-asset plan, the list still shows Beta Bank (no license):\n%s", got)
	}
	p.Step("10 three-dot menu",
		click(`//summary[@aria-label='Actions for Acme GmbH']`),
		see(`//details[summary[@aria-label='Actions for Acme GmbH']]//button[normalize-space()='Suspend']`))
	p.Step("11 suspended",
		click(`//details[summary[@aria-label='Actions for Acme GmbH']]//button[normalize-space()='Suspend']`),
		see(`//p[@role='status'][contains(., 'suspended')]`))
	p.Step("12 see reports",
		click(`//a[@aria-label='See reports for Acme GmbH']`),
		see(`//h1[contains(., 'Acme GmbH')]`))
	if got := text(t, p, `h1`); !strings.Contains(strings.ToLower(got), "reports") {
		t.Fatalf("the document icon opened %q, not Acme GmbH's reports", got)
	}

	// Scan Automation: select multiple customers. Navigate to Scans >
	// Schedules and click Create Schedule. Choose scan profile, targets,
	// frequency and preferred start time.
	p.Step("13 scans schedules",
		click(`//nav[@aria-label='Main']//a[normalize-space()='Schedules']`),
		see(`//a[normalize-space()='Create Schedule']`))
	p.Step("14 create schedule",
		click(`//a[normalize-space()='Create Schedule']`),
		see(`//button[normalize-space()='Preview next runs']`))
	p.Step("15 two customers and a weekly time",
		click(`//div[@id='customer-choices']//label[contains(., 'Acme GmbH')]/input`),
		click(`//div[@id='customer-choices']//label[contains(., 'Beta Bank')]/input`),
		chromedp.SetValue(chromedp.ID("f-frequency"), "weekly"),
		chromedp.SetValue(chromedp.ID("f-startTime"), "02:30"),
		click(`//button[normalize-space()='Preview next runs']`),
		see(`//h2[normalize-space()='Next runs']`))
	p.Step("16 schedules created",
		click(`//button[normalize-space()='Create Schedule']`),
		see(`//p[@role='status'][contains(., '2 schedules')]`))

	p.Step("17 signed out",
		click(`//button[normalize-space()='Sign out']`),
		see(`//h1[normalize-space()='Sign in']`))
}

// everyPage visits every page of the console at 1024 pixels wide, as each
// kind of person sees it, after partnerGuide: each visit is a step, so
// each page is checked by axe and for console errors and failed requests.
func everyPage(t *testing.T, p *browsertest.Page, st *devserver.Stack) {
	p.SetViewport(1024, 800)
	super := api{t, st.URL, st.Credentials.SuperAdminKey}
	signIn := func(email, password string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.Navigate(st.Credentials.ConsoleURL),
			chromedp.SendKeys(chromedp.ID("f-email"), email),
			chromedp.SendKeys(chromedp.ID("f-password"), password),
			click(`//button[normalize-space()='Sign in']`),
		)
	}
	signOut := click(`//button[normalize-space()='Sign out']`)
	// acceptInvitation opens an invitation link and sets a password.
	acceptInvitation := func(url string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.Navigate(url),
			chromedp.SendKeys(chromedp.ID("f-password"), "a long enough password"),
			chromedp.SendKeys(chromedp.ID("f-confirm"), "a long enough password"),
			click(`//button[normalize-space()='Set password and sign in']`),
		)
	}

	p.AllowStatus(401)
	p.Step("01 wrong password", signIn(st.Credentials.ConsoleEmail, "not the password"), see(`//*[@role='alert'][contains(., 'incorrect')]`))
	p.Step("02 dashboard", signIn(st.Credentials.ConsoleEmail, st.Credentials.ConsolePassword), see(`//h1[normalize-space()='Dashboard']`))
	p.Step("03 switch to a customer",
		chromedp.SendKeys(chromedp.ID("switch-q"), "Beta"), click(`//button[normalize-space()='Switch']`),
		see(`//h1[contains(., 'Beta Bank')]`))
	p.Step("04 customer page", click(`//nav[@aria-label='Main']//a[normalize-space()='Customers']`), click(`//a[normalize-space()='Acme GmbH']`),
		see(`//h1[contains(., 'Acme GmbH')]`))
	p.Step("05 assets added with verification instructions",
		click(`//summary[normalize-space()='Add assets']`),
		chromedp.SendKeys(chromedp.ID("f-assets"), "www.acme.example\nnot a valid asset!"),
		click(`//button[normalize-space()='Add assets']`),
		see(`//*[contains(., 'www.acme.example')]`))
	acme := customerID(t, st, "Acme GmbH")
	for i, sub := range []string{"assets", "findings", "scans", "reports", "edit", "access"} {
		p.Step(fmt.Sprintf("%02d customer %s", 6+i, sub), chromedp.Navigate(st.Credentials.ConsoleURL+"customers/"+acme+"/"+sub), see(`//h1`))
	}
	p.AllowStatus(422)
	p.Step("12 new customer with an error", chromedp.Navigate(st.Credentials.ConsoleURL+"customers/new"),
		chromedp.SetValue(chromedp.ID("f-name"), "Gamma"), chromedp.SetValue(chromedp.ID("f-contactEmail"), "it@gamma.example"),
		chromedp.SetValue(chromedp.ID("f-country"), "ZZ"), // no such country: the service's error, next to the field
		click(`//button[normalize-space()='Create']`), see(`//p[@id='f-country-error']`))
	for i, page := range []string{"scans/schedules", "scans/schedules/new", "alerts", "margins", "users", "audit", "settings"} {
		p.Step(fmt.Sprintf("%02d %s", 13+i, strings.ReplaceAll(page, "/", " ")), chromedp.Navigate(st.Credentials.ConsoleURL+page), see(`//h1`))
	}

	// A read-only customer user of Beta Bank, invited in the console.
	p.Step("20 invite a customer viewer", chromedp.Navigate(st.Credentials.ConsoleURL+"users"),
		chromedp.SendKeys(chromedp.ID("f-email"), "viewer@beta.example"),
		chromedp.SetValue(chromedp.ID("f-role"), "customer_viewer"),
		chromedp.SetValue(chromedp.ID("f-customerId"), customerID(t, st, "Beta Bank")),
		click(`//button[normalize-space()='Invite user']`), see(`//*[@id='invitation-link']`))
	link := text(t, p, "#invitation-link")
	p.Step("21 beta read-only", chromedp.Navigate(st.Credentials.ConsoleURL+"customers/"+customerID(t, st, "Beta Bank")+"/access"),
		click(`//input[@id='level-read_only']`), click(`//button[normalize-space()='Save access level']`), see(`//p[@role='status']`))
	p.Step("22 signed out", signOut, see(`//h1[normalize-space()='Sign in']`))
	p.Step("23 invitation", chromedp.Navigate(link), see(`//h1[normalize-space()='Set your password']`))
	p.Step("24 the viewer's read-only customer page", acceptInvitation(link), see(`//h1[contains(., 'Beta Bank')]`))
	if n, err := chromedp.Run(p.Ctx(), chromedp.Evaluate[int](`document.querySelectorAll("main form[method=post]").length`)); err != nil || n != 0 {
		t.Fatalf("a read-only customer viewer's page has %d forms that change things (%v), want none", n, err)
	}
	p.Step("25 the viewer's schedules", click(`//nav[@aria-label='Main']//a[normalize-space()='Schedules']`), see(`//h1`))

	// A customer user of Acme GmbH, whose portal access is disabled.
	adminAPI := api{t, st.URL, st.Credentials.PartnerAdminKey}
	inv := adminAPI.do("POST", "/v1/users", map[string]any{"email": "viewer@acme.example", "role": "customer_viewer", "customerId": acme}).want(t, 201)
	p.Step("26 signed out again", signOut, see(`//h1[normalize-space()='Sign in']`))
	p.AllowStatus(403)
	p.Step("27 access disabled", acceptInvitation(invitationURL(t, inv)), see(`//h1[normalize-space()='Portal access is disabled']`))

	// A super admin's Settings.
	inv = super.do("POST", "/v1/users", map[string]any{"email": "operator2@partner-portal.test", "role": "super_admin"}).want(t, 201)
	p.Run(chromedp.Navigate(st.Credentials.ConsoleURL + "sign-in"))
	p.Step("28 super admin", acceptInvitation(invitationURL(t, inv)), see(`//h1[normalize-space()='Dashboard']`))
	p.Step("29 settings", click(`//nav[@aria-label='Main']//a[normalize-space()='Settings']`), see(`//button[normalize-space()='Save pricing']`))
	p.Step("30 platform users", chromedp.Navigate(st.Credentials.ConsoleURL+"users"), see(`//h1`))
}

// customerID returns the ID of the demo partner's customer named name.
func customerID(t *testing.T, st *devserver.Stack, name string) string {
	t.Helper()
	r := api{t, st.URL, st.Credentials.PartnerAdminKey}.do("GET", "/v1/customers?q="+strings.ReplaceAll(name, " ", "%20"), nil).want(t, 200)
	items, _ := r.body["items"].([]any)
	for _, it := range items {
		if c, _ := it.(map[string]any); c["name"] == name {
			return c["id"].(string)
		}
	}
	t.Fatalf("no customer %q", name)
	return ""
}

// invitationURL returns the link of the invitation a POST /v1/users answered.
func invitationURL(t *testing.T, r reply) string {
	t.Helper()
	inv, _ := r.body["invitation"].(map[string]any)
	url, _ := inv["url"].(string)
	if url == "" {
		t.Fatalf("no invitation URL in %s", r.raw)
	}
	return url
}

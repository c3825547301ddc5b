package devserver_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/partnerportal/portal/internal/browsertest"
)

// TestThePartnerGuideInTheBrowser runs the partner guide's sentences in
// headless Chromium against the local stack (the same binaries, gateway
// and authorizer as `make run`), signed in as the seeded demo admin with
// the password `make run` prints. Every step saves a screenshot under
// .artifacts/screenshots/, runs axe-core (no serious or critical
// violation) and fails on a console error or a failed request.
func TestThePartnerGuideInTheBrowser(t *testing.T) {
	st := startStack(t, t.TempDir(), fmt.Sprintf("browser_%d", time.Now().UnixNano()))
	defer st.Close()
	admin := api{t, st.URL, st.Credentials.PartnerAdminKey}
	// A second customer to schedule with the first, made through the API.
	admin.do("POST", "/v1/customers", map[string]any{"name": "Beta Bank", "contactEmail": "it@beta.example", "timezone": "America/New_York", "country": "US"}).want(t, 201)

	b := browsertest.Start(t)
	p := b.NewPage(t)
	// Elements are found by XPath, mostly by what a person reads on them.
	click := func(xpath string) chromedp.Action[chromedp.Void] { return chromedp.Click(xpath) }
	see := func(xpath string) chromedp.Action[chromedp.Void] { return chromedp.WaitVisible(xpath) }
	text := func(css string) string {
		t.Helper()
		s, err := chromedp.Run(p.Ctx(), chromedp.Text(chromedp.CSS(css)))
		if err != nil {
			t.Fatalf("read %s: %v", css, err)
		}
		return s
	}

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
	if got := text(`main`); !strings.Contains(got, "Per asset") && !strings.Contains(got, "per_asset") {
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
	if got := text(`table`); strings.Contains(got, "Beta Bank") {
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
	if got := text(`h1`); !strings.Contains(strings.ToLower(got), "reports") {
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

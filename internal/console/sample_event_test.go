package console

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/sampleevents"
)

// The console's sample event (events/console/customers-list.json, for
// `sam local invoke -e … ConsoleFunction`) replays through the real
// handler: the sample partner admin's customer list, filtered by plan.
func TestSampleEventServesTheCustomerList(t *testing.T) {
	var ev events.APIGatewayV2HTTPRequest
	sampleevents.Read(t, "console/customers-list.json", &ev)
	res, err := New(sampleevents.Services(t)).Handle(context.Background(), ev)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("status %d, %v:\n%s", res.StatusCode, err, res.Body)
	}
	if got := res.Headers["Content-Type"]; !strings.HasPrefix(got, "text/html") {
		t.Fatalf("Content-Type %q, want HTML", got)
	}
	for _, want := range []string{"<h1>Customers</h1>", `/console/customers/` + sampleevents.LicensedID + `"`, `aria-sort="descending"`} {
		if !strings.Contains(res.Body, want) {
			t.Fatalf("the page does not contain %q:\n%s", want, res.Body)
		}
	}
	if strings.Contains(res.Body, `/console/customers/`+sampleevents.CustomerID+`"`) {
		t.Fatal("filtered by the per-asset plan, the page lists the customer without a license")
	}
}

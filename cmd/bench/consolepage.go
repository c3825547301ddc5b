package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/console"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/httpapi"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// consolePageSize is the console's customer list page (internal/console).
const consolePageSize = 25

// consolePage is the customer list page of the console at the measured
// partner's size: what one page view costs in DynamoDB calls and bytes.
type consolePage struct {
	Customers       int
	Rows            int
	HTMLBytes       int
	ConsoleCalls    []dynamo.Call // the console function's calls for the page
	AuthorizerCalls []dynamo.Call // the authorizer's, for the session cookie
}

// consoleListPage: the console function's GET /console/customers?sort=name
// (first page of 25, signed in with a real session) vs the Query the store
// sends for it (GSI1, Limit 26). The page's DynamoDB calls and size are
// recorded once, under dynamo.WithMeter, for the console and the authorizer.
func (b *bench) consoleListPage(ctx context.Context) (comparison, error) {
	asSuper := tenancy.WithIdentity(ctx, b.fx.superAdmin)
	inv, err := b.svc.Users.Invite(asSuper, b.fx.admin.UserID)
	if err != nil {
		return comparison{}, fmt.Errorf("console: invite: %w", err)
	}
	ns, err := b.svc.Sessions.AcceptInvitation(ctx, inv.Token, "bench password of the admin")
	if err != nil {
		return comparison{}, fmt.Errorf("console: password: %w", err)
	}
	cookie := portal.SessionCookieName + "=" + ns.Token
	authorizer := httpapi.AuthorizerFor(b.svc)
	page := &consolePage{Customers: b.o.customers}
	mctx, m := dynamo.WithMeter(ctx)
	auth, err := authorizer.Handle(mctx, events.APIGatewayV2CustomAuthorizerV2Request{Version: "2.0", Type: "REQUEST", Cookies: []string{cookie}, Headers: map[string]string{}})
	if err != nil || auth.Context["sessionId"] == nil {
		return comparison{}, fmt.Errorf("console: authorizer did not accept the session: %v %v", err, auth.Context)
	}
	page.AuthorizerCalls = m.Calls()

	c := console.New(b.svc)
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "GET /console/{proxy+}", RawPath: "/console/customers", RawQueryString: "sort=name",
		Cookies: []string{cookie}, Headers: map[string]string{"host": "bench.test"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID:  "bench",
			HTTP:       events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/console/customers"},
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: auth.Context},
		},
	}
	mctx, m = dynamo.WithMeter(ctx)
	res, _ := c.Handle(mctx, ev)
	if res.StatusCode != 200 {
		return comparison{}, fmt.Errorf("console: the customer list answered %d: %.300s", res.StatusCode, res.Body)
	}
	page.ConsoleCalls = m.Calls()
	page.HTMLBytes = len(res.Body)
	page.Rows = strings.Count(res.Body, `summary aria-label="Actions for `)
	if page.Rows != consolePageSize {
		return comparison{}, fmt.Errorf("console: the page shows %d customers, want %d", page.Rows, consolePageSize)
	}
	b.consolePage = page

	in := &dynamodb.QueryInput{
		TableName:              aws.String(b.table),
		IndexName:              aws.String("GSI1"),
		KeyConditionExpression: aws.String("GSIPK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: "PARTNER#" + b.fx.partner.ID + "#CUSTOMERS"},
		},
		ScanIndexForward:       aws.Bool(true),
		Limit:                  aws.Int32(consolePageSize + 1),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	}
	api := func() error {
		res, err := c.Handle(ctx, ev)
		if err == nil && res.StatusCode != 200 {
			err = fmt.Errorf("status %d", res.StatusCode)
		}
		return err
	}
	floor := func() error {
		out, err := b.raw.Query(ctx, in)
		if err == nil && len(out.Items) != consolePageSize+1 {
			err = fmt.Errorf("Query returned %d items", len(out.Items))
		}
		return err
	}
	return b.sideBySide("console-list", b.o.listN, "console function, `GET /console/customers?sort=name`: the HTML page of the first 25 of "+thousands(b.o.customers)+" customers (signed in with a session)",
		"raw `Query` the store sends: GSI1, `GSIPK = :pk`, Limit 26, ReturnConsumedCapacity TOTAL", api, floor)
}

// consoleSection reports the console page's DynamoDB calls and size.
func consoleSection(r *result) string {
	p := r.ConsolePage
	if p == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## Console: the customer list at %s customers\n\n", thousands(p.Customers))
	fmt.Fprintf(&b, "One page view of `GET /console/customers?sort=name` (the first %d rows) by a partner admin signed in with a\n", p.Rows)
	fmt.Fprintf(&b, "session; its server time against the floor is the `console-list` row of [Overhead against the floor](#overhead-against-the-floor).\n")
	fmt.Fprintf(&b, "The page is one `Query` for its rows whatever the partner's size: no call per row.\n\n")
	fmt.Fprintf(&b, "| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| HTML size | %s bytes (%.1f KiB), uncompressed |\n", thousands(p.HTMLBytes), float64(p.HTMLBytes)/1024)
	fmt.Fprintf(&b, "| DynamoDB round trips, console function | %d: %s |\n", len(p.ConsoleCalls), callList(p.ConsoleCalls))
	fmt.Fprintf(&b, "| DynamoDB round trips, authorizer (session cookie) | %d: %s |\n", len(p.AuthorizerCalls), callList(p.AuthorizerCalls))
	fmt.Fprintf(&b, "| per page view | %d round trips |\n\n", len(p.ConsoleCalls)+len(p.AuthorizerCalls))
	return b.String()
}

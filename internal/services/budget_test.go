package services_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/httpapi"
	"github.com/partnerportal/portal/internal/sampleevents"
)

// Request budgets after authorization: a read is one round trip, a list page
// one Query, and no route ever scans the table.
func TestRouteBudgets(t *testing.T) {
	s := sampleevents.Services(t)
	budgets := []struct {
		event string
		ops   []string // the DynamoDB operations the route may make, in order
	}{
		{"customers-get.json", []string{"GetItem"}},
		{"customers-list.json", []string{"Query"}},
		{"users-list.json", []string{"Query"}},
		{"customers-create.json", []string{"PutItem", "TransactWriteItems", "UpdateItem"}}, // idempotency claim, customer with its audit entry, stored response
		{"customers-suspend.json", []string{"GetItem", "TransactWriteItems"}},              // read, the change with its audit entry (scan-dispatch pauses its schedules)
	}
	for _, b := range budgets {
		t.Run(b.event, func(t *testing.T) {
			var ev events.APIGatewayV2HTTPRequest
			sampleevents.Read(t, b.event, &ev)
			m, _, _ := app.Declaration().Resolve(ev.RequestContext.HTTP.Method, ev.RawPath)
			h, _ := httpapi.ForFunction(s, m.Function.Name)
			ctx, meter := dynamo.WithMeter(context.Background())
			res, err := h.Handle(ctx, ev)
			if err != nil || res.StatusCode >= 300 {
				t.Fatalf("status %d, %v: %s", res.StatusCode, err, res.Body)
			}
			var got []string
			for _, c := range meter.Calls() {
				got = append(got, c.Operation)
				if c.Capacity <= 0 {
					t.Errorf("%s reported no consumed capacity", c.Operation)
				}
			}
			if strings.Join(got, ",") != strings.Join(b.ops, ",") {
				t.Fatalf("DynamoDB calls = %v, want %v", got, b.ops)
			}
		})
	}
	t.Run("TheAuthorizerReadsOneItemWhenTheKeyWasUsedRecently", func(t *testing.T) {
		var ev events.APIGatewayV2CustomAuthorizerV2Request
		sampleevents.Read(t, "authorizer.json", &ev)
		if _, err := httpapi.AuthorizerFor(s).Handle(context.Background(), ev); err != nil { // records lastUsedAt
			t.Fatal(err)
		}
		ctx, meter := dynamo.WithMeter(context.Background())
		res, err := httpapi.AuthorizerFor(s).Handle(ctx, ev)
		if err != nil || !res.IsAuthorized {
			t.Fatalf("authorized = %v, %v", res.IsAuthorized, err)
		}
		if calls := meter.Calls(); len(calls) != 1 || calls[0].Operation != "GetItem" {
			t.Fatalf("DynamoDB calls = %v, want one GetItem", calls)
		}
	})
}

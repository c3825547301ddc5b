package openapi_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/partnerportal/portal/internal/sampleevents"
)

// (d) The sample API Gateway events in events/ replayed through the real
// handlers, in the order of one tenant's story: every request body the
// API accepts and every answer (status, content type, body, headers) is
// what the document says.
func TestSampleEventsMatchTheDocument(t *testing.T) {
	d := document(t)
	s := sampleevents.Services(t)
	steps := []struct {
		event  string
		status int // 0: a stream event for the usage-stream function
	}{
		{"partners-create.json", 201},
		{"users-create.json", 201},
		{"users-list.json", 200},
		{"customers-create.json", 201},
		{"customers-create.json", 201}, // replayed by Idempotency-Key
		{"customers-create-invalid.json", 400},
		{"customers-list.json", 200},
		{"customers-get.json", 200},
		{"customers-patch.json", 200},
		{"customers-patch.json", 412},
		{"pricing-get.json", 200},
		{"licenses-create.json", 201},
		{"licenses-list.json", 200},
		{"customers-get.json", 200},
		{"pricing-put.json", 200},
		{"pricing-put.json", 412},
		{"licenses-patch.json", 200},
		{"prepaid-create.json", 201},
		{"prepaid-list.json", 200},
		{"customers-create-with-licenses.json", 201},
		{"margins.json", 200},
		{"assets-create.json", 201},
		{"assets-list.json", 200},
		{"usage-get.json", 200},
		{"usage-stream.json", 0},
		{"usage-stream.json", 0},
		{"alerts-list.json", 200},
		{"licenses-revoke.json", 200},
		{"customers-suspend.json", 200},
		{"customers-resume.json", 200},
		{"customers-archive.json", 200},
		{"customers-resume.json", 409},
		{"api-keys-create.json", 201},
		{"api-keys-delete.json", 204},
		{"fallback-unknown-route.json", 404},
		{"fallback-wrong-method.json", 405},
	}
	replayed := map[string]bool{
		// Not HTTP API requests: the authorizer's and scan-dispatch's events.
		"authorizer.json": true, "scan-dispatch-schedule-fire.json": true,
		"scan-dispatch-asset-discovered.json": true, "scan-dispatch-vulndb-updated.json": true,
		"scan-dispatch-customer-status-changed.json": true,
	}
	for i, st := range steps {
		replayed[st.event] = true
		t.Run(strconv.Itoa(i)+"_"+st.event, func(t *testing.T) {
			if st.status == 0 {
				var ev events.DynamoDBEvent
				sampleevents.Read(t, st.event, &ev)
				res, err := s.UsageStream().Handle(context.Background(), ev)
				if err != nil || len(res.BatchItemFailures) != 0 {
					t.Fatalf("stream batch: %v, failures %v", err, res.BatchItemFailures)
				}
				return
			}
			var ev events.APIGatewayV2HTTPRequest
			sampleevents.Read(t, st.event, &ev)
			x := serve(t, s, ev)
			if x.res.StatusCode != st.status {
				t.Fatalf("status = %d, want %d: %s", x.res.StatusCode, st.status, x.res.Body)
			}
			checkResponse(t, d, x)
			err := checkRequest(d, x)
			switch {
			case st.event == "customers-create-invalid.json" && err == nil:
				t.Errorf("the document accepts the body the API refuses: %s", ev.Body)
			case st.event != "customers-create-invalid.json" && err != nil:
				t.Errorf("the document refuses the body the API accepts: %v", err)
			}
		})
	}
	files, _ := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	for _, f := range files {
		if !replayed[filepath.Base(f)] {
			t.Errorf("events/%s is not replayed by this test", filepath.Base(f))
		}
	}
}

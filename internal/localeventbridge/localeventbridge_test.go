package localeventbridge_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"

	"github.com/partnerportal/portal/internal/localeventbridge"
)

func start(t *testing.T) *localeventbridge.Server {
	t.Helper()
	srv, err := localeventbridge.Start("")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return srv
}

// client is the real SDK client pointed at srv, as tests and the local stack use it.
func client(srv *localeventbridge.Server) *eventbridge.Client {
	return eventbridge.New(eventbridge.Options{
		BaseEndpoint: aws.String(srv.URL()),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

func entry(source, detailType, detail string) types.PutEventsRequestEntry {
	return types.PutEventsRequestEntry{Source: aws.String(source), DetailType: aws.String(detailType), Detail: aws.String(detail)}
}

type answer struct {
	status    int
	errorType string
	body      map[string]any
}

// post sends a raw request, as a client without the SDK would.
func post(t *testing.T, srv *localeventbridge.Server, method, target, contentType, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL()+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, errorType: resp.Header.Get("X-Amzn-ErrorType")}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("answer is not JSON: %q", raw)
	}
	return a
}

func wantError(t *testing.T, a answer, status int, code string) {
	t.Helper()
	if a.status != status {
		t.Errorf("status = %d, want %d", a.status, status)
	}
	if got := a.body["__type"]; got != code {
		t.Errorf("__type = %v, want %s (body %v)", got, code, a.body)
	}
	if a.errorType != code {
		t.Errorf("X-Amzn-ErrorType = %q, want %q", a.errorType, code)
	}
	if msg, _ := a.body["message"].(string); msg == "" {
		t.Errorf("no message in %v", a.body)
	}
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

const putEvents = "AWSEvents.PutEvents"
const jsonType = "application/x-amz-json-1.1"

func TestProtocolErrors(t *testing.T) {
	srv := start(t)
	ctx := context.Background()

	t.Run("UnknownOperationIs400UnknownOperationException", func(t *testing.T) {
		wantError(t, post(t, srv, "POST", "AWSEvents.ListRules", jsonType, `{}`), 400, localeventbridge.ErrUnknownOperation)
	})
	t.Run("SDKSeesUnknownOperationAsAPIError", func(t *testing.T) {
		_, err := client(srv).ListRules(ctx, &eventbridge.ListRulesInput{})
		if got, want := apiCode(err), localeventbridge.ErrUnknownOperation; got != want {
			t.Fatalf("ListRules error code = %q, want %q (err %v)", got, want, err)
		}
	})
	t.Run("MissingTargetIsUnknownOperation", func(t *testing.T) {
		wantError(t, post(t, srv, "POST", "", jsonType, `{}`), 400, localeventbridge.ErrUnknownOperation)
	})
	t.Run("OtherServicesTargetIsUnknownOperation", func(t *testing.T) {
		wantError(t, post(t, srv, "POST", "DynamoDB_20120810.PutItem", jsonType, `{}`), 400, localeventbridge.ErrUnknownOperation)
	})
	t.Run("MethodOtherThanPOSTIs405", func(t *testing.T) {
		wantError(t, post(t, srv, "GET", putEvents, "", ""), 405, localeventbridge.ErrUnknownOperation)
	})
	t.Run("ContentTypeOtherThanJSON11IsSerializationException", func(t *testing.T) {
		wantError(t, post(t, srv, "POST", putEvents, "application/json", `{"Entries":[]}`), 400, localeventbridge.ErrSerialization)
	})
	t.Run("BodyNotJSONIsSerializationException", func(t *testing.T) {
		wantError(t, post(t, srv, "POST", putEvents, jsonType, `Entries=1`), 400, localeventbridge.ErrSerialization)
	})
	t.Run("NoEntriesIsValidationException", func(t *testing.T) {
		wantError(t, post(t, srv, "POST", putEvents, jsonType, `{"Entries":[]}`), 400, localeventbridge.ErrValidation)
	})
	t.Run("MoreThan10EntriesIsValidationException", func(t *testing.T) {
		entries := make([]types.PutEventsRequestEntry, 11)
		for i := range entries {
			entries[i] = entry("test.source", "Thing Happened", `{}`)
		}
		_, err := client(srv).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
		if got, want := apiCode(err), localeventbridge.ErrValidation; got != want {
			t.Fatalf("error code = %q, want %q (err %v)", got, want, err)
		}
	})
	t.Run("EntriesOver256KBIsValidationException", func(t *testing.T) {
		big := `{"pad":"` + strings.Repeat("x", 100*1024) + `"}`
		entries := []types.PutEventsRequestEntry{
			entry("test.source", "Thing Happened", big),
			entry("test.source", "Thing Happened", big),
			entry("test.source", "Thing Happened", big),
		}
		_, err := client(srv).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
		if got, want := apiCode(err), localeventbridge.ErrValidation; got != want {
			t.Fatalf("error code = %q, want %q (err %v)", got, want, err)
		}
	})
	t.Run("NoCompleteEntryFailsTheWholeRequest", func(t *testing.T) {
		_, err := client(srv).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
			{Source: aws.String("test.source"), DetailType: aws.String("Thing Happened")},
		}})
		if got, want := apiCode(err), localeventbridge.ErrValidation; got != want {
			t.Fatalf("error code = %q, want %q (err %v)", got, want, err)
		}
	})
	t.Run("RejectedRequestsStoreNothingButCount", func(t *testing.T) {
		if n := len(srv.Events()); n != 0 {
			t.Errorf("events = %d, want 0", n)
		}
		if got, want := srv.PutEventsCalls(), 6; got != want {
			t.Errorf("PutEventsCalls = %d, want %d (every POST to PutEvents above)", got, want)
		}
	})
}

func TestPutEvents(t *testing.T) {
	ctx := context.Background()

	t.Run("AcceptedEntriesGetAnEventIDAndAreStored", func(t *testing.T) {
		srv := start(t)
		at := time.Date(2026, 3, 1, 12, 30, 15, 250_000_000, time.UTC)
		out, err := client(srv).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{{
			Source:       aws.String("partnerportal.usage"),
			DetailType:   aws.String("Usage Threshold Reached"),
			Detail:       aws.String(`{"alertId":"alr_1","percent":90}`),
			EventBusName: aws.String("portal-bus"),
			Time:         aws.Time(at),
			Resources:    []string{"arn:aws:example:us-east-1:123456789012:thing/1"},
		}}})
		if err != nil {
			t.Fatalf("PutEvents: %v", err)
		}
		if got := out.FailedEntryCount; got != 0 {
			t.Fatalf("FailedEntryCount = %d, want 0", got)
		}
		if len(out.Entries) != 1 || aws.ToString(out.Entries[0].EventId) == "" {
			t.Fatalf("Entries = %+v, want one with an EventId", out.Entries)
		}
		evs := srv.Events()
		if len(evs) != 1 {
			t.Fatalf("events = %d, want 1", len(evs))
		}
		ev := evs[0]
		if got, want := ev.EventID, aws.ToString(out.Entries[0].EventId); got != want {
			t.Errorf("EventID = %q, want the answered %q", got, want)
		}
		if ev.Source != "partnerportal.usage" || ev.DetailType != "Usage Threshold Reached" || ev.EventBusName != "portal-bus" {
			t.Errorf("event = %+v", ev)
		}
		if got, want := string(ev.Detail), `{"alertId":"alr_1","percent":90}`; got != want {
			t.Errorf("Detail = %s, want %s", got, want)
		}
		if !ev.Time.Equal(at) {
			t.Errorf("Time = %v, want %v", ev.Time, at)
		}
		if len(ev.Resources) != 1 {
			t.Errorf("Resources = %v", ev.Resources)
		}
	})

	t.Run("OmittedBusIsDefaultAndOmittedTimeIsReceiptTime", func(t *testing.T) {
		srv := start(t)
		now := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
		srv.Now = func() time.Time { return now }
		if _, err := client(srv).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
			entry("test.source", "Thing Happened", `{}`),
		}}); err != nil {
			t.Fatal(err)
		}
		ev := srv.Events()[0]
		if got, want := ev.EventBusName, "default"; got != want {
			t.Errorf("EventBusName = %q, want %q", got, want)
		}
		if !ev.Time.Equal(now) {
			t.Errorf("Time = %v, want %v", ev.Time, now)
		}
	})

	t.Run("InvalidEntriesFailIndividuallyBesideValidOnes", func(t *testing.T) {
		srv := start(t)
		cases := []struct {
			name  string
			entry types.PutEventsRequestEntry
			code  string
		}{
			{"MissingSource", types.PutEventsRequestEntry{DetailType: aws.String("T"), Detail: aws.String(`{}`)}, localeventbridge.ErrInvalidArgument},
			{"MissingDetailType", types.PutEventsRequestEntry{Source: aws.String("s"), Detail: aws.String(`{}`)}, localeventbridge.ErrInvalidArgument},
			{"MissingDetail", types.PutEventsRequestEntry{Source: aws.String("s"), DetailType: aws.String("T")}, localeventbridge.ErrInvalidArgument},
			{"DetailTypeOver128Characters", entry("s", strings.Repeat("t", 129), `{}`), localeventbridge.ErrInvalidArgument},
			{"DetailAnArray", entry("s", "T", `[1,2]`), localeventbridge.ErrMalformedDetail},
			{"DetailAString", entry("s", "T", `"hello"`), localeventbridge.ErrMalformedDetail},
			{"DetailNotJSON", entry("s", "T", `{alertId: 1}`), localeventbridge.ErrMalformedDetail},
			{"SourceReservedForAWS", entry("aws.ec2", "T", `{}`), localeventbridge.ErrNotAuthorizedForSource},
		}
		entries := []types.PutEventsRequestEntry{entry("test.source", "Valid", `{"ok":true}`)}
		for _, c := range cases {
			entries = append(entries, c.entry)
		}
		// Split into requests of at most 10, keeping the valid entry first.
		var results []types.PutEventsResultEntry
		var failed int32
		for len(entries) > 0 {
			n := min(len(entries), 10)
			out, err := client(srv).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries[:n]})
			if err != nil {
				t.Fatalf("PutEvents: %v", err)
			}
			results = append(results, out.Entries...)
			failed += out.FailedEntryCount
			entries = entries[n:]
		}
		if got, want := failed, int32(len(cases)); got != want {
			t.Errorf("FailedEntryCount = %d, want %d", got, want)
		}
		if aws.ToString(results[0].EventId) == "" || results[0].ErrorCode != nil {
			t.Errorf("valid entry result = %+v, want an EventId", results[0])
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := results[i+1]
				if got := aws.ToString(r.ErrorCode); got != c.code {
					t.Errorf("ErrorCode = %q, want %q", got, c.code)
				}
				if aws.ToString(r.ErrorMessage) == "" || r.EventId != nil {
					t.Errorf("result = %+v, want a message and no EventId", r)
				}
			})
		}
		if got, want := len(srv.Events()), 1; got != want {
			t.Errorf("stored events = %d, want %d (only the valid one)", got, want)
		}
	})

	t.Run("FailNextFailsTheNextEntriesAcrossRequestsWithInternalFailure", func(t *testing.T) {
		srv := start(t)
		srv.FailNext(3)
		two := []types.PutEventsRequestEntry{entry("s", "T", `{"n":1}`), entry("s", "T", `{"n":2}`)}
		out1, err := client(srv).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: two})
		if err != nil {
			t.Fatal(err)
		}
		out2, err := client(srv).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: two})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := []int32{out1.FailedEntryCount, out2.FailedEntryCount}, []int32{2, 1}; got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("FailedEntryCount = %v, want %v", got, want)
		}
		if got := aws.ToString(out2.Entries[0].ErrorCode); got != localeventbridge.ErrInternalFailure {
			t.Errorf("ErrorCode = %q, want InternalFailure", got)
		}
		if out2.Entries[1].EventId == nil {
			t.Errorf("fourth entry failed; FailNext(3) should fail only two")
		}
		if got, want := len(srv.Events()), 1; got != want {
			t.Errorf("stored events = %d, want %d (failed entries are not stored)", got, want)
		}
	})

	t.Run("FailNextWithUsesTheGivenCode", func(t *testing.T) {
		srv := start(t)
		srv.FailNextWith(1, "AccessDeniedException")
		out, err := client(srv).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{entry("s", "T", `{}`)}})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(out.Entries[0].ErrorCode); got != "AccessDeniedException" {
			t.Errorf("ErrorCode = %q, want AccessDeniedException", got)
		}
	})

	t.Run("SubscribersSeeEachAcceptedEventBeforePutEventsAnswers", func(t *testing.T) {
		srv := start(t)
		var seen []string
		cancel := srv.Subscribe(func(ev localeventbridge.Event) { seen = append(seen, string(ev.Detail)) })
		srv.FailNext(1)
		out, err := client(srv).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
			entry("s", "T", `{"n":1}`), entry("s", "T", `{"n":2}`), entry("s", "T", `{"n":3}`),
		}})
		if err != nil {
			t.Fatal(err)
		}
		if out.FailedEntryCount != 1 {
			t.Fatalf("FailedEntryCount = %d, want 1", out.FailedEntryCount)
		}
		if got, want := strings.Join(seen, " "), `{"n":2} {"n":3}`; got != want {
			t.Errorf("subscriber saw %s, want %s (failed entries are not delivered)", got, want)
		}
		cancel()
		if _, err := client(srv).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{entry("s", "T", `{}`)}}); err != nil {
			t.Fatal(err)
		}
		if got, want := len(seen), 2; got != want {
			t.Errorf("subscriber calls after cancel = %d, want %d", got, want)
		}
	})
}

func TestServer(t *testing.T) {
	t.Run("ListensOnLoopbackByDefault", func(t *testing.T) {
		srv := start(t)
		if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") {
			t.Errorf("URL = %q, want http://127.0.0.1:<port>", srv.URL())
		}
	})
	t.Run("CloseStopsServing", func(t *testing.T) {
		srv, err := localeventbridge.Start("")
		if err != nil {
			t.Fatal(err)
		}
		url := srv.URL()
		if err := srv.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if resp, err := http.Post(url, jsonType, strings.NewReader(`{}`)); err == nil {
			resp.Body.Close()
			t.Fatalf("request after Close succeeded")
		}
	})
	t.Run("StartFailsOnAnAddressInUse", func(t *testing.T) {
		srv := start(t)
		if _, err := localeventbridge.Start(strings.TrimPrefix(srv.URL(), "http://")); err == nil {
			t.Fatalf("Start on a used address succeeded")
		}
	})
}

package lambdainvoke

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/partnerportal/portal/internal/portal"
)

// A wire-level Lambda endpoint: the Invoke API as the SDK speaks it.
func TestLaunchInvokesTheFunctionAsynchronouslyWithTheScanReference(t *testing.T) {
	var got struct {
		path, invocationType string
		ref                  portal.ScanRef
	}
	status := http.StatusAccepted
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.path, got.invocationType = r.URL.Path, r.Header.Get("X-Amz-Invocation-Type")
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &got.ref)
		w.WriteHeader(status)
	}))
	defer srv.Close()
	client := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	l := &Launcher{Client: client, Function: "partner-portal-ScanRunFunction"}
	sc := portal.Scan{ID: "scn_01JD0000000000000000000001", PartnerID: "prt_01JD0000000000000000000002", TenantID: "cus_01JD0000000000000000000003"}

	if err := l.Launch(context.Background(), sc); err != nil {
		t.Fatal(err)
	}
	if got.path != "/2015-03-31/functions/partner-portal-ScanRunFunction/invocations" || got.invocationType != "Event" {
		t.Fatalf("invoked %s as %q, want the function's invocations as Event", got.path, got.invocationType)
	}
	if got.ref != sc.Ref() {
		t.Fatalf("payload = %+v, want %+v", got.ref, sc.Ref())
	}

	status = http.StatusTooManyRequests
	if err := l.Launch(context.Background(), sc); err == nil {
		t.Fatal("a refused invocation must be an error (the scan stays queued)")
	}
}

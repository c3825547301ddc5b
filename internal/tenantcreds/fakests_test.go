package tenantcreds

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

const testRoleARN = "arn:aws:iam::123456789012:role/portal-tenant"

// fakeClock is a settable clock shared by the provider and the fake STS.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// stsRequest is one request the fake STS received.
type stsRequest struct {
	Method        string
	ContentType   string
	Authorization string
	Form          url.Values
}

// fakeSTS is a local STS-compatible endpoint speaking the Query protocol. It
// records every request and answers AssumeRole with numbered credentials that
// expire DurationSeconds after its clock, or with Fail's error.
type fakeSTS struct {
	*httptest.Server
	clock *fakeClock

	mu       sync.Mutex
	requests []stsRequest
	issued   int
	fail     bool          // answer 403 AccessDenied
	gate     chan struct{} // when set, AssumeRole waits until it is closed
	received chan struct{} // when set, gets a value per request
}

func newFakeSTS(t *testing.T, clock *fakeClock) *fakeSTS {
	t.Helper()
	f := &fakeSTS{clock: clock}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeSTS) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, stsRequest{
		Method:        r.Method,
		ContentType:   r.Header.Get("Content-Type"),
		Authorization: r.Header.Get("Authorization"),
		Form:          r.PostForm,
	})
	gate, received, fail := f.gate, f.received, f.fail
	f.mu.Unlock()
	if received != nil {
		received <- struct{}{}
	}
	if gate != nil {
		<-gate
	}

	w.Header().Set("Content-Type", "text/xml")
	if fail {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>AccessDenied</Code>
    <Message>User: arn:aws:sts::123456789012:assumed-role/portal-fn/x is not authorized to perform: sts:TagSession on resource: %s</Message>
  </Error>
  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
</ErrorResponse>`, xmlEscape(r.PostForm.Get("RoleArn")))
		return
	}
	if r.PostForm.Get("Action") != "AssumeRole" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>unexpected action</Message></Error><RequestId>x</RequestId></ErrorResponse>`)
		return
	}
	secs, _ := strconv.Atoi(r.PostForm.Get("DurationSeconds"))
	if secs == 0 {
		secs = 3600
	}
	f.mu.Lock()
	f.issued++
	n := f.issued
	f.mu.Unlock()
	session := r.PostForm.Get("RoleSessionName")
	exp := f.clock.Now().Add(time.Duration(secs) * time.Second).UTC().Format(time.RFC3339)
	fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <AssumedRoleId>AROA3XFRBF535PLBIFPI4:%[1]s</AssumedRoleId>
      <Arn>arn:aws:sts::123456789012:assumed-role/portal-tenant/%[1]s</Arn>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>%[2]s</AccessKeyId>
      <SecretAccessKey>secret-%[3]d</SecretAccessKey>
      <SessionToken>token-%[3]d</SessionToken>
      <Expiration>%[4]s</Expiration>
    </Credentials>
    <PackedPolicySize>1</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>`, xmlEscape(session), accessKey(n), n, exp)
}

// accessKey is the access key ID of the n-th issued credentials.
func accessKey(n int) string { return fmt.Sprintf("ASIATESTKEY%09d", n) }

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func (f *fakeSTS) Requests() []stsRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]stsRequest(nil), f.requests...)
}

func (f *fakeSTS) SetFail(fail bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fail
}

// client returns a real STS client pointed at the fake, signing with static
// base credentials.
func (f *fakeSTS) client() *sts.Client {
	return sts.New(sts.Options{
		Region:           "eu-west-1",
		BaseEndpoint:     aws.String(f.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIABASEEXAMPLE", "base-secret", ""),
		RetryMaxAttempts: 1,
	})
}

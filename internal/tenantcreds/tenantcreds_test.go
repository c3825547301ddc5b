package tenantcreds

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
)

const (
	tenantA = "cus_00000000000000000000000001"
	tenantB = "cus_01ARZ3NDEKTSV4RRFFQ69G5FAV"
)

// STS's RoleSessionName pattern and length.
var sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

func newTestProvider(t *testing.T, opts ...Option) (*Provider, *fakeSTS, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	f := newFakeSTS(t, clock)
	p, err := New(f.client(), testRoleARN, append([]Option{WithClock(clock.Now)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p, f, clock
}

func mustRetrieve(t *testing.T, p *Provider, tenant string) aws.Credentials {
	t.Helper()
	c, err := p.Retrieve(context.Background(), tenant)
	if err != nil {
		t.Fatalf("Retrieve(%s): %v", tenant, err)
	}
	return c
}

func TestRetrieveAssumesRoleWithTenantTag(t *testing.T) {
	p, f, clock := newTestProvider(t)
	c := mustRetrieve(t, p, tenantA)

	reqs := f.Requests()
	if len(reqs) != 1 {
		t.Fatalf("STS got %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || !strings.HasPrefix(r.ContentType, "application/x-www-form-urlencoded") {
		t.Errorf("request is %s %q, want a form POST", r.Method, r.ContentType)
	}
	if !strings.Contains(r.Authorization, "Credential=AKIABASEEXAMPLE/") {
		t.Errorf("request not signed with the base credentials: %q", r.Authorization)
	}
	want := map[string]string{
		"Action":                     "AssumeRole",
		"Version":                    "2011-06-15",
		"RoleArn":                    testRoleARN,
		"RoleSessionName":            "tenant-" + tenantA,
		"DurationSeconds":            "900",
		"Tags.member.1.Key":          "tenant",
		"Tags.member.1.Value":        tenantA,
		"TransitiveTagKeys.member.1": "tenant",
		"Tags.member.2.Key":          "",
		"TransitiveTagKeys.member.2": "",
		"Policy":                     "",
		"ExternalId":                 "",
	}
	for k, v := range want {
		if got := r.Form.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if name := r.Form.Get("RoleSessionName"); !sessionNameRE.MatchString(name) {
		t.Errorf("RoleSessionName %q is not valid for STS", name)
	}

	wantCreds := aws.Credentials{
		AccessKeyID:     accessKey(1),
		SecretAccessKey: "secret-1",
		SessionToken:    "token-1",
		Source:          Source,
		CanExpire:       true,
		Expires:         clock.Now().Add(15 * time.Minute),
		AccountID:       "123456789012",
	}
	if !c.Expires.Equal(wantCreds.Expires) {
		t.Errorf("Expires = %v, want %v", c.Expires, wantCreds.Expires)
	}
	c.Expires = wantCreds.Expires
	if c != wantCreds {
		t.Errorf("credentials = %+v, want %+v", c, wantCreds)
	}
}

func TestSessionNameIsValidForEveryCustomerID(t *testing.T) {
	// The longest and the most unusual characters a customer ID can have.
	for _, id := range []string{tenantA, tenantB, "cus_7ZZZZZZZZZZZZZZZZZZZZZZZZZ"} {
		if n := SessionName(id); !sessionNameRE.MatchString(n) || len(n) > 64 {
			t.Errorf("SessionName(%s) = %q, not a valid STS session name", id, n)
		}
	}
}

func TestRetrieveCachesPerTenant(t *testing.T) {
	p, f, clock := newTestProvider(t)
	a1 := mustRetrieve(t, p, tenantA)
	clock.Advance(10 * time.Minute)
	a2 := mustRetrieve(t, p, tenantA)
	if n := len(f.Requests()); n != 1 {
		t.Fatalf("second Retrieve for the same tenant made a request: %d requests", n)
	}
	if a1 != a2 {
		t.Errorf("cached credentials differ: %+v vs %+v", a1, a2)
	}

	b := mustRetrieve(t, p, tenantB)
	reqs := f.Requests()
	if len(reqs) != 2 {
		t.Fatalf("first Retrieve for another tenant: %d requests, want 2", len(reqs))
	}
	if got := reqs[1].Form.Get("Tags.member.1.Value"); got != tenantB {
		t.Errorf("tenant tag = %q, want %q", got, tenantB)
	}
	if b.AccessKeyID == a1.AccessKeyID {
		t.Errorf("tenants share access key %s", b.AccessKeyID)
	}
	if again := mustRetrieve(t, p, tenantA); again != a1 || len(f.Requests()) != 2 {
		t.Errorf("tenant A's cache was disturbed by tenant B")
	}
}

func TestRetrieveRefreshesWithinMargin(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     []Option
		duration time.Duration
		margin   time.Duration
		seconds  string
	}{
		{"defaults", nil, 15 * time.Minute, time.Minute, "900"},
		{"configured", []Option{WithDuration(time.Hour), WithRefreshMargin(5 * time.Minute)}, time.Hour, 5 * time.Minute, "3600"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, f, clock := newTestProvider(t, tc.opts...)
			first := mustRetrieve(t, p, tenantA)
			if got := f.Requests()[0].Form.Get("DurationSeconds"); got != tc.seconds {
				t.Errorf("DurationSeconds = %s, want %s", got, tc.seconds)
			}

			clock.Advance(tc.duration - tc.margin - time.Second)
			if c := mustRetrieve(t, p, tenantA); c != first || len(f.Requests()) != 1 {
				t.Fatalf("refreshed %v before the margin", tc.margin+time.Second)
			}

			clock.Advance(time.Second) // now exactly margin before expiry
			second := mustRetrieve(t, p, tenantA)
			if n := len(f.Requests()); n != 2 {
				t.Fatalf("within the margin: %d requests, want 2", n)
			}
			if second.AccessKeyID == first.AccessKeyID || !second.Expires.After(first.Expires) {
				t.Errorf("not refreshed: %+v after %+v", second, first)
			}
			if c := mustRetrieve(t, p, tenantA); c != second || len(f.Requests()) != 2 {
				t.Errorf("refreshed credentials not cached")
			}
		})
	}
}

func TestRetrieveConcurrentCallersShareOneCall(t *testing.T) {
	p, f, _ := newTestProvider(t)
	gate := make(chan struct{})
	f.mu.Lock()
	f.gate = gate
	f.mu.Unlock()

	const callers = 20
	var started, done sync.WaitGroup
	results := make([]aws.Credentials, callers)
	errs := make([]error, callers)
	for i := range callers {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			results[i], errs[i] = p.Retrieve(context.Background(), tenantA)
		}()
	}
	started.Wait()
	time.Sleep(50 * time.Millisecond) // let every caller reach the in-flight call
	close(gate)
	done.Wait()

	if n := len(f.Requests()); n != 1 {
		t.Fatalf("%d concurrent Retrieves made %d AssumeRole calls, want 1", callers, n)
	}
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if results[i] != results[0] {
			t.Errorf("caller %d got %+v, caller 0 got %+v", i, results[i], results[0])
		}
	}
}

func TestRetrieveRefusesInvalidTenant(t *testing.T) {
	p, f, _ := newTestProvider(t)
	for _, id := range []string{
		"",
		"cus_",
		"cus_0000000000000000000000000",   // 25 characters
		"cus_000000000000000000000000001", // 27 characters
		"cus_01arz3ndektsv4rrffq69g5fav",  // lower case
		"cus_01ARZ3NDEKTSV4RRFFQ69G5FAI",  // I is not Crockford base32
		"cus_81ARZ3NDEKTSV4RRFFQ69G5FAV",  // overflows 128 bits
		"prt_01ARZ3NDEKTSV4RRFFQ69G5FAV",
		"CUS_01ARZ3NDEKTSV4RRFFQ69G5FAV",
		"TENANT#cus_01ARZ3NDEKTSV4RRFFQ69G5FAV",
		"cus_01ARZ3NDEKTSV4RRFFQ69G5FA*",
		"cus_01ARZ3NDEKTSV4RRFFQ69G5FAV ",
		"*",
	} {
		if _, err := p.Retrieve(context.Background(), id); !errors.Is(err, ErrInvalidTenant) {
			t.Errorf("Retrieve(%q) error = %v, want ErrInvalidTenant", id, err)
		}
		if _, err := p.CredentialsFor(id).Retrieve(context.Background()); !errors.Is(err, ErrInvalidTenant) {
			t.Errorf("CredentialsFor(%q).Retrieve error = %v, want ErrInvalidTenant", id, err)
		}
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("invalid tenant IDs made %d STS requests", n)
	}
}

func TestRetrieveSTSErrorIsReturnedAndNotCached(t *testing.T) {
	p, f, _ := newTestProvider(t)
	f.SetFail(true)
	for i := range 2 {
		_, err := p.Retrieve(context.Background(), tenantA)
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "AccessDenied" {
			t.Fatalf("attempt %d: error = %v, want the STS AccessDenied", i, err)
		}
		if !strings.Contains(err.Error(), tenantA) {
			t.Errorf("error does not name the tenant: %v", err)
		}
	}
	if n := len(f.Requests()); n != 2 {
		t.Fatalf("failures were cached or retried: %d requests, want 2", n)
	}

	f.SetFail(false)
	c := mustRetrieve(t, p, tenantA)
	if c.AccessKeyID != accessKey(1) || len(f.Requests()) != 3 {
		t.Errorf("after the failure: %+v with %d requests", c, len(f.Requests()))
	}
}

func TestRetrieveCallerCancellationLeavesCallRunning(t *testing.T) {
	p, f, _ := newTestProvider(t)
	gate, received := make(chan struct{}), make(chan struct{}, 1)
	f.mu.Lock()
	f.gate, f.received = gate, received
	f.mu.Unlock()

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := p.Retrieve(ctx, tenantA)
		errc <- err
	}()
	<-received
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: error = %v, want context.Canceled", err)
	}

	f.mu.Lock()
	f.received = nil
	f.mu.Unlock()
	close(gate)
	c := mustRetrieve(t, p, tenantA) // joins the call still in flight, or reads its cached result
	if c.AccessKeyID != accessKey(1) || len(f.Requests()) != 1 {
		t.Errorf("after cancellation: %+v with %d requests, want the first call's result", c, len(f.Requests()))
	}
}

func TestCredentialsForIsBoundToTenant(t *testing.T) {
	p, f, _ := newTestProvider(t)
	a, err := p.CredentialsFor(tenantA).Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if direct := mustRetrieve(t, p, tenantA); direct != a {
		t.Errorf("CredentialsFor and Retrieve do not share the cache")
	}
	if got := f.Requests()[0].Form.Get("Tags.member.1.Value"); got != tenantA {
		t.Errorf("tenant tag = %q, want %q", got, tenantA)
	}
}

func TestNewRefusesBadConfiguration(t *testing.T) {
	f := newFakeSTS(t, newFakeClock())
	client := f.client()
	for name, tc := range map[string]struct {
		client STSAPI
		role   string
		opts   []Option
	}{
		"no client":           {nil, testRoleARN, nil},
		"empty role":          {client, "", nil},
		"not an ARN":          {client, "portal-tenant", nil},
		"user ARN":            {client, "arn:aws:iam::123456789012:user/bob", nil},
		"other service":       {client, "arn:aws:sts::123456789012:role/portal-tenant", nil},
		"duration too short":  {client, testRoleARN, []Option{WithDuration(14 * time.Minute)}},
		"duration too long":   {client, testRoleARN, []Option{WithDuration(13 * time.Hour)}},
		"negative margin":     {client, testRoleARN, []Option{WithRefreshMargin(-time.Second)}},
		"margin over session": {client, testRoleARN, []Option{WithRefreshMargin(15 * time.Minute)}},
	} {
		if p, err := New(tc.client, tc.role, tc.opts...); err == nil {
			t.Errorf("%s: New = %v, want an error", name, p)
		}
	}
	if _, err := New(client, testRoleARN, WithDuration(12*time.Hour), WithRefreshMargin(0)); err != nil {
		t.Errorf("limits refused: %v", err)
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("New made %d requests", n)
	}
}

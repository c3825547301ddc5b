package netguard

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/partnerportal/portal/internal/asset"
	"github.com/partnerportal/portal/internal/verify/verifytest"
)

var (
	strict = asset.Policy{}                   // production
	local  = asset.Policy{AllowPrivate: true} // local stack and tests
)

// listen returns a TCP listener on 127.0.0.1 that accepts and closes
// connections, and its port.
func listen(t *testing.T) (string, chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan struct{}, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- struct{}{}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port, accepted
}

func TestDialContext(t *testing.T) {
	t.Run("NameResolvedOnceAndAddressDialled", func(t *testing.T) {
		port, accepted := listen(t)
		dns := verifytest.StartDNS(t, verifytest.Zone{A: map[string][]string{"app.example": {"127.0.0.1"}}})
		d := New(local, dns.Addr, time.Second)
		conn, err := d.DialContext(context.Background(), "tcp", "app.example:"+port)
		if err != nil {
			t.Fatalf("DialContext: %v", err)
		}
		defer conn.Close()
		if got, want := conn.RemoteAddr().String(), "127.0.0.1:"+port; got != want {
			t.Fatalf("remote address = %s, want %s", got, want)
		}
		<-accepted
		// One lookup: an A and an AAAA question, nothing asked again at
		// connect time.
		if got, want := dns.Asked("app.example"), 2; got != want {
			t.Fatalf("DNS asked %d questions about app.example, want %d", got, want)
		}
	})
	t.Run("NameResolvingToLoopbackRefused", func(t *testing.T) {
		port, accepted := listen(t)
		dns := verifytest.StartDNS(t, verifytest.Zone{A: map[string][]string{"rebind.example": {"127.0.0.1"}}})
		_, err := New(strict, dns.Addr, time.Second).DialContext(context.Background(), "tcp", "rebind.example:"+port)
		var refused *RefusedError
		if !errors.As(err, &refused) {
			t.Fatalf("error = %v, want a *RefusedError", err)
		}
		if got, want := err.Error(), "not connected: rebind.example resolves to 127.0.0.1, a loopback address (127.0.0.0/8)"; got != want {
			t.Fatalf("error = %q, want %q", got, want)
		}
		select {
		case <-accepted:
			t.Fatal("the listener accepted a connection")
		case <-time.After(50 * time.Millisecond):
		}
	})
	t.Run("MetadataAddressRefused", func(t *testing.T) {
		_, err := New(strict, "", time.Second).DialContext(context.Background(), "tcp", "169.254.169.254:80")
		if got, want := Describe(err, time.Second), "not connected: 169.254.169.254 is a cloud metadata address (169.254.169.254)"; got != want {
			t.Fatalf("Describe = %q, want %q", got, want)
		}
	})
	t.Run("NameWithoutAddress", func(t *testing.T) {
		dns := verifytest.StartDNS(t, verifytest.Zone{})
		_, err := New(local, dns.Addr, time.Second).DialContext(context.Background(), "tcp", "gone.example:443")
		var dnsErr *net.DNSError
		if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
			t.Fatalf("error = %v, want a not-found *net.DNSError", err)
		}
		if got, want := Describe(err, time.Second), "gone.example has no address"; got != want {
			t.Fatalf("Describe = %q, want %q", got, want)
		}
	})
	t.Run("ConnectionRefused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		_, err = New(local, "", time.Second).DialContext(context.Background(), "tcp", addr)
		if got, want := Describe(err, time.Second), "connection refused"; got != want {
			t.Fatalf("Describe = %q, want %q", got, want)
		}
	})
}

func TestControl(t *testing.T) {
	t.Run("RefusesNonPublicSocketAddresses", func(t *testing.T) {
		d := &Dialer{Policy: strict}
		for _, addr := range []string{"127.0.0.1:80", "[::1]:443", "169.254.169.254:80", "10.1.2.3:8080", "[::ffff:192.168.0.1]:80", "[fd00:ec2::254]:80"} {
			var refused *RefusedError
			if err := d.Control("tcp", addr, nil); !errors.As(err, &refused) {
				t.Errorf("Control(%s) = %v, want a refusal", addr, err)
			}
		}
	})
	t.Run("AcceptsPublicSocketAddresses", func(t *testing.T) {
		d := &Dialer{Policy: strict}
		if err := d.Control("tcp", "203.0.113.7:443", nil); err != nil {
			t.Errorf("Control(203.0.113.7:443) = %v, want nil", err)
		}
	})
	t.Run("LocalPolicyAcceptsLoopback", func(t *testing.T) {
		d := &Dialer{Policy: local}
		if err := d.Control("tcp", "127.0.0.1:80", nil); err != nil {
			t.Errorf("Control(127.0.0.1:80) = %v, want nil", err)
		}
	})
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{context.DeadlineExceeded, "timed out after 5s"},
		{syscall.ECONNRESET, "connection reset"},
		{&net.DNSError{Name: "slow.example.", IsTimeout: true}, "the DNS lookup of slow.example timed out"},
		{errors.New("something internal"), "the request failed"},
	} {
		if got := Describe(tc.err, 5*time.Second); got != tc.want {
			t.Errorf("Describe(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
	if got := Rooted("example.com"); !strings.HasSuffix(got, ".") || Rooted(got) != got {
		t.Errorf("Rooted = %q, want one trailing dot", got)
	}
}

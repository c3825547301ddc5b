package verify

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partnerportal/portal/internal/asset"
	"github.com/partnerportal/portal/internal/netguard"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/verify/verifytest"
)

// Nothing here touches the internet: names resolve only through a DNS
// server run by the test on 127.0.0.1, and every HTTP server is an
// httptest server on 127.0.0.1.

const token = "tok-3f9a1c"

var (
	strict = asset.Policy{}                   // production
	local  = asset.Policy{AllowPrivate: true} // local stack and tests
)

// fileServer serves body with status at WellKnownPath (404 elsewhere) and
// counts the requests it receives, whatever their path.
type fileServer struct {
	*httptest.Server
	hits atomic.Int32
}

func serveFile(t *testing.T, status int, body string) *fileServer {
	t.Helper()
	return serveHandler(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != WellKnownPath {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	})
}

func serveHandler(t *testing.T, h http.HandlerFunc) *fileServer {
	t.Helper()
	s := &fileServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func mustNormalize(t *testing.T, raw string, p asset.Policy) asset.Asset {
	t.Helper()
	a, err := asset.Normalize(raw, false, p)
	if err != nil {
		t.Fatalf("Normalize(%q): %v", raw, err)
	}
	return a
}

// check runs c.CheckOwnership for a with the test token and fails the test
// on an error.
func check(t *testing.T, c *Checker, a asset.Asset) portal.OwnershipCheck {
	t.Helper()
	got, err := c.CheckOwnership(context.Background(), a, token)
	if err != nil {
		t.Fatalf("CheckOwnership(%s) error: %v", a.Value, err)
	}
	return got
}

func wantVerified(t *testing.T, got portal.OwnershipCheck, method portal.OwnershipMethod) {
	t.Helper()
	if !got.Verified || got.Method != method {
		t.Fatalf("got Verified=%v Method=%q Detail=%q, want verified by %s", got.Verified, got.Method, got.Detail, method)
	}
}

func wantNotVerified(t *testing.T, got portal.OwnershipCheck, details ...string) {
	t.Helper()
	if got.Verified {
		t.Fatalf("got verified by %s (%q), want not verified", got.Method, got.Detail)
	}
	for _, d := range details {
		if !strings.Contains(got.Detail, d) {
			t.Errorf("Detail = %q\nwant it to contain %q", got.Detail, d)
		}
	}
}

func TestDNSTXT(t *testing.T) {
	dns := verifytest.StartDNS(t, verifytest.Zone{TXT: map[string][][]string{
		"owner.example":      {{"v=spf1 -all"}, {"partnerportal-verification=" + token}},
		"chunked.example":    {{"partnerportal-verif", "ication=" + token}},
		"spaces.example":     {{"  partnerportal-verification=" + token + " "}},
		"other.example":      {{"partnerportal-verification=someone-else"}},
		"parent.example":     {{"partnerportal-verification=" + token}},
		"app.parent.example": {{"v=spf1 -all"}},
	}})
	c := New(local, dns.Addr)

	t.Run("Verified", func(t *testing.T) {
		got := check(t, c, mustNormalize(t, "owner.example", strict))
		wantVerified(t, got, portal.OwnershipDNSTXT)
	})
	t.Run("RecordSplitIntoStringsIsJoined", func(t *testing.T) {
		wantVerified(t, check(t, c, mustNormalize(t, "chunked.example", strict)), portal.OwnershipDNSTXT)
	})
	t.Run("SpacesAroundTheValueAreTrimmed", func(t *testing.T) {
		wantVerified(t, check(t, c, mustNormalize(t, "spaces.example", strict)), portal.OwnershipDNSTXT)
	})
	t.Run("URLWithNameHostUsesTheHostRecord", func(t *testing.T) {
		wantVerified(t, check(t, c, mustNormalize(t, "https://owner.example/app", strict)), portal.OwnershipDNSTXT)
	})
	t.Run("WrongTokenNotVerified", func(t *testing.T) {
		got := check(t, c, mustNormalize(t, "other.example", strict))
		wantNotVerified(t, got,
			`no TXT record on other.example holds "partnerportal-verification=`+token+`" (found "partnerportal-verification=someone-else", another token)`,
			"GET https://other.example"+WellKnownPath+": other.example has no address",
			"GET http://other.example"+WellKnownPath+": other.example has no address")
	})
	t.Run("NoRecordNotVerified", func(t *testing.T) {
		got := check(t, c, mustNormalize(t, "nothing.example", strict))
		wantNotVerified(t, got, `no TXT record on nothing.example holds "partnerportal-verification=`+token+`"`)
	})
	t.Run("ParentRecordDoesNotVerifySubdomain", func(t *testing.T) {
		got := check(t, c, mustNormalize(t, "app.parent.example", strict))
		wantNotVerified(t, got, `no TXT record on app.parent.example holds`)
	})
	t.Run("UnansweredLookupTimesOut", func(t *testing.T) {
		silent, err := net.ListenPacket("udp", "127.0.0.1:0") // reads nothing, answers nothing
		if err != nil {
			t.Fatal(err)
		}
		defer silent.Close()
		c := New(local, silent.LocalAddr().String())
		c.Timeout = 200 * time.Millisecond
		got := check(t, c, mustNormalize(t, "owner.example", strict))
		wantNotVerified(t, got, "TXT lookup of owner.example timed out after 200ms")
	})
}

func TestHTTPFile(t *testing.T) {
	noNames := verifytest.StartDNS(t, verifytest.Zone{}) // URLs here have IP hosts; no lookup may leave the machine anyway
	c := New(local, noNames.Addr)

	t.Run("VerifiedForURLAsset", func(t *testing.T) {
		paths := make(chan string, 10)
		srv := serveHandler(t, func(w http.ResponseWriter, r *http.Request) {
			paths <- r.URL.Path
			w.Write([]byte(token + "\n"))
		})
		got := check(t, c, mustNormalize(t, srv.URL+"/app/login?x=1", local))
		wantVerified(t, got, portal.OwnershipHTTPFile)
		if gotPath := <-paths; gotPath != WellKnownPath {
			t.Fatalf("path = %q, want %q (the URL's path is ignored)", gotPath, WellKnownPath)
		}
	})
	t.Run("VerifiedForAPIAsset", func(t *testing.T) {
		srv := serveFile(t, http.StatusOK, token)
		a, err := asset.Normalize(srv.URL+"/v1", true, local)
		if err != nil {
			t.Fatal(err)
		}
		wantVerified(t, check(t, c, a), portal.OwnershipHTTPFile)
	})
	t.Run("TokenOnOneLineOfSeveral", func(t *testing.T) {
		srv := serveFile(t, http.StatusOK, "\uFEFF# partner portal\r\n  "+token+"  \r\nother-token\r\n")
		wantVerified(t, check(t, c, mustNormalize(t, srv.URL, local)), portal.OwnershipHTTPFile)
	})
	t.Run("TokenAfterFirst4KiBNotSeen", func(t *testing.T) {
		srv := serveFile(t, http.StatusOK, strings.Repeat("#\n", MaxBodyBytes/2)+token+"\n")
		got := check(t, c, mustNormalize(t, srv.URL, local))
		wantNotVerified(t, got, "the file does not hold the token")
	})
	t.Run("LineCutAt4KiBIsNotTheToken", func(t *testing.T) {
		// The first 4 KiB end in the middle of a longer line starting
		// with the token.
		srv := serveFile(t, http.StatusOK, strings.Repeat("#", MaxBodyBytes-len(token)-1)+"\n"+token+"-and-more\n")
		wantNotVerified(t, check(t, c, mustNormalize(t, srv.URL, local)), "the file does not hold the token")
	})
	t.Run("TokenAsPartOfALineNotVerified", func(t *testing.T) {
		srv := serveFile(t, http.StatusOK, "token: "+token)
		wantNotVerified(t, check(t, c, mustNormalize(t, srv.URL, local)), "the file does not hold the token")
	})
	t.Run("NotFoundNotVerified", func(t *testing.T) {
		srv := serveFile(t, http.StatusNotFound, token)
		got := check(t, c, mustNormalize(t, srv.URL, local))
		wantNotVerified(t, got, "GET "+srv.URL+WellKnownPath+": HTTP 404 Not Found")
	})
	t.Run("ConnectionRefused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		got := check(t, c, mustNormalize(t, "http://"+addr, local))
		wantNotVerified(t, got, "GET http://"+addr+WellKnownPath+": connection refused")
	})
	t.Run("SlowServerTimesOut", func(t *testing.T) {
		release := make(chan struct{})
		srv := serveHandler(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		defer close(release)
		c := New(local, noNames.Addr)
		c.Timeout = 200 * time.Millisecond
		wantNotVerified(t, check(t, c, mustNormalize(t, srv.URL, local)), "timed out after 200ms")
	})
	t.Run("SameHostRedirectFollowed", func(t *testing.T) {
		srv := serveHandler(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == WellKnownPath {
				http.Redirect(w, r, "/files/verification.txt", http.StatusFound)
				return
			}
			w.Write([]byte(token))
		})
		wantVerified(t, check(t, c, mustNormalize(t, srv.URL, local)), portal.OwnershipHTTPFile)
	})
	t.Run("AtMostThreeRedirects", func(t *testing.T) {
		srv := serveHandler(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/again", http.StatusFound)
		})
		got := check(t, c, mustNormalize(t, srv.URL, local))
		wantNotVerified(t, got, "more than 3 redirects")
		if got, want := srv.hits.Load(), int32(MaxRedirects+1); got != want {
			t.Fatalf("server saw %d requests, want %d", got, want)
		}
	})
	t.Run("RedirectToAnotherHostRefused", func(t *testing.T) {
		other := serveFile(t, http.StatusOK, token)
		otherURL, _ := url.Parse(other.URL)
		elsewhere := "http://localhost:" + otherURL.Port() + WellKnownPath
		srv := serveHandler(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere, http.StatusFound)
		})
		got := check(t, c, mustNormalize(t, srv.URL, local))
		wantNotVerified(t, got, "redirected to another host (localhost); only redirects on the same host are followed")
		if n := other.hits.Load(); n != 0 {
			t.Fatalf("the other host saw %d requests, want 0", n)
		}
	})
}

// TestHTTPFileForDomain checks a domain asset's https://host and
// http://host. The default ports are replaced by the test servers' ports;
// "example.com" resolves through the test DNS to 127.0.0.1, and the
// httptest certificate is valid for it.
func TestHTTPFileForDomain(t *testing.T) {
	domainChecker := func(t *testing.T, httpsSrv, httpSrv *fileServer) *Checker {
		dns := verifytest.StartDNS(t, verifytest.Zone{A: map[string][]string{"example.com": {"127.0.0.1"}}})
		c := New(local, dns.Addr)
		c.TLSConfig = httpsSrv.Client().Transport.(*http.Transport).TLSClientConfig
		c.ports = map[string]string{"https": port(t, httpsSrv), "http": port(t, httpSrv)}
		return c
	}
	a := mustNormalize(t, "example.com", strict)

	t.Run("HTTPSFirst", func(t *testing.T) {
		httpsSrv := serveTLSFile(t, http.StatusOK, token)
		httpSrv := serveFile(t, http.StatusOK, token)
		wantVerified(t, check(t, domainChecker(t, httpsSrv, httpSrv), a), portal.OwnershipHTTPFile)
		if got, want := [2]int32{httpsSrv.hits.Load(), httpSrv.hits.Load()}, [2]int32{1, 0}; got != want {
			t.Fatalf("requests (https, http) = %v, want %v", got, want)
		}
	})
	t.Run("ThenHTTP", func(t *testing.T) {
		httpsSrv := serveTLSFile(t, http.StatusNotFound, "")
		httpSrv := serveFile(t, http.StatusOK, token)
		wantVerified(t, check(t, domainChecker(t, httpsSrv, httpSrv), a), portal.OwnershipHTTPFile)
	})
	t.Run("DetailListsEveryCheck", func(t *testing.T) {
		httpsSrv := serveTLSFile(t, http.StatusNotFound, "")
		httpSrv := serveFile(t, http.StatusOK, "nope")
		c := domainChecker(t, httpsSrv, httpSrv)
		got := check(t, c, a)
		if want := `no TXT record on example.com holds "partnerportal-verification=` + token + `"` +
			"; GET https://example.com:" + c.ports["https"] + WellKnownPath + ": HTTP 404 Not Found" +
			"; GET http://example.com:" + c.ports["http"] + WellKnownPath + ": the file does not hold the token"; got.Detail != want {
			t.Fatalf("Detail = %q\nwant     %q", got.Detail, want)
		}
	})
	t.Run("CertificateVerifiedByDefault", func(t *testing.T) {
		httpsSrv := serveTLSFile(t, http.StatusOK, token)
		httpSrv := serveFile(t, http.StatusNotFound, "")
		c := domainChecker(t, httpsSrv, httpSrv)
		c.TLSConfig = nil // the system roots do not include the httptest CA
		got := check(t, c, a)
		wantNotVerified(t, got, "GET https://example.com:"+c.ports["https"]+WellKnownPath+": the TLS certificate is not signed by a trusted authority")
		if n := httpsSrv.hits.Load(); n != 0 {
			t.Fatalf("https server handled %d requests, want 0", n)
		}
	})
}

func serveTLSFile(t *testing.T, status int, body string) *fileServer {
	t.Helper()
	s := &fileServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if r.URL.Path != WellKnownPath {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // failed handshakes are expected
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func port(t *testing.T, s *fileServer) string {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

// TestAddressPolicy checks that with the production policy nothing
// non-public is connected to, however the address is reached.
func TestAddressPolicy(t *testing.T) {
	t.Run("URLOnLoopbackAddressRefused", func(t *testing.T) {
		srv := serveFile(t, http.StatusOK, token)
		// Accepted under the local policy (say, stored before the policy
		// changed), checked under the production one.
		a := mustNormalize(t, srv.URL, local)
		got := check(t, New(strict, verifytest.StartDNS(t, verifytest.Zone{}).Addr), a)
		wantNotVerified(t, got, "GET "+srv.URL+WellKnownPath+": not connected: 127.0.0.1 is a loopback address (127.0.0.0/8)")
		if n := srv.hits.Load(); n != 0 {
			t.Fatalf("server saw %d requests, want 0", n)
		}
	})
	t.Run("NameResolvingToLoopbackRefused", func(t *testing.T) {
		srv := serveFile(t, http.StatusOK, token)
		dns := verifytest.StartDNS(t, verifytest.Zone{A: map[string][]string{"rebind.example": {"127.0.0.1"}}})
		a := mustNormalize(t, "http://rebind.example:"+port(t, srv), strict) // a public name: accepted
		got := check(t, New(strict, dns.Addr), a)
		wantNotVerified(t, got, "not connected: rebind.example resolves to 127.0.0.1, a loopback address (127.0.0.0/8)")
		if n := srv.hits.Load(); n != 0 {
			t.Fatalf("server saw %d requests, want 0", n)
		}
	})
	t.Run("SameNameAllowedUnderLocalPolicy", func(t *testing.T) {
		srv := serveFile(t, http.StatusOK, token)
		dns := verifytest.StartDNS(t, verifytest.Zone{A: map[string][]string{"rebind.example": {"127.0.0.1"}}})
		a := mustNormalize(t, "http://rebind.example:"+port(t, srv), strict)
		wantVerified(t, check(t, New(local, dns.Addr), a), portal.OwnershipHTTPFile)
	})
	t.Run("PrivateNameNotLookedUp", func(t *testing.T) {
		dns := verifytest.StartDNS(t, verifytest.Zone{
			TXT: map[string][][]string{"metadata.google.internal": {{"partnerportal-verification=" + token}}},
			A:   map[string][]string{"metadata.google.internal": {"169.254.169.254"}},
		})
		a := mustNormalize(t, "metadata.google.internal", local)
		got := check(t, New(strict, dns.Addr), a)
		wantNotVerified(t, got, "not checked: metadata.google.internal is a private name (.internal)")
		if n := dns.Asked("metadata.google.internal"); n != 0 {
			t.Fatalf("DNS server was asked %d times, want 0", n)
		}
	})
	t.Run("DialerChecksTheSocketAddress", func(t *testing.T) {
		d := &netguard.Dialer{Policy: strict}
		for _, addr := range []string{"127.0.0.1:80", "[::1]:443", "169.254.169.254:80", "10.1.2.3:8080", "[::ffff:192.168.0.1]:80"} {
			var refused *netguard.RefusedError
			if err := d.Control("tcp", addr, nil); !errors.As(err, &refused) {
				t.Errorf("control(%s) = %v, want a refusal", addr, err)
			}
		}
		if err := d.Control("tcp", "203.0.113.7:443", nil); err != nil {
			t.Errorf("control(203.0.113.7:443) = %v, want nil (a public address)", err)
		}
	})
}

func TestCancelledContext(t *testing.T) {
	t.Run("BeforeTheCheck", func(t *testing.T) {
		srv := serveFile(t, http.StatusOK, token)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := New(local, verifytest.StartDNS(t, verifytest.Zone{}).Addr).CheckOwnership(ctx, mustNormalize(t, srv.URL, local), token)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error = %v, want context.Canceled", err)
		}
		if n := srv.hits.Load(); n != 0 {
			t.Fatalf("server saw %d requests, want 0", n)
		}
	})
	t.Run("DuringTheRequest", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		srv := serveHandler(t, func(w http.ResponseWriter, r *http.Request) {
			cancel()
			<-r.Context().Done()
		})
		_, err := New(local, verifytest.StartDNS(t, verifytest.Zone{}).Addr).CheckOwnership(ctx, mustNormalize(t, srv.URL, local), token)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error = %v, want context.Canceled", err)
		}
	})
}

func TestCallerFaults(t *testing.T) {
	c := New(local, verifytest.StartDNS(t, verifytest.Zone{}).Addr)
	a := mustNormalize(t, "owner.example", strict)
	for _, bad := range []string{"", "two words", "tab\there", "ünïcode", strings.Repeat("x", MaxTokenLength+1)} {
		if _, err := c.CheckOwnership(context.Background(), a, bad); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("token %q: error = %v, want ErrInvalidToken", bad, err)
		}
	}
	for _, bad := range []asset.Asset{
		{},
		{Value: "owner.example", Type: "mystery", Host: "owner.example"},
		{Value: "203.0.113.7", Type: asset.Domain, Host: "203.0.113.7"},
		{Value: "ftp://owner.example", Type: asset.WebApp, Host: "owner.example"},
	} {
		if _, err := c.CheckOwnership(context.Background(), bad, token); !errors.Is(err, ErrInvalidAsset) {
			t.Errorf("asset %+v: error = %v, want ErrInvalidAsset", bad, err)
		}
	}
}

func TestInstructions(t *testing.T) {
	t.Run("Domain", func(t *testing.T) {
		got := Instructions(mustNormalize(t, "example.com", strict), token)
		want := []Instruction{{
			Method: portal.OwnershipDNSTXT,
			Target: "example.com",
			Value:  "partnerportal-verification=" + token,
			Text:   `Add a TXT record to example.com with the value "partnerportal-verification=` + token + `".`,
		}, {
			Method: portal.OwnershipHTTPFile,
			Target: "https://example.com/.well-known/partnerportal-verification.txt",
			Value:  token,
			Text: "Serve the file https://example.com/.well-known/partnerportal-verification.txt with the token " + token +
				" as its content (http://example.com/.well-known/partnerportal-verification.txt also works).",
		}}
		if len(got) != len(want) {
			t.Fatalf("got %d instructions %+v, want %d", len(got), got, len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("instruction %d\n got %+v\nwant %+v", i, got[i], want[i])
			}
		}
	})
	t.Run("URLHasNoPathInTheFileURL", func(t *testing.T) {
		got := Instructions(mustNormalize(t, "https://app.example.com:8443/login", strict), token)
		if len(got) != 2 || got[1].Target != "https://app.example.com:8443/.well-known/partnerportal-verification.txt" {
			t.Fatalf("got %+v, want a TXT record on app.example.com and the file at https://app.example.com:8443/.well-known/…", got)
		}
	})
	t.Run("IPOnlyFile", func(t *testing.T) {
		got := Instructions(mustNormalize(t, "2001:db8::1", strict), token)
		if len(got) != 1 || got[0].Method != portal.OwnershipHTTPFile || got[0].Target != "https://[2001:db8::1]/.well-known/partnerportal-verification.txt" {
			t.Fatalf("got %+v, want only the file at https://[2001:db8::1]/.well-known/…", got)
		}
	})
	t.Run("InvalidTokenNone", func(t *testing.T) {
		if got := Instructions(mustNormalize(t, "example.com", strict), ""); got != nil {
			t.Fatalf("got %+v, want nil", got)
		}
	})
}

package scan

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partnerportal/portal/internal/verify/verifytest"
)

// Certificates are generated per test run, valid relative to testNow
// (the engines' clock): a test CA the engines trust (Engine.Roots),
// leaves it signs, and self-signed ones.

// testPKI is a certificate authority for tests.
type testPKI struct {
	cert  *x509.Certificate
	key   *ecdsa.PrivateKey
	roots *x509.CertPool
}

var serial atomic.Int64

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newPKI returns a CA valid for ten years around testNow.
func newPKI(t *testing.T, name string) *testPKI {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial.Add(1)),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             testNow.AddDate(-5, 0, 0),
		NotAfter:              testNow.AddDate(5, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	return &testPKI{cert: cert, key: key, roots: roots}
}

// leafSpec describes a server certificate.
type leafSpec struct {
	names      []string // DNS names and IP addresses
	notBefore  time.Time
	notAfter   time.Time
	selfSigned bool
}

// validFor is a leaf for names valid from a year before testNow to a
// year after.
func validFor(names ...string) leafSpec {
	return leafSpec{names: names, notBefore: testNow.AddDate(-1, 0, 0), notAfter: testNow.AddDate(1, 0, 0)}
}

// issue returns a server certificate per spec, signed by p unless
// spec.selfSigned.
func (p *testPKI) issue(t *testing.T, spec leafSpec) tls.Certificate {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		Subject:      pkix.Name{CommonName: spec.names[0]},
		NotBefore:    spec.notBefore,
		NotAfter:     spec.notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range spec.names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	parent, signer := p.cert, p.key
	if spec.selfSigned {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// hardened sets every header the light profile looks for, and a cookie
// with every attribute; it answers with an HTML page.
func hardened(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("Server", "nginx")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Add("Set-Cookie", "sid=1; Path=/; Secure; HttpOnly; SameSite=Lax")
}

// hardenedPage is a handler that answers every request with a hardened
// HTML page.
var hardenedPage = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	hardened(w)
	w.Write([]byte("<!doctype html><title>ok</title>"))
})

// startTLS starts an HTTPS server with conf (certificates, versions) and
// h, on 127.0.0.1, closed when the test ends.
func startTLS(t *testing.T, conf *tls.Config, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewUnstartedServer(h)
	s.TLS = conf
	s.Config.ErrorLog = quietLog()
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// startHTTP starts a plain HTTP server with h on 127.0.0.1.
func startHTTP(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewUnstartedServer(h)
	s.Config.ErrorLog = quietLog()
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// redirectTo answers every request with a 301 to base + the request's
// path.
func redirectTo(base string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, base+r.URL.Path, http.StatusMovedPermanently)
	})
}

// unusedPort returns a port on 127.0.0.1 that nothing listens on.
func unusedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return p
}

// lightEngine is a test engine that trusts pki.
func lightEngine(t *testing.T, pki *testPKI, zone verifytest.Zone) *Engine {
	t.Helper()
	e := newTestEngine(t, zone)
	e.Roots = pki.roots
	return e
}

// got returns "check detail" of every finding, sorted (Run sorts by
// asset, check and detail).
func got(res Result) []string {
	out := []string{}
	for _, f := range res.Findings {
		out = append(out, f.CheckID+" "+f.Detail)
	}
	return out
}

// wantFindings fails the test unless res has exactly want ("check
// detail", sorted) and no errors.
func wantFindings(t *testing.T, res Result, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if len(res.Errors) != 0 {
		t.Errorf("errors = %+v, want none", res.Errors)
	}
	if g := got(res); !slices.Equal(g, want) {
		t.Fatalf("findings:\n  got  %q\n  want %q", g, want)
	}
}

// evidenceOf returns the evidence of the finding of check with detail.
func evidenceOf(t *testing.T, res Result, check, detail string) string {
	t.Helper()
	for _, f := range res.Findings {
		if f.CheckID == check && f.Detail == detail {
			return f.Evidence
		}
	}
	t.Fatalf("no finding %s %q", check, detail)
	return ""
}

// ids returns the IDs of checks.
func ids(cs []Check) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// without returns list without the given items.
func without(list []string, drop ...string) []string {
	return slices.DeleteFunc(slices.Clone(list), func(s string) bool { return slices.Contains(drop, s) })
}

var lightIDs = []string{
	"dns.resolve",
	"http.cookie-insecure", "http.csp-missing", "http.frame-protection-missing", "http.hsts-missing",
	"http.no-https-redirect", "http.nosniff-missing", "http.referrer-policy-missing", "http.server-disclosure",
	"tls.expired", "tls.expiring", "tls.hostname-mismatch", "tls.legacy-protocol", "tls.self-signed", "tls.untrusted",
}

func TestLightProfile(t *testing.T) {
	t.Run("Checks", func(t *testing.T) {
		if g := ids(Checks(ProfileLight)); !slices.Equal(g, lightIDs) {
			t.Fatalf("light checks:\n  got  %q\n  want %q", g, lightIDs)
		}
	})
	t.Run("FullIncludesLight", func(t *testing.T) {
		full := ids(Checks(ProfileFull))
		for _, id := range lightIDs {
			if !slices.Contains(full, id) {
				t.Errorf("full lacks %s", id)
			}
		}
	})
	t.Run("APIHasTheTLSAndHeaderChecks", func(t *testing.T) {
		api := ids(Checks(ProfileAPI))
		for _, id := range without(lightIDs, "dns.resolve", "http.no-https-redirect") {
			if !slices.Contains(api, id) {
				t.Errorf("api lacks %s", id)
			}
		}
		for _, id := range []string{"dns.resolve", "http.no-https-redirect"} {
			if slices.Contains(api, id) {
				t.Errorf("api has %s", id)
			}
		}
	})
	t.Run("SeveritiesAndTexts", func(t *testing.T) {
		want := map[string]Severity{
			"dns.resolve": SeverityLow, "tls.expired": SeverityHigh, "tls.expiring": SeverityLow,
			"tls.self-signed": SeverityMedium, "tls.untrusted": SeverityMedium, "tls.hostname-mismatch": SeverityMedium,
			"tls.legacy-protocol": SeverityMedium, "http.no-https-redirect": SeverityMedium, "http.hsts-missing": SeverityLow,
			"http.csp-missing": SeverityLow, "http.nosniff-missing": SeverityLow, "http.frame-protection-missing": SeverityLow,
			"http.referrer-policy-missing": SeverityInfo, "http.cookie-insecure": SeverityLow, "http.server-disclosure": SeverityLow,
		}
		for _, c := range Checks(ProfileLight) {
			if c.Severity != want[c.ID] {
				t.Errorf("%s severity = %s, want %s", c.ID, c.Severity, want[c.ID])
			}
			if c.Title == "" || c.Description == "" || c.Remediation == "" {
				t.Errorf("%s lacks a title, description or remediation", c.ID)
			}
		}
	})
}

// TestTLSChecks runs the light profile against an https URL asset
// (https://127.0.0.1:port) per certificate or protocol problem: on a
// port other than 443 there is no plain-HTTP URL to check, and the
// server is hardened, so only the TLS checks can find anything.
func TestTLSChecks(t *testing.T) {
	pki := newPKI(t, "Test CA")
	scan := func(t *testing.T, conf *tls.Config) (Result, string) {
		t.Helper()
		srv := startTLS(t, conf, hardenedPage)
		res := run(t, lightEngine(t, pki, verifytest.Zone{}), ProfileLight, newTarget(t, "a1", srv.URL, false, local))
		return res, strings.TrimPrefix(srv.URL, "https://")
	}
	certConf := func(c tls.Certificate) *tls.Config { return &tls.Config{Certificates: []tls.Certificate{c}} }

	t.Run("ValidCertificateNothingFound", func(t *testing.T) {
		res, _ := scan(t, certConf(pki.issue(t, validFor("127.0.0.1"))))
		wantFindings(t, res)
		want := without(lightIDs, "dns.resolve", "http.no-https-redirect")
		if g := res.Ran["a1"]; !slices.Equal(g, want) {
			t.Fatalf("Ran = %q, want %q", g, want)
		}
	})
	t.Run("Expired", func(t *testing.T) {
		res, ep := scan(t, certConf(pki.issue(t, leafSpec{names: []string{"127.0.0.1"},
			notBefore: testNow.AddDate(0, -3, 0), notAfter: testNow.AddDate(0, 0, -2)})))
		wantFindings(t, res, "tls.expired "+ep)
		if g, w := evidenceOf(t, res, "tls.expired", ep), "the certificate for 127.0.0.1 presented at "+ep+" expired on 2030-05-30"; !strings.HasPrefix(g, w) {
			t.Fatalf("evidence = %q, want it to start %q", g, w)
		}
	})
	t.Run("ExpiringIn10Days", func(t *testing.T) {
		res, ep := scan(t, certConf(pki.issue(t, leafSpec{names: []string{"127.0.0.1"},
			notBefore: testNow.AddDate(0, -3, 0), notAfter: testNow.AddDate(0, 0, 10)})))
		wantFindings(t, res, "tls.expiring "+ep)
		if g, w := evidenceOf(t, res, "tls.expiring", ep), "expires on 2030-06-11, in 10 days"; !strings.Contains(g, w) {
			t.Fatalf("evidence = %q, want it to contain %q", g, w)
		}
	})
	t.Run("ExpiringIn31DaysNotFound", func(t *testing.T) {
		res, _ := scan(t, certConf(pki.issue(t, leafSpec{names: []string{"127.0.0.1"},
			notBefore: testNow.AddDate(0, -3, 0), notAfter: testNow.AddDate(0, 0, 31)})))
		wantFindings(t, res)
	})
	t.Run("SelfSigned", func(t *testing.T) {
		spec := validFor("127.0.0.1")
		spec.selfSigned = true
		res, ep := scan(t, certConf(pki.issue(t, spec)))
		wantFindings(t, res, "tls.self-signed "+ep)
	})
	t.Run("SignedByAnUntrustedCA", func(t *testing.T) {
		other := newPKI(t, "Other CA")
		res, ep := scan(t, certConf(other.issue(t, validFor("127.0.0.1"))))
		wantFindings(t, res, "tls.untrusted "+ep)
		if g, w := evidenceOf(t, res, "tls.untrusted", ep), "(issuer: CN=Other CA) is not signed by a trusted authority"; !strings.HasSuffix(g, w) {
			t.Fatalf("evidence = %q, want it to end %q", g, w)
		}
	})
	t.Run("WrongHostName", func(t *testing.T) {
		res, ep := scan(t, certConf(pki.issue(t, validFor("other.example"))))
		wantFindings(t, res, "tls.hostname-mismatch "+ep)
		if g, w := evidenceOf(t, res, "tls.hostname-mismatch", ep), "the certificate presented at "+ep+" is for other.example, not 127.0.0.1"; g != w {
			t.Fatalf("evidence = %q, want %q", g, w)
		}
	})
	t.Run("ExpiredSelfSignedWrongHostAllFound", func(t *testing.T) {
		res, ep := scan(t, certConf(pki.issue(t, leafSpec{names: []string{"other.example"}, selfSigned: true,
			notBefore: testNow.AddDate(-1, 0, 0), notAfter: testNow.AddDate(0, 0, -1)})))
		wantFindings(t, res, "tls.expired "+ep, "tls.hostname-mismatch "+ep, "tls.self-signed "+ep)
	})
	t.Run("TLS10And11Accepted", func(t *testing.T) {
		conf := certConf(pki.issue(t, validFor("127.0.0.1")))
		conf.MinVersion, conf.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
		res, ep := scan(t, conf)
		wantFindings(t, res, "tls.legacy-protocol TLS 1.0", "tls.legacy-protocol TLS 1.1")
		if g, w := evidenceOf(t, res, "tls.legacy-protocol", "TLS 1.0"), ep+" completed a handshake offering only TLS 1.0"; !strings.HasPrefix(g, w) {
			t.Fatalf("evidence = %q, want it to start %q", g, w)
		}
	})
	t.Run("OnlyTLS11Accepted", func(t *testing.T) {
		conf := certConf(pki.issue(t, validFor("127.0.0.1")))
		conf.MinVersion = tls.VersionTLS11
		res, _ := scan(t, conf)
		wantFindings(t, res, "tls.legacy-protocol TLS 1.1")
	})
	t.Run("NotTLSIsAnError", func(t *testing.T) {
		srv := startHTTP(t, hardenedPage)
		target := newTarget(t, "a1", strings.Replace(srv.URL, "http://", "https://", 1), false, local)
		res := run(t, lightEngine(t, pki, verifytest.Zone{}), ProfileLight, target)
		ep := strings.TrimPrefix(srv.URL, "http://")
		var want []CheckError
		for _, id := range without(lightIDs, "dns.resolve", "http.no-https-redirect") {
			msg := ep + ": the server did not answer with TLS"
			if strings.HasPrefix(id, "http.") {
				msg = "GET " + target.Asset.Value + ": the server did not answer with TLS"
			}
			want = append(want, CheckError{CheckID: id, AssetID: "a1", Error: msg})
		}
		if len(res.Findings) != 0 || !slices.Equal(res.Errors, want) {
			t.Fatalf("findings = %q\nerrors = %+v\nwant no findings and errors %+v", got(res), res.Errors, want)
		}
	})
}

// TestHTTPChecks runs the light profile against plain and TLS servers
// with and without the headers it looks for.
func TestHTTPChecks(t *testing.T) {
	pki := newPKI(t, "Test CA")
	ipCert := &tls.Config{Certificates: []tls.Certificate{pki.issue(t, validFor("127.0.0.1"))}}

	t.Run("WeakPlainHTTPServer", func(t *testing.T) {
		srv := startHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Server", "Apache/2.4.57 (Ubuntu)")
			w.Header().Set("X-Powered-By", "PHP/8.1.2")
			w.Header().Add("Set-Cookie", "session=abc123; Path=/")
			w.Header().Add("Set-Cookie", "prefs=dark; Secure; HttpOnly")
			w.Header().Add("Set-Cookie", "ok=1; Secure; HttpOnly; SameSite=Strict")
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html><body>hello</body></html>"))
		}))
		res := run(t, lightEngine(t, pki, verifytest.Zone{}), ProfileLight, newTarget(t, "a1", srv.URL, false, local))
		wantFindings(t, res,
			"http.cookie-insecure cookie prefs",
			"http.cookie-insecure cookie session",
			"http.csp-missing Content-Security-Policy",
			"http.frame-protection-missing X-Frame-Options",
			"http.no-https-redirect "+srv.URL,
			"http.nosniff-missing X-Content-Type-Options",
			"http.referrer-policy-missing Referrer-Policy",
			"http.server-disclosure header Server",
			"http.server-disclosure header X-Powered-By",
		)
		answer := "the answer to GET " + srv.URL + " (HTTP 200, text/html)"
		for _, c := range []struct{ check, detail, want string }{
			{"http.cookie-insecure", "cookie session", "cookie session is set without Secure, HttpOnly and SameSite in " + answer},
			{"http.cookie-insecure", "cookie prefs", "cookie prefs is set without SameSite in " + answer},
			{"http.server-disclosure", "header Server", "Server: Apache/2.4.57 (Ubuntu) in " + answer},
			{"http.csp-missing", "Content-Security-Policy", "Content-Security-Policy header absent in " + answer},
			{"http.no-https-redirect", srv.URL, "GET " + srv.URL + " is answered over plain HTTP (HTTP 200) without a redirect to https"},
		} {
			if g := evidenceOf(t, res, c.check, c.detail); g != c.want {
				t.Errorf("%s %s evidence = %q, want %q", c.check, c.detail, g, c.want)
			}
		}
		want := without(lightIDs, "dns.resolve", "tls.expired", "tls.expiring", "tls.hostname-mismatch",
			"tls.legacy-protocol", "tls.self-signed", "tls.untrusted", "http.hsts-missing")
		if g := res.Ran["a1"]; !slices.Equal(g, want) {
			t.Fatalf("Ran = %q, want %q (no TLS checks on an http URL)", g, want)
		}
	})
	t.Run("HardenedIPWithRedirectNothingFound", func(t *testing.T) {
		https := startTLS(t, ipCert, hardenedPage)
		plain := startHTTP(t, redirectTo(https.URL))
		e := lightEngine(t, pki, verifytest.Zone{})
		e.ports = map[string]int{"https": portOf(t, https.URL), "http": portOf(t, plain.URL)}
		res := run(t, e, ProfileLight, newTarget(t, "a1", "127.0.0.1", false, local))
		wantFindings(t, res)
		if g, w := res.Ran["a1"], without(lightIDs, "dns.resolve"); !slices.Equal(g, w) {
			t.Fatalf("Ran = %q, want %q", g, w)
		}
	})
	t.Run("DomainResolvedThroughDNS", func(t *testing.T) {
		var sni atomic.Value
		conf := &tls.Config{GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
			sni.Store(h.ServerName)
			c := pki.issue(t, validFor("shop.example"))
			return &c, nil
		}}
		https := startTLS(t, conf, hardenedPage)
		plain := startHTTP(t, redirectTo("https://shop.example:"+itoa(portOf(t, https.URL))))
		e := lightEngine(t, pki, verifytest.Zone{A: map[string][]string{"shop.example": {"127.0.0.1"}}})
		e.ports = map[string]int{"https": portOf(t, https.URL), "http": portOf(t, plain.URL)}
		res := run(t, e, ProfileLight, newTarget(t, "a1", "shop.example", false, local))
		// A public name resolving to a loopback address is the only
		// problem; the certificate names shop.example, sent as SNI.
		wantFindings(t, res, "dns.resolve non-public address 127.0.0.1")
		if g, w := evidenceOf(t, res, "dns.resolve", "non-public address 127.0.0.1"), "shop.example resolves to 127.0.0.1, a loopback address (127.0.0.0/8)"; g != w {
			t.Fatalf("evidence = %q, want %q", g, w)
		}
		if g := sni.Load(); g != "shop.example" {
			t.Fatalf("SNI = %v, want shop.example", g)
		}
	})
	t.Run("NameWithoutAddress", func(t *testing.T) {
		e := lightEngine(t, pki, verifytest.Zone{})
		e.ports = map[string]int{"https": unusedPort(t), "http": unusedPort(t)}
		res := run(t, e, ProfileLight, newTarget(t, "a1", "gone.example", false, local))
		if g, w := got(res), []string{"dns.resolve no address"}; !slices.Equal(g, w) {
			t.Fatalf("findings = %q, want %q", g, w)
		}
		wantErr := CheckError{CheckID: "tls.expired", AssetID: "a1", Error: "gone.example:" + itoa(e.ports["https"]) + ": gone.example has no address"}
		if !slices.Contains(res.Errors, wantErr) {
			t.Fatalf("errors = %+v, want among them %+v", res.Errors, wantErr)
		}
		if g, w := res.Ran["a1"], []string{"dns.resolve"}; !slices.Equal(g, w) {
			t.Fatalf("Ran = %q, want %q", g, w)
		}
	})
	t.Run("HSTSWithMaxAgeZero", func(t *testing.T) {
		srv := startTLS(t, ipCert, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hardened(w)
			w.Header().Set("Strict-Transport-Security", "max-age=0")
		}))
		res := run(t, lightEngine(t, pki, verifytest.Zone{}), ProfileLight, newTarget(t, "a1", srv.URL, false, local))
		wantFindings(t, res, "http.hsts-missing Strict-Transport-Security")
	})
	t.Run("FrameProtection", func(t *testing.T) {
		for _, c := range []struct {
			name, csp, xfo string
			found          bool
		}{
			{"FrameAncestorsEnough", "frame-ancestors 'none'", "", false},
			{"XFrameOptionsDenyEnough", "default-src 'self'", "DENY", false},
			{"XFrameOptionsAllowAllNotEnough", "default-src 'self'", "ALLOWALL", true},
			{"NeitherNotEnough", "default-src 'self'", "", true},
		} {
			t.Run(c.name, func(t *testing.T) {
				srv := startTLS(t, ipCert, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					hardened(w)
					w.Header().Set("Content-Security-Policy", c.csp)
					if c.xfo != "" {
						w.Header().Set("X-Frame-Options", c.xfo)
					}
				}))
				res := run(t, lightEngine(t, pki, verifytest.Zone{}), ProfileLight, newTarget(t, "a1", srv.URL, false, local))
				if c.found {
					wantFindings(t, res, "http.frame-protection-missing X-Frame-Options")
				} else {
					wantFindings(t, res)
				}
			})
		}
	})
	t.Run("SameHostRedirectFollowedToThePage", func(t *testing.T) {
		srv := startTLS(t, ipCert, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/" {
				w.Header().Set("Strict-Transport-Security", "max-age=31536000")
				http.Redirect(w, r, "/home", http.StatusFound)
				return
			}
			hardened(w)
		}))
		res := run(t, lightEngine(t, pki, verifytest.Zone{}), ProfileLight, newTarget(t, "a1", srv.URL, false, local))
		wantFindings(t, res)
	})
	t.Run("RedirectToAnotherHostIsNoDocument", func(t *testing.T) {
		srv := startTLS(t, ipCert, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Strict-Transport-Security", "max-age=31536000")
			http.Redirect(w, r, "https://www.example.com/", http.StatusMovedPermanently)
		}))
		res := run(t, lightEngine(t, pki, verifytest.Zone{}), ProfileLight, newTarget(t, "a1", srv.URL, false, local))
		wantFindings(t, res)
	})
	t.Run("NothingListeningForPlainHTTPIsFine", func(t *testing.T) {
		https := startTLS(t, ipCert, hardenedPage)
		e := lightEngine(t, pki, verifytest.Zone{})
		e.ports = map[string]int{"https": portOf(t, https.URL), "http": unusedPort(t)}
		res := run(t, e, ProfileLight, newTarget(t, "a1", "127.0.0.1", false, local))
		wantFindings(t, res)
	})
	t.Run("PlainHTTPRedirectingOnPlainHTTP", func(t *testing.T) {
		https := startTLS(t, ipCert, hardenedPage)
		plain := startHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/" {
				http.Redirect(w, r, "/welcome", http.StatusFound)
				return
			}
			hardened(w)
		}))
		e := lightEngine(t, pki, verifytest.Zone{})
		e.ports = map[string]int{"https": portOf(t, https.URL), "http": portOf(t, plain.URL)}
		res := run(t, e, ProfileLight, newTarget(t, "a1", "127.0.0.1", false, local))
		wantFindings(t, res, "http.no-https-redirect "+plain.URL+"/")
		if g, w := evidenceOf(t, res, "http.no-https-redirect", plain.URL+"/"),
			"GET "+plain.URL+"/ is answered over plain HTTP (HTTP 200 at "+plain.URL+"/welcome) without a redirect to https"; g != w {
			t.Fatalf("evidence = %q, want %q", g, w)
		}
	})
	t.Run("JSONAPINeedsNoDocumentHeaders", func(t *testing.T) {
		srv := startTLS(t, ipCert, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Server", "Kestrel")
			w.Write([]byte(`{"status":"ok"}`))
		}))
		res := run(t, lightEngine(t, pki, verifytest.Zone{}), ProfileAPI, newTarget(t, "a1", srv.URL+"/v1", true, local))
		wantFindings(t, res, "http.hsts-missing Strict-Transport-Security", "http.nosniff-missing X-Content-Type-Options")
	})
	t.Run("ChecksShareOneGETOfThePage", func(t *testing.T) {
		var gets atomic.Int32
		srv := startTLS(t, ipCert, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			gets.Add(1)
			hardenedPage(w, r)
		}))
		res := run(t, lightEngine(t, pki, verifytest.Zone{}), ProfileLight, newTarget(t, "a1", srv.URL, false, local))
		wantFindings(t, res)
		if g := gets.Load(); g != 1 {
			t.Fatalf("server saw %d requests, want 1", g)
		}
	})
}

// hangingListener accepts connections on 127.0.0.1 and never answers.
func hangingListener(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { <-done; c.Close() }()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestLightBudget runs the real light checks against a server that
// accepts connections and never answers.
func TestLightBudget(t *testing.T) {
	pki := newPKI(t, "Test CA")
	hostChecks := without(lightIDs, "dns.resolve")
	allFailWith := func(t *testing.T, res Result, msg string) {
		t.Helper()
		var want []CheckError
		for _, id := range hostChecks {
			want = append(want, CheckError{CheckID: id, AssetID: "a1", Error: msg})
		}
		if !slices.Equal(res.Errors, want) || len(res.Findings) != 0 || len(res.Ran["a1"]) != 0 {
			t.Fatalf("errors = %+v\nfindings = %q, Ran = %q\nwant every check to fail with %q", res.Errors, got(res), res.Ran["a1"], msg)
		}
	}
	t.Run("BudgetEndsTheScan", func(t *testing.T) {
		port := hangingListener(t)
		e := lightEngine(t, pki, verifytest.Zone{})
		e.ports = map[string]int{"https": port, "http": port}
		e.Budget, e.Timeout, e.Concurrency = 300*time.Millisecond, time.Minute, len(lightIDs)
		res := run(t, e, ProfileLight, newTarget(t, "a1", "127.0.0.1", false, local))
		allFailWith(t, res, "not finished: the scan's time budget (300ms) ran out")
	})
	t.Run("ConnectionTimeout", func(t *testing.T) {
		port := hangingListener(t)
		e := lightEngine(t, pki, verifytest.Zone{})
		e.ports = map[string]int{"https": port, "http": port}
		e.Timeout = 200 * time.Millisecond
		res := run(t, e, ProfileLight, newTarget(t, "a1", "127.0.0.1", false, local))
		for _, ce := range res.Errors {
			if !strings.HasSuffix(ce.Error, ": timed out after 200ms") {
				t.Errorf("%s error = %q, want a timeout after 200ms", ce.CheckID, ce.Error)
			}
		}
		if len(res.Errors) != len(hostChecks) || len(res.Ran["a1"]) != 0 {
			t.Fatalf("errors = %+v, Ran = %q; want every check to time out", res.Errors, res.Ran["a1"])
		}
	})
}

// TestLightAddressPolicy runs the real light checks under the production
// policy against servers on 127.0.0.1: nothing connects to them.
func TestLightAddressPolicy(t *testing.T) {
	pki := newPKI(t, "Test CA")
	ipCert := &tls.Config{Certificates: []tls.Certificate{pki.issue(t, validFor("127.0.0.1"))}}
	// servers starts a hardened HTTPS server and a plain one redirecting
	// to it, and returns their ports and a count of their connections.
	servers := func(t *testing.T) (map[string]int, func() int32) {
		var conns atomic.Int32
		count := func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				conns.Add(1)
			}
		}
		https := httptest.NewUnstartedServer(hardenedPage)
		https.TLS, https.Config.ConnState, https.Config.ErrorLog = ipCert, count, quietLog()
		https.StartTLS()
		t.Cleanup(https.Close)
		plain := httptest.NewUnstartedServer(redirectTo(https.URL))
		plain.Config.ConnState = count
		plain.Start()
		t.Cleanup(plain.Close)
		return map[string]int{"https": portOf(t, https.URL), "http": portOf(t, plain.URL)}, conns.Load
	}
	t.Run("LoopbackTargetNotScanned", func(t *testing.T) {
		ports, conns := servers(t)
		e := lightEngine(t, pki, verifytest.Zone{})
		e.Policy, e.ports = strict, ports
		res := run(t, e, ProfileLight, newTarget(t, "a1", "127.0.0.1", false, local))
		var want []CheckError
		for _, id := range without(lightIDs, "dns.resolve") {
			want = append(want, CheckError{CheckID: id, AssetID: "a1", Error: "not scanned: 127.0.0.1 is a loopback address (127.0.0.0/8)"})
		}
		if !slices.Equal(res.Errors, want) || len(res.Findings) != 0 {
			t.Fatalf("errors = %+v, findings = %q; want %+v", res.Errors, got(res), want)
		}
		if n := conns(); n != 0 {
			t.Fatalf("servers saw %d connections, want 0", n)
		}
	})
	t.Run("NameResolvingToLoopbackNotConnectedTo", func(t *testing.T) {
		ports, conns := servers(t)
		e := lightEngine(t, pki, verifytest.Zone{A: map[string][]string{"rebind.example": {"127.0.0.1"}}})
		e.Policy, e.ports = strict, ports
		res := run(t, e, ProfileLight, newTarget(t, "a1", "rebind.example", false, strict))
		wantFindingsOnly := []string{"dns.resolve non-public address 127.0.0.1"}
		if g := got(res); !slices.Equal(g, wantFindingsOnly) {
			t.Fatalf("findings = %q, want %q", g, wantFindingsOnly)
		}
		refused := "not connected: rebind.example resolves to 127.0.0.1, a loopback address (127.0.0.0/8)"
		for _, ce := range res.Errors {
			if !strings.HasSuffix(ce.Error, ": "+refused) {
				t.Errorf("%s error = %q, want it to end %q", ce.CheckID, ce.Error, refused)
			}
		}
		if g, w := len(res.Errors), len(lightIDs)-1; g != w {
			t.Fatalf("%d errors, want %d: %+v", g, w, res.Errors)
		}
		if n := conns(); n != 0 {
			t.Fatalf("servers saw %d connections, want 0", n)
		}
	})
}

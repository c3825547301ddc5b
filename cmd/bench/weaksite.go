package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/partnerportal/portal/internal/devserver"
	"github.com/partnerportal/portal/internal/verify"
)

// The scan measurements need a deliberately weak web site on 127.0.0.1: an
// HTTP server and an HTTPS server (self-signed certificate, TLS 1.0 and 1.1
// accepted) with the same handler. It runs in a child process (this binary
// again, with weakSiteEnv set), so that the allocations the bench counts
// per scan are the scanner's alone, not the servers' answering it. The
// child also counts what it sees (connections, TLS ClientHellos, requests)
// and answers those counts on a separate control listener.

// weakSiteEnv, set to "1", makes this binary (or the test binary: see
// TestMain) serve the weak site instead of running the bench.
const weakSiteEnv = "PORTAL_BENCH_WEAK_SITE"

// weakSiteInfo is what the child tells its parent on its first line of
// output.
type weakSiteInfo struct {
	HTTP    string `json:"http"`    // http://127.0.0.1:port
	HTTPS   string `json:"https"`   // https://127.0.0.1:port
	Control string `json:"control"` // http://127.0.0.1:port of the counts
	Cert    []byte `json:"cert"`    // DER of the HTTPS server's certificate
	Closed  []int  `json:"closed"`  // loopback ports that were free when the child started
}

// siteRequest is one request the weak site answered.
type siteRequest struct {
	Base   string `json:"base"`   // the server's base URL
	Method string `json:"method"` // GET, PUT
	Path   string `json:"path"`   // path and query
	Origin string `json:"origin"` // the Origin header, if any
}

// URL returns the request's URL.
func (r siteRequest) URL() string { return r.Base + r.Path }

// siteCounts is what the weak site saw since the counts were last taken.
type siteCounts struct {
	Conns    int           `json:"conns"`  // TCP connections accepted by either server
	Hellos   int           `json:"hellos"` // TLS ClientHellos of the HTTPS server
	Requests []siteRequest `json:"requests"`
}

// serveWeakSiteIfAsked serves the weak site when weakSiteEnv is set, until
// its standard input ends (the parent closed it or died), and reports
// whether it did.
func serveWeakSiteIfAsked() bool {
	if os.Getenv(weakSiteEnv) != "1" {
		return false
	}
	if err := serveWeakSite(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench weak site:", err)
		os.Exit(1)
	}
	return true
}

// weakHandler is the local stack's weak site (devserver.WeakSite: no
// security headers, version disclosure, an insecure cookie, no redirect to
// https, an exposed /.env and /.git/HEAD, a listing at /uploads/, CORS that
// reflects any Origin with credentials), counting what it is asked.
type weakHandler struct {
	site   devserver.WeakSite
	mu     sync.Mutex
	counts siteCounts
	base   map[bool]string // by r.TLS != nil
}

func (h *weakHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.counts.Requests = append(h.counts.Requests, siteRequest{
		Base: h.base[r.TLS != nil], Method: r.Method, Path: r.URL.RequestURI(), Origin: r.Header.Get("Origin"),
	})
	h.mu.Unlock()
	h.site.ServeHTTP(w, r)
}

// take returns the counts since the last take and starts new ones.
func (h *weakHandler) take() siteCounts {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.counts
	h.counts = siteCounts{}
	return c
}

// serveWeakSite starts the servers, writes their weakSiteInfo as one JSON
// line to out and serves until in ends.
func serveWeakSite(in io.Reader, out io.Writer) error {
	h := &weakHandler{base: map[bool]string{}}
	quiet := log.New(io.Discard, "", 0) // handshakes the scanner breaks off on purpose
	connState := func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			h.mu.Lock()
			h.counts.Conns++
			h.mu.Unlock()
		}
	}
	plain := httptest.NewUnstartedServer(h)
	plain.Config.ErrorLog, plain.Config.ConnState = quiet, connState
	plain.Start()
	defer plain.Close()
	secure := httptest.NewUnstartedServer(h)
	secure.Config.ErrorLog, secure.Config.ConnState = quiet, connState
	secure.TLS = &tls.Config{
		MinVersion: tls.VersionTLS10, // weak on purpose: TLS 1.0 and 1.1 accepted
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			h.mu.Lock()
			h.counts.Hellos++
			h.mu.Unlock()
			return nil, nil
		},
	}
	secure.StartTLS() // httptest's self-signed certificate for 127.0.0.1, ::1 and example.com
	defer secure.Close()
	h.base[false], h.base[true] = plain.URL, secure.URL

	control := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(h.take())
	}))
	defer control.Close()

	info := weakSiteInfo{HTTP: plain.URL, HTTPS: secure.URL, Control: control.URL, Cert: secure.Certificate().Raw}
	for range 5 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		info.Closed = append(info.Closed, ln.Addr().(*net.TCPAddr).Port)
		ln.Close()
	}
	if err := json.NewEncoder(out).Encode(info); err != nil {
		return err
	}
	io.Copy(io.Discard, in)
	return nil
}

// weakSite is the parent's side of the child process.
type weakSite struct {
	weakSiteInfo
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	client *http.Client // for the control listener and the token
}

// startWeakSite starts the child process serving the weak site.
func startWeakSite() (*weakSite, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("weak site: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), weakSiteEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("weak site: start %s: %w", exe, err)
	}
	w := &weakSite{cmd: cmd, stdin: stdin, client: &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}, Timeout: 30 * time.Second}}
	line := make(chan []byte, 1)
	go func() {
		b, _ := bufio.NewReader(stdout).ReadBytes('\n')
		line <- b
		io.Copy(io.Discard, stdout)
	}()
	select {
	case b := <-line:
		if err := json.Unmarshal(b, &w.weakSiteInfo); err != nil || w.HTTP == "" || w.HTTPS == "" {
			w.close()
			return nil, fmt.Errorf("weak site: the child process said %q (%v)", b, err)
		}
	case <-time.After(time.Minute):
		w.close()
		return nil, fmt.Errorf("weak site: the child process did not start within a minute")
	}
	return w, nil
}

// close ends the child process: its standard input closes, it stops.
func (w *weakSite) close() {
	w.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- w.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		w.cmd.Process.Kill() // our own child, by its process
		<-done
	}
}

// counts returns what the site saw since the last call.
func (w *weakSite) counts(ctx context.Context) (siteCounts, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.Control+"/counts", nil)
	if err != nil {
		return siteCounts{}, err
	}
	res, err := w.client.Do(req)
	if err != nil {
		return siteCounts{}, fmt.Errorf("weak site counts: %w", err)
	}
	defer res.Body.Close()
	var c siteCounts
	if err := json.NewDecoder(res.Body).Decode(&c); err != nil {
		return siteCounts{}, fmt.Errorf("weak site counts: %w", err)
	}
	return c, nil
}

// publishToken makes the site serve token at the verification path (of
// both servers).
func (w *weakSite) publishToken(ctx context.Context, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, w.HTTP+verify.WellKnownPath, strings.NewReader(token))
	if err != nil {
		return err
	}
	res, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("weak site: publish the token: %w", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		return fmt.Errorf("weak site: publish the token: HTTP %d", res.StatusCode)
	}
	return nil
}

// roots returns a pool that trusts the HTTPS server's certificate (for
// the ownership check, which verifies certificates; the scanner judges
// them against the system roots and finds it self-signed).
func (w *weakSite) roots() (*x509.CertPool, error) {
	c, err := x509.ParseCertificate(w.Cert)
	if err != nil {
		return nil, fmt.Errorf("weak site certificate: %w", err)
	}
	p := x509.NewCertPool()
	p.AddCert(c)
	return p, nil
}

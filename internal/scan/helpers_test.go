package scan

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partnerportal/portal/internal/asset"
	"github.com/partnerportal/portal/internal/verify/verifytest"
)

// Nothing here touches the internet: names resolve only through a DNS
// server run by the test on 127.0.0.1 (verifytest), and every server
// listens on 127.0.0.1.

var (
	strict = asset.Policy{}                   // production
	local  = asset.Policy{AllowPrivate: true} // local stack and tests
)

// testNow is the clock of every test engine; certificates are generated
// relative to it.
var testNow = time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)

// newTestEngine returns an engine for servers on 127.0.0.1: the local
// policy, a DNS server answering from zone, the test clock and short
// timeouts.
func newTestEngine(t *testing.T, zone verifytest.Zone) *Engine {
	t.Helper()
	return &Engine{
		Policy:       local,
		DNSServer:    verifytest.StartDNS(t, zone).Addr,
		Budget:       20 * time.Second,
		CheckTimeout: 10 * time.Second,
		Timeout:      2 * time.Second,
		Now:          func() time.Time { return testNow },
	}
}

// newTarget normalises raw under p (api marks an API base URL) into a
// target with asset ID id.
func newTarget(t *testing.T, id, raw string, api bool, p asset.Policy) Target {
	t.Helper()
	a, err := asset.Normalize(raw, api, p)
	if err != nil {
		t.Fatalf("Normalize(%q): %v", raw, err)
	}
	return Target{AssetID: id, Asset: a}
}

// run runs profile on targets and fails the test on an error.
func run(t *testing.T, e *Engine, profile Profile, targets ...Target) Result {
	t.Helper()
	res, err := e.Run(context.Background(), profile, targets)
	if err != nil {
		t.Fatalf("Run(%s): %v", profile, err)
	}
	return res
}

// countingServer is an httptest server that counts the connections it
// accepts.
type countingServer struct {
	*httptest.Server
	conns atomic.Int32
}

// startCounting starts an HTTP (tls false) or HTTPS server with h that
// counts connections, closed when the test ends.
func startCounting(t *testing.T, tlsOn bool, h http.Handler) *countingServer {
	t.Helper()
	s := &countingServer{Server: httptest.NewUnstartedServer(h)}
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Config.ErrorLog = quietLog()
	if tlsOn {
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	return s
}

// portOf returns the port of a server URL.
func portOf(t *testing.T, rawURL string) int {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// quietLog discards the test servers' logs of handshakes that checks
// break off on purpose.
func quietLog() *log.Logger { return log.New(io.Discard, "", 0) }

func itoa(n int) string { return strconv.Itoa(n) }

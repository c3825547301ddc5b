package scan

import (
	"net"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/partnerportal/portal/internal/verify/verifytest"
)

// onlyCheck returns an engine for local servers that runs just the
// registered check id (so these tests do not depend on other checks).
func onlyCheck(t *testing.T, id string, zone verifytest.Zone) *Engine {
	t.Helper()
	c, ok := Lookup(id)
	if !ok {
		t.Fatalf("check %s is not registered", id)
	}
	e := newTestEngine(t, zone)
	e.checks = []Check{c}
	return e
}

// portListener is a TCP listener on 127.0.0.1 that accepts and closes
// connections and counts them.
type portListener struct {
	port  int
	conns atomic.Int32
}

// listenPort starts a listener on a free port of 127.0.0.1, closed when
// the test ends.
func listenPort(t *testing.T) *portListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	l := &portListener{port: ln.Addr().(*net.TCPAddr).Port}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.conns.Add(1)
			c.Close()
		}
	}()
	return l
}

// closedPort returns a port of 127.0.0.1 on which nothing listens.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// sortedKeys returns "asset check detail" keys sorted as the engine
// sorts findings.
func sortedKeys(keys ...string) []string {
	slices.Sort(keys)
	return keys
}

func TestPortsOpen(t *testing.T) {
	t.Run("EachOpenPortIsOneFinding", func(t *testing.T) {
		a, b := listenPort(t), listenPort(t)
		closed := closedPort(t)
		e := onlyCheck(t, PortsCheckID, verifytest.Zone{})
		e.Ports = []int{a.port, closed, b.port}
		res := run(t, e, ProfileFull, newTarget(t, "a1", "127.0.0.1", false, local))
		if len(res.Errors) != 0 {
			t.Fatalf("errors = %+v, want none", res.Errors)
		}
		want := sortedKeys("a1 ports.open port "+itoa(a.port)+"/tcp", "a1 ports.open port "+itoa(b.port)+"/tcp")
		if got := findingKeys(res); !slices.Equal(got, want) {
			t.Fatalf("findings = %q, want %q", got, want)
		}
		f := res.Findings[0]
		if got, want := f.Severity, SeverityLow; got != want {
			t.Errorf("severity of a port of no known service = %s, want %s", got, want)
		}
		if got, want := f.Title, "Open TCP port"; got != want {
			t.Errorf("title = %q, want %q", got, want)
		}
	})
	t.Run("ClosedPortsYieldNothing", func(t *testing.T) {
		e := onlyCheck(t, PortsCheckID, verifytest.Zone{})
		e.Ports = []int{closedPort(t), closedPort(t)}
		res := run(t, e, ProfileFull, newTarget(t, "a1", "127.0.0.1", false, local))
		if len(res.Findings) != 0 || len(res.Errors) != 0 {
			t.Fatalf("findings = %+v, errors = %+v; want neither", res.Findings, res.Errors)
		}
		if got, want := res.Ran["a1"], []string{PortsCheckID}; !slices.Equal(got, want) {
			t.Fatalf("Ran = %v, want %v (closed ports are a completed check)", got, want)
		}
	})
	t.Run("PortOfTheAssetURLIsExpected", func(t *testing.T) {
		web, other := listenPort(t), listenPort(t)
		e := onlyCheck(t, PortsCheckID, verifytest.Zone{})
		e.Ports = []int{web.port, other.port}
		res := run(t, e, ProfileFull, newTarget(t, "a1", "http://127.0.0.1:"+itoa(web.port)+"/app", false, local))
		if got, want := findingKeys(res), []string{"a1 ports.open port " + itoa(other.port) + "/tcp"}; !slices.Equal(got, want) {
			t.Fatalf("findings = %q, want %q", got, want)
		}
		if n := web.conns.Load(); n != 0 {
			t.Fatalf("the asset's own port saw %d connections, want 0 (not probed)", n)
		}
	})
	t.Run("NameIsResolvedOnce", func(t *testing.T) {
		a, b := listenPort(t), listenPort(t)
		dns := verifytest.StartDNS(t, verifytest.Zone{A: map[string][]string{"db.example": {"127.0.0.1"}}})
		e := onlyCheck(t, PortsCheckID, verifytest.Zone{})
		e.DNSServer = dns.Addr
		e.Ports = []int{a.port, b.port, closedPort(t)}
		res := run(t, e, ProfileFull, newTarget(t, "a1", "db.example", false, strict))
		want := sortedKeys("a1 ports.open port "+itoa(a.port)+"/tcp", "a1 ports.open port "+itoa(b.port)+"/tcp")
		if got := findingKeys(res); !slices.Equal(got, want) {
			t.Fatalf("findings = %q, want %q (errors %+v)", got, want, res.Errors)
		}
		// One lookup is one A and one AAAA question; a lookup per port
		// would be six.
		if got, max := dns.Asked("db.example"), 2; got > max {
			t.Fatalf("db.example asked about %d times, want at most %d (resolve once, dial the address)", got, max)
		}
	})
	t.Run("NameResolvingToLoopbackRefusedUnderProductionPolicy", func(t *testing.T) {
		l := listenPort(t)
		e := onlyCheck(t, PortsCheckID, verifytest.Zone{A: map[string][]string{"rebind.example": {"127.0.0.1"}}})
		e.Policy = strict
		e.Ports = []int{l.port}
		res := run(t, e, ProfileFull, newTarget(t, "a1", "rebind.example", false, strict))
		want := []CheckError{{CheckID: PortsCheckID, AssetID: "a1", Error: "not connected: 127.0.0.1 is a loopback address (127.0.0.0/8)"}}
		if !reflect.DeepEqual(res.Errors, want) || len(res.Findings) != 0 {
			t.Fatalf("errors = %+v, findings = %+v; want %+v and no findings", res.Errors, res.Findings, want)
		}
		if n := l.conns.Load(); n != 0 {
			t.Fatalf("listener saw %d connections, want 0", n)
		}
	})
	t.Run("OnlyInTheFullProfile", func(t *testing.T) {
		c, _ := Lookup(PortsCheckID)
		if got, want := c.Profiles, []Profile{ProfileFull}; !slices.Equal(got, want) {
			t.Fatalf("profiles = %v, want %v", got, want)
		}
	})
}

func TestPortServices(t *testing.T) {
	t.Run("EveryDefaultPortHasAService", func(t *testing.T) {
		for _, p := range DefaultPorts {
			if _, ok := PortServices[p]; !ok {
				t.Errorf("port %d of DefaultPorts has no entry in PortServices", p)
			}
		}
	})
	t.Run("SeverityByService", func(t *testing.T) {
		for port, want := range map[int]Severity{
			6379: SeverityHigh, 3306: SeverityHigh, 5432: SeverityHigh, 27017: SeverityHigh, 2375: SeverityHigh,
			22: SeverityMedium, 3389: SeverityMedium,
			25: SeverityLow, 8080: SeverityLow, 54321: SeverityLow,
		} {
			if got := ServiceOf(port).Severity; got != want {
				t.Errorf("ServiceOf(%d).Severity = %s, want %s", port, got, want)
			}
		}
	})
}

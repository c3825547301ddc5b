// Package verifytest serves DNS answers to ownership checks in tests: a
// tiny authoritative server on 127.0.0.1 (UDP), speaking the real wire
// protocol, so verify.Checker is tested as it runs.
package verifytest

import (
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// Zone is what the test DNS server answers. Names are without the
// trailing dot.
type Zone struct {
	TXT map[string][][]string // name → records, each record a list of strings
	A   map[string][]string   // name → IPv4 addresses
}

// DNS is a tiny authoritative DNS server on 127.0.0.1 (UDP) that
// answers TXT and A queries from a zone; every other name is NXDOMAIN.
type DNS struct {
	// Addr is the server's "127.0.0.1:port", for verify.Checker.DNSServer.
	Addr string

	mu      sync.Mutex
	queries map[string]int // name → number of questions about it
}

// StartDNS starts a server answering from z until the test ends.
func StartDNS(t testing.TB, z Zone) *DNS {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen udp: %v", err)
	}
	t.Cleanup(func() { pc.Close() })
	s := &DNS{Addr: pc.LocalAddr().String(), queries: map[string]int{}}
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return // closed
			}
			if resp := s.answer(z, buf[:n]); resp != nil {
				pc.WriteTo(resp, from)
			}
		}
	}()
	return s
}

func (s *DNS) answer(z Zone, query []byte) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	name := strings.ToLower(strings.TrimSuffix(q.Name.String(), "."))
	s.mu.Lock()
	s.queries[name]++
	s.mu.Unlock()

	_, hasTXT := z.TXT[name]
	_, hasA := z.A[name]
	rcode := dnsmessage.RCodeSuccess
	if !hasTXT && !hasA {
		rcode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{
		ID: h.ID, Response: true, Authoritative: true,
		RecursionDesired: h.RecursionDesired, RecursionAvailable: true, RCode: rcode,
	})
	b.EnableCompression()
	b.StartQuestions()
	b.Question(q)
	b.StartAnswers()
	rh := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}
	switch q.Type {
	case dnsmessage.TypeTXT:
		for _, r := range z.TXT[name] {
			b.TXTResource(rh, dnsmessage.TXTResource{TXT: r})
		}
	case dnsmessage.TypeA:
		for _, ip := range z.A[name] {
			b.AResource(rh, dnsmessage.AResource{A: netip.MustParseAddr(ip).As4()})
		}
	}
	msg, err := b.Finish()
	if err != nil {
		return nil
	}
	return msg
}

// Asked returns how many questions about name the server was asked.
func (s *DNS) Asked(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries[name]
}

// Package localhttp serves the local stand-ins of AWS services
// (internal/localeventbridge, localscheduler, locallambda) on a loopback
// address: listening, the base URL the SDK clients are pointed at, and a
// bounded shutdown that also drains the endpoint's background work.
package localhttp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// DefaultAddr is where Listen listens when given "": a free port on the
// loopback interface.
const DefaultAddr = "127.0.0.1:0"

// Server is an http.Handler served in the background.
type Server struct {
	name string
	ln   net.Listener
	srv  *http.Server
}

// Listen listens on addr (DefaultAddr when "") and serves h until Close.
// name ("localscheduler") prefixes its errors. It returns an error when
// it cannot listen.
func Listen(name, addr string, h http.Handler) (*Server, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: listen on %s: %w", name, addr, err)
	}
	s := &Server{name: name, ln: ln, srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// URL returns the base URL, such as "http://127.0.0.1:41234", for an SDK
// client's BaseEndpoint or AWS_ENDPOINT_URL_<SERVICE>.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Close stops listening, waits for the requests in flight and then calls
// drain with the time left of timeout; drain stops the endpoint's
// background work (deliveries, fires, invocations) and reports whether it
// finished in that time (pending names that work in the error otherwise).
// Calling it again is harmless.
func (s *Server) Close(timeout time.Duration, drain func(time.Duration) bool, pending string) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		_ = s.srv.Close()
		drain(0)
		return fmt.Errorf("%s: close: %w", s.name, err)
	}
	remaining := timeout
	if dl, ok := ctx.Deadline(); ok {
		remaining = time.Until(dl)
	}
	if !drain(remaining) {
		return fmt.Errorf("%s: close: %s still running", s.name, pending)
	}
	return nil
}

// WaitAtMost runs wait and reports whether it returned within timeout; wait
// goes on in the background when it did not.
func WaitAtMost(wait func(), timeout time.Duration) bool {
	done := make(chan struct{})
	go func() { wait(); close(done) }()
	t := time.NewTimer(max(timeout, 0))
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
}

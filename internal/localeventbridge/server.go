package localeventbridge

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// DefaultAddr is where Start listens when given "": a free port on the
// loopback interface.
const DefaultAddr = "127.0.0.1:0"

// closeTimeout bounds how long Close waits for requests and rule targets in
// flight.
const closeTimeout = 5 * time.Second

// Server is a Handler listening on a TCP address. Its Handler methods
// (Events, Subscribe, PutRule, Wait, FailNext, ...) are promoted.
type Server struct {
	*Handler
	ln  net.Listener
	srv *http.Server
}

// Start listens on addr (DefaultAddr when "") and serves a new Handler in the
// background until Close. It returns an error when it cannot listen.
func Start(addr string) (*Server, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("localeventbridge: listen on %s: %w", addr, err)
	}
	h := NewHandler()
	s := &Server{
		Handler: h,
		ln:      ln,
		srv:     &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second},
	}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// URL returns the endpoint's base URL, such as "http://127.0.0.1:41234", for
// the eventbridge client's BaseEndpoint or AWS_ENDPOINT_URL_EVENTBRIDGE.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Close stops listening, stops delivering to rule targets (see
// Handler.Close: pending retries are dropped) and waits up to five seconds
// for requests and targets in flight. It returns an error when they did not
// finish in time; calling it again is harmless.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		_ = s.srv.Close()
		s.Handler.Close(0)
		return fmt.Errorf("localeventbridge: close: %w", err)
	}
	remaining := closeTimeout
	if dl, ok := ctx.Deadline(); ok {
		remaining = time.Until(dl)
	}
	if !s.Handler.Close(remaining) {
		return errors.New("localeventbridge: close: rule targets still running")
	}
	return nil
}

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

// Server is a Handler listening on a TCP address. Its Handler methods
// (Events, Subscribe, FailNext, ...) are promoted.
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

// Close stops listening and waits up to five seconds for requests in flight.
// It returns an error when they did not finish in time; calling it again is
// harmless.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		_ = s.srv.Close()
		return fmt.Errorf("localeventbridge: close: %w", err)
	}
	return nil
}

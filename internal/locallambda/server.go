package locallambda

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

// closeTimeout bounds how long Close waits for requests and background
// invocations in flight.
const closeTimeout = 5 * time.Second

// Server is a Handler listening on a TCP address. Its Handler methods
// (Register, ARN, Wait, FailedAsync) are promoted.
type Server struct {
	*Handler
	ln  net.Listener
	srv *http.Server
}

// Start listens on addr (DefaultAddr when "") and serves a new
// NewHandler(opts...) in the background until Close. It returns an error
// when it cannot listen.
func Start(addr string, opts ...Option) (*Server, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("locallambda: listen on %s: %w", addr, err)
	}
	h := NewHandler(opts...)
	s := &Server{
		Handler: h,
		ln:      ln,
		srv:     &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second},
	}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// URL returns the endpoint's base URL, such as "http://127.0.0.1:41234", for
// the lambda client's BaseEndpoint or AWS_ENDPOINT_URL_LAMBDA.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Close stops listening, ends the context of every invocation in flight,
// abandons pending retries (see Handler.Close) and waits up to five seconds
// for requests and background invocations to finish. It returns an error
// when they did not finish in time; calling it again is harmless.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	s.Handler.cancel()
	err := s.srv.Shutdown(ctx)
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		_ = s.srv.Close()
		return fmt.Errorf("locallambda: close: %w", err)
	}
	remaining := closeTimeout
	if dl, ok := ctx.Deadline(); ok {
		remaining = time.Until(dl)
	}
	if !s.Handler.Close(remaining) {
		return errors.New("locallambda: close: async invocations still running")
	}
	return nil
}

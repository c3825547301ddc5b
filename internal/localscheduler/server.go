package localscheduler

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// DefaultAddr is where Start listens when Config.Addr is "": a free port on
// the loopback interface.
const DefaultAddr = "127.0.0.1:0"

// closeTimeout bounds how long Close waits for requests and fires in flight.
const closeTimeout = 5 * time.Second

// Server is a Handler listening on a TCP address. Its Handler methods
// (OnFire, Tick, Run, FireNow, Wait, Requests, FailNext, DeadLetters) are
// promoted.
type Server struct {
	*Handler
	ln  net.Listener
	srv *http.Server
}

// Start listens on cfg.Addr (DefaultAddr when "") and serves a new
// Handler(cfg) in the background until Close. Nothing fires until Tick,
// Run or FireNow is called. It returns an error when it cannot listen.
func Start(cfg Config) (*Server, error) {
	addr := cfg.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("localscheduler: listen on %s: %w", addr, err)
	}
	h := NewHandler(cfg)
	s := &Server{
		Handler: h,
		ln:      ln,
		srv:     &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second},
	}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// URL returns the endpoint's base URL, such as "http://127.0.0.1:41234", for
// the scheduler client's BaseEndpoint or AWS_ENDPOINT_URL_SCHEDULER.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Close stops listening, abandons the fires in flight (see Handler.Close)
// and waits up to five seconds for requests and fire callbacks in flight.
// It returns an error when they did not finish in time; calling it again is
// harmless.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		_ = s.srv.Close()
		return fmt.Errorf("localscheduler: close: %w", err)
	}
	remaining := closeTimeout
	if dl, ok := ctx.Deadline(); ok {
		remaining = time.Until(dl)
	}
	if !s.Handler.Close(remaining) {
		return errors.New("localscheduler: close: fire callbacks still running")
	}
	return nil
}

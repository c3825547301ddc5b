package localscheduler

import (
	"time"

	"github.com/partnerportal/portal/internal/localhttp"
)

// DefaultAddr is where Start listens when given "": a free port on the
// loopback interface.
const DefaultAddr = localhttp.DefaultAddr

// closeTimeout bounds how long Close waits for requests and fire callbacks in
// flight.
const closeTimeout = 5 * time.Second

// Server is a Handler listening on a TCP address. Its Handler methods
// (OnFire, Tick, Run, FireNow, Wait, Requests, FailNext, DeadLetters) are promoted.
type Server struct {
	*Handler
	http *localhttp.Server
}

// Start listens on cfg.Addr (DefaultAddr when "") and serves a new
// Handler(cfg) in the background until Close. Nothing fires until Tick,
// Run or FireNow is called. It returns an error
// when it cannot listen.
func Start(cfg Config) (*Server, error) {
	h := NewHandler(cfg)
	srv, err := localhttp.Listen("localscheduler", cfg.Addr, h)
	if err != nil {
		return nil, err
	}
	return &Server{Handler: h, http: srv}, nil
}

// URL returns the endpoint's base URL, such as "http://127.0.0.1:41234", for
// the scheduler client's BaseEndpoint or AWS_ENDPOINT_URL_SCHEDULER.
func (s *Server) URL() string { return s.http.URL() }

// Close stops listening, abandons the fires in flight (see Handler.Close) and waits up to five seconds for
// requests and fire callbacks in flight. It returns an error when they did not
// finish in time; calling it again is harmless.
func (s *Server) Close() error {
	return s.http.Close(closeTimeout, s.Handler.Close, "fire callbacks")
}

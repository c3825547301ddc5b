package localeventbridge

import (
	"time"

	"github.com/partnerportal/portal/internal/localhttp"
)

// DefaultAddr is where Start listens when given "": a free port on the
// loopback interface.
const DefaultAddr = localhttp.DefaultAddr

// closeTimeout bounds how long Close waits for requests and rule targets in
// flight.
const closeTimeout = 5 * time.Second

// Server is a Handler listening on a TCP address. Its Handler methods
// (Events, Subscribe, PutRule, Wait, FailNext, ...) are promoted.
type Server struct {
	*Handler
	http *localhttp.Server
}

// Start listens on addr (DefaultAddr when "") and serves a new
// Handler in the background until Close. It returns an error
// when it cannot listen.
func Start(addr string) (*Server, error) {
	h := NewHandler()
	srv, err := localhttp.Listen("localeventbridge", addr, h)
	if err != nil {
		return nil, err
	}
	return &Server{Handler: h, http: srv}, nil
}

// URL returns the endpoint's base URL, such as "http://127.0.0.1:41234", for
// the eventbridge client's BaseEndpoint or AWS_ENDPOINT_URL_EVENTBRIDGE.
func (s *Server) URL() string { return s.http.URL() }

// Close stops listening, stops delivering to rule targets (see Handler.Close: pending
// retries are dropped) and waits up to five seconds for
// requests and rule targets in flight. It returns an error when they did not
// finish in time; calling it again is harmless.
func (s *Server) Close() error {
	return s.http.Close(closeTimeout, s.Handler.Close, "rule targets")
}

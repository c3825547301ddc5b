// Package locals3 is a local Amazon S3 endpoint for tests and the local
// stack: gofakes3 (github.com/johannesboyne/gofakes3), a maintained fake
// that speaks S3's REST protocol, served over HTTP on the loopback
// interface. Code under test talks to it through the real s3 client
// (NewClient: path-style addressing, static credentials), so requests,
// signing and errors go over the wire as they do against AWS.
//
// Objects are kept in memory, or under a directory when Config.Dir is set
// (so the local stack's reports outlive a restart, like its DynamoDB
// Local data). Request signatures are not checked.
package locals3

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/spf13/afero"
)

// Config says what Start serves.
type Config struct {
	// Bucket is created (if it does not exist) before Start returns.
	Bucket string
	// Dir keeps the objects on disk under this directory; "" keeps them
	// in memory.
	Dir string
}

// Server is a running local S3 endpoint.
type Server struct {
	// Bucket is the bucket Start created.
	Bucket string
	ln     net.Listener
	srv    *http.Server
}

// Start serves a local S3 endpoint on a free port of 127.0.0.1 in the
// background until Close, with cfg.Bucket created. It fails when the
// bucket name is empty, Dir cannot be used or it cannot listen.
func Start(cfg Config) (*Server, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("locals3: no bucket name")
	}
	var backend gofakes3.Backend = s3mem.New()
	if cfg.Dir != "" {
		if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("locals3: %w", err)
		}
		fs, err := s3afero.MultiBucket(afero.NewBasePathFs(afero.NewOsFs(), cfg.Dir))
		if err != nil {
			return nil, fmt.Errorf("locals3: objects under %s: %w", cfg.Dir, err)
		}
		backend = fs
	}
	if exists, err := backend.BucketExists(cfg.Bucket); err != nil {
		return nil, fmt.Errorf("locals3: bucket %s: %w", cfg.Bucket, err)
	} else if !exists {
		if err := backend.CreateBucket(cfg.Bucket); err != nil {
			return nil, fmt.Errorf("locals3: create bucket %s: %w", cfg.Bucket, err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("locals3: listen: %w", err)
	}
	s := &Server{
		Bucket: cfg.Bucket,
		ln:     ln,
		srv:    &http.Server{Handler: gofakes3.New(backend).Server(), ReadHeaderTimeout: 10 * time.Second},
	}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// URL returns the endpoint's base URL, such as "http://127.0.0.1:41234".
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Client returns an s3 client of the endpoint (see NewClient).
func (s *Server) Client() *s3.Client {
	c, _ := NewClient(s.URL()) // the URL is well-formed
	return c
}

// Close stops serving, waiting up to five seconds for requests in flight;
// calling it again is harmless.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		_ = s.srv.Close()
		return fmt.Errorf("locals3: close: %w", err)
	}
	return nil
}

// NewClient returns an s3 client of the endpoint at endpoint
// ("http://host:port"): path-style addressing (the bucket in the path, not
// the host name), static credentials and region us-east-1, and otherwise
// the client's defaults (checksums as against AWS). It reads no AWS
// configuration and makes no calls.
func NewClient(endpoint string) (*s3.Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("locals3: endpoint %q is not an http(s) URL", endpoint)
	}
	return s3.New(s3.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
	}), nil
}

package devserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/ddblocal"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/localeventbridge"
	"github.com/partnerportal/portal/internal/localiam"
	"github.com/partnerportal/portal/internal/locals3"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/services"
)

// Config says where and how the local stack runs.
type Config struct {
	Dir      string // state: DynamoDB data, seed and credentials (".devstack")
	Addr     string // listen address ("127.0.0.1:3000"; port 0 picks one)
	Endpoint string // an existing DynamoDB to use instead of starting DynamoDB Local
	Table    string // table name ("partner-portal")
	InMemory bool   // keep DynamoDB Local's data in memory instead of Dir
	// Binaries is a directory holding the functions' binaries already
	// built for this machine (tests build them once); empty: Start builds
	// them into Dir/bin.
	Binaries string
	// FastClock runs the local Scheduler's clock FastClockSpeed times
	// faster than real time, so schedules fire within seconds (demos and
	// tests); otherwise they fire at their start minute.
	FastClock bool
	Log       io.Writer
}

// ReportsBucket is the bucket of scan reports on the local S3 endpoint.
const ReportsBucket = "partner-portal-reports"

// Credentials is what `make run` writes to .devstack/credentials.json once the API answers.
type Credentials struct {
	APIURL          string `json:"apiUrl"`
	SuperAdminKey   string `json:"superAdminKey"`
	PartnerID       string `json:"partnerId"`
	PartnerAdminKey string `json:"partnerAdminKey"`
	// WeakSiteURL is a deliberately weak local web site to scan.
	WeakSiteURL string `json:"weakSiteUrl"`
	// ConsoleURL is the partner console; the demo partner admin signs in
	// there with ConsoleEmail and ConsolePassword.
	ConsoleURL      string `json:"consoleUrl"`
	ConsoleEmail    string `json:"consoleEmail"`
	ConsolePassword string `json:"consolePassword"`
}

// Stack is a running local stack.
type Stack struct {
	URL         string
	Credentials Credentials
	reports     *locals3.Server // the local S3 endpoint of scan reports
	server      *http.Server
	ddb         *ddblocal.Instance
	lock        *os.File // held while the stack runs (lockDir)
	bus         *localeventbridge.Server
	gate        *localiam.Server // the functions' way to DynamoDB
	functions   *functions
	streams     *streams
	scheduling  *scheduling
	weak        *weakServer
}

// Start brings up DynamoDB Local (unless cfg.Endpoint names one), the table,
// the seed data and the HTTP API, waits until the API answers an
// authenticated request, then writes credentials.json. On error everything
// started so far is stopped.
func Start(ctx context.Context, cfg Config) (_ *Stack, err error) {
	st := &Stack{}
	defer func() {
		if err != nil {
			st.Close()
		}
	}()
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	if st.lock, err = lockDir(cfg.Dir); err != nil {
		return nil, err
	}
	endpoint := cfg.Endpoint
	if endpoint == "" {
		opt := ddblocal.Options{Stdout: io.Discard, Stderr: cfg.Log}
		if !cfg.InMemory {
			opt.DataDir = filepath.Join(cfg.Dir, "dynamodb")
		}
		fmt.Fprintf(cfg.Log, "starting DynamoDB Local…\n")
		if st.ddb, err = ddblocal.Start(ctx, opt); err != nil {
			return nil, err
		}
		endpoint = st.ddb.Endpoint()
	}
	client, err := ddblocal.NewClient(ctx, endpoint)
	if err != nil {
		return nil, err
	}
	a := app.Declaration()
	if err := dynamo.CreateTable(ctx, client, cfg.Table, a.Table); err != nil {
		return nil, fmt.Errorf("create table %s: %w", cfg.Table, err)
	}
	secret, err := persistentSecret(filepath.Join(cfg.Dir, "cursor-secret"))
	if err != nil {
		return nil, err
	}
	// The stack's own process seeds the table and reads it for /_local;
	// every request of the app is served by the functions' binaries.
	svc := services.New(dynamo.New(client, cfg.Table), secret, portal.SystemClock, &portal.ULIDs{})
	bins := cfg.Binaries
	if bins == "" {
		bins = filepath.Join(cfg.Dir, "bin")
		fmt.Fprintf(cfg.Log, "building %d functions for this machine into %s…\n", len(a.Functions), bins)
		root, err := moduleRoot()
		if err != nil {
			return nil, err
		}
		if err := BuildFunctions(root, bins); err != nil {
			return nil, err
		}
	}
	// Reports go to an in-process S3-compatible endpoint; their objects
	// are kept next to the DynamoDB data (in memory with it).
	s3dir := filepath.Join(cfg.Dir, "s3")
	if cfg.InMemory {
		s3dir = ""
	}
	if st.reports, err = locals3.Start(locals3.Config{Bucket: ReportsBucket, Dir: s3dir}); err != nil {
		return nil, err
	}
	fmt.Fprintf(cfg.Log, "starting the local EventBridge, Scheduler, S3 and Lambda endpoints…\n")
	if st.bus, err = localeventbridge.Start(""); err != nil {
		return nil, fmt.Errorf("local event bus: %w", err)
	}
	st.bus.Subscribe(func(e localeventbridge.Event) {
		fmt.Fprintf(cfg.Log, "event %s / %s: %s\n", e.Source, e.DetailType, e.Detail)
	})
	schedulesFile := filepath.Join(cfg.Dir, "schedules.json")
	if cfg.InMemory {
		schedulesFile = ""
	}
	if st.scheduling, err = startScheduling(schedulesFile, cfg.FastClock, cfg.Log); err != nil {
		return nil, err
	}
	home := filepath.Join(cfg.Dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	// The functions reach DynamoDB through a gate holding each to its
	// role, as IAM does; the stack itself (seeding, reading the stream)
	// goes straight to it.
	if st.gate, err = localiam.Start("", endpoint, a.Functions, a.Roles(), cfg.Log); err != nil {
		return nil, fmt.Errorf("DynamoDB gate: %w", err)
	}
	st.functions, err = startFunctions(a, bins, Endpoints{
		Table: cfg.Table, CursorSecret: string(secret), DynamoDB: st.gate.URL(), EventBridge: st.bus.URL(),
		Scheduler: st.scheduling.server.URL(), S3: st.reports.URL(), Home: home,
	}, cfg.Log)
	if err != nil {
		return nil, err
	}
	if err := st.scheduling.deliverTo(a, st.bus, st.functions); err != nil {
		return nil, err
	}
	if st.streams, err = startStreams(ctx, a, st.bus, st.functions, client, endpoint, cfg.Table, cfg.Log); err != nil {
		return nil, err
	}
	fmt.Fprintf(cfg.Log, "seeding the super admin and the demo partner…\n")
	creds, err := seed(ctx, svc, cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}

	gw := &Gateway{App: a, Invoke: st.functions.invoke, Now: time.Now}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	st.URL = "http://" + ln.Addr().String()
	st.server = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch { // local-only helpers, not part of the API
		case strings.HasPrefix(r.URL.Path, "/_local/schedules/"):
			st.scheduling.ServeHTTP(w, r)
			return
		case strings.HasPrefix(r.URL.Path, "/_local/"):
			st.streams.ServeHTTP(w, r)
			return
		}
		gw.ServeHTTP(w, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	go st.server.Serve(ln)

	if st.weak, err = startWeakSite(); err != nil {
		return nil, err
	}
	creds.APIURL, creds.WeakSiteURL, creds.ConsoleURL = st.URL, st.weak.url, st.URL+"/console/"
	if err := waitForAPI(ctx, st.URL, creds.PartnerAdminKey); err != nil {
		return nil, err
	}
	st.Credentials = creds
	if err := writeJSON(filepath.Join(cfg.Dir, "credentials.json"), creds); err != nil {
		return nil, err
	}
	return st, nil
}

// Close stops the HTTP server, the functions, the local endpoints (S3,
// EventBridge, the DynamoDB gate) and the DynamoDB Local it started.
func (s *Stack) Close() error {
	var errs []error
	if s.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		errs = append(errs, s.server.Shutdown(ctx))
	}
	if s.streams != nil {
		s.streams.close()
	}
	if s.scheduling != nil {
		s.scheduling.close()
	}
	if s.functions != nil {
		errs = append(errs, s.functions.close())
	}
	if s.gate != nil {
		errs = append(errs, s.gate.Close())
	}
	if s.bus != nil {
		errs = append(errs, s.bus.Close())
	}
	if s.weak != nil {
		s.weak.close()
	}
	if s.ddb != nil {
		errs = append(errs, s.ddb.Stop())
	}
	if s.reports != nil {
		errs = append(errs, s.reports.Close())
	}
	if s.lock != nil {
		errs = append(errs, s.lock.Close())
	}
	return errors.Join(errs...)
}

// waitForAPI polls an authenticated list request until it answers 200.
func waitForAPI(ctx context.Context, url, key string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/v1/customers?limit=1", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", res.StatusCode)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the API at %s did not answer: %w", url, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// persistentSecret reads a random secret from name, creating it once.
func persistentSecret(name string) ([]byte, error) {
	if b, err := os.ReadFile(name); err == nil && len(b) >= 32 {
		return b, nil
	}
	var raw [32]byte
	rand.Read(raw[:])
	secret := []byte(hex.EncodeToString(raw[:]))
	if err := os.WriteFile(name, secret, 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", name, err)
	}
	return secret, nil
}

func writeJSON(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(name, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

func readJSON(name string, v any) bool {
	b, err := os.ReadFile(name)
	return err == nil && json.Unmarshal(b, v) == nil
}

// moduleRoot returns the directory of the go.mod above the working
// directory (make run and the tests run inside the module).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run make run from the clone")
		}
		dir = parent
	}
}

// Package ddblocal runs the official DynamoDB Local jar for tests and local
// development, without Docker.
//
// The jar ships inside the npm package amplify-dynamodb-simulator (pinned at
// Version). On first use it is fetched with `npm pack` into the user's cache
// directory (os.UserCacheDir()/partner-portal, or $PARTNER_PORTAL_CACHE_DIR),
// checked against the pinned sha512 integrity and extracted; every later use,
// from any clone or process, re-checks the extracted files and reuses them.
// Running it needs Java 17+. Linux and macOS are supported.
package ddblocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

const (
	installJava  = "DynamoDB Local needs Java 17+: install it with `apt-get install openjdk-17-jre-headless` (macOS: `brew install openjdk@17`)"
	startTimeout = 60 * time.Second
	stopTimeout  = 10 * time.Second
	portAttempts = 3
)

// Options configure Start.
type Options struct {
	// DataDir is the directory for the database file; "" runs in memory.
	DataDir string
	// Port is the TCP port to listen on; 0 picks a free one.
	Port int
	// Stdout and Stderr, when not nil, receive the process's output.
	Stdout, Stderr io.Writer
}

// Instance is a running DynamoDB Local process.
type Instance struct {
	endpoint string
	cmd      *exec.Cmd
	output   *tail
	exited   chan struct{} // closed once cmd.Wait has returned
	waitErr  error         // cmd.Wait's result, set before exited is closed

	stopOnce sync.Once
	stopErr  error
}

// Start fetches DynamoDB Local if the cache lacks a verified copy, starts it
// with -sharedDb on a loopback endpoint and returns once it answers
// ListTables. ctx bounds the fetch and the start-up only; the process runs
// until Stop (on Linux the kernel also kills it when this process dies).
//
// Errors: when Java 17+ or npm is missing, the message says what to install;
// when the download fails verification, or the process exits or does not
// answer within a minute, the message includes the output (the process is
// killed in that case). DynamoDB Local has no bind-address option and listens
// on all interfaces; the endpoint returned always uses 127.0.0.1.
func Start(ctx context.Context, opt Options) (*Instance, error) {
	java, err := findJava(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := install(ctx, opt.Stderr)
	if err != nil {
		return nil, err
	}
	if opt.DataDir != "" {
		// The JVM runs in the jar's directory: a relative path would land there.
		if opt.DataDir, err = filepath.Abs(opt.DataDir); err != nil {
			return nil, fmt.Errorf("ddblocal: data directory: %w", err)
		}
		if err := os.MkdirAll(opt.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("ddblocal: data directory: %w", err)
		}
	}
	for attempt := 1; ; attempt++ {
		inst, err := start(ctx, java, dir, opt)
		// A port picked by freePort can be taken by someone else before the
		// JVM binds it; pick another.
		var busy portInUseError
		if opt.Port == 0 && attempt < portAttempts && errors.As(err, &busy) {
			continue
		}
		return inst, err
	}
}

func start(ctx context.Context, java, dir string, opt Options) (*Instance, error) {
	port := opt.Port
	if port == 0 {
		var err error
		if port, err = freePort(); err != nil {
			return nil, err
		}
	}
	args := []string{
		"-Djava.library.path=" + filepath.Join(dir, libDir),
		"-jar", filepath.Join(dir, jarName),
		"-port", strconv.Itoa(port),
		"-sharedDb",
		"-disableTelemetry",
	}
	if opt.DataDir == "" {
		args = append(args, "-inMemory")
	} else {
		args = append(args, "-dbPath", opt.DataDir)
	}
	cmd := exec.Command(java, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = sysProcAttr()
	out := &tail{}
	cmd.Stdout, cmd.Stderr = out, out
	if opt.Stdout != nil {
		cmd.Stdout = io.MultiWriter(out, opt.Stdout)
	}
	if opt.Stderr != nil {
		cmd.Stderr = io.MultiWriter(out, opt.Stderr)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("ddblocal: start java: %w", err)
	}
	inst := &Instance{
		endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		cmd:      cmd,
		output:   out,
		exited:   make(chan struct{}),
	}
	go func() {
		inst.waitErr = cmd.Wait()
		close(inst.exited)
	}()
	if err := inst.waitReady(ctx); err != nil {
		inst.Stop()
		return nil, err
	}
	return inst, nil
}

// portInUseError reports that the JVM could not bind its port.
type portInUseError struct{ error }

// waitReady polls ListTables until it succeeds, the process exits, ctx ends
// or startTimeout passes.
func (in *Instance) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	client, err := NewClient(ctx, in.endpoint)
	if err != nil {
		return err
	}
	noRetry := func(o *dynamodb.Options) { o.Retryer = aws.NopRetryer{} }
	for {
		probeCtx, probeCancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := client.ListTables(probeCtx, &dynamodb.ListTablesInput{Limit: aws.Int32(1)}, noRetry)
		probeCancel()
		if err == nil {
			return nil
		}
		select {
		case <-in.exited:
			err := fmt.Errorf("ddblocal: DynamoDB Local exited before answering (%v); its output:\n%s", in.waitErr, in.output)
			if strings.Contains(in.output.String(), "Address already in use") {
				return portInUseError{err}
			}
			return err
		case <-ctx.Done():
			return fmt.Errorf("ddblocal: DynamoDB Local did not answer on %s (%w; last error: %v); its output:\n%s", in.endpoint, ctx.Err(), err, in.output)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Endpoint returns the base URL to reach the instance, "http://127.0.0.1:PORT".
func (in *Instance) Endpoint() string { return in.endpoint }

// Stop asks the process to exit (SIGTERM, then SIGKILL after ten seconds) and
// waits for it. It returns nil if the process was still running when Stop was
// called; otherwise an error with its exit status and output. Calling Stop
// again returns the same result.
func (in *Instance) Stop() error {
	in.stopOnce.Do(func() {
		select {
		case <-in.exited:
			in.stopErr = fmt.Errorf("ddblocal: DynamoDB Local had already exited (%v); its output:\n%s", in.waitErr, in.output)
			return
		default:
		}
		if err := in.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			in.stopErr = fmt.Errorf("ddblocal: stop DynamoDB Local: %w", err)
		}
		select {
		case <-in.exited:
		case <-time.After(stopTimeout):
			in.cmd.Process.Kill()
			<-in.exited
		}
	})
	return in.stopErr
}

// NewClient returns a DynamoDB client for a local endpoint such as
// Instance.Endpoint(): dummy static credentials, region us-east-1 unless the
// environment or AWS profile names one, and the CRC32 response checksum
// validation off (DynamoDB Local sends "X-Amz-Crc32: 0" with error answers,
// which otherwise makes the SDK log a checksum warning on every 4xx). It fails
// if endpoint is not an http(s) URL or the shared AWS configuration cannot be
// loaded. It is not meant for real AWS endpoints.
func NewClient(ctx context.Context, endpoint string) (*dynamodb.Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("ddblocal: endpoint %q is not an http(s) URL", endpoint)
	}
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithDefaultRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")),
	)
	if err != nil {
		return nil, fmt.Errorf("ddblocal: load AWS config: %w", err)
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.DisableValidateResponseChecksum = true
	}), nil
}

var javaVersion = regexp.MustCompile(`version "(\d+)(?:\.(\d+))?`)

// findJava returns the path of a Java 17+ runtime, or an error saying how to
// install one.
func findJava(ctx context.Context) (string, error) {
	java, err := exec.LookPath("java")
	if err != nil {
		return "", errors.New(installJava)
	}
	out, err := exec.CommandContext(ctx, java, "-version").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s (`java -version` failed: %v: %s)", installJava, err, bytes.TrimSpace(out))
	}
	m := javaVersion.FindSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("%s (cannot read the version from `java -version`: %s)", installJava, bytes.TrimSpace(out))
	}
	major, _ := strconv.Atoi(string(m[1]))
	if major == 1 && len(m[2]) > 0 { // "1.8.0_392" is Java 8
		major, _ = strconv.Atoi(string(m[2]))
	}
	if major < 17 {
		return "", fmt.Errorf("%s (found Java %d at %s)", installJava, major, java)
	}
	return java, nil
}

// freePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("ddblocal: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail keeps the last 64 KiB written to it; it is safe for concurrent use.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailMax = 64 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailMax {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailMax:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

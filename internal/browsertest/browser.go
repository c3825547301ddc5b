// Package browsertest is the project's headless-browser test kit: it drives
// the web console in headless Chromium through chromedp and turns what a
// person would notice into test failures.
//
//	b := browsertest.Start(t)
//	p := b.NewPage(t)
//	p.Step("01 sign in",
//		chromedp.Navigate(url),
//		chromedp.SendKeys(`#email`, "x"),
//		chromedp.Click(`button[type=submit]`))
//
// Each Step runs its actions, waits until the page is ready, saves a
// full-page screenshot under <repo root>/.artifacts/screenshots/<test>/,
// runs axe-core (WCAG 2.0/2.1 A and AA) and fails the test on a serious or
// critical violation, and on any console error, uncaught exception or failed
// request seen since the previous Step. Run does the same without the
// screenshot and axe.
//
// Start installs Debian's chromium package when /usr/bin/chromium is missing
// (apt-get as root, or through `sudo -n`), and axe-core is fetched once from
// npm into the user cache (see internal/npmcache).
//
// The page's Content-Security-Policy stays in force: axe is injected through
// the DevTools protocol (Runtime.evaluate), which the policy does not
// govern, so a CSP violation of the console is reported like any console
// error instead of being hidden by Page.setBypassCSP.
package browsertest

import (
	"bytes"
	"context"
	"os"
	"sync"
	"time"

	"github.com/chromedp/chromedp"
)

// TB is the part of testing.TB the kit uses; *testing.T satisfies it. The
// kit reports every failure through Fatalf, so a test of a test can pass a
// recorder instead.
type TB interface {
	Helper()
	Name() string
	Cleanup(func())
	Logf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// Default window size of the browser. The console must also work from
// 1024 px wide: see Page.SetViewport.
const (
	DefaultWidth  = 1280
	DefaultHeight = 900
)

// StepTimeout bounds the actions of one Step or Run, and separately the wait
// for the page to be ready and the checks that follow.
const StepTimeout = 30 * time.Second

// Browser is one headless Chromium process, shared by the pages of a test
// (or of its subtests).
type Browser struct {
	ctx    context.Context // the browser's chromedp context; its first tab stays blank
	cancel func()
}

// Start makes sure Chromium and axe-core are installed, starts one headless
// browser with a fresh profile and a 1280x900 window, and closes it at tb's
// cleanup. Any
// failure is fatal: a browser test is never skipped.
func Start(tb TB) *Browser {
	tb.Helper()
	ictx, icancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer icancel()
	path, err := ensureChromium(ictx, tb.Logf)
	if err != nil {
		tb.Fatalf("%v", err)
	}
	if _, err := loadAxe(ictx); err != nil {
		tb.Fatalf("%v", err)
	}
	profile, err := os.MkdirTemp("", "browsertest-profile-")
	if err != nil {
		tb.Fatalf("browsertest: %v", err)
	}
	out := &boundedBuffer{max: 16 << 10}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(DefaultWidth, DefaultHeight),
		// The machines have no internet: without these Chromium keeps
		// calling home (component updates, sync, QUIC probes) and logs every
		// refused connection.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.CombinedOutput(out),
	}
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	b := &Browser{ctx: ctx, cancel: func() {
		cancel()
		allocCancel()
		os.RemoveAll(profile)
	}}
	tb.Cleanup(b.cancel)
	if err := chromedp.Do(ctx); err != nil { // starts the browser, with no timeout
		tb.Fatalf("browsertest: start %s: %v\n%s", path, err, out.String())
	}
	return b
}

// boundedBuffer keeps the first max bytes written to it: Chromium's own
// output, shown when it fails to start.
type boundedBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (w *boundedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if room := w.max - w.buf.Len(); room > 0 {
		w.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (w *boundedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// NewPage opens a new tab, closed at tb's cleanup, and records from now on
// the console errors, uncaught exceptions and failed requests of whatever it
// loads. tb is the test the page's steps report to, and names the folder of
// its screenshots.
func (b *Browser) NewPage(tb TB) *Page {
	tb.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	tb.Cleanup(cancel)
	p := newPage(tb, ctx)
	if err := chromedp.Do(ctx); err != nil { // opens the tab and enables the domains
		tb.Fatalf("browsertest: open a tab: %v", err)
	}
	if err := chromedp.Listen(ctx, p.record); err != nil {
		tb.Fatalf("browsertest: listen to the tab: %v", err)
	}
	return p
}

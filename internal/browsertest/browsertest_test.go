package browsertest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// recorder is a TB whose Fatalf records the failure and ends the calling
// goroutine, as testing.T's does, without failing the real test. Name and
// Cleanup are the real test's.
type recorder struct {
	t      *testing.T
	mu     sync.Mutex
	fatals []string
}

func (r *recorder) Helper()                      {}
func (r *recorder) Name() string                 { return r.t.Name() }
func (r *recorder) Cleanup(f func())             { r.t.Cleanup(f) }
func (r *recorder) Logf(format string, a ...any) { r.t.Logf(format, a...) }
func (r *recorder) Fatalf(format string, a ...any) {
	r.mu.Lock()
	r.fatals = append(r.fatals, fmt.Sprintf(format, a...))
	r.mu.Unlock()
	runtime.Goexit()
}

// fatal runs f as a test body would run and returns the message it failed
// with, or "" if it did not fail.
func (r *recorder) fatal(f func()) string {
	r.mu.Lock()
	n := len(r.fatals)
	r.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.fatals) > n {
		return r.fatals[n]
	}
	return ""
}

// serve starts a test server with the given handlers; any other path
// answers 404.
func serve(t *testing.T, routes map[string]http.HandlerFunc) string {
	t.Helper()
	mux := http.NewServeMux()
	for pattern, h := range routes {
		mux.HandleFunc(pattern, h)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// closedPort returns the URL of a local port that nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	return url
}

// doc answers an HTML document with the status, and the header pairs.
func doc(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}
}

// html wraps a body into an accessible document.
func html(title, body string) string {
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>` + title +
		`</title></head><body><main><h1>` + title + `</h1>` + body + `</main></body></html>`
}

// screenshot returns the path of a step's screenshot in the test t.
func screenshot(t *testing.T, step string) string {
	t.Helper()
	r, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(r, ArtifactsDir, "screenshots", t.Name(), step+".png")
}

// wantAll fails unless msg holds every one of want.
func wantAll(t *testing.T, what, msg string, want ...string) {
	t.Helper()
	if msg == "" {
		t.Fatalf("%s did not fail", what)
	}
	t.Logf("%s failed with:\n%s", what, msg)
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("%s failed without %q in its message:\n%s", what, w, msg)
		}
	}
}

func TestCleanPagePassesAndLeavesAScreenshot(t *testing.T) {
	url := serve(t, map[string]http.HandlerFunc{
		"GET /{$}": doc(200, html("Partners", `<form><label for="email">Email</label><input id="email" type="email">
			<button type="submit">Sign in</button></form>`)),
	})
	start := time.Now()
	b := Start(t)
	t.Logf("Start took %s", time.Since(start))
	rec := &recorder{t: t}
	p := b.NewPage(rec)
	start = time.Now()
	if msg := rec.fatal(func() {
		p.Step("01 sign in", chromedp.Navigate(url), chromedp.SendKeys(`#email`, "a@example.com"))
	}); msg != "" {
		t.Fatalf("a clean page failed its step:\n%s", msg)
	}
	t.Logf("Step took %s", time.Since(start))

	png, err := os.ReadFile(screenshot(t, "01 sign in"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("screenshot is not a PNG: starts %q", png[:min(8, len(png))])
	}
	v, err := chromedp.Run(p.Ctx(), chromedp.Value(chromedp.ID("email")))
	if err != nil || v != "a@example.com" {
		t.Fatalf("email field = %q, %v", v, err)
	}
}

func TestConsoleErrorFails(t *testing.T) {
	url := serve(t, map[string]http.HandlerFunc{
		"GET /{$}": doc(200, html("Console", `<script>console.error("boom", 42, {a: 1})</script>`)),
	})
	b := Start(t)
	rec := &recorder{t: t}
	p := b.NewPage(rec)
	msg := rec.fatal(func() { p.Step("01 open", chromedp.Navigate(url)) })
	wantAll(t, "a step logging console.error", msg, `step "01 open"`, "console.error: boom 42", url)
	if _, err := os.Stat(screenshot(t, "01 open")); err != nil {
		t.Errorf("a failing step left no screenshot: %v", err)
	}
	// What was reported is not reported again.
	if msg := rec.fatal(func() { p.Run(chromedp.Evaluate[chromedp.Void](`1`)) }); msg != "" {
		t.Errorf("the next Run failed on what the step reported already:\n%s", msg)
	}
}

func TestUncaughtExceptionFails(t *testing.T) {
	url := serve(t, map[string]http.HandlerFunc{
		"GET /{$}": doc(200, html("Exception", `<script>function go() { throw new Error("kaput") } go()</script>`)),
	})
	b := Start(t)
	rec := &recorder{t: t}
	p := b.NewPage(rec)
	msg := rec.fatal(func() { p.Step("01 open", chromedp.Navigate(url)) })
	wantAll(t, "a step throwing", msg, "uncaught exception", "Error: kaput", "at go")

	// Run checks the same, after actions of its own.
	msg = rec.fatal(func() { p.Run(chromedp.Evaluate[chromedp.Void](`setTimeout(() => { throw new TypeError("later") })`)) })
	wantAll(t, "a Run whose action throws asynchronously", msg, "Run failed", "TypeError: later")
}

func TestFailedRequestsFail(t *testing.T) {
	closed := closedPort(t)
	url := serve(t, map[string]http.HandlerFunc{
		"GET /{$}":     doc(200, html("Images", `<img src="/missing.png" alt="logo">`)),
		"GET /refused": doc(200, html("Refused", `<img src="`+closed+`/x.png" alt="x">`)),
	})
	b := Start(t)
	rec := &recorder{t: t}
	msg := rec.fatal(func() { b.NewPage(rec).Step("01 missing image", chromedp.Navigate(url)) })
	wantAll(t, "a page with a 404 image", msg, "failed request: HTTP 404", "image", url+"/missing.png")

	msg = rec.fatal(func() { b.NewPage(rec).Step("02 refused image", chromedp.Navigate(url+"/refused")) })
	wantAll(t, "a page with an image on a closed port", msg, "failed request: net::ERR_CONNECTION_REFUSED", closed+"/x.png")
}

func TestStatusAllowedForOneStep(t *testing.T) {
	url := serve(t, map[string]http.HandlerFunc{
		"GET /form": doc(422, html("Fix the form", `<p role="alert">Email is required.</p>`)),
	})
	b := Start(t)
	rec := &recorder{t: t}
	msg := rec.fatal(func() { b.NewPage(rec).Step("01 not allowed", chromedp.Navigate(url+"/form")) })
	wantAll(t, "a document answered 422", msg, "HTTP 422", "document", url+"/form")

	p := b.NewPage(rec)
	p.AllowStatus(422)
	if msg := rec.fatal(func() { p.Step("02 allowed", chromedp.Navigate(url+"/form")) }); msg != "" {
		t.Fatalf("a 422 document failed after AllowStatus(422):\n%s", msg)
	}
	msg = rec.fatal(func() { p.Step("03 allowance used up", chromedp.Reload()) })
	wantAll(t, "a 422 document a step after AllowStatus", msg, "HTTP 422")
}

func TestAxeViolationsFail(t *testing.T) {
	url := serve(t, map[string]http.HandlerFunc{
		"GET /{$}": doc(200, html("Axe", `<input type="text" class="nameless">
			<p class="faint" style="color:#c8c8c8;background:#fff">Barely readable</p>`)),
	})
	b := Start(t)
	rec := &recorder{t: t}
	msg := rec.fatal(func() { b.NewPage(rec).Step("01 open", chromedp.Navigate(url)) })
	wantAll(t, "an inaccessible page", msg,
		"axe: label [critical]: Form elements must have labels — input",
		"axe: color-contrast [serious]", "— p",
		"(screenshot .artifacts/screenshots/"+t.Name()+"/01 open.png)")
}

func TestAxeRunsUnderContentSecurityPolicy(t *testing.T) {
	url := serve(t, map[string]http.HandlerFunc{
		"GET /{$}": doc(200, html("Locked down", `<input type="text" class="nameless">`),
			"Content-Security-Policy", "default-src 'none'"),
	})
	b := Start(t)
	rec := &recorder{t: t}
	msg := rec.fatal(func() { b.NewPage(rec).Step("01 open", chromedp.Navigate(url)) })
	wantAll(t, "an unlabelled input under default-src 'none'", msg, "axe: label [critical]")
}

func TestStepWaitsForTheNavigationItCauses(t *testing.T) {
	url := serve(t, map[string]http.HandlerFunc{
		"GET /{$}": doc(200, html("Form", `<form action="/done"><label for="q">Query</label><input id="q" name="q">
			<button type="submit">Go</button></form>`)),
		"GET /done": func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(400 * time.Millisecond)
			doc(200, html("Done "+r.FormValue("q"), ""))(w, r)
		},
	})
	p := Start(t).NewPage(t)
	p.Step("01 form", chromedp.Navigate(url))
	p.Step("02 submitted", chromedp.SendKeys(`#q`, "x"), chromedp.Click(`button[type=submit]`))
	h1, err := chromedp.Run(p.Ctx(), chromedp.Text(chromedp.CSS("h1")))
	if err != nil || h1 != "Done x" {
		t.Fatalf("after the step, h1 = %q, %v; want the submitted page's %q", h1, err, "Done x")
	}
}

func TestSupersededNavigationIsNoFailure(t *testing.T) {
	url := serve(t, map[string]http.HandlerFunc{
		"GET /{$}": doc(200, html("Start", `<a id="slow" href="/slow">Slow page</a>`)),
		"GET /slow": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(3 * time.Second):
			case <-r.Context().Done():
			}
			doc(200, html("Slow", ""))(w, r)
		},
		"GET /other": doc(200, html("Other", "")),
	})
	p := Start(t).NewPage(t)
	p.Step("01 start", chromedp.Navigate(url))
	// The click starts a navigation that the next one cancels (net::ERR_ABORTED).
	start := time.Now()
	p.Step("02 other", chromedp.Click(`#slow`), chromedp.Sleep(200*time.Millisecond), chromedp.Navigate(url+"/other"))
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the step took %s: it waited for the cancelled navigation", d)
	}
	if title, err := chromedp.Run(p.Ctx(), chromedp.Title()); err != nil || title != "Other" {
		t.Fatalf("title = %q, %v; want Other", title, err)
	}
}

func TestSetViewportAndNames(t *testing.T) {
	url := serve(t, map[string]http.HandlerFunc{"GET /{$}": doc(200, html("Narrow", ""))})
	rec := &recorder{t: t}
	p := Start(t).NewPage(rec)
	if w, err := chromedp.Run(p.Ctx(), chromedp.Evaluate[int](`window.innerWidth`)); err != nil || w != DefaultWidth {
		t.Errorf("default innerWidth = %d, %v; want %d", w, err, DefaultWidth)
	}
	p.SetViewport(1024, 768)
	if msg := rec.fatal(func() { p.Step("01 narrow/at 1024?", chromedp.Navigate(url)) }); msg != "" {
		t.Fatal(msg)
	}
	if w, err := chromedp.Run(p.Ctx(), chromedp.Evaluate[int](`window.innerWidth`)); err != nil || w != 1024 {
		t.Errorf("innerWidth after SetViewport(1024, 768) = %d, %v", w, err)
	}
	if _, err := os.Stat(screenshot(t, "01 narrow_at 1024_")); err != nil {
		t.Errorf("screenshot of a step with / and ? in its name: %v", err)
	}
	msg := rec.fatal(func() { p.Step("01 narrow/at 1024?", chromedp.Reload()) })
	wantAll(t, "a step name used twice", msg, "used twice")
}

func TestContentSecurityPolicyViolationFails(t *testing.T) {
	url := serve(t, map[string]http.HandlerFunc{
		"GET /{$}": doc(200, html("Strict", `<script>document.title = "ran"</script>`),
			"Content-Security-Policy", "script-src 'none'"),
	})
	rec := &recorder{t: t}
	p := Start(t).NewPage(rec)
	msg := rec.fatal(func() { p.Step("01 open", chromedp.Navigate(url)) })
	wantAll(t, "an inline script blocked by the page's CSP", msg, "Content Security Policy")
}

func TestUninstallableChromiumSaysWhatToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no apt-get, no sudo
	_, err := findChromium(t.Context(), "", filepath.Join(t.TempDir(), "chromium"), t.Logf)
	if err == nil || !strings.Contains(err.Error(), "apt-get install -y --no-install-recommends chromium") {
		t.Fatalf("findChromium without apt-get = %v, want an error saying what to install", err)
	}
	t.Log(err)
	_, err = findChromium(t.Context(), filepath.Join(t.TempDir(), "chrome"), ExecPath, t.Logf)
	if err == nil || !strings.Contains(err.Error(), ExecPathEnv) {
		t.Fatalf("findChromium with a missing override = %v, want an error naming %s", err, ExecPathEnv)
	}
}

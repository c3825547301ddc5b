package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Page is one browser tab. Its Step and Run report to the TB it was opened
// with. A Page is not safe for concurrent use.
type Page struct {
	tb  TB
	ctx context.Context

	mu        sync.Mutex
	problems  []string                      // console errors, exceptions and failed loads since the last check
	responses []response                    // answers with status >= 400 since the last check
	requests  map[network.RequestID]request // requests in flight
	documents map[network.RequestID]bool    // document requests in flight
	loading   map[cdp.FrameID]bool          // frames between started and stopped loading
	requested time.Time                     // a navigation was requested and has not started loading yet
	navSeq    int                           // counts navigation events, so that a quiet spell can be timed
	allowed   map[int64]bool                // statuses the next step may see on a document
	shots     map[string]bool               // screenshot files written by this page
}

type request struct {
	method, url string
	typ         network.ResourceType
}

type response struct {
	url, statusText string
	status          int64
	typ             network.ResourceType
}

func newPage(tb TB, ctx context.Context) *Page {
	return &Page{
		tb:        tb,
		ctx:       ctx,
		requests:  map[network.RequestID]request{},
		documents: map[network.RequestID]bool{},
		loading:   map[cdp.FrameID]bool{},
		shots:     map[string]bool{},
	}
}

// Ctx returns the tab's chromedp context, for assertions such as
//
//	text, err := chromedp.Run(p.Ctx(), chromedp.Text(chromedp.CSS("h1")))
func (p *Page) Ctx() context.Context { return p.ctx }

// AllowStatus lets the next Step or Run see documents answered with the
// given statuses (>= 400) without failing, e.g. 422 for a form re-rendered
// with its errors. It applies to document loads (pages and frames) only; an
// image, script, stylesheet or fetch so answered still fails.
func (p *Page) AllowStatus(statuses ...int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.allowed == nil {
		p.allowed = map[int64]bool{}
	}
	for _, s := range statuses {
		p.allowed[int64(s)] = true
	}
}

// SetViewport resizes the page's viewport (CSS pixels, device scale 1), e.g.
// to 1024 wide to check the narrowest layout the console supports. It lasts
// for the page's life; the browser's window is DefaultWidth x DefaultHeight.
func (p *Page) SetViewport(width, height int) {
	p.tb.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, StepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		p.tb.Fatalf("browsertest: set the viewport to %dx%d: %v", width, height, err)
	}
}

// Step runs the actions, waits until the page is ready (document.readyState
// "complete" and no navigation pending), saves a full-page PNG screenshot to
// <repo root>/.artifacts/screenshots/<test name>/<name>.png, runs axe-core,
// and fails the test through Fatalf, with one readable list, on a serious or
// critical axe violation and on any console error, uncaught exception or
// failed request recorded since the previous Step or Run. Less severe axe
// violations are logged. A name may be used once per page.
func (p *Page) Step(name string, actions ...chromedp.Action[chromedp.Void]) {
	p.tb.Helper()
	p.run(name, true, actions)
}

// Run runs the actions and waits until the page is ready, like Step, and
// fails on the same console errors, exceptions and failed requests, but
// takes no screenshot and runs no axe: for intermediate actions.
func (p *Page) Run(actions ...chromedp.Action[chromedp.Void]) {
	p.tb.Helper()
	p.run("", false, actions)
}

func (p *Page) run(name string, full bool, actions []chromedp.Action[chromedp.Void]) {
	p.tb.Helper()
	label := "Run"
	var shot string
	if full {
		label = fmt.Sprintf("step %q", name)
		var err error
		if shot, err = p.screenshotPath(name); err != nil {
			p.tb.Fatalf("browsertest: %s: %v", label, err)
		}
	}
	var lines []string
	fail := func(format string, args ...any) {
		p.tb.Helper()
		lines = append(lines, fmt.Sprintf(format, args...))
		lines = append(lines, p.takeProblems()...)
		p.tb.Fatalf("browsertest: %s failed:\n  %s", label, strings.Join(lines, "\n  "))
	}

	ctx, cancel := context.WithTimeout(p.ctx, StepTimeout)
	err := chromedp.Do(ctx, actions...)
	cancel()
	if err != nil {
		fail("actions: %v", err)
	}
	ctx, cancel = context.WithTimeout(p.ctx, StepTimeout)
	defer cancel()
	if err := p.waitReady(ctx); err != nil {
		fail("%v", err)
	}
	if full {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			fail("screenshot: %v", err)
		}
		if err := writeScreenshot(shot, png); err != nil {
			fail("%v", err)
		}
		label += " (screenshot " + relToRoot(shot) + ")"
		vs, err := runAxe(ctx)
		if err != nil {
			fail("%v", err)
		}
		for _, v := range vs {
			if v.blocking() {
				lines = append(lines, "axe: "+v.String())
			} else {
				p.tb.Logf("browsertest: step %q: axe (not failing): %s", name, v)
			}
		}
	}
	if problems := p.takeProblems(); len(problems) > 0 || len(lines) > 0 {
		lines = append(problems, lines...)
		p.tb.Fatalf("browsertest: %s failed:\n  %s", label, strings.Join(lines, "\n  "))
	}
}

// takeProblems returns what went wrong since the last call, judging the
// answers >= 400 against AllowStatus, and forgets it and the allowed statuses.
func (p *Page) takeProblems() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.problems
	for _, r := range p.responses {
		if r.typ == network.ResourceTypeDocument && p.allowed[r.status] || faviconProbe(r) {
			continue
		}
		out = append(out, fmt.Sprintf("failed request: HTTP %d %s for %s %s", r.status, r.statusText, resourceName(r.typ), r.url))
	}
	p.problems, p.responses, p.allowed = nil, nil, nil
	return out
}

// faviconProbe reports whether r is the browser's own request for
// /favicon.ico, made for any page that declares no icon, answered 404: the
// page did not ask for it, so it is not the page's failure.
func faviconProbe(r response) bool {
	u, err := url.Parse(r.url)
	return err == nil && u.Path == "/favicon.ico" && r.status == 404 && r.typ == network.ResourceTypeOther
}

func resourceName(t network.ResourceType) string {
	if t == "" {
		return "request"
	}
	return strings.ToLower(string(t))
}

// record is the tab's event listener: it runs on chromedp's reading
// goroutine, so it only files the event away.
func (p *Page) record(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			p.problems = append(p.problems, fmt.Sprintf("console.%s: %s%s", ev.Type, argsText(ev.Args), stackLocation(ev.StackTrace)))
		}
	case *runtime.EventExceptionThrown:
		p.problems = append(p.problems, "uncaught exception: "+exceptionText(ev.ExceptionDetails))
	case *log.EventEntryAdded:
		// The browser's own error messages: CSP violations, blocked mixed
		// content, failed integrity checks... Network errors are logged here
		// too ("Failed to load resource"); the Network domain reports those,
		// with AllowStatus applied, so they are not counted twice.
		if e := ev.Entry; e != nil && e.Level == log.EntryLevelError && e.Source != log.EntrySourceNetwork {
			loc := ""
			if e.URL != "" {
				loc = fmt.Sprintf(" (%s)", e.URL)
			}
			p.problems = append(p.problems, fmt.Sprintf("console error (%s): %s%s", e.Source, e.Text, loc))
		}

	case *network.EventRequestWillBeSent:
		r := request{url: ev.DocumentURL, typ: ev.Type}
		if ev.Request != nil {
			r.method, r.url = ev.Request.Method, ev.Request.URL
		}
		p.requests[ev.RequestID] = r // a redirect reuses the id
		if ev.Type == network.ResourceTypeDocument {
			p.documents[ev.RequestID] = true
			p.navSeq++
		}
	case *network.EventResponseReceived:
		if r := ev.Response; r != nil && r.Status >= 400 {
			p.responses = append(p.responses, response{url: r.URL, status: r.Status, statusText: r.StatusText, typ: ev.Type})
		}
	case *network.EventLoadingFinished:
		p.finished(ev.RequestID)
	case *network.EventLoadingFailed:
		r := p.requests[ev.RequestID]
		p.finished(ev.RequestID)
		// net::ERR_ABORTED (and "canceled") means this side gave the request
		// up: a navigation superseded by another, a document unloaded with
		// its loads in flight, a fetch aborted by the page, a 204 or download
		// navigation that never commits. The server and the network did not
		// fail, so it is not counted. Every other error is: refused or reset
		// connections, CSP/CORS/mixed-content blocks, bad responses.
		if ev.Canceled || ev.ErrorText == "net::ERR_ABORTED" {
			return
		}
		if r.url == "" {
			r.url = "(unknown URL, request " + string(ev.RequestID) + ")"
		}
		msg := fmt.Sprintf("failed request: %s for %s %s %s", ev.ErrorText, resourceName(ev.Type), r.method, r.url)
		if ev.BlockedReason != "" {
			msg += fmt.Sprintf(" (blocked: %s)", ev.BlockedReason)
		}
		if c := ev.CorsErrorStatus; c != nil {
			msg += fmt.Sprintf(" (CORS: %s %s)", c.CorsError, c.FailedParameter)
		}
		p.problems = append(p.problems, msg)

	case *page.EventFrameRequestedNavigation:
		p.requested = time.Now()
		p.navSeq++
	case *page.EventFrameStartedNavigating:
		p.requested = time.Now()
		p.navSeq++
	case *page.EventFrameStartedLoading:
		p.loading[ev.FrameID] = true
		p.requested = time.Time{}
		p.navSeq++
	case *page.EventFrameStoppedLoading:
		delete(p.loading, ev.FrameID)
		p.requested = time.Time{}
		p.navSeq++
	case *page.EventFrameDetached:
		delete(p.loading, ev.FrameID)
		p.navSeq++
	case *page.EventFrameNavigated, *page.EventNavigatedWithinDocument:
		p.requested = time.Time{}
		p.navSeq++
	}
}

// finished forgets a request that completed or failed.
func (p *Page) finished(id network.RequestID) {
	delete(p.requests, id)
	if p.documents[id] {
		delete(p.documents, id)
		p.navSeq++
	}
}

// A requested navigation that neither starts loading nor is reported
// otherwise within this time is taken as dropped (e.g. by the page itself).
const requestedNavigationGrace = 2 * time.Second

// settle is how long the page must stay ready, with no navigation event,
// before a step goes on: a click that submits a form only schedules the
// navigation, so the old page can look ready for a moment.
const settle = 50 * time.Millisecond

// waitReady waits until the document's readyState is "complete", no frame is
// loading, no document request is in flight and no navigation is pending,
// and that has held for the settle time.
func (p *Page) waitReady(ctx context.Context) error {
	lastSeq, quietSince := -1, time.Now()
	var state string
	var stateErr error
	for {
		ectx, cancel := context.WithTimeout(ctx, 2*time.Second)
		state, stateErr = chromedp.Run(ectx, chromedp.Evaluate[string](
			`new Promise(r => setTimeout(() => r(document.readyState), 0))`, chromedp.EvalAwaitPromise))
		cancel()
		p.mu.Lock()
		busy := p.busyLocked()
		seq := p.navSeq
		p.mu.Unlock()
		now := time.Now()
		if stateErr != nil || state != "complete" || busy != "" || seq != lastSeq {
			quietSince = now
		} else if now.Sub(quietSince) >= settle {
			return nil
		}
		lastSeq = seq
		select {
		case <-ctx.Done():
			why := busy
			if stateErr != nil {
				why += fmt.Sprintf("; document.readyState: %v", stateErr)
			} else if state != "complete" {
				why += "; document.readyState is " + state
			}
			return fmt.Errorf("the page did not become ready within %s: %s", StepTimeout, strings.TrimPrefix(why, "; "))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// busyLocked says why a navigation is pending, or "" when none is.
func (p *Page) busyLocked() string {
	var why []string
	if n := len(p.loading); n > 0 {
		why = append(why, fmt.Sprintf("%d frame(s) loading", n))
	}
	for id := range p.documents {
		why = append(why, "document request in flight: "+p.requests[id].url)
	}
	if !p.requested.IsZero() && time.Since(p.requested) < requestedNavigationGrace {
		why = append(why, "a navigation was requested")
	}
	slices.Sort(why)
	return strings.Join(why, "; ")
}

// argsText formats console arguments as the console shows them.
func argsText(args []*runtime.RemoteObject) string {
	var parts []string
	for _, a := range args {
		parts = append(parts, remoteText(a))
	}
	return strings.Join(parts, " ")
}

func remoteText(o *runtime.RemoteObject) string {
	switch {
	case o == nil:
		return ""
	case o.Type == runtime.RemoteObjectTypeString && len(o.Value) > 0:
		var s string
		if json.Unmarshal(o.Value, &s) == nil {
			return s
		}
	case o.UnserializableValue != "":
		return string(o.UnserializableValue)
	case o.Description != "":
		return o.Description
	case len(o.Value) > 0:
		return string(o.Value)
	}
	return string(o.Type)
}

// stackLocation returns " (url:line:column)" of the top frame, or "".
func stackLocation(st *runtime.StackTrace) string {
	if st == nil || len(st.CallFrames) == 0 {
		return ""
	}
	f := st.CallFrames[0]
	return fmt.Sprintf(" (%s:%d:%d)", f.URL, f.LineNumber+1, f.ColumnNumber+1)
}

// exceptionText formats an exception with its message and where it was
// thrown.
func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "(no details)"
	}
	text := d.Text
	if d.Exception != nil {
		// An Error's description is its stack, starting with its message:
		// then it says where already.
		desc := remoteText(d.Exception)
		text += " " + desc
		if strings.Contains(desc, "\n    at ") {
			return text
		}
	}
	if loc := stackLocation(d.StackTrace); loc != "" {
		return text + loc
	}
	if d.URL != "" {
		return fmt.Sprintf("%s (%s:%d:%d)", text, d.URL, d.LineNumber+1, d.ColumnNumber+1)
	}
	return text
}

// screenshotPath returns the file a step's screenshot goes to, and refuses
// a name the page used already, which would overwrite its picture.
func (p *Page) screenshotPath(name string) (string, error) {
	dir, err := testArtifacts(p.tb)
	if err != nil {
		return "", err
	}
	file := filepath.Join(dir, sanitize(name)+".png")
	if p.shots[file] {
		return "", fmt.Errorf("step name %q used twice in this page (its screenshot would be overwritten)", name)
	}
	p.shots[file] = true
	return file, nil
}

func writeScreenshot(file string, png []byte) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	if err := os.WriteFile(file, png, 0o644); err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	return nil
}

// sanitize keeps a step or test name readable as a file name: letters,
// digits, space, '.', '-' and '_' stay, anything else becomes '_'.
func sanitize(name string) string {
	s := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == ' ', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, name)
	s = strings.Trim(s, " .")
	if s == "" {
		s = "_"
	}
	return s
}

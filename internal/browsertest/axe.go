package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/partnerportal/portal/internal/npmcache"
)

// AxeVersion is the pinned axe-core release that checks every Step; the npm
// tarball's integrity is pinned with it.
const AxeVersion = "4.14.1"

// axeTags are the axe-core rule tags a Step runs: WCAG 2.0 and 2.1, levels A
// and AA.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

var axePackage = npmcache.Package{
	Name:      "axe-core",
	Version:   AxeVersion,
	Integrity: "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
	Dir:       "axe-core",
	Prefix:    "package/",
	Check: func(dir string) error {
		_, err := os.Stat(filepath.Join(dir, "axe.min.js"))
		return err
	},
}

var axeSource struct {
	once sync.Once
	src  string
	err  error
}

// loadAxe returns the source of axe.min.js, fetching the pinned package into
// the user cache on first use (Start calls it, so a Step does not pay for the
// download); the first call's outcome holds for the process.
func loadAxe(ctx context.Context) (string, error) {
	axeSource.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		defer cancel()
		dir, err := npmcache.Install(ctx, axePackage, os.Stderr)
		if err != nil {
			axeSource.err = fmt.Errorf("browsertest: fetch axe-core %s: %w", AxeVersion, err)
			return
		}
		b, err := os.ReadFile(filepath.Join(dir, "axe.min.js"))
		axeSource.src, axeSource.err = string(b), err
	})
	return axeSource.src, axeSource.err
}

// violation is one axe-core rule that a page breaks.
type violation struct {
	ID      string   `json:"id"`      // rule id, e.g. "color-contrast"
	Impact  string   `json:"impact"`  // "minor", "moderate", "serious" or "critical"
	Help    string   `json:"help"`    // one-line description of the rule
	HelpURL string   `json:"helpUrl"` // the rule's documentation
	Targets []string `json:"targets"` // CSS selectors of the offending elements
}

// blocking reports whether the violation fails a Step.
func (v violation) blocking() bool { return v.Impact == "serious" || v.Impact == "critical" }

// String formats the violation with its first three target selectors.
func (v violation) String() string {
	targets := v.Targets
	more := ""
	if len(targets) > 3 {
		more = fmt.Sprintf(" (+%d more)", len(targets)-3)
		targets = targets[:3]
	}
	return fmt.Sprintf("%s [%s]: %s — %s%s", v.ID, v.Impact, v.Help, strings.Join(targets, ", "), more)
}

// axeRun runs axe on the whole document and returns plain data, since the
// results object holds DOM nodes. A target is a list of selectors, one per
// nested frame, each a list itself when it crosses a shadow root.
const axeRun = `axe.run(document, {runOnly: {type: "tag", values: %s}, resultTypes: ["violations"]}).then(r => r.violations.map(v => ({
	id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl,
	targets: v.nodes.map(n => n.target.map(s => Array.isArray(s) ? s.join(" >>> ") : String(s)).join(" | ")),
})))`

// runAxe injects axe.min.js into the page's main world if it is not there
// yet and runs it. The injection goes through Runtime.evaluate, which the
// page's Content-Security-Policy does not govern (a test serves a page with
// default-src 'none' to show it), so the kit leaves the policy in force
// rather than turning it off with Page.setBypassCSP: the console's own CSP
// violations then fail a step, as a real browser would block them.
func runAxe(ctx context.Context) ([]violation, error) {
	src, err := loadAxe(ctx)
	if err != nil {
		return nil, err
	}
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object" && typeof window.axe.run === "function"`))
	if err != nil {
		return nil, fmt.Errorf("look for axe: %w", err)
	}
	if !loaded {
		res, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{Expression: src, Silent: new(true)})
		if err != nil {
			return nil, fmt.Errorf("inject axe-core: %w", err)
		}
		if res.ExceptionDetails != nil {
			return nil, fmt.Errorf("inject axe-core: %s", exceptionText(res.ExceptionDetails))
		}
	}
	tags := `["` + strings.Join(axeTags, `","`) + `"]`
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]violation](fmt.Sprintf(axeRun, tags), chromedp.EvalAwaitPromise))
	if err != nil {
		var ee *chromedp.ExceptionError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("axe.run: %v", ee)
		}
		return nil, fmt.Errorf("axe.run: %w", err)
	}
	return vs, nil
}

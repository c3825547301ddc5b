package scan

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"syscall"
)

// The HTTP checks of the light, full and api profiles (the redirect to
// HTTPS only in light and full). Header checks judge the target's main
// page: the answer to GET of its URL (for domain, subdomain and IP
// assets https://host/, or http://host/ when https cannot be reached)
// after at most MaxPageRedirects redirects on the same host. A page that
// ends in a redirect elsewhere is no document: the document header
// checks find nothing on it.

// MaxPageRedirects is how many same-host redirects the main page
// follows.
const MaxPageRedirects = 3

var (
	headerProfiles = []Profile{ProfileLight, ProfileFull, ProfileAPI}

	checkNoHTTPSRedirect = Check{
		ID:          "http.no-https-redirect",
		Title:       "Plain HTTP not redirected to HTTPS",
		Description: "The site answers over unencrypted HTTP without redirecting to HTTPS, so visitors who type the name or follow an old link use a connection anyone on the path can read and change.",
		Remediation: "Answer every plain-HTTP request with a permanent redirect (301 or 308) to the same URL over https, and set Strict-Transport-Security.",
		Severity:    SeverityMedium,
		Profiles:    []Profile{ProfileLight, ProfileFull},
		Applies:     hasPlainHTTP,
	}
	checkHSTS = Check{
		ID:          "http.hsts-missing",
		Title:       "Strict-Transport-Security header missing",
		Description: "The HTTPS answer has no Strict-Transport-Security header (or one with max-age=0), so browsers keep trying plain HTTP first, which an attacker on the path can intercept.",
		Remediation: "Send Strict-Transport-Security: max-age=31536000; includeSubDomains on every HTTPS answer.",
		Severity:    SeverityLow,
		Profiles:    headerProfiles,
		Applies:     HasHTTPS,
	}
	checkCSP = Check{
		ID:          "http.csp-missing",
		Title:       "Content-Security-Policy header missing",
		Description: "The HTML page has no Content-Security-Policy header, which would limit where scripts, styles and frames may come from and blunt cross-site scripting.",
		Remediation: "Send a Content-Security-Policy header; start from default-src 'self' and allow what the page needs.",
		Severity:    SeverityLow,
		Profiles:    headerProfiles,
	}
	checkNosniff = Check{
		ID:          "http.nosniff-missing",
		Title:       "X-Content-Type-Options: nosniff missing",
		Description: "The answer has no X-Content-Type-Options: nosniff header, so browsers may guess a content type and run an upload or API answer as script.",
		Remediation: "Send X-Content-Type-Options: nosniff on every answer.",
		Severity:    SeverityLow,
		Profiles:    headerProfiles,
	}
	checkFrame = Check{
		ID:          "http.frame-protection-missing",
		Title:       "Clickjacking protection missing",
		Description: "The HTML page has neither an X-Frame-Options header nor a Content-Security-Policy frame-ancestors directive, so another site can frame it and trick users into clicking (clickjacking).",
		Remediation: "Send Content-Security-Policy: frame-ancestors 'self' (or X-Frame-Options: DENY or SAMEORIGIN).",
		Severity:    SeverityLow,
		Profiles:    headerProfiles,
	}
	checkReferrer = Check{
		ID:          "http.referrer-policy-missing",
		Title:       "Referrer-Policy header missing",
		Description: "The HTML page has no Referrer-Policy header; older browsers then send the full URL of the page, with any tokens in it, to every site it links to.",
		Remediation: "Send Referrer-Policy: strict-origin-when-cross-origin (or no-referrer).",
		Severity:    SeverityInfo,
		Profiles:    headerProfiles,
	}
	checkCookies = Check{
		ID:          "http.cookie-insecure",
		Title:       "Cookie without Secure, HttpOnly or SameSite",
		Description: "A cookie is set without the Secure attribute (sent over plain HTTP too), without HttpOnly (readable by scripts, so by cross-site scripting) or without SameSite (sent with cross-site requests).",
		Remediation: "Set cookies with Secure; HttpOnly; SameSite=Lax (or Strict); leave out HttpOnly only for cookies scripts must read.",
		Severity:    SeverityLow,
		Profiles:    headerProfiles,
	}
	checkDisclosure = Check{
		ID:          "http.server-disclosure",
		Title:       "Server software version disclosed",
		Description: "A response header names the server software with its version, telling attackers which known vulnerabilities to try.",
		Remediation: "Configure the server and framework not to send version numbers (e.g. nginx server_tokens off; Apache ServerTokens Prod; PHP expose_php Off; remove X-Powered-By).",
		Severity:    SeverityLow,
		Profiles:    headerProfiles,
	}
)

func init() {
	checkNoHTTPSRedirect.Run = runNoHTTPSRedirect
	checkHSTS.Run = runHSTS
	checkCSP.Run = documentCheck(&checkCSP, judgeCSP)
	checkNosniff.Run = runNosniff
	checkFrame.Run = documentCheck(&checkFrame, judgeFrame)
	checkReferrer.Run = documentCheck(&checkReferrer, judgeReferrer)
	checkCookies.Run = runCookies
	checkDisclosure.Run = runDisclosure
	for _, c := range []Check{checkNoHTTPSRedirect, checkHSTS, checkCSP, checkNosniff, checkFrame, checkReferrer, checkCookies, checkDisclosure} {
		Register(c)
	}
}

// page is the target's main page: the answers to GET of its URL and of
// the same-host redirects that followed, in order.
type page struct{ chain []*Response }

// final is the last answer.
func (p *page) final() *Response { return p.chain[len(p.chain)-1] }

// document returns the final answer when it is a document (not a
// redirect), and whether it is.
func (p *page) document() (*Response, bool) {
	r := p.final()
	return r, !r.IsRedirect()
}

// fetchPage fetches t's main page: the first of env.URLs(t) that
// answers. Its error is the first URL's when none answers.
func fetchPage(ctx context.Context, env *Env, t Target) (*page, error) {
	urls := env.URLs(t)
	if len(urls) == 0 {
		return nil, Userf("the asset has no URL to fetch")
	}
	var firstErr error
	for _, u := range urls {
		chain, err := followSameHost(ctx, env, u, MaxPageRedirects, nil)
		if err == nil {
			return &page{chain: chain}, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, firstErr
}

// followSameHost GETs rawURL and follows up to max redirects that stay
// on its host name (either scheme, any port), returning every answer.
// It stops early after an answer for which stop (when not nil) is true.
func followSameHost(ctx context.Context, env *Env, rawURL string, max int, stop func(*Response) bool) ([]*Response, error) {
	start, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	var chain []*Response
	for {
		r, err := env.Get(ctx, rawURL)
		if err != nil {
			return nil, err
		}
		chain = append(chain, r)
		if stop != nil && stop(r) {
			return chain, nil
		}
		loc, ok := r.Location()
		if !r.IsRedirect() || !ok || len(chain) > max ||
			(loc.Scheme != "http" && loc.Scheme != "https") || !strings.EqualFold(loc.Hostname(), start.Hostname()) {
			return chain, nil
		}
		loc.Fragment = ""
		rawURL = loc.String()
	}
}

// describeAnswer says which answer a header check judged, for evidence:
// "the answer to GET https://example.com/ (HTTP 200, text/html)".
func describeAnswer(r *Response) string {
	s := fmt.Sprintf("the answer to GET %s (HTTP %d", r.URL, r.Status)
	if ct := r.Header.Get("Content-Type"); ct != "" {
		s += ", " + ct
	}
	return s + ")"
}

// isHTML reports whether r's content type is an HTML document.
func isHTML(r *Response) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && (mt == "text/html" || mt == "application/xhtml+xml")
}

// documentCheck runs j on the main page when it ends in an HTML
// document; a finding's detail is the header name j returns.
func documentCheck(c *Check, j func(r *Response) (detail, evidence string)) func(context.Context, *Env, Target) ([]Finding, error) {
	return func(ctx context.Context, env *Env, t Target) ([]Finding, error) {
		p, err := fetchPage(ctx, env, t)
		if err != nil {
			return nil, err
		}
		r, ok := p.document()
		if !ok || !isHTML(r) {
			return nil, nil
		}
		detail, evidence := j(r)
		if detail == "" {
			return nil, nil
		}
		return []Finding{c.Finding(t, detail, evidence)}, nil
	}
}

func judgeCSP(r *Response) (string, string) {
	if r.Header.Get("Content-Security-Policy") != "" {
		return "", ""
	}
	evidence := "Content-Security-Policy header absent in " + describeAnswer(r)
	if r.Header.Get("Content-Security-Policy-Report-Only") != "" {
		evidence += "; only Content-Security-Policy-Report-Only is set, which enforces nothing"
	}
	return "Content-Security-Policy", evidence
}

func judgeFrame(r *Response) (string, string) {
	xfo := strings.ToUpper(strings.TrimSpace(r.Header.Get("X-Frame-Options")))
	if xfo == "DENY" || xfo == "SAMEORIGIN" || hasDirective(r.Header.Values("Content-Security-Policy"), "frame-ancestors") {
		return "", ""
	}
	evidence := "neither X-Frame-Options nor a Content-Security-Policy frame-ancestors directive in " + describeAnswer(r)
	if xfo != "" {
		evidence = fmt.Sprintf("X-Frame-Options: %s (not DENY or SAMEORIGIN) and no Content-Security-Policy frame-ancestors directive in %s",
			clipEvidence(r.Header.Get("X-Frame-Options"), 100), describeAnswer(r))
	}
	return "X-Frame-Options", evidence
}

// hasDirective reports whether one of the policies has the directive.
func hasDirective(policies []string, name string) bool {
	for _, p := range policies {
		for d := range strings.SplitSeq(p, ";") {
			if f := strings.Fields(d); len(f) > 0 && strings.EqualFold(f[0], name) {
				return true
			}
		}
	}
	return false
}

func judgeReferrer(r *Response) (string, string) {
	if strings.TrimSpace(r.Header.Get("Referrer-Policy")) != "" {
		return "", ""
	}
	return "Referrer-Policy", "Referrer-Policy header absent in " + describeAnswer(r)
}

// runNosniff judges the main page whatever its content type.
func runNosniff(ctx context.Context, env *Env, t Target) ([]Finding, error) {
	p, err := fetchPage(ctx, env, t)
	if err != nil {
		return nil, err
	}
	r, ok := p.document()
	if !ok {
		return nil, nil
	}
	v := r.Header.Get("X-Content-Type-Options")
	if strings.EqualFold(strings.TrimSpace(v), "nosniff") {
		return nil, nil
	}
	evidence := "X-Content-Type-Options header absent in " + describeAnswer(r)
	if v != "" {
		evidence = fmt.Sprintf("X-Content-Type-Options: %s (not nosniff) in %s", clipEvidence(v, 100), describeAnswer(r))
	}
	return []Finding{checkNosniff.Finding(t, "X-Content-Type-Options", evidence)}, nil
}

// runHSTS judges the first answer of t's https URL, whatever its status
// (a redirect must carry the header too).
func runHSTS(ctx context.Context, env *Env, t Target) ([]Finding, error) {
	u, ok := env.HTTPSURL(t)
	if !ok {
		return nil, Userf("no https endpoint")
	}
	r, err := env.Get(ctx, u)
	if err != nil {
		return nil, err
	}
	v := r.Header.Get("Strict-Transport-Security")
	maxAge, has := hstsMaxAge(v)
	switch {
	case v == "":
		return []Finding{checkHSTS.Finding(t, "Strict-Transport-Security", "Strict-Transport-Security header absent in "+describeAnswer(r))}, nil
	case !has:
		return []Finding{checkHSTS.Finding(t, "Strict-Transport-Security",
			fmt.Sprintf("Strict-Transport-Security: %s has no valid max-age in %s", clipEvidence(v, 100), describeAnswer(r)))}, nil
	case maxAge == "0":
		return []Finding{checkHSTS.Finding(t, "Strict-Transport-Security",
			fmt.Sprintf("Strict-Transport-Security: %s switches HSTS off (max-age=0) in %s", clipEvidence(v, 100), describeAnswer(r)))}, nil
	}
	return nil, nil
}

var digitsRE = regexp.MustCompile(`^[0-9]+$`)

// hstsMaxAge returns the max-age value of an HSTS header with leading
// zeros removed; has is false when there is no valid one.
func hstsMaxAge(v string) (maxAge string, has bool) {
	for d := range strings.SplitSeq(v, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), "=")
		if !strings.EqualFold(strings.TrimSpace(name), "max-age") {
			continue
		}
		value = strings.Trim(strings.TrimSpace(value), `"`)
		if !digitsRE.MatchString(value) {
			return "", false
		}
		if value = strings.TrimLeft(value, "0"); value == "" {
			value = "0"
		}
		return value, true
	}
	return "", false
}

// hasPlainHTTP reports whether t has a plain-HTTP URL to check for a
// redirect (see Env.PlainHTTPURL): not an https URL asset on a port
// other than 443.
func hasPlainHTTP(t Target) bool {
	if IsHostAsset(t) {
		return true
	}
	_, ok := (&Env{}).PlainHTTPURL(t)
	return ok
}

// runNoHTTPSRedirect GETs t's plain-HTTP URL, follows redirects on the
// same host over http, and finds one problem (detail: the URL) when the
// answer is not a redirect to an https URL. Nothing listening for plain
// HTTP (connection refused) is fine.
func runNoHTTPSRedirect(ctx context.Context, env *Env, t Target) ([]Finding, error) {
	u, ok := env.PlainHTTPURL(t)
	if !ok {
		return nil, Userf("no plain-HTTP URL")
	}
	chain, err := followPlain(ctx, env, u)
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return nil, nil
	case err != nil:
		return nil, err
	}
	r := chain[len(chain)-1]
	if redirectsToHTTPS(r) {
		return nil, nil
	}
	var evidence string
	switch loc, ok := r.Location(); {
	case r.IsRedirect() && ok:
		evidence = fmt.Sprintf("GET %s ends in a redirect to %s, not to https", u, clipEvidence(loc.String(), 200))
	case len(chain) > 1:
		evidence = fmt.Sprintf("GET %s is answered over plain HTTP (HTTP %d at %s) without a redirect to https", u, r.Status, r.URL)
	default:
		evidence = fmt.Sprintf("GET %s is answered over plain HTTP (HTTP %d) without a redirect to https", u, r.Status)
	}
	return []Finding{checkNoHTTPSRedirect.Finding(t, u, evidence)}, nil
}

// followPlain GETs rawURL and follows up to MaxPageRedirects redirects
// on the same host name until one leads to https.
func followPlain(ctx context.Context, env *Env, rawURL string) ([]*Response, error) {
	return followSameHost(ctx, env, rawURL, MaxPageRedirects, redirectsToHTTPS)
}

// redirectsToHTTPS reports whether r is a redirect to an https URL.
func redirectsToHTTPS(r *Response) bool {
	loc, ok := r.Location()
	return ok && r.IsRedirect() && loc.Scheme == "https"
}

// runCookies finds each cookie set on the main page's answers without
// Secure, HttpOnly or SameSite; one finding per cookie name (detail
// "cookie <name>"), judged on its first Set-Cookie.
func runCookies(ctx context.Context, env *Env, t Target) ([]Finding, error) {
	p, err := fetchPage(ctx, env, t)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []Finding
	for _, r := range p.chain {
		for _, line := range r.Header.Values("Set-Cookie") {
			c, err := http.ParseSetCookie(line)
			if err != nil || seen[c.Name] {
				continue
			}
			seen[c.Name] = true
			var missing []string
			if !c.Secure {
				missing = append(missing, "Secure")
			}
			if !c.HttpOnly {
				missing = append(missing, "HttpOnly")
			}
			if c.SameSite == 0 {
				missing = append(missing, "SameSite")
			}
			if len(missing) == 0 {
				continue
			}
			out = append(out, checkCookies.Finding(t, "cookie "+c.Name,
				fmt.Sprintf("cookie %s is set without %s in %s", clipEvidence(c.Name, 100), joinAnd(missing), describeAnswer(r))))
		}
	}
	return out, nil
}

// disclosingHeaders are the response headers that name server software.
var disclosingHeaders = []string{"Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version"}

// versionRE matches a version number: "2.4.57", "8.1", "/1".
var versionRE = regexp.MustCompile(`[0-9]+\.[0-9]+|/[0-9]+`)

// runDisclosure finds each disclosing header that carries a version
// number on the main page's answers; detail "header <name>".
func runDisclosure(ctx context.Context, env *Env, t Target) ([]Finding, error) {
	p, err := fetchPage(ctx, env, t)
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, name := range disclosingHeaders {
		for _, r := range p.chain {
			v := r.Header.Get(name)
			if !versionRE.MatchString(v) {
				continue
			}
			out = append(out, checkDisclosure.Finding(t, "header "+name,
				fmt.Sprintf("%s: %s in %s", name, clipEvidence(v, 200), describeAnswer(r))))
			break
		}
	}
	return out, nil
}

// joinAnd joins words as "a", "a and b", "a, b and c".
func joinAnd(words []string) string {
	if len(words) <= 1 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// clipEvidence shortens s to at most n bytes for evidence.
func clipEvidence(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

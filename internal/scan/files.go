package scan

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// Check IDs of the full profile's HTTP content checks.
const (
	SensitiveFileCheckID    = "http.sensitive-file"
	DirectoryListingCheckID = "http.directory-listing"
)

// SensitiveFile is a file that should never be served, and how to tell
// it from an error page: the check reports it only on a 200 answer whose
// body looks like the file (a soft-404 page never does).
type SensitiveFile struct {
	// Path is requested at the root of the target's origin ("/.env").
	Path string
	// What names the file for the evidence ("Git repository metadata").
	What string
	// Severity is the severity of finding it.
	Severity Severity

	looksLike func(body []byte) bool
}

// SensitiveFiles is the documented list the sensitive-file check
// requests, in order. Each entry's content test:
//
//   - /.git/HEAD: one line, "ref: refs/…" or a 40- or 64-digit hex
//     commit ID (the whole repository, history and secrets included, can
//     usually be downloaded next to it);
//   - /.env: environment files, KEY=VALUE lines (comments and blank lines
//     aside), not HTML (credentials and keys);
//   - /server-status: Apache mod_status, "Apache Server Status" (client
//     addresses and requested URLs of other users);
//   - /.DS_Store: the macOS Finder file, starting with its "Bud1" magic
//     (lists the files of the directory);
//   - /phpinfo.php: a phpinfo() page (configuration, paths, environment);
//   - /backup.zip, /backup.tar.gz: archives by their magic numbers
//     (site source or data).
var SensitiveFiles = []SensitiveFile{
	{Path: "/.git/HEAD", What: "Git repository metadata", Severity: SeverityHigh, looksLike: looksLikeGitHEAD},
	{Path: "/.env", What: "an environment file of KEY=VALUE settings", Severity: SeverityHigh, looksLike: looksLikeDotenv},
	{Path: "/server-status", What: "the Apache server-status page", Severity: SeverityMedium, looksLike: containsFold("Apache Server Status")},
	{Path: "/.DS_Store", What: "a macOS .DS_Store directory file", Severity: SeverityMedium, looksLike: hasPrefix("\x00\x00\x00\x01Bud1")},
	{Path: "/phpinfo.php", What: "a phpinfo() page", Severity: SeverityMedium, looksLike: containsFold("phpinfo()</title>")},
	{Path: "/backup.zip", What: "a ZIP archive", Severity: SeverityMedium, looksLike: hasPrefix("PK\x03\x04")},
	{Path: "/backup.tar.gz", What: "a gzip archive", Severity: SeverityMedium, looksLike: hasPrefix("\x1f\x8b\x08")},
}

// NotFoundProbePath is a path no site serves. The sensitive-file check
// requests it too: a body equal to its answer is the site's catch-all
// page, whatever it looks like, and is not reported.
const NotFoundProbePath = "/partnerportal-scanner-nonexistent-path"

// DirectoryPaths are the paths, at the root of the target's origin, the
// directory-listing check requests: the root and the directories that
// most often hold uploaded or static files.
var DirectoryPaths = []string{"/", "/images/", "/uploads/", "/files/", "/static/", "/assets/", "/backup/"}

// directoryListingMarkers are case-insensitive strings of the directory
// index pages of common servers: Apache, nginx and lighttpd ("Index of
// /…" as title or heading), Python's http.server and Tomcat ("Directory
// listing for …"), IIS ("[To Parent Directory]").
var directoryListingMarkers = []string{
	"<title>index of /",
	"<h1>index of /",
	"<title>directory listing for",
	"[to parent directory]",
}

var sensitiveFileCheck = Check{
	ID:    SensitiveFileCheckID,
	Title: "Sensitive file exposed",
	Description: "Requests a documented list of files that should never be public (Git metadata, " +
		".env files, Apache server-status, .DS_Store, phpinfo pages, backup archives) at the root of " +
		"the site and reports those answered with 200 and a body that has the file's format; a page " +
		"served for every path (soft 404) is not reported. Such files leak source code, credentials " +
		"or internal details. Severity: high for .git and .env, medium otherwise.",
	Remediation: "Remove the file from the web root (deploy build artifacts, not the working tree) " +
		"and deny dot-files, status pages and archives in the web server configuration. Rotate any " +
		"credentials the file contained.",
	Severity: SeverityHigh, // the highest a finding gets; each finding has its file's severity
	Profiles: []Profile{ProfileFull},
	Run:      runSensitiveFiles,
}

var directoryListingCheck = Check{
	ID:    DirectoryListingCheckID,
	Title: "Directory listing enabled",
	Description: "Requests the site root and common directories (" + strings.Join(DirectoryPaths, ", ") +
		") and reports those answered with a server-generated directory index. A listing shows " +
		"every file of the directory, including ones never linked (backups, uploads, old versions).",
	Remediation: "Turn off automatic directory indexes (Apache: Options -Indexes; nginx: autoindex " +
		"off; IIS: directoryBrowse enabled=\"false\") or put an index page in the directory.",
	Severity: SeverityMedium,
	Profiles: []Profile{ProfileFull},
	Run:      runDirectoryListing,
}

func init() {
	Register(sensitiveFileCheck)
	Register(directoryListingCheck)
}

// runSensitiveFiles requests every SensitiveFiles path and the not-found
// probe at the target's origin. Any request that fails fails the check.
func runSensitiveFiles(ctx context.Context, env *Env, t Target) ([]Finding, error) {
	origin, err := reachableOrigin(ctx, env, t)
	if err != nil {
		return nil, err
	}
	paths := []string{NotFoundProbePath}
	for _, f := range SensitiveFiles {
		paths = append(paths, f.Path)
	}
	resps, err := getPaths(ctx, env, origin, paths)
	if err != nil {
		return nil, err
	}
	catchAll := resps[0]
	var out []Finding
	for i, f := range SensitiveFiles {
		r := resps[i+1]
		if r.Status != http.StatusOK || !f.looksLike(r.Body) {
			continue
		}
		if catchAll.Status == http.StatusOK && bytes.Equal(r.Body, catchAll.Body) {
			continue
		}
		out = append(out, Finding{
			CheckID: SensitiveFileCheckID, AssetID: t.AssetID, Severity: f.Severity, Detail: f.Path,
			Evidence: fmt.Sprintf("GET %s answered 200 with %s%s", r.URL, f.What, excerpt(f, r.Body)),
		})
	}
	return out, nil
}

// excerpt shows the start of the file when it is safe to: the HEAD
// reference of Git metadata; never the values of an .env file.
func excerpt(f SensitiveFile, body []byte) string {
	switch f.Path {
	case "/.git/HEAD":
		return fmt.Sprintf(" (%q)", clipText(strings.TrimSpace(string(body)), 80))
	case "/.env":
		return fmt.Sprintf(" (%d settings; values not recorded)", len(dotenvKeys(body)))
	}
	return ""
}

// runDirectoryListing requests every DirectoryPaths path at the target's
// origin and reports the directory indexes. A body equal to one already
// reported (a listing served for every path) is reported once, at the
// first path. Any request that fails fails the check.
func runDirectoryListing(ctx context.Context, env *Env, t Target) ([]Finding, error) {
	origin, err := reachableOrigin(ctx, env, t)
	if err != nil {
		return nil, err
	}
	resps, err := getPaths(ctx, env, origin, DirectoryPaths)
	if err != nil {
		return nil, err
	}
	var (
		out  []Finding
		seen [][]byte
	)
	for i, r := range resps {
		if r.Status != http.StatusOK || !isDirectoryListing(r.Body) {
			continue
		}
		if containsBody(seen, r.Body) {
			continue
		}
		seen = append(seen, r.Body)
		out = append(out, Finding{
			CheckID: DirectoryListingCheckID, AssetID: t.AssetID, Detail: DirectoryPaths[i],
			Evidence: "GET " + r.URL + " answered 200 with a directory index page",
		})
	}
	return out, nil
}

// isDirectoryListing reports whether body is a server-generated
// directory index (directoryListingMarkers).
func isDirectoryListing(body []byte) bool {
	lower := bytes.ToLower(body)
	for _, m := range directoryListingMarkers {
		if bytes.Contains(lower, []byte(m)) {
			return true
		}
	}
	return false
}

var (
	gitRefHEAD  = regexp.MustCompile(`^ref: refs/[^\s]+$`)
	gitHashHEAD = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)
	dotenvLine  = regexp.MustCompile(`^(export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=`)
)

// looksLikeGitHEAD reports whether body is a Git HEAD file: one line
// with a symbolic reference or a commit ID.
func looksLikeGitHEAD(body []byte) bool {
	s := strings.TrimSpace(string(body))
	return gitRefHEAD.MatchString(s) || gitHashHEAD.MatchString(s)
}

// looksLikeDotenv reports whether body is an environment file: not
// markup, at least one KEY=VALUE line, and every line that is not blank
// or a comment is one.
func looksLikeDotenv(body []byte) bool {
	if t := bytes.TrimSpace(body); len(t) == 0 || t[0] == '<' || t[0] == '{' {
		return false
	}
	keys := 0
	for line := range strings.Lines(string(body)) {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case dotenvLine.MatchString(line):
			keys++
		default:
			return false
		}
	}
	return keys > 0
}

// dotenvKeys returns the keys of an environment file.
func dotenvKeys(body []byte) []string {
	var keys []string
	for line := range strings.Lines(string(body)) {
		if m := dotenvLine.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			keys = append(keys, m[2])
		}
	}
	return keys
}

// containsFold returns a test for a body containing s, ignoring case.
func containsFold(s string) func([]byte) bool {
	lower := []byte(strings.ToLower(s))
	return func(body []byte) bool { return bytes.Contains(bytes.ToLower(body), lower) }
}

// hasPrefix returns a test for a body starting with the bytes of s.
func hasPrefix(s string) func([]byte) bool {
	return func(body []byte) bool { return bytes.HasPrefix(body, []byte(s)) }
}

func containsBody(seen [][]byte, body []byte) bool {
	for _, b := range seen {
		if bytes.Equal(b, body) {
			return true
		}
	}
	return false
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// reachableOrigin returns the origin (scheme://host[:port], no path) of
// the first of t's URLs (Env.URLs: https first) that answers a GET,
// whatever the status. Checks that look for files at a site's root
// start there.
//
// Error contract: when no URL answers, the error of the first one (as
// Env.Get); an error for a target without URLs.
func reachableOrigin(ctx context.Context, env *Env, t Target) (*url.URL, error) {
	u, err := reachableURL(ctx, env, t)
	if err != nil {
		return nil, err
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/"}, nil
}

// reachableURL returns the first of t's URLs (Env.URLs: https first)
// that answers a GET, whatever the status. The GETs are Env.Get's, so
// checks share them.
//
// Error contract: as reachableOrigin.
func reachableURL(ctx context.Context, env *Env, t Target) (*url.URL, error) {
	urls := env.URLs(t)
	if len(urls) == 0 {
		return nil, Userf("%s has no URL to request", t.Asset.Value)
	}
	var firstErr error
	for _, raw := range urls {
		_, err := env.Get(ctx, raw)
		if err == nil {
			return url.Parse(raw)
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

// pathConcurrency is how many requests getPaths has in flight at once.
const pathConcurrency = 4

// getPaths GETs each path (absolute, "/x" or "/dir/x") on base's origin
// with Env.Get, a few at a time, and returns the answers in the order
// of paths.
//
// Error contract: when a request fails, the error of the first failing
// path in paths order (as Env.Get), and no answers.
func getPaths(ctx context.Context, env *Env, base *url.URL, paths []string) ([]*Response, error) {
	resps := make([]*Response, len(paths))
	errs := make([]error, len(paths))
	sem := make(chan struct{}, pathConcurrency)
	var wg sync.WaitGroup
	for i, p := range paths {
		u := url.URL{Scheme: base.Scheme, Host: base.Host, Path: p}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			resps[i], errs[i] = env.Get(ctx, u.String())
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return resps, nil
}

package scan

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/partnerportal/portal/internal/verify/verifytest"
)

// siteFiles serves exactly the given paths with status 200 and their
// bodies; every other path is a plain 404.
func siteFiles(files map[string]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(body))
	})
}

// softNotFound answers every path with 200 and the same HTML page, as
// single-page applications and many CMSs do.
var softNotFound = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(`<!doctype html><html><head><title>Shop</title></head><body><div id="app">Page not found</div></body></html>`))
})

// severityKeys returns "asset check detail severity" of each finding,
// in order.
func severityKeys(res Result) []string {
	var out []string
	for _, f := range res.Findings {
		out = append(out, f.AssetID+" "+f.CheckID+" "+f.Detail+" "+string(f.Severity))
	}
	return out
}

// exposedFiles has every file of SensitiveFiles, with the content of
// the real thing.
var exposedFiles = map[string]string{
	"/.git/HEAD":     "ref: refs/heads/main\n",
	"/.env":          "# production\nAPP_KEY=base64:abc\nDB_PASSWORD=hunter2\n\nexport MAIL_HOST=smtp.example.com\n",
	"/server-status": "<html><head><title>Apache Status</title></head><body><h1>Apache Server Status for www.example.com (via 10.0.0.5)</h1>",
	"/.DS_Store":     "\x00\x00\x00\x01Bud1\x00\x00\x10\x00",
	"/phpinfo.php":   "<!DOCTYPE html><html><head><title>PHP 8.3.1 - phpinfo()</title></head><body>PHP Version 8.3.1</body></html>",
	"/backup.zip":    "PK\x03\x04\x14\x00\x00\x00",
	"/backup.tar.gz": "\x1f\x8b\x08\x00\x00\x00\x00\x00",
}

func TestSensitiveFile(t *testing.T) {
	t.Run("EveryExposedFileIsOneFindingWithItsSeverity", func(t *testing.T) {
		srv := startCounting(t, false, siteFiles(exposedFiles))
		e := onlyCheck(t, SensitiveFileCheckID, verifytest.Zone{})
		res := run(t, e, ProfileFull, newTarget(t, "a1", srv.URL, false, local))
		want := []string{
			"a1 http.sensitive-file /.DS_Store medium",
			"a1 http.sensitive-file /.env high",
			"a1 http.sensitive-file /.git/HEAD high",
			"a1 http.sensitive-file /backup.tar.gz medium",
			"a1 http.sensitive-file /backup.zip medium",
			"a1 http.sensitive-file /phpinfo.php medium",
			"a1 http.sensitive-file /server-status medium",
		}
		if got := severityKeys(res); !slices.Equal(got, want) {
			t.Fatalf("findings = %q, want %q (errors %+v)", got, want, res.Errors)
		}
	})
	t.Run("EvidenceNeverRecordsEnvValues", func(t *testing.T) {
		srv := startCounting(t, false, siteFiles(map[string]string{"/.env": exposedFiles["/.env"]}))
		e := onlyCheck(t, SensitiveFileCheckID, verifytest.Zone{})
		res := run(t, e, ProfileFull, newTarget(t, "a1", srv.URL, false, local))
		if len(res.Findings) != 1 {
			t.Fatalf("findings = %+v, want one", res.Findings)
		}
		ev := res.Findings[0].Evidence
		if want := "GET " + srv.URL + "/.env answered 200 with an environment file of KEY=VALUE settings (3 settings; values not recorded)"; ev != want {
			t.Fatalf("evidence = %q, want %q", ev, want)
		}
		if strings.Contains(ev, "hunter2") {
			t.Fatalf("evidence %q contains a secret", ev)
		}
	})
	t.Run("DetachedGitHEADIsACommitID", func(t *testing.T) {
		srv := startCounting(t, false, siteFiles(map[string]string{"/.git/HEAD": "0123456789abcdef0123456789abcdef01234567\n"}))
		e := onlyCheck(t, SensitiveFileCheckID, verifytest.Zone{})
		res := run(t, e, ProfileFull, newTarget(t, "a1", srv.URL, false, local))
		if got, want := findingKeys(res), []string{"a1 http.sensitive-file /.git/HEAD"}; !slices.Equal(got, want) {
			t.Fatalf("findings = %q, want %q", got, want)
		}
	})
	t.Run("SoftNotFoundYieldsNothing", func(t *testing.T) {
		srv := startCounting(t, false, softNotFound)
		e := onlyCheck(t, SensitiveFileCheckID, verifytest.Zone{})
		res := run(t, e, ProfileFull, newTarget(t, "a1", srv.URL, false, local))
		if len(res.Findings) != 0 || len(res.Errors) != 0 {
			t.Fatalf("findings = %+v, errors = %+v; want neither", res.Findings, res.Errors)
		}
		if got, want := res.Ran["a1"], []string{SensitiveFileCheckID}; !slices.Equal(got, want) {
			t.Fatalf("Ran = %v, want %v", got, want)
		}
	})
	t.Run("CatchAllPageInAFileFormatYieldsNothing", func(t *testing.T) {
		// Every path answers the same KEY=VALUE text: it is the site's
		// answer to anything, not an exposed .env.
		srv := startCounting(t, false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("status=ok\n"))
		}))
		e := onlyCheck(t, SensitiveFileCheckID, verifytest.Zone{})
		res := run(t, e, ProfileFull, newTarget(t, "a1", srv.URL, false, local))
		if len(res.Findings) != 0 || len(res.Errors) != 0 {
			t.Fatalf("findings = %+v, errors = %+v; want neither", res.Findings, res.Errors)
		}
	})
	t.Run("StatusAloneIsNotEnough", func(t *testing.T) {
		// 200 with the wrong content, and the right content with 403.
		srv := startCounting(t, false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/.git/HEAD":
				w.Write([]byte("<html><body>Please log in</body></html>"))
			case "/.env":
				w.Write([]byte(`{"error":"not found"}`))
			case "/server-status":
				w.WriteHeader(http.StatusForbidden)
				w.Write([]byte("<h1>Apache Server Status for localhost</h1>"))
			case "/backup.zip":
				w.Write([]byte("<html>Download our backup guide</html>"))
			default:
				http.NotFound(w, r)
			}
		}))
		e := onlyCheck(t, SensitiveFileCheckID, verifytest.Zone{})
		res := run(t, e, ProfileFull, newTarget(t, "a1", srv.URL, false, local))
		if len(res.Findings) != 0 || len(res.Errors) != 0 {
			t.Fatalf("findings = %+v, errors = %+v; want neither", res.Findings, res.Errors)
		}
	})
	t.Run("FilesAreLookedForAtTheOriginRoot", func(t *testing.T) {
		srv := startCounting(t, false, siteFiles(map[string]string{"/": "home", "/.git/HEAD": "ref: refs/heads/main"}))
		e := onlyCheck(t, SensitiveFileCheckID, verifytest.Zone{})
		res := run(t, e, ProfileFull, newTarget(t, "a1", srv.URL+"/shop/login", false, local))
		if got, want := findingKeys(res), []string{"a1 http.sensitive-file /.git/HEAD"}; !slices.Equal(got, want) {
			t.Fatalf("findings = %q, want %q", got, want)
		}
	})
	t.Run("HostAssetWithoutHTTPSIsRequestedOverHTTP", func(t *testing.T) {
		srv := startCounting(t, false, siteFiles(map[string]string{"/": "home", "/.git/HEAD": "ref: refs/heads/main"}))
		e := onlyCheck(t, SensitiveFileCheckID, verifytest.Zone{})
		e.ports = map[string]int{"https": closedPort(t), "http": portOf(t, srv.URL)}
		res := run(t, e, ProfileFull, newTarget(t, "a1", "127.0.0.1", false, local))
		if got, want := findingKeys(res), []string{"a1 http.sensitive-file /.git/HEAD"}; !slices.Equal(got, want) {
			t.Fatalf("findings = %q, want %q (errors %+v)", got, want, res.Errors)
		}
	})
	t.Run("UnreachableSiteIsACheckError", func(t *testing.T) {
		addr := "127.0.0.1:" + itoa(closedPort(t))
		e := onlyCheck(t, SensitiveFileCheckID, verifytest.Zone{})
		target := newTarget(t, "a1", "http://"+addr+"/", false, local)
		res := run(t, e, ProfileFull, target)
		want := []CheckError{{CheckID: SensitiveFileCheckID, AssetID: "a1", Error: "GET " + target.Asset.Value + ": connection refused"}}
		if !reflect.DeepEqual(res.Errors, want) || len(res.Findings) != 0 {
			t.Fatalf("errors = %+v, findings = %+v; want %+v and no findings", res.Errors, res.Findings, want)
		}
	})
}

// apacheListing is the directory index Apache generates for dir.
func apacheListing(dir string) string {
	return `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN"><html><head><title>Index of ` + dir +
		`</title></head><body><h1>Index of ` + dir + `</h1><table><tr><th>Name</th></tr>` +
		`<tr><td><a href="/">Parent Directory</a></td></tr><tr><td><a href="invoice-2024.pdf">invoice-2024.pdf</a></td></tr></table></body></html>`
}

func TestDirectoryListing(t *testing.T) {
	t.Run("ListedDirectoriesAreFindings", func(t *testing.T) {
		srv := startCounting(t, false, siteFiles(map[string]string{
			"/":         "<html><title>Welcome</title></html>",
			"/uploads/": apacheListing("/uploads"),
			"/static/":  `<html><head><title>Index of /static/</title></head><body><h1>Index of /static/</h1><hr><pre><a href="../">../</a>` + "\n</pre><hr></body></html>", // nginx
			"/files/":   `<!DOCTYPE HTML><html><head><title>Directory listing for /files/</title></head><body><h1>Directory listing for /files/</h1></body></html>`,         // Python
			"/backup/":  `<html><head><title>127.0.0.1 - /backup/</title></head><body><H1>127.0.0.1 - /backup/</H1><hr><pre><A HREF="/">[To Parent Directory]</A>`,          // IIS
		}))
		e := onlyCheck(t, DirectoryListingCheckID, verifytest.Zone{})
		res := run(t, e, ProfileFull, newTarget(t, "a1", srv.URL, false, local))
		want := []string{
			"a1 http.directory-listing /backup/ medium",
			"a1 http.directory-listing /files/ medium",
			"a1 http.directory-listing /static/ medium",
			"a1 http.directory-listing /uploads/ medium",
		}
		if got := severityKeys(res); !slices.Equal(got, want) {
			t.Fatalf("findings = %q, want %q (errors %+v)", got, want, res.Errors)
		}
	})
	t.Run("ListingServedForEveryPathIsReportedOnceAtTheRoot", func(t *testing.T) {
		srv := startCounting(t, false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(apacheListing("/")))
		}))
		e := onlyCheck(t, DirectoryListingCheckID, verifytest.Zone{})
		res := run(t, e, ProfileFull, newTarget(t, "a1", srv.URL, false, local))
		if got, want := findingKeys(res), []string{"a1 http.directory-listing /"}; !slices.Equal(got, want) {
			t.Fatalf("findings = %q, want %q", got, want)
		}
	})
	t.Run("SoftNotFoundYieldsNothing", func(t *testing.T) {
		srv := startCounting(t, false, softNotFound)
		e := onlyCheck(t, DirectoryListingCheckID, verifytest.Zone{})
		res := run(t, e, ProfileFull, newTarget(t, "a1", srv.URL, false, local))
		if len(res.Findings) != 0 || len(res.Errors) != 0 {
			t.Fatalf("findings = %+v, errors = %+v; want neither", res.Findings, res.Errors)
		}
	})
	t.Run("ListingWithAnErrorStatusYieldsNothing", func(t *testing.T) {
		srv := startCounting(t, false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(apacheListing(r.URL.Path)))
		}))
		e := onlyCheck(t, DirectoryListingCheckID, verifytest.Zone{})
		res := run(t, e, ProfileFull, newTarget(t, "a1", srv.URL, false, local))
		if len(res.Findings) != 0 || len(res.Errors) != 0 {
			t.Fatalf("findings = %+v, errors = %+v; want neither", res.Findings, res.Errors)
		}
	})
}

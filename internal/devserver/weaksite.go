package devserver

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/partnerportal/portal/internal/verify"
)

// WeakSite is a deliberately weak web site, for the local walk-through and
// the scan benchmark: a scan of it finds missing security headers, an
// insecure cookie, version disclosure, an exposed .env and .git, a
// directory listing and CORS that trusts any origin. Its owner may publish
// a verification token by PUT to the well-known path (the one "weakness"
// that exists for the demo). The zero value is ready to serve.
type WeakSite struct {
	mu    sync.Mutex
	token string
}

// weakServer serves a WeakSite on a loopback port for the local stack.
type weakServer struct {
	server *http.Server
	url    string
}

func startWeakSite() (*weakServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("weak demo site: %w", err)
	}
	w := &weakServer{url: "http://" + ln.Addr().String()}
	w.server = &http.Server{Handler: &WeakSite{}, ReadHeaderTimeout: 10 * time.Second}
	go w.server.Serve(ln)
	return w, nil
}

func (w *weakServer) close() { w.server.Close() }

// ServeHTTP serves the weak site.
func (w *WeakSite) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set("Server", "Apache/2.2.8 (Ubuntu) PHP/5.2.4-2ubuntu5")
	rw.Header().Set("X-Powered-By", "PHP/5.2.4-2ubuntu5")
	if origin := r.Header.Get("Origin"); origin != "" {
		rw.Header().Set("Access-Control-Allow-Origin", origin)
		rw.Header().Set("Access-Control-Allow-Credentials", "true")
	}
	switch r.URL.Path {
	case verify.WellKnownPath:
		w.mu.Lock()
		defer w.mu.Unlock()
		if r.Method == http.MethodPut {
			b, _ := io.ReadAll(io.LimitReader(r.Body, 1024))
			w.token = string(b)
			rw.WriteHeader(http.StatusNoContent)
			return
		}
		fmt.Fprintln(rw, w.token)
	case "/":
		http.SetCookie(rw, &http.Cookie{Name: "PHPSESSID", Value: "demo", Path: "/"})
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintln(rw, `<!doctype html><html><head><title>Delta Retail shop</title></head><body><h1>Welcome</h1><a href="/uploads/">uploads</a></body></html>`)
	case "/.env":
		fmt.Fprintln(rw, "APP_ENV=production\nDB_HOST=db.internal\nDB_PASSWORD=not-a-real-password")
	case "/.git/HEAD":
		fmt.Fprintln(rw, "ref: refs/heads/main")
	case "/uploads/":
		rw.Header().Set("Content-Type", "text/html")
		fmt.Fprintln(rw, `<html><head><title>Index of /uploads</title></head><body><h1>Index of /uploads</h1><pre><a href="../">Parent Directory</a>
<a href="invoice-2026-11.pdf">invoice-2026-11.pdf</a></pre></body></html>`)
	default:
		http.NotFound(rw, r)
	}
}

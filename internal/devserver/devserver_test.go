package devserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/devserver"
	"github.com/partnerportal/portal/internal/httpapi"
)

// api is a tiny HTTP client for the walk-through.
type api struct {
	t    *testing.T
	base string
	key  string
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (a api) do(method, path string, body any, headers ...string) reply {
	a.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, a.base+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	if a.key != "" {
		req.Header.Set("Authorization", "Bearer "+a.key)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := reply{status: res.StatusCode, header: res.Header, raw: string(raw)}
	json.Unmarshal(raw, &out.body)
	return out
}

func (r reply) want(t *testing.T, status int) reply {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d: %s", r.status, status, r.raw)
	}
	return r
}

// problemField returns the fields named in a problem document.
func (r reply) fields() []string {
	var out []string
	errs, _ := r.body["errors"].([]any)
	for _, e := range errs {
		out = append(out, e.(map[string]any)["field"].(string))
	}
	return out
}

func (r reply) ids() []string {
	var out []string
	items, _ := r.body["items"].([]any)
	for _, it := range items {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	return out
}

// binaries are the functions built once for every stack of the tests.
var binaries struct {
	once sync.Once
	dir  string
	err  error
}

// TestMain builds nothing itself; it removes the binaries the stacks
// shared, and stops DynamoDB Local.
func TestMain(m *testing.M) {
	code := m.Run()
	if binaries.dir != "" {
		os.RemoveAll(binaries.dir)
	}
	if err := ddbtest.Shutdown(); err != nil && code == 0 {
		code = 1
	}
	os.Exit(code)
}

// sharedBinaries builds every declared function for this machine once.
func sharedBinaries(t *testing.T) string {
	t.Helper()
	binaries.once.Do(func() {
		if binaries.dir, binaries.err = os.MkdirTemp("", "devserver-bin-"); binaries.err != nil {
			return
		}
		binaries.err = devserver.BuildFunctions(filepath.Join("..", ".."), binaries.dir)
	})
	if binaries.err != nil {
		t.Fatalf("build the functions: %v", binaries.err)
	}
	return binaries.dir
}

func startStack(t *testing.T, dir, table string) *devserver.Stack {
	t.Helper()
	bins := sharedBinaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := devserver.Start(ctx, devserver.Config{
		Dir: dir, Addr: "127.0.0.1:0", Endpoint: ddbtest.Endpoint(t), Table: table, Log: os.Stderr, Binaries: bins,
	})
	if err != nil {
		t.Fatalf("start local stack: %v", err)
	}
	return st
}

func TestTheCurlWalkThroughAgainstTheLocalServer(t *testing.T) {
	dir := t.TempDir()
	table := fmt.Sprintf("walkthrough_%d", time.Now().UnixNano())
	st := startStack(t, dir, table)
	defer st.Close()

	t.Run("CredentialsFileIsWrittenOnceTheAPIAnswers", func(t *testing.T) {
		var creds map[string]string
		b, err := os.ReadFile(filepath.Join(dir, "credentials.json"))
		if err != nil || json.Unmarshal(b, &creds) != nil {
			t.Fatalf("credentials.json: %v %s", err, b)
		}
		for _, k := range []string{"apiUrl", "superAdminKey", "partnerId", "partnerAdminKey"} {
			if creds[k] == "" {
				t.Errorf("credentials.json has no %s", k)
			}
		}
		if creds["apiUrl"] != st.URL {
			t.Errorf("apiUrl = %s, want %s", creds["apiUrl"], st.URL)
		}
	})

	admin := api{t, st.URL, st.Credentials.PartnerAdminKey}
	names := []string{"Zeta Logistics", "acme gmbh", "Beta Bank", "Acme Holding", "Gamma Health"}
	ids := map[string]string{}
	for _, n := range names {
		r := admin.do("POST", "/v1/customers", map[string]any{"name": n, "contactEmail": "it@" + strings.ReplaceAll(strings.ToLower(n), " ", "") + ".example", "timezone": "Europe/Berlin", "country": "DE"}).want(t, 201)
		ids[n] = r.body["id"].(string)
	}

	t.Run("ListSortsByNameCaseInsensitively", func(t *testing.T) {
		r := admin.do("GET", "/v1/customers?sort=name", nil).want(t, 200)
		want := []string{ids["acme gmbh"], ids["Acme Holding"], ids["Beta Bank"], ids["Gamma Health"], ids["Zeta Logistics"]}
		if got := r.ids(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("order = %v, want %v", got, want)
		}
	})
	t.Run("NameSearchIsAPrefixMatch", func(t *testing.T) {
		r := admin.do("GET", "/v1/customers?q=ACME", nil).want(t, 200)
		if got := len(r.ids()); got != 2 {
			t.Fatalf("matches = %d, want 2", got)
		}
	})
	t.Run("SuspendResumeArchiveAndFilterByStatus", func(t *testing.T) {
		id := ids["Beta Bank"]
		admin.do("POST", "/v1/customers/"+id+"/suspend", nil).want(t, 200)
		r := admin.do("GET", "/v1/customers?status=suspended", nil).want(t, 200)
		if got := r.ids(); len(got) != 1 || got[0] != id {
			t.Fatalf("suspended = %v", got)
		}
		admin.do("POST", "/v1/customers/"+id+"/resume", nil).want(t, 200)
		admin.do("DELETE", "/v1/customers/"+ids["Zeta Logistics"], nil).want(t, 200)
		if got := len(admin.do("GET", "/v1/customers", nil).want(t, 200).ids()); got != 4 {
			t.Fatalf("default list = %d customers, want 4 (archived ones leave it)", got)
		}
		if got := admin.do("GET", "/v1/customers?status=archived", nil).want(t, 200).ids(); len(got) != 1 {
			t.Fatalf("archived = %v", got)
		}
	})
	t.Run("CursorPagination", func(t *testing.T) {
		first := admin.do("GET", "/v1/customers?sort=-createdAt&limit=2", nil).want(t, 200)
		cursor, _ := first.body["nextCursor"].(string)
		if cursor == "" {
			t.Fatalf("no nextCursor: %s", first.raw)
		}
		second := admin.do("GET", "/v1/customers?sort=-createdAt&limit=2&cursor="+url.QueryEscape(cursor), nil).want(t, 200)
		if got := append(first.ids(), second.ids()...); len(got) != 4 || got[0] == got[2] {
			t.Fatalf("pages = %v", got)
		}
		t.Run("OtherFilters", func(t *testing.T) {
			r := admin.do("GET", "/v1/customers?sort=name&limit=2&cursor="+url.QueryEscape(cursor), nil).want(t, 400)
			if f := r.fields(); len(f) != 1 || f[0] != "cursor" {
				t.Fatalf("fields = %v", f)
			}
		})
		t.Run("Edited", func(t *testing.T) {
			edited := "A" + cursor[1:]
			if edited == cursor {
				edited = "B" + cursor[1:]
			}
			admin.do("GET", "/v1/customers?sort=-createdAt&limit=2&cursor="+url.QueryEscape(edited), nil).want(t, 400)
		})
		t.Run("AnotherPartner", func(t *testing.T) {
			other := otherPartnerAdmin(t, st)
			other.do("GET", "/v1/customers?sort=-createdAt&limit=2&cursor="+url.QueryEscape(cursor), nil).want(t, 400)
		})
	})
	t.Run("AnotherPartnersCustomerIsNotFound", func(t *testing.T) {
		other := otherPartnerAdmin(t, st)
		other.do("GET", "/v1/customers/"+ids["Gamma Health"], nil).want(t, 404)
		other.do("POST", "/v1/customers/"+ids["Gamma Health"]+"/suspend", nil).want(t, 404)
		if got := other.do("GET", "/v1/customers", nil).want(t, 200).ids(); len(got) != 0 {
			t.Fatalf("another partner sees %v", got)
		}
	})
	t.Run("PatchWithIfMatch", func(t *testing.T) {
		id := ids["Gamma Health"]
		etag := admin.do("GET", "/v1/customers/"+id, nil).want(t, 200).header.Get("ETag")
		admin.do("PATCH", "/v1/customers/"+id, map[string]any{"tags": []string{"health"}}, "If-Match", etag).want(t, 200)
		admin.do("PATCH", "/v1/customers/"+id, map[string]any{"tags": []string{"x"}}, "If-Match", etag).want(t, 412)
	})
	t.Run("BadInputsGetProblemDocumentsAndWriteNothing", func(t *testing.T) {
		before := len(admin.do("GET", "/v1/customers?limit=100", nil).want(t, 200).ids())
		cases := []struct {
			name   string
			body   any
			status int
			field  string
		}{
			{"UnknownField", `{"name":"X","contactEmail":"a@b.example","colour":"red"}`, 400, "colour"},
			{"WrongType", `{"name":42,"contactEmail":"a@b.example"}`, 400, "name"},
			{"BadEmail", `{"name":"X","contactEmail":"nobody"}`, 400, "contactEmail"},
			{"UnknownTimeZone", `{"name":"X","contactEmail":"a@b.example","timezone":"Europe/Atlantis"}`, 400, "timezone"},
			{"UnknownEnum", `{"name":"X","contactEmail":"a@b.example","status":"gold"}`, 400, "status"},
			{"MalformedJSON", `{"name":`, 400, "body"},
			{"TooLarge", `{"name":"` + strings.Repeat("x", httpapi.MaxBodyBytes) + `"}`, 413, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := admin.do("POST", "/v1/customers", c.body).want(t, c.status)
				if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("Content-Type = %q", ct)
				}
				if c.field != "" && !strings.Contains(strings.Join(r.fields(), ","), c.field) {
					t.Errorf("fields = %v, want %s", r.fields(), c.field)
				}
				if c.name == "UnknownEnum" && !strings.Contains(r.raw, "active, trial") {
					t.Errorf("the message should list the allowed values: %s", r.raw)
				}
			})
		}
		if after := len(admin.do("GET", "/v1/customers?limit=100", nil).want(t, 200).ids()); after != before {
			t.Fatalf("customers = %d after bad requests, want %d", after, before)
		}
		admin.do("GET", "/v1/nothing", nil).want(t, 404)
		r := admin.do("PUT", "/v1/customers", nil).want(t, 405)
		if got := r.header.Get("Allow"); got != "GET, POST" {
			t.Errorf("Allow = %q", got)
		}
	})
	t.Run("IdempotencyKey", func(t *testing.T) {
		body := map[string]any{"name": "Delta Retail", "contactEmail": "it@delta.example"}
		a := admin.do("POST", "/v1/customers", body, "Idempotency-Key", "k-1").want(t, 201)
		b := admin.do("POST", "/v1/customers", body, "Idempotency-Key", "k-1").want(t, 201)
		if a.body["id"] != b.body["id"] {
			t.Fatalf("replay created another customer: %v vs %v", a.body["id"], b.body["id"])
		}
		admin.do("POST", "/v1/customers", map[string]any{"name": "Other", "contactEmail": "it@o.example"}, "Idempotency-Key", "k-1").want(t, 422)
	})
	t.Run("CredentialsAreChecked", func(t *testing.T) {
		missing := api{t, st.URL, ""}.do("GET", "/v1/customers", nil).want(t, 401)
		if got, want := missing.header.Get("WWW-Authenticate"), `Bearer realm="partner-portal"`; got != want {
			t.Errorf("WWW-Authenticate = %q, want %q", got, want)
		}
		bad := api{t, st.URL, "pp_nonsense"}.do("GET", "/v1/customers", nil).want(t, 401)
		if got := bad.header.Get("WWW-Authenticate"); !strings.Contains(got, `error="invalid_token"`) {
			t.Errorf("WWW-Authenticate = %q, want an invalid_token challenge", got)
		}
		if ct := bad.header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("Content-Type = %q", ct)
		}
		admin.do("POST", "/v1/partners", map[string]any{"name": "X", "contactEmail": "x@x.example"}).want(t, 403)
	})
}

// otherPartnerAdmin creates a second partner with an admin key, as the super admin would.
func otherPartnerAdmin(t *testing.T, st *devserver.Stack) api {
	t.Helper()
	super := api{t, st.URL, st.Credentials.SuperAdminKey}
	p := super.do("POST", "/v1/partners", map[string]any{"name": "Other MSSP", "contactEmail": "ops@other.example"}).want(t, 201)
	u := super.do("POST", "/v1/users", map[string]any{"email": fmt.Sprintf("admin%d@other.example", time.Now().UnixNano()), "role": "partner_admin", "partnerId": p.body["id"]}).want(t, 201)
	k := super.do("POST", "/v1/users/"+u.body["id"].(string)+"/api-keys", map[string]any{"name": "test"}).want(t, 201)
	return api{t, st.URL, k.body["key"].(string)}
}

func TestRestartKeepsDataAndKeys(t *testing.T) {
	dir := t.TempDir()
	table := fmt.Sprintf("restart_%d", time.Now().UnixNano())
	first := startStack(t, dir, table)
	id := api{t, first.URL, first.Credentials.PartnerAdminKey}.do("POST", "/v1/customers", map[string]any{"name": "Kept", "contactEmail": "it@kept.example"}).want(t, 201).body["id"].(string)
	creds := first.Credentials
	_, err := devserver.Start(context.Background(), devserver.Config{
		Dir: dir, Addr: "127.0.0.1:0", Endpoint: ddbtest.Endpoint(t), Table: table, Log: io.Discard, Binaries: sharedBinaries(t),
	})
	if !errors.Is(err, devserver.ErrRunning) || !strings.Contains(err.Error(), first.URL) {
		t.Fatalf("a second stack on the same state: %v, want ErrRunning naming %s", err, first.URL)
	}
	first.Close()

	second := startStack(t, dir, table)
	defer second.Close()
	if second.Credentials.PartnerID != creds.PartnerID || second.Credentials.PartnerAdminKey != creds.PartnerAdminKey {
		t.Fatalf("restart made new credentials: %+v vs %+v", second.Credentials, creds)
	}
	api{t, second.URL, second.Credentials.PartnerAdminKey}.do("GET", "/v1/customers/"+id, nil).want(t, 200)
}

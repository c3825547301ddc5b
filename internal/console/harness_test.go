package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/httpapi"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/services"
	"github.com/partnerportal/portal/internal/tenancy"
)

// The console's handler tests run the real console function and the real
// Lambda authorizer on the domain services on DynamoDB Local (one table
// per harness), the way API Gateway runs them: the authorizer turns the
// browser's session cookie into the identity, the console serves the
// page. A harness is one browser: it keeps the cookies it is sent.

// TestMain stops the DynamoDB Local the tests started, if any.
func TestMain(m *testing.M) { ddbtest.Main(m) }

// Password is the password of every person the harness creates.
const Password = "correct horse battery staple"

type harness struct {
	t          *testing.T
	s          *services.Services
	store      *dynamo.Store
	console    *Console
	authorizer *httpapi.Authorizer
	jar        map[string]string
	// Admin is partner A's admin, who can sign in with AdminEmail and Password.
	Admin      tenancy.Identity
	AdminEmail string
}

// newHarness returns a browser on a fresh table holding partner A and its
// admin (with a password); not signed in.
func newHarness(t *testing.T) *harness {
	t.Helper()
	store := ddbtest.NewStore(t)
	s := services.New(store, ddbtest.Secret, ddbtest.Clock, &ddbtest.SeqIDs{})
	h := &harness{t: t, s: s, store: store, console: New(s), authorizer: httpapi.AuthorizerFor(s), jar: map[string]string{}}
	ctx := tenancy.WithIdentity(context.Background(), ddbtest.SuperAdmin)
	p, err := s.Partners.Create(ctx, portal.PartnerInput{Name: ptr("Partner A"), ContactEmail: ptr("ops@a.example"), Country: ptr("DE")})
	if err != nil {
		t.Fatalf("create partner: %v", err)
	}
	h.AdminEmail = "admin@a.example"
	h.Admin = h.person(ctx, portal.UserInput{Email: &h.AdminEmail, Role: rolePtr(tenancy.RolePartnerAdmin), PartnerID: &p.ID})
	return h
}

// person creates a user as the caller in ctx and sets its password by
// accepting its invitation; it returns the user's identity.
func (h *harness) person(ctx context.Context, in portal.UserInput) tenancy.Identity {
	h.t.Helper()
	nu, err := h.s.Users.Create(ctx, in)
	if err != nil {
		h.t.Fatalf("create user %s: %v", *in.Email, err)
	}
	if _, err := h.s.Sessions.AcceptInvitation(context.Background(), nu.Invitation.Token, Password); err != nil {
		h.t.Fatalf("accept invitation of %s: %v", *in.Email, err)
	}
	return tenancy.Identity{UserID: nu.ID, Role: nu.Role, PartnerID: nu.PartnerID, TenantID: nu.TenantID}
}

// as returns a context acting as id, for arranging data through the services.
func (h *harness) as(id tenancy.Identity) context.Context {
	return tenancy.WithIdentity(context.Background(), id)
}

// signIn signs in through the sign-in form, as a person would.
func (h *harness) signIn(email, password string) *result {
	h.t.Helper()
	h.get(Base + "/sign-in")
	return h.post(Base+"/sign-in", url.Values{"email": {email}, "password": {password}, "csrf": {h.jar[preSessionCookie]}})
}

// signInAdmin signs partner A's admin in and fails the test if it cannot.
func (h *harness) signInAdmin() {
	h.t.Helper()
	if res := h.signIn(h.AdminEmail, Password); res.status != http.StatusSeeOther {
		h.t.Fatalf("sign in: status %d, want 303\n%s", res.status, res.body)
	}
}

// csrf returns the signed-in session's anti-forgery token.
func (h *harness) csrf() string {
	h.t.Helper()
	ctx, _ := h.authorize(http.MethodGet, Base+"/")
	token, _ := ctx["csrfToken"].(string)
	if token == "" {
		h.t.Fatal("csrf: the browser is not signed in")
	}
	return token
}

// result is one answer of the console.
type result struct {
	status  int
	headers map[string]string
	cookies []string
	body    string
}

// location returns where a redirect points.
func (r *result) location() string { return r.headers["Location"] }

// get loads a page.
func (h *harness) get(path string) *result { return h.do(http.MethodGet, path, "") }

// post submits a form. Unless form has "csrf", the session's token is
// added, as the console's own forms do.
func (h *harness) post(path string, form url.Values) *result {
	h.t.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", h.csrf())
	}
	return h.do(http.MethodPost, path, form.Encode())
}

func (h *harness) cookies() []string {
	var cs []string
	for k, v := range h.jar {
		cs = append(cs, k+"="+v)
	}
	return cs
}

// authorize runs the authorizer on the browser's cookies.
func (h *harness) authorize(method, path string) (map[string]any, events.APIGatewayV2HTTPRequestContext) {
	h.t.Helper()
	rc := events.APIGatewayV2HTTPRequestContext{RequestID: "req-test", HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, SourceIP: "192.0.2.1"}}
	res, err := h.authorizer.Handle(context.Background(), events.APIGatewayV2CustomAuthorizerV2Request{
		Version: "2.0", Type: "REQUEST", RawPath: path, Cookies: h.cookies(), Headers: map[string]string{}, RequestContext: rc,
	})
	if err != nil {
		h.t.Fatalf("authorizer: %v", err)
	}
	return res.Context, rc
}

func (h *harness) do(method, target, body string) *result {
	h.t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		h.t.Fatal(err)
	}
	auth, rc := h.authorize(method, u.Path)
	rc.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: auth}
	headers := map[string]string{"host": "console.test"}
	if method == http.MethodPost {
		headers["content-type"] = "application/x-www-form-urlencoded"
	}
	var query map[string]string
	if q := u.Query(); len(q) > 0 {
		query = map[string]string{}
		for k, v := range q {
			query[k] = strings.Join(v, ",")
		}
	}
	res, err := h.console.Handle(context.Background(), events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: method + " /console/{proxy+}", RawPath: u.Path, RawQueryString: u.RawQuery,
		Cookies: h.cookies(), Headers: headers, QueryStringParameters: query, Body: body, RequestContext: rc,
	})
	if err != nil {
		h.t.Fatalf("console: %v", err)
	}
	for _, c := range res.Cookies {
		ck, err := http.ParseSetCookie(c)
		if err != nil {
			h.t.Fatalf("bad Set-Cookie %q: %v", c, err)
		}
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(h.jar, ck.Name)
		} else {
			h.jar[ck.Name] = ck.Value
		}
	}
	return &result{status: res.StatusCode, headers: res.Headers, cookies: res.Cookies, body: res.Body}
}

// mustContain fails the test unless the page says each of texts.
func (r *result) mustContain(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(r.body, s) {
			t.Fatalf("the page (status %d) does not contain %q:\n%s", r.status, s, r.body)
		}
	}
}

// mustNotContain fails the test if the page says any of texts.
func (r *result) mustNotContain(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(r.body, s) {
			t.Fatalf("the page (status %d) contains %q:\n%s", r.status, s, r.body)
		}
	}
}

func ptr[T any](v T) *T                    { return &v }
func rolePtr(r tenancy.Role) *tenancy.Role { return &r }

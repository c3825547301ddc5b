package services_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/httpapi"
	"github.com/partnerportal/portal/internal/isolation"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// Requirement 2 of issue 4: in tests, an SDK middleware checks every
// DynamoDB request made while serving a request; every key and key condition
// must be in a partition the caller may reach (internal/isolation.Rules).

// isoCaller sends requests as API Gateway would: the real authorizer resolves
// the caller's API key, then the declared function's handler serves it.
type isoCaller struct {
	t    *testing.T
	e    *mxEnv
	name string
	key  string
}

// isoResponse is a decoded answer.
type isoResponse struct {
	status int
	body   map[string]any
	raw    string
}

// ids returns the IDs in a list answer: the "id" of each of its items, or
// with list "customers" (the margin report) each line's "customerId".
func (r isoResponse) ids(list string) []string {
	key := "id"
	if list == "" {
		list = "items"
	} else {
		key = "customerId"
	}
	var out []string
	items, _ := r.body[list].([]any)
	for _, it := range items {
		m, _ := it.(map[string]any)
		v, _ := m[key].(string)
		out = append(out, v)
	}
	return out
}

// field returns the values of one field of each item of a list answer.
func (r isoResponse) field(name string) []string {
	var out []string
	items, _ := r.body["items"].([]any)
	for _, it := range items {
		m, _ := it.(map[string]any)
		v, _ := m[name].(string)
		out = append(out, v)
	}
	return out
}

// do sends one request; want is the expected status, or 0 when the status
// is not this test's concern (the authorization matrix checks it).
func (c isoCaller) do(want int, method, target string, body any, headers ...string) isoResponse {
	c.t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		c.t.Fatal(err)
	}
	m, ok, _ := app.Declaration().Resolve(method, u.Path)
	if !ok {
		c.t.Fatalf("%s %s is no declared route", method, u.Path)
	}
	query := map[string]string{}
	for k, v := range u.Query() {
		query[k] = v[0]
	}
	hdrs := map[string]string{"content-type": "application/json", "authorization": "Bearer " + c.key}
	for i := 0; i+1 < len(headers); i += 2 {
		hdrs[strings.ToLower(headers[i])] = headers[i+1]
	}
	requestID := fmt.Sprintf("iso-%d", c.e.next())
	auth, err := httpapi.AuthorizerFor(c.e.svc).Handle(context.Background(), events.APIGatewayV2CustomAuthorizerV2Request{
		Type: "REQUEST", RouteKey: m.Route.Key(), RawPath: u.Path, Headers: hdrs,
		RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: requestID},
	})
	if err != nil || !auth.IsAuthorized {
		c.t.Fatalf("authorizer: %v, %v", auth.IsAuthorized, err)
	}
	var b string
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		b = string(j)
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: m.Route.Key(), RawPath: u.Path, RawQueryString: u.RawQuery, PathParameters: m.PathParams,
		QueryStringParameters: query, Headers: hdrs, Body: b,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: m.Route.Key(), RequestID: requestID,
			HTTP:       events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: u.Path},
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: auth.Context},
		},
	}
	label := fmt.Sprintf("%s: %s %s", c.name, method, target)
	res, err := c.e.handlers[m.Function.Name].Handle(isolation.WithLabel(context.Background(), label), ev)
	if err != nil {
		c.t.Fatalf("%s: %v", label, err)
	}
	r := isoResponse{status: res.StatusCode, raw: res.Body}
	if res.Body != "" {
		json.Unmarshal([]byte(res.Body), &r.body)
	}
	if res.StatusCode >= 500 || (want != 0 && res.StatusCode != want) {
		c.t.Errorf("%s: status %d, want %d: %s", label, res.StatusCode, want, res.Body)
	}
	return r
}

// id returns a string field of the answer, failing the test without one.
func (r isoResponse) id(t *testing.T, field string) string {
	t.Helper()
	v, ok := r.body[field].(string)
	if !ok {
		t.Fatalf("the answer has no %q: %s", field, r.raw)
	}
	return v
}

// isoKey stores an API key for user (fixture setup: no identity, not checked).
func isoKey(t *testing.T, e *mxEnv, u portal.User) string {
	t.Helper()
	kid := e.ids.New(portal.PrefixAPIKey)
	raw := make([]byte, 32)
	rand.Read(raw)
	secret := portal.APIKeyPrefix + strings.ToLower(strings.TrimPrefix(kid, portal.PrefixAPIKey)) + "_" + base64.RawURLEncoding.EncodeToString(raw)
	sum := sha256.Sum256([]byte(secret))
	mxMust(t, e.store.CreateAPIKey(context.Background(), portal.APIKey{ID: kid, Hash: hex.EncodeToString(sum[:]), Hint: secret[:11],
		UserID: u.ID, Role: u.Role, PartnerID: u.PartnerID, TenantID: u.TenantID, CreatedAt: mxNow}))
	return secret
}

// notIn returns the items of got that are not in allowed.
func notIn(got, allowed []string) []string {
	var out []string
	for _, g := range got {
		if !slices.Contains(allowed, g) {
			out = append(out, g)
		}
	}
	return out
}

// TestIsolationWorkload runs a realistic day of every role through the real
// authorizer and handlers, with the checker on the store's client, and fails
// on any DynamoDB access outside the caller's reach. Lists are also checked
// to hold only what the caller may see.
func TestIsolationWorkload(t *testing.T) {
	e := newMxEnv(t, true)
	ctx := context.Background()
	mk := func(role tenancy.Role, partner string) portal.User {
		u := portal.User{ID: e.ids.New(portal.PrefixUser), Email: fmt.Sprintf("w%d@people.example", e.next()), Role: role, PartnerID: partner,
			Status: "active", CreatedAt: mxNow, UpdatedAt: mxNow, Version: 1}
		mxMust(t, e.store.CreateUser(ctx, u))
		return u
	}
	partnerA, partnerB := e.ids.New(portal.PrefixPartner), e.ids.New(portal.PrefixPartner)
	for _, p := range []string{partnerA, partnerB} {
		mxMust(t, e.store.CreatePartner(ctx, portal.Partner{ID: p, Name: "Partner " + p[len(p)-2:], ContactEmail: "ops@" + strings.ToLower(p) + ".example",
			Status: "active", CreatedAt: mxNow, UpdatedAt: mxNow, Version: 1}))
	}
	superU, adminAU, adminBU := mk(tenancy.RoleSuperAdmin, ""), mk(tenancy.RolePartnerAdmin, partnerA), mk(tenancy.RolePartnerAdmin, partnerB)
	super := isoCaller{t, e, "super_admin", isoKey(t, e, superU)}
	adminA := isoCaller{t, e, "partner_admin A", isoKey(t, e, adminAU)}
	adminB := isoCaller{t, e, "partner_admin B", isoKey(t, e, adminBU)}
	price := map[string]any{"amount": 5000, "currency": "EUR"}

	// The operator.
	super.do(200, "PUT", "/v1/settings/pricing", mxBodies["PUT /v1/settings/pricing"](e, nil, 0, mxNone))
	super.do(200, "GET", "/v1/settings/pricing", nil)
	super.do(201, "POST", "/v1/partners", map[string]any{"name": "Partner C", "contactEmail": "ops@partner-c.example"})
	super.do(201, "POST", "/v1/users", map[string]any{"email": "second-admin@partner-a.example", "role": "partner_admin", "partnerId": partnerA})
	super.do(200, "GET", "/v1/users", nil)
	super.do(200, "GET", "/v1/users?partnerId="+partnerA, nil)
	super.do(200, "GET", "/v1/audit", nil)

	// Partner A's admin sets up its customers, pools, licenses and people.
	acme := adminA.do(201, "POST", "/v1/customers", map[string]any{"name": "Acme", "contactEmail": "it@acme.example",
		"licenses": []any{map[string]any{"model": "per_asset", "quantity": 10, "endUserPrice": price}}}).id(t, "id")
	beta := adminA.do(201, "POST", "/v1/customers", map[string]any{"name": "Beta", "contactEmail": "it@beta.example"}, "Idempotency-Key", "beta-1").id(t, "id")
	if r := adminA.do(201, "POST", "/v1/customers", map[string]any{"name": "Beta", "contactEmail": "it@beta.example"}, "Idempotency-Key", "beta-1"); r.body["id"] != beta {
		t.Errorf("the replayed create answered %v, want %s", r.body["id"], beta)
	}
	gamma := adminA.do(201, "POST", "/v1/customers", map[string]any{"name": "Gamma", "contactEmail": "it@gamma.example", "status": "trial"}).id(t, "id")
	ownA := []string{acme, beta, gamma}
	for _, q := range []string{"", "?sort=-createdAt", "?status=active", "?plan=per_asset", "?q=ac", "?sort=lastScanAt", "?sort=status&status=trial", "?limit=1"} {
		if bad := notIn(adminA.do(200, "GET", "/v1/customers"+q, nil).ids(""), ownA); len(bad) > 0 {
			t.Errorf("partner A's list%s shows %v", q, bad)
		}
	}
	adminA.do(200, "GET", "/v1/customers/"+acme, nil)
	adminA.do(200, "PATCH", "/v1/customers/"+acme, map[string]any{"tags": []string{"eu"}})
	adminA.do(200, "POST", "/v1/customers/"+beta+"/suspend", nil)
	adminA.do(200, "POST", "/v1/customers/"+beta+"/resume", nil)
	adminA.do(200, "PUT", "/v1/customers/"+acme+"/access", map[string]any{"level": "full"})
	adminA.do(200, "PUT", "/v1/customers/"+beta+"/access", map[string]any{"level": "read_only"})
	adminA.do(201, "POST", "/v1/prepaid", map[string]any{"model": "per_scan", "units": 100})
	adminA.do(200, "GET", "/v1/prepaid", nil)
	adminA.do(201, "POST", "/v1/customers/"+acme+"/licenses", map[string]any{"model": "per_scan", "quantity": 10, "prepaid": true, "endUserPrice": price})
	lic := adminA.do(201, "POST", "/v1/customers/"+acme+"/licenses", map[string]any{"model": "unlimited", "endUserPrice": price}).id(t, "id")
	adminA.do(200, "GET", "/v1/customers/"+acme+"/licenses", nil)
	adminA.do(200, "PATCH", "/v1/customers/"+acme+"/licenses/"+lic, map[string]any{"endUserPrice": map[string]any{"amount": 6000, "currency": "EUR"}})
	adminA.do(200, "DELETE", "/v1/customers/"+acme+"/licenses/"+lic, nil)
	member := adminA.do(201, "POST", "/v1/users", map[string]any{"email": "staff@partner-a.example", "role": "partner_member"}).id(t, "id")
	acmeAdminID := adminA.do(201, "POST", "/v1/users", map[string]any{"email": "boss@acme.example", "role": "customer_admin", "customerId": acme}).id(t, "id")
	betaViewerID := adminA.do(201, "POST", "/v1/users", map[string]any{"email": "eyes@beta.example", "role": "customer_viewer", "customerId": beta}).id(t, "id")
	if r := adminA.do(200, "GET", "/v1/users", nil); len(notIn(r.field("partnerId"), []string{partnerA})) > 0 {
		t.Errorf("partner A's users include others: %s", r.raw)
	}
	if r := adminA.do(200, "GET", "/v1/users?customerId="+acme, nil); len(notIn(r.field("customerId"), []string{acme})) > 0 {
		t.Errorf("Acme's users include others: %s", r.raw)
	}
	memberC := isoCaller{t, e, "partner_member A", adminA.do(201, "POST", "/v1/users/"+member+"/api-keys", map[string]any{"name": "staff"}).id(t, "key")}
	acmeAdmin := isoCaller{t, e, "customer_admin Acme", adminA.do(201, "POST", "/v1/users/"+acmeAdminID+"/api-keys", nil).id(t, "key")}
	betaViewer := isoCaller{t, e, "customer_viewer Beta", adminA.do(201, "POST", "/v1/users/"+betaViewerID+"/api-keys", nil).id(t, "key")}
	super.do(201, "POST", "/v1/users/"+adminAU.ID+"/api-keys", map[string]any{"name": "issued by the operator"})
	super.do(201, "POST", "/v1/users/"+acmeAdminID+"/api-keys", map[string]any{"name": "issued by the operator"})
	adminA.do(200, "PUT", "/v1/users/"+member+"/grants", map[string]any{"customerIds": []string{acme}})
	adminA.do(200, "DELETE", "/v1/customers/"+gamma, nil)
	if got := adminA.do(200, "GET", "/v1/customers?status=archived", nil).ids(""); !slices.Equal(got, []string{gamma}) {
		t.Errorf("archived = %v, want [%s]", got, gamma)
	}
	if bad := notIn(adminA.do(200, "GET", "/v1/margins", nil).ids("customers"), ownA); len(bad) > 0 {
		t.Errorf("partner A's margins show %v", bad)
	}
	if r := adminA.do(200, "GET", "/v1/audit", nil); len(notIn(r.field("partnerId"), []string{partnerA})) > 0 || len(r.field("partnerId")) == 0 {
		t.Errorf("partner A's audit log: %s", r.raw)
	}
	adminA.do(200, "GET", "/v1/audit?customerId="+acme, nil)
	adminA.do(200, "GET", "/v1/settings/pricing", nil)

	// The member works on the customer granted to it.
	if got := memberC.do(200, "GET", "/v1/customers", nil).ids(""); !slices.Equal(got, []string{acme}) {
		t.Errorf("the member sees %v, want [%s]", got, acme)
	}
	memberC.do(200, "GET", "/v1/customers/"+acme, nil)
	memberC.do(200, "GET", "/v1/customers/"+acme+"/licenses", nil)
	memberC.do(200, "POST", "/v1/customers/"+acme+"/suspend", nil)
	memberC.do(200, "POST", "/v1/customers/"+acme+"/resume", nil)
	memberC.do(200, "GET", "/v1/settings/pricing", nil)
	memberC.do(201, "POST", "/v1/users/"+member+"/api-keys", map[string]any{"name": "my second key"})
	memberC.do(404, "GET", "/v1/customers/"+beta, nil)

	// Acme's admin, under full access, manages its tenant.
	acmeAdmin.do(200, "GET", "/v1/customers/"+acme, nil)
	acmeAdmin.do(200, "PATCH", "/v1/customers/"+acme, map[string]any{"timezone": "Europe/Berlin"})
	acmeViewerID := acmeAdmin.do(201, "POST", "/v1/users", map[string]any{"email": "eyes@acme.example", "role": "customer_viewer"}).id(t, "id")
	if r := acmeAdmin.do(200, "GET", "/v1/users", nil); len(notIn(r.field("customerId"), []string{acme})) > 0 {
		t.Errorf("Acme's admin sees users of others: %s", r.raw)
	}
	viewerKey := acmeAdmin.do(201, "POST", "/v1/users/"+acmeViewerID+"/api-keys", nil)
	acmeViewer := isoCaller{t, e, "customer_viewer Acme", viewerKey.id(t, "key")}
	acmeViewer.do(200, "GET", "/v1/customers/"+acme, nil)
	acmeViewer.do(404, "GET", "/v1/customers/"+beta, nil)
	acmeAdmin.do(0, "DELETE", "/v1/api-keys/"+viewerKey.id(t, "id"), nil)
	if r := acmeAdmin.do(200, "GET", "/v1/audit", nil); len(notIn(r.field("customerId"), []string{acme})) > 0 {
		t.Errorf("Acme's audit log shows other tenants: %s", r.raw)
	}

	// Beta's viewer, read-only.
	betaViewer.do(200, "GET", "/v1/customers/"+beta, nil)
	betaViewer.do(403, "PATCH", "/v1/customers/"+beta, map[string]any{"timezone": "Europe/Paris"})

	// Access taken away, and a suspension: the customer users reach nothing.
	adminA.do(200, "PUT", "/v1/customers/"+acme+"/access", map[string]any{"level": "disabled"})
	acmeAdmin.do(403, "GET", "/v1/customers/"+acme, nil)
	acmeAdmin.do(403, "GET", "/v1/users", nil)
	acmeAdmin.do(0, "POST", "/v1/users/"+acmeAdminID+"/api-keys", map[string]any{"name": "while disabled"})
	adminA.do(200, "POST", "/v1/customers/"+beta+"/suspend", nil)
	betaViewer.do(403, "GET", "/v1/customers/"+beta, nil)

	// Partner B sees only its own.
	delta := adminB.do(201, "POST", "/v1/customers", map[string]any{"name": "Delta", "contactEmail": "it@delta.example",
		"licenses": []any{map[string]any{"model": "per_scan", "quantity": 5, "endUserPrice": price}}}).id(t, "id")
	if got := adminB.do(200, "GET", "/v1/customers", nil).ids(""); !slices.Equal(got, []string{delta}) {
		t.Errorf("partner B's list = %v, want [%s]", got, delta)
	}
	if got := adminB.do(200, "GET", "/v1/margins", nil).ids("customers"); !slices.Equal(got, []string{delta}) {
		t.Errorf("partner B's margins = %v, want [%s]", got, delta)
	}
	if got := adminB.do(200, "GET", "/v1/prepaid", nil).ids(""); len(got) != 0 {
		t.Errorf("partner B's pools = %v, want none", got)
	}
	if r := adminB.do(200, "GET", "/v1/users", nil); len(notIn(r.field("partnerId"), []string{partnerB})) > 0 {
		t.Errorf("partner B's users include others: %s", r.raw)
	}
	if r := adminB.do(200, "GET", "/v1/audit", nil); len(notIn(r.field("partnerId"), []string{partnerB})) > 0 {
		t.Errorf("partner B's audit log shows others: %s", r.raw)
	}

	t.Logf("isolation workload: %d DynamoDB operations of identified callers checked", e.checker.Checked())
	for _, g := range e.checker.GlobalSummary() {
		t.Logf("global lookup item reached: %s", g)
	}
	e.checker.Fail(t)
}

// TestIsolationAcrossTheAuthorizationMatrix replays every cell of the
// authorization matrix (every route × principal × own/foreign object) with
// the checker on: whatever the status, serving a request must not reach a
// partition the caller may not, not even to find out that the answer is 404.
func TestIsolationAcrossTheAuthorizationMatrix(t *testing.T) {
	cases := mxCases(t)
	e := newMxEnv(t, true)
	cells := runMatrix(t, e, cases)
	t.Logf("isolation across the matrix: %d cells, %d DynamoDB operations of identified callers checked", len(cells), e.checker.Checked())
	for _, g := range e.checker.GlobalSummary() {
		t.Logf("global lookup item reached: %s", g)
	}
	e.checker.Fail(t)
}

// TestIsolationCheckerCatchesCrossTenantRead is the negative test: the store
// called directly as partner A's admin for a customer of partner B answers
// "not found", yet the read of B's tenant partition is a violation.
func TestIsolationCheckerCatchesCrossTenantRead(t *testing.T) {
	e := newMxEnv(t, true)
	w := e.newWorld(t)
	if n := e.checker.Checked(); n != 0 {
		t.Fatalf("fixture setup (no identity) was checked: %d operations", n)
	}
	as := func(p mxPrincipal) context.Context {
		return isolation.WithLabel(tenancy.WithIdentity(context.Background(), w.identity(p)), p.String())
	}
	admin := w.identity(mxAdmin)

	t.Run("AForeignIDUnderTheCallersScopeReachesNothingForeign", func(t *testing.T) {
		// Keys name the caller's partner: another partner's customer ID leads
		// to a partition of the caller's own that does not exist.
		e.checker.Reset()
		_, err := e.store.GetCustomer(as(mxAdmin), admin.Scope(), w.forCust)
		if portal.ErrorCode(err) != portal.ENOTFOUND {
			t.Fatalf("err = %v, want not found", err)
		}
		if vs := e.checker.Violations(); len(vs) != 0 {
			t.Fatalf("violations = %v, want none", vs)
		}
	})
	t.Run("OwnCustomerIsNoViolation", func(t *testing.T) {
		e.checker.Reset()
		if _, err := e.store.GetCustomer(as(mxAdmin), admin.Scope(), w.ownCust); err != nil {
			t.Fatal(err)
		}
		if vs := e.checker.Violations(); len(vs) != 0 || e.checker.Checked() != 1 {
			t.Fatalf("checked %d, violations %v", e.checker.Checked(), vs)
		}
	})
	t.Run("AnotherPartnersCustomerIsAViolation", func(t *testing.T) {
		e.checker.Reset()
		// The store builds keys from the scope it is given; a code path that
		// passed partner B's scope under partner A's identity is caught.
		if _, err := e.store.GetCustomer(as(mxAdmin), tenancy.Scope{PartnerID: w.partnerB}, w.forCust); err != nil {
			t.Fatal(err)
		}
		vs := e.checker.Violations()
		want := "TENANT#" + w.partnerB + "#" + w.forCust
		if len(vs) != 1 || vs[0].Access.Operation != "GetItem" || vs[0].Access.Partition.Raw != want || vs[0].Caller.UserID != w.adminA {
			t.Fatalf("violations = %v, want the GetItem of %s by %s", vs, want, w.adminA)
		}
		if !strings.Contains(vs[0].String(), "another partner") {
			t.Errorf("the violation does not say whose partition it was: %s", vs[0])
		}
	})
	t.Run("AnotherPartnersListIsAViolation", func(t *testing.T) {
		e.checker.Reset()
		if _, _, err := e.store.ListCustomers(as(mxAdmin), tenancy.Scope{PartnerID: w.partnerB}, portal.CustomerQuery{Sort: portal.SortName, Limit: 10}, nil); err != nil {
			t.Fatal(err)
		}
		if vs := e.checker.Violations(); len(vs) != 1 || vs[0].Access.Partition.Raw != "PARTNER#"+w.partnerB+"#CUSTOMERS" {
			t.Fatalf("violations = %v, want the Query of partner B's list", vs)
		}
	})
	t.Run("SiblingTenantIsAViolation", func(t *testing.T) {
		e.checker.Reset()
		other := w.identity(mxOtherTenantAdmin)
		e.store.ListLicenses(as(mxOtherTenantAdmin), other.Scope(), w.ownCust)
		if vs := e.checker.Violations(); len(vs) != 1 || !strings.HasSuffix(vs[0].Access.Partition.Raw, "#"+w.ownCust) {
			t.Fatalf("violations = %v, want the Query of the partition of %s", vs, w.ownCust)
		}
	})
	t.Run("UngrantedCustomerIsAViolationForAMember", func(t *testing.T) {
		e.checker.Reset()
		e.store.GetCustomer(as(mxMemberNotGranted), w.identity(mxMemberNotGranted).Scope(), w.ownCust)
		if vs := e.checker.Violations(); len(vs) != 1 {
			t.Fatalf("violations = %v, want one", vs)
		}
		e.checker.Reset()
		e.store.GetCustomer(as(mxMemberGranted), w.identity(mxMemberGranted).Scope(), w.ownCust)
		if vs := e.checker.Violations(); len(vs) != 0 {
			t.Fatalf("a granted member's read was reported: %v", vs)
		}
	})
	t.Run("SuperAdminReadsNoCustomerData", func(t *testing.T) {
		e.checker.Reset()
		e.store.GetCustomer(as(mxSuper), tenancy.Scope{}, w.ownCust)
		if vs := e.checker.Violations(); len(vs) != 1 {
			t.Fatalf("violations = %v, want one", vs)
		}
	})
	t.Run("DisabledCustomerUserReachesNothing", func(t *testing.T) {
		e.checker.Reset()
		e.store.GetCustomer(as(mxCustAdminDisabled), w.identity(mxCustAdminDisabled).Scope(), w.ownCust)
		if vs := e.checker.Violations(); len(vs) != 1 {
			t.Fatalf("violations = %v, want one", vs)
		}
	})
	t.Run("FailListsTheViolations", func(t *testing.T) {
		e.checker.Reset()
		e.store.GetCustomer(as(mxAdmin), tenancy.Scope{PartnerID: w.partnerB}, w.forCust)
		ft := &fakeT{}
		e.checker.Fail(ft)
		if !ft.failed || !strings.Contains(ft.msg, "TENANT#"+w.partnerB+"#"+w.forCust) {
			t.Fatalf("Fail reported %q", ft.msg)
		}
	})
}

// fakeT records what Checker.Fail reports.
type fakeT struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fakeT) Helper() {}

func (f *fakeT) Errorf(format string, args ...any) {
	f.failed = true
	f.msg = fmt.Sprintf(format, args...)
}

package scan

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/partnerportal/portal/internal/verify/verifytest"
)

const (
	openAPIDoc  = `{"openapi":"3.0.3","info":{"title":"Orders","version":"1"},"paths":{"/orders":{}}}`
	swaggerDoc  = `{"info":{"title":"Legacy"},"swagger":"2.0","paths":{}}`
	openAPIYAML = "# generated\nopenapi: \"3.1.0\"\ninfo:\n  title: Orders\npaths: {}\n"
	swaggerUI   = `<!DOCTYPE html><html><head><title>Swagger UI</title></head><body><div id="swagger-ui"></div>` +
		`<script src="./swagger-ui-bundle.js"></script><script>window.ui = SwaggerUIBundle({url: "/v3/api-docs"})</script></body></html>`
)

// apiTarget is the API base URL srv.URL+"/v1" as an api asset.
func apiTarget(t *testing.T, srvURL string) Target {
	t.Helper()
	return newTarget(t, "a1", srvURL+"/v1", true, local)
}

func TestOpenAPIExposed(t *testing.T) {
	t.Run("DocumentsAndUIAreFindingsUnderTheBaseURLAndTheRoot", func(t *testing.T) {
		srv := startCounting(t, false, siteFiles(map[string]string{
			"/v1":                    `{"status":"up"}`,
			"/v1/openapi.json":       openAPIDoc,
			"/v1/swagger.yaml":       openAPIYAML,
			"/v2/api-docs":           swaggerDoc,
			"/swagger-ui/index.html": swaggerUI,
		}))
		e := onlyCheck(t, APIDocsCheckID, verifytest.Zone{})
		res := run(t, e, ProfileAPI, apiTarget(t, srv.URL))
		want := []string{
			"a1 api.openapi-exposed /swagger-ui/index.html low",
			"a1 api.openapi-exposed /v1/openapi.json low",
			"a1 api.openapi-exposed /v1/swagger.yaml low",
			"a1 api.openapi-exposed /v2/api-docs low",
		}
		if got := severityKeys(res); !slices.Equal(got, want) {
			t.Fatalf("findings = %q, want %q (errors %+v)", got, want, res.Errors)
		}
	})
	t.Run("EvidenceNamesTheDocument", func(t *testing.T) {
		srv := startCounting(t, false, siteFiles(map[string]string{"/v1/openapi.json": openAPIDoc}))
		e := onlyCheck(t, APIDocsCheckID, verifytest.Zone{})
		res := run(t, e, ProfileAPI, apiTarget(t, srv.URL))
		if len(res.Findings) != 1 {
			t.Fatalf("findings = %+v (errors %+v), want one", res.Findings, res.Errors)
		}
		if got, want := res.Findings[0].Evidence, "GET "+srv.URL+"/v1/openapi.json answered 200 with an OpenAPI 3.0.3 document"; got != want {
			t.Fatalf("evidence = %q, want %q", got, want)
		}
	})
	t.Run("LargeDocumentIsRecognisedFromItsStart", func(t *testing.T) {
		big := `{"openapi":"3.0.0","paths":{` + strings.Repeat(`"/x":{},`, DefaultMaxBodyBytes/4) + `"/y":{}}}`
		srv := startCounting(t, false, siteFiles(map[string]string{"/openapi.json": big}))
		e := onlyCheck(t, APIDocsCheckID, verifytest.Zone{})
		res := run(t, e, ProfileAPI, newTarget(t, "a1", srv.URL, true, local))
		if got, want := findingKeys(res), []string{"a1 api.openapi-exposed /openapi.json"}; !slices.Equal(got, want) {
			t.Fatalf("findings = %q, want %q (errors %+v)", got, want, res.Errors)
		}
	})
	t.Run("DocumentServedForEveryPathIsReportedOnce", func(t *testing.T) {
		srv := startCounting(t, false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(openAPIDoc))
		}))
		e := onlyCheck(t, APIDocsCheckID, verifytest.Zone{})
		res := run(t, e, ProfileAPI, apiTarget(t, srv.URL))
		if got, want := findingKeys(res), []string{"a1 api.openapi-exposed /v1/openapi.json"}; !slices.Equal(got, want) {
			t.Fatalf("findings = %q, want %q", got, want)
		}
	})
	t.Run("SoftNotFoundYieldsNothing", func(t *testing.T) {
		for name, h := range map[string]http.Handler{
			"HTML": softNotFound,
			"JSON": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte(`{"error":"no such route","path":"` + r.URL.Path + `"}`))
			}),
		} {
			t.Run(name, func(t *testing.T) {
				srv := startCounting(t, false, h)
				e := onlyCheck(t, APIDocsCheckID, verifytest.Zone{})
				res := run(t, e, ProfileAPI, apiTarget(t, srv.URL))
				if len(res.Findings) != 0 || len(res.Errors) != 0 {
					t.Fatalf("findings = %+v, errors = %+v; want neither", res.Findings, res.Errors)
				}
			})
		}
	})
	t.Run("LookalikesYieldNothing", func(t *testing.T) {
		srv := startCounting(t, false, siteFiles(map[string]string{
			"/v1/openapi.json": `{"data":{"openapi":"3.0.0"}}`,              // not top-level
			"/v1/swagger.json": `{"swagger":true}`,                          // not a version
			"/v1/docs":         `<html><h1>Our API docs</h1>swagger</html>`, // a page, not Swagger UI
			"/openapi.yaml":    "title: openapi: 3.0\n",                     // not a top-level key
		}))
		e := onlyCheck(t, APIDocsCheckID, verifytest.Zone{})
		res := run(t, e, ProfileAPI, apiTarget(t, srv.URL))
		if len(res.Findings) != 0 || len(res.Errors) != 0 {
			t.Fatalf("findings = %+v, errors = %+v; want neither", res.Findings, res.Errors)
		}
	})
	t.Run("DocumentWithAnErrorStatusYieldsNothing", func(t *testing.T) {
		srv := startCounting(t, false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(openAPIDoc))
		}))
		e := onlyCheck(t, APIDocsCheckID, verifytest.Zone{})
		res := run(t, e, ProfileAPI, apiTarget(t, srv.URL))
		if len(res.Findings) != 0 || len(res.Errors) != 0 {
			t.Fatalf("findings = %+v, errors = %+v; want neither", res.Findings, res.Errors)
		}
	})
	t.Run("OnlyInTheAPIProfile", func(t *testing.T) {
		c, _ := Lookup(APIDocsCheckID)
		if got, want := c.Profiles, []Profile{ProfileAPI}; !slices.Equal(got, want) {
			t.Fatalf("profiles = %v, want %v", got, want)
		}
	})
}

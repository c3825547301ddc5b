package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
)

// APIDocsCheckID is the ID of the check for exposed API descriptions.
const APIDocsCheckID = "api.openapi-exposed"

// APIDocPaths are where frameworks publish OpenAPI/Swagger documents and
// Swagger UI, relative to a directory: generic names, springdoc and
// springfox (v3/api-docs, v2/api-docs, swagger-ui/...), Swashbuckle
// (swagger/v1/swagger.json), FastAPI (docs). The check requests each
// under the API base URL and, when that is not the root, under the root.
var APIDocPaths = []string{
	"openapi.json", "openapi.yaml", "swagger.json", "swagger.yaml",
	"v3/api-docs", "v2/api-docs", "api-docs", "swagger/v1/swagger.json",
	"swagger-ui/", "swagger-ui/index.html", "swagger-ui.html", "docs",
}

var apiDocsCheck = Check{
	ID:    APIDocsCheckID,
	Title: "API description exposed",
	Description: "Requests the usual locations of OpenAPI/Swagger documents and Swagger UI under the API " +
		"base URL and the root, and reports those answered with 200 and a real document (a JSON or " +
		"YAML object with a top-level openapi or swagger version) or a Swagger UI page; a page served " +
		"for every path is not reported. A published description lists every operation, parameter " +
		"and authentication scheme, including ones no client uses, which saves an attacker the work " +
		"of mapping the API. Often intended; low (information disclosure).",
	Remediation: "If the API is not public, serve its description only to authenticated users or " +
		"internal networks, or turn it off in production (springdoc: springdoc.api-docs.enabled=false; " +
		"FastAPI: openapi_url=None). If it is meant to be public, make sure it lists no internal " +
		"operations.",
	Severity: SeverityLow,
	Profiles: []Profile{ProfileAPI},
	Run:      runAPIDocs,
}

func init() { Register(apiDocsCheck) }

// runAPIDocs requests APIDocPaths under the directory of the target's
// URL (an API base URL https://api.example.com/v1 is the directory
// /v1/) and under the root, and reports each answer that is an API
// description; the same body at several paths is reported once, at the
// first (base URL paths first, in APIDocPaths order). Any request that
// fails fails the check.
func runAPIDocs(ctx context.Context, env *Env, t Target) ([]Finding, error) {
	base, err := reachableURL(ctx, env, t)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, dir := range apiDocDirs(base) {
		for _, p := range APIDocPaths {
			paths = append(paths, dir+p)
		}
	}
	resps, err := getPaths(ctx, env, base, paths)
	if err != nil {
		return nil, err
	}
	var (
		out  []Finding
		seen [][]byte
	)
	for i, r := range resps {
		if r.Status != http.StatusOK {
			continue
		}
		what := apiDescription(r.Body)
		if what == "" || containsBody(seen, r.Body) {
			continue
		}
		seen = append(seen, r.Body)
		out = append(out, Finding{
			CheckID: APIDocsCheckID, AssetID: t.AssetID, Detail: paths[i],
			Evidence: "GET " + r.URL + " answered 200 with " + what,
		})
	}
	return out, nil
}

// apiDocDirs returns the directories to look in: the base URL's path as
// a directory ("/v1" and "/v1/" are "/v1/"), then the root when it is
// another.
func apiDocDirs(base *url.URL) []string {
	dir := path.Clean("/" + base.Path)
	if dir == "/" {
		return []string{"/"}
	}
	return []string{dir + "/", "/"}
}

var yamlAPIVersion = regexp.MustCompile(`(?m)^(openapi|swagger):[ \t]*["']?([0-9][0-9.]*)`)

// apiDescription says what body is ("an OpenAPI 3.0.3 document", "a
// Swagger UI page"), or "" when it is neither an API description nor
// Swagger UI. A JSON document is recognised from its top-level openapi
// or swagger member even when the body was cut off after it.
func apiDescription(body []byte) string {
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
		return ""
	case trimmed[0] == '{':
		return describeAPIVersion(jsonAPIVersion(trimmed))
	case trimmed[0] == '<':
		if bytes.Contains(body, []byte("SwaggerUIBundle")) || bytes.Contains(body, []byte(`id="swagger-ui"`)) {
			return "a Swagger UI page"
		}
		return ""
	}
	if m := yamlAPIVersion.FindSubmatch(body); m != nil {
		return describeAPIVersion(string(m[1]), string(m[2]))
	}
	return ""
}

// jsonAPIVersion returns the top-level "openapi" or "swagger" member of
// a JSON object and its string value, reading members in order until it
// finds one or the JSON ends or breaks off; "", "" when there is none.
func jsonAPIVersion(body []byte) (key, version string) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", ""
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", ""
		}
		name, _ := tok.(string)
		if name == "openapi" || name == "swagger" {
			var v string
			if err := dec.Decode(&v); err != nil {
				return "", ""
			}
			return name, v
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "", ""
		}
	}
	return "", ""
}

// describeAPIVersion phrases a document's kind and version, or "" when
// the version is not one ("openapi": "yes").
func describeAPIVersion(key, version string) string {
	if version == "" || version[0] < '0' || version[0] > '9' {
		return ""
	}
	version = clipText(strings.TrimSpace(version), 20)
	if key == "openapi" {
		return "an OpenAPI " + version + " document"
	}
	return "a Swagger " + version + " document"
}

// Package openapi loads the API's OpenAPI 3.1 document (docs/openapi.yaml)
// and checks requests and responses against it, so that tests can hold the
// document to the route table and to what the handlers really answer.
//
// The document is read from a file (it lives outside this package, so it
// cannot be embedded): Load takes its path, and DocumentPath finds it from
// the working directory of a test or command run inside the repository.
// Loading, resolving and schema validation are github.com/getkin/kin-openapi,
// whose loader reads OpenAPI 3.1 and whose schema validation for 3.1
// documents is JSON Schema 2020-12 (type arrays with "null", const,
// unevaluatedProperties, propertyNames, …).
package openapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// DocumentFile is the document's path relative to the repository root.
const DocumentFile = "docs/openapi.yaml"

// Document is a loaded, resolved OpenAPI document.
type Document struct {
	// T is the document as kin-openapi holds it, every $ref resolved.
	T *openapi3.T
}

// DocumentPath returns the path of docs/openapi.yaml, found by walking up
// from the working directory to the directory that has go.mod and the
// document (the repository root).
func DocumentPath() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if fileExists(filepath.Join(dir, "go.mod")) && fileExists(filepath.Join(dir, DocumentFile)) {
			return filepath.Join(dir, DocumentFile), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("openapi: no %s in a directory with go.mod at or above the working directory", DocumentFile)
		}
		dir = parent
	}
}

func fileExists(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir()
}

// Load reads and resolves the OpenAPI document at path. It fails on a file
// that is not an OpenAPI 3.1 document or whose references do not resolve;
// Validate checks the rest of the specification's rules.
func Load(path string) (*Document, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	t, err := loader.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("openapi: load %s: %w", path, err)
	}
	if !strings.HasPrefix(t.OpenAPI, "3.1.") {
		return nil, fmt.Errorf("openapi: %s is OpenAPI %q, want 3.1.x", path, t.OpenAPI)
	}
	return &Document{T: t}, nil
}

// Validate checks the document against the OpenAPI 3.1 specification's
// rules (structure, references, schemas, parameters, security, unique
// operation IDs, examples and defaults against their schemas).
func (d *Document) Validate(ctx context.Context) error {
	return d.T.Validate(ctx, openapi3.EnableMultiError(), openapi3.EnableSchemaFormatValidation(), openapi3.EnableExamplesValidation(),
		openapi3.EnableSchemaDefaultsValidation(), openapi3.EnableSchemaPatternValidation())
}

// methods are the HTTP methods an OpenAPI path item may have, in order.
var methods = []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete, http.MethodOptions, http.MethodHead, http.MethodPatch, http.MethodTrace}

// Routes returns every documented operation as a route key ("GET
// /v1/customers/{customerId}"), sorted.
func (d *Document) Routes() []string {
	var keys []string
	for path, item := range d.T.Paths.Map() {
		for _, m := range methods {
			if item.GetOperation(m) != nil {
				keys = append(keys, m+" "+path)
			}
		}
	}
	slices.Sort(keys)
	return keys
}

// Operation returns the operation of method on the path template routePath.
func (d *Document) Operation(method, routePath string) (*openapi3.Operation, bool) {
	item := d.T.Paths.Value(routePath)
	if item == nil {
		return nil, false
	}
	op := item.GetOperation(strings.ToUpper(method))
	return op, op != nil
}

// Error is a request or response that the document does not allow. Each
// issue names the JSON pointer of the failing value in the body ("" for
// the whole body) and what is wrong with it.
type Error struct {
	Route  string // "GET /v1/customers/{customerId}"
	Status int    // the response status; 0 for a request
	Issues []Issue
}

// Issue is one way a body fails the document.
type Issue struct {
	Pointer string // RFC 6901 JSON pointer into the body, "" for the body itself
	Message string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Route)
	if e.Status != 0 {
		b.WriteString(" " + strconv.Itoa(e.Status))
	} else {
		b.WriteString(" request")
	}
	for i, is := range e.Issues {
		if i > 0 {
			b.WriteString(";")
		}
		ptr := is.Pointer
		if ptr == "" {
			ptr = "(body)"
		}
		fmt.Fprintf(&b, " %s: %s", ptr, is.Message)
	}
	return b.String()
}

// Pointers returns the JSON pointers the error names.
func (e *Error) Pointers() []string {
	out := make([]string, len(e.Issues))
	for i, is := range e.Issues {
		out[i] = is.Pointer
	}
	return out
}

func fail(route string, status int, pointer, format string, args ...any) *Error {
	return &Error{Route: route, Status: status, Issues: []Issue{{Pointer: pointer, Message: fmt.Sprintf(format, args...)}}}
}

// ValidateResponse checks a response to method on the route routePath
// (the path template, as in the route table): the status must be
// documented for the operation, the content type must be one the
// response declares (no body for a response without content), and the
// body must match that media type's schema. The error is an *Error.
func (d *Document) ValidateResponse(method, routePath string, status int, contentType string, body []byte) error {
	route := strings.ToUpper(method) + " " + routePath
	op, ok := d.Operation(method, routePath)
	if !ok {
		return fail(route, status, "", "the operation is not documented")
	}
	res := response(op, status)
	if res == nil {
		return fail(route, status, "", "the status is not documented (documented: %s)", strings.Join(op.Responses.Keys(), ", "))
	}
	return d.validateBody(route, status, res.Content, contentType, body, true)
}

// ValidateResponseHeaders checks that a response carries every header the
// document marks required for it (ETag, Location, Allow, …) and that the
// documented headers it carries match their schemas. Header names are
// compared case-insensitively.
func (d *Document) ValidateResponseHeaders(method, routePath string, status int, headers map[string]string) error {
	route := strings.ToUpper(method) + " " + routePath
	op, ok := d.Operation(method, routePath)
	if !ok {
		return fail(route, status, "", "the operation is not documented")
	}
	res := response(op, status)
	if res == nil {
		return fail(route, status, "", "the status is not documented")
	}
	return checkHeaders(route, status, res.Headers, headers)
}

// ValidateUnrouted checks the answer to a request no route matches (the
// $default fallback): 404 as components.responses.RouteNotFound, 405 as
// MethodNotAllowed (with its Allow header).
func (d *Document) ValidateUnrouted(status int, headers map[string]string, body []byte) error {
	const route = "(no route)"
	var name string
	switch status {
	case http.StatusNotFound:
		name = "RouteNotFound"
	case http.StatusMethodNotAllowed:
		name = "MethodNotAllowed"
	default:
		return fail(route, status, "", "requests no route matches answer 404 or 405")
	}
	ref := d.T.Components.Responses[name]
	if ref == nil || ref.Value == nil {
		return fail(route, status, "", "components.responses.%s is not documented", name)
	}
	if err := checkHeaders(route, status, ref.Value.Headers, headers); err != nil {
		return err
	}
	return d.validateBody(route, status, ref.Value.Content, header(headers, "Content-Type"), body, true)
}

// ValidateRequest checks a request body sent to method on routePath against
// the operation's requestBody: required bodies must be present, and the
// body must match the schema of its content type. The error is an *Error.
func (d *Document) ValidateRequest(method, routePath, contentType string, body []byte) error {
	route := strings.ToUpper(method) + " " + routePath
	op, ok := d.Operation(method, routePath)
	if !ok {
		return fail(route, 0, "", "the operation is not documented")
	}
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		if len(strings.TrimSpace(string(body))) > 0 {
			return fail(route, 0, "", "the operation takes no request body")
		}
		return nil
	}
	rb := op.RequestBody.Value
	if len(strings.TrimSpace(string(body))) == 0 {
		if rb.Required {
			return fail(route, 0, "", "a request body is required")
		}
		return nil
	}
	return d.validateBody(route, 0, rb.Content, contentType, body, false)
}

// response returns the operation's response for status: the exact code,
// else its range ("4XX"), else the default response.
func response(op *openapi3.Operation, status int) *openapi3.Response {
	if op.Responses == nil {
		return nil
	}
	for _, key := range []string{strconv.Itoa(status), strconv.Itoa(status/100) + "XX"} {
		if ref := op.Responses.Value(key); ref != nil && ref.Value != nil {
			return ref.Value
		}
	}
	if ref := op.Responses.Default(); ref != nil {
		return ref.Value
	}
	return nil
}

// validateBody checks body, sent as contentType, against content.
func (d *Document) validateBody(route string, status int, content openapi3.Content, contentType string, body []byte, isResponse bool) error {
	if len(content) == 0 {
		if len(body) > 0 {
			return fail(route, status, "", "no body is documented, got %d bytes", len(body))
		}
		return nil
	}
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fail(route, status, "", "Content-Type %q: %v", contentType, err)
	}
	mt := content.Get(mediaType)
	if mt == nil {
		return fail(route, status, "", "Content-Type %s is not documented (documented: %s)", mediaType, strings.Join(slices.Sorted(maps.Keys(content)), ", "))
	}
	if mt.Schema == nil || mt.Schema.Value == nil {
		return nil
	}
	var value any
	if isJSON(mediaType) {
		if err := json.Unmarshal(body, &value); err != nil {
			return fail(route, status, "", "the body is not JSON: %v", err)
		}
	} else {
		value = string(body)
	}
	opts := []openapi3.SchemaValidationOption{openapi3.EnableJSONSchema2020(), openapi3.MultiErrors()}
	if isResponse {
		opts = append(opts, openapi3.VisitAsResponse())
	} else {
		opts = append(opts, openapi3.VisitAsRequest())
	}
	if err := strict(mt.Schema).VisitJSON(value, opts...); err != nil {
		return &Error{Route: route, Status: status, Issues: issues(err)}
	}
	return nil
}

// strict wraps schema so that kin-openapi validates with JSON Schema
// 2020-12, as OpenAPI 3.1 says. With EnableJSONSchema2020, kin-openapi
// still falls back to its OpenAPI 3.0 validator for a schema that has
// component references but none of the keywords it counts as 2020-only,
// and that validator reads a schema without "type" (such as {}) as one
// that refuses null. An unused $defs entry is one of those keywords, and
// changes nothing else.
func strict(schema *openapi3.SchemaRef) *openapi3.Schema {
	return &openapi3.Schema{
		AllOf: openapi3.SchemaRefs{schema},
		Defs:  openapi3.Schemas{"jsonSchema2020": openapi3.NewSchemaRef("", &openapi3.Schema{})},
	}
}

func isJSON(mediaType string) bool {
	return mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
}

// checkHeaders checks got against the documented headers of a response.
func checkHeaders(route string, status int, documented openapi3.Headers, got map[string]string) error {
	e := &Error{Route: route, Status: status}
	for _, name := range slices.Sorted(maps.Keys(documented)) {
		ref := documented[name]
		if ref == nil || ref.Value == nil {
			continue
		}
		v, present := lookup(got, name)
		if !present {
			if ref.Value.Required {
				e.Issues = append(e.Issues, Issue{Pointer: "header " + name, Message: "is required"})
			}
			continue
		}
		if ref.Value.Schema == nil || ref.Value.Schema.Value == nil {
			continue
		}
		if err := ref.Value.Schema.Value.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
			for _, is := range issues(err) {
				e.Issues = append(e.Issues, Issue{Pointer: "header " + name, Message: fmt.Sprintf("%q: %s", v, is.Message)})
			}
		}
	}
	if len(e.Issues) > 0 {
		return e
	}
	return nil
}

func lookup(headers map[string]string, name string) (string, bool) {
	for k, v := range headers {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

func header(headers map[string]string, name string) string {
	v, _ := lookup(headers, name)
	return v
}

// issues flattens a schema validation error into the failures at its
// leaves, each with its JSON pointer.
func issues(err error) []Issue {
	var out []Issue
	var walk func(error)
	walk = func(err error) {
		var me openapi3.MultiError
		if errors.As(err, &me) {
			for _, e := range me {
				walk(e)
			}
			return
		}
		var se *openapi3.SchemaError
		if !errors.As(err, &se) {
			out = append(out, Issue{Message: err.Error()})
			return
		}
		if se.Origin != nil {
			var sub openapi3.MultiError
			var subSE *openapi3.SchemaError
			if errors.As(se.Origin, &sub) || errors.As(se.Origin, &subSE) {
				walk(se.Origin)
				return
			}
		}
		out = append(out, Issue{Pointer: pointer(se.JSONPointer()), Message: reason(se)})
	}
	walk(err)
	if len(out) == 0 {
		out = append(out, Issue{Message: err.Error()})
	}
	slices.SortStableFunc(out, func(a, b Issue) int { return strings.Compare(a.Pointer, b.Pointer) })
	return slices.Compact(out)
}

func pointer(tokens []string) string {
	if len(tokens) == 0 {
		return ""
	}
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

// reason is the message of a leaf schema error without the path the JSON
// Schema 2020-12 validator puts in front of it (the pointer says it).
func reason(se *openapi3.SchemaError) string {
	r := se.Reason
	if r == "" {
		r = "does not match the schema's " + strconv.Quote(se.SchemaField)
	}
	if strings.HasPrefix(r, `error at "`) {
		if _, rest, ok := strings.Cut(r, `": `); ok {
			r = rest
		}
	}
	if strings.HasPrefix(r, "at '") {
		if _, rest, ok := strings.Cut(r, "': "); ok {
			r = rest
		}
	}
	if r == "false schema" { // unevaluatedProperties: false
		r = "is not a property the schema allows"
	}
	return strings.Join(strings.Fields(r), " ")
}

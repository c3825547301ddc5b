// Package localiam holds the local stack's functions to their IAM roles on
// DynamoDB. Its Gate is a reverse proxy in front of DynamoDB Local: it tells
// which function is calling by the access key ID that signs the request
// (AccessKeyID, the one mapping of functions to keys), and refuses every
// table action the function's execution role (app.App.Roles) does not
// allow, answering as DynamoDB does (HTTP 400, AccessDeniedException). So a
// function that uses an action it was not granted fails locally and in
// tests instead of first in AWS.
//
// It checks what app.Role.Allows can of a request, as IAM would: the action
// (X-Amz-Target DynamoDB_20120810.Query is dynamodb:Query) on the table, or
// on its indexes when the request names an IndexName; a transaction item by
// item (a TransactWriteItems Put as dynamodb:PutItem, a TransactGetItems Get
// as dynamodb:GetItem), refusing the whole transaction for one item not
// allowed. It checks no signature and no condition (dynamodb:LeadingKeys),
// and not which table or function a resource is. Requests signed with a key
// of no function (the stack itself, seeding, tests) pass unchecked.
package localiam

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"maps"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/localhttp"
)

// AccessKeyID returns the access key ID the local stack gives the processes
// of the named function, and by which the Gate knows them: "Local" and the
// function's logical ID, "LocalUsageStreamFunction". It is letters and
// digits only (DynamoDB Local refuses other access keys, and a "/" would
// break the SigV4 credential scope).
func AccessKeyID(function string) string { return "Local" + app.FunctionLogicalID(function) }

// Where the ARNs of denials say the resources are: DynamoDB Local's
// account, and the region when the request's credential scope names none.
const (
	account       = "000000000000"
	defaultRegion = "us-east-1"
)

// Target prefixes of the DynamoDB and DynamoDB Streams JSON protocols.
const (
	targetDynamoDB = "DynamoDB_20120810."
	targetStreams  = "DynamoDBStreams_20120810."
)

// maxBody bounds the request bodies the Gate reads (DynamoDB's largest
// requests, BatchWriteItem and TransactWriteItems, stay well below).
const maxBody = 64 << 20

// caller is a function known by its access key.
type caller struct {
	function string
	role     app.Role
}

// Gate is an http.Handler forwarding DynamoDB requests to an upstream
// endpoint, refusing those of functions their roles do not allow.
type Gate struct {
	callers map[string]caller // by access key ID
	proxy   *httputil.ReverseProxy
	log     io.Writer
	logMu   sync.Mutex
}

// New returns a Gate in front of the DynamoDB at upstream (an http(s) base
// URL such as DynamoDB Local's endpoint) that holds each of functions,
// known by AccessKeyID, to its execution role among roles (the role named
// app.RoleLogicalID of its name). Every denial is logged to log (one line:
// function, action, resource); log may be nil. It fails when upstream is
// not an http(s) URL, when a function has no role among roles, or when two
// functions would share an access key.
func New(upstream string, functions []app.Function, roles []app.Role, log io.Writer) (*Gate, error) {
	u, err := url.Parse(upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("localiam: upstream %q is not an http(s) URL", upstream)
	}
	if log == nil {
		log = io.Discard
	}
	g := &Gate{callers: map[string]caller{}, log: log}
	for _, f := range functions {
		i := slices.IndexFunc(roles, func(r app.Role) bool { return r.LogicalID == app.RoleLogicalID(f.Name) })
		if i < 0 {
			return nil, fmt.Errorf("localiam: function %s has no role %s", f.Name, app.RoleLogicalID(f.Name))
		}
		key := AccessKeyID(f.Name)
		if other, ok := g.callers[key]; ok {
			return nil, fmt.Errorf("localiam: functions %s and %s share the access key %s", other.function, f.Name, key)
		}
		g.callers[key] = caller{function: f.Name, role: roles[i]}
	}
	// Every function's requests share the gate's connections upstream:
	// keep enough of them idle that a busy stack does not reconnect.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64
	g.proxy = &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(u) },
		Transport: transport,
		ErrorLog:  newLogger(g),
	}
	return g, nil
}

// ServeHTTP forwards r upstream, unless a function signed it and its role
// does not allow what it asks: then it answers AccessDeniedException and
// forwards nothing. A request it cannot read is answered 400
// (SerializationException); one it cannot make sense of (no known
// X-Amz-Target, a body that is not JSON) is forwarded for DynamoDB to
// refuse.
func (g *Gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key, region := credentialScope(r.Header.Get("Authorization"))
	c, known := g.callers[key]
	if !known {
		g.proxy.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	r.Body.Close()
	if err != nil {
		writeError(w, "com.amazon.coral.service#SerializationException", "localiam: read the request: "+err.Error())
		return
	}
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	for _, need := range required(r.Header.Get("X-Amz-Target"), body) {
		if c.role.Allows(need.action, need.kind) {
			continue
		}
		if region == "" {
			region = defaultRegion
		}
		resource := need.resource()
		g.logf("localiam: denied %s %s on %s (role %s)\n", c.function, need.action, resource, c.role.LogicalID)
		writeError(w, "com.amazon.coral.service#AccessDeniedException", fmt.Sprintf(
			"User: arn:aws:sts::%s:assumed-role/%s/%s is not authorized to perform: %s on resource: arn:aws:dynamodb:%s:%s:%s because no identity-based policy allows the %s action",
			account, c.role.LogicalID, c.function, need.action, region, account, resource, need.action))
		return
	}
	g.proxy.ServeHTTP(w, r)
}

// credentialScope returns the access key ID and the region of a SigV4
// Authorization header ("AWS4-HMAC-SHA256 Credential=AKID/date/region/
// service/aws4_request, SignedHeaders=…, Signature=…"); "" for what it
// does not name.
func credentialScope(authorization string) (key, region string) {
	_, cred, ok := strings.Cut(authorization, "Credential=")
	if !ok {
		return "", ""
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) >= 3 {
		region = parts[2]
	}
	return parts[0], region
}

// permission is one action a request needs on one resource.
type permission struct {
	action string
	kind   app.ResourceKind
	table  string
	index  string // with kind ResourceTableIndexes
}

// resource is the resource part of the permission's ARN:
// "table/T", "table/T/index/I" or "table/T/stream/*".
func (p permission) resource() string {
	switch p.kind {
	case app.ResourceTableIndexes:
		return "table/" + p.table + "/index/" + p.index
	case app.ResourceTableStream:
		return "table/" + p.table + "/stream/*"
	}
	return "table/" + p.table
}

// request is what of a request body says which permissions it needs.
type request struct {
	TableName     string
	IndexName     string
	StreamArn     string
	RequestItems  map[string]json.RawMessage
	TransactItems []struct {
		Put, Update, Delete, ConditionCheck, Get *struct{ TableName string }
	}
}

// required returns the permissions a request with the given X-Amz-Target
// and body needs: one action on one resource, per table for the batch
// operations, per item for the transactions. It returns none for a target
// of neither DynamoDB nor DynamoDB Streams, or a body that is not JSON:
// DynamoDB refuses those itself.
func required(target string, body []byte) []permission {
	var req request
	if err := json.Unmarshal(body, &req); err != nil {
		return nil
	}
	if op, ok := strings.CutPrefix(target, targetStreams); ok {
		// Stream ARNs: arn:aws:dynamodb:region:account:table/T/stream/label.
		table := req.TableName
		if _, rest, ok := strings.Cut(req.StreamArn, ":table/"); ok {
			table, _, _ = strings.Cut(rest, "/")
		}
		if table == "" { // ListStreams of every table
			table = "*"
		}
		return []permission{{action: "dynamodb:" + op, kind: app.ResourceTableStream, table: table}}
	}
	op, ok := strings.CutPrefix(target, targetDynamoDB)
	if !ok || op == "" {
		return nil
	}
	switch op {
	case "TransactWriteItems", "TransactGetItems":
		var need []permission
		for _, it := range req.TransactItems {
			for _, item := range []struct {
				action string
				of     *struct{ TableName string }
			}{
				{app.ActionPutItem, it.Put}, {app.ActionUpdateItem, it.Update}, {app.ActionDeleteItem, it.Delete},
				{"dynamodb:ConditionCheckItem", it.ConditionCheck}, {app.ActionGetItem, it.Get},
			} {
				if item.of != nil {
					need = append(need, permission{action: item.action, kind: app.ResourceTable, table: item.of.TableName})
				}
			}
		}
		return need
	case "BatchGetItem", "BatchWriteItem":
		var need []permission
		for _, table := range slices.Sorted(maps.Keys(req.RequestItems)) {
			need = append(need, permission{action: "dynamodb:" + op, kind: app.ResourceTable, table: table})
		}
		return need
	}
	if req.IndexName != "" {
		return []permission{{action: "dynamodb:" + op, kind: app.ResourceTableIndexes, table: req.TableName, index: req.IndexName}}
	}
	table := req.TableName
	if table == "" { // ListTables and the other operations on no table
		table = "*"
	}
	return []permission{{action: "dynamodb:" + op, kind: app.ResourceTable, table: table}}
}

// writeError answers as DynamoDB answers an error of the given type.
func writeError(w http.ResponseWriter, typ, message string) {
	b, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"Message"`
	}{typ, message})
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Requestid", requestID())
	w.WriteHeader(http.StatusBadRequest)
	w.Write(b)
}

// requestID returns a random request ID, as DynamoDB sends with every answer.
func requestID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

func (g *Gate) logf(format string, args ...any) {
	g.logMu.Lock()
	defer g.logMu.Unlock()
	fmt.Fprintf(g.log, format, args...)
}

// newLogger logs the proxy's own errors (upstream unreachable) to g's log.
func newLogger(g *Gate) *log.Logger {
	return log.New(writerFunc(func(p []byte) (int, error) {
		g.logf("localiam: %s", p)
		return len(p), nil
	}), "", 0)
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// Server is a Gate listening on a loopback address.
type Server struct {
	*Gate
	http *localhttp.Server
}

// closeTimeout bounds how long Close waits for requests in flight.
const closeTimeout = 5 * time.Second

// Start listens on addr (localhttp.DefaultAddr when "") and serves a Gate
// made by New(upstream, functions, roles, log) until Close. It fails as New
// does, or when it cannot listen.
func Start(addr, upstream string, functions []app.Function, roles []app.Role, log io.Writer) (*Server, error) {
	g, err := New(upstream, functions, roles, log)
	if err != nil {
		return nil, err
	}
	srv, err := localhttp.Listen("localiam", addr, g)
	if err != nil {
		return nil, err
	}
	return &Server{Gate: g, http: srv}, nil
}

// URL returns the Gate's base URL, such as "http://127.0.0.1:41234", for a
// DynamoDB client's BaseEndpoint or DYNAMODB_ENDPOINT.
func (s *Server) URL() string { return s.http.URL() }

// Close stops listening and waits up to five seconds for the requests in
// flight; it returns an error when they did not finish in time. Calling it
// again is harmless.
func (s *Server) Close() error {
	return s.http.Close(closeTimeout, func(time.Duration) bool { return true }, "requests")
}

// Package app is the one declaration of Partner Portal as a serverless
// application: its functions, their routes and events, and the table.
//
// template.yaml (SAM), the local development server and, later, the CDK stack
// are all derived from Declaration; nothing about the app is repeated elsewhere.
package app

import (
	"encoding/json"
	"strings"
)

// Declaration returns the whole application. It never fails and returns a new
// value on each call, so callers may modify their copy.
func Declaration() App {
	return App{
		Name:        "partner-portal",
		Description: "Partner Portal: MSSP reseller backend for the vulnerability-scanning service",
		Table:       table(),
		// Ninety days of function logs: enough to investigate a billing
		// question about last month.
		LogRetentionDays: 90,
		// Per API, across all callers: well above what the functions
		// sustain per second in docs/PERFORMANCE.md times a partner's
		// automation, well below the account's default of 10,000.
		Throttle: Throttle{RatePerSecond: 200, Burst: 400},
		Authorizer: Authorizer{
			Function:       "authorizer",
			IdentityHeader: "Authorization",
			// No caching: every request is authorized afresh, so a revoked key or
			// a changed access level takes effect on the next request, and the
			// functions (not the gateway) answer missing credentials with 401.
			CacheTTLSeconds: 0,
		},
		Functions: []Function{
			{
				Name:         "authorizer",
				Description:  "Resolves an API key to the caller's identity (HTTP API Lambda authorizer, simple responses).",
				MemoryMB:     256,
				TimeoutSec:   5,
				Kind:         KindAuthorizer,
				TableActions: []string{ActionGetItem, ActionUpdateItem},
			},
			{
				Name:         "partners",
				Description:  "Creates partners (super_admin).",
				MemoryMB:     256,
				TimeoutSec:   10,
				Kind:         KindHTTP,
				TableActions: TableReadWrite,
				Routes: []Route{
					{Method: "POST", Path: "/v1/partners"},
				},
			},
			{
				Name:         "users",
				Description:  "Users and their API keys.",
				MemoryMB:     256,
				TimeoutSec:   10,
				Kind:         KindHTTP,
				TableActions: TableReadWrite,
				Routes: []Route{
					{Method: "POST", Path: "/v1/users"},
					{Method: "GET", Path: "/v1/users"},
					{Method: "POST", Path: "/v1/users/{userId}/api-keys"},
					{Method: "PUT", Path: "/v1/users/{userId}/grants"},
					{Method: "DELETE", Path: "/v1/api-keys/{keyId}"},
					{Method: "POST", Path: "/v1/users/{userId}/invitation"},
					// Signing in is how a person gets credentials: no identity yet.
					{Method: "POST", Path: "/v1/sessions", Public: true},
					{Method: "DELETE", Path: "/v1/sessions/current"},
				},
			},
			{
				Name:         "customers",
				Description:  "Customers (tenants): create, list, edit, suspend, resume, archive (pausing and resuming their schedules).",
				MemoryMB:     256,
				TimeoutSec:   10,
				Kind:         KindHTTP,
				TableActions: TableReadWrite,
				Routes: []Route{
					{Method: "POST", Path: "/v1/customers"},
					{Method: "GET", Path: "/v1/customers"},
					{Method: "GET", Path: "/v1/customers/{customerId}"},
					{Method: "PATCH", Path: "/v1/customers/{customerId}"},
					{Method: "DELETE", Path: "/v1/customers/{customerId}"},
					{Method: "POST", Path: "/v1/customers/{customerId}/suspend"},
					{Method: "POST", Path: "/v1/customers/{customerId}/resume"},
					{Method: "PUT", Path: "/v1/customers/{customerId}/access"},
				},
			},
			{
				Name:         "licenses",
				Description:  "Customers' licenses: assign, change, revoke; cost and margin per license.",
				MemoryMB:     256,
				TimeoutSec:   10,
				Kind:         KindHTTP,
				TableActions: TableReadWrite,
				Routes: []Route{
					{Method: "GET", Path: "/v1/customers/{customerId}/licenses"},
					{Method: "POST", Path: "/v1/customers/{customerId}/licenses"},
					{Method: "PATCH", Path: "/v1/customers/{customerId}/licenses/{licenseId}"},
					{Method: "DELETE", Path: "/v1/customers/{customerId}/licenses/{licenseId}"},
				},
			},
			{
				Name:         "billing",
				Description:  "Pricing settings (super_admin), pre-paid pools and the margin report.",
				MemoryMB:     512,
				TimeoutSec:   20,
				Kind:         KindHTTP,
				TableActions: TableReadWrite,
				Routes: []Route{
					{Method: "GET", Path: "/v1/settings/pricing"},
					{Method: "PUT", Path: "/v1/settings/pricing"},
					{Method: "GET", Path: "/v1/prepaid"},
					{Method: "POST", Path: "/v1/prepaid"},
					{Method: "GET", Path: "/v1/margins"},
				},
			},
			{
				Name:         "audit",
				Description:  "The audit log: who changed what, when, before and after.",
				MemoryMB:     256,
				TimeoutSec:   10,
				Kind:         KindHTTP,
				TableActions: TableRead,
				Routes: []Route{
					{Method: "GET", Path: "/v1/audit"},
				},
			},
			{
				Name:         "assets",
				Description:  "Customers' assets: add in bulk with normalisation, list, delete, verify ownership.",
				MemoryMB:     512,
				TimeoutSec:   30,
				Kind:         KindHTTP,
				TableActions: TableReadWrite,
				Routes: []Route{
					{Method: "GET", Path: "/v1/customers/{customerId}/assets"},
					{Method: "POST", Path: "/v1/customers/{customerId}/assets"},
					{Method: "GET", Path: "/v1/customers/{customerId}/assets/{assetId}"},
					{Method: "DELETE", Path: "/v1/customers/{customerId}/assets/{assetId}"},
					{Method: "POST", Path: "/v1/customers/{customerId}/assets/{assetId}/verify"},
				},
			},
			{
				Name:         "usage",
				Description:  "Usage per license and period, and usage alerts.",
				MemoryMB:     256,
				TimeoutSec:   10,
				Kind:         KindHTTP,
				TableActions: TableReadWrite,
				Routes: []Route{
					{Method: "GET", Path: "/v1/customers/{customerId}/usage"},
					{Method: "GET", Path: "/v1/alerts"},
					{Method: "POST", Path: "/v1/alerts/{alertId}/ack"},
				},
			},
			{
				Name:         "scans",
				Description:  "Scans (admitted against the license, then run asynchronously), their findings and reports.",
				MemoryMB:     256,
				TimeoutSec:   15,
				Kind:         KindHTTP,
				TableActions: TableReadWrite,
				Invokes:      []string{"scan-run"},
				UsesReports:  true,
				Routes: []Route{
					{Method: "GET", Path: "/v1/customers/{customerId}/scans"},
					{Method: "POST", Path: "/v1/customers/{customerId}/scans"},
					{Method: "GET", Path: "/v1/customers/{customerId}/scans/{scanId}"},
					{Method: "POST", Path: "/v1/customers/{customerId}/scans/{scanId}/cancel"},
					{Method: "GET", Path: "/v1/customers/{customerId}/findings"},
					{Method: "PATCH", Path: "/v1/customers/{customerId}/findings/{findingId}"},
					{Method: "GET", Path: "/v1/customers/{customerId}/reports"},
					{Method: "GET", Path: "/v1/customers/{customerId}/reports/{reportId}"},
				},
			},
			{
				Name:             "schedules",
				Description:      "Scan schedules (one or many customers at once, mirrored in EventBridge Scheduler) and vulnerability-database update announcements.",
				MemoryMB:         512,
				TimeoutSec:       29,
				Kind:             KindHTTP,
				TableActions:     TableReadWrite,
				PublishesEvents:  true,
				ManagesSchedules: true,
				Routes: []Route{
					{Method: "POST", Path: "/v1/schedules"},
					{Method: "GET", Path: "/v1/schedules"},
					{Method: "GET", Path: "/v1/customers/{customerId}/schedules/{scheduleId}"},
					{Method: "PATCH", Path: "/v1/customers/{customerId}/schedules/{scheduleId}"},
					{Method: "DELETE", Path: "/v1/customers/{customerId}/schedules/{scheduleId}"},
					{Method: "POST", Path: "/v1/events/vulndb-updated"},
				},
			},
			{
				Name:             "scan-dispatch",
				Description:      "Starts the scans schedules' fires and events ask for, at most once per cause, each admitted against its license; fans out vulnerability-database updates page by page; pauses and resumes the triggers of customers whose status changed.",
				MemoryMB:         256,
				TimeoutSec:       120,
				Kind:             KindAsync,
				TableActions:     TableReadWrite,
				ScheduleTarget:   true,
				ManagesSchedules: true,
				PublishesEvents:  true,
				Invokes:          []string{"scan-run"},
				Rules: []EventRule{
					{Name: "AssetDiscovered", Source: SourceAssets, DetailTypes: []string{DetailAssetDiscovered}},
					// Suspending, resuming and archiving a customer pause and
					// resume its triggers here, not in the customers function.
					{Name: "CustomerStatusChanged", Source: SourceCustomers, DetailTypes: []string{DetailCustomerStatusChanged}},
					{Name: "VulnDBUpdated", Source: SourceVulnDB, DetailTypes: []string{DetailVulnDBUpdated}},
					{Name: "VulnDBPage", Source: SourceDispatch, DetailTypes: []string{DetailVulnDBPage}},
				},
			},
			{
				Name:         "scan-run",
				Description:  "Runs an admitted scan with the scan engine and stores its findings and report.",
				MemoryMB:     512,
				TimeoutSec:   300,
				Kind:         KindAsync,
				TableActions: TableReadWrite,
				UsesReports:  true,
			},
			{
				Name:            "usage-stream",
				Description:     "Derives the usage ledger and threshold alerts from counter changes, exactly once; publishes alerts, discovered assets and customers' status changes.",
				MemoryMB:        256,
				TimeoutSec:      60,
				Kind:            KindTableStream,
				TableActions:    TableReadWrite,
				PublishesEvents: true,
				Stream:          &StreamSource{BatchSize: 100, Entities: []string{"counter", "alert", "asset", "customer"}, MaxRetries: 5, MaxRecordAgeSec: 6 * 3600},
			},
			{
				// The console serves people in a browser: server-rendered pages
				// on the same services, authorized by the same authorizer (a
				// session cookie instead of an API key). Its pages do what the
				// API's functions do, so its role is theirs together.
				Name:             "console",
				Description:      "The partner console: server-rendered web pages for people signed in with a session.",
				MemoryMB:         512,
				TimeoutSec:       29,
				Kind:             KindHTTP,
				Pages:            true,
				TableActions:     TableReadWrite,
				Invokes:          []string{"scan-run"},
				UsesReports:      true,
				ManagesSchedules: true,
				Routes: []Route{
					{Method: "GET", Path: "/console"},
					{Method: "GET", Path: "/console/{proxy+}"},
					{Method: "POST", Path: "/console/{proxy+}"},
				},
			},
			{
				Name:        "fallback",
				Description: "Answers requests no route matches: 404, or 405 with Allow when only the method is wrong.",
				MemoryMB:    128,
				TimeoutSec:  5,
				Kind:        KindHTTP,
				Routes: []Route{
					{Method: "ANY", Path: DefaultRoute, Public: true},
				},
			},
		},
	}
}

// DefaultRoute is the HTTP API route key that catches requests no other route matches.
const DefaultRoute = "$default"

// Attribute and index names of the single table. Stores build keys from these.
const (
	AttrPK    = "PK"
	AttrSK    = "SK"
	AttrTTL   = "expiresAt"
	AttrGSIPK = "GSIPK"
)

// Index names of the single table, with the sort-key attribute of each.
const (
	IndexGSI1 = "GSI1"
	IndexGSI2 = "GSI2"
	IndexGSI3 = "GSI3"
	IndexGSI4 = "GSI4"
	IndexGSI5 = "GSI5"
)

func table() Table {
	gsis := []Index{}
	for _, name := range []string{IndexGSI1, IndexGSI2, IndexGSI3, IndexGSI4, IndexGSI5} {
		gsis = append(gsis, Index{Name: name, PartitionKey: AttrGSIPK, SortKey: name + "SK"})
	}
	return Table{
		LogicalID:    "Table",
		PartitionKey: AttrPK,
		SortKey:      AttrSK,
		Indexes:      gsis,
		StreamView:   "NEW_AND_OLD_IMAGES",
		TTLAttribute: AttrTTL,
	}
}

// App describes the deployable application.
type App struct {
	Name        string
	Description string
	Table       Table
	Authorizer  Authorizer
	Functions   []Function
	// LogRetentionDays is how long every function's log group keeps its
	// logs (a value CloudWatch Logs accepts, such as 30, 90 or 365).
	LogRetentionDays int
	// Throttle limits the requests the HTTP API accepts.
	Throttle Throttle
}

// Throttle is the HTTP API's steady request rate and burst; requests
// beyond them are answered 429 by the gateway.
type Throttle struct {
	RatePerSecond int
	Burst         int
}

// Table describes the single DynamoDB table. Every key attribute is a string.
type Table struct {
	LogicalID    string
	PartitionKey string
	SortKey      string
	Indexes      []Index
	StreamView   string
	TTLAttribute string
}

// Index is a global secondary index projecting all attributes.
type Index struct {
	Name         string
	PartitionKey string
	SortKey      string
}

// Authorizer names the function that authorises every non-public route.
// With CacheTTLSeconds 0 it runs for every request, with or without the
// identity header; otherwise API Gateway caches its answer per header value
// and refuses requests without the header itself.
type Authorizer struct {
	Function        string
	IdentityHeader  string
	CacheTTLSeconds int
}

// Kind says how a function is invoked.
type Kind string

// Function kinds.
const (
	KindHTTP       Kind = "http"
	KindAuthorizer Kind = "authorizer"
	// KindTableStream functions consume the table's stream (DynamoDB
	// Streams), reporting failed records by sequence number.
	KindTableStream Kind = "table-stream"
	// KindAsync functions are invoked asynchronously with a JSON payload:
	// by other functions (declared in their Invokes), by EventBridge rules
	// (their Rules) or by EventBridge Scheduler (ScheduleTarget).
	KindAsync Kind = "async"
)

// Function is one Lambda function, built from functions/<Name>.
type Function struct {
	Name        string
	Description string
	MemoryMB    int
	TimeoutSec  int
	Kind        Kind
	Routes      []Route
	// Pages: the function's routes serve web pages (HTML) to people in a
	// browser, not the JSON API: they are not in the OpenAPI document, and
	// they answer with pages and redirects rather than problem documents.
	Pages bool
	// TableActions are the DynamoDB actions the function's role allows on
	// the table (Query also on its indexes); none for a function that does
	// not touch it. The local stack refuses the others, as IAM would.
	TableActions []string
	// Stream: for KindTableStream, which records the function receives.
	Stream *StreamSource
	// PublishesEvents: the function puts events on the app's event bus
	// (named in its environment as EVENT_BUS_NAME).
	PublishesEvents bool
	// Invokes names the KindAsync functions this one invokes; each is
	// passed in the environment as <NAME>_FUNCTION (InvokeEnv).
	Invokes []string
	// UsesReports: the function reads and writes scan reports in the
	// reports bucket (named in its environment as REPORTS_BUCKET).
	UsesReports bool
	// Rules are EventBridge rules on the app's event bus that invoke the
	// function with the events they match.
	Rules []EventRule
	// ScheduleTarget: EventBridge Scheduler schedules invoke the function
	// (at most one function is the target). The app then has one schedule
	// group, a role Scheduler assumes to invoke the target, and a queue of
	// fires that failed for good.
	ScheduleTarget bool
	// ManagesSchedules: the function creates, changes and deletes the
	// Scheduler schedules of the group; its environment names the group,
	// the target, the role and the dead-letter queue (the SCHEDULE_*
	// variables of internal/scheduler).
	ManagesSchedules bool
}

// EventRule is an EventBridge rule matching events by source and detail
// type. Name is unique within its function.
type EventRule struct {
	Name        string
	Source      string
	DetailTypes []string
}

// Pattern returns the rule's EventBridge event pattern (JSON): its source
// and any of its detail types.
func (r EventRule) Pattern() []byte {
	b, _ := json.Marshal(map[string][]string{"source": {r.Source}, "detail-type": r.DetailTypes})
	return b
}

// Event sources and detail types the rules match; internal/portal
// publishes events with the same strings (a test keeps them equal).
const (
	SourceAssets                = "partnerportal.assets"
	DetailAssetDiscovered       = "Asset Discovered"
	SourceCustomers             = "partnerportal.customers"
	DetailCustomerStatusChanged = "Customer Status Changed"
	SourceVulnDB                = "partnerportal.vulndb"
	DetailVulnDBUpdated         = "Vulnerability Database Updated"
	SourceDispatch              = "partnerportal.dispatch"
	DetailVulnDBPage            = "Vulnerability Scan Page Requested"
)

// ScheduleTargetFunction returns the function Scheduler schedules invoke.
func (a App) ScheduleTargetFunction() (Function, bool) {
	for _, f := range a.Functions {
		if f.ScheduleTarget {
			return f, true
		}
	}
	return Function{}, false
}

// InvokeEnv is the environment variable that names function to those
// that invoke it: "scan-run" → "SCAN_RUN_FUNCTION".
func InvokeEnv(function string) string {
	return strings.ToUpper(strings.ReplaceAll(function, "-", "_")) + "_FUNCTION"
}

// StreamSource is how a KindTableStream function reads the table's stream.
type StreamSource struct {
	BatchSize int
	// Entities: only records of items with these "entity" attributes
	// reach the function (an event source filter; others cost nothing).
	Entities []string
	// MaxRetries bounds the redeliveries of a failing record before it is
	// skipped (and reported to the function's on-failure destination).
	MaxRetries int
	// MaxRecordAgeSec: a record older than this is skipped and reported
	// the same way, so a stuck batch cannot hold the shard for the whole
	// 24 hours the stream keeps records (and the report leaves time to
	// replay it).
	MaxRecordAgeSec int
}

// FilterPattern returns the event source mapping's filter (JSON): records
// whose new image's "entity" is one of Entities.
func (s StreamSource) FilterPattern() []byte {
	b, _ := json.Marshal(map[string]any{"dynamodb": map[string]any{"NewImage": map[string]any{"entity": map[string][]string{"S": s.Entities}}}})
	return b
}

// Route is an HTTP API route served by a function. Path uses API Gateway
// syntax: {name} parameters, and a greedy {name+} as the last segment
// matching the rest of the path. Public routes skip the authorizer.
type Route struct {
	Method string
	Path   string
	Public bool
}

// Key returns the HTTP API route key, for example "GET /v1/customers".
func (r Route) Key() string {
	if r.Path == DefaultRoute {
		return DefaultRoute
	}
	return r.Method + " " + r.Path
}

// Function returns the declared function with the given name and whether it exists.
func (a App) Function(name string) (Function, bool) {
	for _, f := range a.Functions {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}

// IndexSortKey returns the sort-key attribute of the named index.
func IndexSortKey(index string) string { return index + "SK" }

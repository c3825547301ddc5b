// Package services assembles the domain services on their adapters, once per
// process (internal/httpapi.ForFunction then hands each declared function its
// handler on them). Lambda mains, the local server and tests all assemble here.
package services

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	awsscheduler "github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/asset"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/eventbus"
	"github.com/partnerportal/portal/internal/lambdainvoke"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/report"
	"github.com/partnerportal/portal/internal/s3store"
	"github.com/partnerportal/portal/internal/scan"
	"github.com/partnerportal/portal/internal/scandispatch"
	"github.com/partnerportal/portal/internal/scheduler"
	"github.com/partnerportal/portal/internal/tenantcreds"
	"github.com/partnerportal/portal/internal/usagestream"
	"github.com/partnerportal/portal/internal/verify"
)

// Environment variables read by FromEnv.
const (
	EnvTable        = "TABLE_NAME"        // the DynamoDB table
	EnvCursorSecret = "CURSOR_SECRET"     // HMAC key of list cursors, at least 32 bytes
	EnvEndpoint     = "DYNAMODB_ENDPOINT" // optional: a local or other DynamoDB endpoint
	// EnvAllowPrivateAssets, set to "true", accepts private, loopback and
	// other non-public addresses as assets and verification targets: for
	// the local stack only, never in production.
	EnvAllowPrivateAssets = "ALLOW_PRIVATE_ASSETS"
	// EnvVerifyDNSServer is an optional DNS server ("host:port") for
	// ownership checks instead of the system resolver.
	EnvVerifyDNSServer = "VERIFY_DNS_SERVER"
	// EnvReportsBucket is the S3 bucket of scan reports (set for the
	// functions the declaration marks UsesReports; without it no reports
	// are made or served).
	EnvReportsBucket = app.EnvReportsBucket
)

// Services are the domain services of one process.
type Services struct {
	Store     *dynamo.Store
	Clock     portal.Clock
	Partners  *portal.PartnerService
	Users     *portal.UserService
	APIKeys   *portal.APIKeyService
	Sessions  *portal.SessionService // signs people in (password, invitations), checks their sessions
	Customers *portal.CustomerService
	Licenses  *portal.LicenseService
	Pricing   *portal.PricingService
	Prepaid   *portal.PrepaidService
	Margins   *portal.MarginService
	Grants    *portal.GrantService
	Audit     *portal.AuditService
	Assets    *portal.AssetService
	Usage     *portal.UsageService
	Alerts    *portal.AlertService
	Scans     *portal.ScanService
	Findings  *portal.FindingService
	ScanRun   *portal.ScanRunService
	// Reports serves scan reports; it stores none until UseReportBucket.
	Reports   *portal.ReportService
	Schedules *portal.ScheduleService
	VulnDB    *portal.VulnDBService
	Dispatch  *portal.ScanDispatcher
	// Events is the event bus the usage stream, update announcements and
	// dispatch publish to (nil until UseEvents).
	Events portal.EventPublisher
}

// New assembles the services on store.
func New(store *dynamo.Store, cursorSecret []byte, clock portal.Clock, ids portal.IDs) *Services {
	cursors := portal.Cursors{Secret: cursorSecret}
	users := &portal.UserService{Users: store, Partners: store, Customers: store, Cursors: cursors, Clock: clock, IDs: ids}
	licenses := &portal.LicenseService{Store: store, Grants: store, Customers: store, Pricing: store, Prepaid: store, Clock: clock, IDs: ids}
	s := &Services{
		Store:     store,
		Clock:     clock,
		Partners:  &portal.PartnerService{Store: store, Clock: clock, IDs: ids},
		Users:     users,
		APIKeys:   &portal.APIKeyService{Keys: store, Users: users, Customers: store, Clock: clock, IDs: ids},
		Sessions:  &portal.SessionService{Sessions: store, Users: store, SignIns: store, Customers: store, Clock: clock, IDs: ids},
		Customers: &portal.CustomerService{Store: store, Grants: store, Licenses: licenses, Cursors: cursors, Clock: clock, IDs: ids},
		Licenses:  licenses,
		Pricing:   &portal.PricingService{Store: store, Clock: clock, IDs: ids},
		Prepaid:   &portal.PrepaidService{Store: store, Pricing: store, Clock: clock, IDs: ids},
		Margins:   &portal.MarginService{Store: store},
		Grants:    &portal.GrantService{Grants: store, Users: store, Clock: clock, IDs: ids},
		Audit:     &portal.AuditService{Store: store, Grants: store, Cursors: cursors},
		Assets: &portal.AssetService{Store: store, Customers: store, Licenses: store, Grants: store,
			Ownership: verify.New(asset.Policy{}, ""), Cursors: cursors, Clock: clock, IDs: ids},
		Usage:  &portal.UsageService{Store: store, Customers: store, Licenses: store, Grants: store, Clock: clock},
		Alerts: &portal.AlertService{Store: store, Grants: store, Cursors: cursors, Clock: clock, IDs: ids},
	}
	s.ScanRun = &portal.ScanRunService{Scans: store, Assets: store, Findings: store, Customers: store, Engine: &scan.Engine{}, Clock: clock}
	s.Scans = &portal.ScanService{Store: store, Assets: store, Customers: store, Licenses: store, Grants: store,
		Launcher: inProcess{run: s.ScanRun.Run}, Cursors: cursors, Clock: clock, IDs: ids}
	s.Findings = &portal.FindingService{Store: store, Grants: store, Cursors: cursors, Clock: clock, IDs: ids}
	s.Schedules = &portal.ScheduleService{Store: store, Triggers: noScheduler{}, Customers: store, Assets: store, Grants: store,
		Cursors: cursors, Clock: clock, IDs: ids}
	s.VulnDB = &portal.VulnDBService{Clock: clock, IDs: ids}
	s.Dispatch = &portal.ScanDispatcher{Schedules: store, Triggers: noScheduler{}, Customers: store, Scans: s.Scans}
	s.Reports = &portal.ReportService{Renderer: report.Renderer{}, Scans: store, Partners: store, Customers: store, Assets: store,
		Findings: store, Licenses: store, Grants: store, Cursors: cursors, Clock: clock}
	return s
}

// UseScheduler keeps the triggers of schedules in t (EventBridge
// Scheduler, or the local one); until then schedule changes answer
// EUNAVAILABLE.
func (s *Services) UseScheduler(t portal.ScheduleTriggers) {
	s.Schedules.Triggers, s.Dispatch.Triggers = t, t
}

// UseEvents publishes events (usage alerts, discovered assets, update
// announcements, fan-out pages) to p.
func (s *Services) UseEvents(p portal.EventPublisher) {
	s.Events, s.VulnDB.Events, s.Dispatch.Events = p, p, p
}

// noScheduler is the ScheduleTriggers of services without a scheduler.
type noScheduler struct{}

func (noScheduler) Create(context.Context, portal.ScheduleTrigger) error { return errNoScheduler }
func (noScheduler) Update(context.Context, portal.ScheduleTrigger) error { return errNoScheduler }
func (noScheduler) Delete(context.Context, string) error                 { return errNoScheduler }

var errNoScheduler = portal.Errorf(portal.EUNAVAILABLE, "scheduling is not configured here")

// ScanDispatch returns the scan-dispatch function's handler on these services.
func (s *Services) ScanDispatch() *scandispatch.Handler {
	return &scandispatch.Handler{Dispatcher: s.Dispatch}
}

// UseReportBucket keeps scan reports in bucket through client (their
// metadata in the table): from then on every completed scan gets a report,
// and the report routes serve them.
func (s *Services) UseReportBucket(client *s3.Client, bucket string) {
	s.Reports.Store = &s3store.Reports{Index: s.Store, Client: client, Bucket: bucket}
	s.ScanRun.Reports = s.Reports
}

// inProcess runs scans in this process before Launch returns (tests;
// the local stack invokes the scan-run binary). Like the asynchronous
// invocation of scan-run it stands in for, a run gets the scan's
// reference and nothing of the request: not the caller's identity (the
// run reads what a system process does, such as the partner's name for
// the report), not its cancellation.
type inProcess struct {
	run func(context.Context, portal.ScanRef) error
}

func (l inProcess) Launch(_ context.Context, sc portal.Scan) error {
	return l.run(context.Background(), sc.Ref())
}

// SetAssetPolicy sets which addresses assets and ownership checks may use
// (the zero Policy, public addresses only, unless changed) and the DNS
// server of ownership checks ("" for the system resolver).
func (s *Services) SetAssetPolicy(p asset.Policy, dnsServer string) {
	s.Assets.Policy = p
	s.Assets.Ownership = verify.New(p, dnsServer)
	s.ScanRun.Engine = &scan.Engine{Policy: p, DNSServer: dnsServer}
}

// UsageStream returns the usage stream's handler on these services.
func (s *Services) UsageStream() *usagestream.Handler {
	return &usagestream.Handler{Store: s.Store, Events: s.Events, Clock: s.Clock}
}

// FromEnv assembles the services from the environment (see the Env
// constants) with the system clock. Every client, DynamoDB's included,
// signs with the credentials of the SDK's default configuration; with
// DYNAMODB_ENDPOINT the DynamoDB client goes there instead. It fails when
// a variable is missing, DYNAMODB_ENDPOINT is not an http(s) URL or the
// AWS configuration cannot be loaded; it makes no network calls.
func FromEnv(ctx context.Context) (*Services, error) {
	table, secret := os.Getenv(EnvTable), os.Getenv(EnvCursorSecret)
	if table == "" {
		return nil, errors.New(EnvTable + " is not set")
	}
	if len(secret) < 32 {
		return nil, errors.New(EnvCursorSecret + " must be set to at least 32 characters")
	}
	cfg, err := config.LoadDefaultConfig(ctx) // offline: environment and files only
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	// The client signs with the configuration's credentials even against
	// a local endpoint: the local stack tells its functions apart by their
	// access keys (internal/localiam).
	var local []func(*dynamodb.Options)
	if endpoint := os.Getenv(EnvEndpoint); endpoint != "" {
		if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%s %q is not an http(s) URL", EnvEndpoint, endpoint)
		}
		local = append(local, func(o *dynamodb.Options) {
			o.BaseEndpoint = aws.String(endpoint)
			// DynamoDB Local sends "X-Amz-Crc32: 0" with its error answers,
			// which would otherwise make the SDK log a checksum warning.
			o.DisableValidateResponseChecksum = true
		})
	}
	store := dynamo.New(dynamodb.NewFromConfig(cfg, local...), table)
	if os.Getenv(tenantcreds.EnvRoleARN) != "" {
		creds, err := tenantcreds.FromEnv(sts.NewFromConfig(cfg))
		if err != nil {
			return nil, fmt.Errorf("tenant credentials: %w", err)
		}
		store.TenantCredentials = creds.CredentialsFor
	}
	s := New(store, []byte(secret), portal.SystemClock, &portal.ULIDs{})
	s.SetAssetPolicy(asset.Policy{AllowPrivate: os.Getenv(EnvAllowPrivateAssets) == "true"}, os.Getenv(EnvVerifyDNSServer))
	s.UseEvents(eventbus.New(eventbridge.NewFromConfig(cfg), os.Getenv(eventbus.EnvEventBus)))
	if bucket := os.Getenv(EnvReportsBucket); bucket != "" {
		// A custom endpoint (AWS_ENDPOINT_URL_S3: a local S3) has no DNS
		// name per bucket, so it is addressed path-style.
		s.UseReportBucket(s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = o.BaseEndpoint != nil }), bucket)
	}
	if fn := os.Getenv(app.InvokeEnv("scan-run")); fn != "" {
		s.Scans.Launcher = &lambdainvoke.Launcher{Client: lambda.NewFromConfig(cfg), Function: fn}
	}
	if os.Getenv(scheduler.EnvGroup) != "" {
		sc, err := scheduler.ConfigFromEnv()
		if err != nil {
			return nil, err
		}
		s.UseScheduler(&scheduler.Triggers{Client: awsscheduler.NewFromConfig(cfg), Config: sc})
	}
	return s, nil
}

package services_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/asset"
	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/httpapi"
	"github.com/partnerportal/portal/internal/isolation"
	"github.com/partnerportal/portal/internal/locals3"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/recurrence"
	"github.com/partnerportal/portal/internal/scan"
	"github.com/partnerportal/portal/internal/services"
	"github.com/partnerportal/portal/internal/tenancy"
	"github.com/partnerportal/portal/internal/usagestream"
)

// The authorization matrix of issue 4: every declared route × every
// principal × {own object, foreign object}, replayed through the real
// handlers, each status compared with one declared table (mxExpect).
//
// Partner A is "own": its admin, members, and the users of its customer
// ownCust are the principals. Partner B is "foreign". Customer principals'
// portal access level comes from the identity the authorizer would pass
// (tenantAccess), so one tenant serves all three levels.

// mxPrincipal is a column of the expectation table.
type mxPrincipal int

const (
	mxSuper              mxPrincipal = iota // super_admin
	mxAdmin                                 // partner_admin of A
	mxOtherAdmin                            // partner_admin of B: A's objects are foreign to it, B's are its own
	mxMemberGranted                         // partner_member of A, granted ownCust
	mxMemberNotGranted                      // partner_member of A, no grants
	mxCustAdminDisabled                     // customer_admin of ownCust, access disabled
	mxCustViewerDisabled                    // customer_viewer of ownCust, access disabled
	mxCustAdminReadOnly                     // … read_only
	mxCustViewerReadOnly                    //
	mxCustAdminFull                         // … full
	mxCustViewerFull                        //
	mxOtherTenantAdmin                      // customer_admin of otherCust (also partner A), access full
	mxPrincipals                            // how many principals there are
)

var mxPrincipalNames = [mxPrincipals]string{
	"super_admin", "partner_admin", "other_partner_admin", "member_granted", "member_not_granted",
	"customer_admin@disabled", "customer_viewer@disabled", "customer_admin@read_only", "customer_viewer@read_only",
	"customer_admin@full", "customer_viewer@full", "other_tenant_admin",
}

func (p mxPrincipal) String() string { return mxPrincipalNames[p] }

// mxObject is which partner's objects a request names.
type mxObject string

const (
	mxOwn     mxObject = "own"     // partner A's: ownCust, its license, its user, its key
	mxForeign mxObject = "foreign" // partner B's: forCust, its license, its user, its key
	mxNone    mxObject = "none"    // routes that name no object: checked once
)

// mxOut is an expected outcome.
type mxOut int

const (
	xOK  mxOut = iota + 1 // 2xx
	x400                  // the body names an organisation that is not the caller's (API.md: "Naming another organisation is 400"), or a parameter the role does not take
	x403                  // the role (or the tenant's access level) may not do this
	x404                  // no such object for the caller
	xRef                  // 403 or 404: a principal that is refused either way, where which check comes first tells nothing
	x401                  // not signed in with a session (the principals' identities are API keys')
)

func (o mxOut) String() string {
	return map[mxOut]string{xOK: "2xx", x400: "400", x403: "403", x404: "404", xRef: "403|404", x401: "401"}[o]
}

func (o mxOut) matches(status int) bool {
	switch o {
	case xOK:
		return status >= 200 && status < 300
	case x400:
		return status == 400
	case x403:
		return status == 403
	case x404:
		return status == 404
	case xRef:
		return status == 403 || status == 404
	case x401:
		return status == 401
	}
	return false
}

type mxRow = [mxPrincipals]mxOut

// mxExpect is the expectation of every cell: route (with a variant in
// brackets) → object → principal, from DESIGN.md §1, API.md and issue 4.
var mxExpect = map[string]map[mxObject]mxRow{
	// Columns, in mxPrincipal order:
	// super_admin, partner_admin, other_partner_admin, member_granted, member_not_granted,
	// customer_admin@disabled, customer_viewer@disabled, customer_admin@read_only,
	// customer_viewer@read_only, customer_admin@full, customer_viewer@full, other_tenant_admin.
	"POST /v1/partners": {mxNone: {xOK, x403, x403, x403, x403, x403, x403, x403, x403, x403, x403, x403}},

	// A customer admin manages its tenant's users under full access only;
	// under read_only admins are "capped to viewer rights" (DESIGN.md §1),
	// and viewers list no users.
	"POST /v1/users": {mxNone: {xOK, xOK, xOK, x403, x403, x403, x403, x403, x403, xOK, x403, xOK}},
	"POST /v1/users [customerId]": {
		mxOwn:     {x400, xOK, x400, x403, x403, x403, x403, x403, x403, xOK, x403, x400},
		mxForeign: {x400, x400, xOK, x403, x403, x403, x403, x403, x403, x400, x403, x400},
	},
	"GET /v1/users": {mxNone: {xOK, xOK, xOK, x403, x403, x403, x403, x403, x403, xOK, x403, xOK}},
	"GET /v1/users [customerId]": {
		mxOwn:     {x400, xOK, x404, x403, x403, x403, x403, x403, x403, xOK, x403, x404},
		mxForeign: {x400, x404, xOK, x403, x403, xRef, x403, xRef, x403, x404, x403, x404},
	},
	"POST /v1/users/{userId}/api-keys": {
		mxOwn:     {xOK, xOK, x404, x404, x404, x403, x403, x403, x403, xOK, x403, x404},
		mxForeign: {xOK, x404, xOK, x404, x404, xRef, xRef, xRef, xRef, x404, xRef, x404},
	},
	"POST /v1/users/{userId}/api-keys [self]": {mxNone: {xOK, xOK, xOK, xOK, xOK, x403, x403, x403, x403, xOK, x403, xOK}},
	// Inviting a user to set a password: the terms of issuing API keys.
	"POST /v1/users/{userId}/invitation": {
		mxOwn:     {xOK, xOK, x404, x404, x404, x403, x403, x403, x403, xOK, x403, x404},
		mxForeign: {xOK, x404, xOK, x404, x404, xRef, xRef, xRef, xRef, x404, xRef, x404},
	},
	"POST /v1/users/{userId}/invitation [self]": {mxNone: {xOK, xOK, xOK, xOK, xOK, x403, x403, x403, x403, xOK, x403, xOK}},
	// Signing in is public: whoever asks, the body's credentials decide.
	"POST /v1/sessions": {mxNone: {xOK, xOK, xOK, xOK, xOK, xOK, xOK, xOK, xOK, xOK, xOK, xOK}},
	// Signing out ends the caller's browser session; API keys have none.
	"DELETE /v1/sessions/current": {mxNone: {x401, x401, x401, x401, x401, x401, x401, x401, x401, x401, x401, x401}},
	"PUT /v1/users/{userId}/grants": {
		mxOwn:     {x403, xOK, x404, x403, x403, x403, x403, x403, x403, x403, x403, x403},
		mxForeign: {x403, x404, xOK, x403, x403, x403, x403, x403, x403, x403, x403, x403},
	},
	"DELETE /v1/api-keys/{keyId}": {
		mxOwn:     {xOK, xOK, x404, x404, x404, x403, x403, x403, x403, xOK, x403, x404},
		mxForeign: {xOK, x404, xOK, x404, x404, xRef, xRef, xRef, xRef, x404, xRef, x404},
	},

	"POST /v1/customers": {mxNone: {x403, xOK, xOK, x403, x403, x403, x403, x403, x403, x403, x403, x403}},
	"GET /v1/customers":  {mxNone: {x403, xOK, xOK, xOK, xOK, x403, x403, x403, x403, x403, x403, x403}},
	"GET /v1/customers/{customerId}": {
		mxOwn:     {x403, xOK, x404, xOK, x404, x403, x403, xOK, xOK, xOK, xOK, x404},
		mxForeign: {x403, x404, xOK, x404, x404, xRef, xRef, x404, x404, x404, x404, x404},
	},
	"PATCH /v1/customers/{customerId}": {
		mxOwn:     {x403, xOK, x404, x403, x403, x403, x403, x403, x403, xOK, x403, x404},
		mxForeign: {x403, x404, xOK, x403, x403, xRef, xRef, xRef, xRef, x404, xRef, x404},
	},
	"DELETE /v1/customers/{customerId}": {
		mxOwn:     {x403, xOK, x404, x403, x403, x403, x403, x403, x403, x403, x403, x403},
		mxForeign: {x403, x404, xOK, x403, x403, x403, x403, x403, x403, x403, x403, x403},
	},
	"POST /v1/customers/{customerId}/suspend": {
		mxOwn:     {x403, xOK, x404, xOK, x404, x403, x403, x403, x403, x403, x403, x403},
		mxForeign: {x403, x404, xOK, x404, x404, x403, x403, x403, x403, x403, x403, x403},
	},
	"POST /v1/customers/{customerId}/resume": {
		mxOwn:     {x403, xOK, x404, xOK, x404, x403, x403, x403, x403, x403, x403, x403},
		mxForeign: {x403, x404, xOK, x404, x404, x403, x403, x403, x403, x403, x403, x403},
	},
	"PUT /v1/customers/{customerId}/access": {
		mxOwn:     {x403, xOK, x404, x403, x403, x403, x403, x403, x403, x403, x403, x403},
		mxForeign: {x403, x404, xOK, x403, x403, x403, x403, x403, x403, x403, x403, x403},
	},

	"GET /v1/customers/{customerId}/licenses": {
		mxOwn:     {x403, xOK, x404, xOK, x404, x403, x403, x403, x403, x403, x403, x403},
		mxForeign: {x403, x404, xOK, x404, x404, x403, x403, x403, x403, x403, x403, x403},
	},
	"POST /v1/customers/{customerId}/licenses": {
		mxOwn:     {x403, xOK, x404, x403, x403, x403, x403, x403, x403, x403, x403, x403},
		mxForeign: {x403, x404, xOK, x403, x403, x403, x403, x403, x403, x403, x403, x403},
	},
	"PATCH /v1/customers/{customerId}/licenses/{licenseId}": {
		mxOwn:     {x403, xOK, x404, x403, x403, x403, x403, x403, x403, x403, x403, x403},
		mxForeign: {x403, x404, xOK, x403, x403, x403, x403, x403, x403, x403, x403, x403},
	},
	"DELETE /v1/customers/{customerId}/licenses/{licenseId}": {
		mxOwn:     {x403, xOK, x404, x403, x403, x403, x403, x403, x403, x403, x403, x403},
		mxForeign: {x403, x404, xOK, x403, x403, x403, x403, x403, x403, x403, x403, x403},
	},

	"GET /v1/settings/pricing": {mxNone: {xOK, xOK, xOK, xOK, xOK, x403, x403, x403, x403, x403, x403, x403}},
	"PUT /v1/settings/pricing": {mxNone: {xOK, x403, x403, x403, x403, x403, x403, x403, x403, x403, x403, x403}},
	"GET /v1/prepaid":          {mxNone: {x403, xOK, xOK, x403, x403, x403, x403, x403, x403, x403, x403, x403}},
	"POST /v1/prepaid":         {mxNone: {x403, xOK, xOK, x403, x403, x403, x403, x403, x403, x403, x403, x403}},
	"GET /v1/margins":          {mxNone: {x403, xOK, xOK, x403, x403, x403, x403, x403, x403, x403, x403, x403}},

	// Audit log: partner admins their partner's, customer admins under full
	// access their tenant's, operators the platform's (API.md "Audit log").
	"GET /v1/audit": {mxNone: {xOK, xOK, xOK, x403, x403, x403, x403, x403, x403, xOK, x403, xOK}},
	"GET /v1/audit [customerId]": {
		mxOwn:     {x400, xOK, x404, x403, x403, x403, x403, x403, x403, xOK, x403, x404},
		mxForeign: {x400, x404, xOK, x403, x403, xRef, x403, xRef, x403, x404, x403, x404},
	},

	// Assets and usage (issue 5): partner admins and granted members read
	// and change a customer's assets; the customer's users read them unless
	// access is disabled, and its admin changes them under full access.
	// Operators reach no customer data.
	"GET /v1/customers/{customerId}/assets": {
		mxOwn:     {x403, xOK, x404, xOK, x404, x403, x403, xOK, xOK, xOK, xOK, x404},
		mxForeign: {x403, x404, xOK, x404, x404, xRef, xRef, x404, x404, x404, x404, x404},
	},
	"POST /v1/customers/{customerId}/assets": {
		mxOwn:     {x403, xOK, x404, xOK, x404, x403, x403, x403, x403, xOK, x403, x404},
		mxForeign: {x403, x404, xOK, x404, x404, xRef, xRef, xRef, xRef, x404, xRef, x404},
	},
	"GET /v1/customers/{customerId}/assets/{assetId}": {
		mxOwn:     {x403, xOK, x404, xOK, x404, x403, x403, xOK, xOK, xOK, xOK, x404},
		mxForeign: {x403, x404, xOK, x404, x404, xRef, xRef, x404, x404, x404, x404, x404},
	},
	"DELETE /v1/customers/{customerId}/assets/{assetId}": {
		mxOwn:     {x403, xOK, x404, xOK, x404, x403, x403, x403, x403, xOK, x403, x404},
		mxForeign: {x403, x404, xOK, x404, x404, xRef, xRef, xRef, xRef, x404, xRef, x404},
	},
	"POST /v1/customers/{customerId}/assets/{assetId}/verify": {
		mxOwn:     {x403, xOK, x404, xOK, x404, x403, x403, x403, x403, xOK, x403, x404},
		mxForeign: {x403, x404, xOK, x404, x404, xRef, xRef, xRef, xRef, x404, xRef, x404},
	},
	"GET /v1/customers/{customerId}/usage": {
		mxOwn:     {x403, xOK, x404, xOK, x404, x403, x403, xOK, xOK, xOK, xOK, x404},
		mxForeign: {x403, x404, xOK, x404, x404, xRef, xRef, x404, x404, x404, x404, x404},
	},

	// Alerts: partner admins list the partner's, members those of granted
	// customers (an empty list without grants), customer users their
	// tenant's unless access is disabled (mxVisible checks the contents).
	// Only partner personnel acknowledge.
	"GET /v1/alerts": {mxNone: {x403, xOK, xOK, xOK, xOK, x403, x403, xOK, xOK, xOK, xOK, xOK}},
	"GET /v1/alerts [customerId]": {
		mxOwn:     {x403, xOK, x404, xOK, x404, x403, x403, xOK, xOK, xOK, xOK, x404},
		mxForeign: {x403, x404, xOK, x404, x404, xRef, xRef, x404, x404, x404, x404, x404},
	},
	"POST /v1/alerts/{alertId}/ack": {
		mxOwn:     {x403, xOK, x404, xOK, x404, x403, x403, x403, x403, x403, x403, x403},
		mxForeign: {x403, x404, xOK, x404, x404, x403, x403, x403, x403, x403, x403, x403},
	},

	// Scans and findings (issue 6) follow assets: partner admins and granted
	// members read and act; the customer's users read unless access is
	// disabled, and its admin requests and cancels scans and decides on
	// findings under full access. POST …/scans runs on a world whose assets
	// are verified (mxPrepare), so an allowed caller's scan is admitted (202)
	// and run, not refused for want of verified assets (409).
	"GET /v1/customers/{customerId}/scans": {
		mxOwn:     {x403, xOK, x404, xOK, x404, x403, x403, xOK, xOK, xOK, xOK, x404},
		mxForeign: {x403, x404, xOK, x404, x404, xRef, xRef, x404, x404, x404, x404, x404},
	},
	"POST /v1/customers/{customerId}/scans": {
		mxOwn:     {x403, xOK, x404, xOK, x404, x403, x403, x403, x403, xOK, x403, x404},
		mxForeign: {x403, x404, xOK, x404, x404, xRef, xRef, xRef, xRef, x404, xRef, x404},
	},
	"GET /v1/customers/{customerId}/scans/{scanId}": {
		mxOwn:     {x403, xOK, x404, xOK, x404, x403, x403, xOK, xOK, xOK, xOK, x404},
		mxForeign: {x403, x404, xOK, x404, x404, xRef, xRef, x404, x404, x404, x404, x404},
	},
	"POST /v1/customers/{customerId}/scans/{scanId}/cancel": {
		mxOwn:     {x403, xOK, x404, xOK, x404, x403, x403, x403, x403, xOK, x403, x404},
		mxForeign: {x403, x404, xOK, x404, x404, xRef, xRef, xRef, xRef, x404, xRef, x404},
	},
	"GET /v1/customers/{customerId}/findings": {
		mxOwn:     {x403, xOK, x404, xOK, x404, x403, x403, xOK, xOK, xOK, xOK, x404},
		mxForeign: {x403, x404, xOK, x404, x404, xRef, xRef, x404, x404, x404, x404, x404},
	},
	"PATCH /v1/customers/{customerId}/findings/{findingId}": {
		mxOwn:     {x403, xOK, x404, xOK, x404, x403, x403, x403, x403, xOK, x403, x404},
		mxForeign: {x403, x404, xOK, x404, x404, xRef, xRef, xRef, xRef, x404, xRef, x404},
	},
	// Reports are read like findings.
	"GET /v1/customers/{customerId}/reports": {
		mxOwn:     {x403, xOK, x404, xOK, x404, x403, x403, xOK, xOK, xOK, xOK, x404},
		mxForeign: {x403, x404, xOK, x404, x404, xRef, xRef, x404, x404, x404, x404, x404},
	},
	"GET /v1/customers/{customerId}/reports/{reportId}": {
		mxOwn:     {x403, xOK, x404, xOK, x404, x403, x403, xOK, xOK, xOK, xOK, x404},
		mxForeign: {x403, x404, xOK, x404, x404, xRef, xRef, x404, x404, x404, x404, x404},
	},

	// Schedules follow scans: partner admins and granted members
	// read and change a customer's schedules; the customer's users read them
	// unless access is disabled, and its admin changes them under full
	// access. GET /v1/schedules names the customer in its query, POST in its
	// body (mxNamed). POST names customers in the body yet a foreign one is
	// 404, not 400: the answer is per customer, one the caller cannot see is
	// "not found", and when nothing was created the first customer's problem
	// is the answer. Customer users are refused (403) before any customer is
	// looked at unless they are a customer_admin with full access, so their
	// foreign cells are 403 too. Only operators announce vulnerability-
	// database updates.
	"POST /v1/schedules": {
		mxOwn:     {x403, xOK, x404, xOK, x404, x403, x403, x403, x403, xOK, x403, x404},
		mxForeign: {x403, x404, xOK, x404, x404, x403, x403, x403, x403, x404, x403, x404},
	},
	"GET /v1/schedules": {
		mxOwn:     {x403, xOK, x404, xOK, x404, x403, x403, xOK, xOK, xOK, xOK, x404},
		mxForeign: {x403, x404, xOK, x404, x404, xRef, xRef, x404, x404, x404, x404, x404},
	},
	"GET /v1/customers/{customerId}/schedules/{scheduleId}": {
		mxOwn:     {x403, xOK, x404, xOK, x404, x403, x403, xOK, xOK, xOK, xOK, x404},
		mxForeign: {x403, x404, xOK, x404, x404, xRef, xRef, x404, x404, x404, x404, x404},
	},
	"PATCH /v1/customers/{customerId}/schedules/{scheduleId}": {
		mxOwn:     {x403, xOK, x404, xOK, x404, x403, x403, x403, x403, xOK, x403, x404},
		mxForeign: {x403, x404, xOK, x404, x404, xRef, xRef, xRef, xRef, x404, xRef, x404},
	},
	"DELETE /v1/customers/{customerId}/schedules/{scheduleId}": {
		mxOwn:     {x403, xOK, x404, xOK, x404, x403, x403, x403, x403, xOK, x403, x404},
		mxForeign: {x403, x404, xOK, x404, x404, xRef, xRef, xRef, xRef, x404, xRef, x404},
	},
	"POST /v1/events/vulndb-updated": {mxNone: {xOK, x403, x403, x403, x403, x403, x403, x403, x403, x403, x403, x403}},

	// The fallback answers every unmatched request 404, whoever asks.
	app.DefaultRoute: {mxNone: {x404, x404, x404, x404, x404, x404, x404, x404, x404, x404, x404, x404}},
}

// mxWorld is one fixture: partner A with its people and customers, and
// partner B with its own. Each route gets a fresh one, so that the state one
// route's writes leave (an archived customer, a revoked license) never
// decides another route's cells.
type mxWorld struct {
	partnerA, partnerB string
	super              string
	// Partner A: its admin, a member granted ownCust, a member without
	// grants, and memberX, whose grants the grants route sets.
	adminA, memberG, memberN, memberX string
	// ownCust's users: the customer principals, and ownUser, a viewer that
	// is no principal (the "own" user of the user routes); otherTenantAdmin
	// is the admin of otherCust, another customer of A.
	custAdmin, custViewer, ownUser, otherTenantAdmin string
	// Partner B: its admin, a member, and forUser, a viewer of forCust.
	adminB, memberB, forUser string

	ownCust, otherCust, forCust string
	ownLic, otherLic, forLic    string // per-asset licenses of the three customers
	ownKey, forKey              string // keys of ownUser and forUser
	// An asset of each customer, and the 90% alert of each customer's
	// license (raised by the usage stream's applier).
	ownAsset, otherAsset, forAsset string
	ownAlert, otherAlert, forAlert string
	// A queued scan of each customer (admitted, never launched) and a
	// finding of each customer's asset.
	ownScan, otherScan, forScan          string
	ownFinding, otherFinding, forFinding string
	// A report of each customer (of a completed scan that is not listed
	// among its scans: the fixture's scans stay queued).
	ownReport, otherReport, forReport string
	// A weekly schedule of each customer, stored without its trigger (PATCH
	// creates a missing trigger, DELETE of a missing one is fine).
	ownSchedule, otherSchedule, forSchedule string
}

// mxEnv is the services on a fresh table, optionally with an isolation
// checker on the store's client.
type mxEnv struct {
	t        *testing.T
	svc      *services.Services
	store    *dynamo.Store
	ids      *ddbtest.SeqIDs
	checker  *isolation.Checker
	handlers map[string]*httpapi.Handler
	seq      atomic.Int64
}

var mxNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// mxPassword is the password of the user who signs in (POST /v1/sessions).
const mxPassword = "matrix password, long enough"

func newMxEnv(t *testing.T, checked bool) *mxEnv {
	t.Helper()
	client, table := ddbtest.NewTable(t)
	e := &mxEnv{t: t, ids: &ddbtest.SeqIDs{}, handlers: map[string]*httpapi.Handler{}}
	storeClient := client
	if checked {
		e.checker = isolation.New(isolation.TableOracle(client, table))
		storeClient = dynamodb.New(client.Options(), e.checker.Attach)
	}
	e.store = dynamo.New(storeClient, table)
	e.svc = services.New(e.store, []byte(strings.Repeat("m", 32)), func() time.Time { return mxNow }, e.ids)
	// Ownership checks look up DNS and fetch URLs: the matrix asks a stand-in
	// that finds no token, so verify still records its outcome (a write).
	e.svc.Assets.Ownership = mxOwnership{}
	// Admitted scans run in-process before POST …/scans answers (services.New's
	// launcher); the engine would dial the fixture hosts, so a stand-in
	// reports one finding per target instead, and the run still reads the
	// scan and assets and writes findings, the scan and lastScanAt.
	e.svc.ScanRun.Engine = mxEngine{}
	// Reports go to a local S3 endpoint (and every completed scan gets one).
	s3, err := locals3.Start(locals3.Config{Bucket: "matrix-reports"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s3.Close() })
	e.svc.UseReportBucket(s3.Client(), s3.Bucket)
	// Schedules keep their triggers in a local, wire-level Scheduler (nothing
	// fires: the matrix never ticks it), and update announcements go to a
	// local EventBridge, so that allowed callers' schedule changes and
	// announcements succeed instead of answering 503.
	useLocalScheduler(t, e.svc, func() time.Time { return mxNow })
	useLocalBus(t, e.svc)
	for _, f := range app.Declaration().Functions {
		if f.Kind != app.KindHTTP || f.Pages { // the console's pages: internal/console
			continue
		}
		h, ok := httpapi.ForFunction(e.svc, f.Name)
		if !ok {
			t.Fatalf("function %s has no handler", f.Name)
		}
		e.handlers[f.Name] = h
	}
	mxMust(t, e.store.PutPricing(context.Background(), portal.Pricing{Version: 1, Currency: "EUR", UpdatedAt: mxNow, UpdatedBy: "usr_00000000000000000000000000",
		UnitCosts: map[portal.LicenseModel]map[portal.BillingPeriod]int64{
			portal.ModelPerAsset:  {portal.PeriodMonthly: 200, portal.PeriodAnnual: 2000},
			portal.ModelPerScan:   {portal.PeriodMonthly: 500, portal.PeriodAnnual: 5000},
			portal.ModelUnlimited: {portal.PeriodMonthly: 50000, portal.PeriodAnnual: 500000},
		},
		PrepaidTiers: []portal.PrepaidTier{{MinUnits: 100, DiscountBps: 1000}},
	}))
	return e
}

func mxMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// next returns a number unique in the environment (for e-mail addresses).
func (e *mxEnv) next() int64 { return e.seq.Add(1) }

// newWorld writes a fresh fixture straight into the store (no identity in
// the context: the checker does not look at fixtures).
func (e *mxEnv) newWorld(t *testing.T) *mxWorld {
	t.Helper()
	ctx := context.Background()
	id := e.ids.New
	w := &mxWorld{
		partnerA: id(portal.PrefixPartner), partnerB: id(portal.PrefixPartner), super: id(portal.PrefixUser),
		adminA: id(portal.PrefixUser), memberG: id(portal.PrefixUser), memberN: id(portal.PrefixUser), memberX: id(portal.PrefixUser),
		custAdmin: id(portal.PrefixUser), custViewer: id(portal.PrefixUser), ownUser: id(portal.PrefixUser), otherTenantAdmin: id(portal.PrefixUser),
		adminB: id(portal.PrefixUser), memberB: id(portal.PrefixUser), forUser: id(portal.PrefixUser),
		ownCust: id(portal.PrefixCustomer), otherCust: id(portal.PrefixCustomer), forCust: id(portal.PrefixCustomer),
		ownLic: id(portal.PrefixLicense), otherLic: id(portal.PrefixLicense), forLic: id(portal.PrefixLicense),
		ownKey: id(portal.PrefixAPIKey), forKey: id(portal.PrefixAPIKey),
	}
	for _, p := range []portal.Partner{{ID: w.partnerA, Name: "Partner A"}, {ID: w.partnerB, Name: "Partner B"}} {
		p.ContactEmail, p.Status, p.CreatedAt, p.UpdatedAt, p.Version = fmt.Sprintf("ops-%d@partner.example", e.next()), "active", mxNow, mxNow, 1
		mxMust(t, e.store.CreatePartner(ctx, p))
	}
	customer := func(cid, partner, name string, license string) {
		c := portal.Customer{ID: cid, PartnerID: partner, Name: name, ContactEmail: "it@" + strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".example",
			Timezone: "UTC", Tags: []string{}, Status: portal.StatusActive, Plan: portal.PlanNone, AccessLevel: portal.AccessDisabled,
			CreatedAt: mxNow, UpdatedAt: mxNow, Version: 1}
		if license == "" {
			mxMust(t, e.store.CreateCustomer(ctx, c))
			return
		}
		c.Plan, c.LicenseCounts = portal.PlanPerAsset, map[portal.LicenseModel]int{portal.ModelPerAsset: 1}
		mxMust(t, e.store.SaveLicenses(ctx, &c, true, []portal.License{{
			ID: license, TenantID: cid, PartnerID: partner, Model: portal.ModelPerAsset, Quantity: 50, BillingPeriod: portal.PeriodMonthly,
			StartsAt: mxNow, EndUserPrice: portal.Money{Amount: 25000, Currency: "EUR"}, UnitCost: portal.Money{Amount: 200, Currency: "EUR"},
			PricingVersion: 1, OveragePolicy: portal.OverageSoft, CreatedAt: mxNow, UpdatedAt: mxNow, Version: 1,
		}}, nil))
	}
	customer(w.ownCust, w.partnerA, "Own Customer", w.ownLic)
	customer(w.otherCust, w.partnerA, "Other Tenant", w.otherLic)
	customer(w.forCust, w.partnerB, "Foreign Customer", w.forLic)
	user := func(uid string, role tenancy.Role, partner, tenant string) {
		mxMust(t, e.store.CreateUser(ctx, portal.User{ID: uid, Email: fmt.Sprintf("u%d@people.example", e.next()), Role: role,
			PartnerID: partner, TenantID: tenant, Status: "active", CreatedAt: mxNow, UpdatedAt: mxNow, Version: 1}))
	}
	user(w.super, tenancy.RoleSuperAdmin, "", "")
	user(w.adminA, tenancy.RolePartnerAdmin, w.partnerA, "")
	user(w.memberG, tenancy.RolePartnerMember, w.partnerA, "")
	user(w.memberN, tenancy.RolePartnerMember, w.partnerA, "")
	user(w.memberX, tenancy.RolePartnerMember, w.partnerA, "")
	user(w.custAdmin, tenancy.RoleCustomerAdmin, w.partnerA, w.ownCust)
	user(w.custViewer, tenancy.RoleCustomerViewer, w.partnerA, w.ownCust)
	user(w.ownUser, tenancy.RoleCustomerViewer, w.partnerA, w.ownCust)
	user(w.otherTenantAdmin, tenancy.RoleCustomerAdmin, w.partnerA, w.otherCust)
	user(w.adminB, tenancy.RolePartnerAdmin, w.partnerB, "")
	user(w.memberB, tenancy.RolePartnerMember, w.partnerB, "")
	user(w.forUser, tenancy.RoleCustomerViewer, w.partnerB, w.forCust)
	key := func(kid, uid string, role tenancy.Role, partner, tenant string) {
		mxMust(t, e.store.CreateAPIKey(ctx, portal.APIKey{ID: kid, Hash: strings.Repeat("0", 64), Hint: "pp_0000", UserID: uid, Role: role,
			PartnerID: partner, TenantID: tenant, CreatedAt: mxNow}))
	}
	key(w.ownKey, w.ownUser, tenancy.RoleCustomerViewer, w.partnerA, w.ownCust)
	key(w.forKey, w.forUser, tenancy.RoleCustomerViewer, w.partnerB, w.forCust)
	mxMust(t, e.store.SetGrants(ctx, w.partnerA, w.memberG, []string{w.ownCust}))
	w.ownAsset, w.otherAsset, w.forAsset = e.addAsset(w.partnerA, w.ownCust), e.addAsset(w.partnerA, w.otherCust), e.addAsset(w.partnerB, w.forCust)
	w.ownAlert, w.otherAlert, w.forAlert = e.raiseAlert(w.partnerA, w.ownCust), e.raiseAlert(w.partnerA, w.otherCust), e.raiseAlert(w.partnerB, w.forCust)
	w.ownScan, w.otherScan, w.forScan = e.addScan(w.partnerA, w.ownCust, w.ownLic, w.ownAsset), e.addScan(w.partnerA, w.otherCust, w.otherLic, w.otherAsset), e.addScan(w.partnerB, w.forCust, w.forLic, w.forAsset)
	w.ownFinding, w.otherFinding, w.forFinding = e.addFinding(w.partnerA, w.ownCust, w.ownAsset, w.ownScan), e.addFinding(w.partnerA, w.otherCust, w.otherAsset, w.otherScan), e.addFinding(w.partnerB, w.forCust, w.forAsset, w.forScan)
	w.ownReport, w.otherReport, w.forReport = e.addReport(w.partnerA, w.ownCust, w.ownAsset), e.addReport(w.partnerA, w.otherCust, w.otherAsset), e.addReport(w.partnerB, w.forCust, w.forAsset)
	w.ownSchedule, w.otherSchedule, w.forSchedule = e.addSchedule(w.partnerA, w.ownCust), e.addSchedule(w.partnerA, w.otherCust), e.addSchedule(w.partnerB, w.forCust)
	return w
}

// addSchedule stores a weekly schedule of a customer (MON 09:00 UTC, light
// profile, all targets, enabled) straight into the store, without creating
// its trigger, and returns its ID.
func (e *mxEnv) addSchedule(partner, cid string) string {
	t := e.t
	t.Helper()
	sc := portal.Schedule{ID: e.ids.New(portal.PrefixSchedule), PartnerID: partner, TenantID: cid, Profile: scan.ProfileLight,
		AllTargets: true, Frequency: recurrence.Weekly, DayOfWeek: "MON", StartTime: "09:00", Timezone: "UTC", Enabled: true,
		CreatedBy: "usr_00000000000000000000000000", CreatedAt: mxNow, UpdatedAt: mxNow, Version: 1}
	mxMust(t, e.store.PutSchedule(context.Background(), tenancy.Scope{PartnerID: partner, TenantID: cid}, sc))
	return sc.ID
}

// addReport stores the report of a completed scan of a customer's asset
// (the scan itself is not stored) and returns its ID.
func (e *mxEnv) addReport(partner, cid, assetID string) string {
	t := e.t
	t.Helper()
	sc := portal.Scan{ID: e.ids.New(portal.PrefixScan), PartnerID: partner, TenantID: cid, Profile: scan.ProfileLight,
		AssetIDs: []string{assetID}, Status: portal.ScanCompleted, CreatedAt: mxNow, StartedAt: &mxNow, FinishedAt: &mxNow, Version: 3}
	r := portal.BuildReport(portal.ReportInput{Scan: sc, Now: mxNow})
	bodies, err := e.svc.Reports.Renderer.Render(r)
	mxMust(t, err)
	mxMust(t, e.svc.Reports.Store.PutReport(context.Background(), tenancy.Scope{PartnerID: partner, TenantID: cid}, r.Meta(), bodies))
	return r.ID
}

// addScan admits a queued scan of a customer's asset through the store, as
// ScanService.Create does under a license that counts no scans (it is not
// launched: it stays queued, so it can be cancelled), and returns its ID.
func (e *mxEnv) addScan(partner, cid, license, assetID string) string {
	t := e.t
	t.Helper()
	sc := portal.Scan{ID: e.ids.New(portal.PrefixScan), PartnerID: partner, TenantID: cid, Profile: scan.ProfileLight,
		AssetIDs: []string{assetID}, Trigger: portal.TriggerAPI, RequestedBy: "usr_00000000000000000000000000", Status: portal.ScanQueued,
		LicenseID: license, CreatedAt: mxNow, Version: 1}
	mxMust(t, e.store.AdmitScan(context.Background(), tenancy.Scope{PartnerID: partner, TenantID: cid}, sc, nil))
	return sc.ID
}

// addFinding stores an open finding of a customer's asset through the
// store, as a scan run's merge does (ID from the fingerprint), and returns
// its ID.
func (e *mxEnv) addFinding(partner, cid, assetID, scanID string) string {
	t := e.t
	t.Helper()
	sf := scan.Finding{CheckID: "http.hsts-missing", AssetID: assetID, Severity: scan.SeverityMedium, Title: "HSTS is not enforced",
		Evidence: "Strict-Transport-Security header absent"}
	fp := sf.Fingerprint()
	f := portal.Finding{ID: portal.FindingID(fp), Fingerprint: fp, PartnerID: partner, TenantID: cid, AssetID: assetID, CheckID: sf.CheckID,
		Severity: sf.Severity, Title: sf.Title, Detail: sf.Detail, Evidence: sf.Evidence, Status: portal.FindingOpen,
		FirstSeenAt: mxNow, LastSeenAt: mxNow, LastScanID: scanID, UpdatedAt: mxNow, Version: 1}
	mxMust(t, e.store.SaveFindings(context.Background(), tenancy.Scope{PartnerID: partner, TenantID: cid}, []portal.Finding{f}))
	return f.ID
}

// verifyAsset marks a fixture asset verified through the store, as a
// successful ownership check does.
func (e *mxEnv) verifyAsset(partner, cid, assetID string) {
	t := e.t
	t.Helper()
	ctx := context.Background()
	scope := tenancy.Scope{PartnerID: partner, TenantID: cid}
	a, err := e.store.GetAsset(ctx, scope, cid, assetID)
	mxMust(t, err)
	a.Verified, a.VerificationMethod, a.VerifiedAt, a.LastCheckAt, a.UpdatedAt = true, portal.OwnershipDNSTXT, &mxNow, &mxNow, mxNow
	a.Version++
	mxMust(t, e.store.UpdateAsset(ctx, scope, a))
}

// addAsset stores a new asset of a customer through the store, as
// AssetService.Add does (normalised value, ID from it, counter seen), and
// returns its ID.
func (e *mxEnv) addAsset(partner, cid string) string {
	t := e.t
	t.Helper()
	ctx := context.Background()
	norm, err := asset.Normalize(fmt.Sprintf("host-%d.example.com", e.next()), false, asset.Policy{})
	mxMust(t, err)
	scope := tenancy.Scope{PartnerID: partner, TenantID: cid}
	seen, err := e.store.AssetCounter(ctx, scope, cid)
	mxMust(t, err)
	a := portal.Asset{ID: portal.AssetID(norm.Value), PartnerID: partner, TenantID: cid, Value: norm.Value, Type: norm.Type, Host: norm.Host,
		RegisteredDomain: norm.RegisteredDomain, Tags: []string{}, Criticality: portal.CriticalityMedium,
		VerificationToken: strings.Repeat("m", 32), CreatedAt: mxNow, UpdatedAt: mxNow, Version: 1}
	out, err := e.store.AddAssets(ctx, scope, []portal.Asset{a}, seen)
	mxMust(t, err)
	if len(out.Existing) > 0 || out.CounterMoved {
		t.Fatalf("fixture asset %s of %s not stored: %+v", a.Value, cid, out)
	}
	return a.ID
}

// raiseAlert raises the 90% alert of a customer's per-asset license the
// way the usage stream does: it applies a change of the live asset counter
// whose new image holds 90% of the license.
func (e *mxEnv) raiseAlert(partner, cid string) string {
	t := e.t
	t.Helper()
	ctx := context.Background()
	scope := tenancy.Scope{PartnerID: partner, TenantID: cid}
	old, err := e.store.AssetCounter(ctx, scope, cid)
	mxMust(t, err)
	if old.LicenseID == "" || old.Model != portal.ModelPerAsset {
		t.Fatalf("the asset counter of %s follows no per-asset license: %+v", cid, old)
	}
	n := old
	n.Used, n.ChangedAt = old.Quantity*9/10, mxNow
	if _, err := e.store.ApplyCounterChange(ctx, fmt.Sprintf("matrix-%d", e.next()), portal.CounterChange{Old: &old, New: &n}, mxNow.Add(usagestream.MarkerTTL)); err != nil {
		t.Fatal(err)
	}
	alerts, _, err := e.store.ListAlerts(ctx, scope, portal.AlertQuery{PartnerID: partner, TenantID: cid, Limit: 10}, nil)
	mxMust(t, err)
	if len(alerts) != 1 || alerts[0].Threshold != 90 {
		t.Fatalf("alerts of %s = %+v, want the 90%% alert", cid, alerts)
	}
	return alerts[0].ID
}

// mxOwnership is the matrix's ownership checker: it finds no token.
type mxOwnership struct{}

func (mxOwnership) CheckOwnership(context.Context, asset.Asset, string) (portal.OwnershipCheck, error) {
	return portal.OwnershipCheck{Detail: "matrix: no token published"}, nil
}

// mxEngine is the matrix's scan engine: it dials nothing and reports one
// finding per target, every target's check having run.
type mxEngine struct{}

func (mxEngine) Run(_ context.Context, _ scan.Profile, targets []scan.Target) (scan.Result, error) {
	res := scan.Result{StartedAt: mxNow, FinishedAt: mxNow, Ran: map[string][]string{}}
	for _, tg := range targets {
		res.Findings = append(res.Findings, scan.Finding{CheckID: "http.server-disclosure", AssetID: tg.AssetID, Severity: scan.SeverityLow,
			Title: "The server names its software", Evidence: "Server: matrix/1"})
		res.Ran[tg.AssetID] = []string{"http.server-disclosure"}
	}
	return res, nil
}

// identity is what the authorizer passes for principal p.
func (w *mxWorld) identity(p mxPrincipal) tenancy.Identity {
	customer := func(user string, role tenancy.Role, tenant string, access portal.AccessLevel) tenancy.Identity {
		return tenancy.Identity{UserID: user, Role: role, PartnerID: w.partnerA, TenantID: tenant,
			TenantAccess: string(access), TenantStatus: string(portal.StatusActive)}
	}
	var id tenancy.Identity
	switch p {
	case mxSuper:
		id = tenancy.Identity{UserID: w.super, Role: tenancy.RoleSuperAdmin}
	case mxAdmin:
		id = tenancy.Identity{UserID: w.adminA, Role: tenancy.RolePartnerAdmin, PartnerID: w.partnerA}
	case mxOtherAdmin:
		id = tenancy.Identity{UserID: w.adminB, Role: tenancy.RolePartnerAdmin, PartnerID: w.partnerB}
	case mxMemberGranted:
		id = tenancy.Identity{UserID: w.memberG, Role: tenancy.RolePartnerMember, PartnerID: w.partnerA}
	case mxMemberNotGranted:
		id = tenancy.Identity{UserID: w.memberN, Role: tenancy.RolePartnerMember, PartnerID: w.partnerA}
	case mxCustAdminDisabled:
		id = customer(w.custAdmin, tenancy.RoleCustomerAdmin, w.ownCust, portal.AccessDisabled)
	case mxCustViewerDisabled:
		id = customer(w.custViewer, tenancy.RoleCustomerViewer, w.ownCust, portal.AccessDisabled)
	case mxCustAdminReadOnly:
		id = customer(w.custAdmin, tenancy.RoleCustomerAdmin, w.ownCust, portal.AccessReadOnly)
	case mxCustViewerReadOnly:
		id = customer(w.custViewer, tenancy.RoleCustomerViewer, w.ownCust, portal.AccessReadOnly)
	case mxCustAdminFull:
		id = customer(w.custAdmin, tenancy.RoleCustomerAdmin, w.ownCust, portal.AccessFull)
	case mxCustViewerFull:
		id = customer(w.custViewer, tenancy.RoleCustomerViewer, w.ownCust, portal.AccessFull)
	case mxOtherTenantAdmin:
		id = customer(w.otherTenantAdmin, tenancy.RoleCustomerAdmin, w.otherCust, portal.AccessFull)
	}
	id.KeyID = "key_" + strings.TrimPrefix(id.UserID, portal.PrefixUser)
	return id
}

// mxRequest is what one cell sends besides the route and the identity.
type mxRequest struct {
	params map[string]string
	query  map[string]string
	body   any
}

// mxCase is a row of the matrix: a declared route, or a variant of one.
type mxCase struct {
	key     string // the expectation table's key
	fn      string // the declared function serving the route
	route   app.Route
	objects bool // checked with own and foreign objects; otherwise once (mxNone)
	// bodyRef: the object is named in the body, where another
	// organisation's ID is 400 (API.md), not in the path.
	bodyRef bool
	req     func(e *mxEnv, w *mxWorld, p mxPrincipal, o mxObject) mxRequest
}

// pick returns own or foreign by the object.
func pick(o mxObject, own, foreign string) string {
	if o == mxForeign {
		return foreign
	}
	return own
}

// mxPathParam fills a path parameter with the object's ID.
func mxPathParam(w *mxWorld, name string, o mxObject) string {
	switch name {
	case "customerId":
		return pick(o, w.ownCust, w.forCust)
	case "licenseId":
		return pick(o, w.ownLic, w.forLic)
	case "userId":
		return pick(o, w.ownUser, w.forUser)
	case "keyId":
		return pick(o, w.ownKey, w.forKey)
	case "assetId":
		return pick(o, w.ownAsset, w.forAsset)
	case "alertId":
		return pick(o, w.ownAlert, w.forAlert)
	case "scanId":
		return pick(o, w.ownScan, w.forScan)
	case "findingId":
		return pick(o, w.ownFinding, w.forFinding)
	case "reportId":
		return pick(o, w.ownReport, w.forReport)
	case "scheduleId":
		return pick(o, w.ownSchedule, w.forSchedule)
	}
	return ""
}

// mxBodies are the bodies of the routes that take one: valid for the
// principal, so that authorization, not validation, decides.
var mxBodies = map[string]func(e *mxEnv, w *mxWorld, p mxPrincipal, o mxObject) any{
	"POST /v1/partners": func(e *mxEnv, _ *mxWorld, _ mxPrincipal, _ mxObject) any {
		return map[string]any{"name": "Partner New", "contactEmail": fmt.Sprintf("ops-%d@new-partner.example", e.next())}
	},
	"POST /v1/users": func(e *mxEnv, w *mxWorld, p mxPrincipal, _ mxObject) any {
		email := fmt.Sprintf("new-%d@people.example", e.next())
		switch id := w.identity(p); {
		case id.Role == tenancy.RoleSuperAdmin:
			return map[string]any{"email": email, "role": "partner_member", "partnerId": w.partnerA}
		case id.Role.IsPartnerRole():
			return map[string]any{"email": email, "role": "partner_member"}
		}
		return map[string]any{"email": email, "role": "customer_viewer"}
	},
	"POST /v1/users/{userId}/api-keys": func(*mxEnv, *mxWorld, mxPrincipal, mxObject) any { return map[string]any{"name": "matrix"} },
	// ownUser signs in (mxPrepare gave it mxPassword).
	"POST /v1/sessions": func(e *mxEnv, w *mxWorld, _ mxPrincipal, _ mxObject) any {
		u, err := e.store.GetUser(context.Background(), tenancy.Scope{}, w.ownUser)
		mxMust(e.t, err)
		return map[string]any{"email": u.Email, "password": mxPassword}
	},
	"PUT /v1/users/{userId}/grants": func(_ *mxEnv, w *mxWorld, _ mxPrincipal, o mxObject) any {
		return map[string]any{"customerIds": []string{pick(o, w.ownCust, w.forCust)}}
	},
	"POST /v1/customers": func(e *mxEnv, _ *mxWorld, _ mxPrincipal, _ mxObject) any {
		n := e.next()
		return map[string]any{"name": fmt.Sprintf("New Customer %d", n), "contactEmail": fmt.Sprintf("it-%d@new.example", n)}
	},
	"PATCH /v1/customers/{customerId}": func(*mxEnv, *mxWorld, mxPrincipal, mxObject) any {
		return map[string]any{"contactEmail": "security@changed.example"}
	},
	"PUT /v1/customers/{customerId}/access": func(*mxEnv, *mxWorld, mxPrincipal, mxObject) any { return map[string]any{"level": "read_only"} },
	"POST /v1/customers/{customerId}/licenses": func(*mxEnv, *mxWorld, mxPrincipal, mxObject) any {
		return map[string]any{"model": "per_scan", "quantity": 10, "endUserPrice": map[string]any{"amount": 10000, "currency": "EUR"}}
	},
	"PATCH /v1/customers/{customerId}/licenses/{licenseId}": func(*mxEnv, *mxWorld, mxPrincipal, mxObject) any {
		return map[string]any{"quantity": 60}
	},
	"PUT /v1/settings/pricing": func(*mxEnv, *mxWorld, mxPrincipal, mxObject) any {
		return map[string]any{"currency": "EUR", "unitCosts": map[string]any{
			"per_asset": map[string]int{"monthly": 200, "annual": 2000}, "per_scan": map[string]int{"monthly": 500, "annual": 5000},
			"unlimited": map[string]int{"monthly": 50000, "annual": 500000}}}
	},
	"POST /v1/prepaid": func(*mxEnv, *mxWorld, mxPrincipal, mxObject) any {
		return map[string]any{"model": "per_asset", "units": 10}
	},
	"POST /v1/customers/{customerId}/assets": func(e *mxEnv, _ *mxWorld, _ mxPrincipal, _ mxObject) any {
		n := e.next()
		return map[string]any{"assets": []any{fmt.Sprintf("new-%d.example.com", n), map[string]any{"value": fmt.Sprintf("https://api-%d.example.com/v1", n), "type": "api"}}}
	},
	"POST /v1/customers/{customerId}/scans": func(*mxEnv, *mxWorld, mxPrincipal, mxObject) any {
		return map[string]any{"profile": "light", "targets": "all"}
	},
	"PATCH /v1/customers/{customerId}/findings/{findingId}": func(e *mxEnv, _ *mxWorld, _ mxPrincipal, _ mxObject) any {
		return map[string]any{"status": "accepted_risk", "reason": fmt.Sprintf("matrix decision %d: the header is set by the CDN", e.next())}
	},
	// The body names the object's customer (own: ownCust, foreign: forCust).
	"POST /v1/schedules": func(_ *mxEnv, w *mxWorld, _ mxPrincipal, o mxObject) any {
		return map[string]any{"customerIds": []string{pick(o, w.ownCust, w.forCust)}, "profile": "light", "targets": "all",
			"frequency": "weekly", "dayOfWeek": "MON", "startTime": "09:00"}
	},
	"PATCH /v1/customers/{customerId}/schedules/{scheduleId}": func(*mxEnv, *mxWorld, mxPrincipal, mxObject) any {
		return map[string]any{"startTime": "10:30"}
	},
	"POST /v1/events/vulndb-updated": func(e *mxEnv, _ *mxWorld, _ mxPrincipal, _ mxObject) any {
		return map[string]any{"name": fmt.Sprintf("NVD %d", e.next())}
	},
}

// mxNamed are the routes without path parameters that name their object
// elsewhere: they are checked with own and foreign objects like routes
// with path parameters. The function, when there is one, gives a cell's
// query; POST /v1/schedules names its customers in the body (mxBodies).
var mxNamed = map[string]func(w *mxWorld, o mxObject) map[string]string{
	"GET /v1/schedules": func(w *mxWorld, o mxObject) map[string]string {
		return map[string]string{"customerId": pick(o, w.ownCust, w.forCust)}
	},
	"POST /v1/schedules": nil,
}

// mxPrepare changes a row's fresh world before its cells run, where the
// fixture alone would refuse every caller for another reason than who it is.
var mxPrepare = map[string]func(e *mxEnv, w *mxWorld){
	// Signing in needs a user with a password.
	"POST /v1/sessions": func(e *mxEnv, w *mxWorld) {
		ctx := context.Background()
		u, err := e.store.GetUser(ctx, tenancy.Scope{}, w.ownUser)
		mxMust(e.t, err)
		hash, err := portal.HashPassword(mxPassword)
		mxMust(e.t, err)
		mxMust(e.t, e.store.SetUserInvitation(ctx, u, "matrix", mxNow.Add(time.Hour)))
		mxMust(e.t, e.store.SetUserPassword(ctx, u, "matrix", hash, mxNow))
	},
	// A scan needs verified targets: without them every allowed caller gets
	// 409, and the row would not tell an admitted scan from a refused one.
	"POST /v1/customers/{customerId}/scans": func(e *mxEnv, w *mxWorld) {
		e.verifyAsset(w.partnerA, w.ownCust, w.ownAsset)
		e.verifyAsset(w.partnerA, w.otherCust, w.otherAsset)
		e.verifyAsset(w.partnerB, w.forCust, w.forAsset)
	},
}

// mxNoBody are the routes that change something and take no body.
var mxNoBody = map[string]bool{
	"POST /v1/users/{userId}/invitation":                      true,
	"POST /v1/customers/{customerId}/suspend":                 true,
	"POST /v1/customers/{customerId}/resume":                  true,
	"POST /v1/customers/{customerId}/assets/{assetId}/verify": true,
	"POST /v1/alerts/{alertId}/ack":                           true,
	"POST /v1/customers/{customerId}/scans/{scanId}/cancel":   true,
}

// mxFresh names, for routes that delete their object, a fresh one for each
// cell (stored as a fixture), so that the first principal allowed to delete
// does not decide the cells of the next ones.
var mxFresh = map[string]func(e *mxEnv, w *mxWorld, o mxObject) map[string]string{
	"DELETE /v1/customers/{customerId}/assets/{assetId}": func(e *mxEnv, w *mxWorld, o mxObject) map[string]string {
		if o == mxForeign {
			return map[string]string{"assetId": e.addAsset(w.partnerB, w.forCust)}
		}
		return map[string]string{"assetId": e.addAsset(w.partnerA, w.ownCust)}
	},
	"DELETE /v1/customers/{customerId}/schedules/{scheduleId}": func(e *mxEnv, w *mxWorld, o mxObject) map[string]string {
		if o == mxForeign {
			return map[string]string{"scheduleId": e.addSchedule(w.partnerB, w.forCust)}
		}
		return map[string]string{"scheduleId": e.addSchedule(w.partnerA, w.ownCust)}
	},
}

// mxVariants add rows for a route that names objects other than through
// its path, or names the caller itself.
var mxVariants = []struct {
	route, variant   string
	objects, bodyRef bool
	req              func(e *mxEnv, w *mxWorld, p mxPrincipal, o mxObject) mxRequest
}{
	{"POST /v1/users", "customerId", true, true, func(e *mxEnv, w *mxWorld, _ mxPrincipal, o mxObject) mxRequest {
		return mxRequest{body: map[string]any{"email": fmt.Sprintf("new-%d@people.example", e.next()), "role": "customer_viewer", "customerId": pick(o, w.ownCust, w.forCust)}}
	}},
	{"GET /v1/users", "customerId", true, false, func(_ *mxEnv, w *mxWorld, _ mxPrincipal, o mxObject) mxRequest {
		return mxRequest{query: map[string]string{"customerId": pick(o, w.ownCust, w.forCust)}}
	}},
	{"GET /v1/audit", "customerId", true, false, func(_ *mxEnv, w *mxWorld, _ mxPrincipal, o mxObject) mxRequest {
		return mxRequest{query: map[string]string{"customerId": pick(o, w.ownCust, w.forCust)}}
	}},
	{"GET /v1/alerts", "customerId", true, false, func(_ *mxEnv, w *mxWorld, _ mxPrincipal, o mxObject) mxRequest {
		return mxRequest{query: map[string]string{"customerId": pick(o, w.ownCust, w.forCust)}}
	}},
	{"POST /v1/users/{userId}/api-keys", "self", false, false, func(_ *mxEnv, w *mxWorld, p mxPrincipal, _ mxObject) mxRequest {
		return mxRequest{params: map[string]string{"userId": w.identity(p).UserID}, body: map[string]any{"name": "mine"}}
	}},
	{"POST /v1/users/{userId}/invitation", "self", false, false, func(_ *mxEnv, w *mxWorld, p mxPrincipal, _ mxObject) mxRequest {
		return mxRequest{params: map[string]string{"userId": w.identity(p).UserID}}
	}},
}

// mxCases generates the matrix's rows from the app declaration and checks
// that the expectation table covers exactly them.
func mxCases(t *testing.T) []mxCase {
	t.Helper()
	var cases []mxCase
	declared := map[string]bool{}
	for _, f := range app.Declaration().Functions {
		if f.Kind != app.KindHTTP || f.Pages { // the console's pages: internal/console
			continue
		}
		for _, r := range f.Routes {
			key := r.Key()
			declared[key] = true
			named, isNamed := mxNamed[key]
			c := mxCase{key: key, fn: f.Name, route: r, objects: strings.Contains(r.Path, "{") || isNamed}
			body, hasBody := mxBodies[key]
			if (r.Method == "POST" || r.Method == "PUT" || r.Method == "PATCH") && !hasBody && !mxNoBody[key] {
				t.Errorf("route %s takes a body and mxBodies has none for it", key)
			}
			c.req = func(e *mxEnv, w *mxWorld, p mxPrincipal, o mxObject) mxRequest {
				rq := mxRequest{params: map[string]string{}}
				for _, seg := range strings.Split(r.Path, "/") {
					if name, ok := strings.CutPrefix(seg, "{"); ok {
						name = strings.TrimSuffix(name, "}")
						rq.params[name] = mxPathParam(w, name, o)
						if key == "PUT /v1/users/{userId}/grants" && name == "userId" {
							rq.params[name] = pick(o, w.memberX, w.memberB)
						}
					}
				}
				if fresh, ok := mxFresh[key]; ok {
					for name, v := range fresh(e, w, o) {
						rq.params[name] = v
					}
				}
				if named != nil {
					rq.query = named(w, o)
				}
				if hasBody {
					rq.body = body(e, w, p, o)
				}
				return rq
			}
			cases = append(cases, c)
			for _, v := range mxVariants {
				if v.route != key {
					continue
				}
				cases = append(cases, mxCase{key: key + " [" + v.variant + "]", fn: f.Name, route: r, objects: v.objects, bodyRef: v.bodyRef, req: v.req})
			}
		}
	}
	for _, v := range mxVariants {
		if !declared[v.route] {
			t.Errorf("variant %q is of route %s, which is not declared", v.variant, v.route)
		}
	}
	for k := range mxPrepare {
		if !declared[k] {
			t.Errorf("mxPrepare has %s, which is no declared route", k)
		}
	}
	for k := range mxNamed {
		if !declared[k] {
			t.Errorf("mxNamed has %s, which is no declared route", k)
		}
	}
	keys := map[string]bool{}
	for _, c := range cases {
		keys[c.key] = true
		exp, ok := mxExpect[c.key]
		if !ok {
			t.Errorf("route %s is declared but missing from the expectation table mxExpect", c.key)
			continue
		}
		want := []mxObject{mxNone}
		if c.objects {
			want = []mxObject{mxForeign, mxOwn}
		}
		var got []mxObject
		for o := range exp {
			got = append(got, o)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("mxExpect[%s] has rows %v, want %v", c.key, got, want)
		}
	}
	for k := range mxExpect {
		if !keys[k] {
			t.Errorf("mxExpect has %s, which is no declared route (or variant)", k)
		}
	}
	return cases
}

// checkMxTable checks the table itself against the rule that a
// foreign object is 404: for every principal that reaches its own object
// on a route, the other partner's (or tenant's) object must be 404 (400 when
// the body names it), and no principal of partner A reaches B's objects.
func checkMxTable(t *testing.T, cases []mxCase) {
	t.Helper()
	for _, c := range cases {
		if !c.objects {
			continue
		}
		hidden := x404
		if c.bodyRef {
			hidden = x400
		}
		exp := mxExpect[c.key]
		for p := mxAdmin; p < mxPrincipals; p++ {
			mine, theirs := mxOwn, mxForeign
			if p == mxOtherAdmin {
				mine, theirs = mxForeign, mxOwn
			}
			if p == mxOtherTenantAdmin {
				// Both objects belong to other tenants: refused or hidden.
				for _, o := range []mxObject{mxOwn, mxForeign} {
					if e := exp[o][p]; e == xOK {
						t.Errorf("mxExpect[%s][%s][%s] = %s: another tenant's object", c.key, o, p, e)
					}
				}
				if exp[mxOwn][mxCustAdminFull] == xOK && exp[mxOwn][p] != hidden {
					t.Errorf("mxExpect[%s][own][%s] = %s, want %s: customer_admin@full reaches its own, so another tenant's must be hidden", c.key, p, exp[mxOwn][p], hidden)
				}
				continue
			}
			if exp[mine][p] == xOK && exp[theirs][p] != hidden {
				t.Errorf("mxExpect[%s][%s][%s] = %s, want %s: %s reaches its own object, so the other partner's must be hidden", c.key, theirs, p, exp[theirs][p], hidden, p)
			}
			if exp[theirs][p] == xOK {
				t.Errorf("mxExpect[%s][%s][%s] = 2xx: another partner's object", c.key, theirs, p)
			}
		}
	}
}

// mxVisible are, for list routes, the IDs a principal's 2xx answer must
// list: exactly these, so that a list that leaks another tenant's items (or
// hides the caller's own) fails although its status is right.
var mxVisible = map[string]func(w *mxWorld, p mxPrincipal, o mxObject) []string{
	"GET /v1/alerts": func(w *mxWorld, p mxPrincipal, _ mxObject) []string {
		switch p {
		case mxAdmin:
			return []string{w.ownAlert, w.otherAlert}
		case mxOtherAdmin:
			return []string{w.forAlert}
		case mxMemberNotGranted:
			return nil
		case mxOtherTenantAdmin:
			return []string{w.otherAlert}
		}
		return []string{w.ownAlert} // the granted member, ownCust's users
	},
	"GET /v1/alerts [customerId]": func(w *mxWorld, _ mxPrincipal, o mxObject) []string {
		return []string{pick(o, w.ownAlert, w.forAlert)}
	},
	"GET /v1/customers/{customerId}/assets": func(w *mxWorld, _ mxPrincipal, o mxObject) []string {
		return []string{pick(o, w.ownAsset, w.forAsset)}
	},
	"GET /v1/customers/{customerId}/scans": func(w *mxWorld, _ mxPrincipal, o mxObject) []string {
		return []string{pick(o, w.ownScan, w.forScan)}
	},
	"GET /v1/customers/{customerId}/findings": func(w *mxWorld, _ mxPrincipal, o mxObject) []string {
		return []string{pick(o, w.ownFinding, w.forFinding)}
	},
	"GET /v1/customers/{customerId}/reports": func(w *mxWorld, _ mxPrincipal, o mxObject) []string {
		return []string{pick(o, w.ownReport, w.forReport)}
	},
	"GET /v1/schedules": func(w *mxWorld, _ mxPrincipal, o mxObject) []string {
		return []string{pick(o, w.ownSchedule, w.forSchedule)}
	},
}

// mxCell is one checked cell.
type mxCell struct {
	key    string
	p      mxPrincipal
	o      mxObject
	status int
	body   string
	// visible: the IDs a 2xx answer must list (mxVisible), when checked.
	visible      []string
	checkVisible bool
}

// listedIDs returns the sorted "id"s of the items of a list answer.
func listedIDs(body string) []string {
	var l struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	json.Unmarshal([]byte(body), &l)
	ids := []string{}
	for _, it := range l.Items {
		ids = append(ids, it.ID)
	}
	slices.Sort(ids)
	return ids
}

// label names a cell in reports and isolation violations.
func (c mxCell) label() string { return fmt.Sprintf("%s × %s × %s", c.key, c.p, c.o) }

// runMatrix runs every cell: for each row a fresh fixture, then every
// principal on the own object and the foreign one (or once).
func runMatrix(t *testing.T, e *mxEnv, cases []mxCase) []mxCell {
	t.Helper()
	var cells []mxCell
	for _, c := range cases {
		w := e.newWorld(t)
		if prepare, ok := mxPrepare[c.key]; ok {
			prepare(e, w)
		}
		objects := []mxObject{mxNone}
		if c.objects {
			objects = []mxObject{mxOwn, mxForeign}
		}
		for p := mxPrincipal(0); p < mxPrincipals; p++ {
			for _, o := range objects {
				cell := mxCell{key: c.key, p: p, o: o}
				if visible, ok := mxVisible[c.key]; ok {
					cell.visible, cell.checkVisible = append([]string{}, visible(w, p, o)...), true
					slices.Sort(cell.visible)
				}
				res := e.serve(t, c, w, p, o, cell.label())
				cell.status, cell.body = res.StatusCode, res.Body
				cells = append(cells, cell)
			}
		}
	}
	return cells
}

// serve replays one cell through the handler of the route's function, as API
// Gateway would after the authorizer passed the principal's identity.
func (e *mxEnv) serve(t *testing.T, c mxCase, w *mxWorld, p mxPrincipal, o mxObject, label string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	rq := c.req(e, w, p, o)
	method, path := c.route.Method, c.route.Path
	if path == app.DefaultRoute {
		method, path = "GET", "/v1/no-such-route"
	} else {
		for name, v := range rq.params {
			path = strings.ReplaceAll(path, "{"+name+"}", v)
		}
		m, ok, _ := app.Declaration().Resolve(method, path)
		if !ok || m.Route.Key() != c.route.Key() {
			t.Fatalf("%s: %s %s does not resolve to its route", label, method, path)
		}
	}
	var body string
	if rq.body != nil {
		b, err := json.Marshal(rq.body)
		if err != nil {
			t.Fatal(err)
		}
		body = string(b)
	}
	id := w.identity(p)
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: c.route.Key(), RawPath: path, PathParameters: rq.params, QueryStringParameters: rq.query,
		Headers: map[string]string{"content-type": "application/json"}, Body: body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: c.route.Key(), RequestID: fmt.Sprintf("matrix-%d", e.next()),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path},
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: map[string]any{
				"userId": id.UserID, "role": string(id.Role), "partnerId": id.PartnerID, "tenantId": id.TenantID,
				"keyId": id.KeyID, "tenantAccess": id.TenantAccess, "tenantStatus": id.TenantStatus,
			}},
		},
	}
	res, err := e.handlers[c.fn].Handle(isolation.WithLabel(context.Background(), label), ev)
	if err != nil {
		t.Fatalf("%s: %v", label, err)
	}
	return res
}

// problemDetail returns the detail of a problem document, or the body.
func problemDetail(body string) string {
	var p struct {
		Detail string `json:"detail"`
		Errors []struct {
			Field, Reason string
		} `json:"errors"`
	}
	if json.Unmarshal([]byte(body), &p) != nil || p.Detail == "" {
		if len(body) > 120 {
			return body[:120] + "…"
		}
		return body
	}
	for _, e := range p.Errors {
		p.Detail += "; " + e.Field + " " + e.Reason
	}
	return p.Detail
}

func TestAuthorizationMatrix(t *testing.T) {
	start := time.Now()
	cases := mxCases(t)
	checkMxTable(t, cases)
	if t.Failed() {
		t.FailNow()
	}
	e := newMxEnv(t, false)
	cells := runMatrix(t, e, cases)

	var unexpected2xx, wrong, listed []string
	for _, c := range cells {
		want := mxExpect[c.key][c.o][c.p]
		if want.matches(c.status) {
			if got := listedIDs(c.body); c.checkVisible && c.status/100 == 2 && !slices.Equal(got, c.visible) {
				listed = append(listed, fmt.Sprintf("%s: lists %v, want %v", c.label(), got, c.visible))
			}
			continue
		}
		line := fmt.Sprintf("%s: got %d, want %s (%s)", c.label(), c.status, want, problemDetail(c.body))
		if c.status >= 200 && c.status < 300 {
			unexpected2xx = append(unexpected2xx, line)
		} else {
			wrong = append(wrong, line)
		}
	}
	if len(unexpected2xx) > 0 {
		t.Errorf("%d cells answered 2xx where the table does not allow it:\n  %s", len(unexpected2xx), strings.Join(unexpected2xx, "\n  "))
	}
	if len(wrong) > 0 {
		t.Errorf("%d cells answered another refusal than the table says:\n  %s", len(wrong), strings.Join(wrong, "\n  "))
	}
	if len(listed) > 0 {
		t.Errorf("%d list answers hold other items than the principal may see:\n  %s", len(listed), strings.Join(listed, "\n  "))
	}
	t.Logf("authorization matrix: %d cells checked in %s", len(cells), time.Since(start).Round(time.Millisecond))
	fmt.Printf("authorization matrix: %d cells checked\n", len(cells))
}

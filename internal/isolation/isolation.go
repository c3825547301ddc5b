// Package isolation checks, in tests, that every DynamoDB request made while
// serving a request stays in partitions the caller may reach (issue 4,
// DESIGN.md §2 "Tenant isolation"). A Checker is an aws-sdk-go-v2 middleware:
//
//	checker := isolation.New(isolation.TableOracle(client, table))
//	store := dynamo.New(dynamodb.New(client.Options(), checker.Attach), table)
//	... serve requests ...
//	checker.Fail(t)
//
// For every operation whose context carries an identity (tenancy.FromContext)
// it reads the keys, items and key conditions of the input, classifies their
// partitions (ParsePartition) and decides each access by Rules. Operations
// without an identity (fixture setup, the authorizer) are not checked.
//
// It is the test-time stand-in for what IAM dynamodb:LeadingKeys would
// enforce with tenant-scoped credentials: an access it reports would be an
// AccessDenied there, whatever the service did with the item afterwards.
package isolation

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/tenancy"
)

// Violation is an access outside the caller's reach.
type Violation struct {
	Label  string // what the test was doing (WithLabel), if it said
	Caller tenancy.Identity
	Access Access // zero for operations the checker could not read
	Reason string
}

func (v Violation) String() string {
	who := string(v.Caller.Role) + " " + v.Caller.UserID
	switch {
	case v.Caller.TenantID != "":
		who += " (tenant " + v.Caller.TenantID + ", partner " + v.Caller.PartnerID + ", access " + v.Caller.TenantAccess + ")"
	case v.Caller.PartnerID != "":
		who += " (partner " + v.Caller.PartnerID + ")"
	}
	s := who + ": "
	if v.Access.Operation != "" {
		s += v.Access.Mode.String() + " " + v.Access.String() + ": "
	}
	s += v.Reason
	if v.Label != "" {
		s = v.Label + ": " + s
	}
	return s
}

// Checker records the DynamoDB accesses of identified callers that Rules do
// not allow. Safe for concurrent use.
type Checker struct {
	oracle Oracle

	mu         sync.Mutex
	checked    int
	violations []Violation
	global     map[string]int // global lookup accesses by non-super callers, by description
}

// New returns a checker that asks oracle who owns what.
func New(oracle Oracle) *Checker { return &Checker{oracle: oracle, global: map[string]int{}} }

// Attach adds the checker to a DynamoDB client's options, for dynamodb.New
// or as an option function of a single call. dynamo.New keeps it (it copies
// the client's options).
func (c *Checker) Attach(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("PortalIsolationCheck",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if id, ok := tenancy.FromContext(ctx); ok {
					c.check(ctx, id, middleware.GetOperationName(ctx), in.Parameters)
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	})
}

type labelKey struct{}

// WithLabel returns a context whose checked operations are reported with
// label (say, the route and the principal), to tell violations apart.
func WithLabel(ctx context.Context, label string) context.Context {
	return context.WithValue(ctx, labelKey{}, label)
}

// Checked returns how many identified operations the checker has seen.
func (c *Checker) Checked() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.checked
}

// Violations returns the violations recorded so far, in order.
func (c *Checker) Violations() []Violation {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.violations)
}

// Global returns, by description ("partner_admin GetItem APIKEY#"), how
// often callers other than super admins reached global lookup items
// (Kind.Global): allowed, but not scoped to their organisation.
func (c *Checker) Global() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.global))
	for k, v := range c.global {
		out[k] = v
	}
	return out
}

// GlobalSummary returns Global as sorted lines "description ×count".
func (c *Checker) GlobalSummary() []string {
	var lines []string
	for k, n := range c.Global() {
		lines = append(lines, fmt.Sprintf("%s ×%d", k, n))
	}
	sort.Strings(lines)
	return lines
}

// Reset forgets everything recorded.
func (c *Checker) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checked, c.violations, c.global = 0, nil, map[string]int{}
}

// Fail fails t, listing every distinct violation, when there are any.
func (c *Checker) Fail(t testing.TB) {
	t.Helper()
	vs := c.Violations()
	if len(vs) == 0 {
		return
	}
	seen := map[string]int{}
	var lines []string
	for _, v := range vs {
		s := v.String()
		if seen[s] == 0 {
			lines = append(lines, s)
		}
		seen[s]++
	}
	for i, l := range lines {
		if n := seen[l]; n > 1 {
			lines[i] = fmt.Sprintf("%s (×%d)", l, n)
		}
	}
	t.Errorf("%d DynamoDB accesses outside the caller's reach (%d distinct):\n  %s", len(vs), len(lines), strings.Join(lines, "\n  "))
}

// call is one operation being checked.
type call struct {
	id     tenancy.Identity
	oracle Oracle
}

func (c *Checker) check(ctx context.Context, id tenancy.Identity, op string, input any) {
	label, _ := ctx.Value(labelKey{}).(string)
	list, problems := accesses(op, input)
	cl := &call{id: id, oracle: c.oracle}
	var vs []Violation
	for _, p := range problems {
		vs = append(vs, Violation{Label: label, Caller: id, Reason: p})
	}
	var globals []string
	for _, a := range list {
		if reason := decide(cl, a); reason != "" {
			vs = append(vs, Violation{Label: label, Caller: id, Access: a, Reason: reason})
		}
		if reason := indexEntry(cl, a); reason != "" {
			vs = append(vs, Violation{Label: label, Caller: id, Access: a, Reason: reason})
		}
		if a.Partition.Kind.Global() && id.Role != tenancy.RoleSuperAdmin {
			globals = append(globals, fmt.Sprintf("%s %s %s %s", id.Role, a.Mode, a.Operation, a.Partition.Kind))
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checked++
	c.violations = append(c.violations, vs...)
	for _, g := range globals {
		c.global[g]++
	}
}

// decide returns why a is outside the caller's reach, or "" if a rule allows it.
func decide(c *call, a Access) string {
	id, p := c.id, a.Partition
	if p.Kind == KindUnknown {
		return fmt.Sprintf("%q is no known kind of partition (add it to isolation.ParsePartition and Rules)", p.Raw)
	}
	if p.Kind != KindIdempotency {
		switch {
		case shutOut(id):
			return "a customer user whose portal access is disabled, or whose tenant is suspended or archived, reaches nothing"
		case a.Mode&Write != 0 && !mayWrite(id):
			return "customer users write only as customer_admin under full access"
		}
	}
	for _, r := range Rules {
		if r.Kind != p.Kind || !slices.Contains(r.Roles, id.Role) || a.Mode&^r.Mode != 0 {
			continue
		}
		if r.SK != nil && (a.Index != "" || !strings.HasPrefix(a.SK, r.SK(id))) {
			continue
		}
		if r.When(c, p) {
			return ""
		}
	}
	return "no rule lets " + string(id.Role) + " " + a.Mode.String() + " " + describe(c, p)
}

// describe names partition p from the caller's point of view.
func describe(c *call, p Partition) string {
	switch p.Kind {
	case KindTenant:
		switch {
		case p.Partner != c.id.PartnerID:
			return "the partition of tenant " + p.Tenant + " of another partner (" + p.Partner + ")"
		case c.id.Role.IsCustomerRole():
			return "the partition of another tenant (" + p.Tenant + ") of its partner"
		case c.id.Role == tenancy.RolePartnerMember:
			return "the partition of tenant " + p.Tenant + ", not granted to it"
		}
		return "the partition of tenant " + p.Tenant
	case KindPartner, KindPartnerIndex:
		if p.Partner != c.id.PartnerID {
			return "partition " + p.Raw + " of another partner"
		}
	}
	return "partition " + p.Raw
}

// indexEntry checks the index entry a Put writes: an item's GSIPK must
// place it in a list of the organisation that owns the item's partition, so
// that no write can slip an item into another partner's or tenant's list.
func indexEntry(c *call, a Access) string {
	gsipk := s(a.Item[app.AttrGSIPK])
	if a.Item == nil || gsipk == "" {
		return ""
	}
	ix, base := ParsePartition(gsipk), a.Partition
	// An operator's changes are listed in the platform's audit log, wherever they live.
	operatorAudit := ix.Kind == KindAuditIndex && ix.Platform && c.id.Role == tenancy.RoleSuperAdmin
	ok := false
	switch base.Kind {
	case KindTenant:
		ok = ix.Kind == KindUserList && ix.Tenant == base.Tenant && ix.Partner == base.Partner ||
			ix.Kind == KindTenant && ix.Raw == base.Raw || // the tenant's own lists (its assets by value)
			(ix.Kind == KindPartnerIndex || ix.Kind == KindAuditIndex) && ix.Partner == base.Partner ||
			operatorAudit
	case KindPartner:
		ok = (ix.Kind == KindUserList || ix.Kind == KindAuditIndex) && ix.Partner == base.Partner || operatorAudit
	case KindPlatform:
		ok = (ix.Kind == KindUserList || ix.Kind == KindAuditIndex) && ix.Platform
	}
	if ok {
		return ""
	}
	return fmt.Sprintf("the item's index entry GSIPK %s is not a list of the organisation that owns %s", gsipk, base.Raw)
}

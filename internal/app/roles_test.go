package app_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/partnerportal/portal/internal/app"
)

// role returns the role with the given logical ID.
func role(t *testing.T, a app.App, id string) app.Role {
	t.Helper()
	for _, r := range a.Roles() {
		if r.LogicalID == id {
			return r
		}
	}
	t.Fatalf("no role %s", id)
	return app.Role{}
}

// actions lists every action the role allows, in order.
func actions(r app.Role) []string {
	var out []string
	for _, s := range r.Statements {
		out = append(out, s.Actions...)
	}
	return out
}

func TestEveryFunctionHasItsOwnRoleTrustedOnlyByLambda(t *testing.T) {
	a := app.Declaration()
	for _, f := range a.Functions {
		r := role(t, a, app.RoleLogicalID(f.Name))
		if r.Service != "lambda.amazonaws.com" || r.TrustedFunctions != nil || !slices.Equal(r.TrustActions, []string{"sts:AssumeRole"}) {
			t.Errorf("role of %s is assumed by %q %v with %v, want lambda.amazonaws.com with sts:AssumeRole", f.Name, r.Service, r.TrustedFunctions, r.TrustActions)
		}
		first := r.Statements[0]
		if !slices.Equal(first.Actions, []string{"logs:CreateLogStream", "logs:PutLogEvents"}) || first.Resources[0] != (app.Resource{Kind: app.ResourceLogGroup, Function: f.Name}) {
			t.Errorf("%s: first statement %+v, want writing its own log group", f.Name, first)
		}
	}
}

func TestFunctionRolesAllowExactlyWhatTheDeclarationSaysTheyDo(t *testing.T) {
	a := app.Declaration()
	for fn, want := range map[string][]string{
		// No table, no events, no scheduler: only its own logs.
		"fallback": {"logs:CreateLogStream", "logs:PutLogEvents"},
		// Reads keys and customers, stamps a key's last use.
		"authorizer": {"logs:CreateLogStream", "logs:PutLogEvents", app.ActionGetItem, app.ActionUpdateItem},
		// Reads the audit log only.
		"audit": {"logs:CreateLogStream", "logs:PutLogEvents", app.ActionGetItem, app.ActionBatchGetItem, app.ActionQuery, app.ActionQuery, "sts:AssumeRole", "sts:TagSession"},
		"usage": {"logs:CreateLogStream", "logs:PutLogEvents",
			app.ActionGetItem, app.ActionBatchGetItem, app.ActionQuery, app.ActionPutItem, app.ActionUpdateItem, app.ActionDeleteItem, app.ActionQuery,
			"sts:AssumeRole", "sts:TagSession"},
		"scan-run": {"logs:CreateLogStream", "logs:PutLogEvents",
			app.ActionGetItem, app.ActionBatchGetItem, app.ActionQuery, app.ActionPutItem, app.ActionUpdateItem, app.ActionDeleteItem, app.ActionQuery,
			"sqs:SendMessage", "s3:GetObject", "s3:PutObject"},
		"usage-stream": {"logs:CreateLogStream", "logs:PutLogEvents",
			app.ActionGetItem, app.ActionBatchGetItem, app.ActionQuery, app.ActionPutItem, app.ActionUpdateItem, app.ActionDeleteItem, app.ActionQuery,
			"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams",
			"sqs:SendMessage", "events:PutEvents"},
	} {
		if got := actions(role(t, a, app.RoleLogicalID(fn))); !slices.Equal(got, want) {
			t.Errorf("%s may\n %v\nwant\n %v", fn, got, want)
		}
	}
}

func TestOnlyFunctionsThatManageSchedulesTouchTheScheduler(t *testing.T) {
	a := app.Declaration()
	for _, f := range a.Functions {
		r := role(t, a, app.RoleLogicalID(f.Name))
		touches := slices.ContainsFunc(actions(r), func(act string) bool {
			return strings.HasPrefix(act, "scheduler:") || act == "iam:PassRole"
		})
		if touches != f.ManagesSchedules {
			t.Errorf("%s touches the scheduler: %v, manages schedules: %v", f.Name, touches, f.ManagesSchedules)
		}
		if f.ManagesSchedules && !r.Allows("iam:PassRole", app.ResourceSchedulerRole) {
			t.Errorf("%s manages schedules but may not pass them the Scheduler role", f.Name)
		}
	}
	for _, fn := range []string{"customers", "usage", "audit", "licenses", "assets", "scans", "scan-run", "usage-stream", "fallback"} {
		if role(t, a, app.RoleLogicalID(fn)).Allows("scheduler:CreateSchedule", app.ResourceSchedules) {
			t.Errorf("%s may create schedules", fn)
		}
	}
}

func TestNoFunctionMayDoEverythingAnywhere(t *testing.T) {
	a := app.Declaration()
	for _, r := range a.Roles() {
		for _, s := range r.Statements {
			for _, act := range s.Actions {
				if strings.Contains(act, "*") {
					t.Errorf("role %s allows the wildcard action %s", r.LogicalID, act)
				}
			}
			for _, res := range s.Resources {
				// Only ListStreams, which has no resource-level permissions, is granted on every resource.
				if res.Kind == app.ResourceAll && !slices.Equal(s.Actions, []string{"dynamodb:ListStreams"}) {
					t.Errorf("role %s allows %v on every resource", r.LogicalID, s.Actions)
				}
			}
		}
	}
}

func TestSchedulerMayOnlyInvokeTheTargetAndKeepItsFailedFires(t *testing.T) {
	a := app.Declaration()
	r := role(t, a, app.SchedulerRoleLogicalID)
	want := []app.Statement{
		{Actions: []string{"lambda:InvokeFunction"}, Resources: []app.Resource{{Kind: app.ResourceFunction, Function: "scan-dispatch"}}},
		{Actions: []string{"sqs:SendMessage"}, Resources: []app.Resource{{Kind: app.ResourceFailureQueue, Function: "scan-dispatch"}}},
	}
	if r.Service != "scheduler.amazonaws.com" || len(r.Statements) != len(want) {
		t.Fatalf("Scheduler role = %+v", r)
	}
	for i := range want {
		if !slices.Equal(r.Statements[i].Actions, want[i].Actions) || !slices.Equal(r.Statements[i].Resources, want[i].Resources) {
			t.Errorf("statement %d = %+v, want %+v", i, r.Statements[i], want[i])
		}
	}
	if c := r.TrustConditions; len(c) != 1 || c[0].Key != "aws:SourceAccount" || c[0].Values[0] != app.AccountID {
		t.Errorf("Scheduler role trust conditions = %+v, want schedules of this account only", c)
	}
}

func TestTenantRoleIsAssumedOnlyByTheAPIFunctionsAndConfinedToTheTenantsPartition(t *testing.T) {
	a := app.Declaration()
	r := role(t, a, app.TenantRoleLogicalID)
	var want []string
	for _, f := range a.Functions {
		if f.Kind == app.KindHTTP && len(f.TableActions) > 0 {
			want = append(want, f.Name)
		}
		may := role(t, a, app.RoleLogicalID(f.Name)).Allows("sts:AssumeRole", app.ResourceTenantRole)
		if may != f.UsesTenantRole() {
			t.Errorf("%s may assume the tenant role: %v, uses it: %v", f.Name, may, f.UsesTenantRole())
		}
	}
	if r.Service != "" || !slices.Equal(r.TrustedFunctions, want) {
		t.Fatalf("tenant role trusted by service %q and functions %v, want only %v", r.Service, r.TrustedFunctions, want)
	}
	if slices.Contains(r.TrustedFunctions, "authorizer") || slices.Contains(r.TrustedFunctions, "fallback") {
		t.Fatal("the authorizer or fallback may assume the tenant role")
	}
	if !slices.Equal(r.TrustActions, []string{"sts:AssumeRole", "sts:TagSession"}) {
		t.Errorf("trust actions %v, want AssumeRole with session tags", r.TrustActions)
	}
	tags := map[string]string{}
	for _, c := range r.TrustConditions {
		tags[c.Operator+" "+c.Key] = strings.Join(c.Values, ",")
	}
	if tags["StringLike aws:RequestTag/tenant"] != "cus_*" || tags["ForAllValues:StringEquals aws:TagKeys"] != "tenant" {
		t.Errorf("trust conditions %v, want exactly one session tag, tenant, naming a customer", tags)
	}
	if len(r.Statements) != 1 {
		t.Fatalf("tenant role statements %+v, want one", r.Statements)
	}
	st := r.Statements[0]
	if !slices.Equal(st.Resources, []app.Resource{{Kind: app.ResourceTable}}) {
		t.Errorf("tenant role reaches %v, want the table only (not its partner-wide indexes)", st.Resources)
	}
	cond := map[string]string{}
	for _, c := range st.Conditions {
		cond[c.Operator+" "+c.Key] = strings.Join(c.Values, ",")
	}
	if cond["ForAllValues:StringLike dynamodb:LeadingKeys"] != "TENANT#prt_*#${aws:PrincipalTag/tenant}" || cond["Null dynamodb:LeadingKeys"] != "false" {
		t.Errorf("tenant role conditions %v, want leading keys of the session's tenant partition only", cond)
	}
	if slices.ContainsFunc(st.Actions, func(a string) bool { return a == "dynamodb:Scan" || strings.HasPrefix(a, "dynamodb:Describe") }) {
		t.Errorf("tenant role may %v; a Scan has no leading keys", st.Actions)
	}
}

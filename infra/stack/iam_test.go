package stack_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/partnerportal/portal/internal/app"
)

const (
	roleType   = "AWS::IAM::Role"
	policyType = "AWS::IAM::Policy"
)

// statements returns the statements of the policy of the role with the
// given logical ID.
func statements(t *testing.T, s synthesized, role string) []map[string]any {
	t.Helper()
	doc := s.props(t, app.RolePolicyLogicalID(role), policyType)["PolicyDocument"].(map[string]any)
	var out []map[string]any
	for _, st := range list(doc["Statement"]) {
		out = append(out, st.(map[string]any))
	}
	return out
}

// actions returns every action the policy of the role allows.
func actions(t *testing.T, role string) []string {
	t.Helper()
	var out []string
	for _, st := range statements(t, dev, role) {
		for _, a := range list(st["Action"]) {
			out = append(out, a.(string))
		}
	}
	return out
}

func TestTheDeclaredRolesAreTheOnlyRolesAndEachHasOnlyItsOneSeparatePolicy(t *testing.T) {
	roles := app.Declaration().Roles()
	check(t, func() {
		dev.template.ResourceCountIs(jsii.String(roleType), jsii.Number(len(roles)))
		dev.template.ResourceCountIs(jsii.String(policyType), jsii.Number(len(roles)))
		dev.template.ResourceCountIs(jsii.String("AWS::IAM::ManagedPolicy"), jsii.Number(0))
		dev.template.AllResourcesProperties(jsii.String(roleType), map[string]any{
			"ManagedPolicyArns": assertions.Match_Absent(),
			"Policies":          assertions.Match_Absent(),
		})
	})
	for _, r := range roles {
		dev.resource(t, r.LogicalID, roleType)
		id := app.RolePolicyLogicalID(r.LogicalID)
		p := dev.props(t, id, policyType)
		if !same(p["PolicyName"], id) || !same(p["Roles"], []any{ref(r.LogicalID)}) {
			t.Errorf("%s: name %s, roles %s; want %s attached to %s only", id, show(p["PolicyName"]), show(p["Roles"]), id, r.LogicalID)
		}
	}
}

func TestRolesAllowExactlyTheDeclaredStatements(t *testing.T) {
	for _, r := range app.Declaration().Roles() {
		t.Run(r.LogicalID, func(t *testing.T) {
			got := statements(t, dev, r.LogicalID)
			if len(got) != len(r.Statements) {
				t.Fatalf("%d statements, want %d:\n got %s", len(got), len(r.Statements), show(got))
			}
			for i, want := range r.Statements {
				st := got[i]
				var resources []any
				for _, res := range want.Resources {
					resources = append(resources, wantARN(t, res))
				}
				if st["Effect"] != "Allow" || !same(list(st["Action"]), want.Actions) || !same(list(st["Resource"]), resources) ||
					!same(st["Condition"], wantConditions(want.Conditions)) {
					t.Errorf("statement %d\n got %s\nwant Allow %v on %s if %s", i, show(st), want.Actions, show(resources), show(wantConditions(want.Conditions)))
				}
				elements := 3 // Effect, Action, Resource
				if len(want.Conditions) > 0 {
					elements++
				}
				if len(st) != elements {
					t.Errorf("statement %d has other elements than Effect, Action, Resource and Condition: %s", i, show(st))
				}
			}
		})
	}
}

func TestRolesTrustWhomTheDeclarationSays(t *testing.T) {
	for _, r := range app.Declaration().Roles() {
		t.Run(r.LogicalID, func(t *testing.T) {
			principal := map[string]any{"Service": r.Service}
			if r.Service == "" {
				var roles []any
				for _, fn := range r.TrustedFunctions {
					roles = append(roles, getAtt(app.RoleLogicalID(fn), "Arn"))
				}
				principal = map[string]any{"AWS": roles}
			}
			doc := dev.props(t, r.LogicalID, roleType)["AssumeRolePolicyDocument"].(map[string]any)
			trust := list(doc["Statement"])
			if len(trust) != 1 {
				t.Fatalf("trust policy %s, want one statement", show(doc))
			}
			st := trust[0].(map[string]any)
			if st["Effect"] != "Allow" || !same(st["Principal"], principal) || !same(list(st["Action"]), r.TrustActions) ||
				!same(st["Condition"], wantConditions(r.TrustConditions)) {
				t.Errorf("trust\n got %s\nwant Allow %s %v if %s", show(st), show(principal), r.TrustActions, show(wantConditions(r.TrustConditions)))
			}
		})
	}
}

func TestTenantRoleIsTrustedOnlyByFunctionRolesAndConfinedToTheTenantsLeadingKeys(t *testing.T) {
	a := app.Declaration()
	var users []any
	for _, f := range a.Functions {
		if f.Kind == app.KindHTTP && len(f.TableActions) > 0 {
			users = append(users, getAtt(app.RoleLogicalID(f.Name), "Arn"))
		}
	}
	check(t, func() {
		dev.template.HasResourceProperties(jsii.String(roleType), map[string]any{
			"AssumeRolePolicyDocument": map[string]any{"Statement": []any{map[string]any{
				"Effect":    "Allow",
				"Principal": assertions.Match_ObjectEquals(&map[string]any{"AWS": users}),
				"Action":    []string{"sts:AssumeRole", "sts:TagSession"},
				"Condition": assertions.Match_ObjectEquals(&map[string]any{
					"StringLike":                map[string]any{"aws:RequestTag/tenant": "cus_*"},
					"ForAllValues:StringEquals": map[string]any{"aws:TagKeys": "tenant"},
				}),
			}}},
		})
	})
	got := statements(t, dev, app.TenantRoleLogicalID)
	want := []any{map[string]any{
		"Effect":   "Allow",
		"Action":   app.TableReadWrite,
		"Resource": getAtt("Table", "Arn"),
		"Condition": map[string]any{
			"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": "TENANT#prt_*#${aws:PrincipalTag/tenant}"},
			"Null":                    map[string]any{"dynamodb:LeadingKeys": "false"},
		},
	}}
	if !same(got, want) {
		t.Errorf("tenant role policy\n got %s\nwant %s", show(got), show(want))
	}
}

func TestOnlyFunctionsThatManageSchedulesCanTouchTheScheduler(t *testing.T) {
	var without []string
	for _, f := range app.Declaration().Functions {
		var scheduler []string
		for _, a := range actions(t, app.RoleLogicalID(f.Name)) {
			if strings.HasPrefix(a, "scheduler:") || a == "iam:PassRole" {
				scheduler = append(scheduler, a)
			}
		}
		if f.ManagesSchedules != (len(scheduler) > 0) {
			t.Errorf("%s (manages schedules: %v) may %v", f.Name, f.ManagesSchedules, scheduler)
		}
		if !f.ManagesSchedules {
			without = append(without, f.Name)
		}
	}
	// Those that plainly have nothing to do with schedules, named so that a
	// change to the declaration that gives them the Scheduler shows here.
	for _, name := range []string{"usage", "audit", "fallback"} {
		if !slices.Contains(without, name) {
			t.Errorf("%s can touch the Scheduler", name)
		}
	}
}

func TestTheSchedulerRoleMayOnlyInvokeTheTargetAndReportToItsFailureQueue(t *testing.T) {
	target := scheduleTarget(t)
	got := statements(t, dev, app.SchedulerRoleLogicalID)
	want := []any{
		map[string]any{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": wantARN(t, app.Resource{Kind: app.ResourceFunction, Function: target.Name})},
		map[string]any{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": getAtt(app.FailureQueueLogicalID(target.Name), "Arn")},
	}
	if !same(got, want) {
		t.Errorf("scheduler role policy\n got %s\nwant %s", show(got), show(want))
	}
}

func TestTheFallbackCanOnlyWriteItsLogs(t *testing.T) {
	got := statements(t, dev, app.RoleLogicalID("fallback"))
	want := []any{map[string]any{"Effect": "Allow", "Action": []string{"logs:CreateLogStream", "logs:PutLogEvents"}, "Resource": getAtt(app.LogGroupLogicalID("fallback"), "Arn")}}
	if !same(got, want) {
		t.Errorf("fallback role policy\n got %s\nwant %s", show(got), show(want))
	}
}

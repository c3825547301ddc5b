package stack_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/partnerportal/portal/infra/stack"
	"github.com/partnerportal/portal/internal/app"
)

// synthesized is one stage's stack as the tests read it: through the CDK
// assertions and as the template file the synthesis wrote.
type synthesized struct {
	template assertions.Template
	file     string         // the template in the cloud assembly
	json     map[string]any // the file, decoded
}

// Both stages are synthesized once, in one app, for every test (a
// synthesis takes seconds).
var (
	dev, prod synthesized
	// assemblyDir is the synthesized cloud assembly.
	assemblyDir string
)

func TestMain(m *testing.M) {
	code, err := synthesizeAndRun(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "infra/stack tests:", err)
		code = 1
	}
	os.Exit(code)
}

// synthesizeAndRun synthesizes both stages from a dist directory holding
// a bootstrap per function (its content the function's name) and runs the
// tests.
func synthesizeAndRun(m *testing.M) (int, error) {
	defer jsii.Close()
	tmp, err := os.MkdirTemp("", "infra-stack-test-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	dist := filepath.Join(tmp, "dist")
	for _, f := range app.Declaration().Functions {
		if err := os.MkdirAll(filepath.Join(dist, f.Name), 0o755); err != nil {
			return 0, err
		}
		if err := os.WriteFile(filepath.Join(dist, f.Name, "bootstrap"), []byte(f.Name), 0o755); err != nil {
			return 0, err
		}
	}
	cdkApp := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(filepath.Join(tmp, "cdk.out"))})
	devStack := stack.New(cdkApp, "partner-portal", stack.Props{Stage: stack.StageDev, DistDir: dist})
	prodStack := stack.New(cdkApp, "partner-portal-prod", stack.Props{Stage: stack.StageProd, DistDir: dist})
	assemblyDir = *cdkApp.Synth(nil).Directory()
	for _, s := range []struct {
		stack awscdk.Stack
		into  *synthesized
	}{{devStack, &dev}, {prodStack, &prod}} {
		file := filepath.Join(assemblyDir, *s.stack.TemplateFile())
		b, err := os.ReadFile(file)
		if err != nil {
			return 0, err
		}
		*s.into = synthesized{template: assertions.Template_FromStack(s.stack, nil), file: file}
		if err := json.Unmarshal(b, &s.into.json); err != nil {
			return 0, fmt.Errorf("%s: %w", file, err)
		}
	}
	return m.Run(), nil
}

// check runs a CDK assertion, which panics when it fails, as a test
// assertion.
func check(t *testing.T, assertion func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%v", r)
		}
	}()
	assertion()
}

// resources returns the resources of the given type by logical ID.
func (s synthesized) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.json["Resources"].(map[string]any) {
		if r := r.(map[string]any); r["Type"] == typ {
			out[id] = r
		}
	}
	return out
}

// resource returns the resource with the given logical ID and type.
func (s synthesized) resource(t *testing.T, id, typ string) map[string]any {
	t.Helper()
	r, ok := s.json["Resources"].(map[string]any)[id].(map[string]any)
	if !ok {
		t.Fatalf("no resource %s", id)
	}
	if r["Type"] != typ {
		t.Fatalf("resource %s has type %v, want %s", id, r["Type"], typ)
	}
	return r
}

// props returns the Properties of the resource with the given logical ID and type.
func (s synthesized) props(t *testing.T, id, typ string) map[string]any {
	t.Helper()
	p, _ := s.resource(t, id, typ)["Properties"].(map[string]any)
	return p
}

// same reports whether got and want are the same JSON value; want may
// use Go ints and typed slices and maps.
func same(got, want any) bool { return reflect.DeepEqual(asJSON(got), asJSON(want)) }

func asJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// decoded is a JSON object.
func decoded(t *testing.T, b []byte) *map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return &m
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// list returns a policy element that may be one value or a list as a list.
func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

// CloudFormation intrinsics as the synthesized template writes them.
func ref(id string) map[string]any { return map[string]any{"Ref": id} }

func getAtt(id, attr string) map[string]any {
	return map[string]any{"Fn::GetAtt": []any{id, attr}}
}

// join joins parts, adjacent strings merged as CDK merges them.
func join(parts ...any) map[string]any {
	var merged []any
	for _, p := range parts {
		if s, ok := p.(string); ok && len(merged) > 0 {
			if last, ok := merged[len(merged)-1].(string); ok {
				merged[len(merged)-1] = last + s
				continue
			}
		}
		merged = append(merged, p)
	}
	return map[string]any{"Fn::Join": []any{"", merged}}
}

// arn is an ARN in this stack's partition, region and account: service and
// the rest joined, as CDK's FormatArn writes it.
func arn(service string, rest ...any) map[string]any {
	parts := []any{"arn:", ref("AWS::Partition"), ":" + service + ":", ref("AWS::Region"), ":", ref("AWS::AccountId"), ":"}
	return join(append(parts, rest...)...)
}

// scheduleTarget is the function Scheduler schedules invoke.
func scheduleTarget(t *testing.T) app.Function {
	t.Helper()
	f, ok := app.Declaration().ScheduleTargetFunction()
	if !ok {
		t.Fatal("the declaration has no schedule target")
	}
	return f
}

// targetName is the schedule target's explicit function name.
func targetName(f app.Function) map[string]any { return join(ref("AWS::StackName"), "-"+f.Name) }

// functionName renders the name of the named function, as alarms use it.
func functionName(name string) any {
	if f, _ := app.Declaration().Function(name); f.ScheduleTarget {
		return targetName(f)
	}
	return ref(app.FunctionLogicalID(name))
}

// wantARN is how the stack renders the ARN of r.
func wantARN(t *testing.T, r app.Resource) any {
	t.Helper()
	table := getAtt("Table", "Arn")
	switch r.Kind {
	case app.ResourceAll:
		return "*"
	case app.ResourceTable:
		return table
	case app.ResourceTableIndexes:
		return join(table, "/index/*")
	case app.ResourceTableStream:
		return getAtt("Table", "StreamArn")
	case app.ResourceReportObjects:
		return join(getAtt(app.ReportsBucketLogicalID, "Arn"), "/*")
	case app.ResourceEventBus:
		return getAtt(app.EventBusLogicalID, "Arn")
	case app.ResourceFunction:
		if f, _ := app.Declaration().Function(r.Function); f.ScheduleTarget {
			return arn("lambda", "function:", ref("AWS::StackName"), "-"+f.Name)
		}
		return getAtt(app.FunctionLogicalID(r.Function), "Arn")
	case app.ResourceLogGroup:
		return getAtt(app.LogGroupLogicalID(r.Function), "Arn")
	case app.ResourceFailureQueue:
		return getAtt(app.FailureQueueLogicalID(r.Function), "Arn")
	case app.ResourceSchedules:
		return arn("scheduler", "schedule/", ref(app.ScheduleGroupLogicalID), "/*")
	case app.ResourceSchedulerRole:
		return getAtt(app.SchedulerRoleLogicalID, "Arn")
	case app.ResourceTenantRole:
		return getAtt(app.TenantRoleLogicalID, "Arn")
	}
	t.Fatalf("no expected ARN for resource kind %q", r.Kind)
	return nil
}

// wantConditions is how the stack renders a statement's conditions: one
// value as itself, app.AccountID as the account ID.
func wantConditions(cs []app.Condition) map[string]any {
	if len(cs) == 0 {
		return nil
	}
	out := map[string]any{}
	for _, c := range cs {
		var values []any
		for _, v := range c.Values {
			if v == app.AccountID {
				values = append(values, ref("AWS::AccountId"))
			} else {
				values = append(values, v)
			}
		}
		byKey, _ := out[c.Operator].(map[string]any)
		if byKey == nil {
			byKey = map[string]any{}
			out[c.Operator] = byKey
		}
		if len(values) == 1 {
			byKey[c.Key] = values[0]
		} else {
			byKey[c.Key] = values
		}
	}
	return out
}

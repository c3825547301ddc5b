package stack_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/partnerportal/portal/internal/app"
)

const functionType = "AWS::Lambda::Function"

func TestEveryDeclaredFunctionAndNoOtherIsDeployed(t *testing.T) {
	a := app.Declaration()
	check(t, func() { dev.template.ResourceCountIs(jsii.String(functionType), jsii.Number(len(a.Functions))) })
	for _, f := range a.Functions {
		dev.resource(t, app.FunctionLogicalID(f.Name), functionType)
	}
}

func TestEveryFunctionRunsOnArm64ProvidedAL2023WithItsDeclaredMemoryAndTimeout(t *testing.T) {
	for _, f := range app.Declaration().Functions {
		t.Run(f.Name, func(t *testing.T) {
			got := dev.props(t, app.FunctionLogicalID(f.Name), functionType)
			want := map[string]any{
				"Runtime":       app.Runtime,
				"Architectures": []string{app.Architecture},
				"Handler":       "bootstrap",
				"MemorySize":    f.MemoryMB,
				"Timeout":       f.TimeoutSec,
				"Description":   f.Description,
			}
			for k, w := range want {
				if !same(got[k], w) {
					t.Errorf("%s = %s, want %s", k, show(got[k]), show(w))
				}
			}
		})
	}
}

// Each test bootstrap holds its function's name, so the staged asset of a
// function's code says which directory it came from.
func TestEveryFunctionShipsItsOwnBootstrapFromDist(t *testing.T) {
	for _, f := range app.Declaration().Functions {
		code := dev.props(t, app.FunctionLogicalID(f.Name), functionType)["Code"].(map[string]any)
		hash := strings.TrimSuffix(code["S3Key"].(string), ".zip")
		b, err := os.ReadFile(filepath.Join(assemblyDir, "asset."+hash, "bootstrap"))
		if err != nil {
			t.Fatalf("%s: staged code: %v", f.Name, err)
		}
		if got := string(b); got != f.Name {
			t.Errorf("%s runs the bootstrap of %q", f.Name, got)
		}
	}
}

func TestEveryFunctionLogsJSONToItsOwnLogGroupKeptForTheDeclaredRetention(t *testing.T) {
	a := app.Declaration()
	check(t, func() {
		dev.template.ResourceCountIs(jsii.String("AWS::Logs::LogGroup"), jsii.Number(len(a.Functions)))
	})
	for _, f := range a.Functions {
		logs := app.LogGroupLogicalID(f.Name)
		if got := dev.props(t, logs, "AWS::Logs::LogGroup"); !same(got, map[string]any{"RetentionInDays": a.LogRetentionDays}) {
			t.Errorf("%s: %s, want only RetentionInDays %d", logs, show(got), a.LogRetentionDays)
		}
		got := dev.props(t, app.FunctionLogicalID(f.Name), functionType)["LoggingConfig"]
		if want := map[string]any{"LogFormat": "JSON", "LogGroup": ref(logs)}; !same(got, want) {
			t.Errorf("%s: LoggingConfig = %s, want %s", f.Name, show(got), show(want))
		}
	}
}

func TestEveryFunctionRunsAsItsOwnRoleOnceThatRolesPolicyExists(t *testing.T) {
	for _, f := range app.Declaration().Functions {
		id := app.FunctionLogicalID(f.Name)
		fn := dev.resource(t, id, functionType)
		role := app.RoleLogicalID(f.Name)
		if got, want := fn["Properties"].(map[string]any)["Role"], getAtt(role, "Arn"); !same(got, want) {
			t.Errorf("%s: Role = %s, want %s", id, show(got), show(want))
		}
		if got, want := fn["DependsOn"], []string{app.RolePolicyLogicalID(role)}; !same(got, want) {
			t.Errorf("%s: DependsOn = %s, want %s", id, show(got), show(want))
		}
	}
}

// wantValue is how the stack renders what an environment variable holds
// in the given stage, as sam.go's samValue with the stage fixed.
func wantValue(t *testing.T, v app.EnvVar, stage string) any {
	t.Helper()
	target := scheduleTarget(t)
	switch v.Value {
	case app.ValueTableName:
		return ref("Table")
	case app.ValueCursorSecret:
		return ref(app.ParamCursorSecret)
	case app.ValueStage:
		return stage
	case app.ValueReportsBucket:
		return ref(app.ReportsBucketLogicalID)
	case app.ValueFunctionName:
		return ref(app.FunctionLogicalID(v.Function))
	case app.ValueScheduleGroup:
		return ref(app.ScheduleGroupLogicalID)
	case app.ValueScheduleTargetARN:
		return wantARN(t, app.Resource{Kind: app.ResourceFunction, Function: target.Name})
	case app.ValueSchedulerRoleARN:
		return getAtt(app.SchedulerRoleLogicalID, "Arn")
	case app.ValueDispatchDLQARN:
		return getAtt(app.FailureQueueLogicalID(target.Name), "Arn")
	case app.ValueEventBus:
		return ref(app.EventBusLogicalID)
	case app.ValueTenantRoleARN:
		return getAtt(app.TenantRoleLogicalID, "Arn")
	}
	t.Fatalf("no expected value for %q", v.Value)
	return nil
}

func TestEveryFunctionGetsExactlyItsDeclaredEnvironment(t *testing.T) {
	a := app.Declaration()
	for _, stage := range []struct {
		name string
		s    synthesized
	}{{"dev", dev}, {"prod", prod}} {
		for _, f := range a.Functions {
			want := map[string]any{}
			for _, v := range append(a.GlobalEnvironment(), a.Environment(f)...) {
				want[v.Name] = wantValue(t, v, stage.name)
			}
			got := stage.s.props(t, app.FunctionLogicalID(f.Name), functionType)["Environment"].(map[string]any)["Variables"]
			if !same(got, want) {
				t.Errorf("%s %s: environment\n got %s\nwant %s", stage.name, f.Name, show(got), show(want))
			}
		}
	}
}

func TestTheScheduleTargetIsNamedAfterTheStackSoItCanNameItself(t *testing.T) {
	target := scheduleTarget(t)
	for _, f := range app.Declaration().Functions {
		got, named := dev.props(t, app.FunctionLogicalID(f.Name), functionType)["FunctionName"]
		switch {
		case f.ScheduleTarget && !same(got, targetName(f)):
			t.Errorf("schedule target %s: FunctionName = %s, want %s", f.Name, show(got), show(targetName(f)))
		case !f.ScheduleTarget && named:
			t.Errorf("%s has a FunctionName (%s); only the schedule target %s has one", f.Name, show(got), target.Name)
		}
	}
}

func TestAsyncFunctionsRetryTwiceThenKeepTheInvocationInTheirFailureQueue(t *testing.T) {
	var async int
	for _, f := range app.Declaration().Functions {
		if f.Kind != app.KindAsync {
			continue
		}
		async++
		id := app.FunctionLogicalID(f.Name)
		got := dev.props(t, id+"EventInvokeConfig", "AWS::Lambda::EventInvokeConfig")
		want := map[string]any{
			"FunctionName":         ref(id),
			"Qualifier":            "$LATEST",
			"MaximumRetryAttempts": 2,
			"DestinationConfig":    map[string]any{"OnFailure": map[string]any{"Destination": getAtt(app.FailureQueueLogicalID(f.Name), "Arn")}},
		}
		if !same(got, want) {
			t.Errorf("%s: invoke config\n got %s\nwant %s", f.Name, show(got), show(want))
		}
	}
	check(t, func() {
		dev.template.ResourceCountIs(jsii.String("AWS::Lambda::EventInvokeConfig"), jsii.Number(async))
	})
}

func TestStreamFunctionsReadTheTableStreamAsDeclaredAndKeepWhatFailsInTheirQueue(t *testing.T) {
	var streams int
	for _, f := range app.Declaration().Functions {
		s := f.Stream
		if s == nil {
			continue
		}
		streams++
		id := app.FunctionLogicalID(f.Name)
		got := dev.props(t, id+"TableStream", "AWS::Lambda::EventSourceMapping")
		want := map[string]any{
			"FunctionName":               ref(id),
			"EventSourceArn":             getAtt("Table", "StreamArn"),
			"StartingPosition":           "TRIM_HORIZON",
			"BatchSize":                  s.BatchSize,
			"MaximumRetryAttempts":       s.MaxRetries,
			"MaximumRecordAgeInSeconds":  s.MaxRecordAgeSec,
			"BisectBatchOnFunctionError": true,
			"FunctionResponseTypes":      []string{"ReportBatchItemFailures"},
			"DestinationConfig":          map[string]any{"OnFailure": map[string]any{"Destination": getAtt(app.FailureQueueLogicalID(f.Name), "Arn")}},
			"FilterCriteria":             map[string]any{"Filters": []any{map[string]any{"Pattern": string(s.FilterPattern())}}},
		}
		if !same(got, want) {
			t.Errorf("%s: stream mapping\n got %s\nwant %s", f.Name, show(got), show(want))
		}
	}
	if streams == 0 {
		t.Fatal("the declaration has no table-stream function")
	}
	check(t, func() {
		dev.template.ResourceCountIs(jsii.String("AWS::Lambda::EventSourceMapping"), jsii.Number(streams))
	})
}

func TestEveryRuleSendsMatchingEventsOnTheAppBusToItsFunctionWithRetriesAndADeadLetterQueue(t *testing.T) {
	var rules int
	for _, f := range app.Declaration().Functions {
		fn := app.FunctionLogicalID(f.Name)
		for _, r := range f.Rules {
			rules++
			id := app.EventRuleLogicalID(f.Name, r)
			check(t, func() {
				dev.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
					"EventBusName": ref(app.EventBusLogicalID),
					"EventPattern": assertions.Match_ObjectEquals(decoded(t, r.Pattern())),
					"Targets": assertions.Match_ArrayEquals(&[]any{map[string]any{
						"Id":               id + "LambdaTarget",
						"Arn":              getAtt(fn, "Arn"),
						"RetryPolicy":      map[string]any{"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
						"DeadLetterConfig": map[string]any{"Arn": getAtt(app.FailureQueueLogicalID(f.Name), "Arn")},
					}}),
				})
			})
			permission := dev.props(t, id+"Permission", "AWS::Lambda::Permission")
			want := map[string]any{"Action": "lambda:InvokeFunction", "FunctionName": ref(fn), "Principal": "events.amazonaws.com", "SourceArn": getAtt(id, "Arn")}
			if !same(permission, want) {
				t.Errorf("%s: permission %s, want %s", id, show(permission), show(want))
			}
		}
	}
	check(t, func() { dev.template.ResourceCountIs(jsii.String("AWS::Events::Rule"), jsii.Number(rules)) })
}

func TestAFailureQueueAcceptsEventsOnlyFromItsFunctionsRules(t *testing.T) {
	var policies int
	for _, f := range app.Declaration().Functions {
		if len(f.Rules) == 0 {
			continue
		}
		policies++
		queue := app.FailureQueueLogicalID(f.Name)
		var rules []any
		for _, r := range f.Rules {
			rules = append(rules, getAtt(app.EventRuleLogicalID(f.Name, r), "Arn"))
		}
		got := dev.props(t, app.FailureQueuePolicyLogicalID(f.Name), "AWS::SQS::QueuePolicy")
		want := map[string]any{
			"Queues": []any{ref(queue)},
			"PolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
				"Effect":    "Allow",
				"Principal": map[string]any{"Service": "events.amazonaws.com"},
				"Action":    "sqs:SendMessage",
				"Resource":  getAtt(queue, "Arn"),
				"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": rules}},
			}}},
		}
		if !same(got, want) {
			t.Errorf("%s: queue policy\n got %s\nwant %s", f.Name, show(got), show(want))
		}
	}
	check(t, func() { dev.template.ResourceCountIs(jsii.String("AWS::SQS::QueuePolicy"), jsii.Number(policies)) })
}

package stack_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/partnerportal/portal/internal/app"
)

// committedTemplate is template.yaml at the repository root, which
// internal/app keeps equal to the declaration.
const committedTemplate = "../../template.yaml"

// samTemplate returns template.yaml as JSON values, as it is deployed in
// the given stage: its IsProd conditions decided and its Stage parameter
// replaced by the stage's name.
func samTemplate(t *testing.T, stage string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(committedTemplate)
	if err != nil {
		t.Fatalf("read %s: %v", committedTemplate, err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("parse %s: %v", committedTemplate, err)
	}
	return inStage(asJSON(doc), stage).(map[string]any)
}

// inStage replaces the Stage parameter in v by its value, and Fn::If on
// IsProd by the branch the stage takes.
func inStage(v any, stage string) any {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 1 {
			if v["Ref"] == app.ParamStage {
				return stage
			}
			if args, ok := v["Fn::If"].([]any); ok && len(args) == 3 && args[0] == app.ConditionIsProd {
				if stage == "prod" {
					return inStage(args[1], stage)
				}
				return inStage(args[2], stage)
			}
		}
		out := map[string]any{}
		for k, x := range v {
			out[k] = inStage(x, stage)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = inStage(x, stage)
		}
		return out
	}
	return v
}

// normal writes what SAM and CDK write differently but means the same
// in one way:
//   - a string built by an intrinsic in Fn::Sub syntax ({"Ref": "X"} is
//     "${X}", {"Fn::GetAtt": ["X", "Arn"]} is "${X.Arn}", a Fn::Join the
//     joined parts), as SAM substitutes where CDK joins;
//   - in a policy statement, Action, Resource, principals and condition
//     values as lists (one value may be written as itself), the principal
//     "*" as {"AWS": ["*"]}, and no Sid (a statement's ID grants nothing).
func normal(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if s, ok := flat(v); ok {
			return s
		}
		out := map[string]any{}
		for k, x := range v {
			out[k] = normal(x)
		}
		if _, ok := out["Effect"]; ok {
			normalStatement(out)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = normal(x)
		}
		return out
	}
	return v
}

func normalStatement(st map[string]any) {
	delete(st, "Sid")
	for _, k := range []string{"Action", "Resource"} {
		if v, ok := st[k]; ok {
			st[k] = list(v)
		}
	}
	if st["Principal"] == "*" {
		st["Principal"] = map[string]any{"AWS": "*"}
	}
	for _, k := range []string{"Principal", "Condition"} {
		outer, _ := st[k].(map[string]any)
		for key, v := range outer {
			if inner, ok := v.(map[string]any); ok && k == "Condition" {
				for ck, cv := range inner {
					inner[ck] = list(cv)
				}
				continue
			}
			outer[key] = list(v)
		}
	}
}

// flat writes an intrinsic yielding a string in Fn::Sub syntax.
func flat(m map[string]any) (string, bool) {
	if len(m) != 1 {
		return "", false
	}
	for k, v := range m {
		switch k {
		case "Ref":
			return "${" + v.(string) + "}", true
		case "Fn::GetAtt":
			a := v.([]any)
			return "${" + a[0].(string) + "." + a[1].(string) + "}", true
		case "Fn::Sub":
			s, ok := v.(string)
			return s, ok
		case "Fn::Join":
			args := v.([]any)
			var parts []string
			for _, p := range args[1].([]any) {
				s, ok := normal(p).(string)
				if !ok {
					return "", false
				}
				parts = append(parts, s)
			}
			return strings.Join(parts, args[0].(string)), true
		}
	}
	return "", false
}

// get returns the value at the path of keys in v, nil when absent.
func get(v any, path ...string) any {
	for _, k := range path {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// samFunctions returns the AWS::Serverless::Function resources by logical ID.
func samFunctions(sam map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range sam["Resources"].(map[string]any) {
		if r := r.(map[string]any); r["Type"] == "AWS::Serverless::Function" {
			out[id] = r
		}
	}
	return out
}

// samEvents returns the events of the given type of every SAM function,
// by function logical ID and event name.
func samEvents(sam map[string]any, typ string) map[string]map[string]map[string]any {
	out := map[string]map[string]map[string]any{}
	for id, fn := range samFunctions(sam) {
		events, _ := get(fn, "Properties", "Events").(map[string]any)
		for name, ev := range events {
			if ev := ev.(map[string]any); ev["Type"] == typ {
				if out[id] == nil {
					out[id] = map[string]map[string]any{}
				}
				out[id][name] = ev["Properties"].(map[string]any)
			}
		}
	}
	return out
}

// Resources of the stack that SAM makes of template.yaml's serverless
// resources (functions and their events, the HTTP API) rather than taking
// them from the template as they are.
var fromServerless = []string{
	"AWS::Lambda::Function", "AWS::Lambda::Permission", "AWS::Lambda::EventSourceMapping", "AWS::Lambda::EventInvokeConfig",
	"AWS::Events::Rule", "AWS::ApiGatewayV2::Api", "AWS::ApiGatewayV2::Stage", "AWS::ApiGatewayV2::Authorizer",
	"AWS::ApiGatewayV2::Integration", "AWS::ApiGatewayV2::Route",
}

func TestTheStackAgreesWithTemplateYAML(t *testing.T) {
	for _, stage := range []struct {
		name string
		s    synthesized
	}{{"dev", dev}, {"prod", prod}} {
		t.Run(stage.name, func(t *testing.T) {
			sam := samTemplate(t, stage.name)
			t.Run("Resources", func(t *testing.T) { sameResources(t, sam, stage.s, stage.name) })
			t.Run("Functions", func(t *testing.T) { sameFunctions(t, sam, stage.s) })
			t.Run("Routes", func(t *testing.T) { sameRoutes(t, sam, stage.s) })
			t.Run("EventRules", func(t *testing.T) { sameEventRules(t, sam, stage.s) })
			t.Run("StreamMappings", func(t *testing.T) { sameStreamMappings(t, sam, stage.s) })
			t.Run("AsyncInvocations", func(t *testing.T) { sameAsyncInvocations(t, sam, stage.s) })
			t.Run("ParametersConditionsOutputs", func(t *testing.T) { sameParametersConditionsOutputs(t, sam, stage.s) })
		})
	}
}

// sameResources: every resource template.yaml declares as it is (the
// table, roles and policies, queues, bucket, bus, schedule group, log
// groups, alarms, topic...) is in the stack under its logical ID with the
// same type, properties, condition and deletion policy; the stack's other
// resources are of the kinds SAM makes of the serverless resources.
func sameResources(t *testing.T, sam map[string]any, s synthesized, stage string) {
	samResources := sam["Resources"].(map[string]any)
	for id, r := range samResources {
		r := r.(map[string]any)
		typ := r["Type"].(string)
		if strings.HasPrefix(typ, "AWS::Serverless::") {
			continue
		}
		got := s.resource(t, id, typ)
		for _, k := range []string{"Properties", "Condition"} {
			if g, w := normal(got[k]), normal(r[k]); !same(g, w) {
				t.Errorf("%s: %s\n stack    %s\n template %s", id, k, show(g), show(w))
			}
		}
		// The prod stack keeps its table, which template.yaml only
		// protects from deletion.
		if id == app.Declaration().Table.LogicalID && stage == "prod" {
			continue
		}
		if g, w := deletionPolicy(got), deletionPolicy(r); g != w {
			t.Errorf("%s: DeletionPolicy %s in the stack, %s in the template", id, g, w)
		}
	}
	for id, r := range s.json["Resources"].(map[string]any) {
		typ := r.(map[string]any)["Type"].(string)
		if _, ok := samResources[id]; !ok && !slices.Contains(fromServerless, typ) {
			t.Errorf("%s (%s) is in the stack, not in the template", id, typ)
		}
	}
}

func deletionPolicy(r map[string]any) string {
	if p, ok := r["DeletionPolicy"].(string); ok {
		return p
	}
	return "Delete"
}

// sameFunctions: the same functions under the same logical IDs, with the
// same runtime, memory, timeout, description, role, logging, name and
// environment, each after its role's policy.
func sameFunctions(t *testing.T, sam map[string]any, s synthesized) {
	globals := get(sam, "Globals", "Function").(map[string]any)
	functions := samFunctions(sam)
	if got, want := len(s.resources("AWS::Lambda::Function")), len(functions); got != want {
		t.Errorf("%d functions in the stack, %d in the template", got, want)
	}
	for id, fn := range functions {
		samProps := fn["Properties"].(map[string]any)
		props := s.props(t, id, "AWS::Lambda::Function")
		for _, k := range []string{"Runtime", "Architectures", "Handler"} {
			if !same(props[k], globals[k]) {
				t.Errorf("%s: %s %s in the stack, %s in the template's globals", id, k, show(props[k]), show(globals[k]))
			}
		}
		for _, k := range []string{"MemorySize", "Timeout", "Description", "Role", "LoggingConfig", "FunctionName"} {
			if g, w := normal(props[k]), normal(samProps[k]); !same(g, w) {
				t.Errorf("%s: %s %s in the stack, %s in the template", id, k, show(g), show(w))
			}
		}
		env := map[string]any{}
		for _, vars := range []any{get(globals, "Environment", "Variables"), get(samProps, "Environment", "Variables")} {
			vars, _ := vars.(map[string]any)
			for k, v := range vars {
				env[k] = v
			}
		}
		if g, w := normal(get(props, "Environment", "Variables")), normal(env); !same(g, w) {
			t.Errorf("%s: environment\n stack    %s\n template %s", id, show(g), show(w))
		}
		if g, w := list(s.resource(t, id, "AWS::Lambda::Function")["DependsOn"]), list(fn["DependsOn"]); !same(g, w) {
			t.Errorf("%s: depends on %s in the stack, %s in the template", id, show(g), show(w))
		}
	}
}

// route is what serves a route key.
type route struct {
	Function   string // logical ID
	Authorizer string // name, "" for none
}

// sameRoutes: the same route keys served by the same functions behind the
// same authorizer, which has the same settings, and the same throttle.
func sameRoutes(t *testing.T, sam map[string]any, s synthesized) {
	api := get(sam, "Resources", app.HTTPAPILogicalID, "Properties")
	defaultAuthorizer := get(api, "Auth", "DefaultAuthorizer").(string)
	want := map[string]route{}
	for fn, events := range samEvents(sam, "HttpApi") {
		for name, ev := range events {
			key := ev["Method"].(string) + " " + ev["Path"].(string)
			if ev["Path"] == app.DefaultRoute {
				key = app.DefaultRoute
			}
			r := route{Function: fn, Authorizer: defaultAuthorizer}
			if get(ev, "Auth", "Authorizer") == "NONE" {
				r.Authorizer = ""
			}
			want[key] = r
			s.resource(t, fn+name+"Permission", "AWS::Lambda::Permission")
		}
	}
	got := map[string]route{}
	for _, r := range s.resources("AWS::ApiGatewayV2::Route") {
		props := r["Properties"].(map[string]any)
		integration := strings.TrimPrefix(normal(props["Target"]).(string), "integrations/${")
		uri := normal(s.props(t, strings.TrimSuffix(integration, "}"), "AWS::ApiGatewayV2::Integration")["IntegrationUri"]).(string)
		served := route{Function: strings.TrimSuffix(strings.TrimPrefix(uri, "${"), ".Arn}")}
		if id, ok := props["AuthorizerId"].(map[string]any); ok {
			served.Authorizer = s.props(t, id["Ref"].(string), "AWS::ApiGatewayV2::Authorizer")["Name"].(string)
		}
		got[props["RouteKey"].(string)] = served
	}
	if !same(got, want) {
		t.Errorf("routes\n stack    %s\n template %s", show(got), show(want))
	}

	samAuthorizer := get(api, "Auth", "Authorizers", defaultAuthorizer).(map[string]any)
	var headers []any
	for _, h := range list(get(samAuthorizer, "Identity", "Headers")) {
		headers = append(headers, "$request.header."+h.(string))
	}
	wantAuthorizer := map[string]any{
		"Name": defaultAuthorizer, "Function": normal(samAuthorizer["FunctionArn"]),
		"PayloadFormat": samAuthorizer["AuthorizerPayloadFormatVersion"], "SimpleResponses": samAuthorizer["EnableSimpleResponses"],
		"TTL": get(samAuthorizer, "Identity", "ReauthorizeEvery"), "IdentitySource": headers,
	}
	for id, r := range s.resources("AWS::ApiGatewayV2::Authorizer") {
		props := r["Properties"].(map[string]any)
		uri := normal(props["AuthorizerUri"]).(string)
		function := uri[strings.Index(uri, "/functions/")+len("/functions/") : strings.LastIndex(uri, "/invocations")]
		gotAuthorizer := map[string]any{
			"Name": props["Name"], "Function": function,
			"PayloadFormat": props["AuthorizerPayloadFormatVersion"], "SimpleResponses": props["EnableSimpleResponses"],
			"TTL": props["AuthorizerResultTtlInSeconds"], "IdentitySource": props["IdentitySource"],
		}
		if !same(gotAuthorizer, wantAuthorizer) {
			t.Errorf("authorizer %s\n stack    %s\n template %s", id, show(gotAuthorizer), show(wantAuthorizer))
		}
	}

	for _, stage := range s.resources("AWS::ApiGatewayV2::Stage") {
		if g, w := get(stage, "Properties", "DefaultRouteSettings"), get(api, "DefaultRouteSettings"); !same(g, w) {
			t.Errorf("throttle %s in the stack, %s in the template", show(g), show(w))
		}
	}
}

// sameEventRules: the same rules on the same bus with the same patterns,
// each invoking the same function with the same retries and dead-letter
// queue.
func sameEventRules(t *testing.T, sam map[string]any, s synthesized) {
	shape := func(bus, pattern, target, retry, dlq any) map[string]any {
		return map[string]any{"Bus": normal(bus), "Pattern": pattern, "Target": normal(target), "RetryPolicy": retry, "DeadLetter": normal(dlq)}
	}
	want := map[string]any{}
	for fn, events := range samEvents(sam, "EventBridgeRule") {
		for name, ev := range events {
			want[fn+name] = shape(ev["EventBusName"], ev["Pattern"], map[string]any{"Fn::GetAtt": []any{fn, "Arn"}}, ev["RetryPolicy"], get(ev, "DeadLetterConfig", "Arn"))
		}
	}
	got := map[string]any{}
	for id, r := range s.resources("AWS::Events::Rule") {
		props := r["Properties"].(map[string]any)
		targets := list(props["Targets"])
		if len(targets) != 1 {
			t.Errorf("rule %s has %d targets, want 1", id, len(targets))
			continue
		}
		target := targets[0].(map[string]any)
		got[id] = shape(props["EventBusName"], props["EventPattern"], target["Arn"], target["RetryPolicy"], get(target, "DeadLetterConfig", "Arn"))
	}
	if len(want) == 0 || !same(got, want) {
		t.Errorf("event rules\n stack    %s\n template %s", show(got), show(want))
	}
}

// sameStreamMappings: the same functions read the same stream with the
// same settings, filter and failure destination.
func sameStreamMappings(t *testing.T, sam map[string]any, s synthesized) {
	keys := []string{"StartingPosition", "BatchSize", "MaximumRetryAttempts", "MaximumRecordAgeInSeconds", "FunctionResponseTypes", "BisectBatchOnFunctionError", "FilterCriteria"}
	shape := func(stream, onFailure any, settings map[string]any) map[string]any {
		out := map[string]any{"Stream": normal(stream), "OnFailure": normal(onFailure)}
		for _, k := range keys {
			out[k] = settings[k]
		}
		return out
	}
	want := map[string]any{}
	for fn, events := range samEvents(sam, "DynamoDB") {
		for _, ev := range events {
			want[fn] = shape(ev["Stream"], get(ev, "DestinationConfig", "OnFailure", "Destination"), ev)
		}
	}
	got := map[string]any{}
	for _, r := range s.resources("AWS::Lambda::EventSourceMapping") {
		props := r["Properties"].(map[string]any)
		fn := strings.Trim(normal(props["FunctionName"]).(string), "${}")
		got[fn] = shape(props["EventSourceArn"], get(props, "DestinationConfig", "OnFailure", "Destination"), props)
	}
	if len(want) == 0 || !same(got, want) {
		t.Errorf("stream mappings\n stack    %s\n template %s", show(got), show(want))
	}
}

// sameAsyncInvocations: the same functions retry asynchronous invocations
// as often and keep what fails in the same queue.
func sameAsyncInvocations(t *testing.T, sam map[string]any, s synthesized) {
	want := map[string]any{}
	for id, fn := range samFunctions(sam) {
		if c, ok := get(fn, "Properties", "EventInvokeConfig").(map[string]any); ok {
			want[id] = map[string]any{"Retries": c["MaximumRetryAttempts"], "OnFailure": normal(get(c, "DestinationConfig", "OnFailure", "Destination"))}
		}
	}
	got := map[string]any{}
	for _, r := range s.resources("AWS::Lambda::EventInvokeConfig") {
		props := r["Properties"].(map[string]any)
		fn := strings.Trim(normal(props["FunctionName"]).(string), "${}")
		got[fn] = map[string]any{"Retries": props["MaximumRetryAttempts"], "OnFailure": normal(get(props, "DestinationConfig", "OnFailure", "Destination"))}
	}
	if len(want) == 0 || !same(got, want) {
		t.Errorf("async invocations\n stack    %s\n template %s", show(got), show(want))
	}
}

// sameParametersConditionsOutputs: the same parameters but Stage (fixed
// at synthesis in the stack; the stack also has CDK's BootstrapVersion),
// the same alarm e-mail condition and the same outputs.
func sameParametersConditionsOutputs(t *testing.T, sam map[string]any, s synthesized) {
	for _, p := range []string{app.ParamCursorSecret, app.ParamAlarmEmail} {
		if g, w := get(s.json, "Parameters", p), get(sam, "Parameters", p); !same(g, w) {
			t.Errorf("parameter %s: %s in the stack, %s in the template", p, show(g), show(w))
		}
	}
	if g, w := get(s.json, "Conditions", app.ConditionHasAlarmEmail), get(sam, "Conditions", app.ConditionHasAlarmEmail); !same(g, w) {
		t.Errorf("condition %s: %s in the stack, %s in the template", app.ConditionHasAlarmEmail, show(g), show(w))
	}
	if g, w := normal(s.json["Outputs"]), normal(sam["Outputs"]); !same(g, w) {
		t.Errorf("outputs\n stack    %s\n template %s", show(g), show(w))
	}
}

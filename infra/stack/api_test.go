package stack_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/partnerportal/portal/internal/app"
)

const routeType = "AWS::ApiGatewayV2::Route"

// authorizerID is the logical ID of the HTTP API's Lambda authorizer.
func authorizerID() string { return app.HTTPAPILogicalID + app.Declaration().Authorizer.Name() }

func TestTheAPIIsAnHTTPAPINamedAfterTheStack(t *testing.T) {
	got := dev.props(t, app.HTTPAPILogicalID, "AWS::ApiGatewayV2::Api")
	if want := map[string]any{"Name": ref("AWS::StackName"), "ProtocolType": "HTTP"}; !same(got, want) {
		t.Errorf("API %s, want %s", show(got), show(want))
	}
}

func TestEveryDeclaredRouteIsServedByItsFunctionThroughALambdaProxyWithPayloadFormat2(t *testing.T) {
	var routes int
	for _, f := range app.Declaration().Functions {
		if len(f.Routes) == 0 {
			continue
		}
		fn := app.FunctionLogicalID(f.Name)
		integration := dev.props(t, fn+"Integration", "AWS::ApiGatewayV2::Integration")
		want := map[string]any{"ApiId": ref(app.HTTPAPILogicalID), "IntegrationType": "AWS_PROXY", "IntegrationUri": getAtt(fn, "Arn"), "PayloadFormatVersion": "2.0"}
		if !same(integration, want) {
			t.Errorf("%s: integration %s, want %s", f.Name, show(integration), show(want))
		}
		for _, r := range f.Routes {
			routes++
			route := dev.props(t, fn+r.EventName()+"Route", routeType)
			if !same(route["RouteKey"], r.Key()) || !same(route["Target"], join("integrations/", ref(fn+"Integration"))) {
				t.Errorf("%s: route %s, want %s to %sIntegration", f.Name, show(route), r.Key(), fn)
			}
		}
	}
	check(t, func() { dev.template.ResourceCountIs(jsii.String(routeType), jsii.Number(routes)) })
}

func TestEveryRouteButThePublicOnesGoesThroughTheAuthorizer(t *testing.T) {
	var public int
	for _, f := range app.Declaration().Functions {
		for _, r := range f.Routes {
			route := dev.props(t, app.FunctionLogicalID(f.Name)+r.EventName()+"Route", routeType)
			want := map[string]any{"AuthorizationType": "CUSTOM", "AuthorizerId": ref(authorizerID())}
			if r.Public {
				public++
				want = map[string]any{"AuthorizationType": "NONE", "AuthorizerId": nil}
			}
			for k, w := range want {
				if !same(route[k], w) {
					t.Errorf("%s (public: %v): %s = %s, want %s", r.Key(), r.Public, k, show(route[k]), show(w))
				}
			}
		}
	}
	if public == 0 {
		t.Error("no public route: the $default route of the fallback function should be one")
	}
}

func TestTheAuthorizerRunsForEveryRequestWithSimpleResponses(t *testing.T) {
	az := app.Declaration().Authorizer
	if az.CacheTTLSeconds != 0 {
		t.Skipf("the declared authorizer caches for %d s", az.CacheTTLSeconds)
	}
	check(t, func() {
		dev.template.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::Authorizer"), jsii.Number(1))
		dev.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Authorizer"), assertions.Match_ObjectEquals(&map[string]any{
			"ApiId":                          ref(app.HTTPAPILogicalID),
			"Name":                           az.Name(),
			"AuthorizerType":                 "REQUEST",
			"AuthorizerUri":                  join("arn:", ref("AWS::Partition"), ":apigateway:", ref("AWS::Region"), ":lambda:path/2015-03-31/functions/", getAtt(app.FunctionLogicalID(az.Function), "Arn"), "/invocations"),
			"AuthorizerPayloadFormatVersion": "2.0",
			"EnableSimpleResponses":          true,
			"AuthorizerResultTtlInSeconds":   0,
			// No identity source: uncached, it runs with or without the header.
		}))
	})
}

func TestAPIGatewayMayInvokeTheFunctionOfEveryRouteAndTheAuthorizer(t *testing.T) {
	a := app.Declaration()
	permissions := map[string]string{ // logical ID → the execute-api resource after the API's ID
		authorizerID() + "AuthorizerPermission": "/authorizers/*",
	}
	functions := map[string]string{authorizerID() + "AuthorizerPermission": a.Authorizer.Function}
	for _, f := range a.Functions {
		for _, r := range f.Routes {
			id := app.FunctionLogicalID(f.Name) + r.EventName() + "Permission"
			method, path := r.Method, r.Path
			if method == "ANY" {
				method = "*"
			}
			path = strings.TrimPrefix(path, app.DefaultRoute)
			permissions[id], functions[id] = "/*/"+method+path, f.Name
		}
	}
	for id, resource := range permissions {
		got := dev.props(t, id, "AWS::Lambda::Permission")
		want := map[string]any{
			"Action":       "lambda:InvokeFunction",
			"FunctionName": ref(app.FunctionLogicalID(functions[id])),
			"Principal":    "apigateway.amazonaws.com",
			"SourceArn":    arn("execute-api", ref(app.HTTPAPILogicalID), resource),
		}
		if !same(got, want) {
			t.Errorf("%s\n got %s\nwant %s", id, show(got), show(want))
		}
	}
	check(t, func() {
		dev.template.ResourcePropertiesCountIs(jsii.String("AWS::Lambda::Permission"),
			map[string]any{"Principal": "apigateway.amazonaws.com"}, jsii.Number(len(permissions)))
	})
}

func TestTheDefaultStageDeploysEveryChangeWithTheDeclaredThrottle(t *testing.T) {
	throttle := app.Declaration().Throttle
	check(t, func() {
		dev.template.ResourceCountIs(jsii.String("AWS::ApiGatewayV2::Stage"), jsii.Number(1))
		dev.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), map[string]any{
			"ApiId":      ref(app.HTTPAPILogicalID),
			"StageName":  "$default",
			"AutoDeploy": true,
			"DefaultRouteSettings": assertions.Match_ObjectEquals(&map[string]any{
				"ThrottlingRateLimit":  throttle.RatePerSecond,
				"ThrottlingBurstLimit": throttle.Burst,
			}),
		})
	})
}

func TestTheOutputsNameTheAPIURLTheTableAndTheAlarmTopic(t *testing.T) {
	check(t, func() {
		dev.template.HasOutput(jsii.String("ApiUrl"), map[string]any{
			"Value": join("https://", ref(app.HTTPAPILogicalID), ".execute-api.", ref("AWS::Region"), ".", ref("AWS::URLSuffix"), "/"),
		})
		dev.template.HasOutput(jsii.String("TableName"), map[string]any{"Value": ref("Table")})
		dev.template.HasOutput(jsii.String("AlarmTopicArn"), map[string]any{"Value": ref(app.AlarmTopicLogicalID)})
	})
}

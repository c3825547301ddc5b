package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/partnerportal/portal/internal/app"
)

// payloadFormat is the Lambda payload format of every route and of the
// authorizer.
const payloadFormat = "2.0"

// httpAPI declares the HTTP API: one route per declared route, each on its
// function's integration and, unless Public, behind the Lambda authorizer;
// API Gateway's permission to invoke the function of each route; the
// $default stage, deployed on every change and throttled as app.Throttle
// says. Logical IDs follow what SAM makes of template.yaml's HttpApi.
func (b *builder) httpAPI() {
	a := b.app
	b.api = awsapigatewayv2.NewCfnApi(b.stack, jsii.String(app.HTTPAPILogicalID), &awsapigatewayv2.CfnApiProps{
		Name:         awscdk.Aws_STACK_NAME(),
		ProtocolType: jsii.String("HTTP"),
	})
	awsapigatewayv2.NewCfnStage(b.stack, jsii.String(app.HTTPAPILogicalID+"ApiGatewayDefaultStage"), &awsapigatewayv2.CfnStageProps{
		ApiId:      b.api.Ref(),
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		DefaultRouteSettings: &awsapigatewayv2.CfnStage_RouteSettingsProperty{
			ThrottlingBurstLimit: jsii.Number(a.Throttle.Burst),
			ThrottlingRateLimit:  jsii.Number(a.Throttle.RatePerSecond),
		},
	})
	authorizer := b.authorizer()
	for _, f := range a.Functions {
		if len(f.Routes) == 0 {
			continue
		}
		fn := b.functions[f.Name]
		id := app.FunctionLogicalID(f.Name)
		integration := awsapigatewayv2.NewCfnIntegration(b.stack, jsii.String(id+"Integration"), &awsapigatewayv2.CfnIntegrationProps{
			ApiId:                b.api.Ref(),
			IntegrationType:      jsii.String("AWS_PROXY"),
			IntegrationUri:       fn.FunctionArn(),
			PayloadFormatVersion: jsii.String(payloadFormat),
		})
		for _, r := range f.Routes {
			route := &awsapigatewayv2.CfnRouteProps{
				ApiId:             b.api.Ref(),
				RouteKey:          jsii.String(r.Key()),
				Target:            jsii.String("integrations/" + *integration.Ref()),
				AuthorizationType: jsii.String("CUSTOM"),
				AuthorizerId:      authorizer.Ref(),
			}
			if r.Public {
				route.AuthorizationType, route.AuthorizerId = jsii.String("NONE"), nil
			}
			awsapigatewayv2.NewCfnRoute(b.stack, jsii.String(id+r.EventName()+"Route"), route)
			b.apiInvokePermission(id+r.EventName()+"Permission", fn, routeResource(r))
		}
	}
}

// authorizer declares the Lambda authorizer with simple responses. Without
// caching it has no identity source, so it runs for every request, with or
// without the identity header (as SAM renders Identity without headers).
func (b *builder) authorizer() awsapigatewayv2.CfnAuthorizer {
	az := b.app.Authorizer
	fn := b.functions[az.Function]
	props := &awsapigatewayv2.CfnAuthorizerProps{
		ApiId:                          b.api.Ref(),
		Name:                           jsii.String(az.Name()),
		AuthorizerType:                 jsii.String("REQUEST"),
		AuthorizerUri:                  jsii.String("arn:" + *awscdk.Aws_PARTITION() + ":apigateway:" + *awscdk.Aws_REGION() + ":lambda:path/2015-03-31/functions/" + *fn.FunctionArn() + "/invocations"),
		AuthorizerPayloadFormatVersion: jsii.String(payloadFormat),
		EnableSimpleResponses:          jsii.Bool(true),
		AuthorizerResultTtlInSeconds:   jsii.Number(az.CacheTTLSeconds),
	}
	if az.CacheTTLSeconds > 0 {
		props.IdentitySource = jsii.Strings("$request.header." + az.IdentityHeader)
	}
	authorizer := awsapigatewayv2.NewCfnAuthorizer(b.stack, jsii.String(app.HTTPAPILogicalID+az.Name()), props)
	b.apiInvokePermission(app.HTTPAPILogicalID+az.Name()+"AuthorizerPermission", fn, "authorizers/*")
	return authorizer
}

// routeResource is the part of the execute-api ARN after the API's ID that
// matches r in any stage, as SAM writes it: the $default route and ANY
// method as *.
func routeResource(r app.Route) string {
	method, path := r.Method, r.Path
	if method == "ANY" {
		method = "*"
	}
	if path == app.DefaultRoute {
		path = ""
	}
	return "*/" + method + path
}

// apiInvokePermission lets this API invoke fn for the execute-api resource.
func (b *builder) apiInvokePermission(id string, fn awslambda.Function, resource string) {
	awslambda.NewCfnPermission(b.stack, jsii.String(id), &awslambda.CfnPermissionProps{
		Action:       jsii.String("lambda:InvokeFunction"),
		FunctionName: fn.FunctionName(),
		Principal:    jsii.String("apigateway.amazonaws.com"),
		SourceArn: b.stack.FormatArn(&awscdk.ArnComponents{
			Service:      jsii.String("execute-api"),
			Resource:     b.api.Ref(),
			ResourceName: jsii.String(resource),
		}),
	})
}

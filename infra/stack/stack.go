// Package stack is the CDK stack of Partner Portal, built from the app
// declaration (internal/app) as internal/app/sam.go builds template.yaml:
// the same resources under the same logical IDs with the same settings, so
// the two forms read alike and a test can compare them.
//
// Where a CDK L2 construct would add something the declaration does not say
// (a policy statement, a managed policy, a queue policy), the stack uses the
// L1 (Cfn) construct instead.
package stack

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/partnerportal/portal/internal/app"
)

// Stage is the deployment stage the stack is synthesized for. Unlike the
// SAM template's Stage parameter it is fixed at synth time.
type Stage string

// The stages.
const (
	StageDev  Stage = "dev"
	StageProd Stage = "prod"
)

// UnmarshalText accepts "dev" and "prod" and refuses anything else.
func (s *Stage) UnmarshalText(text []byte) error {
	if v := Stage(text); v.valid() {
		*s = v
		return nil
	}
	return fmt.Errorf("stage %q: want %s or %s", text, StageDev, StageProd)
}

func (s Stage) valid() bool { return s == StageDev || s == StageProd }

// MarshalText returns the stage's name.
func (s Stage) MarshalText() ([]byte, error) { return []byte(s), nil }

// Props configures the stack.
type Props struct {
	awscdk.StackProps
	// Stage: prod protects the table from deletion and keeps it when the
	// stack goes; it is every function's STAGE.
	Stage Stage
	// DistDir holds each function's bootstrap binary in <DistDir>/<name>/,
	// as `make build` lays out dist/ (Function.CodeURI).
	DistDir string
}

// CheckDist reports the first declared function whose bootstrap binary is
// missing from dist, and nil when every one is there.
func CheckDist(dist string) error {
	for _, f := range app.Declaration().Functions {
		if _, err := os.Stat(filepath.Join(dist, f.Name, "bootstrap")); err != nil {
			return fmt.Errorf("function %s has no bootstrap binary (run `make build`): %w", f.Name, err)
		}
	}
	return nil
}

// New adds the whole app, as app.Declaration says it, to scope as a stack.
// Like every CDK construct it panics on what it cannot build: an
// inconsistent declaration (app.App.Validate), a stage other than dev or
// prod, or a function missing from props.DistDir (see CheckDist).
func New(scope constructs.Construct, id string, props Props) awscdk.Stack {
	a := app.Declaration()
	if err := a.Validate(); err != nil {
		panic(fmt.Sprintf("stack: %v", err))
	}
	if !props.Stage.valid() {
		panic(fmt.Sprintf("stack: stage %q: want %s or %s", props.Stage, StageDev, StageProd))
	}
	stackProps := props.StackProps
	if stackProps.Description == nil {
		stackProps.Description = jsii.String(a.Description)
	}
	b := &builder{
		stack:     awscdk.NewStack(scope, jsii.String(id), &stackProps),
		app:       a,
		props:     props,
		queues:    map[string]awssqs.Queue{},
		logGroups: map[string]awslogs.CfnLogGroup{},
		roles:     map[string]awsiam.CfnRole{},
		policies:  map[string]awsiam.CfnPolicy{},
		functions: map[string]awslambda.Function{},
	}
	b.parameters()
	b.storage()
	b.messaging()
	for _, r := range a.Roles() {
		b.roles[r.LogicalID] = b.role(r)
	}
	for _, f := range a.Functions {
		b.functions[f.Name] = b.function(f)
	}
	// Policies, environments and event sources name other functions, so
	// they follow once every function exists.
	for _, r := range a.Roles() {
		b.policies[r.LogicalID] = b.rolePolicy(r)
	}
	for _, f := range a.Functions {
		b.wire(f)
	}
	b.httpAPI()
	b.alarms()
	b.outputs()
	b.stack.TemplateOptions().SetTemplateFormatVersion(jsii.String("2010-09-09"))
	return b.stack
}

// builder holds the parts of the stack built so far, by the names the
// declaration gives them.
type builder struct {
	stack awscdk.Stack
	app   app.App
	props Props

	cursorSecret awscdk.CfnParameter
	alarmEmail   awscdk.CfnParameter
	hasEmail     awscdk.CfnCondition

	table  awsdynamodb.Table
	bucket awss3.Bucket                  // nil without a function that UsesReports
	bus    awsevents.EventBus            // nil when !app.UsesEventBus
	group  awsscheduler.CfnScheduleGroup // nil without a schedule target
	api    awsapigatewayv2.CfnApi
	topic  awssns.Topic

	queues    map[string]awssqs.Queue        // by function, for HasFailureQueue
	logGroups map[string]awslogs.CfnLogGroup // by function
	roles     map[string]awsiam.CfnRole      // by logical ID
	policies  map[string]awsiam.CfnPolicy    // by the logical ID of their role
	functions map[string]awslambda.Function  // by function
}

// parameters declares what is given at deploy time: the cursor secret and
// the alarm e-mail address (with the condition that it is set).
func (b *builder) parameters() {
	b.cursorSecret = awscdk.NewCfnParameter(b.stack, jsii.String(app.ParamCursorSecret), &awscdk.CfnParameterProps{
		Type:        jsii.String("String"),
		NoEcho:      jsii.Bool(true),
		MinLength:   jsii.Number(32),
		Description: jsii.String("HMAC key that signs list cursors (at least 32 characters)."),
	})
	b.alarmEmail = awscdk.NewCfnParameter(b.stack, jsii.String(app.ParamAlarmEmail), &awscdk.CfnParameterProps{
		Type:        jsii.String("String"),
		Default:     jsii.String(""),
		Description: jsii.String("E-mail address the alarms notify (confirm the subscription mail); empty for none."),
	})
	b.hasEmail = awscdk.NewCfnCondition(b.stack, jsii.String(app.ConditionHasAlarmEmail), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionNot(awscdk.Fn_ConditionEquals(b.alarmEmail.ValueAsString(), jsii.String(""))),
	})
}

// outputs are the stack's outputs, as template.yaml's.
func (b *builder) outputs() {
	awscdk.NewCfnOutput(b.stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("Base URL of the HTTP API."),
		Value:       jsii.String("https://" + *b.api.Ref() + ".execute-api." + *awscdk.Aws_REGION() + "." + *awscdk.Aws_URL_SUFFIX() + "/"),
	})
	awscdk.NewCfnOutput(b.stack, jsii.String("TableName"), &awscdk.CfnOutputProps{
		Description: jsii.String("Name of the single DynamoDB table."),
		Value:       b.table.TableName(),
	})
	awscdk.NewCfnOutput(b.stack, jsii.String("AlarmTopicArn"), &awscdk.CfnOutputProps{
		Description: jsii.String("SNS topic the alarms notify; subscribe on-call to it."),
		Value:       b.topic.TopicArn(),
	})
}

// logicalID gives the CloudFormation resource of an L2 construct the
// logical ID template.yaml gives it.
func logicalID(c constructs.IConstruct, id string) {
	c.Node().DefaultChild().(awscdk.CfnResource).OverrideLogicalId(jsii.String(id))
}

// scheduleTargetName is the schedule target's explicit function name, as
// sam.go's: known without the function, so the target can name itself
// without a dependency cycle.
func scheduleTargetName(target app.Function) *string {
	return jsii.String(*awscdk.Aws_STACK_NAME() + "-" + target.Name)
}

// scheduleTargetARN is the schedule target's ARN, built from its name.
func (b *builder) scheduleTargetARN(target app.Function) *string {
	return b.stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("lambda"),
		Resource:     jsii.String("function"),
		ResourceName: scheduleTargetName(target),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
}

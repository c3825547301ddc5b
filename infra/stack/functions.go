package stack

import (
	"encoding/json"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/partnerportal/portal/internal/app"
)

// function declares f's log group and f itself, running its bootstrap
// binary from the dist directory as its declared role. The function gets
// its role as an immutable imported role, to which CDK cannot add: nothing
// it would grant the function reaches the role, which allows exactly its
// declared statements.
func (b *builder) function(f app.Function) awslambda.Function {
	logs := awslogs.NewCfnLogGroup(b.stack, jsii.String(app.LogGroupLogicalID(f.Name)), &awslogs.CfnLogGroupProps{
		RetentionInDays: jsii.Number(b.app.LogRetentionDays),
	})
	b.logGroups[f.Name] = logs
	roleID := app.RoleLogicalID(f.Name)
	role := awsiam.Role_FromRoleArn(b.stack, jsii.String(roleID+"Imported"), b.roles[roleID].AttrArn(),
		&awsiam.FromRoleArnOptions{Mutable: jsii.Bool(false)})
	id := app.FunctionLogicalID(f.Name)
	props := &awslambda.FunctionProps{
		Runtime:       awslambda.NewRuntime(jsii.String(app.Runtime), awslambda.RuntimeFamily_OTHER, nil),
		Architecture:  awslambda.Architecture_Custom(jsii.String(app.Architecture), jsii.String("linux/"+app.Architecture)),
		Handler:       jsii.String(app.Handler),
		Code:          awslambda.Code_FromAsset(jsii.String(filepath.Join(b.props.DistDir, f.Name)), nil),
		Description:   jsii.String(f.Description),
		MemorySize:    jsii.Number(f.MemoryMB),
		Timeout:       awscdk.Duration_Seconds(jsii.Number(f.TimeoutSec)),
		Role:          role,
		LoggingFormat: awslambda.LoggingFormat_JSON,
		LogGroup:      awslogs.LogGroup_FromLogGroupName(b.stack, jsii.String(id+"LogsImported"), logs.Ref()),
	}
	if f.ScheduleTarget {
		props.FunctionName = scheduleTargetName(f)
	}
	fn := awslambda.NewFunction(b.stack, jsii.String(id), props)
	logicalID(fn, id)
	return fn
}

// wire gives f, once every function and policy exists, its environment,
// its dependency on its role's policy (which the function and its stream
// mapping need in place), and what invokes it besides the API: async
// retries, the stream mapping, its event rules.
func (b *builder) wire(f app.Function) {
	fn := b.functions[f.Name]
	for _, v := range append(b.app.GlobalEnvironment(), b.app.Environment(f)...) {
		fn.AddEnvironment(jsii.String(v.Name), b.value(v), nil)
	}
	fn.Node().AddDependency(b.policies[app.RoleLogicalID(f.Name)])
	id := app.FunctionLogicalID(f.Name)
	if f.Kind == app.KindAsync {
		awslambda.NewCfnEventInvokeConfig(b.stack, jsii.String(id+"EventInvokeConfig"), &awslambda.CfnEventInvokeConfigProps{
			FunctionName:         fn.FunctionName(),
			Qualifier:            jsii.String("$LATEST"),
			MaximumRetryAttempts: jsii.Number(app.AsyncRetries),
			DestinationConfig: &awslambda.CfnEventInvokeConfig_DestinationConfigProperty{
				OnFailure: &awslambda.CfnEventInvokeConfig_OnFailureProperty{Destination: b.queues[f.Name].QueueArn()},
			},
		})
	}
	if s := f.Stream; s != nil {
		// A record that still fails is split off from the records after it,
		// and its batch's place in the stream is kept in the failure queue.
		// The logical ID is SAM's: the function's and its event's, TableStream.
		awslambda.NewCfnEventSourceMapping(b.stack, jsii.String(id+"TableStream"), &awslambda.CfnEventSourceMappingProps{
			FunctionName:               fn.FunctionName(),
			EventSourceArn:             b.table.TableStreamArn(),
			StartingPosition:           jsii.String(app.StreamStartingPosition),
			BatchSize:                  jsii.Number(s.BatchSize),
			MaximumRetryAttempts:       jsii.Number(s.MaxRetries),
			MaximumRecordAgeInSeconds:  jsii.Number(s.MaxRecordAgeSec),
			FunctionResponseTypes:      jsii.Strings("ReportBatchItemFailures"),
			BisectBatchOnFunctionError: jsii.Bool(true),
			DestinationConfig: &awslambda.CfnEventSourceMapping_DestinationConfigProperty{
				OnFailure: &awslambda.CfnEventSourceMapping_OnFailureProperty{Destination: b.queues[f.Name].QueueArn()},
			},
			FilterCriteria: &awslambda.CfnEventSourceMapping_FilterCriteriaProperty{
				Filters: &[]*awslambda.CfnEventSourceMapping_FilterProperty{{Pattern: jsii.String(string(s.FilterPattern()))}},
			},
		})
	}
	b.rules(f)
}

// rules declares f's event rules on the app's bus, each invoking f and
// keeping what it cannot deliver in f's failure queue, whose policy lets
// those rules (and no one else through it) send there.
func (b *builder) rules(f app.Function) {
	if len(f.Rules) == 0 {
		return
	}
	fn, queue := b.functions[f.Name], b.queues[f.Name]
	var arns []*string
	for _, r := range f.Rules {
		id := app.EventRuleLogicalID(f.Name, r)
		var pattern map[string]any
		if err := json.Unmarshal(r.Pattern(), &pattern); err != nil {
			panic("stack: rule " + id + ": " + err.Error())
		}
		rule := awsevents.NewCfnRule(b.stack, jsii.String(id), &awsevents.CfnRuleProps{
			EventBusName: b.bus.EventBusName(),
			EventPattern: pattern,
			Targets: &[]*awsevents.CfnRule_TargetProperty{{
				Id:  jsii.String(id + "LambdaTarget"),
				Arn: fn.FunctionArn(),
				RetryPolicy: &awsevents.CfnRule_RetryPolicyProperty{
					MaximumRetryAttempts:     jsii.Number(app.RuleRetries),
					MaximumEventAgeInSeconds: jsii.Number(app.RuleMaxEventAgeSec),
				},
				DeadLetterConfig: &awsevents.CfnRule_DeadLetterConfigProperty{Arn: queue.QueueArn()},
			}},
		})
		awslambda.NewCfnPermission(b.stack, jsii.String(id+"Permission"), &awslambda.CfnPermissionProps{
			Action:       jsii.String("lambda:InvokeFunction"),
			FunctionName: fn.FunctionName(),
			Principal:    jsii.String("events.amazonaws.com"),
			SourceArn:    rule.AttrArn(),
		})
		arns = append(arns, rule.AttrArn())
	}
	b.failureQueuePolicy(f, queue, arns)
}

// failureQueuePolicy lets EventBridge send to queue on behalf of the rules
// with the given ARNs only.
func (b *builder) failureQueuePolicy(f app.Function, queue awssqs.Queue, rules []*string) {
	allow := awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Effect:     awsiam.Effect_ALLOW,
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sqs:SendMessage"),
		Resources:  &[]*string{queue.QueueArn()},
		Conditions: &map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": rules}},
	})
	awssqs.NewCfnQueuePolicy(b.stack, jsii.String(app.FailureQueuePolicyLogicalID(f.Name)), &awssqs.CfnQueuePolicyProps{
		Queues:         &[]*string{queue.QueueUrl()},
		PolicyDocument: awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{allow}}),
	})
}

// value renders what an environment variable holds, as sam.go's samValue.
func (b *builder) value(v app.EnvVar) *string {
	target, _ := b.app.ScheduleTargetFunction()
	switch v.Value {
	case app.ValueTableName:
		return b.table.TableName()
	case app.ValueCursorSecret:
		return b.cursorSecret.ValueAsString()
	case app.ValueStage:
		return jsii.String(string(b.props.Stage))
	case app.ValueReportsBucket:
		return b.bucket.BucketName()
	case app.ValueFunctionName:
		return b.functions[v.Function].FunctionName()
	case app.ValueScheduleGroup:
		return b.group.Ref()
	case app.ValueScheduleTargetARN:
		return b.scheduleTargetARN(target)
	case app.ValueSchedulerRoleARN:
		return b.roles[app.SchedulerRoleLogicalID].AttrArn()
	case app.ValueDispatchDLQARN:
		return b.queues[target.Name].QueueArn()
	case app.ValueEventBus:
		return b.bus.EventBusName()
	case app.ValueTenantRoleARN:
		return b.roles[app.TenantRoleLogicalID].AttrArn()
	}
	panic("stack: no value for " + string(v.Value))
}

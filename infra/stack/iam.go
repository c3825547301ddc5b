package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/partnerportal/portal/internal/app"
)

// role declares r with its trust policy only: its permissions are the
// separate policy of rolePolicy, so that a role another role trusts (the
// tenant role trusts the function roles) can be named in that role's
// permissions without a cycle. The function roles come first in
// app.Roles, so the roles they trust can name them.
func (b *builder) role(r app.Role) awsiam.CfnRole {
	var principals []awsiam.IPrincipal
	if r.Service != "" {
		principals = append(principals, awsiam.NewServicePrincipal(jsii.String(r.Service), nil))
	}
	for _, fn := range r.TrustedFunctions {
		principals = append(principals, awsiam.NewArnPrincipal(b.roles[app.RoleLogicalID(fn)].AttrArn()))
	}
	trust := awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Effect:     awsiam.Effect_ALLOW,
		Principals: &principals,
		Actions:    jsii.Strings(r.TrustActions...),
		Conditions: conditions(r.TrustConditions),
	})
	return awsiam.NewCfnRole(b.stack, jsii.String(r.LogicalID), &awsiam.CfnRoleProps{
		AssumeRolePolicyDocument: awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{trust}}),
	})
}

// rolePolicy declares r's statements as the one policy attached to r.
// Nothing else adds to a role: the functions get theirs without policy
// updates (see function).
func (b *builder) rolePolicy(r app.Role) awsiam.CfnPolicy {
	var statements []awsiam.PolicyStatement
	for _, s := range r.Statements {
		var resources []*string
		for _, res := range s.Resources {
			resources = append(resources, b.arn(res))
		}
		statements = append(statements, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Effect:     awsiam.Effect_ALLOW,
			Actions:    jsii.Strings(s.Actions...),
			Resources:  &resources,
			Conditions: conditions(s.Conditions),
		}))
	}
	id := app.RolePolicyLogicalID(r.LogicalID)
	return awsiam.NewCfnPolicy(b.stack, jsii.String(id), &awsiam.CfnPolicyProps{
		PolicyName:     jsii.String(id),
		Roles:          &[]*string{b.roles[r.LogicalID].Ref()},
		PolicyDocument: awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &statements}),
	})
}

// conditions renders cs as a policy statement's conditions, one value as
// itself and more as a list; app.AccountID becomes the account's ID. It
// returns nil for none.
func conditions(cs []app.Condition) *map[string]any {
	if len(cs) == 0 {
		return nil
	}
	out := map[string]any{}
	for _, c := range cs {
		var values []*string
		for _, v := range c.Values {
			if v == app.AccountID {
				values = append(values, awscdk.Aws_ACCOUNT_ID())
			} else {
				values = append(values, jsii.String(v))
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
	return &out
}

// arn renders the ARN of r as sam.go's samResource does (CDK joins where
// SAM substitutes).
func (b *builder) arn(r app.Resource) *string {
	switch r.Kind {
	case app.ResourceAll:
		return jsii.String("*")
	case app.ResourceTable:
		return b.table.TableArn()
	case app.ResourceTableIndexes:
		return jsii.String(*b.table.TableArn() + "/index/*")
	case app.ResourceTableStream:
		return b.table.TableStreamArn()
	case app.ResourceReportObjects:
		return b.bucket.ArnForObjects(jsii.String("*"))
	case app.ResourceEventBus:
		return b.bus.EventBusArn()
	case app.ResourceFunction:
		if f, _ := b.app.Function(r.Function); f.ScheduleTarget {
			return b.scheduleTargetARN(f)
		}
		return b.functions[r.Function].FunctionArn()
	case app.ResourceLogGroup:
		return b.logGroups[r.Function].AttrArn()
	case app.ResourceFailureQueue:
		return b.queues[r.Function].QueueArn()
	case app.ResourceSchedules:
		return b.stack.FormatArn(&awscdk.ArnComponents{
			Service:      jsii.String("scheduler"),
			Resource:     jsii.String("schedule"),
			ResourceName: jsii.String(*b.group.Ref() + "/*"),
		})
	case app.ResourceSchedulerRole:
		return b.roles[app.SchedulerRoleLogicalID].AttrArn()
	case app.ResourceTenantRole:
		return b.roles[app.TenantRoleLogicalID].AttrArn()
	}
	panic("stack: no ARN for resource " + string(r.Kind))
}

package app

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// SAMTemplate renders the declaration as an AWS SAM template in YAML. The
// output depends only on the declaration, so it is byte-for-byte stable and
// can be compared with the committed template.yaml. It fails when Validate does.
//
// Every role is explicit (Roles), so SAM adds no policy of its own to a
// function's role: each allows exactly what the declaration says.
func (a App) SAMTemplate() ([]byte, error) {
	if err := a.Validate(); err != nil {
		return nil, fmt.Errorf("sam template: %w", err)
	}
	resources := []field{
		kv(a.Table.LogicalID, a.tableResource()),
		kv(HTTPAPILogicalID, a.httpAPIResource()),
	}
	if a.UsesEventBus() {
		resources = append(resources, kv(EventBusLogicalID, object(
			kv("Type", str("AWS::Events::EventBus")),
			kv("Properties", object(kv("Name", sub("${AWS::StackName}")))),
		)))
	}
	if slices.ContainsFunc(a.Functions, func(f Function) bool { return f.UsesReports }) {
		resources = append(resources, kv(ReportsBucketLogicalID, reportsBucketResource()), kv(ReportsBucketPolicyLogicalID, reportsBucketPolicy()))
	}
	if _, ok := a.ScheduleTargetFunction(); ok {
		resources = append(resources, kv(ScheduleGroupLogicalID, object(
			kv("Type", str("AWS::Scheduler::ScheduleGroup")),
			kv("Properties", object(kv("Name", sub("${AWS::StackName}-scans")))),
		)))
	}
	for _, f := range a.Functions {
		resources = append(resources,
			kv(LogGroupLogicalID(f.Name), a.logGroupResource()),
			kv(FunctionLogicalID(f.Name), a.functionResource(f)),
		)
		if f.HasFailureQueue() {
			resources = append(resources, kv(FailureQueueLogicalID(f.Name), failureQueue()))
			if rules := eventRuleARNs(f); len(rules) > 0 {
				resources = append(resources, kv(FailureQueuePolicyLogicalID(f.Name), failureQueuePolicy(f, rules)))
			}
		}
	}
	for _, r := range a.Roles() {
		resources = append(resources, kv(r.LogicalID, a.roleResource(r)), kv(RolePolicyLogicalID(r.LogicalID), a.rolePolicyResource(r)))
	}
	resources = append(resources, kv(AlarmTopicLogicalID, object(kv("Type", str("AWS::SNS::Topic")))))
	resources = append(resources, kv(AlarmSubscriptionLogicalID, object(
		kv("Type", str("AWS::SNS::Subscription")),
		kv("Condition", str(ConditionHasAlarmEmail)),
		kv("Properties", object(
			kv("TopicArn", ref(AlarmTopicLogicalID)),
			kv("Protocol", str("email")),
			kv("Endpoint", ref(ParamAlarmEmail)),
		)),
	)))
	for _, al := range a.Alarms() {
		resources = append(resources, kv(al.LogicalID, a.alarmResource(al)))
	}
	outputs := []field{
		kv("ApiUrl", object(
			kv("Description", str("Base URL of the HTTP API.")),
			kv("Value", sub("https://${"+HTTPAPILogicalID+"}.execute-api.${AWS::Region}.${AWS::URLSuffix}/")),
		)),
		kv("TableName", object(
			kv("Description", str("Name of the single DynamoDB table.")),
			kv("Value", ref(a.Table.LogicalID)),
		)),
		kv("AlarmTopicArn", object(
			kv("Description", str("SNS topic the alarms notify; subscribe on-call to it.")),
			kv("Value", ref(AlarmTopicLogicalID)),
		)),
	}
	doc := object(
		kv("AWSTemplateFormatVersion", str("2010-09-09")),
		kv("Transform", str("AWS::Serverless-2016-10-31")),
		kv("Description", str(a.Description)),
		kv("Parameters", object(
			kv(ParamStage, object(
				kv("Type", str("String")),
				kv("AllowedValues", strs("dev", "prod")),
				kv("Default", str("dev")),
				kv("Description", str("Deployment stage; prod turns on table deletion protection.")),
			)),
			kv(ParamCursorSecret, object(
				kv("Type", str("String")),
				kv("NoEcho", boolean(true)),
				kv("MinLength", num(32)),
				kv("Description", str("HMAC key that signs list cursors (at least 32 characters).")),
			)),
			kv(ParamAlarmEmail, object(
				kv("Type", str("String")),
				kv("Default", str("")),
				kv("Description", str("E-mail address the alarms notify (confirm the subscription mail); empty for none.")),
			)),
		)),
		kv("Conditions", object(
			kv(ConditionIsProd, object(kv("Fn::Equals", flow(ref(ParamStage), str("prod"))))),
			kv(ConditionHasAlarmEmail, object(kv("Fn::Not", list(object(kv("Fn::Equals", flow(ref(ParamAlarmEmail), str("")))))))),
		)),
		kv("Globals", object(kv("Function", object(
			kv("Runtime", str(Runtime)),
			kv("Architectures", strs(Architecture)),
			kv("Handler", str(Handler)),
			kv("Environment", object(kv("Variables", object(a.globalEnv()...)))),
		)))),
		kv("Resources", object(resources...)),
		kv("Outputs", object(outputs...)),
	)

	var buf bytes.Buffer
	buf.WriteString(TemplateHeader)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{doc}}); err != nil {
		return nil, fmt.Errorf("sam template: encode: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("sam template: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// UsesEventBus says whether the app has an event bus: some function
// publishes events or has rules.
func (a App) UsesEventBus() bool {
	return slices.ContainsFunc(a.Functions, func(f Function) bool { return f.PublishesEvents || len(f.Rules) > 0 })
}

func (a App) tableResource() *yaml.Node {
	t := a.Table
	var attrs []string
	add := func(name string) {
		if name != "" && !slices.Contains(attrs, name) {
			attrs = append(attrs, name)
		}
	}
	add(t.PartitionKey)
	add(t.SortKey)
	for _, ix := range t.Indexes {
		add(ix.PartitionKey)
		add(ix.SortKey)
	}
	var defs []*yaml.Node
	for _, name := range attrs {
		defs = append(defs, object(kv("AttributeName", str(name)), kv("AttributeType", str("S"))))
	}
	var gsis []*yaml.Node
	for _, ix := range t.Indexes {
		gsis = append(gsis, object(
			kv("IndexName", str(ix.Name)),
			kv("KeySchema", keySchema(ix.PartitionKey, ix.SortKey)),
			kv("Projection", object(kv("ProjectionType", str("ALL")))),
		))
	}
	props := []field{
		kv("BillingMode", str("PAY_PER_REQUEST")),
		kv("AttributeDefinitions", list(defs...)),
		kv("KeySchema", keySchema(t.PartitionKey, t.SortKey)),
	}
	if len(gsis) > 0 {
		props = append(props, kv("GlobalSecondaryIndexes", list(gsis...)))
	}
	if t.StreamView != "" {
		props = append(props, kv("StreamSpecification", object(kv("StreamViewType", str(t.StreamView)))))
	}
	if t.TTLAttribute != "" {
		props = append(props, kv("TimeToLiveSpecification", object(
			kv("AttributeName", str(t.TTLAttribute)),
			kv("Enabled", boolean(true)),
		)))
	}
	props = append(props,
		kv("PointInTimeRecoverySpecification", object(kv("PointInTimeRecoveryEnabled", boolean(true)))),
		kv("SSESpecification", object(kv("SSEEnabled", boolean(true)))),
		kv("DeletionProtectionEnabled", object(kv("Fn::If", flow(str(ConditionIsProd), boolean(true), boolean(false))))),
	)
	return object(
		kv("Type", str("AWS::DynamoDB::Table")),
		kv("Properties", object(props...)),
	)
}

// reportsBucketResource is the private, encrypted bucket of scan reports:
// no public access, objects owned by the bucket's account, reports older
// than ReportsInfrequentAccessAfterDays kept at the cheaper storage class.
// Reports are records partners keep: the bucket survives the stack.
func reportsBucketResource() *yaml.Node {
	return object(
		kv("Type", str("AWS::S3::Bucket")),
		kv("DeletionPolicy", str("Retain")),
		kv("UpdateReplacePolicy", str("Retain")),
		kv("Properties", object(
			kv("BucketEncryption", object(kv("ServerSideEncryptionConfiguration", list(object(
				kv("ServerSideEncryptionByDefault", object(kv("SSEAlgorithm", str("AES256")))),
			))))),
			kv("PublicAccessBlockConfiguration", object(
				kv("BlockPublicAcls", boolean(true)),
				kv("BlockPublicPolicy", boolean(true)),
				kv("IgnorePublicAcls", boolean(true)),
				kv("RestrictPublicBuckets", boolean(true)),
			)),
			kv("OwnershipControls", object(kv("Rules", list(object(kv("ObjectOwnership", str("BucketOwnerEnforced"))))))),
			kv("LifecycleConfiguration", object(kv("Rules", list(object(
				kv("Id", str("ReportsAgeIntoInfrequentAccess")),
				kv("Status", str("Enabled")),
				kv("Transitions", list(object(kv("StorageClass", str("STANDARD_IA")), kv("TransitionInDays", num(ReportsInfrequentAccessAfterDays))))),
				kv("AbortIncompleteMultipartUpload", object(kv("DaysAfterInitiation", num(1)))),
			))))),
		)),
	)
}

// reportsBucketPolicy refuses every request to the reports bucket that
// does not come over TLS.
func reportsBucketPolicy() *yaml.Node {
	bucket := getAtt(ReportsBucketLogicalID, "Arn")
	objects := object(kv("Fn::Sub", str("${"+ReportsBucketLogicalID+".Arn}/*")))
	return object(
		kv("Type", str("AWS::S3::BucketPolicy")),
		kv("Properties", object(
			kv("Bucket", ref(ReportsBucketLogicalID)),
			kv("PolicyDocument", object(
				kv("Version", str("2012-10-17")),
				kv("Statement", list(object(
					kv("Sid", str("DenyInsecureTransport")),
					kv("Effect", str("Deny")),
					kv("Principal", str("*")),
					kv("Action", str("s3:*")),
					kv("Resource", list(bucket, objects)),
					kv("Condition", object(kv("Bool", object(kv("aws:SecureTransport", str("false")))))),
				))),
			)),
		)),
	)
}

// failureQueue is an encrypted queue keeping what failed for good for 14 days.
func failureQueue() *yaml.Node {
	return object(
		kv("Type", str("AWS::SQS::Queue")),
		kv("Properties", object(
			kv("MessageRetentionPeriod", num(FailureRetentionDays*24*3600)),
			kv("SqsManagedSseEnabled", boolean(true)),
		)),
	)
}

// eventRuleARNs are the ARNs of the AWS::Events::Rule resources SAM makes of
// f's rules, in declaration order.
func eventRuleARNs(f Function) []*yaml.Node {
	var arns []*yaml.Node
	for _, r := range f.Rules {
		arns = append(arns, getAtt(EventRuleLogicalID(f.Name, r), "Arn"))
	}
	return arns
}

// failureQueuePolicy lets f's rules (and nothing else through the queue's
// policy) send the events they failed to deliver to f's failure queue: SAM
// adds no queue policy for a DeadLetterConfig given by Arn.
func failureQueuePolicy(f Function, rules []*yaml.Node) *yaml.Node {
	q := FailureQueueLogicalID(f.Name)
	return object(
		kv("Type", str("AWS::SQS::QueuePolicy")),
		kv("Properties", object(
			kv("Queues", list(ref(q))),
			kv("PolicyDocument", policyDocument(object(
				kv("Effect", str("Allow")),
				kv("Principal", object(kv("Service", str("events.amazonaws.com")))),
				kv("Action", strs("sqs:SendMessage")),
				kv("Resource", getAtt(q, "Arn")),
				kv("Condition", object(kv("ArnEquals", object(kv("aws:SourceArn", list(rules...)))))),
			))),
		)),
	)
}

func (a App) logGroupResource() *yaml.Node {
	return object(
		kv("Type", str("AWS::Logs::LogGroup")),
		kv("Properties", object(kv("RetentionInDays", num(a.LogRetentionDays)))),
	)
}

// roleResource is r with its trust policy; its permissions are the
// separate policy of rolePolicyResource, so that a role another role
// trusts can be named in that role's permissions without a cycle.
func (a App) roleResource(r Role) *yaml.Node {
	principal := object(kv("Service", str(r.Service)))
	if r.Service == "" {
		var roles []*yaml.Node
		for _, fn := range r.TrustedFunctions {
			roles = append(roles, getAtt(RoleLogicalID(fn), "Arn"))
		}
		principal = object(kv("AWS", list(roles...)))
	}
	trust := []field{kv("Effect", str("Allow")), kv("Principal", principal), kv("Action", strs(r.TrustActions...))}
	if len(r.TrustConditions) > 0 {
		trust = append(trust, kv("Condition", samConditions(r.TrustConditions)))
	}
	return object(
		kv("Type", str("AWS::IAM::Role")),
		kv("Properties", object(kv("AssumeRolePolicyDocument", policyDocument(object(trust...))))),
	)
}

func (a App) rolePolicyResource(r Role) *yaml.Node {
	var statements []*yaml.Node
	for _, s := range r.Statements {
		var resources []*yaml.Node
		for _, res := range s.Resources {
			resources = append(resources, a.samResource(res))
		}
		st := []field{kv("Effect", str("Allow")), kv("Action", strs(s.Actions...)), kv("Resource", oneOrList(resources))}
		if len(s.Conditions) > 0 {
			st = append(st, kv("Condition", samConditions(s.Conditions)))
		}
		statements = append(statements, object(st...))
	}
	return object(
		kv("Type", str("AWS::IAM::Policy")),
		kv("Properties", object(
			kv("PolicyName", str(RolePolicyLogicalID(r.LogicalID))),
			kv("Roles", list(ref(r.LogicalID))),
			kv("PolicyDocument", policyDocument(statements...)),
		)),
	)
}

// samConditions renders conditions as a policy's Condition block, operator
// by operator in order of first use.
func samConditions(cs []Condition) *yaml.Node {
	var ops []string
	byOp := map[string][]field{}
	for _, c := range cs {
		if _, ok := byOp[c.Operator]; !ok {
			ops = append(ops, c.Operator)
		}
		var values []*yaml.Node
		for _, v := range c.Values {
			if v == AccountID {
				values = append(values, ref("AWS::AccountId"))
			} else {
				values = append(values, str(v))
			}
		}
		byOp[c.Operator] = append(byOp[c.Operator], kv(c.Key, oneOrList(values)))
	}
	var out []field
	for _, op := range ops {
		out = append(out, kv(op, object(byOp[op]...)))
	}
	return object(out...)
}

// samResource renders the ARN of r.
func (a App) samResource(r Resource) *yaml.Node {
	switch r.Kind {
	case ResourceAll:
		return str("*")
	case ResourceTable:
		return getAtt(a.Table.LogicalID, "Arn")
	case ResourceTableIndexes:
		return sub("${" + a.Table.LogicalID + ".Arn}/index/*")
	case ResourceTableStream:
		return getAtt(a.Table.LogicalID, "StreamArn")
	case ResourceReportObjects:
		return sub("${" + ReportsBucketLogicalID + ".Arn}/*")
	case ResourceEventBus:
		return getAtt(EventBusLogicalID, "Arn")
	case ResourceFunction:
		if f, _ := a.Function(r.Function); f.ScheduleTarget {
			return scheduleTargetARN(f)
		}
		return getAtt(FunctionLogicalID(r.Function), "Arn")
	case ResourceLogGroup:
		return getAtt(LogGroupLogicalID(r.Function), "Arn")
	case ResourceFailureQueue:
		return getAtt(FailureQueueLogicalID(r.Function), "Arn")
	case ResourceSchedules:
		return sub("arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${" + ScheduleGroupLogicalID + "}/*")
	case ResourceSchedulerRole:
		return getAtt(SchedulerRoleLogicalID, "Arn")
	case ResourceTenantRole:
		return getAtt(TenantRoleLogicalID, "Arn")
	}
	panic("app: no template ARN for resource " + string(r.Kind))
}

// alarmResource renders al notifying the alarm topic.
func (a App) alarmResource(al Alarm) *yaml.Node {
	var dim *yaml.Node
	switch al.Of.Kind {
	case ResourceFunction:
		dim = a.samFunctionName(al.Of.Function)
	case ResourceFailureQueue:
		dim = getAtt(FailureQueueLogicalID(al.Of.Function), "QueueName")
	case ResourceHTTPAPI:
		dim = ref(HTTPAPILogicalID)
	default:
		panic("app: no alarm dimension for resource " + string(al.Of.Kind))
	}
	return object(
		kv("Type", str("AWS::CloudWatch::Alarm")),
		kv("Properties", object(
			kv("AlarmDescription", str(al.Description)),
			kv("Namespace", str(al.Namespace)),
			kv("MetricName", str(al.Metric)),
			kv("Dimensions", list(object(kv("Name", str(al.Dimension)), kv("Value", dim)))),
			kv("Statistic", str(al.Statistic)),
			kv("Period", num(al.PeriodSec)),
			kv("EvaluationPeriods", num(al.Evaluations)),
			kv("Threshold", num(al.Threshold)),
			kv("ComparisonOperator", str("GreaterThanOrEqualToThreshold")),
			kv("TreatMissingData", str("notBreaching")),
			kv("AlarmActions", list(ref(AlarmTopicLogicalID))),
			kv("OKActions", list(ref(AlarmTopicLogicalID))),
		)),
	)
}

// samFunctionName renders the name of the named function: the schedule
// target's is built like its FunctionName, so nothing refers to the target
// itself.
func (a App) samFunctionName(name string) *yaml.Node {
	if f, _ := a.Function(name); f.ScheduleTarget {
		return sub(scheduleTargetName(f))
	}
	return ref(FunctionLogicalID(name))
}

// scheduleTargetName is the target function's explicit FunctionName. It is
// known without the function, so the target can name itself (its own ARN
// in its environment) without a dependency cycle.
func scheduleTargetName(target Function) string { return "${AWS::StackName}-" + target.Name }

// scheduleTargetARN is the target function's ARN, built from its name.
func scheduleTargetARN(target Function) *yaml.Node {
	return sub("arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:" + scheduleTargetName(target))
}

// globalEnv is GlobalEnvironment as template fields.
func (a App) globalEnv() []field {
	var env []field
	for _, v := range a.GlobalEnvironment() {
		env = append(env, kv(v.Name, a.samValue(v)))
	}
	return env
}

// samValue renders what an environment variable holds as the template's
// intrinsic for it.
func (a App) samValue(v EnvVar) *yaml.Node {
	target, _ := a.ScheduleTargetFunction()
	switch v.Value {
	case ValueTableName:
		return ref(a.Table.LogicalID)
	case ValueCursorSecret:
		return ref(ParamCursorSecret)
	case ValueStage:
		return ref(ParamStage)
	case ValueReportsBucket:
		return ref(ReportsBucketLogicalID)
	case ValueFunctionName:
		return ref(FunctionLogicalID(v.Function))
	case ValueScheduleGroup:
		return ref(ScheduleGroupLogicalID)
	case ValueScheduleTargetARN:
		return scheduleTargetARN(target)
	case ValueSchedulerRoleARN:
		return getAtt(SchedulerRoleLogicalID, "Arn")
	case ValueDispatchDLQARN:
		return getAtt(FailureQueueLogicalID(target.Name), "Arn")
	case ValueEventBus:
		return ref(EventBusLogicalID)
	case ValueTenantRoleARN:
		return getAtt(TenantRoleLogicalID, "Arn")
	}
	panic("app: no template value for " + string(v.Value))
}

// oneOrList renders one item as itself and more as a list, as policies
// are usually written.
func oneOrList(items []*yaml.Node) *yaml.Node {
	if len(items) == 1 {
		return items[0]
	}
	return list(items...)
}

func policyDocument(statements ...*yaml.Node) *yaml.Node {
	return object(kv("Version", str("2012-10-17")), kv("Statement", list(statements...)))
}

func keySchema(hash, rng string) *yaml.Node {
	keys := []*yaml.Node{object(kv("AttributeName", str(hash)), kv("KeyType", str("HASH")))}
	if rng != "" {
		keys = append(keys, object(kv("AttributeName", str(rng)), kv("KeyType", str("RANGE"))))
	}
	return list(keys...)
}

// identity is the authorizer's identity source: the header when answers
// are cached, none when every request is authorized.
func (az Authorizer) identity() *yaml.Node {
	if az.CacheTTLSeconds == 0 {
		return object(kv("ReauthorizeEvery", num(0)))
	}
	return object(kv("Headers", strs(az.IdentityHeader)), kv("ReauthorizeEvery", num(az.CacheTTLSeconds)))
}

func (a App) httpAPIResource() *yaml.Node {
	az := a.Authorizer
	return object(
		kv("Type", str("AWS::Serverless::HttpApi")),
		kv("Properties", object(
			kv("FailOnWarnings", boolean(true)),
			kv("DefaultRouteSettings", object(
				kv("ThrottlingBurstLimit", num(a.Throttle.Burst)),
				kv("ThrottlingRateLimit", num(a.Throttle.RatePerSecond)),
			)),
			kv("Auth", object(
				kv("DefaultAuthorizer", str(az.Name())),
				kv("Authorizers", object(kv(az.Name(), object(
					kv("FunctionArn", getAtt(FunctionLogicalID(az.Function), "Arn")),
					kv("AuthorizerPayloadFormatVersion", str("2.0")),
					kv("EnableSimpleResponses", boolean(true)),
					// Otherwise SAM grants API Gateway no permission to invoke the authorizer.
					kv("EnableFunctionDefaultPermissions", boolean(true)),
					kv("Identity", az.identity()),
				)))),
			)),
		)),
	)
}

func (a App) functionResource(f Function) *yaml.Node {
	var props []field
	if f.ScheduleTarget {
		props = append(props, kv("FunctionName", sub(scheduleTargetName(f))))
	}
	props = append(props,
		kv("Description", str(f.Description)),
		kv("CodeUri", str(f.CodeURI())),
		kv("MemorySize", num(f.MemoryMB)),
		kv("Timeout", num(f.TimeoutSec)),
		kv("Role", getAtt(RoleLogicalID(f.Name), "Arn")),
		kv("LoggingConfig", object(kv("LogFormat", str("JSON")), kv("LogGroup", ref(LogGroupLogicalID(f.Name))))),
	)
	var env []field
	for _, v := range a.Environment(f) {
		env = append(env, kv(v.Name, a.samValue(v)))
	}
	if len(env) > 0 {
		props = append(props, kv("Environment", object(kv("Variables", object(env...)))))
	}
	if f.Kind == KindAsync {
		// An asynchronous invocation (by a function, a rule or Scheduler)
		// that still fails after two retries is kept in the failure queue.
		props = append(props, kv("EventInvokeConfig", object(
			kv("MaximumRetryAttempts", num(AsyncRetries)),
			kv("DestinationConfig", object(kv("OnFailure", object(
				kv("Type", str("SQS")),
				kv("Destination", getAtt(FailureQueueLogicalID(f.Name), "Arn")),
			)))),
		)))
	}
	var events []field
	if s := f.Stream; s != nil {
		pattern := string(s.FilterPattern())
		events = append(events, kv("TableStream", object(
			kv("Type", str("DynamoDB")),
			kv("Properties", object(
				kv("Stream", getAtt(a.Table.LogicalID, "StreamArn")),
				kv("StartingPosition", str(StreamStartingPosition)),
				kv("BatchSize", num(s.BatchSize)),
				kv("MaximumRetryAttempts", num(s.MaxRetries)),
				kv("MaximumRecordAgeInSeconds", num(s.MaxRecordAgeSec)),
				kv("FunctionResponseTypes", strs("ReportBatchItemFailures")),
				// A record that still fails is split off from the records
				// after it, and its batch's place in the stream (shard,
				// sequence numbers) is kept in a queue for 14 days, within
				// reach of the stream's 24 hours for a replay.
				kv("BisectBatchOnFunctionError", boolean(true)),
				kv("DestinationConfig", object(kv("OnFailure", object(
					kv("Type", str("SQS")),
					kv("Destination", getAtt(FailureQueueLogicalID(f.Name), "Arn")),
				)))),
				kv("FilterCriteria", object(kv("Filters", list(object(kv("Pattern", str(pattern))))))),
			)),
		)))
	}
	for _, r := range f.Routes {
		ep := []field{
			kv("ApiId", ref(HTTPAPILogicalID)),
			kv("Method", str(r.Method)),
			kv("Path", str(r.Path)),
			kv("PayloadFormatVersion", str("2.0")),
		}
		if r.Public {
			ep = append(ep, kv("Auth", object(kv("Authorizer", str("NONE")))))
		}
		events = append(events, kv(r.EventName(), object(
			kv("Type", str("HttpApi")),
			kv("Properties", object(ep...)),
		)))
	}
	for _, r := range f.Rules {
		// Events EventBridge cannot deliver within an hour (or three
		// retries) go to the failure queue rather than being retried for
		// a day and dropped.
		events = append(events, kv(r.Name, object(
			kv("Type", str("EventBridgeRule")),
			kv("Properties", object(
				kv("EventBusName", ref(EventBusLogicalID)),
				kv("Pattern", object(
					kv("source", strs(r.Source)),
					kv("detail-type", strs(r.DetailTypes...)),
				)),
				kv("RetryPolicy", object(
					kv("MaximumRetryAttempts", num(RuleRetries)),
					kv("MaximumEventAgeInSeconds", num(RuleMaxEventAgeSec)),
				)),
				kv("DeadLetterConfig", object(kv("Arn", getAtt(FailureQueueLogicalID(f.Name), "Arn")))),
			)),
		)))
	}
	if len(events) > 0 {
		props = append(props, kv("Events", object(events...)))
	}
	return object(
		kv("Type", str("AWS::Serverless::Function")),
		// The role's policy exists before the function (and the event
		// source mapping, which checks the role's stream permissions).
		kv("DependsOn", str(RolePolicyLogicalID(RoleLogicalID(f.Name)))),
		// sam build takes the bootstrap make build wrote as it is.
		kv("Metadata", object(kv("SkipBuild", boolean(true)))),
		kv("Properties", object(props...)),
	)
}

// field is one key of a YAML mapping, kept in declaration order.
type field struct {
	key   string
	value *yaml.Node
}

func kv(key string, value *yaml.Node) field { return field{key, value} }

func object(fields ...field) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, f := range fields {
		n.Content = append(n.Content, str(f.key), f.value)
	}
	return n
}

func list(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items}
}

// flow is a list written on one line, as intrinsic-function arguments read best.
func flow(items ...*yaml.Node) *yaml.Node {
	n := list(items...)
	n.Style = yaml.FlowStyle
	return n
}

func strs(ss ...string) *yaml.Node {
	n := list()
	for _, s := range ss {
		n.Content = append(n.Content, str(s))
	}
	return n
}

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
func num(n int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(n)}
}
func boolean(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}
func ref(logicalID string) *yaml.Node { return object(kv("Ref", str(logicalID))) }

func sub(s string) *yaml.Node { return object(kv("Fn::Sub", str(s))) }

func getAtt(logicalID, attr string) *yaml.Node {
	return object(kv("Fn::GetAtt", flow(str(logicalID), str(attr))))
}

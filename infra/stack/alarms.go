package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/partnerportal/portal/internal/app"
)

// alarms declares the topic alarms notify, its e-mail subscription when
// the AlarmEmail parameter is set, and every alarm of app.Alarms.
func (b *builder) alarms() {
	b.topic = awssns.NewTopic(b.stack, jsii.String(app.AlarmTopicLogicalID), nil)
	logicalID(b.topic, app.AlarmTopicLogicalID)
	sub := awssns.NewCfnSubscription(b.stack, jsii.String(app.AlarmSubscriptionLogicalID), &awssns.CfnSubscriptionProps{
		TopicArn: b.topic.TopicArn(),
		Protocol: jsii.String("email"),
		Endpoint: b.alarmEmail.ValueAsString(),
	})
	sub.CfnOptions().SetCondition(b.hasEmail)
	for _, al := range b.app.Alarms() {
		b.alarm(al)
	}
}

// alarm declares al, notifying the topic when it fires and when it
// recovers, as sam.go's alarmResource.
func (b *builder) alarm(al app.Alarm) {
	topic := []any{b.topic.TopicArn()}
	awscloudwatch.NewCfnAlarm(b.stack, jsii.String(al.LogicalID), &awscloudwatch.CfnAlarmProps{
		AlarmDescription:   jsii.String(al.Description),
		Namespace:          jsii.String(al.Namespace),
		MetricName:         jsii.String(al.Metric),
		Dimensions:         &[]*awscloudwatch.CfnAlarm_DimensionProperty{{Name: jsii.String(al.Dimension), Value: b.dimension(al.Of)}},
		Statistic:          jsii.String(al.Statistic),
		Period:             jsii.Number(al.PeriodSec),
		EvaluationPeriods:  jsii.Number(al.Evaluations),
		Threshold:          jsii.Number(al.Threshold),
		ComparisonOperator: jsii.String("GreaterThanOrEqualToThreshold"),
		TreatMissingData:   jsii.String("notBreaching"),
		AlarmActions:       &topic,
		OkActions:          &topic,
	})
}

// dimension is the name (or ID) of what an alarm measures: a function's
// name (the schedule target's by its explicit name, as sam.go), a failure
// queue's name or the API's ID.
func (b *builder) dimension(of app.Resource) *string {
	switch of.Kind {
	case app.ResourceFunction:
		if f, _ := b.app.Function(of.Function); f.ScheduleTarget {
			return scheduleTargetName(f)
		}
		return b.functions[of.Function].FunctionName()
	case app.ResourceFailureQueue:
		return b.queues[of.Function].QueueName()
	case app.ResourceHTTPAPI:
		return b.api.Ref()
	}
	panic("stack: no alarm dimension for resource " + string(of.Kind))
}

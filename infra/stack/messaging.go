package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/partnerportal/portal/internal/app"
)

// messaging declares the app's event bus (named after the stack), the
// Scheduler group of schedule triggers and every function's failure queue.
func (b *builder) messaging() {
	if b.app.UsesEventBus() {
		b.bus = awsevents.NewEventBus(b.stack, jsii.String(app.EventBusLogicalID), &awsevents.EventBusProps{
			EventBusName: awscdk.Aws_STACK_NAME(),
		})
		logicalID(b.bus, app.EventBusLogicalID)
	}
	if _, ok := b.app.ScheduleTargetFunction(); ok {
		b.group = awsscheduler.NewCfnScheduleGroup(b.stack, jsii.String(app.ScheduleGroupLogicalID), &awsscheduler.CfnScheduleGroupProps{
			Name: jsii.String(*awscdk.Aws_STACK_NAME() + "-scans"),
		})
	}
	for _, f := range b.app.Functions {
		if f.HasFailureQueue() {
			id := app.FailureQueueLogicalID(f.Name)
			q := awssqs.NewQueue(b.stack, jsii.String(id), &awssqs.QueueProps{
				RetentionPeriod: awscdk.Duration_Days(jsii.Number(app.FailureRetentionDays)),
				Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
			})
			logicalID(q, id)
			b.queues[f.Name] = q
		}
	}
}

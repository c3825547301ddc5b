package stack_test

import (
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/partnerportal/portal/internal/app"
)

func TestEveryFunctionThatCanFailForGoodHasAnEncryptedFailureQueueKeepingMessages14Days(t *testing.T) {
	var queues int
	for _, f := range app.Declaration().Functions {
		if !f.HasFailureQueue() {
			continue
		}
		queues++
		got := dev.props(t, app.FailureQueueLogicalID(f.Name), "AWS::SQS::Queue")
		if want := map[string]any{"MessageRetentionPeriod": 14 * 24 * 3600, "SqsManagedSseEnabled": true}; !same(got, want) {
			t.Errorf("%s: queue %s, want %s", f.Name, show(got), show(want))
		}
	}
	check(t, func() { dev.template.ResourceCountIs(jsii.String("AWS::SQS::Queue"), jsii.Number(queues)) })
}

func TestTheEventBusIsNamedAfterTheStack(t *testing.T) {
	if !app.Declaration().UsesEventBus() {
		t.Skip("the declaration has no event bus")
	}
	check(t, func() { dev.template.ResourceCountIs(jsii.String("AWS::Events::EventBus"), jsii.Number(1)) })
	if got := dev.props(t, app.EventBusLogicalID, "AWS::Events::EventBus"); !same(got, map[string]any{"Name": ref("AWS::StackName")}) {
		t.Errorf("event bus %s, want it named after the stack", show(got))
	}
}

func TestTheScheduleGroupIsNamedAfterTheStack(t *testing.T) {
	scheduleTarget(t)
	got := dev.props(t, app.ScheduleGroupLogicalID, "AWS::Scheduler::ScheduleGroup")
	if want := map[string]any{"Name": join(ref("AWS::StackName"), "-scans")}; !same(got, want) {
		t.Errorf("schedule group %s, want %s", show(got), show(want))
	}
}

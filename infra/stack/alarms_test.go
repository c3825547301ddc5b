package stack_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/partnerportal/portal/internal/app"
)

func TestEveryDeclaredAlarmWatchesItsMetricAndNotifiesTheTopicWhenItFiresAndRecovers(t *testing.T) {
	alarms := app.Declaration().Alarms()
	check(t, func() { dev.template.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(len(alarms))) })
	for _, al := range alarms {
		var dimension any
		switch al.Of.Kind {
		case app.ResourceFunction:
			dimension = functionName(al.Of.Function)
		case app.ResourceFailureQueue:
			dimension = getAtt(app.FailureQueueLogicalID(al.Of.Function), "QueueName")
		case app.ResourceHTTPAPI:
			dimension = ref(app.HTTPAPILogicalID)
		default:
			t.Fatalf("%s: no expected dimension for %q", al.LogicalID, al.Of.Kind)
		}
		topic := []any{ref(app.AlarmTopicLogicalID)}
		want := map[string]any{
			"AlarmDescription":   al.Description,
			"Namespace":          al.Namespace,
			"MetricName":         al.Metric,
			"Dimensions":         []any{map[string]any{"Name": al.Dimension, "Value": dimension}},
			"Statistic":          al.Statistic,
			"Period":             al.PeriodSec,
			"EvaluationPeriods":  al.Evaluations,
			"Threshold":          al.Threshold,
			"ComparisonOperator": "GreaterThanOrEqualToThreshold",
			"TreatMissingData":   "notBreaching",
			"AlarmActions":       topic,
			"OKActions":          topic,
		}
		if got := dev.props(t, al.LogicalID, "AWS::CloudWatch::Alarm"); !same(got, want) {
			t.Errorf("%s\n got %s\nwant %s", al.LogicalID, show(got), show(want))
		}
	}
}

func TestTheAlarmEmailIsSubscribedOnlyWhenGiven(t *testing.T) {
	check(t, func() {
		dev.template.HasParameter(jsii.String(app.ParamAlarmEmail), map[string]any{"Type": "String", "Default": ""})
		dev.template.HasCondition(jsii.String(app.ConditionHasAlarmEmail), map[string]any{
			"Fn::Not": []any{map[string]any{"Fn::Equals": []any{ref(app.ParamAlarmEmail), ""}}},
		})
		dev.template.ResourceCountIs(jsii.String("AWS::SNS::Topic"), jsii.Number(1))
		dev.template.ResourceCountIs(jsii.String("AWS::SNS::Subscription"), jsii.Number(1))
	})
	got := dev.resource(t, app.AlarmSubscriptionLogicalID, "AWS::SNS::Subscription")
	want := map[string]any{
		"Type":      "AWS::SNS::Subscription",
		"Condition": app.ConditionHasAlarmEmail,
		"Properties": map[string]any{
			"TopicArn": ref(app.AlarmTopicLogicalID),
			"Protocol": "email",
			"Endpoint": ref(app.ParamAlarmEmail),
		},
	}
	if !same(got, want) {
		t.Errorf("subscription\n got %s\nwant %s", show(got), show(want))
	}
	dev.resource(t, app.AlarmTopicLogicalID, "AWS::SNS::Topic")
}

func TestTheCursorSecretIsAHiddenParameterOfAtLeast32Characters(t *testing.T) {
	check(t, func() {
		dev.template.HasParameter(jsii.String(app.ParamCursorSecret), assertions.Match_ObjectLike(&map[string]any{
			"Type":      "String",
			"NoEcho":    true,
			"MinLength": 32,
			"Default":   assertions.Match_Absent(),
		}))
	})
}

func TestTheStageIsNoParameterButFixedAtSynthesis(t *testing.T) {
	if _, ok := dev.json["Parameters"].(map[string]any)[app.ParamStage]; ok {
		t.Errorf("the stack has a %s parameter", app.ParamStage)
	}
}

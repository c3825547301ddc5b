package app

// Alarm is a CloudWatch alarm on one metric of the app: it fires when the
// statistic over Evaluations periods reaches Threshold, treats missing data
// as not breaching (a function never invoked raises no errors), and
// notifies the alarm topic when it fires and when it recovers. The SAM template and the CDK
// stack render the same alarms from Alarms.
type Alarm struct {
	LogicalID   string
	Description string
	Namespace   string
	Metric      string
	// Dimension is the metric's one dimension: its name and the resource
	// whose name (or ID) is its value.
	Dimension   string
	Of          Resource
	Statistic   string // Sum or Maximum
	PeriodSec   int
	Evaluations int
	Threshold   int
}

// Resource kinds alarms measure besides those of roles.
const (
	ResourceHTTPAPI ResourceKind = "http-api" // the HTTP API (its ID)
)

// Alarms returns the app's alarms: per function, any error and any
// throttle within 5 minutes; per failure queue, any message in it; for a
// table-stream function, records waiting more than 5 minutes; for the
// API, 5 or more server errors (5xx) within 5 minutes.
func (a App) Alarms() []Alarm {
	var alarms []Alarm
	for _, f := range a.Functions {
		fn := Resource{Kind: ResourceFunction, Function: f.Name}
		id := FunctionLogicalID(f.Name)
		alarms = append(alarms,
			Alarm{LogicalID: id + "ErrorsAlarm", Description: f.Name + ": invocations failed (function errors) in the last 5 minutes.",
				Namespace: "AWS/Lambda", Metric: "Errors", Dimension: "FunctionName", Of: fn, Statistic: "Sum", PeriodSec: 300, Evaluations: 1, Threshold: 1},
			Alarm{LogicalID: id + "ThrottlesAlarm", Description: f.Name + ": invocations were throttled in the last 5 minutes (concurrency limit reached).",
				Namespace: "AWS/Lambda", Metric: "Throttles", Dimension: "FunctionName", Of: fn, Statistic: "Sum", PeriodSec: 300, Evaluations: 1, Threshold: 1},
		)
		if f.HasFailureQueue() {
			alarms = append(alarms, Alarm{LogicalID: FailureQueueLogicalID(f.Name) + "Alarm",
				Description: f.Name + ": its failure queue holds work that failed for good; see docs/DEPLOY.md (Operations) to inspect and replay it.",
				Namespace:   "AWS/SQS", Metric: "ApproximateNumberOfMessagesVisible", Dimension: "QueueName",
				Of: Resource{Kind: ResourceFailureQueue, Function: f.Name}, Statistic: "Maximum", PeriodSec: 300, Evaluations: 1, Threshold: 1})
		}
		if f.Stream != nil {
			alarms = append(alarms, Alarm{LogicalID: id + "IteratorAgeAlarm",
				Description: f.Name + ": stream records wait more than 5 minutes (usage and alerts lag behind).",
				Namespace:   "AWS/Lambda", Metric: "IteratorAge", Dimension: "FunctionName", Of: fn,
				Statistic: "Maximum", PeriodSec: 300, Evaluations: 1, Threshold: 300_000})
		}
	}
	return append(alarms, Alarm{LogicalID: HTTPAPILogicalID + "ServerErrorsAlarm",
		Description: "The API answered 5 or more requests with a server error (5xx) in the last 5 minutes.",
		Namespace:   "AWS/ApiGateway", Metric: "5xx", Dimension: "ApiId", Of: Resource{Kind: ResourceHTTPAPI},
		Statistic: "Sum", PeriodSec: 300, Evaluations: 1, Threshold: 5})
}

package app

// Value names what an environment variable holds: a part of the deployed
// app. The SAM template renders each as an intrinsic function (a Ref, a
// GetAtt, a Sub); the local stack as its local counterpart. Both take the
// variables from Environment, so they cannot disagree on which a function
// gets.
type Value string

// The values environment variables hold.
const (
	ValueTableName         Value = "table-name"          // the table
	ValueCursorSecret      Value = "cursor-secret"       // the key that signs list cursors
	ValueStage             Value = "stage"               // dev or prod
	ValueReportsBucket     Value = "reports-bucket"      // the bucket of scan reports
	ValueFunctionName      Value = "function-name"       // a function's name (EnvVar.Function)
	ValueScheduleGroup     Value = "schedule-group"      // the Scheduler group of schedule triggers
	ValueScheduleTargetARN Value = "schedule-target-arn" // the ARN of the function triggers invoke
	ValueSchedulerRoleARN  Value = "scheduler-role-arn"  // the role Scheduler assumes
	ValueDispatchDLQARN    Value = "dispatch-dlq-arn"    // the dead-letter queue of fires and dispatch
	ValueEventBus          Value = "event-bus"           // the name of the app's event bus
	ValueTenantRoleARN     Value = "tenant-role-arn"     // the ARN of the tenant data-access role
)

// EnvVar is one environment variable of a function.
type EnvVar struct {
	Name  string
	Value Value
	// Function is the function whose name ValueFunctionName holds.
	Function string
}

// GlobalEnvironment returns the variables every function receives.
func (a App) GlobalEnvironment() []EnvVar {
	return []EnvVar{
		{Name: EnvTableName, Value: ValueTableName},
		{Name: EnvCursorSecret, Value: ValueCursorSecret},
		{Name: EnvStage, Value: ValueStage},
	}
}

// Environment returns the variables f receives besides the global ones,
// from what the declaration says it does: the event bus for
// PublishesEvents, reports for UsesReports, the names of the functions it
// Invokes, the Scheduler resources when it ManagesSchedules, the tenant
// role when it UsesTenantRole.
func (a App) Environment(f Function) []EnvVar {
	var env []EnvVar
	if f.PublishesEvents {
		env = append(env, EnvVar{Name: EnvEventBus, Value: ValueEventBus})
	}
	if f.UsesReports {
		env = append(env, EnvVar{Name: EnvReportsBucket, Value: ValueReportsBucket})
	}
	for _, target := range f.Invokes {
		env = append(env, EnvVar{Name: InvokeEnv(target), Value: ValueFunctionName, Function: target})
	}
	if f.ManagesSchedules {
		env = append(env,
			EnvVar{Name: EnvScheduleGroup, Value: ValueScheduleGroup},
			EnvVar{Name: EnvScheduleTargetARN, Value: ValueScheduleTargetARN},
			EnvVar{Name: EnvScheduleRoleARN, Value: ValueSchedulerRoleARN},
			EnvVar{Name: EnvScheduleDLQARN, Value: ValueDispatchDLQARN},
		)
	}
	if f.UsesTenantRole() {
		env = append(env, EnvVar{Name: EnvTenantRoleARN, Value: ValueTenantRoleARN})
	}
	return env
}

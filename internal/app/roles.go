package app

import "slices"

// Role is an IAM role of the app, derived from the declaration: one per
// function (its execution role), the role EventBridge Scheduler assumes to
// invoke the schedule target, and the tenant data-access role. The SAM
// template and the CDK stack render the same roles from Roles, and the
// local stack enforces their table statements, so what a function may do
// is written down once.
type Role struct {
	LogicalID string
	// Trust: who may assume the role. Exactly one of Service and
	// TrustedFunctions is set.
	Service          string   // a service principal, "lambda.amazonaws.com"
	TrustedFunctions []string // the functions whose execution roles may assume it
	TrustActions     []string
	TrustConditions  []Condition
	// Statements are the Allow statements of the role's one policy.
	Statements []Statement
}

// Statement allows Actions on Resources, under Conditions when given.
type Statement struct {
	Actions    []string
	Resources  []Resource
	Conditions []Condition
}

// Condition is one condition of a statement, for example
// {"StringEquals", "iam:PassedToService", ["scheduler.amazonaws.com"]}.
type Condition struct {
	Operator string
	Key      string
	Values   []string
}

// Resource names an AWS resource of the app (or all resources) a statement
// applies to; each renderer turns it into the resource's ARN.
type Resource struct {
	Kind ResourceKind
	// Function is the function whose log group, failure queue or ARN the
	// resource is.
	Function string
}

// ResourceKind is what kind of resource a Resource names.
type ResourceKind string

// Resource kinds.
const (
	ResourceAll           ResourceKind = "*"              // every resource, for actions without resource-level permissions
	ResourceTable         ResourceKind = "table"          // the table
	ResourceTableIndexes  ResourceKind = "table-indexes"  // every index of the table
	ResourceTableStream   ResourceKind = "table-stream"   // the table's stream
	ResourceReportObjects ResourceKind = "report-objects" // every object of the reports bucket
	ResourceEventBus      ResourceKind = "event-bus"      // the app's event bus
	ResourceFunction      ResourceKind = "function"       // a function (Resource.Function)
	ResourceLogGroup      ResourceKind = "log-group"      // a function's log group
	ResourceFailureQueue  ResourceKind = "failure-queue"  // a function's failure queue
	ResourceSchedules     ResourceKind = "schedules"      // every schedule of the schedule group
	ResourceSchedulerRole ResourceKind = "scheduler-role" // the role Scheduler assumes
	ResourceTenantRole    ResourceKind = "tenant-role"    // the tenant data-access role
)

// DynamoDB item actions. A transaction is authorised per item with the
// action of its kind (a Put as dynamodb:PutItem).
const (
	ActionGetItem      = "dynamodb:GetItem"
	ActionBatchGetItem = "dynamodb:BatchGetItem"
	ActionQuery        = "dynamodb:Query"
	ActionPutItem      = "dynamodb:PutItem"
	ActionUpdateItem   = "dynamodb:UpdateItem"
	ActionDeleteItem   = "dynamodb:DeleteItem"
)

// TableRead and TableReadWrite are the table actions most functions take.
var (
	TableRead      = []string{ActionGetItem, ActionBatchGetItem, ActionQuery}
	TableReadWrite = []string{ActionGetItem, ActionBatchGetItem, ActionQuery, ActionPutItem, ActionUpdateItem, ActionDeleteItem}
)

// TenantRoleLogicalID is the logical ID of the tenant data-access role.
const TenantRoleLogicalID = "TenantDataRole"

// AccountID stands for the deploying account's ID in condition values; the
// renderers replace it.
const AccountID = "${AWS::AccountId}"

// HasFailureQueue says whether f has a queue of what failed for good: a
// table-stream function keeps the batches it gave up on there, an async
// function the invocations that failed after their retries (and, for the
// schedule target, the fires and events Scheduler and EventBridge could not
// deliver).
func (f Function) HasFailureQueue() bool { return f.Kind == KindTableStream || f.Kind == KindAsync }

// UsesTenantRole says whether f assumes the tenant data-access role: HTTP
// functions that read the table serve customer users, whose requests on
// their own partition are signed with credentials confined to it
// (internal/tenantcreds).
func (f Function) UsesTenantRole() bool { return f.Kind == KindHTTP && len(f.TableActions) > 0 }

// Roles returns every role of the app: the functions' execution roles in
// declaration order, then the Scheduler role (when a function is the
// schedule target) and the tenant data-access role (when a function uses
// it).
func (a App) Roles() []Role {
	var roles []Role
	for _, f := range a.Functions {
		roles = append(roles, Role{
			LogicalID:    RoleLogicalID(f.Name),
			Service:      "lambda.amazonaws.com",
			TrustActions: []string{"sts:AssumeRole"},
			Statements:   a.functionStatements(f),
		})
	}
	if target, ok := a.ScheduleTargetFunction(); ok {
		roles = append(roles, Role{
			LogicalID:       SchedulerRoleLogicalID,
			Service:         "scheduler.amazonaws.com",
			TrustActions:    []string{"sts:AssumeRole"},
			TrustConditions: []Condition{{"StringEquals", "aws:SourceAccount", []string{AccountID}}},
			Statements: []Statement{
				{Actions: []string{"lambda:InvokeFunction"}, Resources: []Resource{{Kind: ResourceFunction, Function: target.Name}}},
				{Actions: []string{"sqs:SendMessage"}, Resources: []Resource{{Kind: ResourceFailureQueue, Function: target.Name}}},
			},
		})
	}
	var tenantUsers []string
	for _, f := range a.Functions {
		if f.UsesTenantRole() {
			tenantUsers = append(tenantUsers, f.Name)
		}
	}
	if len(tenantUsers) > 0 {
		roles = append(roles, Role{
			LogicalID:        TenantRoleLogicalID,
			TrustedFunctions: tenantUsers,
			TrustActions:     []string{"sts:AssumeRole", "sts:TagSession"},
			// Only sessions tagged with exactly one tag, tenant, naming a customer.
			TrustConditions: []Condition{
				{"StringLike", "aws:RequestTag/tenant", []string{"cus_*"}},
				{"ForAllValues:StringEquals", "aws:TagKeys", []string{"tenant"}},
			},
			Statements: []Statement{{
				Actions:   TableReadWrite,
				Resources: []Resource{{Kind: ResourceTable}},
				// Items of the session's tenant partition only; a request
				// without leading keys (a Scan) matches nothing.
				Conditions: []Condition{
					{"ForAllValues:StringLike", "dynamodb:LeadingKeys", []string{"TENANT#prt_*#${aws:PrincipalTag/tenant}"}},
					{"Null", "dynamodb:LeadingKeys", []string{"false"}},
				},
			}},
		})
	}
	return roles
}

// functionStatements is what f's execution role allows: writing its own
// logs, and exactly what the declaration says f does.
func (a App) functionStatements(f Function) []Statement {
	st := []Statement{{Actions: []string{"logs:CreateLogStream", "logs:PutLogEvents"}, Resources: []Resource{{Kind: ResourceLogGroup, Function: f.Name}}}}
	if len(f.TableActions) > 0 {
		st = append(st, Statement{Actions: f.TableActions, Resources: []Resource{{Kind: ResourceTable}}})
		if slices.Contains(f.TableActions, ActionQuery) {
			st = append(st, Statement{Actions: []string{ActionQuery}, Resources: []Resource{{Kind: ResourceTableIndexes}}})
		}
	}
	if f.Stream != nil {
		st = append(st,
			Statement{Actions: []string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}, Resources: []Resource{{Kind: ResourceTableStream}}},
			// ListStreams has no resource-level permissions.
			Statement{Actions: []string{"dynamodb:ListStreams"}, Resources: []Resource{{Kind: ResourceAll}}},
		)
	}
	if f.HasFailureQueue() {
		st = append(st, Statement{Actions: []string{"sqs:SendMessage"}, Resources: []Resource{{Kind: ResourceFailureQueue, Function: f.Name}}})
	}
	if f.PublishesEvents {
		st = append(st, Statement{Actions: []string{"events:PutEvents"}, Resources: []Resource{{Kind: ResourceEventBus}}})
	}
	if f.UsesReports {
		st = append(st, Statement{Actions: []string{"s3:GetObject", "s3:PutObject"}, Resources: []Resource{{Kind: ResourceReportObjects}}})
	}
	for _, target := range f.Invokes {
		st = append(st, Statement{Actions: []string{"lambda:InvokeFunction"}, Resources: []Resource{{Kind: ResourceFunction, Function: target}}})
	}
	if f.ManagesSchedules {
		st = append(st,
			Statement{Actions: []string{"scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule", "scheduler:GetSchedule"}, Resources: []Resource{{Kind: ResourceSchedules}}},
			Statement{Actions: []string{"iam:PassRole"}, Resources: []Resource{{Kind: ResourceSchedulerRole}},
				Conditions: []Condition{{"StringEquals", "iam:PassedToService", []string{"scheduler.amazonaws.com"}}}},
		)
	}
	if f.UsesTenantRole() {
		st = append(st, Statement{Actions: []string{"sts:AssumeRole", "sts:TagSession"}, Resources: []Resource{{Kind: ResourceTenantRole}}})
	}
	return st
}

// Allows says whether the role's statements allow action on a resource of
// the given kind, ignoring conditions and which function a resource
// belongs to: what the local stack can check of a request.
func (r Role) Allows(action string, kind ResourceKind) bool {
	for _, s := range r.Statements {
		if !slices.Contains(s.Actions, action) {
			continue
		}
		for _, res := range s.Resources {
			if res.Kind == kind || res.Kind == ResourceAll {
				return true
			}
		}
	}
	return false
}

package app

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

var (
	functionName = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	logicalID    = regexp.MustCompile(`^[A-Za-z0-9]{1,255}$`)
	routeMethods = []string{"ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}
)

// Validate reports the first inconsistency in the declaration that would make
// the derived template invalid or ambiguous: an unknown or misconfigured
// authorizer function, bad or duplicate function names, logical IDs, route
// keys or event names, event rules without a source or detail type, rules
// or a schedule target on functions that are not async, more than one
// schedule target, or schedules managed without one. It returns nil for a
// consistent declaration.
func (a App) Validate() error {
	if a.Table.LogicalID == "" || !logicalID.MatchString(a.Table.LogicalID) {
		return fmt.Errorf("table logical ID %q is not alphanumeric", a.Table.LogicalID)
	}
	authz, ok := a.Function(a.Authorizer.Function)
	if !ok {
		return fmt.Errorf("authorizer function %q is not declared", a.Authorizer.Function)
	}
	if authz.Kind != KindAuthorizer {
		return fmt.Errorf("authorizer function %q has kind %q, want %q", authz.Name, authz.Kind, KindAuthorizer)
	}
	if a.Authorizer.IdentityHeader == "" && a.Authorizer.CacheTTLSeconds > 0 {
		return fmt.Errorf("authorizer %q has no identity header", a.Authorizer.Function)
	}
	if a.LogRetentionDays < 1 || a.Throttle.RatePerSecond < 1 || a.Throttle.Burst < 1 {
		return fmt.Errorf("log retention %d days and API throttle %+v must be positive", a.LogRetentionDays, a.Throttle)
	}
	if ttl := a.Authorizer.CacheTTLSeconds; ttl < 0 || ttl > 3600 {
		return fmt.Errorf("authorizer %q: cache TTL %d s is outside 0..3600", a.Authorizer.Function, ttl)
	}
	ids := map[string]string{a.Table.LogicalID: "table", HTTPAPILogicalID: "HTTP API",
		ReportsBucketLogicalID: "the reports bucket", ReportsBucketPolicyLogicalID: "the reports bucket's policy",
		ScheduleGroupLogicalID: "the schedule group", SchedulerRoleLogicalID: "the Scheduler role",
		RolePolicyLogicalID(SchedulerRoleLogicalID): "the Scheduler role's policy",
		TenantRoleLogicalID:                         "the tenant data-access role", RolePolicyLogicalID(TenantRoleLogicalID): "the tenant data-access role's policy",
		EventBusLogicalID: "the event bus", AlarmTopicLogicalID: "the alarm topic", AlarmSubscriptionLogicalID: "the alarm e-mail subscription"}
	var targets []string
	for _, f := range a.Functions {
		if f.ScheduleTarget {
			targets = append(targets, f.Name)
		}
	}
	if len(targets) > 1 {
		return fmt.Errorf("functions %q are all schedule targets; at most one may be", targets)
	}
	routes := map[string]string{}
	for _, f := range a.Functions {
		if !functionName.MatchString(f.Name) {
			return fmt.Errorf("function name %q: want lower-case letters, digits and dashes", f.Name)
		}
		id := FunctionLogicalID(f.Name)
		if other, dup := ids[id]; dup {
			return fmt.Errorf("function %q: logical ID %s is already used by %s", f.Name, id, other)
		}
		ids[id] = "function " + f.Name
		// The function's other resources, and SAM's, which a rule could name.
		own := []string{RoleLogicalID(f.Name), RolePolicyLogicalID(RoleLogicalID(f.Name)), LogGroupLogicalID(f.Name), id + "ErrorsAlarm", id + "ThrottlesAlarm"}
		if f.Kind == KindAsync {
			own = append(own, id+"EventInvokeConfig")
		}
		if f.HasFailureQueue() {
			q := FailureQueueLogicalID(f.Name)
			own = append(own, q, FailureQueuePolicyLogicalID(f.Name), q+"Alarm")
		}
		for _, o := range own {
			if other, dup := ids[o]; dup {
				return fmt.Errorf("function %q: logical ID %s is already used by %s", f.Name, o, other)
			}
			ids[o] = "a resource of function " + f.Name
		}
		if f.MemoryMB < 128 || f.TimeoutSec < 1 {
			return fmt.Errorf("function %q: memory %d MB and timeout %d s must be at least 128 MB and 1 s", f.Name, f.MemoryMB, f.TimeoutSec)
		}
		if f.Kind == KindAuthorizer && len(f.Routes) > 0 {
			return fmt.Errorf("authorizer function %q must not serve routes", f.Name)
		}
		for _, target := range f.Invokes {
			if t, ok := a.Function(target); !ok || t.Kind != KindAsync {
				return fmt.Errorf("function %q invokes %q, which is not a declared async function", f.Name, target)
			}
		}
		if (f.Kind == KindTableStream) != (f.Stream != nil) || f.Kind == KindTableStream && (len(f.Routes) > 0 || f.Stream.BatchSize < 1 || f.Stream.BatchSize > 10000) {
			return fmt.Errorf("function %q: table-stream functions (only) take a stream source with a batch size of 1 to 10000, and no routes", f.Name)
		}
		if s := f.Stream; s != nil && (s.MaxRetries < 0 || s.MaxRetries > 10000 || s.MaxRecordAgeSec < 60 || s.MaxRecordAgeSec > 604800) {
			return fmt.Errorf("function %q: stream retries %d (0..10000) or maximum record age %d s (60..604800) out of range", f.Name, s.MaxRetries, s.MaxRecordAgeSec)
		}
		events := map[string]bool{}
		for _, r := range f.Routes {
			if err := r.validate(); err != nil {
				return fmt.Errorf("function %q: %w", f.Name, err)
			}
			if other, dup := routes[r.Key()]; dup {
				return fmt.Errorf("function %q: route %q is already served by %q", f.Name, r.Key(), other)
			}
			routes[r.Key()] = f.Name
			ev := r.EventName()
			if events[ev] || !logicalID.MatchString(ev) {
				return fmt.Errorf("function %q: route %q gives duplicate or invalid event name %q", f.Name, r.Key(), ev)
			}
			events[ev] = true
		}
		if f.Kind != KindAsync && (f.ScheduleTarget || len(f.Rules) > 0) {
			return fmt.Errorf("function %q has kind %q: only %q functions may have event rules or be the schedule target", f.Name, f.Kind, KindAsync)
		}
		if f.ManagesSchedules && len(targets) == 0 {
			return fmt.Errorf("function %q manages schedules, but no function is the schedule target", f.Name)
		}
		for _, r := range f.Rules {
			if events[r.Name] || !logicalID.MatchString(r.Name) {
				return fmt.Errorf("function %q: rule %q: duplicate or invalid event name", f.Name, r.Name)
			}
			events[r.Name] = true
			// SAM names the rule's target <rule logical ID>LambdaTarget;
			// EventBridge takes target IDs of up to 64 characters.
			id := EventRuleLogicalID(f.Name, r)
			if len(id+"LambdaTarget") > 64 {
				return fmt.Errorf("function %q: rule %q: logical ID %s is too long for its EventBridge target ID", f.Name, r.Name, id)
			}
			for _, id := range []string{id, id + "Permission"} { // the rule and SAM's permission for it
				if other, dup := ids[id]; dup {
					return fmt.Errorf("function %q: rule %q: logical ID %s is already used by %s", f.Name, r.Name, id, other)
				}
				ids[id] = fmt.Sprintf("rule %s of %s", r.Name, f.Name)
			}
			if r.Source == "" || len(r.DetailTypes) == 0 || slices.Contains(r.DetailTypes, "") {
				return fmt.Errorf("function %q: rule %q needs a source and at least one detail type", f.Name, r.Name)
			}
		}
	}
	return nil
}

func (r Route) validate() error {
	if !slices.Contains(routeMethods, r.Method) {
		return fmt.Errorf("route %q: method %q is not one of %v", r.Key(), r.Method, routeMethods)
	}
	if r.Path == DefaultRoute {
		if r.Method != "ANY" {
			return fmt.Errorf("route %q: the %s route takes method ANY, not %s", r.Key(), DefaultRoute, r.Method)
		}
		return nil
	}
	if !strings.HasPrefix(r.Path, "/") {
		return fmt.Errorf("route %q: path must start with /", r.Key())
	}
	if i := strings.Index(r.Path, "+}"); i >= 0 && i != len(r.Path)-2 {
		return fmt.Errorf("route %q: a greedy {name+} parameter must be the last segment", r.Key())
	}
	return nil
}

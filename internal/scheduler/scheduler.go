// Package scheduler keeps the triggers of partner scan schedules as Amazon
// EventBridge Scheduler schedules (implements portal.ScheduleTriggers).
//
// Each stored schedule has one Scheduler schedule, named after the schedule
// ID, in one shared schedule group. Its target is the scan-dispatch
// function, invoked with a portal.ScheduleFire whose ScheduledTime is
// Scheduler's <aws.scheduler.scheduled-time> context attribute. Locally,
// internal/localscheduler serves the same API and fires the schedules.
package scheduler

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/portal"
)

// Environment variables ConfigFromEnv reads: those the template gives the
// functions that manage schedules.
const (
	EnvGroup         = app.EnvScheduleGroup
	EnvTargetARN     = app.EnvScheduleTargetARN
	EnvRoleARN       = app.EnvScheduleRoleARN
	EnvDeadLetterARN = app.EnvScheduleDLQARN
)

// The retry policy of every trigger's target. It is finite on purpose:
// Scheduler's default (185 retries over 24 hours) would deliver a fire
// long after it could start its scan, and scan-dispatch refuses a fire more
// than an hour old as stale anyway. A fire that exhausts it goes to the
// dead-letter queue, when Config.DeadLetterARN names one.
const (
	// MaxRetryAttempts is how many times Scheduler retries a fire the
	// target failed, after the first attempt.
	MaxRetryAttempts = 3
	// MaxEventAgeSeconds is how old a fire may get, retries included,
	// before Scheduler stops delivering it.
	MaxEventAgeSeconds = 3600
)

// MaxDescriptionLength is the longest schedule description Scheduler
// accepts; longer ones are cut.
const MaxDescriptionLength = 512

// Config names the Scheduler resources triggers use.
type Config struct {
	// Group is the schedule group of every trigger (one shared group).
	Group string
	// TargetARN is the ARN of the scan-dispatch function.
	TargetARN string
	// RoleARN is the role Scheduler assumes to invoke the target.
	RoleARN string
	// DeadLetterARN is the ARN of the SQS queue that receives fires that
	// exhausted their retries; "" for none (such fires are dropped).
	DeadLetterARN string
}

// ConfigFromEnv reads the Config from SCHEDULE_GROUP, SCHEDULE_TARGET_ARN,
// SCHEDULE_ROLE_ARN and SCHEDULE_DLQ_ARN. It returns an error naming the
// variables missing among the first three; SCHEDULE_DLQ_ARN is optional.
func ConfigFromEnv() (Config, error) {
	c := Config{
		Group:         os.Getenv(EnvGroup),
		TargetARN:     os.Getenv(EnvTargetARN),
		RoleARN:       os.Getenv(EnvRoleARN),
		DeadLetterARN: os.Getenv(EnvDeadLetterARN),
	}
	var missing []string
	for _, v := range []struct{ name, value string }{
		{EnvGroup, c.Group}, {EnvTargetARN, c.TargetARN}, {EnvRoleARN, c.RoleARN},
	} {
		if v.value == "" {
			missing = append(missing, v.name)
		}
	}
	if len(missing) > 0 {
		return Config{}, fmt.Errorf("scheduler: missing environment variables %s", strings.Join(missing, ", "))
	}
	return c, nil
}

// Triggers implements portal.ScheduleTriggers with Client, a Scheduler
// client, on the resources of Config.
//
// Errors: ECONFLICT when Scheduler answers ConflictException (Create of a
// trigger that exists, or a concurrent change); ENOTFOUND from Update when
// the trigger does not exist; EUNAVAILABLE when Scheduler could not be
// reached, did not answer in time (context deadline) or refused for
// throttling, quota or an internal error, after the client's own retries;
// the message of these is safe to show a partner, and the Scheduler error
// stays in the chain (errors.As finds the SDK's error types). Any other
// error is internal: a schedule ID Scheduler cannot take as a name, a
// ValidationException (a definition we built wrong), a missing schedule
// group, a denied permission.
type Triggers struct {
	Client *scheduler.Client
	Config Config
}

var _ portal.ScheduleTriggers = (*Triggers)(nil)

// Create creates the trigger's schedule. Its ClientToken is derived from
// the schedule ID and the whole definition, so a retry of a create that
// succeeded (by the SDK, or by the caller after EUNAVAILABLE) is the same
// idempotent request, while a create of a different definition for an
// existing ID has another token and is a conflict, never mistaken for a
// replay. Scheduler documents that the token makes a request idempotent
// but not for how long; a repeat it does not treat as a replay is ECONFLICT.
func (t *Triggers) Create(ctx context.Context, tr portal.ScheduleTrigger) error {
	d, err := t.definition(tr)
	if err != nil {
		return err
	}
	_, err = t.Client.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name: d.Name, GroupName: d.GroupName, ClientToken: aws.String(d.clientToken()),
		ScheduleExpression: d.ScheduleExpression, ScheduleExpressionTimezone: d.ScheduleExpressionTimezone,
		State: d.State, FlexibleTimeWindow: d.FlexibleTimeWindow, Target: d.Target,
		ActionAfterCompletion: d.ActionAfterCompletion, Description: d.Description,
	})
	return t.fail("create", tr.ScheduleID, err)
}

// Update replaces the trigger's schedule with the full definition
// (UpdateSchedule resets whatever it is not given).
func (t *Triggers) Update(ctx context.Context, tr portal.ScheduleTrigger) error {
	d, err := t.definition(tr)
	if err != nil {
		return err
	}
	_, err = t.Client.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{
		Name: d.Name, GroupName: d.GroupName,
		ScheduleExpression: d.ScheduleExpression, ScheduleExpressionTimezone: d.ScheduleExpressionTimezone,
		State: d.State, FlexibleTimeWindow: d.FlexibleTimeWindow, Target: d.Target,
		ActionAfterCompletion: d.ActionAfterCompletion, Description: d.Description,
	})
	return t.fail("update", tr.ScheduleID, err)
}

// Delete deletes the schedule of scheduleID; nil when there is none.
func (t *Triggers) Delete(ctx context.Context, scheduleID string) error {
	if err := checkName(scheduleID); err != nil {
		return err
	}
	_, err := t.Client.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{
		Name: aws.String(scheduleID), GroupName: aws.String(t.Config.Group),
	})
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "ResourceNotFoundException" {
		return nil
	}
	return t.fail("delete", scheduleID, err)
}

// definition is what Create and Update send, in the SDK's types.
type definition struct {
	Name, GroupName                                *string
	ScheduleExpression, ScheduleExpressionTimezone *string
	State                                          types.ScheduleState
	FlexibleTimeWindow                             *types.FlexibleTimeWindow
	Target                                         *types.Target
	ActionAfterCompletion                          types.ActionAfterCompletion
	Description                                    *string
}

var namePattern = regexp.MustCompile(`^[0-9a-zA-Z\-_.]{1,64}$`)

// checkName returns an internal error when id cannot be a schedule name.
func checkName(id string) error {
	if !namePattern.MatchString(id) {
		return fmt.Errorf("scheduler: schedule ID %q cannot be a Scheduler schedule name (1-64 of [0-9a-zA-Z-_.])", id)
	}
	return nil
}

func (t *Triggers) definition(tr portal.ScheduleTrigger) (*definition, error) {
	if err := checkName(tr.ScheduleID); err != nil {
		return nil, err
	}
	input, err := fireInput(tr)
	if err != nil {
		return nil, err
	}
	d := &definition{
		Name:                       aws.String(tr.ScheduleID),
		GroupName:                  aws.String(t.Config.Group),
		ScheduleExpression:         aws.String(tr.Expression),
		ScheduleExpressionTimezone: aws.String(tr.Timezone),
		State:                      types.ScheduleStateDisabled,
		FlexibleTimeWindow:         &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff},
		Target: &types.Target{
			Arn:     aws.String(t.Config.TargetARN),
			RoleArn: aws.String(t.Config.RoleARN),
			Input:   aws.String(input),
			RetryPolicy: &types.RetryPolicy{
				MaximumRetryAttempts:     aws.Int32(MaxRetryAttempts),
				MaximumEventAgeInSeconds: aws.Int32(MaxEventAgeSeconds),
			},
		},
		ActionAfterCompletion: types.ActionAfterCompletionNone,
		Description:           aws.String(description(tr)),
	}
	if tr.Enabled {
		d.State = types.ScheduleStateEnabled
	}
	if tr.FlexibleWindowMinutes > 0 {
		d.FlexibleTimeWindow = &types.FlexibleTimeWindow{
			Mode:                   types.FlexibleTimeWindowModeFlexible,
			MaximumWindowInMinutes: aws.Int32(int32(min(tr.FlexibleWindowMinutes, math.MaxInt32))),
		}
	}
	if t.Config.DeadLetterARN != "" {
		d.Target.DeadLetterConfig = &types.DeadLetterConfig{Arn: aws.String(t.Config.DeadLetterARN)}
	}
	return d, nil
}

// fireInput is the target input: the trigger's portal.ScheduleFire with
// the scheduled-time placeholder, in JSON without HTML escaping (json.Marshal
// would write "<" as \u003c, and Scheduler would not find the placeholder).
func fireInput(tr portal.ScheduleTrigger) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(portal.ScheduleFire{
		PartnerID: tr.PartnerID, TenantID: tr.TenantID, ScheduleID: tr.ScheduleID,
		Version: tr.Version, ScheduledTime: portal.ScheduledTimePlaceholder,
	})
	if err != nil {
		return "", fmt.Errorf("scheduler: encode the fire of schedule %s: %w", tr.ScheduleID, err)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func description(tr portal.ScheduleTrigger) string {
	s := fmt.Sprintf("Partner Portal scan schedule %s of customer %s", tr.ScheduleID, tr.TenantID)
	if r := []rune(s); len(r) > MaxDescriptionLength {
		s = string(r[:MaxDescriptionLength])
	}
	return s
}

// clientToken is the CreateSchedule ClientToken: the hex SHA-256 (64
// characters of [0-9a-f]) of every field of the definition, so the same as
// long as the schedule ID and the definition are.
func (d *definition) clientToken() string {
	fields := []string{
		aws.ToString(d.Name), aws.ToString(d.GroupName),
		aws.ToString(d.ScheduleExpression), aws.ToString(d.ScheduleExpressionTimezone),
		string(d.State), string(d.FlexibleTimeWindow.Mode), fmt.Sprint(aws.ToInt32(d.FlexibleTimeWindow.MaximumWindowInMinutes)),
		aws.ToString(d.Target.Arn), aws.ToString(d.Target.RoleArn), aws.ToString(d.Target.Input),
		fmt.Sprint(aws.ToInt32(d.Target.RetryPolicy.MaximumRetryAttempts)), fmt.Sprint(aws.ToInt32(d.Target.RetryPolicy.MaximumEventAgeInSeconds)),
		string(d.ActionAfterCompletion), aws.ToString(d.Description),
	}
	if d.Target.DeadLetterConfig != nil {
		fields = append(fields, aws.ToString(d.Target.DeadLetterConfig.Arn))
	}
	h := sha256.New()
	for _, f := range fields {
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Messages of EUNAVAILABLE errors: shown to partners, so they name no
// resource.
const (
	msgUnavailable = "the scan scheduler is unavailable; try again later"
	msgBusy        = "the scan scheduler is busy; try again later"
)

// fail maps a Scheduler error of op on the schedule id; nil for nil.
// Errors are told apart by their code rather than their SDK type: an
// operation's modeled errors differ (UpdateSchedule has no
// ServiceQuotaExceededException type, for one), the codes do not.
func (t *Triggers) fail(op, id string, err error) error {
	if err == nil {
		return nil
	}
	var (
		api       smithy.APIError
		rateLimit *ratelimit.QuotaExceededError
		code      string
	)
	if errors.As(err, &api) {
		code = api.ErrorCode()
	}
	switch {
	case code == "ConflictException" && op == "create":
		return fmt.Errorf("%w: %w", portal.Errorf(portal.ECONFLICT, "schedule %s already has a trigger", id), err)
	case code == "ConflictException":
		return fmt.Errorf("%w: %w", portal.Errorf(portal.ECONFLICT, "the trigger of schedule %s is being changed by another request", id), err)
	case code == "ResourceNotFoundException" && op == "update":
		return fmt.Errorf("%w: %w", portal.Errorf(portal.ENOTFOUND, "schedule %s has no trigger", id), err)
	case code == "ResourceNotFoundException":
		return fmt.Errorf("scheduler: %s schedule %s: the schedule group %s does not exist: %w", op, id, t.Config.Group, err)
	case code == "ValidationException":
		return fmt.Errorf("scheduler: %s schedule %s: Scheduler refused the definition as invalid: %w", op, id, err)
	case isThrottle(code), code == "ServiceQuotaExceededException", errors.As(err, &rateLimit):
		return fmt.Errorf("%w: %w", portal.Errorf(portal.EUNAVAILABLE, msgBusy), err)
	case code == "InternalServerException", unreachable(err):
		return fmt.Errorf("%w: %w", portal.Errorf(portal.EUNAVAILABLE, msgUnavailable), err)
	default:
		return fmt.Errorf("scheduler: %s schedule %s: %w", op, id, err)
	}
}

// isThrottle reports whether code is a throttling error code, Scheduler's
// ThrottlingException or one the SDK's retryer knows from other AWS fronts.
func isThrottle(code string) bool {
	_, ok := retry.DefaultThrottleErrorCodes[code]
	return ok || code == "ThrottlingException"
}

// unreachable reports whether err says that Scheduler could not be reached
// or did not answer properly: a request that could not be sent, a network
// error, a deadline or cancellation, an HTTP 5xx or 429 without a modeled
// error.
func unreachable(err error) bool {
	var (
		send *smithyhttp.RequestSendError
		nerr net.Error
		resp *awshttp.ResponseError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return true
	case errors.As(err, &send), errors.As(err, &nerr):
		return true
	case errors.As(err, &resp):
		return resp.HTTPStatusCode() >= 500 || resp.HTTPStatusCode() == 429
	}
	return false
}

package devserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/lambdabuild"
	"github.com/partnerportal/portal/internal/lambdaruntime"
	"github.com/partnerportal/portal/internal/localiam"
	"github.com/partnerportal/portal/internal/locallambda"
	"github.com/partnerportal/portal/internal/services"
)

// functions runs every declared function as its own bootstrap binary,
// built for this machine, under the local Lambda Runtime API: a warm pool
// of processes per function, with the declaration's timeout and memory,
// and the environment the template gives it resolved to the local
// endpoints. The functions that others invoke asynchronously are also
// served by a local Lambda Invoke API (AWS_ENDPOINT_URL_LAMBDA).
type functions struct {
	pools  map[string]*lambdaruntime.Pool
	lambda *locallambda.Server
}

// Endpoints are what the functions' environment points at.
type Endpoints struct {
	Table             string
	CursorSecret      string
	DynamoDB          string // DYNAMODB_ENDPOINT: the gate (internal/localiam) in front of DynamoDB
	EventBridge       string // AWS_ENDPOINT_URL_EVENTBRIDGE
	Scheduler         string // AWS_ENDPOINT_URL_SCHEDULER
	S3                string // AWS_ENDPOINT_URL_S3
	Lambda            string // AWS_ENDPOINT_URL_LAMBDA
	ScheduleTargetARN string // the schedule target's ARN on the Lambda endpoint
	Home              string // HOME: a scratch directory, so no ~/.aws of the developer is read
}

// BuildFunctions compiles every declared function, from the module at
// root, for this machine into dir/<name> (what Config.Binaries names).
func BuildFunctions(root, dir string) error {
	var pkgs []string
	for _, f := range app.Declaration().Functions {
		pkgs = append(pkgs, "./functions/"+f.Name)
	}
	return lambdabuild.BuildHost(root, dir, pkgs...)
}

// startFunctions starts the local Lambda Invoke API and a pool per
// declared function (processes start on first use) of the binaries in
// binDir.
func startFunctions(a app.App, binDir string, ep Endpoints, log io.Writer) (*functions, error) {
	lam, err := locallambda.Start("", locallambda.WithRetryDelay(time.Second))
	if err != nil {
		return nil, fmt.Errorf("local Lambda endpoint: %w", err)
	}
	target, _ := a.ScheduleTargetFunction()
	ep.Lambda, ep.ScheduleTargetARN = lam.URL(), lam.ARN(target.Name)
	fs := &functions{pools: map[string]*lambdaruntime.Pool{}, lambda: lam}
	for _, f := range a.Functions {
		bin := filepath.Join(binDir, f.Name)
		if _, err := os.Stat(bin); err != nil {
			fs.close()
			return nil, fmt.Errorf("function %s: no binary %s (run make run again to build it): %w", f.Name, bin, err)
		}
		p := lambdaruntime.NewPool(lambdaruntime.Function{
			Name: f.Name, Binary: bin, Env: ep.Environ(a, f), Log: log,
			Timeout: time.Duration(f.TimeoutSec) * time.Second, MemoryMB: f.MemoryMB,
		})
		fs.pools[f.Name] = p
		if f.Kind == app.KindAsync {
			lam.Register(f.Name, p.Invoke)
		}
	}
	return fs, nil
}

// Environ is the environment of f: the variables the template gives it
// (app.Environment), resolved locally, and the SDK's standard
// configuration pointing at the local endpoints, with f's own access key
// (localiam.AccessKeyID).
func (ep Endpoints) Environ(a app.App, f app.Function) []string {
	env := []string{
		// Its own access key, by which the DynamoDB gate holds it to its role.
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=" + localiam.AccessKeyID(f.Name), "AWS_SECRET_ACCESS_KEY=local", "AWS_EC2_METADATA_DISABLED=true",
		"HOME=" + ep.Home,
		services.EnvEndpoint + "=" + ep.DynamoDB,
		"AWS_ENDPOINT_URL_EVENTBRIDGE=" + ep.EventBridge,
		"AWS_ENDPOINT_URL_SCHEDULER=" + ep.Scheduler,
		"AWS_ENDPOINT_URL_S3=" + ep.S3,
		"AWS_ENDPOINT_URL_LAMBDA=" + ep.Lambda,
		// Locally the assets to scan are servers on this machine.
		services.EnvAllowPrivateAssets + "=true",
	}
	for _, v := range append(a.GlobalEnvironment(), a.Environment(f)...) {
		var value string
		switch v.Value {
		case app.ValueTableName:
			value = ep.Table
		case app.ValueCursorSecret:
			value = ep.CursorSecret
		case app.ValueStage:
			value = "dev"
		case app.ValueReportsBucket:
			value = ReportsBucket
		case app.ValueFunctionName:
			value = v.Function
		case app.ValueScheduleGroup:
			value = localScheduleGroup
		case app.ValueScheduleTargetARN:
			value = ep.ScheduleTargetARN
		case app.ValueSchedulerRoleARN:
			value = localSchedulerRole
		case app.ValueDispatchDLQARN:
			value = localDispatchDLQ
		case app.ValueEventBus:
			value = a.Name
		case app.ValueTenantRoleARN:
			// Empty: no STS here, so requests keep the function's own
			// credentials (tenantcreds is off).
			value = ""
		default:
			panic("devserver: no local value for " + string(v.Value))
		}
		env = append(env, v.Name+"="+value)
	}
	return env
}

// invoke runs the named function with in (encoded as JSON) and decodes its
// response into out (unless nil). A function error is an error.
func (fs *functions) invoke(ctx context.Context, name string, in, out any) error {
	p, ok := fs.pools[name]
	if !ok {
		return fmt.Errorf("no function %s", name)
	}
	payload, err := json.Marshal(in)
	if err != nil {
		return err
	}
	res, err := p.Invoke(ctx, payload)
	if err != nil {
		return fmt.Errorf("function %s: %w", name, err)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(res, out)
}

// FunctionStats returns what each function's pool of processes has done so
// far (cold starts, invocations, restarts), by function name: for
// measuring the stack (cmd/bench).
func (s *Stack) FunctionStats() map[string]lambdaruntime.Stats {
	out := map[string]lambdaruntime.Stats{}
	if s.functions == nil {
		return out
	}
	for name, p := range s.functions.pools {
		out[name] = p.Stats()
	}
	return out
}

func (fs *functions) close() error {
	errs := []error{fs.lambda.Close()}
	for _, p := range fs.pools {
		errs = append(errs, p.Close())
	}
	return errors.Join(errs...)
}

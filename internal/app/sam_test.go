package app_test

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/partnerportal/portal/internal/app"
)

// committedTemplate is template.yaml at the repository root.
const committedTemplate = "../../template.yaml"

func TestCommittedTemplateMatchesDeclaration(t *testing.T) {
	want, err := app.Declaration().SAMTemplate()
	if err != nil {
		t.Fatalf("SAMTemplate: %v", err)
	}
	got, err := os.ReadFile(committedTemplate)
	if err != nil {
		t.Fatalf("read committed template: %v\nrun `make template` and commit template.yaml", err)
	}
	if !bytes.Equal(got, want) {
		line, g, w := firstDiff(string(got), string(want))
		t.Fatalf("template.yaml is out of date with internal/app (first difference at line %d)\n committed: %q\n declared:  %q\nrun `make template` and commit template.yaml", line, g, w)
	}
}

// firstDiff returns the 1-based number of the first line where a and b differ
// and that line of each ("" past the end).
func firstDiff(a, b string) (int, string, string) {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; ; i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y || i >= len(al) || i >= len(bl) {
			return i + 1, x, y
		}
	}
}

// samTemplate is the part of a SAM template the tests read back.
type samTemplate struct {
	Transform  string                    `yaml:"Transform"`
	Parameters map[string]map[string]any `yaml:"Parameters"`
	Conditions map[string]any            `yaml:"Conditions"`
	Globals    struct {
		Function struct {
			Runtime       string   `yaml:"Runtime"`
			Architectures []string `yaml:"Architectures"`
			Handler       string   `yaml:"Handler"`
			Environment   struct {
				Variables map[string]map[string]string `yaml:"Variables"`
			} `yaml:"Environment"`
		} `yaml:"Function"`
	} `yaml:"Globals"`
	Resources map[string]struct {
		Type       string    `yaml:"Type"`
		DependsOn  string    `yaml:"DependsOn"`
		Condition  string    `yaml:"Condition"`
		Properties yaml.Node `yaml:"Properties"`
	} `yaml:"Resources"`
	Outputs map[string]struct {
		Value map[string]string `yaml:"Value"`
	} `yaml:"Outputs"`
}

// statement is an IAM policy statement; Resource and condition values are
// compared as fmt.Sprint of the decoded YAML.
type statement struct {
	Effect    string                    `yaml:"Effect"`
	Principal map[string]any            `yaml:"Principal"`
	Action    []string                  `yaml:"Action"`
	Resource  any                       `yaml:"Resource"`
	Condition map[string]map[string]any `yaml:"Condition"`
}

type functionProps struct {
	FunctionName  map[string]string `yaml:"FunctionName"`
	CodeURI       string            `yaml:"CodeUri"`
	MemorySize    int               `yaml:"MemorySize"`
	Timeout       int               `yaml:"Timeout"`
	Runtime       string            `yaml:"Runtime"`
	Architectures []string          `yaml:"Architectures"`
	Policies      any               `yaml:"Policies"`
	Role          any               `yaml:"Role"`
	LoggingConfig any               `yaml:"LoggingConfig"`
	Environment   struct {
		Variables map[string]map[string]any `yaml:"Variables"`
	} `yaml:"Environment"`
	EventInvokeConfig *struct {
		MaximumRetryAttempts int `yaml:"MaximumRetryAttempts"`
		DestinationConfig    struct {
			OnFailure struct {
				Type        string              `yaml:"Type"`
				Destination map[string][]string `yaml:"Destination"`
			} `yaml:"OnFailure"`
		} `yaml:"DestinationConfig"`
	} `yaml:"EventInvokeConfig"`
	Events map[string]struct {
		Type       string `yaml:"Type"`
		Properties struct {
			APIID                map[string]string `yaml:"ApiId"`
			Method               string            `yaml:"Method"`
			Path                 string            `yaml:"Path"`
			PayloadFormatVersion string            `yaml:"PayloadFormatVersion"`
			Auth                 *struct {
				Authorizer string `yaml:"Authorizer"`
			} `yaml:"Auth"`
			Stream                map[string][]string `yaml:"Stream"`
			StartingPosition      string              `yaml:"StartingPosition"`
			BatchSize             int                 `yaml:"BatchSize"`
			FunctionResponseTypes []string            `yaml:"FunctionResponseTypes"`
			BisectOnError         bool                `yaml:"BisectBatchOnFunctionError"`
			DestinationConfig     struct {
				OnFailure struct {
					Type        string              `yaml:"Type"`
					Destination map[string][]string `yaml:"Destination"`
				} `yaml:"OnFailure"`
			} `yaml:"DestinationConfig"`
			FilterCriteria struct {
				Filters []struct {
					Pattern string `yaml:"Pattern"`
				} `yaml:"Filters"`
			} `yaml:"FilterCriteria"`
			Pattern struct {
				Source     []string `yaml:"source"`
				DetailType []string `yaml:"detail-type"`
			} `yaml:"Pattern"`
			RetryPolicy *struct {
				MaximumRetryAttempts     int `yaml:"MaximumRetryAttempts"`
				MaximumEventAgeInSeconds int `yaml:"MaximumEventAgeInSeconds"`
			} `yaml:"RetryPolicy"`
			DeadLetterConfig *struct {
				Arn map[string][]string `yaml:"Arn"`
			} `yaml:"DeadLetterConfig"`
		} `yaml:"Properties"`
	} `yaml:"Events"`
}

type keyElement struct {
	AttributeName string `yaml:"AttributeName"`
	KeyType       string `yaml:"KeyType"`
}

type tableProps struct {
	BillingMode          string `yaml:"BillingMode"`
	AttributeDefinitions []struct {
		AttributeName string `yaml:"AttributeName"`
		AttributeType string `yaml:"AttributeType"`
	} `yaml:"AttributeDefinitions"`
	KeySchema              []keyElement `yaml:"KeySchema"`
	GlobalSecondaryIndexes []struct {
		IndexName  string       `yaml:"IndexName"`
		KeySchema  []keyElement `yaml:"KeySchema"`
		Projection struct {
			ProjectionType string `yaml:"ProjectionType"`
		} `yaml:"Projection"`
	} `yaml:"GlobalSecondaryIndexes"`
	StreamSpecification struct {
		StreamViewType string `yaml:"StreamViewType"`
	} `yaml:"StreamSpecification"`
	TimeToLiveSpecification struct {
		AttributeName string `yaml:"AttributeName"`
		Enabled       bool   `yaml:"Enabled"`
	} `yaml:"TimeToLiveSpecification"`
	DeletionProtectionEnabled map[string][]any `yaml:"DeletionProtectionEnabled"`
}

type httpAPIProps struct {
	FailOnWarnings bool `yaml:"FailOnWarnings"`
	Auth           struct {
		DefaultAuthorizer string `yaml:"DefaultAuthorizer"`
		Authorizers       map[string]struct {
			FunctionArn                    map[string][]string `yaml:"FunctionArn"`
			AuthorizerPayloadFormatVersion string              `yaml:"AuthorizerPayloadFormatVersion"`
			EnableSimpleResponses          bool                `yaml:"EnableSimpleResponses"`
			Identity                       struct {
				Headers          []string `yaml:"Headers"`
				ReauthorizeEvery int      `yaml:"ReauthorizeEvery"`
			} `yaml:"Identity"`
		} `yaml:"Authorizers"`
	} `yaml:"Auth"`
}

// parseTemplate renders decl and parses the YAML back.
func parseTemplate(t *testing.T, decl app.App) samTemplate {
	t.Helper()
	out, err := decl.SAMTemplate()
	if err != nil {
		t.Fatalf("SAMTemplate: %v", err)
	}
	var tmpl samTemplate
	if err := yaml.Unmarshal(out, &tmpl); err != nil {
		t.Fatalf("generated template is not valid YAML: %v", err)
	}
	return tmpl
}

// properties decodes the Properties of the resource with the given logical ID
// and type into v.
func properties(t *testing.T, tmpl samTemplate, id, typ string, v any) {
	t.Helper()
	r, ok := tmpl.Resources[id]
	if !ok {
		t.Fatalf("resource %s is missing", id)
	}
	if got, want := r.Type, typ; got != want {
		t.Fatalf("resource %s has Type %q, want %q", id, got, want)
	}
	if err := r.Properties.Decode(v); err != nil {
		t.Fatalf("resource %s: decode Properties: %v", id, err)
	}
}

func TestSAMTemplate(t *testing.T) {
	decl := app.Declaration()
	tmpl := parseTemplate(t, decl)

	t.Run("Deterministic", func(t *testing.T) {
		a, _ := app.Declaration().SAMTemplate()
		b, _ := app.Declaration().SAMTemplate()
		if !bytes.Equal(a, b) {
			t.Fatal("two renderings of the same declaration differ")
		}
	})

	t.Run("IsSAM", func(t *testing.T) {
		if got, want := tmpl.Transform, "AWS::Serverless-2016-10-31"; got != want {
			t.Fatalf("Transform = %q, want %q", got, want)
		}
	})

	t.Run("Parameters", func(t *testing.T) {
		stage := tmpl.Parameters["Stage"]
		if got, want := fmt.Sprint(stage["AllowedValues"]), "[dev prod]"; got != want {
			t.Fatalf("Stage AllowedValues = %s, want %s", got, want)
		}
		if got, want := stage["Default"], "dev"; got != want {
			t.Fatalf("Stage Default = %v, want %v", got, want)
		}
		secret := tmpl.Parameters["CursorSecret"]
		if got, want := secret["NoEcho"], true; got != want {
			t.Fatalf("CursorSecret NoEcho = %v, want %v", got, want)
		}
		if got, want := secret["MinLength"], 32; got != want {
			t.Fatalf("CursorSecret MinLength = %v, want %v", got, want)
		}
		if _, ok := tmpl.Conditions["IsProd"]; !ok {
			t.Fatal("condition IsProd is missing")
		}
	})

	t.Run("EveryFunctionRunsProvidedAL2023OnArm64", func(t *testing.T) {
		g := tmpl.Globals.Function
		if got, want := g.Runtime, "provided.al2023"; got != want {
			t.Fatalf("Globals.Function.Runtime = %q, want %q", got, want)
		}
		if got, want := fmt.Sprint(g.Architectures), "[arm64]"; got != want {
			t.Fatalf("Globals.Function.Architectures = %s, want %s", got, want)
		}
		if got, want := g.Handler, "bootstrap"; got != want {
			t.Fatalf("Globals.Function.Handler = %q, want %q", got, want)
		}
		for _, f := range decl.Functions {
			var p functionProps
			properties(t, tmpl, app.FunctionLogicalID(f.Name), "AWS::Serverless::Function", &p)
			if p.Runtime != "" || p.Architectures != nil {
				t.Fatalf("function %s overrides the global runtime or architecture", f.Name)
			}
			if got, want := p.CodeURI, "dist/"+f.Name+"/"; got != want {
				t.Fatalf("function %s CodeUri = %q, want %q", f.Name, got, want)
			}
			if got, want := [2]int{p.MemorySize, p.Timeout}, [2]int{f.MemoryMB, f.TimeoutSec}; got != want {
				t.Fatalf("function %s [MemorySize Timeout] = %v, want %v", f.Name, got, want)
			}
		}
	})

	t.Run("EveryFunctionReachesTheTable", func(t *testing.T) {
		vars := tmpl.Globals.Function.Environment.Variables
		for name, ref := range map[string]string{"TABLE_NAME": "Table", "CURSOR_SECRET": "CursorSecret", "STAGE": "Stage"} {
			if got, want := vars[name]["Ref"], ref; got != want {
				t.Fatalf("environment %s = Ref %q, want Ref %q", name, got, want)
			}
		}
	})

	t.Run("EveryFunctionRunsAsItsOwnRoleWithOnlyTheDeclaredPolicy", func(t *testing.T) {
		for _, f := range decl.Functions {
			var p functionProps
			properties(t, tmpl, app.FunctionLogicalID(f.Name), "AWS::Serverless::Function", &p)
			role := app.RoleLogicalID(f.Name)
			if got, want := fmt.Sprint(p.Role), "map[Fn::GetAtt:["+role+" Arn]]"; got != want || p.Policies != nil {
				t.Fatalf("function %s Role = %s, Policies %v; want %s and no SAM policies", f.Name, got, p.Policies, want)
			}
			if got, want := tmpl.Resources[app.FunctionLogicalID(f.Name)].DependsOn, app.RolePolicyLogicalID(role); got != want {
				t.Fatalf("function %s DependsOn %q, want its role's policy %q", f.Name, got, want)
			}
			if got, want := fmt.Sprint(p.LoggingConfig), "map[LogFormat:JSON LogGroup:map[Ref:"+app.LogGroupLogicalID(f.Name)+"]]"; got != want {
				t.Fatalf("function %s LoggingConfig = %s, want %s", f.Name, got, want)
			}
			var logs struct {
				RetentionInDays int `yaml:"RetentionInDays"`
			}
			properties(t, tmpl, app.LogGroupLogicalID(f.Name), "AWS::Logs::LogGroup", &logs)
			if logs.RetentionInDays != decl.LogRetentionDays {
				t.Fatalf("function %s keeps logs %d days, want %d", f.Name, logs.RetentionInDays, decl.LogRetentionDays)
			}
		}
		for _, r := range decl.Roles() {
			var role struct {
				AssumeRolePolicyDocument struct {
					Statement []statement `yaml:"Statement"`
				} `yaml:"AssumeRolePolicyDocument"`
				Policies          any `yaml:"Policies"`
				ManagedPolicyArns any `yaml:"ManagedPolicyArns"`
			}
			properties(t, tmpl, r.LogicalID, "AWS::IAM::Role", &role)
			trust := role.AssumeRolePolicyDocument.Statement
			if len(trust) != 1 || trust[0].Effect != "Allow" || fmt.Sprint(trust[0].Action) != fmt.Sprint(r.TrustActions) || role.Policies != nil || role.ManagedPolicyArns != nil {
				t.Fatalf("role %s: trust %+v, inline %v, managed %v; want one trust statement allowing %v and no other policy", r.LogicalID, trust, role.Policies, role.ManagedPolicyArns, r.TrustActions)
			}
			got := rolePolicy(t, tmpl, r.LogicalID)
			if len(got) != len(r.Statements) {
				t.Fatalf("role %s has %d statements, want %d", r.LogicalID, len(got), len(r.Statements))
			}
			for i, st := range r.Statements {
				if got[i].Effect != "Allow" || fmt.Sprint(got[i].Action) != fmt.Sprint(st.Actions) || (got[i].Condition != nil) != (st.Conditions != nil) {
					t.Fatalf("role %s statement %d = %+v, want Allow %v", r.LogicalID, i, got[i], st.Actions)
				}
			}
		}
	})

	t.Run("ReportsAreInAPrivateEncryptedBucketReachedOnlyOverTLS", func(t *testing.T) {
		var users []string
		for _, f := range decl.Functions {
			if f.UsesReports {
				users = append(users, f.Name)
			}
		}
		if !slices.Contains(users, "scans") || !slices.Contains(users, "scan-run") {
			t.Fatalf("functions using reports = %v, want scans (serves them) and scan-run (makes them)", users)
		}
		var bucket struct {
			BucketEncryption struct {
				Rules []struct {
					Default struct {
						SSEAlgorithm string `yaml:"SSEAlgorithm"`
					} `yaml:"ServerSideEncryptionByDefault"`
				} `yaml:"ServerSideEncryptionConfiguration"`
			} `yaml:"BucketEncryption"`
			PublicAccessBlock map[string]bool `yaml:"PublicAccessBlockConfiguration"`
		}
		properties(t, tmpl, app.ReportsBucketLogicalID, "AWS::S3::Bucket", &bucket)
		if r := bucket.BucketEncryption.Rules; len(r) != 1 || r[0].Default.SSEAlgorithm != "AES256" {
			t.Fatalf("bucket encryption = %+v, want SSE-S3", bucket.BucketEncryption)
		}
		for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
			if !bucket.PublicAccessBlock[k] {
				t.Fatalf("bucket PublicAccessBlockConfiguration = %v, want %s true", bucket.PublicAccessBlock, k)
			}
		}
		var policy struct {
			Bucket         map[string]string `yaml:"Bucket"`
			PolicyDocument struct {
				Statement []struct {
					Effect    string                       `yaml:"Effect"`
					Condition map[string]map[string]string `yaml:"Condition"`
				} `yaml:"Statement"`
			} `yaml:"PolicyDocument"`
		}
		properties(t, tmpl, app.ReportsBucketPolicyLogicalID, "AWS::S3::BucketPolicy", &policy)
		st := policy.PolicyDocument.Statement
		if policy.Bucket["Ref"] != app.ReportsBucketLogicalID || len(st) != 1 || st[0].Effect != "Deny" || st[0].Condition["Bool"]["aws:SecureTransport"] != "false" {
			t.Fatalf("bucket policy = %+v, want one statement denying requests without TLS", policy)
		}
		noReports := app.Declaration()
		for i := range noReports.Functions {
			noReports.Functions[i].UsesReports = false
		}
		if _, ok := parseTemplate(t, noReports).Resources[app.ReportsBucketLogicalID]; ok {
			t.Fatal("the bucket is declared although no function uses reports")
		}
	})

	t.Run("StreamFunctionsReadTheTableStreamReportingFailedRecords", func(t *testing.T) {
		n := 0
		for _, f := range decl.Functions {
			if f.Kind != app.KindTableStream {
				continue
			}
			n++
			var p functionProps
			properties(t, tmpl, app.FunctionLogicalID(f.Name), "AWS::Serverless::Function", &p)
			ev, ok := p.Events["TableStream"]
			if len(p.Events) != 1 || !ok || ev.Type != "DynamoDB" {
				t.Fatalf("function %s events = %+v, want one DynamoDB event TableStream", f.Name, p.Events)
			}
			pr := ev.Properties
			if got := pr.Stream["Fn::GetAtt"]; len(got) != 2 || got[0] != decl.Table.LogicalID || got[1] != "StreamArn" {
				t.Fatalf("function %s reads stream %v, want the table's StreamArn", f.Name, pr.Stream)
			}
			if pr.StartingPosition != "TRIM_HORIZON" || pr.BatchSize != f.Stream.BatchSize || len(pr.FunctionResponseTypes) != 1 || pr.FunctionResponseTypes[0] != "ReportBatchItemFailures" {
				t.Fatalf("function %s stream properties = %+v", f.Name, pr)
			}
			onFailure := pr.DestinationConfig.OnFailure
			if q := onFailure.Destination["Fn::GetAtt"]; !pr.BisectOnError || onFailure.Type != "SQS" || len(q) != 2 || q[0] != app.FailureQueueLogicalID(f.Name) {
				t.Fatalf("function %s: failing batches must be bisected and kept in its failure queue: %+v", f.Name, pr)
			}
			var queue struct {
				MessageRetentionPeriod int `yaml:"MessageRetentionPeriod"`
			}
			properties(t, tmpl, app.FailureQueueLogicalID(f.Name), "AWS::SQS::Queue", &queue)
			if queue.MessageRetentionPeriod != 14*24*3600 {
				t.Fatalf("failure queue keeps messages %d s, want 14 days", queue.MessageRetentionPeriod)
			}
			if len(pr.FilterCriteria.Filters) != 1 || !strings.Contains(pr.FilterCriteria.Filters[0].Pattern, `"entity":{"S":["counter"`) {
				t.Fatalf("function %s filters = %+v, want the declared entities", f.Name, pr.FilterCriteria)
			}
		}
		if n == 0 {
			t.Fatal("no table-stream function is declared")
		}
	})

	t.Run("EveryRouteIsAnHttpApiEventOnItsFunction", func(t *testing.T) {
		for _, f := range decl.Functions {
			if f.Kind == app.KindTableStream {
				continue
			}
			var p functionProps
			properties(t, tmpl, app.FunctionLogicalID(f.Name), "AWS::Serverless::Function", &p)
			if got, want := len(p.Events), len(f.Routes)+len(f.Rules); got != want {
				t.Fatalf("function %s has %d events, want one per route and rule (%d)", f.Name, got, want)
			}
			for _, r := range f.Routes {
				ev, ok := p.Events[r.EventName()]
				if !ok {
					t.Fatalf("route %q has no event %s on function %s", r.Key(), r.EventName(), f.Name)
				}
				e := ev.Properties
				if got, want := ev.Type, "HttpApi"; got != want {
					t.Fatalf("event %s Type = %q, want %q", r.EventName(), got, want)
				}
				if got, want := [4]string{e.APIID["Ref"], e.Method, e.Path, e.PayloadFormatVersion}, [4]string{"HttpApi", r.Method, r.Path, "2.0"}; got != want {
					t.Fatalf("event %s [ApiId Method Path PayloadFormatVersion] = %q, want %q", r.EventName(), got, want)
				}
				if got, want := e.Auth != nil && e.Auth.Authorizer == "NONE", r.Public; got != want {
					t.Fatalf("route %q skips the authorizer = %v, want %v", r.Key(), got, want)
				}
			}
		}
	})

	t.Run("DefaultRouteIsPublicAnyMethod", func(t *testing.T) {
		var p functionProps
		properties(t, tmpl, "FallbackFunction", "AWS::Serverless::Function", &p)
		e := p.Events["AnyDefault"].Properties
		if got, want := [2]string{e.Method, e.Path}, [2]string{"ANY", "$default"}; got != want {
			t.Fatalf("fallback event [Method Path] = %q, want %q", got, want)
		}
	})

	t.Run("TableStreamsNewAndOldImagesWithEveryGSI", func(t *testing.T) {
		var p tableProps
		properties(t, tmpl, decl.Table.LogicalID, "AWS::DynamoDB::Table", &p)
		if got, want := p.BillingMode, "PAY_PER_REQUEST"; got != want {
			t.Fatalf("BillingMode = %q, want %q", got, want)
		}
		if got, want := p.StreamSpecification.StreamViewType, "NEW_AND_OLD_IMAGES"; got != want {
			t.Fatalf("StreamViewType = %q, want %q", got, want)
		}
		if got, want := p.TimeToLiveSpecification, (struct {
			AttributeName string `yaml:"AttributeName"`
			Enabled       bool   `yaml:"Enabled"`
		}{app.AttrTTL, true}); got != want {
			t.Fatalf("TimeToLiveSpecification = %+v, want %+v", got, want)
		}
		if got, want := fmt.Sprint(p.KeySchema), fmt.Sprint([]keyElement{{"PK", "HASH"}, {"SK", "RANGE"}}); got != want {
			t.Fatalf("KeySchema = %s, want %s", got, want)
		}
		defined := map[string]string{}
		for _, d := range p.AttributeDefinitions {
			defined[d.AttributeName] = d.AttributeType
		}
		if got, want := len(p.GlobalSecondaryIndexes), len(decl.Table.Indexes); got != want {
			t.Fatalf("table has %d GSIs, want %d", got, want)
		}
		for i, ix := range decl.Table.Indexes {
			g := p.GlobalSecondaryIndexes[i]
			if got, want := g.IndexName, ix.Name; got != want {
				t.Fatalf("GSI %d IndexName = %q, want %q", i, got, want)
			}
			if got, want := fmt.Sprint(g.KeySchema), fmt.Sprint([]keyElement{{ix.PartitionKey, "HASH"}, {ix.SortKey, "RANGE"}}); got != want {
				t.Fatalf("GSI %s KeySchema = %s, want %s", ix.Name, got, want)
			}
			if got, want := g.Projection.ProjectionType, "ALL"; got != want {
				t.Fatalf("GSI %s ProjectionType = %q, want %q", ix.Name, got, want)
			}
			for _, attr := range []string{ix.PartitionKey, ix.SortKey} {
				if got, want := defined[attr], "S"; got != want {
					t.Fatalf("attribute %s of GSI %s has type %q, want %q", attr, ix.Name, got, want)
				}
			}
		}
		if got, want := len(p.AttributeDefinitions), 2+1+len(decl.Table.Indexes); got != want {
			t.Fatalf("table defines %d attributes, want %d (PK, SK, GSIPK, one sort key per GSI)", got, want)
		}
		if got, want := fmt.Sprint(p.DeletionProtectionEnabled["Fn::If"]), "[IsProd true false]"; got != want {
			t.Fatalf("DeletionProtectionEnabled Fn::If = %s, want %s", got, want)
		}
	})

	t.Run("AuthorizerGuardsTheAPIByDefault", func(t *testing.T) {
		var p httpAPIProps
		properties(t, tmpl, "HttpApi", "AWS::Serverless::HttpApi", &p)
		if !p.FailOnWarnings {
			t.Fatal("FailOnWarnings = false, want true")
		}
		name := decl.Authorizer.Name()
		if got, want := p.Auth.DefaultAuthorizer, name; got != want {
			t.Fatalf("DefaultAuthorizer = %q, want %q", got, want)
		}
		az, ok := p.Auth.Authorizers[name]
		if !ok {
			t.Fatalf("authorizer %s is missing", name)
		}
		if got, want := fmt.Sprint(az.FunctionArn["Fn::GetAtt"]), "[AuthorizerFunction Arn]"; got != want {
			t.Fatalf("FunctionArn Fn::GetAtt = %s, want %s", got, want)
		}
		if got, want := az.AuthorizerPayloadFormatVersion, "2.0"; got != want {
			t.Fatalf("AuthorizerPayloadFormatVersion = %q, want %q", got, want)
		}
		if !az.EnableSimpleResponses {
			t.Fatal("EnableSimpleResponses = false, want true")
		}
		wantHeaders := "[]" // no caching: every request is authorized, with or without the header
		if decl.Authorizer.CacheTTLSeconds > 0 {
			wantHeaders = "[Authorization]"
		}
		if got := fmt.Sprint(az.Identity.Headers); got != wantHeaders {
			t.Fatalf("Identity.Headers = %s, want %s", got, wantHeaders)
		}
		if got, want := az.Identity.ReauthorizeEvery, decl.Authorizer.CacheTTLSeconds; got != want {
			t.Fatalf("Identity.ReauthorizeEvery = %d, want %d", got, want)
		}
	})

	const (
		targetARN     = "map[Fn::Sub:arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${AWS::StackName}-scan-dispatch]"
		dlqARN        = "map[Fn::GetAtt:[ScanDispatchFailures Arn]]"
		roleARN       = "map[Fn::GetAtt:[SchedulerRole Arn]]"
		schedulesARN  = "map[Fn::Sub:arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${ScheduleGroup}/*]"
		scheduleGroup = "map[Ref:ScheduleGroup]"
	)

	t.Run("SchedulerHasAGroupADeadLetterQueueAndARoleThatOnlyInvokesTheTarget", func(t *testing.T) {
		target, ok := decl.ScheduleTargetFunction()
		if !ok || target.Name != "scan-dispatch" {
			t.Fatalf("schedule target = %q, %v; want scan-dispatch", target.Name, ok)
		}
		var group struct {
			Name map[string]string `yaml:"Name"`
		}
		properties(t, tmpl, app.ScheduleGroupLogicalID, "AWS::Scheduler::ScheduleGroup", &group)
		if got, want := group.Name["Fn::Sub"], "${AWS::StackName}-scans"; got != want {
			t.Fatalf("schedule group Name = Fn::Sub %q, want %q", got, want)
		}
		var queue struct {
			MessageRetentionPeriod int  `yaml:"MessageRetentionPeriod"`
			SqsManagedSseEnabled   bool `yaml:"SqsManagedSseEnabled"`
		}
		properties(t, tmpl, app.FailureQueueLogicalID("scan-dispatch"), "AWS::SQS::Queue", &queue)
		if queue.MessageRetentionPeriod != 14*24*3600 || !queue.SqsManagedSseEnabled {
			t.Fatalf("dispatch failures queue = %+v, want 14 days' retention, encrypted", queue)
		}

		var role struct {
			AssumeRolePolicyDocument struct {
				Statement []statement `yaml:"Statement"`
			} `yaml:"AssumeRolePolicyDocument"`
		}
		properties(t, tmpl, app.SchedulerRoleLogicalID, "AWS::IAM::Role", &role)
		trust := role.AssumeRolePolicyDocument.Statement
		if len(trust) != 1 || trust[0].Effect != "Allow" || trust[0].Principal["Service"] != "scheduler.amazonaws.com" ||
			fmt.Sprint(trust[0].Action) != "[sts:AssumeRole]" || fmt.Sprint(trust[0].Condition) != "map[StringEquals:map[aws:SourceAccount:map[Ref:AWS::AccountId]]]" {
			t.Fatalf("Scheduler role trust = %+v, want scheduler.amazonaws.com of this account only", trust)
		}
		got := rolePolicy(t, tmpl, app.SchedulerRoleLogicalID)
		want := []statement{
			{Effect: "Allow", Action: []string{"lambda:InvokeFunction"}, Resource: targetARN},
			{Effect: "Allow", Action: []string{"sqs:SendMessage"}, Resource: dlqARN},
		}
		if g, w := statements(got), statements(want); g != w {
			t.Fatalf("Scheduler role may\n %s\nwant\n %s", g, w)
		}
	})

	t.Run("SchedulesAreManagedWithinTheGroup", func(t *testing.T) {
		var managers []string
		for _, f := range decl.Functions {
			var p functionProps
			properties(t, tmpl, app.FunctionLogicalID(f.Name), "AWS::Serverless::Function", &p)
			vars := p.Environment.Variables
			if !f.ManagesSchedules {
				for _, v := range []string{app.EnvScheduleGroup, app.EnvScheduleTargetARN, app.EnvScheduleRoleARN, app.EnvScheduleDLQARN} {
					if _, ok := vars[v]; ok {
						t.Fatalf("function %s does not manage schedules but is given %s", f.Name, v)
					}
				}
				for _, st := range rolePolicy(t, tmpl, app.RoleLogicalID(f.Name)) {
					if strings.Contains(fmt.Sprint(st.Action), "scheduler:") || strings.Contains(fmt.Sprint(st.Action), "iam:PassRole") {
						t.Fatalf("function %s does not manage schedules but may %v", f.Name, st.Action)
					}
				}
				continue
			}
			managers = append(managers, f.Name)
			for name, want := range map[string]string{
				app.EnvScheduleGroup:     scheduleGroup,
				app.EnvScheduleTargetARN: targetARN,
				app.EnvScheduleRoleARN:   roleARN,
				app.EnvScheduleDLQARN:    dlqARN,
			} {
				if got := fmt.Sprint(vars[name]); got != want {
					t.Fatalf("function %s environment %s = %s, want %s", f.Name, name, got, want)
				}
			}
			want := []statement{
				{Effect: "Allow", Action: []string{"scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule", "scheduler:GetSchedule"}, Resource: schedulesARN},
				{Effect: "Allow", Action: []string{"iam:PassRole"}, Resource: roleARN,
					Condition: map[string]map[string]any{"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}},
			}
			var got []statement
			for _, st := range rolePolicy(t, tmpl, app.RoleLogicalID(f.Name)) {
				if a := fmt.Sprint(st.Action); strings.Contains(a, "scheduler:") || strings.Contains(a, "iam:PassRole") {
					got = append(got, st)
				}
			}
			if g, w := statements(got), statements(want); g != w {
				t.Fatalf("function %s may\n %s\nwant\n %s", f.Name, g, w)
			}
		}
		if got, want := fmt.Sprint(managers), "[schedules scan-dispatch console]"; got != want {
			t.Fatalf("functions managing schedules = %s, want %s", got, want)
		}
	})

	t.Run("TheTargetIsNamedByTheStackAndKeepsFailedInvocations", func(t *testing.T) {
		for _, f := range decl.Functions {
			var p functionProps
			properties(t, tmpl, app.FunctionLogicalID(f.Name), "AWS::Serverless::Function", &p)
			if f.Kind != app.KindAsync {
				if p.EventInvokeConfig != nil {
					t.Fatalf("function %s is not async but has EventInvokeConfig %+v", f.Name, p.EventInvokeConfig)
				}
			} else if c := p.EventInvokeConfig; c == nil || c.MaximumRetryAttempts != 2 || c.DestinationConfig.OnFailure.Type != "SQS" ||
				fmt.Sprint(c.DestinationConfig.OnFailure.Destination) != "map[Fn::GetAtt:["+app.FailureQueueLogicalID(f.Name)+" Arn]]" {
				t.Fatalf("async function %s EventInvokeConfig = %+v, want 2 retries, then its failure queue", f.Name, c)
			}
			if !f.ScheduleTarget {
				if p.FunctionName != nil {
					t.Fatalf("function %s is not the schedule target but has FunctionName %v", f.Name, p.FunctionName)
				}
				continue
			}
			if got, want := p.FunctionName["Fn::Sub"], "${AWS::StackName}-"+f.Name; got != want {
				t.Fatalf("target FunctionName = Fn::Sub %q, want %q", got, want)
			}
		}
		// The target's ARN must not be taken from the function itself
		// (its environment names it: a dependency cycle).
		out, _ := decl.SAMTemplate()
		if bytes.Contains(out, []byte("ScanDispatchFunction, Arn")) || bytes.Contains(out, []byte("Ref: ScanDispatchFunction\n")) {
			t.Fatal("the template refers to the schedule target by GetAtt or Ref; want its ARN built from its FunctionName")
		}
	})

	t.Run("EventRulesInvokeScanDispatchWithADeadLetterQueue", func(t *testing.T) {
		var p functionProps
		properties(t, tmpl, "ScanDispatchFunction", "AWS::Serverless::Function", &p)
		for name, want := range map[string][2]string{
			"AssetDiscovered":       {"partnerportal.assets", "Asset Discovered"},
			"CustomerStatusChanged": {"partnerportal.customers", "Customer Status Changed"},
			"VulnDBUpdated":         {"partnerportal.vulndb", "Vulnerability Database Updated"},
			"VulnDBPage":            {"partnerportal.dispatch", "Vulnerability Scan Page Requested"},
		} {
			ev, ok := p.Events[name]
			if !ok || ev.Type != "EventBridgeRule" {
				t.Fatalf("scan-dispatch event %s = %+v, %v; want an EventBridgeRule", name, ev, ok)
			}
			e := ev.Properties
			if got := [2]string{fmt.Sprint(e.Pattern.Source), fmt.Sprint(e.Pattern.DetailType)}; got != [2]string{"[" + want[0] + "]", "[" + want[1] + "]"} {
				t.Fatalf("rule %s pattern [source detail-type] = %q, want %q", name, got, want)
			}
			if r := e.RetryPolicy; r == nil || r.MaximumRetryAttempts != 3 || r.MaximumEventAgeInSeconds != 3600 {
				t.Fatalf("rule %s RetryPolicy = %+v, want 3 retries within an hour", name, r)
			}
			if d := e.DeadLetterConfig; d == nil || fmt.Sprint(d.Arn) != dlqARN {
				t.Fatalf("rule %s DeadLetterConfig = %+v, want the dispatch failures queue", name, d)
			}
		}
		// SAM adds no queue policy for a DeadLetterConfig given by Arn:
		// the queue's own policy lets exactly these rules send to it.
		var policy struct {
			Queues         []map[string]string `yaml:"Queues"`
			PolicyDocument struct {
				Statement []statement `yaml:"Statement"`
			} `yaml:"PolicyDocument"`
		}
		properties(t, tmpl, app.FailureQueuePolicyLogicalID("scan-dispatch"), "AWS::SQS::QueuePolicy", &policy)
		want := statements([]statement{{
			Effect: "Allow", Principal: map[string]any{"Service": "events.amazonaws.com"}, Action: []string{"sqs:SendMessage"}, Resource: dlqARN,
			Condition: map[string]map[string]any{"ArnEquals": {"aws:SourceArn": []any{
				map[string]any{"Fn::GetAtt": []any{"ScanDispatchFunctionAssetDiscovered", "Arn"}},
				map[string]any{"Fn::GetAtt": []any{"ScanDispatchFunctionCustomerStatusChanged", "Arn"}},
				map[string]any{"Fn::GetAtt": []any{"ScanDispatchFunctionVulnDBUpdated", "Arn"}},
				map[string]any{"Fn::GetAtt": []any{"ScanDispatchFunctionVulnDBPage", "Arn"}},
			}}},
		}})
		if got := statements(policy.PolicyDocument.Statement); fmt.Sprint(policy.Queues) != "[map[Ref:ScanDispatchFailures]]" || got != want {
			t.Fatalf("dispatch failures queue policy on %v:\n %s\nwant\n %s", policy.Queues, got, want)
		}
	})

	t.Run("WithoutAScheduleTargetThereIsNoScheduler", func(t *testing.T) {
		a := app.Declaration()
		for i := range a.Functions {
			a.Functions[i].ScheduleTarget = false
			a.Functions[i].ManagesSchedules = false
		}
		tmpl := parseTemplate(t, a)
		for _, id := range []string{app.ScheduleGroupLogicalID, app.SchedulerRoleLogicalID} {
			if _, ok := tmpl.Resources[id]; ok {
				t.Fatalf("resource %s is declared although no function is the schedule target", id)
			}
		}
		var p functionProps
		properties(t, tmpl, "ScanDispatchFunction", "AWS::Serverless::Function", &p)
		if p.FunctionName != nil {
			t.Fatalf("scan-dispatch, no longer the target, has FunctionName %v", p.FunctionName)
		}
	})

	t.Run("Outputs", func(t *testing.T) {
		if got, want := tmpl.Outputs["ApiUrl"].Value["Fn::Sub"], "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/"; got != want {
			t.Fatalf("ApiUrl = Fn::Sub %q, want %q", got, want)
		}
		if got, want := tmpl.Outputs["TableName"].Value["Ref"], "Table"; got != want {
			t.Fatalf("TableName = Ref %q, want Ref %q", got, want)
		}
	})
}

// rolePolicy returns the statements of the policy of the role with the
// given logical ID.
func rolePolicy(t *testing.T, tmpl samTemplate, role string) []statement {
	t.Helper()
	var p struct {
		Roles          []map[string]string `yaml:"Roles"`
		PolicyDocument struct {
			Version   string      `yaml:"Version"`
			Statement []statement `yaml:"Statement"`
		} `yaml:"PolicyDocument"`
	}
	properties(t, tmpl, app.RolePolicyLogicalID(role), "AWS::IAM::Policy", &p)
	if len(p.Roles) != 1 || p.Roles[0]["Ref"] != role || p.PolicyDocument.Version != "2012-10-17" {
		t.Fatalf("policy of role %s is attached to %v (version %q), want that role only", role, p.Roles, p.PolicyDocument.Version)
	}
	return p.PolicyDocument.Statement
}

// statements renders policy statements for comparison, one a line.
func statements(st []statement) string {
	var b strings.Builder
	for _, s := range st {
		fmt.Fprintf(&b, "%s %v %v on %v if %v\n", s.Effect, s.Principal, s.Action, s.Resource, s.Condition)
	}
	return b.String()
}

func TestNames(t *testing.T) {
	t.Run("FunctionLogicalID", func(t *testing.T) {
		for name, want := range map[string]string{
			"customers":    "CustomersFunction",
			"usage-stream": "UsageStreamFunction",
			"scan-run":     "ScanRunFunction",
		} {
			if got := app.FunctionLogicalID(name); got != want {
				t.Fatalf("FunctionLogicalID(%q) = %q, want %q", name, got, want)
			}
		}
	})
	t.Run("EventName", func(t *testing.T) {
		for _, tc := range []struct {
			route app.Route
			want  string
		}{
			{app.Route{Method: "POST", Path: "/v1/customers/{customerId}/suspend"}, "PostV1CustomersCustomerIdSuspend"},
			{app.Route{Method: "DELETE", Path: "/v1/api-keys/{keyId}"}, "DeleteV1ApiKeysKeyId"},
			{app.Route{Method: "ANY", Path: app.DefaultRoute}, "AnyDefault"},
		} {
			if got := tc.route.EventName(); got != tc.want {
				t.Fatalf("EventName(%q) = %q, want %q", tc.route.Key(), got, tc.want)
			}
		}
	})
}

func TestValidate(t *testing.T) {
	if err := app.Declaration().Validate(); err != nil {
		t.Fatalf("Declaration().Validate() = %v, want nil", err)
	}
	withRoutes := func(a *app.App, name string, routes ...app.Route) {
		i := slices.IndexFunc(a.Functions, func(f app.Function) bool { return f.Name == name })
		a.Functions[i].Routes = append(a.Functions[i].Routes, routes...)
	}
	fn := func(a *app.App, name string) *app.Function {
		return &a.Functions[slices.IndexFunc(a.Functions, func(f app.Function) bool { return f.Name == name })]
	}
	withRule := func(a *app.App, name string, r app.EventRule) {
		fn(a, name).Rules = append(fn(a, name).Rules, r)
	}
	rule := func(name string) app.EventRule {
		return app.EventRule{Name: name, Source: "partnerportal.test", DetailTypes: []string{"Test"}}
	}
	for _, tc := range []struct {
		name   string
		change func(a *app.App)
		want   string
	}{
		{"TwoScheduleTargets", func(a *app.App) { fn(a, "scan-run").ScheduleTarget = true }, "at most one may be"},
		{"ManagedSchedulesWithoutTarget", func(a *app.App) { fn(a, "scan-dispatch").ScheduleTarget = false }, `function "schedules" manages schedules, but no function is the schedule target`},
		{"HTTPScheduleTarget", func(a *app.App) {
			fn(a, "scan-dispatch").ScheduleTarget = false
			fn(a, "schedules").ScheduleTarget = true
		}, `function "schedules" has kind "http": only "async" functions`},
		{"RulesOnAStreamFunction", func(a *app.App) { withRule(a, "usage-stream", rule("Test")) }, `function "usage-stream" has kind "table-stream": only "async" functions`},
		{"RuleWithoutName", func(a *app.App) { withRule(a, "scan-run", rule("")) }, `rule "": duplicate or invalid event name`},
		{"RuleNameNotALogicalID", func(a *app.App) { withRule(a, "scan-run", rule("Asset-Discovered")) }, `rule "Asset-Discovered": duplicate or invalid event name`},
		{"SameRuleNameTwice", func(a *app.App) { withRule(a, "scan-dispatch", rule("VulnDBPage")) }, `rule "VulnDBPage": duplicate or invalid event name`},
		{"RuleNamedLikeARoute", func(a *app.App) {
			withRoutes(a, "scan-run", app.Route{Method: "GET", Path: "/v1/x"})
			withRule(a, "scan-run", rule("GetV1X"))
		}, `rule "GetV1X": duplicate or invalid event name`},
		{"RuleNamedLikeSAMsRole", func(a *app.App) { withRule(a, "scan-run", rule("Role")) }, "logical ID ScanRunFunctionRole is already used by a resource of function scan-run"},
		{"RuleNamedLikeARulesPermission", func(a *app.App) { withRule(a, "scan-dispatch", rule("AssetDiscoveredPermission")) }, "logical ID ScanDispatchFunctionAssetDiscoveredPermission is already used"},
		{"RuleNameTooLongForItsTarget", func(a *app.App) { withRule(a, "scan-run", rule(strings.Repeat("A", 40))) }, "too long for its EventBridge target ID"},
		{"RuleWithoutSource", func(a *app.App) { withRule(a, "scan-run", app.EventRule{Name: "Test", DetailTypes: []string{"Test"}}) }, `rule "Test" needs a source and at least one detail type`},
		{"RuleWithoutDetailType", func(a *app.App) { withRule(a, "scan-run", app.EventRule{Name: "Test", Source: "x"}) }, `rule "Test" needs a source and at least one detail type`},
		{"RuleWithEmptyDetailType", func(a *app.App) {
			withRule(a, "scan-run", app.EventRule{Name: "Test", Source: "x", DetailTypes: []string{""}})
		}, `rule "Test" needs a source and at least one detail type`},
		{"RuleNamedLikeTheFunctionsLogs", func(a *app.App) { withRule(a, "scan-run", rule("Logs")) }, "logical ID ScanRunFunctionLogs is already used by a resource of function scan-run"},
		{"StreamRecordAgeOutOfRange", func(a *app.App) {
			a.Functions = append(a.Functions, app.Function{Name: "stream2", MemoryMB: 128, TimeoutSec: 1, Kind: app.KindTableStream, Stream: &app.StreamSource{BatchSize: 1, MaxRecordAgeSec: 30}})
		}, "maximum record age 30 s (60..604800) out of range"},
		{"UndeclaredAuthorizer", func(a *app.App) { a.Authorizer.Function = "nobody" }, `authorizer function "nobody" is not declared`},
		{"AuthorizerOfWrongKind", func(a *app.App) { a.Authorizer.Function = "customers" }, `has kind "http"`},
		{"AuthorizerWithRoutes", func(a *app.App) {
			withRoutes(a, "authorizer", app.Route{Method: "GET", Path: "/v1/authz"})
		}, "must not serve routes"},
		{"BadFunctionName", func(a *app.App) { a.Functions[1].Name = "Partners" }, `function name "Partners"`},
		{"SameLogicalID", func(a *app.App) { a.Functions = append(a.Functions, a.Functions[1]) }, "logical ID PartnersFunction is already used"},
		{"SameRouteTwice", func(a *app.App) {
			withRoutes(a, "users", app.Route{Method: "GET", Path: "/v1/customers"})
		}, `route "GET /v1/customers" is already served by`},
		{"SameEventName", func(a *app.App) {
			withRoutes(a, "users", app.Route{Method: "GET", Path: "/v1/a-b"}, app.Route{Method: "GET", Path: "/v1/a/b"})
		}, `duplicate or invalid event name "GetV1AB"`},
		{"UnknownMethod", func(a *app.App) {
			withRoutes(a, "users", app.Route{Method: "get", Path: "/v1/x"})
		}, `method "get"`},
		{"DefaultRouteWithMethod", func(a *app.App) {
			withRoutes(a, "users", app.Route{Method: "GET", Path: app.DefaultRoute})
		}, "takes method ANY"},
		{"RelativePath", func(a *app.App) {
			withRoutes(a, "users", app.Route{Method: "GET", Path: "v1/x"})
		}, "path must start with /"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := app.Declaration()
			tc.change(&a)
			err := a.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tc.want)
			}
			if _, err := a.SAMTemplate(); err == nil {
				t.Fatal("SAMTemplate() = nil error for an invalid declaration")
			}
		})
	}
}

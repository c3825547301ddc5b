// Command infra synthesizes the CDK app of Partner Portal: the stack of
// infra/stack, built from the app declaration, as a cloud assembly ready
// for `cdk deploy --app <out>`.
//
//	make build && go run ./infra -stage prod -out cdk.out
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/partnerportal/portal/infra/stack"
)

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	jsii.Close()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "infra:", err)
		os.Exit(1)
	}
}

// errUsage marks bad flags, which the flag set has already reported with
// the usage.
var errUsage = errors.New("usage")

// run parses the flags, checks the function binaries are built and
// synthesizes the stack into the output directory, saying where.
func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("infra", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "cdk.out", "`directory` of the synthesized cloud assembly")
	dist := fs.String("dist", "dist", "`directory` of the function binaries, <dist>/<function>/bootstrap as make build lays them out")
	name := fs.String("stack", "partner-portal", "CloudFormation stack `name`")
	stage := stack.StageDev
	fs.TextVar(&stage, "stage", stack.StageDev, "deployment `stage`: dev or prod (prod protects the table from deletion and keeps it)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := stack.CheckDist(*dist); err != nil {
		return err
	}
	cdkApp := awscdk.NewApp(&awscdk.AppProps{Outdir: out})
	s := stack.New(cdkApp, *name, stack.Props{Stage: stage, DistDir: *dist})
	assembly := cdkApp.Synth(nil)
	fmt.Fprintf(stdout, "synthesized stack %s (%s) into %s: %s\n", *name, stage, *assembly.Directory(), *s.TemplateFile())
	fmt.Fprintf(stdout, "deploy it with: cdk deploy --app %s --parameters CursorSecret=<at least 32 characters> (make deploy, docs/DEPLOY.md)\n", *assembly.Directory())
	return nil
}

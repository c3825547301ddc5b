// Command withddb runs a command with a DynamoDB to talk to, so that a whole
// test run shares one DynamoDB Local:
//
//	go run ./cmd/withddb -- go test ./...
//
// Unless DYNAMODB_ENDPOINT is already set, it starts an in-memory DynamoDB
// Local (see internal/ddblocal) and sets DYNAMODB_ENDPOINT for the command.
// It forwards SIGINT, SIGTERM and SIGHUP to the command, stops DynamoDB Local
// when the command ends and exits with the command's exit status (128+N if a
// signal N ended it). It exits 2 on a usage error, and 1 if DynamoDB Local
// cannot start, the command cannot be run, or DynamoDB Local died while an
// otherwise successful command ran.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/partnerportal/portal/internal/ddblocal"
)

const endpointEnv = "DYNAMODB_ENDPOINT"

func main() {
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: withddb -- <command> [args...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	os.Exit(run(flag.Args()))
}

func run(args []string) int {
	env := os.Environ()
	var inst *ddblocal.Instance
	if os.Getenv(endpointEnv) == "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		var err error
		inst, err = ddblocal.Start(ctx, ddblocal.Options{})
		cancel()
		if err != nil {
			fmt.Fprintln(os.Stderr, "withddb:", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "withddb: DynamoDB Local at %s\n", inst.Endpoint())
		env = append(env, endpointEnv+"="+inst.Endpoint())
	}

	code := command(args, env)

	if inst != nil {
		if err := inst.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "withddb:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// command runs args with env, forwarding signals, and returns its exit code.
func command(args, env []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)

	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "withddb:", err)
		return 1
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-sigs:
			cmd.Process.Signal(sig)
		case err := <-done:
			var exit *exec.ExitError
			switch {
			case err == nil:
				return 0
			case errors.As(err, &exit):
				if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					return 128 + int(ws.Signal())
				}
				return exit.ExitCode()
			default:
				fmt.Fprintln(os.Stderr, "withddb:", err)
				return 1
			}
		}
	}
}

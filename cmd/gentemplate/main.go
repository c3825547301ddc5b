// Command gentemplate writes template.yaml, the AWS SAM template derived from
// the app declaration in internal/app.
//
//	go run ./cmd/gentemplate            # (re)write ./template.yaml
//	go run ./cmd/gentemplate -o x.yaml  # write elsewhere
//	go run ./cmd/gentemplate -check     # exit 1 when the file is out of date
//
// Run it from the repository root (make template does).
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"

	"github.com/partnerportal/portal/internal/app"
)

func main() {
	out := flag.String("o", "template.yaml", "path of the template to write or check")
	check := flag.Bool("check", false, "write nothing; exit 1 when the file differs from the declaration")
	flag.Parse()
	if err := run(*out, *check); err != nil {
		fmt.Fprintln(os.Stderr, "gentemplate:", err)
		os.Exit(1)
	}
}

func run(path string, check bool) error {
	want, err := app.Declaration().SAMTemplate()
	if err != nil {
		return err
	}
	got, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if bytes.Equal(got, want) {
		return nil
	}
	if check {
		if err != nil {
			return fmt.Errorf("%s does not exist: run `make template`", path)
		}
		return fmt.Errorf("%s is out of date with internal/app: run `make template`", path)
	}
	return os.WriteFile(path, want, 0o644)
}

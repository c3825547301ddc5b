package main

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/partnerportal/portal/internal/app"
)

func TestRunRefusesAnUnknownStageNamingTheFlag(t *testing.T) {
	err := run([]string{"-stage", "qa"}, io.Discard, io.Discard)
	if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "-stage") {
		t.Fatalf("run -stage qa = %v, want a usage error naming -stage", err)
	}
}

func TestRunRefusesADistWithoutTheFunctionBinaries(t *testing.T) {
	err := run([]string{"-dist", t.TempDir()}, io.Discard, io.Discard)
	first := app.Declaration().Functions[0].Name
	if err == nil || !strings.Contains(err.Error(), first) || !strings.Contains(err.Error(), "make build") {
		t.Fatalf("run with an empty dist = %v, want an error naming %s and make build", err, first)
	}
}

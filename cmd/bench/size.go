package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/lambdabuild"
)

// sizeTable is the deployed size of every declared function and of the floor.
type sizeTable struct {
	Floor     binSize
	Functions []binSize
}

// binSize is one binary: stripped and zipped as cmd/build makes it.
type binSize struct {
	Name       string
	Binary     int64 // bytes of bootstrap
	Zip        int64 // bytes of the zip
	FloorRatio float64
}

// floorMain is the smallest useful Lambda function: aws-lambda-go's runtime
// loop and a no-op handler.
const floorMain = `package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() { lambda.Start(func(context.Context) error { return nil }) }
`

// measureSizes reads dist/<name>.zip and dist/<name>/bootstrap of every
// declared function (made by `make build`) and builds the floor with the
// same flags as cmd/build.
func measureSizes() (*sizeTable, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	dist := filepath.Join(root, "dist")
	t := &sizeTable{}
	for _, f := range app.Declaration().Functions {
		zipInfo, err := os.Stat(filepath.Join(dist, f.Name+".zip"))
		binInfo, err2 := os.Stat(filepath.Join(dist, f.Name, "bootstrap"))
		if err := errors.Join(err, err2); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("dist/%s.zip or dist/%s/bootstrap is missing: run `make build` first (`make bench` does)", f.Name, f.Name)
			}
			return nil, err
		}
		t.Functions = append(t.Functions, binSize{Name: f.Name, Binary: binInfo.Size(), Zip: zipInfo.Size()})
	}
	if t.Floor, err = buildFloor(root, dist); err != nil {
		return nil, fmt.Errorf("build the minimal aws-lambda-go binary: %w", err)
	}
	for i := range t.Functions {
		t.Functions[i].FloorRatio = float64(t.Functions[i].Zip) / float64(t.Floor.Zip)
	}
	return t, nil
}

// buildFloor builds floorMain in a temporary package inside the module (so
// it resolves aws-lambda-go from go.mod), exactly as cmd/build builds the
// functions, zips it the same way and removes it all.
func buildFloor(root, dist string) (binSize, error) {
	if err := os.MkdirAll(dist, 0o755); err != nil {
		return binSize{}, err
	}
	dir, err := os.MkdirTemp(dist, "benchfloor")
	if err != nil {
		return binSize{}, err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(floorMain), 0o644); err != nil {
		return binSize{}, err
	}
	bin := filepath.Join(dir, "bootstrap")
	pkg, err := filepath.Rel(root, dir)
	if err != nil {
		return binSize{}, err
	}
	if err := lambdabuild.Build(root, "./"+filepath.ToSlash(pkg), bin, "arm64"); err != nil {
		return binSize{}, err
	}
	zipName := filepath.Join(dir, "floor.zip")
	zipSize, err := lambdabuild.Zip(bin, zipName)
	if err != nil {
		return binSize{}, err
	}
	info, err := os.Stat(bin)
	if err != nil {
		return binSize{}, err
	}
	return binSize{Name: "floor", Binary: info.Size(), Zip: zipSize, FloorRatio: 1}, nil
}

// moduleRoot returns the directory of go.mod, from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run me inside the module")
		}
		dir = parent
	}
}

// Package lambdabuild builds a Go package into a Lambda custom-runtime
// binary and zips it, the one way `make build` and `make bench` both use.
package lambdabuild

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"os/exec"
)

// Build compiles pkg (e.g. "./functions/customers"), from the module root dir,
// into bin: stripped, static, linux/arch, with the lambda.norpc tag. The
// error carries the compiler's output.
func Build(dir, pkg, bin, arch string) error {
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", bin, pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v: %s", pkg, err, out)
	}
	return nil
}

// BuildHost compiles the function packages pkgs (e.g. "./functions/customers")
// from the module root dir into out/<package name> for this machine, in one
// go build: the local stack runs them under internal/lambdaruntime. No
// trimming, tags or environment of its own, so the build shares the cache
// of `go test`. The error
// carries the compiler's output.
func BuildHost(dir, out string, pkgs ...string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	args := append([]string{"build", "-o", out + string(os.PathSeparator)}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	if outp, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %v: %v: %s", pkgs, err, outp)
	}
	return nil
}

// Zip writes bin as an executable "bootstrap" into a new zip file name and
// returns the zip's size.
func Zip(bin, name string) (int64, error) {
	src, err := os.Open(bin)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	dst, err := os.Create(name)
	if err != nil {
		return 0, err
	}
	defer dst.Close()
	zw := zip.NewWriter(dst)
	hdr := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	hdr.SetMode(0o755)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return 0, err
	}
	if _, err := io.Copy(w, src); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	info, err := dst.Stat()
	if err != nil {
		return 0, err
	}
	return info.Size(), nil
}

// Command build compiles every declared function into dist/<name>/bootstrap
// (stripped, linux/arm64 unless -arch says otherwise) and zips it into
// dist/<name>.zip, printing each zip's size. `make build` runs it.
package main

import (
	"archive/zip"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/partnerportal/portal/internal/app"
)

func main() {
	out := flag.String("o", "dist", "output directory")
	arch := flag.String("arch", "arm64", "GOARCH of the binaries")
	flag.Parse()
	log.SetFlags(0)
	for _, f := range app.Declaration().Functions {
		dir := filepath.Join(*out, f.Name)
		bin := filepath.Join(dir, "bootstrap")
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", bin, "./functions/"+f.Name)
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+*arch, "CGO_ENABLED=0")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			log.Fatalf("build %s: %v", f.Name, err)
		}
		size, err := zipFile(bin, filepath.Join(*out, f.Name+".zip"))
		if err != nil {
			log.Fatalf("zip %s: %v", f.Name, err)
		}
		fmt.Printf("%-12s %s.zip %7.2f MiB\n", f.Name, filepath.Join(*out, f.Name), float64(size)/(1<<20))
	}
}

// zipFile writes bin as an executable "bootstrap" into a new zip and returns the zip's size.
func zipFile(bin, name string) (int64, error) {
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

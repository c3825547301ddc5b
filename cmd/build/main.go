// Command build compiles every declared function into dist/<name>/bootstrap
// (stripped, linux/arm64 unless -arch says otherwise) and zips it into
// dist/<name>.zip, printing each zip's size. `make build` runs it.
package main

import (
	"flag"
	"fmt"
	"log"
	"path/filepath"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/lambdabuild"
)

func main() {
	out := flag.String("o", "dist", "output directory")
	arch := flag.String("arch", "arm64", "GOARCH of the binaries")
	flag.Parse()
	log.SetFlags(0)
	for _, f := range app.Declaration().Functions {
		bin := filepath.Join(*out, f.Name, "bootstrap")
		if err := lambdabuild.Build(".", "./functions/"+f.Name, bin, *arch); err != nil {
			log.Fatal(err)
		}
		size, err := lambdabuild.Zip(bin, filepath.Join(*out, f.Name+".zip"))
		if err != nil {
			log.Fatalf("zip %s: %v", f.Name, err)
		}
		fmt.Printf("%-12s %s.zip %7.2f MiB\n", f.Name, filepath.Join(*out, f.Name), float64(size)/(1<<20))
	}
}

// Command devserver is `make run`: Partner Portal on this machine, with
// DynamoDB Local keeping its data under .devstack/ and the HTTP API on
// http://127.0.0.1:3000. Ctrl-C stops everything it started.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/partnerportal/portal/internal/devserver"
)

func main() {
	cfg := devserver.Config{Log: os.Stderr}
	flag.StringVar(&cfg.Dir, "dir", ".devstack", "state directory (DynamoDB data, seed, credentials)")
	flag.StringVar(&cfg.Addr, "addr", "127.0.0.1:3000", "listen address of the HTTP API")
	flag.StringVar(&cfg.Table, "table", "partner-portal", "DynamoDB table name")
	flag.BoolVar(&cfg.FastClock, "fast-clock", false, "schedules fire within seconds: the local Scheduler's clock runs a week a minute")
	flag.Parse()
	cfg.Endpoint = os.Getenv("DYNAMODB_ENDPOINT")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.SetFlags(0)
	log.Printf("starting Partner Portal (first run fetches DynamoDB Local, about 60 MB)…")
	st, err := devserver.Start(ctx, cfg)
	if err != nil {
		log.Fatalf("make run: %v", err)
	}
	c := st.Credentials
	fmt.Printf(`
Partner Portal is running.

  console:            %s
    sign in as        %s
    with password     %s
  API:                %s
  super admin key:    %s
  demo partner:       %s
  partner admin key:  %s
  credentials file:   %s

Try:
  curl -s -X POST %s/v1/customers -H "Authorization: Bearer %s" \
       -H "Content-Type: application/json" \
       -d '{"name":"Acme GmbH","contactEmail":"it@acme.example","timezone":"Europe/Berlin","country":"DE"}'
  curl -s "%s/v1/customers?sort=-createdAt&limit=10" -H "Authorization: Bearer %s"

Press Ctrl-C to stop.
`, c.ConsoleURL, c.ConsoleEmail, c.ConsolePassword, c.APIURL, c.SuperAdminKey, c.PartnerID, c.PartnerAdminKey, filepath.Join(cfg.Dir, "credentials.json"),
		c.APIURL, c.PartnerAdminKey, c.APIURL, c.PartnerAdminKey)
	<-ctx.Done()
	log.Printf("stopping…")
	if err := st.Close(); err != nil {
		log.Printf("stop: %v", err)
	}
}

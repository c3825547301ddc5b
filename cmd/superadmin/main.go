// Command superadmin creates the first super admin of a deployment and
// issues it an API key, with the operator's own AWS credentials:
//
//	go run ./cmd/superadmin -table <TableName> -email ops@example.com [-name "Platform operator"]
//
// It prints {"userId": …, "email": …, "apiKey": "pp_…"} on stdout; the key is
// shown only this once. Run again with the e-mail of an existing super admin,
// it issues that user a new key (key recovery). It refuses e-mails of other
// users (exit status 1) and bad flags (exit status 2), writing nothing.
// DYNAMODB_ENDPOINT points it at another DynamoDB, such as DynamoDB Local.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

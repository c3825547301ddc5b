package dynamo

import "strings"

// Sign-in counter keys: one item per e-mail address that failed to sign
// in, whether or not a user has it (so that answers never tell). It
// carries the table's TTL attribute, so DynamoDB deletes it after its
// window and lock have ended.
//
//	PK SIGNIN#<email lower>   SK SIGNIN
const signInSK = "SIGNIN"

func signInPK(email string) string { return "SIGNIN#" + strings.ToLower(email) }

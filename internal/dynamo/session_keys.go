package dynamo

import "github.com/partnerportal/portal/internal/app"

// Session keys: a session is found by its ID, which the session token
// carries, and a user's sessions on the user-sessions index (to end them
// all when the password changes). Sessions carry the table's TTL
// attribute, so DynamoDB deletes them after they end.
//
//	PK SESSION#<sessionId>   SK SESSION
//	GSIPK SESSIONS#<userId>  GSI1SK <sessionId>   the user's sessions
const (
	sessionSK         = "SESSION"
	userSessionsIndex = app.IndexGSI1
)

func sessionPK(sessionID string) string { return "SESSION#" + sessionID }

func userSessionsPK(userID string) string { return "SESSIONS#" + userID }

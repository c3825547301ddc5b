package dynamo

// Session keys: a session is found by its ID, which the session token
// carries. Sessions carry the table's TTL attribute, so DynamoDB deletes
// them after they end.
//
//	PK SESSION#<sessionId>   SK SESSION
const sessionSK = "SESSION"

func sessionPK(sessionID string) string { return "SESSION#" + sessionID }

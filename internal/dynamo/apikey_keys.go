package dynamo

// API key keys: a key is found by its ID, which the presented key carries.
//
//	PK APIKEY#<keyId>   SK APIKEY
const apiKeySK = "APIKEY"

func apiKeyPK(keyID string) string { return "APIKEY#" + keyID }

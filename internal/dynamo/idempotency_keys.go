package dynamo

// Idempotency keys: one item per caller and key, expired by TTL.
//
//	PK IDEMPOTENCY#<caller scope>#<key>   SK IDEMPOTENCY
const idempotencySK = "IDEMPOTENCY"

func idempotencyPK(scope, key string) string { return "IDEMPOTENCY#" + scope + "#" + key }

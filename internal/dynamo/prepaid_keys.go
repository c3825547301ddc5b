package dynamo

// Pre-paid pool keys: a partner's pools live in its partition, in purchase
// order (pool IDs are ULIDs).
//
//	PK PARTNER#<partnerId>   SK PREPAID#<poolId>
const prepaidPrefix = "PREPAID#"

func prepaidSK(poolID string) string { return prepaidPrefix + poolID }

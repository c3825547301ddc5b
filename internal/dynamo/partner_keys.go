package dynamo

// Partner keys: a partner heads its own partition.
//
//	PK PARTNER#<partnerId>   SK PARTNER
const partnerSK = "PARTNER"

func partnerPK(partnerID string) string { return "PARTNER#" + partnerID }

package dynamo

// Grant keys: a partner member's whitelist lives in its partner's partition,
// one item per granted customer, so a check is one GetItem and the list one Query.
//
//	PK PARTNER#<partnerId>   SK GRANT#<memberId>#<customerId>   one granted customer
//	PK PARTNER#<partnerId>   SK GRANTS#<memberId>               the set's version
func grantPrefix(memberID string) string { return "GRANT#" + memberID + "#" }

func grantSK(memberID, customerID string) string { return grantPrefix(memberID) + customerID }

func grantSetSK(memberID string) string { return "GRANTS#" + memberID }

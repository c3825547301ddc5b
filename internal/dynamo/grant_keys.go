package dynamo

// Grant keys: a partner member's whitelist lives in its partner's partition,
// one item per granted customer, so a check is one GetItem and the list one Query.
//
//	PK PARTNER#<partnerId>   SK GRANT#<memberId>#<customerId>
func grantPrefix(memberID string) string { return "GRANT#" + memberID + "#" }

func grantSK(memberID, customerID string) string { return grantPrefix(memberID) + customerID }

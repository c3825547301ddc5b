package dynamo

import "fmt"

// Pricing keys: the platform's one price list, every version kept.
//
//	PK PRICING   SK CURRENT            the version in force (read with one GetItem)
//	PK PRICING   SK V#<version, 12 digits>   every version ever set
const (
	pricingPK        = "PRICING"
	pricingCurrentSK = "CURRENT"
)

func pricingVersionSK(version int64) string { return fmt.Sprintf("V#%012d", version) }

package dynamo

import "time"

// Usage ledger and stream-marker keys, in the tenant's partition.
//
//	PK TENANT#<partnerId>#<customerId>   SK USAGE#<licenseId>#<periodStart>
//	PK TENANT#<partnerId>#<customerId>   SK APPLIED#<stream event ID>   (expiresAt: TTL)
const (
	usagePrefix   = "USAGE#"
	appliedPrefix = "APPLIED#"
)

func usageSK(licenseID string, periodStart time.Time) string {
	return usagePrefix + licenseID + "#" + formatTime(periodStart)
}

func appliedSK(eventID string) string { return appliedPrefix + eventID }

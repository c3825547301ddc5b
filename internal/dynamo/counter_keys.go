package dynamo

import "time"

// Counter keys: live usage counters live in their tenant's partition.
//
//	PK TENANT#<partnerId>#<customerId>   SK COUNTER#ASSETS
//	PK TENANT#<partnerId>#<customerId>   SK COUNTER#SCANS#<licenseId>#<periodStart>
const (
	counterPrefix     = "COUNTER#"
	assetCounterSK    = counterPrefix + "ASSETS"
	scanCounterPrefix = counterPrefix + "SCANS#"
)

func scanCounterSK(licenseID string, periodStart time.Time) string {
	return scanCounterPrefix + licenseID + "#" + formatTime(periodStart)
}

package dynamo

// Scan and finding keys, in the tenant's partition. Scan IDs are ULIDs, so
// a Query of SCAN# backwards lists the newest first.
//
//	PK TENANT#<partnerId>#<customerId>   SK SCAN#<scanId>
//	PK TENANT#<partnerId>#<customerId>   SK FINDING#<findingId>
const (
	scanPrefix    = "SCAN#"
	findingPrefix = "FINDING#"
)

func scanSK(scanID string) string { return scanPrefix + scanID }

func findingSK(findingID string) string { return findingPrefix + findingID }

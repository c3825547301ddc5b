package dynamo

import "github.com/partnerportal/portal/internal/app"

// Asset keys. An asset's ID is derived from its normalised value
// (portal.AssetID), so the key is the asset's identity and a second
// submission of one asset fails a conditional put. The tenant's assets in
// value order are an index partition named like the tenant's partition, so
// tenant-scoped credentials reach it too.
//
//	PK    TENANT#<partnerId>#<customerId>   SK     ASSET#<assetId>
//	GSIPK TENANT#<partnerId>#<customerId>   GSI1SK ASSET#<value, at most 900 bytes>␟<assetId>
const (
	assetPrefix    = "ASSET#"
	assetListIndex = app.IndexGSI1
	// maxValueInKey keeps index sort keys under DynamoDB's 1,024 bytes.
	maxValueInKey = 900
)

func assetSK(assetID string) string { return assetPrefix + assetID }

func assetListSK(value, assetID string) string {
	if len(value) > maxValueInKey {
		value = value[:maxValueInKey]
	}
	return assetPrefix + value + sep + assetID
}

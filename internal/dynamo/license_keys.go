package dynamo

import "github.com/partnerportal/portal/internal/app"

// License keys: a license lives in its tenant's partition; the partner's
// licenses across all tenants are one index partition, by start time, so the
// margin report is a Query, not a read per customer.
//
//	PK TENANT#<partnerId>#<customerId>   SK LICENSE#<licenseId>
//	GSIPK PARTNER#<partnerId>#LICENSES   GSI1SK <startsAt>␟<licenseId>
const (
	licensePrefix        = "LICENSE#"
	partnerLicensesIndex = app.IndexGSI1
)

func licenseSK(licenseID string) string { return licensePrefix + licenseID }

func partnerLicensesPK(partnerID string) string { return "PARTNER#" + partnerID + "#LICENSES" }

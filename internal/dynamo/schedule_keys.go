package dynamo

import "github.com/partnerportal/portal/internal/app"

// Schedule keys. A schedule lives in its tenant's partition; an enabled
// schedule that scans on vulnerability-database updates is also in one
// sparse index partition that the update's fan-out pages through, across
// every partner (the attributes are absent otherwise, so the index holds
// subscribers only).
//
//	PK TENANT#<partnerId>#<customerId>   SK SCHEDULE#<scheduleId>
//	GSIPK VULNDB#SUBSCRIBERS             GSI1SK <partnerId>␟<customerId>␟<scheduleId>
const (
	schedulePrefix    = "SCHEDULE#"
	vulnDBSubscribers = "VULNDB#SUBSCRIBERS"
	vulnDBIndex       = app.IndexGSI1
)

func scheduleSK(scheduleID string) string { return schedulePrefix + scheduleID }

func vulnDBSubscriberSK(partnerID, customerID, scheduleID string) string {
	return partnerID + sep + customerID + sep + scheduleID
}

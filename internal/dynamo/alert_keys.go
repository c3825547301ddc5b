package dynamo

import "github.com/partnerportal/portal/internal/app"

// Alert keys. An alert lives in its tenant's partition, newest last; the
// partner's alerts across tenants are an index partition: by time, by ID
// (to acknowledge one by ID alone) and by acknowledgement then time.
//
//	PK    TENANT#<partnerId>#<customerId>   SK     ALERT#<createdAt>␟<alertId>
//	GSIPK PARTNER#<partnerId>#ALERTS        GSI1SK <createdAt>␟<alertId>
//	                                        GSI2SK <alertId>
//	                                        GSI3SK <0|1 acknowledged>␟<createdAt>␟<alertId>
const (
	alertPrefix      = "ALERT#"
	alertsByTime     = app.IndexGSI1
	alertsByID       = app.IndexGSI2
	alertsByAckState = app.IndexGSI3
)

func alertSK(createdAt, alertID string) string { return alertPrefix + createdAt + sep + alertID }

func partnerAlertsPK(partnerID string) string { return "PARTNER#" + partnerID + "#ALERTS" }

func ackKey(acknowledged bool) string {
	if acknowledged {
		return "1"
	}
	return "0"
}

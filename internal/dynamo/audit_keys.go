package dynamo

import "github.com/partnerportal/portal/internal/app"

// Audit keys: an entry lives in the partition of what it changed — the
// tenant's, else the partner's, else the platform's — so a customer admin
// reads its tenant's log with one Query; the partner-wide log is one index
// partition, newest first.
//
//	PK TENANT#<partnerId>#<customerId> | PARTNER#<partnerId> | PLATFORM   SK AUDIT#<time>␟<auditId>
//	GSIPK AUDIT#<partnerId | PLATFORM>                        GSI1SK <time>␟<auditId>
const (
	auditPrefix    = "AUDIT#"
	auditListIndex = app.IndexGSI1
)

func auditPK(partnerID, tenantID string) string { return userHomePK(partnerID, tenantID) }

func auditListPK(partnerID string) string {
	if partnerID == "" {
		return auditPrefix + platformPK
	}
	return auditPrefix + partnerID
}

package dynamo

import (
	"strings"

	"github.com/partnerportal/portal/internal/app"
)

// User keys. A user lives in its tenant's partition (customer users), its
// partner's (partner staff) or the platform's (operators); two small items
// make e-mail addresses unique and let a user be found by ID alone. The
// three are written in one transaction.
//
//	PK TENANT#<partnerId>#<customerId> | PARTNER#<partnerId> | PLATFORM   SK USER#<userId>   the user
//	GSIPK USERS#<partnerId>#<customerId> | USERS#<partnerId> | USERS#PLATFORM  GSI1SK <email lower>␟<userId>  the partner's user list
//	PK EMAIL#<email lower>              SK EMAIL             uniqueness
//	PK USER#<userId>                    SK USER              directory: where the user lives
const (
	platformPK    = "PLATFORM"
	emailSK       = "EMAIL"
	userDirSK     = "USER"
	userListIndex = app.IndexGSI1
)

func userHomePK(partnerID, tenantID string) string {
	switch {
	case tenantID != "":
		return tenantPK(partnerID, tenantID)
	case partnerID == "":
		return platformPK
	}
	return partnerPK(partnerID)
}

func userSK(userID string) string { return "USER#" + userID }

func userListPK(partnerID, tenantID string) string {
	switch {
	case tenantID != "":
		return "USERS#" + partnerID + "#" + tenantID
	case partnerID == "":
		return "USERS#" + platformPK
	}
	return "USERS#" + partnerID
}

func emailPK(email string) string { return "EMAIL#" + strings.ToLower(email) }

func userDirPK(userID string) string { return "USER#" + userID }

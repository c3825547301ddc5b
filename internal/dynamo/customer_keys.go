package dynamo

import (
	"strings"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/portal"
)

// Customer keys. The customer item heads its tenant's partition; the
// partner's list is five GSIs sharing the partition GSIPK, one per sort order.
// Archived customers move to a partition of their own so that the default list
// needs no filter.
//
//	PK     TENANT#<partnerId>#<customerId>      SK     CUSTOMER
//	GSIPK  PARTNER#<partnerId>#CUSTOMERS   (or …#ARCHIVED)
//	GSI1SK <name lower>␟<id>                 sort=name, q=prefix
//	GSI2SK <status>␟<name lower>␟<id>        sort=status, status=…
//	GSI3SK <plan>␟<name lower>␟<id>          sort=plan, plan=…
//	GSI4SK <lastScanAt | 0>␟<id>              sort=lastScanAt, lastScanBefore/After
//	GSI5SK <createdAt>␟<id>                   sort=createdAt
const (
	customerSK       = "CUSTOMER"
	neverScanned     = "0" // sorts before every timestamp
	indexByName      = app.IndexGSI1
	indexByStatus    = app.IndexGSI2
	indexByPlan      = app.IndexGSI3
	indexByLastScan  = app.IndexGSI4
	indexByCreatedAt = app.IndexGSI5
)

// tenantPK is a tenant's partition. It names the partner too, and every
// caller builds it from its own scope: a customer ID of another partner
// leads to a partition that does not exist, never to the other partner's data.
func tenantPK(partnerID, tenantID string) string { return "TENANT#" + partnerID + "#" + tenantID }

func customerListPK(partnerID string, archived bool) string {
	if archived {
		return "PARTNER#" + partnerID + "#ARCHIVED"
	}
	return "PARTNER#" + partnerID + "#CUSTOMERS"
}

func nameKey(name string) string { return strings.ToLower(name) }

// customerIndexKeys returns the GSI sort keys of c, by attribute name.
func customerIndexKeys(c portal.Customer) map[string]string {
	name := nameKey(c.Name)
	lastScan := neverScanned
	if c.LastScanAt != nil {
		lastScan = formatTime(*c.LastScanAt)
	}
	return map[string]string{
		app.IndexSortKey(indexByName):      name + sep + c.ID,
		app.IndexSortKey(indexByStatus):    string(c.Status) + sep + name + sep + c.ID,
		app.IndexSortKey(indexByPlan):      string(c.Plan) + sep + name + sep + c.ID,
		app.IndexSortKey(indexByLastScan):  lastScan + sep + c.ID,
		app.IndexSortKey(indexByCreatedAt): formatTime(c.CreatedAt) + sep + c.ID,
	}
}

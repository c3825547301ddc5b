package isolation

import (
	"strings"

	"github.com/partnerportal/portal/internal/portal"
)

// Kind is the kind of a partition of the single table, told by its key value
// (the PK of an item, or the GSIPK of an index entry). See the key files in
// internal/dynamo (*_keys.go) and docs/DESIGN-NOTES.md "Keys and indexes".
type Kind string

// Partition kinds.
const (
	KindPlatform     Kind = "PLATFORM"        // PLATFORM: the operators (super admins)
	KindPricing      Kind = "PRICING"         // PRICING: the platform's price list
	KindPartner      Kind = "PARTNER#"        // PARTNER#<p>: the partner, its users, pre-paid pools, grants
	KindPartnerIndex Kind = "PARTNER#…#index" // PARTNER#<p>#CUSTOMERS|ARCHIVED|LICENSES|ALERTS (GSIPK)
	KindTenant       Kind = "TENANT#"         // TENANT#<p>#<t>: a customer and everything it owns
	KindUserList     Kind = "USERS#"          // USERS#<PLATFORM|p|p#t>: user lists (GSIPK)
	KindUserDir      Kind = "USER#"           // USER#<u>: where a user lives (global lookup by ID)
	KindEmail        Kind = "EMAIL#"          // EMAIL#<e>: e-mail uniqueness (global)
	KindAPIKey       Kind = "APIKEY#"         // APIKEY#<k>: an API key (global lookup by ID)
	KindIdempotency  Kind = "IDEMPOTENCY#"    // IDEMPOTENCY#<p>#<u>#<key>: one caller's idempotency record
	KindAuditIndex   Kind = "AUDIT#"          // AUDIT#<p|PLATFORM>: a partner's or the platform's audit log (GSIPK)
	KindUnknown      Kind = "unknown"
)

// Global reports whether partitions of kind k are global lookup items: keyed
// by an ID or an e-mail address rather than by an organisation, so that
// no tenant-scoped credential (IAM dynamodb:LeadingKeys) can narrow them.
func (k Kind) Global() bool { return k == KindUserDir || k == KindEmail || k == KindAPIKey }

// Partition is a parsed partition key value.
type Partition struct {
	Raw     string
	Kind    Kind
	Partner string // PARTNER#, PARTNER#…#index, TENANT#<p>#…, USERS#<p>[#…], AUDIT#<p>
	Tenant  string // TENANT#<p>#<t>, USERS#<p>#<t>
	// Platform is set for USERS#PLATFORM and AUDIT#PLATFORM.
	Platform bool
}

// ParsePartition classifies a partition key value. Values it does not know
// are KindUnknown, which no rule allows: a new kind of partition must be
// added here and to the rules before callers may reach it.
func ParsePartition(v string) Partition {
	p := Partition{Raw: v, Kind: KindUnknown}
	head, rest, _ := strings.Cut(v, "#")
	switch head {
	case "PLATFORM":
		if rest == "" && !strings.Contains(v, "#") {
			p.Kind = KindPlatform
		}
	case "PRICING":
		if rest == "" && !strings.Contains(v, "#") {
			p.Kind = KindPricing
		}
	case "PARTNER":
		id, sub, indexed := strings.Cut(rest, "#")
		if !strings.HasPrefix(id, portal.PrefixPartner) {
			break
		}
		switch {
		case !indexed:
			p.Kind, p.Partner = KindPartner, id
		case sub == "CUSTOMERS" || sub == "ARCHIVED" || sub == "LICENSES" || sub == "ALERTS":
			p.Kind, p.Partner = KindPartnerIndex, id
		}
	case "TENANT":
		if partner, tenant, ok := partnerTenant(rest); ok {
			p.Kind, p.Partner, p.Tenant = KindTenant, partner, tenant
		}
	case "USERS":
		switch {
		case rest == "PLATFORM":
			p.Kind, p.Platform = KindUserList, true
		case strings.HasPrefix(rest, portal.PrefixPartner) && !strings.Contains(rest, "#"):
			p.Kind, p.Partner = KindUserList, rest
		default:
			if partner, tenant, ok := partnerTenant(rest); ok {
				p.Kind, p.Partner, p.Tenant = KindUserList, partner, tenant
			}
		}
	case "USER":
		if strings.HasPrefix(rest, portal.PrefixUser) {
			p.Kind = KindUserDir
		}
	case "EMAIL":
		if rest != "" {
			p.Kind = KindEmail
		}
	case "APIKEY":
		if strings.HasPrefix(rest, portal.PrefixAPIKey) {
			p.Kind = KindAPIKey
		}
	case "IDEMPOTENCY":
		if rest != "" {
			p.Kind = KindIdempotency
		}
	case "AUDIT":
		switch {
		case rest == "PLATFORM":
			p.Kind, p.Platform = KindAuditIndex, true
		case strings.HasPrefix(rest, portal.PrefixPartner) && !strings.Contains(rest, "#"):
			p.Kind, p.Partner = KindAuditIndex, rest
		}
	}
	return p
}

// partnerTenant splits "<partnerId>#<customerId>".
func partnerTenant(v string) (partner, tenant string, ok bool) {
	partner, tenant, ok = strings.Cut(v, "#")
	ok = ok && strings.HasPrefix(partner, portal.PrefixPartner) && strings.HasPrefix(tenant, portal.PrefixCustomer) && !strings.Contains(tenant, "#")
	return partner, tenant, ok
}

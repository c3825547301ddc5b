package ddbtest

import (
	"time"

	"github.com/partnerportal/portal/internal/tenancy"
)

// The cast shared by the domain and HTTP adapter tests: a fixed clock, a
// cursor secret, two partners and their people. IDs are well-formed
// (prefix + 26 characters) so that every validation accepts them.
var (
	Now    = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	Clock  = func() time.Time { return Now }
	Secret = []byte("0123456789abcdef0123456789abcdef")

	PartnerA = "prt_0000000000000000000000000A"
	PartnerB = "prt_0000000000000000000000000B"

	AdminA     = tenancy.Identity{UserID: "usr_00000000000000000000000AA1", Role: tenancy.RolePartnerAdmin, PartnerID: PartnerA, KeyID: "key_00000000000000000000000AA1"}
	MemberA    = tenancy.Identity{UserID: "usr_00000000000000000000000AM1", Role: tenancy.RolePartnerMember, PartnerID: PartnerA}
	AdminB     = tenancy.Identity{UserID: "usr_00000000000000000000000BA1", Role: tenancy.RolePartnerAdmin, PartnerID: PartnerB}
	SuperAdmin = tenancy.Identity{UserID: "usr_000000000000000000000SUPER", Role: tenancy.RoleSuperAdmin}
)

package isolation

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/tenancy"
)

const (
	prtA    = "prt_0000000000000000000000000A"
	prtB    = "prt_0000000000000000000000000B"
	cusA    = "cus_000000000000000000000000A1"
	cusA2   = "cus_000000000000000000000000A2"
	cusB    = "cus_000000000000000000000000B1"
	cusNew  = "cus_000000000000000000000000N1"
	member  = "usr_00000000000000000000000M01"
	adminA  = "usr_00000000000000000000000A01"
	custUsr = "usr_00000000000000000000000C01"
)

var oracle = Static{
	Grants: map[string]map[string]bool{member: {cusA: true}},
}

var (
	superID  = tenancy.Identity{UserID: "usr_00000000000000000000000S01", Role: tenancy.RoleSuperAdmin}
	adminID  = tenancy.Identity{UserID: adminA, Role: tenancy.RolePartnerAdmin, PartnerID: prtA}
	memberID = tenancy.Identity{UserID: member, Role: tenancy.RolePartnerMember, PartnerID: prtA}
)

func customer(role tenancy.Role, access string) tenancy.Identity {
	return tenancy.Identity{UserID: custUsr, Role: role, PartnerID: prtA, TenantID: cusA, TenantAccess: access, TenantStatus: "active"}
}

func av(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"PK": av(pk), "SK": av(sk)}
}

func get(pk, sk string) *dynamodb.GetItemInput { return &dynamodb.GetItemInput{Key: key(pk, sk)} }

func put(item map[string]string, cond string) *dynamodb.PutItemInput {
	m := map[string]types.AttributeValue{}
	for k, v := range item {
		m[k] = av(v)
	}
	in := &dynamodb.PutItemInput{Item: m}
	if cond != "" {
		in.ConditionExpression = aws.String(cond)
	}
	return in
}

func queryIn(index, cond string, values map[string]string) *dynamodb.QueryInput {
	in := &dynamodb.QueryInput{KeyConditionExpression: aws.String(cond), ExpressionAttributeValues: map[string]types.AttributeValue{}}
	if index != "" {
		in.IndexName = aws.String(index)
	}
	for k, v := range values {
		in.ExpressionAttributeValues[k] = av(v)
	}
	return in
}

func TestRules(t *testing.T) {
	cases := []struct {
		name   string
		caller tenancy.Identity
		op     string
		input  any
		allow  bool
	}{
		{"AdminReadsOwnCustomer", adminID, "GetItem", get("TENANT#"+prtA+"#"+cusA, "CUSTOMER"), true},
		{"AdminReadsOtherPartnersCustomer", adminID, "GetItem", get("TENANT#"+prtB+"#"+cusB, "CUSTOMER"), false},
		{"AdminReadsUnknownTenant", adminID, "GetItem", get("TENANT#cus_000000000000000000000000Z9", "CUSTOMER"), false},
		{"AdminListsOwnCustomers", adminID, "Query", queryIn("GSI2", "GSIPK = :pk AND begins_with(GSI2SK, :prefix)", map[string]string{":pk": "PARTNER#" + prtA + "#CUSTOMERS", ":prefix": "active"}), true},
		{"AdminListsOtherPartnersCustomers", adminID, "Query", queryIn("GSI1", "GSIPK = :pk", map[string]string{":pk": "PARTNER#" + prtB + "#CUSTOMERS"}), false},
		{"AdminQueriesLicensesWithNamedKey", adminID, "Query", &dynamodb.QueryInput{
			KeyConditionExpression:    aws.String("#k = :pk AND begins_with(SK, :sk)"),
			ExpressionAttributeNames:  map[string]string{"#k": "PK"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": av("TENANT#" + prtB + "#" + cusB), ":sk": av("LICENSE#")},
		}, false},
		{"AdminReportsMarginsFromOwnIndex", adminID, "Query", queryIn("GSI1", "GSIPK = :pk AND GSI1SK < :until", map[string]string{":pk": "PARTNER#" + prtA + "#LICENSES", ":until": "2027"}), true},
		{"AdminCreatesCustomerWithLicense", adminID, "TransactWriteItems", &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{Item: put(map[string]string{"PK": "TENANT#" + prtA + "#" + cusNew, "SK": "CUSTOMER", "partnerId": prtA, "GSIPK": "PARTNER#" + prtA + "#CUSTOMERS"}, "").Item, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
			{Put: &types.Put{Item: put(map[string]string{"PK": "TENANT#" + prtA + "#" + cusNew, "SK": "LICENSE#lic_1", "partnerId": prtA, "GSIPK": "PARTNER#" + prtA + "#LICENSES"}, "").Item, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		}}, true},
		{"AdminCannotCreateOverAnotherPartnersTenant", adminID, "PutItem", put(map[string]string{"PK": "TENANT#" + prtB + "#" + cusB, "SK": "CUSTOMER", "partnerId": prtA, "GSIPK": "PARTNER#" + prtA + "#CUSTOMERS"}, "attribute_not_exists(PK)"), false},
		{"AdminCannotListOwnCustomerUnderAnotherPartner", adminID, "PutItem", put(map[string]string{"PK": "TENANT#" + prtA + "#" + cusA, "SK": "CUSTOMER", "partnerId": prtA, "GSIPK": "PARTNER#" + prtB + "#CUSTOMERS"}, ""), false},
		{"AdminCannotBatchReadAnotherPartnersCustomer", adminID, "BatchGetItem", &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"t": {Keys: []map[string]types.AttributeValue{key("TENANT#"+prtA+"#"+cusA, "CUSTOMER"), key("TENANT#"+prtB+"#"+cusB, "CUSTOMER")}}}}, false},
		{"AdminUsesOwnIdempotencyKey", adminID, "PutItem", put(map[string]string{"PK": "IDEMPOTENCY#" + prtA + "#" + adminA + "#k1", "SK": "IDEMPOTENCY"}, ""), true},
		{"AdminCannotUseAnotherCallersIdempotencyKey", adminID, "UpdateItem", &dynamodb.UpdateItemInput{Key: key("IDEMPOTENCY#"+prtA+"#"+member+"#k1", "IDEMPOTENCY")}, false},
		{"AdminNeverScans", adminID, "Scan", &dynamodb.ScanInput{}, false},
		{"MemberReadsGrantedCustomer", memberID, "GetItem", get("TENANT#"+prtA+"#"+cusA, "CUSTOMER"), true},
		{"MemberCannotReadUngrantedCustomer", memberID, "GetItem", get("TENANT#"+prtA+"#"+cusA2, "CUSTOMER"), false},
		{"MemberReadsOwnGrants", memberID, "Query", queryIn("", "PK = :pk AND begins_with(SK, :sk)", map[string]string{":pk": "PARTNER#" + prtA, ":sk": "GRANT#" + member + "#"}), true},
		{"MemberReadsOwnUserItem", memberID, "GetItem", get("PARTNER#"+prtA, "USER#"+member), true},
		{"MemberCannotReadOtherUsers", memberID, "GetItem", get("PARTNER#"+prtA, "USER#"+adminA), false},
		{"MemberCannotReadPools", memberID, "Query", queryIn("", "PK = :pk AND begins_with(SK, :sk)", map[string]string{":pk": "PARTNER#" + prtA, ":sk": "PREPAID#"}), false},
		{"MemberCannotReadTheCustomerList", memberID, "Query", queryIn("GSI1", "GSIPK = :pk", map[string]string{":pk": "PARTNER#" + prtA + "#CUSTOMERS"}), false},
		{"MemberReadsPricing", memberID, "GetItem", get("PRICING", "CURRENT"), true},
		{"SuperCannotReadCustomers", superID, "GetItem", get("TENANT#"+prtA+"#"+cusA, "CUSTOMER"), false},
		{"SuperReadsCustomerUsersToIssueKeys", superID, "GetItem", get("TENANT#"+prtA+"#"+cusA, "USER#"+custUsr), true},
		{"SuperWritesPricing", superID, "TransactWriteItems", &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Put: &types.Put{Item: key("PRICING", "CURRENT")}}}}, true},
		{"PartnerAdminCannotWritePricing", adminID, "PutItem", put(map[string]string{"PK": "PRICING", "SK": "CURRENT"}, ""), false},
		{"ViewerReadsOwnTenant", customer(tenancy.RoleCustomerViewer, "read_only"), "GetItem", get("TENANT#"+prtA+"#"+cusA, "CUSTOMER"), true},
		{"ViewerCannotWriteOwnTenant", customer(tenancy.RoleCustomerViewer, "full"), "PutItem", put(map[string]string{"PK": "TENANT#" + prtA + "#" + cusA, "SK": "CUSTOMER", "GSIPK": "PARTNER#" + prtA + "#CUSTOMERS"}, ""), false},
		{"CustomerAdminWritesOwnTenantUnderFull", customer(tenancy.RoleCustomerAdmin, "full"), "PutItem", put(map[string]string{"PK": "TENANT#" + prtA + "#" + cusA, "SK": "CUSTOMER", "GSIPK": "PARTNER#" + prtA + "#CUSTOMERS"}, ""), true},
		{"CustomerAdminCannotWriteUnderReadOnly", customer(tenancy.RoleCustomerAdmin, "read_only"), "PutItem", put(map[string]string{"PK": "TENANT#" + prtA + "#" + cusA, "SK": "CUSTOMER"}, ""), false},
		{"DisabledCustomerReadsNothing", customer(tenancy.RoleCustomerAdmin, "disabled"), "GetItem", get("TENANT#"+prtA+"#"+cusA, "CUSTOMER"), false},
		{"DisabledCustomerIssuesNoKeys", customer(tenancy.RoleCustomerAdmin, "disabled"), "PutItem", put(map[string]string{"PK": "APIKEY#key_1", "SK": "APIKEY"}, "attribute_not_exists(PK)"), false},
		{"CustomerCannotReadSiblingTenant", customer(tenancy.RoleCustomerAdmin, "full"), "GetItem", get("TENANT#"+prtA+"#"+cusA2, "CUSTOMER"), false},
		{"CustomerCannotReadItsPartner", customer(tenancy.RoleCustomerAdmin, "full"), "GetItem", get("PARTNER#"+prtA, "PARTNER"), false},
		{"CustomerAdminListsOwnUsers", customer(tenancy.RoleCustomerAdmin, "full"), "Query", queryIn("GSI1", "GSIPK = :pk", map[string]string{":pk": "USERS#" + prtA + "#" + cusA}), true},
		{"CustomerAdminCannotListPartnerUsers", customer(tenancy.RoleCustomerAdmin, "full"), "Query", queryIn("GSI1", "GSIPK = :pk", map[string]string{":pk": "USERS#" + prtA}), false},
		{"MemberRecordsAuditOfOwnChanges", memberID, "TransactWriteItems", &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{Item: put(map[string]string{"PK": "APIKEY#key_1", "SK": "APIKEY"}, "").Item}},
			{Put: &types.Put{Item: put(map[string]string{"PK": "PARTNER#" + prtA, "SK": "AUDIT#2026", "GSIPK": "AUDIT#" + prtA}, "").Item}},
		}}, true},
		{"AuditEntryListedUnderAnotherPartner", adminID, "PutItem", put(map[string]string{"PK": "TENANT#" + prtA + "#" + cusA, "SK": "AUDIT#2026", "GSIPK": "AUDIT#" + prtB}, ""), false},
		{"AdminReadsOwnAuditLog", adminID, "Query", queryIn("GSI1", "GSIPK = :pk AND GSI1SK BETWEEN :low AND :high", map[string]string{":pk": "AUDIT#" + prtA, ":low": "0", ":high": "9"}), true},
		{"AdminCannotReadAnotherPartnersAuditLog", adminID, "Query", queryIn("GSI1", "GSIPK = :pk", map[string]string{":pk": "AUDIT#" + prtB}), false},
		{"SuperReadsPlatformAuditLog", superID, "Query", queryIn("GSI1", "GSIPK = :pk", map[string]string{":pk": "AUDIT#PLATFORM"}), true},
		{"CustomerAdminReadsOwnTenantsLog", customer(tenancy.RoleCustomerAdmin, "full"), "Query", queryIn("", "PK = :pk AND SK BETWEEN :low AND :high", map[string]string{":pk": "TENANT#" + prtA + "#" + cusA, ":low": "AUDIT#0", ":high": "AUDIT#9"}), true},
		{"CustomerAdminCannotReadThePartnersLog", customer(tenancy.RoleCustomerAdmin, "full"), "Query", queryIn("GSI1", "GSIPK = :pk", map[string]string{":pk": "AUDIT#" + prtA}), false},
		{"UnknownPartitionIsAViolation", adminID, "GetItem", get("AUDIT#"+cusA, "X"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := New(oracle)
			c.check(context.Background(), tc.caller, tc.op, tc.input)
			vs := c.Violations()
			if got := len(vs) == 0; got != tc.allow {
				var lines []string
				for _, v := range vs {
					lines = append(lines, v.String())
				}
				t.Fatalf("allowed = %v, want %v; violations:\n%s", got, tc.allow, strings.Join(lines, "\n"))
			}
		})
	}
}

func TestParsePartition(t *testing.T) {
	for v, want := range map[string]Kind{
		"PLATFORM": KindPlatform, "PRICING": KindPricing, "PARTNER#" + prtA: KindPartner,
		"PARTNER#" + prtA + "#CUSTOMERS": KindPartnerIndex, "PARTNER#" + prtA + "#ARCHIVED": KindPartnerIndex,
		"PARTNER#" + prtA + "#LICENSES": KindPartnerIndex, "PARTNER#" + prtA + "#OTHER": KindUnknown,
		"TENANT#" + prtA + "#" + cusA: KindTenant, "TENANT#" + prtA + "#" + cusA + "#X": KindUnknown, "TENANT#" + cusA: KindUnknown, "TENANT#" + prtA: KindUnknown,
		"USERS#PLATFORM": KindUserList, "USERS#" + prtA: KindUserList, "USERS#" + prtA + "#" + cusA: KindUserList, "USERS#" + cusA: KindUnknown,
		"USER#" + adminA: KindUserDir, "EMAIL#a@b.example": KindEmail, "APIKEY#key_1": KindAPIKey,
		"IDEMPOTENCY#" + prtA + "#" + adminA + "#k": KindIdempotency, "": KindUnknown, "PRICING#X": KindUnknown,
		"AUDIT#PLATFORM": KindAuditIndex, "AUDIT#" + prtA: KindAuditIndex, "AUDIT#" + cusA: KindUnknown,
	} {
		if got := ParsePartition(v).Kind; got != want {
			t.Errorf("ParsePartition(%q) = %s, want %s", v, got, want)
		}
	}
}

func TestRequestsWithoutIdentityAreNotChecked(t *testing.T) {
	c := New(oracle)
	var o dynamodb.Options
	c.Attach(&o)
	if len(o.APIOptions) != 1 {
		t.Fatalf("Attach added %d API options, want 1", len(o.APIOptions))
	}
	if c.Checked() != 0 || len(c.Violations()) != 0 {
		t.Fatal("a new checker has recorded something")
	}
}

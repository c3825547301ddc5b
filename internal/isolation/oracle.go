package isolation

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Oracle tells the checker what the keys cannot: a partner member's grants.
// It is the test's knowledge, never the caller's request. (Who owns a
// tenant the keys say: TENANT#<partnerId>#<customerId>.)
type Oracle interface {
	// Granted reports whether the partner member memberID of partnerID was
	// granted the customer tenant.
	Granted(partnerID, memberID, tenant string) bool
}

// Static is an Oracle from fixed data, for fixtures that do not change.
type Static struct {
	Grants map[string]map[string]bool // member → tenant → granted
}

// Granted implements Oracle.
func (o Static) Granted(_, memberID, tenant string) bool { return o.Grants[memberID][tenant] }

// TableOracle is an Oracle that reads the truth from the table with client,
// which should not carry the checker (its reads carry no identity anyway):
// the member's grant item, read each time.
func TableOracle(client *dynamodb.Client, table string) Oracle {
	return &tableOracle{client: client, table: table}
}

type tableOracle struct {
	client *dynamodb.Client
	table  string
}

// Granted implements Oracle.

func (o *tableOracle) Granted(partnerID, memberID, tenant string) bool {
	// internal/dynamo/grant_keys.go: PK PARTNER#<partnerId>, SK GRANT#<memberId>#<customerId>.
	return o.get("PARTNER#"+partnerID, "GRANT#"+memberID+"#"+tenant) != nil
}

// get reads one item; nil when it does not exist or cannot be read (the
// checker then finds no grant, and reports the access).
func (o *tableOracle) get(pk, sk string) map[string]types.AttributeValue {
	res, err := o.client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName:      &o.table,
		Key:            map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: sk}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil
	}
	return res.Item
}

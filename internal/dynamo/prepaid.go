package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/portal"
)

type prepaidItem struct {
	PK             string `dynamodbav:"PK"`
	SK             string `dynamodbav:"SK"`
	Entity         string `dynamodbav:"entity"`
	PoolID         string `dynamodbav:"poolId"`
	PartnerID      string `dynamodbav:"partnerId"`
	Model          string `dynamodbav:"model"`
	BillingPeriod  string `dynamodbav:"billingPeriod"`
	Units          int64  `dynamodbav:"units"`
	Balance        int64  `dynamodbav:"balance"`
	Currency       string `dynamodbav:"currency"`
	ListUnitCost   int64  `dynamodbav:"listUnitCost"`
	DiscountBps    int64  `dynamodbav:"discountBps"`
	UnitCost       int64  `dynamodbav:"unitCost"`
	PricingVersion int64  `dynamodbav:"pricingVersion"`
	PurchasedAt    string `dynamodbav:"purchasedAt"`
	PurchasedBy    string `dynamodbav:"purchasedBy"`
}

func (it prepaidItem) pool() portal.PrepaidPool {
	return portal.PrepaidPool{
		ID: it.PoolID, PartnerID: it.PartnerID, Model: portal.LicenseModel(it.Model),
		BillingPeriod: portal.BillingPeriod(it.BillingPeriod), Units: it.Units, Balance: it.Balance,
		ListUnitCost: portal.Money{Amount: it.ListUnitCost, Currency: it.Currency}, DiscountBps: it.DiscountBps,
		UnitCost: portal.Money{Amount: it.UnitCost, Currency: it.Currency}, PricingVersion: it.PricingVersion,
		PurchasedAt: parseTime(it.PurchasedAt), PurchasedBy: it.PurchasedBy,
	}
}

// CreatePool implements portal.PrepaidStore.
func (s *Store) CreatePool(ctx context.Context, p portal.PrepaidPool) error {
	return s.putNew(ctx, prepaidItem{
		PK: partnerPK(p.PartnerID), SK: prepaidSK(p.ID), Entity: "prepaid_pool", PoolID: p.ID, PartnerID: p.PartnerID,
		Model: string(p.Model), BillingPeriod: string(p.BillingPeriod), Units: p.Units, Balance: p.Balance,
		Currency: p.UnitCost.Currency, ListUnitCost: p.ListUnitCost.Amount, DiscountBps: p.DiscountBps,
		UnitCost: p.UnitCost.Amount, PricingVersion: p.PricingVersion, PurchasedAt: formatTime(p.PurchasedAt),
		PurchasedBy: p.PurchasedBy,
	}, "prepaid pool "+p.ID+" already exists")
}

// ListPools implements portal.PrepaidStore with one Query per 1 MB page.
func (s *Store) ListPools(ctx context.Context, partnerID string) ([]portal.PrepaidPool, error) {
	var pools []portal.PrepaidPool
	p := dynamodb.NewQueryPaginator(s.Client, &dynamodb.QueryInput{
		TableName:              &s.Table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(partnerPK(partnerID)), ":sk": str(prepaidPrefix),
		},
		ConsistentRead:         aws.Bool(true),
		ReturnConsumedCapacity: total,
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query prepaid pools: %w", err)
		}
		var items []prepaidItem
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &items); err != nil {
			return nil, fmt.Errorf("decode prepaid pools: %w", err)
		}
		for _, it := range items {
			pools = append(pools, it.pool())
		}
	}
	return pools, nil
}

package dynamo

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/portal"
)

type pricingItem struct {
	PK           string                      `dynamodbav:"PK"`
	SK           string                      `dynamodbav:"SK"`
	Entity       string                      `dynamodbav:"entity"`
	Version      int64                       `dynamodbav:"version"`
	Currency     string                      `dynamodbav:"currency"`
	UnitCosts    map[string]map[string]int64 `dynamodbav:"unitCosts"`
	PrepaidTiers []tierItem                  `dynamodbav:"prepaidTiers"`
	UpdatedAt    string                      `dynamodbav:"updatedAt"`
	UpdatedBy    string                      `dynamodbav:"updatedBy"`
}

type tierItem struct {
	MinUnits    int64 `dynamodbav:"minUnits"`
	DiscountBps int64 `dynamodbav:"discountBps"`
}

// GetPricing implements portal.PricingStore with one GetItem.
func (s *Store) GetPricing(ctx context.Context) (portal.Pricing, error) {
	var it pricingItem
	found, err := s.get(ctx, pricingPK, pricingCurrentSK, &it)
	if err != nil {
		return portal.Pricing{}, err
	}
	if !found {
		return portal.Pricing{}, portal.Errorf(portal.ENOTFOUND, "pricing is not set")
	}
	p := portal.Pricing{
		Version: it.Version, Currency: it.Currency, UnitCosts: map[portal.LicenseModel]map[portal.BillingPeriod]int64{},
		PrepaidTiers: []portal.PrepaidTier{}, UpdatedAt: parseTime(it.UpdatedAt), UpdatedBy: it.UpdatedBy,
	}
	for model, periods := range it.UnitCosts {
		p.UnitCosts[portal.LicenseModel(model)] = map[portal.BillingPeriod]int64{}
		for period, cost := range periods {
			p.UnitCosts[portal.LicenseModel(model)][portal.BillingPeriod(period)] = cost
		}
	}
	for _, t := range it.PrepaidTiers {
		p.PrepaidTiers = append(p.PrepaidTiers, portal.PrepaidTier{MinUnits: t.MinUnits, DiscountBps: t.DiscountBps})
	}
	return p, nil
}

// PutPricing implements portal.PricingStore: the new version and the
// current pointer in one transaction, conditional on the previous version.
func (s *Store) PutPricing(ctx context.Context, p portal.Pricing) error {
	it := pricingItem{
		PK: pricingPK, Entity: "pricing", Version: p.Version, Currency: p.Currency,
		UnitCosts: map[string]map[string]int64{}, PrepaidTiers: []tierItem{},
		UpdatedAt: formatTime(p.UpdatedAt), UpdatedBy: p.UpdatedBy,
	}
	for model, periods := range p.UnitCosts {
		it.UnitCosts[string(model)] = map[string]int64{}
		for period, cost := range periods {
			it.UnitCosts[string(model)][string(period)] = cost
		}
	}
	for _, t := range p.PrepaidTiers {
		it.PrepaidTiers = append(it.PrepaidTiers, tierItem{MinUnits: t.MinUnits, DiscountBps: t.DiscountBps})
	}
	it.SK = pricingVersionSK(p.Version)
	history, err := attributevalue.MarshalMap(it)
	if err != nil {
		return fmt.Errorf("encode pricing: %w", err)
	}
	it.SK = pricingCurrentSK
	current, err := attributevalue.MarshalMap(it)
	if err != nil {
		return fmt.Errorf("encode pricing: %w", err)
	}
	cur := &types.Put{TableName: &s.Table, Item: current, ConditionExpression: aws.String("attribute_not_exists(PK)")}
	if p.Version > 1 {
		cur.ConditionExpression = aws.String("version = :prev")
		cur.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": &types.AttributeValueMemberN{Value: strconv.FormatInt(p.Version-1, 10)}}
	}
	err = s.transact(ctx, nil,
		types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: history, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		types.TransactWriteItem{Put: cur},
	)
	if canceledFor(err, 0) || canceledFor(err, 1) {
		return portal.Errorf(portal.EPRECONDITION, "pricing changed meanwhile: read it again and reapply your change")
	}
	if err != nil {
		return fmt.Errorf("put pricing version %d: %w", p.Version, err)
	}
	return nil
}

package dynamo

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/portal"
)

// Entities the usage stream tells apart by an item's "entity" attribute.
const (
	StreamCounter  = entityCounter
	StreamAlert    = entityAlert
	StreamAsset    = entityAsset
	StreamCustomer = entityCustomer
)

// EntityOf returns the entity an item image is of ("" when it has none).
func EntityOf(image map[string]types.AttributeValue) string {
	if v, ok := image["entity"].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// CounterOf decodes a counter item image; nil for a nil image.
func CounterOf(image map[string]types.AttributeValue) (*portal.Counter, error) {
	if image == nil {
		return nil, nil
	}
	var it counterItem
	if err := attributevalue.UnmarshalMap(image, &it); err != nil {
		return nil, fmt.Errorf("decode counter image: %w", err)
	}
	c := it.counter()
	return &c, nil
}

// AlertOf decodes an alert item image.
func AlertOf(image map[string]types.AttributeValue) (portal.Alert, error) {
	var it alertItem
	if err := attributevalue.UnmarshalMap(image, &it); err != nil {
		return portal.Alert{}, fmt.Errorf("decode alert image: %w", err)
	}
	return it.alert(), nil
}

// AssetOf decodes an asset item image.
func AssetOf(image map[string]types.AttributeValue) (portal.Asset, error) {
	var it assetItem
	if err := attributevalue.UnmarshalMap(image, &it); err != nil {
		return portal.Asset{}, fmt.Errorf("decode asset image: %w", err)
	}
	return it.asset(), nil
}

// CustomerOf decodes a customer item image.
func CustomerOf(image map[string]types.AttributeValue) (portal.Customer, error) {
	var it customerItem
	if err := attributevalue.UnmarshalMap(image, &it); err != nil {
		return portal.Customer{}, fmt.Errorf("decode customer image: %w", err)
	}
	return it.customer(), nil
}

package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/portal"
)

// grantSetItem versions a member's grants as a whole.
type grantSetItem struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	Entity    string `dynamodbav:"entity"`
	PartnerID string `dynamodbav:"partnerId"`
	MemberID  string `dynamodbav:"memberId"`
	Version   int64  `dynamodbav:"version"`
}

type grantItem struct {
	PK         string `dynamodbav:"PK"`
	SK         string `dynamodbav:"SK"`
	Entity     string `dynamodbav:"entity"`
	PartnerID  string `dynamodbav:"partnerId"`
	MemberID   string `dynamodbav:"memberId"`
	CustomerID string `dynamodbav:"tenantId"`
}

// Grants implements portal.GrantStore with one Query.
func (s *Store) Grants(ctx context.Context, partnerID, memberID string) ([]string, error) {
	var ids []string
	p := dynamodb.NewQueryPaginator(s.Client, &dynamodb.QueryInput{
		TableName:              &s.Table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(partnerPK(partnerID)), ":sk": str(grantPrefix(memberID)),
		},
		ConsistentRead:         aws.Bool(true),
		ReturnConsumedCapacity: total,
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query grants: %w", err)
		}
		var items []grantItem
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &items); err != nil {
			return nil, fmt.Errorf("decode grants: %w", err)
		}
		for _, it := range items {
			ids = append(ids, it.CustomerID)
		}
	}
	return ids, nil
}

// HasGrant implements portal.GrantStore with one GetItem.
func (s *Store) HasGrant(ctx context.Context, partnerID, memberID, customerID string) (bool, error) {
	var it grantItem
	return s.get(ctx, partnerPK(partnerID), grantSK(memberID, customerID), &it)
}

// SetGrants implements portal.GrantStore: the grants and the member's
// grant-set version item change in one transaction, conditional on the
// version read with the current grants, so concurrent changes cannot mix.
// ECONFLICT when another change got in between.
func (s *Store) SetGrants(ctx context.Context, partnerID, memberID string, customerIDs []string) error {
	var head grantSetItem
	if _, err := s.get(ctx, partnerPK(partnerID), grantSetSK(memberID), &head); err != nil {
		return err
	}
	current, err := s.Grants(ctx, partnerID, memberID)
	if err != nil {
		return err
	}
	headItem, err := attributevalue.MarshalMap(grantSetItem{
		PK: partnerPK(partnerID), SK: grantSetSK(memberID), Entity: "grant_set", PartnerID: partnerID, MemberID: memberID, Version: head.Version + 1,
	})
	if err != nil {
		return fmt.Errorf("encode grant set: %w", err)
	}
	tx := []types.TransactWriteItem{{Put: &types.Put{
		TableName: &s.Table, Item: headItem,
		ConditionExpression:       aws.String("attribute_not_exists(PK) OR version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(head.Version)},
	}}}
	for _, cid := range current {
		if !slices.Contains(customerIDs, cid) {
			tx = append(tx, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.Table, Key: key(partnerPK(partnerID), grantSK(memberID, cid))}})
		}
	}
	for _, cid := range customerIDs {
		if slices.Contains(current, cid) {
			continue
		}
		av, err := attributevalue.MarshalMap(grantItem{
			PK: partnerPK(partnerID), SK: grantSK(memberID, cid), Entity: "grant",
			PartnerID: partnerID, MemberID: memberID, CustomerID: cid,
		})
		if err != nil {
			return fmt.Errorf("encode grant: %w", err)
		}
		tx = append(tx, types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: av}})
	}
	// At most portal.MaxGrants removals and additions each, the version item
	// and the audit entry: within a transaction's 100 items.
	err = s.transact(ctx, nil, tx...)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		return portal.Errorf(portal.ECONFLICT, "the member's grants were changed at the same time: read them again and retry")
	}
	if err != nil {
		return fmt.Errorf("write grants: %w", err)
	}
	return nil
}

package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"time"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

type apiKeyItem struct {
	PK         string `dynamodbav:"PK"`
	SK         string `dynamodbav:"SK"`
	Entity     string `dynamodbav:"entity"`
	KeyID      string `dynamodbav:"keyId"`
	Name       string `dynamodbav:"name,omitempty"`
	Hash       string `dynamodbav:"hash"`
	Hint       string `dynamodbav:"hint"`
	UserID     string `dynamodbav:"userId"`
	Role       string `dynamodbav:"role"`
	PartnerID  string `dynamodbav:"partnerId,omitempty"`
	TenantID   string `dynamodbav:"tenantId,omitempty"`
	CreatedAt  string `dynamodbav:"createdAt"`
	ExpiresAt  string `dynamodbav:"keyExpiresAt,omitempty"`
	LastUsedAt string `dynamodbav:"lastUsedAt,omitempty"`
	RevokedAt  string `dynamodbav:"revokedAt,omitempty"`
}

// CreateAPIKey implements portal.APIKeyStore.
func (s *Store) CreateAPIKey(ctx context.Context, k portal.APIKey) error {
	return s.putNew(ctx, apiKeyItem{
		PK: apiKeyPK(k.ID), SK: apiKeySK, Entity: "api_key", KeyID: k.ID, Name: k.Name, Hash: k.Hash,
		Hint: k.Hint, UserID: k.UserID, Role: string(k.Role), PartnerID: k.PartnerID, TenantID: k.TenantID,
		CreatedAt: formatTime(k.CreatedAt), ExpiresAt: formatTimePtr(k.ExpiresAt),
	}, "API key "+k.ID+" already exists")
}

// GetAPIKey implements portal.APIKeyStore with one consistent GetItem.
func (s *Store) GetAPIKey(ctx context.Context, id string) (portal.APIKey, error) {
	var it apiKeyItem
	found, err := s.get(ctx, apiKeyPK(id), apiKeySK, &it)
	if err != nil {
		return portal.APIKey{}, err
	}
	if !found {
		return portal.APIKey{}, portal.Errorf(portal.ENOTFOUND, "API key %s not found", id)
	}
	return portal.APIKey{
		ID: it.KeyID, Name: it.Name, Hash: it.Hash, Hint: it.Hint, UserID: it.UserID,
		Role: tenancy.Role(it.Role), PartnerID: it.PartnerID, TenantID: it.TenantID,
		CreatedAt: parseTime(it.CreatedAt), ExpiresAt: parseTimePtr(it.ExpiresAt),
		LastUsedAt: parseTimePtr(it.LastUsedAt), RevokedAt: parseTimePtr(it.RevokedAt),
	}, nil
}

// RevokeAPIKey implements portal.APIKeyStore; ENOTFOUND if there is no such key.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, t time.Time) error {
	err := s.transact(ctx, nil, types.TransactWriteItem{Update: &types.Update{
		TableName:                 &s.Table,
		Key:                       key(apiKeyPK(id), apiKeySK),
		UpdateExpression:          aws.String("SET revokedAt = if_not_exists(revokedAt, :t)"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": str(formatTime(t))},
	}})
	if canceledFor(err, 0) {
		return portal.Errorf(portal.ENOTFOUND, "API key %s not found", id)
	}
	if err != nil {
		return fmt.Errorf("revoke api key %s: %w", id, err)
	}
	return nil
}

// TouchAPIKey implements portal.APIKeyStore: it writes only when the
// recorded last use is older than granularity, and ignores losing that race.
func (s *Store) TouchAPIKey(ctx context.Context, id string, t time.Time, granularity time.Duration) error {
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &s.Table,
		Key:                 key(apiKeyPK(id), apiKeySK),
		UpdateExpression:    aws.String("SET lastUsedAt = :t"),
		ConditionExpression: aws.String("attribute_exists(PK) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :cutoff)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":t": str(formatTime(t)), ":cutoff": str(formatTime(t.Add(-granularity))),
		},
		ReturnConsumedCapacity: total,
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("touch api key %s: %w", id, err)
	}
	return nil
}

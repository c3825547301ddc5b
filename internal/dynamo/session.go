package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

type sessionItem struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	GSIPK     string `dynamodbav:"GSIPK"`
	GSI1SK    string `dynamodbav:"GSI1SK"`
	Entity    string `dynamodbav:"entity"`
	SessionID string `dynamodbav:"sessionId"`
	UserID    string `dynamodbav:"userId"`
	Role      string `dynamodbav:"role"`
	PartnerID string `dynamodbav:"partnerId,omitempty"`
	TenantID  string `dynamodbav:"tenantId,omitempty"`
	TokenHash string `dynamodbav:"tokenHash"`
	CSRFToken string `dynamodbav:"csrfToken"`
	CreatedAt string `dynamodbav:"createdAt"`
	// EndsAt is when the session ends, to the millisecond; ExpiresAt is
	// the same time as the table's TTL (epoch seconds, rounded up), after
	// which DynamoDB deletes the item, eventually: reads check EndsAt.
	EndsAt    string `dynamodbav:"endsAt"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
}

// ttlSeconds is t as the table's TTL attribute: epoch seconds, rounded up
// so that an item is never deleted before t.
func ttlSeconds(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// CreateSession implements portal.SessionStore with one conditional put.
func (s *Store) CreateSession(ctx context.Context, sess portal.Session) error {
	return s.putNew(ctx, sessionItem{
		PK: sessionPK(sess.ID), SK: sessionSK, GSIPK: userSessionsPK(sess.UserID), GSI1SK: sess.ID,
		Entity: "session", SessionID: sess.ID, UserID: sess.UserID,
		Role: string(sess.Role), PartnerID: sess.PartnerID, TenantID: sess.TenantID, TokenHash: sess.TokenHash,
		CSRFToken: sess.CSRFToken, CreatedAt: formatTime(sess.CreatedAt), EndsAt: formatTime(sess.ExpiresAt),
		ExpiresAt: ttlSeconds(sess.ExpiresAt),
	}, "session "+sess.ID+" already exists")
}

// GetSession implements portal.SessionStore with one consistent GetItem
// (all the authorizer may do, besides UpdateItem).
func (s *Store) GetSession(ctx context.Context, id string) (portal.Session, error) {
	var it sessionItem
	found, err := s.get(ctx, sessionPK(id), sessionSK, &it)
	if err != nil {
		return portal.Session{}, err
	}
	if !found {
		return portal.Session{}, portal.Errorf(portal.ENOTFOUND, "session %s not found", id)
	}
	return portal.Session{
		ID: it.SessionID, UserID: it.UserID, Role: tenancy.Role(it.Role), PartnerID: it.PartnerID, TenantID: it.TenantID,
		TokenHash: it.TokenHash, CSRFToken: it.CSRFToken, CreatedAt: parseTime(it.CreatedAt), ExpiresAt: parseTime(it.EndsAt),
	}, nil
}

// DeleteSession implements portal.SessionStore with one DeleteItem.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	_, err := s.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:              &s.Table,
		Key:                    key(sessionPK(id), sessionSK),
		ReturnConsumedCapacity: total,
	})
	if err != nil {
		return fmt.Errorf("delete session %s: %w", id, err)
	}
	return nil
}

// DeleteUserSessions implements portal.SessionStore: the user's sessions
// from the user-sessions index, page by page, each deleted.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) error {
	var start map[string]types.AttributeValue
	for {
		res, err := s.Client.Query(ctx, &dynamodb.QueryInput{
			TableName:                 &s.Table,
			IndexName:                 aws.String(userSessionsIndex),
			KeyConditionExpression:    aws.String("GSIPK = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(userSessionsPK(userID))},
			ProjectionExpression:      aws.String("sessionId"),
			ExclusiveStartKey:         start,
			ReturnConsumedCapacity:    total,
		})
		if err != nil {
			return fmt.Errorf("query sessions of user %s: %w", userID, err)
		}
		var items []struct {
			SessionID string `dynamodbav:"sessionId"`
		}
		if err := attributevalue.UnmarshalListOfMaps(res.Items, &items); err != nil {
			return fmt.Errorf("decode sessions of user %s: %w", userID, err)
		}
		for _, it := range items {
			if err := s.DeleteSession(ctx, it.SessionID); err != nil {
				return err
			}
		}
		if start = res.LastEvaluatedKey; len(start) == 0 {
			return nil
		}
	}
}

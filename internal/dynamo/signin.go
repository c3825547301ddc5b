package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/portal"
)

// signInItem counts an e-mail address's sign-in attempts in a window.
// Times are epoch milliseconds, so that conditions compare numbers.
type signInItem struct {
	Email       string `dynamodbav:"email"`
	WindowStart int64  `dynamodbav:"windowStart"`
	Failures    int    `dynamodbav:"failures"`
	LockedUntil int64  `dynamodbav:"lockedUntil"`
	ExpiresAt   int64  `dynamodbav:"expiresAt"` // TTL, epoch seconds
}

// maxReserveRounds bounds the rounds of ReserveSignIn: a round is lost
// only to a concurrent attempt that opened a new window, which the next
// round counts in.
const maxReserveRounds = 4

// ReserveSignIn implements portal.SignInStore with conditional updates
// and no read. In the common case it is one UpdateItem that adds 1 to the
// count of the open window if it is below limit (DynamoDB applies ADD
// atomically, so concurrent attempts each get their own number). When
// that condition fails, the item as it was says why: a lock, or a full
// window, answer false; a closed window (or none) is replaced by a new one
// counting this attempt, on condition that it is still closed and
// unlocked, else the next round counts in the window someone else opened.
func (s *Store) ReserveSignIn(ctx context.Context, email string, now time.Time, window time.Duration, limit int) (portal.SignInAttempt, bool, error) {
	nowMs, cutoff := now.UnixMilli(), now.Add(-window).UnixMilli()
	vals := map[string]types.AttributeValue{
		":one": num(1), ":limit": num(int64(limit)), ":cutoff": num(cutoff), ":ttl": num(ttlSeconds(now.Add(window))),
	}
	for round := 0; round < maxReserveRounds; round++ {
		res, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                           &s.Table,
			Key:                                 key(signInPK(email), signInSK),
			UpdateExpression:                    aws.String("SET expiresAt = :ttl ADD failures :one"),
			ConditionExpression:                 aws.String("windowStart > :cutoff AND failures < :limit"),
			ExpressionAttributeValues:           vals,
			ReturnValues:                        types.ReturnValueAllNew,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
			ReturnConsumedCapacity:              total,
		})
		var ccf *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			var it signInItem
			if err := attributevalue.UnmarshalMap(res.Attributes, &it); err != nil {
				return portal.SignInAttempt{}, false, fmt.Errorf("decode sign-in count: %w", err)
			}
			return portal.SignInAttempt{Email: email, WindowStart: time.UnixMilli(it.WindowStart).UTC(), N: it.Failures}, true, nil
		case !errors.As(err, &ccf):
			return portal.SignInAttempt{}, false, fmt.Errorf("count sign-in: %w", err)
		}
		if ccf.Item != nil {
			var old signInItem
			if err := attributevalue.UnmarshalMap(ccf.Item, &old); err != nil {
				return portal.SignInAttempt{}, false, fmt.Errorf("decode sign-in count: %w", err)
			}
			if old.LockedUntil > nowMs || old.WindowStart > cutoff {
				return portal.SignInAttempt{}, false, nil // locked, or limit attempts in the open window
			}
		}
		_, err = s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:        &s.Table,
			Key:              key(signInPK(email), signInSK),
			UpdateExpression: aws.String("SET entity = :entity, email = :email, windowStart = :now, failures = :one, expiresAt = :ttl REMOVE lockedUntil"),
			ConditionExpression: aws.String("attribute_not_exists(windowStart) OR " +
				"(windowStart <= :cutoff AND (attribute_not_exists(lockedUntil) OR lockedUntil <= :now))"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":entity": str("signin"), ":email": str(email), ":now": num(nowMs), ":one": num(1),
				":cutoff": num(cutoff), ":ttl": num(ttlSeconds(now.Add(window))),
			},
			ReturnConsumedCapacity: total,
		})
		if err == nil {
			return portal.SignInAttempt{Email: email, WindowStart: time.UnixMilli(nowMs).UTC(), N: 1}, true, nil
		}
		if !errors.As(err, &ccf) {
			return portal.SignInAttempt{}, false, fmt.Errorf("count sign-in: %w", err)
		}
	}
	return portal.SignInAttempt{}, false, fmt.Errorf("count sign-in of %s: %d rounds lost to concurrent attempts", email, maxReserveRounds)
}

// LockSignIns implements portal.SignInStore: one UpdateItem, which does
// nothing when the count was cleared (the item deleted) meanwhile.
func (s *Store) LockSignIns(ctx context.Context, a portal.SignInAttempt, until time.Time) error {
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.Table,
		Key:                       key(signInPK(a.Email), signInSK),
		UpdateExpression:          aws.String("SET lockedUntil = :until, expiresAt = :ttl"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":until": num(until.UnixMilli()), ":ttl": num(ttlSeconds(until))},
		ReturnConsumedCapacity:    total,
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("lock sign-ins of %s: %w", a.Email, err)
	}
	return nil
}

// ClearSignIns implements portal.SignInStore with one DeleteItem.
func (s *Store) ClearSignIns(ctx context.Context, email string) error {
	_, err := s.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:              &s.Table,
		Key:                    key(signInPK(email), signInSK),
		ReturnConsumedCapacity: total,
	})
	if err != nil {
		return fmt.Errorf("clear sign-ins of %s: %w", email, err)
	}
	return nil
}

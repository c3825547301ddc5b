package dynamo

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/portal"
)

type idempotencyItem struct {
	PK          string            `dynamodbav:"PK"`
	SK          string            `dynamodbav:"SK"`
	Entity      string            `dynamodbav:"entity"`
	Fingerprint string            `dynamodbav:"fingerprint"`
	Done        bool              `dynamodbav:"done"`
	Status      int               `dynamodbav:"status,omitempty"`
	Headers     map[string]string `dynamodbav:"headers,omitempty"`
	Body        string            `dynamodbav:"body,omitempty"`
	// BodyGzip holds a body larger than compressAbove, gzip-compressed:
	// a bulk answer (1,000 assets) would not fit DynamoDB's 400 KB items.
	BodyGzip  []byte `dynamodbav:"bodyGzip,omitempty"`
	ExpiresAt int64  `dynamodbav:"expiresAt"` // TTL, epoch seconds
	// LockedUntil ends a claim whose request never finished (a crash or a
	// timeout): after it the key may be claimed again. Epoch seconds.
	LockedUntil int64 `dynamodbav:"lockedUntil"`
}

// claimLock outlasts any function's timeout (internal/app: at most 20 s).
const claimLock = 2 * time.Minute

// ReserveIdempotencyKey implements portal.IdempotencyStore with a conditional
// put: the key is free when no record exists, the record has expired
// (DynamoDB deletes expired items lazily), or a claim was never completed
// within claimLock (its request crashed or timed out).
func (s *Store) ReserveIdempotencyKey(ctx context.Context, scope, key, fingerprint string, now time.Time) (*portal.IdempotencyRecord, error) {
	av, err := attributevalue.MarshalMap(idempotencyItem{
		PK: idempotencyPK(scope, key), SK: idempotencySK, Entity: "idempotency",
		Fingerprint: fingerprint, ExpiresAt: now.Add(portal.IdempotencyTTL).Unix(), LockedUntil: now.Add(claimLock).Unix(),
	})
	if err != nil {
		return nil, fmt.Errorf("encode idempotency record: %w", err)
	}
	_, err = s.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           &s.Table,
		Item:                av,
		ConditionExpression: aws.String("attribute_not_exists(PK) OR expiresAt < :now OR (done = :false AND lockedUntil < :now)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)}, ":false": &types.AttributeValueMemberBOOL{Value: false},
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		ReturnConsumedCapacity:              total,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		var it idempotencyItem
		if err := attributevalue.UnmarshalMap(ccf.Item, &it); err != nil {
			return nil, fmt.Errorf("decode idempotency record: %w", err)
		}
		body, err := it.body()
		if err != nil {
			return nil, err
		}
		return &portal.IdempotencyRecord{
			Fingerprint: it.Fingerprint, Done: it.Done,
			Response: portal.StoredResponse{Status: it.Status, Headers: it.Headers, Body: body},
		}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reserve idempotency key: %w", err)
	}
	return nil, nil
}

// compressAbove is the body size above which a stored response is compressed.
const compressAbove = 64 << 10

// body returns the stored response body.
func (it idempotencyItem) body() (string, error) {
	if it.BodyGzip == nil {
		return it.Body, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(it.BodyGzip))
	if err != nil {
		return "", fmt.Errorf("decompress stored response: %w", err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		return "", fmt.Errorf("decompress stored response: %w", err)
	}
	return string(b), nil
}

// CompleteIdempotencyKey implements portal.IdempotencyStore.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, scope, idemKey string, r portal.StoredResponse) error {
	headers, err := attributevalue.Marshal(r.Headers)
	if err != nil {
		return fmt.Errorf("encode headers: %w", err)
	}
	bodyAttr, body := "body", str(r.Body)
	if len(r.Body) > compressAbove {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(r.Body))
		if err := zw.Close(); err != nil {
			return fmt.Errorf("compress response: %w", err)
		}
		bodyAttr, body = "bodyGzip", &types.AttributeValueMemberB{Value: buf.Bytes()}
	}
	_, err = s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.Table,
		Key:                      key(idempotencyPK(scope, idemKey), idempotencySK),
		UpdateExpression:         aws.String("SET done = :true, #status = :status, headers = :headers, " + bodyAttr + " = :body"),
		ConditionExpression:      aws.String("attribute_exists(PK) AND done = :false"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":true":    &types.AttributeValueMemberBOOL{Value: true},
			":false":   &types.AttributeValueMemberBOOL{Value: false},
			":status":  &types.AttributeValueMemberN{Value: strconv.Itoa(r.Status)},
			":headers": headers,
			":body":    body,
		},
		ReturnConsumedCapacity: total,
	})
	if err != nil {
		return fmt.Errorf("complete idempotency key: %w", err)
	}
	return nil
}

// ReleaseIdempotencyKey implements portal.IdempotencyStore.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, scope, idemKey string) error {
	_, err := s.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.Table, Key: key(idempotencyPK(scope, idemKey), idempotencySK), ReturnConsumedCapacity: total,
	})
	if err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}

package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/app"
)

// tableActiveWait bounds how long CreateTable waits for a new table to become ACTIVE.
const tableActiveWait = 5 * time.Minute

// CreateTable creates the table called name as declared by t: on-demand
// billing, string keys, every index projecting all attributes, a stream of
// t.StreamView images and TTL on t.TTLAttribute. It returns once the table is
// ACTIVE with TTL enabled.
//
// It is idempotent: if the table already exists it waits until it is ACTIVE
// and returns nil, without checking or changing its schema or TTL. Any other
// failure of CreateTable, the wait (bounded by ctx and five minutes) or
// UpdateTimeToLive is returned wrapped.
func CreateTable(ctx context.Context, c *dynamodb.Client, name string, t app.Table) error {
	attrs := map[string]bool{}
	var defs []types.AttributeDefinition
	addDef := func(a string) {
		if !attrs[a] {
			attrs[a] = true
			defs = append(defs, types.AttributeDefinition{AttributeName: aws.String(a), AttributeType: types.ScalarAttributeTypeS})
		}
	}
	addDef(t.PartitionKey)
	addDef(t.SortKey)
	var gsis []types.GlobalSecondaryIndex
	for _, ix := range t.Indexes {
		addDef(ix.PartitionKey)
		addDef(ix.SortKey)
		gsis = append(gsis, types.GlobalSecondaryIndex{
			IndexName:  aws.String(ix.Name),
			KeySchema:  keySchema(ix.PartitionKey, ix.SortKey),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		})
	}
	in := &dynamodb.CreateTableInput{
		TableName:              aws.String(name),
		BillingMode:            types.BillingModePayPerRequest,
		AttributeDefinitions:   defs,
		KeySchema:              keySchema(t.PartitionKey, t.SortKey),
		GlobalSecondaryIndexes: gsis,
	}
	if t.StreamView != "" {
		in.StreamSpecification = &types.StreamSpecification{
			StreamEnabled:  aws.Bool(true),
			StreamViewType: types.StreamViewType(t.StreamView),
		}
	}
	_, err := c.CreateTable(ctx, in)
	var exists *types.ResourceInUseException
	created := err == nil
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("dynamo: create table %s: %w", name, err)
	}
	waiter := dynamodb.NewTableExistsWaiter(c, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = 2 * time.Second
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, tableActiveWait); err != nil {
		return fmt.Errorf("dynamo: wait for table %s: %w", name, err)
	}
	if created && t.TTLAttribute != "" {
		_, err := c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName: aws.String(name),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{
				AttributeName: aws.String(t.TTLAttribute),
				Enabled:       aws.Bool(true),
			},
		})
		if err != nil {
			return fmt.Errorf("dynamo: enable TTL on %s: %w", name, err)
		}
	}
	return nil
}

func keySchema(pk, sk string) []types.KeySchemaElement {
	return []types.KeySchemaElement{
		{AttributeName: aws.String(pk), KeyType: types.KeyTypeHash},
		{AttributeName: aws.String(sk), KeyType: types.KeyTypeRange},
	}
}

package localstream

import (
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// eventSource is the eventSource of every record Lambda delivers from a
// DynamoDB stream.
const eventSource = "aws:dynamodb"

// convertRecord turns a record returned by GetRecords into the record Lambda
// would deliver: region and event source as the stream reports them (region
// falls back to the client's), EventSourceArn the stream's ARN. It fails if
// the record has no stream record or an attribute of an unknown type.
func convertRecord(r types.Record, streamARN, region string) (events.DynamoDBEventRecord, error) {
	d := r.Dynamodb
	if d == nil {
		return events.DynamoDBEventRecord{}, fmt.Errorf("record %s has no dynamodb section", aws.ToString(r.EventID))
	}
	keys, err := convertMap(d.Keys)
	if err != nil {
		return events.DynamoDBEventRecord{}, fmt.Errorf("record %s keys: %w", aws.ToString(d.SequenceNumber), err)
	}
	newImage, err := convertMap(d.NewImage)
	if err != nil {
		return events.DynamoDBEventRecord{}, fmt.Errorf("record %s new image: %w", aws.ToString(d.SequenceNumber), err)
	}
	oldImage, err := convertMap(d.OldImage)
	if err != nil {
		return events.DynamoDBEventRecord{}, fmt.Errorf("record %s old image: %w", aws.ToString(d.SequenceNumber), err)
	}
	rec := events.DynamoDBEventRecord{
		AWSRegion:      aws.ToString(r.AwsRegion),
		EventID:        aws.ToString(r.EventID),
		EventName:      string(r.EventName),
		EventSource:    eventSource,
		EventVersion:   aws.ToString(r.EventVersion),
		EventSourceArn: streamARN,
		Change: events.DynamoDBStreamRecord{
			Keys:           keys,
			NewImage:       newImage,
			OldImage:       oldImage,
			SequenceNumber: aws.ToString(d.SequenceNumber),
			SizeBytes:      aws.ToInt64(d.SizeBytes),
			StreamViewType: string(d.StreamViewType),
		},
	}
	if rec.AWSRegion == "" {
		rec.AWSRegion = region
	}
	if d.ApproximateCreationDateTime != nil {
		rec.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: *d.ApproximateCreationDateTime}
	}
	if u := r.UserIdentity; u != nil {
		rec.UserIdentity = &events.DynamoDBUserIdentity{Type: aws.ToString(u.Type), PrincipalID: aws.ToString(u.PrincipalId)}
	}
	return rec, nil
}

// convertMap converts an item, image or map attribute; nil stays nil.
func convertMap(m map[string]types.AttributeValue) (map[string]events.DynamoDBAttributeValue, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]events.DynamoDBAttributeValue, len(m))
	for name, v := range m {
		ev, err := convertValue(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", name, err)
		}
		out[name] = ev
	}
	return out, nil
}

// convertValue converts one attribute value of any DynamoDB type, nested
// lists and maps included. It fails on nil and on union members this SDK
// version does not know.
func convertValue(v types.AttributeValue) (events.DynamoDBAttributeValue, error) {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value), nil
	case *types.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value), nil
	case *types.AttributeValueMemberB:
		return events.NewBinaryAttribute(v.Value), nil
	case *types.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value), nil
	case *types.AttributeValueMemberNULL:
		return events.NewNullAttribute(), nil
	case *types.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value), nil
	case *types.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(v.Value), nil
	case *types.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(v.Value), nil
	case *types.AttributeValueMemberL:
		list := make([]events.DynamoDBAttributeValue, 0, len(v.Value))
		for i, e := range v.Value {
			ev, err := convertValue(e)
			if err != nil {
				return events.DynamoDBAttributeValue{}, fmt.Errorf("list element %d: %w", i, err)
			}
			list = append(list, ev)
		}
		return events.NewListAttribute(list), nil
	case *types.AttributeValueMemberM:
		m, err := convertMap(v.Value)
		if err != nil {
			return events.DynamoDBAttributeValue{}, err
		}
		if m == nil {
			m = map[string]events.DynamoDBAttributeValue{}
		}
		return events.NewMapAttribute(m), nil
	case nil:
		return events.DynamoDBAttributeValue{}, errors.New("nil attribute value")
	default:
		return events.DynamoDBAttributeValue{}, fmt.Errorf("unsupported attribute value type %T", v)
	}
}

package dynamo

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// Call is one DynamoDB operation a request made, with the capacity units
// DynamoDB reported for it.
type Call struct {
	Operation string
	Capacity  float64
}

// Meter records the DynamoDB calls made under a context. Safe for concurrent use.
type Meter struct {
	mu    sync.Mutex
	calls []Call
}

// Calls returns the calls recorded so far.
func (m *Meter) Calls() []Call {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Call(nil), m.calls...)
}

// RoundTrips returns how many calls were recorded.
func (m *Meter) RoundTrips() int { return len(m.Calls()) }

// Capacity returns the capacity units of all recorded calls.
func (m *Meter) Capacity() float64 {
	total := 0.0
	for _, c := range m.Calls() {
		total += c.Capacity
	}
	return total
}

type meterKey struct{}

// WithMeter returns a context under which the store's DynamoDB calls are
// recorded into the returned meter.
func WithMeter(ctx context.Context) (context.Context, *Meter) {
	m := &Meter{}
	return context.WithValue(ctx, meterKey{}, m), m
}

// metered adds the meter middleware to a DynamoDB client's options. It
// records each operation the store asks for once, whatever the SDK's retry
// loop does underneath: budgets are about what our code asks of DynamoDB.
func metered(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("PortalMeter",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				if m, ok := ctx.Value(meterKey{}).(*Meter); ok {
					m.mu.Lock()
					m.calls = append(m.calls, Call{Operation: middleware.GetOperationName(ctx), Capacity: capacityOf(out.Result)})
					m.mu.Unlock()
				}
				return out, md, err
			}), middleware.After)
	})
}

func capacityOf(result any) float64 {
	sum := func(cs ...types.ConsumedCapacity) float64 {
		t := 0.0
		for _, c := range cs {
			t += aws.ToFloat64(c.CapacityUnits)
		}
		return t
	}
	one := func(c *types.ConsumedCapacity) float64 {
		if c == nil {
			return 0
		}
		return sum(*c)
	}
	switch r := result.(type) {
	case *dynamodb.GetItemOutput:
		return one(r.ConsumedCapacity)
	case *dynamodb.QueryOutput:
		return one(r.ConsumedCapacity)
	case *dynamodb.PutItemOutput:
		return one(r.ConsumedCapacity)
	case *dynamodb.UpdateItemOutput:
		return one(r.ConsumedCapacity)
	case *dynamodb.DeleteItemOutput:
		return one(r.ConsumedCapacity)
	case *dynamodb.ScanOutput:
		return one(r.ConsumedCapacity)
	case *dynamodb.TransactWriteItemsOutput:
		return sum(r.ConsumedCapacity...)
	case *dynamodb.TransactGetItemsOutput:
		return sum(r.ConsumedCapacity...)
	case *dynamodb.BatchGetItemOutput:
		return sum(r.ConsumedCapacity...)
	case *dynamodb.BatchWriteItemOutput:
		return sum(r.ConsumedCapacity...)
	}
	return 0
}

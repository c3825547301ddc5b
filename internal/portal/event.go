package portal

import (
	"context"
	"time"
)

// Event sources and detail types published to the event bus (EventBridge in
// AWS). Consumers match on Source and DetailType; Detail is JSON-encoded.
const (
	SourceUsage                 = "partnerportal.usage"     // usage thresholds
	SourceAssets                = "partnerportal.assets"    // assets becoming scannable
	SourceCustomers             = "partnerportal.customers" // customers' status changes
	DetailUsageThreshold        = "Usage Threshold Reached"
	DetailAssetDiscovered       = "Asset Discovered"
	DetailCustomerStatusChanged = "Customer Status Changed"
)

// Event is one event for the bus. ID is stable for the fact it reports (an
// alert ID, an asset ID plus what happened), so consumers can drop the
// duplicates that at-least-once delivery brings.
type Event struct {
	ID         string
	Source     string
	DetailType string
	Time       time.Time
	Detail     any // encoded as JSON
}

// EventPublisher publishes events to the bus.
type EventPublisher interface {
	// Publish sends events, all or none as far as the caller can tell: any
	// error means the caller must retry them all (the bus may then see some
	// twice, which Event.ID lets consumers detect).
	Publish(ctx context.Context, events ...Event) error
}

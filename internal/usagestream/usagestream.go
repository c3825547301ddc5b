// Package usagestream is the DynamoDB Streams consumer that derives usage
// from the table's change log (functions/usage-stream): each change of a
// live counter is applied to the usage ledger, raising threshold alerts,
// exactly once however often the stream delivers it; new alerts and newly
// scannable assets are published to the event bus.
//
// # Exactly once under at-least-once delivery
//
// A counter change is applied in a transaction with a marker of its
// stream event ID (kept by TTL for MarkerTTL, longer than the stream's 24
// hours of retention): a record delivered again finds the marker and
// changes nothing. Consecutive counter records are applied together (see
// dynamo.Store.ApplyCounterChanges): one read and one transaction for up
// to 25, falling back to one at a time when a group meets a record applied
// before. Publishing cannot share a transaction with the bus, so
// an alert or asset record is published, then marked; a record delivered
// again is skipped once marked, and a failure between the two publishes it
// twice at worst. Events carry the alert or asset ID for consumers to
// drop such duplicates.
//
// # Failures
//
// Records are handled in order. At the first record that fails (the
// records before it applied), the handler stops and reports it (and so the
// rest of the batch) in batchItemFailures by sequence number; Lambda redelivers from there, so
// earlier records of the batch are not replayed and one poison record does
// not hold back other shards.
package usagestream

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/portal"
)

// MarkerTTL is how long the marker of a handled record is kept.
const MarkerTTL = 48 * time.Hour

// Store is what the handler needs of the table.
type Store interface {
	// ApplyCounterChanges applies records in order, each once per event
	// ID; applied covers the records handled from the first on (false:
	// applied before), all of them unless err is set.
	ApplyCounterChanges(ctx context.Context, records []dynamo.CounterRecord, expires time.Time) (applied []bool, err error)
	// Handled reports whether eventID of the tenant was marked handled.
	Handled(ctx context.Context, partnerID, tenantID, eventID string) (bool, error)
	// MarkHandled marks eventID of the tenant handled until expires.
	MarkHandled(ctx context.Context, partnerID, tenantID, eventID string, expires time.Time) error
}

// Handler handles batches of stream records.
type Handler struct {
	Store  Store
	Events portal.EventPublisher
	Clock  portal.Clock
	Log    *log.Logger // nil: the standard logger
}

// Handle handles one batch. It never returns an error: failed records are
// reported in the response (see the package documentation). Consecutive
// counter records are applied together, in order.
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	b := batch{h: h, expires: h.Clock().Add(MarkerTTL)}
	for _, r := range ev.Records {
		if err := b.add(ctx, r); err != nil {
			if b.failedAt.EventID == "" { // r itself failed: first apply what came before it
				if ferr := b.flush(ctx); ferr != nil {
					err = ferr
				}
			}
			return b.failed(r, err), nil
		}
	}
	if err := b.flush(ctx); err != nil {
		return b.failed(events.DynamoDBEventRecord{}, err), nil
	}
	return events.DynamoDBEventResponse{}, nil
}

// batch handles the records of one Handle call in order, holding back
// counter records until a record of another kind or the end.
type batch struct {
	h        *Handler
	expires  time.Time
	counters []dynamo.CounterRecord
	held     []events.DynamoDBEventRecord // the records of counters
	failedAt events.DynamoDBEventRecord   // set by flush: the first record not applied
}

// add handles r, or holds it back when it is a counter record.
func (b *batch) add(ctx context.Context, r events.DynamoDBEventRecord) error {
	oldImage, err := image(r.Change.OldImage)
	if err != nil {
		return err
	}
	newImage, err := image(r.Change.NewImage)
	if err != nil {
		return err
	}
	entity := dynamo.EntityOf(newImage)
	if entity == "" {
		entity = dynamo.EntityOf(oldImage)
	}
	if entity == dynamo.StreamCounter {
		var ch portal.CounterChange
		if ch.Old, err = dynamo.CounterOf(oldImage); err != nil {
			return err
		}
		if ch.New, err = dynamo.CounterOf(newImage); err != nil {
			return err
		}
		b.counters = append(b.counters, dynamo.CounterRecord{EventID: r.EventID, Change: ch})
		b.held = append(b.held, r)
		return nil
	}
	e, ok, err := publication(r, entity, oldImage, newImage)
	if err != nil || !ok {
		return err
	}
	if err := b.flush(ctx); err != nil {
		return err
	}
	return b.h.publishOnce(ctx, e.partnerID, e.tenantID, r.EventID, b.expires, e.event)
}

// flush applies the counter records held back.
func (b *batch) flush(ctx context.Context) error {
	if len(b.counters) == 0 {
		return nil
	}
	applied, err := b.h.Store.ApplyCounterChanges(ctx, b.counters, b.expires)
	if err != nil {
		b.failedAt = b.held[len(applied)]
		return err
	}
	b.counters, b.held = b.counters[:0], b.held[:0]
	return nil
}

// failed logs err and reports the first record not handled: the one flush
// could not apply, or else r.
func (b *batch) failed(r events.DynamoDBEventRecord, err error) events.DynamoDBEventResponse {
	if b.failedAt.EventID != "" {
		r = b.failedAt
	}
	b.h.logf("usage-stream: record %s (sequence %s): %v", r.EventID, r.Change.SequenceNumber, err)
	return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{{ItemIdentifier: r.Change.SequenceNumber}}}
}

func (h *Handler) logf(format string, args ...any) {
	if h.Log != nil {
		h.Log.Printf(format, args...)
		return
	}
	log.Printf(format, args...)
}

// pending is an event to publish for a record, and the tenant it is of.
type pending struct {
	partnerID, tenantID string
	event               portal.Event
}

// publication returns the event an alert, asset or customer record
// publishes: a new alert, an asset that is verified now and was not before,
// a customer whose status changed.
func publication(r events.DynamoDBEventRecord, entity string, oldImage, newImage map[string]types.AttributeValue) (pending, bool, error) {
	switch entity {
	case dynamo.StreamAlert:
		if r.EventName != string(events.DynamoDBOperationTypeInsert) {
			return pending{}, false, nil
		}
		a, err := dynamo.AlertOf(newImage)
		if err != nil {
			return pending{}, false, err
		}
		return pending{a.PartnerID, a.TenantID, alertEvent(a)}, true, nil
	case dynamo.StreamAsset:
		if newImage == nil {
			return pending{}, false, nil
		}
		a, err := dynamo.AssetOf(newImage)
		if err != nil || !a.Verified {
			return pending{}, false, err
		}
		if oldImage != nil {
			before, err := dynamo.AssetOf(oldImage)
			if err != nil || before.Verified {
				return pending{}, false, err
			}
		}
		return pending{a.PartnerID, a.TenantID, discoveredEvent(a)}, true, nil
	case dynamo.StreamCustomer:
		if oldImage == nil || newImage == nil {
			return pending{}, false, nil
		}
		before, err := dynamo.CustomerOf(oldImage)
		if err != nil {
			return pending{}, false, err
		}
		c, err := dynamo.CustomerOf(newImage)
		if err != nil || c.Status == before.Status {
			return pending{}, false, err
		}
		return pending{c.PartnerID, c.ID, statusEvent(c)}, true, nil
	}
	return pending{}, false, nil
}

// publishOnce publishes e unless eventID was handled, then marks it handled.
func (h *Handler) publishOnce(ctx context.Context, partnerID, tenantID, eventID string, expires time.Time, e portal.Event) error {
	done, err := h.Store.Handled(ctx, partnerID, tenantID, eventID)
	if err != nil || done {
		return err
	}
	if err := h.Events.Publish(ctx, e); err != nil {
		return fmt.Errorf("publish %s: %w", e.DetailType, err)
	}
	return h.Store.MarkHandled(ctx, partnerID, tenantID, eventID, expires)
}

// ThresholdDetail is the detail of a "Usage Threshold Reached" event.
type ThresholdDetail struct {
	AlertID     string    `json:"alertId"`
	PartnerID   string    `json:"partnerId"`
	CustomerID  string    `json:"customerId"`
	LicenseID   string    `json:"licenseId"`
	Model       string    `json:"model"`
	Threshold   int       `json:"threshold"`
	Used        int64     `json:"used"`
	Quantity    int64     `json:"quantity"`
	PeriodStart time.Time `json:"periodStart"`
	PeriodEnd   time.Time `json:"periodEnd"`
}

func alertEvent(a portal.Alert) portal.Event {
	return portal.Event{
		ID: a.ID, Source: portal.SourceUsage, DetailType: portal.DetailUsageThreshold, Time: a.CreatedAt,
		Detail: ThresholdDetail{
			AlertID: a.ID, PartnerID: a.PartnerID, CustomerID: a.TenantID, LicenseID: a.LicenseID, Model: string(a.Model),
			Threshold: a.Threshold, Used: a.Used, Quantity: a.Quantity, PeriodStart: a.Period.Start, PeriodEnd: a.Period.End,
		},
	}
}

// DiscoveredDetail is the detail of an "Asset Discovered" event.
type DiscoveredDetail struct {
	AssetID            string    `json:"assetId"`
	PartnerID          string    `json:"partnerId"`
	CustomerID         string    `json:"customerId"`
	Value              string    `json:"value"`
	Type               string    `json:"type"`
	VerificationMethod string    `json:"verificationMethod"`
	VerifiedAt         time.Time `json:"verifiedAt"`
}

// StatusDetail is the detail of a "Customer Status Changed" event.
type StatusDetail struct {
	PartnerID  string `json:"partnerId"`
	CustomerID string `json:"customerId"`
	Status     string `json:"status"`
	Version    int64  `json:"version"`
}

func statusEvent(c portal.Customer) portal.Event {
	return portal.Event{
		ID: fmt.Sprintf("status-%s-v%d", c.ID, c.Version), Source: portal.SourceCustomers, DetailType: portal.DetailCustomerStatusChanged, Time: c.UpdatedAt,
		Detail: StatusDetail{PartnerID: c.PartnerID, CustomerID: c.ID, Status: string(c.Status), Version: c.Version},
	}
}

func discoveredEvent(a portal.Asset) portal.Event {
	var at time.Time
	if a.VerifiedAt != nil {
		at = *a.VerifiedAt
	}
	return portal.Event{
		ID: "discovered-" + a.ID, Source: portal.SourceAssets, DetailType: portal.DetailAssetDiscovered, Time: at,
		Detail: DiscoveredDetail{
			AssetID: a.ID, PartnerID: a.PartnerID, CustomerID: a.TenantID, Value: a.Value, Type: string(a.Type),
			VerificationMethod: string(a.VerificationMethod), VerifiedAt: at,
		},
	}
}

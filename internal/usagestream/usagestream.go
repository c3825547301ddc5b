// Package usagestream is the DynamoDB Streams consumer that derives usage
// from the table's change log (functions/usage-stream): each change of a
// live counter is applied to the usage ledger, raising threshold alerts,
// exactly once however often the stream delivers it; new alerts and newly
// scannable assets are published to the event bus.
//
// # Exactly once under at-least-once delivery
//
// A counter change is applied in one transaction with a marker of its
// stream event ID (kept by TTL for MarkerTTL, longer than the stream's 24
// hours of retention): a record delivered again finds the marker and
// changes nothing. Publishing cannot share a transaction with the bus, so
// an alert or asset record is published, then marked; a record delivered
// again is skipped once marked, and a failure between the two publishes it
// twice at worst. Events carry the alert or asset ID for consumers to
// drop such duplicates.
//
// # Failures
//
// Records are handled in order. At the first record that fails, the
// handler stops and reports it (and so the rest of the batch) in
// batchItemFailures by sequence number; Lambda redelivers from there, so
// earlier records of the batch are not replayed and one poison record does
// not hold back other shards.
package usagestream

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/portal"
)

// MarkerTTL is how long the marker of a handled record is kept.
const MarkerTTL = 48 * time.Hour

// Store is what the handler needs of the table.
type Store interface {
	// ApplyCounterChange applies ch once per eventID (false: applied before).
	ApplyCounterChange(ctx context.Context, eventID string, ch portal.CounterChange, expires time.Time) (bool, error)
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
// reported in the response (see the package documentation).
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var res events.DynamoDBEventResponse
	for _, r := range ev.Records {
		if err := h.record(ctx, r); err != nil {
			h.logf("usage-stream: record %s (sequence %s): %v", r.EventID, r.Change.SequenceNumber, err)
			res.BatchItemFailures = append(res.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
			return res, nil
		}
	}
	return res, nil
}

func (h *Handler) logf(format string, args ...any) {
	if h.Log != nil {
		h.Log.Printf(format, args...)
		return
	}
	log.Printf(format, args...)
}

// record handles one stream record.
func (h *Handler) record(ctx context.Context, r events.DynamoDBEventRecord) error {
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
	expires := h.Clock().Add(MarkerTTL)
	switch entity {
	case dynamo.StreamCounter:
		var ch portal.CounterChange
		if ch.Old, err = dynamo.CounterOf(oldImage); err != nil {
			return err
		}
		if ch.New, err = dynamo.CounterOf(newImage); err != nil {
			return err
		}
		_, err = h.Store.ApplyCounterChange(ctx, r.EventID, ch, expires)
		return err
	case dynamo.StreamAlert:
		if r.EventName != string(events.DynamoDBOperationTypeInsert) {
			return nil
		}
		a, err := dynamo.AlertOf(newImage)
		if err != nil {
			return err
		}
		return h.publishOnce(ctx, a.PartnerID, a.TenantID, r.EventID, expires, alertEvent(a))
	case dynamo.StreamAsset:
		if newImage == nil {
			return nil
		}
		a, err := dynamo.AssetOf(newImage)
		if err != nil || !a.Verified {
			return err
		}
		if oldImage != nil {
			before, err := dynamo.AssetOf(oldImage)
			if err != nil || before.Verified {
				return err
			}
		}
		return h.publishOnce(ctx, a.PartnerID, a.TenantID, r.EventID, expires, discoveredEvent(a))
	}
	return nil
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

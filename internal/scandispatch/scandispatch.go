// Package scandispatch is the scan-dispatch function's handler: it takes
// what invokes the function — an EventBridge Scheduler fire (a
// portal.ScheduleFire) or an EventBridge event ("Asset Discovered",
// "Customer Status Changed", "Vulnerability Database Updated" and its
// fan-out pages) — and hands it
// to the portal.ScanDispatcher.
//
// An error returned asks the invoker to deliver again (Scheduler's and
// Lambda's retries, then the dead-letter queue): it is returned only for
// failures a retry can fix. Deliveries that can never succeed (malformed,
// unknown event types) are logged and dropped.
package scandispatch

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/usagestream"
)

// Handler hands deliveries to Dispatcher.
type Handler struct {
	Dispatcher *portal.ScanDispatcher
	Log        *slog.Logger // slog.Default() when nil
}

// Handle dispatches one delivery, logs what it did and returns it (the
// function's response: Scheduler and EventBridge discard it, a direct
// invocation such as the local stack's "fire now" reads it).
func (h *Handler) Handle(ctx context.Context, payload json.RawMessage) (portal.Dispatched, error) {
	out, kind, err := h.dispatch(ctx, payload)
	log := h.Log
	if log == nil {
		log = slog.Default()
	}
	attrs := []any{"kind", kind, "admitted", out.Admitted, "duplicates", out.Duplicates, "refused", out.Refused, "skipped", out.Skipped}
	if err != nil {
		log.ErrorContext(ctx, "dispatch failed; to be retried", append(attrs, "error", err.Error())...)
		return out, err
	}
	log.InfoContext(ctx, "dispatched", attrs...)
	return out, nil
}

func (h *Handler) dispatch(ctx context.Context, payload json.RawMessage) (portal.Dispatched, string, error) {
	var probe struct {
		DetailType string `json:"detail-type"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		return skipped("the payload is not a JSON object"), "malformed", nil
	}
	if probe.DetailType == "" {
		var f portal.ScheduleFire
		if err := json.Unmarshal(payload, &f); err != nil {
			return skipped("the payload is not a schedule fire: " + err.Error()), "malformed", nil
		}
		out, err := h.Dispatcher.Fire(ctx, f)
		return out, "schedule", err
	}
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return skipped("the payload is not an EventBridge event: " + err.Error()), "malformed", nil
	}
	switch ev.DetailType {
	case portal.DetailAssetDiscovered:
		var d usagestream.DiscoveredDetail
		if err := json.Unmarshal(ev.Detail, &d); err != nil {
			return skipped(fmt.Sprintf("event %s: bad detail: %v", ev.ID, err)), ev.DetailType, nil
		}
		out, err := h.Dispatcher.AssetDiscovered(ctx, portal.AssetDiscovery{
			PartnerID: d.PartnerID, TenantID: d.CustomerID, AssetID: d.AssetID, VerifiedAt: d.VerifiedAt.UTC().Truncate(time.Millisecond),
		})
		return out, ev.DetailType, err
	case portal.DetailCustomerStatusChanged:
		var d usagestream.StatusDetail
		if err := json.Unmarshal(ev.Detail, &d); err != nil {
			return skipped(fmt.Sprintf("event %s: bad detail: %v", ev.ID, err)), ev.DetailType, nil
		}
		out, err := h.Dispatcher.CustomerStatusChanged(ctx, portal.CustomerStatusChange{PartnerID: d.PartnerID, TenantID: d.CustomerID})
		return out, ev.DetailType, err
	case portal.DetailVulnDBUpdated, portal.DetailVulnDBPage:
		var u portal.VulnDBUpdate
		if err := json.Unmarshal(ev.Detail, &u); err != nil {
			return skipped(fmt.Sprintf("event %s: bad detail: %v", ev.ID, err)), ev.DetailType, nil
		}
		out, err := h.Dispatcher.VulnDBPage(ctx, u)
		return out, ev.DetailType, err
	}
	return skipped("no dispatch for events of type " + ev.DetailType), ev.DetailType, nil
}

func skipped(why string) portal.Dispatched { return portal.Dispatched{Skipped: []string{why}} }

package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/partnerportal/portal/internal/portal"
)

// AuditJSON is an audit entry as the API shows it.
type AuditJSON struct {
	ID         string                        `json:"id"`
	Time       time.Time                     `json:"time"`
	ActorID    string                        `json:"actorId"`
	ActorRole  string                        `json:"actorRole"`
	PartnerID  string                        `json:"partnerId,omitempty"`
	CustomerID string                        `json:"customerId,omitempty"`
	Action     string                        `json:"action"`
	Target     map[string]string             `json:"target"`
	Changes    map[string]portal.FieldChange `json:"changes"`
	RequestID  string                        `json:"requestId,omitempty"`
}

// NewAudit returns the handler of the audit function (read-only: entries
// cannot be changed or deleted through the API).
func NewAudit(svc *portal.AuditService, clock portal.Clock) *Handler {
	return NewHandler(map[string]Route{
		"GET /v1/audit": func(ctx context.Context, r *Request) (Response, error) {
			if err := knownParams(r, []string{"customerId", "actorId", "action", "from", "to", "limit", "cursor"}); err != nil {
				return Response{}, err
			}
			q := r.Query
			page, err := svc.List(ctx, portal.AuditParams{
				CustomerID: q["customerId"], ActorID: q["actorId"], Action: q["action"],
				From: q["from"], To: q["to"], Limit: q["limit"], Cursor: q["cursor"],
			})
			if err != nil {
				return Response{}, err
			}
			items := make([]AuditJSON, len(page.Items))
			for i, e := range page.Items {
				items[i] = AuditJSON{
					ID: e.ID, Time: e.Time, ActorID: e.ActorID, ActorRole: string(e.ActorRole), PartnerID: e.PartnerID,
					CustomerID: e.TenantID, Action: e.Action, Target: map[string]string{"type": e.TargetType, "id": e.TargetID},
					Changes: e.Changes, RequestID: e.RequestID,
				}
			}
			return JSON(http.StatusOK, listJSON[AuditJSON]{Items: items, NextCursor: page.NextCursor}), nil
		},
	}, nil, clock)
}

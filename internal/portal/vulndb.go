package portal

import (
	"context"
	"log"
	"strings"
	"unicode/utf8"

	"github.com/partnerportal/portal/internal/tenancy"
)

// PrefixVulnDBUpdate prefixes the IDs of vulnerability-database updates.
const PrefixVulnDBUpdate = "vdb_"

// maxVulnDBName bounds the name of an update.
const maxVulnDBName = 200

// VulnDBInput is the body of POST /v1/events/vulndb-updated: the name of
// the update (a feed version, say "NVD 2026-11-26").
type VulnDBInput struct {
	Name *string `json:"name"`
}

// VulnDBService announces vulnerability-database updates.
type VulnDBService struct {
	Events EventPublisher
	Clock  Clock
	IDs    IDs
}

// Announce publishes "Vulnerability Database Updated" (super_admin only);
// scan-dispatch then scans, page by page, the targets of every enabled
// schedule that asked for it. It answers at once with the update.
// EINVALID names a missing or overlong name; EUNAVAILABLE when the event
// bus did not take the event (nothing was announced).
func (s *VulnDBService) Announce(ctx context.Context, in VulnDBInput) (VulnDBUpdate, error) {
	id, err := requireRole(ctx, "announcing vulnerability-database updates", tenancy.RoleSuperAdmin)
	if err != nil {
		return VulnDBUpdate{}, err
	}
	var p Problems
	name := ""
	if in.Name != nil {
		name = strings.TrimSpace(*in.Name)
	}
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		p.Add("name", "is required: the update's name or version, e.g. \"NVD 2026-11-26\"")
	case n > maxVulnDBName:
		p.Add("name", "must be at most %d characters", maxVulnDBName)
	}
	if err := p.Err(); err != nil {
		return VulnDBUpdate{}, err
	}
	u := VulnDBUpdate{UpdateID: s.IDs.New(PrefixVulnDBUpdate), Name: name, PublishedAt: s.Clock(), RequestedBy: id.UserID}
	if s.Events == nil {
		return VulnDBUpdate{}, Errorf(EUNAVAILABLE, "the event bus is not configured: the update was not announced")
	}
	err = s.Events.Publish(ctx, Event{ID: u.UpdateID, Source: SourceVulnDB, DetailType: DetailVulnDBUpdated, Time: u.PublishedAt, Detail: u})
	if err != nil {
		log.Printf("announce update %s: %v", u.UpdateID, err)
		return VulnDBUpdate{}, Errorf(EUNAVAILABLE, "the event bus did not take the update: try again")
	}
	return u, nil
}

package app_test

import (
	"testing"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/portal"
)

// The rules of the declaration match the events internal/portal publishes
// only while both spell sources and detail types alike.
func TestEventNamesMatchThePortals(t *testing.T) {
	for _, c := range []struct{ name, app, portal string }{
		{"SourceAssets", app.SourceAssets, portal.SourceAssets},
		{"DetailAssetDiscovered", app.DetailAssetDiscovered, portal.DetailAssetDiscovered},
		{"SourceVulnDB", app.SourceVulnDB, portal.SourceVulnDB},
		{"DetailVulnDBUpdated", app.DetailVulnDBUpdated, portal.DetailVulnDBUpdated},
		{"SourceDispatch", app.SourceDispatch, portal.SourceDispatch},
		{"DetailVulnDBPage", app.DetailVulnDBPage, portal.DetailVulnDBPage},
	} {
		if c.app != c.portal {
			t.Errorf("app.%s = %q, portal.%s = %q; want them equal", c.name, c.app, c.name, c.portal)
		}
	}
}

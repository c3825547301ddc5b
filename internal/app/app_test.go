package app_test

import (
	"slices"
	"testing"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/eventbus"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenantcreds"
)

// The environment the declaration gives functions is the one the packages
// that read it expect.
func TestEnvironmentNamesMatchTheirReaders(t *testing.T) {
	if app.EnvEventBus != eventbus.EnvEventBus || app.EnvTenantRoleARN != tenantcreds.EnvRoleARN {
		t.Fatalf("app names %s and %s, readers %s and %s", app.EnvEventBus, app.EnvTenantRoleARN, eventbus.EnvEventBus, tenantcreds.EnvRoleARN)
	}
}

// The rules of the declaration match the events internal/portal publishes
// only while both spell sources and detail types alike.
func TestEventNamesMatchThePortals(t *testing.T) {
	for _, c := range []struct{ name, app, portal string }{
		{"SourceAssets", app.SourceAssets, portal.SourceAssets},
		{"DetailAssetDiscovered", app.DetailAssetDiscovered, portal.DetailAssetDiscovered},
		{"SourceCustomers", app.SourceCustomers, portal.SourceCustomers},
		{"DetailCustomerStatusChanged", app.DetailCustomerStatusChanged, portal.DetailCustomerStatusChanged},
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

// What each function finds in its environment follows from what the
// declaration says it does, for the template and the local stack alike.
func TestEnvironmentFollowsTheDeclaration(t *testing.T) {
	a := app.Declaration()
	names := func(fn string) []string {
		f, ok := a.Function(fn)
		if !ok {
			t.Fatalf("no function %s", fn)
		}
		var out []string
		for _, v := range a.Environment(f) {
			out = append(out, v.Name)
		}
		return out
	}
	for fn, want := range map[string][]string{
		"authorizer":    nil,
		"fallback":      nil,
		"audit":         {"TENANT_ROLE_ARN"},
		"scans":         {"REPORTS_BUCKET", "SCAN_RUN_FUNCTION", "TENANT_ROLE_ARN"},
		"schedules":     {"EVENT_BUS_NAME", "SCHEDULE_GROUP", "SCHEDULE_TARGET_ARN", "SCHEDULE_ROLE_ARN", "SCHEDULE_DLQ_ARN", "TENANT_ROLE_ARN"},
		"customers":     {"TENANT_ROLE_ARN"},
		"scan-dispatch": {"EVENT_BUS_NAME", "SCAN_RUN_FUNCTION", "SCHEDULE_GROUP", "SCHEDULE_TARGET_ARN", "SCHEDULE_ROLE_ARN", "SCHEDULE_DLQ_ARN"},
		"usage-stream":  {"EVENT_BUS_NAME"},
	} {
		if got := names(fn); !slices.Equal(got, want) {
			t.Errorf("%s: environment %v, want %v", fn, got, want)
		}
	}
	var global []string
	for _, v := range a.GlobalEnvironment() {
		global = append(global, v.Name)
	}
	if want := []string{"TABLE_NAME", "CURSOR_SECRET", "STAGE"}; !slices.Equal(global, want) {
		t.Errorf("global environment %v, want %v", global, want)
	}
}

package httpapi

import (
	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/services"
)

// ForFunction returns the handler of the declared HTTP function name on the
// services s, serving without an identity the routes the declaration marks
// Public; false for unknown names and for the authorizer. Lambda mains
// and the local server take their handlers from here.
func ForFunction(s *services.Services, name string) (*Handler, bool) {
	h, ok := handlerOf(s, name)
	if !ok {
		return nil, false
	}
	if f, declared := app.Declaration().Function(name); declared {
		for _, r := range f.Routes {
			if r.Public {
				h.Public(r.Key())
			}
		}
	}
	return h, true
}

func handlerOf(s *services.Services, name string) (*Handler, bool) {
	switch name {
	case "partners":
		return NewPartners(s.Partners, s.Store, s.Clock), true
	case "users":
		return NewUsers(s.Users, s.APIKeys, s.Grants, s.Store, s.Clock).With(SessionRoutes(s.Sessions)), true
	case "customers":
		return NewCustomers(s.Customers, s.Store, s.Clock), true
	case "licenses":
		return NewLicenses(s.Licenses, s.Store, s.Clock), true
	case "billing":
		return NewBilling(s.Pricing, s.Prepaid, s.Margins, s.Store, s.Clock), true
	case "audit":
		return NewAudit(s.Audit, s.Clock), true
	case "assets":
		return NewAssets(s.Assets, s.Store, s.Clock), true
	case "usage":
		return NewUsage(s.Usage, s.Alerts, s.Store, s.Clock), true
	case "scans":
		return NewScans(s.Scans, s.Findings, s.Store, s.Clock).With(ReportRoutes(s.Reports)), true
	case "schedules":
		return NewSchedules(s.Schedules, s.VulnDB, s.Store, s.Clock), true
	case "fallback":
		return NewFallback(app.Declaration(), s.Clock), true
	}
	return nil, false
}

// AuthorizerFor returns the HTTP API authorizer on the services s.
func AuthorizerFor(s *services.Services) *Authorizer { return NewAuthorizer(s.APIKeys, s.Sessions) }

package devserver

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"path/filepath"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/services"
	"github.com/partnerportal/portal/internal/tenancy"
)

// Seed identities of the local stack.
const (
	SuperAdminEmail   = "operator@partner-portal.test"
	DemoPartnerName   = "Demo MSSP"
	PartnerAdminEmail = "admin@demo-mssp.test"
)

// seedState remembers the seeded IDs across restarts (keys are shown once
// and cannot be read back, so only IDs are kept).
type seedState struct {
	SuperAdminID   string `json:"superAdminId"`
	PartnerID      string `json:"partnerId"`
	PartnerAdminID string `json:"partnerAdminId"`
	// ConsolePassword is the demo partner admin's password, made once.
	ConsolePassword string `json:"consolePassword"`
}

// seed makes sure a super admin, a demo partner and its admin (with a
// console password) exist and returns working keys for both admins: the
// previous ones while they still authenticate, new ones otherwise.
func seed(ctx context.Context, svc *services.Services, dir string) (Credentials, error) {
	var creds Credentials
	if readJSON(filepath.Join(dir, "credentials.json"), &creds) {
		_, err1 := svc.APIKeys.Authenticate(ctx, creds.SuperAdminKey)
		_, err2 := svc.APIKeys.Authenticate(ctx, creds.PartnerAdminKey)
		if err1 == nil && err2 == nil && creds.ConsolePassword != "" {
			return creds, nil
		}
	}
	statePath := filepath.Join(dir, "seed.json")
	var st seedState
	readJSON(statePath, &st)

	superAdmin, err := svc.Users.Users.GetUser(ctx, tenancy.Scope{}, st.SuperAdminID)
	if portal.ErrorCode(err) == portal.ENOTFOUND || st.SuperAdminID == "" {
		now := svc.Clock()
		superAdmin = portal.User{ID: (&portal.ULIDs{}).New(portal.PrefixUser), Email: SuperAdminEmail, Name: "Platform operator",
			Role: tenancy.RoleSuperAdmin, Status: "active", CreatedAt: now, UpdatedAt: now, Version: 1}
		err = svc.Users.Users.CreateUser(ctx, superAdmin)
	}
	if err != nil {
		return creds, fmt.Errorf("super admin (delete %s to start afresh): %w", dir, err)
	}
	asSuperAdmin := tenancy.WithIdentity(ctx, superAdmin.Identity(""))

	partner, err := svc.Store.GetPartner(ctx, st.PartnerID)
	if portal.ErrorCode(err) == portal.ENOTFOUND || st.PartnerID == "" {
		partner, err = svc.Partners.Create(asSuperAdmin, portal.PartnerInput{Name: ptr(DemoPartnerName), ContactEmail: ptr(PartnerAdminEmail), Country: ptr("DE")})
	}
	if err != nil {
		return creds, fmt.Errorf("demo partner: %w", err)
	}
	partnerAdmin, err := svc.Users.Users.GetUser(ctx, tenancy.Scope{}, st.PartnerAdminID)
	if portal.ErrorCode(err) == portal.ENOTFOUND || st.PartnerAdminID == "" {
		role := tenancy.RolePartnerAdmin
		var created portal.NewUser
		created, err = svc.Users.Create(asSuperAdmin, portal.UserInput{Email: ptr(PartnerAdminEmail), Name: ptr("Demo admin"), Role: &role, PartnerID: &partner.ID})
		partnerAdmin = created.User
	}
	if err != nil {
		return creds, fmt.Errorf("partner admin (delete %s to start afresh): %w", dir, err)
	}
	if st.ConsolePassword == "" || st.PartnerAdminID != partnerAdmin.ID {
		// The password is set the way every person sets one: through an invitation.
		inv, err := svc.Users.Invite(asSuperAdmin, partnerAdmin.ID)
		if err != nil {
			return creds, fmt.Errorf("invite the partner admin: %w", err)
		}
		st.ConsolePassword = demoPassword()
		if _, err := svc.Sessions.AcceptInvitation(ctx, inv.Token, st.ConsolePassword); err != nil {
			return creds, fmt.Errorf("set the partner admin's password: %w", err)
		}
	}
	st.SuperAdminID, st.PartnerID, st.PartnerAdminID = superAdmin.ID, partner.ID, partnerAdmin.ID
	if err := writeJSON(statePath, st); err != nil {
		return creds, err
	}

	if _, err := svc.Pricing.Get(asSuperAdmin); portal.ErrorCode(err) == portal.ENOTFOUND {
		if _, err := svc.Pricing.Put(asSuperAdmin, DemoPricing(), nil); err != nil {
			return creds, fmt.Errorf("pricing: %w", err)
		}
	}

	superKey, err := svc.APIKeys.Issue(asSuperAdmin, superAdmin.ID, portal.APIKeyInput{Name: ptr("make run")})
	if err != nil {
		return creds, fmt.Errorf("super admin key: %w", err)
	}
	partnerKey, err := svc.APIKeys.Issue(asSuperAdmin, partnerAdmin.ID, portal.APIKeyInput{Name: ptr("make run")})
	if err != nil {
		return creds, fmt.Errorf("partner admin key: %w", err)
	}
	return Credentials{SuperAdminKey: superKey.Secret, PartnerID: partner.ID, PartnerAdminKey: partnerKey.Secret,
		ConsoleEmail: PartnerAdminEmail, ConsolePassword: st.ConsolePassword}, nil
}

// demoPassword makes the demo admin's console password: random, since the
// local stack may listen on more than the loopback interface.
func demoPassword() string {
	var b [12]byte
	rand.Read(b[:])
	return "demo-" + base64.RawURLEncoding.EncodeToString(b[:])
}

// DemoPricing is the price list a fresh local stack starts with (EUR, minor units).
func DemoPricing() portal.PricingInput {
	return portal.PricingInput{
		Currency: ptr("EUR"),
		UnitCosts: &map[string]map[string]int64{
			"per_asset": {"monthly": 200, "annual": 2000},
			"per_scan":  {"monthly": 500, "annual": 5000},
			"unlimited": {"monthly": 50000, "annual": 500000},
		},
		PrepaidTiers: &[]portal.PrepaidTier{{MinUnits: 100, DiscountBps: 1000}, {MinUnits: 500, DiscountBps: 2000}},
	}
}

func ptr[T any](v T) *T { return &v }

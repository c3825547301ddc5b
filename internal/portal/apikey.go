package portal

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/partnerportal/portal/internal/tenancy"
)

// An API key reads "pp_" + the key's ULID (lower case) + "_" + 32 random bytes
// in base64url: the ULID finds the stored key with one GetItem, and only the
// SHA-256 of the whole key is stored.
const (
	APIKeyPrefix = "pp_"
	apiKeyLength = len(APIKeyPrefix) + 26 + 1 + 43
	// lastUsedGranularity is how stale a key's lastUsedAt may be: recording
	// every use would add a write to every authorisation.
	lastUsedGranularity = time.Minute
)

// APIKey is a stored API key: never the key itself, only its hash.
type APIKey struct {
	ID         string
	Name       string
	Hash       string // hex SHA-256 of the key
	Hint       string // the key's first characters, to recognise it
	UserID     string
	Role       tenancy.Role
	PartnerID  string
	TenantID   string
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Identity is what a request made with the key is allowed to be.
func (k APIKey) Identity() tenancy.Identity {
	return tenancy.Identity{UserID: k.UserID, Role: k.Role, PartnerID: k.PartnerID, TenantID: k.TenantID, KeyID: k.ID}
}

// APIKeyInput is the body of POST /v1/users/{userId}/api-keys.
type APIKeyInput struct {
	Name      *string    `json:"name"`
	ExpiresAt *time.Time `json:"expiresAt"`
}

// APIKeyStore persists API keys.
type APIKeyStore interface {
	// CreateAPIKey stores a new key; ECONFLICT if the ID exists.
	CreateAPIKey(ctx context.Context, k APIKey) error
	// GetAPIKey returns a key by ID; ENOTFOUND if none.
	GetAPIKey(ctx context.Context, id string) (APIKey, error)
	// RevokeAPIKey marks a key revoked at t; revoking twice keeps the first time.
	RevokeAPIKey(ctx context.Context, id string, t time.Time) error
	// TouchAPIKey records that the key was used at t, unless it was already
	// recorded after t-granularity (to keep authorisation cheap).
	TouchAPIKey(ctx context.Context, id string, t time.Time, granularity time.Duration) error
}

// APIKeyService issues, revokes and checks API keys.
type APIKeyService struct {
	Keys  APIKeyStore
	Users *UserService
	// Customers tells a customer user's tenant state at authentication.
	Customers CustomerStore
	Clock     Clock
	IDs       IDs
}

// NewKey is a key as shown to its owner exactly once.
type NewKey struct {
	APIKey
	Secret string
}

// Issue makes a key for a user the caller manages (itself, its partner's
// users, or anyone for super_admin). The secret is returned once.
// ENOTFOUND for users out of scope; EINVALID for bad fields.
func (s *APIKeyService) Issue(ctx context.Context, userID string, in APIKeyInput) (NewKey, error) {
	id, err := caller(ctx)
	if err != nil {
		return NewKey{}, err
	}
	if err := tenantUser(id, "", true); err != nil {
		return NewKey{}, err
	}
	var p Problems
	now := s.Clock()
	k := APIKey{ID: s.IDs.New(PrefixAPIKey), CreatedAt: now}
	if in.Name != nil {
		k.Name = checkName(&p, "name", *in.Name)
	}
	if in.ExpiresAt != nil {
		t := in.ExpiresAt.UTC()
		if !t.After(now) {
			p.Add("expiresAt", "must be in the future")
		}
		k.ExpiresAt = &t
	}
	if err := p.Err(); err != nil {
		return NewKey{}, err
	}
	u, err := s.Users.userInScope(ctx, id, userID)
	if err != nil {
		return NewKey{}, err
	}
	k.UserID, k.Role, k.PartnerID, k.TenantID = u.ID, u.Role, u.PartnerID, u.TenantID
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return NewKey{}, fmt.Errorf("key entropy: %w", err)
	}
	secret := APIKeyPrefix + strings.ToLower(strings.TrimPrefix(k.ID, PrefixAPIKey)) + "_" + base64.RawURLEncoding.EncodeToString(raw[:])
	k.Hash = hashKey(secret)
	k.Hint = secret[:len(APIKeyPrefix)+8]
	ctx = auditor{s.Clock, s.IDs}.audit(ctx, "apikey.create", k.ID, tenancy.Scope{PartnerID: k.PartnerID, TenantID: k.TenantID}, nil, k.auditFields())
	if err := s.Keys.CreateAPIKey(ctx, k); err != nil {
		return NewKey{}, fmt.Errorf("create api key: %w", err)
	}
	return NewKey{APIKey: k, Secret: secret}, nil
}

// Revoke revokes a key the caller manages; ENOTFOUND otherwise.
func (s *APIKeyService) Revoke(ctx context.Context, keyID string) error {
	id, err := caller(ctx)
	if err != nil {
		return err
	}
	if err := tenantUser(id, "", true); err != nil {
		return err
	}
	notFound := Errorf(ENOTFOUND, "API key %s not found", keyID)
	if !ValidID(PrefixAPIKey, keyID) {
		return notFound
	}
	k, err := s.Keys.GetAPIKey(ctx, keyID)
	if err != nil {
		return err
	}
	mine := k.UserID == id.UserID
	partners := id.Role == tenancy.RolePartnerAdmin && k.PartnerID == id.PartnerID
	tenants := id.Role == tenancy.RoleCustomerAdmin && k.PartnerID == id.PartnerID && k.TenantID == id.TenantID
	if !mine && !partners && !tenants && id.Role != tenancy.RoleSuperAdmin {
		return notFound
	}
	if k.RevokedAt != nil {
		return nil // revoked already: nothing changes
	}
	now := s.Clock()
	after := k
	after.RevokedAt = &now
	ctx = auditor{s.Clock, s.IDs}.audit(ctx, "apikey.revoke", k.ID, tenancy.Scope{PartnerID: k.PartnerID, TenantID: k.TenantID}, k.auditFields(), after.auditFields())
	return s.Keys.RevokeAPIKey(ctx, keyID, now)
}

// Authenticate resolves a presented key to its identity, with the tenant's
// access level and status for customer users. EUNAUTHORIZED for malformed,
// unknown, wrong, revoked or expired keys, without saying which.
func (s *APIKeyService) Authenticate(ctx context.Context, secret string) (tenancy.Identity, error) {
	deny := Errorf(EUNAUTHORIZED, "invalid API key")
	if len(secret) != apiKeyLength || !strings.HasPrefix(secret, APIKeyPrefix) || secret[len(APIKeyPrefix)+26] != '_' {
		return tenancy.Identity{}, deny
	}
	keyID := PrefixAPIKey + strings.ToUpper(secret[len(APIKeyPrefix):len(APIKeyPrefix)+26])
	if !ValidID(PrefixAPIKey, keyID) {
		return tenancy.Identity{}, deny
	}
	k, err := s.Keys.GetAPIKey(ctx, keyID)
	if ErrorCode(err) == ENOTFOUND {
		return tenancy.Identity{}, deny
	}
	if err != nil {
		return tenancy.Identity{}, err
	}
	now := s.Clock()
	if subtle.ConstantTimeCompare([]byte(hashKey(secret)), []byte(k.Hash)) != 1 ||
		k.RevokedAt != nil || (k.ExpiresAt != nil && !now.Before(*k.ExpiresAt)) {
		return tenancy.Identity{}, deny
	}
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= lastUsedGranularity {
		if err := s.Keys.TouchAPIKey(ctx, k.ID, now, lastUsedGranularity); err != nil {
			return tenancy.Identity{}, fmt.Errorf("touch api key: %w", err)
		}
	}
	id := k.Identity()
	return withTenantState(ctx, s.Customers, id, deny)
}

// withTenantState adds a customer user's tenant access level and status
// to id, read as the request is authenticated; deny when the tenant is
// gone. Other roles' identities are returned as they are.
func withTenantState(ctx context.Context, customers CustomerStore, id tenancy.Identity, deny error) (tenancy.Identity, error) {
	if !id.Role.IsCustomerRole() {
		return id, nil
	}
	c, err := customers.GetCustomer(ctx, id.Scope(), id.TenantID)
	if ErrorCode(err) == ENOTFOUND {
		return tenancy.Identity{}, deny
	}
	if err != nil {
		return tenancy.Identity{}, err
	}
	id.TenantAccess, id.TenantStatus = string(c.AccessLevel), string(c.Status)
	return id, nil
}

func hashKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

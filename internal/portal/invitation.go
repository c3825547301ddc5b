package portal

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/partnerportal/portal/internal/tenancy"
)

// An invitation token reads "ppi_" + the user's ULID (lower case) + "_" +
// 32 random bytes in base64url, like an API key: the ULID finds the user
// with one GetItem, and only the SHA-256 of the whole token is stored (on
// the user).
const (
	InvitationPrefix = "ppi_"
	// InvitationLifetime is how long an invitation to set a password is valid.
	InvitationLifetime = 7 * 24 * time.Hour
)

// Invitation is an invitation to set a password, as shown exactly once to
// whoever created it (to pass on to the user).
type Invitation struct {
	Token     string
	ExpiresAt time.Time
}

// newInvitation returns a new invitation for the user userID made at now,
// and the hash of its token to store.
func newInvitation(userID string, now time.Time) (Invitation, string, error) {
	token, err := newToken(InvitationPrefix, PrefixUser, userID)
	if err != nil {
		return Invitation{}, "", err
	}
	return Invitation{Token: token, ExpiresAt: now.Add(InvitationLifetime)}, hashKey(token), nil
}

// Invite issues a new invitation (valid InvitationLifetime) to set a
// password for a user the caller manages, on the same terms as issuing
// API keys: super admins any user, partner admins their partner's and its
// customers' users, customer admins with full access their tenant's users,
// anyone itself with an API key. It replaces the user's previous
// invitation; a user who has a password keeps it until the invitation is
// accepted. ENOTFOUND for users out of scope; EFORBIDDEN for customer
// users without full access, and for a browser session inviting its own
// user (a stolen session must not be able to set a new password and keep
// the account).
func (s *UserService) Invite(ctx context.Context, userID string) (Invitation, error) {
	id, err := caller(ctx)
	if err != nil {
		return Invitation{}, err
	}
	if err := tenantUser(id, "", true); err != nil {
		return Invitation{}, err
	}
	if userID == id.UserID && id.SessionID != "" {
		return Invitation{}, Errorf(EFORBIDDEN, "a browser session cannot invite its own user to set a new password: ask an administrator, or use an API key")
	}
	u, err := s.userInScope(ctx, id, userID)
	if err != nil {
		return Invitation{}, err
	}
	now := s.Clock()
	inv, hash, err := newInvitation(u.ID, now)
	if err != nil {
		return Invitation{}, err
	}
	ctx = auditor{s.Clock, s.IDs}.audit(ctx, "user.invite", u.ID, tenancy.Scope{PartnerID: u.PartnerID, TenantID: u.TenantID},
		map[string]any{"invitationExpiresAt": u.InvitationExpiresAt}, map[string]any{"invitationExpiresAt": inv.ExpiresAt})
	if err := s.Users.SetUserInvitation(ctx, u, hash, inv.ExpiresAt); err != nil {
		return Invitation{}, fmt.Errorf("invite user %s: %w", u.ID, err)
	}
	return inv, nil
}

// newToken returns prefix + the ULID of id (an idPrefix ID) in lower case +
// "_" + 32 random bytes in base64url.
func newToken(prefix, idPrefix, id string) (string, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("token entropy: %w", err)
	}
	return prefix + strings.ToLower(strings.TrimPrefix(id, idPrefix)) + "_" + base64.RawURLEncoding.EncodeToString(raw[:]), nil
}

// tokenLength is the length of every token newToken makes.
const tokenLength = ulid.EncodedSize + 1 + 43

// tokenID returns the idPrefix ID a token made by newToken(prefix, idPrefix, …)
// names, and false when token is not of that form.
func tokenID(token, prefix, idPrefix string) (string, bool) {
	rest, ok := strings.CutPrefix(token, prefix)
	if !ok || len(rest) != tokenLength || rest[ulid.EncodedSize] != '_' {
		return "", false
	}
	id := idPrefix + strings.ToUpper(rest[:ulid.EncodedSize])
	if !ValidID(idPrefix, id) {
		return "", false
	}
	if _, err := base64.RawURLEncoding.DecodeString(rest[ulid.EncodedSize+1:]); err != nil {
		return "", false
	}
	return id, true
}

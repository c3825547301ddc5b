package dynamo_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// attrStrings returns every string inside an attribute value.
func attrStrings(av types.AttributeValue) []string {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return []string{v.Value}
	case *types.AttributeValueMemberB:
		return []string{string(v.Value)}
	case *types.AttributeValueMemberSS:
		return v.Value
	case *types.AttributeValueMemberL:
		var out []string
		for _, x := range v.Value {
			out = append(out, attrStrings(x)...)
		}
		return out
	case *types.AttributeValueMemberM:
		var out []string
		for k, x := range v.Value {
			out = append(out, k)
			out = append(out, attrStrings(x)...)
		}
		return out
	}
	return nil
}

// randomAt is where the random part of a key starts: after "pp_", the
// 26-character key ID and "_". The random part is base64url and may itself
// contain "_".
const randomAt = len("pp_") + 26 + 1

func TestAPIKeys(t *testing.T) {
	e := newEnv(t)
	keys := e.services(e.ids).APIKeys

	// A partner admin who issues keys for itself.
	owner := newUser(e, e.ids.New(portal.PrefixPartner), "owner@example.com", tenancy.RolePartnerAdmin)
	mustOK(t, "create owner", e.store.CreateUser(e.ctx, owner))
	ctx := e.as(owner.Identity(""))
	issue := func(t *testing.T, in portal.APIKeyInput) portal.NewKey {
		t.Helper()
		k, err := keys.Issue(ctx, owner.ID, in)
		mustOK(t, "issue", err)
		return k
	}
	authenticate := func(secret string) (tenancy.Identity, error) {
		return keys.Authenticate(e.ctx, secret)
	}

	t.Run("OnlyTheHashOfTheSecretIsStored", func(t *testing.T) {
		k := issue(t, portal.APIKeyInput{Name: ptr("ci")})
		if !strings.HasPrefix(k.Secret, "pp_") {
			t.Fatalf("secret %q does not start with pp_", k.Secret)
		}
		item := e.rawItem(t, "APIKEY#"+k.ID, "APIKEY")
		if item == nil {
			t.Fatalf("no item for key %s", k.ID)
		}
		random := k.Secret[randomAt:]
		for name, av := range item {
			for _, s := range attrStrings(av) {
				if strings.Contains(s, k.Secret) || strings.Contains(s, random[:12]) {
					t.Fatalf("attribute %s holds the secret: %q", name, s)
				}
			}
		}
		sum := sha256.Sum256([]byte(k.Secret))
		if h, ok := item["hash"].(*types.AttributeValueMemberS); !ok || h.Value != hex.EncodeToString(sum[:]) {
			t.Fatalf("hash attribute = %#v, want the SHA-256 of the secret", item["hash"])
		}
		stored, err := e.store.GetAPIKey(e.ctx, k.ID)
		mustOK(t, "get key", err)
		if stored.UserID != owner.ID || stored.PartnerID != owner.PartnerID || stored.Role != owner.Role || stored.Name != "ci" {
			t.Fatalf("stored key = %+v, want it to belong to %+v", stored, owner)
		}
	})

	t.Run("AuthenticateReturnsTheIdentity", func(t *testing.T) {
		k := issue(t, portal.APIKeyInput{})
		id, err := authenticate(k.Secret)
		mustOK(t, "authenticate", err)
		if got, want := id, owner.Identity(k.ID); got != want {
			t.Fatalf("identity = %+v, want %+v", got, want)
		}
	})

	t.Run("WrongSecretsAreUnauthorized", func(t *testing.T) {
		k := issue(t, portal.APIKeyInput{})
		other := issue(t, portal.APIKeyInput{})
		right := k.Secret
		cut := randomAt
		wrongTail := right[:cut] + other.Secret[cut:]
		last := byte('A')
		if right[len(right)-1] == last {
			last = 'B'
		}
		flipped := right[:len(right)-1] + string(last)
		for name, secret := range map[string]string{
			"AnotherKeysRandomPart": wrongTail,
			"OneCharacterChanged":   flipped,
			"Truncated":             right[:len(right)-1],
			"Empty":                 "",
			"UnknownKeyID":          "pp_" + strings.ToLower(strings.TrimPrefix(e.ids.New(portal.PrefixAPIKey), portal.PrefixAPIKey)) + right[randomAt-1:],
		} {
			t.Run(name, func(t *testing.T) {
				_, err := authenticate(secret)
				wantCode(t, "authenticate", err, portal.EUNAUTHORIZED)
			})
		}
		_, err := authenticate(right)
		mustOK(t, "the right secret still works", err)
	})

	t.Run("RevokedKeysAreUnauthorized", func(t *testing.T) {
		k := issue(t, portal.APIKeyInput{})
		mustOK(t, "revoke", keys.Revoke(ctx, k.ID))
		_, err := authenticate(k.Secret)
		wantCode(t, "authenticate revoked", err, portal.EUNAUTHORIZED)

		first, err := e.store.GetAPIKey(e.ctx, k.ID)
		mustOK(t, "get", err)
		if first.RevokedAt == nil || !first.RevokedAt.Equal(ms(e.clock.Now())) {
			t.Fatalf("revokedAt = %v, want %v", first.RevokedAt, e.clock.Now())
		}
		e.clock.Advance(time.Hour)
		mustOK(t, "revoke again", keys.Revoke(ctx, k.ID))
		again, err := e.store.GetAPIKey(e.ctx, k.ID)
		mustOK(t, "get", err)
		if !again.RevokedAt.Equal(*first.RevokedAt) {
			t.Fatalf("revokedAt after the second revoke = %v, want the first time %v", again.RevokedAt, first.RevokedAt)
		}
	})

	t.Run("RevokingAnUnknownKeyIsNotFound", func(t *testing.T) {
		wantCode(t, "revoke unknown", keys.Revoke(ctx, e.ids.New(portal.PrefixAPIKey)), portal.ENOTFOUND)
		wantCode(t, "store revoke unknown", e.store.RevokeAPIKey(e.ctx, e.ids.New(portal.PrefixAPIKey), e.clock.Now()), portal.ENOTFOUND)
	})

	t.Run("ExpiredKeysAreUnauthorized", func(t *testing.T) {
		k := issue(t, portal.APIKeyInput{ExpiresAt: ptr(e.clock.Now().Add(time.Hour))})
		_, err := authenticate(k.Secret)
		mustOK(t, "authenticate before expiry", err)
		e.clock.Advance(time.Hour - time.Millisecond)
		_, err = authenticate(k.Secret)
		mustOK(t, "authenticate a millisecond before expiry", err)
		e.clock.Advance(time.Millisecond)
		_, err = authenticate(k.Secret)
		wantCode(t, "authenticate at expiry", err, portal.EUNAUTHORIZED)
	})

	t.Run("LastUseIsRecordedAtMostOncePerMinute", func(t *testing.T) {
		k := issue(t, portal.APIKeyInput{})
		use := func(t *testing.T) (updates int) {
			t.Helper()
			mctx, m := e.measure(e.ctx)
			_, err := keys.Authenticate(mctx, k.Secret)
			mustOK(t, "authenticate", err)
			if got := count(m, "GetItem"); got != 1 {
				t.Fatalf("GetItem calls = %d, want 1", got)
			}
			return count(m, "UpdateItem")
		}
		lastUsed := func(t *testing.T) *time.Time {
			t.Helper()
			got, err := e.store.GetAPIKey(e.ctx, k.ID)
			mustOK(t, "get", err)
			return got.LastUsedAt
		}
		if lastUsed(t) != nil {
			t.Fatal("a new key has a lastUsedAt")
		}
		start := e.clock.Now()
		if got, want := use(t), 1; got != want {
			t.Fatalf("first use: UpdateItem calls = %d, want %d", got, want)
		}
		if got := lastUsed(t); got == nil || !got.Equal(ms(start)) {
			t.Fatalf("lastUsedAt = %v, want %v", got, start)
		}
		for _, d := range []time.Duration{time.Second, 30 * time.Second, 28 * time.Second} {
			e.clock.Advance(d)
			if got, want := use(t), 0; got != want {
				t.Fatalf("use %v after the first: UpdateItem calls = %d, want %d", e.clock.Now().Sub(start), got, want)
			}
		}
		if got := lastUsed(t); got == nil || !got.Equal(ms(start)) {
			t.Fatalf("lastUsedAt within the minute = %v, want %v (not rewritten)", got, start)
		}
		e.clock.Advance(2 * time.Second) // 61s after the first use
		if got, want := use(t), 1; got != want {
			t.Fatalf("use after a minute: UpdateItem calls = %d, want %d", got, want)
		}
		if got, want := lastUsed(t), ms(e.clock.Now()); got == nil || !got.Equal(want) {
			t.Fatalf("lastUsedAt after a minute = %v, want %v", got, want)
		}
	})

	t.Run("TouchDoesNotRewriteWithinTheGranularity", func(t *testing.T) {
		k := issue(t, portal.APIKeyInput{})
		t0 := e.clock.Now()
		mustOK(t, "touch", e.store.TouchAPIKey(e.ctx, k.ID, t0, time.Minute))
		mustOK(t, "touch again", e.store.TouchAPIKey(e.ctx, k.ID, t0.Add(59*time.Second), time.Minute))
		got, err := e.store.GetAPIKey(e.ctx, k.ID)
		mustOK(t, "get", err)
		if got.LastUsedAt == nil || !got.LastUsedAt.Equal(ms(t0)) {
			t.Fatalf("lastUsedAt = %v, want %v", got.LastUsedAt, t0)
		}
	})

	t.Run("KeysOfAnotherPartnersUserCannotBeIssuedOrRevoked", func(t *testing.T) {
		stranger := newUser(e, e.ids.New(portal.PrefixPartner), "stranger@example.com", tenancy.RolePartnerAdmin)
		mustOK(t, "create stranger", e.store.CreateUser(e.ctx, stranger))
		_, err := keys.Issue(ctx, stranger.ID, portal.APIKeyInput{})
		wantCode(t, "issue for another partner's user", err, portal.ENOTFOUND)
		theirs, err := keys.Issue(e.as(stranger.Identity("")), stranger.ID, portal.APIKeyInput{})
		mustOK(t, "stranger issues its own key", err)
		wantCode(t, "revoke another partner's key", keys.Revoke(ctx, theirs.ID), portal.ENOTFOUND)
		_, err = authenticate(theirs.Secret)
		mustOK(t, "the stranger's key still works", err)
	})
}

package portal_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/dynamo"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/services"
	"github.com/partnerportal/portal/internal/tenancy"
)

// The exact messages people see; the console shows them as they are.
const (
	msgBadCredentials    = "the e-mail address or password is incorrect"
	msgLocked            = "too many failed sign-ins: try again in 15 minutes"
	msgInvalidInvitation = "the invitation link is invalid or has expired"
	goodPassword         = "correct horse battery staple"
)

func TestPasswordHash(t *testing.T) {
	t.Run("RoundTripWithOWASPParameters", func(t *testing.T) {
		phc, err := portal.HashPassword(goodPassword)
		must(t, err)
		const params = "$argon2id$v=19$m=19456,t=2,p=1$"
		if !strings.HasPrefix(phc, params) {
			t.Fatalf("hash = %q, want it to start %q", phc, params)
		}
		parts := strings.Split(strings.TrimPrefix(phc, params), "$")
		if len(parts) != 2 {
			t.Fatalf("hash = %q, want <salt>$<key> after the parameters", phc)
		}
		salt, err := base64.RawStdEncoding.DecodeString(parts[0])
		must(t, err)
		key, err := base64.RawStdEncoding.DecodeString(parts[1])
		must(t, err)
		if got, want := len(salt), 16; got != want {
			t.Fatalf("salt = %d bytes, want %d", got, want)
		}
		if got, want := len(key), 32; got != want {
			t.Fatalf("key = %d bytes, want %d", got, want)
		}
		if !portal.VerifyPassword(phc, goodPassword) {
			t.Fatal("VerifyPassword(hash, the password) = false, want true")
		}
		for _, wrong := range []string{"", "correct horse battery stapl", "Correct horse battery staple", goodPassword + " "} {
			if portal.VerifyPassword(phc, wrong) {
				t.Fatalf("VerifyPassword(hash, %q) = true, want false", wrong)
			}
		}
	})

	t.Run("EachHashHasItsOwnSalt", func(t *testing.T) {
		a, err := portal.HashPassword(goodPassword)
		must(t, err)
		b, err := portal.HashPassword(goodPassword)
		must(t, err)
		if a == b {
			t.Fatalf("two hashes of one password are equal: %q", a)
		}
	})

	// The parameters come from the stored string, so raising them later
	// keeps old hashes working.
	t.Run("ParametersAreReadFromTheHash", func(t *testing.T) {
		salt := []byte("0123456789abcdef")
		key := argon2.IDKey([]byte(goodPassword), salt, 3, 8*1024, 2, 24)
		phc := fmt.Sprintf("$argon2id$v=19$m=8192,t=3,p=2$%s$%s", base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
		if !portal.VerifyPassword(phc, goodPassword) {
			t.Fatalf("VerifyPassword(%q) = false, want true", phc)
		}
		if portal.VerifyPassword(strings.Replace(phc, "t=3", "t=2", 1), goodPassword) {
			t.Fatal("a hash with other parameters verified")
		}
	})

	t.Run("MalformedHashesNeverVerify", func(t *testing.T) {
		phc, err := portal.HashPassword(goodPassword)
		must(t, err)
		for _, bad := range []string{
			"", goodPassword, strings.Replace(phc, "argon2id", "argon2i", 1), strings.Replace(phc, "v=19", "v=16", 1),
			strings.Replace(phc, "m=19456", "m=999999999", 1), phc[:strings.LastIndexByte(phc, '$')], phc + "$x",
		} {
			if portal.VerifyPassword(bad, goodPassword) {
				t.Fatalf("VerifyPassword(%q) = true, want false", bad)
			}
		}
	})
}

// signInWorld is the services on a fresh table with a clock the test moves.
type signInWorld struct {
	store *dynamo.Store
	svc   *services.Services
	clock *movingClock
}

// movingClock is a portal.Clock that only moves when told.
type movingClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *movingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *movingClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newSignInWorld(t *testing.T) *signInWorld {
	t.Helper()
	store := ddbtest.NewStore(t)
	clock := &movingClock{now: ddbtest.Now}
	w := &signInWorld{store: store, svc: services.New(store, ddbtest.Secret, clock.Now, &ddbtest.SeqIDs{}), clock: clock}
	must(t, store.CreatePartner(context.Background(), portal.Partner{
		ID: ddbtest.PartnerA, Name: "Partner A", ContactEmail: "ops@a.example", Status: "active", CreatedAt: ddbtest.Now, UpdatedAt: ddbtest.Now, Version: 1,
	}))
	return w
}

// invite creates a partner member of partner A with e-mail address email.
func (w *signInWorld) invite(t *testing.T, email string) portal.NewUser {
	t.Helper()
	nu, err := w.svc.Users.Create(as(ddbtest.AdminA), portal.UserInput{Email: ptr(email), Role: ptr(tenancy.RolePartnerMember)})
	must(t, err)
	return nu
}

// person creates a partner member with e-mail address email who has set
// goodPassword.
func (w *signInWorld) person(t *testing.T, email string) portal.User {
	t.Helper()
	nu := w.invite(t, email)
	ns, err := w.svc.Sessions.AcceptInvitation(context.Background(), nu.Invitation.Token, goodPassword)
	must(t, err)
	return ns.User
}

// wantError fails unless err has the domain code and message given.
func wantError(t *testing.T, err error, wantCode, wantMessage string) {
	t.Helper()
	if code(err) != wantCode || portal.ErrorMessage(err) != wantMessage {
		t.Fatalf("error = %v, want %s: %q", err, wantCode, wantMessage)
	}
}

func TestInvitation(t *testing.T) {
	w := newSignInWorld(t)
	ctx := context.Background()

	t.Run("InviteAcceptSignIn", func(t *testing.T) {
		nu := w.invite(t, "Ann@Partner.Example")
		inv := nu.Invitation
		if want := "ppi_" + strings.ToLower(strings.TrimPrefix(nu.ID, portal.PrefixUser)) + "_"; !strings.HasPrefix(inv.Token, want) || len(inv.Token) != len(want)+43 {
			t.Fatalf("token = %q, want %s + 43 base64url characters", inv.Token, want)
		}
		if got, want := inv.ExpiresAt, ddbtest.Now.Add(7*24*time.Hour); !got.Equal(want) {
			t.Fatalf("expiresAt = %v, want %v (7 days)", got, want)
		}
		stored, err := w.store.GetUser(ctx, tenancy.Scope{}, nu.ID)
		must(t, err)
		sum := sha256.Sum256([]byte(inv.Token))
		if got, want := stored.InvitationHash, hex.EncodeToString(sum[:]); got != want {
			t.Fatalf("stored invitation hash = %q, want the token's SHA-256 %q", got, want)
		}

		greeted, err := w.svc.Sessions.InvitedUser(ctx, inv.Token)
		must(t, err)
		if greeted.ID != nu.ID || greeted.Email != "Ann@partner.example" {
			t.Fatalf("invited user = %+v, want %s", greeted, nu.ID)
		}

		ns, err := w.svc.Sessions.AcceptInvitation(ctx, inv.Token, goodPassword)
		must(t, err)
		if ns.UserID != nu.ID || ns.User.ID != nu.ID || ns.Token == "" {
			t.Fatalf("session = %+v, want one of %s with a token", ns, nu.ID)
		}
		stored, err = w.store.GetUser(ctx, tenancy.Scope{}, nu.ID)
		must(t, err)
		if !portal.VerifyPassword(stored.PasswordHash, goodPassword) || stored.InvitationHash != "" || stored.InvitationExpiresAt != nil {
			t.Fatalf("stored user = %+v, want the password's hash and no invitation", stored)
		}
		entries, _, err := w.store.ListAudit(ctx, portal.AuditQuery{PartnerID: ddbtest.PartnerA, Action: "user.password_set", Limit: 10}, nil)
		must(t, err)
		if len(entries) != 1 || entries[0].TargetID != nu.ID || entries[0].ActorID != nu.ID {
			t.Fatalf("user.password_set entries = %+v, want one by and about %s", entries, nu.ID)
		}

		signedIn, err := w.svc.Sessions.SignIn(ctx, "ann@partner.example", goodPassword)
		must(t, err)
		if signedIn.UserID != nu.ID {
			t.Fatalf("signed in as %s, want %s", signedIn.UserID, nu.ID)
		}
	})

	t.Run("ANewPasswordEndsTheOtherSessions", func(t *testing.T) {
		w := newSignInWorld(t) // its own table: the invitations here are not the audit the next tests count
		nu := w.invite(t, "reset@partner.example")
		first, err := w.svc.Sessions.AcceptInvitation(context.Background(), nu.Invitation.Token, "the first long password")
		if err != nil {
			t.Fatal(err)
		}
		again, err := w.svc.Sessions.SignIn(context.Background(), "reset@partner.example", "the first long password")
		if err != nil {
			t.Fatal(err)
		}
		inv, err := w.svc.Users.Invite(as(ddbtest.AdminA), nu.ID)
		if err != nil {
			t.Fatal(err)
		}
		latest, err := w.svc.Sessions.AcceptInvitation(context.Background(), inv.Token, "the second long password")
		if err != nil {
			t.Fatal(err)
		}
		for _, old := range []portal.NewSession{first, again} {
			_, err := w.svc.Sessions.Authenticate(context.Background(), old.Token)
			wantCode(t, err, portal.EUNAUTHORIZED)
		}
		if _, err := w.svc.Sessions.Authenticate(context.Background(), latest.Token); err != nil {
			t.Fatalf("the session of the new password: %v", err)
		}
	})

	t.Run("AnInvitationWorksOnce", func(t *testing.T) {
		nu := w.invite(t, "once@partner.example")
		_, err := w.svc.Sessions.AcceptInvitation(ctx, nu.Invitation.Token, goodPassword)
		must(t, err)
		_, err = w.svc.Sessions.AcceptInvitation(ctx, nu.Invitation.Token, "another long password")
		wantError(t, err, portal.EUNAUTHORIZED, msgInvalidInvitation)
		_, err = w.svc.Sessions.InvitedUser(ctx, nu.Invitation.Token)
		wantError(t, err, portal.EUNAUTHORIZED, msgInvalidInvitation)
		if _, err := w.svc.Sessions.SignIn(ctx, "once@partner.example", "another long password"); code(err) != portal.EUNAUTHORIZED {
			t.Fatalf("sign-in with the second password: %v, want refused", err)
		}
	})

	t.Run("ConcurrentAcceptsOneWins", func(t *testing.T) {
		nu := w.invite(t, "race@partner.example")
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = w.svc.Sessions.AcceptInvitation(ctx, nu.Invitation.Token, fmt.Sprintf("password number %d", i))
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch code(err) {
			case "":
				ok++
			case portal.EUNAUTHORIZED:
			default:
				t.Fatalf("accept: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d accepts succeeded (%v), want exactly 1", ok, errs)
		}
	})

	t.Run("ExpiredInvitation", func(t *testing.T) {
		w := newSignInWorld(t)
		nu := w.invite(t, "late@partner.example")
		w.clock.Advance(7*24*time.Hour - time.Millisecond)
		_, err := w.svc.Sessions.InvitedUser(ctx, nu.Invitation.Token)
		must(t, err)
		w.clock.Advance(time.Millisecond)
		_, err = w.svc.Sessions.InvitedUser(ctx, nu.Invitation.Token)
		wantError(t, err, portal.EUNAUTHORIZED, msgInvalidInvitation)
		_, err = w.svc.Sessions.AcceptInvitation(ctx, nu.Invitation.Token, goodPassword)
		wantError(t, err, portal.EUNAUTHORIZED, msgInvalidInvitation)
	})

	t.Run("MalformedAndForgedTokens", func(t *testing.T) {
		nu := w.invite(t, "forged@partner.example")
		tok := nu.Invitation.Token
		for _, bad := range []string{"", "ppi_", tok[:len(tok)-1], tok + "A", strings.Replace(tok, "ppi_", "pps_", 1),
			tok[:len(tok)-1] + map[bool]string{true: "B", false: "A"}[tok[len(tok)-1] == 'A']} {
			_, err := w.svc.Sessions.InvitedUser(ctx, bad)
			wantError(t, err, portal.EUNAUTHORIZED, msgInvalidInvitation)
		}
	})

	t.Run("PasswordRule", func(t *testing.T) {
		nu := w.invite(t, "rules@partner.example")
		for pw, want := range map[string]string{
			"elevenchars":            "must be at least 12 characters",
			strings.Repeat("p", 129): "must be at most 128 characters",
			"RULES@partner.example":  "must not be your e-mail address",
		} {
			ctx, m := dynamo.WithMeter(ctx)
			_, err := w.svc.Sessions.AcceptInvitation(ctx, nu.Invitation.Token, pw)
			if got := fields(t, err)["password"]; got != want {
				t.Fatalf("password %q: reason %q, want %q", pw, got, want)
			}
			wantNoWrites(t, m)
		}
		for _, pw := range []string{"twelve chars", strings.Repeat("ü", 128)} {
			nu := w.invite(t, fmt.Sprintf("ok%d@partner.example", len(pw)))
			if _, err := w.svc.Sessions.AcceptInvitation(ctx, nu.Invitation.Token, pw); err != nil {
				t.Fatalf("password of %d characters: %v, want accepted", len([]rune(pw)), err)
			}
		}
	})

	t.Run("InviteReplacesThePreviousInvitation", func(t *testing.T) {
		nu := w.invite(t, "again@partner.example")
		inv, err := w.svc.Users.Invite(as(ddbtest.AdminA), nu.ID)
		must(t, err)
		if inv.Token == nu.Invitation.Token {
			t.Fatal("Invite returned the previous token")
		}
		_, err = w.svc.Sessions.InvitedUser(ctx, nu.Invitation.Token)
		wantError(t, err, portal.EUNAUTHORIZED, msgInvalidInvitation)
		if _, err := w.svc.Sessions.AcceptInvitation(ctx, inv.Token, goodPassword); err != nil {
			t.Fatalf("accept the new invitation: %v", err)
		}
		entries, _, err := w.store.ListAudit(ctx, portal.AuditQuery{PartnerID: ddbtest.PartnerA, Action: "user.invite", Limit: 10}, nil)
		must(t, err)
		if len(entries) != 1 || entries[0].TargetID != nu.ID || entries[0].ActorID != ddbtest.AdminA.UserID {
			t.Fatalf("user.invite entries = %+v, want one by the admin about %s", entries, nu.ID)
		}
	})

	t.Run("InviteOnlyUsersTheCallerManages", func(t *testing.T) {
		nu := w.invite(t, "managed@partner.example")
		other := tenancy.Identity{UserID: "usr_00000000000000000000000BB1", Role: tenancy.RolePartnerAdmin, PartnerID: ddbtest.PartnerB}
		ctx, m := dynamo.WithMeter(as(other))
		_, err := w.svc.Users.Invite(ctx, nu.ID)
		wantCode(t, err, portal.ENOTFOUND)
		wantNoWrites(t, m)
		member := nu.Identity("")
		_, err = w.svc.Users.Invite(as(member), ddbtest.AdminA.UserID)
		wantCode(t, err, portal.ENOTFOUND)
	})

	t.Run("ASessionCannotInviteItsOwnUser", func(t *testing.T) {
		nu := w.invite(t, "self@partner.example")
		withKey := nu.Identity("key_00000000000000000000000SE1")
		if _, err := w.svc.Users.Invite(as(withKey), nu.ID); err != nil {
			t.Fatalf("inviting oneself with an API key: %v", err)
		}
		inSession := nu.Identity("")
		inSession.SessionID = "ses_00000000000000000000000SE1"
		ctx, m := dynamo.WithMeter(as(inSession))
		_, err := w.svc.Users.Invite(ctx, nu.ID)
		wantCode(t, err, portal.EFORBIDDEN)
		wantNoWrites(t, m)
	})
}

func TestSignIn(t *testing.T) {
	w := newSignInWorld(t)
	ctx := context.Background()
	u := w.person(t, "Bea@Partner.Example")

	t.Run("SessionCarriesTheIdentity", func(t *testing.T) {
		ns, err := w.svc.Sessions.SignIn(ctx, "  bea@PARTNER.example ", goodPassword)
		must(t, err)
		if want := "pps_" + strings.ToLower(strings.TrimPrefix(ns.ID, portal.PrefixSession)) + "_"; !strings.HasPrefix(ns.Token, want) || len(ns.Token) != len(want)+43 {
			t.Fatalf("token = %q, want %s + 43 base64url characters", ns.Token, want)
		}
		if got, want := ns.ExpiresAt, ddbtest.Now.Add(12*time.Hour); !got.Equal(want) {
			t.Fatalf("expiresAt = %v, want %v (12 hours)", got, want)
		}
		if raw, err := base64.RawURLEncoding.DecodeString(ns.CSRFToken); err != nil || len(raw) != 32 {
			t.Fatalf("csrfToken = %q, want 32 random bytes in base64url", ns.CSRFToken)
		}
		stored, err := w.store.GetSession(ctx, ns.ID)
		must(t, err)
		sum := sha256.Sum256([]byte(ns.Token))
		if stored.TokenHash != hex.EncodeToString(sum[:]) || strings.Contains(fmt.Sprint(stored), ns.Token) {
			t.Fatalf("stored session = %+v, want only the token's SHA-256", stored)
		}
		id, err := w.svc.Sessions.Authenticate(ctx, ns.Token)
		must(t, err)
		want := tenancy.Identity{UserID: u.ID, Role: tenancy.RolePartnerMember, PartnerID: ddbtest.PartnerA, SessionID: ns.ID, CSRFToken: ns.CSRFToken}
		if id != want {
			t.Fatalf("identity = %+v, want %+v", id, want)
		}
	})

	t.Run("AuthenticateNeedsOneGetItemAndNoWrite", func(t *testing.T) {
		ns, err := w.svc.Sessions.SignIn(ctx, "bea@partner.example", goodPassword)
		must(t, err)
		mctx, m := dynamo.WithMeter(ctx)
		_, err = w.svc.Sessions.Authenticate(mctx, ns.Token)
		must(t, err)
		for _, c := range m.Calls() {
			if c.Operation != "GetItem" {
				t.Fatalf("calls = %v, want GetItem only (the authorizer may do GetItem and UpdateItem)", m.Calls())
			}
		}
	})

	t.Run("WrongPassword", func(t *testing.T) {
		_, err := w.svc.Sessions.SignIn(ctx, "bea@partner.example", "not the password")
		wantError(t, err, portal.EUNAUTHORIZED, msgBadCredentials)
		must(t, w.store.ClearSignIns(ctx, "bea@partner.example"))
	})

	t.Run("UnknownEmailGetsTheSameAnswer", func(t *testing.T) {
		_, err := w.svc.Sessions.SignIn(ctx, "nobody@partner.example", goodPassword)
		wantError(t, err, portal.EUNAUTHORIZED, msgBadCredentials)
	})

	t.Run("UserWithoutPasswordGetsTheSameAnswer", func(t *testing.T) {
		w.invite(t, "invited@partner.example")
		for _, pw := range []string{goodPassword, "x"} {
			_, err := w.svc.Sessions.SignIn(ctx, "invited@partner.example", pw)
			wantError(t, err, portal.EUNAUTHORIZED, msgBadCredentials)
		}
	})

	t.Run("EmptyFieldsAreNamed", func(t *testing.T) {
		mctx, m := dynamo.WithMeter(ctx)
		_, err := w.svc.Sessions.SignIn(mctx, " ", "")
		f := fields(t, err)
		if f["email"] == "" || f["password"] == "" || len(f) != 2 {
			t.Fatalf("field errors = %v, want email and password", f)
		}
		wantNoWrites(t, m)
	})

	t.Run("ExpiredSession", func(t *testing.T) {
		w := newSignInWorld(t)
		w.person(t, "cy@partner.example")
		ns, err := w.svc.Sessions.SignIn(ctx, "cy@partner.example", goodPassword)
		must(t, err)
		w.clock.Advance(12*time.Hour - time.Millisecond)
		_, err = w.svc.Sessions.Authenticate(ctx, ns.Token)
		must(t, err)
		w.clock.Advance(time.Millisecond)
		_, err = w.svc.Sessions.Authenticate(ctx, ns.Token)
		wantCode(t, err, portal.EUNAUTHORIZED)
	})

	t.Run("WrongMalformedAndUnknownTokens", func(t *testing.T) {
		ns, err := w.svc.Sessions.SignIn(ctx, "bea@partner.example", goodPassword)
		must(t, err)
		last := ns.Token[len(ns.Token)-1]
		flipped := ns.Token[:len(ns.Token)-1] + map[bool]string{true: "B", false: "A"}[last == 'A']
		unknown := "pps_" + strings.ToLower("01ARZ3NDEKTSV4RRFFQ69G5FAV") + ns.Token[len("pps_")+26:]
		for _, bad := range []string{"", "pps_", flipped, unknown, ns.Token + "x", strings.Replace(ns.Token, "pps_", "pp_", 1)} {
			_, err := w.svc.Sessions.Authenticate(ctx, bad)
			wantCode(t, err, portal.EUNAUTHORIZED)
		}
	})

	t.Run("SignOutEndsTheSession", func(t *testing.T) {
		ns, err := w.svc.Sessions.SignIn(ctx, "bea@partner.example", goodPassword)
		must(t, err)
		id, err := w.svc.Sessions.Authenticate(ctx, ns.Token)
		must(t, err)
		must(t, w.svc.Sessions.SignOut(tenancy.WithIdentity(ctx, id)))
		_, err = w.svc.Sessions.Authenticate(ctx, ns.Token)
		wantCode(t, err, portal.EUNAUTHORIZED)
		if _, err := w.store.GetSession(ctx, ns.ID); code(err) != portal.ENOTFOUND {
			t.Fatalf("session after sign-out: %v, want it deleted", err)
		}
	})

	t.Run("SignOutNeedsASession", func(t *testing.T) {
		wantCode(t, w.svc.Sessions.SignOut(ctx), portal.EUNAUTHORIZED)
		wantCode(t, w.svc.Sessions.SignOut(as(ddbtest.AdminA)), portal.EUNAUTHORIZED) // an API key's request
	})

	t.Run("CustomerUserSessionCarriesTenantAccess", func(t *testing.T) {
		c, err := w.svc.Customers.Create(as(ddbtest.AdminA), portal.CustomerInput{Name: ptr("Acme GmbH"), ContactEmail: ptr("ops@acme.example")})
		must(t, err)
		_, err = w.svc.Customers.SetAccess(as(ddbtest.AdminA), c.ID, ptr(portal.AccessReadOnly))
		must(t, err)
		nu, err := w.svc.Users.Create(as(ddbtest.AdminA), portal.UserInput{Email: ptr("it@acme.example"), Role: ptr(tenancy.RoleCustomerViewer), CustomerID: ptr(c.ID)})
		must(t, err)
		ns, err := w.svc.Sessions.AcceptInvitation(ctx, nu.Invitation.Token, goodPassword)
		must(t, err)
		id, err := w.svc.Sessions.Authenticate(ctx, ns.Token)
		must(t, err)
		if id.TenantID != c.ID || id.Role != tenancy.RoleCustomerViewer || id.TenantAccess != "read_only" || id.TenantStatus != string(c.Status) || id.SessionID != ns.ID {
			t.Fatalf("identity = %+v, want customer %s with read_only access and status %s", id, c.ID, c.Status)
		}
	})
}

func TestSignInLockout(t *testing.T) {
	ctx := context.Background()
	fail := func(t *testing.T, w *signInWorld, email string, n int) {
		t.Helper()
		for i := range n {
			_, err := w.svc.Sessions.SignIn(ctx, email, fmt.Sprintf("wrong password %d", i))
			wantError(t, err, portal.EUNAUTHORIZED, msgBadCredentials)
		}
	}

	t.Run("FiveFailuresLockEvenTheRightPassword", func(t *testing.T) {
		w := newSignInWorld(t)
		w.person(t, "dee@partner.example")
		fail(t, w, "dee@partner.example", 5)
		w.clock.Advance(time.Minute)
		_, err := w.svc.Sessions.SignIn(ctx, "DEE@partner.example", goodPassword)
		wantError(t, err, portal.ETOOMANY, msgLocked)

		// Locked for 15 minutes from the fifth failure.
		w.clock.Advance(14*time.Minute - time.Millisecond)
		_, err = w.svc.Sessions.SignIn(ctx, "dee@partner.example", goodPassword)
		wantError(t, err, portal.ETOOMANY, msgLocked)
		w.clock.Advance(time.Millisecond)
		if _, err := w.svc.Sessions.SignIn(ctx, "dee@partner.example", goodPassword); err != nil {
			t.Fatalf("sign-in 15 minutes after the fifth failure: %v, want unlocked", err)
		}
	})

	t.Run("UnknownEmailIsLockedAlike", func(t *testing.T) {
		w := newSignInWorld(t)
		fail(t, w, "ghost@partner.example", 5)
		_, err := w.svc.Sessions.SignIn(ctx, "ghost@partner.example", goodPassword)
		wantError(t, err, portal.ETOOMANY, msgLocked)
	})

	t.Run("FailuresOlderThan15MinutesDoNotCount", func(t *testing.T) {
		w := newSignInWorld(t)
		w.person(t, "eve@partner.example")
		fail(t, w, "eve@partner.example", 4)
		w.clock.Advance(15 * time.Minute)
		fail(t, w, "eve@partner.example", 4)
		if _, err := w.svc.Sessions.SignIn(ctx, "eve@partner.example", goodPassword); err != nil {
			t.Fatalf("sign-in after 4 recent failures: %v, want it to work", err)
		}
	})

	t.Run("SuccessClearsTheFailures", func(t *testing.T) {
		w := newSignInWorld(t)
		w.person(t, "fay@partner.example")
		fail(t, w, "fay@partner.example", 4)
		_, err := w.svc.Sessions.SignIn(ctx, "fay@partner.example", goodPassword)
		must(t, err)
		fail(t, w, "fay@partner.example", 4)
		if _, err := w.svc.Sessions.SignIn(ctx, "fay@partner.example", goodPassword); err != nil {
			t.Fatalf("sign-in after 4 failures since the last success: %v, want it to work", err)
		}
	})

	// Attempts made at once cannot check more than five passwords: each
	// is counted before its password is checked.
	t.Run("ConcurrentAttemptsCheckAtMostFivePasswords", func(t *testing.T) {
		w := newSignInWorld(t)
		w.person(t, "gus@partner.example")
		errs := make([]error, 20)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = w.svc.Sessions.SignIn(ctx, "gus@partner.example", fmt.Sprintf("wrong password %d", i))
			})
		}
		wg.Wait()
		counts := map[string]int{}
		for _, err := range errs {
			counts[code(err)]++
		}
		if counts[portal.EUNAUTHORIZED] != 5 || counts[portal.ETOOMANY] != 15 {
			t.Fatalf("answers = %v, want 5 %s and 15 %s", counts, portal.EUNAUTHORIZED, portal.ETOOMANY)
		}
		_, err := w.svc.Sessions.SignIn(ctx, "gus@partner.example", goodPassword)
		wantError(t, err, portal.ETOOMANY, msgLocked)
	})
}

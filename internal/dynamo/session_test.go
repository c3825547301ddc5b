package dynamo_test

import (
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

// wantTTL fails unless item carries the table's TTL attribute as a Number
// of epoch seconds equal to want.
func wantTTL(t *testing.T, item map[string]types.AttributeValue, want int64) {
	t.Helper()
	v, ok := item[app.AttrTTL].(*types.AttributeValueMemberN)
	if !ok {
		t.Fatalf("%s = %#v, want a Number (the table's TTL attribute)", app.AttrTTL, item[app.AttrTTL])
	}
	if got := v.Value; got != strconv.FormatInt(want, 10) {
		t.Fatalf("%s = %s, want %d", app.AttrTTL, got, want)
	}
}

func TestSessions(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now().Add(1500 * time.Microsecond)
	newSession := func() portal.Session {
		return portal.Session{
			ID: e.ids.New(portal.PrefixSession), UserID: e.ids.New(portal.PrefixUser), Role: tenancy.RoleCustomerAdmin,
			PartnerID: e.ids.New(portal.PrefixPartner), TenantID: e.ids.New(portal.PrefixCustomer),
			TokenHash: "hash", CSRFToken: "csrf", CreatedAt: ms(now), ExpiresAt: ms(now.Add(portal.SessionLifetime)),
		}
	}

	t.Run("CreateGetDelete", func(t *testing.T) {
		s := newSession()
		mustOK(t, "create", e.store.CreateSession(e.ctx, s))
		ctx, m := e.measure(e.ctx)
		got, err := e.store.GetSession(ctx, s.ID)
		mustOK(t, "get", err)
		if got != s {
			t.Fatalf("session = %+v, want %+v", got, s)
		}
		if got, want := ops(m), []string{"GetItem"}; !slices.Equal(got, want) {
			t.Fatalf("calls = %v, want %v (all the authorizer may read with)", got, want)
		}
		wantTTL(t, e.rawItem(t, "SESSION#"+s.ID, "SESSION"), s.ExpiresAt.Unix()+1) // …:00.001 rounds up
		mustOK(t, "delete", e.store.DeleteSession(e.ctx, s.ID))
		_, err = e.store.GetSession(e.ctx, s.ID)
		wantCode(t, "get after delete", err, portal.ENOTFOUND)
		mustOK(t, "delete again", e.store.DeleteSession(e.ctx, s.ID))
	})

	t.Run("TTLOfAWholeSecond", func(t *testing.T) {
		s := newSession()
		s.ExpiresAt = s.ExpiresAt.Truncate(time.Second)
		mustOK(t, "create", e.store.CreateSession(e.ctx, s))
		wantTTL(t, e.rawItem(t, "SESSION#"+s.ID, "SESSION"), s.ExpiresAt.Unix())
	})

	t.Run("DuplicateIDIsAConflict", func(t *testing.T) {
		s := newSession()
		mustOK(t, "create", e.store.CreateSession(e.ctx, s))
		wantCode(t, "create again", e.store.CreateSession(e.ctx, s), portal.ECONFLICT)
	})
}

func TestSignInCounts(t *testing.T) {
	e := newEnv(t)
	const limit = 3
	window := 15 * time.Minute
	reserve := func(t *testing.T, email string, now time.Time) (portal.SignInAttempt, bool) {
		t.Helper()
		a, ok, err := e.store.ReserveSignIn(e.ctx, email, now, window, limit)
		mustOK(t, "reserve", err)
		return a, ok
	}

	t.Run("CountsUpToTheLimitInAWindow", func(t *testing.T) {
		now := e.clock.Now()
		for n := 1; n <= limit; n++ {
			a, ok := reserve(t, "a@example.com", now.Add(time.Duration(n)*time.Minute))
			if !ok || a.N != n || !a.WindowStart.Equal(now.Add(time.Minute)) || a.Email != "a@example.com" {
				t.Fatalf("attempt %d = %+v, %v; want number %d in the window opened at the first", n, a, ok, n)
			}
		}
		if _, ok := reserve(t, "a@example.com", now.Add(5*time.Minute)); ok {
			t.Fatal("an attempt beyond the limit was counted")
		}
		// The window closes window after it opened: a new one opens.
		if a, ok := reserve(t, "a@example.com", now.Add(time.Minute+window)); !ok || a.N != 1 {
			t.Fatalf("attempt after the window = %+v, %v; want number 1 of a new window", a, ok)
		}
		wantTTL(t, e.rawItem(t, "SIGNIN#a@example.com", "SIGNIN"), now.Add(time.Minute+2*window).Unix())
	})

	t.Run("LockOutlastsTheWindow", func(t *testing.T) {
		now := e.clock.Now()
		var last portal.SignInAttempt
		for range limit {
			last, _ = reserve(t, "B@Example.com", now)
		}
		until := now.Add(20 * time.Minute)
		mustOK(t, "lock", e.store.LockSignIns(e.ctx, last, until))
		wantTTL(t, e.rawItem(t, "SIGNIN#b@example.com", "SIGNIN"), until.Unix())
		if _, ok := reserve(t, "b@example.com", until.Add(-time.Millisecond)); ok {
			t.Fatal("an attempt while locked was counted")
		}
		if a, ok := reserve(t, "b@example.com", until); !ok || a.N != 1 {
			t.Fatalf("attempt when the lock ends = %+v, %v; want number 1 of a new window", a, ok)
		}
	})

	t.Run("ClearForgetsCountAndLock", func(t *testing.T) {
		now := e.clock.Now()
		var last portal.SignInAttempt
		for range limit {
			last, _ = reserve(t, "c@example.com", now)
		}
		mustOK(t, "lock", e.store.LockSignIns(e.ctx, last, now.Add(time.Hour)))
		mustOK(t, "clear", e.store.ClearSignIns(e.ctx, "c@example.com"))
		if item := e.rawItem(t, "SIGNIN#c@example.com", "SIGNIN"); item != nil {
			t.Fatalf("item after clear: %v", item)
		}
		// Locking an attempt whose count was cleared does nothing.
		mustOK(t, "lock after clear", e.store.LockSignIns(e.ctx, last, now.Add(time.Hour)))
		if item := e.rawItem(t, "SIGNIN#c@example.com", "SIGNIN"); item != nil {
			t.Fatalf("lock after clear wrote %v", item)
		}
		if a, ok := reserve(t, "c@example.com", now); !ok || a.N != 1 {
			t.Fatalf("attempt after clear = %+v, %v; want number 1", a, ok)
		}
	})

	t.Run("ConcurrentAttemptsEachGetTheirOwnNumber", func(t *testing.T) {
		now := e.clock.Now()
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			numbers []int
		)
		for range 25 {
			wg.Go(func() {
				a, ok, err := e.store.ReserveSignIn(e.ctx, "d@example.com", now, window, limit)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					mu.Lock()
					numbers = append(numbers, a.N)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		slices.Sort(numbers)
		if want := []int{1, 2, 3}; !slices.Equal(numbers, want) {
			t.Fatalf("numbers counted = %v, want %v", numbers, want)
		}
	})
}

func TestUserCredentials(t *testing.T) {
	e := newEnv(t)
	admin := e.newPartnerAdmin()
	exp := e.clock.Now().Add(portal.InvitationLifetime)
	u := newUser(e, admin.PartnerID, "Hal@Example.com", tenancy.RolePartnerMember)
	u.InvitationHash, u.InvitationExpiresAt = "first", &exp
	mustOK(t, "create", e.store.CreateUser(e.ctx, u))

	t.Run("GetByEmailIgnoresCase", func(t *testing.T) {
		got, err := e.store.GetUserByEmail(e.ctx, "hal@EXAMPLE.com")
		mustOK(t, "get", err)
		sameUser(t, got, u)
		_, err = e.store.GetUserByEmail(e.ctx, "nobody@example.com")
		wantCode(t, "unknown", err, portal.ENOTFOUND)
	})

	t.Run("InvitationExpiryIsNotTheTTL", func(t *testing.T) {
		item := e.rawItem(t, "PARTNER#"+admin.PartnerID, "USER#"+u.ID)
		if _, ok := item[app.AttrTTL]; ok {
			t.Fatalf("user item has the TTL attribute %s: DynamoDB would delete the user", app.AttrTTL)
		}
	})

	t.Run("SetInvitationReplacesIt", func(t *testing.T) {
		later := exp.Add(time.Hour)
		mustOK(t, "set", e.store.SetUserInvitation(e.ctx, u, "second", later))
		got, err := e.store.GetUser(e.ctx, tenancy.Scope{}, u.ID)
		mustOK(t, "get", err)
		if got.InvitationHash != "second" || got.InvitationExpiresAt == nil || !got.InvitationExpiresAt.Equal(ms(later)) {
			t.Fatalf("invitation = %q until %v, want second until %v", got.InvitationHash, got.InvitationExpiresAt, later)
		}
		ghost := newUser(e, admin.PartnerID, "ghost@example.com", tenancy.RolePartnerMember)
		wantCode(t, "set on a missing user", e.store.SetUserInvitation(e.ctx, ghost, "x", later), portal.ENOTFOUND)
	})

	t.Run("SetPasswordNeedsTheCurrentInvitation", func(t *testing.T) {
		wantCode(t, "with a replaced invitation", e.store.SetUserPassword(e.ctx, u, "first", "phc", e.clock.Now()), portal.ECONFLICT)
		mustOK(t, "with the current one", e.store.SetUserPassword(e.ctx, u, "second", "phc", e.clock.Now()))
		got, err := e.store.GetUser(e.ctx, tenancy.Scope{}, u.ID)
		mustOK(t, "get", err)
		if got.PasswordHash != "phc" || got.InvitationHash != "" || got.InvitationExpiresAt != nil {
			t.Fatalf("user = %+v, want the password and no invitation", got)
		}
		wantCode(t, "with a used invitation", e.store.SetUserPassword(e.ctx, u, "second", "other", e.clock.Now()), portal.ECONFLICT)
		ghost := newUser(e, admin.PartnerID, "ghost2@example.com", tenancy.RolePartnerMember)
		wantCode(t, "on a missing user", e.store.SetUserPassword(e.ctx, ghost, "x", "phc", e.clock.Now()), portal.ENOTFOUND)
	})
}

package portal

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/partnerportal/portal/internal/tenancy"
)

// A session token reads "pps_" + the session's ULID (lower case) + "_" + 32
// random bytes in base64url, like an API key: the ULID finds the stored
// session with one GetItem, and only the SHA-256 of the whole token is
// stored. Browsers hold it in the SessionCookieName cookie.
const (
	SessionPrefix = "pps_"
	// SessionCookieName is the name of the cookie that carries the token.
	// The __Host- prefix makes browsers accept it only when it is Secure,
	// for Path=/ and without a Domain, so no sibling subdomain can plant
	// one for the console's host.
	SessionCookieName = "__Host-pp_session"
	// SessionLifetime is how long a session lasts from sign-in, however
	// much it is used (an absolute lifetime, not an idle timeout).
	SessionLifetime = 12 * time.Hour
)

// Lockout: after MaxFailedSignIns failed sign-ins for an e-mail address
// within SignInWindow, every sign-in for that address, with the right
// password too, is refused for SignInLockout from the last of them.
// Addresses of no user are counted the same way, so the answer never tells
// whether an address is known.
const (
	MaxFailedSignIns = 5
	SignInWindow     = 15 * time.Minute
	SignInLockout    = 15 * time.Minute
)

// Messages of the sign-in errors; callers may show them as they are.
const (
	msgBadCredentials    = "the e-mail address or password is incorrect"
	msgLocked            = "too many failed sign-ins: try again in 15 minutes"
	msgInvalidInvitation = "the invitation link is invalid or has expired"
)

// Session is a browser session of a signed-in user: never the token
// itself, only its hash.
type Session struct {
	ID        string
	UserID    string
	Role      tenancy.Role
	PartnerID string
	TenantID  string
	TokenHash string // hex SHA-256 of the token
	// CSRFToken is the session's anti-forgery token (32 random bytes in
	// base64url), made at sign-in: requests that change something must
	// present it besides the cookie.
	CSRFToken string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Identity is what a request made in the session is allowed to be
// (without the tenant's access level and status, which Authenticate adds).
func (s Session) Identity() tenancy.Identity {
	return tenancy.Identity{UserID: s.UserID, Role: s.Role, PartnerID: s.PartnerID, TenantID: s.TenantID,
		SessionID: s.ID, CSRFToken: s.CSRFToken}
}

// NewSession is a session as its user gets it, exactly once: with the
// token to keep in the session cookie, and the user signed in.
type NewSession struct {
	Session
	User  User
	Token string
}

// SessionStore persists sessions.
type SessionStore interface {
	// CreateSession stores a new session; ECONFLICT if the ID exists.
	CreateSession(ctx context.Context, s Session) error
	// GetSession returns a session by ID, expired or not; ENOTFOUND if
	// there is none (never created, signed out, or deleted after expiry).
	GetSession(ctx context.Context, id string) (Session, error)
	// DeleteSession deletes a session; deleting one that does not exist
	// is not an error.
	DeleteSession(ctx context.Context, id string) error
	// DeleteUserSessions deletes every session of a user.
	DeleteUserSessions(ctx context.Context, userID string) error
}

// SignInAttempt is an attempt to sign in, counted as failed in advance
// (see SignInStore.ReserveSignIn).
type SignInAttempt struct {
	Email       string    // lower case
	WindowStart time.Time // when the window the attempt is counted in opened
	N           int       // the attempt's number in its window, from 1
}

// SignInStore counts failed sign-ins per e-mail address (lower case,
// whether or not a user has it) and locks addresses. Each method is one
// conditional write, so concurrent attempts are counted exactly.
type SignInStore interface {
	// ReserveSignIn counts an attempt to sign in as email at now as
	// failed before its password is checked, so that concurrent attempts
	// cannot together check more than limit passwords: attempts count in
	// a window that opens with the first attempt after the previous window
	// (window long) has ended. It returns false, counting nothing, when
	// email is locked at now or limit attempts are counted in the open
	// window already.
	ReserveSignIn(ctx context.Context, email string, now time.Time, window time.Duration, limit int) (SignInAttempt, bool, error)
	// LockSignIns locks the e-mail address of attempt until until, unless
	// a successful sign-in cleared its count meanwhile.
	LockSignIns(ctx context.Context, attempt SignInAttempt, until time.Time) error
	// ClearSignIns forgets the counted attempts and any lock of email.
	ClearSignIns(ctx context.Context, email string) error
}

// SessionService signs people in and out and checks their sessions.
type SessionService struct {
	Sessions SessionStore
	Users    UserStore
	SignIns  SignInStore
	// Customers tells a customer user's tenant state at authentication.
	Customers CustomerStore
	Clock     Clock
	IDs       IDs
}

// SignIn checks an e-mail address and password and starts a session
// (SessionLifetime long) for the user. EINVALID names "email" or
// "password" when empty; EUNAUTHORIZED with the message "the e-mail
// address or password is incorrect" for an unknown address, a wrong
// password, a user without a password yet or one not active, all alike;
// ETOOMANY with the message "too many failed sign-ins: try again in 15
// minutes" while the address is locked (see MaxFailedSignIns), whether a
// user has it or not and whatever the password.
func (s *SessionService) SignIn(ctx context.Context, email, password string) (NewSession, error) {
	var p Problems
	email = strings.TrimSpace(email)
	if email == "" {
		p.Add("email", "is required")
	}
	if password == "" {
		p.Add("password", "is required")
	}
	if err := p.Err(); err != nil {
		return NewSession{}, err
	}
	deny := Errorf(EUNAUTHORIZED, msgBadCredentials)
	if len(email) > MaxEmailLength {
		VerifyPassword(dummyPasswordHash, password) // no user has it: answer as slowly as for one
		return NewSession{}, deny
	}
	email = strings.ToLower(email)
	now := s.Clock()
	attempt, ok, err := s.SignIns.ReserveSignIn(ctx, email, now, SignInWindow, MaxFailedSignIns)
	if err != nil {
		return NewSession{}, fmt.Errorf("count sign-in: %w", err)
	}
	if !ok {
		return NewSession{}, Errorf(ETOOMANY, msgLocked)
	}
	u, err := s.Users.GetUserByEmail(ctx, email)
	if err != nil && ErrorCode(err) != ENOTFOUND {
		return NewSession{}, err
	}
	found := err == nil && u.PasswordHash != ""
	hash := dummyPasswordHash
	if found {
		hash = u.PasswordHash
	}
	if !VerifyPassword(hash, password) || !found || u.Status != "active" {
		if attempt.N >= MaxFailedSignIns {
			if err := s.SignIns.LockSignIns(ctx, attempt, now.Add(SignInLockout)); err != nil {
				return NewSession{}, fmt.Errorf("lock sign-ins: %w", err)
			}
		}
		return NewSession{}, deny
	}
	if err := s.SignIns.ClearSignIns(ctx, email); err != nil {
		return NewSession{}, fmt.Errorf("clear sign-ins: %w", err)
	}
	return s.start(ctx, u)
}

// start stores a new session for u.
func (s *SessionService) start(ctx context.Context, u User) (NewSession, error) {
	now := s.Clock()
	sess := Session{ID: s.IDs.New(PrefixSession), UserID: u.ID, Role: u.Role, PartnerID: u.PartnerID, TenantID: u.TenantID,
		CreatedAt: now, ExpiresAt: now.Add(SessionLifetime)}
	token, err := newToken(SessionPrefix, PrefixSession, sess.ID)
	if err != nil {
		return NewSession{}, err
	}
	var csrf [32]byte
	if _, err := rand.Read(csrf[:]); err != nil {
		return NewSession{}, fmt.Errorf("csrf token entropy: %w", err)
	}
	sess.TokenHash, sess.CSRFToken = hashKey(token), base64.RawURLEncoding.EncodeToString(csrf[:])
	if err := s.Sessions.CreateSession(ctx, sess); err != nil {
		return NewSession{}, fmt.Errorf("create session: %w", err)
	}
	return NewSession{Session: sess, User: u, Token: token}, nil
}

// Authenticate resolves a session token (the cookie's value) to its
// identity, with SessionID and CSRFToken set and, for customer users, the
// tenant's access level and status. EUNAUTHORIZED for malformed, unknown,
// wrong or expired tokens and ended sessions, without saying which. It
// reads (GetItem) and never writes.
func (s *SessionService) Authenticate(ctx context.Context, token string) (tenancy.Identity, error) {
	deny := Errorf(EUNAUTHORIZED, "the session is invalid or has ended")
	sid, ok := tokenID(token, SessionPrefix, PrefixSession)
	if !ok {
		return tenancy.Identity{}, deny
	}
	sess, err := s.Sessions.GetSession(ctx, sid)
	if ErrorCode(err) == ENOTFOUND {
		return tenancy.Identity{}, deny
	}
	if err != nil {
		return tenancy.Identity{}, err
	}
	if subtle.ConstantTimeCompare([]byte(hashKey(token)), []byte(sess.TokenHash)) != 1 || !s.Clock().Before(sess.ExpiresAt) {
		return tenancy.Identity{}, deny
	}
	id := sess.Identity()
	return withTenantState(ctx, s.Customers, id, deny)
}

// SignOut ends the caller's session. EUNAUTHORIZED when the request was
// not made in a session (no identity, or an API key's).
func (s *SessionService) SignOut(ctx context.Context) error {
	id, ok := tenancy.FromContext(ctx)
	if !ok || id.SessionID == "" {
		return Errorf(EUNAUTHORIZED, "you are not signed in with a session")
	}
	if err := s.Sessions.DeleteSession(ctx, id.SessionID); err != nil {
		return fmt.Errorf("delete session %s: %w", id.SessionID, err)
	}
	return nil
}

// InvitedUser returns the user an invitation token is for (to greet them
// where they set their password). EUNAUTHORIZED with the message "the
// invitation link is invalid or has expired" for a malformed, unknown,
// used, replaced or expired token, or a user who is not active.
func (s *SessionService) InvitedUser(ctx context.Context, token string) (User, error) {
	deny := Errorf(EUNAUTHORIZED, msgInvalidInvitation)
	uid, ok := tokenID(token, InvitationPrefix, PrefixUser)
	if !ok {
		return User{}, deny
	}
	u, err := s.Users.GetUser(ctx, tenancy.Scope{}, uid)
	if ErrorCode(err) == ENOTFOUND {
		return User{}, deny
	}
	if err != nil {
		return User{}, err
	}
	if u.InvitationHash == "" || subtle.ConstantTimeCompare([]byte(hashKey(token)), []byte(u.InvitationHash)) != 1 ||
		u.InvitationExpiresAt == nil || !s.Clock().Before(*u.InvitationExpiresAt) || u.Status != "active" {
		return User{}, deny
	}
	return u, nil
}

// AcceptInvitation sets the password of the user an invitation token is
// for, uses the invitation up (it works once), audits "user.password_set"
// as done by the user, ends the user's other sessions, and signs the user
// in. EUNAUTHORIZED as for
// InvitedUser (also when the invitation was used meanwhile); EINVALID
// naming "password" when it is not MinPasswordLength to MaxPasswordLength
// characters or is the user's e-mail address.
func (s *SessionService) AcceptInvitation(ctx context.Context, token, password string) (NewSession, error) {
	u, err := s.InvitedUser(ctx, token)
	if err != nil {
		return NewSession{}, err
	}
	var p Problems
	checkPassword(&p, password, u.Email)
	if err := p.Err(); err != nil {
		return NewSession{}, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return NewSession{}, err
	}
	// The user sets its own password: the audit log names it as the actor.
	actx := tenancy.WithIdentity(ctx, u.Identity(""))
	actx = auditor{s.Clock, s.IDs}.audit(actx, "user.password_set", u.ID, tenancy.Scope{PartnerID: u.PartnerID, TenantID: u.TenantID},
		map[string]any{"invitationExpiresAt": u.InvitationExpiresAt}, map[string]any{"invitationExpiresAt": nil})
	err = s.Users.SetUserPassword(actx, u, u.InvitationHash, hash, s.Clock())
	if code := ErrorCode(err); code == ECONFLICT || code == ENOTFOUND {
		return NewSession{}, Errorf(EUNAUTHORIZED, msgInvalidInvitation)
	}
	if err != nil {
		return NewSession{}, fmt.Errorf("set password: %w", err)
	}
	// A new password ends every session signed in with the old one (a
	// password is reset because it may be known to someone else).
	if err := s.Sessions.DeleteUserSessions(ctx, u.ID); err != nil {
		return NewSession{}, fmt.Errorf("end the sessions of user %s: %w", u.ID, err)
	}
	// A new password lifts a lockout: whoever holds the invitation may
	// sign in anyway, and now knows the password.
	if err := s.SignIns.ClearSignIns(ctx, strings.ToLower(u.Email)); err != nil {
		return NewSession{}, fmt.Errorf("clear sign-ins: %w", err)
	}
	u.PasswordHash, u.InvitationHash, u.InvitationExpiresAt = hash, "", nil
	return s.start(ctx, u)
}

package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/partnerportal/portal/internal/portal"
)

// UserJSON is a user as the API shows it.
type UserJSON struct {
	ID         string    `json:"id"`
	Email      string    `json:"email"`
	Name       string    `json:"name,omitempty"`
	Role       string    `json:"role"`
	PartnerID  string    `json:"partnerId,omitempty"`
	CustomerID string    `json:"customerId,omitempty"`
	Status     string    `json:"status"`
	CreatedAt  time.Time `json:"createdAt"`
}

func userJSON(u portal.User) UserJSON {
	return UserJSON{ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role), PartnerID: u.PartnerID, CustomerID: u.TenantID, Status: u.Status, CreatedAt: u.CreatedAt}
}

// APIKeyJSON is an API key as the API shows it; Key is present only in the
// response that created it.
type APIKeyJSON struct {
	ID         string     `json:"id"`
	Key        string     `json:"key,omitempty"`
	Name       string     `json:"name,omitempty"`
	Hint       string     `json:"hint"`
	UserID     string     `json:"userId"`
	Role       string     `json:"role"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  *time.Time `json:"expiresAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
}

// NewUsers returns the handler of users, their invitations and their API
// keys (the users function adds SessionRoutes).
func NewUsers(users *portal.UserService, keys *portal.APIKeyService, grants *portal.GrantService, idem portal.IdempotencyStore, clock portal.Clock) *Handler {
	u := usersRoutes{users: users, keys: keys, grants: grants}
	return NewHandler(map[string]Route{
		"POST /v1/users":                     u.create,
		"GET /v1/users":                      u.list,
		"POST /v1/users/{userId}/api-keys":   u.issueKey,
		"POST /v1/users/{userId}/invitation": u.invite,
		"PUT /v1/users/{userId}/grants":      u.setGrants,
		"DELETE /v1/api-keys/{keyId}":        u.revokeKey,
	}, idem, clock)
}

// NewUserJSON is a user just created, with its invitation to set a password.
type NewUserJSON struct {
	UserJSON
	Invitation InvitationJSON `json:"invitation"`
}

type usersRoutes struct {
	users  *portal.UserService
	keys   *portal.APIKeyService
	grants *portal.GrantService
}

// grantsJSON is a member's whitelist, in requests and answers.
type grantsJSON struct {
	UserID      string    `json:"userId,omitempty"`
	CustomerIDs *[]string `json:"customerIds"`
}

func (u usersRoutes) setGrants(ctx context.Context, r *Request) (Response, error) {
	var in struct {
		CustomerIDs *[]string `json:"customerIds"`
	}
	if err := decodeJSON(r.Body, &in); err != nil {
		return Response{}, err
	}
	ids, err := u.grants.Set(ctx, r.PathParams["userId"], in.CustomerIDs)
	if err != nil {
		return Response{}, err
	}
	if ids == nil {
		ids = []string{}
	}
	return JSON(http.StatusOK, grantsJSON{UserID: r.PathParams["userId"], CustomerIDs: &ids}), nil
}

func (u usersRoutes) create(ctx context.Context, r *Request) (Response, error) {
	var in portal.UserInput
	if err := decodeJSON(r.Body, &in); err != nil {
		return Response{}, err
	}
	user, err := u.users.Create(ctx, in)
	if err != nil {
		return Response{}, err
	}
	res := JSON(http.StatusCreated, NewUserJSON{UserJSON: userJSON(user.User), Invitation: invitationJSON(r, user.Invitation)})
	res.Secret = true // the invitation's token
	res.Headers = map[string]string{"Cache-Control": "no-store"}
	return res, nil
}

func (u usersRoutes) invite(ctx context.Context, r *Request) (Response, error) {
	if len(r.Body) > 0 {
		var in struct{}
		if err := decodeJSON(r.Body, &in); err != nil {
			return Response{}, err
		}
	}
	inv, err := u.users.Invite(ctx, r.PathParams["userId"])
	if err != nil {
		return Response{}, err
	}
	res := JSON(http.StatusCreated, invitationJSON(r, inv))
	res.Secret = true
	res.Headers = map[string]string{"Cache-Control": "no-store"}
	return res, nil
}

func (u usersRoutes) list(ctx context.Context, r *Request) (Response, error) {
	if err := knownParams(r, []string{"partnerId", "customerId", "limit", "cursor"}); err != nil {
		return Response{}, err
	}
	page, err := u.users.List(ctx, r.Query["partnerId"], r.Query["customerId"], r.Query["limit"], r.Query["cursor"])
	if err != nil {
		return Response{}, err
	}
	items := make([]UserJSON, len(page.Items))
	for i, user := range page.Items {
		items[i] = userJSON(user)
	}
	return JSON(http.StatusOK, listJSON[UserJSON]{Items: items, NextCursor: page.NextCursor}), nil
}

func (u usersRoutes) issueKey(ctx context.Context, r *Request) (Response, error) {
	var in portal.APIKeyInput
	if len(r.Body) > 0 {
		if err := decodeJSON(r.Body, &in); err != nil {
			return Response{}, err
		}
	}
	k, err := u.keys.Issue(ctx, r.PathParams["userId"], in)
	if err != nil {
		return Response{}, err
	}
	res := JSON(http.StatusCreated, APIKeyJSON{
		ID: k.ID, Key: k.Secret, Name: k.Name, Hint: k.Hint, UserID: k.UserID, Role: string(k.Role),
		CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, LastUsedAt: k.LastUsedAt,
	})
	res.Secret = true
	res.Headers = map[string]string{"Location": "/v1/api-keys/" + k.ID}
	return res, nil
}

func (u usersRoutes) revokeKey(ctx context.Context, r *Request) (Response, error) {
	if err := u.keys.Revoke(ctx, r.PathParams["keyId"]); err != nil {
		return Response{}, err
	}
	return Response{Status: http.StatusNoContent}, nil
}

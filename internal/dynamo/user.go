package dynamo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

type userItem struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	GSIPK     string `dynamodbav:"GSIPK"`
	GSI1SK    string `dynamodbav:"GSI1SK"`
	Entity    string `dynamodbav:"entity"`
	UserID    string `dynamodbav:"userId"`
	Email     string `dynamodbav:"email"`
	Name      string `dynamodbav:"name,omitempty"`
	Role      string `dynamodbav:"role"`
	PartnerID string `dynamodbav:"partnerId,omitempty"`
	TenantID  string `dynamodbav:"tenantId,omitempty"`
	Status    string `dynamodbav:"status"`
	CreatedAt string `dynamodbav:"createdAt"`
	UpdatedAt string `dynamodbav:"updatedAt"`
	Version   int64  `dynamodbav:"version"`
	// PasswordHash is the argon2id PHC string of the password.
	PasswordHash  string `dynamodbav:"passwordHash,omitempty"`
	PasswordSetAt string `dynamodbav:"passwordSetAt,omitempty"`
	// InvitationHash is the SHA-256 of the open invitation's token, valid
	// until InvitationExpiresAt (a time, not the table's TTL attribute:
	// the user outlives its invitation).
	InvitationHash      string `dynamodbav:"invitationHash,omitempty"`
	InvitationExpiresAt string `dynamodbav:"invitationExpiresAt,omitempty"`
}

// userRef is the e-mail and directory item: where a user lives.
type userRef struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	Entity    string `dynamodbav:"entity"`
	UserID    string `dynamodbav:"userId"`
	PartnerID string `dynamodbav:"partnerId,omitempty"`
	TenantID  string `dynamodbav:"tenantId,omitempty"`
}

func (it userItem) user() portal.User {
	return portal.User{
		ID: it.UserID, Email: it.Email, Name: it.Name, Role: tenancy.Role(it.Role), PartnerID: it.PartnerID,
		TenantID: it.TenantID, Status: it.Status, CreatedAt: parseTime(it.CreatedAt),
		UpdatedAt: parseTime(it.UpdatedAt), Version: it.Version, PasswordHash: it.PasswordHash,
		InvitationHash: it.InvitationHash, InvitationExpiresAt: parseTimePtr(it.InvitationExpiresAt),
	}
}

// CreateUser implements portal.UserStore: the user, its e-mail and its
// directory entry in one transaction, each conditional on not existing.
func (s *Store) CreateUser(ctx context.Context, u portal.User) error {
	items := []any{
		userItem{
			PK: userHomePK(u.PartnerID, u.TenantID), SK: userSK(u.ID), GSIPK: userListPK(u.PartnerID, u.TenantID), GSI1SK: strings.ToLower(u.Email) + sep + u.ID,
			Entity: "user", UserID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role),
			PartnerID: u.PartnerID, TenantID: u.TenantID, Status: u.Status,
			CreatedAt: formatTime(u.CreatedAt), UpdatedAt: formatTime(u.UpdatedAt), Version: u.Version,
			PasswordHash: u.PasswordHash, InvitationHash: u.InvitationHash, InvitationExpiresAt: formatTimePtr(u.InvitationExpiresAt),
		},
		userRef{PK: emailPK(u.Email), SK: emailSK, Entity: "user_email", UserID: u.ID, PartnerID: u.PartnerID, TenantID: u.TenantID},
		userRef{PK: userDirPK(u.ID), SK: userDirSK, Entity: "user_ref", UserID: u.ID, PartnerID: u.PartnerID, TenantID: u.TenantID},
	}
	tx := make([]types.TransactWriteItem, len(items))
	for i, item := range items {
		av, err := attributevalue.MarshalMap(item)
		if err != nil {
			return fmt.Errorf("encode user: %w", err)
		}
		tx[i] = types.TransactWriteItem{Put: &types.Put{
			TableName: &s.Table, Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)"),
		}}
	}
	err := s.transact(ctx, nil, tx...)
	if canceledFor(err, 1) {
		var p portal.Problems
		p.Add("email", "is already used by another user")
		return &portal.Error{Code: portal.ECONFLICT, Message: "a user with this e-mail already exists", Fields: p}
	}
	if err != nil {
		return fmt.Errorf("put user %s: %w", u.ID, err)
	}
	return nil
}

// GetUser implements portal.UserStore: the directory entry, then the user.
func (s *Store) GetUser(ctx context.Context, scope tenancy.Scope, id string) (portal.User, error) {
	notFound := portal.Errorf(portal.ENOTFOUND, "user %s not found", id)
	var ref userRef
	found, err := s.get(ctx, userDirPK(id), userDirSK, &ref)
	if err != nil || !found {
		return portal.User{}, firstErr(err, notFound)
	}
	if scope.PartnerID != "" && ref.PartnerID != scope.PartnerID || scope.TenantID != "" && ref.TenantID != scope.TenantID {
		return portal.User{}, notFound // the directory says where it lives: outside scope, never read it
	}
	var it userItem
	found, err = s.get(ctx, userHomePK(ref.PartnerID, ref.TenantID), userSK(id), &it, s.inTenant(ctx, tenancy.Scope{PartnerID: ref.PartnerID, TenantID: ref.TenantID})...)
	if err != nil || !found {
		return portal.User{}, firstErr(err, notFound)
	}
	return it.user(), nil
}

// GetUserByEmail implements portal.UserStore: the e-mail item, then the user.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (portal.User, error) {
	notFound := portal.Errorf(portal.ENOTFOUND, "no user has the e-mail address %s", email)
	var ref userRef
	found, err := s.get(ctx, emailPK(email), emailSK, &ref)
	if err != nil || !found {
		return portal.User{}, firstErr(err, notFound)
	}
	var it userItem
	found, err = s.get(ctx, userHomePK(ref.PartnerID, ref.TenantID), userSK(ref.UserID), &it, s.inTenant(ctx, tenancy.Scope{PartnerID: ref.PartnerID, TenantID: ref.TenantID})...)
	if err != nil || !found {
		return portal.User{}, firstErr(err, notFound)
	}
	return it.user(), nil
}

// SetUserInvitation implements portal.UserStore with one conditional
// update of the user, in a transaction with the audit entry.
func (s *Store) SetUserInvitation(ctx context.Context, u portal.User, hash string, expiresAt time.Time) error {
	scope := tenancy.Scope{PartnerID: u.PartnerID, TenantID: u.TenantID}
	err := s.transact(ctx, s.inTenant(ctx, scope), types.TransactWriteItem{Update: &types.Update{
		TableName:           &s.Table,
		Key:                 key(userHomePK(u.PartnerID, u.TenantID), userSK(u.ID)),
		UpdateExpression:    aws.String("SET invitationHash = :h, invitationExpiresAt = :e"),
		ConditionExpression: aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":h": str(hash), ":e": str(formatTime(expiresAt)),
		},
	}})
	if canceledFor(err, 0) {
		return portal.Errorf(portal.ENOTFOUND, "user %s not found", u.ID)
	}
	if err != nil {
		return fmt.Errorf("set invitation of user %s: %w", u.ID, err)
	}
	return nil
}

// SetUserPassword implements portal.UserStore with one update of the user
// conditional on its invitation, in a transaction with the audit entry:
// of two concurrent uses of one invitation, one succeeds.
func (s *Store) SetUserPassword(ctx context.Context, u portal.User, invitationHash, passwordHash string, now time.Time) error {
	scope := tenancy.Scope{PartnerID: u.PartnerID, TenantID: u.TenantID}
	err := s.transact(ctx, s.inTenant(ctx, scope), types.TransactWriteItem{Update: &types.Update{
		TableName:           &s.Table,
		Key:                 key(userHomePK(u.PartnerID, u.TenantID), userSK(u.ID)),
		UpdateExpression:    aws.String("SET passwordHash = :p, passwordSetAt = :t REMOVE invitationHash, invitationExpiresAt"),
		ConditionExpression: aws.String("attribute_exists(PK) AND invitationHash = :h"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":p": str(passwordHash), ":t": str(formatTime(now)), ":h": str(invitationHash),
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}})
	if old, failed := conditionFailed(err, 0); failed {
		if old == nil {
			return portal.Errorf(portal.ENOTFOUND, "user %s not found", u.ID)
		}
		return portal.Errorf(portal.ECONFLICT, "the invitation of user %s was used or replaced meanwhile", u.ID)
	}
	if err != nil {
		return fmt.Errorf("set password of user %s: %w", u.ID, err)
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// ListUsers implements portal.UserStore with one Query on the user list
// index, asking for one user more than needed to know whether a page follows.
func (s *Store) ListUsers(ctx context.Context, scope tenancy.Scope, limit int, start portal.Position) ([]portal.User, portal.Position, error) {
	res, err := s.Client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &s.Table,
		IndexName:                 aws.String(userListIndex),
		KeyConditionExpression:    aws.String("GSIPK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(userListPK(scope.PartnerID, scope.TenantID))},
		ExclusiveStartKey:         startKey(start),
		Limit:                     aws.Int32(int32(limit + 1)),
		ReturnConsumedCapacity:    total,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("query users: %w", err)
	}
	var items []userItem
	if err := attributevalue.UnmarshalListOfMaps(res.Items, &items); err != nil {
		return nil, nil, fmt.Errorf("decode users: %w", err)
	}
	var next portal.Position
	if len(items) > limit {
		items = items[:limit]
		last := items[limit-1]
		next = portal.Position{"PK": last.PK, "SK": last.SK, "GSIPK": last.GSIPK, "GSI1SK": last.GSI1SK}
	}
	users := make([]portal.User, len(items))
	for i, it := range items {
		users[i] = it.user()
	}
	return users, next, nil
}

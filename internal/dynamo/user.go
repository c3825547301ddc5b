package dynamo

import (
	"context"
	"fmt"
	"strings"

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
		UpdatedAt: parseTime(it.UpdatedAt), Version: it.Version,
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

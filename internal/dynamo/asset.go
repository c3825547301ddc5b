package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/app"
	"github.com/partnerportal/portal/internal/asset"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

type assetItem struct {
	PK                 string   `dynamodbav:"PK"`
	SK                 string   `dynamodbav:"SK"`
	GSIPK              string   `dynamodbav:"GSIPK"`
	GSI1SK             string   `dynamodbav:"GSI1SK"`
	Entity             string   `dynamodbav:"entity"`
	AssetID            string   `dynamodbav:"assetId"`
	PartnerID          string   `dynamodbav:"partnerId"`
	TenantID           string   `dynamodbav:"tenantId"`
	Value              string   `dynamodbav:"value"`
	Type               string   `dynamodbav:"type"`
	Host               string   `dynamodbav:"host"`
	RegisteredDomain   string   `dynamodbav:"registeredDomain,omitempty"`
	Tags               []string `dynamodbav:"tags"`
	Criticality        string   `dynamodbav:"criticality"`
	VerificationToken  string   `dynamodbav:"verificationToken"`
	Verified           bool     `dynamodbav:"verified"`
	VerificationMethod string   `dynamodbav:"verificationMethod,omitempty"`
	VerifiedAt         string   `dynamodbav:"verifiedAt,omitempty"`
	VerifiedVia        string   `dynamodbav:"verifiedVia,omitempty"`
	LastCheckAt        string   `dynamodbav:"lastCheckAt,omitempty"`
	LastCheckDetail    string   `dynamodbav:"lastCheckDetail,omitempty"`
	CreatedAt          string   `dynamodbav:"createdAt"`
	UpdatedAt          string   `dynamodbav:"updatedAt"`
	Version            int64    `dynamodbav:"version"`
}

const entityAsset = "asset"

func toAssetItem(a portal.Asset) assetItem {
	pk := tenantPK(a.PartnerID, a.TenantID)
	return assetItem{
		PK: pk, SK: assetSK(a.ID), GSIPK: pk, GSI1SK: assetListSK(a.Value, a.ID), Entity: entityAsset,
		AssetID: a.ID, PartnerID: a.PartnerID, TenantID: a.TenantID, Value: a.Value, Type: string(a.Type), Host: a.Host,
		RegisteredDomain: a.RegisteredDomain, Tags: a.Tags, Criticality: string(a.Criticality),
		VerificationToken: a.VerificationToken, Verified: a.Verified, VerificationMethod: string(a.VerificationMethod),
		VerifiedAt: formatTimePtr(a.VerifiedAt), VerifiedVia: a.VerifiedVia, LastCheckAt: formatTimePtr(a.LastCheckAt),
		LastCheckDetail: a.LastCheckDetail, CreatedAt: formatTime(a.CreatedAt), UpdatedAt: formatTime(a.UpdatedAt), Version: a.Version,
	}
}

func (it assetItem) asset() portal.Asset {
	tags := it.Tags
	if tags == nil {
		tags = []string{}
	}
	return portal.Asset{
		ID: it.AssetID, PartnerID: it.PartnerID, TenantID: it.TenantID, Value: it.Value, Type: asset.Type(it.Type),
		Host: it.Host, RegisteredDomain: it.RegisteredDomain, Tags: tags, Criticality: portal.Criticality(it.Criticality),
		VerificationToken: it.VerificationToken, Verified: it.Verified, VerificationMethod: portal.OwnershipMethod(it.VerificationMethod),
		VerifiedAt: parseTimePtr(it.VerifiedAt), VerifiedVia: it.VerifiedVia, LastCheckAt: parseTimePtr(it.LastCheckAt),
		LastCheckDetail: it.LastCheckDetail, CreatedAt: parseTime(it.CreatedAt), UpdatedAt: parseTime(it.UpdatedAt), Version: it.Version,
	}
}

// GetAsset implements portal.AssetStore.
func (s *Store) GetAsset(ctx context.Context, scope tenancy.Scope, customerID, assetID string) (portal.Asset, error) {
	it, ok, err := getTenantItem[assetItem](ctx, s, scope, customerID, assetSK(assetID))
	if !ok {
		return portal.Asset{}, notFound(err, "asset", assetID)
	}
	return it.asset(), nil
}

// GetAssets implements portal.AssetStore with BatchGetItem.
func (s *Store) GetAssets(ctx context.Context, scope tenancy.Scope, customerID string, ids []string) (map[string]portal.Asset, error) {
	keys := make([]map[string]types.AttributeValue, len(ids))
	for i, id := range ids {
		keys[i] = key(tenantPK(scope.PartnerID, customerID), assetSK(id))
	}
	items, err := s.batchGet(ctx, keys, s.inTenant(ctx, scope)...)
	if err != nil {
		return nil, fmt.Errorf("batch get assets: %w", err)
	}
	out := map[string]portal.Asset{}
	for _, av := range items {
		var it assetItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, fmt.Errorf("decode asset: %w", err)
		}
		if inScope(scope, it.PartnerID, it.TenantID) {
			out[it.AssetID] = it.asset()
		}
	}
	return out, nil
}

// ListAssets implements portal.AssetStore with a Query of the tenant's
// asset index (value order).
func (s *Store) ListAssets(ctx context.Context, scope tenancy.Scope, customerID string, limit int, start portal.Position) ([]portal.Asset, portal.Position, error) {
	sk := app.IndexSortKey(assetListIndex)
	res, err := s.Client.Query(ctx, &dynamodb.QueryInput{
		TableName:                &s.Table,
		IndexName:                aws.String(assetListIndex),
		KeyConditionExpression:   aws.String("GSIPK = :pk AND begins_with(#sk, :prefix)"),
		ExpressionAttributeNames: map[string]string{"#sk": sk},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(tenantPK(scope.PartnerID, customerID)), ":prefix": str(assetPrefix),
		},
		ExclusiveStartKey:      startKey(start),
		Limit:                  aws.Int32(int32(limit)),
		ReturnConsumedCapacity: total,
	}, s.inTenant(ctx, scope)...)
	if err != nil {
		return nil, nil, fmt.Errorf("query assets: %w", err)
	}
	out, err := decodeInScope(scope, res.Items, "asset", assetItem.asset)
	if err != nil {
		return nil, nil, err
	}
	var next portal.Position
	if res.LastEvaluatedKey != nil {
		next = positionOf(res.LastEvaluatedKey, "GSIPK", sk)
	}
	return out, next, nil
}

// AddAssets implements portal.AssetStore: one TransactWriteItems of the
// conditional puts, the counter update and the audit entries.
func (s *Store) AddAssets(ctx context.Context, scope tenancy.Scope, assets []portal.Asset, seen portal.Counter) (portal.AddOutcome, error) {
	if len(assets) == 0 || len(assets) > portal.MaxAssetsPerWrite {
		return portal.AddOutcome{}, fmt.Errorf("add assets: %d assets, want 1 to %d", len(assets), portal.MaxAssetsPerWrite)
	}
	tx := make([]types.TransactWriteItem, 0, len(assets)+1)
	for _, a := range assets {
		if !inScope(scope, a.PartnerID, a.TenantID) || a.TenantID != assets[0].TenantID {
			return portal.AddOutcome{}, portal.Errorf(portal.ENOTFOUND, "customer %s not found", a.TenantID)
		}
		av, err := attributevalue.MarshalMap(toAssetItem(a))
		if err != nil {
			return portal.AddOutcome{}, fmt.Errorf("encode asset: %w", err)
		}
		tx = append(tx, types.TransactWriteItem{Put: &types.Put{
			TableName: &s.Table, Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)"),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}})
	}
	tx = append(tx, types.TransactWriteItem{Update: s.moveAssetCounter(scope.PartnerID, assets[0].TenantID, int64(len(assets)), &seen, assets[0].CreatedAt)})
	err := s.transact(ctx, s.inTenant(ctx, scope), tx...)
	if err == nil {
		return portal.AddOutcome{}, nil
	}
	var out portal.AddOutcome
	for i := range assets {
		if old, failed := conditionFailed(err, i); failed {
			var it assetItem
			if attributevalue.UnmarshalMap(old, &it) != nil || it.AssetID == "" {
				it = toAssetItem(assets[i]) // reported without the old item: the same key
			}
			if out.Existing == nil {
				out.Existing = map[int]portal.Asset{}
			}
			out.Existing[i] = it.asset()
		}
	}
	// A cancellation for anything but a duplicate (the counter's condition,
	// or a conflict transact gave up on) is read again and retried.
	var tce *types.TransactionCanceledException
	out.CounterMoved = canceledFor(err, len(assets)) || out.Existing == nil && errors.As(err, &tce)
	if out.Existing == nil && !out.CounterMoved {
		return out, fmt.Errorf("add assets: %w", err)
	}
	return out, nil
}

// DeleteAsset implements portal.AssetStore.
func (s *Store) DeleteAsset(ctx context.Context, scope tenancy.Scope, a portal.Asset, at time.Time) error {
	if !inScope(scope, a.PartnerID, a.TenantID) {
		return portal.Errorf(portal.ENOTFOUND, "asset %s not found", a.ID)
	}
	err := s.transact(ctx, s.inTenant(ctx, scope),
		types.TransactWriteItem{Delete: &types.Delete{
			TableName: &s.Table, Key: key(tenantPK(a.PartnerID, a.TenantID), assetSK(a.ID)),
			ConditionExpression: aws.String("attribute_exists(PK)"),
		}},
		types.TransactWriteItem{Update: s.moveAssetCounter(a.PartnerID, a.TenantID, -1, nil, at)},
	)
	if canceledFor(err, 0) {
		return portal.Errorf(portal.ENOTFOUND, "asset %s not found", a.ID)
	}
	if err != nil {
		return fmt.Errorf("delete asset %s: %w", a.ID, err)
	}
	return nil
}

// UpdateAsset implements portal.AssetStore with a put conditional on the
// previous version.
func (s *Store) UpdateAsset(ctx context.Context, scope tenancy.Scope, a portal.Asset) error {
	return s.replace(ctx, scope, "asset", a.ID, a.PartnerID, a.TenantID, toAssetItem(a), a.Version)
}

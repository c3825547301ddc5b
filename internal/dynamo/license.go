package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/tenancy"
)

type licenseItem struct {
	PK             string `dynamodbav:"PK"`
	SK             string `dynamodbav:"SK"`
	GSIPK          string `dynamodbav:"GSIPK"`
	GSI1SK         string `dynamodbav:"GSI1SK"`
	Entity         string `dynamodbav:"entity"`
	LicenseID      string `dynamodbav:"licenseId"`
	TenantID       string `dynamodbav:"tenantId"`
	PartnerID      string `dynamodbav:"partnerId"`
	Model          string `dynamodbav:"model"`
	Quantity       int64  `dynamodbav:"quantity"`
	BillingPeriod  string `dynamodbav:"billingPeriod"`
	StartsAt       string `dynamodbav:"startsAt"`
	EndsAt         string `dynamodbav:"endsAt,omitempty"`
	Currency       string `dynamodbav:"currency"`
	EndUserPrice   int64  `dynamodbav:"endUserPrice"`
	UnitCost       int64  `dynamodbav:"unitCost"`
	PricingVersion int64  `dynamodbav:"pricingVersion"`
	Prepaid        bool   `dynamodbav:"prepaid"`
	PrepaidPoolID  string `dynamodbav:"prepaidPoolId,omitempty"`
	OveragePolicy  string `dynamodbav:"overagePolicy"`
	Revoked        bool   `dynamodbav:"revoked"`
	RevokedAt      string `dynamodbav:"revokedAt,omitempty"`
	CreatedAt      string `dynamodbav:"createdAt"`
	UpdatedAt      string `dynamodbav:"updatedAt"`
	Version        int64  `dynamodbav:"version"`
}

func toLicenseItem(l portal.License) licenseItem {
	return licenseItem{
		PK: tenantPK(l.PartnerID, l.TenantID), SK: licenseSK(l.ID), GSIPK: partnerLicensesPK(l.PartnerID),
		GSI1SK: formatTime(l.StartsAt) + sep + l.ID, Entity: "license", LicenseID: l.ID, TenantID: l.TenantID,
		PartnerID: l.PartnerID, Model: string(l.Model), Quantity: l.Quantity, BillingPeriod: string(l.BillingPeriod),
		StartsAt: formatTime(l.StartsAt), EndsAt: formatTimePtr(l.EndsAt), Currency: l.EndUserPrice.Currency,
		EndUserPrice: l.EndUserPrice.Amount, UnitCost: l.UnitCost.Amount, PricingVersion: l.PricingVersion,
		Prepaid: l.Prepaid, PrepaidPoolID: l.PrepaidPoolID, OveragePolicy: string(l.OveragePolicy),
		Revoked: l.Revoked, RevokedAt: formatTimePtr(l.RevokedAt), CreatedAt: formatTime(l.CreatedAt),
		UpdatedAt: formatTime(l.UpdatedAt), Version: l.Version,
	}
}

func (it licenseItem) license() portal.License {
	return portal.License{
		ID: it.LicenseID, TenantID: it.TenantID, PartnerID: it.PartnerID, Model: portal.LicenseModel(it.Model),
		Quantity: it.Quantity, BillingPeriod: portal.BillingPeriod(it.BillingPeriod), StartsAt: parseTime(it.StartsAt),
		EndsAt: parseTimePtr(it.EndsAt), EndUserPrice: portal.Money{Amount: it.EndUserPrice, Currency: it.Currency},
		UnitCost: portal.Money{Amount: it.UnitCost, Currency: it.Currency}, PricingVersion: it.PricingVersion,
		Prepaid: it.Prepaid, PrepaidPoolID: it.PrepaidPoolID, OveragePolicy: portal.OveragePolicy(it.OveragePolicy),
		Revoked: it.Revoked, RevokedAt: parseTimePtr(it.RevokedAt), CreatedAt: parseTime(it.CreatedAt),
		UpdatedAt: parseTime(it.UpdatedAt), Version: it.Version,
	}
}

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// versioned returns a Put of item: new when version is 1, otherwise only
// over the stored version-1 (and, with partnerID, only within that partner).
func (s *Store) versioned(item any, version int64, partnerID string) (*types.Put, error) {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return nil, fmt.Errorf("encode item: %w", err)
	}
	put := &types.Put{TableName: &s.Table, Item: av, ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}
	if version == 1 {
		put.ConditionExpression = aws.String("attribute_not_exists(PK)")
		return put, nil
	}
	put.ConditionExpression = aws.String("partnerId = :pid AND version = :prev")
	put.ExpressionAttributeValues = map[string]types.AttributeValue{":pid": str(partnerID), ":prev": num(version - 1)}
	return put, nil
}

// SaveLicenses implements portal.LicenseStore as one TransactWriteItems.
func (s *Store) SaveLicenses(ctx context.Context, c *portal.Customer, newCustomer bool, licenses []portal.License, draws map[string]int64) error {
	var tx []types.TransactWriteItem
	if c != nil {
		version := c.Version
		if newCustomer {
			version = 1
		}
		put, err := s.versioned(toCustomerItem(*c), version, c.PartnerID)
		if err != nil {
			return err
		}
		tx = append(tx, types.TransactWriteItem{Put: put})
	}
	for _, l := range licenses {
		put, err := s.versioned(toLicenseItem(l), l.Version, l.PartnerID)
		if err != nil {
			return err
		}
		tx = append(tx, types.TransactWriteItem{Put: put})
	}
	pools := slices.Sorted(maps.Keys(draws))
	partnerID := partnerOf(c, licenses)
	for _, poolID := range pools {
		tx = append(tx, types.TransactWriteItem{Update: &types.Update{
			TableName:                           &s.Table,
			Key:                                 key(partnerPK(partnerID), prepaidSK(poolID)),
			UpdateExpression:                    aws.String("SET balance = balance - :q"),
			ConditionExpression:                 aws.String("balance >= :q"),
			ExpressionAttributeValues:           map[string]types.AttributeValue{":q": num(draws[poolID])},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}})
	}
	poolEnd := len(tx)
	counters, err := s.licenseCounterSyncs(ctx, licenses)
	if err != nil {
		return err
	}
	for _, up := range counters {
		tx = append(tx, types.TransactWriteItem{Update: up})
	}
	err = s.transact(ctx, nil, tx...)
	if err == nil {
		return nil
	}
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return fmt.Errorf("save licenses: %w", err)
	}
	for i, r := range tce.CancellationReasons {
		if i >= len(tx) || aws.ToString(r.Code) != "ConditionalCheckFailed" {
			continue // the audit entry, last, has a fresh ID
		}
		if i >= poolEnd {
			return assetCounterConflict(r.Item, licenses)
		}
		if i >= poolEnd-len(pools) {
			poolID := pools[i-(poolEnd-len(pools))]
			var old prepaidItem
			if len(r.Item) == 0 || attributevalue.UnmarshalMap(r.Item, &old) != nil {
				return portal.Errorf(portal.ENOTFOUND, "prepaid pool %s not found", poolID)
			}
			return portal.Errorf(portal.ECONFLICT, "pre-paid pool %s has %d units left; %d are needed", poolID, old.Balance, draws[poolID])
		}
		if c != nil && i == 0 && newCustomer {
			return portal.Errorf(portal.ECONFLICT, "customer %s already exists", c.ID)
		}
		var old struct {
			PartnerID string `dynamodbav:"partnerId"`
		}
		if len(r.Item) > 0 && (attributevalue.UnmarshalMap(r.Item, &old) != nil || old.PartnerID != partnerOf(c, licenses)) {
			return portal.Errorf(portal.ENOTFOUND, "customer or license not found")
		}
		return portal.Errorf(portal.EPRECONDITION, "the customer or license changed meanwhile: read it again")
	}
	// Cancelled for another reason, such as a conflicting concurrent transaction.
	return portal.Errorf(portal.EPRECONDITION, "a concurrent change got in the way: retry")
}

// licenseCounterSyncs returns the counter updates that copy the terms of
// licenses into their counters (see licenseCounterSync).
func (s *Store) licenseCounterSyncs(ctx context.Context, licenses []portal.License) ([]*types.Update, error) {
	var out []*types.Update
	var current *portal.Counter
	for _, l := range licenses {
		if l.Model == portal.ModelPerAsset && current == nil && l.Version > 1 {
			c, err := s.AssetCounter(ctx, tenancy.Scope{PartnerID: l.PartnerID, TenantID: l.TenantID}, l.TenantID)
			if err != nil {
				return nil, err
			}
			current = &c
		}
		var c portal.Counter
		if current != nil {
			c = *current
		}
		if up := s.licenseCounterSync(l, c, l.UpdatedAt); up != nil {
			out = append(out, up)
		}
	}
	return out, nil
}

// assetCounterConflict explains why the asset counter refused a license:
// another per-asset license is in force, or the quantity is below the
// assets in use.
func assetCounterConflict(item map[string]types.AttributeValue, licenses []portal.License) error {
	var c counterItem
	_ = attributevalue.UnmarshalMap(item, &c)
	for _, l := range licenses {
		if l.Model != portal.ModelPerAsset {
			continue
		}
		if c.LicenseID != "" && c.LicenseID != l.ID {
			return portal.Errorf(portal.ECONFLICT, "customer %s has per-asset license %s in force: change its quantity, end it first, or start this one when it ends", l.TenantID, c.LicenseID)
		}
		return portal.Errorf(portal.ECONFLICT, "customer %s monitors %d assets: a per-asset quantity of %d is below current usage; remove assets first", l.TenantID, c.Used, l.Quantity)
	}
	return portal.Errorf(portal.EPRECONDITION, "the customer's usage changed meanwhile: retry")
}

// partnerOf returns the partner the saved items belong to.
func partnerOf(c *portal.Customer, licenses []portal.License) string {
	if c != nil {
		return c.PartnerID
	}
	if len(licenses) > 0 {
		return licenses[0].PartnerID
	}
	return ""
}

// GetLicense implements portal.LicenseStore with one GetItem.
func (s *Store) GetLicense(ctx context.Context, scope tenancy.Scope, customerID, licenseID string) (portal.License, error) {
	it, ok, err := getTenantItem[licenseItem](ctx, s, scope, customerID, licenseSK(licenseID))
	if !ok {
		return portal.License{}, notFound(err, "license", licenseID)
	}
	return it.license(), nil
}

// ListLicenses implements portal.LicenseStore with a Query of the tenant's partition.
func (s *Store) ListLicenses(ctx context.Context, scope tenancy.Scope, customerID string) ([]portal.License, error) {
	items, err := s.queryLicenses(ctx, &dynamodb.QueryInput{
		TableName:              &s.Table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(tenantPK(scope.PartnerID, customerID)), ":sk": str(licensePrefix),
		},
		ConsistentRead:         aws.Bool(true),
		ReturnConsumedCapacity: total,
	}, s.inTenant(ctx, scope)...)
	if err != nil {
		return nil, err
	}
	out := make([]portal.License, 0, len(items))
	for _, l := range items {
		if inScope(scope, l.PartnerID, l.TenantID) {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b portal.License) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// ListPartnerLicenses implements portal.MarginStore with a Query of the
// partner's license index, pages of up to 1 MB.
func (s *Store) ListPartnerLicenses(ctx context.Context, partnerID string, until time.Time) ([]portal.License, error) {
	return s.queryLicenses(ctx, &dynamodb.QueryInput{
		TableName:              &s.Table,
		IndexName:              aws.String(partnerLicensesIndex),
		KeyConditionExpression: aws.String("GSIPK = :pk AND GSI1SK < :until"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(partnerLicensesPK(partnerID)), ":until": str(formatTime(until)),
		},
		ReturnConsumedCapacity: total,
	})
}

func (s *Store) queryLicenses(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) ([]portal.License, error) {
	var out []portal.License
	p := dynamodb.NewQueryPaginator(s.Client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("query licenses: %w", err)
		}
		var items []licenseItem
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &items); err != nil {
			return nil, fmt.Errorf("decode licenses: %w", err)
		}
		for _, it := range items {
			out = append(out, it.license())
		}
	}
	return out, nil
}

// CustomerNames implements portal.MarginStore. Customers with licenses have
// a plan other than "none", so their names come from the plan index (GSI3)
// without its "none" range: a Query per 1 MB page, however many unlicensed
// customers the partner has. The few it misses (archived customers, or ones
// whose licenses were all revoked since) are read with BatchGetItem.
func (s *Store) CustomerNames(ctx context.Context, partnerID string, ids []string) (map[string]string, error) {
	names := map[string]string{}
	missing := func() []string {
		var out []string
		for _, id := range ids {
			if _, ok := names[id]; !ok {
				out = append(out, id)
			}
		}
		return out
	}
	// GSI3SK sorts "mixed" < "none" < "per_asset" < "per_scan" < "unlimited".
	none := string(portal.PlanNone) + sep
	for _, cond := range []struct{ expr, value string }{
		{"GSI3SK < :v", none},
		{"GSI3SK > :v", none + "\U0010FFFF"},
	} {
		if len(missing()) == 0 {
			break
		}
		p := dynamodb.NewQueryPaginator(s.Client, &dynamodb.QueryInput{
			TableName:                 &s.Table,
			IndexName:                 aws.String(indexByPlan),
			KeyConditionExpression:    aws.String("GSIPK = :pk AND " + cond.expr),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(customerListPK(partnerID, false)), ":v": str(cond.value)},
			ProjectionExpression:      aws.String("tenantId, #name"),
			ExpressionAttributeNames:  map[string]string{"#name": "name"},
			ReturnConsumedCapacity:    total,
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("query customer names: %w", err)
			}
			if err := addNames(names, page.Items); err != nil {
				return nil, err
			}
		}
	}
	for rest := missing(); len(rest) > 0; {
		batch := rest[:min(len(rest), 100)]
		rest = rest[len(batch):]
		keys := make([]map[string]types.AttributeValue, len(batch))
		for i, id := range batch {
			keys[i] = key(tenantPK(partnerID, id), customerSK)
		}
		req := map[string]types.KeysAndAttributes{s.Table: {
			Keys: keys, ProjectionExpression: aws.String("tenantId, partnerId, #name"),
			ExpressionAttributeNames: map[string]string{"#name": "name"},
		}}
		for len(req) > 0 {
			out, err := s.Client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req, ReturnConsumedCapacity: total})
			if err != nil {
				return nil, fmt.Errorf("batch get customer names: %w", err)
			}
			var mine []map[string]types.AttributeValue
			for _, item := range out.Responses[s.Table] {
				if v, ok := item["partnerId"].(*types.AttributeValueMemberS); ok && v.Value == partnerID {
					mine = append(mine, item)
				}
			}
			if err := addNames(names, mine); err != nil {
				return nil, err
			}
			req = out.UnprocessedKeys
		}
	}
	return names, nil
}

func addNames(names map[string]string, items []map[string]types.AttributeValue) error {
	var rows []struct {
		TenantID string `dynamodbav:"tenantId"`
		Name     string `dynamodbav:"name"`
	}
	if err := attributevalue.UnmarshalListOfMaps(items, &rows); err != nil {
		return fmt.Errorf("decode customer names: %w", err)
	}
	for _, r := range rows {
		names[r.TenantID] = r.Name
	}
	return nil
}

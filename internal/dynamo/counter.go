package dynamo

import (
	"context"
	"errors"
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

// counterItem is a live usage counter (portal.Counter). The license terms
// it is measured against are copied into it whenever the license changes,
// in the same transaction, so the conditions that enforce hard limits and
// the stream that derives the ledger need only this one item.
type counterItem struct {
	PK              string `dynamodbav:"PK"`
	SK              string `dynamodbav:"SK"`
	Entity          string `dynamodbav:"entity"`
	Kind            string `dynamodbav:"kind"`
	PartnerID       string `dynamodbav:"partnerId"`
	TenantID        string `dynamodbav:"tenantId"`
	Used            int64  `dynamodbav:"used"`
	ChangedAt       string `dynamodbav:"changedAt"`
	LicenseID       string `dynamodbav:"licenseId,omitempty"`
	Model           string `dynamodbav:"model,omitempty"`
	Quantity        int64  `dynamodbav:"quantity,omitempty"`
	Policy          string `dynamodbav:"policy,omitempty"`
	BillingPeriod   string `dynamodbav:"billingPeriod,omitempty"`
	LicenseStartsAt string `dynamodbav:"licenseStartsAt,omitempty"`
	LicenseEndsAt   string `dynamodbav:"licenseEndsAt,omitempty"`
	PeriodStart     string `dynamodbav:"periodStart,omitempty"`
}

const entityCounter = "counter"

func (it counterItem) counter() portal.Counter {
	return portal.Counter{
		Kind: portal.CounterKind(it.Kind), PartnerID: it.PartnerID, TenantID: it.TenantID, Used: it.Used,
		ChangedAt: parseTime(it.ChangedAt), LicenseID: it.LicenseID, Model: portal.LicenseModel(it.Model),
		Quantity: it.Quantity, Policy: portal.OveragePolicy(it.Policy), BillingPeriod: portal.BillingPeriod(it.BillingPeriod),
		LicenseStartsAt: parseTime(it.LicenseStartsAt), LicenseEndsAt: parseTimePtr(it.LicenseEndsAt),
		PeriodStart: parseTime(it.PeriodStart),
	}
}

// AssetCounter implements portal.AssetStore.
func (s *Store) AssetCounter(ctx context.Context, scope tenancy.Scope, customerID string) (portal.Counter, error) {
	it, ok, err := getTenantItem[counterItem](ctx, s, scope, customerID, assetCounterSK)
	if err != nil {
		return portal.Counter{}, err
	}
	if !ok {
		return portal.Counter{Kind: portal.CounterAssets, PartnerID: scope.PartnerID, TenantID: customerID}, nil
	}
	return it.counter(), nil
}

// counterUpdate builds an update of a counter item: set are SET clauses
// ("name = :value", the names as in counterItem's tags), add ADD clauses.
type counterUpdate struct {
	set, add, remove []string
	cond             []string
	values           map[string]types.AttributeValue
}

func newCounterUpdate(kind portal.CounterKind, partnerID, tenantID string, at time.Time) *counterUpdate {
	u := &counterUpdate{values: map[string]types.AttributeValue{}}
	u.setValue("entity", str(entityCounter))
	u.setValue("kind", str(string(kind)))
	u.setValue("partnerId", str(partnerID))
	u.setValue("tenantId", str(tenantID))
	u.setValue("changedAt", str(formatTime(at)))
	return u
}

func (u *counterUpdate) setValue(attr string, v types.AttributeValue) {
	u.set = append(u.set, "#"+attr+" = :"+attr)
	u.values[":"+attr] = v
}

// setDefault sets attr to v unless it has a value.
func (u *counterUpdate) setDefault(attr string, v types.AttributeValue) {
	u.set = append(u.set, "#"+attr+" = if_not_exists(#"+attr+", :"+attr+")")
	u.values[":"+attr] = v
}

// license copies the terms of l into the counter: license changes do;
// keep (scan admissions) sets only terms the counter has not got, so that
// an admission with a license read earlier never undoes a change of it.
func (u *counterUpdate) license(l portal.License, keep bool) {
	set := u.setValue
	if keep {
		set = u.setDefault
	}
	set("licenseId", str(l.ID))
	set("model", str(string(l.Model)))
	set("quantity", num(l.Quantity))
	set("policy", str(string(l.OveragePolicy)))
	set("billingPeriod", str(string(l.BillingPeriod)))
	set("licenseStartsAt", str(formatTime(l.StartsAt)))
	switch end := l.EndsAt; {
	case l.RevokedAt != nil && (end == nil || l.RevokedAt.Before(*end)):
		set("licenseEndsAt", str(formatTime(*l.RevokedAt)))
	case end != nil:
		set("licenseEndsAt", str(formatTime(*end)))
	case !keep:
		u.remove = append(u.remove, "#licenseEndsAt")
	}
}

func (u *counterUpdate) build(table string, pk, sk string) *types.Update {
	expr := "SET " + strings.Join(u.set, ", ")
	if len(u.add) > 0 {
		expr += " ADD " + strings.Join(u.add, ", ")
	}
	if len(u.remove) > 0 {
		expr += " REMOVE " + strings.Join(u.remove, ", ")
	}
	names := map[string]string{}
	for _, part := range [][]string{u.set, u.add, u.remove, u.cond} {
		for _, clause := range part {
			for _, f := range strings.FieldsFunc(clause, func(r rune) bool { return !(r == '#' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') }) {
				if strings.HasPrefix(f, "#") {
					names[f] = f[1:]
				}
			}
		}
	}
	up := &types.Update{
		TableName: &table, Key: key(pk, sk), UpdateExpression: aws.String(expr),
		ExpressionAttributeNames: names, ExpressionAttributeValues: u.values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	if len(u.cond) > 0 {
		up.ConditionExpression = aws.String("(" + strings.Join(u.cond, ") AND (") + ")")
	}
	return up
}

// moveAssetCounter adds n to a tenant's asset counter. With seen, the
// counter must still be as seen: under a hard license with room for n,
// the same license and quantity with used ≤ quantity − n; otherwise not
// under a hard license in force at at.
func (s *Store) moveAssetCounter(partnerID, tenantID string, n int64, seen *portal.Counter, at time.Time) *types.Update {
	u := newCounterUpdate(portal.CounterAssets, partnerID, tenantID, at)
	u.add = append(u.add, "#used :n")
	u.values[":n"] = num(n)
	if seen != nil {
		if seen.Free(at) >= 0 {
			u.cond = append(u.cond, "#licenseId = :lid AND #quantity = :q AND #policy = :hard AND #used <= :max")
			u.values[":lid"], u.values[":q"], u.values[":max"] = str(seen.LicenseID), num(seen.Quantity), num(seen.Quantity-n)
		} else {
			u.cond = append(u.cond, "attribute_not_exists(#licenseId) OR #policy <> :hard OR #licenseEndsAt <= :at")
			u.values[":at"] = str(formatTime(at))
		}
		u.values[":hard"] = str(string(portal.OverageHard))
	}
	return u.build(s.Table, tenantPK(partnerID, tenantID), assetCounterSK)
}

// licenseCounterSync returns the counter update that copies license l's
// terms into the counter it is measured by, or nil when there is nothing
// to copy. Per-asset licenses: the tenant's asset counter (current is that
// counter as stored) follows the license in force at at; it takes a
// license only from none, itself or one that has ended, and refuses to
// lower the quantity below the assets in use. Per-scan licenses: the
// counter of the period at at.
func (s *Store) licenseCounterSync(l portal.License, current portal.Counter, at time.Time) *types.Update {
	pk := tenantPK(l.PartnerID, l.TenantID)
	switch l.Model {
	case portal.ModelPerAsset:
		inForce := l.Status(at) == portal.LicenseActive && !at.Before(l.StartsAt)
		if !inForce && current.LicenseID != l.ID {
			return nil // not (or no longer) the license the counter is measured by
		}
		u := newCounterUpdate(portal.CounterAssets, l.PartnerID, l.TenantID, at)
		u.license(l, false)
		u.add = append(u.add, "#used :zero")
		u.values[":zero"], u.values[":lid"], u.values[":at"] = num(0), str(l.ID), str(formatTime(at))
		u.cond = append(u.cond,
			"attribute_not_exists(#licenseId) OR #licenseId = :lid OR #licenseEndsAt <= :at",
			"attribute_not_exists(#quantity) OR #licenseId <> :lid OR #quantity <= :quantity OR #used <= :quantity")
		return u.build(s.Table, pk, assetCounterSK)
	case portal.ModelPerScan:
		u, period := scanCounterUpdate(l, at, 0, false)
		return u.build(s.Table, pk, scanCounterSK(l.ID, period.Start))
	}
	return nil
}

// scanCounterUpdate adds n to the scan counter of per-scan license l's
// period at at, with l's terms (see counterUpdate.license for keep); it
// returns the period too.
func scanCounterUpdate(l portal.License, at time.Time, n int64, keep bool) (*counterUpdate, portal.Period) {
	period := portal.PeriodAt(l.StartsAt, l.BillingPeriod, at)
	u := newCounterUpdate(portal.CounterScans, l.PartnerID, l.TenantID, at)
	u.license(l, keep)
	u.setValue("periodStart", str(formatTime(period.Start)))
	u.add = append(u.add, "#used :n")
	u.values[":n"] = num(n)
	return u, period
}

// updateItem sends up on its own, answering the item as rv asks.
func (s *Store) updateItem(ctx context.Context, up *types.Update, rv types.ReturnValue, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: up.TableName, Key: up.Key, UpdateExpression: up.UpdateExpression, ConditionExpression: up.ConditionExpression,
		ExpressionAttributeNames: up.ExpressionAttributeNames, ExpressionAttributeValues: up.ExpressionAttributeValues,
		ReturnValues: rv, ReturnValuesOnConditionCheckFailure: up.ReturnValuesOnConditionCheckFailure, ReturnConsumedCapacity: total,
	}, opts...)
}

// SyncAssetCounter implements portal.AssetStore: the asset counter
// follows per-asset license l, in force at at (a renewal that started
// after the license the counter followed ended). ECONFLICT when another
// license in force holds the counter.
func (s *Store) SyncAssetCounter(ctx context.Context, scope tenancy.Scope, l portal.License, at time.Time) error {
	if !inScope(scope, l.PartnerID, l.TenantID) {
		return portal.Errorf(portal.ENOTFOUND, "license %s not found", l.ID)
	}
	current, err := s.AssetCounter(ctx, scope, l.TenantID)
	if err != nil {
		return err
	}
	up := s.licenseCounterSync(l, current, at)
	if up == nil {
		return nil
	}
	_, err = s.updateItem(ctx, up, types.ReturnValueNone, s.inTenant(ctx, scope)...)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return assetCounterConflict(ccf.Item, []portal.License{l})
	}
	if err != nil {
		return fmt.Errorf("sync asset counter to %s: %w", l.ID, err)
	}
	return nil
}

// scanCount is the counter update that counts one more scan of per-scan
// license l in its period at at. The counter's own terms decide (a change
// of the license since l was read is already in them): the license is in
// force and, under a hard limit, has a scan left.
func (s *Store) scanCount(scope tenancy.Scope, l portal.License, at time.Time) (*types.Update, portal.Period, error) {
	if !inScope(scope, l.PartnerID, l.TenantID) || l.Model != portal.ModelPerScan {
		return nil, portal.Period{}, portal.Errorf(portal.ENOTFOUND, "license %s not found", l.ID)
	}
	if l.Status(at) != portal.LicenseActive || at.Before(l.StartsAt) {
		return nil, portal.Period{}, portal.Errorf(portal.ECONFLICT, "license %s is not in force", l.ID)
	}
	u, period := scanCounterUpdate(l, at, 1, true)
	u.cond = append(u.cond, "attribute_not_exists(#licenseEndsAt) OR #licenseEndsAt > :changedAt",
		"attribute_not_exists(#used) OR #policy <> :hard OR #used < #quantity")
	u.values[":hard"] = str(string(portal.OverageHard))
	return u.build(s.Table, tenantPK(l.PartnerID, l.TenantID), scanCounterSK(l.ID, period.Start)), period, nil
}

// scanRefused explains, from the counter as it was, why scanCount's
// condition failed.
func scanRefused(item map[string]types.AttributeValue, l portal.License, at time.Time, period portal.Period) error {
	var cur counterItem
	_ = attributevalue.UnmarshalMap(item, &cur)
	if cur.LicenseEndsAt != "" && cur.LicenseEndsAt <= formatTime(at) {
		return portal.Errorf(portal.ECONFLICT, "license %s ended at %s", l.ID, cur.LicenseEndsAt)
	}
	return portal.Errorf(portal.ECONFLICT, "license %s allows %d scans per period (hard limit) and all are used: none left until %s", l.ID, cur.Quantity, period.End.Format(time.RFC3339))
}

// CountScan counts one more scan of per-scan license l on its own (AdmitScan
// does it in the scan's transaction); ECONFLICT, saying why, when the
// license has ended or a hard limit has no scan left. It returns the
// counter as changed.
func (s *Store) CountScan(ctx context.Context, scope tenancy.Scope, l portal.License, at time.Time) (portal.Counter, error) {
	up, period, err := s.scanCount(scope, l, at)
	if err != nil {
		return portal.Counter{}, err
	}
	res, err := s.updateItem(ctx, up, types.ReturnValueAllNew, s.inTenant(ctx, scope)...)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return portal.Counter{}, scanRefused(ccf.Item, l, at, period)
	}
	if err != nil {
		return portal.Counter{}, fmt.Errorf("count a scan on %s: %w", l.ID, err)
	}
	var it counterItem
	if err := attributevalue.UnmarshalMap(res.Attributes, &it); err != nil {
		return portal.Counter{}, fmt.Errorf("decode counter: %w", err)
	}
	return it.counter(), nil
}

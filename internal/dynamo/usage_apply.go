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

	"github.com/partnerportal/portal/internal/portal"
)

// CounterRecord is one counter change from the stream, with its event ID.
type CounterRecord struct {
	EventID string
	Change  portal.CounterChange
}

const (
	// maxApplyAttempts bounds the retries of one change when its ledger
	// periods change under it (another shard's record of the same tenant).
	maxApplyAttempts = 8
	// maxGroup bounds the records applied in one transaction.
	maxGroup = 25
	// maxApplyItems bounds a transaction's items, below DynamoDB's 100.
	maxApplyItems = 100
)

// ApplyCounterChange applies one counter change, identified by its stream
// event ID, to the usage ledger and stores the alerts it raises, in one
// transaction with a marker of the event (kept until expires). A change
// applied before is not applied again: applied is false then. The ledger
// periods are read first and written conditionally on their versions, and
// read again when another writer got in between.
func (s *Store) ApplyCounterChange(ctx context.Context, eventID string, ch portal.CounterChange, expires time.Time) (applied bool, err error) {
	r := []CounterRecord{{eventID, ch}}
	for attempt := 1; ; attempt++ {
		out, err := s.applyTogether(ctx, r, expires)
		switch {
		case err != nil:
			return false, err
		case out == appliedNow:
			return true, nil
		case out == markedBefore:
			return false, nil
		case attempt >= maxApplyAttempts:
			return false, fmt.Errorf("apply %s: the ledger kept changing meanwhile", eventID)
		}
		conflictBackoff(ctx, attempt)
	}
}

// ApplyCounterChanges applies records in order, each once per event ID as
// ApplyCounterChange does, but up to maxGroup of them with one read and one
// transaction. A group that meets a record applied before, a concurrent
// ledger write or too many items for one transaction is applied one record
// at a time instead. applied says, for the records handled from the first
// on, whether each was applied now (false: before); it covers every record
// unless err is set, and the records after it are then not applied.
func (s *Store) ApplyCounterChanges(ctx context.Context, records []CounterRecord, expires time.Time) (applied []bool, err error) {
	for len(applied) < len(records) {
		group := records[len(applied):min(len(records), len(applied)+maxGroup)]
		if len(group) > 1 {
			out, err := s.applyTogether(ctx, group, expires)
			if err != nil {
				return applied, err
			}
			if out == appliedNow {
				for range group {
					applied = append(applied, true)
				}
				continue
			}
		}
		for _, r := range group {
			a, err := s.ApplyCounterChange(ctx, r.EventID, r.Change, expires)
			if err != nil {
				return applied, err
			}
			applied = append(applied, a)
		}
	}
	return applied, nil
}

// applyOutcome is what became of one attempt to apply records together.
type applyOutcome int

const (
	appliedNow   applyOutcome = iota // all applied
	markedBefore                     // nothing written: a record was applied before
	notTogether                      // nothing written: a ledger period changed meanwhile, or too many items
)

// applyTogether applies records in one transaction: a marker per record
// (first, in order), then the ledger periods they touch and their alerts.
func (s *Store) applyTogether(ctx context.Context, records []CounterRecord, expires time.Time) (applyOutcome, error) {
	pks := make([]string, len(records))
	ids := map[string]bool{}
	ledgerPK := map[portal.LedgerKey]string{}
	var keys []portal.LedgerKey
	for i, r := range records {
		c := r.Change.New
		if c == nil {
			c = r.Change.Old
		}
		if c == nil || c.PartnerID == "" || c.TenantID == "" {
			return 0, fmt.Errorf("apply %s: a counter change without images", r.EventID)
		}
		if ids[r.EventID] {
			return notTogether, nil
		}
		ids[r.EventID] = true
		pks[i] = tenantPK(c.PartnerID, c.TenantID)
		for _, k := range r.Change.Ledgers() {
			if _, ok := ledgerPK[k]; !ok {
				ledgerPK[k], keys = pks[i], append(keys, k)
			}
		}
	}
	ledgers, err := s.readLedgers(ctx, keys, ledgerPK)
	if err != nil {
		return 0, err
	}
	var alerts []portal.Alert
	for _, r := range records {
		alerts = append(alerts, r.Change.Apply(ledgers)...)
	}
	tx := make([]types.TransactWriteItem, 0, len(records)+len(keys)+len(alerts))
	for i, r := range records {
		marker, err := attributevalue.MarshalMap(markerItem{PK: pks[i], SK: appliedSK(r.EventID), Entity: entityMarker, ExpiresAt: expires.Unix()})
		if err != nil {
			return 0, fmt.Errorf("encode marker: %w", err)
		}
		tx = append(tx, types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: marker, ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	}
	more, err := s.ledgerWrites(keys, ledgers, alerts)
	if err != nil {
		return 0, err
	}
	if tx = append(tx, more...); len(tx) > maxApplyItems {
		return notTogether, nil
	}
	// No ClientRequestToken: the markers make the transaction idempotent,
	// and a token reused by a redelivery (read against newer ledger
	// versions) would fail it with IdempotentParameterMismatchException.
	_, err = s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx, ReturnConsumedCapacity: total})
	var tce *types.TransactionCanceledException
	switch {
	case err == nil:
		return appliedNow, nil
	case !errors.As(err, &tce):
		return 0, fmt.Errorf("apply %s (and %d more): %w", records[0].EventID, len(records)-1, err)
	}
	for i := range records {
		if canceledFor(err, i) {
			return markedBefore, nil
		}
	}
	return notTogether, nil
}

// readLedgers reads the ledger periods keys, each in its partition.
func (s *Store) readLedgers(ctx context.Context, keys []portal.LedgerKey, pk map[portal.LedgerKey]string) (map[portal.LedgerKey]*portal.UsagePeriod, error) {
	req := make([]map[string]types.AttributeValue, len(keys))
	for i, k := range keys {
		req[i] = key(pk[k], usageSK(k.LicenseID, k.PeriodStart))
	}
	items, err := s.batchGet(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("read usage ledger: %w", err)
	}
	out := map[portal.LedgerKey]*portal.UsagePeriod{}
	for _, av := range items {
		var it usageItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, fmt.Errorf("decode usage: %w", err)
		}
		u := it.usage()
		out[u.Key()] = &u
	}
	return out, nil
}

// ledgerWrites are the puts of the ledger periods keys (each over the
// version it was read at, or new) and of new alerts.
func (s *Store) ledgerWrites(keys []portal.LedgerKey, ledgers map[portal.LedgerKey]*portal.UsagePeriod, alerts []portal.Alert) ([]types.TransactWriteItem, error) {
	var tx []types.TransactWriteItem
	for _, k := range keys {
		u := ledgers[k]
		if u == nil {
			continue
		}
		prev := u.Version
		u.Version++
		put, err := s.versioned(toUsageItem(*u), u.Version, u.PartnerID)
		if err != nil {
			return nil, err
		}
		if prev == 0 {
			put.ConditionExpression = aws.String("attribute_not_exists(PK)")
			put.ExpressionAttributeValues = nil
		}
		tx = append(tx, types.TransactWriteItem{Put: put})
	}
	for _, a := range alerts {
		av, err := attributevalue.MarshalMap(toAlertItem(a))
		if err != nil {
			return nil, fmt.Errorf("encode alert: %w", err)
		}
		tx = append(tx, types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	}
	return tx, nil
}

package dynamo_test

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/partnerportal/portal/internal/ddbtest"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerportal/portal/internal/portal"
)

func TestIdempotencyKeys(t *testing.T) {
	e := newEnv(t)
	s := e.store
	ctx := e.ctx
	scope := e.ids.New(portal.PrefixPartner) + "#" + e.ids.New(portal.PrefixUser)
	response := portal.StoredResponse{Status: 201, Headers: map[string]string{"Location": "/v1/customers/cus_1", "ETag": `"1"`}, Body: `{"id":"cus_1"}`}

	reserve := func(t *testing.T, key, fp string, now time.Time) *portal.IdempotencyRecord {
		t.Helper()
		rec, err := s.ReserveIdempotencyKey(ctx, scope, key, fp, now)
		mustOK(t, "reserve "+key, err)
		return rec
	}

	t.Run("AFreeKeyIsReserved", func(t *testing.T) {
		if rec := reserve(t, "k-free", "fp1", e.clock.Now()); rec != nil {
			t.Fatalf("first reserve = %+v, want nil", rec)
		}
	})

	t.Run("ASecondReserveReturnsThePendingRecord", func(t *testing.T) {
		reserve(t, "k-pending", "fp1", e.clock.Now())
		rec := reserve(t, "k-pending", "fp2", e.clock.Now().Add(time.Second))
		if rec == nil {
			t.Fatal("second reserve = nil, want the pending record")
		}
		if got, want := *rec, (portal.IdempotencyRecord{Fingerprint: "fp1"}); !reflect.DeepEqual(got, want) {
			t.Fatalf("record = %+v, want %+v", got, want)
		}
	})

	t.Run("ACompletedKeyReturnsTheResponse", func(t *testing.T) {
		reserve(t, "k-done", "fp1", e.clock.Now())
		mustOK(t, "complete", s.CompleteIdempotencyKey(ctx, scope, "k-done", response))
		rec := reserve(t, "k-done", "fp1", e.clock.Now().Add(time.Minute))
		if rec == nil {
			t.Fatal("reserve after complete = nil, want the completed record")
		}
		if got, want := *rec, (portal.IdempotencyRecord{Fingerprint: "fp1", Done: true, Response: response}); !reflect.DeepEqual(got, want) {
			t.Fatalf("record = %+v, want %+v", got, want)
		}
	})

	t.Run("ALargeResponseRoundTrips", func(t *testing.T) {
		// A thousand assets' answer is larger than a DynamoDB item may be.
		big := portal.StoredResponse{Status: 201, Headers: map[string]string{}, Body: `{"results":[` + strings.Repeat(`{"status":"created","asset":{"value":"host.example.com","verification":"…"}},`, 12000) + `{}]}`}
		if len(big.Body) < 800<<10 {
			t.Fatalf("body of %d bytes is too small for this test", len(big.Body))
		}
		reserve(t, "k-big", "fp1", e.clock.Now())
		mustOK(t, "complete", s.CompleteIdempotencyKey(ctx, scope, "k-big", big))
		rec := reserve(t, "k-big", "fp1", e.clock.Now().Add(time.Minute))
		if rec == nil || !rec.Done || rec.Response.Body != big.Body {
			t.Fatalf("replayed record done %v, body of %d bytes; want the %d bytes stored", rec != nil && rec.Done, len(rec.Response.Body), len(big.Body))
		}
	})

	t.Run("AResponseWithoutHeadersRoundTrips", func(t *testing.T) {
		reserve(t, "k-bare", "fp1", e.clock.Now())
		mustOK(t, "complete", s.CompleteIdempotencyKey(ctx, scope, "k-bare", portal.StoredResponse{Status: 204}))
		rec := reserve(t, "k-bare", "fp1", e.clock.Now())
		if rec == nil || !rec.Done || rec.Response.Status != 204 || rec.Response.Body != "" || len(rec.Response.Headers) != 0 {
			t.Fatalf("record = %+v, want done with status 204 and nothing else", rec)
		}
	})

	t.Run("ReleaseFreesTheKey", func(t *testing.T) {
		reserve(t, "k-release", "fp1", e.clock.Now())
		mustOK(t, "release", s.ReleaseIdempotencyKey(ctx, scope, "k-release"))
		if rec := reserve(t, "k-release", "fp2", e.clock.Now()); rec != nil {
			t.Fatalf("reserve after release = %+v, want nil", rec)
		}
		if rec := reserve(t, "k-release", "fp3", e.clock.Now()); rec == nil || rec.Fingerprint != "fp2" {
			t.Fatalf("reserve after re-reserve = %+v, want the record of fp2", rec)
		}
	})

	t.Run("ReleasingAFreeKeyIsHarmless", func(t *testing.T) {
		mustOK(t, "release", s.ReleaseIdempotencyKey(ctx, scope, "k-never"))
	})

	t.Run("AnExpiredRecordCanBeReservedAgain", func(t *testing.T) {
		start := e.clock.Now()
		reserve(t, "k-expire", "fp1", start)
		mustOK(t, "complete", s.CompleteIdempotencyKey(ctx, scope, "k-expire", response))
		if rec := reserve(t, "k-expire", "fp2", start.Add(portal.IdempotencyTTL-time.Second)); rec == nil || !rec.Done {
			t.Fatalf("reserve just before expiry = %+v, want the completed record", rec)
		}
		later := start.Add(portal.IdempotencyTTL + time.Second)
		if rec := reserve(t, "k-expire", "fp2", later); rec != nil {
			t.Fatalf("reserve after expiry = %+v, want nil", rec)
		}
		if rec := reserve(t, "k-expire", "fp3", later); rec == nil || rec.Fingerprint != "fp2" || rec.Done {
			t.Fatalf("reserve after the new reservation = %+v, want the pending record of fp2", rec)
		}
	})

	t.Run("RecordsCarryATTL", func(t *testing.T) {
		now := e.clock.Now()
		reserve(t, "k-ttl", "fp1", now)
		item := e.rawItem(t, "IDEMPOTENCY#"+scope+"#k-ttl", "IDEMPOTENCY")
		v, ok := item["expiresAt"].(*types.AttributeValueMemberN)
		if !ok {
			t.Fatalf("expiresAt = %#v, want a number (the table's TTL attribute)", item["expiresAt"])
		}
		if got, want := v.Value, strconv.FormatInt(now.Add(portal.IdempotencyTTL).Unix(), 10); got != want {
			t.Fatalf("expiresAt = %s, want %s", got, want)
		}
	})

	t.Run("ScopesDoNotShareKeys", func(t *testing.T) {
		reserve(t, "k-shared", "fp1", e.clock.Now())
		other := e.ids.New(portal.PrefixPartner) + "#" + e.ids.New(portal.PrefixUser)
		rec, err := s.ReserveIdempotencyKey(ctx, other, "k-shared", "fp9", e.clock.Now())
		mustOK(t, "reserve in another scope", err)
		if rec != nil {
			t.Fatalf("reserve in another scope = %+v, want nil", rec)
		}
	})

	t.Run("CompletingAReleasedKeyDoesNotBlockItForever", func(t *testing.T) {
		// A late Complete after Release (or after the record expired and was
		// deleted) must not leave a record without expiry behind.
		now := e.clock.Now()
		reserve(t, "k-late", "fp1", now)
		mustOK(t, "release", s.ReleaseIdempotencyKey(ctx, scope, "k-late"))
		_ = s.CompleteIdempotencyKey(ctx, scope, "k-late", response)
		if rec := reserve(t, "k-late", "fp2", now.Add(portal.IdempotencyTTL+time.Hour)); rec != nil {
			t.Fatalf("reserve a day after a late complete = %+v, want nil", rec)
		}
	})
}

// A claim whose request crashed or timed out does not block its key for a day.
func TestAnAbandonedIdempotencyClaimCanBeTakenOver(t *testing.T) {
	store := ddbtest.NewStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	if prior, err := store.ReserveIdempotencyKey(ctx, "prt_x#usr_x", "k", "fp", now); err != nil || prior != nil {
		t.Fatalf("first claim = %+v, %v", prior, err)
	}
	if prior, err := store.ReserveIdempotencyKey(ctx, "prt_x#usr_x", "k", "fp", now.Add(30*time.Second)); err != nil || prior == nil || prior.Done {
		t.Fatalf("a claim still running must be reported pending: %+v, %v", prior, err)
	}
	if prior, err := store.ReserveIdempotencyKey(ctx, "prt_x#usr_x", "k", "fp", now.Add(3*time.Minute)); err != nil || prior != nil {
		t.Fatalf("an abandoned claim must be taken over: %+v, %v", prior, err)
	}
}

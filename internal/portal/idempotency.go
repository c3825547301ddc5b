package portal

import (
	"context"
	"time"
)

// IdempotencyTTL is how long a POST's Idempotency-Key is remembered.
const IdempotencyTTL = 24 * time.Hour

// StoredResponse is a response remembered for an Idempotency-Key.
type StoredResponse struct {
	Status  int
	Headers map[string]string
	Body    string
}

// IdempotencyRecord is what is known about an Idempotency-Key.
type IdempotencyRecord struct {
	Fingerprint string
	Done        bool
	Response    StoredResponse
}

// IdempotencyStore remembers the outcome of POST requests by key. Keys are
// scoped by the caller, so two callers never share one.
type IdempotencyStore interface {
	// ReserveIdempotencyKey claims key for a request with fingerprint. It
	// returns (nil, nil) when the claim succeeded, or the existing record.
	ReserveIdempotencyKey(ctx context.Context, scope, key, fingerprint string, now time.Time) (*IdempotencyRecord, error)
	// CompleteIdempotencyKey stores the response of a claimed key.
	CompleteIdempotencyKey(ctx context.Context, scope, key string, r StoredResponse) error
	// ReleaseIdempotencyKey forgets a claimed key whose request failed, so it can be retried.
	ReleaseIdempotencyKey(ctx context.Context, scope, key string) error
}

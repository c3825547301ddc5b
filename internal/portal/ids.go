package portal

import (
	"crypto/rand"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// ID prefixes. Every ID is a prefix plus a 26-character ULID, so a key prefix
// built from one ID can never match another.
const (
	PrefixPartner  = "prt_"
	PrefixUser     = "usr_"
	PrefixCustomer = "cus_"
	PrefixAPIKey   = "key_"
	PrefixLicense  = "lic_"
	PrefixPrepaid  = "ppd_"
	PrefixSession  = "ses_"
)

// Clock returns the current time. Services take one so tests control time.
type Clock func() time.Time

// IDs makes new prefixed, time-ordered IDs. Services take one so tests control IDs.
type IDs interface {
	New(prefix string) string
}

// SystemClock is the wall clock in UTC, to the millisecond (as stored).
func SystemClock() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// ULIDs makes monotonic ULID-based IDs from crypto/rand. Safe for concurrent use.
type ULIDs struct {
	mu      sync.Mutex
	entropy *ulid.MonotonicEntropy
}

// New returns prefix followed by a new ULID.
func (g *ULIDs) New(prefix string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.entropy == nil {
		g.entropy = ulid.Monotonic(rand.Reader, 0)
	}
	return prefix + ulid.MustNew(ulid.Timestamp(time.Now()), g.entropy).String()
}

// ValidID reports whether id is prefix followed by a well-formed ULID.
func ValidID(prefix, id string) bool {
	rest, ok := strings.CutPrefix(id, prefix)
	if !ok || len(rest) != ulid.EncodedSize {
		return false
	}
	_, err := ulid.ParseStrict(rest)
	return err == nil && strings.ToUpper(rest) == rest
}

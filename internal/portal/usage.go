package portal

import (
	"crypto/sha256"
	"slices"
	"strconv"
	"time"

	"github.com/oklog/ulid/v2"
)

// PrefixAlert prefixes alert IDs.
const PrefixAlert = "alr_"

// CounterKind says what a live counter counts.
type CounterKind string

// Counter kinds. A tenant has one asset counter (the assets it monitors,
// measured against its per-asset license if it has one) and one scan
// counter per per-scan license period.
const (
	CounterAssets CounterKind = "assets"
	CounterScans  CounterKind = "scans"
)

// Counter is one image of a live usage counter: the count and, copied from
// the license it is measured against, what the stream needs to derive the
// ledger and alerts without reading the license. Counters change in the
// same transaction as the items they count (assets, admitted scans) and as
// the license they mirror.
type Counter struct {
	Kind      CounterKind
	PartnerID string
	TenantID  string
	Used      int64
	ChangedAt time.Time // when Used or the license terms last changed
	// The license counted against; LicenseID is "" when there is none.
	LicenseID       string
	Model           LicenseModel
	Quantity        int64
	Policy          OveragePolicy
	BillingPeriod   BillingPeriod
	LicenseStartsAt time.Time
	LicenseEndsAt   *time.Time
	PeriodStart     time.Time // scan counters: the period counted
}

// Licensed reports whether the counter is measured against a license in force at t.
func (c Counter) Licensed(t time.Time) bool {
	return c.LicenseID != "" && (c.LicenseEndsAt == nil || t.Before(*c.LicenseEndsAt))
}

// Free returns how many more units fit under the counter's license; -1
// when nothing limits them (no license, or soft overage).
func (c Counter) Free(t time.Time) int64 {
	if !c.Licensed(t) || c.Policy != OverageHard {
		return -1
	}
	return max(0, c.Quantity-c.Used)
}

// endOr returns when the license ends, or t when it does not end sooner.
func (c Counter) endOr(t time.Time) time.Time {
	if c.LicenseEndsAt != nil && c.LicenseEndsAt.Before(t) {
		return *c.LicenseEndsAt
	}
	return t
}

// period is the license period the counter's image counts in.
func (c Counter) period() Period {
	if c.Kind == CounterScans {
		return PeriodAt(c.LicenseStartsAt, c.BillingPeriod, c.PeriodStart)
	}
	return PeriodAt(c.LicenseStartsAt, c.BillingPeriod, c.ChangedAt)
}

// Thresholds returns the usage percentages that raise alerts for model:
// its alert threshold and 100; none for unlimited licenses.
func Thresholds(m LicenseModel) []int {
	if t := m.AlertThresholdPercent(); t > 0 {
		return []int{t, 100}
	}
	return nil
}

// reached reports whether used is at or above pct percent of quantity.
func reached(used, quantity int64, pct int) bool {
	return quantity > 0 && used*100 >= int64(pct)*quantity
}

// UsagePeriod is the ledger of one license period, derived from the
// counters' change stream. Every field is a sum, maximum or latest value
// of the applied changes, so applying each change once gives the same
// ledger in whatever grouping the changes arrive.
type UsagePeriod struct {
	PartnerID string
	TenantID  string
	LicenseID string
	Model     LicenseModel
	Period    Period
	Quantity  int64 // as of the latest change
	// Per-scan licenses: scans admitted in the period.
	Scans int64
	// Per-asset licenses: the most assets at once, the latest count and
	// when it was taken, and asset-seconds (assets × time monitored,
	// over the changes applied so far; reports add the open interval).
	PeakAssets    int64
	CurrentAssets int64
	CurrentAt     time.Time
	AssetSeconds  int64
	// Overage is the most units beyond Quantity at any time in the period.
	Overage int64
	// Changes is the number of counter changes applied to the period.
	Changes int64
	// Raised holds the thresholds alerted in the period; Rearms counts,
	// per threshold, how often raising the quantity re-armed it.
	Raised  map[int]bool
	Rearms  map[int]int
	Version int64 // 0 until stored
}

// LedgerKey names one ledger period of a license.
type LedgerKey struct {
	LicenseID   string
	PeriodStart time.Time
}

// Key returns the ledger key of u.
func (u UsagePeriod) Key() LedgerKey { return LedgerKey{u.LicenseID, u.Period.Start} }

// Alert is a usage threshold reached by a license in a period.
type Alert struct {
	ID             string
	PartnerID      string
	TenantID       string
	LicenseID      string
	Model          LicenseModel
	Threshold      int
	Used           int64
	Quantity       int64
	Period         Period
	CreatedAt      time.Time
	Acknowledged   bool
	AcknowledgedAt *time.Time
	AcknowledgedBy string
}

// CounterChange is one change of a live counter, from the stream: the
// images before (nil when created) and after (nil when deleted).
type CounterChange struct {
	Old, New *Counter
}

// maxLedgerPeriods bounds the periods one change spreads asset-time over
// (an idle counter over more periods than this credits only the latest).
const maxLedgerPeriods = 24

// Ledgers returns the ledger periods the change touches; the applier
// reads them (missing ones start empty) and passes them to Apply.
func (ch CounterChange) Ledgers() []LedgerKey {
	var keys []LedgerKey
	add := func(k LedgerKey) {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	if o := ch.Old; o != nil && o.LicenseID != "" && ch.New != nil && o.Kind == CounterAssets {
		for _, p := range o.spread(ch.New.ChangedAt) {
			add(LedgerKey{o.LicenseID, p.Start})
		}
	}
	if n := ch.New; n != nil && n.Licensed(n.ChangedAt) {
		add(LedgerKey{n.LicenseID, n.period().Start})
	}
	return keys
}

// spread returns the license periods that overlap [c.ChangedAt, until),
// latest last, until the license ends.
func (c Counter) spread(until time.Time) []Period {
	if c.LicenseEndsAt != nil && c.LicenseEndsAt.Before(until) {
		until = *c.LicenseEndsAt
	}
	var ps []Period
	for t := c.ChangedAt; t.Before(until); {
		p := PeriodAt(c.LicenseStartsAt, c.BillingPeriod, t)
		ps = append(ps, p)
		t = p.End
	}
	if len(ps) > maxLedgerPeriods {
		ps = ps[len(ps)-maxLedgerPeriods:]
	}
	return ps
}

// Apply applies the change to the ledger periods it touches (ledgers holds
// those of Ledgers, stored or new) and returns the alerts it raises. It is
// a pure function of the change and the ledgers; the applier stores its
// result together with a marker of the change so that it happens once.
func (ch CounterChange) Apply(ledgers map[LedgerKey]*UsagePeriod) []Alert {
	get := func(c Counter, p Period) *UsagePeriod {
		k := LedgerKey{c.LicenseID, p.Start}
		u := ledgers[k]
		if u == nil {
			u = &UsagePeriod{PartnerID: c.PartnerID, TenantID: c.TenantID, LicenseID: c.LicenseID, Model: c.Model, Period: p, Quantity: c.Quantity}
			ledgers[k] = u
		}
		return u
	}
	if o := ch.Old; o != nil && o.LicenseID != "" && ch.New != nil && o.Kind == CounterAssets {
		// The old count held from its change until this one (or the
		// license's end): asset-time in each period it spans, and the
		// peak, overage and latest count of the periods it carried into.
		for _, p := range o.spread(ch.New.ChangedAt) {
			from, to := maxTime(p.Start, o.ChangedAt), minTime(minTime(p.End, ch.New.ChangedAt), o.endOr(p.End))
			u := get(*o, p)
			u.AssetSeconds += o.Used * int64(to.Sub(from)/time.Second)
			u.PeakAssets = max(u.PeakAssets, o.Used)
			u.Overage = max(u.Overage, o.Used-o.Quantity)
			if !from.Before(u.CurrentAt) {
				u.CurrentAssets, u.CurrentAt = o.Used, from
			}
		}
	}
	n := ch.New
	if n == nil || !n.Licensed(n.ChangedAt) {
		return nil // no license in force counts the change
	}
	u := get(*n, n.period())
	u.Changes++
	u.Model, u.Quantity = n.Model, n.Quantity
	if n.Kind == CounterScans {
		u.Scans = max(u.Scans, n.Used)
	} else {
		u.PeakAssets = max(u.PeakAssets, n.Used)
		if !n.ChangedAt.Before(u.CurrentAt) {
			u.CurrentAssets, u.CurrentAt = n.Used, n.ChangedAt
		}
	}
	if n.Model.Metered() {
		u.Overage = max(u.Overage, n.Used-n.Quantity)
	}
	var alerts []Alert
	for _, pct := range Thresholds(n.Model) {
		now := reached(n.Used, n.Quantity, pct)
		switch {
		case now && !u.Raised[pct]:
			if u.Raised == nil {
				u.Raised = map[int]bool{}
			}
			u.Raised[pct] = true
			alerts = append(alerts, Alert{
				ID: alertID(n.LicenseID, u.Period.Start, pct, u.Rearms[pct]), PartnerID: n.PartnerID, TenantID: n.TenantID,
				LicenseID: n.LicenseID, Model: n.Model, Threshold: pct, Used: n.Used, Quantity: n.Quantity,
				Period: u.Period, CreatedAt: n.ChangedAt,
			})
		case !now && u.Raised[pct] && ch.Old != nil && ch.Old.LicenseID == n.LicenseID && n.Quantity > ch.Old.Quantity:
			delete(u.Raised, pct) // raising the quantity re-arms a threshold no longer crossed
			if u.Rearms == nil {
				u.Rearms = map[int]int{}
			}
			u.Rearms[pct]++
		}
	}
	return alerts
}

// alertID is derived from what the alert is about, so the same alert is
// never stored twice even if its change were applied again.
func alertID(licenseID string, period time.Time, pct, rearm int) string {
	sum := sha256.Sum256([]byte(licenseID + "#" + period.UTC().Format(time.RFC3339Nano) + "#" + strconv.Itoa(pct) + "#" + strconv.Itoa(rearm)))
	var id ulid.ULID
	copy(id[:], sum[:16]) // any 128 bits are valid ULID text
	return PrefixAlert + id.String()
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

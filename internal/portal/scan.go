package portal

import (
	"time"

	"github.com/partnerportal/portal/internal/scan"
	"github.com/partnerportal/portal/internal/tenancy"
)

// PrefixScan prefixes scan IDs.
const PrefixScan = "scn_"

// ScanStatus is where a scan is in its life.
type ScanStatus string

// Scan states: queued (admitted, waiting for the engine), running, then
// completed or failed; cancelled by a user; refused at admission (the
// reason says why, e.g. a hard per-scan license at its limit).
const (
	ScanQueued    ScanStatus = "queued"
	ScanRunning   ScanStatus = "running"
	ScanCompleted ScanStatus = "completed"
	ScanFailed    ScanStatus = "failed"
	ScanCancelled ScanStatus = "cancelled"
	ScanRefused   ScanStatus = "refused"
)

// ScanStatuses lists every state.
var ScanStatuses = []ScanStatus{ScanQueued, ScanRunning, ScanCompleted, ScanFailed, ScanCancelled, ScanRefused}

// Final reports whether the scan will not change state again.
func (s ScanStatus) Final() bool {
	return s == ScanCompleted || s == ScanFailed || s == ScanCancelled || s == ScanRefused
}

// ScanTrigger says what started a scan.
type ScanTrigger string

// Scan triggers: a request to the API, a schedule's fire, an asset
// becoming verified, a vulnerability-database update.
const (
	TriggerAPI      ScanTrigger = "api"
	TriggerSchedule ScanTrigger = "schedule"
	TriggerNewAsset ScanTrigger = "new_asset"
	TriggerVulnDB   ScanTrigger = "vulndb_update"
)

// ScanTriggers lists every trigger.
var ScanTriggers = []ScanTrigger{TriggerAPI, TriggerSchedule, TriggerNewAsset, TriggerVulnDB}

// Scan is one execution of a profile against a customer's verified assets.
type Scan struct {
	ID         string
	PartnerID  string
	TenantID   string
	Profile    scan.Profile
	AllTargets bool     // "targets": "all" (resolved at admission)
	AssetIDs   []string // the assets scanned
	Trigger    ScanTrigger
	// ScheduleID is the schedule whose fire or event started the scan.
	ScheduleID  string
	RequestedBy string
	Status      ScanStatus
	Reason      string // refused or failed: why
	// LicenseID is the license the scan was admitted under; a per-scan
	// license's period counter moved in the admitting transaction.
	LicenseID  string
	CreatedAt  time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
	// Outcome, when completed: findings by severity and checks that
	// could not run.
	Counts  map[scan.Severity]int
	Errors  []scan.CheckError
	Version int64
}

func (s Scan) scope() tenancy.Scope {
	return tenancy.Scope{PartnerID: s.PartnerID, TenantID: s.TenantID}
}

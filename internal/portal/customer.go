package portal

import (
	"context"
	"time"

	"github.com/partnerportal/portal/internal/tenancy"
)

// CustomerStatus is the lifecycle state of a customer.
type CustomerStatus string

// Customer states. Suspended customers keep their data; archived is final.
const (
	StatusActive    CustomerStatus = "active"
	StatusTrial     CustomerStatus = "trial"
	StatusSuspended CustomerStatus = "suspended"
	StatusArchived  CustomerStatus = "archived"
)

// CustomerStatuses lists every status.
var CustomerStatuses = []CustomerStatus{StatusActive, StatusTrial, StatusSuspended, StatusArchived}

// Plan summarises a customer's active licenses.
type Plan string

// Plans. A customer without active licenses has PlanNone.
const (
	PlanNone      Plan = "none"
	PlanPerAsset  Plan = "per_asset"
	PlanPerScan   Plan = "per_scan"
	PlanUnlimited Plan = "unlimited"
	PlanMixed     Plan = "mixed"
)

// Plans lists every plan.
var Plans = []Plan{PlanNone, PlanPerAsset, PlanPerScan, PlanUnlimited, PlanMixed}

// AccessLevel is how much a customer's own users may do in the portal.
type AccessLevel string

// Access levels; AccessDisabled is the default.
const (
	AccessDisabled AccessLevel = "disabled"
	AccessReadOnly AccessLevel = "read_only"
	AccessFull     AccessLevel = "full"
)

// Customer is a partner's customer: one tenant.
type Customer struct {
	ID           string
	PartnerID    string
	Name         string
	ContactEmail string
	Timezone     string
	Country      string
	Tags         []string
	Status       CustomerStatus
	// ResumeStatus is the status a suspended customer returns to on resume.
	ResumeStatus CustomerStatus
	Plan         Plan
	// LicenseCounts counts the customer's non-revoked licenses per model; Plan derives from it.
	LicenseCounts map[LicenseModel]int
	AccessLevel   AccessLevel
	LastScanAt    *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Version       int64
}

// scope is the data scope of the customer's tenant.
func (c Customer) scope() tenancy.Scope { return tenancy.Scope{PartnerID: c.PartnerID, TenantID: c.ID} }

// CustomerInput is the body of a create request. Pointers distinguish
// "absent" from "empty" for PATCH.
type CustomerInput struct {
	Name         *string         `json:"name"`
	ContactEmail *string         `json:"contactEmail"`
	Timezone     *string         `json:"timezone"`
	Country      *string         `json:"country"`
	Tags         *[]string       `json:"tags"`
	Status       *CustomerStatus `json:"status"`
	// Licenses are assigned with the customer, in the same transaction (create only).
	Licenses *[]LicenseInput `json:"licenses"`
}

// CustomerSort names a sort order of the customer list.
type CustomerSort string

// Sort orders of the customer list; each is served by its own index.
const (
	SortName       CustomerSort = "name"
	SortStatus     CustomerSort = "status"
	SortPlan       CustomerSort = "plan"
	SortLastScanAt CustomerSort = "lastScanAt"
	SortCreatedAt  CustomerSort = "createdAt"
)

// CustomerSorts lists every sort order.
var CustomerSorts = []CustomerSort{SortName, SortStatus, SortPlan, SortLastScanAt, SortCreatedAt}

// CustomerQuery selects a page of the customer list.
type CustomerQuery struct {
	Sort           CustomerSort
	Descending     bool
	Status         CustomerStatus // "" = every status but archived
	Plan           Plan
	NamePrefix     string // case-insensitive
	LastScanBefore *time.Time
	LastScanAfter  *time.Time
	Limit          int
}

// Position is an opaque place in a list, as the store understands it.
type Position map[string]string

// CustomerStore persists customers. Every method scopes its keys by the
// partner in scope; a customer of another partner is ENOTFOUND.
type CustomerStore interface {
	// CreateCustomer stores a new customer; ECONFLICT if the ID exists.
	CreateCustomer(ctx context.Context, c Customer) error
	// GetCustomer returns the customer; ENOTFOUND if it is not in scope.
	GetCustomer(ctx context.Context, scope tenancy.Scope, id string) (Customer, error)
	// UpdateCustomer replaces the customer if its stored version is
	// c.Version-1; EPRECONDITION if it is not, ENOTFOUND if it is not in scope.
	UpdateCustomer(ctx context.Context, scope tenancy.Scope, c Customer) error
	// ListCustomers returns up to q.Limit customers after start, and the
	// position after the last one (nil at the end).
	ListCustomers(ctx context.Context, scope tenancy.Scope, q CustomerQuery, start Position) ([]Customer, Position, error)
}

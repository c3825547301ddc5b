package tenantcreds

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/partnerportal/portal/internal/portal"
)

// Defaults and limits of the session duration and refresh margin.
const (
	DefaultDuration = 15 * time.Minute // also the STS minimum
	MinDuration     = 15 * time.Minute
	MaxDuration     = 12 * time.Hour // STS maximum; role chaining allows 1h
	DefaultMargin   = time.Minute
)

// TagKey is the session tag carrying the customer ID; the role's policy reads
// it as ${aws:PrincipalTag/tenant}.
const TagKey = "tenant"

// SessionNamePrefix precedes the customer ID in the role session name.
const SessionNamePrefix = "tenant-"

// Source is the aws.Credentials Source of the credentials this package returns.
const Source = "tenantcreds"

// assumeTimeout bounds one AssumeRole call, which runs detached from the
// cancellation of the callers waiting for it.
const assumeTimeout = 30 * time.Second

// ErrInvalidTenant is wrapped by the error of Retrieve for a tenant ID that
// is not a customer ID ("cus_" and a ULID). No role is assumed for it.
var ErrInvalidTenant = errors.New("tenantcreds: not a customer ID")

// STSAPI is the part of the STS client the Provider uses; *sts.Client
// implements it.
type STSAPI interface {
	AssumeRole(ctx context.Context, params *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

// Option configures a Provider.
type Option func(*Provider)

// WithDuration sets the requested session duration (default 15 minutes). New
// refuses durations outside [MinDuration, MaxDuration].
func WithDuration(d time.Duration) Option { return func(p *Provider) { p.duration = d } }

// WithRefreshMargin sets how long before expiry cached credentials are
// replaced (default 1 minute). New refuses a negative margin or one not
// shorter than the duration.
func WithRefreshMargin(d time.Duration) Option { return func(p *Provider) { p.margin = d } }

// WithClock sets the clock the cache compares expiry times with (default
// time.Now). For tests.
func WithClock(now func() time.Time) Option { return func(p *Provider) { p.now = now } }

// Provider obtains and caches tenant-scoped credentials by assuming one role
// with a tenant session tag. It is safe for concurrent use.
type Provider struct {
	client   STSAPI
	roleARN  string
	duration time.Duration
	margin   time.Duration
	now      func() time.Time

	mu       sync.Mutex
	cache    map[string]aws.Credentials
	inflight map[string]*call
}

// call is one AssumeRole in flight, shared by every caller for its tenant.
type call struct {
	done  chan struct{}
	creds aws.Credentials
	err   error
}

// New returns a Provider that assumes roleARN through client. It fails when
// client is nil, roleARN is not an IAM role ARN, or an option is out of range;
// it makes no calls.
func New(client STSAPI, roleARN string, opts ...Option) (*Provider, error) {
	p := &Provider{
		client:   client,
		roleARN:  roleARN,
		duration: DefaultDuration,
		margin:   DefaultMargin,
		now:      time.Now,
		cache:    map[string]aws.Credentials{},
		inflight: map[string]*call{},
	}
	for _, o := range opts {
		o(p)
	}
	if client == nil {
		return nil, errors.New("tenantcreds: no STS client")
	}
	if a, err := arn.Parse(roleARN); err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
		return nil, fmt.Errorf("tenantcreds: %q is not an IAM role ARN", roleARN)
	}
	p.duration = p.duration.Truncate(time.Second)
	if p.duration < MinDuration || p.duration > MaxDuration {
		return nil, fmt.Errorf("tenantcreds: session duration %v is outside [%v, %v]", p.duration, MinDuration, MaxDuration)
	}
	if p.margin < 0 || p.margin >= p.duration {
		return nil, fmt.Errorf("tenantcreds: refresh margin %v must be at least 0 and below the session duration %v", p.margin, p.duration)
	}
	if p.now == nil {
		p.now = time.Now
	}
	return p, nil
}

// Retrieve returns credentials for the role session of tenantID, from the
// cache while they are valid for more than the refresh margin, otherwise from
// one AssumeRole call shared by all concurrent callers for that tenant.
//
// Errors: ErrInvalidTenant (wrapped) when tenantID is not a customer ID,
// without calling STS; the STS error (wrapped, so errors.As finds its
// smithy.APIError) when AssumeRole fails, and failures are not cached; ctx's
// error when ctx ends first (the shared call then continues for the others
// and its result is cached).
func (p *Provider) Retrieve(ctx context.Context, tenantID string) (aws.Credentials, error) {
	if !portal.ValidID(portal.PrefixCustomer, tenantID) {
		return aws.Credentials{}, fmt.Errorf("%w: %.40q", ErrInvalidTenant, tenantID)
	}
	p.mu.Lock()
	if c, ok := p.cache[tenantID]; ok && p.fresh(c) {
		p.mu.Unlock()
		return c, nil
	}
	c, ok := p.inflight[tenantID]
	if !ok {
		c = &call{done: make(chan struct{})}
		p.inflight[tenantID] = c
		go p.assume(context.WithoutCancel(ctx), tenantID, c)
	}
	p.mu.Unlock()

	select {
	case <-c.done:
		return c.creds, c.err
	case <-ctx.Done():
		return aws.Credentials{}, fmt.Errorf("tenantcreds: credentials for tenant %s: %w", tenantID, ctx.Err())
	}
}

// CredentialsFor returns an aws.CredentialsProvider for tenantID, backed by
// p's cache; its Retrieve has the error contract of Provider.Retrieve. An
// invalid tenantID is not refused here but by every Retrieve.
func (p *Provider) CredentialsFor(tenantID string) aws.CredentialsProvider {
	return tenantProvider{p: p, tenantID: tenantID}
}

type tenantProvider struct {
	p        *Provider
	tenantID string
}

func (t tenantProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	return t.p.Retrieve(ctx, t.tenantID)
}

// fresh reports whether c is valid beyond the refresh margin. Call with mu held.
func (p *Provider) fresh(c aws.Credentials) bool {
	return p.now().Before(c.Expires.Add(-p.margin))
}

// assume runs the AssumeRole call c for tenantID and publishes its result.
func (p *Provider) assume(ctx context.Context, tenantID string, c *call) {
	ctx, cancel := context.WithTimeout(ctx, assumeTimeout)
	defer cancel()
	out, err := p.client.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:           aws.String(p.roleARN),
		RoleSessionName:   aws.String(SessionName(tenantID)),
		DurationSeconds:   aws.Int32(int32(p.duration / time.Second)),
		Tags:              []types.Tag{{Key: aws.String(TagKey), Value: aws.String(tenantID)}},
		TransitiveTagKeys: []string{TagKey},
	})
	creds, err := fromOutput(out, err)
	if err != nil {
		err = fmt.Errorf("tenantcreds: assume %s for tenant %s: %w", p.roleARN, tenantID, err)
	}

	p.mu.Lock()
	delete(p.inflight, tenantID)
	if err == nil {
		p.sweep()
		p.cache[tenantID] = creds
	}
	p.mu.Unlock()
	c.creds, c.err = creds, err
	close(c.done)
}

// sweep drops expired credentials so the cache holds only live tenants. Call
// with mu held.
func (p *Provider) sweep() {
	now := p.now()
	for id, c := range p.cache {
		if !now.Before(c.Expires) {
			delete(p.cache, id)
		}
	}
}

// fromOutput converts an AssumeRole result.
func fromOutput(out *sts.AssumeRoleOutput, err error) (aws.Credentials, error) {
	if err != nil {
		return aws.Credentials{}, err
	}
	if out == nil || out.Credentials == nil {
		return aws.Credentials{}, errors.New("no credentials in the response")
	}
	c := out.Credentials
	if aws.ToString(c.AccessKeyId) == "" || aws.ToString(c.SecretAccessKey) == "" || c.Expiration == nil {
		return aws.Credentials{}, errors.New("incomplete credentials in the response")
	}
	var account string
	if out.AssumedRoleUser != nil {
		if a, err := arn.Parse(aws.ToString(out.AssumedRoleUser.Arn)); err == nil {
			account = a.AccountID
		}
	}
	return aws.Credentials{
		AccessKeyID:     aws.ToString(c.AccessKeyId),
		SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken:    aws.ToString(c.SessionToken),
		Source:          Source,
		CanExpire:       true,
		Expires:         *c.Expiration,
		AccountID:       account,
	}, nil
}

// SessionName is the role session name for tenantID: SessionNamePrefix and
// the ID, which for a customer ID is 37 characters of [0-9A-Za-z_-], within
// STS's [\w+=,.@-]{2,64}.
func SessionName(tenantID string) string { return SessionNamePrefix + tenantID }

package tenantcreds

import (
	"fmt"
	"os"
	"time"
)

// Environment variables read by FromEnv.
const (
	EnvRoleARN = "TENANT_ROLE_ARN"        // the role to assume; empty switches the feature off
	EnvTTL     = "TENANT_CREDENTIALS_TTL" // optional session duration, e.g. "15m"
)

// FromEnv returns a Provider for the role in TENANT_ROLE_ARN, assumed through
// client, with the session duration in TENANT_CREDENTIALS_TTL when set; opts
// apply first, so the environment wins over WithDuration. It returns nil, nil
// when TENANT_ROLE_ARN is empty (tenant-scoped credentials switched off), and
// an error when the TTL does not parse or New refuses the configuration. It
// makes no calls.
func FromEnv(client STSAPI, opts ...Option) (*Provider, error) {
	role := os.Getenv(EnvRoleARN)
	if role == "" {
		return nil, nil
	}
	if s := os.Getenv(EnvTTL); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, fmt.Errorf("tenantcreds: %s=%q is not a duration such as 15m: %w", EnvTTL, s, err)
		}
		opts = append(opts[:len(opts):len(opts)], WithDuration(d))
	}
	return New(client, role, opts...)
}

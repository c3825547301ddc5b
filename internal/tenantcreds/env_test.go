package tenantcreds

import (
	"testing"
	"time"
)

func TestFromEnvSwitchedOff(t *testing.T) {
	t.Setenv(EnvRoleARN, "")
	t.Setenv(EnvTTL, "not a duration") // ignored while off
	p, err := FromEnv(nil)
	if p != nil || err != nil {
		t.Fatalf("FromEnv = %v, %v; want nil, nil", p, err)
	}
}

func TestFromEnv(t *testing.T) {
	client := newFakeSTS(t, newFakeClock()).client()
	for _, tc := range []struct {
		ttl      string
		opts     []Option
		duration time.Duration
		wantErr  bool
	}{
		{ttl: "", duration: DefaultDuration},
		{ttl: "1h", duration: time.Hour},
		{ttl: "", opts: []Option{WithDuration(30 * time.Minute)}, duration: 30 * time.Minute},
		{ttl: "20m", opts: []Option{WithDuration(30 * time.Minute)}, duration: 20 * time.Minute},
		{ttl: "900", wantErr: true},
		{ttl: "5m", wantErr: true},
		{ttl: "24h", wantErr: true},
	} {
		t.Setenv(EnvRoleARN, testRoleARN)
		t.Setenv(EnvTTL, tc.ttl)
		p, err := FromEnv(client, tc.opts...)
		if tc.wantErr {
			if err == nil {
				t.Errorf("TTL %q: no error", tc.ttl)
			}
			continue
		}
		if err != nil {
			t.Fatalf("TTL %q: %v", tc.ttl, err)
		}
		if p.roleARN != testRoleARN || p.duration != tc.duration || p.margin != DefaultMargin {
			t.Errorf("TTL %q: role %s, duration %v, margin %v", tc.ttl, p.roleARN, p.duration, p.margin)
		}
	}

	t.Setenv(EnvRoleARN, "not-an-arn")
	t.Setenv(EnvTTL, "")
	if _, err := FromEnv(client); err == nil {
		t.Error("invalid role ARN accepted")
	}
}

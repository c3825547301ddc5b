package localeventbridge

import (
	"testing"
	"time"
)

// The wait before retry n doubles from the policy's Backoff, up to
// maxBackoff, without overflowing for long backoffs or many retries.
func TestBackoffDoublesUpToTheMaximum(t *testing.T) {
	cases := []struct {
		base  time.Duration
		retry int
		want  time.Duration
	}{
		{50 * time.Millisecond, 1, 50 * time.Millisecond},
		{50 * time.Millisecond, 2, 100 * time.Millisecond},
		{50 * time.Millisecond, 3, 200 * time.Millisecond},
		{time.Millisecond, 100, maxBackoff},
		{time.Hour, 1, maxBackoff},
		{time.Hour, 40, maxBackoff},
		{0, 5, 0},
		{-time.Second, 1, 0},
	}
	for _, c := range cases {
		if got := backoff(c.base, c.retry); got != c.want {
			t.Errorf("backoff(%v, %d) = %v, want %v", c.base, c.retry, got, c.want)
		}
	}
}

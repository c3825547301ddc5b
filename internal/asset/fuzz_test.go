package asset

import (
	"errors"
	"testing"
)

// FuzzNormalize checks that Normalize never panics, that every failure is a
// *Rejection with a reason, and that normalising an accepted value's Value
// again yields the same Asset. The seed corpus is in
// testdata/fuzz/FuzzNormalize; run
//
//	go test -fuzz=FuzzNormalize -fuzztime=30s ./internal/asset/
//
// to explore further and commit any failing input it writes there.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"example.com", "https://app.example.com/login", "203.0.113.0/24", "::ffff:10.0.0.1",
	} {
		f.Add(s, false, false)
	}
	f.Fuzz(func(t *testing.T, raw string, wantAPI, allowPrivate bool) {
		p := Policy{AllowPrivate: allowPrivate}
		a, err := Normalize(raw, wantAPI, p)
		if err != nil {
			var rej *Rejection
			if !errors.As(err, &rej) || rej.Reason == "" {
				t.Fatalf("Normalize(%q): error %T %q is not a *Rejection with a reason", raw, err, err)
			}
			if a != (Asset{}) {
				t.Fatalf("Normalize(%q): rejected but returned %+v", raw, a)
			}
			return
		}
		switch a.Type {
		case Domain, Subdomain:
			if a.Host != a.Value || a.RegisteredDomain == "" {
				t.Fatalf("Normalize(%q) = %+v: inconsistent host asset", raw, a)
			}
		case IP:
			if a.Host != a.Value || a.RegisteredDomain != "" {
				t.Fatalf("Normalize(%q) = %+v: inconsistent IP asset", raw, a)
			}
		case WebApp, API:
			if a.Host == "" || (a.Type == API) != wantAPI {
				t.Fatalf("Normalize(%q) = %+v: inconsistent URL asset", raw, a)
			}
		default:
			t.Fatalf("Normalize(%q) = %+v: unknown type", raw, a)
		}
		again, err := Normalize(a.Value, wantAPI, p)
		if err != nil {
			t.Fatalf("Normalize(%q) = %q, but that is rejected: %v", raw, a.Value, err)
		}
		if again != a {
			t.Fatalf("not idempotent:\nNormalize(%q) = %+v\nNormalize(%q) = %+v", raw, a, a.Value, again)
		}
	})
}

package scan

import (
	"context"

	"net"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partnerportal/portal/internal/verify/verifytest"
)

// stubCheck returns a check in profiles that runs fn.
func stubCheck(id string, fn func(ctx context.Context, env *Env, t Target) ([]Finding, error), profiles ...Profile) Check {
	return Check{ID: id, Title: "Stub " + id, Severity: SeverityLow, Profiles: profiles, Run: fn}
}

// finds returns a Run that reports one finding per detail.
func finds(id string, details ...string) func(context.Context, *Env, Target) ([]Finding, error) {
	return func(_ context.Context, _ *Env, t Target) ([]Finding, error) {
		var out []Finding
		for _, d := range details {
			out = append(out, Finding{CheckID: id, AssetID: t.AssetID, Detail: d, Evidence: "saw " + d})
		}
		return out, nil
	}
}

// getFirstURL is a check that GETs the target's first URL.
func getFirstURL(ctx context.Context, env *Env, t Target) ([]Finding, error) {
	_, err := env.Get(ctx, env.URLs(t)[0])
	return nil, err
}

func TestEngineProfiles(t *testing.T) {
	t.Run("UnknownProfileListsProfiles", func(t *testing.T) {
		e := newTestEngine(t, verifytest.Zone{})
		_, err := e.Run(context.Background(), "fast", []Target{newTarget(t, "a1", "203.0.113.7", false, strict)})
		if err == nil || err.Error() != `unknown profile "fast": use light, full or api` {
			t.Fatalf("error = %v, want the list of profiles", err)
		}
	})
	t.Run("OnlyChecksOfTheProfileRun", func(t *testing.T) {
		e := newTestEngine(t, verifytest.Zone{})
		e.checks = []Check{
			stubCheck("b.light-and-full", finds("b.light-and-full", "x"), ProfileLight, ProfileFull),
			stubCheck("a.light", finds("a.light", "y"), ProfileLight),
			stubCheck("c.full", finds("c.full", "z"), ProfileFull),
			stubCheck("d.api", finds("d.api", "w"), ProfileAPI),
		}
		res := run(t, e, ProfileLight, newTarget(t, "a1", "203.0.113.7", false, strict))
		if got, want := res.Ran, map[string][]string{"a1": {"a.light", "b.light-and-full"}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("Ran = %v, want %v", got, want)
		}
		if got, want := findingKeys(res), []string{"a1 a.light y", "a1 b.light-and-full x"}; !slices.Equal(got, want) {
			t.Fatalf("findings = %q, want %q", got, want)
		}
	})
	t.Run("ChecksThatDoNotApplyAreSkipped", func(t *testing.T) {
		e := newTestEngine(t, verifytest.Zone{})
		only := stubCheck("only.urls", finds("only.urls", "u"), ProfileLight)
		only.Applies = func(t Target) bool { return !IsHostAsset(t) }
		e.checks = []Check{only}
		res := run(t, e, ProfileLight,
			newTarget(t, "host", "203.0.113.7", false, strict),
			newTarget(t, "url", "https://app.example.com/", false, strict))
		if got, want := res.Ran, map[string][]string{"host": {}, "url": {"only.urls"}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("Ran = %v, want %v", got, want)
		}
	})
	t.Run("RegistryProfilesAreSortedAndKnown", func(t *testing.T) {
		for _, p := range Profiles {
			cs := Checks(p)
			if !slices.IsSortedFunc(cs, func(a, b Check) int { return strings.Compare(a.ID, b.ID) }) {
				t.Errorf("Checks(%s) not sorted by ID", p)
			}
			for _, c := range cs {
				if got, ok := Lookup(c.ID); !ok || got.ID != c.ID {
					t.Errorf("Lookup(%s) = %v, %v", c.ID, got.ID, ok)
				}
			}
		}
		if _, ok := Lookup("no.such-check"); ok {
			t.Errorf("Lookup(no.such-check) found a check")
		}
	})
}

func TestEngineResults(t *testing.T) {
	t.Run("FindingsSortedAndDeduplicated", func(t *testing.T) {
		e := newTestEngine(t, verifytest.Zone{})
		e.checks = []Check{
			stubCheck("z.check", finds("z.check", "b", "a", "b"), ProfileLight),
			stubCheck("a.check", finds("a.check", "c"), ProfileLight),
		}
		res := run(t, e, ProfileLight,
			newTarget(t, "a2", "198.51.100.1", false, strict),
			newTarget(t, "a1", "203.0.113.7", false, strict))
		want := []string{"a1 a.check c", "a1 z.check a", "a1 z.check b", "a2 a.check c", "a2 z.check a", "a2 z.check b"}
		if got := findingKeys(res); !slices.Equal(got, want) {
			t.Fatalf("findings = %q, want %q", got, want)
		}
	})
	t.Run("FindingTakesTitleAndSeverityOfItsCheck", func(t *testing.T) {
		e := newTestEngine(t, verifytest.Zone{})
		c := Check{ID: "t.check", Title: "A title", Severity: SeverityHigh, Profiles: []Profile{ProfileLight}}
		c.Run = func(_ context.Context, _ *Env, t Target) ([]Finding, error) {
			return []Finding{c.Finding(t, "d", "e")}, nil
		}
		e.checks = []Check{c}
		res := run(t, e, ProfileLight, newTarget(t, "a1", "203.0.113.7", false, strict))
		want := []Finding{{CheckID: "t.check", AssetID: "a1", Severity: SeverityHigh, Title: "A title", Detail: "d", Evidence: "e"}}
		if !reflect.DeepEqual(res.Findings, want) {
			t.Fatalf("findings = %+v, want %+v", res.Findings, want)
		}
	})
	t.Run("RanListsOnlyCompletedChecks", func(t *testing.T) {
		e := newTestEngine(t, verifytest.Zone{})
		e.checks = []Check{
			stubCheck("ok.check", finds("ok.check"), ProfileLight),
			stubCheck("failing.check", func(context.Context, *Env, Target) ([]Finding, error) {
				return []Finding{{Detail: "dropped"}}, Userf("the server answered nonsense")
			}, ProfileLight),
			stubCheck("panicking.check", func(context.Context, *Env, Target) ([]Finding, error) {
				panic("bug")
			}, ProfileLight),
		}
		res := run(t, e, ProfileLight, newTarget(t, "a1", "203.0.113.7", false, strict))
		if got, want := res.Ran, map[string][]string{"a1": {"ok.check"}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("Ran = %v, want %v", got, want)
		}
		if len(res.Findings) != 0 {
			t.Fatalf("findings = %+v, want none (a failed check reports nothing)", res.Findings)
		}
		want := []CheckError{
			{CheckID: "failing.check", AssetID: "a1", Error: "the server answered nonsense"},
			{CheckID: "panicking.check", AssetID: "a1", Error: "the check failed (internal error)"},
		}
		if !reflect.DeepEqual(res.Errors, want) {
			t.Fatalf("errors = %+v, want %+v", res.Errors, want)
		}
	})
	t.Run("ConnectionErrorsAreDescribed", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // nothing listens there now
		e := newTestEngine(t, verifytest.Zone{})
		e.checks = []Check{stubCheck("get.check", getFirstURL, ProfileLight)}
		res := run(t, e, ProfileLight, newTarget(t, "a1", "http://"+addr, false, local))
		want := []CheckError{{CheckID: "get.check", AssetID: "a1", Error: "GET http://" + addr + ": connection refused"}}
		if !reflect.DeepEqual(res.Errors, want) {
			t.Fatalf("errors = %+v, want %+v", res.Errors, want)
		}
	})
}

func TestEngineBudget(t *testing.T) {
	t.Run("HangingServerGivesErrorsNotAHang", func(t *testing.T) {
		srv := startCounting(t, false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}))
		e := newTestEngine(t, verifytest.Zone{})
		e.Budget, e.Timeout = 300*time.Millisecond, time.Minute
		e.checks = []Check{stubCheck("get.check", getFirstURL, ProfileLight)}
		res := run(t, e, ProfileLight, newTarget(t, "a1", srv.URL, false, local))
		want := []CheckError{{CheckID: "get.check", AssetID: "a1", Error: "not finished: the scan's time budget (300ms) ran out"}}
		if !reflect.DeepEqual(res.Errors, want) {
			t.Fatalf("errors = %+v, want %+v", res.Errors, want)
		}
	})
	t.Run("CheckTimeoutStopsOneCheck", func(t *testing.T) {
		e := newTestEngine(t, verifytest.Zone{})
		e.CheckTimeout = 50 * time.Millisecond
		e.checks = []Check{
			stubCheck("slow.check", func(ctx context.Context, _ *Env, _ Target) ([]Finding, error) {
				<-ctx.Done()
				return nil, ctx.Err()
			}, ProfileLight),
			stubCheck("quick.check", finds("quick.check"), ProfileLight),
		}
		res := run(t, e, ProfileLight, newTarget(t, "a1", "203.0.113.7", false, strict))
		want := []CheckError{{CheckID: "slow.check", AssetID: "a1", Error: "not finished: timed out after 50ms"}}
		if !reflect.DeepEqual(res.Errors, want) {
			t.Fatalf("errors = %+v, want %+v", res.Errors, want)
		}
		if got, want := res.Ran["a1"], []string{"quick.check"}; !slices.Equal(got, want) {
			t.Fatalf("Ran = %v, want %v", got, want)
		}
	})
	t.Run("CheckIgnoringItsContextIsAbandoned", func(t *testing.T) {
		release := make(chan struct{})
		t.Cleanup(func() { close(release) })
		e := newTestEngine(t, verifytest.Zone{})
		e.Budget = 100 * time.Millisecond
		e.checks = []Check{stubCheck("stuck.check", func(context.Context, *Env, Target) ([]Finding, error) {
			<-release
			return []Finding{{Detail: "late"}}, nil
		}, ProfileLight)}
		res := run(t, e, ProfileLight, newTarget(t, "a1", "203.0.113.7", false, strict))
		want := []CheckError{{CheckID: "stuck.check", AssetID: "a1", Error: "not finished: the scan's time budget (100ms) ran out"}}
		if !reflect.DeepEqual(res.Errors, want) || len(res.Findings) != 0 {
			t.Fatalf("errors = %+v, findings = %+v; want %+v and no findings", res.Errors, res.Findings, want)
		}
	})
	t.Run("ChecksNotStartedBeforeTheBudgetEnds", func(t *testing.T) {
		e := newTestEngine(t, verifytest.Zone{})
		e.Budget, e.Concurrency = 100*time.Millisecond, 1
		e.checks = []Check{
			stubCheck("a.slow", func(ctx context.Context, _ *Env, _ Target) ([]Finding, error) {
				<-ctx.Done()
				return nil, ctx.Err()
			}, ProfileLight),
			stubCheck("b.never", finds("b.never"), ProfileLight),
		}
		res := run(t, e, ProfileLight, newTarget(t, "a1", "203.0.113.7", false, strict))
		want := []CheckError{
			{CheckID: "a.slow", AssetID: "a1", Error: "not finished: the scan's time budget (100ms) ran out"},
			{CheckID: "b.never", AssetID: "a1", Error: "not run: the scan's time budget (100ms) ran out"},
		}
		if !reflect.DeepEqual(res.Errors, want) {
			t.Fatalf("errors = %+v, want %+v", res.Errors, want)
		}
	})
	t.Run("CancelledContextStopsTheScan", func(t *testing.T) {
		e := newTestEngine(t, verifytest.Zone{})
		e.checks = []Check{stubCheck("a.check", finds("a.check", "x"), ProfileLight)}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		res, err := e.Run(ctx, ProfileLight, []Target{newTarget(t, "a1", "203.0.113.7", false, strict)})
		if err != nil {
			t.Fatal(err)
		}
		want := []CheckError{{CheckID: "a.check", AssetID: "a1", Error: "not run: the scan was stopped"}}
		if !reflect.DeepEqual(res.Errors, want) {
			t.Fatalf("errors = %+v, want %+v", res.Errors, want)
		}
	})
}

// TestEngineAddressPolicy checks that under the production policy
// nothing non-public is connected to, however the address is reached.
func TestEngineAddressPolicy(t *testing.T) {
	t.Run("TargetOnLoopbackAddressNotScanned", func(t *testing.T) {
		srv := startCounting(t, false, http.NotFoundHandler())
		e := newTestEngine(t, verifytest.Zone{})
		e.Policy = strict
		e.checks = []Check{stubCheck("get.check", getFirstURL, ProfileLight)}
		res := run(t, e, ProfileLight, newTarget(t, "a1", srv.URL, false, local)) // stored under the local policy
		want := []CheckError{{CheckID: "get.check", AssetID: "a1", Error: "not scanned: 127.0.0.1 is a loopback address (127.0.0.0/8)"}}
		if !reflect.DeepEqual(res.Errors, want) {
			t.Fatalf("errors = %+v, want %+v", res.Errors, want)
		}
		if n := srv.conns.Load(); n != 0 {
			t.Fatalf("server saw %d connections, want 0", n)
		}
	})
	t.Run("NameResolvingToLoopbackRefused", func(t *testing.T) {
		srv := startCounting(t, false, http.NotFoundHandler())
		e := newTestEngine(t, verifytest.Zone{A: map[string][]string{"rebind.example": {"127.0.0.1"}}})
		e.Policy = strict
		e.checks = []Check{stubCheck("get.check", getFirstURL, ProfileLight)}
		u := "http://rebind.example:" + itoa(portOf(t, srv.URL))
		res := run(t, e, ProfileLight, newTarget(t, "a1", u, false, strict)) // a public name: accepted
		want := []CheckError{{CheckID: "get.check", AssetID: "a1",
			Error: "GET " + u + ": not connected: rebind.example resolves to 127.0.0.1, a loopback address (127.0.0.0/8)"}}
		if !reflect.DeepEqual(res.Errors, want) {
			t.Fatalf("errors = %+v, want %+v", res.Errors, want)
		}
		if n := srv.conns.Load(); n != 0 {
			t.Fatalf("server saw %d connections, want 0", n)
		}
	})
	t.Run("SameNameScannedUnderLocalPolicy", func(t *testing.T) {
		srv := startCounting(t, false, http.NotFoundHandler())
		e := newTestEngine(t, verifytest.Zone{A: map[string][]string{"rebind.example": {"127.0.0.1"}}})
		e.checks = []Check{stubCheck("get.check", getFirstURL, ProfileLight)}
		res := run(t, e, ProfileLight, newTarget(t, "a1", "http://rebind.example:"+itoa(portOf(t, srv.URL))+"/", false, strict))
		if len(res.Errors) != 0 || !slices.Equal(res.Ran["a1"], []string{"get.check"}) {
			t.Fatalf("errors = %+v, Ran = %v; want get.check to complete", res.Errors, res.Ran)
		}
	})
	t.Run("PrivateNameNotLookedUp", func(t *testing.T) {
		e := newTestEngine(t, verifytest.Zone{A: map[string][]string{"metadata.google.internal": {"169.254.169.254"}}})
		e.Policy = strict
		e.checks = []Check{stubCheck("get.check", getFirstURL, ProfileLight)}
		res := run(t, e, ProfileLight, newTarget(t, "a1", "metadata.google.internal", false, local))
		want := []CheckError{{CheckID: "get.check", AssetID: "a1", Error: "not scanned: metadata.google.internal is a private name (.internal)"}}
		if !reflect.DeepEqual(res.Errors, want) {
			t.Fatalf("errors = %+v, want %+v", res.Errors, want)
		}
	})
	t.Run("UserAgentIdentifiesTheScanner", func(t *testing.T) {
		got := make(chan string, 1)
		srv := startCounting(t, false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got <- r.UserAgent()
		}))
		e := newTestEngine(t, verifytest.Zone{})
		e.checks = []Check{stubCheck("get.check", getFirstURL, ProfileLight)}
		run(t, e, ProfileLight, newTarget(t, "a1", srv.URL, false, local))
		if ua := <-got; ua != DefaultUserAgent {
			t.Fatalf("User-Agent = %q, want %q", ua, DefaultUserAgent)
		}
	})
}

// findingKeys returns "asset check detail" of each finding, in order.
func findingKeys(res Result) []string {
	var out []string
	for _, f := range res.Findings {
		out = append(out, f.AssetID+" "+f.CheckID+" "+f.Detail)
	}
	return out
}

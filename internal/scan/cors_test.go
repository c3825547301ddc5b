package scan

import (
	"net/http"
	"slices"
	"testing"

	"github.com/partnerportal/portal/internal/verify/verifytest"
)

// corsServer answers every request with the CORS headers allow returns
// for the request's Origin ("" for none), and
// Access-Control-Allow-Credentials: true when creds is set.
func corsServer(allow func(origin string) string, creds bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" {
			if a := allow(o); a != "" {
				w.Header().Set("Access-Control-Allow-Origin", a)
				if creds {
					w.Header().Set("Access-Control-Allow-Credentials", "true")
				}
			}
		}
		w.Write([]byte(`{"ok":true}`))
	})
}

func reflectAny(origin string) string { return origin }

func onlyNull(origin string) string {
	if origin == "null" {
		return "null"
	}
	return ""
}

func allowList(origin string) string {
	if origin == "https://app.example.com" {
		return origin
	}
	return ""
}

func wildcard(string) string { return "*" }

func TestCORSPermissive(t *testing.T) {
	for _, tc := range []struct {
		name  string
		allow func(string) string
		creds bool
		want  []string // severityKeys
	}{
		{"ReflectedWithCredentialsIsHigh", reflectAny, true, []string{"a1 http.cors-permissive arbitrary origin reflected with credentials high"}},
		{"ReflectedWithoutCredentialsIsLow", reflectAny, false, []string{"a1 http.cors-permissive arbitrary origin reflected low"}},
		{"NullWithCredentialsIsHigh", onlyNull, true, []string{"a1 http.cors-permissive null origin allowed with credentials high"}},
		{"NullWithoutCredentialsIsLow", onlyNull, false, []string{"a1 http.cors-permissive null origin allowed low"}},
		{"AllowListYieldsNothing", allowList, true, nil},
		{"WildcardYieldsNothing", wildcard, false, nil},
		{"NoCORSHeadersYieldNothing", func(string) string { return "" }, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startCounting(t, false, corsServer(tc.allow, tc.creds))
			e := onlyCheck(t, CORSCheckID, verifytest.Zone{})
			res := run(t, e, ProfileFull, newTarget(t, "a1", srv.URL, false, local))
			if got := severityKeys(res); !slices.Equal(got, tc.want) {
				t.Fatalf("findings = %q, want %q (errors %+v)", got, tc.want, res.Errors)
			}
			if got, want := res.Ran["a1"], []string{CORSCheckID}; !slices.Equal(got, want) {
				t.Fatalf("Ran = %v, want %v", got, want)
			}
		})
	}
	t.Run("EvidenceShowsTheExchange", func(t *testing.T) {
		srv := startCounting(t, false, corsServer(reflectAny, true))
		e := onlyCheck(t, CORSCheckID, verifytest.Zone{})
		res := run(t, e, ProfileFull, newTarget(t, "a1", srv.URL+"/account", false, local))
		if len(res.Findings) != 1 {
			t.Fatalf("findings = %+v, want one", res.Findings)
		}
		want := "GET " + srv.URL + "/account with Origin: https://evil.example answered " +
			"Access-Control-Allow-Origin: https://evil.example and Access-Control-Allow-Credentials: true"
		if got := res.Findings[0].Evidence; got != want {
			t.Fatalf("evidence = %q, want %q", got, want)
		}
	})
	t.Run("APIBaseURLIsProbedInTheAPIProfile", func(t *testing.T) {
		srv := startCounting(t, false, corsServer(reflectAny, true))
		e := onlyCheck(t, CORSCheckID, verifytest.Zone{})
		res := run(t, e, ProfileAPI, newTarget(t, "a1", srv.URL+"/v1", true, local))
		if got, want := findingKeys(res), []string{"a1 http.cors-permissive arbitrary origin reflected with credentials"}; !slices.Equal(got, want) {
			t.Fatalf("findings = %q, want %q (errors %+v)", got, want, res.Errors)
		}
	})
	t.Run("InTheFullAndAPIProfiles", func(t *testing.T) {
		c, _ := Lookup(CORSCheckID)
		if got, want := c.Profiles, []Profile{ProfileFull, ProfileAPI}; !slices.Equal(got, want) {
			t.Fatalf("profiles = %v, want %v", got, want)
		}
	})
}

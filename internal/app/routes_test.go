package app_test

import (
	"fmt"
	"testing"

	"github.com/partnerportal/portal/internal/app"
)

func TestResolve(t *testing.T) {
	decl := app.Declaration()

	t.Run("LiteralBeatsParameter", func(t *testing.T) {
		literal := app.Route{Method: "GET", Path: "/v1/customers/export"}
		param := app.Route{Method: "GET", Path: "/v1/customers/{customerId}"}
		for _, order := range [][]app.Route{{literal, param}, {param, literal}} {
			a := app.App{Functions: []app.Function{
				{Name: "first", Routes: order[:1]},
				{Name: "second", Routes: order[1:]},
			}}
			m, ok, _ := a.Resolve("GET", "/v1/customers/export")
			if !ok {
				t.Fatalf("GET /v1/customers/export did not resolve with routes %v", order)
			}
			if got, want := m.Route, literal; got != want {
				t.Fatalf("resolved route = %q, want %q (routes declared %v)", got.Key(), want.Key(), order)
			}
			if got, want := len(m.PathParams), 0; got != want {
				t.Fatalf("path params = %v, want none", m.PathParams)
			}
		}
	})

	t.Run("PathParamsExtracted", func(t *testing.T) {
		m, ok, _ := decl.Resolve("POST", "/v1/customers/cus_01J0/suspend")
		if !ok {
			t.Fatal("POST /v1/customers/{customerId}/suspend did not resolve")
		}
		if got, want := m.Function.Name, "customers"; got != want {
			t.Fatalf("function = %q, want %q", got, want)
		}
		if got, want := m.Route.Key(), "POST /v1/customers/{customerId}/suspend"; got != want {
			t.Fatalf("route = %q, want %q", got, want)
		}
		if got, want := fmt.Sprint(m.PathParams), "map[customerId:cus_01J0]"; got != want {
			t.Fatalf("path params = %s, want %s", got, want)
		}

		m, ok, _ = decl.Resolve("POST", "/v1/users/usr_7/api-keys")
		if !ok {
			t.Fatal("POST /v1/users/{userId}/api-keys did not resolve")
		}
		if got, want := m.PathParams["userId"], "usr_7"; got != want {
			t.Fatalf("userId = %q, want %q", got, want)
		}
	})

	t.Run("GreedyParameterTakesTheRestOfThePath", func(t *testing.T) {
		m, ok, _ := decl.Resolve("GET", "/console/customers/cus_01J0/reports")
		if !ok {
			t.Fatal("GET /console/customers/cus_01J0/reports did not resolve")
		}
		if got, want := m.Route.Key(), "GET /console/{proxy+}"; got != want {
			t.Fatalf("route = %q, want %q", got, want)
		}
		if got, want := m.PathParams["proxy"], "customers/cus_01J0/reports"; got != want {
			t.Fatalf("proxy = %q, want %q", got, want)
		}
		m, ok, _ = decl.Resolve("GET", "/console")
		if !ok || m.Route.Key() != "GET /console" {
			t.Fatalf("GET /console resolved to %q (%v), want GET /console: a greedy parameter needs a segment", m.Route.Key(), ok)
		}
	})

	t.Run("EmptySegmentIsNoParameter", func(t *testing.T) {
		if _, ok, allowed := decl.Resolve("POST", "/v1/customers//suspend"); ok || len(allowed) != 0 {
			t.Fatalf("POST /v1/customers//suspend resolved = %v, allowed %v; want no match", ok, allowed)
		}
	})

	t.Run("WrongMethodReturnsAllowed", func(t *testing.T) {
		m, ok, allowed := decl.Resolve("PUT", "/v1/customers/cus_1")
		if ok {
			t.Fatalf("PUT /v1/customers/cus_1 resolved to %q, want no match", m.Route.Key())
		}
		if got, want := fmt.Sprint(allowed), "[DELETE GET PATCH]"; got != want {
			t.Fatalf("allowed = %s, want %s (sorted)", got, want)
		}
	})

	t.Run("UnknownPathReturnsNone", func(t *testing.T) {
		for _, path := range []string{"/v1/nothing-here", "/v1/customers/cus_1/suspend/now", "/"} {
			_, ok, allowed := decl.Resolve("GET", path)
			if ok {
				t.Fatalf("GET %s resolved, want no match", path)
			}
			if got, want := len(allowed), 0; got != want {
				t.Fatalf("GET %s allowed = %v, want none", path, allowed)
			}
		}
	})

	t.Run("DefaultRouteNeverMatches", func(t *testing.T) {
		if m, ok, _ := decl.Resolve("GET", "/$default"); ok {
			t.Fatalf("GET /$default resolved to %q, want no match", m.Route.Key())
		}
	})
}

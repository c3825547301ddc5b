package httpapi

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/partnerportal/portal/internal/ddbtest"
	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/services"
	"github.com/partnerportal/portal/internal/tenancy"
)

// Bad asset requests are problem+json naming the field, and write nothing.
func TestAssetRequestProblems(t *testing.T) {
	store := ddbtest.NewStore(t)
	s := services.New(store, ddbtest.Secret, ddbtest.Clock, &ddbtest.SeqIDs{})
	h, _ := ForFunction(s, "assets")
	admin := ddbtest.AdminA
	name, email := "Acme", "it@acme.example"
	c, err := s.Customers.Create(tenancy.WithIdentity(context.Background(), admin), portal.CustomerInput{Name: &name, ContactEmail: &email})
	must(t, err)
	route, path := "POST /v1/customers/{customerId}/assets", "/v1/customers/"+c.ID+"/assets"

	cases := []struct {
		name, body string
		fields     []string
	}{
		{"NoAssets", `{}`, []string{"assets"}},
		{"AssetsNotAList", `{"assets": "example.com"}`, []string{"assets"}},
		{"EmptyList", `{"assets": []}`, []string{"assets"}},
		{"ANumber", `{"assets": ["example.com", 7]}`, []string{"assets[1]"}},
		{"AnUnknownField", `{"assets": [{"value": "example.com", "owner": "x"}]}`, []string{"assets[0].owner"}},
		{"AnObjectWithoutValue", `{"assets": [{"type": "api"}]}`, []string{"assets[0].value"}},
		{"ATypeThatFollowsFromTheValue", `{"assets": [{"value": "example.com", "type": "domain"}]}`, []string{"assets[0].type"}},
		{"ABadCriticality", `{"assets": [{"value": "example.com", "criticality": "extreme"}]}`, []string{"assets[0].criticality"}},
		{"TagsNotStrings", `{"assets": [{"value": "example.com", "tags": [1]}]}`, []string{"assets[0].tags"}},
		{"AnUnknownTopLevelField", `{"assets": ["example.com"], "verify": true}`, []string{"verify"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, m := doMetered(t, h, event(route, path, &admin, tc.body))
			p := problem(t, res, 400)
			got := fieldReasons(p)
			for _, f := range tc.fields {
				if _, ok := got[f]; !ok {
					t.Fatalf("problem fields = %v, want %s", got, f)
				}
			}
			if len(got) != len(tc.fields) {
				t.Fatalf("problem fields = %v, want only %v", got, tc.fields)
			}
			wantNoWrites(t, m)
		})
	}
	t.Run("ValuesThatAreNotAssetsAreRejectedPerValueNotAsAProblem", func(t *testing.T) {
		res := do(t, h, event(route, path, &admin, `{"assets": ["10.0.0.1", "ftp://example.com", "example.com"]}`))
		if res.StatusCode != 201 {
			t.Fatalf("status = %d: %s", res.StatusCode, res.Body)
		}
		var out AssetAddJSON
		decodeBody(t, res, &out)
		if out.Created != 1 || out.Rejected != 2 || !strings.Contains(out.Results[0].Reason, "private") || !strings.Contains(out.Results[1].Reason, "ftp") {
			t.Fatalf("results = %+v", out.Results)
		}
		if out.Results[2].Asset == nil || len(out.Results[2].Asset.Verification) == 0 {
			t.Fatalf("a new unverified asset says how to verify it: %+v", out.Results[2].Asset)
		}
	})
	t.Run("UnknownAssetsAreNotFound", func(t *testing.T) {
		for _, id := range []string{"nope", portal.AssetID("never-added.example")} {
			res := do(t, h, event("DELETE /v1/customers/{customerId}/assets/{assetId}", path+"/"+id, &admin, ""))
			problem(t, res, 404)
		}
	})
	t.Run("TheListShowsWhatWasCreated", func(t *testing.T) {
		res := do(t, h, event("GET /v1/customers/{customerId}/assets", path, &admin, ""))
		var page struct{ Items []json.RawMessage }
		decodeBody(t, res, &page)
		if len(page.Items) != 1 {
			t.Fatalf("assets = %d, want 1", len(page.Items))
		}
	})
}

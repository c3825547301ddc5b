package httpapi

import (
	"errors"
	"strings"
	"testing"

	"github.com/partnerportal/portal/internal/portal"
)

// decodeFields runs decodeJSON and returns its field errors by name.
func decodeFields(t *testing.T, body string, dst any) map[string]string {
	t.Helper()
	err := decodeJSON([]byte(body), dst)
	var e *portal.Error
	if !errors.As(err, &e) || e.Code != portal.EINVALID {
		t.Fatalf("decodeJSON(%q) = %v, want EINVALID", body, err)
	}
	out := map[string]string{}
	for _, f := range e.Fields {
		out[f.Field] = f.Reason
	}
	return out
}

func TestDecodeJSON(t *testing.T) {
	t.Run("Decodes", func(t *testing.T) {
		var in portal.CustomerInput
		err := decodeJSON([]byte(`{"name":"Acme","tags":["a","b"],"status":"trial"}`), &in)
		if err != nil {
			t.Fatalf("decodeJSON: %v", err)
		}
		if in.Name == nil || *in.Name != "Acme" || in.Tags == nil || len(*in.Tags) != 2 || in.Status == nil || *in.Status != "trial" {
			t.Fatalf("decoded %+v", in)
		}
		if in.ContactEmail != nil || in.Timezone != nil {
			t.Fatalf("absent fields decoded as present: %+v", in)
		}
	})

	t.Run("UnknownFieldsAndWrongTypesAtOnce", func(t *testing.T) {
		var in portal.CustomerInput
		got := decodeFields(t, `{"name": 5, "tags": "gold", "contactEmail": ["x"], "colour": "red", "Name": "Acme", "timezone": "UTC"}`, &in)
		want := map[string]string{
			"name":         "must be a string",
			"tags":         "must be an array of strings",
			"contactEmail": "must be a string",
			"colour":       "is not a known field",
			"Name":         "is not a known field",
		}
		for f, reason := range want {
			if got[f] != reason {
				t.Errorf("%s: reason = %q, want %q", f, got[f], reason)
			}
		}
		if len(got) != len(want) {
			t.Errorf("fields = %v, want exactly %v", got, want)
		}
	})

	t.Run("FieldNamesAreCaseSensitive", func(t *testing.T) {
		var in portal.CustomerInput
		got := decodeFields(t, `{"NAME": "Acme"}`, &in)
		if _, ok := got["NAME"]; !ok || in.Name != nil {
			t.Fatalf("fields = %v, name = %v: NAME must be unknown, not taken as name", got, in.Name)
		}
	})

	t.Run("DescribesTypes", func(t *testing.T) {
		var in portal.APIKeyInput
		got := decodeFields(t, `{"expiresAt": "tomorrow", "name": {}}`, &in)
		if reason := got["expiresAt"]; !strings.Contains(reason, "RFC 3339") {
			t.Fatalf("expiresAt reason = %q, want it to ask for RFC 3339", reason)
		}
		if got, want := got["name"], "must be a string"; got != want {
			t.Fatalf("name reason = %q, want %q", got, want)
		}
	})

	t.Run("Malformed", func(t *testing.T) {
		for _, body := range []string{`{"name":`, `{name: "x"}`, `{"name":"x",}`, `{"a":1}{"b":2}`, `{'a':1}`} {
			var in portal.CustomerInput
			got := decodeFields(t, body, &in)
			if reason := got["body"]; !strings.HasPrefix(reason, "is not valid JSON") || len(got) != 1 {
				t.Fatalf("%s: fields = %v, want only body: is not valid JSON", body, got)
			}
		}
	})

	t.Run("NotAnObject", func(t *testing.T) {
		for _, body := range []string{`[{"name":"Acme"}]`, `"Acme"`, `42`, `true`} {
			var in portal.CustomerInput
			got := decodeFields(t, body, &in)
			if got, want := got["body"], "must be a JSON object"; got != want {
				t.Fatalf("%s: body reason = %q, want %q", body, got, want)
			}
		}
	})

	t.Run("Empty", func(t *testing.T) {
		for _, body := range []string{"", "  \n\t"} {
			var in portal.CustomerInput
			got := decodeFields(t, body, &in)
			if _, ok := got["body"]; !ok || len(got) != 1 {
				t.Fatalf("%q: fields = %v, want only body", body, got)
			}
		}
	})
}

package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/partnerportal/portal/internal/portal"
)

// MaxBodyBytes is the largest request body accepted (413 above it).
const MaxBodyBytes = 256 << 10

// decodeJSON decodes a JSON object body into dst, a pointer to a struct of
// pointer fields with json tags. It reports every unknown field and every
// field of the wrong type at once, as EINVALID naming each field.
func decodeJSON(body []byte, dst any) error {
	var p portal.Problems
	if len(bytes.TrimSpace(body)) == 0 {
		p.Add("body", "a JSON object is required")
		return p.Err()
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			p.Add("body", "must be a JSON object")
		} else {
			p.Add("body", "is not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
		return p.Err()
	}
	if fields == nil {
		p.Add("body", "must be a JSON object")
		return p.Err()
	}
	v := reflect.ValueOf(dst).Elem()
	byName := map[string]reflect.Value{}
	for i := 0; i < v.NumField(); i++ {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		byName[name] = v.Field(i)
	}
	for _, name := range sortedKeys(fields) {
		f, ok := byName[name]
		if !ok {
			p.Add(name, "is not a known field")
			continue
		}
		if err := json.Unmarshal(fields[name], f.Addr().Interface()); err != nil {
			p.Add(name, "must be %s", describe(f.Type()))
		}
	}
	return p.Err()
}

var timeType = reflect.TypeOf(time.Time{})

// describe says in words what JSON a Go type accepts.
func describe(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return "an RFC 3339 time such as 2026-12-01T09:00:00Z"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "an integer"
	case t.Kind() == reflect.Slice:
		return "an array of " + strings.TrimPrefix(strings.TrimPrefix(describe(t.Elem()), "a "), "an ") + "s"
	case t.Kind() == reflect.Struct, t.Kind() == reflect.Map:
		return "an object"
	}
	return "a " + t.Kind().String()
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

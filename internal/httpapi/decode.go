package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/partnerportal/portal/internal/portal"
)

// MaxBodyBytes is the largest request body accepted (413 above it): room
// for a bulk asset request of 1,000 values.
const MaxBodyBytes = 1 << 20

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
	decodeObject(&p, "", fields, reflect.ValueOf(dst).Elem())
	return p.Err()
}

// decodeObject decodes fields into the struct v, naming fields under path.
func decodeObject(p *portal.Problems, path string, fields map[string]json.RawMessage, v reflect.Value) {
	byName := map[string]reflect.Value{}
	for i := 0; i < v.NumField(); i++ {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		byName[name] = v.Field(i)
	}
	for _, name := range sortedKeys(fields) {
		field := name
		if path != "" {
			field = path + "." + name
		}
		f, ok := byName[name]
		if !ok {
			p.Add(field, "is not a known field")
			continue
		}
		decodeValue(p, field, fields[name], f)
	}
}

// decodeValue decodes raw into v. Objects and arrays of objects are decoded
// field by field, so that unknown nested fields are reported by their path
// ("licenses[0].quantity"); anything else with encoding/json.
func decodeValue(p *portal.Problems, field string, raw json.RawMessage, v reflect.Value) {
	t := v.Type()
	elem := t
	if elem.Kind() == reflect.Pointer {
		elem = elem.Elem()
	}
	switch {
	case string(bytes.TrimSpace(raw)) == "null":
		return
	case reflect.PointerTo(elem).Implements(unmarshalerType) && elem != timeType:
		// A type with its own JSON form (e.g. scan targets: "all" or a list).
		if t.Kind() == reflect.Pointer {
			v.Set(reflect.New(elem))
			v = v.Elem()
		}
		if err := json.Unmarshal(raw, v.Addr().Interface()); err != nil {
			p.Add(field, "%s", strings.TrimPrefix(err.Error(), "json: "))
		}
	case elem.Kind() == reflect.Struct && elem != timeType:
		var fields map[string]json.RawMessage
		if json.Unmarshal(raw, &fields) != nil {
			p.Add(field, "must be %s", describe(t))
			return
		}
		if t.Kind() == reflect.Pointer {
			v.Set(reflect.New(elem))
			v = v.Elem()
		}
		decodeObject(p, field, fields, v)
	case elem.Kind() == reflect.Slice && structElem(elem.Elem()):
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			p.Add(field, "must be %s", describe(t))
			return
		}
		s := reflect.MakeSlice(elem, len(items), len(items))
		for i, item := range items {
			decodeValue(p, field+"["+strconv.Itoa(i)+"]", item, s.Index(i))
		}
		if t.Kind() == reflect.Pointer {
			v.Set(reflect.New(elem))
			v = v.Elem()
		}
		v.Set(s)
	default:
		if err := json.Unmarshal(raw, v.Addr().Interface()); err != nil {
			p.Add(field, "must be %s", describe(t))
		}
	}
}

func structElem(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct && t != timeType
}

var (
	timeType        = reflect.TypeOf(time.Time{})
	unmarshalerType = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()
)

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

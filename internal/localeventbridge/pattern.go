package localeventbridge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Pattern is a compiled EventBridge event pattern. Build one with
// CompilePattern; it is immutable and safe for concurrent use.
//
// A pattern is a JSON object shaped like the events it matches. Each field
// names a field of the event: a top-level field of the envelope ("source",
// "detail-type", "account", "region", "resources", "time", "id",
// "version") or, through nested objects, a field of "detail" at any depth.
// The event must satisfy every field of the pattern (AND). A field whose
// pattern value is an array is a leaf: it matches when any of the array's
// values matches (OR) any of the event field's values; an event field that
// is an array has each of its elements as a value ("resources": ["a"]
// matches "resources": ["b", "a"]). Values are matched by JSON type: "80"
// does not match 80, and null does not match "" nor a missing field.
//
// A leaf value is a string, number, true, false or null, matched exactly
// (strings character by character; numbers by value, so 300 matches 300.0 and
// 3e2, as EventBridge's matching engine aws/event-ruler does, although the
// user guide says numbers compare by their text), or one comparison object:
//
//	{"prefix": "us-"}                  a string starting with "us-"
//	{"prefix": {"equals-ignore-case": "eventb"}}
//	{"suffix": ".png"}                 a string ending with ".png"
//	{"suffix": {"equals-ignore-case": ".png"}}
//	{"equals-ignore-case": "alice"}    a string equal to "alice" in any case
//	{"wildcard": "dir/*.png"}          a string matching the glob: * is any
//	                                   run of characters, \* a literal *, \\ a
//	                                   literal \; ** is not allowed
//	{"anything-but": "initializing"}   any value present other than these:
//	{"anything-but": 123}              a string or number, a list of strings
//	{"anything-but": ["a", "b"]}       or of numbers, or {"prefix": s},
//	{"anything-but": {"prefix": "init"}} {"suffix": s}, {"equals-ignore-case":
//	                                   s or [s...]} or {"wildcard": s or
//	                                   [s...]}; a missing field never matches
//	{"exists": true}                   the field has a value (null included)
//	{"exists": false}                  the field has none: it is missing, an
//	                                   empty array, or an object (exists only
//	                                   looks at leaves)
//	{"numeric": [">", 0, "<=", 5]}     a JSON number in the range: "=" n, or
//	                                   ">"/">=" n, optionally followed by
//	                                   "<"/"<=" m, or "<"/"<=" n
//	{"cidr": "10.0.0.0/24"}            a string IP address in the block
//
// A field named "$or" holds an array of at least two pattern objects, and
// matches when any of them does, at the level where it appears:
//
//	{"source": ["a"], "$or": [{"detail-type": ["X"]}, {"detail": {"n": [1]}}]}
//
// Objects in event arrays are matched consistently, as EventBridge does: all
// the fields a nested pattern object names must be found in the same element
// of the array ({"employees": {"first": ["Anna"], "last": ["Smith"]}} does
// not match Anna Jones and Peter Smith); {"exists": false} there holds when
// one element lacks the field.
type Pattern struct {
	root *objectPattern
}

// PatternError is why CompilePattern (and so PutRule) rejected a pattern.
type PatternError struct {
	// Path is where in the pattern the problem is, such as
	// "detail.state[1]"; "" for the pattern as a whole.
	Path string
	// Reason says what is wrong.
	Reason string
}

func (e *PatternError) Error() string {
	if e.Path == "" {
		return "localeventbridge: invalid event pattern: " + e.Reason
	}
	return "localeventbridge: invalid event pattern at " + e.Path + ": " + e.Reason
}

// orKey is the field name of the OR primitive.
const orKey = "$or"

// Comparison operators (the single key of a comparison object).
const (
	opPrefix           = "prefix"
	opSuffix           = "suffix"
	opEqualsIgnoreCase = "equals-ignore-case"
	opWildcard         = "wildcard"
	opAnythingBut      = "anything-but"
	opExists           = "exists"
	opNumeric          = "numeric"
	opCIDR             = "cidr"
)

var operators = []string{opAnythingBut, opCIDR, opEqualsIgnoreCase, opExists, opNumeric, opPrefix, opSuffix, opWildcard}

// CompilePattern parses an event pattern (see Pattern). It returns a
// *PatternError saying what is wrong and where when pattern is not valid
// JSON, not an object, empty, has a field whose value is neither an array
// nor an object, an empty array or object, a comparison object with an
// unknown operator or a malformed operand, or a malformed "$or".
func CompilePattern(pattern []byte) (*Pattern, error) {
	dec := json.NewDecoder(bytes.NewReader(pattern))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &PatternError{Reason: "not JSON: " + err.Error()}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &PatternError{Reason: "not JSON: something follows the pattern object"}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &PatternError{Reason: "a pattern is a JSON object, not " + describe(v)}
	}
	root, err := compileObject("", obj, false)
	if err != nil {
		return nil, err
	}
	return &Pattern{root: root}, nil
}

// Matches reports whether event, an event envelope in JSON as a rule's target
// receives it (see Handler.Envelope), matches the pattern. An event that is
// not a JSON object matches nothing.
func (p *Pattern) Matches(event []byte) bool {
	v, ok := decodeEvent(event)
	return ok && p.match(v)
}

func (p *Pattern) match(event map[string]any) bool { return p.root.matchIn(event) }

func decodeEvent(event []byte) (map[string]any, bool) {
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil || v == nil {
		return nil, false
	}
	return v, true
}

// objectPattern is a pattern object: fields ANDed, and optionally one $or.
type objectPattern struct {
	fields []fieldPattern // sorted by name
	or     []*objectPattern
}

// fieldPattern is one field of a pattern object: either nested (an object
// pattern for the event field's object) or a leaf.
type fieldPattern struct {
	name   string
	nested *objectPattern
	leaf   *leafPattern
}

// leafPattern is the array of a leaf field: it matches when any of its
// matchers matches any of the field's values, or its exists tests hold.
type leafPattern struct {
	matchers    []func(v any) bool
	existsTrue  bool
	existsFalse bool
}

func compileObject(path string, obj map[string]any, inOr bool) (*objectPattern, error) {
	if len(obj) == 0 {
		return nil, &PatternError{Path: path, Reason: "empty object: a pattern object needs at least one field"}
	}
	names := make([]string, 0, len(obj))
	for name := range obj {
		names = append(names, name)
	}
	slices.Sort(names)
	p := &objectPattern{}
	for _, name := range names {
		v := obj[name]
		at := joinField(path, name)
		if name == orKey {
			alts, err := compileOr(at, v)
			if err != nil {
				return nil, err
			}
			p.or = alts
			continue
		}
		if inOr && slices.Contains(operators, name) {
			return nil, &PatternError{Path: at, Reason: fmt.Sprintf("%q is a comparison operator, not a field: each element of %s is a pattern object such as {\"field\": [values]}, with the operator inside the field's array", name, orKey)}
		}
		switch v := v.(type) {
		case map[string]any:
			nested, err := compileObject(at, v, inOr)
			if err != nil {
				return nil, err
			}
			p.fields = append(p.fields, fieldPattern{name: name, nested: nested})
		case []any:
			leaf, err := compileLeaf(at, v)
			if err != nil {
				return nil, err
			}
			p.fields = append(p.fields, fieldPattern{name: name, leaf: leaf})
		default:
			return nil, &PatternError{Path: at, Reason: fmt.Sprintf("the value of a field must be an array of values to match (such as [%s]) or an object of nested fields, not %s", jsonText(v), describe(v))}
		}
	}
	return p, nil
}

func compileOr(path string, v any) ([]*objectPattern, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, &PatternError{Path: path, Reason: fmt.Sprintf("%s must be an array of at least two pattern objects, not %s", orKey, describe(v))}
	}
	if len(arr) < 2 {
		return nil, &PatternError{Path: path, Reason: fmt.Sprintf("%s must have at least two pattern objects, it has %d", orKey, len(arr))}
	}
	alts := make([]*objectPattern, len(arr))
	for i, e := range arr {
		at := fmt.Sprintf("%s[%d]", path, i)
		obj, ok := e.(map[string]any)
		if !ok {
			return nil, &PatternError{Path: at, Reason: fmt.Sprintf("each element of %s must be a pattern object, not %s", orKey, describe(e))}
		}
		alt, err := compileObject(at, obj, true)
		if err != nil {
			return nil, err
		}
		alts[i] = alt
	}
	return alts, nil
}

func compileLeaf(path string, arr []any) (*leafPattern, error) {
	if len(arr) == 0 {
		return nil, &PatternError{Path: path, Reason: "empty array: give at least one value to match"}
	}
	leaf := &leafPattern{}
	for i, e := range arr {
		at := fmt.Sprintf("%s[%d]", path, i)
		switch e := e.(type) {
		case map[string]any:
			if err := compileComparison(at, e, leaf); err != nil {
				return nil, err
			}
		case []any:
			return nil, &PatternError{Path: at, Reason: "a value to match is a string, number, true, false, null or a comparison object, not an array"}
		default:
			leaf.matchers = append(leaf.matchers, exactMatcher(e))
		}
	}
	return leaf, nil
}

// compileComparison adds the comparison object obj to leaf.
func compileComparison(path string, obj map[string]any, leaf *leafPattern) error {
	op, arg, err := singleOperator(path, obj, "comparison object", operators)
	if err != nil {
		return err
	}
	at := joinField(path, op)
	var m func(any) bool
	switch op {
	case opPrefix, opSuffix:
		s, fold, err := affixOperand(at, op, arg)
		if err != nil {
			return err
		}
		m = stringMatcher(affixTest(op, s, fold))
	case opEqualsIgnoreCase:
		s, ok := arg.(string)
		if !ok {
			return &PatternError{Path: at, Reason: fmt.Sprintf("%s takes a string, not %s", op, describe(arg))}
		}
		m = stringMatcher(func(v string) bool { return strings.EqualFold(v, s) })
	case opWildcard:
		w, err := wildcardOperand(at, arg)
		if err != nil {
			return err
		}
		m = stringMatcher(w.match)
	case opAnythingBut:
		excluded, err := anythingButOperand(at, arg)
		if err != nil {
			return err
		}
		m = func(v any) bool { return !excluded(v) }
	case opExists:
		b, ok := arg.(bool)
		if !ok {
			return &PatternError{Path: at, Reason: fmt.Sprintf("exists takes true or false, not %s", describe(arg))}
		}
		if b {
			leaf.existsTrue = true
		} else {
			leaf.existsFalse = true
		}
		return nil
	case opNumeric:
		r, err := numericOperand(at, arg)
		if err != nil {
			return err
		}
		m = func(v any) bool {
			f, ok := numberValue(v)
			return ok && r.contains(f)
		}
	case opCIDR:
		s, ok := arg.(string)
		if !ok {
			return &PatternError{Path: at, Reason: fmt.Sprintf("cidr takes a string such as \"10.0.0.0/24\", not %s", describe(arg))}
		}
		prefix, err := netip.ParsePrefix(s)
		if err != nil {
			return &PatternError{Path: at, Reason: fmt.Sprintf("%q is not an IP address block such as \"10.0.0.0/24\"", s)}
		}
		prefix = prefix.Masked()
		m = stringMatcher(func(v string) bool {
			addr, err := netip.ParseAddr(v)
			return err == nil && prefix.Contains(addr.Unmap())
		})
	}
	leaf.matchers = append(leaf.matchers, m)
	return nil
}

// singleOperator returns the one key of obj and its value, or an error when
// obj has no key, several, or one not in allowed.
func singleOperator(path string, obj map[string]any, what string, allowed []string) (string, any, error) {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	switch {
	case len(keys) == 0:
		return "", nil, &PatternError{Path: path, Reason: fmt.Sprintf("empty %s: give one operator, one of %s", what, strings.Join(allowed, ", "))}
	case len(keys) > 1:
		return "", nil, &PatternError{Path: path, Reason: fmt.Sprintf("a %s has exactly one operator, this one has %d: %s", what, len(keys), strings.Join(keys, ", "))}
	case !slices.Contains(allowed, keys[0]):
		return "", nil, &PatternError{Path: path, Reason: fmt.Sprintf("unknown operator %q in %s; the operators are %s", keys[0], what, strings.Join(allowed, ", "))}
	}
	return keys[0], obj[keys[0]], nil
}

// affixOperand reads the operand of prefix or suffix: a string, or
// {"equals-ignore-case": string}.
func affixOperand(path, op string, arg any) (s string, fold bool, err error) {
	switch a := arg.(type) {
	case string:
		return a, false, nil
	case map[string]any:
		_, inner, err := singleOperator(path, a, op+" object", []string{opEqualsIgnoreCase})
		if err != nil {
			return "", false, err
		}
		s, ok := inner.(string)
		if !ok {
			return "", false, &PatternError{Path: joinField(path, opEqualsIgnoreCase), Reason: fmt.Sprintf("equals-ignore-case takes a string, not %s", describe(inner))}
		}
		return s, true, nil
	}
	return "", false, &PatternError{Path: path, Reason: fmt.Sprintf("%s takes a string or {\"equals-ignore-case\": string}, not %s", op, describe(arg))}
}

func affixTest(op, s string, fold bool) func(string) bool {
	switch {
	case op == opPrefix && fold:
		return func(v string) bool { return hasPrefixFold(v, s) }
	case op == opPrefix:
		return func(v string) bool { return strings.HasPrefix(v, s) }
	case fold:
		return func(v string) bool { return hasSuffixFold(v, s) }
	default:
		return func(v string) bool { return strings.HasSuffix(v, s) }
	}
}

// anythingButOperand returns the test for the values anything-but excludes.
func anythingButOperand(path string, arg any) (func(any) bool, error) {
	switch a := arg.(type) {
	case string, json.Number:
		return exactMatcher(a), nil
	case []any:
		return anythingButList(path, a)
	case map[string]any:
		op, inner, err := singleOperator(path, a, "anything-but object", []string{opEqualsIgnoreCase, opPrefix, opSuffix, opWildcard})
		if err != nil {
			return nil, err
		}
		at := joinField(path, op)
		switch op {
		case opPrefix, opSuffix:
			s, ok := inner.(string)
			if !ok || s == "" {
				return nil, &PatternError{Path: at, Reason: fmt.Sprintf("%s inside anything-but takes a non-empty string, not %s", op, describe(inner))}
			}
			return stringMatcher(affixTest(op, s, false)), nil
		case opEqualsIgnoreCase:
			list, err := stringOrStrings(at, op, inner)
			if err != nil {
				return nil, err
			}
			return stringMatcher(func(v string) bool {
				return slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(v, s) })
			}), nil
		default: // wildcard
			list, err := stringOrStrings(at, op, inner)
			if err != nil {
				return nil, err
			}
			ws := make([]*wildcard, len(list))
			for i, s := range list {
				if ws[i], err = wildcardOperand(at, s); err != nil {
					return nil, err
				}
			}
			return stringMatcher(func(v string) bool {
				return slices.ContainsFunc(ws, func(w *wildcard) bool { return w.match(v) })
			}), nil
		}
	}
	return nil, &PatternError{Path: path, Reason: fmt.Sprintf("anything-but takes a string, a number, a list of strings or of numbers, or an object with prefix, suffix, equals-ignore-case or wildcard, not %s", describe(arg))}
}

func anythingButList(path string, list []any) (func(any) bool, error) {
	if len(list) == 0 {
		return nil, &PatternError{Path: path, Reason: "empty anything-but list: give at least one string or number"}
	}
	var strs, nums int
	ms := make([]func(any) bool, len(list))
	for i, e := range list {
		switch e.(type) {
		case string:
			strs++
		case json.Number:
			nums++
		default:
			return nil, &PatternError{Path: fmt.Sprintf("%s[%d]", path, i), Reason: fmt.Sprintf("an anything-but list holds strings or numbers, not %s", describe(e))}
		}
		ms[i] = exactMatcher(e)
	}
	if strs > 0 && nums > 0 {
		return nil, &PatternError{Path: path, Reason: "an anything-but list holds only strings or only numbers, not both"}
	}
	return func(v any) bool {
		return slices.ContainsFunc(ms, func(m func(any) bool) bool { return m(v) })
	}, nil
}

func stringOrStrings(path, op string, v any) ([]string, error) {
	switch v := v.(type) {
	case string:
		return []string{v}, nil
	case []any:
		if len(v) == 0 {
			return nil, &PatternError{Path: path, Reason: fmt.Sprintf("empty %s list: give at least one string", op)}
		}
		out := make([]string, len(v))
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, &PatternError{Path: fmt.Sprintf("%s[%d]", path, i), Reason: fmt.Sprintf("%s takes strings, not %s", op, describe(e))}
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, &PatternError{Path: path, Reason: fmt.Sprintf("%s takes a string or a list of strings, not %s", op, describe(v))}
}

// numericRange is the set of numbers a numeric comparison accepts.
type numericRange struct {
	lo, hi         float64
	hasLo, hasHi   bool
	loOpen, hiOpen bool
}

func (r numericRange) contains(f float64) bool {
	if r.hasLo && (f < r.lo || r.loOpen && f == r.lo) {
		return false
	}
	if r.hasHi && (f > r.hi || r.hiOpen && f == r.hi) {
		return false
	}
	return true
}

func numericOperand(path string, arg any) (numericRange, error) {
	arr, ok := arg.([]any)
	if !ok || len(arr) == 0 {
		return numericRange{}, &PatternError{Path: path, Reason: fmt.Sprintf("numeric takes an array such as [\">\", 0, \"<=\", 5], not %s", describe(arg))}
	}
	// term reads the operator and number at arr[i], arr[i+1].
	term := func(i int, allowed ...string) (string, float64, error) {
		op, ok := arr[i].(string)
		if !ok || !slices.Contains(allowed, op) {
			return "", 0, &PatternError{Path: fmt.Sprintf("%s[%d]", path, i), Reason: fmt.Sprintf("expected one of the operators %s, not %s", jsonText(allowed), jsonText(arr[i]))}
		}
		if i+1 >= len(arr) {
			return "", 0, &PatternError{Path: path, Reason: fmt.Sprintf("operator %q needs a number after it", op)}
		}
		n, ok := arr[i+1].(json.Number)
		if !ok {
			return "", 0, &PatternError{Path: fmt.Sprintf("%s[%d]", path, i+1), Reason: fmt.Sprintf("operator %q needs a number after it, not %s", op, describe(arr[i+1]))}
		}
		f, err := strconv.ParseFloat(n.String(), 64)
		if err != nil {
			return "", 0, &PatternError{Path: fmt.Sprintf("%s[%d]", path, i+1), Reason: fmt.Sprintf("%s is not a number in range", n)}
		}
		return op, f, nil
	}
	op, f, err := term(0, "=", ">", ">=", "<", "<=")
	if err != nil {
		return numericRange{}, err
	}
	lower := op == ">" || op == ">="
	maxLen := 2
	if lower {
		maxLen = 4
	}
	if len(arr) > maxLen {
		return numericRange{}, &PatternError{Path: path, Reason: fmt.Sprintf("too many elements in %s: only a lower bound (\">\" or \">=\") may be followed by an upper one (\"<\" or \"<=\")", jsonText(arr))}
	}
	var r numericRange
	switch op {
	case "=":
		r = numericRange{lo: f, hi: f, hasLo: true, hasHi: true}
	case "<", "<=":
		r = numericRange{hi: f, hasHi: true, hiOpen: op == "<"}
	default:
		r = numericRange{lo: f, hasLo: true, loOpen: op == ">"}
	}
	if lower && len(arr) > 2 {
		op2, f2, err := term(2, "<", "<=")
		if err != nil {
			return numericRange{}, err
		}
		r.hi, r.hasHi, r.hiOpen = f2, true, op2 == "<"
		if r.lo > r.hi || r.lo == r.hi && (r.loOpen || r.hiOpen) {
			return numericRange{}, &PatternError{Path: path, Reason: fmt.Sprintf("%s holds no number", jsonText(arr))}
		}
	}
	return r, nil
}

// wildcard is a compiled wildcard operand: the literal parts between its *s.
type wildcard struct {
	parts []string // len(parts)-1 stars between them; parts may be ""
}

func wildcardOperand(path string, arg any) (*wildcard, error) {
	s, ok := arg.(string)
	if !ok {
		return nil, &PatternError{Path: path, Reason: fmt.Sprintf("wildcard takes a string, not %s", describe(arg))}
	}
	w := &wildcard{}
	var part strings.Builder
	prevStar := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '*':
			if prevStar {
				return nil, &PatternError{Path: path, Reason: fmt.Sprintf("%q has consecutive wildcard characters (**), which are not allowed", s)}
			}
			w.parts = append(w.parts, part.String())
			part.Reset()
			prevStar = true
			continue
		case '\\':
			if i+1 >= len(s) || s[i+1] != '*' && s[i+1] != '\\' {
				return nil, &PatternError{Path: path, Reason: fmt.Sprintf("%q has a backslash that escapes neither * nor \\", s)}
			}
			i++
			part.WriteByte(s[i])
		default:
			part.WriteByte(c)
		}
		prevStar = false
	}
	w.parts = append(w.parts, part.String())
	return w, nil
}

func (w *wildcard) match(v string) bool {
	if len(w.parts) == 1 {
		return v == w.parts[0]
	}
	first, last := w.parts[0], w.parts[len(w.parts)-1]
	if len(v) < len(first)+len(last) || !strings.HasPrefix(v, first) || !strings.HasSuffix(v, last) {
		return false
	}
	middle := v[len(first) : len(v)-len(last)]
	for _, p := range w.parts[1 : len(w.parts)-1] {
		i := strings.Index(middle, p)
		if i < 0 {
			return false
		}
		middle = middle[i+len(p):]
	}
	return true
}

// exactMatcher matches the event values equal to the pattern value v: the
// same string, true, false or null, or a number of the same value.
func exactMatcher(v any) func(any) bool {
	switch v := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(v.String(), 64)
		numeric := err == nil
		return func(e any) bool {
			n, ok := e.(json.Number)
			if !ok {
				return false
			}
			if n == v {
				return true
			}
			g, err := strconv.ParseFloat(n.String(), 64)
			return numeric && err == nil && f == g
		}
	case string:
		return func(e any) bool { s, ok := e.(string); return ok && s == v }
	case bool:
		return func(e any) bool { b, ok := e.(bool); return ok && b == v }
	default: // nil
		return func(e any) bool { return e == nil }
	}
}

// stringMatcher matches the string event values that test accepts.
func stringMatcher(test func(string) bool) func(any) bool {
	return func(v any) bool {
		s, ok := v.(string)
		return ok && test(s)
	}
}

func numberValue(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(n.String(), 64)
	return f, err == nil
}

func hasPrefixFold(s, prefix string) bool {
	n := utf8.RuneCountInString(prefix)
	i := 0
	for k := 0; k < n; k++ {
		if i >= len(s) {
			return false
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return strings.EqualFold(s[:i], prefix)
}

func hasSuffixFold(s, suffix string) bool {
	n := utf8.RuneCountInString(suffix)
	i := len(s)
	for k := 0; k < n; k++ {
		if i <= 0 {
			return false
		}
		_, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
	}
	return strings.EqualFold(s[i:], suffix)
}

// matchIn reports whether the event object obj (nil when there is none)
// satisfies every field of p and, when p has an $or, one of its
// alternatives.
func (p *objectPattern) matchIn(obj map[string]any) bool {
	for _, f := range p.fields {
		v, present := obj[f.name]
		if f.nested != nil {
			if !f.nested.matchValue(v, present) {
				return false
			}
		} else if !f.leaf.match(leafValues(v, present, nil)) {
			return false
		}
	}
	if p.or != nil {
		return slices.ContainsFunc(p.or, func(alt *objectPattern) bool { return alt.matchIn(obj) })
	}
	return true
}

// matchValue matches the nested pattern p against the event value v of its
// field: one object, or an array whose object elements (at any depth) are
// tried one by one, so that all of p's fields come from the same element.
// Without any object, p is matched against nothing (only absence matches).
func (p *objectPattern) matchValue(v any, present bool) bool {
	var objs []map[string]any
	if present {
		objs = objectsIn(v, nil)
	}
	if len(objs) == 0 {
		return p.matchIn(nil)
	}
	return slices.ContainsFunc(objs, p.matchIn)
}

func (l *leafPattern) match(values []any) bool {
	if len(values) == 0 {
		return l.existsFalse
	}
	if l.existsTrue {
		return true
	}
	for _, v := range values {
		for _, m := range l.matchers {
			if m(v) {
				return true
			}
		}
	}
	return false
}

// leafValues appends to out the leaf values of an event field: the value
// itself when it is a string, number, boolean or null, the leaf values of
// its elements when it is an array, nothing when it is an object or missing.
func leafValues(v any, present bool, out []any) []any {
	if !present {
		return out
	}
	switch v := v.(type) {
	case map[string]any:
		return out
	case []any:
		for _, e := range v {
			out = leafValues(e, true, out)
		}
		return out
	default:
		return append(out, v)
	}
}

// objectsIn appends to out the objects of an event value: itself, or the
// objects among its elements when it is an array (of arrays…).
func objectsIn(v any, out []map[string]any) []map[string]any {
	switch v := v.(type) {
	case map[string]any:
		return append(out, v)
	case []any:
		for _, e := range v {
			out = objectsIn(e, out)
		}
	}
	return out
}

func joinField(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// describe names the JSON type of a decoded value, for error messages.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean (" + strconv.FormatBool(v) + ")"
	case json.Number:
		return "a number (" + v.String() + ")"
	case string:
		return "a string (" + strconv.Quote(v) + ")"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// jsonText is v in JSON, for error messages.
func jsonText(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

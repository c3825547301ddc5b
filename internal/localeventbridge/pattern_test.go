package localeventbridge_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/partnerportal/portal/internal/localeventbridge"
)

// envelope is an event as a rule target receives it, with detail as given.
func envelope(detail string) string {
	return `{"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718","detail-type":"Usage Threshold Reached",` +
		`"source":"partnerportal.usage","account":"123456789012","time":"2026-03-01T12:30:15Z","region":"eu-west-1",` +
		`"resources":["arn:aws:example:eu-west-1:123456789012:thing/1","arn:aws:example:eu-west-1:123456789012:thing/2"],` +
		`"detail":` + detail + `}`
}

// A usage alert with the kinds of values patterns look at.
const alert = `{
	"alertId": "alr_1", "state": "running", "percent": 90, "ratio": 301.8, "limit": 300,
	"fileName": "reports/2026/March.PNG", "service": "EventBridge", "sourceIp": "10.0.0.33",
	"enabled": true, "note": null, "empty": "", "tags": ["billing", "urgent"], "noTags": [],
	"owner": {"partnerId": "ptn_1", "contact": {"email": "ops@example.com"}},
	"counts": {"c1": 100},
	"employees": [
		{"firstName": "John", "lastName": "Doe"},
		{"firstName": "Anna", "lastName": "Smith"},
		{"firstName": "Peter", "lastName": "Jones"}
	],
	"matrix": [[{"cell": "a1"}], [{"cell": "b1"}, {"cell": "b2"}]]
}`

func TestPatternMatching(t *testing.T) {
	event := envelope(alert)
	cases := []struct {
		name    string
		pattern string
		want    bool
	}{
		// Envelope fields, OR within a field, AND across fields.
		{"SourceEquals", `{"source": ["partnerportal.usage"]}`, true},
		{"SourceDiffers", `{"source": ["partnerportal.billing"]}`, false},
		{"AnyOfTheValuesMatches", `{"source": ["partnerportal.billing", "partnerportal.usage"]}`, true},
		{"AllFieldsMustMatch", `{"source": ["partnerportal.usage"], "detail-type": ["Asset Discovered"]}`, false},
		{"SourceAndDetailTypeAndDetailField", `{"source": ["partnerportal.usage"], "detail-type": ["Usage Threshold Reached"], "detail": {"state": ["running"]}}`, true},
		{"StringsAreCaseSensitive", `{"detail-type": ["usage threshold reached"]}`, false},
		{"Account", `{"account": ["123456789012"]}`, true},
		{"Region", `{"region": ["eu-west-1"]}`, true},
		{"Version", `{"version": ["0"]}`, true},
		{"ID", `{"id": ["6a7e8feb-b491-4cf7-a9f1-bf3703467718"]}`, true},
		{"TimePrefix", `{"time": [{"prefix": "2026-03-01"}]}`, true},
		{"FieldNotInEvent", `{"EventBusName": ["default"]}`, false},

		// Nested detail fields.
		{"DetailField", `{"detail": {"alertId": ["alr_1"]}}`, true},
		{"DeeplyNestedField", `{"detail": {"owner": {"contact": {"email": ["ops@example.com"]}}}}`, true},
		{"DeeplyNestedFieldDiffers", `{"detail": {"owner": {"contact": {"email": ["dev@example.com"]}}}}`, false},
		{"MissingNestedField", `{"detail": {"owner": {"region": ["eu"]}}}`, false},
		{"NestedPatternOnAScalar", `{"detail": {"state": {"code": ["running"]}}}`, false},
		{"LeafPatternOnAnObject", `{"detail": {"owner": ["ptn_1"]}}`, false},

		// JSON types.
		{"Number", `{"detail": {"percent": [90]}}`, true},
		{"NumberByValue", `{"detail": {"limit": [300.0, 1]}}`, true},
		{"NumberInExponentForm", `{"detail": {"limit": [3e2]}}`, true},
		{"NumberIsNotAString", `{"detail": {"percent": ["90"]}}`, false},
		{"StringIsNotANumber", `{"detail": {"alertId": [1]}}`, false},
		{"Boolean", `{"detail": {"enabled": [true]}}`, true},
		{"BooleanDiffers", `{"detail": {"enabled": [false]}}`, false},
		{"Null", `{"detail": {"note": [null]}}`, true},
		{"NullIsNotEmptyString", `{"detail": {"note": [""]}}`, false},
		{"EmptyString", `{"detail": {"empty": [""]}}`, true},
		{"EmptyStringIsNotNull", `{"detail": {"empty": [null]}}`, false},
		{"NullDoesNotMatchAMissingField", `{"detail": {"missing": [null]}}`, false},

		// Arrays in the event: any element may match.
		{"ResourcesIntersect", `{"resources": ["arn:other", "arn:aws:example:eu-west-1:123456789012:thing/2"]}`, true},
		{"ResourcesDisjoint", `{"resources": ["arn:other"]}`, false},
		{"ArrayElement", `{"detail": {"tags": ["urgent"]}}`, true},
		{"ArrayElementWithOperator", `{"detail": {"tags": [{"prefix": "bill"}]}}`, true},
		{"EmptyArrayMatchesNoValue", `{"detail": {"noTags": [""]}}`, false},
		{"ObjectsInAnArray", `{"detail": {"employees": {"firstName": ["Anna"]}}}`, true},
		{"FieldsOfTheSameArrayElement", `{"detail": {"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}}`, true},
		{"FieldsOfDifferentArrayElementsDoNotMatch", `{"detail": {"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}}`, false},
		{"ObjectsInNestedArrays", `{"detail": {"matrix": {"cell": ["b2"]}}}`, true},

		// prefix and suffix.
		{"Prefix", `{"detail": {"alertId": [{"prefix": "alr_"}]}}`, true},
		{"PrefixDiffers", `{"detail": {"alertId": [{"prefix": "ALR_"}]}}`, false},
		{"PrefixIgnoringCase", `{"detail": {"service": [{"prefix": {"equals-ignore-case": "eventb"}}]}}`, true},
		{"PrefixOnlyMatchesStrings", `{"detail": {"percent": [{"prefix": "9"}]}}`, false},
		{"Suffix", `{"detail": {"fileName": [{"suffix": ".PNG"}]}}`, true},
		{"SuffixIsCaseSensitive", `{"detail": {"fileName": [{"suffix": ".png"}]}}`, false},
		{"SuffixIgnoringCase", `{"detail": {"fileName": [{"suffix": {"equals-ignore-case": ".png"}}]}}`, true},

		// equals-ignore-case.
		{"EqualsIgnoreCase", `{"detail": {"service": [{"equals-ignore-case": "EVENTBRIDGE"}]}}`, true},
		{"EqualsIgnoreCaseIsStillEquality", `{"detail": {"service": [{"equals-ignore-case": "eventbridges"}]}}`, false},

		// wildcard.
		{"Wildcard", `{"detail": {"fileName": [{"wildcard": "reports/*.PNG"}]}}`, true},
		{"WildcardSeveralStars", `{"detail": {"fileName": [{"wildcard": "*/2026/*"}]}}`, true},
		{"WildcardMatchesTheWholeValue", `{"detail": {"fileName": [{"wildcard": "reports/*.png"}]}}`, false},
		{"WildcardStarMatchesEmpty", `{"detail": {"alertId": [{"wildcard": "alr_*1"}]}}`, true},
		{"WildcardWithoutStarIsEquality", `{"detail": {"alertId": [{"wildcard": "alr_1"}]}}`, true},
		{"WildcardEscapedStarIsLiteral", `{"detail": {"alertId": [{"wildcard": "alr\\*"}]}}`, false},
		{"WildcardOnlyMatchesStrings", `{"detail": {"percent": [{"wildcard": "*"}]}}`, false},

		// anything-but.
		{"AnythingButString", `{"detail": {"state": [{"anything-but": "initializing"}]}}`, true},
		{"AnythingButTheValue", `{"detail": {"state": [{"anything-but": "running"}]}}`, false},
		{"AnythingButNumber", `{"detail": {"percent": [{"anything-but": 90}]}}`, false},
		{"AnythingButOtherNumber", `{"detail": {"percent": [{"anything-but": 91}]}}`, true},
		{"AnythingButStringList", `{"detail": {"state": [{"anything-but": ["stopped", "running"]}]}}`, false},
		{"AnythingButStringListWithout", `{"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}`, true},
		{"AnythingButNumberList", `{"detail": {"limit": [{"anything-but": [100, 200, 300]}]}}`, false},
		{"AnythingButNumberListWithout", `{"detail": {"percent": [{"anything-but": [100, 200, 300]}]}}`, true},
		{"AnythingButPrefix", `{"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}`, true},
		{"AnythingButPrefixOfTheValue", `{"detail": {"state": [{"anything-but": {"prefix": "run"}}]}}`, false},
		{"AnythingButSuffix", `{"detail": {"fileName": [{"anything-but": {"suffix": ".PNG"}}]}}`, false},
		{"AnythingButEqualsIgnoreCase", `{"detail": {"state": [{"anything-but": {"equals-ignore-case": "RUNNING"}}]}}`, false},
		{"AnythingButEqualsIgnoreCaseList", `{"detail": {"state": [{"anything-but": {"equals-ignore-case": ["STOPPED", "PENDING"]}}]}}`, true},
		{"AnythingButWildcard", `{"detail": {"fileName": [{"anything-but": {"wildcard": "*/lib/*"}}]}}`, true},
		{"AnythingButWildcardMatching", `{"detail": {"fileName": [{"anything-but": {"wildcard": ["*/lib/*", "reports/*"]}}]}}`, false},
		{"AnythingButNeedsTheField", `{"detail": {"missing": [{"anything-but": "x"}]}}`, false},
		{"AnythingButAnyArrayElement", `{"detail": {"tags": [{"anything-but": "billing"}]}}`, true},
		{"AnythingButEveryArrayElement", `{"detail": {"tags": [{"anything-but": ["billing", "urgent"]}]}}`, false},

		// exists.
		{"ExistsTrue", `{"detail": {"alertId": [{"exists": true}]}}`, true},
		{"ExistsTrueOnNull", `{"detail": {"note": [{"exists": true}]}}`, true},
		{"ExistsTrueOnMissing", `{"detail": {"missing": [{"exists": true}]}}`, false},
		{"ExistsFalseOnMissing", `{"detail": {"missing": [{"exists": false}]}}`, true},
		{"ExistsFalseOnMissingParent", `{"detail": {"nowhere": {"missing": [{"exists": false}]}}}`, true},
		{"ExistsFalseOnPresent", `{"detail": {"alertId": [{"exists": false}]}}`, false},
		{"ExistsFalseOnAnObjectIsTrueOnlyLeavesExist", `{"detail": {"counts": [{"exists": false}]}}`, true},
		{"ExistsFalseOnEmptyArray", `{"detail": {"noTags": [{"exists": false}]}}`, true},
		{"ExistsOrValue", `{"detail": {"state": [{"exists": false}, "running"]}}`, true},

		// numeric.
		{"NumericRange", `{"detail": {"percent": [{"numeric": [">", 0, "<=", 90]}]}}`, true},
		{"NumericRangeOpenTop", `{"detail": {"percent": [{"numeric": [">", 0, "<", 90]}]}}`, false},
		{"NumericRangeOpenBottom", `{"detail": {"percent": [{"numeric": [">", 90, "<=", 100]}]}}`, false},
		{"NumericRangeClosedBottom", `{"detail": {"percent": [{"numeric": [">=", 90, "<=", 100]}]}}`, true},
		{"NumericLessThan", `{"detail": {"percent": [{"numeric": ["<", 100]}]}}`, true},
		{"NumericAtMost", `{"detail": {"percent": [{"numeric": ["<=", 89.5]}]}}`, false},
		{"NumericGreaterThan", `{"detail": {"ratio": [{"numeric": [">", 301.79]}]}}`, true},
		{"NumericEquals", `{"detail": {"ratio": [{"numeric": ["=", 3.018e2]}]}}`, true},
		{"NumericOnlyMatchesNumbers", `{"detail": {"alertId": [{"numeric": [">", 0]}]}}`, false},
		{"NumericOnMissing", `{"detail": {"missing": [{"numeric": [">", 0]}]}}`, false},
		{"NumericRangesAreORed", `{"detail": {"percent": [{"numeric": ["<", 10]}, {"numeric": [">", 80]}]}}`, true},

		// cidr.
		{"CIDR", `{"detail": {"sourceIp": [{"cidr": "10.0.0.0/24"}]}}`, true},
		{"CIDROutside", `{"detail": {"sourceIp": [{"cidr": "10.0.1.0/24"}]}}`, false},

		// $or.
		{"OrOfTopLevelFields", `{"$or": [{"source": ["other"]}, {"detail-type": ["Usage Threshold Reached"]}]}`, true},
		{"OrNoneMatches", `{"$or": [{"source": ["other"]}, {"detail-type": ["Other"]}]}`, false},
		{"OrAcrossLevels", `{"$or": [{"source": ["other"]}, {"detail": {"state": ["running"]}}]}`, true},
		{"OrInsideDetail", `{"detail": {"$or": [{"state": ["stopped"]}, {"percent": [{"numeric": [">=", 90]}]}]}}`, true},
		{"OrIsANDedWithSiblings", `{"source": ["other"], "$or": [{"detail-type": ["Usage Threshold Reached"]}, {"region": ["eu-west-1"]}]}`, false},
		{"OrWithAndInside", `{"$or": [{"source": ["partnerportal.usage"], "region": ["us-east-1"]}, {"source": ["partnerportal.usage"], "region": ["eu-west-1"]}]}`, true},
		{"OrWithAndInsideNoneComplete", `{"$or": [{"source": ["partnerportal.usage"], "region": ["us-east-1"]}, {"source": ["other"], "region": ["eu-west-1"]}]}`, false},
		{"NestedOr", `{"detail": {"$or": [{"state": ["stopped"]}, {"alertId": ["alr_1"], "$or": [{"percent": [1]}, {"enabled": [true]}]}]}}`, true},
		{"OrWithExistsFalse", `{"detail": {"$or": [{"missing": [{"exists": false}]}, {"state": ["stopped"]}]}}`, true},
		{"OrInArrayObjectsKeepsElementsTogether", `{"detail": {"employees": {"firstName": ["Anna"], "$or": [{"lastName": ["Jones"]}, {"lastName": ["Doe"]}]}}}`, false},

		// A realistic rule: several operators together.
		{"Combined", `{
			"source": ["partnerportal.usage"],
			"time": [{"prefix": "2026-03"}],
			"detail": {
				"state": [{"anything-but": "initializing"}],
				"percent": [{"numeric": [">", 0, "<=", 100]}],
				"limit": [{"anything-but": [100, 200]}],
				"owner": {"partnerId": [{"prefix": "ptn_"}]},
				"missing": [{"exists": false}]
			}
		}`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := localeventbridge.CompilePattern([]byte(c.pattern))
			if err != nil {
				t.Fatalf("CompilePattern(%s): %v", c.pattern, err)
			}
			if got := p.Matches([]byte(event)); got != c.want {
				t.Errorf("Matches = %v, want %v\npattern %s", got, c.want, c.pattern)
			}
		})
	}
}

func TestPatternMatchesOnlyJSONObjects(t *testing.T) {
	p, err := localeventbridge.CompilePattern([]byte(`{"detail": {"missing": [{"exists": false}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, event := range []string{``, `not json`, `[]`, `null`, `"source"`} {
		if p.Matches([]byte(event)) {
			t.Errorf("Matches(%q) = true, want false", event)
		}
	}
	if !p.Matches([]byte(`{"detail": {}}`)) {
		t.Errorf("Matches of an object = false, want true")
	}
}

func TestCompilePatternRejectsMalformedPatterns(t *testing.T) {
	cases := []struct {
		name    string
		pattern string
		path    string // PatternError.Path
		reason  string // in PatternError.Reason
	}{
		{"NotJSON", `{"source": [`, "", "not JSON"},
		{"TwoValues", `{"source": ["a"]} {}`, "", "something follows the pattern object"},
		{"TrailingGarbage", `{"source": ["a"]}}`, "", "something follows the pattern object"},
		{"NotAnObject", `["source"]`, "", "a pattern is a JSON object, not an array"},
		{"Null", `null`, "", "a pattern is a JSON object, not null"},
		{"EmptyPattern", `{}`, "", "empty object"},
		{"EmptyNestedObject", `{"detail": {}}`, "detail", "empty object"},
		{"LeafNotAnArray", `{"source": "partnerportal.usage"}`, "source", `must be an array of values to match (such as ["partnerportal.usage"])`},
		{"LeafANumber", `{"detail": {"percent": 90}}`, "detail.percent", "not a number (90)"},
		{"LeafNull", `{"detail": {"note": null}}`, "detail.note", "not null"},
		{"EmptyArray", `{"source": []}`, "source", "empty array"},
		{"ArrayInArray", `{"source": [["a"]]}`, "source[0]", "not an array"},
		{"UnknownOperator", `{"source": [{"begins-with": "partner"}]}`, "source[0]", `unknown operator "begins-with"`},
		{"TwoOperatorsInOneObject", `{"source": [{"prefix": "a", "suffix": "b"}]}`, "source[0]", "exactly one operator, this one has 2: prefix, suffix"},
		{"EmptyComparisonObject", `{"source": [{}]}`, "source[0]", "empty comparison object"},
		{"PrefixNotAString", `{"source": [{"prefix": 1}]}`, "source[0].prefix", "prefix takes a string"},
		{"PrefixUnknownModifier", `{"source": [{"prefix": {"ignore-case": "a"}}]}`, "source[0].prefix", `unknown operator "ignore-case"`},
		{"SuffixIgnoreCaseNotAString", `{"source": [{"suffix": {"equals-ignore-case": 1}}]}`, "source[0].suffix.equals-ignore-case", "takes a string"},
		{"EqualsIgnoreCaseNotAString", `{"source": [{"equals-ignore-case": ["a"]}]}`, "source[0].equals-ignore-case", "takes a string, not an array"},
		{"ExistsNotABoolean", `{"source": [{"exists": "true"}]}`, "source[0].exists", "true or false"},
		{"NumericNotAnArray", `{"detail": {"n": [{"numeric": ">"}]}}`, "detail.n[0].numeric", "numeric takes an array"},
		{"NumericUnknownOperator", `{"detail": {"n": [{"numeric": ["!=", 1]}]}}`, "detail.n[0].numeric[0]", `expected one of the operators ["=",">",">=","<","<="], not "!="`},
		{"NumericMissingNumber", `{"detail": {"n": [{"numeric": [">"]}]}}`, "detail.n[0].numeric", `">" needs a number`},
		{"NumericNumberAsString", `{"detail": {"n": [{"numeric": [">", "5"]}]}}`, "detail.n[0].numeric[1]", `needs a number after it, not a string`},
		{"NumericUpperBoundFirst", `{"detail": {"n": [{"numeric": ["<", 5, ">", 0]}]}}`, "detail.n[0].numeric", "too many elements"},
		{"NumericTwoLowerBounds", `{"detail": {"n": [{"numeric": [">", 0, ">=", 5]}]}}`, "detail.n[0].numeric[2]", `expected one of the operators ["<","<="], not ">="`},
		{"NumericEmptyRange", `{"detail": {"n": [{"numeric": [">", 5, "<=", 1]}]}}`, "detail.n[0].numeric", "holds no number"},
		{"NumericTooManyElements", `{"detail": {"n": [{"numeric": [">", 0, "<", 5, "<", 6]}]}}`, "detail.n[0].numeric", "too many elements"},
		{"AnythingButBoolean", `{"detail": {"n": [{"anything-but": true}]}}`, "detail.n[0].anything-but", "anything-but takes a string, a number"},
		{"AnythingButMixedList", `{"detail": {"n": [{"anything-but": ["a", 1]}]}}`, "detail.n[0].anything-but", "only strings or only numbers"},
		{"AnythingButEmptyList", `{"detail": {"n": [{"anything-but": []}]}}`, "detail.n[0].anything-but", "empty anything-but list"},
		{"AnythingButNullInList", `{"detail": {"n": [{"anything-but": ["a", null]}]}}`, "detail.n[0].anything-but[1]", "not null"},
		{"AnythingButUnknownOperator", `{"detail": {"n": [{"anything-but": {"numeric": [">", 1]}}]}}`, "detail.n[0].anything-but", `unknown operator "numeric"`},
		{"AnythingButEmptyPrefix", `{"detail": {"n": [{"anything-but": {"prefix": ""}}]}}`, "detail.n[0].anything-but.prefix", "non-empty string"},
		{"WildcardConsecutiveStars", `{"detail": {"f": [{"wildcard": "dir/**.png"}]}}`, "detail.f[0].wildcard", "consecutive wildcard characters"},
		{"WildcardBadEscape", `{"detail": {"f": [{"wildcard": "dir\\/*.png"}]}}`, "detail.f[0].wildcard", "escapes neither"},
		{"WildcardNotAString", `{"detail": {"f": [{"wildcard": 1}]}}`, "detail.f[0].wildcard", "wildcard takes a string"},
		{"CIDRNotABlock", `{"detail": {"ip": [{"cidr": "10.0.0.300/24"}]}}`, "detail.ip[0].cidr", "not an IP address block"},
		{"OrNotAnArray", `{"$or": {"source": ["a"]}}`, "$or", "must be an array of at least two pattern objects, not an object"},
		{"OrWithOneObject", `{"$or": [{"source": ["a"]}]}`, "$or", "at least two pattern objects, it has 1"},
		{"OrWithAValue", `{"$or": [{"source": ["a"]}, "b"]}`, "$or[1]", "must be a pattern object"},
		{"OrWithAnEmptyObject", `{"$or": [{"source": ["a"]}, {}]}`, "$or[1]", "empty object"},
		{"OrWithAnOperatorAsField", `{"detail": {"$or": [{"prefix": "a"}, {"suffix": "b"}]}}`, "detail.$or[0].prefix", "is a comparison operator, not a field"},
		{"ErrorInsideOr", `{"$or": [{"source": ["a"]}, {"detail": {"n": [{"numeric": [">"]}]}}]}`, "$or[1].detail.n[0].numeric", "needs a number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := localeventbridge.CompilePattern([]byte(c.pattern))
			if err == nil {
				t.Fatalf("CompilePattern(%s) = %v, want an error", c.pattern, p)
			}
			var pe *localeventbridge.PatternError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a *PatternError", err, err)
			}
			if pe.Path != c.path {
				t.Errorf("Path = %q, want %q (%v)", pe.Path, c.path, err)
			}
			if !strings.Contains(pe.Reason, c.reason) {
				t.Errorf("Reason = %q, want it to say %q", pe.Reason, c.reason)
			}
			if !strings.Contains(err.Error(), pe.Reason) || !strings.Contains(err.Error(), "invalid event pattern") {
				t.Errorf("Error() = %q, want the reason and that the pattern is invalid", err)
			}
		})
	}
}

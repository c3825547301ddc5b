package stack_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

var (
	resourceType = regexp.MustCompile(`^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$`)
	// subReference is a ${Name} or ${Name.Attribute} of a Fn::Sub string;
	// ${!Literal} is no reference.
	subReference = regexp.MustCompile(`\$\{([^!}][^}]*)\}`)
)

// pseudoParameters are the names Ref resolves without a declaration.
var pseudoParameters = map[string]bool{
	"AWS::AccountId": true, "AWS::NotificationARNs": true, "AWS::NoValue": true, "AWS::Partition": true,
	"AWS::Region": true, "AWS::StackId": true, "AWS::StackName": true, "AWS::URLSuffix": true,
}

// propertyless are the resource types that need no properties.
var propertyless = map[string]bool{"AWS::SNS::Topic": true}

func TestTheSynthesizedTemplatesAreCloudFormation(t *testing.T) {
	for _, s := range []synthesized{dev, prod} {
		t.Run(s.file, func(t *testing.T) {
			b, err := os.ReadFile(s.file)
			if err != nil {
				t.Fatal(err)
			}
			var tmpl map[string]any
			if err := json.Unmarshal(b, &tmpl); err != nil {
				t.Fatalf("not a JSON object: %v", err)
			}
			if got, want := tmpl["AWSTemplateFormatVersion"], "2010-09-09"; got != want {
				t.Errorf("AWSTemplateFormatVersion = %v, want %s", got, want)
			}
			resources, ok := tmpl["Resources"].(map[string]any)
			if !ok || len(resources) == 0 {
				t.Fatalf("no Resources")
			}
			params, _ := tmpl["Parameters"].(map[string]any)
			conditions, _ := tmpl["Conditions"].(map[string]any)
			declared := func(name string) bool {
				_, resource := resources[name]
				_, param := params[name]
				return resource || param || pseudoParameters[name]
			}
			for id, r := range resources {
				r, ok := r.(map[string]any)
				if !ok {
					t.Errorf("resource %s is not an object", id)
					continue
				}
				typ, _ := r["Type"].(string)
				if !resourceType.MatchString(typ) {
					t.Errorf("resource %s: Type %q is not AWS::Service::Resource", id, typ)
				}
				if _, ok := r["Properties"].(map[string]any); !ok && !propertyless[typ] {
					t.Errorf("resource %s (%s): Properties is not an object", id, typ)
				}
				for _, dep := range list(r["DependsOn"]) {
					if _, ok := resources[dep.(string)]; !ok {
						t.Errorf("resource %s depends on %v, which is no resource", id, dep)
					}
				}
				if c, ok := r["Condition"].(string); ok {
					if _, ok := conditions[c]; !ok {
						t.Errorf("resource %s: condition %s is not declared", id, c)
					}
				}
			}
			for _, ref := range references(tmpl) {
				if !declared(ref) {
					t.Errorf("the template names %q, which is no resource, parameter or pseudo-parameter", ref)
				}
			}
		})
	}
}

// references returns every name a Ref, Fn::GetAtt or Fn::Sub in v refers to.
func references(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			switch k {
			case "Ref":
				out = append(out, x.(string))
			case "Fn::GetAtt":
				out = append(out, list(x)[0].(string))
			case "Fn::Sub":
				if s, ok := x.(string); ok {
					for _, m := range subReference.FindAllStringSubmatch(s, -1) {
						out = append(out, strings.SplitN(m[1], ".", 2)[0])
					}
				}
			}
			out = append(out, references(x)...)
		}
	case []any:
		for _, x := range v {
			out = append(out, references(x)...)
		}
	}
	return out
}

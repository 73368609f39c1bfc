package detectors

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestMergeNeedsOverrideForTakenID(t *testing.T) {
	base := []*Rule{{ID: "github-pat", Name: "built-in"}, {ID: "jwt", Name: "built-in"}}
	for _, tc := range []struct {
		name     string
		extra    []*Rule
		wantErr  bool
		replaced []string
		names    map[string]string
	}{
		{"new id joins", []*Rule{{ID: "acme-key", Name: "mine"}}, false, nil,
			map[string]string{"github-pat": "built-in", "jwt": "built-in", "acme-key": "mine"}},
		{"taken id refused", []*Rule{{ID: "github-pat", Name: "mine"}}, true, nil, nil},
		{"override replaces", []*Rule{{ID: "github-pat", Name: "mine", Override: true}}, false, []string{"github-pat"},
			map[string]string{"github-pat": "mine", "jwt": "built-in"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, replaced, err := Merge(base, tc.extra)
			if tc.wantErr {
				if !errors.Is(err, ErrRuleIDTaken) || !strings.Contains(err.Error(), `"github-pat"`) || !strings.Contains(err.Error(), "override: true") {
					t.Fatalf("Merge error = %v, want ErrRuleIDTaken naming the id and override: true", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			names := map[string]string{}
			for _, r := range got {
				names[r.ID] = r.Name
			}
			if d := cmp.Diff(tc.names, names); d != "" {
				t.Errorf("rules (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.replaced, replaced); d != "" {
				t.Errorf("replaced (-want +got):\n%s", d)
			}
		})
	}
}

// TestParseRulesQuotesNothing: a rule file path can name any readable
// file; the parse error must not print its content.
func TestParseRulesQuotesNothing(t *testing.T) {
	const line = "root:$6$Zq8ContentOfTheFile:19000:0:99999:7:::"
	for _, data := range []string{
		line + "\n" + "daemon:*:19000:0:99999:7:::\n" + "bin:*:19000:0:99999:7:::\n",
		"Zq8ContentOfTheFile: 1\n",
		"provider: x\nrules: Zq8ContentOfTheFile\n",
		"provider: x\nrules:\n  - id: a\n    keywords: Zq8ContentOfTheFile\n",
	} {
		_, err := ParseRules([]byte(data), "shadow")
		if err == nil {
			t.Fatalf("ParseRules(%q) succeeded", data)
		}
		if strings.Contains(err.Error(), "Zq8") || strings.Contains(err.Error(), "root:") {
			t.Errorf("error quotes the file: %v", err)
		}
		if !errors.Is(err, ErrRuleFile) {
			t.Errorf("error %v is not ErrRuleFile", err)
		}
	}
}

// TestBuiltinCopies checks that the catalogue is handed out as copies:
// every exported field of every rule as the rule files say, and a
// caller's changes (to fields, list elements, appended lists, the
// verification spec, the nearby patterns) seen neither by the next
// caller nor by the caller's other rules.
func TestBuiltinCopies(t *testing.T) {
	first, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := BuiltinWithExamples()
	if err != nil {
		t.Fatal(err)
	}
	fresh := CatalogueEntries(parsed)
	ignore := cmp.Options{cmpopts.IgnoreUnexported(Rule{}, Imported{}, Nearby{}), cmpopts.EquateEmpty()}
	if diff := cmp.Diff(fresh, first, ignore); diff != "" {
		t.Fatalf("Builtin() differs from the rule files (-yaml +Builtin):\n%s", diff)
	}
	first[0].ID = "changed"
	first[0].Keywords[0] = "changed"
	first[0].References[0] = "changed"
	for _, r := range first {
		// Lists are copied end to end into one array: an append must
		// not run into the next list.
		r.Keywords = append(r.Keywords, "appended")
		r.Tags = append(r.Tags, "appended")
		r.Allow = append(r.Allow, "appended")
	}
	for i, r := range first {
		if r.Keywords[len(r.Keywords)-1] != "appended" || len(r.Tags) == 0 || r.Tags[len(r.Tags)-1] != "appended" {
			t.Fatalf("rule %d: an append to another rule's list overwrote this one's", i)
		}
	}
	verified, nearby := false, false
	for _, r := range first {
		if r.Verify != nil && !verified {
			r.Verify.Docs = "changed"
			verified = true
		}
		if r.Nearby != nil && !nearby {
			r.Nearby.Patterns[0] = "changed"
			r.Nearby.Lines = 99
			nearby = true
		}
	}
	if !verified || !nearby {
		t.Fatal("the catalogue has no rule with verify and nearby blocks; the test needs one")
	}
	second, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fresh, second, ignore); diff != "" {
		t.Fatalf("a caller's change is seen by the next (-yaml +Builtin):\n%s", diff)
	}
}

// TestRuleCloneEveryField fills every exported field of a rule and checks
// that clone copies it: a field added to Rule must be added to clone.
func TestRuleCloneEveryField(t *testing.T) {
	r := &Rule{}
	v := reflect.ValueOf(r).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		if !v.Type().Field(i).IsExported() {
			continue
		}
		switch f.Kind() {
		case reflect.String:
			f.SetString("x")
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int:
			f.SetInt(7)
		case reflect.Float64:
			f.SetFloat(1.5)
		case reflect.Slice:
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
			if e := f.Index(0); e.Kind() == reflect.String {
				e.SetString("x")
			}
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
		default:
			t.Fatalf("field %s: kind %s not covered by this test", v.Type().Field(i).Name, f.Kind())
		}
	}
	ignore := cmpopts.IgnoreUnexported(Rule{}, Imported{}, Nearby{})
	if diff := cmp.Diff(r, r.clone(), ignore); diff != "" {
		t.Fatalf("clone drops fields (-rule +clone):\n%s", diff)
	}
	// Builtin's copy (copyRules) must copy every field too.
	src := make([]Rule, 1)
	reflect.ValueOf(&src[0]).Elem().Set(reflect.ValueOf(r).Elem())
	if diff := cmp.Diff(r, copyRules(src)[0], ignore); diff != "" {
		t.Fatalf("copyRules drops fields (-rule +copy):\n%s", diff)
	}
}

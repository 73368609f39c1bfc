package detectors

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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

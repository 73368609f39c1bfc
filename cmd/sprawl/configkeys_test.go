package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// docSample is the complete sample of docs/configuration.md.
func docSample(t *testing.T) (doc, sample string) {
	t.Helper()
	data, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	doc = string(data)
	_, rest, ok := strings.Cut(doc, "## Complete sample")
	if !ok {
		t.Fatal("docs/configuration.md has no complete sample")
	}
	_, rest, _ = strings.Cut(rest, "```yaml\n")
	sample, _, _ = strings.Cut(rest, "```")
	return doc, sample
}

func TestCheckConfigKeys(t *testing.T) {
	repo, err := os.ReadFile("../../.sprawl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, sample := docSample(t)
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"repository's own", string(repo), ""},
		{"documented sample", sample, ""},
		{"empty", "", ""},
		{"comments only", "# nothing\n", ""},
		{"empty sections", "allowlist:\ninventory:\n", ""},
		{"allowlist typo", "allowlist:\n  path: [x]\n", `config f.yaml: line 2: unknown key "allowlist.path" (did you mean "allowlist.paths"?)`},
		{"top-level typo", "fail_on: high\n", `config f.yaml: line 1: unknown key "fail_on" (did you mean "fail-on"?)`},
		{"misplaced policy", "rule-max-age: {x: 1d}\n", `config f.yaml: line 1: unknown key "rule-max-age" (did you mean "inventory.rule-max-age"?)`},
		{"misplaced allowlist key", "paths: [x]\n", `config f.yaml: line 1: unknown key "paths" (did you mean "allowlist.paths"?)`},
		{"inventory as database", "inventory: /x.db\n", `config f.yaml: line 1: "inventory" is the inventory policy section`},
		{"inventory typo", "inventory:\n  maxage: {token: 1h}\n", `config f.yaml: line 2: unknown key "inventory.maxage" (did you mean "inventory.max-age"?)`},
		{"in a list", "inventory:\n  environments:\n    - {pattern: a, env: ci}\n    - {pattern: b, enviroment: ci}\n", `config f.yaml: line 4: unknown key "inventory.environments[1].enviroment"`},
		{"managed", "inventory:\n  unused_after: 3d\n", `unknown key "inventory.unused_after" (did you mean "inventory.unused-after"?)`},
		{"two problems", "allowlist: {regex: [a]}\nbogus: 1\n", `line 1: unknown key "allowlist.regex" (did you mean "allowlist.regexes"?); line 2: unknown key "bogus"`},
		{"not a mapping", "- a\n", "want a mapping"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkConfigKeys([]byte(tc.yaml), "f.yaml")
			if tc.want == "" {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			if code := exitCode(err); code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
		})
	}
}

// TestConfigReferenceComplete keeps docs/configuration.md whole: every key
// the file format has is in its tables and in its complete sample.
func TestConfigReferenceComplete(t *testing.T) {
	doc, sample := docSample(t)
	var missing []string
	for _, k := range configFormat.Keys() {
		if !strings.Contains(doc, "`"+k+"`") {
			missing = append(missing, "table: "+k)
		}
		leaf := k[strings.LastIndexAny(k, ".]")+1:]
		if !regexp.MustCompile(`(?m)(^|[\s{,-])` + regexp.QuoteMeta(leaf) + `:`).MatchString(sample) {
			missing = append(missing, "sample: "+k)
		}
	}
	for _, v := range []string{envInventory, envKey, envKeyFile, envActor, envProgress, "SPRAWL_CONFIG", "SPRAWL_CPUPROFILE"} {
		if !strings.Contains(doc, "`"+v+"`") {
			missing = append(missing, "variable: "+v)
		}
	}
	if d := cmp.Diff([]string(nil), missing); d != "" {
		t.Errorf("docs/configuration.md misses (-want +got):\n%s", d)
	}
}

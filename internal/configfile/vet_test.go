package configfile

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeFiles names files as a gate would and keeps a path inside a tree
// by its name alone, except the paths in escapes (symbolic links out of
// the tree, as gate.PolicyReader finds them on disk).
type fakeFiles struct{ escapes map[string]bool }

func (fakeFiles) Name(p string) string { return p + " (as of base)" }

func (f fakeFiles) Inside(tree, p string) bool {
	rel, err := filepath.Rel(tree, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../") && !f.escapes[p]
}

func TestVetRepo(t *testing.T) {
	const path = "/work/repo/.sprawl.yaml"
	const name = path + " (as of base)"
	outside := func(key, p string) string {
		return fmt.Sprintf("%s: ignoring %s entry %q: it is outside the directory of the config file found in the scanned content; name it with a flag or --config FILE", name, key, p)
	}
	userOnly := func(key, why, env string) string {
		return fmt.Sprintf("%s: ignoring %q: a config file found in the scanned content may not set it (%s); use a flag, %s or --config FILE", name, key, why, env)
	}
	for _, tc := range []struct {
		name, yaml string
		want       Repo
		warnings   []string
		err        string
	}{
		{name: "empty", yaml: "", want: Repo{Data: []byte("")}},
		{name: "comments only", yaml: "# policy later\n", want: Repo{Data: []byte("# policy later\n")}},
		{name: "null", yaml: "~\n", want: Repo{Data: []byte("~\n")}},
		{
			name: "policy is kept",
			yaml: "fail-on: high\nallowlist: {paths: [vendor/]}\ndisable-rules: [generic]\ninventory: {max-age: {token: 30d}}\n",
			want: Repo{Tree: "/work/repo", Data: []byte("allowlist:\n    paths:\n        - vendor/\ndisable-rules:\n    - generic\nfail-on: high\ninventory:\n    max-age:\n        token: 30d\n")},
		},
		{
			name: "what writes, prints, names or spends is dropped",
			yaml: "workers: 512\noutput: /home/user/.bashrc\nshow-secrets: true\nconfig: /etc/sprawl.yaml\nschedule: [github:victim@* * * * *]\nformat: json\n",
			want: Repo{Tree: "/work/repo", Data: []byte("format: json\n"), Ignored: []string{"config", "output", "schedule", "show-secrets", "workers"}},
			warnings: []string{
				userOnly("config", "it names another config file", "SPRAWL_CONFIG"),
				userOnly("output", "it writes a file", "SPRAWL_OUTPUT"),
				userOnly("schedule", "it makes workers scan organisations", "SPRAWL_SCHEDULE"),
				userOnly("show-secrets", "it prints secrets in full", "SPRAWL_SHOW_SECRETS"),
				userOnly("workers", "it sets how many goroutines the machine runs", "SPRAWL_WORKERS"),
			},
		},
		{
			name:     "a dropped key set to nothing is still named",
			yaml:     "output:\n",
			want:     Repo{Tree: "/work/repo", Data: []byte("{}\n"), Ignored: []string{"output"}},
			warnings: []string{userOnly("output", "it writes a file", "SPRAWL_OUTPUT")},
		},
		{
			name: "files inside the tree are resolved against it",
			yaml: "baseline: .sprawl-baseline.json\nrules: [rules/a.yaml, rules/../b.yaml, /work/repo/x/../c.yaml]\n",
			want: Repo{Tree: "/work/repo", Rules: true, Baseline: true, Data: []byte("baseline: /work/repo/.sprawl-baseline.json\nrules:\n    - /work/repo/rules/a.yaml\n    - /work/repo/b.yaml\n    - /work/repo/c.yaml\n")},
		},
		{
			name: "one rule file may be a string",
			yaml: "rules: rules.yaml\n",
			want: Repo{Tree: "/work/repo", Rules: true, Data: []byte("rules:\n    - /work/repo/rules.yaml\n")},
		},
		{
			name:     "files outside the tree are dropped",
			yaml:     "baseline: ../../home/user/baseline.json\nrules: [/etc/passwd, ../repo2/r.yaml, /work/repo-evil/r.yaml, ok.yaml, link.yaml]\n",
			want:     Repo{Tree: "/work/repo", Rules: true, Data: []byte("rules:\n    - /work/repo/ok.yaml\n")},
			warnings: []string{outside("baseline", "../../home/user/baseline.json"), outside("rules", "/etc/passwd"), outside("rules", "../repo2/r.yaml"), outside("rules", "/work/repo-evil/r.yaml"), outside("rules", "link.yaml")},
		},
		{
			name:     "no rule file left, no rules key",
			yaml:     "rules: [../x.yaml]\nbaseline: /etc/shadow\n",
			want:     Repo{Tree: "/work/repo", Data: []byte("{}\n")},
			warnings: []string{outside("baseline", "/etc/shadow"), outside("rules", "../x.yaml")},
		},
		{
			name:     "names in warnings are quoted",
			yaml:     "rules: [\"../\\e[2Jx\\nfake: line\"]\n",
			want:     Repo{Tree: "/work/repo", Data: []byte("{}\n")},
			warnings: []string{name + ": ignoring rules entry \"../\\x1b[2Jx\\nfake: line\": it is outside the directory of the config file found in the scanned content; name it with a flag or --config FILE"},
		},
		{name: "empty rules and baseline are dropped", yaml: "rules: []\nbaseline: ~\n", want: Repo{Tree: "/work/repo", Data: []byte("{}\n")}},
		{name: "rules: ~ is dropped", yaml: "rules: ~\n", want: Repo{Tree: "/work/repo", Data: []byte("{}\n")}},
		{name: "baseline of the wrong type", yaml: "baseline: [a]\n", err: "config " + name + ": baseline: want a file name"},
		{name: "empty baseline", yaml: "baseline: \"\"\n", err: "config " + name + ": baseline: want a file name"},
		{name: "rules of the wrong type", yaml: "rules: {a: b}\n", err: "config " + name + ": rules: want a list of rule files"},
		{name: "a rule file of the wrong type", yaml: "rules: [a.yaml, 3]\n", err: "config " + name + ": rules: want a list of rule files"},
		{name: "not a mapping", yaml: "- a\n", err: "config " + name + ": yaml: unmarshal errors: line 1: cannot unmarshal !!seq into map[string]interface {}"},
		{name: "the file is not quoted", yaml: "root:x:0:0:root:/root:/bin/bash\n", err: "config " + name + ": yaml: unmarshal errors: line 1: cannot unmarshal !!str a value into map[string]interface {}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var warnings []string
			warn := func(format string, args ...any) { warnings = append(warnings, fmt.Sprintf(format, args...)) }
			got, err := VetRepo([]byte(tc.yaml), path, fakeFiles{escapes: map[string]bool{"/work/repo/link.yaml": true}}, warn)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("got error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Repo (-want +got):\n%s\nData:\n%s", d, got.Data)
			}
			if d := cmp.Diff(tc.warnings, warnings); d != "" {
				t.Errorf("warnings (-want +got):\n%s", d)
			}
		})
	}
}

// TestVetRepoRelative: a config file named relative to the working
// directory has its tree made absolute, so the paths it keeps do not
// depend on where a later step runs.
func TestVetRepoRelative(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	got, err := VetRepo([]byte("rules: [r.yaml]\n"), filepath.Join("sub", ".sprawl.yaml"), fakeFiles{}, func(string, ...any) { t.Error("unexpected warning") })
	if err != nil {
		t.Fatal(err)
	}
	want := Repo{Tree: filepath.Join(dir, "sub"), Rules: true, Data: []byte("rules:\n    - " + filepath.Join(dir, "sub", "r.yaml") + "\n")}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Repo (-want +got):\n%s", d)
	}
}

func TestEnvVar(t *testing.T) {
	for k, want := range map[string]string{"max-file-size": "SPRAWL_MAX_FILE_SIZE", "workers": "SPRAWL_WORKERS", "show-secrets": "SPRAWL_SHOW_SECRETS"} {
		if got := EnvVar(k); got != want {
			t.Errorf("EnvVar(%q) = %q, want %q", k, got, want)
		}
	}
}

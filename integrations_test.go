package sprawl_test

import (
	"os"
	"os/exec"
	"regexp"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestActionYAML checks the GitHub Action is a valid composite action
// whose expressions only name declared inputs, and whose shell is sound.
func TestActionYAML(t *testing.T) {
	data, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Name   string
		Inputs map[string]struct {
			Description string
			Default     *string
		}
		Runs struct {
			Using string
			Steps []struct {
				Name, Uses, Run, Shell, ID string
			}
		}
	}
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	if a.Name == "" || a.Runs.Using != "composite" || len(a.Runs.Steps) == 0 {
		t.Fatalf("action.yml: want a named composite action with steps, got %+v", a)
	}
	for name, in := range a.Inputs {
		if in.Description == "" || in.Default == nil {
			t.Errorf("input %s needs a description and a default", name)
		}
	}
	for _, m := range regexp.MustCompile(`inputs\.([a-z-]+)`).FindAllStringSubmatch(string(data), -1) {
		if _, ok := a.Inputs[m[1]]; !ok {
			t.Errorf("action.yml uses undeclared input %q", m[1])
		}
	}
	for _, s := range a.Runs.Steps {
		if s.Run == "" {
			continue
		}
		if s.Shell != "bash" {
			t.Errorf("step %q: composite run steps need shell: bash", s.Name)
		}
		// GitHub substitutes ${{ … }} before bash runs; stand in a word.
		script := regexp.MustCompile(`\$\{\{[^}]*\}\}`).ReplaceAllString(s.Run, "X")
		if out, err := exec.Command("bash", "-n", "-c", script).CombinedOutput(); err != nil {
			t.Errorf("step %q: bash -n: %v\n%s", s.Name, err, out)
		}
	}
}

func TestPreCommitHooksYAML(t *testing.T) {
	data, err := os.ReadFile(".pre-commit-hooks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var hooks []struct {
		ID, Name, Entry, Language string
		PassFilenames             *bool `yaml:"pass_filenames"`
	}
	if err := yaml.Unmarshal(data, &hooks); err != nil {
		t.Fatal(err)
	}
	langs := map[string]bool{}
	for _, h := range hooks {
		if h.ID == "" || h.Name == "" || h.Entry != "sprawl scan staged" || h.PassFilenames == nil || *h.PassFilenames {
			t.Errorf("hook %+v: want id, name, entry 'sprawl scan staged', pass_filenames: false", h)
		}
		langs[h.Language] = true
	}
	if !langs["golang"] || !langs["system"] {
		t.Errorf("want a golang and a system hook, got %v", langs)
	}
}

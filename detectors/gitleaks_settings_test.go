package detectors

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

func TestGitleaksWriteSettings(t *testing.T) {
	for _, c := range []struct {
		name string
		im   GitleaksImport
		want string
	}{
		{"rules only, default rules not extended", GitleaksImport{}, `# Settings imported from gitleaks.toml by 'sprawl rules import'.
# gitleaks.toml does not extend gitleaks's default rules; sprawl's built-in rules still
# run unless listed under disable-rules (see 'sprawl rules list').
rules:
  - rules/gitleaks.yaml
`},
		{"extends the default rules", GitleaksImport{UseDefault: true}, `# Settings imported from gitleaks.toml by 'sprawl rules import'.
rules:
  - rules/gitleaks.yaml
`},
		{"global allowlist", GitleaksImport{UseDefault: true, AllowPaths: []string{`(^|/)vendor/`, `\.lock$`},
			Allowlist: Allowlist{Regexes: []string{`^EXAMPLE`}, Stopwords: []string{"dummy", "sample"}}}, `# Settings imported from gitleaks.toml by 'sprawl rules import'.
allowlist:
  paths:
    - (^|/)vendor/
    - \.lock$
  regexes:
    - ^EXAMPLE
  stopwords:
    - dummy
    - sample
rules:
  - rules/gitleaks.yaml
`},
		{"stopwords alone", GitleaksImport{UseDefault: true, Allowlist: Allowlist{Stopwords: []string{"x"}}}, `# Settings imported from gitleaks.toml by 'sprawl rules import'.
allowlist:
  stopwords:
    - x
rules:
  - rules/gitleaks.yaml
`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			if err := c.im.WriteSettings(&b, "gitleaks.toml", "rules/gitleaks.yaml"); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, b.String()); diff != "" {
				t.Errorf("WriteSettings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGitleaksWriteSettingsQuoting: values YAML would read otherwise
// (a comment, a mapping, a list item, quotes) come back as they went in.
func TestGitleaksWriteSettingsQuoting(t *testing.T) {
	im := GitleaksImport{AllowPaths: []string{"#not-a-comment", "- item"},
		Allowlist: Allowlist{Regexes: []string{`key: {x}`, `'"`}, Stopwords: []string{"", "yes", "two\nlines", "tab\there"}}}
	var b strings.Builder
	if err := im.WriteSettings(&b, "a.toml", "r: x.yaml"); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Rules     []string
		Allowlist struct{ Paths, Regexes, Stopwords []string }
	}
	if err := yaml.Unmarshal([]byte(b.String()), &got); err != nil {
		t.Fatalf("%v in\n%s", err, b.String())
	}
	if diff := cmp.Diff([]string{"r: x.yaml"}, got.Rules); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(im.AllowPaths, got.Allowlist.Paths); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(im.Allowlist.Regexes, got.Allowlist.Regexes); diff != "" {
		t.Errorf("regexes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(im.Allowlist.Stopwords, got.Allowlist.Stopwords); diff != "" {
		t.Errorf("stopwords (-want +got):\n%s", diff)
	}
}

var errSettingsWrite = errors.New("no space left")

// limitedWriter takes n bytes, then fails.
type limitedWriter struct{ n int }

func (w *limitedWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errSettingsWrite
	}
	w.n -= len(p)
	return len(p), nil
}

// TestGitleaksWriteSettingsError: a failing writer fails the call,
// whether it fails on the comments or on the YAML (whose encoder reports
// the writer's error as text, not wrapped).
func TestGitleaksWriteSettingsError(t *testing.T) {
	im := GitleaksImport{AllowPaths: []string{"vendor/"}}
	var full strings.Builder
	if err := im.WriteSettings(&full, "g.toml", "r.yaml"); err != nil {
		t.Fatal(err)
	}
	for n := 0; n < full.Len(); n++ {
		err := im.WriteSettings(&limitedWriter{n: n}, "g.toml", "r.yaml")
		if err == nil || !strings.Contains(err.Error(), errSettingsWrite.Error()) {
			t.Errorf("writer failing after %d of %d bytes: error %v", n, full.Len(), err)
		}
	}
}

// failingWrite fails its nth write only (counting from 1).
type failingWrite struct{ n, writes int }

func (w *failingWrite) Write(p []byte) (int, error) {
	w.writes++
	if w.writes == w.n {
		return 0, errSettingsWrite
	}
	return len(p), nil
}

// TestGitleaksWriteSettingsFirstError: the first error counts, even from
// a writer that takes the writes after it.
func TestGitleaksWriteSettingsFirstError(t *testing.T) {
	for _, im := range []GitleaksImport{{}, {UseDefault: true}} {
		count := &failingWrite{}
		if err := im.WriteSettings(count, "g.toml", "r.yaml"); err != nil {
			t.Fatal(err)
		}
		for n := 1; n <= count.writes; n++ {
			if err := im.WriteSettings(&failingWrite{n: n}, "g.toml", "r.yaml"); err == nil {
				t.Errorf("UseDefault %v: write %d of %d failed, no error", im.UseDefault, n, count.writes)
			}
		}
	}
}

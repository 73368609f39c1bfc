package corpus

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// generated caches one corpus per test binary: generating it twice is the
// determinism test, everything else reads the first copy.
var generated struct {
	once   sync.Once
	dir    string
	labels Labels
	err    error
}

func corpusDir(t *testing.T) (string, Labels) {
	t.Helper()
	generated.once.Do(func() {
		dir, err := os.MkdirTemp("", "sprawl-corpus-")
		if err != nil {
			generated.err = err
			return
		}
		generated.dir = dir
		generated.labels, generated.err = Generate(dir, 1)
	})
	if generated.err != nil {
		t.Fatal(generated.err)
	}
	return generated.dir, generated.labels
}

func TestMain(m *testing.M) {
	code := m.Run()
	if generated.dir != "" {
		os.RemoveAll(generated.dir)
	}
	os.Exit(code)
}

func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCorpusSize(t *testing.T) {
	_, l := corpusDir(t)
	secrets, baits := l.Secrets(), l.Baits()
	kinds := l.Kinds(false)
	t.Logf("%d projects, %d files, %d secrets of %d kinds, %d bait labels",
		len(l.Projects()), len(l.Files), len(secrets), len(kinds), len(baits))
	if n := len(l.Projects()); n < 25 || n > 40 {
		t.Errorf("%d projects, want 25-40", n)
	}
	if len(secrets) < 250 {
		t.Errorf("%d true secrets, want at least 250", len(secrets))
	}
	if len(kinds) < 60 {
		t.Errorf("%d secret kinds, want at least 60", len(kinds))
	}
	if len(baits) < len(secrets) {
		t.Errorf("%d bait labels for %d secrets, want at least as many", len(baits), len(secrets))
	}
	for _, x := range l.Items {
		if x.Family == "" || x.Kind == "" || x.File == "" || x.Line < 1 || x.Project == "" {
			t.Errorf("incomplete label %+v", x)
		}
	}
}

func TestGenerateDeterministic(t *testing.T) {
	dir, l1 := corpusDir(t)
	dir2 := t.TempDir()
	l2, err := Generate(dir2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(l1, l2, cmp.AllowUnexported(Label{})); diff != "" {
		t.Fatalf("labels differ between runs (-first +second):\n%s", diff)
	}
	a, b := readTree(t, dir), readTree(t, dir2)
	if len(a) != len(b) {
		t.Fatalf("%d files vs %d", len(a), len(b))
	}
	for p, s := range a {
		if b[p] != s {
			t.Errorf("%s differs between runs", p)
		}
	}
	// Another seed gives other secrets (a small template keeps this cheap).
	tmpl := fstest.MapFS{"p/.env": {Data: []byte("A=@@SECRET:aws-access-key-id@@\nK=@@SECRET:ec-private-key@@\n")}} // sprawl:allow template markers, not secrets
	var bodies []string
	for _, seed := range []uint64{1, 2} {
		d := t.TempDir()
		if _, err := GenerateFS(tmpl, d, seed); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(d, "p", ".env"))
		bodies = append(bodies, string(b))
	}
	if bodies[0] == bodies[1] {
		t.Error("seeds 1 and 2 rendered the same secrets")
	}
}

func TestLabelsPointAtTheirValues(t *testing.T) {
	dir, l := corpusDir(t)
	files := readTree(t, dir)
	for _, x := range l.Items {
		body, ok := files[x.File]
		if !ok {
			t.Errorf("label for missing file %s", x.File)
			continue
		}
		lines := strings.Split(body, "\n")
		if x.Line+x.Span > len(lines) || x.Line-x.Pre < 1 {
			t.Errorf("%s:%d (+%d, -%d) is outside the file's %d lines", x.File, x.Line, x.Span, x.Pre, len(lines))
			continue
		}
		line := lines[x.Line-1]
		if x.Col < 1 || x.Col-1 > len(line) {
			t.Errorf("%s:%d: column %d outside %q", x.File, x.Line, x.Col, line)
			continue
		}
		if x.value == "" {
			if !x.Bait {
				t.Errorf("%s:%d: secret %s has no value", x.File, x.Line, x.Kind)
			}
			continue
		}
		if !strings.HasPrefix(line[x.Col-1:], x.value) {
			t.Errorf("%s:%d:%d: %s should start with %q, line is %q", x.File, x.Line, x.Col, x.Kind, x.value, line)
		}
	}
}

func TestNoMarkersLeft(t *testing.T) {
	dir, l := corpusDir(t)
	files := readTree(t, dir)
	if len(files) != len(l.Files) {
		t.Errorf("%d files on disk, %d in labels", len(files), len(l.Files))
	}
	for p, s := range files {
		for _, m := range []string{"@@SECRET", "@@FAKE", "@@BAIT"} {
			if strings.Contains(s, m) {
				t.Errorf("%s still contains %s", p, m)
			}
		}
		if strings.HasSuffix(p, ".tmpl") || strings.Contains(p, "/dot.") {
			t.Errorf("%s: output name not mapped", p)
		}
	}
}

func TestRenderedJSONIsValid(t *testing.T) {
	dir, _ := corpusDir(t)
	for p, s := range readTree(t, dir) {
		if strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".ipynb") {
			if !json.Valid([]byte(s)) {
				t.Errorf("%s is not valid JSON", p)
			}
		}
	}
}

// Templates must not carry real-looking secrets: the repository's own
// self-scan runs over them.
func TestTemplatesCarryNoSecrets(t *testing.T) {
	root, err := TemplateDir()
	if err != nil {
		t.Fatal(err)
	}
	forbidden := regexp.MustCompile(strings.Join([]string{
		`gh[pousr]_[A-Za-z0-9]{36}`, `github_pat_[A-Za-z0-9_]{40}`, `glpat-[\w-]{20}`,
		`(?:AKIA|ASIA)[A-Z2-7]{16}`, `xox[bpa]-\d{6,}`, `[sr]k_live_[A-Za-z0-9]{20}`,
		`sk-(?:proj-|ant-)[\w-]{20}`, `AIza[\w-]{35}`, `hvs\.[\w-]{20}`, `npm_[A-Za-z0-9]{36}`,
		`SG\.[\w-]{22}\.`, `-----BEGIN [A-Z ]*PRIVATE KEY-----\s*\n[A-Za-z0-9+/]{40}`,
		`eyJ[A-Za-z0-9_-]{10,}\.eyJ`, `dckr_pat_`, `pypi-AgE`, `AGE-SECRET-KEY-1`,
	}, "|"))
	allowed := []string{"AKIAIOSFODNN7EXAMPLE"}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, a := range allowed {
			b = bytes.ReplaceAll(b, []byte(a), nil)
		}
		for _, m := range forbidden.FindAll(b, -1) {
			if !bytes.Contains(m, []byte("xxxxxxxx")) { // placeholders are bait, not secrets
				t.Errorf("%s contains a secret-shaped literal %q", p, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOutputName(t *testing.T) {
	for in, want := range map[string]string{
		"p/dot.env":                    "p/.env",
		"p/dot.github/workflows/a.yml": "p/.github/workflows/a.yml",
		"p/go.mod.tmpl":                "p/go.mod",
		"p/dot.ssh/id_ed25519":         "p/.ssh/id_ed25519",
		"p/notes.txt":                  "p/notes.txt",
		"p/dot.":                       "p/dot.",
	} {
		if got := OutputName(in); got != want {
			t.Errorf("OutputName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRenderMarkers(t *testing.T) {
	tmpl := fstest.MapFS{
		"proj/a.txt": {Data: []byte("x=@@SECRET:github-classic-pat:t@@\n" + // sprawl:allow template markers, not secrets
			"y=@@SECRET:github-classic-pat:t@@ z=@@BAIT:placeholder@@<token>\n" +
			"uses: a/b@@@FAKE:git-sha@@ @@ -1,2 +1,2 @@\n" +
			"key: |\n  @@SECRET:rsa-private-key|indent2@@\nend\n" + // sprawl:allow template markers, not secrets
			`{"k": "@@SECRET:jwk-private-key/ec256|json@@"}` + "\n")}, // sprawl:allow template markers, not secrets
		"README.md": {Data: []byte("@@SECRET:nonsense@@ top-level files are not rendered")},
	}
	dir := t.TempDir()
	l, err := GenerateFS(tmpl, dir, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "proj", "a.txt"))
	lines := strings.Split(string(b), "\n")
	if !strings.Contains(lines[2], "a/b@") || !strings.Contains(lines[2], "@@ -1,2 +1,2 @@") {
		t.Errorf("literal @@ mangled: %q", lines[2])
	}
	x, y := strings.TrimPrefix(lines[0], "x="), strings.Fields(strings.TrimPrefix(lines[1], "y="))[0]
	if x != y || !validCRC32Token(x) {
		t.Errorf("named values differ or are invalid: %q %q", x, y)
	}
	type pos struct {
		Kind            string
		Line, Col, Span int
		Pre             int
		Bait            bool
	}
	var got []pos
	for _, it := range l.Items {
		got = append(got, pos{it.Kind, it.Line, it.Col, it.Span, it.Pre, it.Bait})
	}
	want := []pos{
		{"github-classic-pat", 1, 3, 0, 0, false},
		{"github-classic-pat", 2, 3, 0, 0, false},
		{"placeholder", 2, 46, 0, 0, true},
		{"git-sha", 3, 11, 0, 0, true},
		{"rsa-private-key", 5, 3, 26, 0, false},
		// JSON-escaped: one line; the label points at the "d" member.
		{"jwk-private-key", 33, 0, 0, 0, false},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d labels: %+v", len(got), got)
	}
	want[5].Col = got[5].Col // depends on the key; checked against the value below
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	last := lines[32]
	if c := l.Items[5].Col; c < 1 || !strings.HasPrefix(last[c-1:], l.Items[5].value) || !strings.Contains(last[:c], `\"d\": \"`) {
		t.Errorf("JWK label col %d on %q", c, last)
	}
	if _, err := GenerateFS(fstest.MapFS{"p/x": {Data: []byte("@@SECRET:no-such-kind@@")}}, t.TempDir(), 1); err == nil { // sprawl:allow template markers, not secrets
		t.Error("unknown kind accepted")
	}
	if _, err := GenerateFS(fstest.MapFS{"p/x": {Data: []byte("@@SECRET:generic-password\n")}}, t.TempDir(), 1); err == nil {
		t.Error("unterminated marker accepted")
	}
}

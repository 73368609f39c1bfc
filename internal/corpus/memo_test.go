package corpus_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/internal/corpus"
	"github.com/sprawlsec/sprawl/scanner"
)

// wholeBlobs hides GitSource's RepeatsContent, so the engine matches
// every blob whole, as it did before it had a memo.
type wholeBlobs struct{ *scanner.GitSource }

func (wholeBlobs) RepeatsContent() bool { return false }

// TestHistoryMemoSameFindings commits the corpus (held-out projects
// included), then edits its files over twenty commits, inserting,
// changing and deleting lines (secret lines among them) on two
// branches, and scans the history twice: through the engine's memo and
// blob by blob whole. The findings must be the same, field by field.
func TestHistoryMemoSameFindings(t *testing.T) {
	skipShort(t)
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	if _, err := corpus.Generate(dir, 1); err != nil {
		t.Fatal(err)
	}
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=c", "GIT_AUTHOR_EMAIL=c@dev.invalid",
			"GIT_COMMITTER_NAME=c", "GIT_COMMITTER_EMAIL=c@dev.invalid", "GIT_CONFIG_GLOBAL=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q", "-b", "main")
	git("add", "-A")
	git("commit", "-q", "-m", "import")

	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	rng := rand.New(rand.NewPCG(5, 9))
	for c := range 20 {
		if c == 10 {
			git("checkout", "-q", "-b", "side")
		}
		for range 8 {
			p := files[rng.IntN(len(files))]
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(string(b), "\n")
			donor, err := os.ReadFile(files[rng.IntN(len(files))])
			if err != nil {
				t.Fatal(err)
			}
			dl := strings.Split(string(donor), "\n")
			i := rng.IntN(len(lines))
			switch rng.IntN(3) {
			case 0: // a line from another file, secrets included
				lines = append(lines[:i], append([]string{dl[rng.IntN(len(dl))]}, lines[i:]...)...)
			case 1:
				lines = append(lines[:i], lines[i+1:]...)
			default:
				lines[i] = fmt.Sprintf("%s // edited %d", lines[i], c)
			}
			if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		git("add", "-A")
		git("commit", "-q", "-m", fmt.Sprintf("edit %d", c))
	}

	rules, err := detectors.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	scan := func(src scanner.Source) []scanner.Finding {
		t.Helper()
		m, err := detectors.NewMatcher(rules, detectors.Allowlist{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := (&scanner.Engine{Matcher: m}).Run(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		return res.Findings
	}
	whole := scan(wholeBlobs{&scanner.GitSource{Path: dir}})
	memo := scan(&scanner.GitSource{Path: dir})
	if len(whole) < 100 {
		t.Fatalf("%d findings: the corpus history should hold hundreds", len(whole))
	}
	if diff := cmp.Diff(whole, memo); diff != "" {
		t.Errorf("findings through the memo differ from whole-blob findings (-whole +memo):\n%s", diff)
	}
}

package main

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/sprawlsec/sprawl/internal/startgc"
)

// A full-history scan runs under historyMemoryLimit (the process tree's
// peak on a 100,000-commit history depends on it: make mem-history), and
// GOMEMLIMIT set by the user wins.
func TestHistoryScanSetsSoftMemoryLimit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	repo := filepath.Join(t.TempDir(), "repo")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	gitT(t, repo, "init", "-q")
	writeFile(t, filepath.Join(repo, "a.txt"), "nothing to see\n")
	gitT(t, repo, "add", "-A")
	gitT(t, repo, "commit", "-q", "-m", "one")

	restore := func() {
		debug.SetMemoryLimit(math.MaxInt64)
		startgc.SoftMemoryLimit(math.MaxInt64)
	}
	restore()
	t.Cleanup(restore)
	scan := func() {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run([]string{"scan", "git", repo, "--quiet", "-f", "json"}, strings.NewReader(""), &out, &errb); code != 0 {
			t.Fatalf("scan git: exit %d: %s", code, errb.String())
		}
	}

	procs := runtime.GOMAXPROCS(0)
	scan()
	if got := runtime.GOMAXPROCS(0); got != procs {
		t.Errorf("after scan git GOMAXPROCS is %d, want it restored to %d", got, procs)
	}
	if got := debug.SetMemoryLimit(-1); got != historyMemoryLimit {
		t.Errorf("after scan git the soft memory limit is %d, want %d", got, historyMemoryLimit)
	}

	restore()
	t.Setenv("GOMEMLIMIT", "1GiB")
	scan()
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("with GOMEMLIMIT set, scan git changed the limit to %d", got)
	}
}

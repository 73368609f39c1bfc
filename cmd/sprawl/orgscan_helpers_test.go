package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// gitT runs git in dir with a fixed identity and fails the test on error.
func gitT(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=Ada", "-c", "user.email=ada@example.com",
		"-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// fakeRepo is a bare repository (what a clone URL serves) with a work
// tree that pushes to it.
type fakeRepo struct {
	bare, work string
}

func newFakeRepo(t testing.TB, root, name string) *fakeRepo {
	t.Helper()
	r := &fakeRepo{bare: filepath.Join(root, "remote", name+".git"), work: filepath.Join(root, "work", name)}
	for _, d := range []string{r.bare, r.work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	gitT(t, r.bare, "init", "-q", "--bare")
	gitT(t, r.bare, "symbolic-ref", "HEAD", "refs/heads/main")
	gitT(t, r.work, "init", "-q")
	gitT(t, r.work, "checkout", "-q", "-b", "main")
	gitT(t, r.work, "remote", "add", "origin", r.bare)
	return r
}

// commit writes files (path → content; "" deletes) and pushes the branch.
func (r *fakeRepo) commit(t testing.TB, msg string, files map[string]string) string {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(r.work, p)
		if c == "" {
			os.Remove(full)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitT(t, r.work, "add", "-A")
	gitT(t, r.work, "commit", "-q", "--allow-empty", "-m", msg)
	gitT(t, r.work, "push", "-q", "--force", "origin", "HEAD")
	return gitT(t, r.work, "rev-parse", "HEAD")
}

func (r *fakeRepo) url() string { return "file://" + r.bare }

// sleeps records the rate limiter's waits instead of sleeping.
type sleeps struct {
	mu     sync.Mutex
	waits  []time.Duration
	cancel func() // if set, called on the next wait (a Ctrl-C during it)
}

func (s *sleeps) install(t *testing.T) {
	rateSleep = func(ctx context.Context, d time.Duration) error {
		s.mu.Lock()
		s.waits = append(s.waits, d)
		cancel := s.cancel
		s.cancel = nil
		s.mu.Unlock()
		if cancel != nil {
			cancel()
			return ctx.Err()
		}
		return nil
	}
	t.Cleanup(func() { rateSleep = nil })
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// runSprawl runs the whole program in-process with ctx (run() would
// install its own signal context) and returns the exit code and output.
func runSprawl(ctx context.Context, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	root := newRootCmd(strings.NewReader(""), &out, &errb)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && err != errFindings {
		fmt.Fprintf(&errb, "sprawl: %s\n", strings.TrimSpace(err.Error()))
	}
	return exitCode(err), out.String(), errb.String()
}

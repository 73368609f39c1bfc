package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPreCommitFramework loads this repository's .pre-commit-hooks.yaml in
// the pre-commit framework installed on the machine (Debian's 3.0.x in CI,
// where .ci/run installs it) and checks that both hook ids block a staged
// secret without printing it. A manifest that names a stage the installed
// pre-commit does not know fails to load, which is what this guards.
func TestPreCommitFramework(t *testing.T) {
	if testing.Short() {
		t.Skip("builds sprawl twice; skipped with -short")
	}
	precommit, err := exec.LookPath("pre-commit")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pre-commit is not installed; .ci/run installs Debian's package (scripts/install-test-tools.sh)")
		}
		t.Skip("pre-commit not installed")
	}
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not installed")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	bin := filepath.Join(work, "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "sprawl"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	modcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOMODCACHE: %v", err)
	}
	env := append(os.Environ(),
		// pre-commit builds the golang hook with a GOPATH of its own; share
		// the module cache so the build does not download every module again.
		"GOMODCACHE="+strings.TrimSpace(string(modcache)),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"PRE_COMMIT_HOME="+filepath.Join(work, "cache"),
		"GIT_AUTHOR_NAME=Ada", "GIT_AUTHOR_EMAIL=ada@dev.invalid",
		"GIT_COMMITTER_NAME=Ada", "GIT_COMMITTER_EMAIL=ada@dev.invalid",
		"SPRAWL_PROGRESS=never",
	)
	app := filepath.Join(work, "app")
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command(gitBin, append([]string{"-C", app}, args...)...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if err := os.MkdirAll(app, 0o755); err != nil {
		t.Fatal(err)
	}
	git("init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(app, "README.md"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", "-A")
	git("commit", "-q", "-m", "init")
	token, _ := genToken("ghp")
	if err := os.WriteFile(filepath.Join(app, "app.env"), []byte("A=1\nGITHUB_TOKEN="+token+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", "app.env")

	for _, id := range []string{"sprawl-system", "sprawl"} {
		t.Run(id, func(t *testing.T) {
			cmd := exec.Command(precommit, "try-repo", root, id)
			cmd.Dir = app
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			text := string(out)
			if strings.Contains(text, "InvalidManifestError") {
				t.Fatalf("the hook manifest does not load:\n%s", text)
			}
			if err == nil {
				t.Fatalf("pre-commit passed a staged secret:\n%s", text)
			}
			if !strings.Contains(text, "app.env:2") || !strings.Contains(text, "commit blocked") {
				t.Fatalf("hook %s did not report the staged secret:\n%s", id, text)
			}
			if strings.Contains(text, token) {
				t.Fatalf("hook %s printed the secret", id)
			}
		})
	}
}

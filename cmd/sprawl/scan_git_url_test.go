package main

import (
	"bytes"
	"io"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestScanGitURLCredentialsRedacted: a repository URL given with a
// password, a token as user name or a token in its query is cloned with
// them, but they appear in no output format, no error and not in the
// inventory: root is the redacted URL.
func TestScanGitURLCredentialsRedacted(t *testing.T) {
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not installed")
	}
	out, err := exec.Command(gitPath, "--exec-path").Output()
	if err != nil {
		t.Skip("git --exec-path:", err)
	}
	backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		t.Skip("no git-http-backend")
	}
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())

	root := t.TempDir()
	work := filepath.Join(root, "work")
	token := ghToken(t)
	gitRun := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command(gitPath, append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Ada", "GIT_AUTHOR_EMAIL=ada@dev.invalid",
			"GIT_COMMITTER_NAME=Ada", "GIT_COMMITTER_EMAIL=ada@dev.invalid", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	gitRun(work, "init", "-q", "-b", "main")
	writeFile(t, filepath.Join(work, "app.env"), "GITHUB_TOKEN="+token+"\n")
	gitRun(work, "add", "-A")
	gitRun(work, "commit", "-q", "-m", "add config")
	gitRun(root, "clone", "-q", "--bare", work, filepath.Join(root, "repo.git"))

	srv := httptest.NewServer(&cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}, Stderr: io.Discard})
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	const pass, userTok, queryTok = "Hunter2Passw0rdSynthetic", "tokSyntheticUserInfo77", "tokSyntheticQuery88"

	// A clone that works: every format, and the inventory.
	url := "http://alice:" + pass + "@" + host + "/repo.git"
	db := filepath.Join(t.TempDir(), "inv.db")
	for _, format := range []string{"json", "jsonl", "csv", "junit", "sarif", "markdown", "table"} {
		args := []string{"scan", "git", url, "--format", format}
		if format == "json" {
			args = append(args, "--inventory", db)
		}
		var stdout, stderr bytes.Buffer
		code := run(args, strings.NewReader(""), &stdout, &stderr)
		if code != 1 {
			t.Fatalf("%s: exit %d, want 1\n%s", format, code, stderr.String())
		}
		both := stdout.String() + stderr.String()
		if strings.Contains(both, pass) || strings.Contains(both, token) {
			t.Errorf("%s: the password or the secret is in the output:\n%s", format, both)
		}
		if format == "json" && !strings.Contains(stdout.String(), `"root": "http://alice:REDACTED@`+host+`/repo.git"`) {
			t.Errorf("json: root is not the redacted URL:\n%s", stdout.String())
		}
	}
	for _, suffix := range []string{"", "-wal"} {
		if b, err := os.ReadFile(db + suffix); err == nil && bytes.Contains(b, []byte(pass)) {
			t.Errorf("the inventory (%s) holds the password", filepath.Base(db+suffix))
		}
	}

	// Clones that fail: the error names the redacted URL only.
	for _, bad := range []string{
		"http://" + userTok + "@" + host + "/missing.git",
		"http://" + host + "/missing.git?private_token=" + queryTok,
		"http://x-access-token:" + userTok + "@127.0.0.1:1/repo.git?access_token=" + queryTok,
	} {
		var stdout, stderr bytes.Buffer
		code := run([]string{"scan", "git", bad}, strings.NewReader(""), &stdout, &stderr)
		if code != 3 {
			t.Errorf("%s: exit %d, want 3", bad, code)
		}
		both := stdout.String() + stderr.String()
		if strings.Contains(both, userTok) || strings.Contains(both, queryTok) {
			t.Errorf("a credential is in the output:\n%s", both)
		}
		if !strings.Contains(stderr.String(), "REDACTED") {
			t.Errorf("the error does not name the redacted URL:\n%s", stderr.String())
		}
	}
}

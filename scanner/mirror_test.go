package scanner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGitAuthOrigin: the org scan's git credential goes only to the
// provider's own host over HTTPS; a clone URL the API listed that names
// another host, another port or plain http gets no header.
func TestGitAuthOrigin(t *testing.T) {
	const header = "Authorization: Basic c3ByYXdsLXRlc3Q="
	auth := GitAuth{Header: header, Origin: "https://github.example"}
	want := []string{"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.https://github.example/.extraHeader", "GIT_CONFIG_VALUE_0=" + header}
	for _, remote := range []string{"https://github.example/acme/api.git", "https://GitHub.example/acme/api.git"} {
		if diff := cmp.Diff(want, gitAuthEnv(remote, auth)); diff != "" {
			t.Errorf("%s: header env (-want +got):\n%s", remote, diff)
		}
	}
	for _, remote := range []string{
		"http://github.example/acme/api.git",          // the same host in the clear
		"https://evil.example/acme/api.git",           // another host
		"https://github.example.evil.example/a.git",   // a suffix of it
		"https://github.example:8443/acme/api.git",    // another port
		"https://evil.example/github.example/a.git",   // the host in the path
		"file:///srv/git/api.git", "/srv/git/api.git", // local
		"git@github.example:acme/api.git", // ssh
	} {
		if env := gitAuthEnv(remote, auth); env != nil {
			t.Errorf("%s: header sent: %q", remote, env)
		}
	}
	// An http origin never gets it either, nor a header line with a newline.
	if env := gitAuthEnv("http://gitlab.example/a.git", GitAuth{Header: header, Origin: "http://gitlab.example"}); env != nil {
		t.Errorf("http origin: header sent: %q", env)
	}
	if env := gitAuthEnv("https://github.example/a.git", GitAuth{Header: header + "\nX: y", Origin: "https://github.example"}); env != nil {
		t.Errorf("header with a newline sent: %q", env)
	}
}

func TestSyncMirror(t *testing.T) {
	src := newGitRepo(t)
	src.write("a.txt", "one\n")
	first := src.commit("one")
	src.git("branch", "side")
	src.git("tag", "-a", "-m", "release", "v1")
	tag := src.git("rev-parse", "v1")
	tree := src.git("rev-parse", "HEAD^{tree}")
	src.git("tag", "just-a-tree", tree) // no history: not a tip
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "cache", "acme", "api.git")

	fetched, err := SyncMirror(ctx, "", src.dir, dir, GitAuth{})
	if err != nil || fetched {
		t.Fatalf("first sync: fetched=%v err=%v, want a clone", fetched, err)
	}
	tips, err := RefTips(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"refs/heads/main": first, "refs/heads/side": first, "refs/tags/v1": tag}, tips); diff != "" {
		t.Errorf("tips after clone (-want +got):\n%s", diff)
	}

	// New commit, deleted branch, then a fetch.
	src.write("b.txt", "two\n")
	second := src.commit("two")
	src.git("branch", "-D", "side")
	if fetched, err = SyncMirror(ctx, "", src.dir, dir, GitAuth{}); err != nil || !fetched {
		t.Fatalf("second sync: fetched=%v err=%v, want a fetch", fetched, err)
	}
	tips, _ = RefTips(ctx, dir)
	if diff := cmp.Diff(map[string]string{"refs/heads/main": second, "refs/tags/v1": tag}, tips); diff != "" {
		t.Errorf("tips after fetch (-want +got):\n%s", diff)
	}
	if ok, _ := IsAncestor(ctx, dir, first, second); !ok {
		t.Error("first is not an ancestor of second")
	}
	if ok, _ := IsAncestor(ctx, dir, second, first); ok {
		t.Error("second is an ancestor of first")
	}

	// Force-push: the old tip is no longer reachable from any ref.
	src.git("reset", "-q", "--hard", first)
	src.write("c.txt", "three\n")
	third := src.commit("three")
	if _, err := SyncMirror(ctx, "", src.dir, dir, GitAuth{}); err != nil {
		t.Fatal(err)
	}
	for c, want := range map[string]bool{first: true, third: true, second: false, "": false, strings.Repeat("0", 40): false} {
		if got, err := Reachable(ctx, dir, c); err != nil || got != want {
			t.Errorf("Reachable(%.8s) = %v, %v; want %v", c, got, err, want)
		}
	}

	// A clone that fails leaves no directory and no temporary behind.
	bad := filepath.Join(t.TempDir(), "bad.git")
	if _, err := SyncMirror(ctx, "", filepath.Join(t.TempDir(), "missing"), bad, GitAuth{}); err == nil {
		t.Fatal("cloning a missing repository succeeded")
	}
	if ents, _ := os.ReadDir(filepath.Dir(bad)); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
	// A cancelled clone reports the cancellation.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := SyncMirror(cctx, "", src.dir, filepath.Join(t.TempDir(), "c.git"), GitAuth{}); err != context.Canceled {
		t.Errorf("cancelled clone: %v, want context.Canceled", err)
	}
}

func TestVariableSource(t *testing.T) {
	src := &VariableSource{Name: "gitlab-ci", Store: "https://gitlab.example/acme", Vars: []CIVariable{
		{Path: "gitlab:acme/vars/A[*]{unmasked,unprotected}", Name: "A", Value: "x", Note: "exposed", Tags: []string{"ci-variable", "unmasked-unprotected"}},
		{Path: "gitlab:acme/vars/B[*]{masked,protected}", Name: "B", Value: "y"},
	}}
	var got []Chunk
	if err := src.Chunks(context.Background(), func(c Chunk) error { got = append(got, c); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got[0].Data) != "A=x\n" || got[0].Message != "exposed" || got[0].Path != src.Vars[0].Path {
		t.Fatalf("chunks = %+v", got)
	}
	ruleTags := []string{"token"}
	fs := src.Finish([]Finding{{File: src.Vars[0].Path, Tags: ruleTags}, {File: src.Vars[1].Path, Tags: ruleTags}})
	if diff := cmp.Diff([]string{"ci-variable", "token", "unmasked-unprotected"}, fs[0].Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"token"}, ruleTags); diff != "" {
		t.Errorf("the rule's tag slice was modified: %s", diff)
	}
	if diff := cmp.Diff([]string{"token"}, fs[1].Tags); diff != "" {
		t.Errorf("untagged variable (-want +got):\n%s", diff)
	}
}

// TestVerifyManyRevisions: an incremental scan that excludes many old
// tips verifies them in one process, and still names a bad one.
func TestVerifyManyRevisions(t *testing.T) {
	r := newGitRepo(t)
	r.write("a.txt", "a\n")
	base := r.commit("a")
	var excl []string
	for i := 0; i < 6; i++ {
		name := "b" + string(rune('0'+i))
		r.git("branch", name)
		excl = append(excl, "^"+name)
	}
	r.write("new.txt", "new\n")
	r.commit("new")
	ctx := context.Background()
	g := &GitSource{Path: r.dir, Refs: append([]string{"--all"}, excl...), Since: base}
	var paths []string
	if err := g.Chunks(ctx, func(c Chunk) error { paths = append(paths, c.Path); return nil }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"new.txt", CommitMessage}, paths); diff != "" {
		t.Errorf("incremental scan with many exclusions (-want +got):\n%s", diff)
	}
	bad := &GitSource{Path: r.dir, Refs: append([]string{"--all", "^no-such-branch"}, excl...), Since: base}
	err := bad.Chunks(ctx, func(Chunk) error { return nil })
	if err == nil || !strings.Contains(err.Error(), `"no-such-branch"`) {
		t.Errorf("bad revision among many: %v, want it named", err)
	}
}

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://github.com/acme/api.git", "https://github.com/acme/api.git"},
		{"https://alice:pw@github.com/acme/api.git", "https://alice:REDACTED@github.com/acme/api.git"},
		{"https://ghp_tokenAsUser@github.com/a.git", "https://REDACTED@github.com/a.git"},
		{"https://a@b:c@host/x", "https://a@b:REDACTED@host/x"},
		{"https://host/x.git?private_token=abc&x=1#frag", "https://host/x.git?private_token=REDACTED&x=REDACTED#frag"},
		{"https://u:p@host?tok", "https://u:REDACTED@host?REDACTED"},
		{"http://host/path@not-userinfo", "http://host/path@not-userinfo"},
		{"git@github.com:acme/api.git", "git@github.com:acme/api.git"},
		{"/srv/repo", "/srv/repo"},
	} {
		if got := RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	msg := "fatal: unable to access 'https://x-access-token:" + "s3cret@host/a.git/': 403"
	if got, want := RedactURLs(msg), "fatal: unable to access 'https://x-access-token:REDACTED@host/a.git/': 403"; got != want {
		t.Errorf("RedactURLs = %q, want %q", got, want)
	}
}

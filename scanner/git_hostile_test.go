package scanner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGitOddPaths: a file's name is the repository's to choose; whatever
// it starts with, its secret is found and attributed, in a full scan and
// in a gate (Since), in every pipeline. A name starting with ":" (read as
// the raw line of another file) or with \x01 (read as a commit header)
// was dropped from the log pass: a gate passed with the secret.
func TestGitOddPaths(t *testing.T) {
	names := []string{":x.env", "::y.env", "\x01deadbeef\x02a\x02b\x022026-01-01T00:00:00Z\x02s", "\nlead.env", "-dash.env"}
	r := newGitRepo(t)
	r.write("README.md", "hello\n")
	base := r.commit("base")
	for i, name := range names {
		r.write(name, "TOKEN="+testToken(900+i)+"\n")
	}
	r.write("last.env", "TOKEN="+testToken(999)+"\n")
	c := r.commit("odd names")
	var want []gitLoc
	for _, name := range append(names, "last.env") {
		want = append(want, gitLoc{name, c, "odd names", 1})
	}
	slices.SortFunc(want, func(a, b gitLoc) int { return strings.Compare(a.File, b.File) })
	eachPipeline(t, func(t *testing.T) {
		for _, since := range []string{"", base} {
			res, err := testEngine(t).Run(context.Background(), &GitSource{Path: r.dir, Since: since})
			if err != nil {
				t.Fatal(err)
			}
			got := gitLocs(res.Findings)
			slices.SortFunc(got, func(a, b gitLoc) int { return strings.Compare(a.File, b.File) })
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("since %q (-want +got):\n%s", since, d)
			}
		}
	})
}

// TestGitForeignStorage: a scanned tree's .git cannot have the scan read
// another repository on the machine (a .git file, a .git link or a
// commondir leading into it, alternates borrowing its objects, with a
// ref naming its commit), while the layouts git makes itself (a bare
// repository, a subdirectory, a linked worktree, a submodule) scan as
// before. Without the check, each foreign case reported the other
// repository's secret.
func TestGitForeignStorage(t *testing.T) {
	victim := newGitRepo(t)
	victim.write("private.env", "TOKEN="+testToken(950)+"\n")
	vc := victim.commit("private")
	victim.git("worktree", "add", "-q", filepath.Join(t.TempDir(), "wt"))
	vdot := filepath.Join(victim.dir, ".git")

	own := func(t *testing.T) *gitRepo {
		r := newGitRepo(t)
		r.write("README.md", "hello\n")
		r.commit("init")
		return r
	}
	ok := func(t *testing.T, path string) {
		t.Helper()
		if err := (&GitSource{Path: path}).CheckRepo(context.Background()); err != nil {
			t.Errorf("CheckRepo(%s) = %v, want nil", path, err)
		}
	}
	foreign := func(t *testing.T, path string) {
		t.Helper()
		res, err := testEngine(t).Run(context.Background(), &GitSource{Path: path})
		if !errors.Is(err, ErrForeignStorage) {
			t.Errorf("scan of %s: err = %v, want ErrForeignStorage; findings %v", path, err, gitLocs(res.Findings))
		}
		res, err = testEngine(t).Run(context.Background(), &GitSource{Path: path, AllowForeignStorage: true})
		if err != nil || len(res.Findings) != 1 {
			t.Errorf("allowed: err = %v, findings %v", err, gitLocs(res.Findings))
		}
	}
	dotGitFile := func(t *testing.T, target string) string {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, ".git"), []byte("gitdir: "+target+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}

	t.Run("own layouts", func(t *testing.T) {
		r := own(t)
		r.write("sub/dir/x.txt", "x\n")
		r.commit("sub")
		ok(t, r.dir)
		ok(t, filepath.Join(r.dir, "sub", "dir"))
		bare := filepath.Join(t.TempDir(), "bare.git")
		r.git("clone", "-q", "--bare", r.dir, bare)
		ok(t, bare)
		ok(t, filepath.Join(bare, "refs"))
		wt := filepath.Join(t.TempDir(), "wt")
		r.git("worktree", "add", "-q", wt)
		ok(t, wt)
		r.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", bare, "mod")
		ok(t, filepath.Join(r.dir, "mod"))
		ok(t, victim.dir)
	})
	t.Run("alternates", func(t *testing.T) {
		r := own(t)
		r.write(".git/objects/info/alternates", filepath.Join(vdot, "objects")+"\n")
		r.git("update-ref", "refs/heads/borrowed", vc)
		foreign(t, r.dir)
	})
	t.Run("relative alternates", func(t *testing.T) {
		r := own(t)
		rel, err := filepath.Rel(filepath.Join(r.dir, ".git", "objects"), filepath.Join(vdot, "objects"))
		if err != nil {
			t.Fatal(err)
		}
		r.write(".git/objects/info/alternates", "# borrowed\n"+rel+"\n")
		r.git("update-ref", "refs/heads/borrowed", vc)
		foreign(t, r.dir)
	})
	t.Run("alternates of an alternate", func(t *testing.T) {
		r := own(t)
		r.write(".git/extra/info/alternates", filepath.Join(vdot, "objects")+"\n")
		r.write(".git/objects/info/alternates", filepath.Join(r.dir, ".git", "extra")+"\n")
		r.git("update-ref", "refs/heads/borrowed", vc)
		foreign(t, r.dir)
	})
	t.Run(".git file", func(t *testing.T) {
		foreign(t, dotGitFile(t, vdot))
	})
	t.Run(".git file into a worktree's git directory", func(t *testing.T) {
		foreign(t, dotGitFile(t, filepath.Join(vdot, "worktrees", "wt")))
	})
	t.Run(".git link", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Symlink(vdot, filepath.Join(dir, ".git")); err != nil {
			t.Fatal(err)
		}
		foreign(t, dir)
	})
	t.Run("commondir", func(t *testing.T) {
		r := own(t)
		r.write(".git/commondir", vdot+"\n")
		foreign(t, r.dir)
	})
}

// TestGitGateLinks: a secret written as a symbolic link's target (a new
// link, or a file turned into one) is found by a gate as a full scan
// finds it. The gate read only the blobs the log pass attributed, which
// leaves links out: such a range passed.
func TestGitGateLinks(t *testing.T) {
	r := newGitRepo(t)
	r.write("conf", "nothing\n")
	base := r.commit("base")
	newLink, turned := "TOKEN="+testToken(960), "TOKEN="+testToken(961)
	if err := os.Symlink(newLink, filepath.Join(r.dir, "link")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if err := os.Remove(filepath.Join(r.dir, "conf")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(turned, filepath.Join(r.dir, "conf")); err != nil {
		t.Fatal(err)
	}
	r.commit("links")
	for _, src := range []*GitSource{{Path: r.dir}, {Path: r.dir, Since: base}, {Path: r.dir, Range: base + "..HEAD"}} {
		res, err := testEngine(t).Run(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range res.Findings {
			got = append(got, f.File)
		}
		slices.Sort(got)
		if d := cmp.Diff([]string{"conf", "link"}, got); d != "" {
			t.Errorf("since %q range %q: files (-want +got):\n%s", src.Since, src.Range, d)
		}
	}
}

// TestGitGrafts: a repository's info/grafts (parents rewritten, as a
// replace ref would) cannot hide history from a scan. A graft making
// the tip a root commit hid every commit before it.
func TestGitGrafts(t *testing.T) {
	r := newGitRepo(t)
	r.write("a.txt", "a\n")
	r.commit("one")
	r.write("s.env", "TOKEN="+testToken(980)+"\n")
	c := r.commit("two")
	r.git("rm", "-q", "s.env")
	tip := r.commit("three")
	r.write(".git/info/grafts", tip+"\n")
	eachPipeline(t, func(t *testing.T) {
		res, err := testEngine(t).Run(context.Background(), &GitSource{Path: r.dir})
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff([]gitLoc{{"s.env", c, "two", 1}}, gitLocs(res.Findings)); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
}

// TestGitShallow: a shallow clone's history ends at the clone's cut, so
// a whole-history scan says so (Shallow), and finds nothing from before
// it; a full clone, and a scan of a range, do not.
func TestGitShallow(t *testing.T) {
	r := newGitRepo(t)
	r.write("s.env", "TOKEN="+testToken(981)+"\n")
	r.commit("one")
	r.git("rm", "-q", "s.env")
	r.commit("two")
	r.write("a.txt", "a\n")
	r.commit("three")

	dst := filepath.Join(t.TempDir(), "shallow")
	r.git("clone", "-q", "--depth", "1", "file://"+r.dir, dst)
	for _, c := range []struct {
		name    string
		src     *GitSource
		shallow bool
	}{
		{"shallow clone", &GitSource{Path: dst}, true},
		{"shallow clone, a range", &GitSource{Path: dst, Since: "HEAD"}, false},
		{"full repository", &GitSource{Path: r.dir}, false},
	} {
		if err := c.src.CheckRepo(context.Background()); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := c.src.Shallow(); got != c.shallow {
			t.Errorf("%s: Shallow() = %v, want %v", c.name, got, c.shallow)
		}
	}
	res, err := testEngine(t).Run(context.Background(), &GitSource{Path: dst})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 0 {
		t.Errorf("a shallow clone's scan found %d findings from before its cut", len(res.Findings))
	}
}

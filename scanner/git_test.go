package scanner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// gitRepo is a real repository built with the git CLI for a test.
type gitRepo struct {
	t   testing.TB
	dir string
	n   int
}

func newGitRepo(t testing.TB) *gitRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	r := &gitRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	return r
}

func (r *gitRepo) git(args ...string) string {
	r.t.Helper()
	return r.gitIn("", args...)
}

// gitIn is git with stdin on its standard input.
func (r *gitRepo) gitIn(stdin string, args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", append([]string{"-C", r.dir}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=Ada Dev", "GIT_AUTHOR_EMAIL=ada@dev.invalid",
		"GIT_COMMITTER_NAME=Ada Dev", "GIT_COMMITTER_EMAIL=ada@dev.invalid",
		"GIT_AUTHOR_DATE=2026-01-0"+string(rune('1'+r.n%9))+"T10:00:00Z",
		"GIT_COMMITTER_DATE=2026-01-0"+string(rune('1'+r.n%9))+"T10:00:00Z",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func (r *gitRepo) write(name, body string) {
	r.t.Helper()
	p := filepath.Join(r.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// commit stages everything and commits; it returns the commit id.
func (r *gitRepo) commit(msg string) string {
	r.t.Helper()
	r.n++
	r.git("add", "-A")
	r.git("commit", "-q", "--allow-empty", "-m", msg)
	return r.git("rev-parse", "HEAD")
}

type gitLoc struct {
	File, Commit, Message string
	Line                  int
}

func gitLocs(fs []Finding) []gitLoc {
	var out []gitLoc
	for _, f := range fs {
		out = append(out, gitLoc{f.File, f.Commit, f.Message, f.Line})
	}
	return out
}

// TestGitHistory builds a repository with branches, a merge, a tag, a
// deleted file, a secret added then removed, a rename, a binary file and
// refs outside branches, and checks every finding's commit, path and line.
func TestGitHistory(t *testing.T) {
	r := newGitRepo(t)
	t1, t2, t3, t4, t5, t6 := testToken(101), testToken(102), testToken(103), testToken(104), testToken(105), testToken(106)

	r.write("config/app.env", "APP=billing\nGITHUB_TOKEN="+t1+"\n")
	r.write("README.md", "hello\n")
	c1 := r.commit("add config")

	r.write("notes.txt", "temporary: "+t2+"\n")
	c2 := r.commit("add notes")
	if err := os.Remove(filepath.Join(r.dir, "notes.txt")); err != nil {
		t.Fatal(err)
	}
	r.commit("remove notes") // the secret lives on in history only

	r.git("checkout", "-q", "-b", "feature")
	r.write("deploy/feature.yaml", "name: feature\nenv: staging\ntoken: "+t3+"\n")
	r.write("logo.png", "\x00\x01\x02binary "+t6+"\n")
	c4 := r.commit("feature work")
	r.git("tag", "v1.0")
	r.git("checkout", "-q", "main")
	r.write("README.md", "hello\nworld\n")
	r.commit("docs")
	r.git("merge", "-q", "--no-ff", "-m", "merge feature", "feature")

	r.git("mv", "config/app.env", "config/prod.env") // same blob, new path
	r.commit("rename config")

	// A pull-request ref and a tag on a commit no branch contains.
	r.git("checkout", "-q", "--detach")
	r.write("pr.txt", "token="+t4+"\n")
	c5 := r.commit("pr change")
	r.git("update-ref", "refs/pull/7/head", c5)
	r.git("reset", "-q", "--hard", "main")
	r.write("tagged.txt", "x\ny\nsecret "+t5+"\n")
	c6 := r.commit("tagged only")
	r.git("tag", "orphan-tag", c6)
	r.git("checkout", "-q", "main")

	eachPipeline(t, func(t *testing.T) {
		src := &GitSource{Path: r.dir}
		res, err := testEngine(t).Run(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		want := []gitLoc{
			{"config/app.env", c1, "add config", 2},
			{"deploy/feature.yaml", c4, "feature work", 3},
			{"notes.txt", c2, "add notes", 1},
			{"pr.txt", c5, "pr change", 1},
			{"tagged.txt", c6, "tagged only", 3},
		}
		if d := cmp.Diff(want, gitLocs(res.Findings)); d != "" {
			t.Errorf("findings (-want +got):\n%s", d)
		}
		for _, f := range res.Findings {
			if f.Author != "Ada Dev" || f.Email != "ada@dev.invalid" || f.Date.IsZero() || len(f.Blob) != 40 {
				t.Errorf("%s: provenance incomplete: %+v", f.File, f)
			}
		}
		// Every reachable blob was selected, and each was scanned or skipped.
		blobs := 0
		for _, line := range strings.Split(r.git("rev-list", "--objects", "--all", "--filter=object:type=blob"), "\n") {
			if strings.Contains(line, " ") {
				blobs++
			}
		}
		skipped := 0
		for _, n := range res.Stats.Skipped {
			skipped += n
		}
		// The items scanned are those blobs and the 9 commits' messages.
		if src.Selected() != blobs || int(res.Stats.Items)-src.MessagesScanned()+skipped != blobs || res.Stats.Skipped["binary"] != 1 || src.MessagesScanned() != 9 {
			t.Errorf("selected %d, scanned %d (%d messages), skipped %v; rev-list counts %d blobs", src.Selected(), res.Stats.Items, src.MessagesScanned(), res.Stats.Skipped, blobs)
		}
	})

	// --since main: only what the PR ref introduced.
	res, err := testEngine(t).Run(context.Background(), &GitSource{Path: r.dir, Refs: []string{"refs/pull/7/head"}, Since: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]gitLoc{{"pr.txt", c5, "pr change", 1}}, gitLocs(res.Findings)); d != "" {
		t.Errorf("--since findings (-want +got):\n%s", d)
	}
	// --range over the feature branch only.
	res, err = testEngine(t).Run(context.Background(), &GitSource{Path: r.dir, Range: c2 + "..feature"})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]gitLoc{{"deploy/feature.yaml", c4, "feature work", 3}}, gitLocs(res.Findings)); d != "" {
		t.Errorf("--range findings (-want +got):\n%s", d)
	}
	// --branch narrows refs: main never saw the PR or the orphan tag.
	res, err = testEngine(t).Run(context.Background(), &GitSource{Path: r.dir, Refs: []string{"main"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 3 {
		t.Errorf("main only: %d findings, want 3: %v", len(res.Findings), gitLocs(res.Findings))
	}
}

// eachPipeline runs a full-history check through every way of running
// git's passes: one tree walk feeding the blob stream (a small
// repository, streamed), the blob listing beside the log pass (a small
// repository streamable turns down), and, for a repository past
// overlapObjects or streamPackMax, the log pass listing the blobs for
// cat-file to read after it (logListed) or, where the log cannot list
// them all, the blob listing beside the log pass (small) or after it.
func eachPipeline(t *testing.T, check func(t *testing.T)) {
	t.Run("streamed", check)
	t.Run("listed", func(t *testing.T) {
		defer func(s bool) { streamLog = s }(streamLog)
		streamLog = false
		check(t)
	})
	t.Run("sequential", func(t *testing.T) {
		defer func(n int) { overlapObjects = n }(overlapObjects)
		overlapObjects = -1
		check(t)
	})
	t.Run("large packs", func(t *testing.T) {
		defer func(n int64) { streamPackMax = n }(streamPackMax)
		streamPackMax = -1 // a repository without packs has 0 bytes of them
		check(t)
	})
	t.Run("sequential listed", func(t *testing.T) {
		defer func(n int, s bool) { overlapObjects, streamLog = n, s }(overlapObjects, streamLog)
		overlapObjects, streamLog = -1, false
		check(t)
	})
}

// TestGitStreamedChoice: a small repository's history is read with one
// tree walk unless its refs lead to something a log does not walk (a tag
// on a blob), it is a partial clone, or its packs are larger than the
// bound; the blobs only rev-list reaches (a tagged blob, a symbolic
// link's target) are scanned either way.
func TestGitStreamedChoice(t *testing.T) {
	r := newGitRepo(t)
	inLink, inTagged := testToken(701), testToken(702)
	r.write("README.md", "hello\n")
	if err := os.Symlink("GITHUB_TOKEN="+inLink, filepath.Join(r.dir, "link")); err != nil {
		t.Fatal(err)
	}
	r.commit("init")
	ctx := context.Background()
	src := &GitSource{Path: r.dir}
	if err := src.CheckRepo(ctx); err != nil { // finds the packs
		t.Fatal(err)
	}
	if src.streamable(ctx, []string{"--all"}) == nil {
		t.Error("a plain repository is not streamed")
	}
	defer func(n int64) { streamPackMax = n }(streamPackMax)
	r.git("gc", "-q")
	streamPackMax = 10
	if src.streamable(ctx, []string{"--all"}) != nil {
		t.Error("packs past streamPackMax are streamed")
	}
	streamPackMax = 64 << 20

	// secrets checks that a full scan finds want, in every pipeline.
	secrets := func(want ...string) {
		t.Helper()
		slices.Sort(want)
		eachPipeline(t, func(t *testing.T) {
			res, err := testEngine(t).Run(ctx, &GitSource{Path: r.dir})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range res.Findings {
				got = append(got, f.Secret)
			}
			slices.Sort(got)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("secrets (-want +got):\n%s", d)
			}
		})
	}
	secrets(inLink)

	blob := r.gitIn("GITHUB_TOKEN="+inTagged+"\n", "hash-object", "-w", "--stdin")
	r.git("tag", "loose-blob", blob)
	if src.streamable(ctx, []string{"--all"}) != nil {
		t.Error("a tag on a blob is streamed")
	}
	if src.streamable(ctx, []string{"main"}) == nil {
		t.Error("main alone is not streamed")
	}
	secrets(inLink, inTagged)
	r.git("tag", "-d", "loose-blob")
	r.git("tag", "-a", "-m", "release", "v1", "main")
	if src.streamable(ctx, []string{"--all"}) == nil {
		t.Error("an annotated tag of a commit is not streamed")
	}
	r.git("tag", "-a", "-m", "a blob", "blob-note", blob)
	if src.streamable(ctx, []string{"--all"}) != nil {
		t.Error("an annotated tag of a blob is streamed")
	}
	r.git("tag", "-d", "blob-note")
	r.git("config", "remote.origin.promisor", "true")
	if src.streamable(ctx, []string{"--all"}) != nil {
		t.Error("a partial clone is streamed")
	}
}

// TestGitSameSecretOnce: a secret that stays in a file across many
// commits is reported once, at the commit that introduced it.
func TestGitSameSecretOnce(t *testing.T) {
	r := newGitRepo(t)
	tok := testToken(200)
	r.write("app.env", "GITHUB_TOKEN="+tok+"\n")
	first := r.commit("one")
	for i := 0; i < 5; i++ {
		r.write("app.env", strings.Repeat("# pad\n", i+1)+"GITHUB_TOKEN="+tok+"\n")
		r.commit("edit")
	}
	res, err := testEngine(t).Run(context.Background(), &GitSource{Path: r.dir})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]gitLoc{{"app.env", first, "one", 1}}, gitLocs(res.Findings)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestGitErrors(t *testing.T) {
	notRepo := t.TempDir()
	_, err := testEngine(t).Run(context.Background(), &GitSource{Path: notRepo})
	if !errors.Is(err, ErrNotRepo) {
		t.Errorf("plain directory: err = %v, want ErrNotRepo", err)
	}
	r := newGitRepo(t)
	r.write("a.txt", "a\n")
	r.commit("a")
	_, err = testEngine(t).Run(context.Background(), &GitSource{Path: r.dir, Since: "no-such-branch"})
	if !errors.Is(err, ErrGit) || !strings.Contains(err.Error(), "no-such-branch") {
		t.Errorf("bad revision: err = %v, want ErrGit naming it", err)
	}
}

func TestStaged(t *testing.T) {
	r := newGitRepo(t)
	old, add1, add2 := testToken(301), testToken(302), testToken(303)
	r.write("app.env", "A=1\nOLD="+old+"\nB=2\n")
	r.write("keep.txt", "nothing\n")
	r.commit("base")
	// New lines in an existing file, a new file, an unstaged change.
	r.write("app.env", "A=1\nOLD="+old+"\nNEW="+add1+"\nB=2\n")
	r.write("dir/new file.yaml", "x: 1\ntoken: "+add2+"\n")
	r.git("add", "app.env", "dir/new file.yaml")
	r.write("keep.txt", "unstaged "+testToken(304)+"\n")

	src := &StagedSource{GitSource: GitSource{Path: r.dir}}
	res, err := testEngine(t).Run(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	want := []gitLoc{{"app.env", "", "", 3}, {"dir/new file.yaml", "", "", 2}}
	if d := cmp.Diff(want, gitLocs(res.Findings)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// TestStagedStart: the diff started ahead (Start) gives what Chunks
// alone gives; Stop without Chunks waits for it; outside a repository
// the error is the same.
func TestStagedStart(t *testing.T) {
	r := newGitRepo(t)
	r.write("keep.txt", "nothing\n")
	r.commit("base")
	r.write("app.env", "NEW="+testToken(311)+"\n")
	r.git("add", "app.env")

	src := &StagedSource{GitSource: GitSource{Path: r.dir}}
	src.Start(context.Background())
	defer src.Stop()
	res, err := testEngine(t).Run(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]gitLoc{{"app.env", "", "", 1}}, gitLocs(res.Findings)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}

	unused := &StagedSource{GitSource: GitSource{Path: r.dir}}
	unused.Start(context.Background())
	unused.Stop()
	select {
	case <-unused.done:
	default:
		t.Error("Stop returned before the diff ended")
	}

	notRepo := &StagedSource{GitSource: GitSource{Path: t.TempDir()}}
	notRepo.Start(context.Background())
	if _, err := testEngine(t).Run(context.Background(), notRepo); !errors.Is(err, ErrNotRepo) {
		t.Errorf("outside a repository: err = %v, want ErrNotRepo", err)
	}
}

// TestStagedFromWorkTree: a staged file whose work-tree copy is the
// staged blob is read from the work tree, with no cat-file; one that is
// not (edited again, or put behind a symbolic link or a FIFO, or in a
// directory that is a link out of the tree) is read from the index, so
// that what is scanned is always what is staged, and nothing outside the
// tree is read.
func TestStagedFromWorkTree(t *testing.T) {
	outside := t.TempDir()
	secret := func(n int) string { return "TOKEN=" + testToken(n) + "\n" }
	// Whatever the work tree holds, the staged secrets are found.
	want := []gitLoc{{"a.env", "", "", 1}, {"dir/b.env", "", "", 1}}
	cases := []struct {
		name string
		// after changes the work tree once the file is staged.
		after    func(t *testing.T, r *gitRepo)
		fromTree int
	}{
		{"unchanged", nil, 2},
		{"secret removed after staging", func(t *testing.T, r *gitRepo) {
			r.write("a.env", "TOKEN=\n")
		}, 1},
		{"unstaged secret added", func(t *testing.T, r *gitRepo) {
			r.write("a.env", secret(701)+secret(703))
		}, 1},
		{"file is a link out of the tree", func(t *testing.T, r *gitRepo) {
			linkOut(t, r, "a.env", writeOutside(t, outside, "a-copy.env", secret(701)))
		}, 1},
		{"directory is a link out of the tree", func(t *testing.T, r *gitRepo) {
			writeOutside(t, outside, "dir-copy/b.env", secret(702))
			linkOut(t, r, "dir", filepath.Join(outside, "dir-copy"))
		}, 1},
		{"file is a FIFO", func(t *testing.T, r *gitRepo) {
			p := filepath.Join(r.dir, "a.env")
			os.Remove(p)
			if err := mkfifo(p); err != nil {
				t.Skip("no FIFOs here:", err)
			}
		}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newGitRepo(t)
			r.write("keep.txt", "nothing\n")
			r.commit("base")
			r.write("a.env", secret(701))
			r.write("dir/b.env", secret(702))
			r.git("add", "-A")
			if tc.after != nil {
				tc.after(t, r)
			}
			for _, regions := range []bool{false, true} {
				e := testEngine(t)
				src := &StagedSource{GitSource: GitSource{Path: r.dir}}
				if regions {
					src.Rules = e.Matcher.Rules()
				}
				res, err := e.Run(context.Background(), src)
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(want, gitLocs(res.Findings)); d != "" {
					t.Errorf("regions %t: findings (-want +got):\n%s", regions, d)
				}
				if src.fromTree != tc.fromTree {
					t.Errorf("regions %t: %d files read from the work tree, want %d", regions, src.fromTree, tc.fromTree)
				}
				if want := tc.fromTree < 2; src.catStarted != want {
					t.Errorf("regions %t: cat-file started %t, want %t", regions, src.catStarted, want)
				}
			}
		})
	}
}

// writeOutside writes body to dir/rel, making its directories, and
// returns its path.
func writeOutside(t *testing.T, dir, rel, body string) string {
	t.Helper()
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// linkOut replaces name in r's work tree with a symbolic link to target.
func linkOut(t *testing.T, r *gitRepo, name, target string) {
	t.Helper()
	p := filepath.Join(r.dir, name)
	if err := os.RemoveAll(p); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}

func TestStagedInitialCommit(t *testing.T) {
	r := newGitRepo(t)
	r.write("a.env", "T="+testToken(401)+"\n")
	r.git("add", "a.env")
	res, err := testEngine(t).Run(context.Background(), &StagedSource{GitSource: GitSource{Path: r.dir}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].Line != 1 {
		t.Errorf("findings = %v, want one on line 1", gitLocs(res.Findings))
	}
}

// TestGitTwoOccurrencesInOneFile: the same secret twice in one version is
// two findings, still once each across later commits.
func TestGitTwoOccurrencesInOneFile(t *testing.T) {
	r := newGitRepo(t)
	tok := testToken(210)
	r.write("compose.yml", "a: "+tok+"\nb: 1\nc: "+tok+"\n")
	first := r.commit("one")
	r.write("compose.yml", "# top\na: "+tok+"\nb: 1\nc: "+tok+"\n")
	r.commit("two")
	res, err := testEngine(t).Run(context.Background(), &GitSource{Path: r.dir})
	if err != nil {
		t.Fatal(err)
	}
	want := []gitLoc{{"compose.yml", first, "one", 1}, {"compose.yml", first, "one", 3}}
	if d := cmp.Diff(want, gitLocs(res.Findings)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// TestGitEvilMerge: a secret that only a merge commit brings in (content
// the merge wrote, in neither parent) is attributed to the merge; what the
// merged branch introduced stays with the branch's commit, also in an
// incremental scan of everything since the fork point.
func TestGitEvilMerge(t *testing.T) {
	r := newGitRepo(t)
	t1, t2 := testToken(201), testToken(202)
	r.write("app.env", "MODE=base\n")
	base := r.commit("base")
	r.git("checkout", "-q", "-b", "feature")
	r.write("feature.env", "GITHUB_TOKEN="+t1+"\n")
	c2 := r.commit("feature")
	r.git("checkout", "-q", "main")
	r.write("app.env", "MODE=main\n")
	r.commit("main")
	r.git("merge", "-q", "--no-ff", "--no-commit", "feature")
	r.write("app.env", "MODE=merged\nGITHUB_TOKEN="+t2+"\n")
	merge := r.commit("merge feature, edit app.env")
	if parents := strings.Fields(r.git("log", "-1", "--format=%P", merge)); len(parents) != 2 {
		t.Fatalf("the merge commit has %d parents", len(parents))
	}

	want := []gitLoc{
		{"app.env", merge, "merge feature, edit app.env", 2},
		{"feature.env", c2, "feature", 1},
	}
	for _, src := range []*GitSource{{Path: r.dir}, {Path: r.dir, Since: base}} {
		res, err := testEngine(t).Run(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, gitLocs(res.Findings)); d != "" {
			t.Errorf("since %q (-want +got):\n%s", src.Since, d)
		}
	}
}

// TestGitMissingBlob: a blob the history names but the object store lacks
// (a partial clone's, a damaged mirror's) is one unreadable item named by
// its id and path; every other blob is still scanned, in a full scan and
// in a gate.
func TestGitMissingBlob(t *testing.T) {
	r := newGitRepo(t)
	tok, lost := testToken(301), testToken(302)
	r.write("README.md", "hello\n")
	base := r.commit("init")
	r.write("app.env", "GITHUB_TOKEN="+tok+"\n")
	r.write("big/dump.sql", "-- dump\ninsert into t values ('"+lost+"');\n")
	r.commit("add config and dump")
	id := r.git("rev-parse", "HEAD:big/dump.sql")
	if err := os.Remove(filepath.Join(r.dir, ".git", "objects", id[:2], id[2:])); err != nil {
		t.Fatal(err)
	}
	eachPipeline(t, func(t *testing.T) {
		src := &GitSource{Path: r.dir}
		res, err := testEngine(t).Run(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Findings) != 1 || res.Stats.Errors != 1 || !strings.Contains(res.Stats.FirstErrors[0], id) {
			t.Errorf("findings %v, errors %q", gitLocs(res.Findings), res.Stats.FirstErrors)
		}
	})
	for _, src := range []*GitSource{{Path: r.dir}, {Path: r.dir, Since: base}} {
		res, err := testEngine(t).Run(context.Background(), src)
		if err != nil {
			t.Fatalf("since %q: %v", src.Since, err)
		}
		if len(res.Findings) != 1 || res.Findings[0].File != "app.env" {
			t.Errorf("since %q: findings %v, want app.env's", src.Since, gitLocs(res.Findings))
		}
		if res.Stats.Errors != 1 || len(res.Stats.FirstErrors) != 1 ||
			!strings.Contains(res.Stats.FirstErrors[0], "big/dump.sql") || !strings.Contains(res.Stats.FirstErrors[0], id) {
			t.Errorf("since %q: errors %d %q, want one naming big/dump.sql and %s", src.Since, res.Stats.Errors, res.Stats.FirstErrors, id)
		}
	}
}

// TestGitCommitMessages: commit messages are scanned as their own items,
// attributed to their commit; the subject a finding carries has every
// secret found in its commit cut out and is capped.
func TestGitCommitMessages(t *testing.T) {
	r := newGitRepo(t)
	inBody, inSubject, inFile := testToken(401), testToken(402), testToken(403)
	r.write("README.md", "hello\n")
	base := r.commit("init")
	r.write("notes.txt", "nothing\n")
	c1 := r.commit("deploy notes\n\nused token " + inBody + " for the run")
	r.write("app.env", "GITHUB_TOKEN="+inFile+"\n")
	c2 := r.commit("add config with " + inFile + " and " + inSubject + " " + strings.Repeat("long ", 60))

	for _, tc := range []struct {
		src      *GitSource
		messages int
	}{{&GitSource{Path: r.dir}, 3}, {&GitSource{Path: r.dir, Since: base}, 2}} {
		src := tc.src
		res, err := testEngine(t).Run(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		type got struct {
			Source, File, Commit, Secret string
			Line                         int
		}
		var gs []got
		for _, f := range res.Findings {
			gs = append(gs, got{f.Source, f.File, f.Commit, f.Secret, f.Line})
			for _, s := range []string{inBody, inSubject, inFile} {
				if strings.Contains(f.Message, s) {
					t.Errorf("%s:%d: message carries a secret: %q", f.File, f.Line, f.Message)
				}
			}
			if len(f.Message) > MaxMessageLen {
				t.Errorf("%s:%d: message of %d bytes", f.File, f.Line, len(f.Message))
			}
		}
		want := []got{
			{"", "app.env", c2, inFile, 1},
			{CommitMessage, CommitMessage, c1, inBody, 3},
			{CommitMessage, CommitMessage, c2, inFile, 1},
			{CommitMessage, CommitMessage, c2, inSubject, 1},
		}
		sortGot := func(a, b got) int { return strings.Compare(a.File+a.Commit+a.Secret, b.File+b.Commit+b.Secret) }
		slices.SortFunc(want, sortGot)
		slices.SortFunc(gs, sortGot)
		if d := cmp.Diff(want, gs); d != "" {
			t.Errorf("since %q: findings (-want +got):\n%s", src.Since, d)
		}
		if src.MessagesScanned() != tc.messages {
			t.Errorf("since %q: %d messages scanned", src.Since, src.MessagesScanned())
		}
	}
}

// TestGitCallbackError: the first error the callback returns ends the
// scan and is what Chunks returns, whichever git pass the chunk came from
// (the blob stream or the commit messages beside it).
func TestGitCallbackError(t *testing.T) {
	r := newGitRepo(t)
	for i := range 20 {
		r.write(fmt.Sprintf("f%d.txt", i), strings.Repeat("line\n", i+1))
		r.commit(fmt.Sprintf("commit %d", i))
	}
	stop := errors.New("stop")
	for _, from := range []string{"blob", CommitMessage} {
		eachPipeline(t, func(t *testing.T) {
			err := (&GitSource{Path: r.dir}).Chunks(context.Background(), func(c Chunk) error {
				if c.Path == from || from == "blob" && c.Blob != "" {
					return stop
				}
				return nil
			})
			if !errors.Is(err, stop) {
				t.Errorf("%s: err = %v, want the callback's", from, err)
			}
		})
	}
}

// TestSmallRepo: a repository is small by its own object count, and one
// that borrows objects through alternates is never taken for small.
func TestSmallRepo(t *testing.T) {
	r := newGitRepo(t)
	r.write("a.txt", "a\n")
	r.commit("a")
	if !(&GitSource{Path: r.dir}).smallRepo(context.Background()) {
		t.Error("a one-commit repository is not small")
	}
	defer func(n int) { overlapObjects = n }(overlapObjects)
	overlapObjects = 2
	if (&GitSource{Path: r.dir}).smallRepo(context.Background()) {
		t.Error("3 objects counted as at most 2")
	}
	overlapObjects = 1000
	b := newGitRepo(t)
	alt := filepath.Join(r.dir, ".git", "objects") + "\n"
	if err := os.WriteFile(filepath.Join(b.dir, ".git", "objects", "info", "alternates"), []byte(alt), 0o644); err != nil {
		t.Fatal(err)
	}
	if (&GitSource{Path: b.dir}).smallRepo(context.Background()) {
		t.Error("a repository with alternates taken for small")
	}
}

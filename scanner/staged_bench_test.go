package scanner

import (
	"context"
	"testing"
)

// BenchmarkStaged scans a pre-commit hook's usual change (a line added
// to a 130 KB Go file, a YAML password) with the engine already warm:
// what is left is the git children and reading. "worktree": the staged
// files read from the work tree (one git child, the diff); "index": the
// work tree edited after `git add`, so the staged blobs come from
// `git cat-file` (two). Compare them with benchstat.
func BenchmarkStaged(b *testing.B) {
	big := httpServerSource(b)
	r := newGitRepo(b)
	r.write("server.go", string(big))
	r.write("config.yaml", "db:\n  host: db.internal\n")
	r.commit("base")
	r.write("server.go", string(big)+"\n// edited\nvar benchEdited = 1\n")
	r.write("config.yaml", "db:\n  host: db.internal\n  password: "+testToken(702)[5:]+"\n")
	r.git("add", "-A")
	e := testEngine(b)
	run := func(b *testing.B, wantTree int) {
		for b.Loop() {
			src := &StagedSource{GitSource: GitSource{Path: r.dir}, Rules: e.Matcher.Rules()}
			res, err := e.Run(context.Background(), src)
			if err != nil {
				b.Fatal(err)
			}
			if len(res.Findings) != 1 || src.fromTree != wantTree {
				b.Fatalf("%d findings, %d files from the work tree; want 1 and %d", len(res.Findings), src.fromTree, wantTree)
			}
		}
	}
	b.Run("worktree", func(b *testing.B) { run(b, 2) })
	r.write("server.go", string(big)+"\n// edited again, not staged\n")
	r.write("config.yaml", "db: {}\n")
	b.Run("index", func(b *testing.B) { run(b, 0) })
}

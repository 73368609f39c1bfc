package scanner

import (
	"context"
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

package scanner

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestStagedHostileDiff: what a staged file holds, the repository's
// attributes and its diff settings cannot hide a staged secret from
// scan staged. Each case failed before the diff was parsed by counting
// each hunk's lines and a binary file counted as added whole: an added
// line "++ b/" read as a header renamed the file to nothing and dropped
// the hunks after it; a file git takes for binary (a NUL byte, a -diff
// attribute, core.bigFileThreshold) had no "+++" line and was never read.
func TestStagedHostileDiff(t *testing.T) {
	tok := testToken(801)
	secret := "TOKEN=" + tok + "\n"
	body := "a\nb\nc\nd\n"
	cases := []struct {
		name string
		// stage commits a base and stages the change under test.
		stage func(r *gitRepo)
		// sub is the directory scanned, relative to the repository.
		sub  string
		want []gitLoc
	}{
		{"added line reads as a file header", func(r *gitRepo) {
			r.write("app.env", body)
			r.commit("base")
			r.write("app.env", "++ b/\n"+body+secret)
		}, "", []gitLoc{{"app.env", "", "", 6}}},
		{"added line names another file", func(r *gitRepo) {
			r.write("app.env", body)
			r.commit("base")
			r.write("app.env", "++ b/logo.png\n+++ b/x\n"+body+secret)
		}, "", []gitLoc{{"app.env", "", "", 7}}},
		{"added line reads as a hunk header", func(r *gitRepo) {
			r.write("app.env", body)
			r.commit("base")
			r.write("app.env", "@@ -1 +1 @@\n"+body+"\n"+secret)
		}, "", []gitLoc{{"app.env", "", "", 7}}},
		{"NUL byte", func(r *gitRepo) {
			r.write("keep.txt", "x\n")
			r.commit("base")
			r.write("data.bin.env", "\x00\x01\n"+secret)
		}, "", []gitLoc{{"data.bin.env", "", "", 2}}},
		{"binary file modified, name with a space and a quote", func(r *gitRepo) {
			r.write(`my "key" file`, "\x00\n")
			r.commit("base")
			r.write(`my "key" file`, "\x00\n"+secret)
		}, "", []gitLoc{{`my "key" file`, "", "", 2}}},
		{"binary file renamed", func(r *gitRepo) {
			r.write("old.dat", "\x00\n"+strings.Repeat("filler line\n", 20))
			r.commit("base")
			r.git("mv", "old.dat", "new.dat")
			r.write("new.dat", "\x00\n"+strings.Repeat("filler line\n", 20)+secret)
		}, "", []gitLoc{{"new.dat", "", "", 22}}},
		{"-diff attribute", func(r *gitRepo) {
			r.write(".gitattributes", "*.env -diff\n")
			r.write("app.env", body)
			r.commit("base")
			r.write("app.env", body+secret)
		}, "", []gitLoc{{"app.env", "", "", 5}}},
		{"binary attribute in info/attributes", func(r *gitRepo) {
			r.write("app.env", body)
			r.commit("base")
			r.write(".git/info/attributes", "* binary\n")
			r.write("app.env", body+secret)
		}, "", []gitLoc{{"app.env", "", "", 5}}},
		{"core.bigFileThreshold", func(r *gitRepo) {
			r.write("app.env", body)
			r.commit("base")
			r.git("config", "core.bigFileThreshold", "10")
			r.write("app.env", body+secret)
		}, "", []gitLoc{{"app.env", "", "", 5}}},
		{"diff.noprefix", func(r *gitRepo) {
			r.write("b/app.env", body)
			r.commit("base")
			r.git("config", "diff.noprefix", "true")
			r.write("b/app.env", body+secret)
		}, "", []gitLoc{{"b/app.env", "", "", 5}}},
		{"diff.mnemonicPrefix", func(r *gitRepo) {
			r.write("app.env", body)
			r.commit("base")
			r.git("config", "diff.mnemonicPrefix", "true")
			r.write("app.env", body+secret)
		}, "", []gitLoc{{"app.env", "", "", 5}}},
		{"diff.interHunkContext", func(r *gitRepo) {
			r.write("app.env", body+secret)
			r.commit("base")
			r.git("config", "diff.interHunkContext", "10")
			r.git("config", "diff.suppressBlankEmpty", "true")
			r.write("app.env", "x\n\n"+body+secret+"\n"+"y\n"+"++ b/\n"+"z\n"+"NEW="+testToken(802)+"\n")
		}, "", []gitLoc{{"app.env", "", "", 12}}},
		{"diff.relative from a subdirectory", func(r *gitRepo) {
			r.write("sub/keep.txt", "x\n")
			r.commit("base")
			r.git("config", "diff.relative", "true")
			r.write("app.env", secret)
		}, "sub", []gitLoc{{"app.env", "", "", 1}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newGitRepo(t)
			tc.stage(r)
			r.git("add", "-A")
			for _, regions := range []bool{false, true} {
				e := testEngine(t)
				src := &StagedSource{GitSource: GitSource{Path: filepath.Join(r.dir, tc.sub)}}
				if regions {
					src.Rules = e.Matcher.Rules()
				}
				res, err := e.Run(context.Background(), src)
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(tc.want, gitLocs(res.Findings)); d != "" {
					t.Errorf("regions %t: findings (-want +got):\n%s", regions, d)
				}
			}
		})
	}
}

func TestHeaderPath(t *testing.T) {
	for in, want := range map[string]string{
		"a/app.env b/app.env":                 "app.env",
		"a/a b c b/a b c":                     "a b c",
		"a/b/x b/b/x":                         "b/x",
		`"a/my \"key\"" "b/my \"key\""`:       `my "key"`,
		`"a/tab\there" "b/tab\there"`:         "tab\there",
		"a/old b/new":                         "",
		"a/x b/xy":                            "",
		"":                                    "",
		`"a/unterminated`:                     "",
		`"a/x" "b/y"`:                         "",
		"a/caf\u00e9.env b/caf\u00e9.env":     "caf\u00e9.env",
		"a/ends in b/ b/ends in b/":           "ends in b/",
		"a/x b/x b/x b/x b/x b/x b/x b/x b/x": "",
	} {
		if got := headerPath(in); got != want {
			t.Errorf("headerPath(%q) = %q, want %q", in, got, want)
		}
	}
}

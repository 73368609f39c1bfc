package scanner

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// StagedSource scans what `git commit` is about to record: the staged
// version of each changed file, reporting only findings that touch an
// added line. Scanning the whole staged file (not just the added lines)
// keeps multi-line secrets and context rules working.
type StagedSource struct {
	GitSource
	added map[string][]lineRange // path → added line ranges
}

type lineRange struct{ from, to int } // inclusive, 1-based

// Kind implements Source.
func (s *StagedSource) Kind() string { return "staged" }

// Chunks implements Source.
func (s *StagedSource) Chunks(ctx context.Context, fn func(Chunk) error) error {
	s.env = hookEnv()
	if err := s.CheckRepo(ctx); err != nil {
		return err
	}
	// --no-textconv: a repository's textconv driver is a program it names
	// (never run), and the hunks must count the blob's own lines, which
	// are what is scanned: a driver that shifted lines hid added ones.
	cmd := s.command(ctx, "diff", "--cached", "-U0", "--full-index", "--no-color", "--no-ext-diff", "--no-textconv", "-M", "--diff-filter=ACMRT")
	s.added = map[string][]lineRange{}
	blobs := map[oid]string{}
	var newID string
	var path string
	err := runLines(cmd, func(line []byte) error {
		switch {
		case bytes.HasPrefix(line, []byte("diff --git ")):
			newID, path = "", ""
		case bytes.HasPrefix(line, []byte("index ")):
			f := strings.Fields(string(line[6:]))
			if len(f) > 0 {
				if i := strings.Index(f[0], ".."); i >= 0 {
					newID = f[0][i+2:]
				}
			}
		case bytes.HasPrefix(line, []byte("+++ ")):
			// git ends a name containing a space with a tab, for patch(1).
			p := strings.TrimSuffix(string(line[4:]), "\t")
			if p == "/dev/null" {
				return nil
			}
			if strings.HasPrefix(p, `"`) {
				if u, err := strconv.Unquote(p); err == nil {
					p = u
				}
			}
			path = strings.TrimPrefix(p, "b/")
			if id, ok := parseOID([]byte(newID)); ok && path != "" {
				blobs[id] = path
			}
		case bytes.HasPrefix(line, []byte("@@ ")) && path != "":
			// "@@ -a[,b] +c[,d] @@"
			f := strings.Fields(string(line))
			if len(f) < 3 || !strings.HasPrefix(f[2], "+") {
				return nil
			}
			start, count := f[2][1:], "1"
			if i := strings.IndexByte(start, ','); i >= 0 {
				start, count = start[:i], start[i+1:]
			}
			a, err1 := strconv.Atoi(start)
			n, err2 := strconv.Atoi(count)
			if err1 != nil || err2 != nil {
				return fmt.Errorf("%w: diff: bad hunk header %q", ErrGit, line)
			}
			if n > 0 {
				s.added[path] = append(s.added[path], lineRange{a, a + n - 1})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.BlobsSeen = len(blobs)
	if len(blobs) == 0 {
		return nil
	}
	missing, err := s.readBlobs(ctx, blobs, nil, fn)
	if err != nil {
		return err
	}
	for _, id := range missing {
		name := hex.EncodeToString(id[:])
		if err := fn(Chunk{Path: blobs[id], Blob: name, Err: fmt.Errorf("%w: %s", ErrMissingObject, name)}); err != nil {
			return err
		}
	}
	return nil
}

// Finish implements Finisher: only findings on added lines are kept.
func (s *StagedSource) Finish(fs []Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		rs := s.added[f.File]
		i := sort.Search(len(rs), func(i int) bool { return rs[i].to >= f.Line })
		for ; i < len(rs) && rs[i].from <= f.EndLine; i++ {
			if rs[i].to >= f.Line {
				f.Commit, f.Blob = "", ""
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// hookEnv keeps the variables git sets for a pre-commit hook that say
// which repository and which index the commit records: `git commit -a`
// and `git commit PATH` stage into a temporary index named by
// GIT_INDEX_FILE. Relative values are made absolute, since git children
// run with -C.
func hookEnv() []string {
	var env []string
	for _, k := range []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"} {
		v := os.Getenv(k)
		if v == "" {
			continue
		}
		if abs, err := filepath.Abs(v); err == nil {
			v = abs
		}
		env = append(env, k+"="+v)
	}
	return env
}

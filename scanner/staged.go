package scanner

import (
	"bytes"
	"context"
	"fmt"
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
	if err := s.CheckRepo(ctx); err != nil {
		return err
	}
	cmd := s.command(ctx, "diff", "--cached", "-U0", "--full-index", "--no-color", "--no-ext-diff", "-M", "--diff-filter=ACMRT")
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
	return s.readBlobs(ctx, blobs, false, fn)
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

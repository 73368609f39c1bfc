package scanner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
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

	// Set by Start: the diff's outcome, ready once done is closed.
	done  chan struct{}
	cat   *stagedBatch
	blobs map[oid]string
	err   error
}

type lineRange struct{ from, to int } // inclusive, 1-based

// Kind implements Source.
func (s *StagedSource) Kind() string { return "staged" }

// Start runs the diff and starts cat-file ahead of Chunks, which then
// waits for them: a pre-commit hook's git children work while the
// command reads its configuration and rules. A caller that calls Start
// must call Chunks or Stop.
func (s *StagedSource) Start(ctx context.Context) {
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		s.cat, s.blobs, s.err = s.diff(ctx)
	}()
}

// Stop ends what Start began, if Chunks has not used it.
func (s *StagedSource) Stop() {
	if s.done == nil {
		return
	}
	<-s.done
	if s.cat != nil {
		s.cat.abort()
		s.cat = nil
	}
}

// Chunks implements Source.
func (s *StagedSource) Chunks(ctx context.Context, fn func(Chunk) error) error {
	if s.done == nil {
		s.Start(ctx)
	}
	<-s.done
	cat, blobs, err := s.cat, s.blobs, s.err
	s.cat = nil
	if err != nil {
		return err
	}
	s.BlobsSeen = len(blobs)
	missing, err := s.readStaged(ctx, cat, blobs, fn)
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

// diff lists the staged changes: the added line ranges (into s.added)
// and the staged blob of each changed path, with cat-file started to
// read them.
func (s *StagedSource) diff(ctx context.Context) (*stagedBatch, map[oid]string, error) {
	s.env = hookEnv()
	if fi, err := os.Stat(s.Path); err != nil || !fi.IsDir() {
		return nil, nil, s.CheckRepo(ctx)
	}
	// A pre-commit hook waits for every git child in turn, so there is no
	// rev-parse up front (a failing diff is explained by CheckRepo after
	// the fact) and cat-file starts beside the diff, its start-up
	// overlapping the diff's; it is asked for the blobs once the diff has
	// named them.
	cat, err := startStagedBatch(s.command(ctx, "cat-file", "--batch"))
	if err != nil {
		return nil, nil, err
	}
	// --no-textconv: a repository's textconv driver is a program it names
	// (never run), and the hunks must count the blob's own lines, which
	// are what is scanned: a driver that shifted lines hid added ones.
	cmd := s.command(ctx, "diff", "--cached", "-U0", "--full-index", "--no-color", "--no-ext-diff", "--no-textconv", "-M", "--diff-filter=ACMRT")
	s.added = map[string][]lineRange{}
	blobs := map[oid]string{}
	var newID string
	var path string
	err = runLines(cmd, func(line []byte) error {
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
		cat.abort()
		if cerr := s.CheckRepo(ctx); cerr != nil {
			return nil, nil, cerr
		}
		return nil, nil, err
	}
	return cat, blobs, nil
}

// stagedBatch is a `git cat-file --batch` started before the blobs it
// is to read are known.
type stagedBatch struct {
	batch
	stdin io.WriteCloser
}

func startStagedBatch(cmd *exec.Cmd) (*stagedBatch, error) {
	b := &stagedBatch{batch: batch{cmd: cmd, writeErr: make(chan error, 1)}}
	var err error
	if b.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = &limitedBuffer{buf: &b.stderr, max: 4096}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrGit, err)
	}
	b.out = bufio.NewReaderSize(stdout, 1<<20)
	return b, nil
}

// abort stops git unasked.
func (b *stagedBatch) abort() {
	b.stdin.Close()
	_ = b.cmd.Process.Kill()
	_ = b.cmd.Wait()
}

// readStaged asks cat for the blobs and delivers their chunks, as
// readBlobs does; it returns the blobs the repository does not hold.
func (s *StagedSource) readStaged(ctx context.Context, cat *stagedBatch, blobs map[oid]string, fn func(Chunk) error) ([]oid, error) {
	reqs := make([]string, 0, len(blobs))
	for id := range blobs {
		reqs = append(reqs, hex.EncodeToString(id[:]))
	}
	sort.Strings(reqs)
	go func() {
		w := bufio.NewWriter(cat.stdin)
		var e error
		for _, r := range reqs {
			if _, e = w.WriteString(r + "\n"); e != nil {
				break
			}
		}
		if e == nil {
			e = w.Flush()
		}
		cat.stdin.Close()
		cat.writeErr <- e
	}()
	size := s.ChunkSize
	if size <= 0 {
		size = DefaultChunkSize
	}
	var buf []byte
	err := readBatch(cat.out, len(reqs), func(obj batchObject, body io.Reader) error {
		path, want := blobs[obj.id]
		if obj.missing || obj.typ != "blob" || !want {
			return nil
		}
		delete(blobs, obj.id)
		return s.emitBlob(ctx, obj.id, path, obj.size, body, size, &buf, fn)
	})
	if err := cat.finish(ctx, err); err != nil {
		return nil, err
	}
	missing := make([]oid, 0, len(blobs))
	for id := range blobs {
		missing = append(missing, id)
	}
	sort.Slice(missing, func(i, j int) bool { return bytes.Compare(missing[i][:], missing[j][:]) < 0 })
	return missing, nil
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

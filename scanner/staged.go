package scanner

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/sprawlsec/sprawl/detectors"
)

// StagedSource scans what `git commit` is about to record: the staged
// version of each changed file, reporting only findings that touch an
// added line. The added lines are matched with the text around them that
// the rules read (keyword windows, context and nearby lines, a PEM block
// they fall inside), so multi-line secrets and context rules work as in
// a scan of the whole file.
type StagedSource struct {
	GitSource
	// Rules are the rules the scan matches with. Given them, only the
	// regions of each staged file that a finding on an added line can
	// depend on are delivered (see stagedRegions): a one-line change to
	// a large file costs the matcher a few kilobytes, not the file.
	// Without them, whole files.
	Rules []*detectors.Rule

	added     map[string][]lineRange // path → added line ranges
	planOnce  sync.Once
	plan      reachPlan
	maxRanges int // tests: see reachPlan.maxRanges

	// Set by Start: the diff's outcome, ready once done is closed.
	done  chan struct{}
	blobs map[oid]string
	err   error

	// For tests: how many staged files were read from the work tree, and
	// whether cat-file was started for the rest.
	fromTree   int
	catStarted bool
}

type lineRange struct{ from, to int } // inclusive, 1-based

// Kind implements Source.
func (s *StagedSource) Kind() string { return "staged" }

// Start runs the diff ahead of Chunks, which then waits for it: a
// pre-commit hook's git child works while the command reads its
// configuration and rules. A caller that calls Start must call Chunks or
// Stop.
func (s *StagedSource) Start(ctx context.Context) {
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		s.blobs, s.err = s.diff(ctx)
	}()
}

// Stop waits for what Start began, if Chunks has not used it.
func (s *StagedSource) Stop() {
	if s.done != nil {
		<-s.done
	}
}

// Chunks implements Source. A staged file is read from the work tree
// when the file there is the staged blob itself (the same git object
// id): a pre-commit hook then starts no git child beyond the diff. The
// rest (a file edited again after `git add`, one git's filters
// converted, one larger than maxRegionBlob) is read from the index by
// `git cat-file`.
func (s *StagedSource) Chunks(ctx context.Context, fn func(Chunk) error) error {
	if s.done == nil {
		s.Start(ctx)
	}
	<-s.done
	blobs, err := s.blobs, s.err
	if err != nil {
		return err
	}
	s.BlobsSeen = len(blobs)
	size := chunkSize(s.ChunkSize)
	ids := make([]oid, 0, len(blobs))
	for id := range blobs {
		ids = append(ids, id)
	}
	sortOIDs(ids)
	if root := s.workTree(); root != nil {
		defer root.Close()
		for _, id := range ids {
			data, ok := s.readWorkTree(root, id, blobs[id])
			if !ok {
				continue
			}
			path := blobs[id]
			delete(blobs, id)
			s.fromTree++
			if err := s.emitData(ctx, id, path, data, size, fn); err != nil {
				return err
			}
		}
	}
	if len(blobs) == 0 {
		return nil
	}
	missing, err := s.readStaged(ctx, blobs, size, fn)
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

// workTree opens the work tree the staged paths are relative to: the
// one git names for a hook (GIT_WORK_TREE), else the scanned directory.
// Nil if it cannot be opened. Files are opened under it with os.Root, so
// a symbolic link in the tree cannot lead a read outside it; what is read
// is used only if it hashes to the staged blob's id, so a file read from
// the wrong place, or changed since it was staged, is never scanned in
// the staged file's stead.
func (s *StagedSource) workTree() *os.Root {
	dir := s.Path
	for _, kv := range s.env {
		if v, ok := strings.CutPrefix(kv, "GIT_WORK_TREE="); ok {
			dir = v
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil
	}
	return root
}

// readWorkTree returns the work tree's copy of a staged file if it is
// a regular file holding exactly blob id.
func (s *StagedSource) readWorkTree(root *os.Root, id oid, path string) ([]byte, bool) {
	// O_NONBLOCK: a FIFO put where the file was must not hold the open.
	f, err := root.OpenFile(filepath.FromSlash(path), os.O_RDONLY|openNonBlock, 0)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > maxRegionBlob ||
		s.MaxFileSize > 0 && fi.Size() > s.MaxFileSize {
		return nil, false
	}
	// One byte more than the size: a file growing as it is read differs
	// from the blob, which the hash then says.
	data := make([]byte, fi.Size()+1)
	n, err := io.ReadFull(f, data)
	if err != io.ErrUnexpectedEOF && err != io.EOF || n != int(fi.Size()) {
		return nil, false
	}
	data = data[:n]
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	if !bytes.Equal(h.Sum(nil), id[:]) {
		return nil, false
	}
	return data, true
}

// diff lists the staged changes: the added line ranges (into s.added)
// and the staged blob of each changed path.
func (s *StagedSource) diff(ctx context.Context) (map[oid]string, error) {
	s.env = hookEnv()
	if fi, err := os.Stat(s.Path); err != nil || !fi.IsDir() {
		return nil, s.CheckRepo(ctx)
	}
	// A pre-commit hook waits for every git child in turn, so there is no
	// rev-parse up front: a failing diff is explained by CheckRepo after
	// the fact.
	// --no-textconv: a repository's textconv driver is a program it names
	// (never run), and the hunks must count the blob's own lines, which
	// are what is scanned: a driver that shifted lines hid added ones.
	// The prefixes, the context between hunks and the whole tree's paths
	// are fixed here, whatever the repository's diff.noprefix,
	// diff.mnemonicPrefix, diff.interHunkContext or diff.relative say.
	cmd := s.command(ctx, "diff", "--cached", "-U0", "--inter-hunk-context=0", "--full-index", "--no-color", "--no-ext-diff", "--no-textconv",
		"--src-prefix=a/", "--dst-prefix=b/", "--no-relative", "-M", "--diff-filter=ACMRT")
	p := stagedDiff{added: map[string][]lineRange{}, blobs: map[oid]string{}}
	err := runLines(cmd, p.line)
	s.added = p.added
	blobs := p.blobs
	if err != nil {
		if cerr := s.CheckRepo(ctx); cerr != nil {
			return nil, cerr
		}
		return nil, err
	}
	return blobs, nil
}

// stagedDiff parses `git diff --cached -U0 --full-index` one line at a
// time: the staged blob of each changed path and its added line ranges.
// A hunk's lines are counted off by its header, never read for a header:
// an added line "++ b/other" is "+++ b/other" in the diff, and once
// renamed the file (to an allowlisted path, or to none) and hid what
// followed it.
type stagedDiff struct {
	added map[string][]lineRange // path → added line ranges
	blobs map[oid]string         // staged blob → path

	newID, path string
	old, new    int // lines of the current hunk still to come
}

func (p *stagedDiff) line(line []byte) error {
	if p.old > 0 || p.new > 0 {
		c := byte(' ') // an empty context line (diff.suppressBlankEmpty)
		if len(line) > 0 {
			c = line[0]
		}
		switch c {
		case '+':
			p.new--
		case '-':
			p.old--
		case ' ':
			p.old--
			p.new--
		case '\\': // "\ No newline at end of file"
		default:
			return fmt.Errorf("%w: diff: line %q inside a hunk", ErrGit, line[:min(len(line), 40)])
		}
		if p.old < 0 || p.new < 0 {
			return fmt.Errorf("%w: diff: hunk longer than its header", ErrGit)
		}
		return nil
	}
	switch {
	case bytes.HasPrefix(line, []byte("diff --git ")):
		p.newID, p.path = "", headerPath(string(line[len("diff --git "):]))
	case bytes.HasPrefix(line, []byte("rename to ")):
		p.path = unquotePath(string(line[len("rename to "):]))
	case bytes.HasPrefix(line, []byte("copy to ")):
		p.path = unquotePath(string(line[len("copy to "):]))
	case bytes.HasPrefix(line, []byte("index ")):
		f := strings.Fields(string(line[6:]))
		if len(f) > 0 {
			if i := strings.Index(f[0], ".."); i >= 0 {
				p.newID = f[0][i+2:]
			}
		}
	case bytes.HasPrefix(line, []byte("+++ ")):
		// git ends a name containing a space with a tab, for patch(1).
		name := strings.TrimSuffix(string(line[4:]), "\t")
		if name == "/dev/null" {
			return nil
		}
		p.path = strings.TrimPrefix(unquotePath(name), "b/")
		p.blob()
	case bytes.HasPrefix(line, []byte("Binary files ")):
		// git tells no lines of a file it takes for binary (a NUL byte,
		// a -diff or binary attribute, core.bigFileThreshold): all of it
		// counts as added, as in a scan of the file.
		if p.path == "" {
			return fmt.Errorf("%w: diff: binary file with no name: %q", ErrGit, line[:min(len(line), 80)])
		}
		p.blob()
		p.added[p.path] = []lineRange{{1, math.MaxInt}}
	case bytes.HasPrefix(line, []byte("@@ ")):
		// "@@ -a[,b] +c[,d] @@"
		f := strings.Fields(string(line))
		if len(f) < 3 || !strings.HasPrefix(f[1], "-") || !strings.HasPrefix(f[2], "+") {
			return fmt.Errorf("%w: diff: bad hunk header %q", ErrGit, line)
		}
		_, oldN, err1 := hunkRange(f[1][1:])
		a, n, err2 := hunkRange(f[2][1:])
		if err1 != nil || err2 != nil {
			return fmt.Errorf("%w: diff: bad hunk header %q", ErrGit, line)
		}
		p.old, p.new = oldN, n
		if n > 0 && p.path != "" {
			p.added[p.path] = append(p.added[p.path], lineRange{a, a + n - 1})
		}
	}
	return nil
}

// blob records the current file's staged blob.
func (p *stagedDiff) blob() {
	if id, ok := parseOID([]byte(p.newID)); ok && p.path != "" {
		p.blobs[id] = p.path
	}
}

// hunkRange parses a hunk header's "start[,count]".
func hunkRange(s string) (start, count int, err error) {
	count = 1
	if a, b, ok := strings.Cut(s, ","); ok {
		s = a
		if count, err = strconv.Atoi(b); err != nil {
			return 0, 0, err
		}
	}
	start, err = strconv.Atoi(s)
	if err != nil || start < 0 || count < 0 {
		return 0, 0, fmt.Errorf("bad range %q", s)
	}
	return start, count, nil
}

// unquotePath undoes git's C-style quoting of a name that holds a
// quote, a backslash or a control character.
func unquotePath(s string) string {
	if strings.HasPrefix(s, `"`) {
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
	}
	return s
}

// headerPath returns the path a "diff --git a/P b/P" header names (its
// text after "diff --git "), "" when the two names differ (a rename or a
// copy, whose "rename to" or "copy to" line names it). git quotes each
// name holding a quote, a backslash or a control character; an unquoted
// pair is split where the two halves name one path.
func headerPath(s string) string {
	if strings.HasPrefix(s, `"`) {
		q, err := strconv.QuotedPrefix(s)
		if err != nil || len(s) <= len(q)+1 {
			return ""
		}
		a, b := unquotePath(q), unquotePath(s[len(q)+1:])
		if strings.TrimPrefix(a, "a/") != strings.TrimPrefix(b, "b/") {
			return ""
		}
		return strings.TrimPrefix(b, "b/")
	}
	if (len(s)-1)%2 != 0 {
		return ""
	}
	a, b := s[:(len(s)-1)/2], s[(len(s)+1)/2:]
	if s[(len(s)-1)/2] != ' ' || !strings.HasPrefix(a, "a/") || !strings.HasPrefix(b, "b/") || a[2:] != b[2:] {
		return ""
	}
	return b[2:]
}

// readStaged reads the blobs from the index with `git cat-file` and
// delivers their chunks; it returns the blobs the repository does not
// hold.
func (s *StagedSource) readStaged(ctx context.Context, blobs map[oid]string, size int, fn func(Chunk) error) ([]oid, error) {
	ids := make([]oid, 0, len(blobs))
	for id := range blobs {
		ids = append(ids, id)
	}
	sortOIDs(ids)
	reqs := make([]string, len(ids))
	for i, id := range ids {
		reqs[i] = hex.EncodeToString(id[:])
	}
	s.catStarted = true
	b, err := startBatch(s.command(ctx, "cat-file", "--batch"), reqs)
	if err != nil {
		return nil, err
	}
	err = readBatch(b.out, len(reqs), func(obj batchObject, body io.Reader) error {
		path, want := blobs[obj.id]
		if obj.missing || obj.typ != "blob" || !want {
			return nil
		}
		delete(blobs, obj.id)
		if s.Rules == nil || s.MaxFileSize > 0 && obj.size > s.MaxFileSize || binaryExt(path) || obj.size > maxRegionBlob {
			return s.emitBlob(ctx, obj.id, path, obj.size, body, size, fn)
		}
		data := make([]byte, obj.size)
		if _, err := io.ReadFull(body, data); err != nil {
			return fn(Chunk{Path: path, Blob: hex.EncodeToString(obj.id[:]), Err: err})
		}
		return s.emitData(ctx, obj.id, path, data, size, fn)
	})
	if err := b.finish(ctx, err); err != nil {
		return nil, err
	}
	missing := make([]oid, 0, len(blobs))
	for id := range blobs {
		missing = append(missing, id)
	}
	sortOIDs(missing)
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

// maxRegionBlob is the largest staged file read whole to choose the
// regions to match; a larger one is streamed and matched whole.
const maxRegionBlob = 64 << 20

// emitData delivers one staged file, read whole: without rules, or when
// it cannot be cut at its lines (UTF-16, binary), or when its regions
// cover it, whole, as emitBlob sends it; else the regions of it that
// findings on its added lines can depend on (see reachPlan.regions), as
// chunks that carry their own first line and offset, so that findings
// are located as in the whole file.
func (s *StagedSource) emitData(ctx context.Context, id oid, path string, data []byte, chunkSize int, fn func(Chunk) error) error {
	size := int64(len(data))
	if s.Rules == nil || s.MaxFileSize > 0 && size > s.MaxFileSize || binaryExt(path) ||
		len(data) == 0 || sniffEncoding(data[:min(len(data), sniffLen)]) != "" {
		return s.emitBlob(ctx, id, path, size, bytes.NewReader(data), chunkSize, fn)
	}
	blob := hex.EncodeToString(id[:])
	spans := s.reach().regions(data, s.added[path])
	if len(spans) == 1 && spans[0].start == 0 && spans[0].end == len(data) {
		return s.emitBlob(ctx, id, path, size, bytes.NewReader(data), chunkSize, fn)
	}
	if len(spans) == 0 || spans[0].start > 0 {
		// An empty chunk at offset 0 counts the file as scanned, as its
		// first chunk would.
		if err := fn(Chunk{Data: data[:0], Path: path, Blob: blob}); err != nil {
			return err
		}
	}
	line, at := 1, 0
	for _, sp := range spans {
		line += bytes.Count(data[at:sp.start], []byte{'\n'})
		at = sp.start
		// A region longer than a chunk is cut as ChunkReader cuts a
		// stream: each chunk overlaps the next by ChunkOverlap.
		for at < sp.end {
			if err := ctx.Err(); err != nil {
				return err
			}
			end := min(sp.end, at+chunkSize+ChunkOverlap)
			c := Chunk{Data: data[at:end], Path: path, Line: line, Offset: int64(at), Blob: blob}
			owned := end - at
			if end < sp.end {
				owned, c.Owned = chunkSize, chunkSize
			}
			if err := fn(c); err != nil {
				return err
			}
			line += bytes.Count(data[at:at+owned], []byte{'\n'})
			at += owned
		}
	}
	return nil
}

// span is the byte range [start, end) of a file.
type span struct{ start, end int }

// reachPlan says how far around an added line the rules of a scan read
// (see detectors.Rule.Reach), by keyword: a rule's pattern runs only on
// windows around its keywords, so a finding on an added line needs a
// keyword of its rule within the rule's window of that line.
type reachPlan struct {
	keys []keyReach
	// reach is how far beyond an added range keywords are looked for:
	// the widest window plus the longest keyword.
	reach int
	// maxRanges is maxRanges, or what a test sets.
	maxRanges int
	// far and farLines bound every keyword's reach: bytes beyond an
	// added range to a window's far end plus the filters' bytes, and
	// context lines beyond those.
	far, farLines int
}

// keyReach is a keyword (lower-cased, as the matcher folds it) and the
// reach of a rule it triggers. inner bounds how far inside an added range
// a hit can still need text outside it: its window, widened to lines the
// way the matcher does (at most detectors.LineStretch bytes each), the
// filters' bytes and the context lines.
type keyReach struct {
	kw    []byte
	reach detectors.Reach
	inner int
}

func (s *StagedSource) reach() *reachPlan {
	s.planOnce.Do(func() {
		s.plan = newReachPlan(s.Rules)
		s.plan.maxRanges = cmp.Or(s.maxRanges, maxRanges)
	})
	return &s.plan
}

func newReachPlan(rules []*detectors.Rule) reachPlan {
	n := 0
	for _, r := range rules {
		n += len(r.Keywords)
	}
	// A keyword several rules share is looked for once per rule: cheaper
	// than merging them in a map, which a pre-commit hook pays for.
	p := reachPlan{keys: make([]keyReach, 0, n)}
	for _, r := range rules {
		rc := r.Reach()
		for _, k := range r.Keywords {
			if k = strings.ToLower(k); k != "" {
				inner := rc.Window + max(rc.Bytes, detectors.DefaultWindow) + (rc.Lines+3)*detectors.LineStretch + len(k)
				p.keys = append(p.keys, keyReach{kw: []byte(k), reach: rc, inner: inner})
				p.reach = max(p.reach, rc.Window+len(k))
				p.far = max(p.far, 2*rc.Window+len(k)+max(rc.Bytes, detectors.DefaultWindow))
				p.farLines = max(p.farLines, rc.Lines)
			}
		}
	}
	return p
}

// regions returns the spans of data, whole lines, merged and in order,
// that the findings touching the added line ranges depend on: the added
// lines, every keyword window of every rule that can reach them, and
// around those windows the lines and bytes the rules' context, nearby
// and filters read, plus a default window more, so that a pattern's run
// over a window cut at the region's edge cannot differ where it matters.
// What the decoders find on an added line is matched with the other
// decoded strings of the regions, not of the whole file: a decoded
// secret whose plain form sits elsewhere in the file, which a whole-file
// scan leaves to that plain match, is reported on the added line.
func (p *reachPlan) regions(data []byte, added []lineRange) []span {
	if len(added) == 0 || len(data) == 0 {
		return nil
	}
	starts := []int{0} // starts[i] is the offset of line i+1
	for i := 0; ; {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 || i+j+1 >= len(data) {
			break
		}
		i += j + 1
		starts = append(starts, i)
	}
	var ranges []span
	for _, r := range added {
		if r.from < 1 || r.from > len(starts) {
			continue
		}
		a, b := starts[r.from-1], len(data)
		if r.to < len(starts) {
			b = starts[r.to]
		}
		// A JSON string goes on past a newline its backslash escapes:
		// the decoders read it whole.
		for a > 1 && data[a-2] == '\\' {
			a = fullLineStart(data, a-1)
		}
		for b > 1 && b < len(data) && data[b-2] == '\\' {
			b = fullLineEnd(data, b)
		}
		if a == 0 && b == len(data) {
			return []span{{0, len(data)}} // a new file
		}
		ranges = append(ranges, span{a, b})
	}
	if len(ranges) == 0 {
		return nil
	}
	// Ranges close together are looked at as one, with the lines between
	// taken as added: a wider region is always safe (only findings on
	// added lines are kept), and many small edits cost one keyword
	// search, not one each.
	sort.Slice(ranges, func(i, j int) bool { return ranges[i].start < ranges[j].start })
	joined := ranges[:1]
	for _, r := range ranges[1:] {
		if last := &joined[len(joined)-1]; r.start-last.end <= joinGap {
			last.end = max(last.end, r.end)
			continue
		}
		joined = append(joined, r)
	}
	ranges = joined
	if len(ranges) > p.maxRanges {
		// Many edits across a file: planning their regions would cost
		// more than matching the file.
		return []span{{0, len(data)}}
	}
	// The text keywords are looked for in, ASCII letters lower-cased as
	// the matcher folds them: once for all ranges.
	base, end := len(data), 0
	for _, r := range ranges {
		base, end = min(base, r.start), max(end, r.end)
	}
	base, end = max(base-p.reach, 0), min(end+p.reach, len(data))
	low := bytes.Clone(data[base:end])
	for i, c := range low {
		if 'A' <= c && c <= 'Z' {
			low[i] = c + 'a' - 'A'
		}
	}
	// Keywords with wide windows are looked for once in the whole text:
	// each range would search as much again.
	wide := make([][]int, len(p.keys))
	for i, k := range p.keys {
		if k.reach.Window <= detectors.DefaultWindow || len(ranges) == 1 {
			continue
		}
		pos := []int{}
		for off := 0; ; {
			j := bytes.Index(low[off:], k.kw)
			if j < 0 {
				break
			}
			pos = append(pos, base+off+j)
			off += j + 1
		}
		wide[i] = pos
	}
	out := make([]span, 0, len(ranges))
	for _, r := range ranges {
		out = append(out, p.around(data, r.start, r.end, low, base, wide))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].start < out[j].start })
	merged := out[:0]
	for _, sp := range out {
		if n := len(merged); n > 0 && sp.start <= merged[n-1].end {
			merged[n-1].end = max(merged[n-1].end, sp.end)
			continue
		}
		merged = append(merged, sp)
	}
	return merged
}

// joinGap is how close added ranges are looked at as one; beyond
// maxRanges separate ranges, a file is matched whole.
const (
	joinGap   = 4 * detectors.DefaultWindow
	maxRanges = 32
	// longRange is the longest range whose edges are searched for
	// keywords.
	longRange = 16 * detectors.DefaultWindow
)

// around returns the region of data the findings touching [a, b) (whole
// lines) depend on. low is data[base:…] lower-cased, reaching p.reach
// beyond [a, b); wide[i], if not nil, holds the offsets of p.keys[i]'s
// occurrences in it.
func (p *reachPlan) around(data []byte, a, b int, low []byte, base int, wide [][]int) span {
	lo, hi := a, b
	if b-a > longRange {
		// A long range is widened by the widest reach of any keyword,
		// without looking for them: searching its edges would cost more
		// than matching the extra text.
		lo = linesBack(data, fullLineStart(data, a-p.far), p.farLines+2)
		hi = linesFwd(data, fullLineEnd(data, b+p.far), p.farLines+2)
		return span{lo, hi}
	}
	for i := range p.keys {
		// A hit whose window reaches [a, b) ends at most Window bytes
		// before a or starts at most Window after b; the match lies in
		// its window, Window more beyond the hit, widened to lines. The
		// filters read rc.Bytes around the match, context rc.Lines lines
		// (counted from the match's own line: one more). Only the first
		// hit near a and the last near b can widen [a, b); in a long
		// range, hits more than inner bytes inside it cannot.
		k := &p.keys[i]
		rc, n := k.reach, len(k.kw)
		w, pad := rc.Window, max(rc.Bytes, detectors.DefaultWindow)
		if a > 0 {
			from, to := max(a-w-n, base), min(b+w+n, a+k.inner, base+len(low))
			if h := firstHit(k.kw, low, base, wide[i], from, to); h >= 0 {
				lo = min(lo, linesBack(data, fullLineStart(data, h-w-pad), rc.Lines+2))
			}
		}
		if b < len(data) {
			from, to := max(a-w-n, b-k.inner, base), min(b+w+n, base+len(low))
			if h := lastHit(k.kw, low, base, wide[i], from, to); h >= 0 {
				hi = max(hi, linesFwd(data, fullLineEnd(data, h+n+w+pad), rc.Lines+2))
			}
		}
	}
	return span{max(lo, 0), min(hi, len(data))}
}

// firstHit returns the offset of kw's first occurrence wholly inside
// [from, to), from pos (its sorted offsets) if not nil, else by looking in
// low (data[base:…] lower-cased); -1 if none.
func firstHit(kw, low []byte, base int, pos []int, from, to int) int {
	if from >= to {
		return -1
	}
	if pos != nil {
		i := sort.SearchInts(pos, from)
		if i < len(pos) && pos[i]+len(kw) <= to {
			return pos[i]
		}
		return -1
	}
	if j := bytes.Index(low[from-base:to-base], kw); j >= 0 {
		return from + j
	}
	return -1
}

// lastHit is firstHit's twin: the last occurrence.
func lastHit(kw, low []byte, base int, pos []int, from, to int) int {
	if from >= to {
		return -1
	}
	if pos != nil {
		i := sort.SearchInts(pos, to-len(kw)+1) - 1
		if i >= 0 && pos[i] >= from {
			return pos[i]
		}
		return -1
	}
	if j := bytes.LastIndex(low[from-base:to-base], kw); j >= 0 {
		return from + j
	}
	return -1
}

// fullLineStart returns the start of the line holding off (clamped to
// data).
func fullLineStart(data []byte, off int) int {
	if off <= 0 {
		return 0
	}
	off = min(off, len(data))
	return bytes.LastIndexByte(data[:off], '\n') + 1
}

// fullLineEnd returns the end of the line holding off, past its newline
// (clamped to data).
func fullLineEnd(data []byte, off int) int {
	if off >= len(data) {
		return len(data)
	}
	off = max(off, 0)
	if i := bytes.IndexByte(data[off:], '\n'); i >= 0 {
		return off + i + 1
	}
	return len(data)
}

// linesBack returns the start of the line n lines above the one starting
// at off.
func linesBack(data []byte, off, n int) int {
	for i := 0; i < n && off > 0; i++ {
		off = fullLineStart(data, off-1)
	}
	return off
}

// linesFwd returns the end of the line n lines below the one ending at
// off (just past its newline).
func linesFwd(data []byte, off, n int) int {
	for i := 0; i < n && off < len(data); i++ {
		off = fullLineEnd(data, off)
	}
	return off
}

// Bulk implements Bulker: a staged change is a small scan, whose rules
// are better served by Go's regexp first (a pre-commit hook's time is
// mostly RE2 compilations otherwise).
func (s *StagedSource) Bulk() bool { return false }

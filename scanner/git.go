package scanner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sprawlsec/sprawl/internal/boundedbuf"
)

// Errors from git sources.
var (
	ErrNotRepo = errors.New("not a git repository")
	ErrGit     = errors.New("git failed")
)

// GitSource scans a repository's history. Each blob reachable from the
// selected refs is read once (one `git cat-file` stream) and scanned once;
// a finding is attributed to the commit and path that first introduced
// the blob, found by one `git log --raw` pass that reads no contents.
type GitSource struct {
	// Path is a work tree or a bare repository.
	Path string
	// Refs narrows the history to these revisions (default: every ref,
	// `--all`: branches, tags, remote-tracking refs, refs/pull/*, …).
	Refs []string
	// Since scans only what commits reachable from Refs but not from
	// Since introduced; Range ("A..B") does the same for an explicit
	// range. At most one may be set.
	Since, Range string
	// After, when set, scans only what the commits of Refs (default every
	// ref) committed after it introduced; it excludes Since and Range.
	After time.Time
	// MaxFileSize skips larger blobs (0: no limit).
	MaxFileSize int64
	// ChunkSize overrides DefaultChunkSize.
	ChunkSize int
	// Git is the git binary (default "git").
	Git string
	// AllowForeignStorage scans a repository whose git directory, common
	// directory or object alternates lie in another repository that does
	// not name it back (a clone made with --shared or --reference, a
	// hand-written .git file); see ErrForeignStorage.
	AllowForeignStorage bool

	// env is added to every git child's minimal environment.
	env []string
	// checked is set once CheckRepo has found a repository, whose pack
	// directory (objects/pack, absolute) is packDir.
	checked bool
	packDir string
	// shallow is set by CheckRepo for a shallow clone (see Shallow).
	shallow bool
	// messages counts the commit messages scanned.
	messages int

	// Filled in by Chunks.
	mu      sync.Mutex
	commits []commitInfo
	intro   map[oid][]introduction
	// links holds the symbolic links' blobs the log pass met (a
	// target is a blob like any other), with a path of each.
	links     map[oid]string
	interned  interner
	BlobsSeen int // distinct blobs selected for scanning
}

type oid [20]byte

type commitInfo struct {
	hash, author, email, subject string
	date                         time.Time
}

type introduction struct {
	commit int // index into commits, in topological order (oldest first)
	path   string
}

// Kind implements Source.
func (g *GitSource) Kind() string { return "git" }

// Selected returns how many distinct blobs the last Chunks call selected:
// for a full scan, every blob `git rev-list --objects` lists.
func (g *GitSource) Selected() int { return g.BlobsSeen }

// Root implements Source.
func (g *GitSource) Root() string { return g.Path }

// RepeatsContent implements Repeater: a file's versions share most of
// their lines.
func (g *GitSource) RepeatsContent() bool { return true }

// Bulk implements Bulker: a full history is a large scan; --since,
// --range and a date (a gate's few commits) need not be.
func (g *GitSource) Bulk() bool { return g.Since == "" && g.Range == "" && g.After.IsZero() }

func (g *GitSource) git() string {
	if g.Git != "" {
		return g.Git
	}
	return "git"
}

// command builds a hardened git command in the repository (GitCommand),
// with git's memory for packs capped (historyMemory).
func (g *GitSource) command(ctx context.Context, args ...string) *exec.Cmd {
	return g.commandMem(ctx, historyMemory, args...)
}

// commandMem is command with mem in place of historyMemory.
func (g *GitSource) commandMem(ctx context.Context, mem []string, args ...string) *exec.Cmd {
	cmd := GitCommand(ctx, g.git(), g.Path, append(mem[:len(mem):len(mem)], args...)...)
	cmd.Env = append(cmd.Env, g.env...)
	return cmd
}

// CheckRepo reports whether Path is a git repository. Once it has said
// so, it does not ask git again.
func (g *GitSource) CheckRepo(ctx context.Context) error {
	if g.checked {
		return nil
	}
	if fi, err := os.Stat(g.Path); err != nil || !fi.IsDir() {
		return fmt.Errorf("%s: %w", g.Path, ErrNotRepo)
	}
	// The pack directory comes with the answer, for packOrder and
	// streamable, and where the repository keeps its storage, for
	// checkStorage.
	out, err := g.command(ctx, "rev-parse", "--absolute-git-dir", "--path-format=absolute", "--git-common-dir", "--git-path", "objects/pack").CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if _, lerr := exec.LookPath(g.git()); lerr != nil {
			return fmt.Errorf("%w: %v", ErrGit, lerr)
		}
		return fmt.Errorf("%s: %w (%s)", g.Path, ErrNotRepo, boundedbuf.FirstLine(out))
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 3 {
		return fmt.Errorf("%w: rev-parse: unexpected answer %q", ErrGit, boundedbuf.FirstLine(out))
	}
	if !g.AllowForeignStorage {
		if err := checkStorage(g.Path, lines[0], lines[1]); err != nil {
			return err
		}
	}
	g.packDir = lines[2]
	// A shallow clone lists its cut commits in the common directory's
	// "shallow" file; git reads the history as ending there.
	if fi, err := os.Stat(filepath.Join(lines[1], "shallow")); err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
		g.shallow = true
	}
	g.checked = true
	return nil
}

// Shallow reports whether a scan of the whole history (no --since,
// --range or date) met a shallow clone (`git clone --depth`, the default
// checkout of most CI systems): git, and so the scan, sees no commit
// before the clone's cut, and a secret committed there and removed since
// is not found. A scan of a range is not affected unless the range
// reaches past the cut, which git reports itself. It is known once the
// repository is checked (a scan has started).
func (g *GitSource) Shallow() bool {
	return g.shallow && g.Since == "" && g.Range == "" && g.After.IsZero()
}

func (g *GitSource) revArgs() ([]string, error) {
	if g.Since != "" && g.Range != "" || !g.After.IsZero() && (g.Since != "" || g.Range != "") {
		return nil, errors.New("--since and --range exclude each other")
	}
	switch {
	case !g.After.IsZero():
		refs := g.Refs
		if len(refs) == 0 {
			refs = []string{"--all"}
		}
		// git log marks commits older than --since uninteresting, and
		// with them their ancestors.
		return append(append([]string{}, refs...), g.afterArg()), nil
	case g.Range != "":
		return []string{g.Range}, nil
	case g.Since != "":
		refs := g.Refs
		if len(refs) == 0 {
			refs = []string{"HEAD"}
		}
		return append(append([]string{}, refs...), "^"+g.Since), nil
	case len(g.Refs) > 0:
		return g.Refs, nil
	}
	return []string{"--all"}, nil
}

// afterArg is the git log option that selects the commits After asks
// for, or "" when it is not set.
func (g *GitSource) afterArg() string {
	if g.After.IsZero() {
		return ""
	}
	return "--since=" + g.After.UTC().Format(time.RFC3339)
}

// historyMemory caps what a git child reading a long history keeps
// resident: the pack windows it maps (default: up to 8 GiB of a 64-bit
// machine's address space, all of it counted as the child's resident
// memory once read) and the delta bases it caches (default 96 MiB).
// Reading in pack order (packOrder), small windows serve well.
var historyMemory = []string{
	"-c", "core.packedGitWindowSize=8m",
	"-c", "core.packedGitLimit=16m",
	"-c", "core.deltaBaseCacheLimit=8m",
}

// logMemory is historyMemory for the log pass, which reads trees in
// commit order, all over the pack: under the same limit, windows of 1 MiB
// rather than 8 MiB map far less that is never read (on the generated
// 3,000-commit history, whose 20 MiB pack exceeds the limit: 0.35 s of
// CPU against 1.1 s).
var logMemory = []string{
	"-c", "core.packedGitWindowSize=1m",
	"-c", "core.packedGitLimit=16m",
	"-c", "core.deltaBaseCacheLimit=8m",
}

// Chunks implements Source.
func (g *GitSource) Chunks(ctx context.Context, fn func(Chunk) error) error {
	if err := g.CheckRepo(ctx); err != nil {
		return err
	}
	revs, err := g.revArgs()
	if err != nil {
		return err
	}
	// Verify revisions first, so a typo is a clear error, not an empty scan.
	var check []string
	for _, r := range revs {
		r = strings.TrimPrefix(r, "^")
		if r == "--all" || r == g.afterArg() {
			continue
		}
		for _, one := range strings.Split(r, "..") {
			if one != "" {
				check = append(check, one)
			}
		}
	}
	if err := g.verifyRevs(ctx, check); err != nil {
		return err
	}
	incremental := g.Since != "" || g.Range != "" || !g.After.IsZero()
	g.messages = 0
	g.interned = nil
	defer func() { g.interned = nil }() // what was interned stays where it is used

	if incremental {
		// The blobs to read are the ones the range's commits introduced,
		// which only the log pass knows.
		if err := g.readLog(ctx, revs, nil); err != nil {
			return err
		}
		blobs := map[oid]string{}
		for id, in := range g.intro {
			blobs[id] = in[0].path
		}
		// A link the range added is read too, as a full scan reads it:
		// a secret written as a link's target once passed a gate.
		for id, path := range g.links {
			if _, ok := blobs[id]; !ok {
				blobs[id] = path
			}
		}
		// A partial clone's cat-file would stop at the first blob it was
		// promised but lacks (git before 2.44 cannot be told not to
		// fetch it), so the range's absent objects are listed first,
		// without fetching, and not asked for.
		var absent []oid
		if g.partialClone(ctx) {
			if _, _, absent, err = g.reachableBlobs(ctx, revs, g.names()); err != nil {
				return err
			}
			for _, id := range absent {
				delete(blobs, id)
			}
		}
		g.BlobsSeen = len(blobs) + len(absent)
		if len(blobs) == 0 {
			if err := g.readMessages(ctx, fn); err != nil {
				return err
			}
			return g.reportMissing(nil, absent, fn)
		}
		missing, err := g.readBlobs(ctx, blobs, nil, fn)
		if err != nil {
			return err
		}
		if err := g.readMessages(ctx, fn); err != nil {
			return err
		}
		return g.reportMissing(missing, absent, fn)
	}

	// A small repository whose packs are small enough to stream is read
	// in one tree walk where it can be (overlapped, streamable). Past
	// either bound, a log pass that meets every blob lists them itself
	// (logListed): on a 20,000-commit history of 118 MiB of packs, 10.4 s
	// against 13.6 s with a rev-list listing beside it, and half the CPU.
	small := g.smallRepo(ctx)
	if total, ok := g.packBytes(); small && ok && total <= streamPackMax {
		return g.overlapped(ctx, revs, fn)
	}
	if g.logMeetsAll(ctx, revs) {
		return g.logListed(ctx, revs, fn)
	}
	if small {
		return g.overlapped(ctx, revs, fn)
	}
	// Full history: list the reachable blobs, then stream their contents
	// while the log pass that attributes them runs beside; Finish applies
	// the attribution once both are done.
	blobs, order, absent, err := g.reachableBlobs(ctx, revs, g.names())
	if err != nil {
		return err
	}
	g.BlobsSeen = len(blobs) + len(absent)
	var missing []oid
	read := func(ctx context.Context) error {
		if len(blobs) == 0 {
			return nil
		}
		var err error
		o := g.packOrder(ctx, order)
		order = nil // readBlobs lets go of it once its requests are made
		missing, err = g.readBlobs(ctx, blobs, o, fn)
		return err
	}
	if len(order) > sequentialBlobs {
		// A long history's log child holds every commit (--topo-order)
		// while cat-file holds its pack windows and index: one after the
		// other, the scan's memory is the larger of the two, not their
		// sum.
		if err := g.readLog(ctx, revs, nil); err != nil {
			return err
		}
		if err := read(ctx); err != nil {
			return err
		}
	} else {
		eg, ectx := errgroup.WithContext(ctx)
		eg.Go(func() error { return g.readLog(ectx, revs, nil) })
		eg.Go(func() error { return read(ectx) })
		if err := eg.Wait(); err != nil {
			return err
		}
	}
	if err := g.readMessages(ctx, fn); err != nil {
		return err
	}
	return g.reportMissing(missing, absent, fn)
}

// logListed scans a history too large for one streamed tree walk whose
// log pass meets every blob (logMeetsAll) without a rev-list listing: the log pass, which
// attributes the blobs, lists them as it goes, then cat-file reads them
// in pack order. A rev-list listing walks every commit's trees as the log
// pass does; on a 100,000-commit history each walk takes about 70 s, and
// rev-list holds some 190 MB while it runs. One after the other, as in
// the listed path for long histories (sequentialBlobs): the log child
// holds every commit (--topo-order) and cat-file its pack windows.
func (g *GitSource) logListed(ctx context.Context, revs []string, fn func(Chunk) error) error {
	blobs := map[oid]string{}
	var order []oid
	err := g.readLog(ctx, revs, func(id oid, path string) {
		if _, ok := blobs[id]; !ok { // a symbolic link's target may recur
			blobs[id] = path
			order = append(order, id)
		}
	})
	if err != nil {
		return err
	}
	g.BlobsSeen = len(blobs)
	var missing []oid
	if len(order) > 0 {
		o := g.packOrder(ctx, order)
		order = nil
		if missing, err = g.readBlobs(ctx, blobs, o, fn); err != nil {
			return err
		}
	}
	if err := g.readMessages(ctx, fn); err != nil {
		return err
	}
	return g.reportMissing(missing, nil, fn)
}

// sequentialBlobs is the history size beyond which the log pass and the
// blob stream run one after the other rather than side by side.
const sequentialBlobs = 50000

// overlapObjects is the number of objects (loose and packed) up to which
// a full-history scan runs every git pass as early as it can (see
// overlapped): below it, git children side by side cost less memory
// than one child of a long history alone.
var overlapObjects = 150000 // a variable for tests

// smallRepo reports whether the repository holds at most overlapObjects
// objects, counted by `git count-objects` (which reads the pack indexes'
// headers, not the objects). One that borrows objects from elsewhere
// (alternates, which count-objects does not count) is not known to be
// small.
func (g *GitSource) smallRepo(ctx context.Context) bool {
	out, err := g.command(ctx, "count-objects", "-v").Output()
	if err != nil {
		return false
	}
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		name, value, _ := strings.Cut(line, ": ")
		if name == "alternate" {
			return false
		}
		if name == "count" || name == "in-pack" {
			v, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil {
				return false
			}
			n += v
		}
	}
	return n <= overlapObjects
}

// overlapped scans a small repository's full history with every git pass
// started as soon as what it needs is known: the log pass (then the
// commit messages, which need its list of commits) feeding the blob
// stream itself where streamable allows, else beside the blob listing
// (then the blob stream, in pack order). fn is called from this
// goroutine only, one chunk at a time, whichever pass produced it.
func (g *GitSource) overlapped(ctx context.Context, revs []string, fn func(Chunk) error) error {
	type call struct {
		c     Chunk
		reply chan error
	}
	calls := make(chan call)
	eg, ectx := errgroup.WithContext(ctx)
	// send hands a chunk to fn through this goroutine and waits for its
	// answer: the pass's buffer stays its own until fn has returned.
	send := func() func(Chunk) error {
		reply := make(chan error, 1)
		return func(c Chunk) error {
			select {
			case calls <- call{c, reply}:
			case <-ectx.Done():
				return ectx.Err()
			}
			return <-reply
		}
	}
	var missing, absent []oid
	// The log pass starts first: it walks every commit before it meets
	// a blob (--topo-order), time enough to learn whether its blobs can
	// be streamed (streamable). Until then it keeps what it meets.
	q := newBlobStream(g)
	tipDone := make(chan struct{})
	eg.Go(func() error {
		err := g.readLog(ectx, revs, q.ask)
		<-tipDone
		q.close()
		if err != nil {
			return err
		}
		return g.readMessages(ectx, send())
	})
	if mem := g.streamable(ectx, revs); mem != nil && q.start(ectx, mem) == nil {
		// One tree walk: the log pass asks cat-file for each blob as it
		// meets it, and the blobs are scanned while it goes on;
		// meanwhile the tip's tree, listed in milliseconds, is read and
		// scanned.
		go func() {
			defer close(tipDone)
			g.askTip(ectx, revs, q)
		}()
		eg.Go(func() error {
			var err error
			missing, err = q.read(ectx, send())
			return err
		})
	} else {
		q.drop()
		close(tipDone)
		eg.Go(func() error {
			// Its own interner: the log pass uses the shared one meanwhile.
			blobs, order, abs, err := g.reachableBlobs(ectx, revs, interner{})
			if err != nil {
				return err
			}
			absent = abs
			g.BlobsSeen = len(blobs) + len(absent)
			if len(blobs) == 0 {
				return nil
			}
			missing, err = g.readBlobs(ectx, blobs, g.packOrder(ectx, order), send())
			return err
		})
	}
	waited := make(chan error, 1)
	go func() {
		waited <- eg.Wait()
		close(calls)
	}()
	var ferr error
	for c := range calls {
		if ferr == nil {
			ferr = fn(c.c)
		}
		c.reply <- ferr
	}
	if err := <-waited; err != nil {
		return err
	}
	if ferr != nil {
		return ferr
	}
	return g.reportMissing(missing, absent, fn)
}

// partialClone reports whether the repository was cloned with a filter
// (it has a promisor remote that objects may be missing for).
func (g *GitSource) partialClone(ctx context.Context) bool {
	out, err := g.command(ctx, "config", "--get-regexp", `^(extensions\.partialclone|remote\..*\.promisor)$`).Output()
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(out), "\n") {
		name, value, _ := strings.Cut(line, " ")
		if name == "extensions.partialclone" && value != "" || strings.HasSuffix(name, ".promisor") && value == "true" {
			return true
		}
	}
	return false
}

// reportMissing delivers each object the history names but the
// repository lacks as an unreadable item, at the first path the log pass
// saw it at: the scan goes on, and its summary and exit code say it is
// incomplete. absent are objects rev-list reported missing (a blob, or a
// tree whose files could not be listed).
func (g *GitSource) reportMissing(blobs, absent []oid, fn func(Chunk) error) error {
	for _, id := range append(blobs, absent...) {
		path := "(unknown path)"
		if ins := g.intro[id]; len(ins) > 0 {
			path = ins[0].path
		}
		name := hex.EncodeToString(id[:])
		err := fn(Chunk{Path: path, Blob: name, Err: fmt.Errorf("%w: %s", ErrMissingObject, name)})
		if err != nil {
			return err
		}
	}
	return nil
}

// verifyRevs checks that each revision names a commit. A few are checked
// one rev-parse each; many (an incremental org scan excludes every ref's
// old tip, and GitHub mirrors carry a ref per pull request) share one
// cat-file process.
func (g *GitSource) verifyRevs(ctx context.Context, revs []string) error {
	if len(revs) <= 4 {
		for _, one := range revs {
			if out, err := g.command(ctx, "rev-parse", "--verify", "--quiet", one+"^{commit}").CombinedOutput(); err != nil {
				return fmt.Errorf("%w: unknown revision %q %s", ErrGit, one, boundedbuf.FirstLine(out))
			}
		}
		return nil
	}
	var in strings.Builder
	for _, one := range revs {
		if strings.ContainsAny(one, "\n\r") {
			return fmt.Errorf("%w: unknown revision %q", ErrGit, one)
		}
		in.WriteString(one + "^{commit}\n")
	}
	cmd := g.command(ctx, "cat-file", "--batch-check=%(objecttype)")
	cmd.Stdin = strings.NewReader(in.String())
	i := 0
	err := runLines(cmd, func(line []byte) error {
		if i < len(revs) && string(line) != "commit" {
			return fmt.Errorf("%w: unknown revision %q", ErrGit, revs[i])
		}
		i++
		return nil
	})
	if err == nil && i != len(revs) {
		err = fmt.Errorf("%w: cat-file checked %d of %d revisions", ErrGit, i, len(revs))
	}
	return err
}

// reachableBlobs lists every blob reachable from revs, with one path
// each, in the order rev-list met them (which is close to the order a
// packed repository stores them in), and the objects the history names
// that the repository lacks.
func (g *GitSource) reachableBlobs(ctx context.Context, revs []string, names interner) (map[oid]string, []oid, []oid, error) {
	// --missing=print lists an absent object ("?<id>") instead of failing
	// the whole listing on it.
	cmd := g.command(ctx, append([]string{"rev-list", "--objects", "--filter=object:type=blob", "--missing=print"}, revs...)...)
	blobs := map[oid]string{}
	var order, absent []oid
	err := runLines(cmd, func(line []byte) error {
		if len(line) > 0 && line[0] == '?' {
			id, ok := parseOID(line[1:])
			if !ok {
				return fmt.Errorf("%w: rev-list: unexpected line %q", ErrGit, line)
			}
			absent = append(absent, id)
			return nil
		}
		sp := bytes.IndexByte(line, ' ')
		if sp < 0 {
			return nil // a commit
		}
		id, ok := parseOID(line[:sp])
		if !ok {
			return fmt.Errorf("%w: rev-list: unexpected line %q", ErrGit, line)
		}
		if _, seen := blobs[id]; !seen {
			blobs[id] = names.internBytes(line[sp+1:])
			order = append(order, id)
		}
		return nil
	})
	return blobs, order, absent, err
}

// readLog records, for every blob the selected commits introduce, which
// commits and paths introduced it, oldest first.
// newBlob, when not nil, is called with each blob (symbolic links'
// included) the first time the pass meets it, and the path it met it
// at, from this goroutine, as the pass goes: the blob stream can start on
// it before the pass is done (see streamed).
func (g *GitSource) readLog(ctx context.Context, revs []string, newBlob func(oid, string)) error {
	// -c: a merge lists only the paths whose result differs from every
	// parent (a conflict resolution, an "evil" merge), which is all a
	// merge can introduce; -m would diff it against each parent and list
	// every file of the merged branch again (on a 100,000-commit history
	// with 1,800 merges: 56 s against 3 s).
	args := []string{"log", "--raw", "-c", "--root", "--no-abbrev", "--no-renames", "-z",
		"--topo-order", "--reverse", "--no-color", "--no-ext-diff", "--no-textconv",
		"--format=%x01%H%x02%an%x02%ae%x02%aI%x02%s"}
	args = append(append(args, revs...), "--")
	cmd := g.commandMem(ctx, logMemory, args...)
	g.intro = map[oid][]introduction{}
	g.links = map[oid]string{}
	cur := -1
	// A long history repeats its paths (each version of a file) and its
	// authors: one copy of each is kept.
	names := g.names()
	var pendingMeta []byte
	deleted := map[int]map[oid]bool{} // commit → blobs it removed from a path
	// intro records the raw line in pendingMeta, whose path is tok.
	intro := func(tok []byte) error {
		// ":old-mode new-mode old-id new-id status" then the path; a
		// merge's combined form has one colon, mode and id per
		// parent: "::m1 m2 m id1 id2 id status".
		np := 0
		for np < len(pendingMeta) && pendingMeta[np] == ':' {
			np++
		}
		fields := bytes.Fields(pendingMeta)
		pendingMeta = nil
		if np == 0 || len(fields) < 2*np+3 || cur < 0 {
			return nil
		}
		// The result's mode and id follow the parents' (np of each).
		mode, newID, status := fields[np], fields[2*np+1], fields[2*np+2]
		switch {
		case len(status) == 0:
			return nil
		case np == 1 && status[0] == 'D':
			if old, ok := parseOID(fields[2]); ok {
				if deleted[cur] == nil {
					deleted[cur] = map[oid]bool{}
				}
				deleted[cur][old] = true
			}
			return nil
		case bytes.Count(status, []byte("D")) == len(status):
			return nil // deleted by a merge: nothing introduced
		}
		if bytes.HasPrefix(mode, []byte("160000")) {
			return nil // submodule commit
		}
		id, ok := parseOID(newID)
		if !ok {
			return nil
		}
		path := names.internBytes(tok)
		if bytes.HasPrefix(mode, []byte("120000")) {
			// A symbolic link's target: read (rev-list lists it too)
			// but not attributed, as a blob only a tag points at.
			if newBlob != nil {
				newBlob(id, path)
			}
			if _, ok := g.links[id]; !ok {
				g.links[id] = path
			}
			return nil
		}
		ins := g.intro[id]
		if len(ins) == 0 && newBlob != nil {
			newBlob(id, path)
		}
		for _, in := range ins {
			if in.path == path {
				return nil
			}
		}
		g.intro[id] = append(ins, introduction{commit: cur, path: path})
		return nil
	}
	err := runTokens(cmd, 0, func(tok []byte) error {
		// The token after a raw line is its path, whatever it starts
		// with: a file named ":x" or "\x01…" read as a raw line or a
		// commit header was never attributed, and a gate passed it.
		if pendingMeta == nil {
			tok = bytes.TrimLeft(tok, "\n")
		}
		switch {
		case pendingMeta != nil:
			return intro(tok)
		case len(tok) > 0 && tok[0] == 1:
			f := strings.Split(string(tok[1:]), "\x02")
			if len(f) < 5 {
				return fmt.Errorf("%w: log: bad header %q", ErrGit, tok)
			}
			if cur >= 0 && g.commits[cur].hash == f[0] { // -m repeats a merge per parent
				return nil
			}
			date, _ := time.Parse(time.RFC3339, f[3])
			// Copies, so that the header these were cut from is not kept.
			g.commits = append(g.commits, commitInfo{hash: strings.Clone(f[0]), author: names.intern(f[1]),
				email: names.intern(f[2]), date: date, subject: strings.Clone(f[4])})
			cur = len(g.commits) - 1
		case len(tok) > 0 && tok[0] == ':':
			pendingMeta = append(pendingMeta[:0], tok...)
		}
		return nil
	})
	// A blob that appears at a new path in the commit that removed it from
	// another path was renamed, not copied: the finding stays with the
	// commit that first introduced it.
	for id, ins := range g.intro {
		kept := ins[:1]
		for _, in := range ins[1:] {
			if !deleted[in.commit][id] {
				kept = append(kept, in)
			}
		}
		g.intro[id] = kept
	}
	return err
}

// packOrder returns ids in the order the repository's packs store them
// (pack by pack, by offset, as `git show-index` lists each pack's index),
// then the ids no pack index holds (loose objects, alternates) in their
// given order. cat-file then reads each pack front to back: with its
// pack windows capped (historyMemory), an order that jumps about the
// pack maps and unmaps windows all the time (on a 520 MiB pack, 65 s
// against 17 s). The order only speeds the reading up: on any failure
// the ids are returned as given.
func (g *GitSource) packOrder(ctx context.Context, ids []oid) []oid {
	if g.packDir == "" {
		return ids
	}
	idxs, err := filepath.Glob(filepath.Join(g.packDir, "*.idx"))
	if err != nil || len(idxs) == 0 {
		return ids
	}
	type place struct {
		pack   int
		offset uint64
	}
	want := make(map[oid]place, len(ids))
	for _, id := range ids {
		want[id] = place{pack: -1}
	}
	for pi, idx := range idxs {
		f, err := os.Open(idx)
		if err != nil {
			return ids
		}
		cmd := g.command(ctx, "show-index")
		cmd.Stdin = f
		// "offset id (crc)" per object.
		err = runLines(cmd, func(line []byte) error {
			off, rest, ok := bytes.Cut(line, []byte{' '})
			if !ok || len(rest) < 40 {
				return nil
			}
			id, ok := parseOID(rest[:40])
			if !ok {
				return nil
			}
			if p, ok := want[id]; ok && p.pack < 0 {
				n, err := strconv.ParseUint(string(off), 10, 64)
				if err == nil {
					want[id] = place{pi, n}
				}
			}
			return nil
		})
		f.Close()
		if err != nil {
			return ids
		}
	}
	sorted := append([]oid(nil), ids...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := want[sorted[i]], want[sorted[j]]
		switch {
		case a.pack < 0 || b.pack < 0:
			return a.pack >= 0 && b.pack < 0
		case a.pack != b.pack:
			return a.pack < b.pack
		}
		return a.offset < b.offset
	})
	return sorted
}

// readBlobs streams blob contents from one cat-file process, asking for
// the blobs in order (or, without one, in any order). It returns the
// wanted blobs the repository does not hold (a partial clone's): they are
// the caller's to report.
//
// Asking by id, rather than walking every object with
// --batch-all-objects, keeps git from holding the set of all the
// repository's object ids (53 MiB at 1.5 million objects) and from
// inflating trees and commits nobody reads; the caller's order (see
// packOrder) keeps the reads in step with the packs.
func (g *GitSource) readBlobs(ctx context.Context, blobs map[oid]string, order []oid, fn func(Chunk) error) ([]oid, error) {
	size := chunkSize(g.ChunkSize)
	emit := func(obj batchObject, body io.Reader) error {
		path, want := blobs[obj.id]
		if obj.missing || obj.typ != "blob" || !want {
			return nil
		}
		delete(blobs, obj.id)
		return g.emitBlob(ctx, obj.id, path, obj.size, body, size, fn)
	}
	missing := func() []oid {
		ids := make([]oid, 0, len(blobs))
		for id := range blobs {
			ids = append(ids, id)
		}
		sortOIDs(ids)
		return ids
	}

	if order == nil {
		order = make([]oid, 0, len(blobs))
		for id := range blobs {
			order = append(order, id)
		}
	}
	// One string holds every request: a long history asks for hundreds
	// of thousands of blobs.
	all := make([]byte, 0, len(order)*2*len(oid{}))
	for _, id := range order {
		all = hex.AppendEncode(all, id[:])
	}
	text, n := string(all), 2*len(oid{})
	all, order = nil, nil
	reqs := make([]string, 0, len(text)/n)
	for i := 0; i+n <= len(text); i += n {
		reqs = append(reqs, text[i:i+n])
	}
	b, err := startBatch(g.command(ctx, "cat-file", "--batch", "--buffer"), reqs)
	if err != nil {
		return nil, err
	}
	if err := b.finish(ctx, readBatch(b.out, len(reqs), emit)); err != nil {
		return nil, err
	}
	return missing(), nil
}

// emitBlob delivers one blob as chunks carrying its first introduction.
func (g *GitSource) emitBlob(ctx context.Context, id oid, path string, size int64, body io.Reader, chunkSize int, fn func(Chunk) error) error {
	// Provenance (commit, author, the introducing path) is attached by
	// Finish, once the log pass that runs beside this stream is done.
	prov := Chunk{Path: path, Blob: hex.EncodeToString(id[:])}
	if g.MaxFileSize > 0 && size > g.MaxFileSize {
		prov.SkipReason = fmt.Sprintf("larger than max file size (%d bytes)", g.MaxFileSize)
		return fn(prov)
	}
	if binaryExt(prov.Path) {
		prov.SkipReason = "binary"
		return fn(prov)
	}
	return chunkItem(ctx, body, prov.Path, size, chunkSize, func(c Chunk) error {
		c.Blob, c.Commit, c.Author, c.Email, c.Date, c.Message = prov.Blob, prov.Commit, prov.Author, prov.Email, prov.Date, prov.Message
		return fn(c)
	})
}

// Finish implements Finisher: a finding in a blob that several commits
// introduced at several paths is reported at each path, with the commit
// that first introduced it there; then the same secret in the same file
// is kept once, at its earliest commit.
func (g *GitSource) Finish(fs []Finding) []Finding {
	g.mu.Lock()
	defer g.mu.Unlock()
	order := map[string]int{}
	for i, c := range g.commits {
		order[c.hash] = i
	}
	var out []Finding
	for _, f := range fs {
		id, ok := parseOID([]byte(f.Blob))
		ins := g.intro[id]
		if !ok || len(ins) == 0 {
			out = append(out, f) // e.g. a blob only a tag points at
			continue
		}
		seen := map[string]bool{}
		for _, in := range ins {
			if seen[in.path] {
				continue
			}
			seen[in.path] = true
			c := g.commits[in.commit]
			f2 := f
			f2.File, f2.Commit, f2.Author, f2.Email, f2.Date, f2.Message = in.path, c.hash, c.author, c.email, c.date, c.subject
			out = append(out, f2)
		}
	}
	// The same secret in the same file is one finding however many later
	// commits carry it; two occurrences in one version are two (the n-th
	// occurrence in each version is the same finding).
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Blob != out[j].Blob {
			return out[i].Blob < out[j].Blob
		}
		return out[i].Line < out[j].Line
	})
	type occKey struct{ blob, rule, fp, file string }
	occ := map[occKey]int{}
	type key struct {
		rule, fp, file string
		n              int
	}
	best := map[key]int{}
	var kept []Finding
	for _, f := range out {
		ok := occKey{f.Blob, f.RuleID, f.Fingerprint, f.File}
		occ[ok]++
		k := key{f.RuleID, f.Fingerprint, f.File, occ[ok]}
		if i, ok := best[k]; ok {
			oi, ok1 := order[kept[i].Commit]
			ni, ok2 := order[f.Commit]
			if ok2 && (!ok1 || ni < oi) {
				kept[i] = f
			}
			continue
		}
		best[k] = len(kept)
		kept = append(kept, f)
	}
	redactMessages(kept)
	return kept
}

// interner keeps one copy of each string it is given.
type interner map[string]string

func (in interner) intern(s string) string {
	if v, ok := in[s]; ok {
		return v
	}
	s = strings.Clone(s)
	in[s] = s
	return s
}

func (in interner) internBytes(b []byte) string {
	if v, ok := in[string(b)]; ok { // no allocation for the lookup
		return v
	}
	s := string(b)
	in[s] = s
	return s
}

// names returns the interner for paths and names shared by the list and
// log passes of one Chunks call, which never run at the same time.
func (g *GitSource) names() interner {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.interned == nil {
		g.interned = interner{}
	}
	return g.interned
}

func parseOID(b []byte) (oid, bool) {
	var id oid
	if len(b) != 40 {
		return id, false
	}
	if _, err := hex.Decode(id[:], b); err != nil {
		return id, false
	}
	return id, true
}

// runLines runs cmd and calls fn for each line of its output.
func runLines(cmd *exec.Cmd, fn func([]byte) error) error {
	return runTokens(cmd, '\n', fn)
}

// runTokens runs cmd and calls fn for each sep-terminated token of its
// standard output; a non-zero exit is an ErrGit error with git's message.
func runTokens(cmd *exec.Cmd, sep byte, fn func([]byte) error) error {
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr := &boundedbuf.Buffer{Max: 4096}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%w: %v", ErrGit, err)
	}
	widenPipe(stdout)
	br := bufio.NewReaderSize(stdout, 256<<10)
	var ferr error
	for {
		tok, err := br.ReadSlice(sep)
		if err == bufio.ErrBufferFull {
			// A very long token: gather it whole.
			long := append([]byte(nil), tok...)
			for err == bufio.ErrBufferFull {
				tok, err = br.ReadSlice(sep)
				long = append(long, tok...)
			}
			tok = long
		}
		if len(tok) > 0 && ferr == nil {
			ferr = fn(bytes.TrimSuffix(tok, []byte{sep}))
			if ferr != nil {
				_ = cmd.Process.Kill()
			}
		}
		if err != nil {
			break
		}
	}
	werr := cmd.Wait()
	if ferr != nil {
		return ferr
	}
	if werr != nil {
		args := strings.Join(cmd.Args[min(len(cmd.Args), 5):], " ")
		if len(args) > 80 {
			args = args[:80] + "…"
		}
		return fmt.Errorf("%w: git %s: %s", ErrGit, args, stderr.FirstLine())
	}
	return nil
}

// IsRemote reports whether target names a remote repository rather than a
// local path: a URL with a scheme, or scp-like "user@host:path".
func IsRemote(target string) bool {
	if strings.Contains(target, "://") {
		return true
	}
	if _, err := os.Stat(target); err == nil {
		return false
	}
	at, colon := strings.IndexByte(target, '@'), strings.IndexByte(target, ':')
	return at > 0 && colon > at
}

// CloneMirror clones url as a bare mirror (every ref) into a new
// temporary directory. The caller must call cleanup, which removes it.
func CloneMirror(ctx context.Context, git, url string) (dir string, cleanup func(), err error) {
	if git == "" {
		git = "git"
	}
	tmp, err := os.MkdirTemp("", "sprawl-clone-*")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { _ = os.RemoveAll(tmp) }
	cmd := GitRemoteCommand(ctx, git, "", "clone", "--mirror", "--quiet", "--", url, tmp)
	stderr := &boundedbuf.Buffer{Max: 4096}
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		cleanup()
		if ctx.Err() != nil {
			return "", nil, ctx.Err()
		}
		return "", nil, fmt.Errorf("%w: clone %s: %s", ErrGit, RedactURL(url), RedactURLs(stderr.FirstLine()))
	}
	return tmp, cleanup, nil
}

// RedactURL hides the credentials a URL may carry before it is printed,
// stored or reported: the user info (a password, or a user name standing
// alone, which is how a token is usually given) and every query value.
// Text that is not a URL with a scheme is returned unchanged.
func RedactURL(raw string) string {
	i := strings.Index(raw, "://")
	if i <= 0 {
		return raw
	}
	scheme, rest := raw[:i+3], raw[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	// The user info ends at the authority's last '@' ("a@b:c@host" is
	// user "a@b", password "c").
	if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
		user, hasPass := rest[:at], false
		if c := strings.IndexByte(user, ':'); c >= 0 {
			user, hasPass = user[:c], true
		}
		switch {
		case hasPass:
			user += ":" + redactedMark
		default:
			user = redactedMark
		}
		rest = user + rest[at:]
	}
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		query, frag := rest[q+1:], ""
		if h := strings.IndexByte(query, '#'); h >= 0 {
			query, frag = query[:h], query[h:]
		}
		parts := strings.Split(query, "&")
		for j, p := range parts {
			if k, _, ok := strings.Cut(p, "="); ok {
				parts[j] = k + "=" + redactedMark
			} else if p != "" {
				parts[j] = redactedMark
			}
		}
		rest = rest[:q+1] + strings.Join(parts, "&") + frag
	}
	return scheme + rest
}

const redactedMark = "REDACTED"

// urlInText compiles on first use: every run of every command, a
// pre-commit hook's too, initialises this package.
var urlInText = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s'"<>` + "`" + `]+`)
})

// RedactURLs applies RedactURL to every URL inside free text, such as a
// message git printed.
func RedactURLs(text string) string {
	if !strings.Contains(text, "://") {
		return text
	}
	return urlInText().ReplaceAllStringFunc(text, RedactURL)
}

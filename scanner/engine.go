package scanner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sprawlsec/sprawl/detectors"
)

// AllowMarkers are the inline comments that silence a finding on their
// line. gitleaks' and TruffleHog's markers are honoured so migrating
// repositories keep theirs.
var AllowMarkers = [][]byte{[]byte("sprawl:allow"), []byte("gitleaks:allow"), []byte("trufflehog:ignore")}

// Engine runs a Matcher over a Source's chunks on several goroutines.
type Engine struct {
	Matcher *detectors.Matcher
	// Workers is the number of matching goroutines (default GOMAXPROCS).
	Workers int
	// ExcludePath reports whether a slash-separated path is allowlisted.
	// Sources that can (the directory walker) apply it before reading.
	ExcludePath func(rel string) bool
	// FingerprintKey keys finding fingerprints; see Fingerprint.
	FingerprintKey []byte
	// Progress, if set, is called from the collecting goroutine after each
	// chunk with running totals. It must be quick.
	Progress func(Stats)
	// AggregateAfter caps the findings of one rule in one file (one blob
	// of one commit, for history) reported one by one; see
	// DefaultAggregateAfter. Zero means the default, negative no cap.
	AggregateAfter int
	// KeepAggregated keeps the findings folded into an aggregate in
	// Result.Aggregated, for callers that record every secret (the
	// inventory). Without it they are counted and dropped, which is what
	// bounds memory on a file with a million findings.
	KeepAggregated bool
	// Accept, if set, reports whether a finding is accepted (it is in a
	// baseline) and so not to be reported. It is applied before findings
	// are aggregated, so that an aggregate never stands for accepted
	// findings only and never hides a new one among accepted ones; for a
	// source that is a Finisher, after Finish. It is called from one
	// goroutine at a time.
	Accept func(*Finding) bool
	// KeepAllowed keeps the matches inline allow comments silenced in
	// Result.Allowed, so a gate can tell an allow comment a change added.
	KeepAllowed bool
	// KeepDropped keeps, in Result.Dropped, the candidates the matcher
	// rejected for a reason worth reviewing (see
	// detectors.Matcher.MatchDropped), each with Finding.Suppressed set.
	// It rescans every chunk, so it is for diagnostics only.
	KeepDropped bool
}

// Repeater is implemented by sources whose items repeat most of each
// other's text, such as the versions of a file through a history. The
// engine then matches through a detectors.Memo (same matches, less work).
type Repeater interface {
	RepeatsContent() bool
}

// Bulker is implemented by sources that know whether a scan is a large
// one (a whole history): the memo then runs every pattern on RE2 from
// its first window (detectors.Memo.Bulk).
type Bulker interface {
	Bulk() bool
}

// DefaultAggregateAfter is how many findings of one rule in one file are
// reported one by one. Beyond it the rest become one finding, the one
// after the first DefaultAggregateAfter in file order, whose Count says
// how many it stands for: a dump full of passwords is still reported and
// still fails the scan, without holding a million findings in memory.
const DefaultAggregateAfter = 100

// Stats describes a finished (or running) scan.
type Stats struct {
	Items    int64 // files or blobs with content scanned
	Chunks   int64
	Bytes    int64
	Skipped  map[string]int // reason → count
	Errors   int            // items that could not be read
	Findings int
	// Aggregated counts findings folded into aggregate findings (see
	// DefaultAggregateAfter); they are not in Findings.
	Aggregated int
	// Suppressed counts matches silenced by inline allow comments.
	Suppressed int
	// Accepted counts findings Engine.Accept accepted.
	Accepted int
	Duration time.Duration
	// FirstErrors keeps the first few per-item errors for the summary.
	FirstErrors []string
	// FirstSkipped keeps the first few skipped items ("path: reason").
	FirstSkipped []string
}

// Result is the outcome of a scan.
type Result struct {
	Findings []Finding
	// Aggregated holds the findings folded into aggregates, only with
	// Engine.KeepAggregated.
	Aggregated []Finding
	Stats      Stats
	// Allowed holds the findings inline allow comments silenced, when
	// Engine.KeepAllowed is set.
	Allowed []Finding
	// Dropped holds the candidates the matcher rejected, when
	// Engine.KeepDropped is set.
	Dropped []Finding
}

type work struct {
	c    Chunk
	data []byte
	raw  []byte // a binary chunk's original bytes
}

type itemEvent struct {
	findings   []Finding
	allowed    []Finding
	dropped    []Finding
	skip       string
	err        error
	path       string
	bytes      int
	newItem    bool
	suppressed int
	// folded counts, per rule, findings of this chunk past the first
	// cap+1 of their rule, dropped here already (see foldChunk).
	folded       map[string]int
	blob, commit string
}

const (
	maxReportedErrors = 20
	maxReportedSkips  = 1000
)

// Run scans src. It returns an error only for failures of the scan as a
// whole (the source failed, ctx was cancelled); per-item problems are in
// Result.Stats and never stop the scan.
func (e *Engine) Run(ctx context.Context, src Source) (Result, error) {
	start := time.Now()
	workers := e.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Build the keyword automaton while the source starts up (a git
	// command, a directory walk): a pre-commit hook saves its cost.
	go func() { _ = e.Matcher.Prepare() }()
	g, gctx := errgroup.WithContext(ctx)
	_, finishing := src.(Finisher)
	// Findings may be folded per chunk (see foldChunk) unless they move
	// later (a Finisher), must all be kept, or must first meet a baseline.
	fold := !finishing && !e.KeepAggregated && e.Accept == nil && e.AggregateAfter >= 0
	// A history repeats most of each file version by version: matching
	// through a memo does each repeated part's work once.
	var memo *detectors.Memo
	if r, ok := src.(Repeater); ok && r.RepeatsContent() {
		memo = detectors.NewMemo(0)
		if b, ok := src.(Bulker); ok {
			memo.Bulk = b.Bulk()
		}
	}
	jobs := make(chan work, workers*2)
	events := make(chan itemEvent, workers*4)

	g.Go(func() error {
		defer close(jobs)
		return src.Chunks(gctx, func(c Chunk) error {
			if c.Err == nil && c.SkipReason == "" && e.ExcludePath != nil && e.ExcludePath(c.Path) {
				if c.Release != nil {
					c.Release()
				}
				c = Chunk{Path: c.Path, SkipReason: "allowlisted path"}
			}
			w := work{c: c}
			switch {
			case c.Release != nil:
				// Lent: the worker matches it in place and releases it.
				w.data, w.raw = c.Data, c.Raw
			case c.Data != nil || c.Raw != nil:
				// The source reuses its buffers once fn returns.
				if c.Data != nil {
					w.data = append([]byte(nil), c.Data...)
				}
				if c.Raw != nil {
					w.raw = append([]byte(nil), c.Raw...)
				}
			}
			select {
			case jobs <- w:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		})
	})

	var running atomic.Int32
	running.Store(int32(workers))
	for i := 0; i < workers; i++ {
		g.Go(func() error {
			defer func() {
				if running.Add(-1) == 0 {
					close(events)
				}
			}()
			for w := range jobs {
				ev := e.process(w, fold, memo)
				if w.c.Release != nil {
					// Nothing in ev refers to w.data: findings hold
					// copies (strings) of what they need.
					w.c.Release()
				}
				select {
				case events <- ev:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}

	var res Result
	res.Stats.Skipped = map[string]int{}
	fin, _ := src.(Finisher)
	agg := newAggregator(e.AggregateAfter, e.KeepAggregated)
	if finishing {
		// Findings move (a blob to every path it was at) only in Finish:
		// hold them all, accept and aggregate after it.
		agg = newAggregator(-1, false)
	}
	collectDone := make(chan struct{})
	go func() {
		defer close(collectDone)
		for ev := range events {
			switch {
			case ev.err != nil:
				res.Stats.Errors++
				if len(res.Stats.FirstErrors) < maxReportedErrors {
					res.Stats.FirstErrors = append(res.Stats.FirstErrors, fmt.Sprintf("%s: %v", ev.path, ev.err))
				}
			case ev.skip != "":
				res.Stats.Skipped[ev.skip]++
				if len(res.Stats.FirstSkipped) < maxReportedSkips {
					res.Stats.FirstSkipped = append(res.Stats.FirstSkipped, ev.path+": "+ev.skip)
				}
			default:
				res.Stats.Chunks++
				if ev.newItem {
					res.Stats.Items++
				}
				res.Stats.Bytes += int64(ev.bytes)
				res.Stats.Suppressed += ev.suppressed
				res.Allowed = append(res.Allowed, ev.allowed...)
				res.Dropped = append(res.Dropped, ev.dropped...)
				for _, f := range ev.findings {
					if !finishing && e.Accept != nil && e.Accept(&f) {
						res.Stats.Accepted++
						continue
					}
					agg.add(f)
				}
				for rule, n := range ev.folded {
					agg.addFolded(findingKey{ev.path, ev.blob, ev.commit, rule}, n)
				}
				// A running count; the Finisher may merge findings, so
				// the final figure is set again below.
				res.Stats.Findings = agg.reported()
			}
			if e.Progress != nil {
				e.Progress(res.Stats)
			}
		}
	}()
	err := g.Wait()
	<-collectDone
	res.Findings, res.Aggregated, res.Stats.Aggregated = agg.result()
	if res.Stats.Chunks > 0 && err == nil {
		// Never report a scan that could not match as clean. (With no
		// content there is nothing to wait for.)
		err = e.Matcher.Prepare()
	}
	if finishing && err == nil {
		a := newAggregator(e.AggregateAfter, e.KeepAggregated)
		for _, f := range fin.Finish(res.Findings) {
			if e.Accept != nil && e.Accept(&f) {
				res.Stats.Accepted++
				continue
			}
			a.add(f)
		}
		res.Findings, res.Aggregated, res.Stats.Aggregated = a.result()
	}
	res.Findings = dedupeFindings(res.Findings)
	res.Stats.Findings = len(res.Findings)
	res.Stats.Duration = time.Since(start)
	if err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return res, fmt.Errorf("scan interrupted: %w", ctx.Err())
		}
		return res, err
	}
	return res, nil
}

// process matches one chunk and turns matches into findings.
func (e *Engine) process(w work, fold bool, memo *detectors.Memo) itemEvent {
	c := w.c
	if c.Err != nil {
		return itemEvent{err: c.Err, path: c.Path}
	}
	if c.SkipReason != "" {
		return itemEvent{skip: c.SkipReason, path: c.Path}
	}
	ev := itemEvent{path: c.Path, bytes: len(w.data), newItem: c.Offset == 0, blob: c.Blob, commit: c.Commit}
	if c.Owned > 0 {
		ev.bytes = c.Owned
	}
	var lines lineIndex
	ms := e.Matcher.MatchMemo(w.data, memo)
	if e.KeepDropped {
		ev.dropped = e.dropped(w, ms)
	}
	for _, m := range ms {
		if c.Owned > 0 && m.Start >= c.Owned {
			continue
		}
		isAllowed := allowed(w.data, m.MatchStart, m.MatchEnd)
		if isAllowed {
			ev.suppressed++
			if !e.KeepAllowed {
				continue
			}
		}
		r := m.Rule
		if r.Imported.Drops(c.Path, c.Commit, w.data, m) {
			continue // the imported gitleaks rule's path condition or allowlists
		}
		if w.raw != nil {
			// Line and column in the file's own bytes, not in the
			// extracted runs (where every noise byte is a newline).
			lines.locate(w.raw, &m)
		}
		f := Finding{
			RuleID:      r.ID,
			RuleName:    r.Name,
			Description: r.Description,
			Severity:    findingSeverity(r, c.Path),
			Tags:        r.Tags,
			File:        c.Path,
			Line:        c.Line + m.Line - 1,
			Column:      m.Column,
			EndLine:     c.Line + m.EndLine - 1,
			EndColumn:   m.EndColumn,
			Column16:    m.Column16,
			EndColumn16: m.EndColumn16,
			Secret:      m.Secret,
			Redacted:    Redact(m.Secret),
			Fingerprint: Fingerprint(e.FingerprintKey, m.Secret),
			Entropy:     m.Entropy,
			Encoding:    joinEncodings(c.Encoding, m.Encoding),
			Blob:        c.Blob,
			Commit:      c.Commit,
			Author:      c.Author,
			Email:       c.Email,
			Date:        c.Date,
			Message:     c.Message,
			Captures:    verifyCaptures(r, w.data, m),
		}
		f.Expires, _ = detectors.StatedExpiry(r, m.Secret, w.data, m.Start, m.End)
		if isAllowed {
			ev.allowed = append(ev.allowed, f)
			continue
		}
		ev.findings = append(ev.findings, f)
	}
	if fold {
		e.foldChunk(&ev)
	}
	return ev
}

// foldChunk drops the findings of one rule in one chunk past the first
// cap+1 (in position order) and counts them in ev.folded: they can never
// be among the first cap+1 of their file, so the collector needs only
// their number. This keeps a chunk of a keyword-dense file from carrying
// tens of thousands of findings. Not done when every finding must be
// kept, or must first be checked against a baseline.
func (e *Engine) foldChunk(ev *itemEvent) {
	limit := e.AggregateAfter
	if limit == 0 {
		limit = DefaultAggregateAfter
	}
	if len(ev.findings) <= limit+1 {
		return
	}
	perRule := map[string][]int{}
	for i := range ev.findings {
		r := ev.findings[i].RuleID
		perRule[r] = append(perRule[r], i)
	}
	drop := map[int]bool{}
	for rule, idx := range perRule {
		if len(idx) <= limit+1 {
			continue
		}
		sort.Slice(idx, func(a, b int) bool { return before(&ev.findings[idx[a]], &ev.findings[idx[b]]) })
		for _, i := range idx[limit+1:] {
			drop[i] = true
		}
		if ev.folded == nil {
			ev.folded = map[string]int{}
		}
		ev.folded[rule] += len(idx) - limit - 1
	}
	kept := ev.findings[:0]
	for i, f := range ev.findings {
		if !drop[i] {
			kept = append(kept, f)
		}
	}
	ev.findings = slices.Clip(kept)
}

// joinEncodings names the item's encoding and the decoders that revealed
// the secret inside it, outermost first ("utf-16le+base64").
func joinEncodings(item, match string) string {
	switch {
	case item == "":
		return match
	case match == "":
		return item
	}
	return item + "+" + match
}

// lineIndex maps byte offsets of one chunk to lines and columns; it is
// built on first use, so chunks without findings never pay for it.
type lineIndex struct {
	starts []int // offsets of the bytes after each newline
	built  bool
}

// locate sets m's Line, Column, EndLine and EndColumn (1-based, bytes, as
// the matcher counts them) from the offsets of its secret in data.
// Binary data has no meaningful UTF-16 columns; those are cleared.
func (x *lineIndex) locate(data []byte, m *detectors.Match) {
	if !x.built {
		x.built = true
		for i, b := range data {
			if b == '\n' {
				x.starts = append(x.starts, i+1)
			}
		}
	}
	at := func(off int) (line, col int) {
		i := sort.SearchInts(x.starts, off+1) // newlines before off
		start := 0
		if i > 0 {
			start = x.starts[i-1]
		}
		return i + 1, off - start + 1
	}
	m.Line, m.Column = at(m.Start)
	m.EndLine, m.EndColumn = at(max(m.Start, m.End-1))
	m.Column16, m.EndColumn16 = 0, 0
}

// allowed reports whether an allow marker sits on a line the match spans
// (the first line of a multi-line match is enough).
func allowed(data []byte, start, end int) bool {
	ls := bytes.LastIndexByte(data[:start], '\n') + 1
	le := bytes.IndexByte(data[start:], '\n')
	if le < 0 {
		le = len(data)
	} else {
		le += start
	}
	if le < end {
		// multi-line match: the marker may follow the END line too.
		if i := bytes.IndexByte(data[end:], '\n'); i >= 0 {
			le = end + i
		} else {
			le = len(data)
		}
	}
	line := data[ls:le]
	for _, m := range AllowMarkers {
		if bytes.Contains(line, m) {
			return true
		}
	}
	return false
}

// Aggregate folds the findings of one rule in one file beyond limit into
// one, as the engine does (see DefaultAggregateAfter; limit 0 means the
// default, negative no cap), for callers that filtered the engine's kept
// findings further. Earlier aggregate counts are discarded. It returns the
// findings to report and how many were folded.
func Aggregate(fs []Finding, limit int) ([]Finding, int) {
	a := newAggregator(limit, false)
	for _, f := range fs {
		f.Count = 0
		a.add(f)
	}
	out, _, n := a.result()
	return dedupeFindings(out), n
}

// findingKey is a finding's group for aggregation: one rule in one file
// (one blob of one commit).
type findingKey struct{ file, blob, commit, rule string }

// findingGroup holds the first findings of one group in file order; once
// it has cap+1 of them, a later finding replaces the last if it comes
// before it. seen counts them all.
type findingGroup struct {
	kept []Finding
	seen int
}

// aggregator folds the findings of one rule in one file beyond a cap into
// one (see DefaultAggregateAfter). It is used by the collecting goroutine
// only. The result does not depend on the order findings arrive in.
type aggregator struct {
	cap     int
	keep    bool
	groups  map[findingKey]*findingGroup
	order   []findingKey
	dropped []Finding
	folded  int
	kept    int
}

func newAggregator(limit int, keep bool) *aggregator {
	if limit == 0 {
		limit = DefaultAggregateAfter
	}
	return &aggregator{cap: limit, keep: keep, groups: map[findingKey]*findingGroup{}}
}

// before orders findings of one group by position, then fingerprint.
func before(a, b *Finding) bool {
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	if a.Column != b.Column {
		return a.Column < b.Column
	}
	return a.Fingerprint < b.Fingerprint
}

func sameFinding(a, b *Finding) bool {
	return a.Line == b.Line && a.Column == b.Column && a.Fingerprint == b.Fingerprint
}

// addFolded counts n findings of group k that a chunk already dropped as
// past its rule's first cap+1 there.
func (a *aggregator) addFolded(k findingKey, n int) {
	g := a.groups[k]
	if g == nil {
		g = &findingGroup{}
		a.groups[k] = g
		a.order = append(a.order, k)
	}
	g.seen += n
	a.folded += n
}

func (a *aggregator) add(f Finding) {
	k := findingKey{f.File, f.Blob, f.Commit, f.RuleID}
	g := a.groups[k]
	if g == nil {
		g = &findingGroup{}
		a.groups[k] = g
		a.order = append(a.order, k)
	}
	if a.cap < 0 || len(g.kept) <= a.cap {
		// Overlapping chunks can report one finding twice; the
		// final dedupe drops such repeats, counted once here.
		g.kept = append(g.kept, f)
		g.seen++
		a.kept++
		return
	}
	last := 0
	for i := range g.kept {
		if sameFinding(&g.kept[i], &f) {
			return
		}
		if before(&g.kept[last], &g.kept[i]) {
			last = i
		}
	}
	g.seen++
	a.folded++
	out := f
	if before(&f, &g.kept[last]) {
		out, g.kept[last] = g.kept[last], f
	}
	if a.keep {
		a.dropped = append(a.dropped, out)
	}
}

// reported is the number of findings the result will hold so far.
func (a *aggregator) reported() int { return a.kept }

// result returns the findings to report, the folded ones (when kept) and
// how many were folded. In a group over the cap, the finding after the
// first cap in file order carries Count: itself and every folded one.
func (a *aggregator) result() (findings, folded []Finding, n int) {
	for _, k := range a.order {
		g := a.groups[k]
		if a.cap >= 0 && len(g.kept) > a.cap && g.seen > a.cap+1 {
			sort.Slice(g.kept, func(i, j int) bool { return before(&g.kept[i], &g.kept[j]) })
			g.kept[a.cap].Count = g.seen - a.cap
		}
		findings = append(findings, g.kept...)
	}
	return findings, a.dropped, a.folded
}

// dedupeFindings sorts findings and drops repeats of the same rule,
// secret and place (overlapping chunks can report one twice).
func dedupeFindings(fs []Finding) []Finding {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		if a.RuleID != b.RuleID {
			return a.RuleID < b.RuleID
		}
		return a.Commit < b.Commit
	})
	out := fs[:0]
	for i, f := range fs {
		if i > 0 {
			p := out[len(out)-1]
			if p.File == f.File && p.Line == f.Line && p.Column == f.Column && p.RuleID == f.RuleID && p.Commit == f.Commit && p.Fingerprint == f.Fingerprint {
				continue
			}
		}
		out = append(out, f)
	}
	return out
}

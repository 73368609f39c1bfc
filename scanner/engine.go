package scanner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
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
	// KeepAllowed keeps the matches inline allow comments silenced in
	// Result.Allowed, so a gate can tell an allow comment a change added.
	KeepAllowed bool
}

// Stats describes a finished (or running) scan.
type Stats struct {
	Items    int64 // files or blobs with content scanned
	Chunks   int64
	Bytes    int64
	Skipped  map[string]int // reason → count
	Errors   int            // items that could not be read
	Findings int
	// Suppressed counts matches silenced by inline allow comments.
	Suppressed int
	Duration   time.Duration
	// FirstErrors keeps the first few per-item errors for the summary.
	FirstErrors []string
	// FirstSkipped keeps the first few skipped items ("path: reason").
	FirstSkipped []string
}

// Result is the outcome of a scan.
type Result struct {
	Findings []Finding
	Stats    Stats
	// Allowed holds the findings inline allow comments silenced, when
	// Engine.KeepAllowed is set.
	Allowed []Finding
}

type work struct {
	c    Chunk
	data []byte
}

type itemEvent struct {
	findings   []Finding
	skip       string
	err        error
	path       string
	bytes      int
	newItem    bool
	suppressed int
	allowed    []Finding
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
	jobs := make(chan work, workers*2)
	events := make(chan itemEvent, workers*4)

	g.Go(func() error {
		defer close(jobs)
		return src.Chunks(gctx, func(c Chunk) error {
			if c.Err == nil && c.SkipReason == "" && e.ExcludePath != nil && e.ExcludePath(c.Path) {
				c = Chunk{Path: c.Path, SkipReason: "allowlisted path"}
			}
			w := work{c: c}
			if c.Data != nil {
				// The source reuses its buffer once fn returns.
				w.data = append([]byte(nil), c.Data...)
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
				ev := e.process(w)
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
				res.Findings = append(res.Findings, ev.findings...)
				// A running count; the Finisher may merge findings, so
				// the final figure is set again below.
				res.Stats.Findings = len(res.Findings)
			}
			if e.Progress != nil {
				e.Progress(res.Stats)
			}
		}
	}()
	err := g.Wait()
	<-collectDone
	if res.Stats.Chunks > 0 && err == nil {
		// Never report a scan that could not match as clean. (With no
		// content there is nothing to wait for.)
		err = e.Matcher.Prepare()
	}
	if fin, ok := src.(Finisher); ok && err == nil {
		res.Findings = fin.Finish(res.Findings)
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
func (e *Engine) process(w work) itemEvent {
	c := w.c
	if c.Err != nil {
		return itemEvent{err: c.Err, path: c.Path}
	}
	if c.SkipReason != "" {
		return itemEvent{skip: c.SkipReason, path: c.Path}
	}
	ev := itemEvent{path: c.Path, bytes: len(w.data), newItem: c.Line <= 1}
	if c.Owned > 0 {
		ev.bytes = c.Owned
	}
	for _, m := range e.Matcher.Match(w.data) {
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
			Encoding:    m.Encoding,
			Blob:        c.Blob,
			Commit:      c.Commit,
			Author:      c.Author,
			Email:       c.Email,
			Date:        c.Date,
			Message:     c.Message,
			Captures:    verifyCaptures(r, w.data, m),
		}
		if isAllowed {
			ev.allowed = append(ev.allowed, f)
			continue
		}
		ev.findings = append(ev.findings, f)
	}
	return ev
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

package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/sprawlsec/sprawl/scanner"
)

// envProgress overrides when progress is shown: "auto" (default: only on
// a terminal, never under CI), "always" or "never".
const envProgress = "SPRAWL_PROGRESS"

// progressEnabled decides whether long operations draw progress on w:
// never with --quiet or SPRAWL_PROGRESS=never; always with
// SPRAWL_PROGRESS=always; otherwise only when w is a terminal and CI is
// not set (CI logs are files, and a redrawn line is noise in them).
func progressEnabled(w io.Writer, quiet bool) bool {
	if quiet {
		return false
	}
	switch strings.ToLower(os.Getenv(envProgress)) {
	case "always", "1", "true":
		return true
	case "never", "0", "false":
		return false
	}
	if v := os.Getenv("CI"); v != "" && v != "false" && v != "0" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress draws one redrawn status line on stderr while a scan, clone or
// ingest runs, and clears it when done. The zero value and a nil
// *progress do nothing, so callers need not check whether it is enabled.
type progress struct {
	mu   sync.Mutex
	bar  *progressbar.ProgressBar
	unit string
	stop chan struct{}
	done chan struct{}
}

// newProgress starts a progress line on w, or returns nil when progress is
// disabled. total < 0 means unknown (a spinner with running counts).
func newProgress(w io.Writer, quiet bool, desc string, total int64, unit string) *progress {
	if !progressEnabled(w, quiet) {
		return nil
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(28),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionFullWidth(),
		progressbar.OptionUseANSICodes(true),
	}
	switch unit {
	case "bytes":
		opts = append(opts, progressbar.OptionShowBytes(true))
	case "":
	default:
		opts = append(opts, progressbar.OptionShowCount(), progressbar.OptionSetItsString(unit), progressbar.OptionShowIts())
	}
	return &progress{bar: progressbar.NewOptions64(total, opts...), unit: unit}
}

// set moves the bar to n and replaces its description.
func (p *progress) set(n int64, desc string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if desc != "" {
		p.bar.Describe(desc)
	}
	_ = p.bar.Set64(n)
}

// scanStats follows an engine's running totals: bytes read, with files or
// blobs and findings in the description.
func (p *progress) scanStats(unit string) func(scanner.Stats) {
	if p == nil {
		return nil
	}
	return func(st scanner.Stats) {
		p.set(st.Bytes, fmt.Sprintf("scanning: %d %s, %d findings", st.Items, unit, st.Findings))
	}
}

// tick keeps a spinner turning while an operation of unknown length runs
// (an ingest transaction, a clone), until finish.
func (p *progress) tick() {
	if p == nil {
		return
	}
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.done)
		t := time.NewTicker(120 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.mu.Lock()
				_ = p.bar.Add(0)
				p.mu.Unlock()
			}
		}
	}()
}

// finish clears the line.
func (p *progress) finish() {
	if p == nil {
		return
	}
	if p.stop != nil {
		close(p.stop)
		<-p.done
		p.stop = nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.bar.Finish()
	_ = p.bar.Clear()
}

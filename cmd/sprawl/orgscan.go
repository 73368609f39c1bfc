package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/internal/pipeline"
	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/inventory/orgscan"
	"github.com/sprawlsec/sprawl/reports"
	"github.com/sprawlsec/sprawl/scanner/forge"
)

// rateSleep, when set (by tests), replaces the rate limiter's real waits.
var rateSleep func(ctx context.Context, d time.Duration) error

// addOrgScanFlags declares the flags `scan github` and `scan gitlab` share.
func addOrgScanFlags(c *cobra.Command) {
	f := c.Flags()
	f.String("cache-dir", "", "where repository mirrors are kept between runs (default <user cache dir>/sprawl/repos)")
	f.Int("concurrency", 4, "repositories cloned and scanned at once")
	f.Bool("forks", false, "also scan forked repositories")
	f.Bool("archived", false, "also scan archived repositories")
	f.Bool("full", false, "scan every repository's full history even when the inventory knows an earlier scan")
	f.Bool("ci-stores", true, "also scan CI variables and record CI secrets' names and dates")
	f.Duration("max-wait", 15*time.Minute, "longest single wait for an API rate limit")
	f.Bool("enqueue", false, "queue one job per repository and CI store in the PostgreSQL --inventory for 'sprawl worker' processes, print the batch number and exit")
}

// syncWriter serialises writes from concurrent repository scans.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Printf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.w, format, args...)
}

// orgScan is the command side of an organisation scan: its settings,
// output and exit codes. The scan itself is inventory/orgscan's Runner.
type orgScan struct {
	cmd      *cobra.Command
	p        *scanRun
	provider string // "github", "gitlab"
	dsn      string // "" without --inventory
	cacheDir string
	api      string // the API address listed through (for --enqueue)
	conc     int
	full     bool
	stderr   *syncWriter

	store inventory.Store // the one inventory handle of the run, nil without --inventory
	key   []byte
	ver   *pipeline.Verifier // with --verify and --inventory: verifies before recording
	bar   *progress
	// progress counts for the bar
	done, blobs, findings, total int
}

func newOrgScan(cmd *cobra.Command, provider string) (*orgScan, error) {
	s, err := loadSettings(cmd, "")
	if err != nil {
		return nil, err
	}
	if includeSuppressed(cmd) {
		return nil, usageErr("--include-suppressed is not supported by %s scans yet; scan a clone with 'sprawl scan git --include-suppressed'", provider)
	}
	p, err := newScanRun(s)
	if err != nil {
		return nil, err
	}
	o := &orgScan{cmd: cmd, p: p, provider: provider, stderr: &syncWriter{w: cmd.ErrOrStderr()}}
	o.dsn, _ = cmd.Flags().GetString("inventory")
	if err := checkEnqueue(cmd, o.dsn); err != nil {
		return nil, err
	}
	o.cacheDir, _ = cmd.Flags().GetString("cache-dir")
	o.conc, _ = cmd.Flags().GetInt("concurrency")
	o.full, _ = cmd.Flags().GetBool("full")
	if o.conc < 1 {
		return nil, usageErr("--concurrency must be at least 1")
	}
	if o.cacheDir == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			return nil, usageErr("no user cache directory (%v): give --cache-dir", err)
		}
		o.cacheDir = filepath.Join(d, "sprawl", "repos")
	}
	return o, nil
}

// token reads the provider's token from env; without one it says what
// the run will miss, unless --quiet.
func (o *orgScan) token(env, without string) string {
	token := os.Getenv(env)
	if token == "" && !o.p.s.Quiet {
		o.stderr.Printf("sprawl: %s is not set: %s\n", env, without)
	}
	return token
}

// rateLimiter builds the transport every API request goes through.
func (o *orgScan) rateLimiter() (*forge.RateLimiter, error) {
	return newRateLimiter(o.cmd, o.p.s.Quiet, o.stderr.Printf)
}

// run opens the inventory (once for the whole run), scans what prov
// lists and reports it.
func (o *orgScan) run(ctx context.Context, prov orgscan.Provider, what string, start time.Time) error {
	if enq, _ := o.cmd.Flags().GetBool("enqueue"); enq {
		return o.enqueue(ctx, prov, what)
	}
	if o.dsn != "" {
		key, err := inventoryKey()
		if err != nil {
			return err
		}
		st, err := openInventory(ctx, o.dsn)
		if err != nil {
			return err
		}
		defer st.Close()
		o.store, o.key = st, key
		if verifyOn(o.cmd) {
			if _, err := verifyResults(o.cmd); err != nil {
				return err
			}
			if o.ver, err = newVerifier(o.cmd); err != nil {
				return err
			}
		}
	}
	forks, _ := o.cmd.Flags().GetBool("forks")
	archived, _ := o.cmd.Flags().GetBool("archived")
	opts := orgscan.Options{
		Key: o.key, Actor: actorName(""), Rules: o.p.Rules, Engine: o.p.Engine, MaxFileSize: o.p.s.maxFileSize,
		CacheDir: o.cacheDir, Concurrency: o.conc, Workers: o.p.s.Workers, Full: o.full, Forks: forks, Archived: archived,
		Events: o.event,
	}
	if o.store != nil {
		opts.Store = o.store
	}
	if o.ver != nil {
		opts.Verifier = o.ver.Verifier
	}
	r, err := orgscan.New(opts)
	if err != nil {
		return failure(err)
	}
	ci, _ := o.cmd.Flags().GetBool("ci-stores")
	res, err := r.Run(ctx, prov, ci)
	if o.bar != nil {
		o.bar.finish()
	}
	if err != nil {
		if le := (*orgscan.ListError)(nil); errors.As(err, &le) {
			return failure(le.Err)
		}
		return interrupted(ctx, err, res.Outcomes)
	}
	o.verified(res.Outcomes)
	if _, err := r.Finish(ctx, orgscan.RunInfo{Provider: prov.Name(), Owner: prov.Owner(), Target: what, Started: start, LeftOut: res.Dropped},
		res.Outcomes, res.CI); err != nil {
		return inventoryErr(err)
	}
	return o.finish(ctx, what, res, start)
}

// verified reports the verifications made before recording (--verify
// with --inventory) and saves their cache.
func (o *orgScan) verified(outcomes []orgscan.Outcome) {
	if o.ver == nil {
		return
	}
	n, total := orgscan.VerifiedCounts(outcomes)
	o.ver.Save(o.cmd.ErrOrStderr(), o.p.s.Quiet)
	if total > 0 && !o.p.s.Quiet {
		o.stderr.Printf("%s\n", pipeline.VerifiedLine(total, n))
	}
	if total > 0 && o.p.s.Verbose {
		o.ver.HostStats(o.cmd.ErrOrStderr())
	}
}

// event turns the runner's progress into the terminal's: the progress
// bar here, each event's line (orgscan.Event.Line) on stderr.
func (o *orgScan) event(e orgscan.Event) {
	s := o.p.s
	switch e.Kind {
	case orgscan.EventListed:
		// One progress line for the whole run (terminals only):
		// repositories done, blobs and findings so far; a spinner keeps
		// turning through long clones.
		o.total = e.Count
		o.bar = newProgress(o.stderr.w, s.Quiet, fmt.Sprintf("0/%d repositories", e.Count), int64(e.Count), "repos")
		o.bar.tick()
	case orgscan.EventReposDone:
		if o.bar != nil {
			o.bar.finish()
			o.bar = nil
		}
	case orgscan.EventRepoDone, orgscan.EventRepoSkipped, orgscan.EventRepoFailed:
		if o.bar != nil {
			oc := e.Outcome
			o.done, o.blobs, o.findings = o.done+1, o.blobs+int(oc.Stats.Items), o.findings+len(oc.Findings)
			o.bar.set(int64(o.done), fmt.Sprintf("%d/%d repositories: %d blobs, %d findings", o.done, o.total, o.blobs, o.findings))
		}
	}
	recorded := ""
	if e.Recorded != nil {
		recorded = reports.RecordedLine(displayDSN(inventoryDSN(o.dsn)), *e.Recorded)
	}
	if line := e.Line(s.Quiet, s.Verbose, recorded); line != "" {
		o.stderr.Printf("%s\n", line)
	}
}

// finish reports every finding and sets the exit code: findings (1) win;
// a run where every repository failed, or with unreadable items, is a
// failure (3); skipped repositories alone are not.
func (o *orgScan) finish(ctx context.Context, what string, res orgscan.Result, start time.Time) error {
	for _, oc := range res.Outcomes {
		for _, e := range oc.Stats.FirstErrors {
			o.stderr.Printf("sprawl: unreadable: %s: %s\n", reports.Printable(oc.Repo.FullName), reports.Printable(e))
		}
	}
	sum := orgscan.Summarize(res.Outcomes, res.CI)
	all := orgscan.Findings(res.Outcomes, res.CI)
	suppressed := 0
	if o.p.Baseline != nil {
		all, suppressed = o.p.Baseline.Filter(all)
	}
	if o.store != nil {
		kept, n, err := suppressIn(ctx, o.store, o.key, all)
		if err != nil {
			return err
		}
		all, suppressed = kept, suppressed+n
	}
	all, err := o.p.verifyFindings(o.cmd, all)
	if err != nil {
		return err
	}
	if err := o.p.report(o.cmd, "", all, sum.Unreadable); err != nil {
		return err
	}
	if !o.p.s.Quiet {
		t := orgscan.Totals{Target: what, Summary: sum, LeftOut: res.Dropped, CIScanned: res.CIScanned,
			Elapsed: time.Since(start), Findings: len(all), Suppressed: suppressed}
		fmt.Fprintln(o.stderr.w, "sprawl: "+t.Line())
	}
	if o.p.Failing(all) {
		return errFindings
	}
	if sum.EveryRepoSkipped() {
		return failure(fmt.Errorf("%s: every repository failed", what))
	}
	return incomplete(sum.Unreadable)
}

// interrupted explains a cancelled run; any other error stops it with its
// exit code (an inventory's, or 3).
func interrupted(ctx context.Context, err error, outcomes []orgscan.Outcome) error {
	if ctx.Err() == nil && !errors.Is(err, context.Canceled) {
		return inventoryErr(err)
	}
	return failure(orgscan.Interrupted(outcomes))
}

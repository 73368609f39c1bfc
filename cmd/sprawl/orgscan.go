package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/scanner"
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

// orgScan scans many repositories of one provider into one report and,
// with --inventory, one inventory.
type orgScan struct {
	cmd      *cobra.Command
	p        *pipeline
	provider string // "github", "gitlab"
	dsn      string // "" without --inventory
	cacheDir string
	conc     int
	full     bool
	gitAuth  scanner.GitAuth // HTTP header git sends, only to the provider's web host over HTTPS
	stderr   *syncWriter

	ingestMu sync.Mutex        // one writer to the inventory at a time
	last     map[string]string // web URL → commit the inventory last saw
}

func newOrgScan(cmd *cobra.Command, provider string) (*orgScan, error) {
	s, err := loadSettings(cmd, "")
	if err != nil {
		return nil, err
	}
	if includeSuppressed(cmd) {
		return nil, usageErr("--include-suppressed is not supported by %s scans yet; scan a clone with 'sprawl scan git --include-suppressed'", provider)
	}
	p, err := newPipeline(s)
	if err != nil {
		return nil, err
	}
	o := &orgScan{cmd: cmd, p: p, provider: provider, stderr: &syncWriter{w: cmd.ErrOrStderr()}}
	o.dsn, _ = cmd.Flags().GetString("inventory")
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

// token reads the provider's token from env and sets the header git
// sends with it (Basic, as user:token); without one it says what the run
// will miss, unless --quiet.
func (o *orgScan) token(env, user, without string) string {
	token := os.Getenv(env)
	if token == "" {
		if !o.p.s.Quiet {
			o.stderr.Printf("sprawl: %s is not set: %s\n", env, without)
		}
		return ""
	}
	o.gitAuth.Header = "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+token))
	return token
}

// gitOrigin names the one place git may send the token: the provider's
// web host (https://github.com for api.github.com, the instance itself for
// GitHub Enterprise Server and GitLab). A clone URL the API lists on any
// other host, or over plain http, is fetched without it.
func (o *orgScan) gitOrigin(web string) {
	if u, err := url.Parse(web); err == nil && u.Host != "" {
		o.gitAuth.Origin = u.Scheme + "://" + u.Host
	}
}

// rateLimiter builds the transport every API request goes through.
func (o *orgScan) rateLimiter() (*forge.RateLimiter, error) {
	maxWait, _ := o.cmd.Flags().GetDuration("max-wait")
	if maxWait <= 0 {
		return nil, usageErr("--max-wait must be positive")
	}
	quiet := o.p.s.Quiet
	return &forge.RateLimiter{MaxWait: maxWait, Sleep: rateSleep, Notify: func(d time.Duration, why string) {
		if !quiet {
			o.stderr.Printf("sprawl: %s: waiting %s\n", why, d.Round(time.Second))
		}
	}}, nil
}

// loadLast reads the commit each repository was last scanned at.
func (o *orgScan) loadLast(ctx context.Context) error {
	o.last = map[string]string{}
	if o.dsn == "" || o.full {
		return nil
	}
	s, err := openInventory(ctx, o.dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	repos, err := s.Repositories(ctx)
	if err != nil {
		return inventoryErr(err)
	}
	for _, r := range repos {
		if r.Source == "git" && r.LastCommit != "" {
			o.last[r.Repository] = r.LastCommit
		}
	}
	return nil
}

// selectRepos drops forks and archived repositories unless asked for.
func (o *orgScan) selectRepos(repos []forge.Repo) (keep []forge.Repo, dropped int) {
	forks, _ := o.cmd.Flags().GetBool("forks")
	archived, _ := o.cmd.Flags().GetBool("archived")
	for _, r := range repos {
		if (r.Fork && !forks) || (r.Archived && !archived) {
			dropped++
			continue
		}
		keep = append(keep, r)
	}
	return keep, dropped
}

// repoOutcome is what became of one repository.
type repoOutcome struct {
	repo     forge.Repo
	mode     string // "full", "incremental", "skipped"
	reason   string // why it was skipped, or why a full scan was needed
	res      scanner.Result
	selected int // blobs selected for scanning
}

// repoState is what a mirror's last ingested scan saw, kept beside the
// mirror so a later run can tell a deleted branch or a force-push (which
// need a full scan) from new commits (which do not).
type repoState struct {
	Head string            `json:"head"`
	Refs map[string]string `json:"refs"`
}

const stateFile = "sprawl-state.json"

// mirrorDir is where a repository's mirror lives in the cache.
func (o *orgScan) mirrorDir(r forge.Repo) (string, error) {
	host := "local"
	if u, err := url.Parse(r.WebURL); err == nil && u.Host != "" {
		host = u.Host
	}
	parts := []string{o.cacheDir, o.provider, host}
	for _, el := range strings.Split(r.FullName, "/") {
		if el == "" || el == "." || el == ".." || strings.ContainsAny(el, `\:`) {
			return "", fmt.Errorf("unsafe repository name %q", r.FullName)
		}
		parts = append(parts, el)
	}
	return filepath.Join(parts...) + ".git", nil
}

// scanRepos clones or fetches and scans each repository, conc at a time.
// Each repository is ingested as soon as its scan is done, so an
// interrupted run loses only the repositories still in flight.
// scanListed keeps the listed repositories the flags select, reads what
// the inventory last saw of each and scans them; an interruption comes
// back as the error to return.
func (o *orgScan) scanListed(ctx context.Context, listed []forge.Repo) (repos []forge.Repo, outcomes []repoOutcome, dropped int, err error) {
	repos, dropped = o.selectRepos(listed)
	if err := o.loadLast(ctx); err != nil {
		return repos, nil, dropped, err
	}
	outcomes, err = o.scanRepos(ctx, repos)
	if err != nil {
		return repos, outcomes, dropped, interrupted(ctx, err, outcomes)
	}
	return repos, outcomes, dropped, nil
}

func (o *orgScan) scanRepos(ctx context.Context, repos []forge.Repo) ([]repoOutcome, error) {
	out := make([]repoOutcome, len(repos))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.conc)
	workers := o.p.s.Workers
	if workers <= 0 {
		workers = max(1, runtime.GOMAXPROCS(0)/o.conc)
	}
	// One progress line for the whole run (terminals only): repositories
	// done, blobs and findings so far; a spinner keeps turning through
	// long clones.
	bar := newProgress(o.stderr.w, o.p.s.Quiet, fmt.Sprintf("0/%d repositories", len(repos)), int64(len(repos)), "repos")
	bar.tick()
	defer bar.finish()
	var (
		doneMu                sync.Mutex
		done, blobs, findings int
	)
	for i, r := range repos {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			oc, err := o.scanRepo(gctx, r, workers)
			out[i] = oc
			doneMu.Lock()
			done, blobs, findings = done+1, blobs+int(oc.res.Stats.Items), findings+len(oc.res.Findings)
			bar.set(int64(done), fmt.Sprintf("%d/%d repositories: %d blobs, %d findings", done, len(repos), blobs, findings))
			doneMu.Unlock()
			if err != nil {
				return err // fatal: interrupted, or the inventory failed
			}
			if oc.mode == "skipped" {
				o.stderr.Printf("sprawl: skipped %s: %s\n", r.FullName, oc.reason)
			} else if o.p.s.Verbose {
				o.stderr.Printf("sprawl: %s: %s scan, %d blobs, %d findings%s\n", r.FullName, oc.mode, oc.res.Stats.Items, len(oc.res.Findings), paren(oc.reason))
			}
			return nil
		})
	}
	err := g.Wait()
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return out, err
}

func repositories(n int) string {
	if n == 1 {
		return "1 repository"
	}
	return fmt.Sprintf("%d repositories", n)
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// scanRepo brings one mirror up to date and scans what is new in it. A
// repository that cannot be cloned or read is an outcome, not an error;
// the error return is for what must stop the whole run.
func (o *orgScan) scanRepo(ctx context.Context, r forge.Repo, workers int) (repoOutcome, error) {
	oc := repoOutcome{repo: r, mode: "skipped"}
	if r.Empty {
		oc.reason = "empty repository"
		return oc, nil
	}
	if r.CloneURL == "" {
		oc.reason = "no clone URL"
		return oc, nil
	}
	dir, err := o.mirrorDir(r)
	if err != nil {
		oc.reason = err.Error()
		return oc, nil
	}
	if _, err := scanner.SyncMirror(ctx, "", r.CloneURL, dir, o.gitAuth); err != nil {
		if ctx.Err() != nil {
			return oc, ctx.Err()
		}
		oc.reason = "clone or fetch failed: " + err.Error()
		return oc, nil
	}
	tips, err := scanner.RefTips(ctx, dir)
	if err != nil {
		if ctx.Err() != nil {
			return oc, ctx.Err()
		}
		oc.reason = err.Error()
		return oc, nil
	}
	if len(tips) == 0 {
		oc.reason = "empty repository"
		return oc, nil
	}
	src := &scanner.GitSource{Path: dir, MaxFileSize: o.p.s.maxFileSize}
	oc.mode = "full"
	if last := o.last[r.WebURL]; last != "" {
		refs, why, err := o.incremental(ctx, dir, last, tips)
		if err != nil {
			return oc, err
		}
		if refs != nil {
			oc.mode = "incremental"
			src.Refs, src.Since = refs, last
		} else {
			oc.reason = why
		}
	}
	eng := *o.p.engine
	eng.Workers = workers
	eng.Progress = nil
	res, err := eng.Run(ctx, src)
	if err != nil {
		if ctx.Err() != nil {
			return oc, ctx.Err()
		}
		oc.mode, oc.reason = "skipped", "scan failed: "+err.Error()
		return oc, nil
	}
	// The run's counts are of blobs; the commit messages scanned beside
	// them are not blobs.
	res.Stats.Items -= int64(src.MessagesScanned())
	oc.res, oc.selected = res, src.Selected()
	if o.dsn != "" {
		opts := []ingestOption{ingestRepoPath(dir), ingestRules(o.p.rules)}
		if oc.mode == "incremental" {
			opts = append(opts, ingestPartial())
		}
		o.ingestMu.Lock()
		sum, err := ingestResult(ctx, o.dsn, "git", r.WebURL, res, opts...)
		o.ingestMu.Unlock()
		if err != nil {
			return oc, err
		}
		if o.p.s.Verbose {
			o.stderr.Printf("%s (%s)\n", sum, r.FullName)
		}
		// Only now is the scan on record: remember what it covered.
		_, head := gitHead(ctx, dir)
		if data, err := json.Marshal(repoState{Head: head, Refs: tips}); err == nil {
			_ = os.WriteFile(filepath.Join(dir, stateFile), data, 0o600)
		}
	}
	for i := range oc.res.Findings {
		oc.res.Findings[i].Source, oc.res.Findings[i].Root = "git", r.WebURL
	}
	return oc, nil
}

// incremental decides whether the mirror at dir can be scanned from last
// (the commit the inventory recorded) on. It returns the revisions to
// scan (every ref, minus the tips the last scan saw) or, when a full scan
// is needed, nil and why.
func (o *orgScan) incremental(ctx context.Context, dir, last string, tips map[string]string) ([]string, string, error) {
	refs := []string{"--all"}
	var st repoState
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err == nil && json.Unmarshal(data, &st) == nil && st.Head == last {
		// The refs the recorded scan saw: each must still exist and have
		// only moved forward, and its old tip bounds what is new.
		names := make([]string, 0, len(st.Refs))
		for name := range st.Refs {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			old := st.Refs[name]
			cur, ok := tips[name]
			if !ok {
				return nil, "ref " + name + " was deleted", nil
			}
			if cur != old {
				anc, err := scanner.IsAncestor(ctx, dir, old, cur)
				if err != nil {
					return nil, "", err
				}
				if !anc {
					return nil, "ref " + name + " was force-pushed", nil
				}
			}
			refs = append(refs, "^"+old)
		}
	}
	// Without that record (another inventory, a new cache), the commit
	// the inventory knows must still be reachable.
	ok, err := scanner.Reachable(ctx, dir, last)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "last scanned commit no longer reachable (force-push or deleted branch)", nil
	}
	return refs, "", nil
}

// ciResult is what a provider's CI stores yielded.
type ciResult struct {
	owner   string
	root    string // web address of the owner, the variables' repository
	vars    []scanner.CIVariable
	secrets []inventory.CISecretRecord
	// complete: every store of the owner was listed, so what is missing
	// is gone.
	complete bool
	problems []string
	// readable counts variables whose value was returned; hidden those
	// whose was not.
	hidden int
}

// sorted puts what concurrent listings gathered in a stable order.
func (c *ciResult) sorted() {
	sort.Slice(c.vars, func(i, j int) bool { return c.vars[i].Path < c.vars[j].Path })
	sort.Strings(c.problems)
}

// scanCI scans the variables as content and records the secrets'
// metadata; it returns the variables' findings.
func (o *orgScan) scanCI(ctx context.Context, kind string, ci ciResult) (scanner.Result, error) {
	for _, p := range ci.problems {
		o.stderr.Printf("sprawl: CI store skipped: %s\n", p)
	}
	src := &scanner.VariableSource{Name: kind, Store: ci.root, Vars: ci.vars}
	eng := *o.p.engine
	eng.Progress = nil
	res, err := eng.Run(ctx, src)
	if err != nil {
		return res, failure(err)
	}
	if o.dsn != "" {
		opts := []ingestOption{ingestRules(o.p.rules)}
		if !ci.complete {
			opts = append(opts, ingestPartial())
		}
		sum, err := ingestResult(ctx, o.dsn, kind, ci.root, res, opts...)
		if err != nil {
			return res, err
		}
		if o.p.s.Verbose {
			o.stderr.Printf("%s (%s variables)\n", sum, ci.owner)
		}
		if len(ci.secrets) > 0 || ci.complete {
			st, err := openInventory(ctx, o.dsn)
			if err != nil {
				return res, err
			}
			defer st.Close()
			csum, err := st.RecordCISecrets(ctx, inventory.CISecretBatch{Provider: o.provider, Owner: ci.owner, Complete: ci.complete,
				Secrets: ci.secrets, Actor: actorName("")})
			if err != nil {
				return res, inventoryErr(err)
			}
			if !o.p.s.Quiet {
				o.stderr.Printf("sprawl: inventory: %s of %s (%d new, %d updated, %d gone) — see 'sprawl inventory ci-secrets'\n",
					plural(csum.Secrets, "CI secret"), ci.owner, csum.New, csum.Updated, csum.Gone)
			}
		}
	}
	for i := range res.Findings {
		res.Findings[i].Source, res.Findings[i].Root = kind, ci.root
	}
	return res, nil
}

// finish reports every finding and sets the exit code: findings (1) win;
// a run where every repository failed, or with unreadable items, is a
// failure (3); skipped repositories alone are not.
func (o *orgScan) finish(ctx context.Context, what string, outcomes []repoOutcome, dropped int, ci *scanner.Result, start time.Time) error {
	var all []scanner.Finding
	var st scanner.Stats
	counts := map[string]int{}
	unreadable := 0
	for _, oc := range outcomes {
		counts[oc.mode]++
		all = append(all, oc.res.Findings...)
		st.Items += oc.res.Stats.Items
		st.Bytes += oc.res.Stats.Bytes
		unreadable += oc.res.Stats.Errors
		for _, e := range oc.res.Stats.FirstErrors {
			o.stderr.Printf("sprawl: unreadable: %s: %s\n", oc.repo.FullName, e)
		}
	}
	vars := 0
	if ci != nil {
		all = append(all, ci.Findings...)
		vars = int(ci.Stats.Items)
	}
	suppressed := 0
	if o.p.baseline != nil {
		all, suppressed = o.p.baseline.Filter(all)
	}
	if o.dsn != "" {
		kept, n, err := suppressByInventory(ctx, o.dsn, all)
		if err != nil {
			return err
		}
		all, suppressed = kept, suppressed+n
	}
	all, err := o.p.verifyFindings(o.cmd, all)
	if err != nil {
		return err
	}
	if err := o.p.report(o.cmd, "", all, unreadable); err != nil {
		return err
	}
	if !o.p.s.Quiet {
		var b strings.Builder
		fmt.Fprintf(&b, "sprawl: %s: %s", what, repositories(len(outcomes)))
		if dropped > 0 {
			fmt.Fprintf(&b, " (%d forks or archived left out)", dropped)
		}
		fmt.Fprintf(&b, ": %d full, %d incremental, %d skipped; scanned %s (%s)", counts["full"], counts["incremental"], counts["skipped"],
			plural(int(st.Items), "blob"), humanBytes(st.Bytes))
		if ci != nil {
			fmt.Fprintf(&b, " and %s", plural(vars, "CI variable"))
		}
		fmt.Fprintf(&b, " in %s: %s", time.Since(start).Round(time.Millisecond), plural(len(all), "finding"))
		if suppressed > 0 {
			fmt.Fprintf(&b, ", %d suppressed by baseline or inventory", suppressed)
		}
		if unreadable > 0 {
			fmt.Fprintf(&b, ", %d unreadable", unreadable)
		}
		fmt.Fprintln(o.stderr.w, b.String())
	}
	for _, f := range all {
		if f.Severity >= o.p.s.failOn && !revoked(f) {
			return errFindings
		}
	}
	if len(outcomes) > 0 && counts["skipped"] == len(outcomes) {
		return failure(fmt.Errorf("%s: every repository failed", what))
	}
	if unreadable > 0 {
		return failure(fmt.Errorf("%d item(s) could not be read; the scan is incomplete", unreadable))
	}
	return nil
}

// interrupted explains a cancelled run.
func interrupted(ctx context.Context, err error, outcomes []repoOutcome) error {
	if ctx.Err() == nil && !errors.Is(err, context.Canceled) {
		return err
	}
	done := 0
	for _, oc := range outcomes {
		if oc.mode == "full" || oc.mode == "incremental" {
			done++
		}
	}
	return failure(fmt.Errorf("interrupted after %d of %d repositories; those are on record and the next run resumes from them", done, len(outcomes)))
}

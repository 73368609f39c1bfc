package orgscan

import (
	"context"
	"errors"
	"runtime"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/scanner"
	"github.com/sprawlsec/sprawl/scanner/forge"
	"github.com/sprawlsec/sprawl/verify"
)

// Repo describes one repository to scan: everything a worker needs, with
// the inventory, to mirror and scan it, and nothing secret, so it can
// travel as a job's JSON arguments to another process or machine.
type Repo struct {
	// Provider is the provider's name ("github", "gitlab"): the mirror
	// cache's first directory.
	Provider string `json:"provider"`
	// ID is the provider's numeric id of the repository (GitLab's API
	// addresses projects by it).
	ID int64 `json:"id,omitempty"`
	// FullName is "owner/name" ("group/sub/project" on GitLab).
	FullName string `json:"full_name"`
	// WebURL is the repository's identity in the inventory
	// ("https://github.com/acme/api"); CloneURL is what git fetches.
	WebURL   string `json:"web_url"`
	CloneURL string `json:"clone_url"`
	Fork     bool   `json:"fork,omitempty"`
	Archived bool   `json:"archived,omitempty"`
	// Empty is set when the provider says the repository has no commits.
	Empty bool `json:"empty,omitempty"`
}

// FromForge describes a repository a provider's API listed.
func FromForge(provider string, r forge.Repo) Repo {
	return Repo{Provider: provider, ID: r.ID, FullName: r.FullName, WebURL: r.WebURL, CloneURL: r.CloneURL,
		Fork: r.Fork, Archived: r.Archived, Empty: r.Empty}
}

// Forge is the repository as scanner/forge's listing calls take it.
func (r Repo) Forge() forge.Repo {
	return forge.Repo{ID: r.ID, FullName: r.FullName, WebURL: r.WebURL, CloneURL: r.CloneURL, Fork: r.Fork, Archived: r.Archived, Empty: r.Empty}
}

// Modes of a repository's outcome.
const (
	ModeFull        = "full"
	ModeIncremental = "incremental"
	ModeSkipped     = "skipped"
)

// Outcome is what became of one repository. Findings hold secrets and are
// never serialised; the rest is.
type Outcome struct {
	Repo Repo `json:"repo"`
	// Mode is ModeFull, ModeIncremental or ModeSkipped.
	Mode string `json:"mode"`
	// Reason says why the repository was skipped, or why a full scan was
	// needed where an incremental one was expected.
	Reason string `json:"reason,omitempty"`
	// Stats are the scan's counts; Items counts blobs (commit messages
	// scanned beside them are not counted).
	Stats scanner.Stats `json:"stats"`
	// Selected counts the blobs selected for scanning.
	Selected int `json:"selected"`
	// Findings are the repository's findings, Source "git" and Root its
	// web address; Found counts them (and survives serialisation).
	Findings []scanner.Finding `json:"-"`
	Found    int               `json:"found"`
	// Recorded is what the inventory recorded, when there is one.
	Recorded *inventory.Recorded `json:"recorded,omitempty"`
	// Verified counts the findings verified before they were recorded,
	// by status (with Options.Verifier and a store).
	Verified map[string]int `json:"verified,omitempty"`
}

// Scanned reports whether the repository was scanned (fully or
// incrementally) rather than skipped.
func (o Outcome) Scanned() bool { return o.Mode == ModeFull || o.Mode == ModeIncremental }

// Options configure a Runner.
type Options struct {
	// Store is the inventory, nil for none. One handle serves the whole
	// run; the Runner never opens or closes it.
	Store inventory.Store
	// Key is the fingerprint key; needed with a Store.
	Key []byte
	// Actor is who the inventory's audit log records.
	Actor string
	// Rules are the rules Engine's matcher runs (their rotation classes
	// and validators).
	Rules []*detectors.Rule
	// Engine is copied for each scan (Workers and Progress are set on
	// the copy).
	Engine *scanner.Engine
	// MaxFileSize bounds the blobs scanned (0: the scanner's default).
	MaxFileSize int64
	// CacheDir holds the mirrors, CacheDir/PROVIDER/HOST/OWNER/NAME.git.
	CacheDir string
	// Concurrency is how many repositories are mirrored and scanned at
	// once (at least 1).
	Concurrency int
	// Workers are each scan's matcher goroutines (0: GOMAXPROCS divided
	// by Concurrency, at least 1).
	Workers int
	// Full scans every repository's full history even when the inventory
	// knows an earlier scan.
	Full bool
	// Forks and Archived keep forked and archived repositories, which Run
	// leaves out otherwise.
	Forks, Archived bool
	// Verifier, when set with a Store, verifies the findings whose rule
	// has a validator before they are recorded, so their verification is
	// recorded with them (in the ingest's transaction).
	Verifier *verify.Verifier
	// Events receives progress; calls are serialised. Nil discards.
	Events func(Event)
}

// Runner runs organisation scans, or the parts of one a worker runs. It
// holds no state between calls beyond its options and, during Run, what
// the inventory recorded of each repository; every exported method can
// be called on its own from another process given the same inventory.
type Runner struct {
	o Options

	evMu     sync.Mutex
	ingestMu sync.Mutex // one writer to the inventory at a time

	lastMu sync.Mutex
	last   map[string]string // web URL → commit the inventory last saw, preloaded by Run
}

// New checks o and returns a Runner.
func New(o Options) (*Runner, error) {
	if o.Engine == nil {
		return nil, errors.New("orgscan: no engine")
	}
	if o.CacheDir == "" {
		return nil, errors.New("orgscan: no cache directory")
	}
	if o.Store != nil && len(o.Key) == 0 {
		return nil, inventory.ErrNoKey
	}
	if o.Concurrency < 1 {
		o.Concurrency = 1
	}
	if o.Workers <= 0 {
		o.Workers = max(1, runtime.GOMAXPROCS(0)/o.Concurrency)
	}
	if o.Rules == nil {
		rules, err := detectors.Builtin()
		if err != nil {
			return nil, err
		}
		o.Rules = rules
	}
	return &Runner{o: o}, nil
}

func (r *Runner) emit(e Event) {
	if r.o.Events == nil {
		return
	}
	r.evMu.Lock()
	defer r.evMu.Unlock()
	r.o.Events(e)
}

// Select keeps the repositories the options select: forks and archived
// repositories only when asked for.
func (r *Runner) Select(repos []Repo) (keep []Repo, dropped int) {
	for _, x := range repos {
		if (x.Fork && !r.o.Forks) || (x.Archived && !r.o.Archived) {
			dropped++
			continue
		}
		keep = append(keep, x)
	}
	return keep, dropped
}

// Result is what Run did.
type Result struct {
	// Repos are the repositories selected for scanning.
	Repos []Repo
	// Outcomes has one entry per selected repository (in Repos' order;
	// those not reached before an interruption have an empty Mode), then
	// one per repository the provider could not find.
	Outcomes []Outcome
	// Dropped counts forks and archived repositories left out.
	Dropped int
	// CI has one entry per CI store listing; nil when none was scanned.
	CI []CIOutcome
	// CIScanned is set when the provider's CI stores were scanned.
	CIScanned bool
}

// Run scans what p lists: its repositories, Concurrency at a time, each
// recorded in the inventory as soon as it is scanned (so an interrupted
// run loses only the repositories in flight), then, when ci, its CI
// stores. A listing that fails is a *ListError. The error is for what stops the whole run (listing failed,
// cancellation, the inventory failed); the Result then holds what was
// done.
func (r *Runner) Run(ctx context.Context, p Provider, ci bool) (Result, error) {
	var res Result
	listed, missing, err := p.Repositories(ctx)
	if err != nil {
		return res, &ListError{Err: err}
	}
	for _, oc := range missing {
		r.emit(Event{Kind: EventRepoSkipped, Repo: oc.Repo, Outcome: &oc})
	}
	res.Repos, res.Dropped = r.Select(listed)
	if err := r.loadLast(ctx); err != nil {
		return res, err
	}
	res.Outcomes, err = r.scanRepos(ctx, res.Repos, p.GitAuth())
	if err != nil {
		return res, err
	}
	res.Outcomes = append(res.Outcomes, missing...)
	if !ci {
		return res, nil
	}
	stores := p.CIStores(res.Repos)
	if stores == nil {
		return res, nil
	}
	res.CIScanned = true
	for _, st := range stores {
		oc, err := r.ScanCIStore(ctx, p, st)
		if err != nil {
			return res, err
		}
		res.CI = append(res.CI, oc)
	}
	return res, nil
}

// ListError is Run's error when the provider could not list the
// repositories: nothing was scanned.
type ListError struct{ Err error }

func (e *ListError) Error() string { return e.Err.Error() }
func (e *ListError) Unwrap() error { return e.Err }

// loadLast reads the commit each repository was last scanned at, once
// for a whole Run.
func (r *Runner) loadLast(ctx context.Context) error {
	last, err := r.lastCommits(ctx)
	if err != nil {
		return err
	}
	r.lastMu.Lock()
	r.last = last
	r.lastMu.Unlock()
	return nil
}

func (r *Runner) lastCommits(ctx context.Context) (map[string]string, error) {
	last := map[string]string{}
	if r.o.Store == nil || r.o.Full {
		return last, nil
	}
	repos, err := r.o.Store.Repositories(ctx)
	if err != nil {
		return nil, err
	}
	for _, x := range repos {
		if x.Source == "git" && x.LastCommit != "" {
			last[x.Repository] = x.LastCommit
		}
	}
	return last, nil
}

// lastCommit is the commit the inventory last recorded for webURL: from
// what Run preloaded, else asked of the inventory now.
func (r *Runner) lastCommit(ctx context.Context, webURL string) (string, error) {
	r.lastMu.Lock()
	last := r.last
	r.lastMu.Unlock()
	if last == nil {
		var err error
		if last, err = r.lastCommits(ctx); err != nil {
			return "", err
		}
	}
	return last[webURL], nil
}

func (r *Runner) scanRepos(ctx context.Context, repos []Repo, auth scanner.GitAuth) ([]Outcome, error) {
	out := make([]Outcome, len(repos))
	r.emit(Event{Kind: EventListed, Count: len(repos)})
	defer r.emit(Event{Kind: EventReposDone, Count: len(repos)})
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.o.Concurrency)
	for i, x := range repos {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			oc, err := r.ScanRepo(gctx, x, auth)
			out[i] = oc
			return err // fatal: interrupted, or the inventory failed
		})
	}
	err := g.Wait()
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return out, err
}

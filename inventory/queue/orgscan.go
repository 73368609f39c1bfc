package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sprawlsec/sprawl/internal/plural"
	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/inventory/orgscan"
	"github.com/sprawlsec/sprawl/scanner"
	"github.com/sprawlsec/sprawl/scanner/forge"
)

// What a job carries (its Spec), as JSON. The API address is the one the
// batch was listed through; a worker runs the job only if it is the one
// the worker itself is configured with, so a row written into the queue
// cannot make a worker send its token elsewhere.
type batchSpec struct {
	API     string            `json:"api"`
	Owner   string            `json:"owner,omitempty"`
	Dropped int               `json:"dropped,omitempty"` // forks and archived left out
	Missing []orgscan.Outcome `json:"missing,omitempty"` // named repositories not found
	CI      bool              `json:"ci,omitempty"`
}

type repoSpec struct {
	API  string       `json:"api"`
	Repo orgscan.Repo `json:"repo"`
}

type ciSpec struct {
	API   string          `json:"api"`
	Store orgscan.CIStore `json:"store"`
}

// Endpoints are a worker's own API addresses and tokens (from its
// environment): the only places it sends them.
type Endpoints struct {
	GitHubAPI   string // "" is https://api.github.com
	GitHubToken string
	GitLabURL   string // "" is https://gitlab.com
	GitLabToken string
	// MaxWait is the longest rate-limit wait held in place; a longer one
	// puts the job back (WaitError).
	MaxWait time.Duration
}

// NormalAPI is the canonical form of a provider's API address, for
// comparing the batch's with the worker's.
func NormalAPI(provider, api string) string {
	api = strings.TrimSuffix(strings.TrimSpace(api), "/")
	if api == "" {
		switch provider {
		case "github":
			return "https://api.github.com"
		case "gitlab":
			return "https://gitlab.com"
		}
	}
	return api
}

// OrgScan is the Handler that runs items with inventory/orgscan: the
// same code a single-machine scan runs, one repository or CI store at a
// time.
type OrgScan struct {
	runner *orgscan.Runner
	ep     Endpoints

	mu      sync.Mutex
	clients map[string]any // provider → *forge.GitHub or *forge.GitLab, one rate limiter each
}

// NewOrgScan is the Handler a worker runs: r scans into the worker's
// inventory handle; ep says where the worker's tokens may go.
func NewOrgScan(r *orgscan.Runner, ep Endpoints) *OrgScan {
	if ep.MaxWait <= 0 {
		ep.MaxWait = 30 * time.Second
	}
	return &OrgScan{runner: r, ep: ep, clients: map[string]any{}}
}

// client is the worker's API client for provider, made once (so its rate
// limiter knows the quota across jobs); api must be the worker's own.
func (h *OrgScan) client(provider, api string) (any, error) {
	own := h.ep.GitHubAPI
	if provider == "gitlab" {
		own = h.ep.GitLabURL
	}
	if NormalAPI(provider, api) != NormalAPI(provider, own) {
		return nil, fmt.Errorf("the job was listed through %s, this worker is configured for %s: run it on a worker configured for that address", api, NormalAPI(provider, own))
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if c, ok := h.clients[provider]; ok {
		return c, nil
	}
	rl := &forge.RateLimiter{MaxWait: 6 * time.Hour, Sleep: ParkSleep(h.ep.MaxWait)}
	var c any
	var err error
	switch provider {
	case "github":
		c, err = forge.NewGitHub(own, h.ep.GitHubToken, rl)
	case "gitlab":
		c, err = forge.NewGitLab(own, h.ep.GitLabToken, rl)
	default:
		err = fmt.Errorf("unknown provider %q", provider)
	}
	if err != nil {
		return nil, err
	}
	h.clients[provider] = c
	return c, nil
}

// provider is the org-scan provider of owner (an organisation or a
// group) through the worker's own client.
func (h *OrgScan) provider(provider, api, owner string) (orgscan.Provider, error) {
	c, err := h.client(provider, api)
	if err != nil {
		return nil, err
	}
	switch c := c.(type) {
	case *forge.GitHub:
		return orgscan.NewGitHub(c, h.ep.GitHubToken, owner, "", nil), nil
	case *forge.GitLab:
		return orgscan.NewGitLab(c, NormalAPI("gitlab", h.ep.GitLabURL), h.ep.GitLabToken, owner), nil
	}
	return nil, fmt.Errorf("unknown provider %q", provider)
}

// Plan lists a scheduled target through the worker's own client.
func (h *OrgScan) Plan(ctx context.Context, t Target) (Plan, error) {
	own := h.ep.GitHubAPI
	if t.Provider == "gitlab" {
		own = h.ep.GitLabURL
	}
	p, err := h.provider(t.Provider, own, t.Owner)
	if err != nil {
		return Plan{}, err
	}
	return PlanOrg(ctx, h.runner, p, own, true, t.Provider+" "+t.Owner)
}

// PlanOrg lists what p covers, keeps the repositories r's options select
// and cuts it into items: one per repository, one per CI store (when ci
// and the provider can read them). api is the address p lists through,
// recorded so that only workers configured for it run the jobs. what
// names the batch ("github acme").
func PlanOrg(ctx context.Context, r *orgscan.Runner, p orgscan.Provider, api string, ci bool, what string) (Plan, error) {
	listed, missing, err := p.Repositories(ctx)
	if err != nil {
		return Plan{}, &orgscan.ListError{Err: err}
	}
	repos, dropped := r.Select(listed)
	bs := batchSpec{API: api, Owner: p.Owner(), Dropped: dropped, Missing: missing}
	plan := Plan{Provider: p.Name(), Target: what}
	for _, repo := range repos {
		spec, err := json.Marshal(repoSpec{API: api, Repo: repo})
		if err != nil {
			return Plan{}, err
		}
		plan.Items = append(plan.Items, Item{Kind: KindRepository, Name: repo.FullName, Source: "git", Repository: repo.WebURL, Spec: spec})
	}
	if ci {
		for _, st := range p.CIStores(repos) {
			bs.CI = true
			spec, err := json.Marshal(ciSpec{API: api, Store: st})
			if err != nil {
				return Plan{}, err
			}
			plan.Items = append(plan.Items, Item{Kind: KindCI, Name: "ci:" + st.Owner, Source: st.Kind, Repository: st.Root, Spec: spec})
		}
	}
	if plan.Spec, err = json.Marshal(bs); err != nil {
		return Plan{}, err
	}
	return plan, nil
}

// permanent reasons for skipping a repository: retrying cannot help.
func permanent(reason string) bool {
	return reason == "empty repository" || reason == "no clone URL" || strings.HasPrefix(reason, "unsafe repository name")
}

// Scan runs one item: a repository (mirror, scan, record) or a CI store
// (list, scan, record). A repository that could not be cloned or scanned
// is an error, so it is retried and, in the end, failed with its reason;
// one that is empty is a skipped outcome, as in a single-machine scan.
func (h *OrgScan) Scan(ctx context.Context, provider string, it Item) (json.RawMessage, error) {
	switch it.Kind {
	case KindRepository:
		var s repoSpec
		if err := json.Unmarshal(it.Spec, &s); err != nil {
			return nil, fmt.Errorf("item %s: %w", it.Name, err)
		}
		p, err := h.provider(provider, s.API, "")
		if err != nil {
			return nil, err
		}
		oc, err := h.runner.ScanRepo(ctx, s.Repo, p.GitAuth())
		if err != nil {
			return nil, err
		}
		if oc.Mode == orgscan.ModeSkipped && !permanent(oc.Reason) {
			return nil, errors.New(oc.Reason)
		}
		return json.Marshal(oc)
	case KindCI:
		var s ciSpec
		if err := json.Unmarshal(it.Spec, &s); err != nil {
			return nil, fmt.Errorf("item %s: %w", it.Name, err)
		}
		p, err := h.provider(provider, s.API, s.Store.Owner)
		if err != nil {
			return nil, err
		}
		oc, err := h.runner.ScanCIStore(ctx, p, s.Store)
		if err != nil {
			return nil, err
		}
		return json.Marshal(oc)
	}
	return nil, fmt.Errorf("item %s: unknown kind %q", it.Name, it.Kind)
}

// Recovered is a repository's (or CI store's) outcome as its scan record
// tells it: a complete scan was a full one, a partial one incremental;
// the blob counts died with the worker.
func (h *OrgScan) Recovered(it Item, rec RecordedScan) json.RawMessage {
	recorded := &inventory.Recorded{IngestSummary: inventory.IngestSummary{ScanID: rec.ID, Findings: rec.Findings}, Complete: rec.Complete,
		Repository: it.Repository}
	var v any
	switch it.Kind {
	case KindRepository:
		var s repoSpec
		if json.Unmarshal(it.Spec, &s) != nil {
			return nil
		}
		mode := orgscan.ModeFull
		if !rec.Complete {
			mode = orgscan.ModeIncremental
		}
		v = orgscan.Outcome{Repo: s.Repo, Mode: mode, Reason: "recorded by an attempt whose worker died", Recorded: recorded}
	case KindCI:
		var s ciSpec
		if json.Unmarshal(it.Spec, &s) != nil {
			return nil
		}
		v = orgscan.CIOutcome{Store: s.Store, Recorded: recorded}
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return out
}

// Finish writes the batch's end as a single-machine scan writes its
// run's: the "org-scan" audit entry (orgscan.Runner.Finish, with the
// batch's number) and the summary line. Failed repositories count as
// skipped there, with their last error.
func (h *OrgScan) Finish(ctx context.Context, b Batch, items []ItemStatus) (string, error) {
	var bs batchSpec
	if len(b.Spec) > 0 {
		if err := json.Unmarshal(b.Spec, &bs); err != nil {
			return "", fmt.Errorf("batch %d: %w", b.ID, err)
		}
	}
	t := tally(b, bs, items)
	owner := bs.Owner
	if owner == "" {
		_, owner, _ = strings.Cut(b.Target, " ")
	}
	sum, err := h.runner.Finish(ctx, orgscan.RunInfo{Provider: b.Provider, Owner: owner, Target: b.Target,
		Batch: strconv.FormatInt(b.ID, 10), Started: b.Created, LeftOut: bs.Dropped}, t.outcomes, t.ci)
	if err != nil {
		return "", err
	}
	return t.line(b, bs, sum), nil
}

// batchTally is what a batch's items add up to.
type batchTally struct {
	outcomes []orgscan.Outcome
	ci       []orgscan.CIOutcome
	// failed items; recovered ones (a dead attempt recorded them, their
	// outcome is lost); repositories another batch scanned.
	failed, recovered, elsewhere int
}

// tally decodes the items' outcomes. Findings are not in an outcome's
// JSON (they hold secrets); what was recorded of them stands in for the
// count.
func tally(b Batch, bs batchSpec, items []ItemStatus) batchTally {
	var t batchTally
	for _, it := range items {
		switch {
		case it.State == StateFailed:
			t.failed++
			if it.Kind == KindRepository {
				t.outcomes = append(t.outcomes, orgscan.Outcome{Repo: orgscan.Repo{Provider: b.Provider, FullName: it.Name}, Mode: orgscan.ModeSkipped,
					Reason: fmt.Sprintf("failed after %d attempts: %s", it.Attempts, it.Message)})
			}
		case it.Kind == KindRepository && it.Recovered && len(it.Outcome) == 0:
			t.recovered++
			t.outcomes = append(t.outcomes, orgscan.Outcome{Repo: orgscan.Repo{Provider: b.Provider, FullName: it.Name}})
		case it.Kind == KindRepository && len(it.Outcome) > 0:
			if it.Recovered {
				t.recovered++
			}
			var oc orgscan.Outcome
			if json.Unmarshal(it.Outcome, &oc) == nil {
				if oc.Recorded != nil {
					oc.Findings = make([]scanner.Finding, oc.Recorded.Findings)
				}
				t.outcomes = append(t.outcomes, oc)
			}
		case it.Kind == KindRepository:
			t.elsewhere++
			t.outcomes = append(t.outcomes, orgscan.Outcome{Repo: orgscan.Repo{Provider: b.Provider, FullName: it.Name}})
		case it.Kind == KindCI && len(it.Outcome) > 0:
			var oc orgscan.CIOutcome
			if json.Unmarshal(it.Outcome, &oc) == nil {
				if oc.Recorded != nil {
					oc.Findings = make([]scanner.Finding, oc.Recorded.Findings)
				}
				t.ci = append(t.ci, oc)
			}
		}
	}
	t.outcomes = append(t.outcomes, bs.Missing...)
	return t
}

// line is the batch's summary line, in the words of a single-machine
// scan's.
func (t batchTally) line(b Batch, bs batchSpec, sum orgscan.Summary) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s: %s", b.Target, plural.Count(sum.Repositories, "repository"))
	if bs.Dropped > 0 {
		fmt.Fprintf(&sb, " (%d forks or archived left out)", bs.Dropped)
	}
	fmt.Fprintf(&sb, ": %d full, %d incremental, %d skipped", sum.Full, sum.Incremental, sum.Skipped)
	if t.recovered > 0 {
		fmt.Fprintf(&sb, " (%d recorded by an attempt whose worker died)", t.recovered)
	}
	if t.elsewhere > 0 {
		fmt.Fprintf(&sb, ", %d scanned by an earlier batch", t.elsewhere)
	}
	fmt.Fprintf(&sb, "; scanned %s (%.1f MiB)", plural.Count(int(sum.Blobs), "blob"), float64(sum.Bytes)/(1<<20))
	if bs.CI {
		fmt.Fprintf(&sb, " and %s", plural.Count(sum.CIVariables, "CI variable"))
	}
	end := b.Finished
	if end.IsZero() {
		end = time.Now()
	}
	fmt.Fprintf(&sb, " in %s: %s recorded", end.Sub(b.Created).Round(time.Millisecond), plural.Count(sum.Findings, "finding"))
	if sum.Unreadable > 0 {
		fmt.Fprintf(&sb, ", %d unreadable", sum.Unreadable)
	}
	if t.failed > 0 {
		fmt.Fprintf(&sb, "; %d failed after %d attempts (see 'sprawl jobs show %d')", t.failed, MaxAttempts, b.ID)
	}
	return sb.String()
}

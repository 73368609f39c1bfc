package orgscan

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/scanner"
)

// repoState is what a mirror's last recorded scan saw, kept beside the
// mirror so a later run can tell a deleted branch or a force-push (which
// need a full scan) from new commits (which do not).
type repoState struct {
	Head string            `json:"head"`
	Refs map[string]string `json:"refs"`
}

// stateFile is repoState's file in a mirror.
const stateFile = "sprawl-state.json"

// MirrorDir is where repo's mirror lives under cacheDir:
// cacheDir/PROVIDER/HOST/OWNER/NAME.git, HOST from its web address. A
// name with an empty, "." or ".." element, a backslash or a colon is
// refused.
func MirrorDir(cacheDir string, repo Repo) (string, error) {
	host := "local"
	if u, err := url.Parse(repo.WebURL); err == nil && u.Host != "" {
		host = u.Host
	}
	parts := []string{cacheDir, repo.Provider, host}
	for _, el := range strings.Split(repo.FullName, "/") {
		if el == "" || el == "." || el == ".." || strings.ContainsAny(el, `\:`) {
			return "", fmt.Errorf("unsafe repository name %q", repo.FullName)
		}
		parts = append(parts, el)
	}
	return filepath.Join(parts...) + ".git", nil
}

// ScanRepo brings repo's mirror in the cache up to date (cloned the first
// time, fetched after that, with auth's header sent only to its origin)
// and scans what is new in it: its full history, or, when the inventory
// recorded an earlier scan whose commit is still reachable and no ref
// the mirror saw then was deleted or force-pushed, only the commits since.
// With a Store the result is recorded in one transaction (incremental
// scans as partial) and the mirror remembers what the recorded scan saw.
//
// A repository that cannot be cloned or read is an Outcome with Mode
// ModeSkipped and its reason, not an error; the error is for what must
// stop the whole run (cancellation, the inventory failed). ScanRepo needs
// nothing but repo, the options and the inventory, so a worker can call
// it for one job.
func (r *Runner) ScanRepo(ctx context.Context, repo Repo, auth scanner.GitAuth) (Outcome, error) {
	r.emit(Event{Kind: EventRepoStarted, Repo: repo})
	oc, err := r.scanRepo(ctx, repo, auth)
	switch {
	case err != nil:
		r.emit(Event{Kind: EventRepoFailed, Repo: repo, Outcome: &oc, Err: err})
	case oc.Mode == ModeSkipped:
		r.emit(Event{Kind: EventRepoSkipped, Repo: repo, Outcome: &oc})
	default:
		r.emit(Event{Kind: EventRepoDone, Repo: repo, Outcome: &oc})
	}
	return oc, err
}

func (r *Runner) scanRepo(ctx context.Context, repo Repo, auth scanner.GitAuth) (Outcome, error) {
	oc := Outcome{Repo: repo, Mode: ModeSkipped}
	if repo.Empty {
		oc.Reason = "empty repository"
		return oc, nil
	}
	if repo.CloneURL == "" {
		oc.Reason = "no clone URL"
		return oc, nil
	}
	dir, err := MirrorDir(r.o.CacheDir, repo)
	if err != nil {
		oc.Reason = err.Error()
		return oc, nil
	}
	if _, err := scanner.SyncMirror(ctx, "", repo.CloneURL, dir, auth); err != nil {
		if ctx.Err() != nil {
			return oc, ctx.Err()
		}
		oc.Reason = "clone or fetch failed: " + err.Error()
		return oc, nil
	}
	tips, err := scanner.RefTips(ctx, dir)
	if err != nil {
		if ctx.Err() != nil {
			return oc, ctx.Err()
		}
		oc.Reason = err.Error()
		return oc, nil
	}
	if len(tips) == 0 {
		oc.Reason = "empty repository"
		return oc, nil
	}
	src := &scanner.GitSource{Path: dir, MaxFileSize: r.o.MaxFileSize}
	oc.Mode = ModeFull
	last, err := r.lastCommit(ctx, repo.WebURL)
	if err != nil {
		return oc, err
	}
	if last != "" {
		refs, why, err := incremental(ctx, dir, last, tips)
		if err != nil {
			return oc, err
		}
		if refs != nil {
			oc.Mode = ModeIncremental
			src.Refs, src.Since = refs, last
		} else {
			oc.Reason = why
		}
	}
	eng := *r.o.Engine
	eng.Workers = r.o.Workers
	eng.Progress = nil
	res, err := eng.Run(ctx, src)
	if err != nil {
		if ctx.Err() != nil {
			return oc, ctx.Err()
		}
		oc.Mode, oc.Reason = ModeSkipped, "scan failed: "+err.Error()
		return oc, nil
	}
	// The run's counts are of blobs; the commit messages scanned beside
	// them are not blobs.
	res.Stats.Items -= int64(src.MessagesScanned())
	oc.Stats, oc.Selected = res.Stats, src.Selected()
	if r.o.Store != nil {
		oc.Verified = r.verify(ctx, res.Findings)
		rec, err := r.record(ctx, "git", repo.WebURL, res, inventory.RecordOptions{RepoPath: dir, Partial: oc.Mode == ModeIncremental})
		if err != nil {
			return oc, err
		}
		oc.Recorded = &rec
		r.emit(Event{Kind: EventRecorded, Repo: repo, Recorded: &rec})
		// Only now is the scan on record: remember what it covered.
		_, head := inventory.GitHead(ctx, dir)
		if data, err := json.Marshal(repoState{Head: head, Refs: tips}); err == nil {
			_ = os.WriteFile(filepath.Join(dir, stateFile), data, 0o600)
		}
	}
	oc.Findings, oc.Found = res.Findings, len(res.Findings)
	for i := range oc.Findings {
		oc.Findings[i].Source, oc.Findings[i].Root = "git", repo.WebURL
	}
	return oc, nil
}

// record records one scan in the inventory, one writer at a time.
func (r *Runner) record(ctx context.Context, kind, root string, res scanner.Result, o inventory.RecordOptions) (inventory.Recorded, error) {
	o.Rules, o.Actor = r.o.Rules, r.o.Actor
	r.ingestMu.Lock()
	defer r.ingestMu.Unlock()
	return inventory.Record(ctx, r.o.Store, r.o.Key, kind, root, res, o)
}

// incremental decides whether the mirror at dir can be scanned from last
// (the commit the inventory recorded) on. It returns the revisions to
// scan (every ref, minus the tips the last scan saw) or, when a full scan
// is needed, nil and why.
func incremental(ctx context.Context, dir, last string, tips map[string]string) ([]string, string, error) {
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

// verify verifies, before fs are recorded, those whose rule has a
// validator, so their verification is recorded with them; it returns the
// count per status (nil without a Verifier). The others are left for the
// caller's report (they would be "unknown: no validator", which the
// inventory does not record).
func (r *Runner) verify(ctx context.Context, fs []scanner.Finding) map[string]int {
	if r.o.Verifier == nil {
		return nil
	}
	rules := make(map[string]*detectors.Rule, len(r.o.Rules))
	for _, x := range r.o.Rules {
		rules[x.ID] = x
	}
	var todo []scanner.Finding
	var idx []int
	for i := range fs {
		if x := rules[fs[i].RuleID]; x != nil && x.Verify != nil && fs[i].Verification == nil {
			todo, idx = append(todo, fs[i]), append(idx, i)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	r.o.Verifier.Findings(ctx, rules, todo, 16)
	n := map[string]int{}
	for j, i := range idx {
		fs[i].Verification = todo[j].Verification
		if v := todo[j].Verification; v != nil {
			n[v.Status]++
		}
	}
	return n
}

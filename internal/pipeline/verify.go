package pipeline

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/internal/plural"
	"github.com/sprawlsec/sprawl/internal/termsafe"
	"github.com/sprawlsec/sprawl/scanner"
	"github.com/sprawlsec/sprawl/verify"
)

// Verify says how findings are verified with their providers: the
// command builds it from the --verify flags.
type Verify struct {
	// Results are the statuses whose findings VerifyFindings keeps
	// (scanner.VerifyLive, …); none keeps all.
	Results []string
	// Fingerprint, when set, limits verification to the secret with this
	// inventory fingerprint (the others are not sent anywhere); Key then
	// returns the inventory's fingerprint key.
	Fingerprint string
	Key         func() ([]byte, error)
	// Options configure the verifier; its Cache is loaded from
	// CachePath: "" for the user cache directory's
	// sprawl/verify-cache.json, "off" for none.
	Options   verify.Options
	CachePath string
}

// verifyStatuses are the statuses a verification gives, in the order
// messages list them.
var verifyStatuses = []string{scanner.VerifyLive, scanner.VerifyUnknown, scanner.VerifyRevoked}

// CheckResults checks the statuses a verification is to keep
// (Verify.Results, the --results flag): each must be live, unknown or
// revoked. An error names the first that is not ("…: want a list of
// live, unknown, revoked"; a caller adds the flag's name), and tells
// whoever wrote "verified" what sprawl calls it.
func CheckResults(results []string) error {
	for _, r := range results {
		ok := false
		for _, s := range verifyStatuses {
			ok = ok || r == s
		}
		if !ok && r == "verified" {
			return fmt.Errorf("%q: sprawl calls it live (want a list of %s)", r, strings.Join(verifyStatuses, ", "))
		}
		if !ok {
			return fmt.Errorf("%q: want a list of %s", r, strings.Join(verifyStatuses, ", "))
		}
	}
	return nil
}

// Verifier is a verify.Verifier with its result cache.
type Verifier struct {
	*verify.Verifier
	cache     *verify.Cache
	cachePath string
	ttl       time.Duration
}

// NewVerifier builds the verifier v describes, loading its cache.
func NewVerifier(v *Verify) (*Verifier, error) {
	o := v.Options
	cachePath := v.CachePath
	if cachePath == "" {
		if dir, err := os.UserCacheDir(); err == nil {
			cachePath = filepath.Join(dir, "sprawl", "verify-cache.json")
		} else {
			cachePath = "off"
		}
	}
	if cachePath != "off" {
		c, err := verify.LoadCache(cachePath)
		if err != nil {
			return nil, err
		}
		o.Cache = c
	}
	return &Verifier{Verifier: verify.New(o), cache: o.Cache, cachePath: cachePath, ttl: o.TTL}, nil
}

// Save writes the result cache back, warning on w (unless quiet) when it
// cannot.
func (v *Verifier) Save(w io.Writer, quiet bool) {
	if v.cache == nil {
		return
	}
	if err := v.cache.Save(v.cachePath, time.Now(), v.ttl); err != nil && !quiet {
		fmt.Fprintf(w, "sprawl: warning: %v\n", err)
	}
}

// HostStats writes on w, per host, the requests the verifier made.
func (v *Verifier) HostStats(w io.Writer) {
	stats := v.Stats()
	hosts := make([]string, 0, len(stats))
	for h := range stats {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	for _, h := range hosts {
		// A host can come from a leaked URL or connection string.
		fmt.Fprintf(w, "sprawl: verify: %s: %d requests, at most %d at once\n", termsafe.String(h), stats[h].Requests, stats[h].Peak)
	}
}

// VerifiedLine says how many findings were verified with which result.
func VerifiedLine(total int, n map[string]int) string {
	return fmt.Sprintf("sprawl: verified %s: %d live, %d revoked, %d unknown",
		plural.Count(total, "finding"), n[scanner.VerifyLive], n[scanner.VerifyRevoked], n[scanner.VerifyUnknown])
}

// VerifyFindings verifies the findings of fs not verified yet (before an
// inventory ingest) and keeps those whose status v.Results names.
func (p *Pipeline) VerifyFindings(ctx context.Context, v *Verify, fs []scanner.Finding) ([]scanner.Finding, error) {
	wanted, err := v.wanted()
	if err != nil {
		return nil, err
	}
	var todo []scanner.Finding
	var idx []int
	for i := range fs {
		if fs[i].Verification == nil && wanted(fs[i]) {
			todo, idx = append(todo, fs[i]), append(idx, i)
		}
	}
	if len(todo) > 0 {
		if err := p.runVerify(ctx, v, todo); err != nil {
			return nil, err
		}
		for j, i := range idx {
			fs[i].Verification = todo[j].Verification
		}
	}
	return verify.Filter(fs, v.Results), nil
}

// VerifyForInventory verifies, before a scan's findings are recorded in
// the inventory, those whose rule has a validator (declarative or
// programmatic), so their verification is recorded with them in the same
// transaction. The others are left for VerifyFindings (they are
// "unknown: no validator", which the inventory does not record).
func (p *Pipeline) VerifyForInventory(ctx context.Context, v *Verify, fs []scanner.Finding) error {
	wanted, err := v.wanted()
	if err != nil {
		return err
	}
	var todo []scanner.Finding
	var idx []int
	for i := range fs {
		if r := p.ruleByID(fs[i].RuleID); r != nil && verify.HasValidator(r, fs[i]) && fs[i].Verification == nil && wanted(fs[i]) {
			todo, idx = append(todo, fs[i]), append(idx, i)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if err := p.runVerify(ctx, v, todo); err != nil {
		return err
	}
	for j, i := range idx {
		fs[i].Verification = todo[j].Verification
	}
	return nil
}

// wanted returns which findings may be verified: all, or with a
// Fingerprint only those of the secret with that inventory fingerprint.
func (v *Verify) wanted() (func(scanner.Finding) bool, error) {
	if v.Fingerprint == "" {
		return func(scanner.Finding) bool { return true }, nil
	}
	key, err := v.Key()
	if err != nil {
		return nil, err
	}
	fp := v.Fingerprint
	return func(f scanner.Finding) bool { return f.Secret != "" && scanner.Fingerprint(key, f.Secret) == fp }, nil
}

func (p *Pipeline) ruleByID(id string) *detectors.Rule {
	for _, r := range p.Rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// runVerify asks the providers about fs, setting each one's Verification.
func (p *Pipeline) runVerify(ctx context.Context, v *Verify, fs []scanner.Finding) error {
	ver, err := NewVerifier(v)
	if err != nil {
		return err
	}
	rules := make(map[string]*detectors.Rule, len(p.Rules))
	for _, r := range p.Rules {
		rules[r.ID] = r
	}
	done := p.progressStep(fmt.Sprintf("verifying %d findings", len(fs)))
	ver.Findings(ctx, rules, fs, 16)
	done()
	ver.Save(p.Log, p.Quiet)
	if !p.Quiet {
		n := map[string]int{}
		for _, x := range fs {
			n[x.Verification.Status]++
		}
		fmt.Fprintln(p.Log, VerifiedLine(len(fs), n))
	}
	if p.Verbose {
		ver.HostStats(p.Log)
	}
	return nil
}

package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/scanner"
	"github.com/sprawlsec/sprawl/verify"
)

// verifiedScans are the scan subcommands that can verify their findings
// (scanAndReport, and the organisation scans' report).
var verifiedScans = map[string]bool{"dir": true, "stdin": true, "git": true, "staged": true, "github": true, "gitlab": true}

// addVerifyFlags declares live verification on the scans that support it.
// The flags come only from the command line: a config file found in
// scanned content must not make sprawl send secrets over the network.
func addVerifyFlags(scan *cobra.Command) {
	for _, c := range scan.Commands() {
		if !verifiedScans[c.Name()] {
			continue
		}
		f := c.Flags()
		f.Bool("verify", false, "ask each finding's provider whether the secret still works (sends the secret to the hosts its rule declares; off by default; see docs/verification.md)")
		f.StringSlice("results", nil, "with --verify, report (and fail on) only findings whose verification is one of: live, unknown, revoked")
		f.StringSlice("verify-hosts", nil, "with --verify, contact only these hosts (default: every host a validator declares)")
		f.Duration("verify-timeout", verify.DefaultTimeout, "with --verify, the longest one request may take")
		f.Int("verify-per-host", verify.DefaultPerHost, "with --verify, requests in flight to one host at most")
		f.Duration("verify-ttl", verify.DefaultTTL, "with --verify, how long a live or revoked result is reused before asking again")
		f.String("verify-cache", "", "with --verify, the result cache file (default: sprawl/verify-cache.json in the user cache directory; 'off' for none); it holds keyed fingerprints, never secrets")
	}
}

// Test hooks: where verification connects and which roots it trusts.
// Both stay nil outside tests; the host checks run before the dialer.
var (
	verifyDialHook  func(ctx context.Context, network, addr string) (net.Conn, error)
	verifyRootsHook *x509.CertPool
)

var verifyStatuses = []string{scanner.VerifyLive, scanner.VerifyUnknown, scanner.VerifyRevoked}

// verifyFindings verifies fs when --verify is given and keeps those whose
// status --results names. Without --verify it sends nothing anywhere.
func (p *pipeline) verifyFindings(cmd *cobra.Command, fs []scanner.Finding) ([]scanner.Finding, error) {
	if !verifiedScans[cmd.Name()] {
		return fs, nil
	}
	f := cmd.Flags()
	on, _ := f.GetBool("verify")
	results, err := verifyResults(cmd)
	if err != nil {
		return nil, err
	}
	if !on {
		if len(results) > 0 {
			return nil, usageErr("--results needs --verify")
		}
		return fs, nil
	}
	// Findings verified already (before an inventory ingest) are not
	// asked about again.
	var todo []scanner.Finding
	var idx []int
	for i := range fs {
		if fs[i].Verification == nil {
			todo, idx = append(todo, fs[i]), append(idx, i)
		}
	}
	if len(todo) > 0 {
		if err := p.runVerify(cmd, todo); err != nil {
			return nil, err
		}
		for j, i := range idx {
			fs[i].Verification = todo[j].Verification
		}
	}
	return verify.Filter(fs, results), nil
}

// verifyResults reads and checks --results.
func verifyResults(cmd *cobra.Command) ([]string, error) {
	results, _ := cmd.Flags().GetStringSlice("results")
	for _, r := range results {
		ok := false
		for _, s := range verifyStatuses {
			ok = ok || r == s
		}
		if !ok && r == "verified" {
			return nil, usageErr("--results %q: sprawl calls it live (want a list of %s)", r, strings.Join(verifyStatuses, ", "))
		}
		if !ok {
			return nil, usageErr("--results %q: want a list of %s", r, strings.Join(verifyStatuses, ", "))
		}
	}
	return results, nil
}

// verifyOn reports whether cmd verifies its findings (--verify).
func verifyOn(cmd *cobra.Command) bool {
	if !verifiedScans[cmd.Name()] || cmd.Flags().Lookup("verify") == nil {
		return false
	}
	on, _ := cmd.Flags().GetBool("verify")
	return on
}

// verifyForInventory verifies, before a scan's findings are recorded in
// the inventory, those whose rule has a validator, so their verification
// is recorded with them in the same transaction. The others are left for
// verifyFindings (they are "unknown: no validator", which the inventory
// does not record).
func (p *pipeline) verifyForInventory(cmd *cobra.Command, fs []scanner.Finding) error {
	if !verifyOn(cmd) {
		return nil
	}
	if _, err := verifyResults(cmd); err != nil {
		return err
	}
	var todo []scanner.Finding
	var idx []int
	for i := range fs {
		if r := p.ruleByID(fs[i].RuleID); r != nil && r.Verify != nil && fs[i].Verification == nil {
			todo, idx = append(todo, fs[i]), append(idx, i)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if err := p.runVerify(cmd, todo); err != nil {
		return err
	}
	for j, i := range idx {
		fs[i].Verification = todo[j].Verification
	}
	return nil
}

func (p *pipeline) ruleByID(id string) *detectors.Rule {
	for _, r := range p.rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// verifier is a verify.Verifier configured from the --verify-* flags,
// with its result cache.
type verifier struct {
	*verify.Verifier
	cache     *verify.Cache
	cachePath string
	ttl       time.Duration
}

// newVerifier builds the verifier the flags describe, loading its cache.
func newVerifier(cmd *cobra.Command) (*verifier, error) {
	f := cmd.Flags()
	o := verify.Options{RootCAs: verifyRootsHook, DialContext: verifyDialHook}
	o.Hosts, _ = f.GetStringSlice("verify-hosts")
	o.Timeout, _ = f.GetDuration("verify-timeout")
	o.PerHost, _ = f.GetInt("verify-per-host")
	o.TTL, _ = f.GetDuration("verify-ttl")
	cachePath, _ := f.GetString("verify-cache")
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
			return nil, failure(err)
		}
		o.Cache = c
	}
	return &verifier{Verifier: verify.New(o), cache: o.Cache, cachePath: cachePath, ttl: o.TTL}, nil
}

// save writes the result cache back, warning (unless quiet) when it
// cannot.
func (v *verifier) save(cmd *cobra.Command, quiet bool) {
	if v.cache == nil {
		return
	}
	if err := v.cache.Save(v.cachePath, time.Now(), v.ttl); err != nil && !quiet {
		fmt.Fprintf(cmd.ErrOrStderr(), "sprawl: warning: %v\n", err)
	}
}

// verifiedLine says how many findings were verified with which result.
func verifiedLine(total int, n map[string]int) string {
	return fmt.Sprintf("sprawl: verified %d findings: %d live, %d revoked, %d unknown",
		total, n[scanner.VerifyLive], n[scanner.VerifyRevoked], n[scanner.VerifyUnknown])
}

// hostStats writes, per host, the requests the verifier made.
func (v *verifier) hostStats(cmd *cobra.Command) {
	stats := v.Stats()
	hosts := make([]string, 0, len(stats))
	for h := range stats {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	for _, h := range hosts {
		fmt.Fprintf(cmd.ErrOrStderr(), "sprawl: verify: %s: %d requests, at most %d at once\n", h, stats[h].Requests, stats[h].Peak)
	}
}

// runVerify asks the providers about fs, setting each one's Verification.
func (p *pipeline) runVerify(cmd *cobra.Command, fs []scanner.Finding) error {
	v, err := newVerifier(cmd)
	if err != nil {
		return err
	}
	rules := make(map[string]*detectors.Rule, len(p.rules))
	for _, r := range p.rules {
		rules[r.ID] = r
	}
	bar := newProgress(cmd.ErrOrStderr(), p.s.Quiet, fmt.Sprintf("verifying %d findings", len(fs)), -1, "")
	bar.tick()
	v.Findings(cmd.Context(), rules, fs, 16)
	bar.finish()
	v.save(cmd, p.s.Quiet)
	if !p.s.Quiet {
		n := map[string]int{}
		for _, x := range fs {
			n[x.Verification.Status]++
		}
		fmt.Fprintln(cmd.ErrOrStderr(), verifiedLine(len(fs), n))
	}
	if p.s.Verbose {
		v.hostStats(cmd)
	}
	return nil
}

// revoked reports whether the provider said f's secret no longer works:
// such a finding is reported but does not fail the scan. Unknown does.
func revoked(f scanner.Finding) bool {
	return f.Verification != nil && f.Verification.Status == scanner.VerifyRevoked
}

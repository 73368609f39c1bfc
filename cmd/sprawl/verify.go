package main

import (
	"context"
	"crypto/x509"
	"net"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/internal/pipeline"
	"github.com/sprawlsec/sprawl/scanner"
	"github.com/sprawlsec/sprawl/verify"
)

// verifiedScans are the scan subcommands that can verify their findings
// (scanAndReport, and the organisation scans' report).
var verifiedScans = map[string]bool{"dir": true, "stdin": true, "git": true, "staged": true, "github": true, "gitlab": true, "azure-devops": true, "bitbucket": true}

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
		f.StringArray("verify-db-host", nil, "with --verify, log in to the database server HOST[:PORT] with the database URIs found for it (repeatable; connects and authenticates, nothing more; no database is contacted without it)")
		f.Duration("verify-timeout", verify.DefaultTimeout, "with --verify, the longest one request may take")
		f.Int("verify-per-host", verify.DefaultPerHost, "with --verify, requests in flight to one host at most")
		f.Duration("verify-ttl", verify.DefaultTTL, "with --verify, how long a live or revoked result is reused before asking again")
		f.String("verify-cache", "", "with --verify, the result cache file (default: sprawl/verify-cache.json in the user cache directory; 'off' for none); it holds keyed fingerprints, never secrets")
		// Set by 'sprawl verify --fingerprint': only the secret with this
		// inventory fingerprint is sent to its provider.
		f.String("verify-fingerprint", "", "with --verify, verify only the secret with this inventory fingerprint")
		_ = f.MarkHidden("verify-fingerprint")
	}
}

// Test hooks: where verification connects and which roots it trusts.
// Both stay nil outside tests; the host checks run before the dialer.
var (
	verifyDialHook  func(ctx context.Context, network, addr string) (net.Conn, error)
	verifyRootsHook *x509.CertPool
)

// verifyFindings verifies fs when --verify is given and keeps those whose
// status --results names. Without --verify it sends nothing anywhere.
func (p *scanRun) verifyFindings(cmd *cobra.Command, fs []scanner.Finding) ([]scanner.Finding, error) {
	if !verifiedScans[cmd.Name()] {
		return fs, nil
	}
	on, _ := cmd.Flags().GetBool("verify")
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
	fs, err = p.VerifyFindings(cmd.Context(), verification(cmd, results), fs)
	return fs, exitErr(err)
}

// verifyResults reads and checks --results.
func verifyResults(cmd *cobra.Command) ([]string, error) {
	results, _ := cmd.Flags().GetStringSlice("results")
	if err := pipeline.CheckResults(results); err != nil {
		return nil, usageErr("--results %v", err)
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

// verification is how the --verify-* flags say to verify findings,
// keeping those whose status is one of results.
func verification(cmd *cobra.Command, results []string) *pipeline.Verify {
	f := cmd.Flags()
	v := &pipeline.Verify{Results: results, Key: inventoryKey}
	if f.Lookup("verify-fingerprint") != nil {
		v.Fingerprint, _ = f.GetString("verify-fingerprint")
	}
	v.Options = verify.Options{RootCAs: verifyRootsHook, DialContext: verifyDialHook}
	v.Options.Hosts, _ = f.GetStringSlice("verify-hosts")
	v.Options.DBHosts, _ = f.GetStringArray("verify-db-host")
	v.Options.Timeout, _ = f.GetDuration("verify-timeout")
	v.Options.PerHost, _ = f.GetInt("verify-per-host")
	v.Options.TTL, _ = f.GetDuration("verify-ttl")
	v.CachePath, _ = f.GetString("verify-cache")
	return v
}

// newVerifier builds the verifier the flags describe, loading its cache.
func newVerifier(cmd *cobra.Command) (*pipeline.Verifier, error) {
	v, err := pipeline.NewVerifier(verification(cmd, nil))
	return v, failure(err)
}

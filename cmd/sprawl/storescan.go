package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/internal/plural"
	"github.com/sprawlsec/sprawl/inventory/storescan"
	"github.com/sprawlsec/sprawl/reports"
	"github.com/sprawlsec/sprawl/scanner"
	"github.com/sprawlsec/sprawl/scanner/forge"
)

// storeScan is one scan of a store whose content is read through an API
// (a Jenkins controller, a Kubernetes cluster): its content goes through
// the scan pipeline, its secret objects' metadata into the inventory.
type storeScan struct {
	cmd *cobra.Command
	p   *scanRun
	dsn string
}

func newStoreScan(cmd *cobra.Command, what string) (*storeScan, error) {
	if includeSuppressed(cmd) {
		return nil, usageErr("--include-suppressed is not supported by %s scans yet", what)
	}
	s, err := loadSettings(cmd, "")
	if err != nil {
		return nil, err
	}
	p, err := newScanRun(s)
	if err != nil {
		return nil, err
	}
	dsn, _ := cmd.Flags().GetString("inventory")
	return &storeScan{cmd: cmd, p: p, dsn: dsn}, nil
}

// rateLimiter is the transport of an HTTP API client: 429s and 403s that
// say so are waited out, each wait at most --max-wait.
func (st *storeScan) rateLimiter() (*forge.RateLimiter, error) {
	w := st.cmd.ErrOrStderr()
	return newRateLimiter(st.cmd, st.p.s.Quiet, func(format string, args ...any) { fmt.Fprintf(w, format, args...) })
}

// skipped says what was skipped and why; the scan goes on. Both are
// escaped: what names a namespace, an object or a job, and reason quotes
// the API's answer.
func (st *storeScan) skipped(what, reason string) {
	fmt.Fprintf(st.cmd.ErrOrStderr(), "sprawl: skipped %s: %s\n", reports.Printable(what), reports.Printable(reason))
}

// run scans src, reports its findings and, with --inventory, records
// secrets (the store's secret objects; nil for none). A source that covered only part of
// the store must say so (Partial), so that what it did not see is not
// marked gone. The error carries the exit code: findings (1) first, then
// unreadable items (3).
func (st *storeScan) run(src scanner.Source, secrets *storescan.Secrets) error {
	cmd, p := st.cmd, st.p
	res, baselined, err := p.scan(cmd, src)
	if err != nil {
		return err
	}
	if res.Findings, err = p.verifyFindings(cmd, res.Findings); err != nil {
		return err
	}
	if err := p.report(cmd, src.Root(), p.withSuppressed(cmd, res.Findings), res.Stats.Errors); err != nil {
		return err
	}
	p.summary(cmd.ErrOrStderr(), src, res, baselined)
	p.listSuppressed(cmd.ErrOrStderr())
	if st.dsn != "" && secrets != nil {
		s, err := openInventory(cmd.Context(), st.dsn)
		if err != nil {
			return err
		}
		rec, err := storescan.Record(cmd.Context(), s, *secrets, actorName(""))
		s.Close()
		if err != nil {
			return inventoryErr(err)
		}
		if c := rec.CISecrets; c != nil && !p.s.Quiet {
			fmt.Fprintf(cmd.ErrOrStderr(), "sprawl: inventory: %s of %s (%d new, %d updated, %d gone) — see 'sprawl inventory ci-secrets'\n",
				plural.Count(c.Secrets, "store secret"), reports.Printable(secrets.Batch.Owner), c.New, c.Updated, c.Gone)
		}
		if x := rec.Index; x != nil && !p.s.Quiet {
			fmt.Fprintf(cmd.ErrOrStderr(), "sprawl: inventory: %s of %s fingerprinted (%d new, %d changed, %d gone) — see 'sprawl inventory managed'\n",
				plural.Count(x.Entries, "secret value"), reports.Printable(secrets.Index.Store), x.New, x.Changed, x.Gone)
		}
	}
	if p.Failing(res.Findings) {
		return errFindings
	}
	return incomplete(res.Stats.Errors)
}

package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/reports"
)

func newReportCmd() *cobra.Command {
	rep := &cobra.Command{
		Use:   "report",
		Short: "Periodic reports over the inventory",
	}
	rep.AddCommand(newReportInventoryCmd())
	return rep
}

func newReportInventoryCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "inventory",
		Short: "The quarterly inventory review: leaks, rotations, overdue secrets, sharing, trend, audit status",
		Long: `Write the inventory review for a period (default: the last full calendar
quarter, UTC): figures by status, severity, class and environment; new
leaks and rotations in the period; overdue rotations against the policy;
secrets shared across environments or spread over several repositories
or stores; the repositories with most open leaks; the trend of open leaks
from the scans recorded in the period; and the audit log's verification
with its head as SEQ:HASH, so the document is evidence in itself (check the
inventory against it later with 'sprawl audit verify --expect-head').

Formats: table (terminal), html (one self-contained file: inline CSS and
SVG charts, sortable tables, no network requests; prints cleanly),
markdown (wikis, pull requests), csv (one row per secret and location)
and json (the same data for dashboards). Without --format the format
follows --output's extension (.html, .md, .csv, .json), else table.

Dates are YYYY-MM-DD in UTC; --until is the last day included.

Exit codes: 0 written, 1 written but the audit log failed verification,
2 bad flag or value, 3 the inventory could not be read or the output
written.`,
		Example: `  sprawl report inventory --output q3.html
  sprawl report inventory --quarter 2026-Q3 --format md > review.md
  sprawl report inventory --since 2026-01-01 --until 2026-06-30 --format csv --output h1.csv`,
		Args: cobra.NoArgs,
		RunE: runReportInventory,
	}
	f := c.Flags()
	f.String("inventory", "", inventoryFlagHelp)
	f.String("since", "", "first day of the period (YYYY-MM-DD)")
	f.String("until", "", "last day of the period, included (YYYY-MM-DD; default: today if --since is given)")
	f.String("quarter", "", "a calendar quarter, e.g. 2026-Q3 (instead of --since/--until)")
	f.StringP("format", "f", "", "table, html, markdown (md), csv or json (default: from --output's extension, else table)")
	f.StringP("output", "o", "", "write to this file (0600) instead of stdout")
	f.Int("top", 10, "how many repositories the top-repositories table lists")
	f.String("repository", "", "only secrets found in repositories whose name contains this (a team's report), and their scans and CI secrets")
	f.String("title", "", "the report's title (default: the period, e.g. \"Secret inventory review 2026-Q3\")")
	return c
}

// reportPeriod resolves --since/--until/--quarter to [since, until) in UTC.
func reportPeriod(cmd *cobra.Command, now time.Time) (since, until time.Time, err error) {
	sinceS, _ := cmd.Flags().GetString("since")
	untilS, _ := cmd.Flags().GetString("until")
	quarter, _ := cmd.Flags().GetString("quarter")
	if quarter != "" {
		if sinceS != "" || untilS != "" {
			return since, until, usageErr("--quarter cannot be combined with --since or --until")
		}
		since, until, err = reports.ParseQuarter(quarter, time.UTC)
		if err != nil {
			return since, until, usageErr("%v", err)
		}
		return since, until, nil
	}
	if sinceS == "" && untilS == "" {
		since, until = reports.LastFullQuarter(now.UTC())
		return since, until, nil
	}
	parse := func(name, v string) (time.Time, error) {
		t, err := time.ParseInLocation(time.DateOnly, v, time.UTC)
		if err != nil {
			return t, usageErr("--%s %q: want a date as YYYY-MM-DD", name, v)
		}
		return t, nil
	}
	if sinceS == "" {
		return since, until, usageErr("--until needs --since")
	}
	if since, err = parse("since", sinceS); err != nil {
		return since, until, err
	}
	last := now.UTC().Truncate(24 * time.Hour)
	if untilS != "" {
		if last, err = parse("until", untilS); err != nil {
			return since, until, err
		}
	}
	until = last.AddDate(0, 0, 1)
	if !since.Before(until) {
		return since, until, usageErr("--since %s is after --until %s", sinceS, last.Format(time.DateOnly))
	}
	return since, until, nil
}

func reportFormat(format, output string) (string, error) {
	if format == "" {
		if f := formatForOutput(output, reports.InventoryFormats()); f != "" {
			return f, nil
		}
		return "table", nil
	}
	f := strings.ToLower(strings.TrimSpace(format))
	if f == "md" {
		f = "markdown"
	}
	for _, k := range reports.InventoryFormats() {
		if f == k {
			return f, nil
		}
	}
	return "", usageErr("invalid format %q for an inventory report (want %s)", format, strings.Join(reports.InventoryFormats(), ", "))
}

func runReportInventory(cmd *cobra.Command, _ []string) error {
	now := time.Now()
	since, until, err := reportPeriod(cmd, now)
	if err != nil {
		return err
	}
	output, _ := cmd.Flags().GetString("output")
	formatFlag, _ := cmd.Flags().GetString("format")
	format, err := reportFormat(formatFlag, output)
	if err != nil {
		return err
	}
	top, _ := cmd.Flags().GetInt("top")
	if top < 1 {
		return usageErr("--top must be at least 1")
	}
	flag, _ := cmd.Flags().GetString("inventory")
	repo, _ := cmd.Flags().GetString("repository")
	title, _ := cmd.Flags().GetString("title")
	var rep *reports.InventoryReport
	err = withInventory(cmd, func(s inventory.Store) error {
		r, err := reports.BuildInventoryReport(cmd.Context(), s, reports.PeriodOptions{
			Since: since, Until: until, Now: now, Inventory: displayDSN(inventoryDSN(flag)), TopRepositories: top,
			Repository: repo, Title: title,
		})
		if err != nil {
			return inventoryErr(err)
		}
		rep = r
		return nil
	})
	if err != nil {
		return err
	}
	if output == "" || output == "-" {
		rep.TermWidth = tableWidth(cmd.OutOrStdout())
	}
	if err := writeOutput(cmd.OutOrStdout(), output, func(w io.Writer) error {
		return reports.WriteInventoryReport(w, rep, format)
	}); err != nil {
		return err
	}
	if output != "" && output != "-" {
		fmt.Fprintln(cmd.ErrOrStderr(), reports.InventoryReportLine(format, output, rep))
	}
	if !rep.Audit.Verified {
		return &exitError{exitFindings, errors.New("the audit log failed verification: " + rep.Audit.Problem)}
	}
	return nil
}

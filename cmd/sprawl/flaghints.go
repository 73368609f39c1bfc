package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/internal/pipeline"
)

// migrationDoc is where each hint points for the full table.
const migrationDoc = pipeline.MigrationDoc

// flagHints answers flags of gitleaks and TruffleHog, which people coming
// from those tools type by habit, with what sprawl does instead. Keys are
// long flag names without dashes; one-letter keys are gitleaks shorthands
// sprawl does not define.
var flagHints = map[string]string{
	// gitleaks
	"report-path":           "sprawl uses --output FILE (-o)",
	"r":                     "sprawl uses --output FILE (-o) for gitleaks's -r",
	"report-format":         "sprawl uses --format (-f): table, json, sarif, …",
	"report-template":       "sprawl has no templates; pick a --format (json, jsonl, csv, sarif, junit, markdown)",
	"redact":                "sprawl redacts secrets by default; --show-secrets prints them in full",
	"exit-code":             "sprawl always exits 1 on findings; choose which count with --fail-on SEVERITY",
	"log-opts":              "sprawl uses 'scan git --since REV' or '--range A..B'",
	"no-git":                "sprawl uses 'sprawl scan dir PATH' for files without history",
	"source":                "sprawl takes the path as an argument: 'sprawl scan dir PATH' or 'sprawl scan git PATH'",
	"s":                     "sprawl takes the path as an argument: 'sprawl scan dir PATH' or 'sprawl scan git PATH'",
	"baseline-path":         "sprawl uses --baseline FILE; convert a gitleaks report with 'sprawl baseline import REPORT'",
	"b":                     "sprawl uses --baseline FILE; convert a gitleaks report with 'sprawl baseline import REPORT'",
	"gitleaks-ignore-path":  "sprawl reads .gitleaksignore from the scanned directory",
	"i":                     "sprawl reads .gitleaksignore from the scanned directory",
	"max-target-megabytes":  "sprawl uses --max-file-size SIZE (e.g. 10MB)",
	"log-level":             "sprawl uses --verbose (-v) or --quiet (-q)",
	"l":                     "sprawl uses --verbose (-v) or --quiet (-q)",
	"no-banner":             "sprawl prints no banner",
	"no-color":              "sprawl uses no colour",
	"staged":                "sprawl uses 'sprawl scan staged'",
	"pre-commit":            "sprawl uses 'sprawl scan staged' (see 'sprawl hook install')",
	"follow-symlinks":       "sprawl never follows symbolic links",
	"enable-rule":           "sprawl runs every rule; turn some off with disable-rules in .sprawl.yaml",
	"max-decode-depth":      "sprawl decodes base64, percent and JSON escapes on its own",
	"ignore-gitleaks-allow": "sprawl honours gitleaks:allow and sprawl:allow comments; use a baseline to track accepted findings",
	// TruffleHog
	"results":         "sprawl verifies with --verify on a scan, then filters with --results live,unknown,revoked",
	"only-verified":   "sprawl uses --verify --results live",
	"no-verification": "sprawl calls live services only with --verify; drop the flag",
	"json":            "sprawl uses --format json (or jsonl)",
	"fail":            "sprawl exits 1 on findings by default",
	"concurrency":     "sprawl uses --workers N",
	"since-commit":    "sprawl uses 'scan git --since REV'",
	"include-paths":   "sprawl scans everything not excluded by allowlist paths in .sprawl.yaml",
	"exclude-paths":   "sprawl uses allowlist paths (RE2) in .sprawl.yaml",
	"no-update":       "sprawl never updates itself",
	"github-actions":  "sprawl uses --format sarif for GitHub code scanning",
	"filter-entropy":  "sprawl's rules carry their own entropy thresholds",
	"max-depth":       "sprawl uses 'scan git --since REV' or '--range A..B' to limit history",
}

// flagHint turns cobra's "unknown flag" errors for a flag in flagHints
// into a usage error naming sprawl's way; it returns nil for others.
func flagHint(c *cobra.Command, err error) error {
	msg := err.Error()
	var name, shown string
	switch {
	case strings.HasPrefix(msg, "unknown flag: --"):
		name = strings.TrimPrefix(msg, "unknown flag: --")
		shown = "--" + name
	case strings.HasPrefix(msg, "unknown shorthand flag: '"):
		name = strings.TrimPrefix(msg, "unknown shorthand flag: '")
		if i := strings.IndexByte(name, '\''); i > 0 {
			name = name[:i]
		}
		shown = "-" + name
		if !strings.Contains(c.CommandPath(), " scan") {
			return nil // a one-letter flag means gitleaks only on a scan
		}
	default:
		return nil
	}
	hint, ok := flagHints[name]
	if !ok {
		return nil
	}
	return usageErr("unknown flag %s; %s (see %s)", shown, hint, migrationDoc)
}

// Package reports turns findings into the formats people and tools read:
// a terminal table, JSON, JSON Lines, SARIF 2.1.0 for code scanning, CSV,
// JUnit XML for CI test views and Markdown for pull requests and wikis.
//
// New returns a Reporter for a format name; Formats lists the names. Every
// Reporter writes one complete document per call to Report and returns the
// first error the writer reported, so a full disk or a closed pipe never
// looks like a clean scan.
//
// Secrets: a Reporter prints Finding.Redacted, never Finding.Secret, unless
// Options.ShowSecrets is set. Without ShowSecrets it also scrubs the secret
// out of commit messages, where authors sometimes paste it.
//
// Memory: the json and jsonl writers encode one record at a time over a
// sorted index of the findings, never a copy of them all.
//
// Order: Report writes findings sorted by file, line, column, rule and
// commit, whatever order they arrived in, so that the same scan produces
// the same bytes (the engine's workers deliver findings in any order).
//
// Concurrency: a Reporter holds only its Options, which it does not modify;
// it is safe for concurrent use as long as the callers do not modify the
// Options' Rules or the findings while a Report is running. The package
// starts no goroutines and does no I/O other than writing to the writer it
// is given.
package reports

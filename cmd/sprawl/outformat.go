package main

import (
	"path/filepath"
	"strings"
)

// outputFormats maps an --output file's extension to the format it
// implies.
var outputFormats = map[string]string{
	".sarif":    "sarif",
	".json":     "json",
	".jsonl":    "jsonl",
	".ndjson":   "jsonl",
	".csv":      "csv",
	".md":       "markdown",
	".markdown": "markdown",
	".xml":      "junit",
	".html":     "html",
	".htm":      "html",
	".txt":      "table",
}

// formatForOutput is the format an --output file's extension implies,
// among those the command supports, or "" when the extension implies
// none of them. Every command that takes --format and --output uses it
// when --format is not given, so `-o findings.sarif` writes SARIF, not a
// table into a .sarif file.
func formatForOutput(output string, supported []string) string {
	f, ok := outputFormats[strings.ToLower(filepath.Ext(output))]
	if !ok {
		return ""
	}
	for _, s := range supported {
		if s == f {
			return f
		}
	}
	return ""
}

package scanner

import (
	"path"
	"strings"

	"github.com/sprawlsec/sprawl/detectors"
)

var testDirs = map[string]bool{
	"test": true, "tests": true, "testing": true, "__tests__": true, "spec": true, "specs": true,
	"fixture": true, "fixtures": true, "testdata": true, "mock": true, "mocks": true, "e2e": true,
}

// TestPath reports whether a slash-separated path is test code or test
// data: a test directory, or a file named like a test.
func TestPath(p string) bool {
	for _, dir := range strings.Split(path.Dir(p), "/") {
		if testDirs[strings.ToLower(dir)] {
			return true
		}
	}
	base := strings.ToLower(path.Base(p))
	return strings.Contains(base, "_test.") || strings.Contains(base, ".test.") || strings.Contains(base, ".spec.") ||
		strings.HasPrefix(base, "test_") || strings.HasSuffix(strings.TrimSuffix(base, path.Ext(base)), "_spec")
}

// findingSeverity adjusts a rule's severity for where the secret was
// found: a generic rule's match in test code is most likely a fixture, so
// it is low; a provider-format credential keeps its severity anywhere,
// because a live key in a test is still a live key.
func findingSeverity(r *detectors.Rule, file string) detectors.Severity {
	if r.Generic && r.Severity > detectors.SeverityLow && TestPath(file) {
		return detectors.SeverityLow
	}
	return r.Severity
}

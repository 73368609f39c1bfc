// Package browsertest finds the headless Chromium the HTML tests drive.
// It is imported by tests only.
package browsertest

import (
	"os"
	"os/exec"
	"testing"
)

// Chromium returns a headless-capable Chromium: $SPRAWL_CHROMIUM, else
// Debian's chromium (or another Chromium) on PATH. Under CI (CI=true) a
// missing browser fails the test, because .ci/run installs it
// (scripts/install-test-tools.sh); elsewhere the test is skipped.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("SPRAWL_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on PATH: .ci/run installs Debian's chromium package (scripts/install-test-tools.sh)")
	}
	t.Skip("no chromium on PATH (apt-get install chromium, or set SPRAWL_CHROMIUM)")
	return ""
}

package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestLiveGitHub scans a real organisation. It runs only with
// SPRAWL_LIVE_GITHUB=1, GITHUB_TOKEN and SPRAWL_LIVE_GITHUB_ORG set, never
// in CI (docs/org-scans.md).
func TestLiveGitHub(t *testing.T) {
	if os.Getenv("SPRAWL_LIVE_GITHUB") != "1" {
		t.Skip("set SPRAWL_LIVE_GITHUB=1, GITHUB_TOKEN and SPRAWL_LIVE_GITHUB_ORG to run against github.com")
	}
	org, token := os.Getenv("SPRAWL_LIVE_GITHUB_ORG"), os.Getenv(envGitHubToken)
	if org == "" || token == "" {
		t.Fatal("SPRAWL_LIVE_GITHUB=1 needs GITHUB_TOKEN and SPRAWL_LIVE_GITHUB_ORG")
	}
	dir := isolate(t)
	t.Setenv(envGitHubToken, token)
	t.Setenv(envKey, "a-fingerprint-key-for-the-live-test")
	args := []string{"scan", "github", "--org", org, "--inventory", filepath.Join(dir, "inv.db"),
		"--cache-dir", filepath.Join(dir, "cache"), "--concurrency", "2", "--format", "json", "--output", filepath.Join(dir, "out.json")}
	code, _, stderr := runSprawl(context.Background(), args...)
	if code != 0 && code != exitFindings {
		t.Fatalf("first run: exit %d\n%s", code, stderr)
	}
	first := summary(t, stderr)
	t.Logf("first run: %d full, %d incremental, %d skipped, %d blobs", first[0], first[1], first[2], first[3])
	code, _, stderr = runSprawl(context.Background(), args...)
	if code != 0 && code != exitFindings {
		t.Fatalf("second run: exit %d\n%s", code, stderr)
	}
	second := summary(t, stderr)
	if second[0] != 0 || second[1] != first[0] {
		t.Errorf("second run = %v, want every repository scanned in full the first time to be incremental (first %v)", second, first)
	}
}

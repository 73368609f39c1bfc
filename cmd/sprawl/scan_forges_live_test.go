package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// liveOrgScan scans a real organisation or workspace twice into a
// temporary inventory: the first run must complete (exit 0 or 1), the
// second must scan incrementally every repository the first scanned in
// full.
func liveOrgScan(t *testing.T, args ...string) {
	t.Helper()
	dir := isolate(t)
	t.Setenv(envKey, "a-fingerprint-key-for-the-live-test")
	args = append(args, "--inventory", filepath.Join(dir, "inv.db"), "--cache-dir", filepath.Join(dir, "cache"),
		"--concurrency", "2", "--format", "json", "--output", filepath.Join(dir, "out.json"))
	code, _, stderr := runSprawl(context.Background(), args...)
	if code != 0 && code != exitFindings {
		t.Fatalf("first run: exit %d\n%s", code, stderr)
	}
	first := summary(t, stderr)
	t.Logf("first run: %d full, %d incremental, %d skipped, %d blobs\n%s", first[0], first[1], first[2], first[3], stderr)
	code, _, stderr = runSprawl(context.Background(), args...)
	if code != 0 && code != exitFindings {
		t.Fatalf("second run: exit %d\n%s", code, stderr)
	}
	if second := summary(t, stderr); second[0] != 0 || second[1] != first[0] {
		t.Errorf("second run = %v, want every repository scanned in full the first time to be incremental (first %v)", second, first)
	}
}

// TestLiveAzureDevOps scans a real organisation. It runs only with
// SPRAWL_LIVE_AZURE_DEVOPS=1, AZURE_DEVOPS_TOKEN and
// SPRAWL_LIVE_AZURE_DEVOPS_ORG set, never in CI (docs/org-scans.md).
func TestLiveAzureDevOps(t *testing.T) {
	if os.Getenv("SPRAWL_LIVE_AZURE_DEVOPS") != "1" {
		t.Skip("set SPRAWL_LIVE_AZURE_DEVOPS=1, AZURE_DEVOPS_TOKEN and SPRAWL_LIVE_AZURE_DEVOPS_ORG to run against dev.azure.com")
	}
	org, token := os.Getenv("SPRAWL_LIVE_AZURE_DEVOPS_ORG"), os.Getenv(envAzureDevOpsToken)
	if org == "" || token == "" {
		t.Fatal("SPRAWL_LIVE_AZURE_DEVOPS=1 needs AZURE_DEVOPS_TOKEN and SPRAWL_LIVE_AZURE_DEVOPS_ORG")
	}
	t.Setenv(envAzureDevOpsToken, token)
	liveOrgScan(t, "scan", "azure-devops", "--org", org)
}

// TestLiveBitbucket scans a real workspace. It runs only with
// SPRAWL_LIVE_BITBUCKET=1, SPRAWL_LIVE_BITBUCKET_WORKSPACE and either
// BITBUCKET_TOKEN or BITBUCKET_USERNAME with BITBUCKET_APP_PASSWORD set,
// never in CI (docs/org-scans.md).
func TestLiveBitbucket(t *testing.T) {
	if os.Getenv("SPRAWL_LIVE_BITBUCKET") != "1" {
		t.Skip("set SPRAWL_LIVE_BITBUCKET=1, SPRAWL_LIVE_BITBUCKET_WORKSPACE and BITBUCKET_TOKEN (or BITBUCKET_USERNAME and BITBUCKET_APP_PASSWORD) to run against bitbucket.org")
	}
	ws := os.Getenv("SPRAWL_LIVE_BITBUCKET_WORKSPACE")
	token, user, pass := os.Getenv(envBitbucketToken), os.Getenv(envBitbucketUser), os.Getenv(envBitbucketPassword)
	if ws == "" || (token == "" && (user == "" || pass == "")) {
		t.Fatal("SPRAWL_LIVE_BITBUCKET=1 needs SPRAWL_LIVE_BITBUCKET_WORKSPACE and BITBUCKET_TOKEN or BITBUCKET_USERNAME with BITBUCKET_APP_PASSWORD")
	}
	t.Setenv(envBitbucketToken, token)
	t.Setenv(envBitbucketUser, user)
	t.Setenv(envBitbucketPassword, pass)
	liveOrgScan(t, "scan", "bitbucket", "--workspace", ws)
}

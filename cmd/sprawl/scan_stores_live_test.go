package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLiveJenkins scans a real controller. It runs only with
// SPRAWL_LIVE_JENKINS=1, SPRAWL_LIVE_JENKINS_URL, JENKINS_USER and
// JENKINS_API_TOKEN set, never in CI (docs/org-scans.md).
func TestLiveJenkins(t *testing.T) {
	if os.Getenv("SPRAWL_LIVE_JENKINS") != "1" {
		t.Skip("set SPRAWL_LIVE_JENKINS=1, SPRAWL_LIVE_JENKINS_URL, JENKINS_USER and JENKINS_API_TOKEN to run against a Jenkins controller")
	}
	url, user, token := os.Getenv("SPRAWL_LIVE_JENKINS_URL"), os.Getenv(envJenkinsUser), os.Getenv(envJenkinsToken)
	if url == "" || user == "" || token == "" {
		t.Fatal("SPRAWL_LIVE_JENKINS=1 needs SPRAWL_LIVE_JENKINS_URL, JENKINS_USER and JENKINS_API_TOKEN")
	}
	dir := isolate(t)
	t.Setenv(envJenkinsUser, user)
	t.Setenv(envJenkinsToken, token)
	t.Setenv(envKey, "a-fingerprint-key-for-the-live-test")
	db := filepath.Join(dir, "inv.db")
	code, _, stderr := runSprawl(context.Background(), "scan", "jenkins", "--url", url, "--inventory", db,
		"--format", "json", "--output", filepath.Join(dir, "out.json"))
	if code != 0 && code != exitFindings {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if strings.Contains(stderr, token) {
		t.Fatal("the API token was printed")
	}
	t.Logf("%s", stderr)
	t.Logf("%d store secrets recorded", len(ciSecrets(t, db, "jenkins")))
}

// TestLiveKubernetes scans a real cluster, read-only. It runs only with
// SPRAWL_LIVE_KUBERNETES=1 (and optionally SPRAWL_LIVE_KUBE_CONTEXT), with
// the kubeconfig from $KUBECONFIG or ~/.kube/config, never in CI.
func TestLiveKubernetes(t *testing.T) {
	if os.Getenv("SPRAWL_LIVE_KUBERNETES") != "1" {
		t.Skip("set SPRAWL_LIVE_KUBERNETES=1 (and SPRAWL_LIVE_KUBE_CONTEXT) to run against the kubeconfig's cluster")
	}
	kubeconfig := os.Getenv("KUBECONFIG")
	if kubeconfig == "" {
		home, _ := os.UserHomeDir()
		kubeconfig = filepath.Join(home, ".kube", "config")
	}
	dir := isolate(t)
	t.Setenv(envKey, "a-fingerprint-key-for-the-live-test")
	db := filepath.Join(dir, "inv.db")
	code, _, stderr := runSprawl(context.Background(), "scan", "kubernetes", "--kubeconfig", kubeconfig, "--context", os.Getenv("SPRAWL_LIVE_KUBE_CONTEXT"),
		"--inventory", db, "--format", "json", "--output", filepath.Join(dir, "out.json"))
	if code != 0 && code != exitFindings {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	t.Logf("%s", stderr)
	t.Logf("%d Secrets recorded", len(ciSecrets(t, db, "kubernetes")))
}

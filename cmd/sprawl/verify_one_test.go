package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sprawlsec/sprawl/scanner"
)

// sprawl verify --fingerprint PREFIX re-verifies one inventory entry: the
// rescan finds both secrets, but only the one named is sent to its
// provider and gains a verification; an unknown prefix, or a rescan that
// does not find the value, is a usage error.
func TestVerifyCommandOneFingerprint(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	one := "ghp_" + "3BsYdLdigjpvPgKzcNdCWOQlCdARtt3aCV5k"
	other := "ghp_" + "8EDM9sGHI7tNOSyeCSFr6e1Tq8eJgd4f5rpu"
	if err := os.WriteFile(filepath.Join(dir, "app.env"), []byte("GITHUB_TOKEN="+one+"\nDEPLOY_TOKEN="+other+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dsn := filepath.Join(t.TempDir(), "inv.db")
	ctx := context.Background()
	requests := fakeGitHubAPI(t, 200, `{"login":"octocat"}`)
	if code, _, errOut := runSprawl(ctx, "verify", "--inventory", dsn, "--rescan", dir, "--verify-cache", "off"); code != exitFindings || !strings.Contains(errOut, "2 live") {
		t.Fatalf("verify all: exit %d\n%s", code, errOut)
	}
	if n := requests.Load(); n != 2 {
		t.Fatalf("verify all: %d requests, want 2", n)
	}
	key, err := inventoryKey()
	if err != nil {
		t.Fatal(err)
	}
	fp := scanner.Fingerprint(key, one)

	requests = fakeGitHubAPI(t, 401, `{"message":"Bad credentials"}`)
	code, _, errOut := runSprawl(ctx, "verify", "--inventory", dsn, "--rescan", dir, "--fingerprint", fp[:8])
	if code == exitUsage || code == exitFailure || !strings.Contains(errOut, "secret "+fp[:12]+" is revoked") {
		t.Fatalf("verify --fingerprint: exit %d, want the secret's new answer\n%s", code, errOut)
	}
	if n := requests.Load(); n != 1 {
		t.Fatalf("verify --fingerprint: %d requests, want 1 (only the secret named)", n)
	}
	code, out, _ := runInventoryCLI(t, "inventory", "list", "--inventory", dsn, "-f", "json")
	var es []struct {
		Fingerprint  string `json:"fingerprint"`
		Verification []struct {
			Status string `json:"status"`
		} `json:"verification"`
	}
	if err := json.Unmarshal([]byte(out), &es); err != nil || code != 0 || len(es) != 2 {
		t.Fatalf("list: exit %d, %v\n%s", code, err, out)
	}
	for _, e := range es {
		want := []string{"live"}
		if e.Fingerprint == fp {
			want = []string{"live", "revoked"}
		}
		var got []string
		for _, v := range e.Verification {
			got = append(got, v.Status)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("secret %s: history %v, want %v", e.Fingerprint[:12], got, want)
		}
	}
	if code, _, errOut := runSprawl(ctx, "verify", "--inventory", dsn, "--rescan", dir, "--fingerprint", "ffffffff"); code != exitUsage || !strings.Contains(errOut, "no secret with that inventory fingerprint") {
		t.Fatalf("verify --fingerprint unknown: exit %d, want %d\n%s", code, exitUsage, errOut)
	}
	empty := t.TempDir()
	if code, _, errOut := runSprawl(ctx, "verify", "--inventory", dsn, "--rescan", empty, "--fingerprint", fp[:8]); code != exitUsage || !strings.Contains(errOut, "was not found under") {
		t.Fatalf("verify --fingerprint, value gone: exit %d, want %d\n%s", code, exitUsage, errOut)
	}
	if code, out, errOut := runInventoryCLI(t, "audit", "verify", "--inventory", dsn); code != 0 {
		t.Fatalf("audit verify: exit %d\n%s%s", code, out, errOut)
	}
}

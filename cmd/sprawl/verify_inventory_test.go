package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A scan with --verify --inventory records each finding's verification
// with its secret: inventory show prints the history, list shows the
// latest in a LIVE column and filters on it, JSON carries it, and the
// audit chain covers it.
func TestVerifyRecordedInInventory(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	token := githubExample(t)
	if err := os.WriteFile(filepath.Join(dir, "app.env"), []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dsn := filepath.Join(t.TempDir(), "inv.db")
	scan := func(status int, body string) {
		t.Helper()
		fakeGitHubAPI(t, status, body)
		var out, errb bytes.Buffer
		code := run([]string{"scan", "dir", dir, "--quiet", "--verify", "--verify-cache", "off", "--inventory", dsn}, strings.NewReader(""), &out, &errb)
		if code != exitFindings && code != exitClean {
			t.Fatalf("scan: exit %d\n%s", code, errb.String())
		}
	}
	scan(200, `{"login":"octocat"}`)

	code, out, errOut := runInventoryCLI(t, "inventory", "list", "--inventory", dsn)
	if code != 0 || !strings.Contains(out, "LIVE") || !strings.Contains(out, " live ") {
		t.Fatalf("list: exit %d, want a LIVE column saying live\n%s%s", code, out, errOut)
	}
	code, out, _ = runInventoryCLI(t, "inventory", "list", "--inventory", dsn, "-f", "json")
	var es []struct {
		Fingerprint  string `json:"fingerprint"`
		Verification []struct {
			Status   string            `json:"status"`
			Identity map[string]string `json:"identity"`
		} `json:"verification"`
	}
	if err := json.Unmarshal([]byte(out), &es); err != nil || code != 0 {
		t.Fatalf("list json: exit %d, %v\n%s", code, err, out)
	}
	if len(es) != 1 || len(es[0].Verification) != 1 || es[0].Verification[0].Status != "live" || es[0].Verification[0].Identity["login"] != "octocat" {
		t.Fatalf("list json: want one secret verified live as octocat, got %s", out)
	}
	if strings.Contains(out, token) {
		t.Fatal("inventory output holds the secret")
	}

	scan(401, `{"message":"Bad credentials"}`)
	code, out, _ = runInventoryCLI(t, "inventory", "show", es[0].Fingerprint, "--inventory", dsn)
	if code != 0 || !strings.Contains(out, "VERIFIED") || !strings.Contains(out, "login=octocat") || strings.Index(out, " live ") > strings.Index(out, " revoked ") {
		t.Fatalf("show: exit %d, want the history live then revoked\n%s", code, out)
	}
	code, out, _ = runInventoryCLI(t, "inventory", "list", "--inventory", dsn, "--live", "live")
	if code != 0 || !strings.Contains(out, "no secrets") {
		t.Fatalf("list --live live after revocation: exit %d, want none\n%s", code, out)
	}
	code, out, _ = runInventoryCLI(t, "inventory", "list", "--inventory", dsn, "--live", "revoked", "-f", "csv")
	if code != 0 || !strings.Contains(out, ",revoked,") {
		t.Fatalf("list --live revoked csv: exit %d\n%s", code, out)
	}
	if code, _, _ := runInventoryCLI(t, "inventory", "list", "--inventory", dsn, "--live", "verified"); code != exitUsage {
		t.Fatalf("list --live verified: exit %d, want %d", code, exitUsage)
	}
	code, out, errOut = runInventoryCLI(t, "audit", "verify", "--inventory", dsn)
	if code != 0 {
		t.Fatalf("audit verify: exit %d\n%s%s", code, out, errOut)
	}
}

package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
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

// A programmatic validator's answer is recorded in the inventory like a
// declarative one's: an Entra ID client secret found with its tenant and
// client id beside it is asked at the token endpoint, and the inventory
// keeps the answer.
func TestScanVerifyEntraRecordedInInventory(t *testing.T) {
	isolate(t)
	tenant, client := "6f1c2b7a-0d3e-4c5f-9a8b-1e2d3c4b5a69", "0b9a8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d"
	secret := "Qx7" + "8Q~" + "aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2z"
	dir := t.TempDir()
	conf := "AZURE_TENANT_ID=" + tenant + "\nAZURE_CLIENT_ID=" + client + "\nAZURE_CLIENT_SECRET=" + secret + "\n"
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	var requests atomic.Int32
	fakeProvider(t, "login.microsoftonline.com", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/"+tenant+"/oauth2/v2.0/token" || r.PostForm.Get("client_id") != client || r.PostForm.Get("client_secret") != secret {
			w.WriteHeader(401)
			w.Write([]byte(`{"error":"invalid_client","error_codes":[7000215]}`))
			return
		}
		w.Write([]byte(`{"token_type":"Bearer","expires_in":3599,"access_token":"synthetic"}`))
	}))
	dsn := filepath.Join(t.TempDir(), "inv.db")
	code, _, errOut := runSprawl(context.Background(), "scan", "dir", dir, "--quiet", "--verify", "--verify-cache", "off", "--inventory", dsn)
	if code != exitFindings {
		t.Fatalf("scan: exit %d\n%s", code, errOut)
	}
	if n := requests.Load(); n != 1 {
		t.Fatalf("%d requests to the token endpoint, want 1", n)
	}
	code, out, _ := runInventoryCLI(t, "inventory", "list", "--inventory", dsn, "-f", "json")
	var es []struct {
		Rules        []string `json:"rules"`
		Verification []struct {
			Status   string            `json:"status"`
			RuleID   string            `json:"rule_id"`
			Identity map[string]string `json:"identity"`
		} `json:"verification"`
	}
	if err := json.Unmarshal([]byte(out), &es); err != nil || code != 0 {
		t.Fatalf("list: exit %d, %v\n%s", code, err, out)
	}
	found := false
	for _, e := range es {
		for _, v := range e.Verification {
			if v.RuleID == "azure-entra-client-secret" && v.Status == "live" && v.Identity["key_id"] == client {
				found = true
			}
		}
	}
	if !found {
		t.Fatalf("the inventory did not record the Entra secret's live answer:\n%s", out)
	}
	if strings.Contains(out, secret) {
		t.Fatal("the inventory output holds the secret")
	}
}

// A database URI is logged in to only at a server named with
// --verify-db-host: without it the scan opens no connection.
func TestScanVerifyDatabaseNeedsOptIn(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var accepts atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepts.Add(1)
			c.Close()
		}
	}()
	dir := t.TempDir()
	uri := "postgres://app:" + "Pg7vQ2" + "mX9kR4tL@" + l.Addr().String() + "/orders?sslmode=disable"
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("DATABASE_URL="+uri+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	code, out, errOut := runSprawl(ctx, "scan", "dir", dir, "-f", "json", "--quiet", "--verify", "--verify-cache", "off")
	if code != exitFindings || !strings.Contains(out, "not opted in") {
		t.Fatalf("scan without --verify-db-host: exit %d\n%s%s", code, out, errOut)
	}
	if n := accepts.Load(); n != 0 {
		t.Fatalf("%d connections without --verify-db-host", n)
	}
	code, out, errOut = runSprawl(ctx, "scan", "dir", dir, "-f", "json", "--quiet", "--verify", "--verify-cache", "off", "--verify-db-host", l.Addr().String())
	if code != exitFindings || accepts.Load() == 0 || !strings.Contains(out, `"status": "unknown"`) {
		t.Fatalf("scan with --verify-db-host: exit %d, %d connections, want one and unknown (not a database)\n%s%s", code, accepts.Load(), out, errOut)
	}
}

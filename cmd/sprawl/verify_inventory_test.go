package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/scanner"
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
	code, out, _ = runInventoryCLI(t, "audit", "log", "--inventory", dsn)
	if code != 0 || !strings.Contains(out, "verified 1 secret: 0 live, 1 revoked") {
		t.Fatalf("audit log: exit %d, want the verify entries summarised\n%s", code, out)
	}
}

// rotate plans live leaks first: of three unmanaged leaks verified
// revoked, never and live, the live one heads the plan and the revoked
// one ends it, whatever their fingerprints' order.
func TestRotatePlansLiveFirst(t *testing.T) {
	isolate(t)
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "inv.db")
	key, err := inventoryKey()
	if err != nil {
		t.Fatal(err)
	}
	s, err := openInventory(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	var fs []scanner.Finding
	want := map[string]string{}
	for i, status := range []string{scanner.VerifyRevoked, "", scanner.VerifyLive} {
		sec := "tok_" + strings.Repeat(strconv.Itoa(i), 24)
		f := scanner.Finding{RuleID: "generic-api-key", Severity: detectors.SeverityHigh, File: "f" + strconv.Itoa(i), Line: 1, Secret: sec}
		if status != "" {
			f.Verification = &scanner.Verification{Status: status, CheckedAt: now}
		}
		fs = append(fs, f)
		want[scanner.Fingerprint(key, sec)] = status
	}
	if _, err := inventory.Ingest(ctx, s, key, inventory.Scan{Source: "dir", Repository: "/r", Complete: true, Actor: "t"}, fs); err != nil {
		t.Fatal(err)
	}
	s.Close()

	code, out, errOut := runSprawl(ctx, "rotate", "--inventory", dsn, "-f", "json")
	if code != 0 {
		t.Fatalf("rotate: exit %d\n%s%s", code, out, errOut)
	}
	var plan struct {
		Items []struct {
			Secrets []string `json:"secrets"`
			Live    string   `json:"live"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var got []string
	for _, it := range plan.Items {
		if len(it.Secrets) != 1 || want[it.Secrets[0]] != it.Live {
			t.Errorf("item %v says live %q, want %q", it.Secrets, it.Live, want[it.Secrets[0]])
		}
		got = append(got, it.Live)
	}
	if diff := cmp.Diff([]string{scanner.VerifyLive, "", scanner.VerifyRevoked}, got); diff != "" {
		t.Errorf("plan order by verification (-want +got):\n%s", diff)
	}
	code, out, _ = runSprawl(ctx, "rotate", "--inventory", dsn)
	if code != 0 || !strings.Contains(out, "LIVE") {
		t.Fatalf("rotate table: exit %d, want a LIVE column\n%s", code, out)
	}
}

// sprawl verify --inventory --rescan re-verifies: the rescan finds the
// values the inventory does not hold, the provider now says revoked, and
// the inventory's latest verification, its audit chain and the summary
// say so. Without --rescan it is a usage error that says why.
func TestVerifyCommandRescans(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.env"), []byte(githubExample(t)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dsn := filepath.Join(t.TempDir(), "inv.db")
	ctx := context.Background()
	if code, _, errOut := runSprawl(ctx, "verify", "--inventory", dsn); code != exitUsage || !strings.Contains(errOut, "no secret values") {
		t.Fatalf("verify without --rescan: exit %d, want %d and why\n%s", code, exitUsage, errOut)
	}
	fakeGitHubAPI(t, 200, `{"login":"octocat"}`)
	if code, _, errOut := runSprawl(ctx, "verify", "--inventory", dsn, "--rescan", dir, "--verify-cache", "off"); code != exitFindings || !strings.Contains(errOut, "1 live") {
		t.Fatalf("verify (live): exit %d, want %d and 1 live\n%s", code, exitFindings, errOut)
	}
	fakeGitHubAPI(t, 401, `{"message":"Bad credentials"}`)
	code, _, errOut := runSprawl(ctx, "verify", "--inventory", dsn, "--rescan", dir, "--verify-cache", "off")
	if code != exitClean || !strings.Contains(errOut, "0 live, 1 revoked") {
		t.Fatalf("verify (revoked): exit %d, want %d and 1 revoked\n%s", code, exitClean, errOut)
	}
	code, out, _ := runInventoryCLI(t, "inventory", "list", "--inventory", dsn, "-f", "json")
	var es []struct {
		Verification []struct {
			Status string `json:"status"`
		} `json:"verification"`
	}
	if err := json.Unmarshal([]byte(out), &es); err != nil || code != 0 || len(es) != 1 || len(es[0].Verification) != 2 || es[0].Verification[1].Status != "revoked" {
		t.Fatalf("after two verify runs: want a history live, revoked; got %s (%v)", out, err)
	}
	if code, out, errOut := runInventoryCLI(t, "audit", "verify", "--inventory", dsn); code != 0 {
		t.Fatalf("audit verify: exit %d\n%s%s", code, out, errOut)
	}
}

// An organisation scan with --verify --inventory records each
// repository's verifications with its secrets, as a directory scan does:
// the inventory lists the secret as live and the audit chain covers it.
func TestOrgScanVerifyRecordedInInventory(t *testing.T) {
	fx := newGHFixture(t)
	requests := fakeGitHubAPI(t, 200, `{"login":"octocat"}`)
	code, fs, stderr := fx.run(t, "--ci-stores=false", "--verify", "--verify-cache", "off")
	if code != exitFindings {
		t.Fatalf("scan: exit %d, want %d\n%s", code, exitFindings, stderr)
	}
	if requests.Load() == 0 {
		t.Fatalf("nothing was verified\n%s", stderr)
	}
	for _, f := range fs {
		if v, _ := f["verification"].(map[string]any); v == nil || v["status"] != "live" {
			t.Errorf("reported finding without its verification: %v", f)
		}
	}
	code, out, errOut := runInventoryCLI(t, "inventory", "list", "--inventory", fx.db, "-f", "json")
	var es []struct {
		Verification []struct {
			Status   string            `json:"status"`
			Identity map[string]string `json:"identity"`
		} `json:"verification"`
	}
	if err := json.Unmarshal([]byte(out), &es); err != nil || code != 0 {
		t.Fatalf("list json: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	// The secret is in both repositories: each one's scan recorded its
	// verification.
	if len(es) != 1 || len(es[0].Verification) != 2 {
		t.Fatalf("inventory: want the one secret with two verifications, got %s", out)
	}
	for _, v := range es[0].Verification {
		if v.Status != "live" || v.Identity["login"] != "octocat" {
			t.Errorf("verification %+v, want live as octocat", v)
		}
	}
	if code, out, errOut := runInventoryCLI(t, "audit", "verify", "--inventory", fx.db); code != 0 {
		t.Fatalf("audit verify: exit %d\n%s%s", code, out, errOut)
	}
}

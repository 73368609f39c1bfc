package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/scanner"
)

// runInventoryCLI runs the inventory and audit commands the way run()
// does (same exit codes and error printing) without needing them wired
// into the root command.
func runInventoryCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	root := &cobra.Command{Use: "sprawl", SilenceUsage: true, SilenceErrors: true}
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErr("%v (see '%s --help')", err, c.CommandPath())
	})
	root.AddCommand(newInventoryCmd(), newAuditCmd())
	wrapArgs(root)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	if err != nil {
		errb.WriteString("sprawl: " + err.Error() + "\n")
	}
	return exitCode(err), out.String(), errb.String()
}

// ghToken makes a synthetic GitHub classic token with a valid checksum.
func ghToken(t *testing.T) string {
	const b62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	raw := make([]byte, 30)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	for i := range raw {
		raw[i] = b62[int(raw[i])%62]
	}
	sum := crc32.ChecksumIEEE(raw)
	enc := make([]byte, 6)
	for i := 5; i >= 0; i-- {
		enc[i] = b62[sum%62]
		sum /= 62
	}
	return "ghp_" + string(raw) + string(enc)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// scanDir runs the real engine over dir, as `scan dir` does.
func scanDir(t *testing.T, src scanner.Source) scanner.Result {
	t.Helper()
	rules, err := detectors.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	m, err := detectors.NewMatcher(rules, detectors.Allowlist{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := (&scanner.Engine{Matcher: m}).Run(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// isolate points the default inventory and key at a temporary directory.
func isolate(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv(envKey, "")
	t.Setenv(envKeyFile, "")
	t.Setenv(envInventory, "")
	t.Setenv(envActor, "tester")
	t.Setenv("SPRAWL_CONFIG", "")
	return dir
}

type cliStore struct {
	name string
	dsn  string
	db   func(t *testing.T) *sql.DB // raw access, for tampering
}

// cliStores are the stores the CLI tests run against: SQLite always,
// PostgreSQL when SPRAWL_TEST_POSTGRES_DSN is set (a fresh schema each).
func cliStores(t *testing.T, dir string) []cliStore {
	path := filepath.Join(dir, "inv.db")
	stores := []cliStore{{"sqlite", path, func(t *testing.T) *sql.DB {
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		return db
	}}}
	pg := os.Getenv("SPRAWL_TEST_POSTGRES_DSN")
	if pg == "" {
		return stores
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "sprawl_cli_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", pg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	})
	sep := "?"
	if strings.Contains(pg, "?") {
		sep = "&"
	}
	dsn := pg + sep + "search_path=" + schema
	return append(stores, cliStore{"postgres", dsn, func(t *testing.T) *sql.DB {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		return db
	}})
}

// TestInventoryAcceptance walks the acceptance points through the
// functions the scan pipeline calls and the commands, on every store.
func TestInventoryAcceptance(t *testing.T) {
	dir := isolate(t)
	ctx := context.Background()
	token, other := ghToken(t), ghToken(t)
	billing, payments := filepath.Join(dir, "billing"), filepath.Join(dir, "payments")
	writeFile(t, filepath.Join(billing, "config", "prod", "app.env"), "GITHUB_TOKEN="+token+"\n")
	writeFile(t, filepath.Join(payments, "config", "staging", "app.env"), "GITHUB_TOKEN="+token+"\n")
	writeFile(t, filepath.Join(payments, "test", "fixtures", "x.env"), "GITHUB_TOKEN="+other+"\n")

	for _, st := range cliStores(t, dir) {
		t.Run(st.name, func(t *testing.T) {
			for _, root := range []string{billing, payments} {
				res := scanDir(t, &scanner.DirSource{Path: root})
				sum, err := recordScan(ctx, st.dsn, "dir", root, res, inventory.RecordOptions{})
				if err != nil {
					t.Fatalf("ingest %s: %v", root, err)
				}
				if !strings.Contains(sum, "sprawl: inventory ") {
					t.Errorf("summary = %q", sum)
				}
			}
			code, out, errOut := runInventoryCLI(t, "inventory", "list", "--shared", "-f", "json", "--inventory", st.dsn)
			if code != 0 {
				t.Fatalf("list: exit %d: %s", code, errOut)
			}
			var es []inventory.Entry
			if err := json.Unmarshal([]byte(out), &es); err != nil {
				t.Fatal(err)
			}
			if len(es) != 1 || len(es[0].Locations) != 2 || !es[0].SharedEnvironments || !es[0].MultiRepository {
				t.Fatalf("shared entries = %+v", es)
			}
			if strings.Contains(out, token) || strings.Contains(out, other) {
				t.Fatal("list output contains a secret")
			}
			fp := es[0].Fingerprint

			// A false positive stops failing the gate.
			res := scanDir(t, &scanner.DirSource{Path: payments})
			code, out, errOut = runInventoryCLI(t, "inventory", "set-status", fp[:10], "false-positive", "--reason", "sample", "--inventory", st.dsn)
			if code != 0 || !strings.Contains(out, "open → false-positive") {
				t.Fatalf("set-status: exit %d: %s %s", code, out, errOut)
			}
			kept, dropped, err := inventorySuppress(ctx, st.dsn, res.Findings)
			if err != nil {
				t.Fatal(err)
			}
			if dropped != 1 || len(kept) != 1 || kept[0].Secret != other {
				t.Errorf("inventorySuppress kept %d, dropped %d", len(kept), dropped)
			}

			code, out, _ = runInventoryCLI(t, "audit", "verify", "--inventory", st.dsn)
			if code != 0 || !strings.Contains(out, "intact: 3 entries") {
				t.Fatalf("audit verify: exit %d: %s", code, out)
			}
			// Edit one row behind sprawl's back.
			db := st.db(t)
			defer db.Close()
			q := `UPDATE audit_log SET actor = 'mallory' WHERE seq = 2`
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
			code, _, errOut = runInventoryCLI(t, "audit", "verify", "--inventory", st.dsn)
			if code != exitFindings || !strings.Contains(errOut, "audit log tampered: entry 2:") {
				t.Errorf("tampered verify: exit %d, %q", code, errOut)
			}
		})
	}
}

// TestIngestGitTip: a history scan knows whether each secret is still at
// the tip, even when its file was edited since (a different blob).
func TestIngestGitTip(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := isolate(t)
	repo := filepath.Join(dir, "repo")
	kept, removed := ghToken(t), ghToken(t)
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Ada", "GIT_AUTHOR_EMAIL=a@dev.invalid", "GIT_COMMITTER_NAME=Ada", "GIT_COMMITTER_EMAIL=a@dev.invalid")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	git("init", "-q", "-b", "main")
	writeFile(t, filepath.Join(repo, "keep.env"), "A=1\nGITHUB_TOKEN="+kept+"\n")
	writeFile(t, filepath.Join(repo, "old.env"), "GITHUB_TOKEN="+removed+"\n")
	git("add", "-A")
	git("commit", "-q", "-m", "one")
	writeFile(t, filepath.Join(repo, "keep.env"), "A=2\nB=3\nGITHUB_TOKEN="+kept+"\n")
	git("rm", "-q", "old.env")
	git("add", "-A")
	git("commit", "-q", "-m", "two")

	src := &scanner.GitSource{Path: repo}
	res := scanDir(t, src)
	dsn := filepath.Join(dir, "inv.db")
	if _, err := recordScan(context.Background(), dsn, src.Kind(), src.Root(), res, recordOptions(src, nil)); err != nil {
		t.Fatal(err)
	}
	s, err := inventory.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	secrets, err := s.Secrets(context.Background(), inventory.Query{})
	if err != nil {
		t.Fatal(err)
	}
	tip := map[string]bool{}
	for _, sec := range secrets {
		for _, l := range sec.Locations {
			if l.AtTip == nil {
				t.Errorf("%s: tip unknown", l.Path)
				continue
			}
			tip[l.Path] = *l.AtTip
			if l.Branch != "main" || l.Commit == "" || l.Date.IsZero() {
				t.Errorf("%s: branch %q commit %q date %v", l.Path, l.Branch, l.Commit, l.Date)
			}
		}
	}
	if !tip["keep.env"] || tip["old.env"] || len(tip) != 2 {
		t.Errorf("at tip = %v, want keep.env only", tip)
	}
	scans, _ := s.Scans(context.Background(), 1)
	if len(scans) != 1 || len(scans[0].HeadCommit) != 40 || !scans[0].Complete {
		t.Errorf("scan record = %+v", scans)
	}
}

func TestRecordOptions(t *testing.T) {
	get := func(src scanner.Source) inventory.RecordOptions { return recordOptions(src, nil) }
	if o := get(&scanner.GitSource{Path: "/r"}); o.Partial || o.RepoPath != "/r" {
		t.Errorf("full git scan: %+v", o)
	}
	for _, g := range []*scanner.GitSource{{Path: "/r", Since: "main"}, {Path: "/r", Range: "a..b"}, {Path: "/r", Refs: []string{"dev"}}} {
		if o := get(g); !o.Partial {
			t.Errorf("%+v should be partial", g)
		}
	}
	if o := get(&namedSource{&scanner.GitSource{Path: "/tmp/clone"}, "https://git.example/x.git"}); o.RepoPath != "/tmp/clone" {
		t.Errorf("named source: %+v", o)
	}
	if o := get(&scanner.DirSource{Path: "."}); o.Partial || o.RepoPath != "" {
		t.Errorf("dir: %+v", o)
	}
}

// TestIngestIncomplete: a scan with unreadable items, or a staged scan,
// does not mark locations gone.
func TestIngestIncomplete(t *testing.T) {
	dir := isolate(t)
	root := filepath.Join(dir, "w")
	tok := ghToken(t)
	writeFile(t, filepath.Join(root, "a.env"), "GITHUB_TOKEN="+tok+"\n")
	dsn := filepath.Join(dir, "inv.db")
	ctx := context.Background()
	if _, err := recordScan(ctx, dsn, "dir", root, scanDir(t, &scanner.DirSource{Path: root}), inventory.RecordOptions{}); err != nil {
		t.Fatal(err)
	}
	empty := scanner.Result{Stats: scanner.Stats{Errors: 1}}
	sum, err := recordScan(ctx, dsn, "dir", root, empty, inventory.RecordOptions{})
	if err != nil || strings.Contains(sum, "gone") {
		t.Errorf("incomplete scan summary = %q, %v; want no gone count", sum, err)
	}
	sum, err = recordScan(ctx, dsn, "dir", root, scanner.Result{}, inventory.RecordOptions{})
	if err != nil || !strings.Contains(sum, "1 gone") {
		t.Errorf("complete empty scan = %q, %v; want 1 gone", sum, err)
	}
}

func TestInventoryKeyResolution(t *testing.T) {
	dir := isolate(t)
	k1, err := inventoryKey()
	if err != nil || len(k1) != inventory.KeySize {
		t.Fatalf("generated key: %d bytes, %v", len(k1), err)
	}
	if _, err := os.Stat(filepath.Join(dir, "config", "sprawl", "fingerprint.key")); err != nil {
		t.Errorf("key not at the default path: %v", err)
	}
	t.Setenv(envKeyFile, filepath.Join(dir, "elsewhere.key"))
	k2, err := inventoryKey()
	if err != nil || bytes.Equal(k1, k2) {
		t.Errorf("key file override: %v", err)
	}
	t.Setenv(envKey, "a-key-from-the-environment")
	k3, _ := inventoryKey()
	if string(k3) != "a-key-from-the-environment" {
		t.Errorf("env key ignored")
	}
	t.Setenv(envKey, "short")
	if _, err := inventoryKey(); exitCode(err) != exitUsage {
		t.Errorf("short key: %v", err)
	}
}

func TestInventoryDSN(t *testing.T) {
	isolate(t)
	if got := inventoryDSN("x.db"); got != "x.db" {
		t.Errorf("flag: %q", got)
	}
	if got := inventoryDSN("default"); got != "" {
		t.Errorf("default without env: %q", got)
	}
	t.Setenv(envInventory, "postgres://inv.example/db")
	if got := inventoryDSN(""); got != "postgres://inv.example/db" {
		t.Errorf("env: %q", got)
	}
	if got := displayDSN("postgres://u:pw@h/db"); strings.Contains(got, "pw") {
		t.Errorf("displayDSN shows the password: %s", got)
	}
}

// TestIngestRulesClass: the rules a scan ran decide each secret's rotation
// class; a rule without a known class is an api-key.
func TestIngestRulesClass(t *testing.T) {
	dir := isolate(t)
	dsn := filepath.Join(dir, "inv.db")
	mk := func(rule, secret string) scanner.Finding {
		return scanner.Finding{RuleID: rule, RuleName: rule, Severity: detectors.SeverityHigh, File: rule + ".env", Line: 1, Secret: secret}
	}
	res := scanner.Result{Findings: []scanner.Finding{mk("acme-signing", ghToken(t)), mk("acme-odd", ghToken(t))}}
	rules := []*detectors.Rule{{ID: "acme-signing", Class: "signing-key"}, {ID: "acme-odd", Class: "mystery"}}
	if _, err := recordScan(context.Background(), dsn, "stdin", "", res, inventory.RecordOptions{Rules: rules}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runInventoryCLI(t, "inventory", "list", "-f", "csv", "--inventory", dsn)
	if code != 0 {
		t.Fatalf("list: %d %s", code, errOut)
	}
	if !strings.Contains(out, ",acme-signing,high,signing-key,open,") || !strings.Contains(out, ",acme-odd,high,api-key,open,") {
		t.Errorf("classes not applied:\n%s", out)
	}
	if !strings.Contains(out, ",365d,") || !strings.Contains(out, ",90d,") {
		t.Errorf("max ages not from the classes:\n%s", out)
	}
}

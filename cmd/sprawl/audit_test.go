package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/scanner"
)

// A status set with SQL (issue 12, reproduction 7) no longer passes the CI
// gate, and 'audit verify' names the row; a scan row edited or deleted is
// named too, and a truncated or reset log fails against a published head.
func TestAuditCoversStateCLI(t *testing.T) {
	dir := isolate(t)
	ctx := context.Background()
	repo := filepath.Join(dir, "repo")
	token := ghToken(t)
	writeFile(t, filepath.Join(repo, "app.env"), "GITHUB_TOKEN="+token+"\n")
	for _, st := range cliStores(t, dir) {
		t.Run(st.name, func(t *testing.T) {
			res := scanDir(t, &scanner.DirSource{Path: repo})
			for range 2 {
				if _, err := recordScan(ctx, st.dsn, "dir", repo, res, inventory.RecordOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			fp := scanner.Fingerprint(mustKey(t), token)
			db := st.db(t)
			defer db.Close()
			sqlx := func(q string) {
				t.Helper()
				if _, err := db.Exec(q); err != nil {
					t.Fatal(err)
				}
			}

			// The gate: before the edit the finding fails it.
			code, _, _ := runSprawl(ctx, "scan", "dir", repo, "-q", "--inventory", st.dsn)
			if code != exitFindings {
				t.Fatalf("gate before the edit: exit %d, want 1", code)
			}
			sqlx(`UPDATE secrets SET status = 'accepted-risk'`)
			code, _, errOut := runSprawl(ctx, "scan", "dir", repo, "-q", "--inventory", st.dsn)
			if code == exitClean || !strings.Contains(errOut, fp) || !strings.Contains(errOut, "audit check failed") {
				t.Errorf("gate after a direct status edit: exit %d, %q; want a failure naming %s", code, errOut, fp)
			}
			code, out, _ := runInventoryCLI(t, "audit", "verify", "--inventory", st.dsn)
			if code != exitFindings || !strings.Contains(out, "tampered: secrets "+fp+": status \"accepted-risk\"") {
				t.Errorf("verify after a status edit: exit %d, %q", code, out)
			}
			sqlx(`UPDATE secrets SET status = 'open'`)
			code, head, errOut := runInventoryCLI(t, "audit", "head", "--inventory", st.dsn)
			if code != 0 {
				t.Fatalf("audit head: exit %d: %s", code, errOut)
			}
			head = strings.TrimSpace(head)
			if !strings.HasPrefix(head, "4:") {
				t.Fatalf("audit head = %q, want 4 entries (two ingests and the two gates')", head)
			}
			if code, out, _ := runInventoryCLI(t, "audit", "verify", "--expect-head", head, "--inventory", st.dsn); code != 0 {
				t.Fatalf("verify after undoing the edit: exit %d %s", code, out)
			}

			// Scans: edited, deleted.
			sqlx(`UPDATE scans SET findings = 0 WHERE id = 2`)
			code, out, _ = runInventoryCLI(t, "audit", "verify", "--inventory", st.dsn)
			if code != exitFindings || !strings.Contains(out, "tampered: scans 2: findings is 0 but the audit log (entry 2) says 1") {
				t.Errorf("verify after a scan edit: exit %d, %q", code, out)
			}
			sqlx(`DELETE FROM scans WHERE id = 2`)
			code, out, _ = runInventoryCLI(t, "audit", "verify", "--inventory", st.dsn)
			if code != exitFindings || !strings.Contains(out, "tampered: scans 2: missing (deleted)") {
				t.Errorf("verify after a scan delete: exit %d, %q", code, out)
			}

			// Truncation and reset, with the scans removed too so that only
			// the published head can tell.
			sqlx(`DELETE FROM audit_log WHERE seq >= 2`)
			sqlx(`DELETE FROM scans WHERE id >= 2`)
			sqlx(`UPDATE audit_head SET seq = 1, hash = (SELECT hash FROM audit_log WHERE seq = 1)`)
			// The locations the removed scans touched still give it away;
			// the published head names the truncation itself.
			code, out, _ = runInventoryCLI(t, "audit", "verify", "--inventory", st.dsn)
			if code != exitFindings || !strings.Contains(out, "which no audit entry records") {
				t.Errorf("verify after truncating the chain and its scans: exit %d, %q", code, out)
			}
			code, _, errOut = runInventoryCLI(t, "audit", "verify", "--expect-head", head, "--inventory", st.dsn)
			if code != exitFindings || !strings.Contains(errOut, "truncated or reset") {
				t.Errorf("verify --expect-head after truncation: exit %d, %q", code, errOut)
			}
			sqlx(`DELETE FROM locations`)
			sqlx(`DELETE FROM secrets`)
			sqlx(`DELETE FROM scans`)
			sqlx(`DELETE FROM audit_log`)
			sqlx(`UPDATE audit_head SET seq = 0, hash = ''`)
			code, _, errOut = runInventoryCLI(t, "audit", "verify", "--expect-head", head, "--inventory", st.dsn)
			if code != exitFindings || !strings.Contains(errOut, "truncated or reset") {
				t.Errorf("verify --expect-head after a reset: exit %d, %q", code, errOut)
			}
		})
	}
}

func mustKey(t *testing.T) []byte {
	t.Helper()
	k, err := inventoryKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

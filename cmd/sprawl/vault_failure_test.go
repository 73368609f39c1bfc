package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/inventory/vault/vaulttest"
)

// leakedInVault builds an inventory (returned as its path) in which a
// scan recorded a leaked token that a fake HashiCorp Vault holds at
// secret/app, and others more leaked tokens the vault does not hold; the
// VAULT_* environment points at the fake.
func leakedInVault(t *testing.T, others int) (db string, s *session, hv *vaulttest.Vault) {
	t.Helper()
	dir := isolate(t)
	t.Setenv(envKey, hex.EncodeToString(randomKey(t)))
	db = filepath.Join(dir, "inv.db")
	s = &session{t: t}
	managed := ghToken(t)
	repo := filepath.Join(dir, "repo")
	writeFile(t, filepath.Join(repo, "app.env"), "GITHUB_TOKEN="+managed+"\n")
	for i := range others {
		writeFile(t, filepath.Join(repo, fmt.Sprintf("other%d.env", i)), "GITHUB_TOKEN="+ghToken(t)+"\n")
	}
	s.run(1, "scan", "dir", repo, "-q", "--inventory", db)

	vaultToken := hex.EncodeToString(randomKey(t))
	hv = vaulttest.NewVault(t, vaultToken)
	hv.Put("secret", "app", map[string]any{"token": managed})
	t.Setenv("VAULT_ADDR", hv.URL)
	t.Setenv("VAULT_TOKEN", vaultToken)
	t.Setenv("VAULT_NAMESPACE", "")
	return db, s, hv
}

// Issue 12, reproduction 8: 'vault index' against a vault that does not
// answer exits 3, is recorded as a failure (not as an index of 0 values),
// leaves the previous index in place, and 'rotate' neither forgets the
// managed leak nor claims there is no open leak.
func TestVaultIndexFailureIsRecorded(t *testing.T) {
	db, s, hv := leakedInVault(t, 2)
	t.Setenv("VAULT_MAX_RETRIES", "0")

	// With no index yet, --adapter vault has nothing to mark, and says
	// the three leaks exist.
	out, _ := s.run(0, "rotate", "--adapter", "vault", "--inventory", db)
	mustContain(t, "rotate before any index", out, "3 leaked secrets open, none held in an indexed vault store")
	if strings.Contains(out, "no open leaked secret") {
		t.Errorf("rotate claims there is no open leak:\n%s", out)
	}

	s.run(0, "vault", "index", "--adapter", "vault", "--inventory", db)
	plan, _ := s.run(0, "rotate", "--adapter", "vault", "--inventory", db)
	mustContain(t, "plan after the index", plan, "secret/app")

	// The vault stops answering.
	hv.Close()
	out, errOut := s.run(3, "vault", "index", "--adapter", "vault", "--inventory", db)
	mustContain(t, "failed index", out+errOut, "FAILED index", "the previous index stands")

	log, _ := s.run(0, "audit", "log", "-f", "json", "--inventory", db)
	var es []inventory.AuditEntry
	if err := json.Unmarshal([]byte(log), &es); err != nil {
		t.Fatal(err)
	}
	last := es[len(es)-1]
	if last.Action != inventory.ActionVaultIndex || !strings.Contains(last.Data, `"failed":true`) || !strings.Contains(last.Data, `"errors":[`) {
		t.Errorf("last audit entry = %s %s, want a failed vault index with its errors", last.Action, last.Data)
	}
	table, _ := s.run(0, "audit", "log", "--inventory", db)
	mustContain(t, "audit log", table, "FAILED index of vault")

	// The previous index stands: the managed leak is still planned.
	after, warn := s.run(0, "rotate", "--adapter", "vault", "--inventory", db)
	mustContain(t, "rotate after the failed index", warn, "the last index of vault "+hv.URL+" failed", "connection refused", "rests on the index before it")
	if after != plan {
		t.Errorf("the plan changed after a failed index:\nbefore:\n%s\nafter:\n%s", plan, after)
	}
	list, _ := s.run(0, "vault", "list", "--inventory", db)
	mustContain(t, "vault list", list, "app")
	s.run(0, "audit", "verify", "--inventory", db)
}

// failingWriter refuses every write, like a closed pipe or a full disk.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestVaultIndexSummaryWriteFails: an index whose summary cannot be
// written to standard output exits non-zero and says so, and the index
// itself is recorded (rotate plans from it).
func TestVaultIndexSummaryWriteFails(t *testing.T) {
	db, s, _ := leakedInVault(t, 0)

	var errb bytes.Buffer
	code := run([]string{"vault", "index", "--adapter", "vault", "--inventory", db}, strings.NewReader(""), failingWriter{}, &errb)
	if code != exitFailure {
		t.Fatalf("vault index with an unwritable stdout: exit %d, want %d\nstderr:\n%s", code, exitFailure, errb.String())
	}
	mustContain(t, "stderr", errb.String(), "the index is recorded, but its summary could not be written", "no space left on device")
	plan, _ := s.run(0, "rotate", "--adapter", "vault", "--inventory", db)
	mustContain(t, "plan after the index", plan, "secret/app")
}

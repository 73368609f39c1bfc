package reports

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/inventory/vault"
)

func TestWriteVaultIndex(t *testing.T) {
	fp := func(c string) string { return strings.Repeat(c, 64) }
	failed := []vault.ItemError{{Ref: vault.Ref{Path: "missing/"}, Err: errors.New("not found")}}
	for _, c := range []struct {
		name string
		res  vault.IndexResult
		sum  inventory.VaultIndexSummary
		want string
	}{
		{"complete", vault.IndexResult{Entries: make([]vault.Indexed, 3), Secrets: 2}, inventory.VaultIndexSummary{Entries: 3, New: 1, Changed: 1, Unchanged: 1},
			"indexed vault http://127.0.0.1:8200: 2 secrets, 3 values (1 new, 1 changed, 1 unchanged, 0 gone)\n"},
		{"partial", vault.IndexResult{Entries: make([]vault.Indexed, 3), Secrets: 2, Errors: failed}, inventory.VaultIndexSummary{Entries: 3, Unchanged: 3},
			"PARTIAL index (1 error) of vault http://127.0.0.1:8200: 2 secrets, 3 values (0 new, 0 changed, 3 unchanged, 0 gone)\n"},
		{"nothing read", vault.IndexResult{Errors: append(failed, failed...)}, inventory.VaultIndexSummary{},
			"FAILED index (2 errors, nothing could be read; the previous index stands) of vault http://127.0.0.1:8200: 0 secrets, 0 values (0 new, 0 changed, 0 unchanged, 0 gone)\n"},
		{"rotations", vault.IndexResult{Entries: make([]vault.Indexed, 2), Secrets: 2}, inventory.VaultIndexSummary{Entries: 2, Changed: 2, Gone: 1,
			Rotated:        []inventory.VaultRotation{{VaultKey: inventory.VaultKey{Adapter: "vault", Store: "http://127.0.0.1:8200", Mount: "secret", Path: "app", Field: "token"}, OldFingerprint: fp("a"), NewFingerprint: fp("b"), Version: "4"}},
			Rewritten:      []inventory.VaultKey{{Adapter: "vault", Store: "http://127.0.0.1:8200", Mount: "secret", Path: "db/main", Field: "password"}},
			SecretsRotated: []string{fp("a"), "short"}},
			"indexed vault http://127.0.0.1:8200: 2 secrets, 2 values (0 new, 2 changed, 0 unchanged, 1 gone)\n" +
				"rotated: vault http://127.0.0.1:8200 secret/app#token now holds a new value (version 4); the leaked value aaaaaaaaaaaa is gone from it\n" +
				"still leaked: vault http://127.0.0.1:8200 secret/db/main#password has a new version with the same value; rotate it\n" +
				"secret aaaaaaaaaaaa: status rotated\n" +
				"secret short: status rotated\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			if err := WriteVaultIndex(&b, "vault", "http://127.0.0.1:8200", c.res, c.sum); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, b.String()); diff != "" {
				t.Errorf("WriteVaultIndex (-want +got):\n%s", diff)
			}
			if strings.Contains(b.String(), fp("b")[:13]) || strings.Contains(b.String(), fp("a")[:13]) {
				t.Errorf("a whole fingerprint was written:\n%s", b.String())
			}
		})
	}
	if err := WriteVaultIndex(&failingWriter{}, "aws", "eu-west-1", vault.IndexResult{}, inventory.VaultIndexSummary{}); err == nil {
		t.Error("WriteVaultIndex on a failing writer: no error")
	}
}

// The vault list: the path under its mount, a short fingerprint, the
// flag with "gone" for an entry gone from its store, the index time in UTC.
func TestWriteVaultEntriesTable(t *testing.T) {
	var a, b, c inventory.VaultEntry
	a.Adapter, a.Store, a.Mount, a.Path, a.Field, a.Version, a.Fingerprint = "vault", "https://vault:8200", "secret", "app/ci", "token", "4", strings.Repeat("e", 64)
	a.Flag, a.LastIndexed = inventory.VaultFlagRotationRequired, time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	b.Adapter, b.Store, b.Path, b.Field, b.Version, b.Fingerprint = "aws", "eu-west-1", "prod/db\x1b[31m", "password", "v1", strings.Repeat("f", 64)
	b.GoneAt = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	c = a
	c.Path, c.Flag, c.GoneAt = "old", inventory.VaultFlagRotated, b.GoneAt
	var out strings.Builder
	if err := WriteVaultEntriesTable(&out, 0, []inventory.VaultEntry{a, b, c}); err != nil {
		t.Fatal(err)
	}
	want := `┌─────────┬────────────────────┬─────────────────┬──────────┬─────────┬──────────────┬───────────────────┬──────────────────────┐
│ ADAPTER │       STORE        │      PATH       │  FIELD   │ VERSION │ FINGERPRINT  │       FLAG        │       INDEXED        │
├─────────┼────────────────────┼─────────────────┼──────────┼─────────┼──────────────┼───────────────────┼──────────────────────┤
│ vault   │ https://vault:8200 │ secret/app/ci   │ token    │ 4       │ eeeeeeeeeeee │ rotation-required │ 2026-03-01 11:00:00Z │
│ aws     │ eu-west-1          │ prod/db\x1b[31m │ password │ v1      │ ffffffffffff │ gone              │ -                    │
│ vault   │ https://vault:8200 │ secret/old      │ token    │ 4       │ eeeeeeeeeeee │ rotated gone      │ 2026-03-01 11:00:00Z │
└─────────┴────────────────────┴─────────────────┴──────────┴─────────┴──────────────┴───────────────────┴──────────────────────┘
`
	if d := cmp.Diff(want, out.String()); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// TestWriteVaultIndexHostile: the store's name and the paths in it are
// chosen by whoever writes to the store; the summary shows them escaped.
func TestWriteVaultIndexHostile(t *testing.T) {
	const hostile, shown = "x\x1b[2K\r\nsprawl: 0 findings\u202e", `x\x1b[2K\r\nsprawl: 0 findings\u202e`
	key := inventory.VaultKey{Mount: "secret", Path: hostile, Field: "k"}
	sum := inventory.VaultIndexSummary{Rotated: []inventory.VaultRotation{{VaultKey: key, OldFingerprint: strings.Repeat("a", 64), Version: hostile}},
		Rewritten: []inventory.VaultKey{key}}
	var b strings.Builder
	if err := WriteVaultIndex(&b, "vault", hostile, vault.IndexResult{}, sum); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if n := strings.Count(out, shown); n != 4 {
		t.Errorf("escaped text %d times, want 4 (store, key, version, key):\n%s", n, out)
	}
	if strings.ContainsAny(out, "\x1b\r\u202e") || strings.Contains(out, "\nsprawl: 0") {
		t.Errorf("raw control text in:\n%q", out)
	}
}

package rotation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/inventory/vault"
	"github.com/sprawlsec/sprawl/inventory/vault/hashicorp"
	"github.com/sprawlsec/sprawl/inventory/vault/vaulttest"
	"github.com/sprawlsec/sprawl/scanner"
)

// randomValue is a synthetic secret made at test time.
func randomValue(t *testing.T) string {
	t.Helper()
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "synthetic-" + hex.EncodeToString(b)
}

type fixture struct {
	ctx   context.Context
	store inventory.Store
	key   []byte
	hv    *vaulttest.Vault
	open  Opener
	fp    func(string) string
}

// newFixture records one scan of a repository where three secrets leak
// (inManaged and inOther are also held in a Vault KV v2 store, loose in
// none), with verify giving each secret's verification status, and
// indexes the store.
func newFixture(t *testing.T, inManaged, inOther, loose string, verify map[string]string) *fixture {
	t.Helper()
	ctx := context.Background()
	s, err := inventory.Open(ctx, filepath.Join(t.TempDir(), "inv.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	key := []byte(hex.EncodeToString([]byte(randomValue(t))))

	var res scanner.Result
	for i, v := range []string{inManaged, inOther, loose} {
		f := scanner.Finding{RuleID: "generic-api-key", RuleName: "Generic API key", Severity: detectors.SeverityHigh,
			Source: "dir", File: []string{"app.env", "ci.env", "notes.txt"}[i], Line: 1, Secret: v, Redacted: "synt…"}
		if st := verify[v]; st != "" {
			f.Verification = &scanner.Verification{Status: st, CheckedAt: time.Now().UTC()}
		}
		res.Findings = append(res.Findings, f)
	}
	if _, err := inventory.Record(ctx, s, key, "dir", "/src/app", res, inventory.RecordOptions{}); err != nil {
		t.Fatal(err)
	}

	token := randomValue(t)
	hv := vaulttest.NewVault(t, token)
	hv.Put("secret", "app", map[string]any{"token": inManaged, "user": "svc"})
	hv.Put("secret", "ci", map[string]any{"key": inOther})
	retries := 0
	open := func(context.Context, string) (vault.Adapter, error) {
		return hashicorp.New(hashicorp.Config{Address: hv.URL, Token: token, MaxRetries: &retries})
	}
	a, err := open(ctx, "vault")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Index(ctx, s, a, key, nil, "test"); err != nil {
		t.Fatalf("index: %v", err)
	}
	return &fixture{ctx: ctx, store: s, key: key, hv: hv, open: open,
		fp: func(v string) string { return scanner.Fingerprint(key, v) }}
}

func (f *fixture) status(t *testing.T, v string) inventory.Status {
	t.Helper()
	sec, err := f.store.Secret(f.ctx, f.fp(v))
	if err != nil {
		t.Fatal(err)
	}
	return sec.Status
}

// Plan puts the live leak first, then the unverified, then the revoked;
// a leaked value no store holds is "unmanaged".
func TestPlanLiveFirst(t *testing.T) {
	managed, other, loose := randomValue(t), randomValue(t), randomValue(t)
	f := newFixture(t, managed, other, loose, map[string]string{
		managed: scanner.VerifyRevoked, other: scanner.VerifyLive,
	})
	items, err := Plan(f.ctx, f.store, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.Action+" "+it.Path+" "+it.Live)
	}
	want := []string{"flag ci live", "unmanaged  ", "flag app revoked"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("plan = %q, want %q", got, want)
	}
	if items[0].Secrets[0] != f.fp(other) || items[1].Secrets[0] != f.fp(loose) {
		t.Errorf("plan items name the wrong secrets: %+v", items)
	}
}

// Apply marks each planned path in the store, moves its secrets to
// rotation_required and records the action; a store that refuses leaves
// the secret open, counts as a failure and is recorded with its error.
// Once the store holds new values, ClearRotated removes the mark.
func TestApplyAndClear(t *testing.T) {
	managed, other, loose := randomValue(t), randomValue(t), randomValue(t)
	f := newFixture(t, managed, other, loose, nil)
	f.hv.Deny("secret/metadata/ci")

	items, err := Plan(f.ctx, f.store, "vault")
	if err != nil {
		t.Fatal(err)
	}
	failed, err := Apply(f.ctx, f.store, items, f.open, "", "tester")
	if err != nil {
		t.Fatal(err)
	}
	if failed != 1 {
		t.Errorf("Apply failed %d actions, want 1 (the denied path)", failed)
	}
	if got := f.hv.CustomMetadata("secret", "app")[vault.MarkRequired]; got != "true" {
		t.Errorf("secret/app %s = %q, want true", vault.MarkRequired, got)
	}
	if got := f.status(t, managed); got != inventory.StatusRotationRequired {
		t.Errorf("flagged secret's status = %s, want %s", got, inventory.StatusRotationRequired)
	}
	if got := f.status(t, other); got != inventory.StatusOpen {
		t.Errorf("secret whose flag failed: status %s, want open", got)
	}
	if got := f.status(t, loose); got != inventory.StatusOpen {
		t.Errorf("unmanaged secret: status %s, want open (nothing to flag)", got)
	}
	var denied *Item
	for _, it := range items {
		if it.Path == "ci" {
			denied = it
		}
	}
	if denied == nil || !denied.Failed || !strings.HasPrefix(denied.Result, "failed: ") {
		t.Fatalf("denied item: %+v", denied)
	}
	entries, err := f.store.VaultEntries(f.ctx, inventory.VaultQuery{Adapter: "vault"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		want := inventory.VaultFlagNone
		if e.Path == "app" && e.Field == "token" {
			want = inventory.VaultFlagRotationRequired
		}
		if e.Flag != want {
			t.Errorf("%s/%s#%s flag = %q, want %q", e.Mount, e.Path, e.Field, e.Flag, want)
		}
	}
	if !auditHas(t, f, "flag", "permission denied") && !auditHas(t, f, "flag", "403") {
		t.Error("the refused flag is not in the audit log with its error")
	}

	// Nothing is rotated yet: nothing to clear.
	if cs, err := ClearRotated(f.ctx, f.store, mustOpen(t, f), true, "tester"); err != nil || len(cs) != 0 {
		t.Fatalf("ClearRotated before rotation = %+v, %v; want nothing", cs, err)
	}
	// The owner rotates app's token; a new index sees the new value.
	f.hv.Put("secret", "app", map[string]any{"token": randomValue(t), "user": "svc"})
	if _, err := Index(f.ctx, f.store, mustOpen(t, f), f.key, nil, "test"); err != nil {
		t.Fatal(err)
	}
	preview, err := ClearRotated(f.ctx, f.store, mustOpen(t, f), false, "tester")
	if err != nil || len(preview) != 1 || preview[0].Key.Path != "app" || preview[0].Applied {
		t.Fatalf("ClearRotated without apply = %+v, %v; want app listed, not applied", preview, err)
	}
	if f.hv.CustomMetadata("secret", "app")[vault.MarkRequired] != "true" {
		t.Fatal("ClearRotated without apply changed the store")
	}
	cs, err := ClearRotated(f.ctx, f.store, mustOpen(t, f), true, "tester")
	if err != nil || len(cs) != 1 || cs[0].Err != nil || !cs[0].Applied {
		t.Fatalf("ClearRotated = %+v, %v", cs, err)
	}
	if got := f.hv.CustomMetadata("secret", "app")[vault.MarkRequired]; got != "" {
		t.Errorf("after ClearRotated secret/app still has %s=%q", vault.MarkRequired, got)
	}
	if !auditHas(t, f, "clear", "") {
		t.Error("the clear is not in the audit log")
	}
}

// An index of a store that stops answering reads nothing and is
// recorded as incomplete; the plan then rests on the earlier index (its
// paths are still flagged) and IndexWarnings says so.
func TestIndexFailureRecorded(t *testing.T) {
	managed, other, loose := randomValue(t), randomValue(t), randomValue(t)
	f := newFixture(t, managed, other, loose, nil)
	bad := mustOpen(t, f)
	f.hv.Close()
	ix, err := Index(f.ctx, f.store, bad, f.key, nil, "test")
	if err != nil {
		t.Fatalf("Index: %v (an unreachable store is the result's, not an inventory error)", err)
	}
	if ix.Result.Complete() || len(ix.Result.Entries) != 0 {
		t.Fatalf("index of an unreachable store: complete=%v, %d entries", ix.Result.Complete(), len(ix.Result.Entries))
	}
	if w := IndexWarnings(f.ctx, f.store, "vault"); len(w) != 1 || !strings.Contains(w[0], "older index") && !strings.Contains(w[0], "index before it") {
		t.Errorf("IndexWarnings = %q, want one warning that the plan rests on the earlier index", w)
	}
	items, err := Plan(f.ctx, f.store, "vault")
	if err != nil {
		t.Fatal(err)
	}
	flags := 0
	for _, it := range items {
		if it.Action == "flag" {
			flags++
		}
	}
	if flags != 2 {
		t.Errorf("after a failed index the plan flags %d paths, want the 2 of the earlier index", flags)
	}
}

func mustOpen(t *testing.T, f *fixture) vault.Adapter {
	t.Helper()
	a, err := f.open(f.ctx, "vault")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// auditHas reports whether an audit entry of a vault action (act) holds
// text ("" for any).
func auditHas(t *testing.T, f *fixture, act, text string) bool {
	t.Helper()
	es, err := f.store.AuditLog(f.ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if strings.Contains(e.Data, `"`+act+`"`) && strings.Contains(e.Data, text) {
			return true
		}
	}
	return false
}

package inventory

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/scanner"
)

// BuildExport gathers the whole inventory under the stored policy,
// anchored to the audit chain's head, in the document shape 'inventory
// export' has always written, and never a secret's value.
func TestBuildExport(t *testing.T) {
	ctx := context.Background()
	s := openTestSQLite(t, filepath.Join(t.TempDir(), "inv.db"))
	fx := newFixture(t)
	a, b := randomSecret(t), randomSecret(t)
	res := scanner.Result{Findings: []scanner.Finding{finding(a, "config/prod/a.env", 1), finding(b, "b.env", 1)}}
	if _, err := Record(ctx, s, fx.key, "dir", "/w", res, RecordOptions{Actor: "tester"}); err != nil {
		t.Fatal(err)
	}
	pol := Policy{RuleMaxAge: map[string]Duration{"test-token": Duration(30 * day)}}
	if _, err := s.SetPolicy(ctx, pol, "tester", "tighter"); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

	doc, err := BuildExport(ctx, s, now)
	if err != nil {
		t.Fatal(err)
	}
	seq, hash, err := s.AuditHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Version != 1 || !doc.GeneratedAt.Equal(now) || doc.Inventory != "" {
		t.Errorf("version %d, generated at %s, inventory %q; want 1, %s and none", doc.Version, doc.GeneratedAt, doc.Inventory, now)
	}
	wantHead := ExportHead{Seq: seq, Hash: hash, Head: Head{Seq: seq, Hash: hash}.String()}
	if d := cmp.Diff(wantHead, doc.AuditHead); d != "" || seq != 2 {
		t.Errorf("audit head (-want +got), want seq 2:\n%s", d)
	}
	if d := cmp.Diff(pol, doc.Policy); d != "" {
		t.Errorf("policy (-want +got):\n%s", d)
	}
	if len(doc.Secrets) != 2 || len(doc.Scans) != 1 || len(doc.Repositories) != 1 || doc.Stats.Secrets != 2 {
		t.Fatalf("%d secrets (stats say %d), %d scans, %d repositories; want 2, 1, 1", len(doc.Secrets), doc.Stats.Secrets, len(doc.Scans), len(doc.Repositories))
	}
	for _, e := range doc.Secrets {
		// Judged under the stored policy at now: 30 days for the rule,
		// and a secret first seen today is years old by 2030.
		if time.Duration(e.MaxAge) != 30*day || !e.Overdue {
			t.Errorf("%s: max age %s, overdue %t; want 30d under the stored policy, overdue at %s", e.Fingerprint, e.MaxAge, e.Overdue, now)
		}
	}

	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{a, b} {
		if strings.Contains(string(out), v) {
			t.Fatal("the export holds a secret's value")
		}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(out, &top); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range top {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if d := cmp.Diff([]string{"audit_head", "generated_at", "inventory", "policy", "repositories", "scans", "secrets", "stats", "version"}, keys); d != "" {
		t.Errorf("document keys (-want +got):\n%s", d)
	}
	if want := `{"seq":2,"hash":"` + hash + `","head":"` + wantHead.Head + `"}`; string(top["audit_head"]) != want {
		t.Errorf("audit_head = %s, want %s", top["audit_head"], want)
	}
}

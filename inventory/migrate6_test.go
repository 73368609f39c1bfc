package inventory

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/scanner"
)

// TestMigration6TokenClasses builds an inventory the way a sprawl before
// schema version 6 left it (every token rule's secrets stored as class
// token, no expiry column, a policy naming the token class), opens it with
// this sprawl and checks that long-lived tokens became api-key, short-lived
// ones stayed token, the policy still reads and judges, and expiries are
// stored from then on.
func TestMigration6TokenClasses(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "inventory.db")
	saved := migrations
	var old []migration
	for _, m := range saved {
		if m.version < 6 {
			old = append(old, m)
		}
	}
	migrations = old
	s, err := OpenSQLite(ctx, path)
	if err != nil {
		migrations = saved
		t.Fatal(err)
	}
	db := s.(*sqlStore).db
	committed := time.Now().Add(-14 * day).UnixNano()
	for _, r := range []struct{ fp, rule, class string }{
		{"01", "github-pat", "token"},
		{"02", "slack-bot-token", "token"},
		{"03", "jwt", "token"},
		{"04", "aws-session-token", "token"},
		{"05", "my-own-token-rule", "token"},
		{"06", "stripe-secret-key", "api-key"},
	} {
		if _, err := db.Exec(`INSERT INTO secrets (fingerprint, preview, rule_id, rule_name, severity, class, first_seen, last_seen, first_scan_id)
			VALUES (?, 'pre…', ?, ?, 3, ?, ?, ?, 1)`, r.fp, r.rule, r.rule, r.class, committed, committed); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO vault_entries (adapter, store, engine, mount, path, field, version, fingerprint, first_indexed, last_indexed, rule_id, rule_class)
		VALUES ('vault', 'https://v', 'kv', 'secret', 'ci', 'gh', '1', '01', 1, 1, 'github-pat', 'token')`); err != nil {
		t.Fatal(err)
	}
	userPolicy := Policy{MaxAge: map[Class]Duration{ClassToken: Duration(2 * time.Hour)}}
	if _, err := s.SetPolicy(ctx, userPolicy, "test", "before version 6"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	migrations = saved

	s = openTestSQLite(t, path)
	secrets, err := s.Secrets(ctx, Query{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Class{}
	for _, sec := range secrets {
		got[sec.RuleID] = sec.Class
	}
	want := map[string]Class{
		"github-pat": ClassAPIKey, "slack-bot-token": ClassAPIKey,
		"jwt": ClassToken, "aws-session-token": ClassToken,
		// A user's own rule keeps the class its file gives it.
		"my-own-token-rule": ClassToken,
		"stripe-secret-key": ClassAPIKey,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("classes after migration (-want +got):\n%s", d)
	}
	ves, err := s.VaultEntries(ctx, VaultQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ves) != 1 || ves[0].RuleClass != ClassAPIKey {
		t.Errorf("vault entry rule class after migration: %+v", ves)
	}

	// The stored policy naming token still reads and still governs the
	// short-lived tokens; the PAT and the bot token, 14 days old, are
	// within api-key's 90 days.
	entries, p, err := List(ctx, s, Filter{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(userPolicy, p); d != "" {
		t.Errorf("policy after migration (-want +got):\n%s", d)
	}
	overdue := map[string]bool{}
	for _, e := range entries {
		overdue[e.RuleID] = e.Overdue
	}
	if d := cmp.Diff(map[string]bool{
		"github-pat": false, "slack-bot-token": false, "stripe-secret-key": false,
		"jwt": true, "aws-session-token": true, "my-own-token-rule": true,
	}, overdue); d != "" {
		t.Errorf("overdue after migration (-want +got):\n%s", d)
	}

	// The expiry column exists and ingest fills it.
	key := []byte("0123456789abcdef0123456789abcdef")
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	f := scanner.Finding{RuleID: "jwt", RuleName: "JSON Web Token", Severity: detectors.SeverityHigh,
		Secret: randomSecret(t), File: "a.env", Line: 1, Expires: exp}
	if _, err := Ingest(ctx, s, key, Scan{Source: "dir", Repository: "/r", Complete: true,
		Classes: map[string]Class{"jwt": ClassToken}}, []scanner.Finding{f}); err != nil {
		t.Fatal(err)
	}
	secrets, err = s.Secrets(ctx, Query{RuleIDs: []string{"jwt"}})
	if err != nil {
		t.Fatal(err)
	}
	var stored time.Time
	for _, sec := range secrets {
		if !sec.Expires.IsZero() {
			stored = sec.Expires
		}
	}
	if !stored.Equal(exp) {
		t.Errorf("stored expiry %v, want %v", stored, exp)
	}
}

// TestEvaluateStatedExpiry: a credential that states its expiry is judged
// against it, not against its class's age.
func TestEvaluateStatedExpiry(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	c, err := NewClassifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	base := Secret{RuleID: "jwt", Class: ClassToken, Status: StatusOpen, FirstSeen: now.Add(-14 * day)}
	for _, tt := range []struct {
		name             string
		expires          time.Time
		overdue, expired bool
	}{
		{"no stated expiry: the class's hour", time.Time{}, true, false},
		{"expires next week: not overdue at 14 days", now.Add(7 * day), false, false},
		{"expired yesterday", now.Add(-day), true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := base
			s.Expires = tt.expires
			e := Evaluate(s, Policy{}, c, now)
			if e.Overdue != tt.overdue || e.Expired != tt.expired {
				t.Errorf("overdue %v expired %v; want %v %v", e.Overdue, e.Expired, tt.overdue, tt.expired)
			}
		})
	}
}

// TestIngestRefreshesClass: a secret found again by the same rule takes
// the class the rule has now, so a user who reclassifies a custom rule
// (or a later release that moves a built-in one) is not stuck with the
// class stored at first sight.
func TestIngestRefreshesClass(t *testing.T) {
	ctx := context.Background()
	s := openTestSQLite(t, filepath.Join(t.TempDir(), "inventory.db"))
	key := []byte("0123456789abcdef0123456789abcdef")
	f := scanner.Finding{RuleID: "my-rule", RuleName: "mine", Severity: detectors.SeverityHigh, Secret: randomSecret(t), File: "a.env", Line: 1}
	for _, c := range []Class{ClassToken, ClassAPIKey} {
		if _, err := Ingest(ctx, s, key, Scan{Source: "dir", Repository: "/r", Complete: true, Classes: map[string]Class{"my-rule": c}}, []scanner.Finding{f}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Secrets(ctx, Query{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Class != c {
			t.Errorf("after an ingest with class %s: %+v", c, got)
		}
	}
}

package inventory

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The CI secret cases run against SQLite always and PostgreSQL when
// SPRAWL_TEST_POSTGRES_DSN names one, like the conformance suite.
var ciSecretCases = []struct {
	name string
	fn   func(t *testing.T, s Store)
}{
	{"RecordAndList", testCISecretsRecord},
	{"CompleteMarksGone", testCISecretsGone},
	{"PartialMarksNothingGone", testCISecretsPartial},
	{"Invalid", testCISecretsInvalid},
	{"Audited", testCISecretsAudited},
	{"NoValueColumn", testCISecretsNoValue},
}

func TestSQLiteCISecrets(t *testing.T) {
	for _, tc := range ciSecretCases {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, openTestSQLite(t, filepath.Join(t.TempDir(), "inventory.db")))
		})
	}
}

func TestPostgresCISecrets(t *testing.T) {
	dsn := os.Getenv("SPRAWL_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("SPRAWL_TEST_POSTGRES_DSN not set (scripts/with-postgres.sh go test ./inventory/)")
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, tc := range ciSecretCases {
		t.Run(tc.name, func(t *testing.T) {
			schema := "sprawl_test_" + hex.EncodeToString(randomBytes(t, 6))
			if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
					t.Errorf("drop schema: %v", err)
				}
			})
			s, err := OpenPostgres(context.Background(), withSearchPath(dsn, schema))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

var (
	ciT0 = time.Date(2025, 1, 10, 9, 0, 0, 0, time.UTC)
	ciT1 = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
)

func ciBatch(complete bool, seen time.Time, rs ...CISecretRecord) CISecretBatch {
	return CISecretBatch{Provider: "github", Owner: "acme", Complete: complete, Seen: seen, Actor: "tester", Secrets: rs}
}

func testCISecretsRecord(t *testing.T, s Store) {
	ctx := context.Background()
	org := CISecretRecord{Store: "actions", Scope: ScopeOrg, Name: "DEPLOY_KEY", Visibility: "all", CreatedAt: ciT0, UpdatedAt: ciT0}
	repo := CISecretRecord{Store: "actions", Scope: ScopeRepo, Repository: "acme/api", Name: "DEPLOY_KEY", CreatedAt: ciT1, UpdatedAt: ciT1}
	env := CISecretRecord{Store: "actions", Scope: ScopeEnvironment, Repository: "acme/api", Environment: "production", Name: "DB_PASSWORD", CreatedAt: ciT0, UpdatedAt: ciT1}
	dep := CISecretRecord{Store: "dependabot", Scope: ScopeOrg, Name: "NPM_TOKEN", CreatedAt: ciT0, UpdatedAt: ciT0,
		Kind: "token", Description: "registry publish", UsedBy: []string{"release", "build", "build", " "}}
	seen := ciT1.Add(time.Hour)
	sum, err := s.RecordCISecrets(ctx, ciBatch(true, seen, org, repo, env, dep))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(CISecretSummary{Secrets: 4, New: 4}, sum); diff != "" {
		t.Errorf("first listing summary (-want +got):\n%s", diff)
	}
	// The same listing again with one secret rotated.
	rot := env
	rot.UpdatedAt = seen
	sum, err = s.RecordCISecrets(ctx, ciBatch(true, seen.Add(time.Hour), org, repo, rot, dep))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(CISecretSummary{Secrets: 4, Updated: 1}, sum); diff != "" {
		t.Errorf("second listing summary (-want +got):\n%s", diff)
	}
	got, err := s.CISecrets(ctx, CISecretQuery{Provider: "github", Owner: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range got {
		names = append(names, c.Name+"@"+c.Place()+"/"+c.Store)
		if !c.FirstSeen.Equal(seen) || !c.LastSeen.Equal(seen.Add(time.Hour)) {
			t.Errorf("%s: first/last seen %v/%v, want %v/%v", c.Name, c.FirstSeen, c.LastSeen, seen, seen.Add(time.Hour))
		}
	}
	want := []string{"DB_PASSWORD@env acme/api/production/actions", "DEPLOY_KEY@org/actions", "DEPLOY_KEY@repo acme/api/actions", "NPM_TOKEN@org/dependabot"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("listed (-want +got):\n%s", diff)
	}
	if got[0].UpdatedAt != seen.UTC() || got[1].Visibility != "all" || got[1].CreatedAt != ciT0 {
		t.Errorf("dates or visibility not kept: %+v / %+v", got[0], got[1])
	}
	if g := got[3]; g.Kind != "token" || g.Description != "registry publish" || !cmp.Equal(g.UsedBy, []string{"build", "release"}) || got[0].UsedBy != nil {
		t.Errorf("kind, description or users not kept: %+v / %+v", got[3], got[0])
	}

	// Judged at ciT1+100d under the default 90 days: the org secret (last
	// set at ciT0) and the dependabot one are overdue; the org and repo
	// DEPLOY_KEY are shown as the same name at two scopes.
	entries := EvaluateCISecrets(got, Policy{}, ciT1.Add(100*day))
	overdue := map[string]bool{}
	for _, e := range entries {
		if e.Overdue {
			overdue[e.Name+"@"+e.Place()] = true
		}
	}
	if diff := cmp.Diff(map[string]bool{"DEPLOY_KEY@org": true, "DEPLOY_KEY@repo acme/api": true, "NPM_TOKEN@org": true, "DB_PASSWORD@env acme/api/production": true}, overdue); diff != "" {
		t.Errorf("overdue at +100d (-want +got):\n%s", diff)
	}
	entries = EvaluateCISecrets(got, Policy{}, ciT1.Add(30*day))
	if entries[1].Overdue != true || entries[2].Overdue != false {
		t.Errorf("at +30d: org overdue %v (want true), repo overdue %v (want false)", entries[1].Overdue, entries[2].Overdue)
	}
	if diff := cmp.Diff([]string{"repo acme/api"}, entries[1].SameName); diff != "" {
		t.Errorf("org DEPLOY_KEY same-name (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"org"}, entries[2].SameName); diff != "" {
		t.Errorf("repo DEPLOY_KEY same-name (-want +got):\n%s", diff)
	}
	if entries[0].SameName != nil || entries[3].SameName != nil {
		t.Errorf("unshared names listed as shared: %v %v", entries[0].SameName, entries[3].SameName)
	}
	// A per-store age in the policy applies.
	p := Policy{RuleMaxAge: map[string]Duration{CISecretRuleID("dependabot"): Duration(1000 * day)}}
	if e := EvaluateCISecrets(got, p, ciT1.Add(30*day)); e[3].Overdue || e[3].MaxAge != Duration(1000*day) {
		t.Errorf("dependabot rule max age ignored: %+v", e[3])
	}
}

func testCISecretsGone(t *testing.T, s Store) {
	ctx := context.Background()
	a := CISecretRecord{Store: "actions", Scope: ScopeOrg, Name: "A"}
	b := CISecretRecord{Store: "codespaces", Scope: ScopeRepo, Repository: "acme/web", Name: "B"}
	if _, err := s.RecordCISecrets(ctx, ciBatch(true, ciT0, a, b)); err != nil {
		t.Fatal(err)
	}
	// Another owner's secrets are not touched by acme's listing.
	other := CISecretBatch{Provider: "github", Owner: "other", Complete: true, Seen: ciT0, Secrets: []CISecretRecord{a}}
	if _, err := s.RecordCISecrets(ctx, other); err != nil {
		t.Fatal(err)
	}
	sum, err := s.RecordCISecrets(ctx, ciBatch(true, ciT1, a))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Gone != 1 {
		t.Errorf("gone = %d, want 1", sum.Gone)
	}
	present, err := s.CISecrets(ctx, CISecretQuery{Provider: "github"})
	if err != nil {
		t.Fatal(err)
	}
	if len(present) != 2 || present[0].Owner != "acme" || present[1].Owner != "other" {
		t.Fatalf("present = %+v, want acme's A and other's A", present)
	}
	all, err := s.CISecrets(ctx, CISecretQuery{Owner: "acme", IncludeGone: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[1].Name != "B" || !all[1].GoneAt.Equal(ciT1) {
		t.Fatalf("with gone = %+v, want B gone at %v", all, ciT1)
	}
	if e := EvaluateCISecrets(all, Policy{}, ciT1.Add(1000*day)); e[1].Overdue {
		t.Error("a gone secret is judged overdue")
	}
	// Found again: present again.
	if _, err := s.RecordCISecrets(ctx, ciBatch(true, ciT1.Add(time.Hour), a, b)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.CISecrets(ctx, CISecretQuery{Owner: "acme"}); len(got) != 2 {
		t.Errorf("after B reappeared: %d present, want 2", len(got))
	}
}

func testCISecretsPartial(t *testing.T, s Store) {
	ctx := context.Background()
	a := CISecretRecord{Store: "actions", Scope: ScopeOrg, Name: "A"}
	b := CISecretRecord{Store: "actions", Scope: ScopeOrg, Name: "B"}
	if _, err := s.RecordCISecrets(ctx, ciBatch(true, ciT0, a, b)); err != nil {
		t.Fatal(err)
	}
	sum, err := s.RecordCISecrets(ctx, ciBatch(false, ciT1, a))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Gone != 0 {
		t.Errorf("partial listing marked %d gone", sum.Gone)
	}
	if got, _ := s.CISecrets(ctx, CISecretQuery{}); len(got) != 2 {
		t.Errorf("after a partial listing %d present, want 2", len(got))
	}
}

func testCISecretsInvalid(t *testing.T, s Store) {
	ctx := context.Background()
	for _, b := range []CISecretBatch{
		{Owner: "acme", Secrets: []CISecretRecord{{Store: "actions", Scope: ScopeOrg, Name: "A"}}},
		ciBatch(true, ciT0, CISecretRecord{Store: "actions", Scope: "galaxy", Name: "A"}),
		ciBatch(true, ciT0, CISecretRecord{Store: "actions", Scope: ScopeRepo, Name: "A"}),
		ciBatch(true, ciT0, CISecretRecord{Store: "actions", Scope: ScopeEnvironment, Repository: "acme/x", Name: "A"}),
		ciBatch(true, ciT0, CISecretRecord{Scope: ScopeOrg, Name: "A"}),
	} {
		if _, err := s.RecordCISecrets(ctx, b); !errors.Is(err, ErrInvalid) {
			t.Errorf("RecordCISecrets(%+v) = %v, want ErrInvalid", b, err)
		}
	}
	if got, _ := s.CISecrets(ctx, CISecretQuery{IncludeGone: true}); len(got) != 0 {
		t.Errorf("invalid batches recorded %d secrets", len(got))
	}
}

func testCISecretsAudited(t *testing.T, s Store) {
	ctx := context.Background()
	if _, err := s.RecordCISecrets(ctx, ciBatch(true, ciT0, CISecretRecord{Store: "actions", Scope: ScopeOrg, Name: "A"})); err != nil {
		t.Fatal(err)
	}
	log, err := s.AuditLog(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].Action != ActionCISecrets || log[0].Actor != "tester" || !strings.Contains(log[0].Data, `"owner":"acme"`) {
		t.Fatalf("audit log = %+v, want one ci-secrets entry by tester", log)
	}
	if res := mustVerify(t, s); res.Entries != 1 {
		t.Errorf("verify = %+v", res)
	}
}

// testCISecretsNoValue: the table has no column that could hold a value.
func testCISecretsNoValue(t *testing.T, s Store) {
	ss, ok := s.(*sqlStore)
	if !ok {
		t.Skip("not a SQL store")
	}
	rows, err := ss.rdb.Query(`SELECT * FROM ci_secrets WHERE 1 = 0`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cols {
		if strings.Contains(c, "value") || strings.Contains(c, "secret") {
			t.Errorf("ci_secrets has a column %q", c)
		}
	}
}

// TestEvaluateCISecretsKubernetesCopies: a Kubernetes Secret of one name
// in two namespaces is a copy, flagged at both; GitHub environment
// secrets of one name in two environments are not (each environment has
// its own by design).
func TestEvaluateCISecretsKubernetesCopies(t *testing.T) {
	env := func(provider, repo, ns, name string) CISecret {
		return CISecret{Provider: provider, Owner: repo, CISecretRecord: CISecretRecord{Store: "secret", Scope: ScopeEnvironment, Repository: repo, Environment: ns, Name: name}}
	}
	cs := []CISecret{
		env("kubernetes", "kind-main", "prod", "db-creds"),
		env("kubernetes", "kind-main", "staging", "db-creds"),
		env("kubernetes", "kind-main", "prod", "only-here"),
		env("github", "acme/api", "production", "DEPLOY_KEY"),
		env("github", "acme/api", "staging", "DEPLOY_KEY"),
	}
	got := map[string][]string{}
	for _, e := range EvaluateCISecrets(cs, Policy{}, ciT1) {
		got[e.Provider+" "+e.Place()+" "+e.Name] = e.SameName
	}
	want := map[string][]string{
		"kubernetes env kind-main/prod db-creds":    {"env kind-main/staging"},
		"kubernetes env kind-main/staging db-creds": {"env kind-main/prod"},
		"kubernetes env kind-main/prod only-here":   nil,
		"github env acme/api/production DEPLOY_KEY": nil,
		"github env acme/api/staging DEPLOY_KEY":    nil,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("same name (-want +got):\n%s", diff)
	}
}

// The ci-secrets filters narrow together; with neither every secret is
// kept, and none kept is nil (the command writes [] for JSON itself).
func TestFilterCISecrets(t *testing.T) {
	mk := func(name string, overdue bool, same ...string) CISecretEntry {
		var e CISecretEntry
		e.Name, e.Overdue, e.SameName = name, overdue, same
		return e
	}
	es := []CISecretEntry{mk("old-alone", true), mk("old-twice", true, "org"), mk("new-twice", false, "org"), mk("new-alone", false)}
	names := func(es []CISecretEntry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Name)
		}
		return out
	}
	for _, tc := range []struct {
		overdue, same bool
		want          []string
	}{
		{false, false, []string{"old-alone", "old-twice", "new-twice", "new-alone"}},
		{true, false, []string{"old-alone", "old-twice"}},
		{false, true, []string{"old-twice", "new-twice"}},
		{true, true, []string{"old-twice"}},
	} {
		if d := cmp.Diff(tc.want, names(FilterCISecrets(es, tc.overdue, tc.same))); d != "" {
			t.Errorf("overdue %t, same name %t (-want +got):\n%s", tc.overdue, tc.same, d)
		}
	}
	if got := FilterCISecrets(es[3:], true, false); got != nil {
		t.Errorf("none kept: %#v, want nil", got)
	}
}

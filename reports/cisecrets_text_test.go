package reports

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/inventory"
)

func ciEntry(owner, scope, name string, overdue bool) inventory.CISecretEntry {
	var e inventory.CISecretEntry
	e.Provider, e.Owner, e.Store, e.Scope, e.Repository, e.Name = "github", owner, "actions", scope, owner+"/api", name
	e.UpdatedAt = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e.Age, e.MaxAge, e.Overdue = inventory.Duration(100*24*time.Hour), inventory.Duration(90*24*time.Hour), overdue
	return e
}

// The ci-secrets table: a row per secret with its state (gone before
// overdue), what uses it and the other places of its name; on a narrow
// terminal USED BY, then SAME NAME, then KIND give way first and a line
// names them; a store's control characters are escaped.
func TestWriteCISecretsTable(t *testing.T) {
	overdue := ciEntry("acme", inventory.ScopeRepo, "DEPLOY_KEY", true)
	overdue.UsedBy, overdue.SameName, overdue.Kind = []string{"deploy/web", "job/migrate"}, []string{"org", "env acme/api/prod"}, "Opaque"
	gone := ciEntry("acme", inventory.ScopeOrg, "OLD\x1b[31mTOKEN", true)
	gone.GoneAt = time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC)
	ok := ciEntry("acme", inventory.ScopeUser, "FINE", false)
	es := []inventory.CISecretEntry{overdue, gone, ok}

	for _, tc := range []struct {
		name  string
		width int
		want  string
	}{
		{"no limit", 0, `┌─────────────┬─────────┬───────────────┬──────────────────┬────────┬──────────────────────┬──────┬─────────┬─────────────────┬─────────────────────────┬────────────────────────┐
│    OWNER    │  STORE  │     SCOPE     │       NAME       │  KIND  │       UPDATED        │ AGE  │ MAX AGE │      STATE      │         USED BY         │       SAME NAME        │
├─────────────┼─────────┼───────────────┼──────────────────┼────────┼──────────────────────┼──────┼─────────┼─────────────────┼─────────────────────────┼────────────────────────┤
│ github:acme │ actions │ repo acme/api │ DEPLOY_KEY       │ Opaque │ 2026-01-02 03:04:05Z │ 100d │ 90d     │ OVERDUE         │ deploy/web, job/migrate │ org; env acme/api/prod │
│ github:acme │ actions │ org           │ OLD\x1b[31mTOKEN │        │ 2026-01-02 03:04:05Z │ 100d │ 90d     │ gone 2026-02-03 │                         │                        │
│ github:acme │ actions │ user          │ FINE             │        │ 2026-01-02 03:04:05Z │ 100d │ 90d     │                 │                         │                        │
└─────────────┴─────────┴───────────────┴──────────────────┴────────┴──────────────────────┴──────┴─────────┴─────────────────┴─────────────────────────┴────────────────────────┘
`},
		{"USED BY and SAME NAME give way", 120, `┌─────────────┬─────────┬───────────────┬───────────────┬────────┬──────────────────────┬──────┬─────────┬─────────────┐
│    OWNER    │  STORE  │     SCOPE     │     NAME      │  KIND  │       UPDATED        │ AGE  │ MAX AGE │    STATE    │
├─────────────┼─────────┼───────────────┼───────────────┼────────┼──────────────────────┼──────┼─────────┼─────────────┤
│ github:acme │ actions │ repo acme/api │ DEPLOY_KEY    │ Opaque │ 2026-01-02 03:04:05Z │ 100d │ 90d     │ OVERDUE     │
│ github:acme │ actions │ org           │ OLD\…31mTOKEN │        │ 2026-01-02 03:04:05Z │ 100d │ 90d     │ gone 2026-… │
│ github:acme │ actions │ user          │ FINE          │        │ 2026-01-02 03:04:05Z │ 100d │ 90d     │             │
└─────────────┴─────────┴───────────────┴───────────────┴────────┴──────────────────────┴──────┴─────────┴─────────────┘
(not shown at this width: USED BY, SAME NAME)
`},
		{"then KIND, SCOPE and UPDATED", 70, `┌─────────────┬─────────┬──────────────┬──────┬─────────┬────────────┐
│    OWNER    │  STORE  │     NAME     │ AGE  │ MAX AGE │   STATE    │
├─────────────┼─────────┼──────────────┼──────┼─────────┼────────────┤
│ github:acme │ actions │ DEPLOY_KEY   │ 100d │ 90d     │ OVERDUE    │
│ github:acme │ actions │ OLD…31mTOKEN │ 100d │ 90d     │ gone 2026… │
│ github:acme │ actions │ FINE         │ 100d │ 90d     │            │
└─────────────┴─────────┴──────────────┴──────┴─────────┴────────────┘
(not shown at this width: USED BY, SAME NAME, KIND, SCOPE, UPDATED)
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := WriteCISecretsTable(&b, tc.width, es); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, b.String()); d != "" {
				t.Errorf("table (-want +got):\n%s", d)
			}
		})
	}
}

func TestCISecretsLine(t *testing.T) {
	for _, tc := range []struct {
		es   []inventory.CISecretEntry
		want string
	}{
		{nil, "sprawl: 0 CI secrets, 0 overdue"},
		{[]inventory.CISecretEntry{ciEntry("a", "org", "X", true)}, "sprawl: 1 CI secret, 1 overdue"},
		{[]inventory.CISecretEntry{ciEntry("a", "org", "X", false), ciEntry("a", "org", "Y", true), ciEntry("a", "org", "Z", false)}, "sprawl: 3 CI secrets, 1 overdue"},
	} {
		if got := CISecretsLine(tc.es); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

// A table that cannot be written, or whose note of the columns left
// out cannot, is the writer's error.
func TestWriteCISecretsTableWriteFails(t *testing.T) {
	es := []inventory.CISecretEntry{ciEntry("acme", inventory.ScopeOrg, "X", true)}
	var full strings.Builder
	if err := WriteCISecretsTable(&full, 70, es); err != nil {
		t.Fatal(err)
	}
	note := "(not shown at this width: USED BY, SAME NAME, KIND, SCOPE, UPDATED)\n"
	if !strings.HasSuffix(full.String(), note) {
		t.Fatalf("no note of the columns left out:\n%s", full.String())
	}
	for _, n := range []int{0, full.Len() - len(note)} {
		if err := WriteCISecretsTable(&failingWriter{n}, 70, es); !errors.Is(err, errWrite) {
			t.Errorf("failing after %d bytes: error %v, want %v", n, err, errWrite)
		}
	}
}

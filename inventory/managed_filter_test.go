package inventory

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The states asked for narrow together: a secret is kept only if it has
// every one of them, and asking for none keeps all.
func TestFilterManaged(t *testing.T) {
	secrets := func() []ManagedSecret {
		var a, b, c ManagedSecret
		a.Path, a.Overdue, a.NeverRotated = "a", true, true
		b.Path, b.Overdue, b.Unused = "b", true, true
		c.Path, c.Leaked = "c", true
		return []ManagedSecret{a, b, c}
	}
	for _, tc := range []struct {
		name string
		want []ManagedState
		kept []string
	}{
		{"none asked", nil, []string{"a", "b", "c"}},
		{"one state", []ManagedState{StateOverdue}, []string{"a", "b"}},
		{"two states narrow", []ManagedState{StateOverdue, StateUnused}, []string{"b"}},
		{"no secret has them all", []ManagedState{StateLeaked, StateOverdue}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := []string{}
			for _, m := range FilterManaged(secrets(), tc.want) {
				got = append(got, m.Path)
			}
			if d := cmp.Diff(tc.kept, got); d != "" {
				t.Errorf("kept (-want +got):\n%s", d)
			}
		})
	}
}

// A store selection that is exactly a kind keeps that kind; anything else
// (another case, a prefix, a name holding a kind) is part of a store's
// name; none keeps every store.
func TestSelectStore(t *testing.T) {
	for _, tc := range []struct {
		sel, kind, store string
	}{
		{"", "", ""},
		{"vault", "vault", ""},
		{"aws", "aws", ""},
		{"azure", "azure", ""},
		{KindCI, KindCI, ""},
		{"Vault", "", "Vault"},
		{"vault-prod", "", "vault-prod"},
		{"vaul", "", "vaul"},
		{"https://vault:8200", "", "https://vault:8200"},
	} {
		var q ManagedQuery
		q.SelectStore(tc.sel)
		if q.Kind != tc.kind || q.Store != tc.store {
			t.Errorf("%q: kind %q store %q, want %q %q", tc.sel, q.Kind, q.Store, tc.kind, tc.store)
		}
	}
}

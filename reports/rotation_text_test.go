package reports

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/inventory/rotation"
)

func rotationItems() []*rotation.Item {
	flag := &rotation.Item{Action: "flag", Fields: []string{"token", "key"}, Secrets: []string{strings.Repeat("a", 64), strings.Repeat("b", 64)}, Plan: "mark for rotation", Result: "marked"}
	flag.Adapter, flag.Store, flag.Mount, flag.Path = "vault", "https://vault:8200", "secret", "app/ci"
	flagged := &rotation.Item{Action: "flagged", Secrets: []string{strings.Repeat("c", 64)}, Plan: "already marked", Result: "already marked"}
	flagged.Adapter, flagged.Store, flagged.Path = "aws", "us-east-1", "prod/db"
	unmanaged := &rotation.Item{Action: "unmanaged", Secrets: []string{strings.Repeat("d", 64)}, Where: "acme/api:config\x1b[2J.yml", Plan: "move into a vault, then rotate"}
	unmanaged.Adapter, unmanaged.Store, unmanaged.Path = "vault", "ignored", "ignored"
	return []*rotation.Item{flag, flagged, unmanaged}
}

// The rotate table: a managed path under its mount and store, an
// unmanaged secret where it was found; LIVE only when something was
// verified, RESULT only once applied; a dry run counts the paths it
// would mark.
func TestWriteRotationTable(t *testing.T) {
	verified := rotationItems()
	verified[0].Live, verified[2].Live = "live", "revoked"
	for _, tc := range []struct {
		name  string
		items []*rotation.Item
		apply bool
		want  string
	}{
		{"nothing", nil, false, "nothing to rotate: no open leaked secret in the inventory\n"},
		{"dry run", rotationItems(), false, `┌───────────┬──────────────────────────┬────────────────────────────┬───────────┬───────────────────────────┬────────────────────────────────┐
│  ACTION   │          STORE           │            PATH            │  FIELDS   │          SECRETS          │              PLAN              │
├───────────┼──────────────────────────┼────────────────────────────┼───────────┼───────────────────────────┼────────────────────────────────┤
│ flag      │ vault https://vault:8200 │ secret/app/ci              │ token,key │ aaaaaaaaaaaa bbbbbbbbbbbb │ mark for rotation              │
│ flagged   │ aws us-east-1            │ prod/db                    │           │ cccccccccccc              │ already marked                 │
│ unmanaged │ -                        │ acme/api:config\x1b[2J.yml │           │ dddddddddddd              │ move into a vault, then rotate │
└───────────┴──────────────────────────┴────────────────────────────┴───────────┴───────────────────────────┴────────────────────────────────┘
dry run: 1 paths to mark for rotation; run with --apply to do it
`},
		{"applied, verified", verified, true, `┌───────────┬──────────────────────────┬────────────────────────────┬───────────┬───────────────────────────┬────────────────────────────────┬─────────┬────────────────┐
│  ACTION   │          STORE           │            PATH            │  FIELDS   │          SECRETS          │              PLAN              │  LIVE   │     RESULT     │
├───────────┼──────────────────────────┼────────────────────────────┼───────────┼───────────────────────────┼────────────────────────────────┼─────────┼────────────────┤
│ flag      │ vault https://vault:8200 │ secret/app/ci              │ token,key │ aaaaaaaaaaaa bbbbbbbbbbbb │ mark for rotation              │ live    │ marked         │
│ flagged   │ aws us-east-1            │ prod/db                    │           │ cccccccccccc              │ already marked                 │ -       │ already marked │
│ unmanaged │ -                        │ acme/api:config\x1b[2J.yml │           │ dddddddddddd              │ move into a vault, then rotate │ revoked │                │
└───────────┴──────────────────────────┴────────────────────────────┴───────────┴───────────────────────────┴────────────────────────────────┴─────────┴────────────────┘
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := WriteRotationTable(&b, 0, tc.items, tc.apply); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, b.String()); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// Why a plan is empty: no open leak at all, or open leaks the stores of
// one kind do not hold.
func TestWriteNothingToRotate(t *testing.T) {
	for _, tc := range []struct {
		kind string
		open int
		want string
	}{
		{"aws", 0, "nothing to rotate: no open leaked secret in the inventory\n"},
		{"aws", 1, "nothing to mark in aws stores: 1 leaked secret open, none held in an indexed aws store (run 'sprawl rotate' without --adapter to list them; if the index is stale or the last 'vault index' failed, see 'sprawl audit log')\n"},
		{"vault", 3, "nothing to mark in vault stores: 3 leaked secrets open, none held in an indexed vault store (run 'sprawl rotate' without --adapter to list them; if the index is stale or the last 'vault index' failed, see 'sprawl audit log')\n"},
	} {
		var b strings.Builder
		if err := WriteNothingToRotate(&b, tc.kind, tc.open); err != nil {
			t.Fatal(err)
		}
		if b.String() != tc.want {
			t.Errorf("%s %d:\n got %q\nwant %q", tc.kind, tc.open, b.String(), tc.want)
		}
	}
}

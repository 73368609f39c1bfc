package reports

import (
	"testing"

	"github.com/sprawlsec/sprawl/inventory"
)

func TestRecordedLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    inventory.Recorded
		want string
	}{
		{"one of each, partial", inventory.Recorded{IngestSummary: inventory.IngestSummary{Secrets: 1, NewSecrets: 1, Locations: 1, NewLocations: 0, Gone: 4}},
			"sprawl: inventory inv.db: 1 secret (1 new), 1 location (0 new)"},
		{"complete, with regressions", inventory.Recorded{Complete: true, IngestSummary: inventory.IngestSummary{Secrets: 3, NewSecrets: 2, Locations: 5, NewLocations: 1, Gone: 2, Regressions: []string{"a", "b"}}},
			"sprawl: inventory inv.db: 3 secrets (2 new), 5 locations (1 new, 2 gone); 2 regressions: rotated or revoked secrets found at new places"},
		{"one regression", inventory.Recorded{IngestSummary: inventory.IngestSummary{Regressions: []string{"a"}}},
			"sprawl: inventory inv.db: 0 secrets (0 new), 0 locations (0 new); 1 regression: rotated or revoked secrets found at new places"},
	} {
		if got := RecordedLine("inv.db", tc.r); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

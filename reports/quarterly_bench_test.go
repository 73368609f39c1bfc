package reports

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/scanner"
)

// BenchmarkInventoryReport builds and renders the report over an inventory
// of 20,000 secrets in 100,000 locations across 50 repositories, 2,000 of
// them rotated in the quarter (each with a status history to read).
func BenchmarkInventoryReport(b *testing.B) {
	ctx := context.Background()
	s, err := inventory.OpenSQLite(ctx, filepath.Join(b.TempDir(), "inventory.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	key := []byte("bench-key-0123456789abcdef")
	const secrets, perSecret, repos = 20000, 5, 50
	var fps []string
	for r := 0; r < repos; r++ {
		var fs []scanner.Finding
		for i := r; i < secrets; i += repos {
			v := fmt.Sprintf("SYNTHETIC-BENCH-%08d-0000000000", i)
			if r == 0 || i%repos == r {
				fps = append(fps, scanner.Fingerprint(key, v))
			}
			for l := 0; l < perSecret; l++ {
				fs = append(fs, scanner.Finding{RuleID: "generic-api-key", Severity: detectors.SeverityHigh, Secret: v,
					File: fmt.Sprintf("config/env%d/app.env", l), Line: l + 1})
			}
		}
		at := q3Since.Add(time.Duration(r) * 36 * time.Hour)
		if _, err := inventory.Ingest(ctx, s, key, inventory.Scan{Source: "git", Repository: fmt.Sprintf("https://github.com/acme/r%02d", r),
			Started: at, Finished: at, Complete: true}, fs); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < 2000; i++ {
		if _, err := s.SetStatus(ctx, fps[i], inventory.StatusChange{To: inventory.StatusRotated, Actor: "bench", Reason: "rotated",
			At: q3Since.Add(time.Duration(i) * time.Hour)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := BuildInventoryReport(ctx, s, PeriodOptions{Since: q3Since, Until: q3Until, Now: reportAt})
		if err != nil {
			b.Fatal(err)
		}
		if r.Summary.Secrets != secrets || r.Summary.RotatedInPeriod != 2000 {
			b.Fatalf("summary %+v", r.Summary)
		}
		for _, f := range []string{"html", "json", "csv"} {
			if err := WriteInventoryReport(io.Discard, r, f); err != nil {
				b.Fatal(err)
			}
		}
	}
}

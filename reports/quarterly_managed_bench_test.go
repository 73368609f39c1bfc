package reports

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/inventory/vault"
	"github.com/sprawlsec/sprawl/scanner"
)

// BenchmarkManagedReport assesses 50,000 indexed fields (Vault KV, AWS
// Secrets Manager, Azure Key Vault, each with its store's facts; one
// index of each before the quarter for the change figures) and writes the
// report in every format.
func BenchmarkManagedReport(b *testing.B) {
	ctx := context.Background()
	s, err := inventory.OpenSQLite(ctx, filepath.Join(b.TempDir(), "inventory.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	key := []byte("bench-key-0123456789abcdef")
	const fields = 50000
	stores := []struct{ adapter, store, engine string }{
		{"vault", "https://vault.bench:8200", vault.EngineKV}, {"aws", "us-east-1", vault.EngineSecretsManager}, {"azure", "https://bench.vault.azure.net", vault.EngineKeyVault},
	}
	clk := reportAt
	inventory.SetClock(s, func() time.Time { return clk })
	for pass, at := range []time.Time{q3Since.Add(-7 * dayDur), q3Until.Add(-dayDur)} {
		for si, st := range stores {
			var es []inventory.VaultEntryRecord
			for i := si; i < fields; i += len(stores) {
				age := time.Duration(i%500) * dayDur
				e := inventory.VaultEntryRecord{Mount: "", Path: fmt.Sprintf("team%03d/app%05d", i%100, i), Field: []string{"password", "api_key", "client_secret"}[i%3],
					Engine: st.engine, Version: fmt.Sprint(pass + 1), VersionAt: at.Add(-age), Created: at.Add(-age - 30*dayDur),
					Fingerprint: scanner.Fingerprint(key, fmt.Sprintf("SYNTHETIC-BENCH-%08d-%d", i, pass)), AutoRotation: i%7 == 0,
					Facts: vault.Facts{Versions: 1 + i%3}}
				switch st.adapter {
				case "vault":
					e.Mount = "secret"
				case "aws":
					e.AccessRecorded, e.LastAccessed = true, at.Add(-time.Duration(i%200)*dayDur)
				case "azure":
					e.ExpirySupported = true
					if i%2 == 0 {
						e.Expires = at.Add(time.Duration(i%60-30) * dayDur)
					}
				}
				es = append(es, e)
			}
			clk = at
			if _, err := s.RecordVaultIndex(ctx, &inventory.VaultIndexBatch{Adapter: st.adapter, Store: st.store, KeyCheck: inventory.KeyCheck(key),
				Complete: true, At: at, Entries: es}); err != nil {
				b.Fatal(err)
			}
		}
	}
	clk = reportAt
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := BuildInventoryReport(ctx, s, PeriodOptions{Since: q3Since, Until: q3Until, Now: reportAt})
		if err != nil {
			b.Fatal(err)
		}
		if r.Managed.Total != fields || r.Managed.Previous == nil || r.Managed.Overdue == 0 {
			b.Fatalf("managed section: %d secrets, previous %v", r.Managed.Total, r.Managed.Previous)
		}
		for _, f := range InventoryFormats() {
			if err := WriteInventoryReport(io.Discard, r, f); err != nil {
				b.Fatal(err)
			}
		}
	}
}

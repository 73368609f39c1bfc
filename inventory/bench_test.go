package inventory

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sprawlsec/sprawl/scanner"
)

// benchFindings is 100,000 findings of 20,000 distinct secrets, each secret
// at five places, as one org-wide scan would report them.
func benchFindings(b *testing.B, repos int) [][]scanner.Finding {
	const findings, distinct = 100_000, 20_000
	secrets := make([]string, distinct)
	for i := range secrets {
		secrets[i] = randomSecret(b)
	}
	when := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([][]scanner.Finding, repos)
	for i := range findings {
		f := commitFinding(secrets[i%distinct], fmt.Sprintf("services/svc%d/config/env%d/app.env", i%97, i/distinct), i%400+1,
			fmt.Sprintf("%040x", i%5000), when.Add(time.Duration(i)*time.Minute))
		out[i%repos] = append(out[i%repos], f)
	}
	return out
}

// BenchmarkIngest100k ingests 100,000 findings (20,000 distinct secrets)
// into a fresh SQLite inventory per iteration, as one scan ("1repo") and as
// ten repositories' scans ("10repos"), and reports the database size.
func BenchmarkIngest100k(b *testing.B) {
	for _, repos := range []int{1, 10} {
		b.Run(fmt.Sprintf("%drepo", repos), func(b *testing.B) {
			batches := benchFindings(b, repos)
			key := randomBytes(b, 32)
			ctx := context.Background()
			var size int64
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				path := filepath.Join(b.TempDir(), fmt.Sprintf("inv%d.db", i))
				s, err := OpenSQLite(ctx, path)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				for r, fs := range batches {
					if _, err := Ingest(ctx, s, key, Scan{Source: "git", Repository: fmt.Sprintf("https://git.example/acme/repo%d", r), Complete: true}, fs); err != nil {
						b.Fatal(err)
					}
				}
				if err := s.Close(); err != nil { // checkpoints the WAL into the file
					b.Fatal(err)
				}
				b.StopTimer()
				fi, err := os.Stat(path)
				if err != nil {
					b.Fatal(err)
				}
				size = fi.Size()
				b.StartTimer()
			}
			b.ReportMetric(float64(size)/(1<<20), "db-MiB")
			b.ReportMetric(100_000/(b.Elapsed().Seconds()/float64(b.N)), "findings/s")
		})
	}
}

// BenchmarkIngest100kPostgres is BenchmarkIngest100k against the
// PostgreSQL named by SPRAWL_TEST_POSTGRES_DSN, a fresh schema per
// iteration; db-MiB is the schema's tables with their indexes and TOAST.
func BenchmarkIngest100kPostgres(b *testing.B) {
	dsn := os.Getenv("SPRAWL_TEST_POSTGRES_DSN")
	if dsn == "" {
		b.Skip("SPRAWL_TEST_POSTGRES_DSN not set")
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	batches := benchFindings(b, 1)
	key := randomBytes(b, 32)
	ctx := context.Background()
	var size int64
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		schema := fmt.Sprintf("sprawl_bench_%x_%d", randomBytes(b, 4), i)
		if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
			b.Fatal(err)
		}
		s, err := OpenPostgres(ctx, withSearchPath(dsn, schema))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := Ingest(ctx, s, key, Scan{Source: "git", Repository: "https://git.example/acme/repo", Complete: true}, batches[0]); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.Close()
		if err := admin.QueryRow(`SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = $1 AND c.relkind = 'r'`, schema).Scan(&size); err != nil {
			b.Fatal(err)
		}
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(size)/(1<<20), "db-MiB")
	b.ReportMetric(100_000/(b.Elapsed().Seconds()/float64(b.N)), "findings/s")
}

package inventory

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/sprawlsec/sprawl/scanner"
)

// BenchmarkVerify measures what 'audit verify' (and a CI gate about to
// suppress a finding) costs on an inventory of 2,000 scans (10 repositories
// × 200 scans), 20,000 secrets, 20,000 locations and 1,000 status changes.
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(b.TempDir(), "inv.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	key := randomBytes(b, 32)
	var fps []string
	for scan := range 200 {
		for repo := range 10 {
			var fs []scanner.Finding
			for i := range 10 {
				sec := randomSecret(b)
				fs = append(fs, finding(sec, fmt.Sprintf("f%d-%d", scan, i), 1))
				if len(fps) < 1000 {
					fps = append(fps, scanner.Fingerprint(key, sec))
				}
			}
			if _, err := Ingest(ctx, s, key, Scan{Source: "git", Repository: fmt.Sprintf("https://git.example/acme/repo%d", repo)}, fs); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, fp := range fps {
		if _, err := s.SetStatus(ctx, fp, StatusChange{To: StatusAcceptedRisk, Reason: "bench", Actor: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		res, err := Verify(ctx, s)
		if err != nil || res.Entries != 3000 {
			b.Fatalf("Verify = %+v, %v", res, err)
		}
	}
}

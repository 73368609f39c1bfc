package inventory

import (
	"context"
	"database/sql"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

// TestPostgresConformance runs the conformance suite against a real
// PostgreSQL named by SPRAWL_TEST_POSTGRES_DSN (scripts/with-postgres.sh
// starts a throwaway one). Each subtest gets its own schema, dropped
// afterwards, so concurrent runs against one server do not collide.
func TestPostgresConformance(t *testing.T) {
	dsn := os.Getenv("SPRAWL_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("SPRAWL_TEST_POSTGRES_DSN not set (scripts/with-postgres.sh go test ./inventory/)")
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.Ping(); err != nil {
		t.Fatalf("PostgreSQL at %s: %v", RedactDSN(dsn), err)
	}
	runConformance(t, func(t *testing.T) (Store, func() (Store, error)) {
		schema := "sprawl_test_" + hex.EncodeToString(randomBytes(t, 6))
		if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
				t.Errorf("drop schema: %v", err)
			}
		})
		sdsn := withSearchPath(dsn, schema)
		s, err := OpenPostgres(context.Background(), sdsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s, func() (Store, error) { return OpenPostgres(context.Background(), sdsn) }
	})
}

func withSearchPath(dsn, schema string) string {
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}

// TestPostgresUnreachable: a dead server is an error from Open, promptly.
func TestPostgresUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	if _, err := Open(ctx, "postgres://sprawl:pw@127.0.0.1:1/none?connect_timeout=1"); err == nil {
		t.Fatal("Open of an unreachable PostgreSQL succeeded")
	} else if strings.Contains(err.Error(), ":pw@") {
		t.Errorf("error reveals the password: %v", err)
	}
}

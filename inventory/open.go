package inventory

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// DefaultPath is the SQLite inventory used when no DSN is given:
// $XDG_DATA_HOME/sprawl/inventory.db, else ~/.local/share/sprawl/inventory.db.
func DefaultPath() (string, error) {
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("default inventory path: %w", err)
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "sprawl", "inventory.db"), nil
}

// IsPostgres reports whether dsn selects the PostgreSQL store.
func IsPostgres(dsn string) bool {
	l := strings.ToLower(dsn)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// Open opens (creating and migrating as needed) the store dsn names:
//
//   - "" — the SQLite file at DefaultPath;
//   - postgres://… or postgresql://… — PostgreSQL (pgx connection string;
//     search_path=… in the query selects a schema);
//   - sqlite:PATH, file:PATH or a plain PATH — a SQLite file.
//
// Any other scheme:// is ErrUnsupportedDSN.
func Open(ctx context.Context, dsn string) (Store, error) {
	switch {
	case dsn == "":
		p, err := DefaultPath()
		if err != nil {
			return nil, err
		}
		return OpenSQLite(ctx, p)
	case IsPostgres(dsn):
		return OpenPostgres(ctx, dsn)
	}
	p := dsn
	for _, pre := range []string{"sqlite://", "sqlite:", "file://", "file:"} {
		if strings.HasPrefix(strings.ToLower(p), pre) {
			p = p[len(pre):]
			break
		}
	}
	if i := strings.Index(p, "://"); i > 0 && !strings.ContainsAny(p[:i], `/\`) {
		return nil, fmt.Errorf("%w %q: want a SQLite path or postgres://…", ErrUnsupportedDSN, RedactDSN(dsn))
	}
	if p == "" {
		return nil, fmt.Errorf("%w %q: empty path", ErrUnsupportedDSN, dsn)
	}
	return OpenSQLite(ctx, p)
}

// RedactDSN hides a password in a URL-shaped DSN, for messages.
func RedactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

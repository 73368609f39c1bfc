package inventory

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
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
	if IsPostgres(dsn) {
		return OpenPostgres(ctx, dsn)
	}
	p, err := sqlitePath(dsn)
	if err != nil {
		return nil, err
	}
	return OpenSQLite(ctx, p)
}

// OpenExisting is Open for readers: a SQLite inventory that does not exist
// yet is ErrNoInventory rather than a new, empty database, so a mistyped
// path is not answered with "nothing found". A PostgreSQL DSN is opened as
// Open does (the server says whether the database exists).
func OpenExisting(ctx context.Context, dsn string) (Store, error) {
	if IsPostgres(dsn) {
		return OpenPostgres(ctx, dsn)
	}
	p, err := sqlitePath(dsn)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s", ErrNoInventory, p)
	}
	return OpenSQLite(ctx, p)
}

// sqlitePath is the file a non-PostgreSQL DSN names: the default path for
// "", else the DSN without a sqlite:/file: prefix.
func sqlitePath(dsn string) (string, error) {
	if dsn == "" {
		return DefaultPath()
	}
	p := dsn
	for _, pre := range []string{"sqlite://", "sqlite:", "file://", "file:"} {
		if strings.HasPrefix(strings.ToLower(p), pre) {
			p = p[len(pre):]
			break
		}
	}
	if i := strings.Index(p, "://"); i > 0 && !strings.ContainsAny(p[:i], `/\`) {
		return "", fmt.Errorf("%w %q: want a SQLite path or postgres://…", ErrUnsupportedDSN, RedactDSN(dsn))
	}
	if p == "" {
		return "", fmt.Errorf("%w %q: empty path", ErrUnsupportedDSN, dsn)
	}
	return p, nil
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

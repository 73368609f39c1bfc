package verify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sprawlsec/sprawl/scanner"
)

// Database URIs: a connection string's password is checked by connecting
// and authenticating, nothing more (no query), and only at a database
// server the user named with --verify-db-host (Options.DBHosts): a URI in
// scanned content names any host, often a production database, and
// sprawl does not log in to one unless told to. TLS is what the URI's
// sslmode says (the driver's default, prefer, without one). An
// authentication failure is revoked; a network error, a timeout or any
// other refusal is unknown.
//
// PostgreSQL through github.com/jackc/pgx's protocol implementation
// (https://www.postgresql.org/docs/current/protocol-flow.html); MySQL and
// MariaDB in mysql.go.
const (
	// dbURICapture is the whole URI around the matched password.
	dbURICapture = "db_uri"
	// pgInvalidPassword is SQLSTATE 28P01 (invalid_password), which
	// PostgreSQL also answers for a role that does not exist.
	pgInvalidPassword = "28P01"
)

var databaseURI = &program{
	docs:    "https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING-URIS",
	run:     runDatabase,
	applies: func(c Candidate) bool { return c.Captures[dbURICapture] != "" },
}

// pgSchemes are the URI schemes that speak PostgreSQL's protocol.
var pgSchemes = map[string]bool{"postgres": true, "postgresql": true, "postgis": true, "pgsql": true, "timescaledb": true, "cockroachdb": true}

// mysqlSchemes are the URI schemes that speak MySQL's protocol.
var mysqlSchemes = map[string]bool{"mysql": true, "mysqlx": true, "mariadb": true}

// pgSSLModes are the sslmode values carried over from the URI.
var pgSSLModes = map[string]bool{"disable": true, "allow": true, "prefer": true, "require": true, "verify-ca": true, "verify-full": true}

// dbURI is what a connection needs, read from a URI.
type dbURI struct {
	scheme, user, password, host, db, sslmode string
	port                                      int
	// query is the URI's query; only its TLS settings are read.
	query url.Values
}

func (d dbURI) addr() string { return net.JoinHostPort(d.host, strconv.Itoa(d.port)) }

// parseDBURI reads a URI with one host. Query parameters other than
// sslmode are dropped: a planted "host=" or "sslrootcert=" must not steer
// the connection.
func parseDBURI(raw string) (dbURI, error) {
	raw = strings.TrimPrefix(strings.TrimSpace(raw), "jdbc:")
	u, err := url.Parse(raw)
	if err != nil {
		return dbURI{}, errors.New("not a URI")
	}
	scheme, _, _ := strings.Cut(strings.ToLower(u.Scheme), "+") // postgresql+psycopg2
	d := dbURI{scheme: scheme, host: strings.ToLower(u.Hostname()), db: strings.TrimPrefix(u.Path, "/")}
	if u.User != nil {
		d.user = u.User.Username()
		d.password, _ = u.User.Password()
	}
	if d.host == "" || strings.ContainsAny(u.Host, ",") {
		return dbURI{}, errors.New("no single host")
	}
	switch {
	case u.Port() != "":
		p, err := strconv.Atoi(u.Port())
		if err != nil || p <= 0 || p > 65535 {
			return dbURI{}, errors.New("bad port")
		}
		d.port = p
	case pgSchemes[scheme]:
		d.port = 5432
	default:
		d.port = 3306
	}
	d.query = u.Query()
	if m := d.query.Get("sslmode"); pgSSLModes[m] {
		d.sslmode = m
	}
	return d, nil
}

// dbHostAllowed reports whether the user named the server: HOST (any
// port) or HOST:PORT in --verify-db-host.
func (v *Verifier) dbHostAllowed(d dbURI) bool {
	for _, h := range v.o.DBHosts {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == d.host || h == d.addr() || h == net.JoinHostPort(d.host, "") {
			return true
		}
		if host, port, err := net.SplitHostPort(h); err == nil && host == d.host && port == strconv.Itoa(d.port) {
			return true
		}
	}
	return false
}

func runDatabase(ctx context.Context, v *Verifier, c Candidate) scanner.Verification {
	d, err := parseDBURI(c.Captures[dbURICapture])
	if err != nil {
		return unknown("database URI: %v", err)
	}
	if secret, _ := url.PathUnescape(c.Secret); d.password != c.Secret && d.password != secret {
		return unknown("database URI not found around the password")
	}
	if !v.dbHostAllowed(d) {
		return unknown("database %s not opted in: name it with --verify-db-host to connect", d.addr())
	}
	if mysqlSchemes[d.scheme] {
		return v.verifyMySQL(ctx, d, d.query, c.Secret)
	}
	if !pgSchemes[d.scheme] {
		return unknown("%s: only PostgreSQL, MySQL and MariaDB are verified", d.scheme)
	}
	q := url.Values{}
	if d.sslmode != "" {
		q.Set("sslmode", d.sslmode)
	}
	conn := url.URL{Scheme: "postgres", User: url.UserPassword(d.user, d.password), Host: d.addr(), Path: "/" + d.db, RawQuery: q.Encode()}
	cfg, err := pgconn.ParseConfig(conn.String())
	if err != nil {
		return unknown("database URI: %s", redactErr(err, c.Secret))
	}
	cfg.ConnectTimeout = v.o.Timeout
	// Only the named server is dialled, whatever the driver's fallbacks.
	want := d.addr()
	dialer := &net.Dialer{Timeout: v.o.Timeout}
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil || port != strconv.Itoa(d.port) || (host != d.host && !v.resolvedFrom(ctx, d.host, host)) {
			return nil, fmt.Errorf("dial %s: %w", addr, ErrHostNotAllowed)
		}
		if v.o.DialContext != nil {
			return v.o.DialContext(ctx, network, want)
		}
		return dialer.DialContext(ctx, network, addr)
	}
	for _, f := range cfg.Fallbacks {
		if f.Host != cfg.Host || f.Port != cfg.Port {
			return unknown("database URI names several servers")
		}
	}
	l := v.limit(want)
	if err := l.acquire(ctx, v.o.Interval, v.o.Now); err != nil {
		return unknown("%v", err)
	}
	defer l.release()
	ctx, cancel := context.WithTimeout(ctx, v.o.Timeout)
	defer cancel()
	pc, err := pgconn.ConnectConfig(ctx, cfg)
	if err == nil {
		// Authenticated: close at once, having run nothing.
		_ = pc.Close(ctx)
		return scanner.Verification{Status: scanner.VerifyLive, Identity: dbIdentity(d)}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		if pe.Code == pgInvalidPassword {
			return scanner.Verification{Status: scanner.VerifyRevoked}
		}
		return unknown("database refused: SQLSTATE %s", clean(pe.Code))
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		return unknown("timeout")
	}
	return unknown("connect: %s", firstLine(redactErr(err, c.Secret)))
}

// dbIdentity is who logged in where: the user and host:port/database.
func dbIdentity(d dbURI) map[string]string {
	id := map[string]string{"user": clean(d.user), "account": d.addr()}
	if d.db != "" {
		id["account"] += "/" + clean(d.db)
	}
	return id
}

// resolvedFrom reports whether addr is one of name's addresses (the
// driver dials the addresses it looked up).
func (v *Verifier) resolvedFrom(ctx context.Context, name, addr string) bool {
	if net.ParseIP(name) != nil {
		return name == addr
	}
	addrs, err := net.DefaultResolver.LookupHost(ctx, name)
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if a == addr {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

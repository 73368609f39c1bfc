package verify

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sprawlsec/sprawl/scanner"
)

// countingListener accepts and counts connections on 127.0.0.1.
func countingListener(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var n atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	return l.Addr().String(), &n
}

// TestDatabaseNeedsOptIn: without --verify-db-host naming its server, a
// database URI found by a scan makes no connection at all, and reads
// unknown with the reason; naming another server changes nothing.
func TestDatabaseNeedsOptIn(t *testing.T) {
	addr, accepts := countingListener(t)
	password := "Pg" + "7vQ2mX9kR4tL"
	fs := scanFiles(t, map[string]string{
		"app/.env": "DATABASE_URL=postgres://app:" + password + "@" + addr + "/orders?sslmode=disable\n" +
			"REPLICA_URL=mysql://app:" + password + "x@" + addr + "/orders\n",
	})
	for _, dbHosts := range [][]string{nil, {"db.example.internal"}, {"127.0.0.1:1"}} {
		v := New(Options{DBHosts: dbHosts, Timeout: time.Second})
		v.Findings(context.Background(), builtinRules(t), fs, 2)
		want := map[string]string{"app/.env": "unknown: database " + addr + " not opted in: name it with --verify-db-host to connect"}
		for _, rule := range []string{"postgres-uri-password", "mysql-uri-password"} {
			if got := statusOf(fs, rule); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("--verify-db-host %v, %s: %v, want %v", dbHosts, rule, got, want)
			}
		}
		for i := range fs {
			fs[i].Verification = nil
		}
	}
	if n := accepts.Load(); n != 0 {
		t.Fatalf("%d connections without the opt-in, want none", n)
	}
}

// TestDatabaseURIParsing: what reaches the driver is the URI's one host,
// port, user, database and sslmode; a planted host= or a second host is
// not followed.
func TestDatabaseURIParsing(t *testing.T) {
	rules := builtinRules(t)
	v := New(Options{DBHosts: []string{"db.example.org"}, Timeout: time.Second, DialContext: func(context.Context, string, string) (net.Conn, error) {
		t.Error("dialled")
		return nil, ErrHostNotAllowed
	}})
	cases := []struct{ uri, secret, want string }{
		{"postgres://u:pw@db.example.org,evil.example/db", "pw", "database URI: no single host"},
		{"postgres://u:pw@evil.example/db?host=db.example.org", "pw", "database evil.example:5432 not opted in: name it with --verify-db-host to connect"},
		{"postgres://u:other@db.example.org/db", "pw", "database URI not found around the password"}, // sprawl:allow
		{"redis://u:pw@db.example.org/0", "pw", "redis: only PostgreSQL, MySQL and MariaDB are verified"},
	}
	for _, tc := range cases {
		got := v.Verify(context.Background(), Candidate{Rule: rules["postgres-uri-password"], Secret: tc.secret, Captures: map[string]string{dbURICapture: tc.uri}})
		if got.Status != scanner.VerifyUnknown || got.Reason != tc.want {
			t.Errorf("%s: %s (%s), want unknown (%s)", tc.uri, got.Status, got.Reason, tc.want)
		}
	}
	d, err := parseDBURI("jdbc:postgresql+psycopg2://app:p%40ss@DB.example.org:6543/orders?sslmode=require&host=evil.example&sslrootcert=/etc/passwd")
	if err != nil || d.host != "db.example.org" || d.port != 6543 || d.password != "p@ss" || d.db != "orders" || d.sslmode != "require" {
		t.Errorf("parseDBURI: %+v, %v", d, err)
	}
}

// TestPostgresDatabaseURI logs in to the real PostgreSQL that
// scripts/with-postgres.sh starts: live for the role's password, revoked
// for a wrong one or a role that does not exist (PostgreSQL answers
// 28P01 for both), unknown for a server that does not answer.
func TestPostgresDatabaseURI(t *testing.T) {
	dsn := os.Getenv("SPRAWL_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("SPRAWL_TEST_POSTGRES_DSN not set (scripts/with-postgres.sh go test -run Postgres ./verify/)")
	}
	ctx := context.Background()
	admin, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(ctx) })
	exec := func(sql string) string {
		t.Helper()
		res, err := admin.Exec(ctx, sql).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		if len(res) > 0 && len(res[0].Rows) > 0 {
			return string(res[0].Rows[0][0])
		}
		return ""
	}
	password := "Pg" + "3nV8qL2wX7" + "-sprawl"
	exec("DROP ROLE IF EXISTS sprawl_verify_live")
	exec("CREATE ROLE sprawl_verify_live LOGIN PASSWORD '" + password + "'") // sprawl:allow
	// The throwaway cluster trusts everyone; these two roles must give
	// their password (SCRAM), so a wrong one fails as on a real server.
	hba := exec("SHOW hba_file")
	old, err := os.ReadFile(hba)
	if err != nil {
		t.Skipf("pg_hba.conf not readable here: %v", err)
	}
	rule := "host all sprawl_verify_live,sprawl_verify_nobody 127.0.0.1/32 scram-sha-256\n"
	if err := os.WriteFile(hba, append([]byte(rule), old...), 0o600); err != nil {
		t.Skipf("pg_hba.conf not writable here: %v", err)
	}
	t.Cleanup(func() {
		os.WriteFile(hba, old, 0o600)
		exec("SELECT pg_reload_conf()")
	})
	exec("SELECT pg_reload_conf()")
	time.Sleep(300 * time.Millisecond)

	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	host, port := u.Hostname(), u.Port()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := closed.Addr().String()
	closed.Close()
	uri := func(user, pw, addr string) string {
		return "postgres://" + user + ":" + pw + "@" + addr + "/postgres?sslmode=disable"
	}
	rules := builtinRules(t)
	cases := []struct {
		name, uri, secret string
		want              scanner.Verification
	}{
		{"live", uri("sprawl_verify_live", password, host+":"+port), password,
			scanner.Verification{Status: scanner.VerifyLive, Identity: map[string]string{"user": "sprawl_verify_live", "account": host + ":" + port + "/postgres"}}},
		{"wrong password", uri("sprawl_verify_live", password+"x", host+":"+port), password + "x", scanner.Verification{Status: scanner.VerifyRevoked}},
		{"no such role", uri("sprawl_verify_nobody", password, host+":"+port), password, scanner.Verification{Status: scanner.VerifyRevoked}},
		{"nothing listening", uri("sprawl_verify_live", password, closedAddr), password, scanner.Verification{Status: scanner.VerifyUnknown}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := New(Options{DBHosts: []string{host + ":" + port, closedAddr}, Timeout: 5 * time.Second})
			got := v.Verify(ctx, Candidate{Rule: rules["postgres-uri-password"], Secret: tc.secret, Captures: map[string]string{dbURICapture: tc.uri}})
			if got.Status != tc.want.Status || fmt.Sprint(got.Identity) != fmt.Sprint(tc.want.Identity) {
				t.Errorf("got %s %v (%s), want %s %v", got.Status, got.Identity, got.Reason, tc.want.Status, tc.want.Identity)
			}
			if strings.Contains(got.Reason, tc.secret) {
				t.Errorf("reason carries the password: %s", got.Reason)
			}
		})
	}
	// Connecting ran no statement: the server saw the role log in only.
	if n := exec("SELECT count(*) FROM pg_stat_activity WHERE usename = 'sprawl_verify_live'"); n != "0" {
		t.Errorf("%s sessions of the role left open", n)
	}
}

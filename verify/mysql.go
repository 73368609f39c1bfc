package verify

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/sprawlsec/sprawl/scanner"
)

// MySQL and MariaDB: the same rules as PostgreSQL's (--verify-db-host,
// connect and authenticate, close, nothing else), through
// github.com/go-sql-driver/mysql's connector. Error 1045 (access denied)
// is revoked.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase.html
const mysqlAccessDenied = 1045

// mysqlTLS reads the URI's TLS wish: MySQL's ssl-mode (Connector/URI
// form), sslmode, or the Go driver's tls. VERIFY_* verifies the server;
// REQUIRED encrypts without verifying, as MySQL's clients do; nothing
// said is no TLS, the driver's default.
func mysqlTLS(q url.Values, host string) (*tls.Config, bool) {
	mode := strings.ToLower(firstNonEmpty(q.Get("ssl-mode"), q.Get("sslmode"), q.Get("tls")))
	switch mode {
	case "", "disabled", "disable", "false":
		return nil, false
	case "verify_ca", "verify_identity", "verify-ca", "verify-full", "true":
		return &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}, false
	case "required", "require", "skip-verify":
		return &tls.Config{InsecureSkipVerify: true}, false // what the URI asks for
	case "preferred", "prefer":
		return &tls.Config{InsecureSkipVerify: true}, true // what the URI asks for
	}
	return nil, false
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func (v *Verifier) verifyMySQL(ctx context.Context, d dbURI, q url.Values, secret string) scanner.Verification {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = d.user, d.password, "tcp", d.addr(), d.db
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = v.o.Timeout, v.o.Timeout, v.o.Timeout
	cfg.TLS, cfg.AllowFallbackToPlaintext = mysqlTLS(q, d.host)
	cfg.Logger = &mysql.NopLogger{}
	want := d.addr()
	dialer := &net.Dialer{Timeout: v.o.Timeout}
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr != want {
			return nil, ErrHostNotAllowed
		}
		if v.o.DialContext != nil {
			return v.o.DialContext(ctx, network, addr)
		}
		return dialer.DialContext(ctx, network, addr)
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return unknown("database URI: %s", redactErr(err, secret))
	}
	l := v.limit(want)
	if err := l.acquire(ctx, v.o.Interval, v.o.Now); err != nil {
		return unknown("%v", err)
	}
	defer l.release()
	ctx, cancel := context.WithTimeout(ctx, v.o.Timeout)
	defer cancel()
	c, err := conn.Connect(ctx)
	if err == nil {
		_ = c.Close()
		return scanner.Verification{Status: scanner.VerifyLive, Identity: dbIdentity(d)}
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		if me.Number == mysqlAccessDenied {
			return scanner.Verification{Status: scanner.VerifyRevoked}
		}
		return unknown("database refused: error %s", strconv.Itoa(int(me.Number)))
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		return unknown("timeout")
	}
	return unknown("connect: %s", firstLine(redactErr(err, secret)))
}

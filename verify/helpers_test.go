package verify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"
	"time"
)

// fakeTLS starts an https server whose certificate names hosts, and
// returns it with a pool that trusts it. A Verifier reaches it through
// dialTo, which points every (already vetted) declared host at it.
func fakeTLS(t testing.TB, h http.Handler, hosts ...string) (*httptest.Server, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sprawl verify test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		DNSNames:              hosts,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, pool
}

// dialTo returns a DialContext that connects to addr whatever host was
// asked for (the Verifier has checked the host before calling it).
func dialTo(addr string) func(ctx context.Context, network, _ string) (net.Conn, error) {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
}

// testVerifier is a Verifier whose declared hosts lead to srv.
func testVerifier(srv *httptest.Server, pool *x509.CertPool, o Options) *Verifier {
	o.RootCAs = pool
	o.DialContext = dialTo(srv.Listener.Addr().String())
	if o.Interval == 0 {
		o.Interval = -1 // no spacing: tests measure behaviour, not pacing
	}
	o.Proxy = noProxy
	return New(o)
}

func noProxy(*http.Request) (*url.URL, error) { return nil, nil }

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }

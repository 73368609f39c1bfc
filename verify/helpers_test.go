package verify

import (
	"context"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
)

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

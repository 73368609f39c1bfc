package verify

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/internal/testcert"
	"github.com/sprawlsec/sprawl/scanner"
)

// testSecret is built at run time so that no secret-shaped literal sits
// in the source.
var testSecret = "xtok_" + strings.Repeat("Zq7", 8)

func testRule(t testing.TB, url string, hosts ...string) *detectors.Rule {
	t.Helper()
	r := &detectors.Rule{
		ID: "x-token", Name: "X token", Keywords: []string{"xtok_"}, Pattern: `\b(?P<secret>xtok_[A-Za-z0-9]{24})\b`,
		Severity: detectors.SeverityHigh, References: []string{"https://example.com"},
		Verify: &detectors.Verify{
			Docs:    "https://example.com/docs",
			Request: detectors.VerifyRequest{Method: "GET", URL: url, Headers: detectors.Pairs{{Name: "Authorization", Value: "Bearer ${secret}"}}},
			Hosts:   hosts,
			Live:    []detectors.ResponseMatch{{Status: []int{200}}},
			Revoked: []detectors.ResponseMatch{{Status: []int{401}}},
		},
	}
	return r
}

// recorder is a plain TCP listener that keeps every byte it receives.
type recorder struct {
	ln    net.Listener
	mu    sync.Mutex
	bytes []byte
	conns int
}

func newRecorder(t *testing.T) *recorder {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			rec.mu.Lock()
			rec.conns++
			rec.mu.Unlock()
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(2 * time.Second))
				b, _ := io.ReadAll(c)
				rec.mu.Lock()
				rec.bytes = append(rec.bytes, b...)
				rec.mu.Unlock()
			}()
		}
	}()
	return rec
}

func (r *recorder) received() ([]byte, int) {
	time.Sleep(50 * time.Millisecond) // let an accepted connection be read
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]byte(nil), r.bytes...), r.conns
}

// routeDial sends the declared host to the provider and every other host
// to the recorder, as DNS might; the Verifier must never ask for the
// latter.
func routeDial(declared, provider, other string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, _ := net.SplitHostPort(addr)
		to := other
		if host == declared {
			to = provider
		}
		var d net.Dialer
		return d.DialContext(ctx, network, to)
	}
}

func TestRedirectToAnotherHostIsNotFollowed(t *testing.T) {
	for _, code := range []int{301, 302, 307, 308} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			evil := newRecorder(t)
			srv, pool := testcert.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "https://collector.evil.test/steal", code)
			}), "api.x.test", "collector.evil.test")
			v := New(Options{RootCAs: pool, Interval: -1, Proxy: func(*http.Request) (*url.URL, error) { return nil, nil },
				DialContext: routeDial("api.x.test", srv.Listener.Addr().String(), evil.ln.Addr().String())})
			got := v.Verify(context.Background(), Candidate{Rule: testRule(t, "https://api.x.test/me", "api.x.test"), Secret: testSecret})
			if got.Status != scanner.VerifyUnknown {
				t.Errorf("status %s, want unknown", got.Status)
			}
			b, conns := evil.received()
			if conns != 0 || bytes.Contains(b, []byte(testSecret)) {
				t.Fatalf("the other host got %d connections and %d bytes (secret present: %v)", conns, len(b), bytes.Contains(b, []byte(testSecret)))
			}
		})
	}
}

func TestUndeclaredHostNeverContacted(t *testing.T) {
	evil := newRecorder(t)
	srv, pool := testcert.Server(t, http.NotFoundHandler(), "api.x.test", "evil.test")
	v := New(Options{RootCAs: pool, Interval: -1, Proxy: func(*http.Request) (*url.URL, error) { return nil, nil },
		DialContext: routeDial("api.x.test", srv.Listener.Addr().String(), evil.ln.Addr().String())})
	cases := map[string]Candidate{
		// A rule that skipped validation: its URL names another host.
		"url host not declared": {Rule: testRule(t, "https://evil.test/me", "api.x.test"), Secret: testSecret},
		"plain http":            {Rule: testRule(t, "http://api.x.test/me", "api.x.test"), Secret: testSecret},
		"port":                  {Rule: testRule(t, "https://api.x.test:8443/me", "api.x.test"), Secret: testSecret},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := v.Verify(context.Background(), c); got.Status != scanner.VerifyUnknown {
				t.Errorf("status %s, want unknown", got.Status)
			}
		})
	}
	// The dialer's own check, beneath the RoundTripper's.
	ctx := context.WithValue(context.Background(), allowKey{}, allowance{host: "api.x.test"})
	req, _ := http.NewRequestWithContext(ctx, "GET", "https://api.x.test/me", nil)
	tr := v.client.Transport.(*guard).next.(*http.Transport)
	if _, err := tr.DialContext(ctx, "tcp", "evil.test:443"); err == nil {
		t.Error("the dialer connected to an undeclared host")
	}
	_ = req
	if b, conns := evil.received(); conns != 0 || len(b) != 0 {
		t.Fatalf("the undeclared host got %d connections, %d bytes", conns, len(b))
	}
}

func TestInstanceHost(t *testing.T) {
	p := &provider{}
	srv, pool := testcert.Server(t, p, "git.example.org")
	r := testRule(t, "https://${host}/api/me")
	r.Verify.InstanceHost = "host"
	r.Pattern = `(?P<host>[a-z0-9.]+)/(?P<secret>xtok_[A-Za-z0-9]{24})`
	v := testVerifier(srv, pool, Options{})
	p.set(reply{200, `{}`, nil})
	for host, want := range map[string]string{
		"git.example.org": scanner.VerifyLive,
		"127.0.0.1":       scanner.VerifyUnknown, // an address, not a name
		"localhost":       scanner.VerifyUnknown,
		"db.internal":     scanner.VerifyUnknown,
		"a.b/c":           scanner.VerifyUnknown,
	} {
		got := v.Verify(context.Background(), Candidate{Rule: r, Secret: testSecret, Captures: map[string]string{"host": host}})
		if got.Status != want {
			t.Errorf("instance host %q: %s (%s), want %s", host, got.Status, got.Reason, want)
		}
	}
	if len(p.got) != 1 || p.got[0].host != "git.example.org" {
		t.Fatalf("requests %+v, want one to git.example.org", p.got)
	}
}

func TestTLSAlwaysVerified(t *testing.T) {
	p := &provider{}
	srv, _ := testcert.Server(t, p, "api.x.test")
	p.set(reply{200, `{}`, nil})
	// No RootCAs: the test certificate is not trusted.
	v := New(Options{Interval: -1, DialContext: dialTo(srv.Listener.Addr().String()), Proxy: func(*http.Request) (*url.URL, error) { return nil, nil }})
	got := v.Verify(context.Background(), Candidate{Rule: testRule(t, "https://api.x.test/me", "api.x.test"), Secret: testSecret})
	if got.Status != scanner.VerifyUnknown || !strings.Contains(got.Reason, "certificate") {
		t.Fatalf("got %s (%s), want unknown for an untrusted certificate", got.Status, got.Reason)
	}
	if len(p.got) != 0 {
		t.Fatal("the request reached a server whose certificate failed")
	}
}

func TestErrorsAreUnknownNeverRevoked(t *testing.T) {
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	})
	srv, pool := testcert.Server(t, slow, "api.x.test")
	v := testVerifier(srv, pool, Options{Timeout: 100 * time.Millisecond})
	got := v.Verify(context.Background(), Candidate{Rule: testRule(t, "https://api.x.test/me", "api.x.test"), Secret: testSecret})
	if got.Status != scanner.VerifyUnknown || got.Reason != "timeout" {
		t.Errorf("slow server: %s (%s), want unknown (timeout)", got.Status, got.Reason)
	}
	// Nothing listens.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	v = New(Options{Interval: -1, DialContext: dialTo(addr), Proxy: func(*http.Request) (*url.URL, error) { return nil, nil }})
	got = v.Verify(context.Background(), Candidate{Rule: testRule(t, "https://api.x.test/me", "api.x.test"), Secret: testSecret})
	if got.Status != scanner.VerifyUnknown || strings.Contains(got.Reason, testSecret) {
		t.Errorf("refused connection: %s (%s), want unknown", got.Status, got.Reason)
	}
}

func TestCacheWithinTTLMakesNoRequest(t *testing.T) {
	var requests atomic.Int32
	srv, pool := testcert.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.WriteHeader(200)
	}), "api.x.test")
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	path := filepath.Join(t.TempDir(), "verify-cache.json")
	c := Candidate{Rule: testRule(t, "https://api.x.test/me", "api.x.test"), Secret: testSecret, Fingerprint: "fp1"}

	cache, err := LoadCache(path)
	if err != nil {
		t.Fatal(err)
	}
	v := testVerifier(srv, pool, Options{Cache: cache, Now: clock, TTL: time.Hour})
	if got := v.Verify(context.Background(), c); got.Status != scanner.VerifyLive {
		t.Fatalf("first: %s (%s)", got.Status, got.Reason)
	}
	v.Verify(context.Background(), c)
	if n := requests.Load(); n != 1 {
		t.Fatalf("%d requests for the same secret within the TTL, want 1", n)
	}
	if err := cache.Save(path, now, time.Hour); err != nil {
		t.Fatal(err)
	}
	data, _ := readFile(path)
	if bytes.Contains(data, []byte(testSecret)) {
		t.Fatal("the cache file holds the secret")
	}
	// A rescan, in a new process, within the TTL.
	now = now.Add(30 * time.Minute)
	cache2, err := LoadCache(path)
	if err != nil {
		t.Fatal(err)
	}
	v2 := testVerifier(srv, pool, Options{Cache: cache2, Now: clock, TTL: time.Hour})
	if got := v2.Verify(context.Background(), c); got.Status != scanner.VerifyLive || requests.Load() != 1 {
		t.Fatalf("rescan within the TTL: %s, %d requests, want live from the cache and 1 request", got.Status, requests.Load())
	}
	// After the TTL it asks again.
	now = now.Add(time.Hour)
	v2.Verify(context.Background(), c)
	if requests.Load() != 2 {
		t.Fatalf("after the TTL: %d requests, want 2", requests.Load())
	}
}

func TestPerHostConcurrencyLimit(t *testing.T) {
	var cur, peak atomic.Int32
	srv, pool := testcert.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		cur.Add(-1)
		w.WriteHeader(401)
	}), "api.x.test")
	v := testVerifier(srv, pool, Options{PerHost: 3})
	r := testRule(t, "https://api.x.test/me", "api.x.test")
	fs := make([]scanner.Finding, 40)
	for i := range fs {
		fs[i] = scanner.Finding{RuleID: r.ID, Secret: testSecret + string(rune('a'+i%26)) + string(rune('a'+i/26)), Fingerprint: "fp" + string(rune('A'+i))}
	}
	v.Findings(context.Background(), map[string]*detectors.Rule{r.ID: r}, fs, 16)
	for _, f := range fs {
		if f.Verification == nil || f.Verification.Status != scanner.VerifyRevoked {
			t.Fatalf("finding not verified: %+v", f.Verification)
		}
	}
	if p := peak.Load(); p > 3 {
		t.Fatalf("peak concurrency at the server %d, want ≤ 3", p)
	}
	st := v.Stats()["api.x.test"]
	if st.Requests != 40 || st.Peak > 3 {
		t.Fatalf("stats %+v, want 40 requests, peak ≤ 3", st)
	}
}

func TestRateLimitSpacesRequests(t *testing.T) {
	var mu sync.Mutex
	var starts []time.Time
	srv, pool := testcert.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		w.WriteHeader(200)
	}), "api.x.test")
	o := Options{PerHost: 4, Interval: 30 * time.Millisecond, RootCAs: pool, DialContext: dialTo(srv.Listener.Addr().String()),
		Proxy: func(*http.Request) (*url.URL, error) { return nil, nil }}
	v := New(o)
	r := testRule(t, "https://api.x.test/me", "api.x.test")
	fs := make([]scanner.Finding, 6)
	for i := range fs {
		fs[i] = scanner.Finding{RuleID: r.ID, Secret: testSecret + string(rune('a'+i)), Fingerprint: string(rune('A' + i))}
	}
	t0 := time.Now()
	v.Findings(context.Background(), map[string]*detectors.Rule{r.ID: r}, fs, 6)
	if d := time.Since(t0); d < 5*30*time.Millisecond {
		t.Fatalf("6 requests took %v; at one per 30ms they need ≥ 150ms", d)
	}
}

func TestVerifyHostsAllowList(t *testing.T) {
	p := &provider{}
	srv, pool := testcert.Server(t, p, "api.x.test")
	p.set(reply{200, `{}`, nil})
	v := testVerifier(srv, pool, Options{Hosts: []string{"api.other.test"}})
	got := v.Verify(context.Background(), Candidate{Rule: testRule(t, "https://api.x.test/me", "api.x.test"), Secret: testSecret})
	if got.Status != scanner.VerifyUnknown || len(p.got) != 0 {
		t.Fatalf("%s, %d requests; want unknown and none outside --verify-hosts", got.Status, len(p.got))
	}
}

func TestProxyHonoured(t *testing.T) {
	p := &provider{}
	srv, pool := testcert.Server(t, p, "api.x.test")
	p.set(reply{200, `{}`, nil})
	var connects []string
	var mu sync.Mutex
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		mu.Lock()
		connects = append(connects, r.Host)
		mu.Unlock()
		up, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.WriteHeader(200)
		hj, _ := w.(http.Hijacker)
		c, buf, _ := hj.Hijack()
		go func() { io.Copy(up, buf); up.Close() }()
		io.Copy(c, up)
		c.Close()
	}))
	defer proxy.Close()
	pu, _ := url.Parse(proxy.URL)
	v := New(Options{RootCAs: pool, Interval: -1, Proxy: http.ProxyURL(pu)})
	got := v.Verify(context.Background(), Candidate{Rule: testRule(t, "https://api.x.test/me", "api.x.test"), Secret: testSecret})
	if got.Status != scanner.VerifyLive {
		t.Fatalf("through the proxy: %s (%s)", got.Status, got.Reason)
	}
	if len(connects) != 1 || connects[0] != "api.x.test:443" {
		t.Fatalf("proxy saw CONNECT %v, want api.x.test:443", connects)
	}
}

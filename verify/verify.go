package verify

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/scanner"
)

// ErrHostNotAllowed marks a request or connection to a host the validator
// did not declare (or the user's --verify-hosts left out).
var ErrHostNotAllowed = errors.New("host not allowed")

// Defaults for Options' zero values.
const (
	DefaultTimeout  = 10 * time.Second
	DefaultPerHost  = 4
	DefaultInterval = 100 * time.Millisecond
	DefaultTTL      = 24 * time.Hour
	// maxBody is how much of a response body is read.
	maxBody = 1 << 20
	// maxIdentity caps one identity value.
	maxIdentity = 200
)

// Options configure a Verifier. The zero value is usable.
type Options struct {
	// Timeout bounds one request, connection included.
	Timeout time.Duration
	// PerHost is how many requests may be in flight to one host.
	PerHost int
	// Interval is the least time between two requests' starts to one host
	// (a rate limit of 1/Interval per second).
	Interval time.Duration
	// TTL is how long a live or revoked result is reused.
	TTL time.Duration
	// Hosts, if not empty, is the user's allow-list (--verify-hosts): a
	// validator whose host is not in it is not run, and its result is
	// unknown.
	Hosts []string
	// DBHosts are the database servers (HOST or HOST:PORT) the user lets
	// sprawl log in to (--verify-db-host); a database URI naming another
	// is unknown, and no connection is attempted.
	DBHosts []string
	// Cache keeps results between runs; nil means a cache for this
	// Verifier only.
	Cache *Cache
	// Now is the clock (time.Now if nil).
	Now func() time.Time

	// RootCAs replaces the system roots (tests trust their server with
	// it). Certificates are always verified.
	RootCAs *x509.CertPool
	// DialContext, if set, makes connections instead of a net.Dialer. It
	// is called only after the host check, so it cannot widen what a
	// validator may reach; tests use it to point a declared host at a
	// local server.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Proxy chooses a proxy per request (http.ProxyFromEnvironment if nil).
	Proxy func(*http.Request) (*url.URL, error)
}

// Verifier runs validators. It is safe for concurrent use.
type Verifier struct {
	o      Options
	client *http.Client
	cache  *Cache

	mu    sync.Mutex
	hosts map[string]*hostLimit
}

// HostStats counts one host's requests in a Verifier's life.
type HostStats struct {
	Requests int
	// Peak is the most requests that were in flight to the host at once.
	Peak int
}

type hostLimit struct {
	sem chan struct{}
	mu  sync.Mutex
	// next is the earliest start of the next request.
	next                time.Time
	cur, peak, requests int
}

type allowKey struct{}

// allowance is what one request may reach: its URL's host and, when a
// proxy carries it, the proxy.
type allowance struct {
	host  string
	proxy string
}

// New returns a Verifier.
func New(o Options) *Verifier {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.PerHost <= 0 {
		o.PerHost = DefaultPerHost
	}
	if o.Interval < 0 {
		o.Interval = 0
	} else if o.Interval == 0 {
		o.Interval = DefaultInterval
	}
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Proxy == nil {
		o.Proxy = http.ProxyFromEnvironment
	}
	cache := o.Cache
	if cache == nil {
		cache = NewCache()
	}
	v := &Verifier{o: o, cache: cache, hosts: map[string]*hostLimit{}}
	dial := o.DialContext
	if dial == nil {
		d := &net.Dialer{Timeout: o.Timeout}
		dial = d.DialContext
	}
	tr := &http.Transport{
		Proxy: o.Proxy,
		// The second gate: whatever asks for a connection, only the
		// request's declared host (or its proxy) is dialled.
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			a, _ := ctx.Value(allowKey{}).(allowance)
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if host == "" || (host != a.host && host != a.proxy) {
				return nil, fmt.Errorf("dial %s: %w", addr, ErrHostNotAllowed)
			}
			return dial(ctx, network, addr)
		},
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: o.RootCAs},
		TLSHandshakeTimeout:   o.Timeout,
		ResponseHeaderTimeout: o.Timeout,
		MaxIdleConnsPerHost:   o.PerHost,
		ForceAttemptHTTP2:     true,
	}
	v.client = &http.Client{
		Transport: &guard{next: tr},
		Timeout:   o.Timeout,
		// A redirect is an answer, never followed: following it could
		// carry the secret to a host nobody declared.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return v
}

// guard is the first gate: a request leaves only over https to the host
// its context allows.
type guard struct{ next http.RoundTripper }

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	a, _ := req.Context().Value(allowKey{}).(allowance)
	if req.URL.Scheme != "https" {
		return nil, fmt.Errorf("%s: only https: %w", req.URL.Scheme, ErrHostNotAllowed)
	}
	if a.host == "" || req.URL.Hostname() != a.host || req.URL.Port() != "" {
		return nil, fmt.Errorf("%s: %w", req.URL.Host, ErrHostNotAllowed)
	}
	return g.next.RoundTrip(req)
}

// Stats returns each contacted host's counts.
func (v *Verifier) Stats() map[string]HostStats {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := map[string]HostStats{}
	for h, l := range v.hosts {
		l.mu.Lock()
		out[h] = HostStats{Requests: l.requests, Peak: l.peak}
		l.mu.Unlock()
	}
	return out
}

func (v *Verifier) limit(host string) *hostLimit {
	v.mu.Lock()
	defer v.mu.Unlock()
	l := v.hosts[host]
	if l == nil {
		l = &hostLimit{sem: make(chan struct{}, v.o.PerHost)}
		v.hosts[host] = l
	}
	return l
}

// acquire waits for a slot and for the host's rate limit.
func (l *hostLimit) acquire(ctx context.Context, interval time.Duration, now func() time.Time) error {
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	l.mu.Lock()
	t := now()
	start := l.next
	if start.Before(t) {
		start = t
	}
	l.next = start.Add(interval)
	l.mu.Unlock()
	if wait := start.Sub(t); wait > 0 {
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			<-l.sem
			return ctx.Err()
		}
	}
	l.mu.Lock()
	l.cur++
	l.requests++
	if l.cur > l.peak {
		l.peak = l.cur
	}
	l.mu.Unlock()
	return nil
}

func (l *hostLimit) release() {
	l.mu.Lock()
	l.cur--
	l.mu.Unlock()
	<-l.sem
}

// Candidate is one secret to verify.
type Candidate struct {
	Rule        *detectors.Rule
	Secret      string
	Captures    map[string]string
	Fingerprint string
}

// key identifies a candidate in the cache: rule, keyed fingerprint and a
// hash of the captures (which change the request), never the secret.
func (c Candidate) key() string {
	h := sha256.New()
	names := make([]string, 0, len(c.Captures))
	for n := range c.Captures {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(h, "%s=%s\x00", n, c.Captures[n])
	}
	return c.Rule.ID + "|" + c.Fingerprint + "|" + hex.EncodeToString(h.Sum(nil))[:16]
}

// Verify asks the provider about one candidate. Any failure is unknown,
// never revoked. A cached live or revoked result within the TTL is
// returned without a request.
func (v *Verifier) Verify(ctx context.Context, c Candidate) scanner.Verification {
	now := v.o.Now()
	if !c.hasValidator() {
		return scanner.Verification{Status: scanner.VerifyUnknown, CheckedAt: now, Reason: "no validator"}
	}
	key := c.key()
	if c.Fingerprint != "" {
		if r, ok := v.cache.get(key, now, v.o.TTL); ok {
			return r
		}
	}
	r := v.verify(ctx, c)
	r.CheckedAt = v.o.Now().UTC().Truncate(time.Second)
	if c.Fingerprint != "" && r.Status != scanner.VerifyUnknown {
		v.cache.put(key, r)
	}
	return r
}

func unknown(format string, a ...any) scanner.Verification {
	return scanner.Verification{Status: scanner.VerifyUnknown, Reason: fmt.Sprintf(format, a...)}
}

// HasValidator reports whether a finding of rule r can be asked about: its
// rule has a declarative validator, or a programmatic one that serves it
// (a private key serves SMART only with a token endpoint beside it).
func HasValidator(r *detectors.Rule, f scanner.Finding) bool {
	return Candidate{Rule: r, Secret: f.Secret, Captures: f.Captures}.hasValidator()
}

// hasValidator reports whether the candidate's rule has a declarative or
// a programmatic validator.
func (c Candidate) hasValidator() bool {
	if c.Rule == nil {
		return false
	}
	if c.Rule.Verify != nil {
		return true
	}
	p := programFor(c.Rule.ID)
	return p != nil && (p.applies == nil || p.applies(c))
}

func (v *Verifier) verify(ctx context.Context, c Candidate) scanner.Verification {
	spec := c.Rule.Verify
	if spec == nil {
		return programFor(c.Rule.ID).run(ctx, v, c)
	}
	vals := map[string]string{detectors.SecretGroup: c.Secret}
	for k, x := range c.Captures {
		vals[k] = x
	}
	for _, n := range spec.Placeholders() {
		if _, ok := vals[n]; !ok {
			return unknown("capture %s not available", n)
		}
	}
	rawURL := spec.Request.URL
	host := ""
	if in := spec.Instance; in != nil {
		u, h, fail := v.instanceURL(spec, vals)
		if fail != nil {
			return *fail
		}
		if u != "" {
			rawURL, host = u, h
		}
	}
	// host is set now only for an instance host, vetted by instanceURL.
	if host == "" && spec.InstanceHost != "" && strings.HasPrefix(rawURL, "https://${"+spec.InstanceHost+"}/") {
		h := strings.ToLower(strings.TrimSuffix(vals[spec.InstanceHost], "."))
		if !instanceHostOK(h) {
			return unknown("instance host is not a DNS name")
		}
		host = h
		rawURL = "https://" + h + "/" + strings.TrimPrefix(rawURL, "https://${"+spec.InstanceHost+"}/")
	}
	u, err := url.Parse(expand(rawURL, vals, url.PathEscape))
	if err != nil || u.Scheme != "https" || u.User != nil || u.Port() != "" {
		return unknown("request URL is not a plain https URL")
	}
	if host == "" {
		host = u.Hostname()
		declared := false
		for _, h := range spec.Hosts {
			declared = declared || h == host
		}
		if !declared {
			return unknown("host %s is not declared", host)
		}
	} else if u.Hostname() != host {
		return unknown("request URL host is not the instance host")
	}
	var body io.Reader
	if spec.Request.Body != "" {
		body = strings.NewReader(expand(spec.Request.Body, vals, nil))
	}
	req, err := http.NewRequestWithContext(ctx, spec.Request.Method, u.String(), body)
	if err != nil {
		return unknown("build request: %v", redactErr(err, c.Secret))
	}
	for _, h := range spec.Request.Headers {
		req.Header.Set(h.Name, expand(h.Value, vals, nil))
	}
	if b := spec.Request.BasicAuth; b != nil {
		pair := expand(b.Username, vals, nil) + ":" + expand(b.Password, vals, nil)
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(pair)))
	}
	r, fail := v.send(ctx, host, req, c.Secret)
	if fail != nil {
		return *fail
	}
	for _, m := range spec.Live {
		if r.matches(m) {
			return scanner.Verification{Status: scanner.VerifyLive, Identity: r.identity(spec.Identity, c.Secret)}
		}
	}
	for _, m := range spec.Revoked {
		if r.matches(m) {
			return scanner.Verification{Status: scanner.VerifyRevoked}
		}
	}
	return unknown("unexpected response: status %d", r.status)
}

// instanceURL returns the request URL and host for the instance the
// captures name, or "" for the default request (no instance named, or
// the public service). A host that is not a DNS name, or that is neither
// among the provider's instance domains nor named by the user
// (--verify-hosts), is an unknown result: the token belongs elsewhere and
// the public service would call it revoked.
func (v *Verifier) instanceURL(spec *detectors.Verify, vals map[string]string) (string, string, *scanner.Verification) {
	in := spec.Instance
	raw := strings.TrimSpace(vals[in.Capture])
	if raw == "" {
		return "", "", nil
	}
	name := strings.ToLower(raw)
	if i := strings.Index(name, "://"); i >= 0 {
		name = name[i+3:]
	}
	if i := strings.IndexAny(name, "/?#"); i >= 0 {
		name = name[:i]
	}
	name = strings.TrimSuffix(name, ".")
	for _, p := range in.Public {
		if name == p {
			return "", "", nil
		}
	}
	if strings.ContainsAny(name, "@:") {
		r := unknown("instance %s has user info or a port: not asked", clean(name))
		return "", "", &r
	}
	hostTmpl, rest := in.HostTemplate(spec.Request.URL)
	host := strings.ReplaceAll(hostTmpl, "${"+in.Capture+"}", name)
	if def, err := url.Parse(spec.Request.URL); err == nil && def.Hostname() == host {
		return "", "", nil
	}
	if !instanceHostOK(host) {
		r := unknown("instance host %s is not a DNS name: not asked", clean(host))
		return "", "", &r
	}
	named := false
	for _, h := range v.o.Hosts {
		named = named || strings.EqualFold(h, host)
	}
	if !named && !detectors.MatchDomain(host, in.Domains) {
		r := unknown("issued by another instance (%s), not the provider's: add it to --verify-hosts to ask it", host)
		return "", "", &r
	}
	return "https://" + host + rest, host, nil
}

// send makes one request to host, the only host it may reach, under the
// host's limits; the request must already name host in its URL. Any
// failure comes back as an unknown result, its text free of the secret.
func (v *Verifier) send(ctx context.Context, host string, req *http.Request, secret string) (*response, *scanner.Verification) {
	if len(v.o.Hosts) > 0 {
		ok := false
		for _, h := range v.o.Hosts {
			ok = ok || strings.EqualFold(h, host)
		}
		if !ok {
			r := unknown("host %s is not in --verify-hosts", host)
			return nil, &r
		}
	}
	a := allowance{host: host}
	req = req.WithContext(context.WithValue(ctx, allowKey{}, a))
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "sprawl-verify (+https://github.com/sprawlsec/sprawl)")
	}
	if p, err := v.o.Proxy(req); err == nil && p != nil {
		a.proxy = p.Hostname()
		req = req.WithContext(context.WithValue(ctx, allowKey{}, a))
	}
	l := v.limit(host)
	if err := l.acquire(ctx, v.o.Interval, v.o.Now); err != nil {
		r := unknown("%v", err)
		return nil, &r
	}
	resp, err := v.client.Do(req)
	if err != nil {
		l.release()
		r := unknown("%s", describe(err, secret))
		return nil, &r
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	l.release()
	if err != nil {
		r := unknown("read response: %s", describe(err, secret))
		return nil, &r
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

var placeholderRe = lazyRegexp(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expand replaces ${name} with vals[name], escaped by esc if not nil.
func expand(s string, vals map[string]string, esc func(string) string) string {
	return placeholderRe().ReplaceAllStringFunc(s, func(m string) string {
		x := vals[m[2:len(m)-1]]
		if esc != nil {
			x = esc(x)
		}
		return x
	})
}

var instanceHostRe = lazyRegexp(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)

// instanceHostOK accepts a DNS name, not an address: a captured host
// must name a service, and "localhost" or an IP literal would let a
// planted match aim the secret at the scanning machine's network.
func instanceHostOK(h string) bool {
	return len(h) <= 253 && instanceHostRe().MatchString(h) && net.ParseIP(h) == nil &&
		!strings.HasSuffix(h, ".localhost") && !strings.HasSuffix(h, ".local") && !strings.HasSuffix(h, ".internal")
}

// describe turns a transport error into a short reason without the
// request URL (which may carry the secret in its query).
func describe(err error, secret string) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	switch {
	case errors.Is(err, ErrHostNotAllowed):
		return "refused: " + redactErr(err, secret)
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return redactErr(err, secret)
}

func redactErr(err error, secret string) string {
	s := err.Error()
	if secret != "" {
		s = strings.ReplaceAll(s, secret, scanner.Redact(secret))
		s = strings.ReplaceAll(s, url.QueryEscape(secret), scanner.Redact(secret))
	}
	return s
}

// lazyRegexp compiles expr on first use, not at start-up: every run of
// the command (a pre-commit hook's too) initialises this package, and few
// of them verify anything.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

package forge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Errors of bounded API requests, for errors.Is.
var (
	// ErrResponseTooLarge: a response body went past Limits.MaxBody bytes
	// or Limits.MaxObjects JSON objects (an endless or hostile answer).
	ErrResponseTooLarge = errors.New("API response too large")
	// ErrTimeout: an API request got no complete answer in time.
	ErrTimeout = errors.New("API request timed out")
)

// Limits bound each API request, so a server that never answers, answers
// slowly forever or sends an endless body cannot hang a scan or exhaust
// memory. Zero fields take the defaults.
type Limits struct {
	// ConnectTimeout bounds the TCP connection (default 15s).
	ConnectTimeout time.Duration
	// TLSTimeout bounds the TLS handshake (default 15s).
	TLSTimeout time.Duration
	// HeaderTimeout bounds the wait for the response headers once the
	// request is sent (default 60s).
	HeaderTimeout time.Duration
	// RequestTimeout bounds one attempt from sending to the end of the
	// body (default 3 minutes). Rate-limit waits (RateLimiter) are
	// between attempts, so they are not cut short by it.
	RequestTimeout time.Duration
	// MaxBody caps a response body in bytes (default 32 MiB: a page of
	// 100 Actions variables at their 48 KB maximum is under 5 MB).
	MaxBody int64
	// MaxObjects caps the JSON objects in one response body (default
	// 20,000; a page of 100 repositories holds about 1,000). Decoding
	// turns each "{}" into a struct of a kilobyte or more, so a byte cap
	// alone would still let a small body take gigabytes.
	MaxObjects int
}

func (l Limits) withDefaults() Limits {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&l.ConnectTimeout, 15*time.Second)
	def(&l.TLSTimeout, 15*time.Second)
	def(&l.HeaderTimeout, 60*time.Second)
	def(&l.RequestTimeout, 3*time.Minute)
	if l.MaxBody <= 0 {
		l.MaxBody = 32 << 20
	}
	if l.MaxObjects <= 0 {
		l.MaxObjects = 20000
	}
	return l
}

// NewTransport returns the transport API clients send requests through:
// its own http.Transport (proxies from the environment, HTTP/2) with
// connect, TLS handshake and response header timeouts, wrapped by Bounded.
func NewTransport(l Limits) http.RoundTripper {
	l = l.withDefaults()
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: l.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   l.TLSTimeout,
		ResponseHeaderTimeout: l.HeaderTimeout,
		ExpectContinueTimeout: time.Second,
	}
	return Bounded(t, l)
}

// defaultTransport serves clients and rate limiters given no transport.
var defaultTransport = NewTransport(Limits{})

// Bounded wraps base so that each request (one attempt) has an overall
// deadline, Limits.RequestTimeout, covering its body too, and its body
// fails with ErrResponseTooLarge past Limits.MaxBody bytes or
// Limits.MaxObjects JSON objects. A timeout is reported as ErrTimeout.
func Bounded(base http.RoundTripper, l Limits) http.RoundTripper {
	return &boundedTransport{base: base, l: l.withDefaults()}
}

type boundedTransport struct {
	base http.RoundTripper
	l    Limits
}

func (b *boundedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), b.l.RequestTimeout)
	resp, err := b.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		timedOut := ctx.Err() != nil && req.Context().Err() == nil
		cancel()
		var ne net.Error
		if timedOut || (errors.As(err, &ne) && ne.Timeout()) {
			return nil, fmt.Errorf("%w: %s %s: no answer in time: %v", ErrTimeout, req.Method, redactURL(req.URL), err)
		}
		return nil, err
	}
	resp.Body = &boundedBody{r: resp.Body, cancel: cancel, ctx: ctx, parent: req.Context(), l: b.l, what: req.Method + " " + redactURL(req.URL)}
	return resp, nil
}

// redactURL is u without credentials or query (tokens hide in both).
func redactURL(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.Fragment = nil, "", ""
	return c.String()
}

// boundedBody counts bytes and JSON objects as they are read. Objects
// are the '{' outside JSON strings; the count needs no buffering.
type boundedBody struct {
	r           io.ReadCloser
	cancel      context.CancelFunc
	ctx, parent context.Context
	l           Limits
	what        string
	n           int64
	objects     int
	inString    bool
	escaped     bool
	err         error
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	for _, c := range p[:n] {
		switch {
		case b.escaped:
			b.escaped = false
		case b.inString && c == '\\':
			b.escaped = true
		case c == '"':
			b.inString = !b.inString
		case !b.inString && c == '{':
			b.objects++
		}
	}
	switch {
	case b.n > b.l.MaxBody:
		b.err = fmt.Errorf("%w: %s: the body is larger than %d MiB; not reading further", ErrResponseTooLarge, b.what, b.l.MaxBody>>20)
	case b.objects > b.l.MaxObjects:
		b.err = fmt.Errorf("%w: %s: the body holds more than %d JSON objects; not reading further", ErrResponseTooLarge, b.what, b.l.MaxObjects)
	case err != nil && err != io.EOF && b.ctx.Err() != nil && b.parent.Err() == nil:
		b.err = fmt.Errorf("%w: %s: the body did not arrive within %s", ErrTimeout, b.what, b.l.RequestTimeout)
	}
	if b.err != nil {
		b.r.Close()
		b.cancel()
		return 0, b.err
	}
	return n, err
}

func (b *boundedBody) Close() error {
	defer b.cancel()
	return b.r.Close()
}

// origin is what a token is bound to: scheme and host[:port], compared
// without regard to case.
type origin struct{ scheme, host string }

func originOf(u *url.URL) origin {
	return origin{strings.ToLower(u.Scheme), strings.ToLower(u.Host)}
}

func (o origin) String() string { return o.scheme + "://" + o.host }

// isLoopback reports whether host (no port) is this machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkTokenOrigin refuses to send a token over plain http, except to
// this machine (a local proxy or test server): on the network it would
// travel in the clear.
func checkTokenOrigin(what, raw string, u *url.URL, token string) error {
	if token == "" || u.Scheme == "https" || (u.Scheme == "http" && isLoopback(u.Hostname())) {
		return nil
	}
	return fmt.Errorf("%s %q: the token is only sent over https (plain http is accepted for loopback addresses only)", what, raw)
}

// sameOrigin is a CheckRedirect that follows redirects only within the
// API's own scheme and host: another host must not be handed the request
// (nor its answer trusted), and https must not fall back to http.
func sameOrigin(api origin) func(req *http.Request, via []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		if originOf(req.URL) != api {
			return fmt.Errorf("redirect to %s refused: not the API's origin %s", originOf(req.URL), api)
		}
		return nil
	}
}

package azurekv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sprawlsec/sprawl/internal/httpretry"
)

// The Key Vault secrets REST API (api-version 7.4) as the adapter calls
// it, with Key Vault's bearer challenge: the first request goes without a
// token, the 401 names the tenant and resource to ask a token for, and
// that resource must belong to the vault's own domain (a server that
// names another could otherwise collect a token for it). The Azure SDK
// is not linked into sprawl: its start-up work would cost every sprawl
// command, a pre-commit hook included.

const (
	apiVersion = "7.4"
	// maxBody bounds an answer read.
	maxBody = 16 << 20
	// Retries as azcore's defaults: three, from 800 ms doubling to 60 s,
	// or what Retry-After says.
	defaultRetries    = 3
	defaultRetryDelay = 800 * time.Millisecond
	maxRetryDelay     = 60 * time.Second
)

// ResponseError is an answer other than 2xx: its status and Key Vault's
// error code (the message is not kept: it may quote the request).
type ResponseError struct {
	StatusCode int
	ErrorCode  string
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("HTTP %d %s", e.StatusCode, e.ErrorCode)
}

type client struct {
	vault  string // https://NAME.vault.azure.net, no trailing slash
	cred   TokenCredential
	hc     *http.Client
	retry  httpretry.Policy
	verify bool // the challenge's resource must be the vault's domain

	mu        sync.Mutex
	challenge *challenge
	token     string
	expires   time.Time
}

// challenge is what a 401 said to ask a token for.
type challenge struct{ tenant, scope string }

func newClient(cfg Config) *client {
	c := &client{vault: strings.TrimRight(cfg.VaultURL, "/"), cred: cfg.Credential, hc: cfg.HTTPClient,
		verify: !cfg.DisableChallengeResourceVerification}
	// What the answer's retry-after-ms, x-ms-retry-after-ms or
	// Retry-After says, else an exponential delay with jitter.
	c.retry = httpretry.Policy{Retries: defaultRetries, Base: defaultRetryDelay, Max: maxRetryDelay, Doublings: 16,
		Jitter: httpretry.Equal, Status: retryableStatus, RetryAfter: true, RetryAfterMS: []string{"retry-after-ms", "x-ms-retry-after-ms"}}
	switch {
	case cfg.MaxRetries < 0:
		c.retry.Retries = 0
	case cfg.MaxRetries > 0:
		c.retry.Retries = cfg.MaxRetries
	}
	if cfg.RetryDelay > 0 {
		c.retry.Base = cfg.RetryDelay
	}
	if c.hc == nil {
		c.hc = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: time.Minute,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   4,
			ForceAttemptHTTP2:     true,
		}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return c
}

// parseChallenge reads a WWW-Authenticate bearer challenge:
// authorization (or authorization_uri) names the tenant, resource or
// scope what to ask for.
func parseChallenge(h string) (*challenge, error) {
	h = strings.TrimSpace(h)
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return nil, errors.New("no bearer challenge")
	}
	params := map[string]string{}
	for _, part := range strings.Split(h[7:], ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok {
			params[strings.ToLower(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	auth := params["authorization"]
	if auth == "" {
		auth = params["authorization_uri"]
	}
	u, err := url.Parse(auth)
	if err != nil || u.Host == "" {
		return nil, errors.New("the challenge names no authority")
	}
	tenant := strings.Trim(u.Path, "/")
	if i := strings.IndexByte(tenant, '/'); i >= 0 {
		tenant = tenant[:i]
	}
	scope := params["scope"]
	if scope == "" {
		if params["resource"] == "" {
			return nil, errors.New("the challenge names no resource or scope")
		}
		scope = strings.TrimRight(params["resource"], "/") + "/.default"
	}
	return &challenge{tenant: tenant, scope: scope}, nil
}

// checkResource refuses a challenge whose resource is not a parent
// domain of the vault's host.
func (c *client) checkResource(ch *challenge) error {
	if !c.verify {
		return nil
	}
	su, err := url.Parse(strings.TrimSuffix(ch.scope, "/.default"))
	vu, err2 := url.Parse(c.vault)
	if err != nil || err2 != nil || su.Host == "" {
		return fmt.Errorf("the challenge's resource %q is not a URL", ch.scope)
	}
	if h := vu.Hostname(); h != su.Hostname() && !strings.HasSuffix(h, "."+su.Hostname()) {
		return fmt.Errorf("the challenge's resource %s is not the vault's domain (%s)", su.Hostname(), h)
	}
	return nil
}

// authorization returns the bearer header to send, or "" while no
// challenge is known.
func (c *client) authorization(ctx context.Context, fresh bool) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.challenge == nil {
		return "", nil
	}
	if fresh || c.token == "" || time.Until(c.expires) < 5*time.Minute {
		tok, exp, err := c.cred.GetToken(ctx, c.challenge.scope, c.challenge.tenant)
		if err != nil {
			return "", fmt.Errorf("azure credential: %w", err)
		}
		c.token, c.expires = tok, exp
	}
	return "Bearer " + c.token, nil
}

// do sends method on path (under the vault, api-version added) with a
// JSON body, decoding a 2xx answer into out.
func (c *client) do(ctx context.Context, method, target string, body any, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	challenged := false
	for attempt := 0; ; attempt++ {
		auth, err := c.authorization(ctx, false)
		if err != nil {
			return err
		}
		resp, data, err := c.try(ctx, method, target, payload, auth)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if c.retry.Again(attempt) && retryableErr(err) {
				if err := c.retry.Pause(ctx, attempt, nil); err != nil {
					return err
				}
				continue
			}
			return err
		}
		if resp.StatusCode == http.StatusUnauthorized && !challenged {
			// No token yet, or one for the wrong tenant or resource: take
			// the challenge and ask again (once).
			challenged = true
			ch, err := parseChallenge(resp.Header.Get("WWW-Authenticate"))
			if err != nil {
				return fmt.Errorf("key vault answered 401: %w", err)
			}
			if err := c.checkResource(ch); err != nil {
				return err
			}
			c.mu.Lock()
			c.challenge, c.token = ch, ""
			c.mu.Unlock()
			attempt--
			continue
		}
		if resp.StatusCode/100 == 2 {
			if out != nil && len(bytes.TrimSpace(data)) > 0 {
				if err := json.Unmarshal(data, out); err != nil {
					return fmt.Errorf("decode the answer: %w", err)
				}
			}
			return nil
		}
		if c.retry.RetryStatus(attempt, resp.StatusCode) {
			if err := c.retry.Pause(ctx, attempt, resp.Header); err != nil {
				return err
			}
			continue
		}
		var e struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		_ = json.Unmarshal(data, &e)
		return &ResponseError{StatusCode: resp.StatusCode, ErrorCode: e.Error.Code}
	}
}

// try sends one request, bounded by TryTimeout, body read included. A
// request without a token goes without its body (it only fetches the
// challenge).
func (c *client) try(ctx context.Context, method, target string, payload []byte, auth string) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, TryTimeout)
	defer cancel()
	var rd io.Reader
	if payload != nil && auth != "" {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	data, err := httpretry.ReadBody(resp.Body, maxBody)
	if err != nil {
		return nil, nil, fmt.Errorf("read the answer: %w", err)
	}
	return resp, data, nil
}

func retryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryableErr: a timeout or a connection that failed, not a TLS
// verification failure or a refused redirect.
func retryableErr(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded)
}

// url builds a vault URL of path segments, with the api-version.
func (c *client) url(q url.Values, segs ...string) string {
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	if q == nil {
		q = url.Values{}
	}
	q.Set("api-version", apiVersion)
	return c.vault + "/" + strings.Join(segs, "/") + "?" + q.Encode()
}

// attributes are a version's validity, in Unix seconds.
type attributes struct {
	Enabled   *bool  `json:"enabled,omitempty"`
	Created   *int64 `json:"created,omitempty"`
	Updated   *int64 `json:"updated,omitempty"`
	Expires   *int64 `json:"exp,omitempty"`
	NotBefore *int64 `json:"nbf,omitempty"`
}

// secretItem is a listed secret or version (no value); secretBundle a
// read one.
type secretItem struct {
	ID         string            `json:"id"`
	Attributes *attributes       `json:"attributes"`
	Tags       map[string]string `json:"tags"`
	Managed    bool              `json:"managed"`
}

type secretBundle struct {
	secretItem
	Value *string `json:"value"`
}

// idParts splits a secret id (https://V/secrets/NAME[/VERSION]).
func idParts(id string) (name, version string) {
	u, err := url.Parse(id)
	if err != nil {
		return "", ""
	}
	p := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(p) >= 2 && p[0] == "secrets" {
		name = p[1]
	}
	if len(p) >= 3 {
		version = p[2]
	}
	return name, version
}

// pages yields the items of first and of each nextLink after it (on
// the vault only), page by page; an error is yielded last.
func (c *client) pages(ctx context.Context, first string) iter.Seq2[[]secretItem, error] {
	return func(yield func([]secretItem, error) bool) {
		next := first
		for next != "" {
			var page struct {
				Value    []secretItem `json:"value"`
				NextLink *string      `json:"nextLink"`
			}
			if err := c.do(ctx, http.MethodGet, next, nil, &page); err != nil {
				yield(nil, err)
				return
			}
			if !yield(page.Value, nil) {
				return
			}
			next = ""
			if page.NextLink != nil && *page.NextLink != "" {
				if !strings.HasPrefix(*page.NextLink, c.vault+"/") {
					yield(nil, fmt.Errorf("key vault's nextLink leaves the vault (%s)", c.vault))
					return
				}
				next = *page.NextLink
			}
		}
	}
}

func (c *client) listSecrets(ctx context.Context) iter.Seq2[[]secretItem, error] {
	return c.pages(ctx, c.url(url.Values{"maxresults": {"25"}}, "secrets"))
}

func (c *client) listVersions(ctx context.Context, name string) iter.Seq2[[]secretItem, error] {
	return c.pages(ctx, c.url(url.Values{"maxresults": {"25"}}, "secrets", name, "versions"))
}

func (c *client) getSecret(ctx context.Context, name, version string) (*secretBundle, error) {
	var b secretBundle
	return &b, c.do(ctx, http.MethodGet, c.url(nil, "secrets", name, version), nil, &b)
}

// updateSecret PATCHes a version's tags and attributes.
func (c *client) updateSecret(ctx context.Context, name, version string, tags map[string]string, attrs *attributes) error {
	body := map[string]any{"tags": tags}
	if attrs != nil {
		body["attributes"] = attrs
	}
	return c.do(ctx, http.MethodPatch, c.url(nil, "secrets", name, version), body, nil)
}

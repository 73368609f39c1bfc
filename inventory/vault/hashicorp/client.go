package hashicorp

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/internal/httpretry"
)

// The Vault HTTP API client the adapter uses: the documented endpoints it
// calls, and the environment variables Vault's own client reads for the
// server, its TLS and retries (VAULT_ADDR, VAULT_AGENT_ADDR,
// VAULT_CACERT, VAULT_CAPATH, VAULT_CACERT_BYTES, VAULT_CLIENT_CERT,
// VAULT_CLIENT_KEY, VAULT_TLS_SERVER_NAME, VAULT_SKIP_VERIFY,
// VAULT_CLIENT_TIMEOUT, VAULT_MAX_RETRIES, VAULT_HTTP_PROXY,
// VAULT_PROXY_ADDR, VAULT_DISABLE_REDIRECTS, VAULT_TOKEN,
// VAULT_NAMESPACE). Vault's Go module is not linked into sprawl: its
// start-up work would cost every sprawl command, a pre-commit hook
// included.

const (
	defaultAddress = "https://127.0.0.1:8200"
	defaultTimeout = 60 * time.Second
	defaultRetries = 2
	defaultMinWait = time.Second
	// maxBody bounds an answer read (a listing of a large mount).
	maxBody = 64 << 20
)

// responseError is an answer other than 2xx: its status and the errors
// Vault listed.
type responseError struct {
	StatusCode int
	Errors     []string
}

func (e *responseError) Error() string {
	if len(e.Errors) == 0 {
		return fmt.Sprintf("HTTP %d", e.StatusCode)
	}
	return fmt.Sprintf("HTTP %d: %s", e.StatusCode, strings.Join(e.Errors, "; "))
}

// errRedirect is a redirect not followed.
var errRedirect = errors.New("unsafe redirect")

// errSecretNotFound is a read of nothing: a 404 without errors, or a
// deleted version.
var errSecretNotFound = errors.New("secret not found")

type client struct {
	address          string // no trailing slash
	display          string // the address as configured (a unix socket's URL)
	token, namespace string
	hc               *http.Client
	retry            httpretry.Policy
}

func envBool(name string) (bool, error) {
	v := os.Getenv(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q is not true or false", name, v)
	}
	return b, nil
}

// newClient reads the environment as Vault's client does, then cfg's
// overrides.
func newClient(cfg Config) (*client, error) {
	c := &client{address: defaultAddress}
	retries, minWait := defaultRetries, defaultMinWait
	if v := os.Getenv("VAULT_ADDR"); v != "" {
		c.address = v
	}
	if v := os.Getenv("VAULT_AGENT_ADDR"); v != "" {
		c.address = v
	}
	if cfg.Address != "" {
		c.address = cfg.Address
	}
	c.address = strings.TrimRight(c.address, "/")
	c.display = c.address
	if v := os.Getenv("VAULT_MAX_RETRIES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("VAULT_MAX_RETRIES=%q is not a count", v)
		}
		retries = n
	}
	if cfg.MaxRetries != nil {
		retries = *cfg.MaxRetries
	}
	if cfg.MinRetryWait > 0 {
		minWait = cfg.MinRetryWait
	}
	// Between minWait and half as long again, with jitter, as Vault's
	// client waits.
	c.retry = httpretry.Policy{Retries: retries, Base: minWait, Max: minWait * 3 / 2, Jitter: httpretry.Uniform, Status: retryable}
	c.token = os.Getenv("VAULT_TOKEN")
	if cfg.Token != "" {
		c.token = cfg.Token
	}
	c.namespace = os.Getenv("VAULT_NAMESPACE")
	if cfg.Namespace != "" {
		c.namespace = cfg.Namespace
	}
	timeout := defaultTimeout
	if v := os.Getenv("VAULT_CLIENT_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			secs, err2 := strconv.Atoi(v)
			if err2 != nil {
				return nil, fmt.Errorf("VAULT_CLIENT_TIMEOUT=%q is not a duration", v)
			}
			d = time.Duration(secs) * time.Second
		}
		timeout = d
	}
	if cfg.HTTPClient != nil {
		c.hc = cfg.HTTPClient
		return c, nil
	}
	u, err := url.Parse(c.address)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "unix") {
		return nil, fmt.Errorf("vault address %q is not an http(s) or unix URL", c.address)
	}
	tc, err := tlsFromEnv()
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		TLSClientConfig:       tc,
		TLSHandshakeTimeout:   10 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   4,
		ForceAttemptHTTP2:     true,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ResponseHeaderTimeout: timeout,
	}
	for _, name := range []string{"VAULT_HTTP_PROXY", "VAULT_PROXY_ADDR"} {
		if v := os.Getenv(name); v != "" {
			pu, err := url.Parse(v)
			if err != nil || pu.Host == "" {
				return nil, fmt.Errorf("%s is not a URL", name)
			}
			tr.Proxy = http.ProxyURL(pu)
		}
	}
	if u.Scheme == "unix" {
		// An agent's listener on a socket: every request goes to it.
		socket := u.Path
		tr.Proxy = nil
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		}
		c.address = "http://localhost"
	}
	noRedirects, err := envBool("VAULT_DISABLE_REDIRECTS")
	if err != nil {
		return nil, err
	}
	c.hc = &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			// A standby node sends requests to the active one (307). The
			// token goes along, so only to https, or to the host first
			// asked.
			if noRedirects || len(via) >= 5 {
				return http.ErrUseLastResponse
			}
			if req.URL.Scheme != "https" && req.URL.Host != via[0].URL.Host {
				return fmt.Errorf("%w: vault redirected to %s, not followed over plain http", errRedirect, req.URL.Redacted())
			}
			return nil
		}}
	return c, nil
}

// tlsFromEnv builds the TLS settings VAULT_CACERT, VAULT_CAPATH,
// VAULT_CACERT_BYTES, VAULT_CLIENT_CERT, VAULT_CLIENT_KEY,
// VAULT_TLS_SERVER_NAME and VAULT_SKIP_VERIFY ask for.
func tlsFromEnv() (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: os.Getenv("VAULT_TLS_SERVER_NAME")}
	skip, err := envBool("VAULT_SKIP_VERIFY")
	if err != nil {
		return nil, err
	}
	tc.InsecureSkipVerify = skip
	var pool *x509.CertPool
	addPEM := func(data []byte, what string) error {
		if pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(data) {
			return fmt.Errorf("%s holds no PEM certificate", what)
		}
		return nil
	}
	if v := os.Getenv("VAULT_CACERT_BYTES"); v != "" {
		if err := addPEM([]byte(v), "VAULT_CACERT_BYTES"); err != nil {
			return nil, err
		}
	} else if v := os.Getenv("VAULT_CACERT"); v != "" {
		data, err := os.ReadFile(v)
		if err != nil {
			return nil, fmt.Errorf("VAULT_CACERT: %w", err)
		}
		if err := addPEM(data, "VAULT_CACERT"); err != nil {
			return nil, err
		}
	} else if dir := os.Getenv("VAULT_CAPATH"); dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("VAULT_CAPATH: %w", err)
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				if data, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
					_ = addPEM(data, e.Name())
				}
			}
		}
		if pool == nil {
			return nil, errors.New("VAULT_CAPATH holds no PEM certificate")
		}
	}
	tc.RootCAs = pool
	cert, key := os.Getenv("VAULT_CLIENT_CERT"), os.Getenv("VAULT_CLIENT_KEY")
	if (cert == "") != (key == "") {
		return nil, errors.New("VAULT_CLIENT_CERT and VAULT_CLIENT_KEY go together")
	}
	if cert != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("VAULT_CLIENT_CERT/VAULT_CLIENT_KEY: %w", err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	return tc, nil
}

// retryable reports whether an answer is worth another try, as Vault's
// client decides: 429, 412 (a performance standby not yet caught up)
// and 5xx but 501.
func retryable(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusPreconditionFailed ||
		code >= 500 && code != http.StatusNotImplemented
}

// do sends one API call: method on /v1/path with query q and a JSON body
// (nil: none). It decodes a 2xx answer's JSON (numbers as json.Number)
// into out, and returns the status; a 404 without errors is
// errSecretNotFound; any other failure a *responseError.
func (c *client) do(ctx context.Context, method, path string, q url.Values, body any, contentType string, out any) error {
	target := c.address + "/v1/" + strings.TrimLeft(path, "/")
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	for attempt := 0; ; attempt++ {
		var rd io.Reader
		if payload != nil {
			rd = bytes.NewReader(payload)
		}
		req, err := http.NewRequestWithContext(ctx, method, target, rd)
		if err != nil {
			return err
		}
		req.Header.Set("X-Vault-Token", c.token)
		req.Header.Set("X-Vault-Request", "true")
		if c.namespace != "" {
			req.Header.Set("X-Vault-Namespace", c.namespace)
		}
		if payload != nil {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// A connection that failed may work next time; a server
			// that is not trusted will not.
			var cv *tls.CertificateVerificationError
			if c.retry.Again(attempt) && !errors.As(err, &cv) && !errors.Is(err, errRedirect) {
				if err := c.retry.Pause(ctx, attempt, nil); err != nil {
					return err
				}
				continue
			}
			return err
		}
		data, rerr := httpretry.ReadBody(resp.Body, maxBody)
		if rerr != nil {
			return fmt.Errorf("read the answer: %w", rerr)
		}
		if resp.StatusCode/100 == 2 {
			if out == nil || len(bytes.TrimSpace(data)) == 0 {
				return nil
			}
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.UseNumber()
			if err := dec.Decode(out); err != nil {
				return fmt.Errorf("decode the answer: %w", err)
			}
			return nil
		}
		if c.retry.RetryStatus(attempt, resp.StatusCode) {
			if err := c.retry.Pause(ctx, attempt, nil); err != nil {
				return err
			}
			continue
		}
		var e struct {
			Errors []string `json:"errors"`
		}
		_ = json.Unmarshal(data, &e)
		if resp.StatusCode == http.StatusNotFound && len(e.Errors) == 0 {
			return errSecretNotFound
		}
		return &responseError{StatusCode: resp.StatusCode, Errors: e.Errors}
	}
}

// escapePath escapes each segment of a secret's path for the URL.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// secret is the envelope of a read: {"data": …}.
type secret struct {
	Data map[string]any `json:"data"`
}

// read GETs path's data; nil where there is none.
func (c *client) read(ctx context.Context, path string) (map[string]any, error) {
	var s secret
	if err := c.do(ctx, http.MethodGet, escapePath(path), nil, nil, "", &s); err != nil {
		return nil, err
	}
	return s.Data, nil
}

// list LISTs path (GET ?list=true): its keys, none for a 404.
func (c *client) list(ctx context.Context, path string) ([]string, error) {
	var s struct {
		Data struct {
			Keys []any `json:"keys"`
		} `json:"data"`
	}
	err := c.do(ctx, http.MethodGet, escapePath(path), url.Values{"list": {"true"}}, nil, "", &s)
	if errors.Is(err, errSecretNotFound) {
		return nil, nil // Vault answers an empty listing with 404
	}
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(s.Data.Keys))
	for _, k := range s.Data.Keys {
		if ks, ok := k.(string); ok {
			keys = append(keys, ks)
		}
	}
	return keys, nil
}

// kvVersion is a KV v2 read: the current version's data and metadata.
type kvVersion struct {
	Data     map[string]any `json:"data"`
	Metadata struct {
		CreatedTime    time.Time         `json:"created_time"`
		Version        json.Number       `json:"version"`
		CustomMetadata map[string]string `json:"custom_metadata"`
		Destroyed      bool              `json:"destroyed"`
		DeletionTime   string            `json:"deletion_time"`
	} `json:"metadata"`
}

// kvGet reads a KV v2 secret's current version; a deleted or destroyed
// version is errSecretNotFound.
func (c *client) kvGet(ctx context.Context, mount, path string) (*kvVersion, error) {
	var s struct {
		Data *kvVersion `json:"data"`
	}
	if err := c.do(ctx, http.MethodGet, escapePath(mount+"/data/"+path), nil, nil, "", &s); err != nil {
		return nil, err
	}
	if s.Data == nil || s.Data.Data == nil {
		return nil, errSecretNotFound
	}
	return s.Data, nil
}

// kvMetadata is a KV v2 secret's metadata.
type kvMetadata struct {
	CreatedTime        time.Time `json:"created_time"`
	UpdatedTime        time.Time `json:"updated_time"`
	MaxVersions        int       `json:"max_versions"`
	DeleteVersionAfter string    `json:"delete_version_after"`
	Versions           map[string]struct {
		DeletionTime string `json:"deletion_time"`
		Destroyed    bool   `json:"destroyed"`
	} `json:"versions"`
}

func (c *client) kvMetadata(ctx context.Context, mount, path string) (*kvMetadata, error) {
	var s struct {
		Data *kvMetadata `json:"data"`
	}
	if err := c.do(ctx, http.MethodGet, escapePath(mount+"/metadata/"+path), nil, nil, "", &s); err != nil {
		return nil, err
	}
	if s.Data == nil {
		return nil, errSecretNotFound
	}
	return s.Data, nil
}

// kvPatchCustom merges patch into a secret's custom_metadata (JSON merge
// patch: a nil value removes the key).
func (c *client) kvPatchCustom(ctx context.Context, mount, path string, patch map[string]any) error {
	return c.do(ctx, http.MethodPatch, escapePath(mount+"/metadata/"+path), nil,
		map[string]any{"custom_metadata": patch}, "application/merge-patch+json", nil)
}

// write PUTs body to path.
func (c *client) write(ctx context.Context, path string, body map[string]any) error {
	if body == nil {
		body = map[string]any{}
	}
	return c.do(ctx, http.MethodPut, escapePath(path), nil, body, "application/json", nil)
}

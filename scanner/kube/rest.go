package kube

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/sprawlsec/sprawl/internal/boundedbuf"
	"github.com/sprawlsec/sprawl/internal/httpretry"
)

// Bounds of one request: the server must start answering within
// responseTimeout, and the whole request (a page of up to PageSize
// objects) must end within requestTimeout. 429s (and 5xx answers that
// carry Retry-After) are retried up to maxRetries times, after the wait
// the server asks for (at most maxRetryWait).
const (
	responseTimeout = time.Minute
	requestTimeout  = 2 * time.Minute
	maxRetries      = 10
	maxRetryWait    = time.Minute
	// maxErrorBody is how much of a failed answer is read for its Status.
	maxErrorBody = 64 << 10
)

// restAPI lists through the API server's REST API, as the kubeconfig's
// user, at client-go's default pace (20 requests a second, bursts of 40).
type restAPI struct {
	base  string // the server URL, without a trailing slash
	hc    *http.Client
	limit *rate.Limiter
	user  authInfo
	exec  *execPlugin
	// retryAfter is how long a 429 without Retry-After waits (tests
	// shorten it).
	retryAfter time.Duration
}

func newRESTAPI(ep *endpoint) (*restAPI, error) {
	u, err := url.Parse(ep.cluster.Server)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("cluster server %q is not an http(s) URL", ep.cluster.Server)
	}
	creds := ep.user.Token != "" || ep.user.TokenFile != "" || ep.user.Password != "" || ep.user.Exec != nil
	if u.Scheme == "http" && creds && !loopback(u.Hostname()) {
		return nil, fmt.Errorf("cluster server %s is plain http: refusing to send credentials over it", u.Redacted())
	}
	tc, err := tlsConfig(ep)
	if err != nil {
		return nil, err
	}
	proxy := http.ProxyFromEnvironment
	if ep.cluster.ProxyURL != "" {
		pu, err := url.Parse(ep.cluster.ProxyURL)
		if err != nil || pu.Host == "" {
			return nil, errors.New("cluster proxy-url is not a URL")
		}
		proxy = http.ProxyURL(pu)
	}
	a := &restAPI{
		base:       strings.TrimSuffix(u.String(), "/"),
		limit:      rate.NewLimiter(20, 40),
		user:       ep.user,
		retryAfter: time.Second,
	}
	if ep.user.Exec != nil {
		a.exec = &execPlugin{cfg: *ep.user.Exec, server: ep.cluster.Server, insecure: ep.cluster.InsecureSkipTLSVerify,
			ca: ep.cluster.CertificateAuthorityData, tlsServerName: ep.cluster.TLSServerName}
		static := tc.Certificates
		tc.Certificates = nil
		tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			_, cert, err := a.exec.credentials(context.Background(), false)
			if err != nil {
				return nil, err
			}
			if cert != nil {
				return cert, nil
			}
			if len(static) > 0 {
				return &static[0], nil
			}
			return &tls.Certificate{}, nil
		}
	}
	a.hc = &http.Client{
		Timeout: requestTimeout,
		Transport: &http.Transport{
			Proxy:                 proxy,
			TLSClientConfig:       tc,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: responseTimeout,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   4,
			ForceAttemptHTTP2:     true,
			DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		},
		// A redirect would carry the credentials elsewhere: the API
		// server does not redirect list requests.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return a, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// pemData returns inline base64 data, else the file's contents.
func pemData(inline, file, what string) ([]byte, error) {
	if inline != "" {
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(inline), ""))
		if err != nil {
			return nil, fmt.Errorf("%s-data is not base64", what)
		}
		return b, nil
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		return b, nil
	}
	return nil, nil
}

// tlsConfig builds the TLS settings of a cluster and user: its CA (else
// the system's roots), tls-server-name, insecure-skip-tls-verify (which
// a CA may not be given with, as kubectl rules) and a client
// certificate.
func tlsConfig(ep *endpoint) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: ep.cluster.TLSServerName}
	ca, err := pemData(ep.cluster.CertificateAuthorityData, ep.cluster.CertificateAuthority, "certificate-authority")
	if err != nil {
		return nil, err
	}
	if ep.cluster.InsecureSkipTLSVerify {
		if ca != nil {
			return nil, errors.New("a certificate authority given with insecure-skip-tls-verify: choose one")
		}
		tc.InsecureSkipVerify = true
	}
	if ca != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			return nil, errors.New("certificate-authority holds no PEM certificate")
		}
		tc.RootCAs = pool
	}
	cert, err := pemData(ep.user.ClientCertificateData, ep.user.ClientCertificate, "client-certificate")
	if err != nil {
		return nil, err
	}
	key, err := pemData(ep.user.ClientKeyData, ep.user.ClientKey, "client-key")
	if err != nil {
		return nil, err
	}
	switch {
	case cert != nil && key != nil:
		pair, err := tls.X509KeyPair(cert, key)
		if err != nil {
			return nil, errors.New("client-certificate and client-key do not make a key pair")
		}
		tc.Certificates = []tls.Certificate{pair}
	case cert != nil || key != nil:
		return nil, errors.New("a client certificate needs both client-certificate and client-key")
	}
	return tc, nil
}

// authorize sets the request's credentials: the exec plugin's token,
// else the token (tokenFile read afresh, as it may be rotated), else
// basic auth.
func (a *restAPI) authorize(ctx context.Context, req *http.Request, refresh bool) error {
	if a.user.Impersonate != "" {
		req.Header.Set("Impersonate-User", a.user.Impersonate)
	}
	if a.exec != nil {
		tok, _, err := a.exec.credentials(ctx, refresh)
		if err != nil {
			return err
		}
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
			return nil
		}
	}
	switch {
	case a.user.Token != "":
		req.Header.Set("Authorization", "Bearer "+a.user.Token)
	case a.user.TokenFile != "":
		b, err := os.ReadFile(a.user.TokenFile)
		if err != nil {
			return fmt.Errorf("tokenFile: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(b)))
	case a.user.Username != "" || a.user.Password != "":
		req.SetBasicAuth(a.user.Username, a.user.Password)
	}
	return nil
}

// get GETs path with query q into out, waiting out rate limits.
func (a *restAPI) get(ctx context.Context, path string, q url.Values, accept string, out any) error {
	target := a.base + path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	refreshed := false
	for attempt := 0; ; attempt++ {
		if err := a.limit.Wait(ctx); err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Accept", accept)
		req.Header.Set("User-Agent", "sprawl")
		if err := a.authorize(ctx, req, refreshed && attempt > 0 && a.exec != nil); err != nil {
			return err
		}
		resp, err := a.hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("GET %s: %w", path, err)
		}
		if resp.StatusCode/100 == 2 {
			err := json.NewDecoder(resp.Body).Decode(out)
			resp.Body.Close()
			if err != nil {
				return fmt.Errorf("GET %s: decode the answer: %w", path, err)
			}
			return nil
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		if resp.StatusCode == http.StatusUnauthorized && a.exec != nil && !refreshed {
			refreshed = true // the plugin's credential may have expired early
			continue
		}
		if wait, ok := a.retryWait(resp); ok && attempt < maxRetries {
			if err := httpretry.Sleep(ctx, wait); err != nil {
				return err
			}
			continue
		}
		return statusError(resp.StatusCode, body)
	}
}

// retryWait returns how long to wait before retrying an answer the
// server asked to be retried: a 429, or a 5xx with Retry-After.
func (a *restAPI) retryWait(resp *http.Response) (time.Duration, bool) {
	ra := resp.Header.Get("Retry-After")
	if resp.StatusCode != http.StatusTooManyRequests && (resp.StatusCode < 500 || ra == "") {
		return 0, false
	}
	wait := a.retryAfter
	if s, err := strconv.Atoi(strings.TrimSpace(ra)); err == nil && s >= 0 {
		wait = time.Duration(s) * time.Second
	}
	return min(wait, maxRetryWait), true
}

// statusError turns a failed answer into a StatusError, from its Status
// object where it has one.
func statusError(code int, body []byte) error {
	var st struct {
		Kind    string `json:"kind"`
		Reason  string `json:"reason"`
		Message string `json:"message"`
		Code    int    `json:"code"`
	}
	se := &StatusError{Code: code}
	if json.Unmarshal(body, &st) == nil && st.Kind == "Status" {
		se.Reason, se.Message = st.Reason, st.Message
	}
	return se
}

// list GETs one page of resource under prefix ("/api/v1",
// "/apis/apps/v1") in namespace ns ("" for a cluster-wide resource).
func (a *restAPI) list(ctx context.Context, prefix, ns, resource string, o ListOptions, accept string, extra url.Values, out any) error {
	path := prefix + "/" + resource
	if ns != "" {
		path = prefix + "/namespaces/" + url.PathEscape(ns) + "/" + resource
	}
	q := url.Values{}
	for k, v := range extra {
		q[k] = v
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.FormatInt(o.Limit, 10))
	}
	if o.Continue != "" {
		q.Set("continue", o.Continue)
	}
	return a.get(ctx, path, q, accept, out)
}

const acceptJSON = "application/json"

func (a *restAPI) Namespaces(ctx context.Context, o ListOptions) (*NamespaceList, error) {
	out := &NamespaceList{}
	return out, a.list(ctx, "/api/v1", "", "namespaces", o, acceptJSON, nil, out)
}

func (a *restAPI) ConfigMaps(ctx context.Context, ns string, o ListOptions) (*ConfigMapList, error) {
	out := &ConfigMapList{}
	return out, a.list(ctx, "/api/v1", ns, "configmaps", o, acceptJSON, nil, out)
}

func (a *restAPI) Secrets(ctx context.Context, ns string, o ListOptions) (*SecretList, error) {
	out := &SecretList{}
	return out, a.list(ctx, "/api/v1", ns, "secrets", o, acceptJSON, nil, out)
}

func (a *restAPI) Pods(ctx context.Context, ns string, o ListOptions) (*PodList, error) {
	out := &PodList{}
	return out, a.list(ctx, "/api/v1", ns, "pods", o, acceptJSON, nil, out)
}

func (a *restAPI) Deployments(ctx context.Context, ns string, o ListOptions) (*WorkloadList, error) {
	out := &WorkloadList{}
	return out, a.list(ctx, "/apis/apps/v1", ns, "deployments", o, acceptJSON, nil, out)
}

func (a *restAPI) StatefulSets(ctx context.Context, ns string, o ListOptions) (*WorkloadList, error) {
	out := &WorkloadList{}
	return out, a.list(ctx, "/apis/apps/v1", ns, "statefulsets", o, acceptJSON, nil, out)
}

func (a *restAPI) DaemonSets(ctx context.Context, ns string, o ListOptions) (*WorkloadList, error) {
	out := &WorkloadList{}
	return out, a.list(ctx, "/apis/apps/v1", ns, "daemonsets", o, acceptJSON, nil, out)
}

func (a *restAPI) CronJobs(ctx context.Context, ns string, o ListOptions) (*CronJobList, error) {
	out := &CronJobList{}
	return out, a.list(ctx, "/apis/batch/v1", ns, "cronjobs", o, acceptJSON, nil, out)
}

func (a *restAPI) Jobs(ctx context.Context, ns string, o ListOptions) (*WorkloadList, error) {
	out := &WorkloadList{}
	return out, a.list(ctx, "/apis/batch/v1", ns, "jobs", o, acceptJSON, nil, out)
}

// SecretTable asks for the Table form with object metadata only
// (Accept: as=Table, includeObject=Metadata): names, types and times,
// never data.
func (a *restAPI) SecretTable(ctx context.Context, ns string, o ListOptions) (*Table, error) {
	var t Table
	err := a.list(ctx, "/api/v1", ns, "secrets", o, "application/json;as=Table;v=v1;g=meta.k8s.io",
		url.Values{"includeObject": {"Metadata"}}, &t)
	if err != nil {
		return nil, err
	}
	if t.Kind != "" && t.Kind != "Table" {
		return nil, fmt.Errorf("secrets: the API server answered a %s, not a Table", t.Kind)
	}
	return &t, nil
}

// execPlugin runs a kubeconfig's credential plugin
// (client.authentication.k8s.io ExecCredential) and keeps what it gives
// until it expires.
type execPlugin struct {
	cfg                       execConfig
	server, ca, tlsServerName string
	insecure                  bool

	mu     sync.Mutex
	token  string
	cert   *tls.Certificate
	expiry time.Time // zero: valid until the server refuses it
	valid  bool
}

// execTimeout bounds one run of a credential plugin.
const execTimeout = 2 * time.Minute

// credentials returns the plugin's token and certificate, running it
// when nothing valid is kept or refresh is asked.
func (p *execPlugin) credentials(ctx context.Context, refresh bool) (string, *tls.Certificate, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.valid && !refresh && (p.expiry.IsZero() || time.Until(p.expiry) > 10*time.Second) {
		return p.token, p.cert, nil
	}
	p.valid = false
	c := p.cfg
	switch c.APIVersion {
	case "client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1":
	case "":
		return "", nil, errors.New("exec credential plugin: apiVersion is required")
	default:
		return "", nil, fmt.Errorf("exec credential plugin: apiVersion %q is not supported (v1 or v1beta1)", c.APIVersion)
	}
	if c.InteractiveMode == "Always" {
		return "", nil, fmt.Errorf("exec credential plugin %s asks for an interactive terminal, which a scan does not have", c.Command)
	}
	path, err := exec.LookPath(c.Command)
	if err != nil {
		msg := fmt.Sprintf("exec credential plugin %q not found", c.Command)
		if c.InstallHint != "" {
			msg += ": " + strings.TrimSpace(c.InstallHint)
		}
		return "", nil, errors.New(msg)
	}
	spec := map[string]any{"interactive": false}
	if c.ProvideClusterInfo {
		spec["cluster"] = map[string]any{"server": p.server, "tls-server-name": p.tlsServerName,
			"insecure-skip-tls-verify": p.insecure, "certificate-authority-data": p.ca}
	}
	info, _ := json.Marshal(map[string]any{"apiVersion": c.APIVersion, "kind": "ExecCredential", "spec": spec})
	ctx, cancel := context.WithTimeout(ctx, execTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, c.Args...)
	cmd.Env = os.Environ()
	for _, e := range c.Env {
		cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
	}
	cmd.Env = append(cmd.Env, "KUBERNETES_EXEC_INFO="+string(info))
	var stdout bytes.Buffer
	stderr := &boundedbuf.Buffer{Max: 2048}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	if err := cmd.Run(); err != nil {
		return "", nil, fmt.Errorf("exec credential plugin %s: %v %s", c.Command, err, stderr.FirstLine())
	}
	var out struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Status     *struct {
			Token                 string     `json:"token"`
			ClientCertificateData string     `json:"clientCertificateData"`
			ClientKeyData         string     `json:"clientKeyData"`
			ExpirationTimestamp   *time.Time `json:"expirationTimestamp"`
		} `json:"status"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil || out.Kind != "ExecCredential" || out.Status == nil {
		return "", nil, fmt.Errorf("exec credential plugin %s: its output is not an ExecCredential with a status", c.Command)
	}
	if out.APIVersion != c.APIVersion {
		return "", nil, fmt.Errorf("exec credential plugin %s: answered %s, asked %s", c.Command, out.APIVersion, c.APIVersion)
	}
	st := out.Status
	var cert *tls.Certificate
	if st.ClientCertificateData != "" || st.ClientKeyData != "" {
		pair, err := tls.X509KeyPair([]byte(st.ClientCertificateData), []byte(st.ClientKeyData))
		if err != nil {
			return "", nil, fmt.Errorf("exec credential plugin %s: its client certificate and key do not make a key pair", c.Command)
		}
		cert = &pair
	}
	if st.Token == "" && cert == nil {
		return "", nil, fmt.Errorf("exec credential plugin %s gave neither a token nor a client certificate", c.Command)
	}
	p.token, p.cert, p.valid = st.Token, cert, true
	p.expiry = time.Time{}
	if st.ExpirationTimestamp != nil {
		p.expiry = *st.ExpirationTimestamp
	}
	return p.token, p.cert, nil
}

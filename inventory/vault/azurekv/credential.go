package azurekv

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sprawlsec/sprawl/internal/boundedbuf"
)

// TokenCredential gets an Entra ID access token for scope in tenant
// (empty: the credential's own).
type TokenCredential interface {
	GetToken(ctx context.Context, scope, tenant string) (token string, expires time.Time, err error)
}

// errUnavailable marks a credential whose source is not configured here
// (the chain then tries the next).
var errUnavailable = errors.New("not configured")

// DefaultCredential tries, in azidentity's DefaultAzureCredential order,
// the environment (AZURE_TENANT_ID, AZURE_CLIENT_ID with
// AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH), workload
// identity (AZURE_FEDERATED_TOKEN_FILE), managed identity (App Service's
// IDENTITY_ENDPOINT, else the instance metadata service), the Azure CLI
// (az) and the Azure Developer CLI (azd); the first that gives a token
// is kept for the rest of the run.
type DefaultCredential struct {
	http    *http.Client
	sources []namedSource
	chosen  *namedSource
}

type namedSource struct {
	name string
	get  func(ctx context.Context, scope, tenant string) (string, time.Time, error)
}

// NewDefaultCredential reads the environment; it contacts nothing.
func NewDefaultCredential() *DefaultCredential {
	d := &DefaultCredential{http: &http.Client{Timeout: time.Minute}}
	d.sources = []namedSource{
		{"environment", d.environment},
		{"workload identity", d.workloadIdentity},
		{"managed identity", d.managedIdentity},
		{"Azure CLI", azureCLI},
		{"Azure Developer CLI", azureDeveloperCLI},
	}
	return d
}

// GetToken implements TokenCredential.
func (d *DefaultCredential) GetToken(ctx context.Context, scope, tenant string) (string, time.Time, error) {
	if d.chosen != nil {
		return d.chosen.get(ctx, scope, tenant)
	}
	var why []string
	for i := range d.sources {
		s := &d.sources[i]
		tok, exp, err := s.get(ctx, scope, tenant)
		if err == nil {
			d.chosen = s
			return tok, exp, nil
		}
		if ctx.Err() != nil {
			return "", time.Time{}, ctx.Err()
		}
		if !errors.Is(err, errUnavailable) {
			// Configured but failing: say so rather than fall through to
			// another identity.
			return "", time.Time{}, fmt.Errorf("%s: %w", s.name, err)
		}
		why = append(why, s.name+": "+err.Error())
	}
	return "", time.Time{}, fmt.Errorf("no Azure credential: %s", strings.Join(why, "; "))
}

// tenantFor returns the tenant to ask: the configured one, unless the
// vault's challenge names another that AZURE_ADDITIONALLY_ALLOWED_TENANTS
// allows.
func tenantFor(configured, challenged string) (string, error) {
	if configured == "" || challenged == "" || strings.EqualFold(configured, challenged) {
		return cmpOr(configured, challenged), nil
	}
	allowed := strings.Split(os.Getenv("AZURE_ADDITIONALLY_ALLOWED_TENANTS"), ";")
	if slices.Contains(allowed, "*") || slices.ContainsFunc(allowed, func(t string) bool { return strings.EqualFold(strings.TrimSpace(t), challenged) }) {
		return challenged, nil
	}
	return "", fmt.Errorf("the vault is in tenant %s, the credential in %s (add it to AZURE_ADDITIONALLY_ALLOWED_TENANTS to allow it)", challenged, configured)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// authority is AZURE_AUTHORITY_HOST (default the public cloud's).
func authority() string {
	a := os.Getenv("AZURE_AUTHORITY_HOST")
	if a == "" {
		a = "https://login.microsoftonline.com"
	}
	return strings.TrimRight(a, "/")
}

// tokenRequest posts a client-credentials grant to the tenant's token
// endpoint.
func (d *DefaultCredential) tokenRequest(ctx context.Context, tenant string, form url.Values) (string, time.Time, error) {
	endpoint := authority() + "/" + url.PathEscape(tenant) + "/oauth2/v2.0/token"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", time.Time{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return d.tokenAnswer(req)
}

// tokenAnswer sends req and reads an OAuth token answer: access_token
// with expires_in (seconds) or expires_on (Unix seconds).
func (d *DefaultCredential) tokenAnswer(req *http.Request) (string, time.Time, error) {
	resp, err := d.http.Do(req)
	if err != nil {
		return "", time.Time{}, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var t struct {
		AccessToken string          `json:"access_token"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
		ExpiresOn   json.RawMessage `json:"expires_on"`
		Error       string          `json:"error"`
		Codes       []int           `json:"error_codes"`
	}
	_ = json.Unmarshal(data, &t)
	if resp.StatusCode != http.StatusOK || t.AccessToken == "" {
		// The error code (AADSTS…) only: descriptions may quote the request.
		code := t.Error
		if len(t.Codes) > 0 {
			code += fmt.Sprintf(" (AADSTS%d)", t.Codes[0])
		}
		return "", time.Time{}, fmt.Errorf("token endpoint answered HTTP %d %s", resp.StatusCode, code)
	}
	num := func(raw json.RawMessage) int64 {
		s := strings.Trim(string(raw), `"`)
		n, _ := strconv.ParseInt(s, 10, 64)
		return n
	}
	exp := time.Now().Add(time.Hour)
	if n := num(t.ExpiresIn); n > 0 {
		exp = time.Now().Add(time.Duration(n) * time.Second)
	} else if n := num(t.ExpiresOn); n > 0 {
		exp = time.Unix(n, 0)
	}
	return t.AccessToken, exp, nil
}

// environment: a service principal's secret or certificate.
func (d *DefaultCredential) environment(ctx context.Context, scope, tenant string) (string, time.Time, error) {
	tid, cid := os.Getenv("AZURE_TENANT_ID"), os.Getenv("AZURE_CLIENT_ID")
	secret, certPath := os.Getenv("AZURE_CLIENT_SECRET"), os.Getenv("AZURE_CLIENT_CERTIFICATE_PATH")
	if tid == "" || cid == "" || secret == "" && certPath == "" {
		if os.Getenv("AZURE_USERNAME") != "" {
			return "", time.Time{}, fmt.Errorf("%w: AZURE_USERNAME/AZURE_PASSWORD (username and password sign-in) is not supported; use a service principal", errUnavailable)
		}
		return "", time.Time{}, fmt.Errorf("%w: AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH unset", errUnavailable)
	}
	t, err := tenantFor(tid, tenant)
	if err != nil {
		return "", time.Time{}, err
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {cid}, "scope": {scope}}
	if secret != "" {
		form.Set("client_secret", secret)
	} else {
		assertion, err := certificateAssertion(certPath, cid, authority()+"/"+t+"/oauth2/v2.0/token")
		if err != nil {
			return "", time.Time{}, err
		}
		form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
		form.Set("client_assertion", assertion)
	}
	return d.tokenRequest(ctx, t, form)
}

// workloadIdentity: a federated token (Kubernetes' projected service
// account token) exchanged for the application's token.
func (d *DefaultCredential) workloadIdentity(ctx context.Context, scope, tenant string) (string, time.Time, error) {
	file, tid, cid := os.Getenv("AZURE_FEDERATED_TOKEN_FILE"), os.Getenv("AZURE_TENANT_ID"), os.Getenv("AZURE_CLIENT_ID")
	if file == "" || tid == "" || cid == "" {
		return "", time.Time{}, fmt.Errorf("%w: AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID and AZURE_CLIENT_ID unset", errUnavailable)
	}
	t, err := tenantFor(tid, tenant)
	if err != nil {
		return "", time.Time{}, err
	}
	assertion, err := os.ReadFile(file)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("AZURE_FEDERATED_TOKEN_FILE: %w", err)
	}
	return d.tokenRequest(ctx, t, url.Values{"grant_type": {"client_credentials"}, "client_id": {cid}, "scope": {scope},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {strings.TrimSpace(string(assertion))}})
}

// imdsEndpoint is the instance metadata service's token endpoint (a
// variable for tests).
var imdsEndpoint = "http://169.254.169.254/metadata/identity/oauth2/token"

// managedIdentity: App Service / Functions (IDENTITY_ENDPOINT with
// IDENTITY_HEADER), else the instance metadata service, which is probed
// briefly: off Azure nothing answers there.
func (d *DefaultCredential) managedIdentity(ctx context.Context, scope, _ string) (string, time.Time, error) {
	resource := strings.TrimSuffix(scope, "/.default")
	cid := os.Getenv("AZURE_CLIENT_ID")
	if ep, hdr := os.Getenv("IDENTITY_ENDPOINT"), os.Getenv("IDENTITY_HEADER"); ep != "" && hdr != "" {
		q := url.Values{"api-version": {"2019-08-01"}, "resource": {resource}}
		if cid != "" {
			q.Set("client_id", cid)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep+"?"+q.Encode(), nil)
		if err != nil {
			return "", time.Time{}, err
		}
		req.Header.Set("X-IDENTITY-HEADER", hdr)
		return d.tokenAnswer(req)
	}
	q := url.Values{"api-version": {"2018-02-01"}, "resource": {resource}}
	if cid != "" {
		q.Set("client_id", cid)
	}
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(pctx, http.MethodGet, imdsEndpoint+"?"+q.Encode(), nil)
	if err != nil {
		return "", time.Time{}, err
	}
	req.Header.Set("Metadata", "true")
	tok, exp, err := d.tokenAnswer(req)
	if err != nil && (pctx.Err() != nil || strings.Contains(err.Error(), "connect")) {
		return "", time.Time{}, fmt.Errorf("%w: no instance metadata service", errUnavailable)
	}
	return tok, exp, err
}

// runCLI runs an Azure command line tool (looked up in PATH), bounded.
func runCLI(ctx context.Context, name string, args ...string) ([]byte, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %s not installed", errUnavailable, name)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := boundedbuf.FirstLine(stderr.Bytes())
		if strings.Contains(msg, "az login") || strings.Contains(msg, "azd auth login") || strings.Contains(msg, "not logged in") {
			return nil, fmt.Errorf("%w: %s is not logged in", errUnavailable, name)
		}
		return nil, fmt.Errorf("%s: %v %s", name, err, msg)
	}
	return stdout.Bytes(), nil
}

// azureCLI: `az account get-access-token`.
func azureCLI(ctx context.Context, scope, tenant string) (string, time.Time, error) {
	args := []string{"account", "get-access-token", "--output", "json", "--resource", strings.TrimSuffix(scope, "/.default")}
	if tenant != "" {
		args = append(args, "--tenant", tenant)
	}
	out, err := runCLI(ctx, "az", args...)
	if err != nil {
		return "", time.Time{}, err
	}
	var t struct {
		AccessToken string `json:"accessToken"`
		ExpiresOn   int64  `json:"expires_on"`
		ExpiresOnL  string `json:"expiresOn"`
	}
	if err := json.Unmarshal(out, &t); err != nil || t.AccessToken == "" {
		return "", time.Time{}, errors.New("az: its output holds no accessToken")
	}
	exp := time.Unix(t.ExpiresOn, 0)
	if t.ExpiresOn == 0 {
		exp = time.Now().Add(5 * time.Minute)
		if l, err := time.ParseInLocation("2006-01-02 15:04:05.999999", t.ExpiresOnL, time.Local); err == nil {
			exp = l
		}
	}
	return t.AccessToken, exp, nil
}

// azureDeveloperCLI: `azd auth token`.
func azureDeveloperCLI(ctx context.Context, scope, tenant string) (string, time.Time, error) {
	args := []string{"auth", "token", "--output", "json", "--scope", scope}
	if tenant != "" {
		args = append(args, "--tenant-id", tenant)
	}
	out, err := runCLI(ctx, "azd", args...)
	if err != nil {
		return "", time.Time{}, err
	}
	var t struct {
		Token     string    `json:"token"`
		ExpiresOn time.Time `json:"expiresOn"`
	}
	if err := json.Unmarshal(out, &t); err != nil || t.Token == "" {
		return "", time.Time{}, errors.New("azd: its output holds no token")
	}
	return t.Token, t.ExpiresOn, nil
}

// certificateAssertion signs the client assertion of a certificate
// credential: a JWT for the token endpoint aud, iss = sub = the client
// id, naming the certificate by its SHA-256 thumbprint (x5t#S256), signed
// PS256 (RSA) or ES256 (EC). The PEM file holds the certificate and its
// unencrypted private key.
func certificateAssertion(path, clientID, aud string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("AZURE_CLIENT_CERTIFICATE_PATH: %w", err)
	}
	var cert *x509.Certificate
	var key crypto.Signer
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch {
		case b.Type == "CERTIFICATE" && cert == nil:
			cert, _ = x509.ParseCertificate(b.Bytes)
		case strings.HasSuffix(b.Type, "PRIVATE KEY") && key == nil:
			if k, err := x509.ParsePKCS8PrivateKey(b.Bytes); err == nil {
				key, _ = k.(crypto.Signer)
			} else if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
				key = k
			} else if k, err := x509.ParseECPrivateKey(b.Bytes); err == nil {
				key = k
			}
		}
	}
	if cert == nil || key == nil {
		return "", errors.New("AZURE_CLIENT_CERTIFICATE_PATH: a PEM file with the certificate and its unencrypted private key is needed (convert a PFX with openssl pkcs12 -nodes)")
	}
	thumb := sha256.Sum256(cert.Raw)
	b64 := base64.RawURLEncoding.EncodeToString
	alg := "PS256"
	if _, ok := key.(*ecdsa.PrivateKey); ok {
		alg = "ES256"
	}
	header, _ := json.Marshal(map[string]string{"alg": alg, "typ": "JWT", "x5t#S256": b64(thumb[:])})
	jti := make([]byte, 16)
	_, _ = rand.Read(jti)
	now := time.Now()
	claims, _ := json.Marshal(map[string]any{"aud": aud, "iss": clientID, "sub": clientID, "jti": fmt.Sprintf("%x", jti),
		"nbf": now.Unix(), "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()})
	signing := b64(header) + "." + b64(claims)
	digest := sha256.Sum256([]byte(signing))
	var sig []byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		sig, err = rsa.SignPSS(rand.Reader, k, crypto.SHA256, digest[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case *ecdsa.PrivateKey:
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, k, digest[:])
		if err == nil {
			size := (k.Curve.Params().BitSize + 7) / 8
			sig = make([]byte, 2*size)
			r.FillBytes(sig[:size])
			s.FillBytes(sig[size:])
		}
	default:
		return "", errors.New("AZURE_CLIENT_CERTIFICATE_PATH: the key is neither RSA nor EC")
	}
	if err != nil {
		return "", fmt.Errorf("sign the client assertion: %w", err)
	}
	return signing + "." + b64(sig), nil
}

package azurekv

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sprawlsec/sprawl/internal/testcert"
)

var azureEnv = []string{"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH",
	"AZURE_USERNAME", "AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "AZURE_AUTHORITY_HOST",
	"AZURE_ADDITIONALLY_ALLOWED_TENANTS"}

// isolate clears the Azure environment and PATH (no az, no azd) and
// points the metadata service at nothing.
func isolate(t *testing.T) {
	for _, k := range azureEnv {
		t.Setenv(k, "")
	}
	t.Setenv("PATH", t.TempDir())
	old := imdsEndpoint
	imdsEndpoint = "http://127.0.0.1:1/metadata/identity/oauth2/token"
	t.Cleanup(func() { imdsEndpoint = old })
}

// entra is a fake token endpoint recording each grant's form.
type entra struct {
	*httptest.Server
	mu    sync.Mutex
	forms []map[string]string
	paths []string
}

func newEntra(t *testing.T) *entra {
	e := &entra{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f := map[string]string{}
		for k := range r.Form {
			f[k] = r.Form.Get(k)
		}
		if h := r.Header.Get("X-IDENTITY-HEADER"); h != "" {
			f["identity-header"] = h
		}
		e.mu.Lock()
		e.forms = append(e.forms, f)
		e.paths = append(e.paths, r.URL.Path)
		e.mu.Unlock()
		if f["client_secret"] == "wrong" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"secret 'wrong' quoted","error_codes":[7000215]}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "entra-token-not-a-secret", "expires_in": 3600})
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *entra) last() (string, map[string]string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.paths[len(e.paths)-1], e.forms[len(e.forms)-1]
}

func TestCredentialClientSecret(t *testing.T) {
	isolate(t)
	e := newEntra(t)
	t.Setenv("AZURE_AUTHORITY_HOST", e.URL+"/")
	t.Setenv("AZURE_TENANT_ID", "tenant-a")
	t.Setenv("AZURE_CLIENT_ID", "app-1")
	t.Setenv("AZURE_CLIENT_SECRET", "s3cret-not-a-secret")
	d := NewDefaultCredential()
	tok, exp, err := d.GetToken(context.Background(), "https://vault.azure.net/.default", "tenant-a")
	if err != nil || tok != "entra-token-not-a-secret" || time.Until(exp) < 50*time.Minute {
		t.Fatalf("token %q %v %v", tok, exp, err)
	}
	path, f := e.last()
	if path != "/tenant-a/oauth2/v2.0/token" || f["grant_type"] != "client_credentials" || f["client_id"] != "app-1" ||
		f["client_secret"] != "s3cret-not-a-secret" || f["scope"] != "https://vault.azure.net/.default" {
		t.Errorf("grant %s %v", path, f)
	}
	// A vault in another tenant needs AZURE_ADDITIONALLY_ALLOWED_TENANTS.
	if _, _, err := d.GetToken(context.Background(), "https://vault.azure.net/.default", "tenant-b"); err == nil || !strings.Contains(err.Error(), "AZURE_ADDITIONALLY_ALLOWED_TENANTS") {
		t.Errorf("other tenant: %v", err)
	}
	t.Setenv("AZURE_ADDITIONALLY_ALLOWED_TENANTS", "tenant-c;tenant-b")
	if _, _, err := d.GetToken(context.Background(), "https://vault.azure.net/.default", "tenant-b"); err != nil {
		t.Errorf("allowed tenant: %v", err)
	}
	if path, _ := e.last(); path != "/tenant-b/oauth2/v2.0/token" {
		t.Errorf("allowed tenant asked at %s", path)
	}
	// A refused secret is an error naming the AADSTS code, not the
	// description (which may quote the request), and no fall-through.
	t.Setenv("AZURE_CLIENT_SECRET", "wrong")
	_, _, err = NewDefaultCredential().GetToken(context.Background(), "https://vault.azure.net/.default", "")
	if err == nil || !strings.Contains(err.Error(), "AADSTS7000215") || strings.Contains(err.Error(), "wrong") || !strings.HasPrefix(err.Error(), "environment:") {
		t.Errorf("refused secret: %v", err)
	}
}

func TestCredentialCertificate(t *testing.T) {
	isolate(t)
	e := newEntra(t)
	app := testcert.New(t, &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sprawl-test"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}, nil, nil)
	path := filepath.Join(t.TempDir(), "app.pem")
	_ = os.WriteFile(path, append(app.CertPEM(), app.KeyPEM(t)...), 0o600)
	t.Setenv("AZURE_AUTHORITY_HOST", e.URL)
	t.Setenv("AZURE_TENANT_ID", "tenant-a")
	t.Setenv("AZURE_CLIENT_ID", "app-1")
	t.Setenv("AZURE_CLIENT_CERTIFICATE_PATH", path)
	if _, _, err := NewDefaultCredential().GetToken(context.Background(), "https://vault.azure.net/.default", ""); err != nil {
		t.Fatal(err)
	}
	_, f := e.last()
	if f["client_assertion_type"] != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" || f["client_secret"] != "" {
		t.Fatalf("grant %v", f)
	}
	parts := strings.Split(f["client_assertion"], ".")
	if len(parts) != 3 {
		t.Fatalf("assertion %q", f["client_assertion"])
	}
	hdr, _ := base64.RawURLEncoding.DecodeString(parts[0])
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var h, c map[string]any
	_ = json.Unmarshal(hdr, &h)
	_ = json.Unmarshal(claims, &c)
	if h["alg"] != "ES256" || h["x5t#S256"] == nil || c["iss"] != "app-1" || c["sub"] != "app-1" || c["aud"] != e.URL+"/tenant-a/oauth2/v2.0/token" {
		t.Errorf("assertion header %v claims %v", h, c)
	}
	// The signature verifies with the certificate's key.
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	if err := app.Cert.CheckSignature(x509.ECDSAWithSHA256, []byte(parts[0]+"."+parts[1]), asn1Sig(sig)); err != nil {
		t.Errorf("assertion signature: %v", err)
	}
}

// asn1Sig turns a JWS ES256 signature (r||s) into ASN.1 DER.
func asn1Sig(sig []byte) []byte {
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	enc := func(i *big.Int) []byte {
		b := i.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return append([]byte{2, byte(len(b))}, b...)
	}
	body := append(enc(r), enc(s)...)
	return append([]byte{0x30, byte(len(body))}, body...)
}

func TestCredentialWorkloadAndManagedIdentity(t *testing.T) {
	isolate(t)
	e := newEntra(t)
	tokenFile := filepath.Join(t.TempDir(), "sa-token")
	_ = os.WriteFile(tokenFile, []byte("federated-jwt-not-a-secret\n"), 0o600)
	t.Setenv("AZURE_AUTHORITY_HOST", e.URL)
	t.Setenv("AZURE_TENANT_ID", "tenant-a")
	t.Setenv("AZURE_CLIENT_ID", "app-1")
	t.Setenv("AZURE_FEDERATED_TOKEN_FILE", tokenFile)
	if _, _, err := NewDefaultCredential().GetToken(context.Background(), "https://vault.azure.net/.default", ""); err != nil {
		t.Fatal(err)
	}
	if _, f := e.last(); f["client_assertion"] != "federated-jwt-not-a-secret" {
		t.Errorf("workload identity grant %v", f)
	}
	// App Service managed identity.
	t.Setenv("AZURE_FEDERATED_TOKEN_FILE", "")
	t.Setenv("AZURE_TENANT_ID", "")
	t.Setenv("IDENTITY_ENDPOINT", e.URL+"/msi/token")
	t.Setenv("IDENTITY_HEADER", "hdr-not-a-secret")
	if _, _, err := NewDefaultCredential().GetToken(context.Background(), "https://vault.azure.net/.default", ""); err != nil {
		t.Fatal(err)
	}
	if path, f := e.last(); path != "/msi/token" || f["resource"] != "https://vault.azure.net" || f["identity-header"] != "hdr-not-a-secret" || f["client_id"] != "app-1" {
		t.Errorf("managed identity request %s %v", path, f)
	}
}

func TestCredentialAzureCLIAndNone(t *testing.T) {
	isolate(t)
	// Nothing configured: one error listing what was tried.
	_, _, err := NewDefaultCredential().GetToken(context.Background(), "https://vault.azure.net/.default", "")
	for _, want := range []string{"no Azure credential", "environment", "managed identity: not configured", "az not installed", "azd not installed"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("no credential: %v, want %q", err, want)
		}
	}
	bin := os.Getenv("PATH")
	script := `#!/bin/sh
case "$*" in *"--resource https://vault.azure.net"*) ;; *) echo "bad args: $*" >&2; exit 2;; esac
echo '{"accessToken":"cli-token-not-a-secret","expires_on":4102444800,"tokenType":"Bearer"}'
`
	if err := os.WriteFile(filepath.Join(bin, "az"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	tok, exp, err := NewDefaultCredential().GetToken(context.Background(), "https://vault.azure.net/.default", "")
	if err != nil || tok != "cli-token-not-a-secret" || exp.Year() != 2100 {
		t.Errorf("az: %q %v %v", tok, exp, err)
	}
}

// TestChallengeResource: a challenge naming a resource outside the
// vault's domain gets no token.
func TestChallengeResource(t *testing.T) {
	asked := 0
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			w.Header().Set("WWW-Authenticate", `Bearer authorization="https://login.microsoftonline.com/tenant-x", resource="https://attacker.example"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		asked++
	}))
	defer srv.Close()
	c := newClient(Config{VaultURL: srv.URL, Credential: fakeCred{}, HTTPClient: srv.Client(), MaxRetries: -1})
	_, err := c.getSecret(context.Background(), "x", "")
	if err == nil || !strings.Contains(err.Error(), "not the vault's domain") || asked != 0 {
		t.Errorf("foreign resource: %v (%d authorised requests)", err, asked)
	}
	ch, err := parseChallenge(`Bearer authorization="https://login.microsoftonline.com/72f988bf/", scope="https://vault.azure.net/.default"`)
	if err != nil || ch.tenant != "72f988bf" || ch.scope != "https://vault.azure.net/.default" {
		t.Errorf("challenge %+v %v", ch, err)
	}
	c.vault, c.verify = "https://myvault.vault.azure.net", true
	if err := c.checkResource(ch); err != nil {
		t.Errorf("own domain refused: %v", err)
	}
	if err := c.checkResource(&challenge{scope: "https://notvault.azure.net/.default"}); err == nil {
		t.Error("a sibling domain passed")
	}
}

type fakeCred struct{}

func (fakeCred) GetToken(context.Context, string, string) (string, time.Time, error) {
	return "t", time.Now().Add(time.Hour), nil
}

package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/internal/testcert"
	"github.com/sprawlsec/sprawl/scanner"
)

// testCert returns a fresh RSA key, a self-signed certificate for it, and
// both as PEM (PKCS #8 key, then the certificate), all made at run time.
func testCert(t testing.TB) (*rsa.PrivateKey, *x509.Certificate, string, string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	c := testcert.New(t, &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: "sprawl synthetic app credential"},
		NotBefore:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC),
	}, key, nil)
	return key, c.Cert, testPEM(t, key), string(c.CertPEM())
}

func sha1Hex(c *x509.Certificate) string {
	s := sha1.Sum(c.Raw)
	return strings.ToUpper(hex.EncodeToString(s[:]))
}

func sha256Hex(c *x509.Certificate) string {
	s := sha256.Sum256(c.Raw)
	return hex.EncodeToString(s[:])
}

// Tenants the fake Entra plays specially.
const (
	azCertBusyTenant    = "5e5e5e5e-0000-4000-8000-000000000503"
	azCertThrottled     = "4a4a4a4a-0000-4000-8000-000000000429"
	azCertUnknownTenant = "9d9d9d9d-0000-4000-8000-000000000002"
)

// fakeEntraCert plays the v2.0 token endpoint's client-credentials grant
// with a certificate credential, as the Microsoft identity platform
// documents it: the client_assertion must name a certificate registered
// on the application (x5t#S256 with PS256, or x5t with RS256), be signed
// by that certificate's key (checked with the certificate's public key),
// and carry aud = this tenant's token URL, iss = sub = client_id, a jti,
// nbf and an exp at most ten minutes ahead. 200 with a token; 401
// AADSTS700027 for an unregistered certificate or a bad signature; 400
// AADSTS700016 for an unknown application; 400 AADSTS90002 for an
// unknown tenant; 503 and 429 for the busy tenants. It keeps every
// verified assertion header and every request body.
type fakeEntraCert struct {
	client string
	certs  []*x509.Certificate

	mu      sync.Mutex
	headers []map[string]string
	bodies  [][]byte
}

func (f *fakeEntraCert) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body := new(bytes.Buffer)
	body.ReadFrom(r.Body)
	f.mu.Lock()
	f.bodies = append(f.bodies, body.Bytes())
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fail := func(status, code int, e string) {
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"error": e, "error_description": "AADSTS" + strconv.Itoa(code) + ": synthetic", "error_codes": []int{code}})
	}
	tenant, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/oauth2/v2.0/token")
	if r.Method != http.MethodPost || !ok || r.Host != azureHost {
		w.WriteHeader(404)
		return
	}
	switch tenant {
	case azCertBusyTenant:
		w.WriteHeader(503)
		return
	case azCertThrottled:
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(429)
		return
	case azCertUnknownTenant:
		fail(400, 90002, "invalid_request")
		return
	}
	form, _ := url.ParseQuery(body.String())
	if form.Get("grant_type") != "client_credentials" || form.Get("scope") != "https://graph.microsoft.com/.default" ||
		form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" || form.Get("client_secret") != "" {
		fail(400, 900144, "invalid_request")
		return
	}
	if form.Get("client_id") != f.client {
		fail(400, 700016, "unauthorized_client")
		return
	}
	parts := strings.Split(form.Get("client_assertion"), ".")
	if len(parts) != 3 {
		fail(401, 700027, "invalid_client")
		return
	}
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	var h map[string]string
	var c struct {
		Aud, Iss, Sub, Jti string
		Nbf, Exp           int64
	}
	_ = json.Unmarshal(hb, &h)
	_ = json.Unmarshal(cb, &c)
	now := time.Now().Unix()
	if c.Aud != "https://"+azureHost+"/"+tenant+"/oauth2/v2.0/token" || c.Iss != f.client || c.Sub != f.client ||
		c.Jti == "" || c.Nbf > now+60 || c.Exp <= now || c.Exp-now > 600 {
		fail(400, 700023, "invalid_client")
		return
	}
	var cert *x509.Certificate
	for _, k := range f.certs {
		s256, s1 := sha256.Sum256(k.Raw), sha1.Sum(k.Raw)
		if h["x5t#S256"] == base64.RawURLEncoding.EncodeToString(s256[:]) || h["x5t"] == base64.RawURLEncoding.EncodeToString(s1[:]) {
			cert = k
		}
	}
	if cert == nil {
		fail(401, 700027, "invalid_client")
		return
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	pub := cert.PublicKey.(*rsa.PublicKey)
	var err error
	switch h["alg"] {
	case "PS256":
		err = rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case "RS256":
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig)
	default:
		err = errBadAlg
	}
	if err != nil {
		fail(401, 700027, "invalid_client")
		return
	}
	f.mu.Lock()
	f.headers = append(f.headers, h)
	f.mu.Unlock()
	json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "expires_in": 3599, "access_token": "synthetic-token"})
}

var errBadAlg = keyError("alg")

func TestAzureCertificateCredential(t *testing.T) {
	rules := builtinRules(t)
	key, cert, keyPEM, certPEM := testCert(t)
	_, otherCert, otherKeyPEM, otherCertPEM := testCert(t) // not registered on the application
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeEntraCert{client: azClient, certs: []*x509.Certificate{cert}}
	srv, pool := testcert.Server(t, fake, azureHost)
	rule := rules["private-key-pkcs8"]
	live := map[string]string{"account": azTenant, "key_id": azClient, "key_name": "certificate " + sha1Hex(cert), "expiry": "certificate expires 2027-06-30"}
	caps := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name     string
		secret   string
		captures map[string]string
		want     scanner.Verification
		alg      string // the assertion's alg the fake verified
		requests int
	}{
		{"live with the certificate", keyPEM, caps("tenant", azTenant, "client_id", azClient, "certificate", certPEM),
			scanner.Verification{Status: scanner.VerifyLive, Identity: live}, "PS256", 1},
		{"live with the certificate, escaped", strings.ReplaceAll(keyPEM, "\n", `\n`), caps("tenant", azTenant, "client_id", azClient, "certificate", strings.ReplaceAll(certPEM, "\n", `\n`)),
			scanner.Verification{Status: scanner.VerifyLive, Identity: live}, "PS256", 1},
		{"live with a SHA-1 thumbprint", keyPEM, caps("tenant", azTenant, "client_id", azClient, "thumbprint", sha1Hex(cert)),
			scanner.Verification{Status: scanner.VerifyLive, Identity: map[string]string{"account": azTenant, "key_id": azClient, "key_name": "certificate " + sha1Hex(cert)}}, "RS256", 1},
		{"live with a SHA-256 thumbprint", keyPEM, caps("tenant", azTenant, "client_id", azClient, "thumbprint", sha256Hex(cert)),
			scanner.Verification{Status: scanner.VerifyLive, Identity: map[string]string{"account": azTenant, "key_id": azClient, "key_name": "certificate " + strings.ToUpper(sha256Hex(cert))}}, "PS256", 1},
		{"live with the tenant from the token URL", keyPEM, caps("token_endpoint", "https://login.microsoftonline.com/"+azTenant+"/oauth2/v2.0/token", "client_id", azClient, "certificate", certPEM),
			scanner.Verification{Status: scanner.VerifyLive, Identity: live}, "PS256", 1},
		{"certificate not registered", otherKeyPEM, caps("tenant", azTenant, "client_id", azClient, "certificate", otherCertPEM),
			scanner.Verification{Status: scanner.VerifyRevoked}, "", 1},
		{"thumbprint of an unregistered certificate", otherKeyPEM, caps("tenant", azTenant, "client_id", azClient, "thumbprint", sha1Hex(otherCert)),
			scanner.Verification{Status: scanner.VerifyRevoked}, "", 1},
		{"registered thumbprint, another key", otherKeyPEM, caps("tenant", azTenant, "client_id", azClient, "thumbprint", sha1Hex(cert)),
			scanner.Verification{Status: scanner.VerifyRevoked}, "", 1},
		{"application not found", keyPEM, caps("tenant", azTenant, "client_id", azGoneClient, "certificate", certPEM),
			scanner.Verification{Status: scanner.VerifyRevoked}, "", 1},
		{"tenant not found", keyPEM, caps("tenant", azCertUnknownTenant, "client_id", azClient, "certificate", certPEM),
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "Entra ID knows no such tenant (AADSTS90002): the key may belong to another provider's tenant"}, "", 1},
		{"server error", keyPEM, caps("tenant", azCertBusyTenant, "client_id", azClient, "certificate", certPEM),
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "unexpected response: status 503"}, "", 1},
		{"throttled", keyPEM, caps("tenant", azCertThrottled, "client_id", azClient, "certificate", certPEM),
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "unexpected response: status 429"}, "", 1},
		// Nothing is sent without every value the grant needs.
		{"no certificate or thumbprint", keyPEM, caps("tenant", azTenant, "client_id", azClient),
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "certificate or its thumbprint not found beside the key"}, "", 0},
		{"no client id", keyPEM, caps("tenant", azTenant, "certificate", certPEM),
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "tenant and client id not found beside the key"}, "", 0},
		{"no tenant", keyPEM, caps("thumbprint", sha1Hex(cert), "client_id", azClient),
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "tenant and client id not found beside the key"}, "", 0},
		{"certificate of another key", keyPEM, caps("tenant", azTenant, "client_id", azClient, "certificate", otherCertPEM),
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "the certificate beside the key is not the key's: not asked"}, "", 0},
		{"thumbprint malformed", keyPEM, caps("tenant", azTenant, "client_id", azClient, "thumbprint", strings.Repeat("ab", 19)+"zz"),
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "certificate thumbprint malformed"}, "", 0},
		{"tenant bends the URL", keyPEM, caps("tenant", "evil.test/x?", "client_id", azClient, "certificate", certPEM),
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "tenant or client id malformed"}, "", 0},
		{"national cloud", keyPEM, caps("tenant", azTenant, "client_id", azClient, "certificate", certPEM, "sovereign_authority", "login.microsoftonline.us"),
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "a national cloud's application (login.microsoftonline.us): not asked at login.microsoftonline.com"}, "", 0},
		{"not an RSA key", testPEM(t, ecKey), caps("tenant", azTenant, "client_id", azClient, "certificate", certPEM),
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "private key: Entra ID certificate credentials are RSA"}, "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake.mu.Lock()
			fake.headers, fake.bodies = nil, nil
			fake.mu.Unlock()
			v := testVerifier(srv, pool, Options{})
			got := v.Verify(context.Background(), Candidate{Rule: rule, Secret: tc.secret, Captures: tc.captures})
			got.CheckedAt = time.Time{}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
			fake.mu.Lock()
			defer fake.mu.Unlock()
			if len(fake.bodies) != tc.requests {
				t.Fatalf("%d requests, want %d", len(fake.bodies), tc.requests)
			}
			if tc.alg != "" && (len(fake.headers) != 1 || fake.headers[0]["alg"] != tc.alg) {
				t.Errorf("verified assertion headers %v, want one signed %s", fake.headers, tc.alg)
			}
			// The key never leaves: not its PEM, not its DER in any encoding.
			der, _ := x509.MarshalPKCS8PrivateKey(key)
			for _, b := range fake.bodies {
				for _, s := range []string{"PRIVATE KEY", base64.StdEncoding.EncodeToString(der)[:64], base64.RawURLEncoding.EncodeToString(der)[:64]} {
					if bytes.Contains(b, []byte(s)) {
						t.Fatalf("the request carries key material (%q)", s[:11])
					}
				}
			}
		})
	}
}

// A private key is an Entra certificate credential only beside an Entra
// sign (a tenant, a thumbprint, Entra's token URL); beside its
// certificate alone it is a TLS server's key and has no validator.
func TestAzureCertificateApplies(t *testing.T) {
	rules := builtinRules(t)
	_, _, keyPEM, certPEM := testCert(t)
	for _, tc := range []struct {
		captures map[string]string
		want     bool
	}{
		{map[string]string{"certificate": certPEM}, false},
		{map[string]string{"certificate": certPEM, "client_id": azClient}, false},
		{map[string]string{"tenant": azTenant}, true},
		{map[string]string{"thumbprint": strings.Repeat("AB", 20)}, true},
		{map[string]string{"token_endpoint": "https://login.microsoftonline.com/" + azTenant + "/oauth2/v2.0/token"}, true},
		{map[string]string{"token_endpoint": epicToken}, true}, // SMART
		{nil, false},
	} {
		f := scanner.Finding{RuleID: "private-key-pkcs8", Secret: keyPEM, Captures: tc.captures}
		if got := HasValidator(rules["private-key-pkcs8"], f); got != tc.want {
			t.Errorf("captures %v: HasValidator %v, want %v", keys(tc.captures), got, tc.want)
		}
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestScannedAzureCertificate: a certificate credential found by a scan
// (a PEM bundle in Helm values beside the tenant and client id; a .env
// holding the bundle with escaped newlines; a key beside appsettings'
// CertificateThumbprint) is asked about at Entra ID and reads live or
// revoked; the same bundle with no tenant beside it is a TLS key, with no
// validator and no request.
func TestScannedAzureCertificate(t *testing.T) {
	_, cert, keyPEM, certPEM := testCert(t)
	_, _, otherKeyPEM, otherCertPEM := testCert(t)
	indent := func(s string) string {
		return "    " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n    ")
	}
	values := func(k, c string) string {
		return "azure:\n  tenantId: " + azTenant + "\n  clientId: " + azClient + "\n  certificate: |\n" + indent(k+c) + "\n"
	}
	escaped := func(s string) string { return strings.ReplaceAll(s, "\n", `\n`) }
	fs := scanFiles(t, map[string]string{
		"live/values.yaml":    values(keyPEM, certPEM),
		"revoked/values.yaml": values(otherKeyPEM, otherCertPEM),
		"ci/.env": "AZURE_TENANT_ID=" + azTenant + "\nAZURE_CLIENT_ID=" + azClient +
			"\nAZURE_CLIENT_CERTIFICATE=\"" + escaped(keyPEM+certPEM) + "\"\n",
		"app/appsettings.json": "{\n  \"AzureAd\": {\n    \"TenantId\": \"" + azTenant + "\",\n    \"ClientId\": \"" + azClient +
			"\",\n    \"ClientCertificates\": [{\"SourceType\": \"StoreWithThumbprint\", \"CertificateThumbprint\": \"" + sha1Hex(cert) +
			"\"}],\n    \"PrivateKey\": \"" + escaped(keyPEM) + "\"\n  }\n}\n",
		"tls/server.pem": keyPEM + certPEM,
	})
	fake := &fakeEntraCert{client: azClient, certs: []*x509.Certificate{cert}}
	srv, pool := testcert.Server(t, fake, azureHost)
	v := testVerifier(srv, pool, Options{})
	v.Findings(context.Background(), builtinRules(t), fs, 2)
	want := map[string]string{
		"live/values.yaml":     "live",
		"revoked/values.yaml":  "revoked",
		"ci/.env":              "live",
		"app/appsettings.json": "live",
		"tls/server.pem":       "unknown: no validator",
	}
	if d := cmp.Diff(want, statusOf(fs, "private-key-pkcs8")); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
	if n := len(fake.bodies); n != 4 {
		t.Errorf("%d requests, want 4 (none for the TLS key)", n)
	}
}

// Every rule the key-credential validator serves reads, from the lines
// around the key, each value the Entra and SMART grants need.
func TestKeyCredentialRulesProvideCaptures(t *testing.T) {
	rules := builtinRules(t)
	need := []string{azureTenantCapture, azureClientCapture, azureCertCapture, azureThumbprintCapture, azureSovereignCapture, smartEndpointCapture, smartKidCapture}
	for id, p := range programs {
		if p != keyCredential {
			continue
		}
		r := rules[id]
		if r == nil {
			t.Fatalf("%s: no such rule", id)
		}
		have := map[string]bool{}
		for _, n := range r.Nearby.Names() {
			have[n] = true
		}
		for _, n := range need {
			if !have[n] {
				t.Errorf("%s: nearby gives no %s", id, n)
			}
		}
	}
}

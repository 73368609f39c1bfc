package verify

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/internal/testcert"
	"github.com/sprawlsec/sprawl/scanner"
)

// Synthetic SMART backend clients.
const (
	epicToken      = "https://fhir.epic.com/interconnect-fhir-oauth/oauth2/token"
	cernerTenant   = "ec2458f2-1e24-41c8-b71b-0e701af7583d"
	cernerToken    = "https://authorization.cerner.com/tenants/" + cernerTenant + "/protocols/oauth2/profiles/smart-v1/token"
	customerToken  = "https://ehr.hospital.example/interconnect-prd-oauth/oauth2/token"
	smartClient    = "5a684d86-0c2b-4f3e-9a1d-7b6c5e4d3f21"
	smartECClient  = "87b94317-1d2e-4c3b-8a4f-6e5d4c3b2a10"
	smartGone      = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
	smartBusy      = "b0b0b0b0-1111-4222-8333-444455556666"
	smartSecretKey = "SYSTEM_ACCOUNT_CLIENT_SECRET"
)

var smartSecret = "Zx8" + "Qm2Lp7Rt4Vw9Ky3Nb6Hd1Jf5Gs0Ac8Ue"

// smartFake plays a SMART backend-services token endpoint as the HL7
// profile and Epic's and Oracle Health's guides document it: a
// client_credentials grant authenticated by a client_assertion (RS384 or
// ES384, iss = sub = client id, aud = this endpoint, exp at most five
// minutes ahead, a jti) or by basic auth; 200 with a bearer token, its
// lifetime and scope; 400 invalid_client for an unknown client or a bad
// signature, 401 invalid_client for a wrong secret; 503 for smartBusy. It
// keeps every byte it received per host.
type smartFake struct {
	keys    map[string]crypto.PublicKey
	secrets map[string]string
	mu      sync.Mutex
	got     map[string][]byte
}

func (f *smartFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var raw bytes.Buffer
	r.Write(&raw)
	f.mu.Lock()
	if f.got == nil {
		f.got = map[string][]byte{}
	}
	f.got[r.Host] = append(f.got[r.Host], raw.Bytes()...)
	f.mu.Unlock()
	r2, _ := http.ReadRequest(bufioReader(raw.Bytes()))
	_ = r2.ParseForm()
	w.Header().Set("Content-Type", "application/json")
	fail := func(status int, e string) {
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"error": e, "error_description": "synthetic"})
	}
	aud := "https://" + r.Host + r.URL.Path
	if r.Method != http.MethodPost || r2.PostForm.Get("grant_type") != "client_credentials" {
		fail(400, "unsupported_grant_type")
		return
	}
	client := ""
	if a := r2.PostForm.Get("client_assertion"); a != "" {
		if r2.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			fail(400, "invalid_request")
			return
		}
		parts := strings.Split(a, ".")
		if len(parts) != 3 {
			fail(400, "invalid_client")
			return
		}
		hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
		cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		var h struct{ Alg, Typ string }
		var c struct {
			Iss, Sub, Aud, Jti string
			Exp, Iat, Nbf      int64
		}
		_ = json.Unmarshal(hb, &h)
		_ = json.Unmarshal(cb, &c)
		if c.Iss != c.Sub || c.Aud != aud || c.Jti == "" || c.Exp-c.Iat > 300 || c.Exp <= time.Now().Unix() {
			fail(400, "invalid_client")
			return
		}
		if c.Iss == smartBusy {
			w.WriteHeader(503)
			return
		}
		sum := sha512.Sum384([]byte(parts[0] + "." + parts[1]))
		ok := false
		switch k := f.keys[c.Iss].(type) {
		case *rsa.PublicKey:
			ok = h.Alg == "RS384" && rsa.VerifyPKCS1v15(k, crypto.SHA384, sum[:], sig) == nil
		case *ecdsa.PublicKey:
			ok = h.Alg == "ES384" && len(sig) == 96 &&
				ecdsa.Verify(k, sum[:], new(big.Int).SetBytes(sig[:48]), new(big.Int).SetBytes(sig[48:]))
		}
		if !ok {
			fail(400, "invalid_client")
			return
		}
		client = c.Iss
	} else {
		id, secret, ok := r.BasicAuth()
		if !ok {
			fail(401, "invalid_client")
			return
		}
		if id == smartBusy {
			w.WriteHeader(502)
			return
		}
		if want, known := f.secrets[id]; !known || want != secret {
			fail(401, "invalid_client")
			return
		}
		client = id
	}
	json.NewEncoder(w).Encode(map[string]any{"access_token": "synthetic-" + client, "token_type": "bearer", "expires_in": 570, "scope": "system/Patient.read system/Observation.read"})
}

func (f *smartFake) received(host string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.got[host]
}

// testPEM returns key's PKCS #8 PEM.
func testPEM(t testing.TB, key any) string {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE" + " KEY", Bytes: der}))
}

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// ecJWK returns a P-384 key's private JWK as JSON and its d member.
func ecJWK(t testing.TB, k *ecdsa.PrivateKey) (string, string) {
	pub, err := k.PublicKey.Bytes() // 0x04 ‖ X ‖ Y
	if err != nil {
		t.Fatal(err)
	}
	d, err := k.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return `{"kty": "EC", "crv": "P-384", "kid": "backend-1", "x": "` + b64u(pub[1:49]) + `", "y": "` + b64u(pub[49:]) + `", "d": "` + b64u(d) + `"}`, b64u(d)
}

func TestSMARTBackendServices(t *testing.T) {
	rules := builtinRules(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwk, d := ecJWK(t, ecKey)
	fake := &smartFake{
		keys:    map[string]crypto.PublicKey{smartClient: &rsaKey.PublicKey, smartECClient: &ecKey.PublicKey, smartBusy: &rsaKey.PublicKey},
		secrets: map[string]string{smartClient: smartSecret},
	}
	srv, pool := testcert.Server(t, fake, "fhir.epic.com", "authorization.cerner.com", "ehr.hospital.example", "evil.example")
	pemLive, pemOther := testPEM(t, rsaKey), testPEM(t, otherKey)
	// A key as YAML keeps it: indented, with the JSON escapes of a .env.
	pemIndented := strings.ReplaceAll("    "+strings.TrimSpace(pemLive), "\n", "\n    ")
	pemEscaped := strings.ReplaceAll(pemLive, "\n", `\n`)
	caps := func(client, endpoint string) map[string]string {
		return map[string]string{"client_id": client, "token_endpoint": endpoint}
	}
	liveID := func(client string) map[string]string {
		return map[string]string{"key_id": client, "scopes": "system/Patient.read system/Observation.read", "expiry": "token expires_in 570s"}
	}
	cases := []struct {
		name, rule, secret string
		captures           map[string]string
		userHosts          []string
		want               scanner.Verification
		asked              string // the host that must have been asked, "" for none
	}{
		{"RSA key, Epic sandbox", "private-key-pkcs8", pemLive, caps(smartClient, epicToken), nil,
			scanner.Verification{Status: scanner.VerifyLive, Identity: liveID(smartClient)}, "fhir.epic.com"},
		{"RSA key indented", "private-key-pkcs8", pemIndented, caps(smartClient, epicToken), nil,
			scanner.Verification{Status: scanner.VerifyLive, Identity: liveID(smartClient)}, "fhir.epic.com"},
		{"RSA key escaped", "private-key-pkcs8", pemEscaped, caps(smartClient, epicToken), nil,
			scanner.Verification{Status: scanner.VerifyLive, Identity: liveID(smartClient)}, "fhir.epic.com"},
		{"key no longer registered", "private-key-pkcs8", pemOther, caps(smartClient, epicToken), nil,
			scanner.Verification{Status: scanner.VerifyRevoked}, "fhir.epic.com"},
		{"unknown client", "private-key-pkcs8", pemLive, caps(smartGone, epicToken), nil,
			scanner.Verification{Status: scanner.VerifyRevoked}, "fhir.epic.com"},
		{"server error", "private-key-pkcs8", pemLive, caps(smartBusy, epicToken), nil,
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "unexpected response: status 503"}, "fhir.epic.com"},
		{"P-384 JWK, Oracle Health", "jwk-private-key", d, map[string]string{"client_id": smartECClient, "token_endpoint": cernerToken, "jwk": jwk}, nil,
			scanner.Verification{Status: scanner.VerifyLive, Identity: liveID(smartECClient)}, "authorization.cerner.com"},
		{"JWK whose d is another's", "jwk-private-key", "AAAA" + d[4:], map[string]string{"client_id": smartECClient, "token_endpoint": cernerToken, "jwk": jwk}, nil,
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "private key: JWK not found around the private member"}, ""},
		{"client secret, Oracle Health", "cerner-system-account-secret", smartSecret, caps(smartClient, cernerToken), nil,
			scanner.Verification{Status: scanner.VerifyLive, Identity: liveID(smartClient)}, "authorization.cerner.com"},
		{"wrong client secret", "cerner-system-account-secret", "Wr0ng" + smartSecret, caps(smartClient, cernerToken), nil,
			scanner.Verification{Status: scanner.VerifyRevoked}, "authorization.cerner.com"},
		{"client secret, 5xx", "cerner-system-account-secret", smartSecret, caps(smartBusy, cernerToken), nil,
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "unexpected response: status 502"}, "authorization.cerner.com"},
		{"customer endpoint not named", "epic-client-secret", smartSecret, caps(smartClient, customerToken), nil,
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "token endpoint ehr.hospital.example is not an EHR vendor's: add it to --verify-hosts to ask it"}, ""},
		{"customer endpoint named by the user", "epic-client-secret", smartSecret, caps(smartClient, customerToken), []string{"ehr.hospital.example"},
			scanner.Verification{Status: scanner.VerifyLive, Identity: liveID(smartClient)}, "ehr.hospital.example"},
		{"hostile endpoint, secret", "smart-client-secret-fhir-context", smartSecret, caps(smartClient, "https://evil.example/oauth2/token"), nil,
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "token endpoint evil.example is not an EHR vendor's: add it to --verify-hosts to ask it"}, ""},
		{"hostile endpoint, key", "private-key-rsa", pemLive, caps(smartClient, "https://evil.example/oauth2/token"), nil,
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "token endpoint evil.example is not an EHR vendor's: add it to --verify-hosts to ask it"}, ""},
		{"look-alike domain", "epic-client-secret", smartSecret, caps(smartClient, "https://fhir.epic.com.evil.example/oauth2/token"), nil,
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "token endpoint fhir.epic.com.evil.example is not an EHR vendor's: add it to --verify-hosts to ask it"}, ""},
		{"http endpoint", "epic-client-secret", smartSecret, caps(smartClient, "http://fhir.epic.com/interconnect-fhir-oauth/oauth2/token"), nil,
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "token endpoint is not a plain https URL: not asked"}, ""},
		{"endpoint with a port", "epic-client-secret", smartSecret, caps(smartClient, "https://fhir.epic.com:8443/oauth2/token"), nil,
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "token endpoint is not a plain https URL: not asked"}, ""},
		{"endpoint at an address", "epic-client-secret", smartSecret, caps(smartClient, "https://10.1.2.3/oauth2/token"), []string{"10.1.2.3"},
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "token endpoint host 10.1.2.3 is not a DNS name: not asked"}, ""},
		{"no client id", "epic-client-secret", smartSecret, map[string]string{"token_endpoint": epicToken}, nil,
			scanner.Verification{Status: scanner.VerifyUnknown, Reason: "client id and token endpoint not found beside the credential"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake.mu.Lock()
			fake.got = nil
			fake.mu.Unlock()
			v := testVerifier(srv, pool, Options{Hosts: tc.userHosts})
			got := v.Verify(context.Background(), Candidate{Rule: rules[tc.rule], Secret: tc.secret, Captures: tc.captures, Fingerprint: "fp-" + tc.name})
			got.CheckedAt = time.Time{}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
			fake.mu.Lock()
			var hosts []string
			for h := range fake.got {
				hosts = append(hosts, h)
			}
			fake.mu.Unlock()
			want := []string(nil)
			if tc.asked != "" {
				want = []string{tc.asked}
			}
			if d := cmp.Diff(want, hosts); d != "" {
				t.Errorf("hosts asked (-want +got)\n%s", d)
			}
			// The private key never leaves: only the signed assertion does.
			for h := range fake.got {
				b := fake.received(h)
				if strings.Contains(tc.rule, "key") && (bytes.Contains(b, []byte("PRIVATE")) || bytes.Contains(b, []byte(b64u(rsaKey.D.Bytes())[:40])) || bytes.Contains(b, []byte(d))) {
					t.Errorf("%s received key material", h)
				}
			}
		})
	}
}

// TestSMARTSecretNeverToAnotherHost: a client secret whose endpoint is
// hostile is not sent; the hostile host receives no byte.
func TestSMARTSecretNeverToAnotherHost(t *testing.T) {
	rules := builtinRules(t)
	fake := &smartFake{secrets: map[string]string{smartClient: smartSecret}}
	srv, pool := testcert.Server(t, fake, "fhir.epic.com", "evil.example")
	v := testVerifier(srv, pool, Options{})
	for _, endpoint := range []string{"https://evil.example/oauth2/token", "https://evil.example./oauth2/token", "https://EVIL.example/x", "https://fhir.epic.com@evil.example/oauth2/token"} {
		v.Verify(context.Background(), Candidate{Rule: rules["epic-client-secret"], Secret: smartSecret, Captures: map[string]string{"client_id": smartClient, "token_endpoint": endpoint}})
	}
	if b := fake.received("evil.example"); len(b) != 0 {
		t.Fatalf("evil.example received %d bytes", len(b))
	}
}

// TestScannedSMARTBackendKey: a backend client's key in a scanned
// configuration, with its client id and Epic's token endpoint beside it,
// is verified live; the same key beside no token endpoint has no
// validator (a TLS key is not asked about anywhere).
func TestScannedSMARTBackendKey(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := testPEM(t, key)
	indented := "    " + strings.ReplaceAll(strings.TrimSpace(p), "\n", "\n    ")
	fs := scanFiles(t, map[string]string{
		"epic/backend.yaml": "smart:\n  client_id: " + smartClient + "\n  token_url: " + epicToken + "\n  private_key: |\n" + indented + "\n",
		"tls/server.key":    p,
	})
	fake := &smartFake{keys: map[string]crypto.PublicKey{smartClient: &key.PublicKey}}
	srv, pool := testcert.Server(t, fake, "fhir.epic.com")
	v := testVerifier(srv, pool, Options{})
	v.Findings(context.Background(), builtinRules(t), fs, 2)
	want := map[string]string{"epic/backend.yaml": "live", "tls/server.key": "unknown: no validator"}
	if d := cmp.Diff(want, statusOf(fs, "private-key-pkcs8")); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }

// TestSMARTRedirectNotFollowed: a token endpoint that redirects elsewhere
// is unknown; the other host receives no byte, so neither the client
// secret nor the assertion reaches it.
func TestSMARTRedirectNotFollowed(t *testing.T) {
	rules := builtinRules(t)
	var other bytes.Buffer
	var mu sync.Mutex
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host == "evil.example" {
			mu.Lock()
			r.Write(&other)
			mu.Unlock()
			return
		}
		http.Redirect(w, r, "https://evil.example/steal", http.StatusTemporaryRedirect)
	})
	srv, pool := testcert.Server(t, h, "fhir.epic.com", "evil.example")
	v := testVerifier(srv, pool, Options{})
	for _, rule := range []string{"epic-client-secret", "private-key-pkcs8"} {
		secret := smartSecret
		if rule == "private-key-pkcs8" {
			k, _ := rsa.GenerateKey(rand.Reader, 2048)
			secret = testPEM(t, k)
		}
		got := v.Verify(context.Background(), Candidate{Rule: rules[rule], Secret: secret, Captures: map[string]string{"client_id": smartClient, "token_endpoint": epicToken}})
		if got.Status != scanner.VerifyUnknown || got.Reason != "unexpected response: status 307" {
			t.Errorf("%s: %s (%s), want unknown (status 307)", rule, got.Status, got.Reason)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if other.Len() != 0 || bytes.Contains(other.Bytes(), []byte(smartSecret)) {
		t.Fatalf("the redirect's host received %d bytes", other.Len())
	}
}

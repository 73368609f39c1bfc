package verify

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/internal/testcert"
	"github.com/sprawlsec/sprawl/scanner"
)

// testRSAKey returns a fresh RSA key and its PKCS #8 PEM, newlines escaped
// as in a service-account JSON file.
func testRSAKey(t testing.TB) (*rsa.PrivateKey, string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	p := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE" + " KEY", Bytes: der})
	return k, strings.ReplaceAll(string(p), "\n", `\n`)
}

// fakeGoogleToken plays the token endpoint's JWT-bearer grant as
// documented: it checks the assertion's RS256 signature against the
// account's public key and its claims; a token for a good assertion,
// 400 invalid_grant "Invalid JWT Signature." for another key, 400
// invalid_grant "account not found" for an unknown account, 503 for
// busy@.
func fakeGoogleToken(accounts map[string]*rsa.PublicKey, calls *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fail := func(status int, e, d string) {
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]string{"error": e, "error_description": d})
		}
		_ = r.ParseForm()
		if r.Method != http.MethodPost || r.URL.Path != "/token" || r.Host != "oauth2.googleapis.com" ||
			r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
			fail(400, "unsupported_grant_type", "Invalid grant_type")
			return
		}
		parts := strings.Split(r.PostForm.Get("assertion"), ".")
		if len(parts) != 3 {
			fail(400, "invalid_grant", "Invalid JWT")
			return
		}
		cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var claims struct {
			Iss      string `json:"iss"`
			Aud      string `json:"aud"`
			Iat, Exp int64
		}
		_ = json.Unmarshal(cb, &claims)
		if strings.HasPrefix(claims.Iss, "busy@") {
			w.WriteHeader(503)
			return
		}
		pub, ok := accounts[claims.Iss]
		if !ok {
			fail(400, "invalid_grant", "Invalid grant: account not found")
			return
		}
		if claims.Aud != "https://oauth2.googleapis.com/token" || claims.Exp-claims.Iat > 3600 || claims.Exp <= claims.Iat {
			fail(400, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.")
			return
		}
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) != nil {
			fail(400, "invalid_grant", "Invalid JWT Signature.")
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"access_token": "synthetic-token", "expires_in": 3599, "token_type": "Bearer"})
	})
}

func TestGoogleServiceAccount(t *testing.T) {
	rules := builtinRules(t)
	key, keyPEM := testRSAKey(t)
	_, otherPEM := testRSAKey(t)
	email := "ci-deploy@example-project.iam.gserviceaccount.com"
	keyID := strings.Repeat("3f9a", 10)
	var calls atomic.Int32
	srv, pool := testcert.Server(t, fakeGoogleToken(map[string]*rsa.PublicKey{email: &key.PublicKey}, &calls), "oauth2.googleapis.com")
	v := testVerifier(srv, pool, Options{})
	cases := []struct {
		name, email, key string
		want             scanner.Verification
		requests         int32
	}{
		{"live", email, keyPEM, scanner.Verification{Status: scanner.VerifyLive, Identity: map[string]string{"account": email, "key_id": keyID}}, 1},
		{"deleted key", email, otherPEM, scanner.Verification{Status: scanner.VerifyRevoked}, 1},
		{"deleted account", "gone@example-project.iam.gserviceaccount.com", keyPEM, scanner.Verification{Status: scanner.VerifyRevoked}, 1},
		{"server error", "busy@example-project.iam.gserviceaccount.com", keyPEM, scanner.Verification{Status: scanner.VerifyUnknown, Reason: "unexpected response: status 503"}, 1},
		{"no captures", "", "", scanner.Verification{Status: scanner.VerifyUnknown, Reason: "client e-mail and private key not found beside the key id"}, 0},
		{"not a service account", "someone@example.com", keyPEM, scanner.Verification{Status: scanner.VerifyUnknown, Reason: "client e-mail malformed"}, 0},
		{"not a key", email, "-----BEGIN X-----", scanner.Verification{Status: scanner.VerifyUnknown, Reason: "private key: not a PEM RSA private key"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := calls.Load()
			c := Candidate{Rule: rules["gcp-service-account-key"], Secret: keyID}
			if tc.email != "" {
				c.Captures = map[string]string{googleEmailCapture: tc.email, googleKeyCapture: tc.key}
			}
			got := v.Verify(context.Background(), c)
			got.CheckedAt = time.Time{}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
			if n := calls.Load() - before; n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
		})
	}
}

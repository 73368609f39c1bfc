package verify

import (
	"context"
	"crypto/rsa"
	"crypto/sha1"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/internal/testcert"
	"github.com/sprawlsec/sprawl/scanner"
)

// scanFiles writes files into a fresh directory and scans it with the
// built-in rules, as 'sprawl scan dir' does.
func scanFiles(t *testing.T, files map[string]string) []scanner.Finding {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := detectors.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	m, err := detectors.NewMatcher(rs, detectors.Allowlist{})
	if err != nil {
		t.Fatal(err)
	}
	e := &scanner.Engine{Matcher: m, Workers: 2, FingerprintKey: []byte("test-key")}
	res, err := e.Run(context.Background(), &scanner.DirSource{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	return res.Findings
}

// statusOf returns file → rule → status (and reason, for unknown).
func statusOf(fs []scanner.Finding, rule string) map[string]string {
	out := map[string]string{}
	for _, f := range fs {
		if f.RuleID != rule || f.Verification == nil {
			continue
		}
		s := f.Verification.Status
		if s == scanner.VerifyUnknown {
			s += ": " + f.Verification.Reason
		}
		out[f.File] = s
	}
	return out
}

// TestScannedAzureClientSecret: an Entra ID client secret found in a
// configuration file, with the tenant and client id written beside it,
// is asked about at the token endpoint and reads live or revoked; without
// them it is unknown and nothing is sent.
func TestScannedAzureClientSecret(t *testing.T) {
	secret := "Qx7" + "8Q~" + "aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2z"
	gone := "Rw2" + "8Q~" + "zY9xW7vU5tS3rQ1pN8mL6kJ4hG2fE0dC7b"
	appsettings := func(s string) string {
		return `{
  "AzureAd": {
    "Instance": "https://login.microsoftonline.com/",
    "TenantId": "` + azTenant + `",
    "ClientId": "` + azClient + `",
    "ClientSecret": "` + s + `"
  }
}
`
	}
	fs := scanFiles(t, map[string]string{
		"live/appsettings.json":    appsettings(secret),
		"revoked/appsettings.json": appsettings(gone),
		"terraform/main.tf": "provider \"azurerm\" {\n  tenant_id = \"" + azTenant + "\"\n  client_id = \"" + azGoneClient +
			"\"\n  client_secret = \"" + secret + "\"\n  features {}\n}\n",
		"bare/.env": "AZURE_CLIENT_SECRET=" + secret + "\n",
	})
	var calls atomic.Int32
	srv, pool := testcert.Server(t, fakeEntraFor(secret, &calls), azureHost)
	v := testVerifier(srv, pool, Options{})
	v.Findings(context.Background(), builtinRules(t), fs, 4)
	want := map[string]string{
		"live/appsettings.json":    "live",
		"revoked/appsettings.json": "revoked",
		"terraform/main.tf":        "revoked", // AADSTS700016: no such application
		"bare/.env":                "unknown: tenant and client id not found beside the secret",
	}
	if d := cmp.Diff(want, statusOf(fs, "azure-entra-client-secret")); d != "" {
		t.Errorf("statuses (-want +got)\n%s", d)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d requests, want 3 (none for the secret without ids)", n)
	}
	for _, f := range fs {
		if f.File == "live/appsettings.json" && f.RuleID == "azure-entra-client-secret" {
			if d := cmp.Diff(map[string]string{"account": azTenant, "key_id": azClient}, f.Verification.Identity); d != "" {
				t.Errorf("identity (-want +got)\n%s", d)
			}
		}
	}
}

// TestScannedGoogleServiceAccount: a service-account key file found by a
// scan carries its e-mail, private key and token URI to the validator,
// which signs an assertion with the key: live for the account's key,
// revoked for a deleted one, unknown for a key file that names another
// token endpoint (no request).
func TestScannedGoogleServiceAccount(t *testing.T) {
	key, keyPEM := testRSAKey(t)
	_, otherPEM := testRSAKey(t)
	email := "ci-deploy@example-project.iam.gserviceaccount.com"
	keyFile := func(pem, seed, tokenURI string) string {
		id := fmt.Sprintf("%x", sha1.Sum([]byte(seed)))
		return `{
  "type": "service_account",
  "project_id": "example-project",
  "private_key_id": "` + id + `",
  "private_key": "` + pem + `",
  "client_email": "` + email + `",
  "client_id": "104629317542081736512",
  "auth_uri": "https://accounts.google.com/o/oauth2/auth",
  "token_uri": "` + tokenURI + `"
}
`
	}
	fs := scanFiles(t, map[string]string{
		"live/sa.json":    keyFile(keyPEM, "live", "https://oauth2.googleapis.com/token"),
		"revoked/sa.json": keyFile(otherPEM, "revoked", "https://oauth2.googleapis.com/token"),
		"other/sa.json":   keyFile(keyPEM, "other", "https://sts.example-universe.test/token"),
	})
	var calls atomic.Int32
	srv, pool := testcert.Server(t, fakeGoogleToken(map[string]*rsa.PublicKey{email: &key.PublicKey}, &calls), googleHost)
	v := testVerifier(srv, pool, Options{})
	v.Findings(context.Background(), builtinRules(t), fs, 4)
	want := map[string]string{
		"live/sa.json":    "live",
		"revoked/sa.json": "revoked",
		"other/sa.json":   "unknown: the key file names another token endpoint (https://sts.example-universe.test/token): not asked at oauth2.googleapis.com",
	}
	if d := cmp.Diff(want, statusOf(fs, "gcp-service-account-key")); d != "" {
		t.Errorf("statuses (-want +got)\n%s", d)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	for _, f := range fs {
		if f.RuleID == "gcp-service-account-key" && f.Captures[googleKeyCapture] == "" {
			t.Errorf("%s: no private key captured", f.File)
		}
	}
}

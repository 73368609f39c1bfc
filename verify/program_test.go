package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/internal/sigv4"
	"github.com/sprawlsec/sprawl/internal/testcert"
	"github.com/sprawlsec/sprawl/scanner"
)

// Synthetic AWS key pairs, built at run time.
var (
	awsLiveID     = "AKIA" + strings.Repeat("QZ2X", 4)
	awsLiveSecret = strings.Repeat("kP7/", 10)
	awsGoneID     = "AKIA" + strings.Repeat("GN3W", 4)
	awsBusyID     = "AKIA" + strings.Repeat("BS4Y", 4)
)

func builtinRules(t testing.TB) map[string]*detectors.Rule {
	t.Helper()
	rs, err := detectors.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]*detectors.Rule{}
	for _, r := range rs {
		m[r.ID] = r
	}
	return m
}

// fakeSTS plays sts:GetCallerIdentity as documented: it checks the
// request's SigV4 signature with internal/sigv4 (checked against the
// AWS Signature Version 4 test suite) over the request as received, answers 200
// with the caller's identity for a known key whose signature holds, 403
// InvalidClientTokenId for an unknown key id, 403 SignatureDoesNotMatch
// for a wrong secret, and 503 for awsBusyID.
func fakeSTS(t testing.TB, calls *atomic.Int32) http.Handler {
	keys := map[string]string{awsLiveID: awsLiveSecret, awsBusyID: awsLiveSecret}
	fail := func(w http.ResponseWriter, status int, code string) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>%s</Code><Message>synthetic</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`, code)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/" || r.Host != "sts.amazonaws.com" {
			fail(w, 400, "InvalidAction")
			return
		}
		if form, _ := url.ParseQuery(string(body)); form.Get("Action") != "GetCallerIdentity" || form.Get("Version") != "2011-06-15" {
			fail(w, 400, "InvalidAction")
			return
		}
		auth := r.Header.Get("Authorization")
		var id string
		if _, rest, ok := strings.Cut(auth, "Credential="); ok {
			id, _, _ = strings.Cut(rest, "/")
		}
		secret, ok := keys[id]
		if !ok {
			fail(w, 403, "InvalidClientTokenId")
			return
		}
		at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
		if err != nil {
			fail(w, 400, "IncompleteSignature")
			return
		}
		check, _ := http.NewRequest(http.MethodPost, "https://sts.amazonaws.com/", nil)
		check.Header.Set("Content-Type", r.Header.Get("Content-Type"))
		sigv4.Sign(check, body, sigv4.Credentials{AccessKeyID: id, SecretAccessKey: secret}, "us-east-1", "sts", at)
		if check.Header.Get("Authorization") != auth {
			fail(w, 403, "SignatureDoesNotMatch")
			return
		}
		if id == awsBusyID {
			fail(w, 503, "ServiceUnavailable")
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`+
			`<Arn>arn:aws:iam::123456789012:user/ci-deploy</Arn><UserId>AIDASYNTHETIC</UserId><Account>123456789012</Account>`+
			`</GetCallerIdentityResult><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	})
}

func TestAWSKeyPair(t *testing.T) {
	rules := builtinRules(t)
	var calls atomic.Int32
	srv, pool := testcert.Server(t, fakeSTS(t, &calls), "sts.amazonaws.com")
	v := testVerifier(srv, pool, Options{})
	rule := rules["aws-secret-access-key"]
	cases := []struct {
		name, id, secret string
		want             scanner.Verification
	}{
		{"live", awsLiveID, awsLiveSecret, scanner.Verification{Status: scanner.VerifyLive, Identity: map[string]string{
			"key_id": awsLiveID, "user": "arn:aws:iam::123456789012:user/ci-deploy", "account": "123456789012"}}},
		{"unknown key id", awsGoneID, awsLiveSecret, scanner.Verification{Status: scanner.VerifyRevoked}},
		{"wrong secret", awsLiveID, strings.Repeat("Wr0/", 10), scanner.Verification{Status: scanner.VerifyRevoked}},
		{"server error", awsBusyID, awsLiveSecret, scanner.Verification{Status: scanner.VerifyUnknown, Reason: "unexpected response: status 503 (ServiceUnavailable)"}},
		{"no key id", "", awsLiveSecret, scanner.Verification{Status: scanner.VerifyUnknown, Reason: "no access key id found beside the secret"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Candidate{Rule: rule, Secret: tc.secret}
			if tc.id != "" {
				c.Captures = map[string]string{awsKeyIDCapture: tc.id}
			}
			got := v.Verify(context.Background(), c)
			got.CheckedAt = time.Time{}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

// A scan's findings: the key id and the secret found in one file are
// paired, both findings get the answer, and the pair costs one request.
func TestFindingsPairAWSKeys(t *testing.T) {
	rules := builtinRules(t)
	var calls atomic.Int32
	srv, pool := testcert.Server(t, fakeSTS(t, &calls), "sts.amazonaws.com")
	v := testVerifier(srv, pool, Options{})
	fs := []scanner.Finding{
		{RuleID: "aws-access-key-id", File: "a/creds", Line: 2, Secret: awsLiveID, Fingerprint: "fp-id"},
		{RuleID: "aws-secret-access-key", File: "a/creds", Line: 3, Secret: awsLiveSecret, Fingerprint: "fp-secret"},
		// A secret alone in another file: no key id to sign with.
		{RuleID: "aws-secret-access-key", File: "b/creds", Line: 3, Secret: awsLiveSecret, Fingerprint: "fp-secret"},
		// A key id alone.
		{RuleID: "aws-access-key-id", File: "c/creds", Line: 1, Secret: awsGoneID, Fingerprint: "fp-id2"},
	}
	v.Findings(context.Background(), rules, fs, 4)
	got := make([]string, len(fs))
	for i, f := range fs {
		got[i] = f.Verification.Status + " " + f.Verification.Reason
	}
	want := []string{
		"live ", "live ",
		"unknown no access key id found beside the secret",
		"unknown no secret access key found beside the key id",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// Synthetic Entra ID application.
var (
	azTenant       = "6f1c2b7a-0d3e-4c5f-9a8b-1e2d3c4b5a69"
	azClient       = "0b9a8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d"
	azGoneClient   = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
	azSecret       = "Ab1" + "8Q~" + strings.Repeat("x9Y_", 8) + "zq"
	azBrokenTenant = "contoso.example.com"
)

// fakeEntra plays the v2.0 token endpoint's client-credentials grant as
// documented: a token for the known client and secret, 401 AADSTS7000215
// for a wrong secret, 400 AADSTS700016 for an unknown application, and a
// 503 for azBrokenTenant.
func fakeEntra(calls *atomic.Int32) http.Handler { return fakeEntraFor(azSecret, calls) }

// fakeEntraFor is fakeEntra for the application whose secret is secret.
func fakeEntraFor(secret string, calls *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		tenant, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/oauth2/v2.0/token")
		if r.Method != http.MethodPost || !ok || r.Host != "login.microsoftonline.com" {
			w.WriteHeader(404)
			return
		}
		if tenant == azBrokenTenant {
			w.WriteHeader(503)
			return
		}
		_ = r.ParseForm()
		if r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("scope") == "" {
			w.WriteHeader(400)
			json.NewEncoder(w).Encode(map[string]any{"error": "invalid_request", "error_codes": []int{900144}})
			return
		}
		switch {
		case r.PostForm.Get("client_id") != azClient:
			w.WriteHeader(400)
			json.NewEncoder(w).Encode(map[string]any{"error": "unauthorized_client",
				"error_description": "AADSTS700016: Application not found in the directory.", "error_codes": []int{700016}})
		case r.PostForm.Get("client_secret") != secret:
			w.WriteHeader(401)
			json.NewEncoder(w).Encode(map[string]any{"error": "invalid_client",
				"error_description": "AADSTS7000215: Invalid client secret provided.", "error_codes": []int{7000215}})
		default:
			json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "expires_in": 3599, "access_token": "synthetic-token"})
		}
	})
}

func TestAzureClientSecret(t *testing.T) {
	rules := builtinRules(t)
	var calls atomic.Int32
	srv, pool := testcert.Server(t, fakeEntra(&calls), "login.microsoftonline.com")
	v := testVerifier(srv, pool, Options{})
	rule := rules["azure-entra-client-secret"]
	cases := []struct {
		name, tenant, client, secret string
		want                         scanner.Verification
		requests                     int32
	}{
		{"live", azTenant, azClient, azSecret, scanner.Verification{Status: scanner.VerifyLive, Identity: map[string]string{"account": azTenant, "key_id": azClient}}, 1},
		{"live by domain", "contoso.onmicrosoft.com", azClient, azSecret, scanner.Verification{Status: scanner.VerifyLive, Identity: map[string]string{"account": "contoso.onmicrosoft.com", "key_id": azClient}}, 1},
		{"invalid secret", azTenant, azClient, azSecret + "0", scanner.Verification{Status: scanner.VerifyRevoked}, 1},
		{"unknown application", azTenant, azGoneClient, azSecret, scanner.Verification{Status: scanner.VerifyRevoked}, 1},
		{"server error", azBrokenTenant, azClient, azSecret, scanner.Verification{Status: scanner.VerifyUnknown, Reason: "unexpected response: status 503"}, 1},
		{"no captures", "", "", azSecret, scanner.Verification{Status: scanner.VerifyUnknown, Reason: "tenant and client id not found beside the secret"}, 0},
	}
	// Tenants that would bend the URL: never sent anywhere.
	for _, bad := range []string{"../common", "evil.test/x?", "127.0.0.1", "localhost", "corp.internal", "a b", "evil.test#", "x.test:8443"} {
		cases = append(cases, struct {
			name, tenant, client, secret string
			want                         scanner.Verification
			requests                     int32
		}{"tenant " + bad, bad, azClient, azSecret, scanner.Verification{Status: scanner.VerifyUnknown, Reason: "tenant or client id malformed"}, 0})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := calls.Load()
			c := Candidate{Rule: rule, Secret: tc.secret}
			if tc.tenant != "" {
				c.Captures = map[string]string{azureTenantCapture: tc.tenant, azureClientCapture: tc.client}
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

// A programmatic validator whose provider redirects elsewhere, or whose
// host is not the one declared, sends the secret nowhere else: every other
// host is a recorder, and it receives nothing.
func TestProgramSecretOnlyToDeclaredHost(t *testing.T) {
	rules := builtinRules(t)
	gKeyID := strings.Repeat("a1b2", 10)
	_, gKeyPEM := testRSAKey(t)
	_, _, certKeyPEM, certPEM := testCert(t)
	cases := []struct {
		name, host, secret string
		c                  Candidate
	}{
		{"aws", "sts.amazonaws.com", awsLiveSecret, Candidate{Rule: rules["aws-secret-access-key"], Secret: awsLiveSecret, Captures: map[string]string{awsKeyIDCapture: awsLiveID}}},
		{"azure", "login.microsoftonline.com", azSecret, Candidate{Rule: rules["azure-entra-client-secret"], Secret: azSecret, Captures: map[string]string{azureTenantCapture: azTenant, azureClientCapture: azClient}}},
		{"azure certificate", "login.microsoftonline.com", certKeyPEM, Candidate{Rule: rules["private-key-pkcs8"], Secret: certKeyPEM, Captures: map[string]string{azureTenantCapture: azTenant, azureClientCapture: azClient, azureCertCapture: certPEM}}},
		{"google", "oauth2.googleapis.com", gKeyID, Candidate{Rule: rules["gcp-service-account-key"], Secret: gKeyID, Captures: map[string]string{googleEmailCapture: "ci@p.iam.gserviceaccount.com", googleKeyCapture: gKeyPEM}}},
	}
	for _, tc := range cases {
		for _, code := range []int{302, 307, 308} {
			t.Run(fmt.Sprintf("%s %d", tc.name, code), func(t *testing.T) {
				evil := newRecorder(t)
				srv, pool := testcert.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, "https://collector.evil.test/steal", code)
				}), tc.host, "collector.evil.test")
				v := New(Options{RootCAs: pool, Interval: -1, Proxy: noProxy,
					DialContext: routeDial(tc.host, srv.Listener.Addr().String(), evil.ln.Addr().String())})
				got := v.Verify(context.Background(), tc.c)
				if got.Status != scanner.VerifyUnknown {
					t.Errorf("status %s, want unknown", got.Status)
				}
				b, conns := evil.received()
				if conns != 0 || bytes.Contains(b, []byte(tc.secret)) {
					t.Fatalf("the other host got %d connections and %d bytes", conns, len(b))
				}
			})
		}
		// --verify-hosts without the declared host: no connection at all.
		t.Run(tc.name+" not in verify-hosts", func(t *testing.T) {
			evil := newRecorder(t)
			v := New(Options{Interval: -1, Proxy: noProxy, Hosts: []string{"api.github.com"},
				DialContext: routeDial("none", evil.ln.Addr().String(), evil.ln.Addr().String())})
			got := v.Verify(context.Background(), tc.c)
			if got.Status != scanner.VerifyUnknown || !strings.Contains(got.Reason, "--verify-hosts") {
				t.Errorf("got %+v, want unknown (--verify-hosts)", got)
			}
			if _, conns := evil.received(); conns != 0 {
				t.Fatalf("%d connections", conns)
			}
		})
	}
}

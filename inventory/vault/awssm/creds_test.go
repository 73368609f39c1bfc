package awssm

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sprawlsec/sprawl/internal/sigv4"
)

func resolveCreds(t *testing.T) (Credentials, error) {
	t.Helper()
	cfg, err := Resolve(context.Background(), "eu-west-1")
	if err != nil {
		return Credentials{}, err
	}
	return cfg.Credentials.Retrieve(context.Background())
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestEnvBeatsProfile: keys in the environment win over the default
// profile's; without them the profile's keys are used, the credentials
// file's over the config file's, and AWS_PROFILE picks the profile.
func TestEnvBeatsProfile(t *testing.T) {
	dir := isolate(t)
	write(t, filepath.Join(dir, "credentials"), "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = filesecret\n\n[other]\naws_access_key_id=AKIDOTHER\naws_secret_access_key=o ; comment\naws_session_token = othertok\n")
	write(t, filepath.Join(dir, "config"), "[default]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = configsecret\nregion = eu-west-1\n")
	c, err := resolveCreds(t)
	if err != nil || c.AccessKeyID != "AKIDFILE" || c.SecretAccessKey != "filesecret" {
		t.Errorf("default profile: %v, %v", c, err)
	}
	t.Setenv("AWS_PROFILE", "other")
	if c, err := resolveCreds(t); err != nil || c.AccessKeyID != "AKIDOTHER" || c.SecretAccessKey != "o" || c.SessionToken != "othertok" {
		t.Errorf("AWS_PROFILE=other: %v, %v", c, err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
	t.Setenv("AWS_SESSION_TOKEN", "envtok")
	if c, err := resolveCreds(t); err != nil || c.AccessKeyID != "AKIDENV" || c.SecretAccessKey != "envsecret" || c.SessionToken != "envtok" {
		t.Errorf("env: %v, %v", c, err)
	}
	if s := fmt.Sprint(c); strings.Contains(s, "filesecret") || strings.Contains(s, "envsecret") {
		t.Errorf("credentials print their secret: %s", s)
	}
}

// TestNoCredentials: nothing configured and the instance metadata service
// disabled is an error that says what to set.
func TestNoCredentials(t *testing.T) {
	isolate(t)
	if _, err := Resolve(context.Background(), "eu-west-1"); err == nil || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") {
		t.Errorf("no credentials: %v", err)
	}
}

// TestCredentialProcess runs the profile's credential_process, reads its
// JSON and keeps the credentials until shortly before Expiration.
func TestCredentialProcess(t *testing.T) {
	dir := isolate(t)
	count := filepath.Join(dir, "count")
	exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	script := filepath.Join(dir, "creds.sh")
	write(t, script, "#!/bin/sh\necho x >> '"+count+"'\nprintf '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": \"procsecret\", \"SessionToken\": \"proctok\", \"Expiration\": \""+exp+"\"}'\n")
	os.Chmod(script, 0o700)
	write(t, filepath.Join(dir, "config"), "[profile proc]\ncredential_process = "+script+" --flag\n")
	t.Setenv("AWS_PROFILE", "proc")
	cfg, err := Resolve(context.Background(), "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		c, err := cfg.Credentials.Retrieve(context.Background())
		if err != nil || c.AccessKeyID != "AKIDPROC" || c.SessionToken != "proctok" || c.Expires.Format(time.RFC3339) != exp {
			t.Fatalf("credential_process: %v, %v", c, err)
		}
	}
	if b, _ := os.ReadFile(count); strings.Count(string(b), "x") != 1 {
		t.Errorf("process ran %d times for three requests", strings.Count(string(b), "x"))
	}
	// Credentials that expire within the window are fetched again.
	ca := cfg.Credentials.(*cache)
	ca.now = func() time.Time { return time.Now().Add(58 * time.Minute) }
	if _, err := cfg.Credentials.Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(count); strings.Count(string(b), "x") != 2 {
		t.Errorf("expiring credentials not renewed: %d runs", strings.Count(string(b), "x"))
	}
	write(t, script, "#!/bin/sh\necho '{\"Version\": 2}'\n")
	ca.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if _, err := cfg.Credentials.Retrieve(context.Background()); err == nil || !strings.Contains(err.Error(), "Version 2") {
		t.Errorf("version 2: %v", err)
	}
}

// fakeSTS answers AssumeRoleWithWebIdentity (unsigned, token checked) and
// AssumeRole (signed by AKIDSOURCE/sourcesecret, signature checked).
func fakeSTS(t *testing.T, calls *atomic.Int32) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		fail := func(code string) {
			w.WriteHeader(403)
			fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>synthetic</Message></Error></ErrorResponse>`, code)
		}
		if form.Get("Version") != "2011-06-15" || form.Get("RoleSessionName") == "" {
			fail("InvalidParameterValue")
			return
		}
		exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		switch form.Get("Action") {
		case "AssumeRoleWithWebIdentity":
			if r.Header.Get("Authorization") != "" || form.Get("WebIdentityToken") != "oidc-token" || form.Get("RoleArn") != "arn:aws:iam::123456789012:role/ci" {
				fail("InvalidIdentityToken")
				return
			}
			fmt.Fprintf(w, `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials>`+
				`<AccessKeyId>ASIAWEB</AccessKeyId><SecretAccessKey>websecret</SecretAccessKey><SessionToken>webtok-%s</SessionToken><Expiration>%s</Expiration>`+
				`</Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`, form.Get("RoleSessionName"), exp)
		case "AssumeRole":
			at, _ := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
			check, _ := http.NewRequest(http.MethodPost, "http://"+r.Host+"/", nil)
			check.Header.Set("Content-Type", r.Header.Get("Content-Type"))
			sigv4.Sign(check, body, sigv4.Credentials{AccessKeyID: "AKIDSOURCE", SecretAccessKey: "sourcesecret"}, "eu-west-1", "sts", at)
			if check.Header.Get("Authorization") != r.Header.Get("Authorization") {
				fail("SignatureDoesNotMatch")
				return
			}
			if form.Get("RoleArn") != "arn:aws:iam::123456789012:role/admin" || form.Get("ExternalId") != "ext" || form.Get("DurationSeconds") != "900" {
				fail("AccessDenied")
				return
			}
			fmt.Fprintf(w, `<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAROLE</AccessKeyId><SecretAccessKey>rolesecret</SecretAccessKey>`+
				`<SessionToken>roletok</SessionToken><Expiration>%s</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>`, exp)
		default:
			fail("InvalidAction")
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestWebIdentityEnv: AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN (as
// GitHub Actions' OIDC sets up) are exchanged at STS, once while valid.
func TestWebIdentityEnv(t *testing.T) {
	dir := isolate(t)
	var calls atomic.Int32
	sts := fakeSTS(t, &calls)
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL)
	write(t, filepath.Join(dir, "token"), "oidc-token\n")
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", filepath.Join(dir, "token"))
	t.Setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci")
	t.Setenv("AWS_ROLE_SESSION_NAME", "gha-run")
	// The profile's keys lose to the environment's web identity.
	write(t, filepath.Join(dir, "credentials"), "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = filesecret\n")
	cfg, err := Resolve(context.Background(), "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		c, err := cfg.Credentials.Retrieve(context.Background())
		if err != nil || c.AccessKeyID != "ASIAWEB" || c.SessionToken != "webtok-gha-run" || c.Expires.IsZero() {
			t.Fatalf("web identity: %v, %v", c, err)
		}
	}
	if calls.Load() != 1 {
		t.Errorf("%d STS calls for two requests", calls.Load())
	}
	// A profile named by AWS_PROFILE comes first.
	t.Setenv("AWS_PROFILE", "default")
	if c, err := resolveCreds(t); err != nil || c.AccessKeyID != "AKIDFILE" {
		t.Errorf("AWS_PROFILE with web identity in the environment: %v, %v", c, err)
	}
	t.Setenv("AWS_PROFILE", "")
	write(t, filepath.Join(dir, "token"), "stale")
	cfg, _ = Resolve(context.Background(), "eu-west-1")
	if _, err := cfg.Credentials.Retrieve(context.Background()); err == nil || !strings.Contains(err.Error(), "InvalidIdentityToken") {
		t.Errorf("refused token: %v", err)
	}
}

// TestAssumeRoleProfile: role_arn with source_profile signs AssumeRole
// with the source profile's keys; web_identity_token_file in a profile
// works as the environment's.
func TestAssumeRoleProfile(t *testing.T) {
	dir := isolate(t)
	var calls atomic.Int32
	sts := fakeSTS(t, &calls)
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL)
	write(t, filepath.Join(dir, "token"), "oidc-token")
	write(t, filepath.Join(dir, "credentials"), "[base]\naws_access_key_id = AKIDSOURCE\naws_secret_access_key = sourcesecret\n")
	write(t, filepath.Join(dir, "config"), "[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = base\nexternal_id = ext\n\n"+
		"[profile web]\nrole_arn = arn:aws:iam::123456789012:role/ci\nweb_identity_token_file = "+filepath.Join(dir, "token")+"\n\n"+
		"[profile mfa]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/me\n\n"+
		"[profile loop]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = loop2\n[profile loop2]\nrole_arn = x\nsource_profile = loop\n")
	t.Setenv("AWS_PROFILE", "admin")
	if c, err := resolveCreds(t); err != nil || c.AccessKeyID != "ASIAROLE" || c.SessionToken != "roletok" {
		t.Errorf("assume role: %v, %v", c, err)
	}
	t.Setenv("AWS_PROFILE", "web")
	if c, err := resolveCreds(t); err != nil || c.AccessKeyID != "ASIAWEB" {
		t.Errorf("profile web identity: %v, %v", c, err)
	}
	t.Setenv("AWS_PROFILE", "mfa")
	if _, err := resolveCreds(t); err == nil || !strings.Contains(err.Error(), "export-credentials") {
		t.Errorf("mfa: %v", err)
	}
	t.Setenv("AWS_PROFILE", "loop")
	if _, err := resolveCreds(t); err == nil || !strings.Contains(err.Error(), "loop") {
		t.Errorf("loop: %v", err)
	}
}

// TestContainer reads the container endpoint (FULL_URI, token file) when
// nothing else is configured.
func TestContainer(t *testing.T) {
	dir := isolate(t)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path != "/creds" || r.Header.Get("Authorization") != "pod-token" {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"code":"Unauthorized","message":"bad token"}`)
			return
		}
		fmt.Fprintf(w, `{"AccessKeyId":"ASIACONT","SecretAccessKey":"contsecret","Token":"conttok","Expiration":"%s"}`, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	}))
	defer srv.Close()
	write(t, filepath.Join(dir, "pod-token"), "pod-token\n")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", srv.URL+"/creds")
	t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", filepath.Join(dir, "pod-token"))
	if c, err := resolveCreds(t); err != nil || c.AccessKeyID != "ASIACONT" || c.SessionToken != "conttok" {
		t.Errorf("container: %v, %v", c, err)
	}
	t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "")
	t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong")
	if _, err := resolveCreds(t); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong token: %v", err)
	}
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds")
	if _, err := Resolve(context.Background(), "eu-west-1"); err == nil {
		t.Error("plain http to a remote host was accepted")
	}
}

// TestIMDS: IMDSv2 (token PUT, role, credentials) unless disabled.
func TestIMDS(t *testing.T) {
	isolate(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token" && r.Header.Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds") != "":
			fmt.Fprint(w, "imds-token")
		case r.Header.Get("X-Aws-Ec2-Metadata-Token") != "imds-token":
			w.WriteHeader(401)
		case r.URL.Path == "/latest/meta-data/iam/security-credentials/":
			fmt.Fprint(w, "web-role\n")
		case r.URL.Path == "/latest/meta-data/iam/security-credentials/web-role":
			fmt.Fprintf(w, `{"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIAIMDS","SecretAccessKey":"imdssecret","Token":"imdstok","Expiration":"%s"}`,
				time.Now().Add(6*time.Hour).UTC().Format(time.RFC3339))
		default:
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", srv.URL)
	if _, err := Resolve(context.Background(), "eu-west-1"); err == nil {
		t.Error("AWS_EC2_METADATA_DISABLED=true: the instance metadata service was used")
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "")
	if c, err := resolveCreds(t); err != nil || c.AccessKeyID != "ASIAIMDS" || c.SessionToken != "imdstok" {
		t.Errorf("imds: %v, %v", c, err)
	}
}

// TestSSO: an IAM Identity Center profile exchanges the CLI's cached
// token at the portal; an expired token asks for `aws sso login`.
func TestSSO(t *testing.T) {
	dir := isolate(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.URL.Path != "/federation/credentials" || r.Header.Get("X-Amz-Sso_bearer_token") != "sso-access" || q.Get("account_id") != "123456789012" || q.Get("role_name") != "Dev" {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"message":"Session token not found or invalid"}`)
			return
		}
		fmt.Fprintf(w, `{"roleCredentials":{"accessKeyId":"ASIASSO","secretAccessKey":"ssosecret","sessionToken":"ssotok","expiration":%d}}`, time.Now().Add(time.Hour).UnixMilli())
	}))
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL_SSO", srv.URL)
	write(t, filepath.Join(dir, "config"), "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Dev\nregion = eu-west-1\n\n"+
		"[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n")
	sum := sha1.Sum([]byte("corp"))
	cache := filepath.Join(dir, ".aws", "sso", "cache", hex.EncodeToString(sum[:])+".json")
	t.Setenv("AWS_PROFILE", "dev")
	if _, err := resolveCreds(t); err == nil || !strings.Contains(err.Error(), "aws sso login --profile dev") {
		t.Errorf("no cached token: %v", err)
	}
	write(t, cache, fmt.Sprintf(`{"accessToken":"sso-access","expiresAt":"%s","region":"eu-west-1","startUrl":"https://corp.awsapps.com/start"}`, time.Now().Add(time.Hour).UTC().Format(time.RFC3339)))
	if c, err := resolveCreds(t); err != nil || c.AccessKeyID != "ASIASSO" || c.SessionToken != "ssotok" {
		t.Errorf("sso: %v, %v", c, err)
	}
	write(t, cache, fmt.Sprintf(`{"accessToken":"sso-access","expiresAt":"%s"}`, time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)))
	if _, err := resolveCreds(t); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired token: %v", err)
	}
}

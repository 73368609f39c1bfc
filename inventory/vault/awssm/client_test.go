package awssm

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sprawlsec/sprawl/internal/sigv4"
	"github.com/sprawlsec/sprawl/inventory/vault"
)

// isolate clears the AWS environment and points the shared files at an
// empty directory, so no test reads the machine's configuration or
// reaches a real instance metadata service.
func isolate(t *testing.T) string {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return dir
}

// recorder is a Secrets Manager that checks each request's protocol and
// signature and answers with answer(action, body).
type recorder struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	calls  []string
	tokens []string
	answer func(action string, body map[string]any) (int, any)
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	action := strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "secretsmanager.")
	if req.Method != http.MethodPost || req.URL.Path != "/" || req.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		r.t.Errorf("request %s %s %q", req.Method, req.URL.Path, req.Header.Get("Content-Type"))
	}
	// Re-sign what was received: the signature must match.
	at, _ := time.Parse("20060102T150405Z", req.Header.Get("X-Amz-Date"))
	check, _ := http.NewRequest(http.MethodPost, "http://"+req.Host+"/", nil)
	for _, h := range []string{"Content-Type", "X-Amz-Target"} {
		check.Header.Set(h, req.Header.Get(h))
	}
	id := between(req.Header.Get("Authorization"), "Credential=", "/")
	sigv4.Sign(check, body, sigv4.Credentials{AccessKeyID: id, SecretAccessKey: r.secret, SessionToken: req.Header.Get("X-Amz-Security-Token")}, "eu-west-1", "secretsmanager", at)
	if check.Header.Get("Authorization") != req.Header.Get("Authorization") {
		r.t.Errorf("signature does not match:\n got %s\nwant %s", req.Header.Get("Authorization"), check.Header.Get("Authorization"))
	}
	var in map[string]any
	_ = json.Unmarshal(body, &in)
	r.mu.Lock()
	r.calls = append(r.calls, action)
	r.tokens = append(r.tokens, req.Header.Get("X-Amz-Security-Token"))
	r.mu.Unlock()
	status, out := r.answer(action, in)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(out)
}

func between(s, a, b string) string {
	_, rest, _ := strings.Cut(s, a)
	v, _, _ := strings.Cut(rest, b)
	return v
}

func newRecorder(t *testing.T, answer func(string, map[string]any) (int, any)) (*recorder, *httptest.Server) {
	r := &recorder{t: t, secret: "sekrit", answer: answer}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, srv
}

func testClient(url string, attempts int) *Client {
	return NewClient(ClientConfig{Endpoint: url, Region: "eu-west-1", MaxAttempts: attempts, MaxBackoff: time.Millisecond,
		Credentials: StaticCredentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "sekrit", SessionToken: "tok"}})
}

// TestRetries: ThrottlingException and 5xx are retried up to the
// attempts; other errors are not; the last error is classified.
func TestRetries(t *testing.T) {
	fails := map[string]int{}
	codes := map[string]string{}
	r, srv := newRecorder(t, func(action string, in map[string]any) (int, any) {
		if fails[action] > 0 {
			fails[action]--
			if codes[action] == "" {
				return 503, map[string]string{"message": "busy"}
			}
			return 400, map[string]string{"__type": codes[action], "message": "no"}
		}
		return 200, map[string]any{"SecretList": []any{}}
	})
	c := testClient(srv.URL, 3)
	ctx := context.Background()
	fails["ListSecrets"], codes["ListSecrets"] = 2, "ThrottlingException"
	if _, err := c.ListSecrets(ctx, &ListSecretsInput{}); err != nil {
		t.Errorf("two throttles, three attempts: %v", err)
	}
	fails["ListSecrets"] = 3
	_, err := c.ListSecrets(ctx, &ListSecretsInput{})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != "ThrottlingException" || !errors.Is(classify(err, "x"), vault.ErrThrottled) {
		t.Errorf("three throttles: %v", err)
	}
	fails["ListSecrets"], codes["ListSecrets"] = 2, ""
	if _, err := c.ListSecrets(ctx, &ListSecretsInput{}); err != nil {
		t.Errorf("two 503s: %v", err)
	}
	r.calls = nil
	fails["GetSecretValue"], codes["GetSecretValue"] = 1, "com.amazonaws.secretsmanager#AccessDeniedException"
	if _, err := c.GetSecretValue(ctx, "x"); !errors.Is(classify(err, "x"), vault.ErrDenied) || len(r.calls) != 1 {
		t.Errorf("denied: %v after %d calls", err, len(r.calls))
	}
	for _, tok := range r.tokens {
		if tok != "tok" {
			t.Errorf("session token header = %q", tok)
		}
	}
	// A cancelled context stops the waits.
	c = NewClient(ClientConfig{Endpoint: srv.URL, Region: "eu-west-1", MaxAttempts: 5, MaxBackoff: time.Hour,
		Credentials: StaticCredentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "sekrit"}})
	fails["ListSecrets"], codes["ListSecrets"] = 5, "ThrottlingException"
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.ListSecrets(cctx, &ListSecretsInput{}); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 10*time.Second {
		t.Errorf("cancelled: %v after %v", err, time.Since(start))
	}
}

// TestPagingAndTypes: List follows NextToken to the end; timestamps,
// rotation rules and RotateSecret's idempotency token go over the wire.
func TestPagingAndTypes(t *testing.T) {
	var rotate map[string]any
	_, srv := newRecorder(t, func(action string, in map[string]any) (int, any) {
		switch action {
		case "ListSecrets":
			switch in["NextToken"] {
			case nil:
				return 200, map[string]any{"SecretList": []any{map[string]any{"Name": "a", "CreatedDate": 1700000000.123,
					"RotationEnabled": true, "RotationRules": map[string]any{"AutomaticallyAfterDays": 7}}}, "NextToken": "p2"}
			case "p2":
				return 200, map[string]any{"SecretList": []any{map[string]any{"Name": "b"}}, "NextToken": "p3"}
			default:
				return 200, map[string]any{"SecretList": []any{map[string]any{"Name": "c"}}}
			}
		case "RotateSecret":
			rotate = in
		case "DescribeSecret":
			return 200, map[string]any{"Name": "a", "RotationEnabled": true, "Tags": []any{}}
		}
		return 200, map[string]any{}
	})
	a := NewFromClient(testClient(srv.URL, 1), "eu-west-1")
	var names []string
	var first vault.Secret
	err := a.List(context.Background(), func(s vault.Secret, err error) error {
		if err != nil {
			return err
		}
		if len(names) == 0 {
			first = s
		}
		names = append(names, s.Path)
		return nil
	})
	if err != nil || strings.Join(names, ",") != "a,b,c" {
		t.Fatalf("listed %v, %v", names, err)
	}
	if want := time.Unix(1700000000, 123000000).UTC(); !first.Created.Equal(want) || first.Facts.RotationPeriod != 7*24*time.Hour || !first.AutoRotation {
		t.Errorf("first = %+v", first)
	}
	if _, err := a.Flag(context.Background(), vault.Ref{Path: "a"}, vault.Mark{Reason: "r"}); err != nil {
		t.Fatal(err)
	}
	if tok, _ := rotate["ClientRequestToken"].(string); len(tok) != 36 || rotate["RotateImmediately"] != true || rotate["SecretId"] != "a" {
		t.Errorf("RotateSecret body = %v", rotate)
	}
}

// TestResolveRegionEndpoint: --region beats AWS_REGION, which beats the
// profile's region; the endpoint is regional (.cn in China) unless
// AWS_ENDPOINT_URL_SECRETS_MANAGER or AWS_ENDPOINT_URL says otherwise.
func TestResolveRegionEndpoint(t *testing.T) {
	dir := isolate(t)
	os.WriteFile(filepath.Join(dir, "config"), []byte("[default]\nregion = ap-south-1\n\n[profile china]\nregion = cn-north-1\n"), 0o600)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s")
	ctx := context.Background()
	check := func(arg, wantRegion, wantEndpoint string) {
		t.Helper()
		cfg, err := Resolve(ctx, arg)
		if err != nil || cfg.Region != wantRegion || cfg.Endpoint != wantEndpoint {
			t.Errorf("Resolve(%q) = %s %s, %v; want %s %s", arg, cfg.Region, cfg.Endpoint, err, wantRegion, wantEndpoint)
		}
	}
	check("", "ap-south-1", "https://secretsmanager.ap-south-1.amazonaws.com")
	t.Setenv("AWS_DEFAULT_REGION", "eu-north-1")
	check("", "eu-north-1", "https://secretsmanager.eu-north-1.amazonaws.com")
	t.Setenv("AWS_REGION", "eu-west-3")
	check("", "eu-west-3", "https://secretsmanager.eu-west-3.amazonaws.com")
	check("us-west-2", "us-west-2", "https://secretsmanager.us-west-2.amazonaws.com")
	check("cn-north-1", "cn-north-1", "https://secretsmanager.cn-north-1.amazonaws.com.cn")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	check("", "eu-west-3", "http://127.0.0.1:1")
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:2")
	check("", "eu-west-3", "http://127.0.0.1:2")
	t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
	check("", "eu-west-3", "https://secretsmanager.eu-west-3.amazonaws.com")

	isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s")
	if _, err := Resolve(ctx, ""); err == nil || !strings.Contains(err.Error(), "no region") {
		t.Errorf("no region: %v", err)
	}
	t.Setenv("AWS_PROFILE", "nosuch")
	if _, err := Resolve(ctx, "eu-west-1"); err == nil || !strings.Contains(err.Error(), `"nosuch"`) {
		t.Errorf("missing profile: %v", err)
	}
}

// TestTimestamp: epoch seconds keep their fraction to the nanosecond.
func TestTimestamp(t *testing.T) {
	for in, want := range map[string]time.Time{
		`1700000000`:             time.Unix(1700000000, 0),
		`1700000000.5`:           time.Unix(1700000000, 500000000),
		`1700000000.123456789`:   time.Unix(1700000000, 123456789),
		`"2023-11-14T22:13:20Z"`: time.Unix(1700000000, 0),
		`1.7e9`:                  time.Unix(1700000000, 0),
	} {
		var ts Timestamp
		if err := ts.UnmarshalJSON([]byte(in)); err != nil || !ts.Equal(want) {
			t.Errorf("%s → %v, %v", in, ts.Time, err)
		}
	}
}

// TestCABundle: AWS_CA_BUNDLE adds a CA (a TLS-inspecting proxy's, here
// an httptest server's) to the system's.
func TestCABundle(t *testing.T) {
	dir := isolate(t)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Write([]byte(`{"SecretList":[]}`))
	}))
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s")
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	cfg, err := Resolve(context.Background(), "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewClient(cfg).ListSecrets(context.Background(), &ListSecretsInput{}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("unknown CA: %v", err)
	}
	bundle := filepath.Join(dir, "ca.pem")
	os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	t.Setenv("AWS_CA_BUNDLE", bundle)
	if cfg, err = Resolve(context.Background(), "eu-west-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := NewClient(cfg).ListSecrets(context.Background(), &ListSecretsInput{}); err != nil {
		t.Errorf("with AWS_CA_BUNDLE: %v", err)
	}
}

package hashicorp

import (
	"context"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func clearVaultEnv(t *testing.T) {
	for _, k := range []string{"VAULT_ADDR", "VAULT_AGENT_ADDR", "VAULT_TOKEN", "VAULT_NAMESPACE", "VAULT_CACERT", "VAULT_CAPATH",
		"VAULT_CACERT_BYTES", "VAULT_CLIENT_CERT", "VAULT_CLIENT_KEY", "VAULT_TLS_SERVER_NAME", "VAULT_SKIP_VERIFY",
		"VAULT_CLIENT_TIMEOUT", "VAULT_MAX_RETRIES", "VAULT_HTTP_PROXY", "VAULT_PROXY_ADDR", "VAULT_DISABLE_REDIRECTS"} {
		t.Setenv(k, "")
	}
}

// kvServer answers a KV v2 read of secret/app, checking the token and
// namespace headers.
func kvHandler(t *testing.T, hits *atomic.Int32) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("X-Vault-Token") != "tok-test-not-a-secret" || r.Header.Get("X-Vault-Namespace") != "team-a" {
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"errors":["permission denied"]}`))
			return
		}
		if r.URL.Path != "/v1/secret/data/app" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"errors":[]}`))
			return
		}
		_, _ = w.Write([]byte(`{"data":{"data":{"k":"v","n":12345678901234567890},"metadata":{"created_time":"2026-01-02T03:04:05Z","version":3,"custom_metadata":{"owner":"x"}}}}`))
	}
}

func TestClientEnvironmentTLS(t *testing.T) {
	clearVaultEnv(t)
	var hits atomic.Int32
	srv := httptest.NewTLSServer(kvHandler(t, &hits))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VAULT_ADDR", srv.URL+"/")
	t.Setenv("VAULT_TOKEN", "tok-test-not-a-secret")
	t.Setenv("VAULT_NAMESPACE", "team-a")
	ctx := context.Background()

	// Without the CA the server is not trusted.
	c, err := newClient(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.kvGet(ctx, "secret", "app"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted server: %v", err)
	}
	for _, env := range [][2]string{{"VAULT_CACERT", ca}, {"VAULT_CAPATH", filepath.Dir(ca)}, {"VAULT_SKIP_VERIFY", "true"}} {
		t.Run(env[0], func(t *testing.T) {
			t.Setenv(env[0], env[1])
			c, err := newClient(Config{})
			if err != nil {
				t.Fatal(err)
			}
			kv, err := c.kvGet(ctx, "secret", "app")
			if err != nil {
				t.Fatal(err)
			}
			// Numbers keep every digit (json.Number, as Vault's client).
			if kv.Data["k"] != "v" || kv.Data["n"].(interface{ String() string }).String() != "12345678901234567890" ||
				kv.Metadata.Version.String() != "3" || kv.Metadata.CustomMetadata["owner"] != "x" || kv.Metadata.CreatedTime.Year() != 2026 {
				t.Errorf("read %+v", kv)
			}
		})
	}
	t.Setenv("VAULT_SKIP_VERIFY", "maybe")
	if _, err := newClient(Config{}); err == nil {
		t.Error("VAULT_SKIP_VERIFY=maybe accepted")
	}
}

func TestClientRetries(t *testing.T) {
	clearVaultEnv(t)
	var calls atomic.Int32
	codes := []int{http.StatusServiceUnavailable, http.StatusPreconditionFailed, http.StatusTooManyRequests}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1))
		switch {
		case r.URL.Path == "/v1/sys/unimplemented":
			w.WriteHeader(http.StatusNotImplemented)
		case n <= len(codes):
			w.WriteHeader(codes[n-1])
		default:
			_, _ = w.Write([]byte(`{"data":{"x":"y"}}`))
		}
	}))
	defer srv.Close()
	three := 3
	c, err := newClient(Config{Address: srv.URL, Token: "t", MaxRetries: &three, MinRetryWait: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	data, err := c.read(context.Background(), "kv/x")
	if err != nil || data["x"] != "y" || calls.Load() != 4 {
		t.Fatalf("read %v %v after %d calls, want success on the 4th", data, err, calls.Load())
	}
	calls.Store(100)
	var re *responseError
	if err := c.write(context.Background(), "sys/unimplemented", nil); !errors.As(err, &re) || re.StatusCode != 501 || calls.Load() != 101 {
		t.Errorf("501: %v after %d calls, want one call", err, calls.Load()-100)
	}
}

// TestClientRedirects: a standby's 307 is followed to https with the
// token, never to another host over plain http.
func TestClientRedirects(t *testing.T) {
	clearVaultEnv(t)
	var hits atomic.Int32
	active := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(`{"data":{"x":"y"}}`))
	}))
	defer active.Close()
	// Another host name for the same server: 127.0.0.1 against localhost.
	other := strings.Replace(active.URL, "127.0.0.1", "localhost", 1)
	standby := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	defer standby.Close()
	c, err := newClient(Config{Address: standby.URL, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.read(context.Background(), "kv/x"); err == nil || !strings.Contains(err.Error(), "plain http") || hits.Load() != 0 {
		t.Errorf("redirect to another host over http: %v (%d requests reached it)", err, hits.Load())
	}
	// The same host is followed.
	same := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/kv/x" {
			http.Redirect(w, r, "/v1/kv/y", http.StatusTemporaryRedirect)
			return
		}
		_, _ = w.Write([]byte(`{"data":{"x":"z"}}`))
	}))
	defer same.Close()
	c, _ = newClient(Config{Address: same.URL, Token: "t"})
	if data, err := c.read(context.Background(), "kv/x"); err != nil || data["x"] != "z" {
		t.Errorf("same-host redirect: %v %v", data, err)
	}
}

// TestClientAgentSocket: VAULT_AGENT_ADDR on a unix socket.
func TestClientAgentSocket(t *testing.T) {
	clearVaultEnv(t)
	sock := filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skip("no unix sockets:", err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"data":{"keys":["b","a/"]}}`))
	}))
	srv.Listener = l
	srv.Start()
	defer srv.Close()
	t.Setenv("VAULT_AGENT_ADDR", "unix://"+sock)
	a, err := New(Config{Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Store() != "unix://"+sock {
		t.Errorf("store = %q", a.Store())
	}
	keys, err := a.list(context.Background(), "secret/metadata/")
	if err != nil || strings.Join(keys, ",") != "a/,b" {
		t.Errorf("list = %v %v", keys, err)
	}
}

package kube

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sprawlsec/sprawl/internal/testcert"
)

// listServer answers every list with one empty page, and records the
// credentials each request carried.
type listServer struct {
	*httptest.Server
	auth        atomic.Value // last Authorization header
	clientCN    atomic.Value // last client certificate's common name
	impersonate atomic.Value
	refuse      atomic.Int32 // how many next requests get a 401
}

func newListServer(t *testing.T, clientCA *x509.CertPool) *listServer {
	s := &listServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.auth.Store(r.Header.Get("Authorization"))
		s.impersonate.Store(r.Header.Get("Impersonate-User"))
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			s.clientCN.Store(r.TLS.PeerCertificates[0].Subject.CommonName)
		}
		if s.refuse.Load() > 0 {
			s.refuse.Add(-1)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"kind":"Status","reason":"Unauthorized","code":401}`))
			return
		}
		_, _ = w.Write([]byte(`{"kind":"NamespaceList","metadata":{},"items":[{"metadata":{"name":"default"}}]}`))
	}))
	if clientCA != nil {
		s.TLS = &tls.Config{ClientCAs: clientCA, ClientAuth: tls.VerifyClientCertIfGiven}
	}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func (s *listServer) caData() string {
	return base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}))
}

func writeFile(t *testing.T, path, body string, mode os.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func config(server, caLine, user string) string {
	return "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: " + server + "\n" + caLine +
		"users:\n- name: u\n  user:\n" + user +
		"contexts:\n- name: ctx\n  context:\n    cluster: c\n    user: u\ncurrent-context: ctx\n"
}

func listOnce(t *testing.T, api API) {
	t.Helper()
	l, err := api.Namespaces(context.Background(), ListOptions{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 1 || l.Items[0].Name != "default" {
		t.Fatalf("namespaces = %+v", l.Items)
	}
}

// TestKubeconfigMergeAndRelativePaths: $KUBECONFIG's files merge with the
// first to define a name winning, and a file path in a kubeconfig is
// relative to that file.
func TestKubeconfigMergeAndRelativePaths(t *testing.T) {
	srv := newListServer(t, nil)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a", "token"), "tok-from-file-not-a-secret\n", 0o600)
	writeFile(t, filepath.Join(dir, "a", "ca.pem"), string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})), 0o600)
	first := writeFile(t, filepath.Join(dir, "a", "config"), config(srv.URL, "    certificate-authority: ca.pem\n", "    tokenFile: token\n"), 0o600)
	// The second file names the same context, cluster and user: the first
	// file's win; its current-context is not used either.
	second := writeFile(t, filepath.Join(dir, "b", "config"), strings.Replace(config("https://elsewhere.invalid", "", "    token: other\n"), "current-context: ctx", "current-context: other", 1), 0o600)
	t.Setenv("KUBECONFIG", strings.Join([]string{first, filepath.Join(dir, "missing"), second}, string(os.PathListSeparator)))
	api, name, err := Connect("", "")
	if err != nil {
		t.Fatal(err)
	}
	if name != "ctx" {
		t.Errorf("context = %q, want the first file's current context", name)
	}
	listOnce(t, api)
	if got := srv.auth.Load(); got != "Bearer tok-from-file-not-a-secret" {
		t.Errorf("Authorization = %q, want the token file's (read relative to its kubeconfig)", got)
	}
	// The token file is read again for each request: a rotated token is
	// used at once.
	writeFile(t, filepath.Join(dir, "a", "token"), "tok-rotated-not-a-secret", 0o600)
	listOnce(t, api)
	if got := srv.auth.Load(); got != "Bearer tok-rotated-not-a-secret" {
		t.Errorf("after rotation Authorization = %q", got)
	}
}

// clientCert makes a certificate named cn, for client authentication:
// a CA of its own when ca is nil, else one ca signs.
func clientCert(t *testing.T, cn string, ca *testcert.Cert) *testcert.Cert {
	t.Helper()
	return testcert.New(t, &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true, IsCA: ca == nil}, nil, ca)
}

// TestClientCertificateAuth: a user's client certificate (inline data)
// is presented to a server that asks for one.
func TestClientCertificateAuth(t *testing.T) {
	ca := clientCert(t, "test-ca", nil)
	srv := newListServer(t, ca.Pool())
	client := clientCert(t, "sprawl-scanner", ca)
	certPEM, keyPEM := client.CertPEM(), client.KeyPEM(t)
	b64 := base64.StdEncoding.EncodeToString
	path := writeFile(t, filepath.Join(t.TempDir(), "config"), config(srv.URL, "    certificate-authority-data: "+srv.caData()+"\n",
		"    client-certificate-data: "+b64(certPEM)+"\n    client-key-data: "+b64(keyPEM)+"\n    as: auditor\n"), 0o600)
	api, _, err := Connect(path, "")
	if err != nil {
		t.Fatal(err)
	}
	listOnce(t, api)
	if got := srv.clientCN.Load(); got != "sprawl-scanner" {
		t.Errorf("client certificate CN = %v, want sprawl-scanner", got)
	}
	if got := srv.impersonate.Load(); got != "auditor" {
		t.Errorf("Impersonate-User = %v, want auditor", got)
	}
}

// TestExecCredentialPlugin: the plugin's token is used and kept until
// it expires; a 401 makes it run again once.
func TestExecCredentialPlugin(t *testing.T) {
	srv := newListServer(t, nil)
	dir := t.TempDir()
	count := filepath.Join(dir, "runs")
	// The plugin counts its runs and echoes what it was given (the exec
	// info must say non-interactive and carry the cluster).
	plugin := writeFile(t, filepath.Join(dir, "bin", "kube-login"), `#!/bin/sh
echo run >> "`+count+`"
case "$KUBERNETES_EXEC_INFO" in *'"interactive":false'*) ;; *) echo "bad exec info" >&2; exit 3;; esac
case "$KUBERNETES_EXEC_INFO" in *'"server":"`+srv.URL+`"'*) ;; *) echo "no cluster info" >&2; exit 4;; esac
[ "$PLUGIN_MODE" = test ] || { echo "env not passed" >&2; exit 5; }
n=$(wc -l < "`+count+`")
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-token-%s-not-a-secret","expirationTimestamp":"2999-01-01T00:00:00Z"}}' "$n"
`, 0o700)
	user := "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: ./bin/kube-login\n      args: [get-token]\n      provideClusterInfo: true\n      env:\n      - name: PLUGIN_MODE\n        value: test\n"
	path := writeFile(t, filepath.Join(dir, "config"), config(srv.URL, "    certificate-authority-data: "+srv.caData()+"\n", user), 0o600)
	_ = plugin
	api, _, err := Connect(path, "")
	if err != nil {
		t.Fatal(err)
	}
	listOnce(t, api)
	listOnce(t, api)
	if got := srv.auth.Load(); got != "Bearer exec-token-1-not-a-secret" {
		t.Errorf("Authorization = %q, want the first run's token, kept", got)
	}
	srv.refuse.Store(1)
	listOnce(t, api)
	if got := srv.auth.Load(); got != "Bearer exec-token-2-not-a-secret" {
		t.Errorf("after a 401 Authorization = %q, want a second run's token", got)
	}
	runs, _ := os.ReadFile(count)
	if n := strings.Count(string(runs), "run"); n != 2 {
		t.Errorf("plugin ran %d times, want 2", n)
	}
}

func TestKubeconfigErrors(t *testing.T) {
	srv := newListServer(t, nil)
	dir := t.TempDir()
	for _, tc := range []struct {
		name, config, want string
	}{
		{"auth-provider", config(srv.URL, "", "    auth-provider:\n      name: gcp\n"), `"gcp" auth-provider is not supported`},
		{"insecure with CA", config(srv.URL, "    insecure-skip-tls-verify: true\n    certificate-authority-data: "+srv.caData()+"\n", "    token: t\n"), "choose one"},
		{"plain http", config("http://cluster.example.invalid:8080", "", "    token: t\n"), "refusing to send credentials"},
		{"half a key pair", config(srv.URL, "", "    client-key-data: "+base64.StdEncoding.EncodeToString([]byte("k"))+"\n"), "needs both"},
		{"no such context", strings.Replace(config(srv.URL, "", "    token: t\n"), "current-context: ctx", "current-context: gone", 1), `no context "gone"`},
		{"exec without apiVersion", config(srv.URL, "", "    exec:\n      command: kube-login\n"), "apiVersion is required"},
		{"exec not installed", config(srv.URL, "", "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: no-such-plugin-x\n      installHint: install it with brew\n"), "install it with brew"},
		{"bad yaml", "clusters: [\n  token: tok-in-broken-file-not-a-secret\n", "YAML error at line"}, // sprawl:allow (synthetic)
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")), tc.config, 0o600)
			api, _, err := Connect(path, "")
			if err == nil {
				_, err = api.Namespaces(context.Background(), ListOptions{})
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "not-a-secret") {
				t.Errorf("the error quotes the kubeconfig: %v", err)
			}
		})
	}
	// A kubeconfig named explicitly must exist.
	if _, _, err := Connect(filepath.Join(dir, "nope"), ""); err == nil {
		t.Error("a missing --kubeconfig was accepted")
	}
}

// TestStatusErrors: a Status answer becomes a StatusError the scan can
// classify; a 5xx with Retry-After is retried.
func TestStatusErrors(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.Contains(r.URL.Path, "/forbidden/"):
			w.WriteHeader(http.StatusForbidden)
			_ = json.NewEncoder(w).Encode(map[string]any{"kind": "Status", "reason": "Forbidden", "message": "secrets is forbidden", "code": 403})
		case strings.Contains(r.URL.Path, "/flaky/") && calls.Add(1) == 1:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			_, _ = w.Write([]byte(`{"kind":"ConfigMapList","metadata":{"continue":"next"},"items":[{"metadata":{"name":"a"},"data":{"k":"v"},"binaryData":{"b":"AAE="}}]}`))
		}
	}))
	defer srv.Close()
	ca := base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	path := writeFile(t, filepath.Join(t.TempDir(), "config"), config(srv.URL, "    certificate-authority-data: "+ca+"\n", "    token: t\n"), 0o600)
	api, _, err := Connect(path, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = api.Secrets(context.Background(), "forbidden", ListOptions{})
	if !IsForbidden(err) || IsNotFound(err) || !strings.Contains(err.Error(), "secrets is forbidden") {
		t.Errorf("err = %v, want a 403 StatusError", err)
	}
	l, err := api.ConfigMaps(context.Background(), "flaky", ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 || l.Continue != "next" || len(l.Items) != 1 || l.Items[0].Data["k"] != "v" || string(l.Items[0].BinaryData["b"]) != "\x00\x01" {
		t.Errorf("calls %d, list %+v", calls.Load(), l)
	}
}

// Package kubetest serves a fake Kubernetes API server for tests: list
// endpoints of namespaces, ConfigMaps, Secrets (in full, or as a Table
// with object metadata when asked for one), pods, deployments,
// statefulsets, daemonsets, cronjobs and jobs, paged by limit and continue,
// behind a bearer token, with 403s on chosen namespaces. It follows the
// API's documented shapes; it is not an API server.
package kubetest

import (
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Server is a fake API server. Add objects with Add before requests.
type Server struct {
	URL   string
	Token string
	// CA is the PEM certificate of the server's TLS (client-go sends a
	// bearer token over TLS only).
	CA []byte
	// Forbidden namespaces answer 403 to every list in them.
	Forbidden map[string]bool
	// Limited maps a request path to how many 429s (Retry-After: 1) it
	// answers before serving.
	Limited map[string]int

	mu sync.Mutex
	// objects by "group/version/resource" then namespace, in order added.
	objects    map[string]map[string][]runtime.Object
	namespaces []string
	// Requests lists every request path with its query.
	Requests []string
	// SecretValuesServed counts full (non-Table) Secret lists.
	SecretValuesServed int
	NoAuth             int
}

// New starts a fake API server, stopped when the test ends.
func New(t testing.TB) *Server {
	s := &Server{Token: "kube-test-bearer-not-a-secret", Forbidden: map[string]bool{}, Limited: map[string]int{}, objects: map[string]map[string][]runtime.Object{}}
	srv := httptest.NewTLSServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	s.CA = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	return s
}

// Add stores obj under its API path prefix ("api/v1", "apis/apps/v1",
// "apis/batch/v1") and resource ("configmaps", …) in namespace ns.
func (s *Server) Add(prefix, resource, ns string, obj runtime.Object) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := prefix + "/" + resource
	if s.objects[k] == nil {
		s.objects[k] = map[string][]runtime.Object{}
	}
	s.objects[k][ns] = append(s.objects[k][ns], obj)
	for _, n := range s.namespaces {
		if n == ns {
			return
		}
	}
	s.namespaces = append(s.namespaces, ns)
}

// Paths returns the requests seen so far.
func (s *Server) Paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.Requests...)
}

// Kubeconfig writes a kubeconfig with one context, name, pointing at the
// server, and returns its path.
func (s *Server) Kubeconfig(t testing.TB, name string) string {
	p := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: " + s.URL + "\n    certificate-authority-data: " + base64.StdEncoding.EncodeToString(s.CA) + "\n" +
		"users:\n- name: u\n  user:\n    token: " + s.Token + "\n" +
		"contexts:\n- name: " + name + "\n  context:\n    cluster: c\n    user: u\n" +
		"current-context: " + name + "\n"
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Requests = append(s.Requests, r.URL.RequestURI())
	if r.Header.Get("Authorization") != "Bearer "+s.Token {
		s.NoAuth++
		status(w, http.StatusUnauthorized, "Unauthorized", "")
		return
	}
	if s.Limited[r.URL.Path] > 0 {
		s.Limited[r.URL.Path]--
		w.Header().Set("Retry-After", "1")
		status(w, http.StatusTooManyRequests, "TooManyRequests", "slow down")
		return
	}
	if r.Method != http.MethodGet {
		status(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "")
		return
	}
	p := strings.Trim(r.URL.Path, "/")
	if p == "api/v1/namespaces" {
		var items []any
		for _, n := range s.namespaces {
			items = append(items, map[string]any{"metadata": map[string]any{"name": n}})
		}
		s.page(w, r, "NamespaceList", "v1", items)
		return
	}
	// PREFIX/namespaces/NS/RESOURCE
	i := strings.Index(p, "/namespaces/")
	if i < 0 {
		status(w, http.StatusNotFound, "NotFound", "")
		return
	}
	prefix, rest := p[:i], strings.Split(p[i+len("/namespaces/"):], "/")
	if len(rest) != 2 {
		status(w, http.StatusNotFound, "NotFound", "")
		return
	}
	ns, resource := rest[0], rest[1]
	if s.Forbidden[ns] {
		status(w, http.StatusForbidden, "Forbidden", resource+` is forbidden: User "scanner" cannot list resource "`+resource+`" in the namespace "`+ns+`"`)
		return
	}
	var items []any
	for _, o := range s.objects[prefix+"/"+resource][ns] {
		items = append(items, o)
	}
	apiVersion := strings.TrimPrefix(strings.TrimPrefix(prefix, "apis/"), "api/")
	kind := map[string]string{"configmaps": "ConfigMapList", "secrets": "SecretList", "pods": "PodList", "deployments": "DeploymentList",
		"statefulsets": "StatefulSetList", "daemonsets": "DaemonSetList", "cronjobs": "CronJobList", "jobs": "JobList"}[resource]
	if resource == "secrets" && strings.Contains(r.Header.Get("Accept"), "as=Table") {
		s.secretTable(w, r, items)
		return
	}
	if resource == "secrets" {
		s.SecretValuesServed++
	}
	s.page(w, r, kind, apiVersion, items)
}

// window applies limit and continue (the continue token is the offset).
func window(r *http.Request, n int) (from, to int, cont string) {
	from, _ = strconv.Atoi(r.URL.Query().Get("continue"))
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	from = min(from, n)
	to = n
	if limit > 0 && from+limit < n {
		to = from + limit
		cont = strconv.Itoa(to)
	}
	return from, to, cont
}

func (s *Server) page(w http.ResponseWriter, r *http.Request, kind, apiVersion string, items []any) {
	from, to, cont := window(r, len(items))
	page := items[from:to]
	if page == nil {
		page = []any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"kind": kind, "apiVersion": apiVersion,
		"metadata": map[string]any{"continue": cont, "resourceVersion": "1"}, "items": page})
}

// secretTable answers as the API server does for Accept: as=Table with
// includeObject=Metadata: columns, and each row's object metadata.
func (s *Server) secretTable(w http.ResponseWriter, r *http.Request, items []any) {
	from, to, cont := window(r, len(items))
	rows := []map[string]any{}
	for _, o := range items[from:to] {
		data, _ := json.Marshal(o)
		var sec struct {
			Metadata metav1.ObjectMeta `json:"metadata"`
			Type     string            `json:"type"`
			Data     map[string]any    `json:"data"`
		}
		_ = json.Unmarshal(data, &sec)
		meta := map[string]any{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": sec.Metadata}
		rows = append(rows, map[string]any{"cells": []any{sec.Metadata.Name, sec.Type, len(sec.Data), "10d"}, "object": meta})
	}
	writeJSON(w, http.StatusOK, map[string]any{"kind": "Table", "apiVersion": "meta.k8s.io/v1",
		"metadata": map[string]any{"continue": cont, "resourceVersion": "1"},
		"columnDefinitions": []map[string]any{
			{"name": "Name", "type": "string", "format": "name"}, {"name": "Type", "type": "string"},
			{"name": "Data", "type": "string"}, {"name": "Age", "type": "string"},
		},
		"rows": rows})
}

func status(w http.ResponseWriter, code int, reason, msg string) {
	writeJSON(w, code, map[string]any{"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason, "message": msg, "code": code})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

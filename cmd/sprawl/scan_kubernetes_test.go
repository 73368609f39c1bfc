package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/scanner"
	"github.com/sprawlsec/sprawl/scanner/kube/kubetest"
)

// kubeCluster is a fake API server with the token planted in ConfigMaps
// of prod and staging and held by a Secret of one name in both, mounted
// by a prod deployment; namespace locked answers 403.
func kubeCluster(t *testing.T, tok string) *kubetest.Server {
	srv := kubetest.New(t)
	created := metav1.NewTime(time.Now().Add(-200 * 24 * time.Hour).Truncate(time.Second))
	for _, ns := range []string{"prod", "staging"} {
		m := metav1.ObjectMeta{Namespace: ns, Name: "app", CreationTimestamp: created}
		srv.Add("api/v1", "configmaps", ns, &corev1.ConfigMap{ObjectMeta: m, Data: map[string]string{"GITHUB_TOKEN": tok, "LOG_LEVEL": "info"}})
		srv.Add("api/v1", "secrets", ns, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gh-token", CreationTimestamp: created},
			Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"token": []byte(tok)}})
	}
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "prod", Name: "api"}}
	dep.Spec.Template.Spec.Containers = []corev1.Container{{Name: "api", EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "gh-token"}}}}}}
	srv.Add("apis/apps/v1", "deployments", "prod", dep)
	srv.Add("api/v1", "configmaps", "locked", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "locked", Name: "x"}})
	srv.Forbidden["locked"] = true
	return srv
}

// TestScanKubernetes: the same token in a repository and in ConfigMaps of
// prod and staging is one inventory entry with three locations, shared
// across environments; the Secrets holding it are recorded as metadata
// (type, age, the deployment that uses it, the same name in the other
// namespace) without their values crossing the wire; a forbidden
// namespace is skipped with its reason; nothing of the value is in the
// database. With --read-secret-values the Secret's value is fingerprinted
// and known to be the leaked one.
func TestScanKubernetes(t *testing.T) {
	dir := isolate(t)
	t.Setenv(envKey, "a-fingerprint-key-for-tests-only")
	db := filepath.Join(dir, "inv.db")
	tok := ghToken(t)
	plantedInRepo(t, dir, db, tok)
	srv := kubeCluster(t, tok)
	kc := srv.Kubeconfig(t, "kind-main")

	code, out, stderr := runSprawl(context.Background(), "scan", "kubernetes", "--kubeconfig", kc, "--inventory", db, "--format", "json", "--page-size", "1")
	if code != exitFindings {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	if strings.Contains(out+stderr, tok) || strings.Contains(out+stderr, srv.Token) {
		t.Fatal("the secret or the bearer token was printed in full")
	}
	if !strings.Contains(stderr, "sprawl: skipped namespace locked configmaps: forbidden (HTTP 403)") {
		t.Errorf("forbidden namespace not reported with its reason:\n%s", stderr)
	}
	if srv.SecretValuesServed != 0 {
		t.Errorf("Secret values were listed %d times without --read-secret-values", srv.SecretValuesServed)
	}
	var fs []map[string]any
	if err := json.Unmarshal([]byte(out), &fs); err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, f := range fs {
		files = append(files, f["source"].(string)+" "+f["file"].(string))
	}
	sort.Strings(files)
	want := []string{"kubernetes k8s:kind-main/prod/configmap/app/GITHUB_TOKEN", "kubernetes k8s:kind-main/staging/configmap/app/GITHUB_TOKEN"}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}

	es := inventoryEntries(t, db)
	if len(es) != 1 || len(es[0].Locations) != 3 {
		t.Fatalf("inventory = %+v, want one secret at three locations", es)
	}
	if !es[0].SharedEnvironments || !cmp.Equal(es[0].Environments, []inventory.Environment{inventory.EnvProduction, inventory.EnvStaging}) {
		t.Errorf("environments = %v shared=%v, want production and staging, shared", es[0].Environments, es[0].SharedEnvironments)
	}

	cs := ciSecrets(t, db, "kubernetes")
	type ck struct {
		Place, Name, Kind string
		UsedBy, SameName  []string
		Overdue           bool
	}
	var got []ck
	for _, c := range cs {
		got = append(got, ck{c.Place(), c.Name, c.Kind, c.UsedBy, c.SameName, c.Overdue})
		if c.Age < inventory.Duration(199*24*time.Hour) {
			t.Errorf("%s: age %v, want from its creation 200 days ago", c.Place(), c.Age)
		}
	}
	wantC := []ck{
		{"env kind-main/prod", "gh-token", "Opaque", []string{"deployment/api"}, []string{"env kind-main/staging"}, true},
		{"env kind-main/staging", "gh-token", "Opaque", nil, []string{"env kind-main/prod"}, true},
	}
	if diff := cmp.Diff(wantC, got); diff != "" {
		t.Errorf("secrets (-want +got):\n%s", diff)
	}
	noBytesOf(t, db, tok, srv.Token)

	// --read-secret-values: the values are read, fingerprinted, never kept.
	code, _, stderr = runSprawl(context.Background(), "scan", "kubernetes", "--kubeconfig", kc, "--inventory", db, "--read-secret-values", "--quiet")
	if code != exitFindings {
		t.Fatalf("--read-secret-values: exit %d\n%s", code, stderr)
	}
	if srv.SecretValuesServed == 0 {
		t.Error("--read-secret-values did not read the values")
	}
	s, err := inventory.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	vs, err := s.VaultEntries(context.Background(), inventory.VaultQuery{Adapter: "kubernetes"})
	if err != nil {
		t.Fatal(err)
	}
	fp := scanner.Fingerprint([]byte("a-fingerprint-key-for-tests-only"), tok)
	var where []string
	for _, v := range vs {
		where = append(where, v.Store+" "+v.Mount+"/"+v.Path+"#"+v.Field)
		if v.Fingerprint != fp {
			t.Errorf("%s: fingerprint is not the leaked token's", v.Path)
		}
	}
	if diff := cmp.Diff([]string{"kind-main prod/gh-token#token", "kind-main staging/gh-token#token"}, where); diff != "" {
		t.Errorf("fingerprinted values (-want +got):\n%s", diff)
	}
	noBytesOf(t, db, tok, srv.Token)
	// The cluster's Secrets hold the leaked value: managed, and leaked.
	code, out, stderr = runSprawl(context.Background(), "inventory", "managed", "--inventory", db, "--format", "json")
	if code != 0 {
		t.Fatalf("inventory managed: exit %d\n%s", code, stderr)
	}
	var ms []inventory.ManagedSecret
	if err := json.Unmarshal([]byte(out), &ms); err != nil {
		t.Fatal(err)
	}
	leaked := 0
	for _, m := range ms {
		if m.Kind == "kubernetes" && m.Leaked {
			leaked++
		}
	}
	if leaked != 2 {
		t.Errorf("managed: %d leaked Kubernetes Secret values, want 2\n%s", leaked, out)
	}

	if code, _, _ := runSprawl(context.Background(), "scan", "kubernetes", "--kubeconfig", kc, "--read-secret-values"); code != exitUsage {
		t.Errorf("--read-secret-values without --inventory: exit %d, want 2", code)
	}
	if code, _, _ := runSprawl(context.Background(), "scan", "kubernetes", "--kubeconfig", kc, "--context", "nope"); code != exitUsage {
		t.Errorf("unknown context: exit %d, want 2", code)
	}
}

// TestScanKubernetesNamespacePartial: a scan of one namespace leaves what
// the inventory knows of the others as it is (not gone).
func TestScanKubernetesNamespacePartial(t *testing.T) {
	dir := isolate(t)
	t.Setenv(envKey, "a-fingerprint-key-for-tests-only")
	db := filepath.Join(dir, "inv.db")
	tok := ghToken(t)
	srv := kubeCluster(t, tok)
	kc := srv.Kubeconfig(t, "kind-main")
	if code, _, stderr := runSprawl(context.Background(), "scan", "kubernetes", "--kubeconfig", kc, "--inventory", db, "--quiet"); code != exitFindings {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if code, _, stderr := runSprawl(context.Background(), "scan", "kubernetes", "--kubeconfig", kc, "-n", "staging", "--inventory", db, "--quiet"); code != exitFindings {
		t.Fatalf("-n staging: exit %d\n%s", code, stderr)
	}
	es := inventoryEntries(t, db)
	if len(es) != 1 || es[0].PresentLocations != 2 {
		t.Errorf("after a one-namespace scan: %+v, want the secret present at both ConfigMaps", es)
	}
	if cs := ciSecrets(t, db, "kubernetes"); len(cs) != 2 {
		t.Errorf("after a one-namespace scan: %d Secrets recorded, want both still present", len(cs))
	}
}

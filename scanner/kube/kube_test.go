package kube_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/sprawlsec/sprawl/scanner"
	"github.com/sprawlsec/sprawl/scanner/kube"
	"github.com/sprawlsec/sprawl/scanner/kube/kubeclientset"
	"github.com/sprawlsec/sprawl/scanner/kube/kubetest"
)

var created = metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))

func meta(ns, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name, CreationTimestamp: created}
}

// fixture is a small cluster: two namespaces with the same Secret name,
// workloads of every kind using Secrets every way, literal env values,
// and a pod a ReplicaSet owns (scanned at its deployment instead).
func fixture(pw string) []runtime.Object {
	tpl := func(env ...corev1.EnvVar) corev1.PodTemplateSpec {
		return corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Env: env}}}}
	}
	isTrue := true
	owned := meta("prod", "api-7d9-x1")
	owned.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "api-7d9", UID: "u1", Controller: &isTrue}}
	cronOwned := meta("staging", "backup-29000")
	cronOwned.OwnerReferences = []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "CronJob", Name: "backup", UID: "u2", Controller: &isTrue}}
	dep := &appsv1.Deployment{ObjectMeta: meta("prod", "api"), Spec: appsv1.DeploymentSpec{Template: tpl(
		corev1.EnvVar{Name: "DB_PASSWORD", Value: pw},
		corev1.EnvVar{Name: "API_KEY", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "api-keys"}, Key: "k"}}},
	)}}
	dep.Spec.Template.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "registry"}}
	sts := &appsv1.StatefulSet{ObjectMeta: meta("prod", "db"), Spec: appsv1.StatefulSetSpec{Template: tpl()}}
	sts.Spec.Template.Spec.Volumes = []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "db-creds"}}}}
	ds := &appsv1.DaemonSet{ObjectMeta: meta("prod", "agent"), Spec: appsv1.DaemonSetSpec{Template: tpl()}}
	ds.Spec.Template.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "db-creds"}}}}
	cj := &batchv1.CronJob{ObjectMeta: meta("staging", "backup")}
	cj.Spec.JobTemplate.Spec.Template = tpl(corev1.EnvVar{Name: "LOG_LEVEL", Value: "debug"})
	cj.Spec.JobTemplate.Spec.Template.Spec.Volumes = []corev1.Volume{{Name: "p", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		Sources: []corev1.VolumeProjection{{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "db-creds"}}}}}}}}
	return []runtime.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "prod"}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "staging"}},
		&corev1.ConfigMap{ObjectMeta: meta("prod", "app"), Data: map[string]string{"DB_PASSWORD": pw, "app.properties": "a=1\nb=2\n"}},
		&corev1.ConfigMap{ObjectMeta: meta("staging", "app"), Data: map[string]string{"DB_PASSWORD": pw}},
		&corev1.Secret{ObjectMeta: meta("prod", "db-creds"), Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"password": []byte(pw)}},
		&corev1.Secret{ObjectMeta: meta("staging", "db-creds"), Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"password": []byte(pw)}},
		&corev1.Secret{ObjectMeta: meta("prod", "registry"), Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{".dockerconfigjson": []byte("{}")}},
		&corev1.Secret{ObjectMeta: meta("prod", "api-keys"), Type: corev1.SecretTypeOpaque},
		dep, sts, ds, cj,
		&corev1.Pod{ObjectMeta: owned, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Env: []corev1.EnvVar{{Name: "DB_PASSWORD", Value: pw}}}}}},
		&batchv1.Job{ObjectMeta: meta("staging", "seed"), Spec: batchv1.JobSpec{Template: tpl(corev1.EnvVar{Name: "SEED_PASSWORD", Value: pw})}},
		&batchv1.Job{ObjectMeta: cronOwned, Spec: batchv1.JobSpec{Template: tpl(corev1.EnvVar{Name: "LOG_LEVEL", Value: "debug"})}},
		&corev1.Pod{ObjectMeta: meta("staging", "debug"), Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "sh", Env: []corev1.EnvVar{{Name: "TOKEN", Value: "t0"}}}}}},
	}
}

func paths(items []kube.Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Path)
	}
	return out
}

type secretView struct {
	NS, Name, Type   string
	Created          time.Time
	UsedBy, SameName []string
	Fields           int
}

func view(ss []kube.Secret) []secretView {
	var out []secretView
	for _, s := range ss {
		out = append(out, secretView{s.Namespace, s.Name, s.Type, s.Created, s.UsedBy, s.SameName, len(s.Fields)})
	}
	return out
}

var wantSecrets = []secretView{
	{"prod", "api-keys", "Opaque", created.UTC(), []string{"deployment/api"}, nil, 0},
	{"prod", "db-creds", "Opaque", created.UTC(), []string{"daemonset/agent", "statefulset/db"}, []string{"staging"}, 0},
	{"prod", "registry", "kubernetes.io/dockerconfigjson", created.UTC(), []string{"deployment/api"}, nil, 0},
	{"staging", "db-creds", "Opaque", created.UTC(), []string{"cronjob/backup"}, []string{"prod"}, 0},
}

var wantItems = []string{
	"k8s:ctx/prod/configmap/app/DB_PASSWORD",
	"k8s:ctx/prod/configmap/app/app.properties",
	"k8s:ctx/prod/deployment/api/app/env/DB_PASSWORD",
	"k8s:ctx/staging/configmap/app/DB_PASSWORD",
	"k8s:ctx/staging/pod/debug/sh/env/TOKEN",
	"k8s:ctx/staging/cronjob/backup/app/env/LOG_LEVEL",
	"k8s:ctx/staging/job/seed/app/env/SEED_PASSWORD",
}

// TestScanFakeClientset runs the scan on client-go's fake clientset.
func TestScanFakeClientset(t *testing.T) {
	pw := "pw-" + strings.Repeat("x", 8)
	cs := fake.NewClientset(fixture(pw)...)
	s := &kube.Scanner{Client: kubeclientset.New(cs), Opts: kube.Options{Context: "ctx"}}
	res, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"prod", "staging"}, res.Namespaces); diff != "" {
		t.Errorf("namespaces (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantItems, paths(res.Items)); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantSecrets, view(res.Secrets)); diff != "" {
		t.Errorf("secrets (-want +got):\n%s", diff)
	}
	if !res.Complete() {
		t.Errorf("problems: %v", res.Problems)
	}
	if got := string(res.Items[0].Data); got != "DB_PASSWORD="+pw+"\n" {
		t.Errorf("one-line value scanned as %q, want KEY=value", got)
	}
	if got := string(res.Items[1].Data); got != "a=1\nb=2\n" {
		t.Errorf("file value scanned as %q, want as it is", got)
	}

	// Only the namespaces asked for.
	s.Opts.Namespaces = []string{"staging"}
	res, err = s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Secrets) != 1 || res.Secrets[0].Namespace != "staging" || len(res.Secrets[0].SameName) != 0 {
		t.Errorf("--namespace staging secrets = %+v", view(res.Secrets))
	}
}

// TestReadSecretValuesFingerprints: with ReadSecretValues each value is
// fingerprinted; nothing else of it is kept.
func TestReadSecretValuesFingerprints(t *testing.T) {
	pw := "pw-" + strings.Repeat("y", 8)
	cs := fake.NewClientset(fixture(pw)...)
	var seen []string
	s := &kube.Scanner{Client: kubeclientset.New(cs), Opts: kube.Options{Context: "ctx", ReadSecretValues: true, Fingerprint: func(v string) string {
		seen = append(seen, v)
		return "fp:" + string(rune('a'+len(seen)))
	}}}
	res, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var fields []kube.Field
	for _, x := range res.Secrets {
		fields = append(fields, x.Fields...)
	}
	want := []kube.Field{{Key: "password", Fingerprint: "fp:b"}, {Key: ".dockerconfigjson", Fingerprint: "fp:c"}, {Key: "password", Fingerprint: "fp:d"}}
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{pw, "{}", pw}, seen); diff != "" {
		t.Errorf("values fingerprinted (-want +got):\n%s", diff)
	}
	if _, err := (&kube.Scanner{Client: kubeclientset.New(cs), Opts: kube.Options{ReadSecretValues: true}}).Scan(context.Background()); err == nil {
		t.Error("ReadSecretValues without Fingerprint accepted")
	}
}

func serverFixture(t *testing.T, pw string) *kubetest.Server {
	srv := kubetest.New(t)
	for _, o := range fixture(pw) {
		switch x := o.(type) {
		case *corev1.Namespace:
		case *corev1.ConfigMap:
			srv.Add("api/v1", "configmaps", x.Namespace, x)
		case *corev1.Secret:
			srv.Add("api/v1", "secrets", x.Namespace, x)
		case *corev1.Pod:
			srv.Add("api/v1", "pods", x.Namespace, x)
		case *appsv1.Deployment:
			srv.Add("apis/apps/v1", "deployments", x.Namespace, x)
		case *appsv1.StatefulSet:
			srv.Add("apis/apps/v1", "statefulsets", x.Namespace, x)
		case *appsv1.DaemonSet:
			srv.Add("apis/apps/v1", "daemonsets", x.Namespace, x)
		case *batchv1.CronJob:
			srv.Add("apis/batch/v1", "cronjobs", x.Namespace, x)
		case *batchv1.Job:
			srv.Add("apis/batch/v1", "jobs", x.Namespace, x)
		}
	}
	return srv
}

// TestScanAPIServerPagingAndForbidden runs the scan through a kubeconfig
// against an httptest API server: one item per page, Secrets as a Table
// (no values on the wire), and a namespace whose lists are forbidden
// skipped with its reason.
func TestScanAPIServerPagingAndForbidden(t *testing.T) {
	pw := "pw-" + strings.Repeat("z", 8)
	srv := serverFixture(t, pw)
	// More ConfigMaps in prod, so paging has pages to turn.
	for _, n := range []string{"c1", "c2", "c3"} {
		srv.Add("api/v1", "configmaps", "prod", &corev1.ConfigMap{ObjectMeta: meta("prod", n), Data: map[string]string{"k": "v"}})
	}
	srv.Add("api/v1", "configmaps", "locked", &corev1.ConfigMap{ObjectMeta: meta("locked", "x"), Data: map[string]string{"k": "v"}})
	srv.Forbidden["locked"] = true
	srv.Limited["/api/v1/namespaces/staging/configmaps"] = 1
	client, name, err := kube.Connect(srv.Kubeconfig(t, "kind-test"), "")
	if err != nil {
		t.Fatal(err)
	}
	if name != "kind-test" {
		t.Errorf("context = %q", name)
	}
	s := &kube.Scanner{Client: client, Opts: kube.Options{Context: name, PageSize: 1}}
	res, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var items []string
	for _, p := range paths(res.Items) {
		items = append(items, strings.Replace(p, "k8s:kind-test/", "k8s:ctx/", 1))
	}
	want := append(append([]string(nil), wantItems[:2]...), "k8s:ctx/prod/configmap/c1/k", "k8s:ctx/prod/configmap/c2/k", "k8s:ctx/prod/configmap/c3/k")
	want = append(want, wantItems[2:]...)
	if diff := cmp.Diff(want, items); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantSecrets, view(res.Secrets)); diff != "" {
		t.Errorf("secrets (-want +got):\n%s", diff)
	}
	var probs []string
	for _, p := range res.Problems {
		probs = append(probs, p.String())
	}
	if len(probs) != 8 || !strings.HasPrefix(probs[0], "namespace locked configmaps: forbidden (HTTP 403)") {
		t.Errorf("problems = %q, want each of locked's 8 lists forbidden", probs)
	}
	if srv.SecretValuesServed != 0 {
		t.Errorf("%d Secret lists with values served; want Table lists only", srv.SecretValuesServed)
	}
	// prod's four ConfigMaps took four pages of one.
	n := 0
	for _, p := range srv.Paths() {
		if strings.HasPrefix(p, "/api/v1/namespaces/prod/configmaps?") {
			n++
			if !strings.Contains(p, "limit=1") {
				t.Errorf("request without limit: %s", p)
			}
		}
	}
	if n != 4 {
		t.Errorf("prod configmaps: %d requests, want 4 pages", n)
	}
	// The 429 was waited out and retried (client-go honours Retry-After).
	if srv.Limited["/api/v1/namespaces/staging/configmaps"] != 0 || !slices.Contains(items, "k8s:ctx/staging/configmap/app/DB_PASSWORD") {
		t.Error("the rate-limited list was not retried")
	}
	if srv.NoAuth != 0 {
		t.Errorf("%d requests without the bearer token", srv.NoAuth)
	}
}

func TestSource(t *testing.T) {
	src := &kube.Source{Context: "c", Items: []kube.Item{{Path: "k8s:c/ns/configmap/a/k", Data: []byte("k=v\n"), Note: "ConfigMap value"}}}
	if src.Kind() != "kubernetes" || src.Root() != "k8s://c" {
		t.Errorf("kind/root = %s %s", src.Kind(), src.Root())
	}
	var got []scanner.Chunk
	_ = src.Chunks(context.Background(), func(c scanner.Chunk) error { got = append(got, c); return nil })
	if len(got) != 1 || got[0].Path != "k8s:c/ns/configmap/a/k" || got[0].Line != 1 {
		t.Errorf("chunks = %+v", got)
	}
}

package storescan_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/inventory/storescan"
	"github.com/sprawlsec/sprawl/scanner/jenkins"
	"github.com/sprawlsec/sprawl/scanner/kube"
)

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func TestJenkinsScopes(t *testing.T) {
	s := storescan.Jenkins("ci.example", []jenkins.Credential{
		{Store: "system", ID: "nexus", TypeName: "Username with password", Description: "uploads"},
		{Store: "team/api", Folder: true, ID: "key", TypeName: "Secret text"},
	}, true)
	want := []inventory.CISecretRecord{
		{Store: "credentials", Scope: inventory.ScopeOrg, Name: "nexus", Kind: "Username with password", Description: "uploads"},
		{Store: "credentials", Scope: inventory.ScopeRepo, Repository: "team/api", Name: "key", Kind: "Secret text"},
	}
	if diff := cmp.Diff(want, s.Batch.Secrets); diff != "" || s.Batch.Owner != "ci.example" || !s.Batch.Complete || s.Index != nil {
		t.Errorf("batch %+v (-want +got):\n%s", s.Batch, diff)
	}
}

// TestKubernetesRecord records Secrets' metadata and, when values were
// read, their fingerprints; without values no index is recorded.
func TestKubernetesRecord(t *testing.T) {
	res := &kube.Result{Namespaces: []string{"prod", "staging"}, Secrets: []kube.Secret{
		{Namespace: "prod", Name: "db", Type: "Opaque", Created: t0, UsedBy: []string{"deployment/api"}, Fields: []kube.Field{{Key: "password", Fingerprint: "fp1"}}},
		{Namespace: "staging", Name: "db", Type: "Opaque", Created: t0, Updated: t0.Add(time.Hour)},
	}}
	ctx := context.Background()
	st, err := inventory.Open(ctx, filepath.Join(t.TempDir(), "inv.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	noValues := storescan.Kubernetes("kind-main", res, true, "")
	if noValues.Index != nil {
		t.Fatal("an index without values read")
	}
	key := []byte("a-fingerprint-key-for-tests-only")
	rec, err := storescan.Record(ctx, st, storescan.Kubernetes("kind-main", res, true, inventory.KeyCheck(key)), "tester")
	if err != nil {
		t.Fatal(err)
	}
	if rec.CISecrets == nil || rec.CISecrets.New != 2 || rec.Index == nil || rec.Index.New != 1 {
		t.Fatalf("recorded %+v %+v, want 2 secrets and 1 value", rec.CISecrets, rec.Index)
	}
	cs, err := st.CISecrets(ctx, inventory.CISecretQuery{Provider: "kubernetes"})
	if err != nil {
		t.Fatal(err)
	}
	var places []string
	for _, c := range inventory.EvaluateCISecrets(cs, inventory.Policy{}, t0.Add(24*time.Hour)) {
		places = append(places, c.Place()+" "+c.Name+" "+c.Kind+" same:"+strings.Join(c.SameName, ","))
	}
	want := []string{"env kind-main/prod db Opaque same:env kind-main/staging", "env kind-main/staging db Opaque same:env kind-main/prod"}
	if diff := cmp.Diff(want, places); diff != "" {
		t.Errorf("secrets (-want +got):\n%s", diff)
	}
	vs, err := st.VaultEntries(ctx, inventory.VaultQuery{Adapter: "kubernetes"})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 || vs[0].Mount != "prod" || vs[0].Path != "db" || vs[0].Field != "password" || vs[0].Fingerprint != "fp1" {
		t.Errorf("index = %+v", vs)
	}
}

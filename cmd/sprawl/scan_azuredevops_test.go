package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/scanner/forge/forgetest"
)

// fakeADOPAT is the token the fake organisation accepts.
const fakeADOPAT = "sprawl-fake-azure-devops-pat"

// TestScanAzureDevOps: one planted token in a repository's staging
// configuration and in a production variable group is one inventory
// entry with two locations, shared across environments; secret
// variables, Key Vault-linked groups and service connections are
// metadata with their age and users; a project the token may not read
// and one that is gone are skipped with their reasons; the variable
// groups' 429 is waited out; no secret value reaches the database.
func TestScanAzureDevOps(t *testing.T) {
	dir := isolate(t)
	t.Setenv(envKey, "a-fingerprint-key-for-tests-only")
	t.Setenv(envAzureDevOpsToken, fakeADOPAT)
	slept := &sleeps{}
	slept.install(t)

	shared := ghToken(t)
	api := newFakeRepo(t, dir, "api")
	api.commit(t, "staging config", map[string]string{"config/staging.env": "GITHUB_TOKEN=" + shared + "\n"})
	old := time.Date(2025, 1, 10, 8, 0, 0, 0, time.UTC)
	f := forgetest.NewAzureDevOps(t, "acme", fakeADOPAT)
	f.Projects = []*forgetest.ADOProject{
		{ID: "p-web", Name: "Web",
			Repos:     []forgetest.ADORepo{{Name: "api", CloneURL: api.url()}},
			Pipelines: []forgetest.ADOPipeline{{ID: 7, Name: "deploy", Created: old, Vars: []forgetest.ADOVar{{Name: "API_URL", Value: "https://api.example"}, {Name: "SIGNING_KEY", Secret: true}}}},
			Groups: []forgetest.ADOGroup{
				{ID: 1, Name: "prod-settings", Created: old, Modified: old, Permit: forgetest.Permit{Pipelines: []int{7}},
					Vars: []forgetest.ADOVar{{Name: "DEPLOY_TOKEN", Value: shared}, {Name: "DB_PASSWORD", Secret: true}}},
				{ID: 2, Name: "kv-prod", KeyVault: "acme-kv", Created: old, Modified: old, Permit: forgetest.Permit{All: true}, Vars: []forgetest.ADOVar{{Name: "api-key"}}},
			},
			Endpoints: []forgetest.ADOEndpoint{{ID: "e1", Name: "azure-prod", Type: "azurerm", Scheme: "ServicePrincipal", Permit: forgetest.Permit{Pipelines: []int{7}}}},
		},
		{ID: "p-locked", Name: "Locked"},
		{ID: "p-gone", Name: "Gone"},
	}
	f.Fail("/acme/Locked/", http.StatusForbidden)
	f.Fail("/acme/Gone/", http.StatusNotFound)
	f.Throttle("/acme/Web/_apis/distributedtask/variablegroups", 1)

	db := filepath.Join(dir, "inv.db")
	args := []string{"scan", "azure-devops", "--org", "acme", "--url", f.URL, "--inventory", db, "--cache-dir", filepath.Join(dir, "cache"), "--format", "json"}
	code, out, stderr := runSprawl(context.Background(), args...)
	if code != exitFindings {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	for _, s := range []string{shared, fakeADOPAT} {
		if strings.Contains(out+stderr, s) {
			t.Fatal("a secret or the token was printed in full")
		}
	}
	for _, want := range []string{"skipped Locked: Git repositories of project Locked: access denied (HTTP 403: TF401027", "skipped Gone: Git repositories of project Gone: not found (HTTP 404: TF200016"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if n := f.BadAuth(); n != 0 {
		t.Errorf("%d requests without the token", n)
	}
	if diff := cmp.Diff([]time.Duration{7 * time.Second}, slept.got()); diff != "" {
		t.Errorf("waits (-want +got): the 429's Retry-After\n%s", diff)
	}
	if got := summary(t, stderr); got != [4]int{1, 0, 2, 1} {
		t.Errorf("full/incremental/skipped/blobs = %v, want [1 0 2 1]: the two projects skipped\n%s", got, stderr)
	}
	var fs []map[string]any
	if err := json.Unmarshal([]byte(out), &fs); err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, x := range fs {
		files = append(files, x["source"].(string)+" "+x["file"].(string))
	}
	sort.Strings(files)
	if diff := cmp.Diff([]string{"azure-pipelines azure-devops:acme/Web/vargroup/prod-settings/DEPLOY_TOKEN", "git config/staging.env"}, files); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}

	// One entry, two places, two environments.
	code, listOut, errOut := runSprawl(context.Background(), "inventory", "list", "--inventory", db, "--format", "json")
	if code != 0 {
		t.Fatalf("inventory list: exit %d %s", code, errOut)
	}
	var es []inventory.Entry
	if err := json.Unmarshal([]byte(listOut), &es); err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 {
		t.Fatalf("inventory holds %d secrets, want 1", len(es))
	}
	var locs []string
	for _, l := range es[0].Locations {
		locs = append(locs, l.Repository+" "+l.Path+" "+string(l.Environment))
	}
	sort.Strings(locs)
	wantLocs := []string{
		f.URL + "/acme azure-devops:acme/Web/vargroup/prod-settings/DEPLOY_TOKEN production",
		f.URL + "/acme/Web/_git/api config/staging.env staging",
	}
	if diff := cmp.Diff(wantLocs, locs); diff != "" {
		t.Errorf("locations (-want +got):\n%s", diff)
	}
	if !es[0].SharedEnvironments {
		t.Errorf("the entry is not flagged shared across environments: %+v", es[0].Environments)
	}

	// The store's own secrets: metadata with age and users.
	code, ciOut, errOut := runSprawl(context.Background(), "inventory", "ci-secrets", "--inventory", db, "--format", "json")
	if code != 0 {
		t.Fatalf("ci-secrets: exit %d %s", code, errOut)
	}
	var cs []inventory.CISecretEntry
	if err := json.Unmarshal([]byte(ciOut), &cs); err != nil {
		t.Fatal(err)
	}
	type ck struct{ Owner, Store, Place, Name, Kind, UsedBy string }
	var got []ck
	for _, c := range cs {
		got = append(got, ck{c.Provider + ":" + c.Owner, c.Store, c.Place(), c.Name, c.Kind, strings.Join(c.UsedBy, ",")})
		if c.Age <= 0 || (c.Store != "service-connection" && !c.Overdue) {
			t.Errorf("%s %s: age %v, overdue %v: want its age from %s, overdue", c.Store, c.Name, c.Age, c.Overdue, old)
		}
	}
	want := []ck{
		{"azure-devops:acme", "service-connection", "repo Web", "azure-prod", "azurerm (ServicePrincipal)", "pipeline deploy"},
		{"azure-devops:acme", "pipeline", "repo Web", "deploy/SIGNING_KEY", "secret variable", "pipeline deploy"},
		{"azure-devops:acme", "variable-group", "repo Web", "kv-prod/api-key", "azure-key-vault", "all pipelines"},
		{"azure-devops:acme", "variable-group", "repo Web", "prod-settings/DB_PASSWORD", "secret variable", "pipeline deploy"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ci-secrets (-want +got):\n%s", diff)
	}

	// Nothing of the planted value is in the database.
	for _, suffix := range []string{"", "-wal"} {
		if b, err := os.ReadFile(db + suffix); err == nil && bytes.Contains(b, []byte(shared)) {
			t.Errorf("the inventory (%s) holds the secret", filepath.Base(db+suffix))
		}
	}

	// A second run is incremental and finds nothing new in git.
	code, _, stderr = runSprawl(context.Background(), append(args, "--ci-stores=false")...)
	if code != 0 {
		t.Fatalf("second run: exit %d, want 0\n%s", code, stderr)
	}
	if got := summary(t, stderr); got != [4]int{0, 1, 2, 0} {
		t.Errorf("second run = %v, want [0 1 2 0]\n%s", got, stderr)
	}
}

// TestScanAzureDevOpsEveryProjectFails: a token that reads no project is a
// failure (exit 3), not a clean scan.
func TestScanAzureDevOpsEveryProjectFails(t *testing.T) {
	dir := isolate(t)
	t.Setenv(envAzureDevOpsToken, fakeADOPAT)
	f := forgetest.NewAzureDevOps(t, "acme", fakeADOPAT)
	f.Projects = []*forgetest.ADOProject{{ID: "p", Name: "Locked"}}
	f.Fail("/acme/Locked/", http.StatusForbidden)
	code, _, stderr := runSprawl(context.Background(), "scan", "azure-devops", "--org", "acme", "--url", f.URL, "--cache-dir", filepath.Join(dir, "cache"))
	if code != exitFailure || !strings.Contains(stderr, "every repository failed") {
		t.Errorf("exit %d, want 3 naming the failure\n%s", code, stderr)
	}
	code, _, stderr = runSprawl(context.Background(), "scan", "azure-devops", "--url", f.URL)
	if code != exitUsage || !strings.Contains(stderr, "--org is required") {
		t.Errorf("without --org: exit %d\n%s", code, stderr)
	}
}

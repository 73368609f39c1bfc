package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/inventory"
	"github.com/sprawlsec/sprawl/scanner/jenkins/jenkinstest"
)

// hudsonSecret makes a synthetic hudson.util.Secret value ({AQAAAB…}).
func hudsonSecret(t *testing.T) string {
	raw := make([]byte, 48)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	return "{AQAAAB" + base64.StdEncoding.EncodeToString(raw) + "}"
}

// plantedInRepo commits secret to a new repository and scans it into db.
func plantedInRepo(t *testing.T, dir, db, secret string) {
	t.Helper()
	repo := filepath.Join(dir, "app")
	writeFile(t, filepath.Join(repo, "deploy.env"), "GITHUB_TOKEN="+secret+"\n")
	gitT(t, repo, "init", "-q")
	gitT(t, repo, "add", "-A")
	gitT(t, repo, "commit", "-q", "-m", "deploy settings")
	if code, _, stderr := runSprawl(context.Background(), "scan", "git", repo, "--inventory", db, "--quiet"); code != exitFindings {
		t.Fatalf("scan git: exit %d\n%s", code, stderr)
	}
}

// inventoryEntries lists the inventory's secrets.
func inventoryEntries(t *testing.T, db string) []inventory.Entry {
	t.Helper()
	code, out, stderr := runSprawl(context.Background(), "inventory", "list", "--inventory", db, "--format", "json")
	if code != 0 {
		t.Fatalf("inventory list: exit %d\n%s", code, stderr)
	}
	var es []inventory.Entry
	if err := json.Unmarshal([]byte(out), &es); err != nil {
		t.Fatal(err)
	}
	return es
}

// ciSecrets lists the inventory's store secrets with their ages.
func ciSecrets(t *testing.T, db, provider string) []inventory.CISecretEntry {
	t.Helper()
	code, out, stderr := runSprawl(context.Background(), "inventory", "ci-secrets", "--inventory", db, "--provider", provider, "--format", "json")
	if code != 0 {
		t.Fatalf("inventory ci-secrets: exit %d\n%s", code, stderr)
	}
	var cs []inventory.CISecretEntry
	if err := json.Unmarshal([]byte(out), &cs); err != nil {
		t.Fatal(err)
	}
	return cs
}

// noBytesOf fails if any file of the inventory db (with its WAL) holds
// one of secrets.
func noBytesOf(t *testing.T, db string, secrets ...string) {
	t.Helper()
	files, _ := filepath.Glob(db + "*")
	if len(files) == 0 {
		t.Fatal("no inventory files")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s holds a secret value in clear", filepath.Base(f))
			}
		}
	}
}

// TestScanJenkins: the same token planted in a repository and in two
// jobs' build steps (production and staging folders) is one inventory
// entry with three locations, shared across environments; a
// hudson.util.Secret in a job config is a finding; credentials are
// recorded as metadata with an age; a forbidden job is skipped with its
// reason; a 429 is waited out; nothing of a value is in the database.
func TestScanJenkins(t *testing.T) {
	dir := isolate(t)
	t.Setenv(envKey, "a-fingerprint-key-for-tests-only")
	slept := &sleeps{}
	slept.install(t)
	db := filepath.Join(dir, "inv.db")
	tok, enc := ghToken(t), hudsonSecret(t)
	plantedInRepo(t, dir, db, tok)

	j := jenkinstest.New(t)
	t.Setenv(envJenkinsUser, j.User)
	t.Setenv(envJenkinsToken, j.Token)
	step := func(cmd string) string {
		return "<?xml version='1.1' encoding='UTF-8'?>\n<project>\n  <builders>\n    <hudson.tasks.Shell>\n      <command>" + cmd + "</command>\n    </hudson.tasks.Shell>\n  </builders>\n</project>\n"
	}
	j.Folders["prod"], j.Folders["staging"] = true, true
	j.Configs["prod/deploy"] = step("export GITHUB_TOKEN=" + tok + "\n./deploy.sh")
	j.Configs["staging/deploy"] = step("export GITHUB_TOKEN=" + tok + "\n./deploy.sh")
	j.Configs["release"] = "<project>\n  <properties>\n    <hudson.model.ParametersDefinitionProperty><parameterDefinitions>\n" +
		"      <hudson.model.PasswordParameterDefinition><name>NEXUS</name><defaultValue>" + enc + "</defaultValue></hudson.model.PasswordParameterDefinition>\n" +
		"    </parameterDefinitions></hudson.model.ParametersDefinitionProperty>\n  </properties>\n</project>\n"
	// An SCM URL with credentials and a password typed into a step, as
	// Jenkins writes them (XML-escaped quotes).
	scmPW, dbPW := "Qx7vT2pL"+"m9Rw4zKs", "Vn3#kq8L"+"z!pW"
	j.Configs["prod/migrate"] = "<flow-definition>\n  <scm><userRemoteConfigs><hudson.plugins.git.UserRemoteConfig>\n" +
		"    <url>https://deploy:" + scmPW + "@git.example.com/app.git</url>\n  </hudson.plugins.git.UserRemoteConfig></userRemoteConfigs></scm>\n" +
		"  <command>mysql -u root -p&quot;" + dbPW + "&quot; app &lt; schema.sql</command>\n</flow-definition>\n"
	j.Configs["clean"] = step("make test")
	j.Configs["locked"] = step("make")
	j.Forbidden["/job/locked/config.xml"] = true
	j.Limited["/job/release/config.xml"] = 1
	j.Creds["system"] = []jenkinstest.Cred{{ID: "nexus-upload", TypeName: "Username with password", Description: "release uploads"}}
	j.Creds["prod"] = []jenkinstest.Cred{{ID: "prod-deploy-key", TypeName: "SSH Username with private key"}}

	code, out, stderr := runSprawl(context.Background(), "scan", "jenkins", "--url", j.URL, "--inventory", db, "--format", "json", "--page-size", "2")
	if code != exitFindings {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	for _, s := range []string{tok, enc[1 : len(enc)-1], j.Token, scmPW, dbPW} {
		if strings.Contains(out+stderr, s) {
			t.Fatal("a secret or the API token was printed in full")
		}
	}
	if j.NoAuth != 0 {
		t.Errorf("%d requests without Basic authentication", j.NoAuth)
	}
	if !strings.Contains(stderr, "sprawl: skipped job locked: HTTP 403") {
		t.Errorf("forbidden job not reported with its reason:\n%s", stderr)
	}
	if w := slept.got(); len(w) != 1 || w[0] != 7*time.Second {
		t.Errorf("waits = %v, want [7s] (the 429's Retry-After)", w)
	}
	var fs []map[string]any
	if err := json.Unmarshal([]byte(out), &fs); err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(j.URL, "http://")
	type fk struct{ Source, File, Rule string }
	var got []fk
	for _, f := range fs {
		got = append(got, fk{f["source"].(string), f["file"].(string), f["rule_id"].(string)})
	}
	sort.Slice(got, func(a, b int) bool {
		if got[a].File != got[b].File {
			return got[a].File < got[b].File
		}
		return got[a].Rule < got[b].Rule
	})
	want := []fk{
		{"jenkins", "jenkins:" + host + "/job/prod/job/deploy/config.xml", "github-pat"},
		{"jenkins", "jenkins:" + host + "/job/prod/job/migrate/config.xml", "database-cli-password"},
		{"jenkins", "jenkins:" + host + "/job/prod/job/migrate/config.xml", "url-basic-auth"},
		{"jenkins", "jenkins:" + host + "/job/release/config.xml", "jenkins-encrypted-secret"},
		{"jenkins", "jenkins:" + host + "/job/staging/job/deploy/config.xml", "github-pat"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}

	// One entry for the token: the repository and both jobs, production
	// and staging, so shared across environments.
	var tokE *inventory.Entry
	es := inventoryEntries(t, db)
	for i := range es {
		if len(es[i].Locations) == 3 {
			tokE = &es[i]
		}
	}
	if len(es) != 4 || tokE == nil {
		t.Fatalf("inventory = %d entries (want 4: the token with 3 locations, the encrypted secret, the two passwords): %+v", len(es), es)
	}
	if !tokE.SharedEnvironments || !cmp.Equal(tokE.Environments, []inventory.Environment{inventory.EnvProduction, inventory.EnvStaging}) {
		t.Errorf("token environments = %v shared=%v, want production and staging, shared", tokE.Environments, tokE.SharedEnvironments)
	}
	for _, l := range tokE.Locations {
		// A job's current configuration is the tip: the secret is there now.
		if l.Source == "jenkins" && (l.AtTip == nil || !*l.AtTip) {
			t.Errorf("%s: not recorded as present now", l.Path)
		}
	}

	cs := ciSecrets(t, db, "jenkins")
	type ck struct{ Place, Name, Kind, Desc string }
	var gotC []ck
	for _, c := range cs {
		gotC = append(gotC, ck{c.Place(), c.Name, c.Kind, c.Description})
		if c.FirstSeen.IsZero() || c.Owner != host {
			t.Errorf("%s: owner %q first seen %v", c.Name, c.Owner, c.FirstSeen)
		}
	}
	wantC := []ck{{"org", "nexus-upload", "Username with password", "release uploads"}, {"repo prod", "prod-deploy-key", "SSH Username with private key", ""}}
	if diff := cmp.Diff(wantC, gotC); diff != "" {
		t.Errorf("credentials (-want +got):\n%s", diff)
	}
	noBytesOf(t, db, tok, enc[1:len(enc)-1], j.Token, scmPW, dbPW)
}

// TestScanJenkinsFailures: a refused login is exit 2, an unreachable
// controller exit 3, and a controller where no job config can be read
// is not a clean scan.
func TestScanJenkinsFailures(t *testing.T) {
	isolate(t)
	j := jenkinstest.New(t)
	j.Configs["a"] = "<project/>"
	t.Setenv(envJenkinsUser, j.User)
	t.Setenv(envJenkinsToken, "wrong")
	if code, _, stderr := runSprawl(context.Background(), "scan", "jenkins", "--url", j.URL); code != exitUsage || !strings.Contains(stderr, "HTTP 401") {
		t.Errorf("bad token: exit %d, want 2\n%s", code, stderr)
	}
	t.Setenv(envJenkinsToken, j.Token)
	j.Forbidden["/job/a/config.xml"] = true
	if code, _, stderr := runSprawl(context.Background(), "scan", "jenkins", "--url", j.URL); code != exitFailure || !strings.Contains(stderr, "no job configuration could be read") {
		t.Errorf("nothing readable: exit %d, want 3\n%s", code, stderr)
	}
	if code, _, stderr := runSprawl(context.Background(), "scan", "jenkins"); code != exitUsage {
		t.Errorf("no --url: exit %d, want 2\n%s", code, stderr)
	}
}

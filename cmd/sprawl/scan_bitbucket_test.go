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

// fakeBBAccessToken is the access token the fake workspace accepts.
const fakeBBAccessToken = "sprawl-fake-bitbucket-access-token"

// TestScanBitbucket: one planted token in a repository's staging file and
// in a production deployment variable is one inventory entry with two
// locations, shared across environments; secured variables are metadata
// (the repository's NPM_TOKEN shadowing the workspace's); a repository
// whose variables the token may not read is reported and the scan goes
// on; the repositories' 429 is waited out; pages are followed; no secret
// value reaches the database.
func TestScanBitbucket(t *testing.T) {
	dir := isolate(t)
	t.Setenv(envKey, "a-fingerprint-key-for-tests-only")
	t.Setenv(envBitbucketToken, fakeBBAccessToken)
	t.Setenv(envBitbucketUser, "")
	slept := &sleeps{}
	slept.install(t)

	shared := ghToken(t)
	api := newFakeRepo(t, dir, "api")
	api.commit(t, "staging", map[string]string{"deploy/staging.env": "GITHUB_TOKEN=" + shared + "\n"})
	web := newFakeRepo(t, dir, "web")
	web.commit(t, "readme", map[string]string{"README.md": "hello\n"})
	locked := newFakeRepo(t, dir, "locked")
	locked.commit(t, "readme", map[string]string{"README.md": "locked\n"})

	f := forgetest.NewBitbucket(t, "acme")
	f.Token = fakeBBAccessToken
	f.Vars = []forgetest.BBVar{{Key: "NPM_TOKEN", Secured: true}, {Key: "REGION", Value: "eu-west-1"}}
	f.Repos = []*forgetest.BBRepo{
		{Slug: "api", CloneURL: api.url(),
			Vars: []forgetest.BBVar{{Key: "NPM_TOKEN", Secured: true}},
			Envs: []forgetest.BBEnv{
				{Name: "eu-live", Type: "Production", Vars: []forgetest.BBVar{{Key: "DEPLOY_TOKEN", Value: shared}, {Key: "DB_PASSWORD", Secured: true}}},
				{Name: "Test", Type: "Test"},
			}},
		{Slug: "web", CloneURL: web.url()},
		{Slug: "locked", CloneURL: locked.url()},
	}
	f.Fail("/2.0/repositories/acme/locked/", http.StatusForbidden)
	f.Throttle("/2.0/repositories/acme", 1)

	db := filepath.Join(dir, "inv.db")
	args := []string{"scan", "bitbucket", "--workspace", "acme", "--api-url", f.APIURL(), "--inventory", db, "--cache-dir", filepath.Join(dir, "cache"), "--format", "json"}
	code, out, stderr := runSprawl(context.Background(), args...)
	if code != exitFindings {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	for _, s := range []string{shared, fakeBBAccessToken} {
		if strings.Contains(out+stderr, s) {
			t.Fatal("a secret or the token was printed in full")
		}
	}
	if !strings.Contains(stderr, "acme/locked: access denied (HTTP 403: Your credentials lack") {
		t.Errorf("the locked repository's variables are not reported with the reason:\n%s", stderr)
	}
	if n := f.BadAuth(); n != 0 {
		t.Errorf("%d requests without the token", n)
	}
	if diff := cmp.Diff([]time.Duration{7 * time.Second}, slept.got()); diff != "" {
		t.Errorf("waits (-want +got): the 429's Retry-After\n%s", diff)
	}
	if got := summary(t, stderr); got != [4]int{3, 0, 0, 3} {
		t.Errorf("full/incremental/skipped/blobs = %v, want [3 0 0 3] (three repositories over two pages)\n%s", got, stderr)
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
	if diff := cmp.Diff([]string{"bitbucket-pipelines bitbucket:acme/api/env/production/eu-live/vars/DEPLOY_TOKEN", "git deploy/staging.env"}, files); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}

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
		f.URL + "/acme bitbucket:acme/api/env/production/eu-live/vars/DEPLOY_TOKEN production",
		f.URL + "/acme/api deploy/staging.env staging",
	}
	if diff := cmp.Diff(wantLocs, locs); diff != "" {
		t.Errorf("locations (-want +got):\n%s", diff)
	}
	if !es[0].SharedEnvironments {
		t.Errorf("the entry is not flagged shared across environments: %+v", es[0].Environments)
	}

	code, ciOut, errOut := runSprawl(context.Background(), "inventory", "ci-secrets", "--inventory", db, "--format", "json")
	if code != 0 {
		t.Fatalf("ci-secrets: exit %d %s", code, errOut)
	}
	var cs []inventory.CISecretEntry
	if err := json.Unmarshal([]byte(ciOut), &cs); err != nil {
		t.Fatal(err)
	}
	type ck struct{ Owner, Store, Place, Name, Same string }
	var got []ck
	for _, c := range cs {
		got = append(got, ck{c.Provider + ":" + c.Owner, c.Store, c.Place(), c.Name, strings.Join(c.SameName, ",")})
		if c.FirstSeen.IsZero() || c.Kind != "secured variable" {
			t.Errorf("%s: first seen %v, kind %q", c.Name, c.FirstSeen, c.Kind)
		}
	}
	want := []ck{
		{"bitbucket:acme", "pipelines", "env acme/api/eu-live", "DB_PASSWORD", ""},
		{"bitbucket:acme", "pipelines", "org", "NPM_TOKEN", "repo acme/api"},
		{"bitbucket:acme", "pipelines", "repo acme/api", "NPM_TOKEN", "org"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ci-secrets (-want +got):\n%s", diff)
	}

	for _, suffix := range []string{"", "-wal"} {
		if b, err := os.ReadFile(db + suffix); err == nil && bytes.Contains(b, []byte(shared)) {
			t.Errorf("the inventory (%s) holds the secret", filepath.Base(db+suffix))
		}
	}

	code, _, stderr = runSprawl(context.Background(), append(args, "--ci-stores=false")...)
	if code != 0 {
		t.Fatalf("second run: exit %d, want 0\n%s", code, stderr)
	}
	if got := summary(t, stderr); got != [4]int{0, 3, 0, 0} {
		t.Errorf("second run = %v, want [0 3 0 0]\n%s", got, stderr)
	}
}

// TestScanBitbucketAppPassword: a user name and app password go to the
// API as HTTP Basic (and --verify is accepted, as on every org scan); a
// workspace the credentials cannot list is a failure.
func TestScanBitbucketAppPassword(t *testing.T) {
	dir := isolate(t)
	t.Setenv(envBitbucketToken, "")
	t.Setenv(envBitbucketUser, "alice")
	t.Setenv(envBitbucketPassword, "sprawl-fake-app-password")
	f := forgetest.NewBitbucket(t, "acme")
	f.User, f.Password = "alice", "sprawl-fake-app-password"
	f.Vars = []forgetest.BBVar{{Key: "NPM_TOKEN", Secured: true}}
	code, _, stderr := runSprawl(context.Background(), "scan", "bitbucket", "--workspace", "acme", "--api-url", f.APIURL(),
		"--inventory", filepath.Join(dir, "inv.db"), "--cache-dir", filepath.Join(dir, "cache"), "--verify", "--verify-cache", "off")
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s", code, stderr)
	}
	if n := f.BadAuth(); n != 0 || len(f.Log()) < 2 {
		t.Errorf("%d of %d requests without the credentials", n, len(f.Log()))
	}
	if !strings.Contains(stderr, "1 CI secret of acme") {
		t.Errorf("the secured workspace variable was not recorded:\n%s", stderr)
	}
	code, _, stderr = runSprawl(context.Background(), "scan", "bitbucket", "--workspace", "nobody", "--api-url", f.APIURL(), "--cache-dir", filepath.Join(dir, "cache"))
	if code != exitFailure || !strings.Contains(stderr, "not found (HTTP 404") {
		t.Errorf("a missing workspace: exit %d, want 3 with the reason\n%s", code, stderr)
	}
}

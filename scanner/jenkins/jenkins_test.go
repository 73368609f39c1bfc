package jenkins_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/scanner"
	"github.com/sprawlsec/sprawl/scanner/forge"
	"github.com/sprawlsec/sprawl/scanner/jenkins"
	"github.com/sprawlsec/sprawl/scanner/jenkins/jenkinstest"
)

func client(t *testing.T, s *jenkinstest.Server, waits *[]time.Duration) *jenkins.Client {
	t.Helper()
	var mu sync.Mutex
	rl := &forge.RateLimiter{Sleep: func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		if waits != nil {
			*waits = append(*waits, d)
		}
		return nil
	}}
	c, err := jenkins.New(s.URL, s.User, s.Token, rl)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func names(jobs []jenkins.Job) []string {
	var out []string
	for _, j := range jobs {
		n := j.FullName()
		if j.Folder {
			n += "/"
		}
		out = append(out, n)
	}
	return out
}

// TestJobsTreeQueryPaging lists a controller whose root holds more jobs
// than a page, and folders nested two deep, with pages of three.
func TestJobsTreeQueryPaging(t *testing.T) {
	s := jenkinstest.New(t)
	for _, n := range []string{"a1", "a2", "a3", "a4", "a5", "a6", "a7", "team/api", "team/web", "team/deep/prod-deploy"} {
		s.Configs[n] = "<project/>"
	}
	s.Folders["team"], s.Folders["team/deep"], s.Folders["empty"] = true, true, true
	c := client(t, s, nil)
	c.PageSize = 3
	jobs, problems, err := c.Jobs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 0 {
		t.Errorf("problems: %v", problems)
	}
	want := []string{"a1", "a2", "a3", "a4", "a5", "a6", "a7", "empty/", "team/", "team/api", "team/deep/", "team/deep/prod-deploy", "team/web"}
	if diff := cmp.Diff(want, names(jobs)); diff != "" {
		t.Errorf("jobs (-want +got):\n%s", diff)
	}
	var ranges []string
	for _, p := range s.Paths() {
		if strings.HasPrefix(p, "/api/json?") {
			i := strings.LastIndex(p, "%7B")
			ranges = append(ranges, p[i:])
		}
	}
	// Nine root items in pages of three: the fourth page comes back
	// empty, which ends the listing.
	if diff := cmp.Diff([]string{"%7B0%2C3%7D", "%7B3%2C6%7D", "%7B6%2C9%7D", "%7B9%2C12%7D"}, ranges); diff != "" {
		t.Errorf("root pages (-want +got):\n%s", diff)
	}
	if s.NoAuth != 0 {
		t.Errorf("%d requests without Basic authentication", s.NoAuth)
	}
}

// TestJobsFolderForbidden: a folder the user may not list is skipped with
// its reason; the rest is listed. The root's failure is fatal.
func TestJobsFolderForbidden(t *testing.T) {
	s := jenkinstest.New(t)
	s.Configs["ok"], s.Configs["secret/x"] = "<project/>", "<project/>"
	s.Folders["secret"] = true
	s.Forbidden["/job/secret/api/json"] = true
	jobs, problems, err := client(t, s, nil).Jobs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"ok", "secret/"}, names(jobs)); diff != "" {
		t.Errorf("jobs (-want +got):\n%s", diff)
	}
	if len(problems) != 1 || problems[0].What != "folder secret" || !strings.Contains(problems[0].Reason, "403") {
		t.Errorf("problems = %v, want folder secret: HTTP 403", problems)
	}

	s.Forbidden["/api/json"] = true
	if _, _, err := client(t, s, nil).Jobs(context.Background()); err == nil {
		t.Error("a root that cannot be listed is not an error")
	}
}

func TestConfigsSkipAndRateLimit(t *testing.T) {
	s := jenkinstest.New(t)
	s.Configs["build"] = "<project><builders><hudson.tasks.Shell><command>make</command></hudson.tasks.Shell></builders></project>"
	s.Configs["locked"] = "<project/>"
	s.Configs["gone"] = "<project/>"
	s.Forbidden["/job/locked/config.xml"] = true
	s.Missing["/job/gone/config.xml"] = true
	s.Limited["/job/build/config.xml"] = 1
	var waits []time.Duration
	c := client(t, s, &waits)
	jobs, _, err := c.Jobs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cfgs, problems, err := c.Configs(context.Background(), jobs)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfgs) != 1 || cfgs[0].Path != "jenkins:"+strings.TrimPrefix(s.URL, "http://")+"/job/build/config.xml" || !strings.Contains(string(cfgs[0].Data), "make") {
		t.Errorf("configs = %+v", cfgs)
	}
	var got []string
	for _, p := range problems {
		got = append(got, p.String())
	}
	want := []string{"job gone: HTTP 404 not found", "job locked: HTTP 403 forbidden: the user lacks the permission to read it"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]time.Duration{7 * time.Second}, waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

func TestUnauthorized(t *testing.T) {
	s := jenkinstest.New(t)
	c, err := jenkins.New(s.URL, s.User, "wrong", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Jobs(context.Background()); !errors.Is(err, jenkins.ErrAuth) {
		t.Errorf("err = %v, want ErrAuth", err)
	}
}

func TestNewRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "ci.example.com", "ftp://ci.example.com", "https://user:pw@ci.example.com", "http://ci.example.com"} {
		if _, err := jenkins.New(u, "u", "token", nil); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	// Plain http carries no token off the machine; anonymous it may.
	for _, u := range []string{"http://127.0.0.1:8080", "http://localhost/jenkins", "https://ci.example.com/jenkins/"} {
		if _, err := jenkins.New(u, "u", "token", nil); err != nil {
			t.Errorf("New(%q): %v", u, err)
		}
	}
	if _, err := jenkins.New("http://ci.example.com", "", "", nil); err != nil {
		t.Errorf("anonymous http refused: %v", err)
	}
}

func TestCredentials(t *testing.T) {
	s := jenkinstest.New(t)
	s.Configs["team/api"], s.Configs["ops/x"], s.Configs["plain/y"] = "<project/>", "<project/>", "<project/>"
	s.Folders["team"], s.Folders["ops"], s.Folders["plain"] = true, true, true
	s.Creds["system"] = []jenkinstest.Cred{{ID: "nexus", TypeName: "Username with password", Description: "release uploads"}}
	s.Creds["team"] = []jenkinstest.Cred{{ID: "deploy-key", TypeName: "SSH Username with private key"}}
	s.Creds["ops"] = []jenkinstest.Cred{{ID: "hidden"}}
	s.Forbidden["/job/ops/credentials/store/folder/domain/_/api/json"] = true
	c := client(t, s, nil)
	jobs, _, err := c.Jobs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	creds, problems, err := c.Credentials(context.Background(), jobs)
	if err != nil {
		t.Fatal(err)
	}
	want := []jenkins.Credential{
		{Store: "system", Domain: "_", ID: "nexus", TypeName: "Username with password", Description: "release uploads", DisplayName: "nexus/****"},
		{Store: "team", Folder: true, Domain: "_", ID: "deploy-key", TypeName: "SSH Username with private key", DisplayName: "deploy-key/****"},
	}
	if diff := cmp.Diff(want, creds); diff != "" {
		t.Errorf("credentials (-want +got):\n%s", diff)
	}
	// plain has no store of its own (404): not a problem.
	if len(problems) != 1 || problems[0].What != "credentials of ops" {
		t.Errorf("problems = %v, want the forbidden ops store only", problems)
	}
	for _, p := range s.Paths() {
		if strings.Contains(p, "/credentials/") && !strings.HasSuffix(p, "/domain/_/api/json?depth=1") {
			t.Errorf("unexpected credentials request %s", p)
		}
	}
}

func TestSourceDecodesXMLReferences(t *testing.T) {
	src := &jenkins.Source{Store: "https://ci.example", Configs: []jenkins.Config{{
		Path: "jenkins:ci.example/job/a/config.xml",
		Data: []byte("<command>export PW=&quot;a&amp;b&#39;c&quot;&#10;x &unknown; &amp</command>\nline2"),
	}}}
	var got []string
	err := src.Chunks(context.Background(), func(c scanner.Chunk) error {
		got = append(got, c.Path, string(c.Data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"jenkins:ci.example/job/a/config.xml", "<command>export PW=\"a&b'c\"&#10;x &unknown; &amp</command>\nline2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("chunks (-want +got):\n%s", diff)
	}
}

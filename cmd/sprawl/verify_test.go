package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/detectors"
)

// githubExample is a GitHub token line from the rule's own examples
// (which pass its checksum), read at test time.
func githubExample(t *testing.T) string {
	t.Helper()
	rules, err := detectors.BuiltinWithExamples()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if r.ID == "github-pat" {
			return r.Examples[0]
		}
	}
	t.Fatal("no github-pat rule")
	return ""
}

// fakeGitHubAPI serves api.github.com over TLS with reply, and points the
// verification hooks at it for the test.
func fakeGitHubAPI(t *testing.T, status int, body string) *atomic.Int32 {
	t.Helper()
	var requests atomic.Int32
	fakeProvider(t, "api.github.com", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("X-OAuth-Scopes", "repo")
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	return &requests
}

// failingTransport fails every request and counts them.
type failingTransport struct{ n atomic.Int32 }

func (f *failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	f.n.Add(1)
	return nil, errors.New("test: no request may leave the machine")
}

func TestScanWithoutVerifySendsNothing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.env"), []byte(githubExample(t)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ft := &failingTransport{}
	old := http.DefaultTransport
	http.DefaultTransport = ft
	t.Cleanup(func() { http.DefaultTransport = old })
	var dials atomic.Int32
	verifyDialHook = func(context.Context, string, string) (net.Conn, error) {
		dials.Add(1)
		return nil, errors.New("test: no connection may leave the machine")
	}
	t.Cleanup(func() { verifyDialHook = nil })

	var out, errb bytes.Buffer
	code := run([]string{"scan", "dir", dir, "-f", "json", "--quiet"}, strings.NewReader(""), &out, &errb)
	if code != exitFindings || dials.Load() != 0 || ft.n.Load() != 0 {
		t.Fatalf("exit %d, %d dials, %d requests; want 1 and nothing sent\n%s", code, dials.Load(), ft.n.Load(), errb.String())
	}
	if strings.Contains(out.String(), "verification") {
		t.Fatalf("unverified scan reports a verification:\n%s", out.String())
	}
	// The same scan with --verify does try (so the hook is on the path).
	out.Reset()
	code = run([]string{"scan", "dir", dir, "-f", "json", "--quiet", "--verify", "--verify-cache", "off"}, strings.NewReader(""), &out, &errb)
	if dials.Load() == 0 {
		t.Fatal("--verify made no connection attempt: the test hook is not on the request path")
	}
	if code != exitFindings || !strings.Contains(out.String(), `"status": "unknown"`) {
		t.Fatalf("a failed verification: exit %d, want 1 and status unknown\n%s", code, out.String())
	}
}

func TestScanVerifyStatusesAndExitCodes(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.env"), []byte(githubExample(t)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		status   int
		body     string
		args     []string
		code     int
		want     string // verification status in the JSON, "" for no finding
		identity map[string]string
	}{
		{"live", 200, `{"login":"octocat"}`, nil, exitFindings, "live", map[string]string{"login": "octocat", "scopes": "repo"}},
		{"revoked does not fail", 401, `{"message":"Bad credentials"}`, nil, exitClean, "revoked", nil},
		{"server error is unknown and fails", 502, `bad gateway`, nil, exitFindings, "unknown", nil},
		{"results filter keeps live", 200, `{"login":"octocat"}`, []string{"--results", "live"}, exitFindings, "live", map[string]string{"login": "octocat", "scopes": "repo"}},
		{"results filter drops revoked", 401, `{}`, []string{"--results", "live,unknown"}, exitClean, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fakeGitHubAPI(t, tt.status, tt.body)
			var out, errb bytes.Buffer
			args := append([]string{"scan", "dir", dir, "-f", "json", "--quiet", "--verify", "--verify-cache", "off"}, tt.args...)
			code := run(args, strings.NewReader(""), &out, &errb)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s", code, tt.code, errb.String())
			}
			var recs []struct {
				Verification *struct {
					Status    string            `json:"status"`
					CheckedAt time.Time         `json:"checked_at"`
					Identity  map[string]string `json:"identity"`
				} `json:"verification"`
			}
			if err := json.Unmarshal(out.Bytes(), &recs); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			if tt.want == "" {
				if len(recs) != 0 {
					t.Fatalf("want no findings, got %s", out.String())
				}
				return
			}
			if len(recs) != 1 || recs[0].Verification == nil {
				t.Fatalf("want one verified finding, got %s", out.String())
			}
			v := recs[0].Verification
			if v.Status != tt.want || v.CheckedAt.IsZero() {
				t.Errorf("verification %+v, want status %s and a time", v, tt.want)
			}
			if diff := cmp.Diff(tt.identity, v.Identity); diff != "" {
				t.Errorf("identity (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScanVerifyInEveryFormat(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.env"), []byte(githubExample(t)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fakeGitHubAPI(t, 200, `{"login":"octocat"}`)
	for _, format := range []string{"jsonl", "csv", "sarif", "markdown", "table"} {
		var out, errb bytes.Buffer
		code := run([]string{"scan", "dir", dir, "-f", format, "--quiet", "--verify", "--verify-cache", "off"}, strings.NewReader(""), &out, &errb)
		if code != exitFindings {
			t.Fatalf("%s: exit %d\n%s", format, code, errb.String())
		}
		switch format {
		case "table":
			if !strings.Contains(out.String(), "VERIFIED") || !strings.Contains(out.String(), "│ live ") {
				t.Errorf("table: no verification column in\n%s", out.String())
			}
		case "markdown":
			if !strings.Contains(out.String(), "| Verified |") || !strings.Contains(out.String(), "live (login=octocat; scopes=repo)") {
				t.Errorf("markdown: no verification column in\n%s", out.String())
			}
		case "csv":
			rows, err := csv.NewReader(&out).ReadAll()
			if err != nil || len(rows) != 2 {
				t.Fatalf("csv: %v %v", err, rows)
			}
			h, r := rows[0], rows[1]
			got := map[string]string{}
			for i := range h {
				got[h[i]] = r[i]
			}
			if got["verification"] != "live" || got["identity"] != "login=octocat;scopes=repo" || got["verified_at"] == "" {
				t.Errorf("csv verification columns: %v", got)
			}
		default:
			if !strings.Contains(out.String(), `"status":"live"`) && !strings.Contains(out.String(), `"status": "live"`) {
				t.Errorf("%s: no live verification in\n%s", format, out.String())
			}
			if !strings.Contains(out.String(), "octocat") {
				t.Errorf("%s: no identity in\n%s", format, out.String())
			}
		}
	}
}

func TestScanVerifyCacheAcrossRuns(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.env"), []byte(githubExample(t)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	requests := fakeGitHubAPI(t, 200, `{"login":"octocat"}`)
	cache := filepath.Join(t.TempDir(), "cache.json")
	for i := 0; i < 2; i++ {
		var out, errb bytes.Buffer
		if code := run([]string{"scan", "dir", dir, "-f", "json", "--quiet", "--verify", "--verify-cache", cache}, strings.NewReader(""), &out, &errb); code != exitFindings {
			t.Fatalf("run %d: exit %d\n%s", i, code, errb.String())
		}
	}
	if n := requests.Load(); n != 1 {
		t.Fatalf("%d requests over two scans within the TTL, want 1", n)
	}
	// --verbose names each host contacted and its counts.
	var out, errb bytes.Buffer
	run([]string{"scan", "dir", dir, "-f", "json", "--verbose", "--verify", "--verify-cache", "off"}, strings.NewReader(""), &out, &errb)
	if !strings.Contains(errb.String(), "sprawl: verify: api.github.com: 1 requests, at most 1 at once") {
		t.Errorf("--verbose: no per-host counts in\n%s", errb.String())
	}
	info, err := os.Stat(cache)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("cache file: %v %v, want mode 0600", err, info)
	}
	data, _ := os.ReadFile(cache)
	if strings.Contains(string(data), strings.SplitN(githubExample(t), "=", 2)[1]) {
		t.Fatal("the cache file holds the secret")
	}
}

func TestResultsNeedsVerify(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"scan", "dir", t.TempDir(), "--results", "live"}, strings.NewReader(""), &out, &errb); code != exitUsage {
		t.Fatalf("exit %d, want 2\n%s", code, errb.String())
	}
	if code := run([]string{"scan", "dir", t.TempDir(), "--verify", "--results", "alive"}, strings.NewReader(""), &out, &errb); code != exitUsage {
		t.Fatalf("exit %d, want 2\n%s", code, errb.String())
	}
}

func TestScanGitHubOrgVerify(t *testing.T) {
	fx := newGHFixture(t)
	fakeGitHubAPI(t, 401, `{"message":"Bad credentials"}`)
	base := []string{"scan", "github", "--repo", "acme/r2", "--inventory", fx.db, "--cache-dir", fx.cache, "--format", "json", "--ci-stores=false", "--verify", "--verify-cache", "off"}
	code, out, stderr := runSprawl(context.Background(), base...)
	if code != exitClean {
		t.Fatalf("a revoked token: exit %d, want 0\n%s", code, stderr)
	}
	if !strings.Contains(out, `"status": "revoked"`) || strings.Contains(out, fx.secret) {
		t.Fatalf("want the finding reported revoked (redacted):\n%s", out)
	}
}

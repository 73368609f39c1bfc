package scanner

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sprawlsec/sprawl/detectors"
)

// testToken builds a GitHub-classic-shaped token with a valid checksum
// from a seed, so no secret-shaped literal sits in the source.
func testToken(seed int) string {
	const a = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	body := make([]byte, 30)
	x := uint32(seed*2654435761 + 12345)
	for i := range body {
		x = x*1664525 + 1013904223
		body[i] = a[(x>>16)%62]
	}
	sum := crc32.ChecksumIEEE(body)
	enc := make([]byte, 6)
	for i := 5; i >= 0; i-- {
		enc[i] = a[sum%62]
		sum /= 62
	}
	return "ghp_" + string(body) + string(enc)
}

func testEngine(t testing.TB) *Engine {
	t.Helper()
	rules, err := detectors.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	m, err := detectors.NewMatcher(rules, detectors.Allowlist{})
	if err != nil {
		t.Fatal(err)
	}
	return &Engine{Matcher: m, Workers: 2}
}

type loc struct {
	File string
	Line int
	Rule string
}

func locs(fs []Finding) []loc {
	var out []loc
	for _, f := range fs {
		out = append(out, loc{f.File, f.Line, f.RuleID})
	}
	return out
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestDirScanFindsAndSkips(t *testing.T) {
	tok := testToken(1)
	dir := writeTree(t, map[string]string{
		"a/app.env":          "X=1\nGITHUB_TOKEN=" + tok + "\n",
		"b/ok.txt":           "nothing\n",
		"b/allowed.txt":      "t = " + testToken(2) + " # sprawl:allow\n",
		"img/logo.png":       "GITHUB_TOKEN=" + tok,
		"bin/blob":           "\x00\x01GITHUB_TOKEN=" + tok,
		".git/config":        "GITHUB_TOKEN=" + tok,
		"vendor/lib/x.txt":   "GITHUB_TOKEN=" + tok,
		"big/huge.txt":       strings.Repeat("a", 2000) + tok,
		"nested/deep/c.yaml": "token: " + testToken(3) + "\n",
	})
	e := testEngine(t)
	e.ExcludePath, _ = PathMatcher([]string{"^vendor/"})
	res, err := e.Run(context.Background(), &DirSource{Path: dir, MaxFileSize: 1000, Exclude: e.ExcludePath})
	if err != nil {
		t.Fatal(err)
	}
	want := []loc{{"a/app.env", 2, "github-pat"}, {"bin/blob", 1, "github-pat"}, {"nested/deep/c.yaml", 1, "github-pat"}}
	if d := cmp.Diff(want, locs(res.Findings)); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
	wantSkips := map[string]int{"binary": 1, "larger than max file size (1000 bytes)": 1}
	if d := cmp.Diff(wantSkips, res.Stats.Skipped); d != "" {
		t.Errorf("skips (-want +got):\n%s", d)
	}
	if res.Stats.Suppressed != 1 {
		t.Errorf("suppressed = %d, want 1", res.Stats.Suppressed)
	}
	f := res.Findings[0]
	if f.Column != 14 || f.Secret != tok || strings.Contains(f.Redacted, tok[8:]) || len(f.Fingerprint) != 32 {
		t.Errorf("finding details wrong: col %d redacted %q fp %q", f.Column, f.Redacted, f.Fingerprint)
	}
}

func TestUnreadableFileDoesNotStopScan(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"a.env": "GITHUB_TOKEN=" + testToken(4) + "\n",
		"b.env": "GITHUB_TOKEN=" + testToken(5) + "\n",
		"c.env": "GITHUB_TOKEN=" + testToken(6) + "\n",
	})
	orig := openFile
	t.Cleanup(func() { openFile = orig })
	openFile = func(p string) (io.ReadCloser, error) {
		if filepath.Base(p) == "b.env" {
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrPermission}
		}
		return orig(p)
	}
	res, err := testEngine(t).Run(context.Background(), &DirSource{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	if got := locs(res.Findings); len(got) != 2 || got[0].File != "a.env" || got[1].File != "c.env" {
		t.Errorf("findings = %v, want a.env and c.env", got)
	}
	if res.Stats.Errors != 1 || !strings.Contains(res.Stats.FirstErrors[0], "permission denied") {
		t.Errorf("errors = %d %v, want 1 permission error", res.Stats.Errors, res.Stats.FirstErrors)
	}
}

func TestMissingRootIsFatal(t *testing.T) {
	_, err := testEngine(t).Run(context.Background(), &DirSource{Path: filepath.Join(t.TempDir(), "nope")})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

// TestChunkBoundaries puts secrets on both sides of, and straddling,
// chunk boundaries of a large stream: each is found once on its line.
func TestChunkBoundaries(t *testing.T) {
	const chunk = 64 << 10
	var b strings.Builder
	var want []loc
	line := 1
	for b.Len() < 6*chunk {
		// Lines of varying length so secrets land at every offset.
		if line%997 == 0 {
			fmt.Fprintf(&b, "export GITHUB_TOKEN=%s\n", testToken(line))
			want = append(want, loc{"big.txt", line, "github-pat"})
		} else {
			fmt.Fprintf(&b, "%s\n", strings.Repeat("lorem ipsum ", line%13))
		}
		line++
	}
	for _, size := range []int{chunk, chunk + 17, 3*chunk + 1} {
		res, err := testEngine(t).Run(context.Background(), &ReaderSource{R: strings.NewReader(b.String()), Name: "big.txt", ChunkSize: size})
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, locs(res.Findings)); d != "" {
			t.Errorf("chunk size %d: findings (-want +got):\n%s", size, d)
		}
		if res.Stats.Bytes != int64(b.Len()) || res.Stats.Items != 1 {
			t.Errorf("chunk size %d: stats bytes %d items %d, want %d and 1", size, res.Stats.Bytes, res.Stats.Items, b.Len())
		}
	}
}

func TestCancelStopsScan(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := writeTree(t, map[string]string{"a.txt": "x"})
	_, err := testEngine(t).Run(ctx, &DirSource{Path: dir})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestBaselineKeysOnFingerprintAndFile(t *testing.T) {
	a := Finding{RuleID: "r", File: "x.env", Line: 3, Fingerprint: Fingerprint(nil, "one")}
	b := Finding{RuleID: "r", File: "x.env", Line: 3, Fingerprint: Fingerprint(nil, "two")}
	bl := NewBaseline([]Finding{a}, testTime)
	moved := a
	moved.Line = 40
	elsewhere := a
	elsewhere.File = "y.env"
	got, n := bl.Filter([]Finding{moved, b, elsewhere})
	if n != 1 || len(got) != 2 || got[0].Fingerprint != b.Fingerprint || got[1].File != "y.env" {
		t.Errorf("Filter kept %v (dropped %d); want the other secret and the other file", got, n)
	}
}

func TestFingerprintKeyed(t *testing.T) {
	if Fingerprint(nil, "s") == Fingerprint([]byte("k"), "s") {
		t.Error("keyed and unkeyed fingerprints agree")
	}
	if Fingerprint([]byte("k1"), "s") == Fingerprint([]byte("k2"), "s") {
		t.Error("different keys give one fingerprint")
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"short", "********"},
		{"abcdefghij", "ab********"},
		{testToken(9), testToken(9)[:8] + "********"},
		{"-----BEGIN RSA PRIVATE KEY-----\nMIIE", "-----BEGIN RSA PRIVATE KEY-----…REDACTED"},
		// Key material on the header line stays out of the preview.
		{"-----BEGIN EC PRIVATE KEY----- MHcCAQEEIAbCdEfGhIjKlMnOpQrStUvWxYz\n-----END EC PRIVATE KEY-----", "-----BEGIN EC PRIVATE KEY-----…REDACTED"},
		{"-----BEGIN EC PRIVATE KEY-----MHcCAQEEIAbCdEfGhIjKlMnOpQrStUvWxYz", "-----BEGIN EC PRIVATE KEY-----…REDACTED"},
		// A "label" that is not one is treated as any other value.
		{"-----BEGIN x=MHcCAQEEIAbCdEfGhIjKlMnOpQrStUvWxYz-----", "-----BEG********"},
		// Never a control character or half a multi-byte character.
		{"ab\x1b[31mcdefghijklmnop", "ab********"},
		{"aé" + strings.Repeat("z", 30), "a********"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

var testTime = mustTime("2026-01-02T03:04:05Z")

func TestFindingSeverity(t *testing.T) {
	generic := &detectors.Rule{ID: "generic-password", Generic: true, Severity: detectors.SeverityMedium}
	provider := &detectors.Rule{ID: "github-pat", Severity: detectors.SeverityCritical}
	for _, tc := range []struct {
		rule *detectors.Rule
		file string
		want detectors.Severity
	}{
		{generic, "src/db.py", detectors.SeverityMedium},
		{generic, "src/db_test.go", detectors.SeverityLow},
		{generic, "tests/conftest.py", detectors.SeverityLow},
		{generic, "web/login.spec.ts", detectors.SeverityLow},
		{generic, "pkg/testdata/x.env", detectors.SeverityLow},
		{generic, "contest/app.env", detectors.SeverityMedium},
		{provider, "tests/conftest.py", detectors.SeverityCritical},
	} {
		if got := findingSeverity(tc.rule, tc.file); got != tc.want {
			t.Errorf("%s in %s: severity %v, want %v", tc.rule.ID, tc.file, got, tc.want)
		}
	}
}

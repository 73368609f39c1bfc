package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fastImportRepo writes a bare repository of commits commits, each
// changing one ~4 KiB file of generated text, with one synthetic token in
// the first commit, through git fast-import (thousands of commits in well
// under a second).
func fastImportRepo(t testing.TB, bare string, commits int, secret string, rng *rand.Rand) {
	t.Helper()
	if err := os.MkdirAll(bare, 0o755); err != nil {
		t.Fatal(err)
	}
	gitT(t, bare, "init", "-q", "--bare")
	gitT(t, bare, "symbolic-ref", "HEAD", "refs/heads/main")
	var b bytes.Buffer
	words := []string{"alpha", "beta", "gamma", "delta", "config", "value", "server", "client", "func", "return", "if", "err", "nil"}
	for i := 1; i <= commits; i++ {
		var body strings.Builder
		if i == 1 {
			body.WriteString("GITHUB_TOKEN=" + secret + "\n")
		}
		for body.Len() < 4096 {
			body.WriteString(words[rng.IntN(len(words))])
			if rng.IntN(8) == 0 {
				body.WriteString("\n")
			} else {
				body.WriteString(" ")
			}
		}
		fmt.Fprintf(&b, "blob\nmark :%d\ndata %d\n%s\n", 2*i-1, body.Len(), body.String())
		msg := "change " + strconv.Itoa(i)
		fmt.Fprintf(&b, "commit refs/heads/main\nmark :%d\ncommitter Ada <ada@example.com> %d +0000\ndata %d\n%s\n", 2*i, 1_700_000_000+i*60, len(msg), msg)
		if i > 1 {
			fmt.Fprintf(&b, "from :%d\n", 2*(i-1))
		}
		fmt.Fprintf(&b, "M 100644 :%d src/file%d.txt\n\n", 2*i-1, i%25)
	}
	cmd := exec.Command("git", "-C", bare, "fast-import", "--quiet")
	cmd.Stdin = &b
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fast-import: %v\n%s", err, out)
	}
}

// peakRSS reads the process's peak resident set size (VmHWM) in KiB.
func peakRSS(t testing.TB) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	t.Skip("no VmHWM")
	return 0
}

// TestOrgScanFiftyRepos scans an organisation of 50 repositories, four at
// a time, into an inventory, and checks the process's peak RSS stays
// bounded. SPRAWL_BENCH_ORG_COMMITS sets the commits per repository
// (default 40; `make bench-org` uses 400), SPRAWL_BENCH_ORG_CONCURRENCY
// the repositories scanned at once (default 4).
func TestOrgScanFiftyRepos(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 50 repositories")
	}
	commits := 40
	if v, err := strconv.Atoi(os.Getenv("SPRAWL_BENCH_ORG_COMMITS")); err == nil && v > 0 {
		commits = v
	}
	conc := "4"
	if v, err := strconv.Atoi(os.Getenv("SPRAWL_BENCH_ORG_CONCURRENCY")); err == nil && v > 0 {
		conc = strconv.Itoa(v)
	}
	const repos = 50
	fx := newGHFixture(t)
	rng := rand.New(rand.NewPCG(7, 7))
	fx.gh.repos = nil
	fx.gh.perPage = 30
	for i := 0; i < repos; i++ {
		name := fmt.Sprintf("svc%02d", i)
		bare := filepath.Join(fx.dir, "remote50", name+".git")
		fastImportRepo(t, bare, commits, ghToken(t), rng)
		fx.gh.repos = append(fx.gh.repos, fakeGHRepo{name: name, id: 1000 + i, clone: "file://" + bare})
	}
	before := peakRSS(t)
	start := time.Now()
	code, out, stderr := runSprawl(context.Background(), "scan", "github", "--org", "acme", "--inventory", fx.db, "--cache-dir", fx.cache,
		"--concurrency", conc, "--format", "json", "--ci-stores=false", "--quiet")
	elapsed := time.Since(start)
	if code != exitFindings {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	if n := strings.Count(out, `"rule_id"`); n != repos {
		t.Errorf("%d findings, want one per repository (%d)", n, repos)
	}
	peak := peakRSS(t)
	t.Logf("50 repositories × %d commits, concurrency %s: %s; peak RSS (VmHWM) %.1f MiB (%.1f MiB before the scan)",
		commits, conc, elapsed.Round(time.Millisecond), float64(peak)/1024, float64(before)/1024)
	// Generous: what matters is that it does not grow with the number of
	// repositories (each scan streams; at most four run at once).
	if peak > 512*1024 {
		t.Errorf("peak RSS %d KiB, want under 512 MiB", peak)
	}
}

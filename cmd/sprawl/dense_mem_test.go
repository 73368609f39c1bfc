//go:build unix

package main

import (
	"bufio"
	"fmt"
	"hash/crc32"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// writeDenseFile writes size bytes of a keyword-dense dump: every line
// pair holds a distinct GitHub-shaped token and a distinct hard-coded
// password, about 750,000 findings per 100 MiB.
func writeDenseFile(t testing.TB, path string, size int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewSource(1))
	word := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = base62[rng.Intn(62)]
		}
		return b
	}
	var written int64
	for i := 0; written < size; i++ {
		body := word(30)
		sum := crc32.ChecksumIEEE(body)
		enc := make([]byte, 6)
		for j := 5; j >= 0; j-- {
			enc[j] = base62[sum%62]
			sum /= 62
		}
		n, err := fmt.Fprintf(w, "export GITHUB_TOKEN=ghp_%s%s # deploy token %d, password rotation pending\ndb_password = \"%s\"\nfiller text, lorem ipsum dolor sit amet %d\n",
			body, enc, i, word(16), i)
		if err != nil {
			t.Fatal(err)
		}
		written += int64(n)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestDenseFilePeakRSS scans a 100 MiB keyword-dense file with the built
// binary and checks its peak RSS stays under 300 MB: findings beyond the
// per-rule, per-file cap are aggregated, not held, and the json writers
// stream. It takes minutes (the matcher runs on every line), so it runs
// only with SPRAWL_TEST_DENSE=1 (`make mem-dense`); SPRAWL_TEST_DENSE_MB
// changes the size.
func TestDenseFilePeakRSS(t *testing.T) {
	if os.Getenv("SPRAWL_TEST_DENSE") == "" || testing.Short() {
		t.Skip("set SPRAWL_TEST_DENSE=1 (make mem-dense)")
	}
	mb := int64(100)
	if v := os.Getenv("SPRAWL_TEST_DENSE_MB"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		mb = n
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "sprawl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dump := filepath.Join(dir, "dump.sql")
	writeDenseFile(t, dump, mb<<20)
	for _, format := range []string{"jsonl", "json"} {
		cmd := exec.Command(bin, "scan", "dir", dump, "--format", format, "--output", filepath.Join(dir, "out."+format))
		cmd.Env = append(os.Environ(), "SPRAWL_PROGRESS=never")
		out, err := cmd.CombinedOutput()
		if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 1 {
			t.Fatalf("%s: %v, want exit 1\n%s", format, err, out)
		}
		peak := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB on Linux
		t.Logf("%d MiB keyword-dense file, --format %s: peak RSS %d MB; %s", mb, format, peak/1e6, out)
		if peak > 300e6 {
			t.Errorf("--format %s: peak RSS %d MB, want under 300 MB", format, peak/1e6)
		}
	}
}

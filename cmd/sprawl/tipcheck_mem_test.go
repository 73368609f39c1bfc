package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestTipCheckBigFileMemory scans, with --inventory, a history whose HEAD
// holds one large file with a secret near each end, and checks the scan
// process's peak RSS: the tip check streams the file at HEAD instead of
// reading it whole. Opt-in (it writes and scans SPRAWL_MEM_TIP_MB MiB;
// `make mem-tip` uses 1024): SPRAWL_MEM_BIN runs another sprawl binary
// (an older build, to compare) instead of building this one.
func TestTipCheckBigFileMemory(t *testing.T) {
	mb, _ := strconv.Atoi(os.Getenv("SPRAWL_MEM_TIP_MB"))
	if mb <= 0 {
		t.Skip("set SPRAWL_MEM_TIP_MB (e.g. 1024, `make mem-tip`) to run")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	bin := os.Getenv("SPRAWL_MEM_BIN")
	if bin == "" {
		bin = filepath.Join(dir, "sprawl")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
	}
	repo := filepath.Join(dir, "repo")
	gitT(t, dir, "init", "-q", "-b", "main", repo)
	first, last := ghToken(t), ghToken(t)
	size := int64(mb) << 20

	// One commit whose tree holds the big file, streamed into fast-import.
	cmd := exec.Command("git", "-C", repo, "fast-import", "--quiet")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(stdin, 1<<20)
	head, tail := "GITHUB_TOKEN="+first+"\n", "GITHUB_TOKEN="+last+"\n"
	filler := "an ordinary line of a very large generated data file, nothing in it\n"
	n := (size - int64(len(head)+len(tail))) / int64(len(filler))
	blobLen := int64(len(head)+len(tail)) + n*int64(len(filler))
	fmt.Fprintf(w, "blob\nmark :1\ndata %d\n%s", blobLen, head)
	for i := int64(0); i < n; i++ {
		w.WriteString(filler)
	}
	msg := "add the data file"
	fmt.Fprintf(w, "%s\ncommit refs/heads/main\nmark :2\ncommitter Ada <ada@dev.invalid> 1700000000 +0000\ndata %d\n%s\nM 100644 :1 data/big.txt\n\n", tail, len(msg), msg)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("fast-import: %v\n%s", err, stderr.String())
	}

	run := func(args ...string) (maxRSS int64, elapsed time.Duration) {
		t.Helper()
		c := exec.Command(bin, args...)
		c.Env = append(os.Environ(), "XDG_DATA_HOME="+filepath.Join(dir, "data"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"))
		var errb strings.Builder
		c.Stdout, c.Stderr = io.Discard, &errb
		start := time.Now()
		err := c.Run()
		elapsed = time.Since(start)
		if code := c.ProcessState.ExitCode(); code != exitFindings {
			t.Fatalf("sprawl %v: exit %d (%v), want 1\n%s", args, code, err, errb.String())
		}
		ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage)
		if !ok {
			t.Skip("no rusage")
		}
		return ru.Maxrss, elapsed // KiB on Linux
	}
	// --max-file-size 0: the file is scanned, whatever the default limit.
	plain, d1 := run("scan", "git", repo, "-q", "--max-file-size", "0")
	inv, d2 := run("scan", "git", repo, "-q", "--max-file-size", "0", "--inventory", filepath.Join(dir, "inv.db"))
	t.Logf("HEAD holds a %d MiB file: peak RSS %.1f MiB without --inventory (%s), %.1f MiB with (%s)",
		mb, float64(plain)/1024, d1.Round(time.Millisecond), float64(inv)/1024, d2.Round(time.Millisecond))
	if inv > 300*1024 {
		t.Errorf("peak RSS with --inventory %d KiB, want under 300 MiB", inv)
	}
}

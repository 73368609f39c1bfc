//go:build unix

package detectors

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestCompileRE2LogsPrintable: RE2 logs an expression it cannot parse to
// file descriptor 2 itself. A hostile rule's ESC, CR and newline reach
// that log escaped, so they cannot drive the terminal or forge a line.
func TestCompileRE2LogsPrintable(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "stderr")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved, err := syscall.Dup(2)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Dup2(int(f.Fd()), 2); err != nil {
		t.Fatal(err)
	}
	_, cerr := CompileRE2("x\x1b[2K\r\nsprawl: 0 findings(")
	if err := syscall.Dup2(saved, 2); err != nil {
		t.Fatal(err)
	}
	syscall.Close(saved)
	if cerr == nil {
		t.Fatal("an unbalanced parenthesis compiled")
	}
	logged, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(logged, []byte("x\\x{1b}[2K\\x{0d}\\x{0a}sprawl: 0 findings(")) {
		t.Fatalf("RE2 logged %q; want the expression, escaped", logged)
	}
	if i := bytes.IndexAny(logged, "\x1b\r"); i >= 0 {
		t.Errorf("RE2 logged a raw control character at %d: %q", i, logged)
	}
	for _, line := range bytes.Split(logged, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("sprawl:")) {
			t.Errorf("RE2's log forged a line of sprawl's: %q", logged)
		}
	}
}

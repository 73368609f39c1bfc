//go:build unix

package reports

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWriteOutputFIFO: a named pipe is written through, and what reads
// it gets the report.
func TestWriteOutputFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "out.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	got := make(chan string)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- string(b)
	}()
	if err := WriteOutput(nil, fifo, writeText("piped\n")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "piped\n" {
		t.Errorf("read %q from the FIFO", s)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v %v", fi, err)
	}
}

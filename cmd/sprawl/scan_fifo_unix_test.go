//go:build unix

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestScanFIFOTarget: a named pipe given as the target is refused at
// once (exit 2) instead of waiting forever for a writer.
func TestScanFIFOTarget(t *testing.T) {
	isolate(t)
	p := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	type result struct {
		code int
		errb string
	}
	done := make(chan result, 1)
	go func() {
		code, _, errb := runSprawl(ctx, "scan", "dir", p)
		done <- result{code, errb}
	}()
	select {
	case r := <-done:
		if r.code != 2 || !strings.Contains(r.errb, "named pipe") {
			t.Errorf("exit %d, want 2 naming the named pipe\n%s", r.code, r.errb)
		}
	case <-time.After(10 * time.Second):
		// Unblock the open so the goroutine can finish.
		if w, err := os.OpenFile(p, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		t.Fatal("scan dir on a FIFO hangs")
	}
}

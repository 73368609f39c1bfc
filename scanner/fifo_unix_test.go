//go:build unix

package scanner

import (
	"context"
	"errors"
	"path/filepath"
	"syscall"
	"testing"
)

// TestFIFOs: a FIFO inside a tree is passed over with a reason, never
// opened; a FIFO as the target is an error, not a wait for a writer.
func TestFIFOs(t *testing.T) {
	dir := writeTree(t, map[string]string{"a.env": "GITHUB_TOKEN=" + testToken(31) + "\n"})
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	res, err := testEngine(t).Run(context.Background(), &DirSource{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Stats.Skipped["not a regular file"] != 1 {
		t.Errorf("findings %v skipped %v; want the token and the FIFO skipped", locs(res.Findings), res.Stats.Skipped)
	}
	if _, err := testEngine(t).Run(context.Background(), &DirSource{Path: fifo}); !errors.Is(err, ErrNotRegular) {
		t.Errorf("scanning the FIFO itself: %v, want ErrNotRegular", err)
	}
}

func mkfifo(path string) error { return syscall.Mkfifo(path, 0o600) }

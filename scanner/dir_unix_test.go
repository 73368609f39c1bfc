//go:build unix

package scanner

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestOpenRegular: the plain-syscall reader reads a file whole, ends at
// io.EOF, reports a missing file as fs.ErrNotExist with its path, and does
// not wait for a writer when the path is a FIFO.
func TestOpenRegular(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	want := strings.Repeat("line of text\n", 5000)
	if err := os.WriteFile(p, []byte(want), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := openRegular(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	if err != nil || string(got) != want {
		t.Fatalf("read %d bytes, %v; want %d bytes", len(got), err, len(want))
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = openRegular(filepath.Join(dir, "missing"))
	var pe *fs.PathError
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) || !strings.HasSuffix(pe.Path, "missing") {
		t.Errorf("missing file: %v", err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	f, err = openRegular(fifo) // would block without O_NONBLOCK
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// TestOpenRegularNoFollow: a file swapped for a symbolic link after the
// walk saw it is not followed out of the tree; a file the user names
// through a link is still scanned.
func TestOpenRegularNoFollow(t *testing.T) {
	outside, dir := t.TempDir(), t.TempDir()
	target := filepath.Join(outside, "secret.env")
	if err := os.WriteFile(target, []byte("TOKEN="+testToken(970)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "a.env")
	if err := os.Symlink(target, link); err != nil {
		t.Skip("symlink:", err)
	}
	if f, err := openRegular(link); err == nil {
		f.Close()
		t.Error("openRegular followed a symbolic link")
	}
	res, err := testEngine(t).Run(context.Background(), &DirSource{Path: link})
	if err != nil || len(res.Findings) != 1 || res.Findings[0].File != "a.env" {
		t.Errorf("a named link: err %v, findings %v", err, locs(res.Findings))
	}
}

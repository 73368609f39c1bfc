//go:build unix

package scanner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStorageFilesBounded: the storage check reads a repository's
// alternates within a bound and never waits on a FIFO put in its place;
// what it cannot read is refused, not taken unread.
func TestStorageFilesBounded(t *testing.T) {
	for _, c := range []struct {
		name  string
		write func(t *testing.T, path string)
	}{
		{"a FIFO", func(t *testing.T, path string) {
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Skip(err)
			}
		}},
		{"over the bound", func(t *testing.T, path string) {
			line := "# " + strings.Repeat("x", 1021) + "\n"
			if err := os.WriteFile(path, []byte(strings.Repeat(line, maxStorageFile/len(line)+1)), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newGitRepo(t)
			r.write("a.txt", "a\n")
			r.commit("one")
			info := filepath.Join(r.dir, ".git", "objects", "info")
			if err := os.MkdirAll(info, 0o755); err != nil {
				t.Fatal(err)
			}
			c.write(t, filepath.Join(info, "alternates"))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- (&GitSource{Path: r.dir}).CheckRepo(ctx) }()
			select {
			case err := <-done:
				if !errors.Is(err, ErrForeignStorage) {
					t.Errorf("CheckRepo = %v, want ErrForeignStorage", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("CheckRepo hangs on the alternates file")
			}
		})
	}
}

package reports

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func writeText(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

func TestWriteOutput(t *testing.T) {
	dir := t.TempDir()
	mode := func(p string) os.FileMode {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode()
	}
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	// Standard output, for "" and "-".
	for _, p := range []string{"", "-"} {
		var out bytes.Buffer
		if err := WriteOutput(&out, p, writeText("report\n")); err != nil || out.String() != "report\n" {
			t.Errorf("path %q: %q, %v", p, out.String(), err)
		}
	}

	// A new file, in directories that do not exist yet: 0600, 0700.
	p := filepath.Join(dir, "a", "b", "report.json")
	if err := WriteOutput(nil, p, writeText("{}\n")); err != nil {
		t.Fatal(err)
	}
	if read(p) != "{}\n" || mode(p).Perm() != 0o600 || mode(filepath.Dir(p)).Perm() != 0o700 {
		t.Errorf("new file: %q, mode %v, directory %v", read(p), mode(p), mode(filepath.Dir(p)))
	}

	// An existing, longer, world-readable file: truncated and made 0600.
	old := filepath.Join(dir, "old.txt")
	if err := os.WriteFile(old, []byte(strings.Repeat("x", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(old, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteOutput(nil, old, writeText("new\n")); err != nil {
		t.Fatal(err)
	}
	if read(old) != "new\n" || mode(old).Perm() != 0o600 {
		t.Errorf("existing file: %q, mode %v", read(old), mode(old))
	}

	// A symbolic link is written through: it stays a link, its target
	// gets the report and keeps its mode.
	target := filepath.Join(dir, "target.txt")
	if err := os.WriteFile(target, []byte("before"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(target, 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.txt")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteOutput(nil, link, writeText("through\n")); err != nil {
		t.Fatal(err)
	}
	if mode(link)&os.ModeSymlink == 0 || read(target) != "through\n" || mode(target).Perm() != 0o640 {
		t.Errorf("symlink: link mode %v, target %q mode %v", mode(link), read(target), mode(target))
	}

	// /dev/null is written, not replaced.
	if runtime.GOOS != "windows" {
		if err := WriteOutput(nil, os.DevNull, writeText("gone\n")); err != nil {
			t.Errorf("%s: %v", os.DevNull, err)
		}
		if fi, err := os.Stat(os.DevNull); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
			t.Errorf("%s is no longer a device: %v %v", os.DevNull, fi, err)
		}
	}
}

func TestWriteOutputErrors(t *testing.T) {
	dir := t.TempDir()
	boom := errors.New("disk full")
	fail := func(io.Writer) error { return boom }

	err := WriteOutput(io.Discard, "-", fail)
	if !errors.Is(err, boom) || err.Error() != "write report: disk full" {
		t.Errorf("stdout: %v", err)
	}
	p := filepath.Join(dir, "r.txt")
	err = WriteOutput(nil, p, fail)
	if !errors.Is(err, boom) || err.Error() != "write report "+p+": disk full" {
		t.Errorf("file: %v", err)
	}
	// A directory where the file should be, and a file where a parent
	// directory should be: open errors, nothing written.
	if err := WriteOutput(nil, dir, writeText("x")); err == nil || !strings.HasPrefix(err.Error(), "open output: ") {
		t.Errorf("directory as output: %v", err)
	}
	if err := WriteOutput(nil, filepath.Join(p, "sub", "r.txt"), writeText("x")); err == nil || !strings.HasPrefix(err.Error(), "open output: ") {
		t.Errorf("file as parent: %v", err)
	}
}

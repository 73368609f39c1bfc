package reports

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteOutput calls write on stdout (path "" or "-") or on the file path
// names. The file is opened O_WRONLY|O_CREATE|O_TRUNC with mode 0600 and
// written through, never replaced: output goes where the user points it.
// A regular file that already exists under that name is truncated and set
// to mode 0600 too, as reports hold findings; anything else (a symbolic
// link, whose target is written but not chmod'ed, a FIFO, /dev/null)
// keeps its mode. Missing parent directories are made, mode 0700.
//
// Errors say whether opening or writing failed and wrap write's error,
// so a caller can still find what it returned.
func WriteOutput(stdout io.Writer, path string, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		if err := write(stdout); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		return nil
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("open output: %w", err)
		}
	}
	before, lerr := os.Lstat(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("open output: %w", err)
	}
	if lerr == nil && before.Mode().IsRegular() && before.Mode().Perm() != 0o600 {
		// Fchmod on the opened file: the name may have changed since
		// Lstat, the descriptor has not.
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return fmt.Errorf("open output %s: %w", path, err)
		}
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return nil
}

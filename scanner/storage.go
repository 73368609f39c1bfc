package scanner

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// ErrForeignStorage is returned for a repository whose git directory,
// shared (common) directory or borrowed objects lie in another
// repository on the machine that has not taken it in. A scanned
// repository's .git is written by whoever wrote the repository: a .git
// file, a commondir file or objects/info/alternates naming another
// repository would have the scan read that repository's history and
// report its secrets, authors and subjects as this one's.
var ErrForeignStorage = errors.New("the repository's storage leads into another repository")

// maxAlternateDepth is how deep git itself follows alternates of
// alternates.
const maxAlternateDepth = 5

// maxStorageFile bounds what checkStorage reads of a gitdir, config or
// alternates file: git writes a line or a few, and a scanned tree's own
// must not make the check read a gigabyte into memory.
const maxStorageFile = 1 << 20

// readStorageFile reads one of a repository's small storage files: a
// regular file (opened without waiting on a FIFO put in its place) of at
// most maxStorageFile bytes. A file that is missing gives an error
// os.IsNotExist recognises.
func readStorageFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openNonBlock, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxStorageFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxStorageFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxStorageFile)
	}
	return b, nil
}

// checkStorage reports whether the repository git found for dir keeps
// its storage to itself. gitDir and commonDir are git's absolute answers.
//
// The .git git found (dir's own or an ancestor's; dir itself when bare):
//   - a directory is the git directory, sharing nothing (no commondir);
//   - a .git file (or a link) may lead elsewhere only where the place it
//     leads to names it back: a linked worktree's gitdir file (`git
//     worktree add`), or core.worktree in that git directory's own
//     config (a submodule's, `git init --separate-git-dir`). A foreign
//     repository's back-links are its owner's to write, not the scanned
//     tree's.
//
// Every object directory the common directory's alternates name (and
// theirs, as deep as git follows them) lies inside the common directory.
func checkStorage(dir, gitDir, commonDir string) error {
	resolve := func(p string) string {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return r
		}
		return filepath.Clean(p)
	}
	gitDir, commonDir = resolve(gitDir), resolve(commonDir)
	start, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	dotGit, linked := "", false
	for d := resolve(start); ; d = filepath.Dir(d) {
		if d == gitDir {
			dotGit = d // a bare repository, or inside a git directory
			break
		}
		if fi, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			dotGit, linked = filepath.Join(d, ".git"), !fi.IsDir()
			break
		}
		if filepath.Dir(d) == d {
			return fmt.Errorf("%s: %w: no .git leads to %s", dir, ErrForeignStorage, gitDir)
		}
	}
	switch {
	case !linked && dotGit != gitDir:
		return fmt.Errorf("%s: %w: %s is not the git directory %s", dir, ErrForeignStorage, dotGit, gitDir)
	case !linked && commonDir != gitDir:
		return fmt.Errorf("%s: %w: its commondir is %s", dir, ErrForeignStorage, commonDir)
	case linked && backLink(gitDir, filepath.Join(gitDir, "gitdir"), dotGit, resolve):
		// A linked worktree: its common directory is the main repository's.
	case linked && commonDir == gitDir && worktreeOf(gitDir, resolve) == filepath.Dir(dotGit):
		// A submodule's or a separate git directory.
	case linked:
		return fmt.Errorf("%s: %w: %s leads to %s, which does not name it back", dir, ErrForeignStorage, dotGit, gitDir)
	}
	return checkAlternates(dir, commonDir, filepath.Join(commonDir, "objects"), resolve, 0)
}

// backLink reports whether file (a worktree's gitdir file) names target.
// git writes it absolute, or relative to gitDir.
func backLink(gitDir, file, target string, resolve func(string) string) bool {
	b, err := readStorageFile(file)
	if err != nil {
		return false
	}
	p := strings.TrimSpace(string(b))
	if p == "" {
		return false
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(gitDir, p)
	}
	return resolve(p) == target
}

// worktreeOf returns the work tree core.worktree names in gitDir's own
// config file, resolved against gitDir as git resolves it; "" if none.
func worktreeOf(gitDir string, resolve func(string) string) string {
	b, err := readStorageFile(filepath.Join(gitDir, "config"))
	if err != nil {
		return ""
	}
	// A minimal reading of git's format: the last worktree key of a
	// [core] section. Anything it misreads only refuses a repository.
	section, wt := "", ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			section = strings.ToLower(strings.Trim(line, "[] \t"))
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section != "core" || !strings.EqualFold(strings.TrimSpace(k), "worktree") {
			continue
		}
		wt = unquotePath(strings.TrimSpace(v))
	}
	if wt == "" {
		return ""
	}
	if !filepath.IsAbs(wt) {
		wt = filepath.Join(gitDir, wt)
	}
	return resolve(wt)
}

// checkAlternates checks the alternates of the object directory objects
// (depth levels down from the repository's own).
func checkAlternates(dir, commonDir, objects string, resolve func(string) string, depth int) error {
	if depth >= maxAlternateDepth {
		return nil
	}
	b, err := readStorageFile(filepath.Join(objects, "info", "alternates"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		// git would read what the check cannot (a huge file, or one it
		// cannot open): refused rather than taken unread.
		return fmt.Errorf("%s: %w: its alternates cannot be checked: %v", dir, ErrForeignStorage, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		p := unquotePath(line)
		if !filepath.IsAbs(p) {
			p = filepath.Join(objects, p)
		}
		p = resolve(p)
		if rel, err := filepath.Rel(commonDir, p); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return fmt.Errorf("%s: %w: it borrows objects from %s (objects/info/alternates)", dir, ErrForeignStorage, p)
		}
		if err := checkAlternates(dir, commonDir, p, resolve, depth+1); err != nil {
			return err
		}
	}
	return nil
}

package scanner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/sprawlsec/sprawl/internal/boundedbuf"
)

// GitAuth is an HTTP header git sends when it fetches from a provider:
// only over HTTPS, and only to Origin ("https://host[:port]", the
// provider's own web host). A clone URL an API listed may name any host
// or scheme; the credential goes to none but the provider's.
type GitAuth struct {
	Header string // "Authorization: Basic …"
	Origin string // "https://github.com"
}

// gitAuthEnv returns the variables that make git send auth's header on
// requests to remote, or none when remote is not on auth's origin over
// HTTPS. The header travels in GIT_CONFIG_* variables, never in argv or
// the URL, so process listings and error messages cannot show it.
func gitAuthEnv(remote string, auth GitAuth) []string {
	if auth.Header == "" || strings.ContainsAny(auth.Header, "\r\n") {
		return nil
	}
	u, err := url.Parse(remote)
	o, oerr := url.Parse(auth.Origin)
	if err != nil || oerr != nil || u.Scheme != "https" || o.Scheme != "https" || u.Host == "" ||
		!strings.EqualFold(u.Host, o.Host) {
		return nil
	}
	return []string{"GIT_CONFIG_COUNT=1",
		"GIT_CONFIG_KEY_0=http.https://" + o.Host + "/.extraHeader",
		"GIT_CONFIG_VALUE_0=" + auth.Header}
}

// SyncMirror makes dir a bare mirror of remote: it clones every ref the
// first time and fetches (pruning deleted refs) after that. A first clone
// is made in a temporary sibling and renamed into place, so an interrupted
// clone leaves nothing half-made in dir. auth's header, if any, is sent
// only when remote is on auth's origin over HTTPS (see GitAuth). It
// reports whether dir already existed (a fetch rather than a clone).
func SyncMirror(ctx context.Context, git, remote, dir string, auth GitAuth) (fetched bool, err error) {
	run := func(verb, in string, args ...string) error {
		cmd := GitRemoteCommand(ctx, git, in, args...)
		cmd.Env = append(cmd.Env, gitAuthEnv(remote, auth)...)
		stderr := &boundedbuf.Buffer{Max: 4096}
		cmd.Stderr = stderr
		if err := cmd.Run(); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%w: %s %s: %s", ErrGit, verb, RedactURL(remote), RedactURLs(stderr.FirstLine()))
		}
		return nil
	}
	if fi, err := os.Stat(filepath.Join(dir, "HEAD")); err == nil && !fi.IsDir() {
		// The mirror's fetch refspec is +refs/*:refs/*: every ref, forced,
		// and --prune removes the ones the remote deleted.
		return true, run("fetch", dir, "fetch", "--prune", "--quiet", "--", remote, "+refs/*:refs/*")
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return false, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".clone-*")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(tmp)
	if err := run("clone", "", "clone", "--mirror", "--quiet", "--", remote, tmp); err != nil {
		return false, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return false, err
	}
	return false, os.Rename(tmp, dir)
}

// RefTips returns every ref of the repository at dir that names a commit
// (directly or through an annotated tag) with the object it points at.
// Refs to trees or blobs, which have no history, are left out.
func RefTips(ctx context.Context, dir string) (map[string]string, error) {
	g := &GitSource{Path: dir}
	tips := map[string]string{}
	err := runLines(g.command(ctx, "for-each-ref", "--format=%(objectname) %(objecttype) %(*objecttype) %(refname)"), func(line []byte) error {
		f := strings.SplitN(string(line), " ", 4)
		if len(f) == 4 && (f[1] == "commit" || (f[1] == "tag" && f[2] == "commit")) {
			tips[f[3]] = f[0]
		}
		return nil
	})
	return tips, err
}

// Reachable reports whether commit is an ancestor of (or equal to) some
// ref of the repository at dir. A commit the repository does not have is
// not reachable.
func Reachable(ctx context.Context, dir, commit string) (bool, error) {
	if commit == "" || strings.HasPrefix(commit, "-") {
		return false, nil
	}
	g := &GitSource{Path: dir}
	if err := g.command(ctx, "cat-file", "-e", commit+"^{commit}").Run(); err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, nil
	}
	out, err := g.command(ctx, "for-each-ref", "--count=1", "--contains", commit, "--format=%(refname)").Output()
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, fmt.Errorf("%w: for-each-ref --contains: %v", ErrGit, err)
	}
	return len(bytes.TrimSpace(out)) > 0, nil
}

// IsAncestor reports whether commit a is an ancestor of (or equal to) b.
func IsAncestor(ctx context.Context, dir, a, b string) (bool, error) {
	g := &GitSource{Path: dir}
	err := g.command(ctx, "merge-base", "--is-ancestor", a, b).Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return true, nil
	case ctx.Err() != nil:
		return false, ctx.Err()
	case errors.As(err, &ee) && ee.ExitCode() == 1:
		return false, nil
	}
	return false, nil // a missing object: not an ancestor we can use
}

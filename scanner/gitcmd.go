package scanner

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"

	"github.com/sprawlsec/sprawl/internal/boundedbuf"
)

// hardening is prepended to every git invocation sprawl makes. A scanned
// repository's own configuration (.git/config, an included file, a
// .gitmodules) is written by whoever wrote the repository, so nothing it
// names may run or reach out: no file-system monitor, no hooks, no
// external diff or textconv driver, no signature program, no ext::
// transport, no submodule recursion.
//
// Clean, smudge and process filters have no switch: they are kept out by
// never asking git for a filtered view. Contents come from `cat-file
// --batch` (raw blobs), history from `log --raw` (no contents), staged
// changes from `diff --cached --no-textconv` (index against HEAD, both
// blobs already in the object store).
var hardening = []string{
	"-c", "core.fsmonitor=false",
	"-c", "core.quotePath=false",
	"-c", "core.askPass=",
	"-c", "core.attributesFile=" + os.DevNull,
	"-c", "diff.external=",
	"-c", "log.showSignature=false",
	"-c", "protocol.ext.allow=never",
	"-c", "submodule.recurse=false",
	"-c", "fetch.recurseSubmodules=false",
	"-c", "uploadpack.packObjectsHook=",
}

// localOnly is added for commands that only read the repository on disk:
// no transport at all, so an object missing from a partial clone cannot
// be fetched lazily from a promisor remote the repository names (git
// before 2.44 ignores GIT_NO_LAZY_FETCH).
var localOnly = []string{"-c", "protocol.allow=never"}

// noHooks points hooks at nothing; HooksDir alone leaves it out, to learn
// where the repository's hooks live.
var noHooks = []string{"-c", "core.hooksPath=" + os.DevNull}

// keptEnv lists the variables a git child inherits; everything else,
// GIT_* variables a caller's environment may carry included, is dropped.
var keptEnv = []string{"PATH", "HOME", "XDG_CONFIG_HOME", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "SYSTEMROOT"}

// remoteEnv is kept as well for clone and fetch: how the user reaches
// remotes (an SSH agent, an ssh command, a CA bundle). The user's
// settings, never the scanned repository's.
var remoteEnv = []string{"SSH_AUTH_SOCK", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_SSL_CAINFO", "GIT_SSL_CAPATH", "USER", "LOGNAME"}

// GitCommand builds a git command that reads the repository in dir (no
// -C when dir is empty) with the hardening settings, no transport and a
// minimal environment. Every git child sprawl starts is built here or by
// GitRemoteCommand, so no call site can forget a setting (a test greps
// the sources for any other). git is the executable ("" means "git" on
// PATH). Callers add variables to cmd.Env with append.
func GitCommand(ctx context.Context, git, dir string, args ...string) *exec.Cmd {
	return gitCommand(ctx, git, dir, true, true, args)
}

// GitRemoteCommand is GitCommand for clone and fetch: the same hardening,
// and the transports git allows by default (never ext::).
func GitRemoteCommand(ctx context.Context, git, dir string, args ...string) *exec.Cmd {
	return gitCommand(ctx, git, dir, false, true, args)
}

// HooksDir returns the directory git runs the repository's hooks from
// (core.hooksPath honoured), for installing one. Relative to repo when
// git answers with a relative path.
func HooksDir(ctx context.Context, git, repo string) (string, error) {
	out, err := gitCommand(ctx, git, repo, true, false, []string{"rev-parse", "--git-path", "hooks"}).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%w (%s)", ErrNotRepo, boundedbuf.FirstLine(out))
	}
	return strings.TrimSpace(string(out)), nil
}

func gitCommand(ctx context.Context, git, dir string, local, hooksOff bool, args []string) *exec.Cmd {
	if git == "" {
		git = "git"
	}
	full := make([]string, 0, len(hardening)+len(noHooks)+len(localOnly)+len(args)+2)
	if dir != "" {
		full = append(full, "-C", dir)
	}
	full = append(full, hardening...)
	if hooksOff {
		full = append(full, noHooks...)
	}
	if local {
		full = append(full, localOnly...)
	}
	full = append(full, args...)
	cmd := exec.CommandContext(ctx, git, full...)
	cmd.Env = gitChildEnv(!local)
	return cmd
}

func gitChildEnv(remote bool) []string {
	env := []string{
		"LC_ALL=C",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_NO_LAZY_FETCH=1",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_NO_REPLACE_OBJECTS=1",
		// info/grafts rewrites parents as replace refs do: a graft
		// cutting a commit from its parents hid every commit before it.
		"GIT_GRAFT_FILE=" + os.DevNull,
		"GIT_ATTR_NOSYSTEM=1",
		"GIT_OPTIONAL_LOCKS=0",
	}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if slices.Contains(keptEnv, name) || (remote && slices.Contains(remoteEnv, name)) {
			env = append(env, kv)
		}
	}
	return env
}

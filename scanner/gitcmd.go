package scanner

import (
	"context"
	"os"
	"os/exec"
	"strings"
)

// hardening is prepended to every git invocation sprawl makes. A scanned
// repository's own configuration (.git/config, an included file, a
// .gitmodules) is written by whoever wrote the repository, so nothing it
// names may run or reach out: no file-system monitor, no hooks, no
// external diff or textconv driver, no ext:: transport, no lazy fetch of
// missing objects from a promisor remote.
var hardening = []string{
	"-c", "core.fsmonitor=false",
	"-c", "core.hooksPath=" + os.DevNull,
	"-c", "core.quotePath=false",
	"-c", "diff.external=",
	"-c", "protocol.ext.allow=never",
	"-c", "submodule.recurse=false",
	"-c", "core.sshCommand=",
	"-c", "uploadpack.packObjectsHook=",
}

// keptEnv lists the variables a git child inherits; everything else,
// GIT_* variables a caller's environment may carry included, is dropped.
var keptEnv = []string{"PATH", "HOME", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "SYSTEMROOT"}

// GitCommand builds a git command run in dir (no -C when dir is empty)
// with the hardening settings and a minimal environment. Every git child
// sprawl starts is built here, so no call site can forget a setting.
// git is the executable ("" means "git" on PATH). Callers add variables
// to cmd.Env with append.
func GitCommand(ctx context.Context, git, dir string, args ...string) *exec.Cmd {
	if git == "" {
		git = "git"
	}
	full := make([]string, 0, len(hardening)+len(args)+2)
	if dir != "" {
		full = append(full, "-C", dir)
	}
	full = append(full, hardening...)
	full = append(full, args...)
	cmd := exec.CommandContext(ctx, git, full...)
	cmd.Env = gitChildEnv()
	return cmd
}

func gitChildEnv() []string {
	env := []string{
		"LC_ALL=C",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_NO_LAZY_FETCH=1",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_NO_REPLACE_OBJECTS=1",
		"GIT_ATTR_NOSYSTEM=1",
	}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		for _, k := range keptEnv {
			if name == k {
				env = append(env, kv)
				break
			}
		}
	}
	return env
}

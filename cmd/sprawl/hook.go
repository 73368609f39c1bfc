package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sprawlsec/sprawl/scanner"
)

// hookMarker identifies a hook file sprawl wrote, so installing again
// replaces it and never a hook someone else wrote.
const hookMarker = "# sprawl pre-commit hook: installed by `sprawl hook install`"

func hookScript(fallback string) string {
	return `#!/bin/sh
` + hookMarker + `
# Blocks a commit whose staged changes add a secret. Skip once with
# git commit --no-verify; silence a false positive with a sprawl:allow comment.
if command -v sprawl >/dev/null 2>&1; then
	exec sprawl scan staged
fi
exec ` + shellQuote(fallback) + ` scan staged
`
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func newHookCmd() *cobra.Command {
	hook := &cobra.Command{Use: "hook", Short: "Install or remove sprawl as a plain git pre-commit hook"}
	install := &cobra.Command{
		Use:   "install [REPO]",
		Short: "Write a git pre-commit hook that runs 'sprawl scan staged' (idempotent)",
		Long: `Write a pre-commit hook into the repository's hooks directory (honouring
core.hooksPath). Running it again leaves the same hook. A pre-commit hook that
sprawl did not write is left alone unless --force, which keeps it as
pre-commit.sprawl-backup.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			repo := "."
			if len(args) == 1 {
				repo = args[0]
			}
			force, _ := cmd.Flags().GetBool("force")
			dir, err := hooksDir(cmd, "install", repo)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return failure(err)
			}
			self, err := os.Executable()
			if err != nil {
				self = "sprawl"
			}
			script := []byte(hookScript(self))
			path := filepath.Join(dir, "pre-commit")
			// The hooks directory is the repository's to name: a link
			// there would have the hook (or the backup of the file it
			// leads to) written over any file the user can write.
			for _, p := range []string{path, path + ".sprawl-backup"} {
				if fi, err := os.Lstat(p); err == nil && fi.Mode()&os.ModeSymlink != 0 {
					return usageErr("hook install: %s is a symbolic link; not replaced", p)
				}
			}
			old, err := os.ReadFile(path)
			switch {
			case err == nil && bytes.Equal(old, script):
				fmt.Fprintf(cmd.OutOrStdout(), "sprawl: pre-commit hook already installed at %s\n", path)
				return nil
			case err == nil && !bytes.Contains(old, []byte(hookMarker)):
				if !force {
					return usageErr("hook install: %s exists and was not written by sprawl; use --force to replace it (it is kept as pre-commit.sprawl-backup)", path)
				}
				if err := os.WriteFile(path+".sprawl-backup", old, 0o755); err != nil {
					return failure(err)
				}
			case err != nil && !os.IsNotExist(err):
				return failure(err)
			}
			if err := os.WriteFile(path, script, 0o755); err != nil {
				return failure(err)
			}
			if err := os.Chmod(path, 0o755); err != nil {
				return failure(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "sprawl: pre-commit hook installed at %s\n", path)
			return nil
		},
	}
	install.Flags().Bool("force", false, "replace a pre-commit hook sprawl did not write (a backup is kept)")
	uninstall := &cobra.Command{
		Use:   "uninstall [REPO]",
		Short: "Remove the pre-commit hook 'sprawl hook install' wrote",
		Long: `Remove the pre-commit hook sprawl wrote (honouring core.hooksPath). A hook
sprawl did not write is left alone (exit 2). If 'hook install --force' kept a
backup of an earlier hook, that hook is put back.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			repo := "."
			if len(args) == 1 {
				repo = args[0]
			}
			dir, err := hooksDir(cmd, "uninstall", repo)
			if err != nil {
				return err
			}
			path := filepath.Join(dir, "pre-commit")
			old, err := os.ReadFile(path)
			switch {
			case os.IsNotExist(err):
				fmt.Fprintf(cmd.OutOrStdout(), "sprawl: no pre-commit hook at %s\n", path)
				return nil
			case err != nil:
				return failure(err)
			case !bytes.Contains(old, []byte(hookMarker)):
				return usageErr("hook uninstall: %s was not written by sprawl; leaving it", path)
			}
			backup := path + ".sprawl-backup"
			if _, err := os.Stat(backup); err == nil {
				if err := os.Rename(backup, path); err != nil {
					return failure(err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "sprawl: pre-commit hook removed; the earlier hook is back at %s\n", path)
				return nil
			}
			if err := os.Remove(path); err != nil {
				return failure(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "sprawl: pre-commit hook removed from %s\n", path)
			return nil
		},
	}
	hook.AddCommand(install, uninstall)
	return hook
}

// hooksDir is the repository's hooks directory (core.hooksPath honoured).
func hooksDir(cmd *cobra.Command, verb, repo string) (string, error) {
	dir, err := scanner.HooksDir(cmd.Context(), "", repo)
	if err != nil {
		return "", failure(fmt.Errorf("hook %s %s: %w", verb, repo, err))
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(repo, dir)
	}
	return dir, nil
}

package scanner

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestGitChildrenUseGitCommand fails when any non-test Go source of the
// module starts git other than through GitCommand/GitRemoteCommand (this
// file's package builds them in gitcmd.go): a call site that built its
// own exec.Command would miss the hardening.
func TestGitChildrenUseGitCommand(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var bad []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if filepath.ToSlash(rel) == "scanner/gitcmd.go" {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pkg, ok := sel.X.(*ast.Ident)
			if !ok || pkg.Name != "exec" || (sel.Sel.Name != "Command" && sel.Sel.Name != "CommandContext") {
				return true
			}
			prog := 0
			if sel.Sel.Name == "CommandContext" {
				prog = 1
			}
			if len(call.Args) <= prog {
				return true
			}
			var b bytes.Buffer
			_ = printer.Fprint(&b, fset, call.Args[prog])
			if strings.Contains(strings.ToLower(b.String()), "git") {
				bad = append(bad, fset.Position(call.Pos()).String())
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Errorf("%s: git started with exec.Command; use scanner.GitCommand", b)
	}
}

// TestGitCommandHardening: every builder carries the settings that keep
// a repository's own programs from running, and drops the caller's git
// variables.
func TestGitCommandHardening(t *testing.T) {
	t.Setenv("GIT_DIR", "/elsewhere")
	t.Setenv("GIT_CONFIG_PARAMETERS", "'core.fsmonitor'='touch /tmp/x'")
	ctx := context.Background()
	for name, cmd := range map[string][]string{
		"local":  GitCommand(ctx, "", "repo", "log").Args,
		"remote": GitRemoteCommand(ctx, "", "", "clone").Args,
	} {
		for _, want := range []string{"core.fsmonitor=false", "core.hooksPath=", "diff.external=", "protocol.ext.allow=never", "submodule.recurse=false", "log.showSignature=false"} {
			if !slices.ContainsFunc(cmd, func(a string) bool { return strings.HasPrefix(a, want) }) {
				t.Errorf("%s: %s missing from %q", name, want, cmd)
			}
		}
	}
	if !slices.Contains(GitCommand(ctx, "", "", "log").Args, "protocol.allow=never") {
		t.Error("a local command may use a transport (lazy fetch)")
	}
	for _, kv := range GitCommand(ctx, "", "", "log").Env {
		if strings.HasPrefix(kv, "GIT_DIR=") || strings.HasPrefix(kv, "GIT_CONFIG_PARAMETERS=") {
			t.Errorf("inherited %s", kv)
		}
	}
}

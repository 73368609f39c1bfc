package sprawl_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportDirection enforces the layering ARCHITECTURE.md describes: cmd/sprawl →
// scanner, inventory, reports → detectors; detectors imports none of
// ours; only cmd/sprawl imports cobra or viper.
func TestImportDirection(t *testing.T) {
	const mod = "github.com/sprawlsec/sprawl/"
	allowed := map[string][]string{
		"detectors": {},
		"scanner":   {"detectors"},
		"inventory": {"detectors", "scanner"},
		"reports":   {"detectors", "scanner", "inventory"},
		"verify":    {"detectors", "scanner"},
	}
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(filepath.Dir(p))
		top := strings.SplitN(pkg, "/", 2)[0]
		for _, imp := range f.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			if (strings.HasPrefix(path, "github.com/spf13/cobra") || strings.HasPrefix(path, "github.com/spf13/viper")) && top != "cmd" {
				t.Errorf("%s imports %s: only cmd/sprawl may", p, path)
			}
			if !strings.HasPrefix(path, mod) {
				continue
			}
			// The vault adapters are a leaf: they know nothing of the
			// inventory store (cmd/sprawl glues the two).
			if (pkg == "inventory/vault" || strings.HasPrefix(pkg, "inventory/vault/")) && !strings.HasPrefix(path, mod+"inventory/vault") {
				t.Errorf("%s imports %s: the vault adapters may import only inventory/vault/…", p, path)
			}
			// The job queue runs the org scan's jobs: only the command
			// layer starts workers or enqueues, and the inventory and the
			// org scan know nothing of the queue.
			if path == mod+"inventory/queue" && pkg != "inventory/queue" && top != "cmd" {
				t.Errorf("%s imports %s: only cmd/sprawl may use the job queue", p, path)
			}
			// Test helpers (a browser finder) serve every layer's tests.
			if strings.HasSuffix(p, "_test.go") && path == mod+"internal/browsertest" {
				continue
			}
			dep := strings.SplitN(strings.TrimPrefix(path, mod), "/", 2)[0]
			ok, limited := allowed[top]
			if !limited || dep == top {
				continue
			}
			permitted := false
			for _, a := range ok {
				if a == dep {
					permitted = true
				}
			}
			if !permitted {
				t.Errorf("%s (package %s) imports %s: not allowed by the layering", p, pkg, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

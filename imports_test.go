package sprawl_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportDirection enforces the layering ARCHITECTURE.md describes: cmd/sprawl →
// scanner, inventory, reports → detectors; detectors imports none of
// ours; only cmd/sprawl imports cobra or viper. The org-scan package
// (inventory/orgscan) joins the inventory, the scanner and the verifier,
// and nothing but the command and the job queue (inventory/queue, whose
// workers run its steps one job at a time) imports it; nothing but the
// command imports the queue.
func TestImportDirection(t *testing.T) {
	const mod = "github.com/sprawlsec/sprawl/"
	stdlibLeaves := map[string]bool{"internal/sigv4": true, "internal/httpretry": true, "internal/boundedbuf": true, "internal/termsafe": true, "internal/plural": true}
	allowed := map[string][]string{
		"detectors": {},
		"scanner":   {"detectors"},
		"inventory": {"detectors", "scanner"},
		"reports":   {"detectors", "scanner", "inventory"},
		"verify":    {"detectors", "scanner"},
		// Keyed by its path: the org scan may also verify findings
		// before it records them.
		"inventory/orgscan": {"detectors", "scanner", "inventory", "verify"},
		"inventory/queue":   {"detectors", "scanner", "inventory"},
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
			// client-go and the Kubernetes API types stay in the package
			// that scans clusters (and tests that build fixtures).
			if strings.HasPrefix(path, "k8s.io/") && !strings.HasSuffix(p, "_test.go") && pkg != "scanner/kube" && !strings.HasPrefix(pkg, "scanner/kube/") {
				t.Errorf("%s imports %s: only scanner/kube talks to Kubernetes", p, path)
			}
			// Registries are spoken to by the image source only (tests
			// anywhere may build images).
			if strings.HasPrefix(path, "github.com/google/go-containerregistry") && pkg != "scanner/image" && !strings.HasSuffix(p, "_test.go") {
				t.Errorf("%s imports %s: only scanner/image reads container images", p, path)
			}
			if !strings.HasPrefix(path, mod) {
				continue
			}
			// internal/sigv4 (the AWS request signer of the verifier and the
			// Secrets Manager adapter), internal/httpretry (the retries of
			// the vault adapters' HTTP clients) and internal/boundedbuf (a
			// child process's standard error, kept bounded) are leaves of
			// the standard library that any layer may use.
			if stdlibLeaves[pkg] {
				t.Errorf("%s imports %s: %s imports only the standard library", p, path, pkg)
				continue
			}
			if stdlibLeaves[strings.TrimPrefix(path, mod)] {
				continue
			}
			// Test helpers (a browser finder, generated certificates)
			// serve every layer's tests, the vault adapters' included.
			if strings.HasSuffix(p, "_test.go") && (path == mod+"internal/browsertest" || path == mod+"internal/testcert") {
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
			if path == mod+"inventory/orgscan" && pkg != "inventory/orgscan" && pkg != "inventory/queue" && top != "cmd" {
				t.Errorf("%s imports %s: only the command and the job queue run organisation scans", p, path)
			}
			dep := strings.SplitN(strings.TrimPrefix(path, mod), "/", 2)[0]
			layer := top
			if pkg == "inventory/orgscan" || strings.HasPrefix(pkg, "inventory/orgscan/") {
				layer = "inventory/orgscan"
			}
			if pkg == "inventory/queue" {
				layer = "inventory/queue"
			}
			ok, limited := allowed[layer]
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

// TestCommandLayerThin: cmd/sprawl keeps flags, settings, output and exit
// codes. Organisation scans (listing, mirroring, incremental choice, CI
// listings), recording scans in the inventory and suppressing by it,
// rotation, a scan's pipeline and verification, the collector's start-up
// hold, the inventory's and the org run's text, the policy's settings and
// the building of vault adapters live in packages the command calls
// (inventory/orgscan, inventory, inventory/rotation, internal/pipeline,
// internal/startgc, reports, inventory/vault/adapters); no command file
// calls their building blocks or defines the functions that moved out.
func TestCommandLayerThin(t *testing.T) {
	const mod = "github.com/sprawlsec/sprawl/"
	// Package-qualified calls the command must leave to the packages.
	forbiddenCalls := map[string]bool{
		"scanner.SyncMirror": true, "scanner.RefTips": true, "scanner.Reachable": true, "scanner.IsAncestor": true,
		"scanner.SecretsAt": true, "scanner.VariableSource": true,
		"inventory.NewBatch": true, "inventory.Ingest": true, "inventory.TrustedSuppressed": true, "inventory.BuildScan": true,
		"inventory.RuleClasses": true, "inventory.TipChecker": true, "inventory.GitHead": true,
		"vault.IndexClassified": true, "vault.Index": true,
	}
	// Provider listing calls and store writes of an org scan, as methods.
	forbiddenMethods := map[string]bool{
		"OrgRepos": true, "UserRepos": true, "GroupProjects": true, "OrgVariables": true, "RepoVariables": true,
		"EnvVariables": true, "Environments": true, "OrgSecrets": true, "RepoSecrets": true, "EnvSecrets": true,
		"GroupVariables": true, "ProjectVariables": true, "RecordCISecrets": true, "Ingest": true,
		"ProjectRepos": true, "ProjectCI": true, "VariableGroups": true, "ServiceConnections": true,
		"WorkspaceRepos": true, "WorkspaceCI": true, "RepoCI": true,
		"RecordVaultIndex": true, "MarkVaultFlag": true,
	}
	// Functions (and types) that moved out of the command.
	movedFuncs := map[string]bool{
		"ingestResult": true, "sourceIngestOptions": true, "suppressByInventory": true, "tipChecker": true, "gitHead": true,
		"scanRepos": true, "scanRepo": true, "scanListed": true, "incremental": true, "loadLast": true, "selectRepos": true,
		"mirrorDir": true, "scanCI": true, "githubCI": true, "gitlabCI": true, "gitlabVariable": true, "ownerWeb": true,
		"rotationPlan": true, "applyRotation": true, "overdueManagedPlan": true, "applyOverdueManaged": true, "flagAdapter": true, "liveFirst": true,
		"valueClassifier": true, "indexErrors": true, "clearRotated": true,
		// internal/pipeline (scan and verification) and internal/startgc.
		"readBaseline": true, "loadRuleFiles": true, "policyFindings": true, "migrationFilter": true,
		"verifyForInventory": true, "runVerify": true, "ruleByID": true, "revoked": true,
		"startupGC": true, "softMemoryLimit": true, "processCPU": true,
		// reports (renderers), inventory (policy settings, export),
		// inventory/vault/adapters and scanner.FormatSize.
		"finishedCell": true, "repositories": true, "plural": true, "writeManagedTable": true, "writeManagedCSV": true, "writeManagedStatsText": true, "managedLastRead": true,
		"managedAuditSummary": true, "auditSummary": true, "applyManagedPolicyFlag": true, "managedPolicyConfig": true,
		"inventoryConfig": true, "exportDoc": true, "auditHead": true, "humanBytes": true, "providerTitle": true, "recordedLine": true,
		// internal/configfile (config keys, trust boundary of a found config).
		"walkConfigKeys": true, "configFields": true, "allConfigKeys": true, "suggestKey": true, "editDistance": true, "joinKey": true, "configFieldType": true, "vetRepoConfig": true, "vetRepoPath": true, "safeConfigError": true, "absPath": true, "flatten": true,
		"policySummary": true, "writeImportSettings": true, "paren": true,
		"configPolicy": true, "renderCISecrets": true, "periodText": true,
	}
	imported := map[string]bool{}
	files, err := filepath.Glob("cmd/sprawl/*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range files {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			imported[strings.Trim(imp.Path.Value, `"`)] = true
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && movedFuncs[fd.Name.Name] {
				t.Errorf("%s defines %s: that logic belongs to a package, not the command", p, fd.Name.Name)
			}
			if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.TYPE {
				for _, sp := range gd.Specs {
					if ts := sp.(*ast.TypeSpec); movedFuncs[ts.Name.Name] {
						t.Errorf("%s defines type %s: it belongs to a package, not the command", p, ts.Name.Name)
					}
				}
			}
		}
		calls := map[*ast.SelectorExpr]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			if c, ok := n.(*ast.CallExpr); ok {
				if sel, ok := c.Fun.(*ast.SelectorExpr); ok {
					calls[sel] = true
				}
			}
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && forbiddenCalls[id.Name+"."+sel.Sel.Name] {
				t.Errorf("%s uses %s.%s: the command calls inventory/orgscan or inventory.Record instead", p, id.Name, sel.Sel.Name)
				return true
			}
			if forbiddenMethods[sel.Sel.Name] && calls[sel] {
				t.Errorf("%s calls .%s: org-scan listing and recording belong to inventory/orgscan and inventory", p, sel.Sel.Name)
			}
			return true
		})
	}
	for _, want := range []string{"inventory/orgscan", "inventory/rotation"} {
		if !imported[mod+want] {
			t.Errorf("cmd/sprawl does not import %s: organisation scans and rotation must be called, not re-implemented", want)
		}
	}
}

// TestNoSDKs: every package linked into the sprawl binary runs its
// initialisation at every start, a pre-commit hook's included, and on a
// virtual machine each page it touches costs a fault. The cloud and
// cluster SDKs cost the most (the AWS SDK ~7 ms, client-go's types ~490
// page faults, Vault's client ~280, Azure's ~110), so the adapters speak
// their documented HTTP APIs themselves (inventory/vault/awssm,
// hashicorp, azurekv; scanner/kube). The SDKs may appear in tests only.
func TestNoSDKs(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./cmd/sprawl").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	banned := []string{"github.com/aws/aws-sdk-go", "github.com/aws/smithy-go", "k8s.io/", "sigs.k8s.io/",
		"github.com/hashicorp/vault/", "github.com/Azure/azure-sdk-for-go/", "github.com/AzureAD/"}
	for _, p := range strings.Fields(string(out)) {
		for _, b := range banned {
			if strings.HasPrefix(p, b) {
				t.Errorf("the sprawl binary links %s", p)
			}
		}
	}
}

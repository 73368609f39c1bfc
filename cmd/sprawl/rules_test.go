package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestRulesListJSONGolden pins `sprawl rules list --format json`: a change
// to any rule shows up as a reviewable diff of this file.
func TestRulesListJSONGolden(t *testing.T) {
	var stdout, stderr bytes.Buffer
	t.Chdir(t.TempDir()) // no .sprawl.yaml in the way
	if code := run([]string{"rules", "list", "--format", "json"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	golden := filepath.Join(testdataDir, "rules-list.golden.json")
	if *update {
		if err := os.WriteFile(golden, stdout.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(string(want), stdout.String()); d != "" {
		t.Errorf("rules list --format json differs from %s (rerun with -update if intended):\n%s", golden, d)
	}
}

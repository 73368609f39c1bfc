package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBareInventory(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "inv")
	if err := os.WriteFile(existing, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, want []string }{
		{[]string{"scan", "dir", ".", "--inventory"}, []string{"scan", "dir", ".", "--inventory=default"}},
		{[]string{"scan", "dir", "--inventory", "."}, []string{"scan", "dir", "--inventory=default", "."}},
		{[]string{"scan", "dir", ".", "--inventory", "--quiet"}, []string{"scan", "dir", ".", "--inventory=default", "--quiet"}},
		{[]string{"inventory", "list", "--inventory", "x.db"}, []string{"inventory", "list", "--inventory", "x.db"}},
		{[]string{"inventory", "list", "--inventory", "postgres://u@h/db"}, []string{"inventory", "list", "--inventory", "postgres://u@h/db"}},
		{[]string{"inventory", "list", "--inventory", "host=h dbname=d"}, []string{"inventory", "list", "--inventory", "host=h dbname=d"}},
		{[]string{"inventory", "list", "--inventory", existing}, []string{"inventory", "list", "--inventory", existing}},
		{[]string{"inventory", "list", "--inventory=y.db"}, []string{"inventory", "list", "--inventory=y.db"}},
		{[]string{"scan", "stdin", "--", "--inventory"}, []string{"scan", "stdin", "--", "--inventory"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, bareInventory(tt.in)); diff != "" {
			t.Errorf("bareInventory(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

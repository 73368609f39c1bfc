package sprawl_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestNoReferencesOutsideRepository: code, help texts and docs stand alone.
// They must not send a reader to design notes or reference files that
// live outside this repository.
func TestNoReferencesOutsideRepository(t *testing.T) {
	out, err := exec.Command("git", "ls-files").Output()
	if err != nil {
		t.Skip("not a git checkout")
	}
	banned := []string{"FORMATS" + ".md", "DESIGN" + ".md", "STYLE" + ".md", "../" + "shared"}
	for _, f := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if !(strings.HasSuffix(f, ".go") || strings.HasSuffix(f, ".md") || strings.HasSuffix(f, ".yaml") ||
			strings.HasSuffix(f, ".txtar") || strings.HasSuffix(f, ".tmpl") || f == "Makefile") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			continue // deleted in the work tree
		}
		for _, b := range banned {
			if strings.Contains(string(data), b) {
				t.Errorf("%s refers to %s, which is not in this repository", f, b)
			}
		}
	}
}

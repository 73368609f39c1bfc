package detectors

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkBuiltin measures parsing the embedded catalogue, which every
// command pays at start (a pre-commit hook's budget is tens of ms).
func BenchmarkBuiltin(b *testing.B) {
	for b.Loop() {
		if _, err := Builtin(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMatchGoSource runs the whole catalogue over a sample of Go's
// own source tree, single-threaded.
func BenchmarkMatchGoSource(b *testing.B) {
	rules, err := Builtin()
	if err != nil {
		b.Fatal(err)
	}
	m, err := NewMatcher(rules, Allowlist{})
	if err != nil {
		b.Fatal(err)
	}
	var corpus [][]byte
	total := 0
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Skip("go env GOROOT:", err)
	}
	root := filepath.Join(strings.TrimSpace(string(out)), "src", "net", "http")
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") && total < 8<<20 {
			if data, err := os.ReadFile(p); err == nil {
				corpus = append(corpus, data)
				total += len(data)
			}
		}
		return nil
	})
	if total == 0 {
		b.Skip("no Go source found")
	}
	b.SetBytes(int64(total))
	b.ResetTimer()
	for b.Loop() {
		for _, c := range corpus {
			m.Match(c)
		}
	}
}

package detectors

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkBuiltin measures a call of Builtin: copying the catalogue,
// which every scan pays once at start.
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
	m := benchMatcher(b)
	corpus, total := goSourceSample(b)
	b.SetBytes(int64(total))
	b.ResetTimer()
	for b.Loop() {
		for _, c := range corpus {
			m.Match(c)
		}
	}
}

// BenchmarkMatchGoSourceFresh is BenchmarkMatchGoSource with a new
// matcher over new rules each time, as each scan has: every pattern
// compiles again and RE2 builds its DFA states again, which on this
// much text cost more than stepping through them.
func BenchmarkMatchGoSourceFresh(b *testing.B) {
	corpus, total := goSourceSample(b)
	benchMatcher(b) // the keyword automaton, which the process keeps
	b.SetBytes(int64(total))
	defer reportCPU(b)()
	b.ResetTimer()
	for b.Loop() {
		m := benchMatcher(b)
		for _, c := range corpus {
			m.Match(c)
		}
	}
}

func benchMatcher(b *testing.B) *Matcher {
	rules, err := Builtin()
	if err != nil {
		b.Fatal(err)
	}
	m, err := NewMatcher(rules, Allowlist{})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// goSourceSample returns up to 8 MiB of Go files from net/http.
func goSourceSample(b *testing.B) ([][]byte, int) {
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
	return corpus, total
}

// BenchmarkColdStart is what a pre-commit hook pays inside the process
// for a small staged change: copy the catalogue, build the keyword
// automaton (the process-wide cache is emptied each time) and match a
// 100 KB Go file and a small YAML file, compiling every rule they trigger.
func BenchmarkColdStart(b *testing.B) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Skip("go env GOROOT:", err)
	}
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "src", "net", "http", "transport.go"))
	if err != nil {
		b.Skip(err)
	}
	// A synthetic YAML password, split so that the source is no finding.
	yml := []byte("db:\n  host: db.internal\n  pass" + "word: \"Xk9#" + "mPq2vL7wRt4z\"\n")
	defer reportCPU(b)()
	for b.Loop() {
		automata.Lock()
		automata.m = nil
		automata.Unlock()
		rules, err := Builtin()
		if err != nil {
			b.Fatal(err)
		}
		m, err := NewMatcher(rules, Allowlist{})
		if err != nil {
			b.Fatal(err)
		}
		m.Match(src)
		if len(m.Match(yml)) != 1 {
			b.Fatal("the YAML password is not found")
		}
	}
}

// reportCPU reports the process's CPU time per operation (cpu-ms/op)
// when the returned function runs: on a machine shared with other work
// it varies far less than the wall time.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	}
}

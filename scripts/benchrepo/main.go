// Command benchrepo writes a git fast-import stream that builds a
// repository of real source text for history-scan benchmarks: it takes
// files from a source tree (Go's by default) and evolves them over many
// commits, a few files per commit, with edits, additions, renames and
// deletions, on several branches. Deterministic for a seed.
//
//	go run ./scripts/benchrepo -commits 3000 | git -C repo fast-import
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	commits := flag.Int("commits", 3000, "number of commits")
	perCommit := flag.Int("files", 3, "files changed per commit")
	src := flag.String("src", "", "source tree to draw files from (default $(go env GOROOT)/src)")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *src == "" {
		out, err := exec.Command("go", "env", "GOROOT").Output()
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchrepo: go env GOROOT:", err)
			os.Exit(2)
		}
		*src = filepath.Join(strings.TrimSpace(string(out)), "src")
	}
	var files []string
	_ = filepath.WalkDir(*src, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.Contains(p, "testdata") {
			if fi, err := d.Info(); err == nil && fi.Size() < 64<<10 {
				files = append(files, p)
			}
		}
		return nil
	})
	sort.Strings(files)
	if len(files) == 0 {
		fmt.Fprintln(os.Stderr, "benchrepo: no source files under", *src)
		os.Exit(2)
	}
	rng := rand.New(rand.NewPCG(*seed, *seed^0x9e3779b97f4a7c15))
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()

	// Each branch has its own tree: fast-import takes a commit's tree from
	// its first parent plus the file commands, so a merge adds a parent
	// without changing content.
	lives := map[string]map[string][]string{}
	pathsOf := map[string][]string{}
	pick := func() string { return files[rng.IntN(len(files))] }
	branches := []string{"main", "develop", "release"}
	marks := map[string]int{}
	for i := 1; i <= *commits; i++ {
		branch := branches[0]
		if i > 10 && rng.IntN(10) == 0 {
			branch = branches[1+rng.IntN(2)]
		}
		fmt.Fprintf(w, "commit refs/heads/%s\nmark :%d\n", branch, i)
		fmt.Fprintf(w, "author Bench <bench@dev.invalid> %d +0000\ncommitter Bench <bench@dev.invalid> %d +0000\n", 1700000000+i*600, 1700000000+i*600)
		msg := fmt.Sprintf("change %d", i)
		fmt.Fprintf(w, "data %d\n%s\n", len(msg), msg)
		if prev, ok := marks[branch]; ok {
			fmt.Fprintf(w, "from :%d\n", prev)
		} else if i > 1 {
			fmt.Fprintf(w, "from :%d\n", marks["main"])
		}
		if branch == "main" && i%50 == 0 && marks["develop"] > 0 {
			fmt.Fprintf(w, "merge :%d\n", marks["develop"])
		}
		marks[branch] = i
		if lives[branch] == nil {
			lives[branch] = map[string][]string{}
			for p, l := range lives["main"] {
				lives[branch][p] = append([]string(nil), l...)
			}
			pathsOf[branch] = append([]string(nil), pathsOf["main"]...)
		}
		live, paths := lives[branch], pathsOf[branch]
		for k := 0; k < *perCommit; k++ {
			switch r := rng.IntN(20); {
			case r < 6 || len(paths) < 20: // add a file from the tree
				f := pick()
				data, err := os.ReadFile(f)
				if err != nil {
					continue
				}
				rel, _ := filepath.Rel(*src, f)
				p := fmt.Sprintf("v%d/%s", i%7, filepath.ToSlash(rel))
				if _, ok := live[p]; !ok {
					paths = append(paths, p)
				}
				live[p] = strings.Split(string(data), "\n")
				writeFile(w, p, live[p])
			case r < 18: // edit lines of a live file
				p := paths[rng.IntN(len(paths))]
				lines := live[p]
				for e := 0; e < 1+rng.IntN(5) && len(lines) > 0; e++ {
					at := rng.IntN(len(lines))
					lines[at] = lines[at] + fmt.Sprintf(" // rev %d", i)
				}
				writeFile(w, p, lines)
			case r < 19: // rename
				j := rng.IntN(len(paths))
				p := paths[j]
				np := "moved/" + p
				if _, ok := live[np]; ok {
					continue
				}
				fmt.Fprintf(w, "R %s %s\n", p, np)
				live[np] = live[p]
				delete(live, p)
				paths[j] = np
			default: // delete
				j := rng.IntN(len(paths))
				fmt.Fprintf(w, "D %s\n", paths[j])
				delete(live, paths[j])
				paths = append(paths[:j], paths[j+1:]...)
			}
		}
		pathsOf[branch] = paths
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "reset refs/tags/v1.0\nfrom :%d\n\n", marks["main"])
}

func writeFile(w *bufio.Writer, path string, lines []string) {
	body := strings.Join(lines, "\n")
	fmt.Fprintf(w, "M 100644 inline %s\ndata %d\n%s\n", path, len(body), body)
}

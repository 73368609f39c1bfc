// Command fpvendored measures false alarms on real third-party code: it
// downloads this module's dependencies into the Go module cache (the
// module proxy is the only network it uses, through `go mod download`),
// scans each module's directory with the built-in rules, and prints the
// findings outside test code per GB scanned, then every one of them (rule,
// module path, line, redacted preview) so a reviewer can read them all.
//
//	go run ./scripts/fpvendored [-workers N] [-json] [-extra module@version,…]
//
// Every module of the build graph (`go mod download all`) is scanned.
// Test code (*_test.go, testdata/, test/, tests/, fixtures/ …) is not
// read. A finding in documentation or example code (README, *.md, API
// specifications, *.sample, doc/, docs/, example/, examples/, _examples/)
// is listed with "doc" in its class column: vendor documentation quotes credentials on purpose, so a
// reviewer reads those apart from findings in code. Exit status: 0 the
// scan ran (whatever it found), 3 it could not.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/scanner"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// module is one entry of `go mod download -json`.
type module struct {
	Path    string
	Version string
	Dir     string
	Error   string
}

// finding is one reported finding, without its value.
type finding struct {
	Module   string `json:"module"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	RuleID   string `json:"rule_id"`
	Redacted string `json:"redacted"`
	// Class is "doc" for documentation and example files, "code" for
	// everything else.
	Class string `json:"class"`
}

type summary struct {
	Modules  int     `json:"modules"`
	Files    int64   `json:"files"`
	Bytes    int64   `json:"bytes"`
	Findings int     `json:"findings"`
	Code     int     `json:"code_findings"`
	Doc      int     `json:"doc_findings"`
	PerGB    float64 `json:"findings_per_gb"`
	CodePerG float64 `json:"code_findings_per_gb"`
	Errors   int     `json:"errors"`
	// Skipped counts files not read, by reason (test code, binary …).
	Skipped map[string]int `json:"skipped"`
	List    []finding      `json:"findings_list"`
}

func run(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("fpvendored", flag.ContinueOnError)
	fl.SetOutput(stderr)
	workers := fl.Int("workers", 0, "matching goroutines (default GOMAXPROCS)")
	asJSON := fl.Bool("json", false, "print the summary and list as JSON")
	extra := fl.String("extra", "", "comma-separated `module@version` list to scan as well (downloaded the same way)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	dl := []string{"all"}
	if *extra != "" {
		dl = append(dl, strings.Split(*extra, ",")...)
	}
	mods, err := download(dl...)
	if err != nil {
		fmt.Fprintln(stderr, "fpvendored:", err)
		return 3
	}
	rules, err := detectors.Builtin()
	if err != nil {
		fmt.Fprintln(stderr, "fpvendored:", err)
		return 3
	}
	m, err := detectors.NewMatcher(rules, detectors.Allowlist{})
	if err != nil {
		fmt.Fprintln(stderr, "fpvendored:", err)
		return 3
	}
	eng := &scanner.Engine{Matcher: m, Workers: *workers, ExcludePath: testPath}
	sum := summary{Skipped: map[string]int{}}
	ctx := context.Background()
	for _, md := range mods {
		res, err := eng.Run(ctx, &scanner.DirSource{Path: md.Dir, Exclude: testPath})
		if err != nil {
			fmt.Fprintf(stderr, "fpvendored: %s@%s: %v\n", md.Path, md.Version, err)
			return 3
		}
		sum.Modules++
		sum.Files += res.Stats.Items
		sum.Bytes += res.Stats.Bytes
		sum.Errors += res.Stats.Errors
		for why, n := range res.Stats.Skipped {
			sum.Skipped[why] += n
		}
		for _, f := range res.Findings {
			c := "code"
			if docPath(f.File) {
				c = "doc"
				sum.Doc++
			} else {
				sum.Code++
			}
			sum.List = append(sum.List, finding{
				Module: md.Path + "@" + md.Version, File: f.File, Line: f.Line,
				RuleID: f.RuleID, Redacted: f.Redacted, Class: c,
			})
		}
	}
	sum.Findings = len(sum.List)
	if gb := float64(sum.Bytes) / 1e9; gb > 0 {
		sum.PerGB = float64(sum.Findings) / gb
		sum.CodePerG = float64(sum.Code) / gb
	}
	sort.Slice(sum.List, func(i, j int) bool {
		a, b := sum.List[i], sum.List[j]
		if a.Class != b.Class {
			return a.Class < b.Class
		}
		if a.Module != b.Module {
			return a.Module < b.Module
		}
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	if *asJSON {
		b, _ := json.MarshalIndent(sum, "", "  ")
		fmt.Fprintln(stdout, string(b))
		return 0
	}
	fmt.Fprintf(stdout, "scanned %d modules, %d non-test files, %.3f GB (%d unreadable)\n",
		sum.Modules, sum.Files, float64(sum.Bytes)/1e9, sum.Errors)
	var skips []string
	for why, n := range sum.Skipped {
		skips = append(skips, fmt.Sprintf("%s %d", why, n))
	}
	sort.Strings(skips)
	fmt.Fprintf(stdout, "not read: %s\n", strings.Join(skips, ", "))
	fmt.Fprintf(stdout, "findings %d (%.1f per GB): code %d (%.1f per GB), documentation and examples %d\n\n",
		sum.Findings, sum.PerGB, sum.Code, sum.CodePerG, sum.Doc)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "class\trule\tlocation\tpreview")
	for _, f := range sum.List {
		fmt.Fprintf(tw, "%s\t%s\t%s/%s:%d\t%s\n", f.Class, f.RuleID, f.Module, f.File, f.Line, f.Redacted)
	}
	tw.Flush()
	return 0
}

// download runs `go mod download -json PATTERNS` in the current module and returns
// the modules it reports, sorted by path. A module that could not be
// downloaded fails the run: a partial scan must not read as a clean one.
func download(patterns ...string) ([]module, error) {
	// go mod download records the hashes it checked in go.sum; a copy of
	// go.mod and go.sum takes them, so the repository stays as it was.
	tmp, err := os.MkdirTemp("", "fpvendored-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	for _, f := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("run from the module root: %w", err)
		}
		if err := os.WriteFile(filepath.Join(tmp, f), b, 0o600); err != nil {
			return nil, err
		}
	}
	args := append([]string{"mod", "download", "-modfile=" + filepath.Join(tmp, "go.mod"), "-json"}, patterns...)
	cmd := exec.Command("go", args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	runErr := cmd.Run()
	var mods []module
	dec := json.NewDecoder(&out)
	for {
		var md module
		if err := dec.Decode(&md); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go mod download: decode: %w", err)
		}
		if md.Error != "" {
			return nil, fmt.Errorf("go mod download %s@%s: %s", md.Path, md.Version, md.Error)
		}
		if md.Dir != "" {
			mods = append(mods, md)
		}
	}
	if runErr != nil {
		return nil, fmt.Errorf("go mod download: %v: %s", runErr, strings.TrimSpace(errb.String()))
	}
	if len(mods) == 0 {
		return nil, errors.New("go mod download listed no modules")
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Path < mods[j].Path })
	return mods, nil
}

// testPath reports whether a slash-separated path inside a module is test
// code or test data.
func testPath(rel string) bool {
	if strings.HasSuffix(rel, "_test.go") {
		return true
	}
	for _, el := range strings.Split(rel, "/") {
		switch el {
		case "testdata", "test", "tests", "testing", "testutil", "testutils", "fixtures", "test-fixtures", "test_fixtures", "testcerts":
			return true
		}
	}
	return false
}

// docPath reports whether a path is documentation or example code, where
// a vendor shows what a credential looks like on purpose.
func docPath(rel string) bool {
	base := strings.ToLower(path.Base(rel))
	for _, p := range []string{"readme", "example", "swagger", "openapi"} {
		if strings.HasPrefix(base, p) {
			return true
		}
	}
	for _, s := range []string{".md", ".rst", ".txt", ".html", ".adoc", ".sample", ".example", ".dist"} {
		if strings.HasSuffix(base, s) {
			return true
		}
	}
	for _, el := range strings.Split(strings.ToLower(rel), "/") {
		switch el {
		case "doc", "docs", "example", "examples", "_examples", "_example", "sample", "samples", "demo", "demos", "cmd-examples":
			return true
		}
	}
	return false
}

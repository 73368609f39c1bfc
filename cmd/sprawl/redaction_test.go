package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coregx/ahocorasick"

	"github.com/sprawlsec/sprawl/detectors"
	"github.com/sprawlsec/sprawl/reports"
	"github.com/sprawlsec/sprawl/scanner"
)

// writeExamples writes every rule's examples from the catalogue to dir,
// one file each, plus variants of the PEM examples with the first base64
// line on the header line.
func writeExamples(t *testing.T, dir string) {
	t.Helper()
	rules, err := detectors.BuiltinWithExamples()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	add := func(id, ex string) {
		n++
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.txt", id, n)), []byte(ex+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range rules {
		for _, ex := range r.Examples {
			add(r.ID, ex)
			if i := strings.Index(ex, "PRIVATE KEY-----\n"); i >= 0 && strings.Contains(ex[:i], "BEGIN") {
				// Key material on the header line.
				add(r.ID+"-header-line", strings.Replace(ex, "PRIVATE KEY-----\n", "PRIVATE KEY----- ", 1))
			}
		}
	}
}

// needles are what must not appear in any output for secret: the value,
// and from each of its runs of printable characters long enough to be
// telling, a 12-byte window from the middle and one from the end (the
// first eight characters may show in a preview, by design).
func needles(secret string) []string {
	out := []string{secret}
	const k = 12
	for _, seg := range strings.FieldsFunc(secret, func(r rune) bool { return r < 0x21 || r > 0x7e || r == '\\' || r == '"' }) {
		if len(seg) < k+8 {
			continue
		}
		mid := len(seg) / 2
		out = append(out, seg[mid-k/2:mid+k/2], seg[len(seg)-k:])
	}
	return out
}

// TestNoSecretInAnyOutput feeds every rule's examples through the scanner
// into every report format, the inventory (its database files, WAL
// included) and the HTML inventory report, and searches all of those
// bytes for each secret and for telling pieces of it. The scan that
// records into the inventory goes through the command line; the other
// formats are written from one engine scan of the same files (a scan per
// format costs seconds each and tests nothing more).
func TestNoSecretInAnyOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("scans every rule's examples")
	}
	dir := isolate(t)
	src := filepath.Join(dir, "examples")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	writeExamples(t, src)
	outputs := map[string][]byte{}

	inv := filepath.Join(dir, "inv.db")
	out := filepath.Join(dir, "report.json")
	code, stdout, stderr := runSprawl(context.Background(), "scan", "dir", src, "--format", "json", "--output", out, "--inventory", inv)
	if code != 1 {
		t.Fatalf("scan: exit %d, want 1\n%s", code, stderr)
	}
	outputs["scan stdout+stderr"] = []byte(stdout + stderr)
	since := time.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02")
	html := filepath.Join(dir, "report.html")
	if code, _, stderr := runSprawl(context.Background(), "report", "inventory", "--inventory", inv, "--since", since, "--format", "html", "--output", html); code != 0 {
		t.Fatalf("report inventory: exit %d\n%s", code, stderr)
	}
	for _, p := range []string{out, html, inv, inv + "-wal", inv + "-shm"} {
		if b, err := os.ReadFile(p); err == nil {
			outputs[filepath.Base(p)] = b
		}
	}
	if !bytes.Contains(outputs["report.html"], []byte("private-key-ec")) || len(outputs["inv.db"]) == 0 {
		t.Fatal("the report or the inventory is missing what was scanned")
	}

	rules, err := detectors.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	res := scanDir(t, &scanner.DirSource{Path: src})
	seen := map[string]bool{}
	var secrets []string
	for i, f := range res.Findings {
		res.Findings[i].Source, res.Findings[i].Root = "dir", src
		if !seen[f.Secret] {
			seen[f.Secret] = true
			secrets = append(secrets, f.Secret)
		}
	}
	if len(secrets) < 200 {
		t.Fatalf("only %d secrets found in the catalogue's examples", len(secrets))
	}
	for _, format := range reports.Formats() {
		rep, err := reports.New(format, reports.Options{Rules: rules, Root: src})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := rep.Report(&b, res.Findings); err != nil {
			t.Fatal(err)
		}
		outputs["format "+format] = b.Bytes()
	}

	// Rule metadata (descriptions, references) is public text that the
	// SARIF and report formats carry; a needle found there says nothing.
	var public strings.Builder
	for _, r := range rules {
		fmt.Fprintln(&public, r.ID, r.Name, r.Description, strings.Join(r.References, " "), strings.Join(r.Keywords, " "), r.Pattern)
	}
	var pats [][]byte
	var from []string
	for _, s := range secrets {
		for _, nd := range needles(s) {
			if !strings.Contains(public.String(), nd) {
				pats = append(pats, []byte(nd))
				from = append(from, s)
			}
		}
	}
	ac, err := ahocorasick.NewBuilder().AddPatterns(pats).Build()
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range outputs {
		for _, hit := range ac.FindAllOverlapping(b) {
			s := from[hit.PatternID]
			t.Errorf("%s holds %q, from a secret starting %q", name, pats[hit.PatternID], s[:min(len(s), 24)])
		}
	}
	t.Logf("%d secrets (%d needles) searched for in %d outputs", len(secrets), len(pats), len(outputs))
}
